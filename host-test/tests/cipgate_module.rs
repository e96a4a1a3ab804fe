//! The real cipgate Envoy module in the harness, checked against the native evaluator: the
//! same policy, request and gateway facts must give the same decision, however the body is
//! chunked and whether or not trailers end the request.

// Test code: a failed expectation panics.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use cipgate_host_test::{Exchange, HttpRequest, LogLevel, Verdict};
use cipgate_policy::{CompiledPolicy, Decision, GatewayFacts, SignupRequest};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

const CLIENT: &str = "127.0.0.1:50000";
const TIME_SECS: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

const US_PERSON: &str = r#"{"customer":{"kind":"individual","legal_name":"Dana Whitfield","us_person":true,"email":"dana@example.com","phone":"+1 512 555 0142","address":{"line1":"401 Congress Ave","city":"Austin","region":"US-TX","postal_code":"78701","country":"US"}},"payment":{"method":"card","institution":"Chase","country":"US","reference":"4111********1111"}}"#;
const MISSING_PHONE: &str = r#"{"customer":{"kind":"individual","legal_name":"Tomás Ferreira","email":"tomas.ferreira@example.pt","address":{"line1":"Rua Augusta 120","city":"Lisboa","postal_code":"1100-053","country":"PT"}},"payment":{"method":"bank_account","institution":"Caixa Geral de Depósitos","country":"PT","reference":"PT50000201231234567890154"}}"#;
const EMBARGOED: &str = r#"{"customer":{"kind":"individual","legal_name":"Reza Tehrani","email":"reza@example.com","phone":"+98 21 1234 5678","address":{"line1":"1 Valiasr St","city":"Tehran","postal_code":"1234567890","country":"IR"}},"payment":{"method":"card","institution":"Bank Melli","country":"IR","reference":"6037********1234"}}"#;

/// The policy the module embeds by default, compiled natively.
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

fn native(body: &str) -> Decision<'static> {
    native_in(body, None)
}

/// The native decision for a client whose `Accept-Language` is `accept_language`.
fn native_in(body: &str, accept_language: Option<&str>) -> Decision<'static> {
    let facts = GatewayFacts {
        client_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        geo_country: None,
        geo_region: None,
        time: Some(TIME_SECS),
        accept_language: accept_language.map(str::to_string),
    };
    native_policy().evaluate(&SignupRequest {
        body: body.as_bytes(),
        content_type: Some("application/json"),
        facts: &facts,
    })
}

fn request(body: &str) -> HttpRequest {
    HttpRequest::new("POST", "/signup")
        .header("content-type", "application/json")
        .property(&["source", "address"], CLIENT)
        .time_nanos(u64::try_from(TIME_SECS).unwrap() * 1_000_000_000)
        .body(body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Checks one exchange against the native decision; returns whether it was blocked.
fn assert_same_decision(exchange: &Exchange, expected: &Decision) -> bool {
    let policy_hash = native_policy().sha256();
    match &exchange.verdict {
        Verdict::LocalReply {
            status,
            headers,
            body,
            ..
        } => {
            assert_eq!(
                header(headers, "x-cipgate-policy"),
                Some(policy_hash),
                "the module embeds another policy than policies/us-iaas-cip.yaml"
            );
            assert_eq!(*status, u32::from(expected.status));
            assert_eq!(String::from_utf8_lossy(body), expected.to_json());
            assert!(!expected.outcome.is_forwarded());
            true
        }
        Verdict::Forwarded { headers, .. } => {
            assert_eq!(header(headers, "x-cipgate-policy"), Some(policy_hash));
            assert_eq!(
                header(headers, "x-cipgate-outcome"),
                Some(expected.outcome.as_str())
            );
            assert!(expected.outcome.is_forwarded());
            false
        }
        Verdict::Stalled { after } => panic!("the module stalled the request after {after:?}"),
    }
}

#[test]
fn the_module_decides_like_the_native_evaluator_however_the_body_arrives() {
    let module = support::cipgate();
    let mut blocked = Vec::new();
    for body in [US_PERSON, MISSING_PHONE, EMBARGOED] {
        let expected = native(body);
        let deliveries = [
            request(body),
            request(body).chunk_size(7),
            request(body).chunk_size(100).trailers(&[("x-end", "1")]),
        ];
        let mut verdicts = Vec::new();
        for delivery in &deliveries {
            // A fresh instance per delivery: each is what one Envoy worker would do.
            let mut filter = module.instantiate(b"{}").unwrap();
            let exchange = filter.send(delivery).unwrap();
            blocked.push(assert_same_decision(&exchange, &expected));
            // Trailers pass through untouched; compare everything else.
            verdicts.push(match exchange.verdict {
                Verdict::Forwarded { headers, body, .. } => Verdict::Forwarded {
                    headers,
                    body,
                    trailers: None,
                },
                other => other,
            });
        }
        assert!(
            verdicts.windows(2).all(|w| w[0] == w[1]),
            "chunking or trailers changed the verdict: {verdicts:#?}"
        );
    }
    // The cases cover both paths: forwarded (US person) and blocked (embargoed address).
    assert!(!blocked[0] && blocked[8], "{blocked:?}");
}

#[test]
fn the_module_answers_in_the_language_the_client_accepts() {
    let module = support::cipgate();
    for (languages, locale) in [
        (vec!["de-DE,de;q=0.9,en;q=0.5"], "de"),
        // Two header lines are one list.
        (vec!["fr-FR", "de;q=0.8"], "de"),
        (vec!["fr-FR, fr;q=0.9"], "en"),
        (vec!["de;q=oops"], "en"),
    ] {
        let mut delivery = request(EMBARGOED);
        for value in &languages {
            delivery = delivery.header("accept-language", value);
        }
        let expected = native_in(EMBARGOED, Some(&languages.join(", ")));
        assert_eq!(expected.locale, locale, "{languages:?}");
        let exchange = module.instantiate(b"{}").unwrap().send(&delivery).unwrap();
        assert!(assert_same_decision(&exchange, &expected), "{languages:?}");
    }
}

#[test]
fn the_module_answers_a_browser_with_the_page_of_the_same_decision() {
    let module = support::cipgate();
    let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for (referer, back) in [
        ("http://localhost/form", "http://localhost/form"),
        ("https://elsewhere.example/form", "/signup"),
    ] {
        let delivery = request(EMBARGOED)
            .header("accept", firefox)
            .header("accept-language", "de")
            .header("referer", referer);
        let expected = native_in(EMBARGOED, Some("de"));
        let exchange = module
            .instantiate(br#"{"decision_state":true}"#)
            .unwrap()
            .send(&delivery)
            .unwrap();
        let Verdict::LocalReply {
            status,
            headers,
            body,
            ..
        } = &exchange.verdict
        else {
            panic!("a blocked signup was not answered: {:?}", exchange.verdict);
        };
        assert_eq!(*status, u32::from(expected.status));
        assert_eq!(
            header(headers, "content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(header(headers, "vary"), Some("accept, accept-language"));
        assert_eq!(String::from_utf8_lossy(body), expected.to_html(back));
        // The decision kept in filter state is the JSON one, whatever the client reads.
        let kept = &exchange.filter_state[&vec!["cipgate.decision".to_owned()]];
        assert_eq!(String::from_utf8_lossy(kept), expected.to_json());
    }
}

#[test]
fn the_module_counts_decisions_and_leaves_an_audit_record_in_filter_state() {
    let mut filter = support::cipgate().instantiate(b"{}").unwrap();
    let configured = filter.logs();
    assert!(
        configured
            .iter()
            .any(|l| l.level == LogLevel::Info && l.message.contains(native_policy().sha256())),
        "{configured:?}"
    );
    let exchange = filter.send(&request(EMBARGOED)).unwrap();
    let outcome = native(EMBARGOED).outcome;
    let counter = format!("cipgate_decisions.outcome.{}", outcome.as_str());
    assert_eq!(exchange.metrics[&counter], 1);
    // The audit record goes to filter state for Envoy's access log, not to the proxy's log.
    let audit = exchange
        .filter_state
        .get(&vec!["cipgate.audit".to_owned()])
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .unwrap_or_default();
    let record: serde_json::Value = serde_json::from_str(&audit).unwrap();
    assert_eq!(record["event"], "cipgate.decision");
    assert_eq!(record["outcome"], outcome.as_str());
    assert_eq!(record["policy_sha256"], native_policy().sha256());
    assert!(
        !exchange
            .logs
            .iter()
            .any(|l| l.message.contains("cipgate.decision")),
        "{:?}",
        exchange.logs
    );
}

#[test]
fn the_module_writes_the_decision_to_filter_state_only_when_configured() {
    for (config, body) in [(&b"{}"[..], US_PERSON), (b"{}", EMBARGOED)] {
        let exchange = support::cipgate()
            .instantiate(config)
            .unwrap()
            .send(&request(body))
            .unwrap();
        let keys: Vec<_> = exchange.filter_state.keys().cloned().collect();
        assert_eq!(keys, vec![vec!["cipgate.audit".to_owned()]]);
    }
    for body in [US_PERSON, EMBARGOED] {
        let exchange = support::cipgate()
            .instantiate(br#"{"decision_state":true}"#)
            .unwrap()
            .send(&request(body))
            .unwrap();
        let decision = exchange
            .filter_state
            .get(&vec!["cipgate.decision".to_owned()])
            .map(|d| String::from_utf8_lossy(d).into_owned());
        assert_eq!(decision, Some(native(body).to_json()));
    }
}

#[test]
fn the_module_refuses_a_bad_configuration() {
    let error = support::cipgate()
        .instantiate(br#"{"mode":"sometimes"}"#)
        .err()
        .expect("a bad configuration was accepted");
    assert!(
        error.to_string().contains("refused its configuration"),
        "{error}"
    );
}
