//! Builds the two prebuilt runtimes the `cipgate` binary carries: the Envoy filter
//! (`cipgate-envoy`, wasm32-wasip1) and the browser module (`cipgate-web`,
//! wasm32-unknown-unknown, with its wasm-bindgen glue), each optimised with `wasm-opt`: the
//! Envoy filter for speed (`-O3`), the browser module for size (`-Oz`).
//! `cipgate build` later writes a policy image into copies of them, with no toolchain.
//!
//! Needs what building any cipgate module needs: the two Rust targets, `wasm-opt` (binaryen)
//! and `wasm-bindgen` at the crate's exact version. `CIPGATE_RUNTIMES_DIR` names a directory
//! of runtimes built before (`envoy-runtime.wasm`, `web/`) to use instead.

use std::path::{Path, PathBuf};
use std::process::Command;

/// wasm-opt's passes for the Envoy filter (scripts/bench builds its profile module with the
/// same).
const ENVOY_WASM_OPT: [&str; 3] = ["-O3", "--one-caller-inline-max-function-size", "100"];
/// The callbacks Envoy calls on the filter that the filter implements, and what the host
/// needs besides. The proxy-wasm SDK exports a callback for every kind of plugin (network
/// filters, timers, HTTP calls, queues); the host skips a callback the module does not
/// export, so each one left out is code V8 need not compile, and those of every request
/// (response headers and body, log, done) a call into the VM less.
const ENVOY_EXPORTS: [&str; 11] = [
    "memory",
    "_initialize",
    "proxy_abi_version_0_2_1",
    "proxy_on_memory_allocate",
    "proxy_on_vm_start",
    "proxy_on_configure",
    "proxy_on_context_create",
    "proxy_on_request_headers",
    "proxy_on_request_body",
    "proxy_on_request_trailers",
    "proxy_on_delete",
];
/// The glue must come from the CLI of exactly the `wasm-bindgen` crate's version.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// What wasm-bindgen names its outputs after (`cipgate_web.js`, `cipgate_web_bg.wasm`).
const WEB_MODULE: &str = "cipgate_web";
/// The features rustc enables by default for these targets; without them wasm-opt rejects
/// the modules' bulk-memory and conversion instructions.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-multivalue",
    "--enable-reference-types",
];

fn main() {
    if let Err(why) = run() {
        eprintln!("error: building the cipgate runtimes failed: {why}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let out_dir = PathBuf::from(env("OUT_DIR")?);
    let workspace = PathBuf::from(env("CARGO_MANIFEST_DIR")?).join("../..");
    println!("cargo:rerun-if-env-changed=CIPGATE_RUNTIMES_DIR");
    if let Some(dir) = std::env::var_os("CIPGATE_RUNTIMES_DIR") {
        let dir = PathBuf::from(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        return install(&dir, &out_dir);
    }
    for watched in [
        "Cargo.lock",
        "crates/cipgate-policy/Cargo.toml",
        "crates/cipgate-policy/src",
        "crates/cipgate-envoy/Cargo.toml",
        "crates/cipgate-envoy/src",
        "crates/cipgate-web/Cargo.toml",
        "crates/cipgate-web/src",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }

    // Beside the outer build's own target directory, so debug and release builds of the CLI
    // share one build of the runtimes; its own directory, so the two cargos never wait on
    // each other's lock.
    let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir).join("runtimes"),
        None => out_dir
            .ancestors()
            .nth(4)
            .map_or_else(|| out_dir.join("runtimes"), |t| t.join("runtimes")),
    };
    let built = out_dir.join("built");
    std::fs::create_dir_all(built.join("web")).map_err(|e| e.to_string())?;

    // The gateway runs this module on every signup: speed wins over size (opt-level 3 against
    // "s" gave 8-17% more throughput in Envoy). Functions with one caller are inlined only when
    // small: V8 compiles every function before Envoy starts, and inlining all of them made
    // `on_configure` one 50 KB function that took V8 noticeably longer to compile.
    let envoy = cargo_build(
        &workspace,
        &target_dir,
        "cipgate-envoy",
        "wasm32-wasip1",
        "3",
    )?;
    let envoy_exports = target_dir.join("cipgate_envoy.exports.wasm");
    keep_only_exports(&envoy, &ENVOY_EXPORTS, &envoy_exports)?;
    wasm_opt(
        &envoy_exports,
        &ENVOY_WASM_OPT,
        &built.join("envoy-runtime.wasm"),
    )?;

    // Pages download this module: the smallest code wins over speed.
    let web = cargo_build(
        &workspace,
        &target_dir,
        "cipgate-web",
        "wasm32-unknown-unknown",
        "z",
    )?;
    // Before wasm-bindgen, not after: binaryen 108 (Debian 12) renumbers the externref table
    // that wasm-bindgen adds, and the module then fails to instantiate.
    let web_opt = target_dir.join("cipgate_web.opt.wasm");
    wasm_opt(&web, &["-Oz"], &web_opt)?;
    check_wasm_bindgen()?;
    run_tool(
        Command::new("wasm-bindgen")
            .args(["--target", "web", "--out-name", WEB_MODULE, "--out-dir"])
            .arg(built.join("web"))
            .arg(&web_opt),
        "wasm-bindgen",
    )?;
    install(&built, &out_dir)
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|e| format!("{name}: {e}"))
}

/// Copies a runtimes directory into `OUT_DIR/runtimes`, where `include_bytes!` finds them.
fn install(from: &Path, out_dir: &Path) -> Result<(), String> {
    let to = out_dir.join("runtimes");
    std::fs::create_dir_all(to.join("web")).map_err(|e| e.to_string())?;
    for file in [
        "envoy-runtime.wasm".to_string(),
        format!("web/{WEB_MODULE}_bg.wasm"),
        format!("web/{WEB_MODULE}.js"),
        format!("web/{WEB_MODULE}.d.ts"),
        format!("web/{WEB_MODULE}_bg.wasm.d.ts"),
    ] {
        std::fs::copy(from.join(&file), to.join(&file))
            .map_err(|e| format!("{}: {e}", from.join(&file).display()))?;
    }
    Ok(())
}

fn cargo_build(
    workspace: &Path,
    target_dir: &Path,
    package: &str,
    target: &str,
    opt_level: &str,
) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            target,
            "-p",
            package,
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(workspace)
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", opt_level);
    // A plain build of the runtimes, whatever this build is (clippy, coverage, fuzzing).
    for var in [
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
    ] {
        command.env_remove(var);
    }
    // Source paths end up in panic locations: map the checkout and cargo's home to fixed
    // names, so the runtimes are the same bytes whoever builds this version, wherever.
    let workspace = workspace
        .canonicalize()
        .map_err(|e| format!("{}: {e}", workspace.display()))?;
    let mut flags = format!("--remap-path-prefix={}=/cipgate", workspace.display());
    if let Some(home) = cargo_home() {
        flags.push_str(&format!(
            "\x1f--remap-path-prefix={}=/cargo",
            home.display()
        ));
    }
    command.env("CARGO_ENCODED_RUSTFLAGS", flags);
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`cargo build --release --target {target} -p {package}` failed ({status}); a \
             missing target is installed with `rustup target add {target}`"
        ));
    }
    let artifact = package.replace('-', "_");
    Ok(target_dir
        .join(target)
        .join("release")
        .join(format!("{artifact}.wasm")))
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .and_then(|p| p.canonicalize().ok())
}

fn wasm_opt(module: &Path, passes: &[&str], out: &Path) -> Result<(), String> {
    run_tool(
        Command::new("wasm-opt")
            .args(passes)
            .args(WASM_FEATURES)
            .arg(module)
            .arg("-o")
            .arg(out),
        "wasm-opt (install binaryen: `apt-get install binaryen`)",
    )
}

/// `module` with only the exports `keep`, and nothing the others alone reached: binaryen's
/// `wasm-metadce`, whose graph here is a root reaching each export kept.
fn keep_only_exports(module: &Path, keep: &[&str], out: &Path) -> Result<(), String> {
    let nodes: Vec<String> = keep
        .iter()
        .map(|name| format!(r#"{{"name": "{name}", "export": "{name}"}}"#))
        .collect();
    let reaches: Vec<String> = keep.iter().map(|name| format!(r#""{name}""#)).collect();
    let graph = format!(
        r#"[{{"name": "root", "root": true, "reaches": [{}]}}, {}]"#,
        reaches.join(", "),
        nodes.join(", ")
    );
    let graph_path = out.with_extension("graph.json");
    std::fs::write(&graph_path, graph).map_err(|e| format!("{}: {e}", graph_path.display()))?;
    run_tool(
        Command::new("wasm-metadce")
            .args(WASM_FEATURES)
            .arg("-f")
            .arg(&graph_path)
            .arg(module)
            .arg("-o")
            .arg(out),
        "wasm-metadce (install binaryen: `apt-get install binaryen`)",
    )
}

fn check_wasm_bindgen() -> Result<(), String> {
    let install = format!("cargo install wasm-bindgen-cli --version {WASM_BINDGEN_VERSION}");
    let output = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run wasm-bindgen ({e}); install it: {install}"))?;
    let version = String::from_utf8_lossy(&output.stdout);
    if version.split_whitespace().nth(1) != Some(WASM_BINDGEN_VERSION) {
        return Err(format!(
            "{} found, the browser runtime needs wasm-bindgen {WASM_BINDGEN_VERSION}: {install}",
            version.trim()
        ));
    }
    Ok(())
}

fn run_tool(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}
