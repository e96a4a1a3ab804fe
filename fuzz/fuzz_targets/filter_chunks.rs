//! The built Envoy module (`dist/us-iaas-cip.wasm`, or `CIPGATE_ENVOY_WASM`) in the wasmtime
//! harness, against the native evaluator. Input layout: one byte picks the content type, one
//! holds flags (bit 0: the request ends with trailers; bits 1-3: the geolocated country the
//! trusted header carries; bits 4-5: the Accept-Language header), one says how many chunk
//! sizes follow, then the chunk sizes
//! (bytes, cycled over the body), then the body.
//!
//! Whatever the body and its chunking: no trap, a local reply or a forwarded request (never
//! a stalled one), forwarded only when the native outcome is allow or review, and the
//! decision JSON is the native one byte for byte.

#![no_main]

use cipgate_fuzz::{content_type, default_policy, repo, TIME_SECS};
use cipgate_host_test::{FilterInstance, FilterModule, HttpRequest, Verdict};
use cipgate_policy::{GatewayFacts, RejectReason, SignupRequest};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

/// The trusted geolocation values the flags pick from; `None` sends no header.
const GEO: [Option<&str>; 4] = [None, Some("DE"), Some("IR"), Some("US")];
/// The Accept-Language values the flags pick from; `None` sends no header.
const LANGUAGES: [Option<&str>; 4] = [None, Some("de"), Some("de-CH, en;q=0.5"), Some("de;q=9")];
const CONFIG: &[u8] =
    br#"{"geo_country_header":"x-geo-country","audit_hash_key":"fuzz-audit-key-0123456789","decision_state":true}"#;

/// One instance for the whole run, as one Envoy worker serves request after request: state
/// that leaked from one request into the next would show up as a different decision.
fn instance() -> &'static Mutex<FilterInstance> {
    static INSTANCE: OnceLock<Mutex<FilterInstance>> = OnceLock::new();
    INSTANCE.get_or_init(|| {
        let wasm = std::env::var_os("CIPGATE_ENVOY_WASM")
            .map_or_else(|| repo().join("dist/us-iaas-cip.wasm"), PathBuf::from);
        let module = FilterModule::from_file(&wasm).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (build it with `cipgate build policies/us-iaas-cip.yaml -o dist`)",
                wasm.display()
            )
        });
        let filter = module
            .instantiate(CONFIG)
            .unwrap_or_else(|e| panic!("instantiating {}: {e}", wasm.display()));
        Mutex::new(filter)
    })
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fuzz_target!(|data: &[u8]| {
    let [ct, flags, count, rest @ ..] = data else {
        return;
    };
    let count = usize::from(*count % 16).min(rest.len());
    let (sizes, body) = rest.split_at(count);
    let trailers = flags & 1 == 1;
    let geo = GEO[usize::from(flags >> 1) % GEO.len()];
    let languages = LANGUAGES[usize::from(flags >> 4) % LANGUAGES.len()];
    let content_type = content_type(*ct);

    let policy = default_policy();
    let facts = GatewayFacts {
        client_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        geo_country: geo.map(str::to_owned),
        geo_region: None,
        time: Some(TIME_SECS),
        accept_language: languages.map(str::to_owned),
    };
    // The gateway refuses a request without a body before it looks at its content type.
    let expected = if body.is_empty() {
        policy.reject(RejectReason::MissingBody, &facts)
    } else {
        policy.evaluate(&SignupRequest {
            body,
            content_type,
            facts: &facts,
        })
    };
    let expected_json = expected.to_json();

    let mut request = HttpRequest::new("POST", "/signup")
        .property(&["source", "address"], "127.0.0.1:40000")
        .time_nanos(u64::try_from(TIME_SECS).unwrap_or(0) * 1_000_000_000)
        .body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    if let Some(country) = geo {
        request = request.header("x-geo-country", country);
    }
    if let Some(languages) = languages {
        request = request.header("accept-language", languages);
    }
    if trailers {
        request = request.trailers(&[("x-checksum", "fuzz")]);
    }
    let mut filter = instance().lock().unwrap_or_else(|p| p.into_inner());
    let sizes: Vec<usize> = sizes.iter().map(|&s| usize::from(s)).collect();
    let exchange = filter
        .send(&request.chunk_sizes(&sizes))
        .unwrap_or_else(|e| panic!("the module failed: {e}"));

    let decision_state = exchange
        .filter_state
        .get(&vec!["cipgate.decision".to_owned()])
        .map(|v| String::from_utf8_lossy(v).into_owned());
    assert_eq!(
        decision_state.as_deref(),
        Some(expected_json.as_str()),
        "the module's decision differs from the native one"
    );
    match exchange.verdict {
        Verdict::LocalReply {
            status,
            body: reply,
            headers,
            ..
        } => {
            assert!(!expected.outcome.is_forwarded(), "{expected_json}");
            assert_eq!(status, u32::from(expected.status));
            assert_eq!(String::from_utf8_lossy(&reply), expected_json);
            assert_eq!(
                header(&headers, "x-cipgate-outcome"),
                Some(expected.outcome.as_str())
            );
        }
        Verdict::Forwarded {
            headers,
            body: forwarded,
            ..
        } => {
            assert!(
                expected.outcome.is_forwarded(),
                "forwarded: {expected_json}"
            );
            assert_eq!(forwarded, body, "the forwarded body changed");
            assert_eq!(
                header(&headers, "x-cipgate-outcome"),
                Some(expected.outcome.as_str())
            );
            assert_eq!(header(&headers, "x-cipgate-policy"), Some(policy.sha256()));
        }
        Verdict::Stalled { after } => panic!("the module stalled the request after {after:?}"),
    }
});
