//! Differential property test: generated signups (valid, near-valid and hostile; JSON and
//! form-encoded; delivered in random chunks, with or without trailers; with and without a
//! trusted geolocation) decided by the native evaluator and by the built Envoy module in the
//! harness. The decision JSON must be the same bytes, and the module must forward exactly the
//! signups whose native outcome is allow or review, byte for byte unchanged.

// Test code: a failed expectation panics.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use cipgate_host_test::{FilterInstance, HttpRequest, Verdict};
use cipgate_policy::{CompiledPolicy, Decision, GatewayFacts, RejectReason, SignupRequest};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

const TIME_SECS: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const CONFIG: &[u8] = br#"{"geo_country_header":"x-geo-country","geo_region_header":"x-geo-region","audit_hash_key":"differential-key-0123","decision_state":true}"#;
/// Cases per run: enough to reach every kind of mutation many times, bounded so the test
/// stays within a few seconds of a debug build.
const CASES: u32 = 1000;

fn native_policy() -> &'static CompiledPolicy {
    static POLICY: OnceLock<CompiledPolicy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/us-iaas-cip.yaml");
        let source = std::fs::read_to_string(path).unwrap();
        cipgate_policy::compile("us-iaas-cip.yaml", &source)
            .unwrap_or_else(|d| panic!("{d}"))
            .policy
    })
}

/// Signups the policy allows, as starting points.
fn bases() -> Vec<Value> {
    vec![
        json!({"customer": {"kind": "individual", "legal_name": "Dana Whitfield", "us_person": true,
            "email": "dana@example.com", "phone": "+1 512 555 0142",
            "address": {"line1": "401 Congress Ave", "city": "Austin", "region": "US-TX",
                        "postal_code": "78701", "country": "US"}},
            "payment": {"method": "card", "institution": "Chase", "country": "US",
                        "reference": "4111********1111"}}),
        json!({"customer": {"kind": "individual", "legal_name": "Lena Vogel", "us_person": false,
            "email": "lena.vogel@example.de", "phone": "+49 30 901820",
            "address": {"line1": "Karl-Marx-Allee 34", "city": "Berlin", "region": "DE-BE",
                        "postal_code": "10178", "country": "DE"}},
            "payment": {"method": "card", "institution": "Commerzbank AG", "country": "DE",
                        "reference": "5355********1208"}}),
        json!({"customer": {"kind": "organization", "legal_name": "Atelier Numérique SAS",
            "email": "billing@atelier-numerique.example.fr", "phone": "+33 1 84 88 20 00",
            "address": {"line1": "18 rue de la Paix", "city": "Paris", "postal_code": "75002",
                        "country": "FR"}},
            "payment": {"method": "bank_account", "institution": "BNP Paribas", "country": "FR",
                        "reference": "FR7630004000031234567890143"},
            "beneficial_owners": [
                {"legal_name": "Claire Martin", "ownership_percent": 60,
                 "address": {"line1": "5 avenue Foch", "city": "Lyon", "postal_code": "69006",
                             "country": "FR"}},
                {"legal_name": "Yusuf Demir", "ownership_percent": 40,
                 "address": {"line1": "Bağdat Caddesi 210", "city": "İstanbul",
                             "postal_code": "34728", "country": "TR"}}]}),
    ]
}

/// Fields the rules read, as paths into the document.
const PATHS: &[&str] = &[
    "customer.kind",
    "customer.legal_name",
    "customer.us_person",
    "customer.email",
    "customer.phone",
    "customer.address.line1",
    "customer.address.city",
    "customer.address.region",
    "customer.address.postal_code",
    "customer.address.country",
    "payment.method",
    "payment.institution",
    "payment.country",
    "payment.reference",
    "beneficial_owners.0.ownership_percent",
    "beneficial_owners.1.address.country",
    "beneficial_owners.1.legal_name",
    "reseller.is_reseller",
    "reseller.cip_attestation",
];

/// Values that mean something to some rule, and look-alikes that must not.
fn meaningful_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            "US",
            "DE",
            "FR",
            "IR",
            "KP",
            "CU",
            "RU",
            "UA",
            "TR",
            "AE",
            "ir",
            "Ir",
            "ＩＲ",
            " IR",
            "IR ",
            "IRN",
            "",
            "XX",
            "US-TX",
            "UA-43",
            "UA-14",
            "DE-BE",
            "RU-MOW",
            "295000",
            "10178",
            "78701",
            "+98 21 5555 0100",
            "+1 512 555 0142",
            "+7 978 555 0100",
            "+49 30 901820",
            "0049 30 901820",
            "individual",
            "organization",
            "card",
            "crypto",
            "bank_account",
            "invoice",
            "Example Restricted Party Ltd",
            "example  restricted party LTD",
            "a@example.com",
            "not an email",
            "true",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![Just(0.0), Just(100.0), Just(-1.0), Just(100.5), Just(1e300)]
            .prop_map(|n| json!(n)),
        Just(Value::Null),
        Just(json!(["IR"])),
        Just(json!({"code": "IR"})),
        "\\PC{0,12}".prop_map(Value::String),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Set(&'static str, Value),
    Remove(&'static str),
}

fn set_path(doc: &mut Value, path: &str, value: Option<Value>) {
    let segments: Vec<&str> = path.split('.').collect();
    let (last, parents) = segments.split_last().unwrap();
    let mut at = doc;
    for segment in parents {
        at = match at {
            Value::Object(map) => map.entry(*segment).or_insert_with(|| json!({})),
            Value::Array(items) => {
                match segment.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                    Some(item) => item,
                    None => return,
                }
            }
            _ => return,
        };
    }
    match (at, value) {
        (Value::Object(map), Some(v)) => {
            map.insert((*last).to_owned(), v);
        }
        (Value::Object(map), None) => {
            map.remove(*last);
        }
        (Value::Array(items), v) => {
            if let Some(slot) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *slot = v.unwrap_or(Value::Null);
            }
        }
        _ => {}
    }
}

/// The document as an HTML form sends it: dotted names, list indices, text values.
fn to_form(value: &Value) -> Vec<u8> {
    fn walk(prefix: &str, value: &Value, out: &mut Vec<String>) {
        let join = |key: &str| {
            if prefix.is_empty() {
                key.to_owned()
            } else {
                format!("{prefix}.{key}")
            }
        };
        match value {
            Value::Object(map) => map.iter().for_each(|(k, v)| walk(&join(k), v, out)),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, v)| walk(&join(&i.to_string()), v, out)),
            Value::String(s) => out.push(format!("{}={}", encode(prefix), encode(s))),
            Value::Null => out.push(format!("{}=", encode(prefix))),
            other => out.push(format!("{}={}", encode(prefix), encode(&other.to_string()))),
        }
    }
    fn encode(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    char::from(b).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    let mut pairs = Vec::new();
    walk("", value, &mut pairs);
    pairs.join("&").into_bytes()
}

/// Text-level tricks a serializer would never produce: (find, replace with).
const TRICKS: &[(&str, &str)] = &[
    (r#""country":"#, r#""Country":"IR","country":"#),
    (r#""country":"#, r#""country":"IR","country":"#),
    (r#""customer":"#, r#""customer":{},"customer":"#),
    (r#""country":""#, r#""\u0063ountry":""#),
    (r#""country":""#, r#""country\u0000":"IR","country":""#),
    ("country=", "Country=IR&customer.address.country="),
    (
        "customer.address.country=",
        "customer_address_country=IR&customer.address.country=",
    ),
    ("{", "\u{feff}{"),
    ("}", "} {}"),
    (":", ": NaN, \"x\":"),
    (r#""US""#, r#""\u0055S""#),
    ("&", "&&"),
    ("&", ";"),
];

#[derive(Debug, Clone)]
struct Case {
    base: usize,
    edits: Vec<Edit>,
    form: bool,
    trick: Option<usize>,
    /// A byte overwritten after encoding, now and then: (where, which byte).
    noise: Option<(prop::sample::Index, u8)>,
    chunk_sizes: Vec<usize>,
    trailers: bool,
    geo: Option<&'static str>,
    region: Option<&'static str>,
    /// The request's `Accept-Language`.
    languages: Option<&'static str>,
}

fn any_case() -> impl Strategy<Value = Case> {
    let edit = prop_oneof![
        3 => (prop::sample::select(PATHS), meaningful_value()).prop_map(|(p, v)| Edit::Set(p, v)),
        1 => prop::sample::select(PATHS).prop_map(Edit::Remove),
    ];
    (
        0..3usize,
        prop::collection::vec(edit, 0..4),
        any::<bool>(),
        prop::option::weighted(0.25, 0..TRICKS.len()),
        prop::option::weighted(
            0.2,
            (
                any::<prop::sample::Index>(),
                prop::sample::select(b"{}[],:\"\\ 0.eu&=%+\x00\xff".to_vec()),
            ),
        ),
        prop::collection::vec(0..300usize, 0..6),
        any::<bool>(),
        (
            prop::sample::select(vec![
                None,
                None,
                Some("DE"),
                Some("IR"),
                Some("US"),
                Some("UA"),
                Some("ir"),
                Some("XX"),
            ]),
            prop::sample::select(vec![
                None,
                None,
                Some("43"),
                Some("UA-43"),
                Some("14"),
                Some("BE"),
                Some("ua-43"),
                Some("RU-43"),
            ]),
            prop::sample::select(vec![
                None,
                None,
                Some("de"),
                Some("de-CH, en;q=0.5"),
                Some("fr"),
                Some("*"),
                Some("de;q=2"),
            ]),
        ),
    )
        .prop_map(
            |(base, edits, form, trick, noise, chunk_sizes, trailers, (geo, region, languages))| {
                Case {
                    base,
                    edits,
                    form,
                    trick,
                    noise,
                    chunk_sizes,
                    trailers,
                    geo,
                    region,
                    languages,
                }
            },
        )
}

fn body_of(case: &Case) -> (Vec<u8>, &'static str) {
    let mut doc = bases().swap_remove(case.base);
    for edit in &case.edits {
        match edit {
            Edit::Set(path, value) => set_path(&mut doc, path, Some(value.clone())),
            Edit::Remove(path) => set_path(&mut doc, path, None),
        }
    }
    let (mut body, content_type) = if case.form {
        (to_form(&doc), "application/x-www-form-urlencoded")
    } else {
        (serde_json::to_vec(&doc).unwrap(), "application/json")
    };
    if let Some((find, replace)) = case.trick.map(|t| TRICKS[t]) {
        let text = String::from_utf8(body).unwrap();
        body = text.replacen(find, replace, 1).into_bytes();
    }
    if let Some((at, byte)) = &case.noise {
        if !body.is_empty() {
            let i = at.index(body.len());
            body[i] = *byte;
        }
    }
    (body, content_type)
}

/// The region the gateway must read from the two location headers, or `None` where it must
/// refuse them: a region is a code within the geolocated country, written alone (`43`, as
/// Envoy's geoip filter sends it) or whole (`UA-43`).
fn region_fact(geo: Option<&str>, region: Option<&str>) -> Option<Option<String>> {
    match (geo, region) {
        (_, None) => Some(None),
        (Some(c), Some(r @ ("43" | "14" | "BE"))) => Some(Some(format!("{c}-{r}"))),
        (Some("UA"), Some("UA-43")) => Some(Some("UA-43".to_owned())),
        _ => None,
    }
}

fn expected(
    body: &[u8],
    content_type: &str,
    geo: Option<&str>,
    region: Option<String>,
    languages: Option<&str>,
) -> Decision<'static> {
    let facts = GatewayFacts {
        client_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        geo_country: geo.map(str::to_owned),
        geo_region: region,
        time: Some(TIME_SECS),
        accept_language: languages.map(str::to_owned),
    };
    let policy = native_policy();
    if body.is_empty() {
        return policy.reject(RejectReason::MissingBody, &facts);
    }
    policy.evaluate(&SignupRequest {
        body,
        content_type: Some(content_type),
        facts: &facts,
    })
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn check(filter: &mut FilterInstance, case: &Case, tally: &mut [usize; 3]) {
    let (body, content_type) = body_of(case);
    let mut request = HttpRequest::new("POST", "/signup")
        .header("content-type", content_type)
        .property(&["source", "address"], "127.0.0.1:40000")
        .time_nanos(u64::try_from(TIME_SECS).unwrap() * 1_000_000_000)
        .body(body.clone())
        .chunk_sizes(&case.chunk_sizes);
    if let Some(geo) = case.geo {
        request = request.header("x-geo-country", geo);
    }
    if let Some(region) = case.region {
        request = request.header("x-geo-region", region);
    }
    if let Some(languages) = case.languages {
        request = request.header("accept-language", languages);
    }
    if case.trailers {
        request = request.trailers(&[("x-end", "1")]);
    }
    let exchange = filter.send(&request).unwrap();

    // A trusted geolocation that is not a country code, or a region that is not a code within
    // it, fails closed before any decision.
    let region = region_fact(case.geo, case.region);
    if case
        .geo
        .is_some_and(|g| !cipgate_policy::tables::is_country(g))
        || region.is_none()
    {
        let Verdict::LocalReply { status, body, .. } = &exchange.verdict else {
            panic!(
                "{:?} {:?} was not refused: {:?}",
                case.geo, case.region, exchange.verdict
            );
        };
        assert_eq!(*status, 503);
        assert!(String::from_utf8_lossy(body).contains("filter_failure"));
        tally[2] += 1;
        return;
    }

    let expected = expected(
        &body,
        content_type,
        case.geo,
        region.flatten(),
        case.languages,
    );
    let json = expected.to_json();
    let state = exchange
        .filter_state
        .get(&vec!["cipgate.decision".to_owned()]);
    assert_eq!(
        state.map(|s| String::from_utf8_lossy(s).into_owned()),
        Some(json.clone()),
        "body: {}",
        String::from_utf8_lossy(&body)
    );
    match &exchange.verdict {
        Verdict::LocalReply {
            status,
            body: reply,
            ..
        } => {
            assert!(!expected.outcome.is_forwarded(), "{json}");
            assert_eq!(*status, u32::from(expected.status));
            assert_eq!(String::from_utf8_lossy(reply), json);
            tally[1] += 1;
        }
        Verdict::Forwarded {
            headers,
            body: forwarded,
            ..
        } => {
            assert!(expected.outcome.is_forwarded(), "{json}");
            assert_eq!(forwarded, &body);
            assert_eq!(
                header(headers, "x-cipgate-outcome"),
                Some(expected.outcome.as_str())
            );
            tally[0] += 1;
        }
        Verdict::Stalled { after } => panic!("stalled after {after:?}"),
    }
}

#[test]
fn generated_signups_decide_the_same_natively_and_in_the_module() {
    // One instance for all cases, as one Envoy worker serves request after request.
    let filter = RefCell::new(support::cipgate().instantiate(CONFIG).unwrap());
    let tally = RefCell::new([0usize; 3]);
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&any_case(), |case| {
            check(&mut filter.borrow_mut(), &case, &mut tally.borrow_mut());
            Ok(())
        })
        .unwrap();
    let [forwarded, blocked, refused] = *tally.borrow();
    eprintln!("differential: {forwarded} forwarded, {blocked} blocked, {refused} refused geo");
    // The generator reaches both sides of the gate, and the geolocation check.
    assert!(forwarded > CASES as usize / 20, "{forwarded} forwarded");
    assert!(blocked > CASES as usize / 4, "{blocked} blocked");
    assert!(refused > 0);
}
