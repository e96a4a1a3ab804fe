//! Lists of postal-code ranges and of telephone-number prefixes, entries with an outcome,
//! message and dates of their own, and the client's region as a gateway fact.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

mod common;

use cipgate_policy::{GatewayFacts, Outcome};
use common::*;

const ADDRESS: &str = "input:
  fields:
    country: {type: string, format: country, message: m}
    postal_code: {type: string, format: postal_code, country: country, message: m}
    phone: {type: string, format: phone, message: m}
    owners:
      type: list
      message: m
      items:
        country: {type: string, format: country, message: m}
        postal_code: {type: string, format: postal_code, country: owners.country, message: m}
";

const OCCUPIED: &str = "lists:
  occupied-postal-codes:
    type: postal_code
    entries:
      UA 95-98: {reason: Crimea., citation: Crimea range}
      UA 99: {reason: Sevastopol., citation: Sevastopol prefix}
      UA 83000-87999:
        reason: Donetsk oblast, partly occupied.
        citation: Donetsk range
        outcome: review
        message: Part of this oblast is sanctioned; we will review your signup.
      UA 83000-83999: {reason: Donetsk city., citation: Donetsk city range}
      RU 295-299: {reason: Crimea with Russian codes., citation: Russian range}
  occupied-numbers:
    type: phone_number
    entries:
      +7 978: {reason: Crimean mobile., citation: mobile prefix}
      +380 62:
        reason: Donetsk oblast.
        citation: oblast prefix
        outcome: review
        message: Your number is from a partly sanctioned oblast; we will review your signup.
      +380 623: {reason: A narrower prefix., citation: narrower prefix}
rules:
  - id: postal-code-restricted
    outcome: deny
    field: postal_code
    when: {field: postal_code, in_list: occupied-postal-codes}
    message: We cannot open accounts for addresses there.
    citation: rule citation
  - id: owner-postal-code-restricted
    outcome: deny
    for_each: owners
    field: owners.postal_code
    when: {field: owners.postal_code, in_list: occupied-postal-codes}
    message: We cannot open accounts for owners there.
    citation: rule citation
  - id: phone-restricted
    outcome: deny
    field: phone
    when: {field: phone, in_list: occupied-numbers}
    message: We cannot open accounts with these numbers.
    citation: rule citation
";

fn occupied() -> cipgate_policy::CompiledPolicy {
    policy(&format!("{ADDRESS}{OCCUPIED}"))
}

/// (rule, outcome, citation) of the single violation of `body`.
fn single(p: &cipgate_policy::CompiledPolicy, body: &str) -> (String, Outcome, String, String) {
    let d = json(p, body);
    assert_eq!(d.violations.len(), 1, "{body}: {}", d.to_json());
    let v = &d.violations[0];
    (
        v.rule.to_string(),
        v.outcome,
        v.citation.to_string(),
        v.message.to_string(),
    )
}

#[test]
fn postal_codes_in_ranges_and_prefixes_of_their_country() {
    let p = occupied();
    for (body, citation) in [
        (
            r#"{"country": "UA", "postal_code": "95000"}"#,
            "Crimea range",
        ),
        (
            r#"{"country": "UA", "postal_code": "98999"}"#,
            "Crimea range",
        ),
        (
            r#"{"country": "UA", "postal_code": "99011"}"#,
            "Sevastopol prefix",
        ),
        (
            r#"{"country": "RU", "postal_code": "295000"}"#,
            "Russian range",
        ),
        (
            r#"{"country": "RU", "postal_code": "299011"}"#,
            "Russian range",
        ),
    ] {
        let (rule, outcome, cited, _) = single(&p, body);
        assert_eq!(
            (rule.as_str(), outcome, cited.as_str()),
            ("postal-code-restricted", Outcome::Deny, citation),
            "{body}"
        );
    }
    // The edges of the ranges, other countries with the same digits, Kyiv and Moscow.
    for body in [
        r#"{"country": "UA", "postal_code": "94999"}"#,
        r#"{"country": "UA", "postal_code": "01001"}"#,
        r#"{"country": "RU", "postal_code": "294999"}"#,
        r#"{"country": "RU", "postal_code": "101000"}"#,
        r#"{"country": "DE", "postal_code": "95000"}"#,
        r#"{"country": "US", "postal_code": "99011"}"#,
        r#"{"postal_code": "95000"}"#,
    ] {
        assert_allow(&json(&p, body));
    }
}

#[test]
fn an_entry_gives_its_own_outcome_and_message_and_the_longest_prefix_applies() {
    let p = occupied();
    // The oblast's range reviews, with the entry's message...
    let (rule, outcome, citation, message) =
        single(&p, r#"{"country": "UA", "postal_code": "84100"}"#);
    assert_eq!(
        (rule.as_str(), outcome, citation.as_str()),
        ("postal-code-restricted", Outcome::Review, "Donetsk range")
    );
    assert_eq!(
        message,
        "Part of this oblast is sanctioned; we will review your signup."
    );
    assert_eq!(
        json(&p, r#"{"country": "UA", "postal_code": "84100"}"#).status,
        200
    );
    // ...while the city's narrower range, written after it, denies with the rule's message.
    let (_, outcome, citation, message) =
        single(&p, r#"{"country": "UA", "postal_code": "83050"}"#);
    assert_eq!(
        (outcome, citation.as_str()),
        (Outcome::Deny, "Donetsk city range")
    );
    assert_eq!(message, "We cannot open accounts for addresses there.");
    // Phone prefixes likewise: +380 62 reviews, +380 623 (longer) takes the rule's deny.
    let (rule, outcome, citation, _) = single(&p, r#"{"phone": "+380 62 123 4567"}"#);
    assert_eq!(
        (rule.as_str(), outcome, citation.as_str()),
        ("phone-restricted", Outcome::Review, "oblast prefix")
    );
    let (_, outcome, citation, _) = single(&p, r#"{"phone": "+380 623 12 34 56"}"#);
    assert_eq!(
        (outcome, citation.as_str()),
        (Outcome::Deny, "narrower prefix")
    );
}

#[test]
fn phone_prefixes_match_the_normalised_number() {
    let p = occupied();
    for phone in ["+7 978 123 45 67", "+7 (978) 123-45-67", "+79781234567"] {
        let body = serde_json::json!({ "phone": phone }).to_string();
        let (rule, outcome, citation, _) = single(&p, &body);
        assert_eq!(
            (rule.as_str(), outcome, citation.as_str()),
            ("phone-restricted", Outcome::Deny, "mobile prefix"),
            "{phone}"
        );
    }
    // Moscow, Kyiv, and +7 997 (a Kazakh mobile) are not on the list.
    for phone in ["+7 495 123 45 67", "+380 44 123 4567", "+7 997 123 45 67"] {
        let body = serde_json::json!({ "phone": phone }).to_string();
        assert_allow(&json(&p, &body));
    }
}

#[test]
fn list_elements_are_matched_against_their_own_country() {
    let p = occupied();
    let d = json(
        &p,
        r#"{"country": "DE", "postal_code": "10115",
            "owners": [{"country": "DE", "postal_code": "95000"},
                       {"country": "UA", "postal_code": "95000"}]}"#,
    );
    assert_eq!(
        fired(&d),
        vec![v(
            "owner-postal-code-restricted",
            Some("owners.1.postal_code")
        )]
    );
    assert_outcome(&d, Outcome::Deny, 403);
}

#[test]
fn entries_apply_from_their_effective_date_until_they_expire() {
    let p = policy(
        "input:
  fields:
    country: {type: string, format: country, message: m}
lists:
  special-measures:
    type: country
    entries:
      BY:
        reason: A special measure for 2027.
        citation: measure citation
        effective: 2027-01-01
        expires: 2028-01-01T00:00:00Z
rules:
  - id: country-restricted
    outcome: deny
    when: {field: country, in_list: special-measures}
    message: m
    citation: c
",
    );
    let at = |time: Option<i64>| {
        json_facts(
            &p,
            r#"{"country": "BY"}"#,
            &GatewayFacts {
                time,
                ..GatewayFacts::default()
            },
        )
        .rule_ids()
        .len()
    };
    let new_year_2027 = 1_798_761_600;
    let new_year_2028 = 1_830_297_600;
    assert_eq!(at(Some(new_year_2027 - 1)), 0, "before it takes effect");
    assert_eq!(at(Some(new_year_2027)), 1, "from the effective date");
    assert_eq!(at(Some(new_year_2028 - 1)), 1, "until the last second");
    assert_eq!(at(Some(new_year_2028)), 0, "expired");
    // A runtime that does not know the time applies every entry rather than let one lapse.
    assert_eq!(at(None), 1);
}

#[test]
fn geo_region_fact_is_a_subdivision() {
    let p = policy(
        "input:
  fields:
    f: {type: string, message: m}
lists:
  regions:
    type: subdivision
    entries:
      UA-43: {reason: Crimea., citation: Crimea citation}
      UA-14:
        reason: Donetsk oblast.
        citation: Donetsk citation
        outcome: review
        message: Part of this region is sanctioned; we will review your signup.
rules:
  - id: client-region-restricted
    outcome: deny
    when: {fact: geo_region, in_list: regions}
    message: We cannot open accounts from this region.
    citation: rule citation
",
    );
    let region = |code: &str| GatewayFacts {
        geo_region: Some(code.to_string()),
        ..GatewayFacts::default()
    };
    let d = json_facts(&p, "{}", &region("UA-43"));
    assert_outcome(&d, Outcome::Deny, 403);
    assert_eq!(d.violations[0].citation, "Crimea citation");
    assert_eq!(d.violations[0].field, None);
    let d = json_facts(&p, "{}", &region("UA-14"));
    assert_outcome(&d, Outcome::Review, 200);
    // Rules on gateway facts are decided for a rejected body too.
    let d = eval(&p, Some(JSON), b"{", &region("UA-43"));
    assert_outcome(&d, Outcome::Deny, 403);
    for other in ["UA-30", "ua-43", "43", "UA-99", ""] {
        assert_allow(&json_facts(&p, "{}", &region(other)));
    }
}

fn errors(rest: &str) -> Vec<String> {
    diagnostics(rest)
        .items
        .iter()
        .map(|i| format!("{}:{}: {}", i.at.line, i.at.column, i.message))
        .collect()
}

#[test]
fn malformed_entries_are_compile_errors_at_the_entry() {
    let e = errors(&format!(
        "{ADDRESS}lists:
  codes:
    type: postal_code
    entries:
      UA 95-9: {{reason: r, citation: c}}
      UA: {{reason: r, citation: c}}
      XX 95: {{reason: r, citation: c}}
      UA 98-95: {{reason: r, citation: c}}
      UA 9a: {{reason: r, citation: c}}
      UA 95-96: {{reason: r, citation: c, outcome: incomplete}}
      UA 97: {{reason: r, citation: c, effective: 2027-02-30}}
      UA 98: {{reason: r, citation: c, effective: 2027-01-01, expires: 2026-01-01}}
      UA 90: {{reason: r, citation: c}}
  numbers:
    type: phone_number
    entries:
      +999 1: {{reason: r, citation: c}}
      '7978': {{reason: r, citation: c}}
rules:
  - id: r
    outcome: deny
    when: {{field: postal_code, in_list: codes}}
    message: m
    citation: c
"
    ));
    let expected = [
        "21:7: `95-9` is not a prefix or a range of prefixes",
        "22:7: `UA` is not a postal-code entry",
        "23:7: `XX` is not an ISO 3166-1 country code",
        "24:7: `98-95` is not a prefix or a range of prefixes",
        "25:7: `9a` is not a prefix or a range of prefixes",
        "26:51: `incomplete` is not an outcome a list entry can have",
        "27:50: `2027-02-30` is not a date",
        "28:71: the entry expires before it takes effect",
        "33:7: `+999 1` is not a telephone number prefix",
        "34:7: `7978` is not a telephone number prefix",
    ];
    for want in expected {
        assert!(
            e.iter().any(|got| got == want),
            "missing {want:?} in {e:#?}"
        );
    }
    assert_eq!(e.len(), expected.len(), "{e:#?}");
}

#[test]
fn entries_that_share_only_some_codes_are_ambiguous() {
    let e = errors(&format!(
        "{ADDRESS}lists:
  codes:
    type: postal_code
    entries:
      UA 83-87: {{reason: r, citation: c}}
      UA 87-88: {{reason: r, citation: c}}
      UA 830: {{reason: nested, citation: fine}}
      UA 83000-83099: {{reason: nested too, citation: fine}}
      RU 83-87: {{reason: other country, citation: fine}}
rules:
  - id: r
    outcome: deny
    when: {{field: postal_code, in_list: codes}}
    message: m
    citation: c
"
    ));
    assert_eq!(
        e,
        vec!["22:7: this entry covers some of the codes that `UA 83-87` covers".to_string()]
    );
}

#[test]
fn lists_apply_only_to_fields_of_their_kind() {
    let e = errors(&format!(
        "{ADDRESS}{}",
        OCCUPIED.replace(
            "when: {field: phone, in_list: occupied-numbers}",
            "when: {field: country, in_list: occupied-numbers}"
        )
    ));
    assert!(
        e.iter()
            .any(|m| m.contains("is a list of telephone number prefixes")),
        "{e:#?}"
    );
}

#[test]
fn misspelt_words_of_closed_vocabularies_get_the_closest_word() {
    let d = diagnostics(&format!(
        "{ADDRESS}lists:
  codes:
    type: postal_codes
    entries:
      UA 95: {{reason: r, citation: c}}
rules:
  - id: r
    outcome: reveiw
    code: restriced
    when: {{fact: geo_regoin, present: true}}
    message: m
    citation: c
"
    ));
    let found: Vec<(String, Option<String>)> = d
        .items
        .iter()
        .map(|i| (i.message.clone(), i.help.clone()))
        .collect();
    for (message, help) in [
        (
            "unknown list type `postal_codes`",
            "did you mean `postal_code`?",
        ),
        ("unknown outcome `reveiw`", "did you mean `review`?"),
        ("unknown code `restriced`", "did you mean `restricted`?"),
        ("unknown fact `geo_regoin`", "did you mean `geo_region`?"),
    ] {
        assert!(
            found
                .iter()
                .any(|(m, h)| m == message && h.as_deref() == Some(help)),
            "{message}: {found:#?}"
        );
    }
}
