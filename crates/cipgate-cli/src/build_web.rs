//! `cipgate build`, browser half: `dist/web/`, an ES module package holding the same compiled
//! policy as the Envoy module. The `cipgate-web` crate built for `wasm32-unknown-unknown`,
//! its wasm-bindgen glue, and the hand-written `index.js` / `index.d.ts` API over it.

use crate::wasm_module::{self, run, write, ModuleCrate};
use cipgate_policy::CompiledPolicy;
use std::path::Path;
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";
const WEB_CRATE: &str = "cipgate-web";
/// The generated glue must come from the CLI of exactly the crate's version.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// What wasm-bindgen names its outputs after (`cipgate_web.js`, `cipgate_web_bg.wasm`).
const MODULE_NAME: &str = "cipgate_web";

const INDEX_JS: &str = include_str!("../../cipgate-web/js/index.js");
const INDEX_D_TS: &str = include_str!("../../cipgate-web/js/index.d.ts");

/// Builds the browser package into `out_dir/web` with the compiled policy in
/// `compiled_policy_json` embedded.
pub fn build_web(compiled_policy_json: &Path, out_dir: &Path) -> Result<(), String> {
    let compiled = std::fs::read(compiled_policy_json)
        .map_err(|e| format!("error: cannot read {}: {e}", compiled_policy_json.display()))?;
    let policy = CompiledPolicy::load(&compiled).map_err(|e| format!("error: {e}"))?;
    let web_dir = out_dir.join("web");
    std::fs::create_dir_all(&web_dir)
        .map_err(|e| format!("error: cannot create {}: {e}", web_dir.display()))?;

    let module = wasm_module::build(
        &ModuleCrate {
            package: WEB_CRATE,
            artifact: MODULE_NAME,
            target: TARGET,
            // Pages download this module: smallest code wins over speed (one evaluation is
            // microseconds either way).
            opt_level: Some("z"),
        },
        compiled_policy_json,
    )?;
    check_wasm_bindgen()?;
    // Before wasm-bindgen, not after: binaryen 108 (Debian 12) renumbers the externref table
    // that wasm-bindgen adds, and the module then fails to instantiate.
    let module = wasm_module::optimize(&module)?;
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
