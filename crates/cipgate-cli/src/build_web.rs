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
const NODE_JS: &str = include_str!("../../cipgate-web/js/node.js");
/// cipgate's licence (the package's `license` field names it), shipped with the package.
const LICENSE: &str = include_str!("../../../LICENSE");

/// The browser package of one policy, ready to write.
pub struct WebPackage {
    files: Vec<(String, Vec<u8>)>,
    /// The image of the browser projection the module carries.
    pub image: Vec<u8>,
    pub image_sha256: String,
    pub module_sha256: String,
}

/// Builds the browser package of a compiled policy, named `@<scope>/<policy id>`.
pub fn package(compiled: &Compiled, scope: &str) -> Result<WebPackage, String> {
    let policy = &compiled.policy;
    let image = compiled
        .browser_image()
        .map_err(|e| format!("error: cannot write the browser projection: {e}"))?;
    let module = runtimes::web_module(&image)?;
    let module_sha256 = hex(&Sha256::digest(&module));
    let name = format!("@{scope}/{}", policy.id());
    let version = npm_version(policy.version());
    let package = serde_json::json!({
        "name": name,
        "version": version,
        "description": format!("Signup policy {} {} for the browser (cipgate)", policy.id(), policy.version()),
        "type": "module",
        "main": "index.js",
        "types": "index.d.ts",
        "exports": {
            ".": {"types": "./index.d.ts", "node": "./node.js", "default": "./index.js"},
            "./module.wasm": format!("./{MODULE_NAME}_bg.wasm"),
        },
        "files": [
            "index.js",
            "index.d.ts",
            "node.js",
            "README.md",
            "LICENSE",
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
        ("node.js".to_string(), NODE_JS.as_bytes().to_vec()),
        ("LICENSE".to_string(), LICENSE.as_bytes().to_vec()),
        (
            "README.md".to_string(),
            readme(&name, &version, compiled).into_bytes(),
        ),
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

/// npm needs a semver version: the policy's own when it is one (`2026.12.3`), else a
/// pre-release of 0.0.0 that keeps it (`1` becomes `0.0.0-1`).
fn npm_version(version: &str) -> String {
    let numeric = |part: &str| {
        !part.is_empty()
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0'))
    };
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() == 3 && parts.iter().all(|p| numeric(p)) {
        return version.to_string();
    }
    let tag: String = version
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("0.0.0-{tag}")
}

fn readme(name: &str, version: &str, compiled: &Compiled) -> String {
    let policy = &compiled.policy;
    format!(
        "# {name} {version}\n\n\
         The signup policy `{id}` {policy_version} (sha256 `{sha256}`) compiled to WebAssembly by\n\
         cipgate, for forms in the browser and for servers in Node. Its decisions are the\n\
         gateway's, byte for byte, for every rule that needs no gateway facts (client address,\n\
         location); the gateway stays the enforcement point.\n\n\
         ```js\n\
         import {{ init, validate, messagesByField }} from \"{name}\";\n\n\
         await init();\n\
         const decision = validate({{ customer: {{ kind: \"individual\" }} }});\n\
         decision.outcome;                             // allow, review, incomplete, reject or deny\n\
         messagesByField(decision)[\"customer.phone\"];  // what to tell the person\n\
         ```\n\n\
         Browsers and bundlers get `index.js`, which loads `cipgate_web_bg.wasm` from beside it;\n\
         Node gets `node.js`, which reads it from the package. The API and its types are in\n\
         `index.d.ts`; cipgate's docs/web.md describes them.\n",
        id = policy.id(),
        policy_version = policy.version(),
        sha256 = policy.sha256(),
    )
}

#[cfg(test)]
mod tests {
    use super::npm_version;

    #[test]
    fn npm_versions_are_semver() {
        assert_eq!(npm_version("2026.12.3"), "2026.12.3");
        assert_eq!(npm_version("1.0.0"), "1.0.0");
        assert_eq!(npm_version("1"), "0.0.0-1");
        assert_eq!(npm_version("2026.01.3"), "0.0.0-2026-01-3");
        assert_eq!(npm_version("v2 beta"), "0.0.0-v2-beta");
    }
}
