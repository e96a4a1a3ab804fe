//! How violations combine into one decision: deny > reject > incomplete > review > allow,
//! every violation listed, in a deterministic order.

// Helpers outside `#[test]` functions fail the test by panicking, like the tests themselves.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

mod common;

use cipgate_policy::{CompiledPolicy, GatewayFacts, Outcome};
use common::*;

/// The documented order, weakest first; the oracle the evaluator is checked against.
const ORDER: [&str; 5] = ["allow", "review", "incomplete", "reject", "deny"];

fn status_of(outcome: &str) -> u16 {
    match outcome {
        "allow" | "review" => 200,
        "incomplete" => 422,
        "reject" => 400,
        "deny" => 403,
        other => panic!("unknown outcome {other}"),
    }
}

/// Body rules for each outcome, and facts-only rules keyed on the geolocated country.
fn combining_policy() -> CompiledPolicy {
    policy(
        "input:
  fields:
    deny: {type: boolean, message: m}
    review: {type: boolean, message: m}
    ask: {type: boolean, message: m}
    needed: {type: string, message: m}
    country: {type: string, format: country, message: m}
rules:
  - id: body-deny
    outcome: deny
    when: {field: deny, equals: true}
    message: m
    citation: c
  - id: body-review
    outcome: review
    when: {field: review, equals: true}
    message: m
    citation: c
  - id: body-incomplete
    outcome: incomplete
    require: needed
    when: {field: ask, equals: true}
    message: m
    citation: c
  - id: geo-review
    outcome: review
    when: {fact: geo_country, equals: DE}
    message: m
    citation: c
  - id: geo-incomplete
    outcome: incomplete
    when: {fact: geo_country, equals: FR}
    message: m
    citation: c
  - id: geo-deny
    outcome: deny
    when: {fact: geo_country, equals: CU}
    message: m
    citation: c
",
    )
}

#[test]
fn outcomes_combine_in_the_documented_order() {
    let p = combining_policy();
    let mut seen = std::collections::BTreeSet::new();
    for mask in 0..32u32 {
        let bit = |i: u32| mask & (1 << i) != 0;
        let (deny, review, ask, invalid, malformed) = (bit(0), bit(1), bit(2), bit(3), bit(4));
        for geo_country in [None, Some("DE"), Some("FR"), Some("CU")] {
            let body = if malformed {
                "{\"deny\": ".to_string()
            } else {
                serde_json::json!({
                    "deny": deny,
                    "review": review,
                    "ask": ask,
                    "country": if invalid { "de" } else { "DE" },
                })
                .to_string()
            };
            let facts = GatewayFacts {
                geo_country: geo_country.map(str::to_string),
                ..GatewayFacts::default()
            };
            // What must fire, in the order the decision lists it: validity rules first, then
            // the policy's rules in their order.
            let mut expected: Vec<(&str, &str)> = Vec::new();
            if malformed {
                expected.push(("document.malformed-json", "reject"));
            } else {
                if invalid {
                    expected.push(("input.country", "incomplete"));
                }
                if deny {
                    expected.push(("body-deny", "deny"));
                }
                if review {
                    expected.push(("body-review", "review"));
                }
                if ask {
                    expected.push(("body-incomplete", "incomplete"));
                }
            }
            match geo_country {
                Some("DE") => expected.push(("geo-review", "review")),
                Some("FR") => expected.push(("geo-incomplete", "incomplete")),
                Some("CU") => expected.push(("geo-deny", "deny")),
                _ => {}
            }
            let outcome = expected
                .iter()
                .map(|(_, o)| *o)
                .max_by_key(|o| ORDER.iter().position(|x| x == o))
                .unwrap_or("allow");

            let d = json_facts(&p, &body, &facts);
            let rules: Vec<&str> = expected.iter().map(|(r, _)| *r).collect();
            assert_eq!(d.rule_ids(), rules, "{body} {geo_country:?}");
            assert_eq!(d.outcome.as_str(), outcome, "{body} {geo_country:?}");
            assert_eq!(d.status, status_of(outcome), "{body} {geo_country:?}");
            assert_eq!(
                d.outcome.is_forwarded(),
                outcome == "allow" || outcome == "review"
            );
            seen.insert(outcome);
        }
    }
    // Every outcome occurred, so every pair was compared.
    assert_eq!(seen.len(), ORDER.len());
}

#[test]
fn outcome_enum_orders_and_names_as_documented() {
    let names: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
    assert_eq!(names, ORDER);
    let mut sorted = Outcome::ALL;
    sorted.sort();
    assert_eq!(sorted, Outcome::ALL);
    for o in Outcome::ALL {
        let json = serde_json::to_string(&o).expect("outcome JSON");
        assert_eq!(json, format!("\"{}\"", o.as_str()));
    }
}

#[test]
fn the_default_policy_lists_every_missing_field_in_rule_order() {
    let p = default_policy();
    let d = json(&p, r#"{"customer": {"kind": "individual"}}"#);
    assert_outcome(&d, Outcome::Incomplete, 422);
    // Every requirement of an applicant and of a foreign person fires, not only the first.
    let rules: Vec<&str> = p.ir().rules.iter().map(|r| r.id.as_str()).collect();
    let expected: Vec<&str> = [
        "name-required",
        "email-required",
        "country-required",
        "phone-required",
        "street-required",
        "city-required",
        "payment-method-required",
        "payment-institution-required",
        "payment-country-required",
        "payment-reference-required",
    ]
    .into_iter()
    .filter(|r| rules.contains(r))
    .collect();
    assert!(
        expected.len() >= 8,
        "the default policy lost its requirements: {rules:?}"
    );
    assert_eq!(d.rule_ids(), expected);
    // And in the order the policy declares them.
    let positions: Vec<usize> = d
        .rule_ids()
        .iter()
        .map(|id| rules.iter().position(|r| r == id).expect("a policy rule"))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

#[test]
fn the_rule_ids_runtimes_count_are_sorted_and_cover_what_decisions_name() {
    // Runtimes define a metric per id up front and find a decision's rules by binary search.
    let p = default_policy();
    let ids = p.rule_ids();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let body = r#"{"customer": {"kind": "individual", "email": "nope", "address": {"country": "DE"}},
                  "payment": {"country": "IR"}}"#;
    let d = json(&p, body);
    let fired = d.rule_ids();
    assert!(fired.len() >= 4, "{fired:?}");
    for id in fired {
        assert!(ids.binary_search(&id).is_ok(), "{id} not in {ids:?}");
    }
}

#[test]
fn deny_wins_over_everything_in_the_default_policy() {
    let p = default_policy();
    // Missing data, an invalid value and a restricted payment country at once.
    let body = r#"{"customer": {"kind": "individual", "email": "nope", "address": {"country": "DE"}},
                  "payment": {"country": "IR"}}"#;
    let d = json(&p, body);
    assert_outcome(&d, Outcome::Deny, 403);
    let ids = d.rule_ids();
    assert_eq!(ids.first(), Some(&"input.customer.email"), "{ids:?}");
    for id in [
        "name-required",
        "phone-required",
        "payment-country-restricted",
        "payment-country-differs",
    ] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
    // Each violation keeps its own outcome.
    let outcome_of = |rule: &str| {
        d.violations
            .iter()
            .find(|v| v.rule == rule)
            .map(|v| v.outcome)
    };
    assert_eq!(
        outcome_of("input.customer.email"),
        Some(Outcome::Incomplete)
    );
    assert_eq!(
        outcome_of("payment-country-restricted"),
        Some(Outcome::Deny)
    );
    assert_eq!(outcome_of("payment-country-differs"), Some(Outcome::Review));
}
