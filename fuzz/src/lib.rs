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

/// The languages a client may ask for: none, one tag, a list with weights, and a value that
/// does not parse.
const LANGUAGES: [Option<&str>; 4] = [None, Some("de"), Some("de-CH, en;q=0.5"), Some("de;q=9")];

/// Gateway facts from one selector byte: geolocated country, client IP and the languages
/// asked for.
pub fn facts(selector: u8) -> GatewayFacts {
    let geo = GEO
        .get(usize::from(selector) % GEO.len())
        .copied()
        .flatten();
    let ip = CLIENT_IPS
        .get(usize::from(selector / 8) % CLIENT_IPS.len())
        .copied()
        .flatten();
    let languages = LANGUAGES
        .get(usize::from(selector / 24) % LANGUAGES.len())
        .copied()
        .flatten();
    GatewayFacts {
        client_ip: ip,
        geo_country: geo.map(str::to_owned),
        geo_region: None,
        time: Some(TIME_SECS),
        accept_language: languages.map(str::to_owned),
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `policies/us-iaas-cip.yaml`, compiled once per process: its image and the image loaded.
fn compiled() -> &'static (Vec<u8>, CompiledPolicy) {
    static COMPILED: OnceLock<(Vec<u8>, CompiledPolicy)> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let path = repo().join("policies/us-iaas-cip.yaml");
        let source =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        match cipgate_policy::compile("us-iaas-cip.yaml", &source) {
            Ok(compiled) => (compiled.bytes, compiled.policy),
            Err(diagnostics) => panic!("the default policy does not compile:\n{diagnostics}"),
        }
    })
}

pub fn default_policy() -> &'static CompiledPolicy {
    &compiled().1
}

/// The default policy's image, as `cipgate build` writes it.
pub fn default_image() -> &'static [u8] {
    &compiled().0
}

/// The example signups (JSON bodies, and a few as form bodies), loaded once.
pub fn examples() -> &'static [(Vec<u8>, &'static str)] {
    static EXAMPLES: OnceLock<Vec<(Vec<u8>, &'static str)>> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let dir = std::env::var_os("CIPGATE_EXAMPLES").map_or_else(
            || repo().join("policies/examples/signups"),
            PathBuf::from,
        );
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        let mut out: Vec<(Vec<u8>, &'static str)> = paths
            .iter()
            .map(|p| (std::fs::read(p).unwrap_or_default(), "application/json"))
            .collect();
        out.push((
            b"customer.kind=individual&customer.address.country=DE&customer.address.postal_code=10115"
                .to_vec(),
            "application/x-www-form-urlencoded",
        ));
        out
    })
}
