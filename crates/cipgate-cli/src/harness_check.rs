//! `cipgate check --module`: asks the deployed artifact itself. The signup goes through the
//! built Envoy module in the wasmtime harness (`cipgate-host-test`), with the gateway facts
//! delivered the way Envoy delivers them, and the module's own decision JSON comes back.

use cipgate_host_test::{Exchange, FilterModule, HttpRequest, LogLevel, Verdict};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

/// The header the plugin configuration names as the trusted geolocation header; the filter
/// strips client copies of its own `x-cipgate-` headers, so this one must not use the prefix.
const GEO_HEADER: &str = "x-geo-country";
const REGION_HEADER: &str = "x-geo-region";
/// The filter state key where the module leaves the full decision JSON (forwarded requests
/// carry only the outcome and rule ids as headers).
const DECISION_STATE: &str = "cipgate.decision";

/// One signup as the gateway would see it.
pub struct Signup<'a> {
    pub body: &'a [u8],
    pub content_type: Option<&'a str>,
    pub client_ip: Option<IpAddr>,
    pub geo_country: Option<&'a str>,
    /// An ISO 3166-2 code, sent whole as some edges do (Envoy's geoip filter sends `43`).
    pub geo_region: Option<&'a str>,
    /// Seconds since the Unix epoch (the module reads the proxy clock); `None`: system clock.
    pub time: Option<i64>,
    /// The query string of the request's URL, without the `?`.
    pub query: Option<&'a str>,
    /// The request's `Accept-Language` header.
    pub accept_language: Option<&'a str>,
}

/// A built Envoy module, compiled once, deciding signups each in a fresh instance.
pub struct DeployedModule {
    filter: FilterModule,
}

impl DeployedModule {
    /// Loads a built module; its policy image is read and validated first, as the runtime
    /// will, so a damaged module is refused with the reason rather than a failed start.
    pub fn load(module: &Path) -> Result<DeployedModule, String> {
        let bytes = std::fs::read(module)
            .map_err(|e| format!("error: cannot read {}: {e}", module.display()))?;
        crate::runtimes::module_policy(&bytes)
            .map_err(|e| format!("{e} (in {})", module.display()))?;
        FilterModule::from_bytes(&bytes)
            .map(|filter| DeployedModule { filter })
            .map_err(|e| format!("error: {}: {e}", module.display()))
    }

    /// Runs one signup through the module and returns its decision JSON.
    pub fn decide(&self, signup: &Signup<'_>) -> Result<String, String> {
        // Enforce mode: a blocked signup comes back as the local reply carrying the decision.
        let config = match (signup.geo_country, signup.geo_region) {
            (None, None) => r#"{"mode":"enforce","decision_state":true}"#.to_string(),
            (_, None) => format!(
                r#"{{"mode":"enforce","decision_state":true,"geo_country_header":"{GEO_HEADER}"}}"#
            ),
            _ => format!(
                r#"{{"mode":"enforce","decision_state":true,"geo_country_header":"{GEO_HEADER}","geo_region_header":"{REGION_HEADER}"}}"#
            ),
        };
        let mut instance = self
            .filter
            .instantiate(config.as_bytes())
            .map_err(|e| format!("error: {e}"))?;

        let path = match signup.query {
            Some(query) => format!("/signup?{query}"),
            None => "/signup".to_string(),
        };
        let mut request = HttpRequest::new("POST", &path).body(signup.body);
        if let Some(content_type) = signup.content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(country) = signup.geo_country {
            request = request.header(GEO_HEADER, country);
        }
        if let Some(region) = signup.geo_region {
            request = request.header(REGION_HEADER, region);
        }
        if let Some(languages) = signup.accept_language {
            request = request.header("accept-language", languages);
        }
        if let Some(ip) = signup.client_ip {
            // Envoy's `source.address` is the peer's socket address.
            let peer = SocketAddr::new(ip, 50000).to_string();
            request = request.property(&["source", "address"], peer);
        }
        if let Some(secs) = signup.time {
            let nanos = u64::try_from(secs)
                .ok()
                .and_then(|s| s.checked_mul(1_000_000_000))
                .ok_or_else(|| format!("error: time {secs} is out of range"))?;
            request = request.time_nanos(nanos);
        }
        let exchange = instance.send(&request).map_err(|e| format!("error: {e}"))?;
        decision_json(&exchange)
    }
}

fn decision_json(exchange: &Exchange) -> Result<String, String> {
    match &exchange.verdict {
        Verdict::LocalReply { headers, body, .. }
            if headers.iter().any(|(k, _)| k == "x-cipgate-outcome") =>
        {
            String::from_utf8(body.clone())
                .map_err(|_| "error: the module's decision is not UTF-8".to_string())
        }
        Verdict::LocalReply { status, body, .. } => Err(format!(
            "error: the module failed ({status}): {}{}",
            String::from_utf8_lossy(body),
            error_logs(exchange)
        )),
        Verdict::Forwarded { .. } => exchange
            .filter_state
            .get(&vec![DECISION_STATE.to_string()])
            .map(|json| String::from_utf8_lossy(json).into_owned())
            .ok_or_else(|| {
                "error: the module forwarded the signup but does not expose its decision \
                 (filter state `cipgate.decision`); rebuild it from this version of cipgate"
                    .to_string()
            }),
        Verdict::Stalled { after } => Err(format!(
            "error: the module held the request after {after:?} and never answered{}",
            error_logs(exchange)
        )),
    }
}

fn error_logs(exchange: &Exchange) -> String {
    exchange
        .logs
        .iter()
        .filter(|l| l.level >= LogLevel::Error)
        .map(|l| format!("\n  {}", l.message))
        .collect()
}
