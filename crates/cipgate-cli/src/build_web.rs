//! `cipgate build`, browser half: `dist/web/`, an ES module package holding the same compiled
//! policy as the Envoy module. The `cipgate-web` crate built for `wasm32-unknown-unknown`,
//! its wasm-bindgen glue, and the hand-written `index.js` / `index.d.ts` API over it.

use cipgate_policy::CompiledPolicy;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TARGET: &str = "wasm32-unknown-unknown";
const WEB_CRATE: &str = "cipgate-web";
/// The generated glue must come from the CLI of exactly the crate's version.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// What wasm-bindgen names its outputs after (`cipgate_web.js`, `cipgate_web_bg.wasm`).
const MODULE_NAME: &str = "cipgate_web";

const INDEX_JS: &str = include_str!("../../cipgate-web/js/index.js");
const INDEX_D_TS: &str = include_str!("../../cipgate-web/js/index.d.ts");

/// Builds the browser package into `out_dir/web` with the compiled policy in
/// `compiled_policy_json` embedded; `workspace` is where cargo runs.
pub fn build_web(
    compiled_policy_json: &Path,
    out_dir: &Path,
    workspace: &Path,
) -> Result<(), String> {
    let compiled = std::fs::read(compiled_policy_json)
        .map_err(|e| format!("error: cannot read {}: {e}", compiled_policy_json.display()))?;
    let policy = CompiledPolicy::load(&compiled).map_err(|e| format!("error: {e}"))?;
    let web_dir = out_dir.join("web");
    std::fs::create_dir_all(&web_dir)
        .map_err(|e| format!("error: cannot create {}: {e}", web_dir.display()))?;

    let module = build_module(compiled_policy_json, workspace)?;
    check_wasm_bindgen()?;
    let module = optimize(&module)?;
    run(
        Command::new("wasm-bindgen")
            .args(["--target", "web", "--out-name", MODULE_NAME, "--out-dir"])
            .arg(&web_dir)
            .arg(&module),
        "wasm-bindgen",
    )?;
    let wasm = web_dir.join(format!("{MODULE_NAME}_bg.wasm"));

    write(&web_dir.join("index.js"), INDEX_JS.as_bytes())?;
    write(&web_dir.join("index.d.ts"), INDEX_D_TS.as_bytes())?;
    let package = serde_json::json!({
        "name": format!("@cipgate/{}", policy.id()),
        "version": env!("CARGO_PKG_VERSION"),
        "description": format!("Signup policy {} {} for the browser (cipgate)", policy.id(), policy.version()),
        "type": "module",
        "main": "index.js",
        "types": "index.d.ts",
        "exports": {
            ".": {"types": "./index.d.ts", "default": "./index.js"},
            "./module.wasm": format!("./{MODULE_NAME}_bg.wasm"),
        },
        "files": [
            "index.js",
            "index.d.ts",
            format!("{MODULE_NAME}.js"),
            format!("{MODULE_NAME}.d.ts"),
            format!("{MODULE_NAME}_bg.wasm"),
            format!("{MODULE_NAME}_bg.wasm.d.ts"),
        ],
        "sideEffects": false,
        "license": env!("CARGO_PKG_LICENSE"),
        "cipgate": {"policy": policy.policy_ref()},
    });
    let package = serde_json::to_string_pretty(&package)
        .map_err(|e| format!("error: cannot write package.json: {e}"))?;
    write(
        &web_dir.join("package.json"),
        format!("{package}\n").as_bytes(),
    )?;

    let size = std::fs::metadata(&wasm).map(|m| m.len()).unwrap_or(0);
    eprintln!("built {} ({size} bytes of Wasm)", web_dir.display());
    Ok(())
}

/// Builds the crate with the policy embedded; returns the module's path as cargo reports it.
fn build_module(policy_file: &Path, workspace: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--release", "--target", TARGET, "-p", WEB_CRATE])
        .arg("--message-format=json-render-diagnostics")
        .current_dir(workspace)
        .env("CIPGATE_COMPILED_POLICY", policy_file)
        // Pages download this module: smallest code wins over speed (one evaluation is
        // microseconds either way). Only this crate builds for this target, so nothing else
        // is rebuilt for it.
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "z")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("error: cannot run cargo in {}: {e}", workspace.display()))?;
    if !output.status.success() {
        return Err(format!(
            "error: building the browser module failed ({}); is the {TARGET} target installed \
             (`rustup target add {TARGET}`)?",
            output.status
        ));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| {
            m.get("reason").and_then(Value::as_str) == Some("compiler-artifact")
                && m.pointer("/target/name").and_then(Value::as_str) == Some(MODULE_NAME)
        })
        .filter_map(|m| m.get("filenames").and_then(Value::as_array).cloned())
        .flatten()
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .find(|f| f.extension().is_some_and(|e| e == "wasm"))
        .ok_or_else(|| format!("error: cargo built no .wasm module for {WEB_CRATE}"))
}

fn check_wasm_bindgen() -> Result<(), String> {
    let install = format!("cargo install wasm-bindgen-cli --version {WASM_BINDGEN_VERSION}");
    let output = Command::new("wasm-bindgen")
        .arg("--version")
        .output()
        .map_err(|e| format!("error: cannot run wasm-bindgen ({e}); install it: {install}"))?;
    let version = String::from_utf8_lossy(&output.stdout);
    if version.split_whitespace().nth(1) != Some(WASM_BINDGEN_VERSION) {
        return Err(format!(
            "error: {} found, the module needs wasm-bindgen {WASM_BINDGEN_VERSION}: {install}",
            version.trim()
        ));
    }
    Ok(())
}

/// `wasm-opt -Oz` when binaryen is installed; the module works without it, only larger.
/// It runs before wasm-bindgen, not after: binaryen 108 (Debian 12) renumbers the externref
/// table that wasm-bindgen adds, and the module then fails to instantiate. Returns the module
/// to hand to wasm-bindgen.
fn optimize(module: &Path) -> Result<PathBuf, String> {
    if Command::new("wasm-opt").arg("--version").output().is_err() {
        eprintln!("note: wasm-opt (binaryen) not found; the browser module is not size-optimised");
        return Ok(module.to_path_buf());
    }
    let optimized = module.with_extension("opt.wasm");
    run(
        Command::new("wasm-opt")
            .arg("-Oz")
            // The features rustc enables by default for this target; without them wasm-opt
            // rejects the module's bulk-memory and conversion instructions.
            .args([
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-multivalue",
                "--enable-reference-types",
            ])
            .arg(module)
            .arg("-o")
            .arg(&optimized),
        "wasm-opt",
    )?;
    Ok(optimized)
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("error: cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("error: {what} failed ({status})"))
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("error: cannot write {}: {e}", path.display()))
}
