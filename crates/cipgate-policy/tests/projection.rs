//! The browser's projection of a policy: no rule that needs the gateway's facts, no private
//! list (not even its entries' text), and for signups where none of those rules fires, the
//! same decision bytes as the full policy, naming the full policy's sha256.

#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

mod common;

use cipgate_policy::{compile, CompiledPolicy, GatewayFacts, SignupRequest};
use common::*;

const PRIVATE: &str = "input:
  content_types: [application/json]
  fields:
    customer.legal_name: {type: string, message: Name.}
    customer.address.country: {type: string, format: country, message: Country.}
lists:
  our-blocklist:
    type: text
    private: true
    entries:
      Wile E. Coyote: {reason: Chargebacks on three accounts., citation: Internal fraud case 2026-17}
  embargoed:
    type: country
    entries:
      IR: {reason: Iran., citation: IR citation}
rules:
  - id: name-blocked
    outcome: deny
    field: customer.legal_name
    when: {field: customer.legal_name, in_list: our-blocklist}
    message: We cannot open this account.
    citation: Provider policy
  - id: client-in-embargoed-country
    outcome: deny
    when: {fact: geo_country, in_list: embargoed}
    message: Signups from this location are not accepted.
    citation: Sanctions
  - id: country-embargoed
    outcome: deny
    field: customer.address.country
    when: {field: customer.address.country, in_list: embargoed}
    message: We cannot serve this country.
    citation: Sanctions
";

fn projection_of(text: &str) -> (cipgate_policy::Compiled, Vec<u8>) {
    let compiled = compile("test.yaml", text).unwrap_or_else(|d| panic!("{d}"));
    let image = compiled.browser_image().unwrap();
    (compiled, image)
}

#[test]
fn private_lists_and_gateway_rules_stay_at_the_gateway() {
    let (full, image) = projection_of(&policy_text(PRIVATE));
    let web = CompiledPolicy::load(&image).unwrap();
    let rules: Vec<&str> = web.ir().rules.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(rules, ["country-embargoed"]);
    assert_eq!(web.ir().lists.len(), 1);
    for secret in [
        "coyote",
        "Chargebacks",
        "Internal fraud case",
        "our-blocklist",
    ] {
        assert!(
            !image.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} is in the browser's image"
        );
    }
    // The full policy still has them, and its decisions still use them.
    assert!(full.bytes.windows(6).any(|w| w == b"coyote"));
    let blocked = json(
        &full.policy,
        r#"{"customer":{"legal_name":"Wile  E. Coyote"}}"#,
    );
    assert_eq!(blocked.rule_ids(), ["name-blocked"]);
    assert!(
        json(&web, r#"{"customer":{"legal_name":"Wile  E. Coyote"}}"#)
            .violations
            .is_empty()
    );
    // Decisions name the full policy, whose image the projection was made from.
    assert_eq!(web.sha256(), full.policy.sha256());
    assert_ne!(web.image_sha256(), full.policy.image_sha256());
}

#[test]
fn the_default_projection_decides_the_examples_as_the_full_policy() {
    let source =
        std::fs::read_to_string(crate_dir().join("../../policies/us-iaas-cip.yaml")).unwrap();
    let (full, image) = projection_of(&source);
    let web = CompiledPolicy::load(&image).unwrap();
    assert!(web.ir().rules.len() < full.policy.ir().rules.len());
    assert!(web
        .ir()
        .rules
        .iter()
        .all(|r| !format!("{:?}", r.when).contains("ClientIp")
            && !format!("{:?}", r.when).contains("GeoCountry")));
    // Messages are public: the page carries every locale.
    assert_eq!(web.locales(), full.policy.locales());
    // What a page knows: the body, the time and its language.
    for lang in [None, Some("de")] {
        let facts = GatewayFacts {
            time: Some(1_800_000_000),
            accept_language: lang.map(str::to_string),
            ..GatewayFacts::default()
        };
        for (name, body) in examples() {
            let request = SignupRequest {
                body: body.as_bytes(),
                content_type: Some(JSON),
                facts: &facts,
            };
            assert_eq!(
                web.evaluate(&request).to_json(),
                full.policy.evaluate(&request).to_json(),
                "{name} {lang:?}"
            );
        }
    }
}
