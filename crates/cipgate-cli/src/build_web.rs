//! `cipgate build`, browser half: `dist/web/`, an ES module package holding the image of the
//! policy's browser projection (no gateway-only rule, no private list) in the prebuilt
//! browser runtime, its wasm-bindgen glue, and the hand-written `index.js` / `index.d.ts` API.

use crate::build::{hex, write};
use crate::runtimes;
use cipgate_policy::Compiled;
use sha2::{Digest, Sha256};
use std::path::Path;

/// What wasm-bindgen names its outputs after (`cipgate_web.js`, `cipgate_web_bg.wasm`).
const MODULE_NAME: &str = "cipgate_web";

const INDEX_JS: &str = include_str!("../../cipgate-web/js/index.js");
const INDEX_D_TS: &str = include_str!("../../cipgate-web/js/index.d.ts");

/// The browser package of one policy, ready to write.
pub struct WebPackage {
    files: Vec<(String, Vec<u8>)>,
    /// The image of the browser projection the module carries.
    pub image: Vec<u8>,
    pub image_sha256: String,
    pub module_sha256: String,
}

/// Builds the browser package of a compiled policy.
pub fn package(compiled: &Compiled) -> Result<WebPackage, String> {
    let policy = &compiled.policy;
    let image = compiled
        .browser_image()
        .map_err(|e| format!("error: cannot write the browser projection: {e}"))?;
    let module = runtimes::web_module(&image)?;
    let module_sha256 = hex(&Sha256::digest(&module));
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
    let mut files = vec![
        ("index.js".to_string(), INDEX_JS.as_bytes().to_vec()),
        ("index.d.ts".to_string(), INDEX_D_TS.as_bytes().to_vec()),
        (
            "package.json".to_string(),
            format!("{package}\n").into_bytes(),
        ),
        (format!("{MODULE_NAME}_bg.wasm"), module),
    ];
    files.extend(
        runtimes::WEB_GLUE
            .iter()
            .map(|(name, bytes)| (name.to_string(), bytes.to_vec())),
    );
    Ok(WebPackage {
        files,
        image_sha256: hex(&Sha256::digest(&image)),
        image,
        module_sha256,
    })
}

impl WebPackage {
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("error: cannot create {}: {e}", dir.display()))?;
        for (name, bytes) in &self.files {
            write(&dir.join(name), bytes)?;
        }
        Ok(())
    }
}
