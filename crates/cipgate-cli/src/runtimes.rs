//! The prebuilt runtimes this binary carries (built by `build.rs` when the CLI is built), and
//! the one operation on them: writing a policy image into a copy. The runtimes' code is the
//! same bytes for every policy; the manifest names their sha256 so they are reviewed once.

use cipgate_policy::CompiledPolicy;

macro_rules! runtime_file {
    ($name:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/runtimes/", $name))
    };
}

/// The Envoy filter (proxy-wasm, wasm32-wasip1), with an empty image slot.
pub const ENVOY_RUNTIME: &[u8] = runtime_file!("envoy-runtime.wasm");
/// The browser module (wasm-bindgen, wasm32-unknown-unknown), with an empty image slot.
pub const WEB_RUNTIME: &[u8] = runtime_file!("web/cipgate_web_bg.wasm");
/// wasm-bindgen's glue and type declarations for [`WEB_RUNTIME`]; they do not depend on
/// the policy.
pub const WEB_GLUE: [(&str, &[u8]); 3] = [
    ("cipgate_web.js", runtime_file!("web/cipgate_web.js")),
    ("cipgate_web.d.ts", runtime_file!("web/cipgate_web.d.ts")),
    (
        "cipgate_web_bg.wasm.d.ts",
        runtime_file!("web/cipgate_web_bg.wasm.d.ts"),
    ),
];

/// The Envoy module of a policy image.
pub fn envoy_module(image: &[u8]) -> Result<Vec<u8>, String> {
    place(ENVOY_RUNTIME, image, "Envoy")
}

/// The browser module of a policy image (the web projection, see `build_web.rs`).
pub fn web_module(image: &[u8]) -> Result<Vec<u8>, String> {
    place(WEB_RUNTIME, image, "browser")
}

fn place(runtime: &[u8], image: &[u8], which: &str) -> Result<Vec<u8>, String> {
    let module = cipgate_link::place_image(runtime, image)
        .map_err(|e| format!("error: cannot write the policy into the {which} runtime: {e}"))?;
    // What the runtime will find in the slot must be the image itself.
    let placed = cipgate_link::read_image(&module)
        .map_err(|e| format!("error: the {which} module was written wrongly: {e}"))?;
    if placed != image {
        return Err(format!(
            "error: the {which} module does not hold the image that was written into it"
        ));
    }
    Ok(module)
}

/// The policy image inside a built module, read and validated as the runtime will.
pub fn module_policy(module: &[u8]) -> Result<CompiledPolicy, String> {
    let image = cipgate_link::read_image(module).map_err(|e| format!("error: {e}"))?;
    CompiledPolicy::load(image).map_err(|e| format!("error: {e}"))
}
