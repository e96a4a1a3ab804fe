//! The browser module: the same policy image as the Envoy filter (placed in the module by
//! `cipgate build`), deciding signup bodies in the page. A thin adapter over the core: bytes in, the canonical
//! decision JSON out (`Decision::to_json`), so the page and the gateway answer the same bytes.
//!
//! The hand-written `index.js` of the package turns forms and objects into request bodies and
//! parses the JSON; this module stays small and knows nothing of the DOM.

use cipgate_policy::{CompiledPolicy, GatewayFacts, SignupRequest};
use std::sync::OnceLock;
use wasm_bindgen::prelude::*;

/// The policy image `cipgate build` placed in this module, loaded and validated on first use
/// (`init()` in index.js asks for it, so a damaged module is refused before any form uses it).
fn policy() -> Result<&'static CompiledPolicy, JsError> {
    static POLICY: OnceLock<Result<CompiledPolicy, String>> = OnceLock::new();
    POLICY
        .get_or_init(|| CompiledPolicy::embedded().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| JsError::new(e))
}

/// Decides one signup body sent with `content_type` and returns the decision JSON, byte for
/// byte what the gateway answers for the same body, facts and locale. In a page the gateway
/// facts are unknown (`None`) but the time, seconds since the Unix epoch; a caller that knows
/// them (a test, a server-side check) passes them to get the gateway's decision exactly.
/// `locale` is what the person reads (the page's `lang`, or an `Accept-Language` value): the
/// core picks the policy's locale from it as the gateway does from the header.
#[wasm_bindgen]
pub fn decide(
    body: &[u8],
    content_type: Option<String>,
    time: Option<f64>,
    client_ip: Option<String>,
    geo_country: Option<String>,
    geo_region: Option<String>,
    locale: Option<String>,
) -> Result<String, JsError> {
    let client_ip = match client_ip {
        Some(ip) => Some(
            ip.parse()
                .map_err(|_| JsError::new(&format!("not an IP address: {ip}")))?,
        ),
        None => None,
    };
    let facts = GatewayFacts {
        client_ip,
        geo_country,
        geo_region,
        // `as` saturates; a non-finite time is no time.
        time: time.filter(|t| t.is_finite()).map(|t| t.floor() as i64),
        accept_language: locale,
    };
    Ok(policy()?
        .evaluate(&SignupRequest {
            body,
            content_type: content_type.as_deref(),
            facts: &facts,
        })
        .to_json())
}

/// Which policy the module holds: `{"id","version","sha256"}` as JSON, the same object as
/// the `policy` member of every decision.
#[wasm_bindgen(js_name = policyJson)]
pub fn policy_json() -> Result<String, JsError> {
    Ok(policy()?.policy_ref().to_json())
}
