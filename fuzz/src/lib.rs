//! What the fuzz targets share: the default policy compiled once, and how the leading bytes
//! of a fuzz input pick a request's content type and gateway facts. `seeds.py` writes seed
//! inputs in the same layout, so keep the two in step.

use cipgate_policy::{CompiledPolicy, GatewayFacts};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::OnceLock;

/// Content types a selector byte picks from: the two the policy reads, variants of them
/// that must read the same, and ones it must refuse.
pub const CONTENT_TYPES: [Option<&str>; 10] = [
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    Some("application/json; charset=utf-8"),
    Some("Application/X-WWW-Form-Urlencoded;charset=\"UTF-8\""),
    None,
    Some("text/plain"),
    Some("multipart/form-data; boundary=x"),
    Some("application/json; charset=latin1"),
    Some("application/json;"),
    Some(""),
];

/// Geolocated countries a selector picks from (as a trusted edge would set them).
const GEO: [Option<&str>; 6] = [
    None,
    Some("DE"),
    Some("IR"),
    Some("US"),
    Some("KP"),
    Some("ir"),
];

const CLIENT_IPS: [Option<IpAddr>; 3] = [
    Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    None,
    Some(IpAddr::V6(Ipv6Addr::LOCALHOST)),
];

/// 2026-01-01T00:00:00Z: a fixed time so decisions repeat.
pub const TIME_SECS: i64 = 1_767_225_600;

pub fn content_type(selector: u8) -> Option<&'static str> {
    CONTENT_TYPES
        .get(usize::from(selector) % CONTENT_TYPES.len())
        .copied()
        .flatten()
}

/// Gateway facts from one selector byte: geolocated country and client IP.
pub fn facts(selector: u8) -> GatewayFacts {
    let geo = GEO
        .get(usize::from(selector) % GEO.len())
        .copied()
        .flatten();
    let ip = CLIENT_IPS
        .get(usize::from(selector / 8) % CLIENT_IPS.len())
        .copied()
        .flatten();
    GatewayFacts {
        client_ip: ip,
        geo_country: geo.map(str::to_owned),
        time: Some(TIME_SECS),
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `policies/us-iaas-cip.yaml`, compiled once per process.
pub fn default_policy() -> &'static CompiledPolicy {
    static POLICY: OnceLock<CompiledPolicy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let path = repo().join("policies/us-iaas-cip.yaml");
        let source =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        match cipgate_policy::compile("us-iaas-cip.yaml", &source) {
            Ok(compiled) => compiled.policy,
            Err(diagnostics) => panic!("the default policy does not compile:\n{diagnostics}"),
        }
    })
}
