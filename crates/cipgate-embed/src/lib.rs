//! Build-script support shared by the runtime modules (Envoy filter, browser module): embeds
//! the compiled policy as `$OUT_DIR/policy.json`, for `include_bytes!` in the module.
//!
//! The policy is the file named by `CIPGATE_COMPILED_POLICY` (written by `cipgate compile
//! --emit` or `cipgate build`), or else the default policy, compiled here. Either way it is
//! loaded once at build time so a bad policy fails the build, not the first request.

use std::path::{Path, PathBuf};

/// The default policy, relative to the workspace root.
const DEFAULT_POLICY: &str = "policies/us-iaas-cip.yaml";

/// Call from a `build.rs`; prints the `cargo:` directives that rebuild on a policy change.
pub fn embed_compiled_policy() -> Result<(), String> {
    println!("cargo:rerun-if-env-changed=CIPGATE_COMPILED_POLICY");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?);
    let compiled = match std::env::var_os("CIPGATE_COMPILED_POLICY") {
        Some(path) => {
            let path = PathBuf::from(path);
            println!("cargo:rerun-if-changed={}", path.display());
            read(&path)?
        }
        None => {
            // Every crate that embeds a policy sits in `crates/<name>/`.
            let manifest_dir = std::env::var("CARGO_MANIFEST_DIR")
                .map_err(|e| format!("CARGO_MANIFEST_DIR: {e}"))?;
            let path = Path::new(&manifest_dir).join("../..").join(DEFAULT_POLICY);
            println!("cargo:rerun-if-changed={}", path.display());
            let source = String::from_utf8(read(&path)?)
                .map_err(|_| format!("{} is not UTF-8", path.display()))?;
            cipgate_policy::compile("us-iaas-cip.yaml", &source)
                .map_err(|d| d.to_string())?
                .bytes
        }
    };
    cipgate_policy::CompiledPolicy::load(&compiled)
        .map_err(|e| format!("the compiled policy does not load: {e}"))?;
    let target = out_dir.join("policy.json");
    std::fs::write(&target, compiled).map_err(|e| format!("{}: {e}", target.display()))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}
