//! The example signups get the outcomes their README documents, as JSON and as the
//! equivalent form bodies; and the default policy's rules each fire on a one-field variation
//! of a complete signup.

// Helpers outside `#[test]` functions fail the test by panicking, like the tests themselves.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

mod common;

use cipgate_policy::{Code, CompiledPolicy, Decision, GatewayFacts, Outcome};
use common::*;
use serde_json::{json as j, Value};

/// One row of the README table: `| `file.json` | outcome (status): `field` ... |`.
#[derive(Debug)]
struct Expected {
    file: String,
    outcome: String,
    status: Option<u16>,
    fields: Vec<String>,
}

fn documented() -> Vec<Expected> {
    let readme = std::fs::read_to_string(examples_dir().join("README.md")).expect("README.md");
    let mut rows = Vec::new();
    for line in readme.lines() {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        let [file, result] = cells.as_slice() else {
            continue;
        };
        let Some(file) = file
            .strip_prefix('`')
            .and_then(|f| f.strip_suffix(".json`"))
        else {
            continue;
        };
        let outcome: String = result
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        let status = result
            .split_once('(')
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(s, _)| s.parse().expect("status in parentheses"));
        // Backquoted names after the colon are the fields the violations must name.
        let fields = result
            .split_once(':')
            .map(|(_, rest)| {
                rest.split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        rows.push(Expected {
            file: format!("{file}.json"),
            outcome,
            status,
            fields,
        });
    }
    rows
}

fn check(d: &Decision, row: &Expected, how: &str) {
    assert_eq!(
        d.outcome.as_str(),
        row.outcome,
        "{} as {how}: {}",
        row.file,
        d.to_json()
    );
    if let Some(status) = row.status {
        assert_eq!(d.status, status, "{} as {how}", row.file);
    }
    for field in &row.fields {
        assert!(
            d.violations
                .iter()
                .any(|v| v.field.as_deref() == Some(field)),
            "{} as {how}: no violation about {field}: {}",
            row.file,
            d.to_json()
        );
    }
    // An allowed signup has nothing to show.
    if d.outcome == Outcome::Allow {
        assert!(d.violations.is_empty());
    }
}

#[test]
fn the_readme_documents_every_example() {
    let rows = documented();
    let mut documented: Vec<&str> = rows.iter().map(|r| r.file.as_str()).collect();
    documented.sort_unstable();
    let files = examples();
    let present: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(documented, present);
    for row in &rows {
        assert!(
            Outcome::ALL.iter().any(|o| o.as_str() == row.outcome),
            "{}: unknown outcome `{}`",
            row.file,
            row.outcome
        );
    }
}

#[test]
fn examples_get_their_documented_outcomes() {
    let p = default_policy();
    let files = examples();
    for row in documented() {
        let (_, text) = files
            .iter()
            .find(|(name, _)| *name == row.file)
            .unwrap_or_else(|| panic!("{} is documented but missing", row.file));
        check(&json(&p, text), &row, "JSON");
    }
}

#[test]
fn form_bodies_decide_as_the_equivalent_json() {
    let p = default_policy();
    for (name, text) in examples() {
        let doc: Value = serde_json::from_str(&text).expect("example JSON");
        let from_json = json(&p, &text);
        let from_form = form(&p, &json_to_form(&doc));
        assert_eq!(from_form.to_json(), from_json.to_json(), "{name}");
    }
}

#[test]
fn the_content_type_may_carry_a_utf8_charset() {
    let p = default_policy();
    for (name, text) in examples() {
        let plain = json(&p, &text);
        let with_charset = eval(
            &p,
            Some("application/json; charset=utf-8"),
            text.as_bytes(),
            &GatewayFacts::default(),
        );
        assert_eq!(with_charset.to_json(), plain.to_json(), "{name}");
    }
}

// --- the default policy, one change at a time -------------------------------------------------

fn example(name: &str) -> Value {
    let text = std::fs::read_to_string(examples_dir().join(name)).expect("example");
    serde_json::from_str(&text).expect("example JSON")
}

fn complete() -> Value {
    example("foreign-individual-complete.json")
}

fn organization() -> Value {
    example("foreign-organization-with-owners.json")
}

/// JSON pointers and their new values; `null` removes the member.
type Changes<'a> = Vec<(&'a str, Value)>;

fn with(mut doc: Value, changes: &[(&str, Value)]) -> Value {
    for (pointer, value) in changes {
        let (parent, key) = pointer.rsplit_once('/').expect("pointer");
        let target = if parent.is_empty() {
            &mut doc
        } else {
            doc.pointer_mut(parent)
                .unwrap_or_else(|| panic!("{parent}"))
        };
        match value {
            Value::Null => {
                target.as_object_mut().expect("object").remove(key);
            }
            v => {
                target[key] = v.clone();
            }
        }
    }
    doc
}

fn decide<'p>(p: &'p CompiledPolicy, doc: &Value) -> Decision<'p> {
    let d = json(p, &doc.to_string());
    // Every variation decides the same as a form body.
    assert_eq!(form(p, &json_to_form(doc)).to_json(), d.to_json(), "{doc}");
    d
}

fn assert_fires(d: &Decision, outcome: Outcome, rule: &str, field: Option<&str>) {
    assert_eq!(d.outcome, outcome, "{}", d.to_json());
    assert!(
        fired(d).contains(&v(rule, field)),
        "{rule} about {field:?} did not fire: {}",
        d.to_json()
    );
}

#[test]
fn restricted_jurisdictions_are_denied() {
    let p = default_policy();
    let deny = Outcome::Deny;
    let cases: Vec<(Changes, &str, Option<&str>)> = vec![
        (
            vec![
                ("/customer/address/country", j!("CU")),
                ("/customer/address/region", Value::Null),
                ("/customer/address/postal_code", j!("10400")),
            ],
            "address-country-restricted",
            Some("customer.address.country"),
        ),
        (
            vec![("/customer/phone", j!("+850 2 381 2222"))],
            "phone-country-restricted",
            Some("customer.phone"),
        ),
        (
            vec![("/customer/phone", j!("+98 21 8888 0000"))],
            "phone-country-restricted",
            Some("customer.phone"),
        ),
        (
            vec![("/customer/phone", j!("+53 7 123 4567"))],
            "phone-country-restricted",
            Some("customer.phone"),
        ),
        (
            vec![("/payment/country", j!("IR"))],
            "payment-country-restricted",
            Some("payment.country"),
        ),
        (
            vec![
                ("/customer/address/country", j!("UA")),
                ("/customer/address/region", j!("UA-43")),
                ("/customer/address/postal_code", j!("95000")),
            ],
            "address-region-restricted",
            Some("customer.address.region"),
        ),
        (
            vec![
                ("/customer/address/country", j!("UA")),
                ("/customer/address/region", j!("UA-40")),
                ("/customer/address/postal_code", j!("99000")),
            ],
            "address-region-restricted",
            Some("customer.address.region"),
        ),
        (
            vec![
                ("/customer/address/country", j!("RU")),
                ("/customer/address/region", Value::Null),
                ("/customer/address/postal_code", j!("295000")),
            ],
            "address-postal-code-restricted",
            Some("customer.address.postal_code"),
        ),
        (
            vec![
                ("/customer/address/country", j!("RU")),
                ("/customer/address/region", Value::Null),
                ("/customer/address/postal_code", j!("299999")),
            ],
            "address-postal-code-restricted",
            Some("customer.address.postal_code"),
        ),
        (
            vec![("/customer/phone", j!("+7 365 255 1234"))],
            "phone-number-restricted",
            Some("customer.phone"),
        ),
        (
            vec![("/customer/phone", j!("+7 (869) 255-1234"))],
            "phone-number-restricted",
            Some("customer.phone"),
        ),
        (
            // A listed party is denied where it is listed (GB); elsewhere it is reviewed.
            vec![
                ("/customer/legal_name", j!("example  RESTRICTED party ltd")),
                ("/customer/address/country", j!("GB")),
                ("/customer/address/postal_code", j!("SW1A 1AA")),
            ],
            "party-restricted",
            Some("customer.legal_name"),
        ),
    ];
    for (changes, rule, field) in cases {
        let d = decide(&p, &with(complete(), &changes));
        assert_fires(&d, deny, rule, field);
        assert_eq!(d.status, 403);
    }
    // Between and beyond the ranges of the occupied regions, a Russian postal code is not refused.
    for postal in ["282999", "288000", "290999", "300000"] {
        let doc = with(
            complete(),
            &[
                ("/customer/address/country", j!("RU")),
                ("/customer/address/region", Value::Null),
                ("/customer/address/postal_code", j!(postal)),
            ],
        );
        assert!(
            !decide(&p, &doc)
                .rule_ids()
                .contains(&"address-postal-code-restricted"),
            "{postal}"
        );
    }
}

#[test]
fn restricted_beneficial_owners_are_denied() {
    let p = default_policy();
    let d = decide(
        &p,
        &with(
            organization(),
            &[
                ("/beneficial_owners/1/address/country", j!("KP")),
                ("/beneficial_owners/1/address/postal_code", Value::Null),
            ],
        ),
    );
    assert_fires(
        &d,
        Outcome::Deny,
        "owner-country-restricted",
        Some("beneficial_owners.1.address.country"),
    );
    let d = decide(
        &p,
        &with(
            organization(),
            &[
                ("/beneficial_owners/0/address/country", j!("UA")),
                ("/beneficial_owners/0/address/region", j!("UA-43")),
                ("/beneficial_owners/0/address/postal_code", j!("95000")),
            ],
        ),
    );
    assert_fires(
        &d,
        Outcome::Deny,
        "owner-region-restricted",
        Some("beneficial_owners.0.address.region"),
    );
    let d = decide(
        &p,
        &with(
            organization(),
            &[
                ("/beneficial_owners/0/address/country", j!("RU")),
                ("/beneficial_owners/0/address/postal_code", j!("298600")),
            ],
        ),
    );
    assert_fires(
        &d,
        Outcome::Deny,
        "owner-postal-code-restricted",
        Some("beneficial_owners.0.address.postal_code"),
    );
    let listed_owner = [(
        "/beneficial_owners/1/legal_name",
        j!("Example Restricted Party Ltd"),
    )];
    // Screening holds a listed name for review, and denies it where the party is listed.
    let d = decide(&p, &with(organization(), &listed_owner));
    assert_fires(
        &d,
        Outcome::Review,
        "owner-party-restricted",
        Some("beneficial_owners.1.legal_name"),
    );
    let in_gb = [
        listed_owner[0].clone(),
        ("/beneficial_owners/1/address/country", j!("GB")),
        ("/beneficial_owners/1/address/postal_code", j!("SW1A 1AA")),
    ];
    let d = decide(&p, &with(organization(), &in_gb));
    assert_fires(
        &d,
        Outcome::Deny,
        "owner-party-restricted",
        Some("beneficial_owners.1.legal_name"),
    );
}

#[test]
fn a_restricted_client_location_is_denied_whatever_the_body() {
    let p = default_policy();
    for country in ["CU", "IR", "KP"] {
        let facts = geo(country);
        for body in [
            complete().to_string(),
            "{\"customer\": ".to_string(),
            String::new(),
        ] {
            let d = json_facts(&p, &body, &facts);
            assert_fires(&d, Outcome::Deny, "client-location-restricted", None);
            assert_eq!(d.status, 403);
        }
    }
    assert_allow(&json_facts(&p, &complete().to_string(), &geo("DE")));
}

#[test]
fn contradictions_and_partly_restricted_regions_are_reviewed() {
    let p = default_policy();
    let review = Outcome::Review;
    let d = decide(
        &p,
        &with(complete(), &[("/customer/phone", j!("+33 1 84 88 20 00"))]),
    );
    assert_fires(&d, review, "phone-country-differs", Some("customer.phone"));
    let d = decide(&p, &with(complete(), &[("/payment/country", j!("NL"))]));
    assert_fires(
        &d,
        review,
        "payment-country-differs",
        Some("payment.country"),
    );
    let d = decide(
        &p,
        &with(
            complete(),
            &[
                ("/customer/address/country", j!("UA")),
                ("/customer/address/region", j!("UA-14")),
                ("/customer/address/postal_code", j!("83000")),
                ("/customer/phone", j!("+380 62 123 4567")),
                ("/payment/country", j!("UA")),
            ],
        ),
    );
    // The region, the postal code and the phone each show only the oblast: each entry says
    // review, so the restricting rules review rather than deny.
    for (rule, field) in [
        ("address-region-restricted", "customer.address.region"),
        (
            "address-postal-code-restricted",
            "customer.address.postal_code",
        ),
        ("phone-number-restricted", "customer.phone"),
    ] {
        assert_fires(&d, review, rule, Some(field));
    }
    // A US-person claim that the address contradicts is reviewed, and the applicant is then
    // a foreign person who must give everything: the complete example does.
    let d = decide(&p, &with(complete(), &[("/customer/us_person", j!(true))]));
    assert_fires(
        &d,
        review,
        "us-person-claim-contradicted",
        Some("customer.us_person"),
    );
    assert_eq!(d.status, 200);
}

#[test]
fn a_consistent_us_person_needs_little_and_a_contradicted_one_everything() {
    let p = default_policy();
    let us = example("us-person-minimal.json");
    assert_allow(&decide(&p, &us));
    // A consistent US person need not give the means of payment.
    let us = with(us, &[("/payment", Value::Null)]);
    assert_allow(&decide(&p, &us));
    // The same applicant with a German phone number is no consistent US person.
    let d = decide(&p, &with(us, &[("/customer/phone", j!("+49 30 901820"))]));
    assert!(!d.outcome.is_forwarded(), "{}", d.to_json());
    assert!(d.rule_ids().contains(&"us-person-claim-contradicted"));
    assert!(
        d.violations.iter().any(|v| v.code == Code::Missing),
        "{}",
        d.to_json()
    );
}

#[test]
fn region_outside_the_country_is_inconsistent() {
    let p = default_policy();
    let d = decide(
        &p,
        &with(complete(), &[("/customer/address/region", j!("FR-IDF"))]),
    );
    assert_fires(
        &d,
        Outcome::Incomplete,
        "region-outside-country",
        Some("customer.address.region"),
    );
    assert_eq!(d.violations[0].code, Code::Inconsistent);
}

#[test]
fn organizations_need_an_owner_and_resellers_a_cip() {
    let p = default_policy();
    let d = decide(
        &p,
        &with(organization(), &[("/beneficial_owners", Value::Null)]),
    );
    assert_fires(
        &d,
        Outcome::Incomplete,
        "beneficial-owner-required",
        Some("beneficial_owners"),
    );
    let d = decide(&p, &with(organization(), &[("/beneficial_owners", j!([]))]));
    assert_fires(
        &d,
        Outcome::Incomplete,
        "beneficial-owner-required",
        Some("beneficial_owners"),
    );
    let d = decide(
        &p,
        &with(
            organization(),
            &[("/beneficial_owners/0/address/city", Value::Null)],
        ),
    );
    assert_eq!(
        fired(&d),
        vec![v(
            "owner-city-required",
            Some("beneficial_owners.0.address.city")
        )]
    );
    let reseller = example("reseller-without-cip.json");
    let d = decide(
        &p,
        &with(
            reseller,
            &[("/reseller/cip_reference", j!("CIP-2026-0042"))],
        ),
    );
    assert_allow(&d);
}
