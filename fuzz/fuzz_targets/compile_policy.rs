//! Arbitrary text into the policy compiler: it must return a policy or diagnostics, never
//! panic or hang; a policy it accepts must load back from its compiled form with the same
//! sha256 and decide a signup.

#![no_main]

use cipgate_policy::{CompiledPolicy, GatewayFacts, SignupRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    match cipgate_policy::compile("fuzz.yaml", source) {
        Ok(compiled) => {
            let loaded = CompiledPolicy::load(&compiled.bytes)
                .unwrap_or_else(|e| panic!("the compiler wrote a form that does not load: {e}"));
            assert_eq!(loaded.sha256(), compiled.policy.sha256());
            let facts = GatewayFacts::default();
            for body in [&br#"{"customer":{"kind":"individual"}}"#[..], b"a=b", b"{"] {
                for content_type in ["application/json", "application/x-www-form-urlencoded"] {
                    let request = SignupRequest {
                        body,
                        content_type: Some(content_type),
                        facts: &facts,
                    };
                    assert_eq!(
                        loaded.evaluate(&request).to_json(),
                        compiled.policy.evaluate(&request).to_json()
                    );
                }
            }
        }
        Err(diagnostics) => assert!(!diagnostics.to_string().is_empty()),
    }
});
