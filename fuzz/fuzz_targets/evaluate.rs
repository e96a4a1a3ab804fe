//! Arbitrary bodies through the evaluator of the default policy. Input layout: one byte picks
//! the content type, one the gateway facts, the rest is the body. The decision must be
//! consistent (outcome and status follow from the violations), well-formed JSON, repeatable,
//! and name only rules the policy has.

#![no_main]

use cipgate_fuzz::{content_type, default_policy, facts};
use cipgate_policy::{Code, Outcome, SignupRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [ct, facts_selector, body @ ..] = data else {
        return;
    };
    let policy = default_policy();
    let facts = facts(*facts_selector);
    let request = SignupRequest {
        body,
        content_type: content_type(*ct),
        facts: &facts,
    };
    let decision = policy.evaluate(&request);

    let strongest = decision.violations.iter().map(|v| v.outcome).max();
    assert_eq!(decision.outcome, strongest.unwrap_or(Outcome::Allow));
    assert_eq!(
        decision.outcome.is_forwarded(),
        decision.status == 200,
        "{decision:?}"
    );
    let known = policy.rule_ids();
    let rejected = decision.violations.iter().any(|v| v.code == Code::Rejected);
    for violation in &decision.violations {
        assert!(known.contains(&violation.rule.as_ref()), "{violation:?}");
        // A body that cannot be judged is never also judged field by field.
        assert!(!(rejected && violation.field.is_some()), "{decision:?}");
    }

    let json = decision.to_json();
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("decision JSON");
    assert_eq!(parsed["outcome"], decision.outcome.as_str());
    assert_eq!(parsed["status"], decision.status);
    assert_eq!(policy.evaluate(&request).to_json(), json, "not repeatable");
});
