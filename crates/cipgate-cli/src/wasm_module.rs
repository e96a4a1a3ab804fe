//! Building a module crate with a compiled policy embedded, and shrinking it: what the Envoy
//! and browser halves of `cipgate build` share.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One module crate to build for one target.
pub struct ModuleCrate<'a> {
    pub package: &'a str,
    /// The library target's name, as cargo reports the artifact (`cipgate_envoy`).
    pub artifact: &'a str,
    pub target: &'a str,
    /// Overrides the release profile's opt-level (`"z"` for the browser).
    pub opt_level: Option<&'a str>,
}

/// The cargo workspace this CLI was built from.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds `module` with the compiled policy `policy_file` embedded (through
/// `CIPGATE_COMPILED_POLICY`) and returns the module's path as cargo reports it, so that
/// `CARGO_TARGET_DIR` is honoured.
pub fn build(module: &ModuleCrate<'_>, policy_file: &Path) -> Result<PathBuf, String> {
    let workspace = workspace();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args([
            "build",
            "--release",
            "--target",
            module.target,
            "-p",
            module.package,
        ])
        .arg("--message-format=json-render-diagnostics")
        .current_dir(&workspace)
        .env("CIPGATE_COMPILED_POLICY", policy_file)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    if let Some(level) = module.opt_level {
        command.env("CARGO_PROFILE_RELEASE_OPT_LEVEL", level);
    }
    let output = command
        .output()
        .map_err(|e| format!("error: cannot run cargo in {}: {e}", workspace.display()))?;
    if !output.status.success() {
        return Err(format!(
            "error: `cargo build --release --target {} -p {}` failed ({}); cargo's messages are \
             above (a missing target is installed with `rustup target add {}`)",
            module.target, module.package, output.status, module.target
        ));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<CargoMessage>(line).ok())
        .filter(|m| {
            m.reason == "compiler-artifact"
                && m.target.as_ref().is_some_and(|t| t.name == module.artifact)
        })
        .flat_map(|m| m.filenames)
        .find(|f| f.extension().is_some_and(|e| e == "wasm"))
        .ok_or_else(|| format!("error: cargo built no .wasm module for {}", module.package))
}

/// The part of cargo's `--message-format=json` lines that names built files.
#[derive(serde::Deserialize)]
struct CargoMessage {
    reason: String,
    target: Option<CargoTarget>,
    #[serde(default)]
    filenames: Vec<PathBuf>,
}

#[derive(serde::Deserialize)]
struct CargoTarget {
    name: String,
}

/// `wasm-opt -Oz` when binaryen is installed (the setup installs it); the module works
/// without it, only larger. It also drops the name section: a trap then shows function
/// indices rather than names, which `wasm-objdump` on the unoptimised build resolves.
/// Returns the module to use.
pub fn optimize(module: &Path) -> Result<PathBuf, String> {
    if Command::new("wasm-opt").arg("--version").output().is_err() {
        eprintln!(
            "note: wasm-opt (binaryen) not found; {} is not size-optimised",
            module.display()
        );
        return Ok(module.to_path_buf());
    }
    let optimized = module.with_extension("opt.wasm");
    run(
        Command::new("wasm-opt")
            .arg("-Oz")
            // The features rustc enables by default for these targets; without them wasm-opt
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

pub fn run(command: &mut Command, what: &str) -> Result<(), String> {
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

pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("error: cannot write {}: {e}", path.display()))
}
