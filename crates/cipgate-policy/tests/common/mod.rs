//! Shared helpers of the integration tests: compile an inline policy, evaluate a body, and
//! read the parts of a decision that tests assert on.

// Each test file uses its own subset of these helpers, and they fail a test by panicking.
#![allow(
    dead_code,
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use cipgate_policy::{
    compile, Code, CompiledPolicy, Decision, Diagnostics, GatewayFacts, Outcome, SignupRequest,
};
use std::path::PathBuf;

pub const JSON: &str = "application/json";
pub const FORM: &str = "application/x-www-form-urlencoded";

/// The metadata every inline test policy starts with.
pub const HEADER: &str = "cipgate: 1
id: test-policy
version: \"1\"
title: Test policy
source: test source
";

/// A complete policy: [`HEADER`] followed by `rest` (input, lists, conditions, rules).
pub fn policy_text(rest: &str) -> String {
    format!("{HEADER}{rest}")
}

/// Compiles `HEADER + rest`, failing the test with the rendered diagnostics.
pub fn policy(rest: &str) -> CompiledPolicy {
    compile_text(&policy_text(rest))
}

pub fn compile_text(text: &str) -> CompiledPolicy {
    match compile("test.yaml", text) {
        Ok(c) => c.policy,
        Err(d) => panic!("the test policy does not compile:\n{d}\n--- policy ---\n{text}"),
    }
}

/// Compiles `HEADER + rest` and returns its diagnostics, failing the test if it compiles.
pub fn diagnostics(rest: &str) -> Diagnostics {
    diagnostics_of(&policy_text(rest))
}

pub fn diagnostics_of(text: &str) -> Diagnostics {
    match compile("test.yaml", text) {
        Ok(_) => panic!("the policy compiled, but errors were expected:\n{text}"),
        Err(d) => d,
    }
}

pub fn eval<'p>(
    policy: &'p CompiledPolicy,
    content_type: Option<&str>,
    body: &[u8],
    facts: &GatewayFacts,
) -> Decision<'p> {
    policy.evaluate(&SignupRequest {
        body,
        content_type,
        facts,
    })
}

pub fn json<'p>(policy: &'p CompiledPolicy, body: &str) -> Decision<'p> {
    eval(
        policy,
        Some(JSON),
        body.as_bytes(),
        &GatewayFacts::default(),
    )
}

pub fn json_facts<'p>(
    policy: &'p CompiledPolicy,
    body: &str,
    facts: &GatewayFacts,
) -> Decision<'p> {
    eval(policy, Some(JSON), body.as_bytes(), facts)
}

pub fn form<'p>(policy: &'p CompiledPolicy, body: &str) -> Decision<'p> {
    eval(
        policy,
        Some(FORM),
        body.as_bytes(),
        &GatewayFacts::default(),
    )
}

pub fn geo(country: &str) -> GatewayFacts {
    GatewayFacts {
        geo_country: Some(country.to_string()),
        ..GatewayFacts::default()
    }
}

/// `(rule, field)` of every violation, in decision order.
pub fn fired(d: &Decision<'_>) -> Vec<(String, Option<String>)> {
    d.violations
        .iter()
        .map(|v| (v.rule.to_string(), v.field.as_deref().map(str::to_string)))
        .collect()
}

/// One `(rule, field)` pair as [`fired`] lists it.
pub fn v(rule: &str, field: Option<&str>) -> (String, Option<String>) {
    (rule.to_string(), field.map(str::to_string))
}

/// Asserts outcome and status, showing the whole decision when they differ.
pub fn assert_outcome(d: &Decision<'_>, outcome: Outcome, status: u16) {
    assert_eq!(
        (d.outcome, d.status),
        (outcome, status),
        "decision: {}",
        d.to_json()
    );
}

/// Asserts the decision is `allow` with no violations.
pub fn assert_allow(d: &Decision<'_>) {
    assert_outcome(d, Outcome::Allow, 200);
    assert!(d.violations.is_empty(), "decision: {}", d.to_json());
}

/// Asserts exactly one violation, of `rule` about `field` with `code`; returns it.
pub fn assert_single<'d, 'p>(
    d: &'d Decision<'p>,
    rule: &str,
    field: Option<&str>,
    code: Code,
) -> &'d cipgate_policy::Violation<'p> {
    assert_eq!(fired(d), vec![v(rule, field)], "decision: {}", d.to_json());
    let violation = &d.violations[0];
    assert_eq!(violation.code, code, "decision: {}", d.to_json());
    violation
}

/// Asserts the only violation is the validity rule of `field`: code invalid, outcome incomplete.
pub fn assert_invalid(d: &Decision<'_>, field: &str) {
    assert_outcome(d, Outcome::Incomplete, 422);
    let rule = format!("input.{field}");
    assert_single(d, &rule, Some(field), Code::Invalid);
}

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The default policy of the repository, compiled.
pub fn default_policy() -> CompiledPolicy {
    let path = crate_dir().join("../../policies/us-iaas-cip.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    compile_text(&text)
}

/// The example signups of the default policy (`policies/examples/signups`).
pub fn examples_dir() -> PathBuf {
    crate_dir().join("../../policies/examples/signups")
}

/// Every example signup as `(file name, JSON text)`, sorted by name.
pub fn examples() -> Vec<(String, String)> {
    let dir = examples_dir();
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&p).expect("example text");
            (name, text)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no example signups in {}", dir.display());
    out
}

/// The form body equivalent to a JSON document: dotted keys, list indices, percent-encoded
/// values; `null` becomes an empty value, as a browser sends an empty control.
pub fn json_to_form(value: &serde_json::Value) -> String {
    let mut pairs = Vec::new();
    flatten(value, String::new(), &mut pairs);
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn flatten(value: &serde_json::Value, prefix: String, out: &mut Vec<(String, String)>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        serde_json::Value::Object(members) => {
            for (k, v) in members {
                flatten(v, join(k), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(v, join(&i.to_string()), out);
            }
        }
        serde_json::Value::Null => out.push((prefix, String::new())),
        serde_json::Value::Bool(b) => out.push((prefix, b.to_string())),
        serde_json::Value::Number(n) => out.push((prefix, n.to_string())),
        serde_json::Value::String(s) => out.push((prefix, s.clone())),
    }
}

/// `application/x-www-form-urlencoded` encoding as browsers do it: space as `+`, every byte
/// outside `[A-Za-z0-9*-._]` as `%XX`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
