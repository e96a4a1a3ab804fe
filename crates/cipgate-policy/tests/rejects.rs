//! Every reason to reject a body that cannot be judged safely, through `evaluate`, with its
//! status and its `document.*` rule id.

// Helpers outside `#[test]` functions fail the test by panicking, like the tests themselves.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

mod common;

use cipgate_policy::{Code, CompiledPolicy, GatewayFacts, Outcome, RejectReason};
use common::*;
use std::collections::BTreeSet;

fn small_policy() -> CompiledPolicy {
    policy(
        "input:
  content_types: [application/json, application/x-www-form-urlencoded]
  max_body_bytes: 256
  max_depth: 4
  fields:
    f: {type: string, message: m}
rules:
  - id: f-required
    outcome: incomplete
    require: f
    message: m
    citation: c
",
    )
}

/// (content type, body, rule id, status)
fn cases() -> Vec<(Option<&'static str>, Vec<u8>, &'static str, u16)> {
    let json = Some(JSON);
    let form = Some(FORM);
    let mut cases: Vec<(Option<&'static str>, Vec<u8>, &'static str, u16)> = Vec::new();
    let mut add = |ct: Option<&'static str>, bodies: &[&[u8]], rule: &'static str, status: u16| {
        for body in bodies {
            cases.push((ct, body.to_vec(), rule, status));
        }
    };
    add(
        json,
        &[
            b"{\"f\": \"\xff\"}",
            b"{\"f\": \"\xc3\x28\"}",
            b"\xed\xa0\x80",
        ],
        "document.not-utf8",
        400,
    );
    add(
        form,
        &[b"f=%FF", b"f=\xff", b"f%C3=1"],
        "document.not-utf8",
        400,
    );
    add(
        json,
        &[b"\xEF\xBB\xBF{\"f\": \"x\"}"],
        "document.byte-order-mark",
        400,
    );
    add(
        json,
        &[
            b"{\"f\": }",
            b"{'f': 'x'}",
            b"{\"f\": 01}",
            b"{\"f\": \"x\",}",
            b"[1,]",
            b"{\"f\": NaN}",
            b"{\"f\": Infinity}",
            b"{\"f\": \"x\"",
            b"{\"f\": \"a\tb\"}",
            b"{f: \"x\"}",
        ],
        "document.malformed-json",
        400,
    );
    add(
        json,
        &[b"{} {}", b"{\"f\": \"x\"}x", b"{}\n]", b"1 2"],
        "document.trailing-data",
        400,
    );
    add(
        json,
        &[
            b"{\"f\": \"x\", \"f\": \"x\"}",
            b"{\"a\": {\"b\": {\"c\": 1, \"c\": 2}}}",
            b"{\"a\": [{\"x\": 1}, {\"x\": 1, \"x\": 1}]}",
            // The same key once escaped: equal after decoding.
            b"{\"f\": \"x\", \"\\u0066\": \"y\"}",
        ],
        "document.duplicate-key",
        400,
    );
    add(
        json,
        &[
            b"{\"a\": {\"b\": {\"c\": {\"d\": {}}}}}",
            b"[[[[[]]]]]",
            b"{\"a\": [[[{}]]]}",
        ],
        "document.too-deep",
        400,
    );
    add(form, &[b"a.b.c.d.e=1"], "document.too-deep", 400);
    add(
        json,
        &[format!("{{\"f\": \"{}\"}}", "x".repeat(300)).as_bytes()],
        "document.too-large",
        413,
    );
    add(
        form,
        &[format!("f={}", "x".repeat(300)).as_bytes()],
        "document.too-large",
        413,
    );
    // Size is decided before syntax: a large garbage body is too large, not malformed.
    add(json, &[&[0xff; 257]], "document.too-large", 413);
    add(
        json,
        &[b"{\"f\": 1e400}", b"{\"f\": -1e999}", b"[1E309]"],
        "document.non-finite-number",
        400,
    );
    add(
        json,
        &[
            b"{\"f\": \"\\x\"}",
            b"{\"f\": \"\\ud800\"}",
            b"{\"f\": \"\\udc00x\"}",
            b"{\"f\": \"\\u12\"}",
        ],
        "document.invalid-escape",
        400,
    );
    add(
        form,
        &[
            b"f=%ZZ",
            b"f=%4",
            b"f=1&&g=2",
            b"f=1&",
            b"f",
            b"=x",
            b"f=a=b",
            b"a[b]=1",
            b"f=1;g=2",
            b"a..b=1",
        ],
        "document.malformed-form",
        400,
    );
    add(
        form,
        &[
            b"f=1&f=2",
            b"f=1&f=1",
            b"a=1&a.b=2",
            b"a.b=2&a=1",
            b"a.0=x&a.2=y",
            b"a.01=x",
            b"a.0=x&a.b=y",
        ],
        "document.ambiguous-form-keys",
        400,
    );
    for ct in [
        None,
        Some("text/plain"),
        Some("application/json; charset=latin1"),
        Some("multipart/form-data; boundary=x"),
        Some("application/merge-patch+json"),
        Some(""),
    ] {
        add(
            ct,
            &[b"{\"f\": \"x\"}"],
            "document.unsupported-content-type",
            415,
        );
    }
    add(json, &[b"", b" \r\n\t"], "document.missing-body", 400);
    add(form, &[b""], "document.missing-body", 400);
    cases
}

#[test]
fn every_reject_reason_through_evaluate() {
    let p = small_policy();
    let facts = GatewayFacts::default();
    for (ct, body, rule, status) in cases() {
        let d = eval(&p, ct, &body, &facts);
        let shown = String::from_utf8_lossy(&body);
        assert_eq!(
            (d.outcome, d.status),
            (Outcome::Reject, status),
            "{ct:?} {shown:?}: {}",
            d.to_json()
        );
        assert_eq!(d.rule_ids(), vec![rule], "{ct:?} {shown:?}");
        let violation = &d.violations[0];
        assert_eq!(violation.code, Code::Rejected);
        assert_eq!(violation.outcome, Outcome::Reject);
        assert_eq!(violation.field, None);
        assert!(!violation.message.is_empty() && !violation.citation.is_empty());
        assert!(!d.outcome.is_forwarded());
    }
}

#[test]
fn every_document_rule_of_the_policy_is_reachable() {
    let p = small_policy();
    let documented: BTreeSet<&str> = p
        .rule_ids()
        .into_iter()
        .filter(|id| id.starts_with("document."))
        .collect();
    let mut reached: BTreeSet<&str> = cases().iter().map(|(_, _, rule, _)| *rule).collect();
    // A compressed body is refused by the runtime before evaluation.
    let d = p.reject(RejectReason::UnsupportedEncoding, &GatewayFacts::default());
    assert_outcome(&d, Outcome::Reject, 415);
    reached.insert("document.unsupported-content-encoding");
    assert_eq!(d.rule_ids(), vec!["document.unsupported-content-encoding"]);
    assert_eq!(reached, documented);
}

#[test]
fn reject_gives_the_same_decision_as_evaluate() {
    let p = small_policy();
    let facts = GatewayFacts::default();
    let big = vec![b'x'; 300];
    assert_eq!(
        p.reject(RejectReason::TooLarge, &facts).to_json(),
        eval(&p, Some(JSON), &big, &facts).to_json()
    );
    assert_eq!(
        p.reject(RejectReason::UnsupportedContentType, &facts)
            .to_json(),
        eval(&p, Some("text/plain"), b"{}", &facts).to_json()
    );
}

#[test]
fn bodies_at_the_limits_are_read() {
    let p = small_policy();
    // Exactly max_body_bytes, exactly max_depth.
    let body = format!("{{\"f\": \"{}\"}}", "x".repeat(256 - 9));
    assert_eq!(body.len(), 256);
    assert_allow(&json(&p, &body));
    assert_allow(&json(&p, r#"{"f": "x", "a": {"b": {"c": {}}}}"#));
    assert_allow(&form(&p, "f=x&a.b.c.d=1"));
    // A well-formed body that is not an object is judged, not rejected: its shape makes the
    // field invalid.
    for body in ["[]", "\"f\"", "null", "1"] {
        let d = json(&p, body);
        assert_eq!(
            d.rule_ids(),
            vec![if body == "null" {
                "f-required"
            } else {
                "input.f"
            }],
            "{body}"
        );
    }
}

#[test]
fn a_json_only_policy_rejects_form_bodies() {
    let p = policy(
        "input:
  fields:
    f: {type: string, message: m}
rules:
  - id: f-required
    outcome: incomplete
    require: f
    message: m
    citation: c
",
    );
    let d = form(&p, "f=x");
    assert_outcome(&d, Outcome::Reject, 415);
    assert_eq!(d.rule_ids(), vec!["document.unsupported-content-type"]);
}
