//! Embeds the compiled policy in the module: the file named by `CIPGATE_COMPILED_POLICY`
//! (written by `cipgate compile --emit` or `cipgate build`), or else the default policy,
//! compiled here. Either way it is loaded once at build time so a bad policy fails the build,
//! not the first request.

use std::path::{Path, PathBuf};

const DEFAULT_POLICY: &str = "../../policies/us-iaas-cip.yaml";

fn main() {
    if let Err(why) = run() {
        eprintln!("error: {why}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    println!("cargo:rerun-if-env-changed=CIPGATE_COMPILED_POLICY");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?);
    let compiled = match std::env::var_os("CIPGATE_COMPILED_POLICY") {
        Some(path) => {
            let path = PathBuf::from(path);
            println!("cargo:rerun-if-changed={}", path.display());
            read(&path)?
        }
        None => {
            println!("cargo:rerun-if-changed={DEFAULT_POLICY}");
            let source = String::from_utf8(read(Path::new(DEFAULT_POLICY))?)
                .map_err(|_| format!("{DEFAULT_POLICY} is not UTF-8"))?;
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
