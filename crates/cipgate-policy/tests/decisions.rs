//! Golden snapshots of the wire contract: the exact bytes of the decision for each example
//! signup under the default policy, and the default policy's sha256. A change to either is a
//! change of what every gateway answers and of every policy hash, so it must be deliberate:
//! rerun with `CIPGATE_BLESS=1` and review the snapshot diff like code.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use cipgate_policy::{GatewayFacts, SignupRequest};
use common::*;
use std::path::PathBuf;

fn snapshots() -> PathBuf {
    crate_dir().join("tests/snapshots")
}

fn blessing() -> bool {
    std::env::var_os("CIPGATE_BLESS").is_some()
}

/// Compares `actual` with the snapshot file `name`, or writes it when blessing.
fn check(name: &str, actual: &str, stale: &mut Vec<String>) {
    let path = snapshots().join(name);
    if blessing() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with CIPGATE_BLESS=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        stale.push(format!(
            "{name}:\n  snapshot: {expected}\n  now:      {actual}"
        ));
    }
}

/// Facts fixed so the decisions depend on nothing but the body and the locale asked for.
fn facts(accept_language: Option<&str>) -> GatewayFacts {
    GatewayFacts {
        client_ip: Some("203.0.113.7".parse().unwrap()),
        geo_country: Some("DE".into()),
        geo_region: Some("DE-BE".into()),
        time: Some(1_800_000_000),
        accept_language: accept_language.map(str::to_string),
    }
}

#[test]
fn decisions_of_the_examples_are_byte_for_byte_the_snapshots() {
    let policy = default_policy();
    let mut stale = Vec::new();
    let examples = examples();
    assert!(examples.len() >= 7, "the example signups are missing");
    // The default (English), and German as a browser in Switzerland asks for it.
    for (accept_language, suffix) in [(None, ""), (Some("de-CH, de;q=0.9, en;q=0.5"), ".de")] {
        for (name, body) in &examples {
            let decision = policy.evaluate(&SignupRequest {
                body: body.as_bytes(),
                content_type: Some("application/json"),
                facts: &facts(accept_language),
            });
            let json = decision.to_json();
            // The core's own writer gives the bytes serde_json gave before it: the wire
            // format did not change when the runtimes stopped linking serde_json.
            assert_eq!(json, serde_json::to_string(&decision).unwrap(), "{name}");
            check(
                &format!(
                    "decisions/{}",
                    name.replace(".json", &format!("{suffix}.decision.json"))
                ),
                &format!("{json}\n"),
                &mut stale,
            );
        }
    }
    assert!(stale.is_empty(), "decisions changed:\n{}", stale.join("\n"));
}

#[test]
fn default_policy_hash_is_the_snapshot() {
    let source =
        std::fs::read_to_string(crate_dir().join("../../policies/us-iaas-cip.yaml")).unwrap();
    let compiled = cipgate_policy::compile("us-iaas-cip.yaml", &source).unwrap();
    let mut stale = Vec::new();
    check(
        "us-iaas-cip.sha256",
        &format!("{}\n", compiled.policy.sha256()),
        &mut stale,
    );
    assert!(
        stale.is_empty(),
        "the default policy's hash changed:\n{}",
        stale.join("\n")
    );
}
