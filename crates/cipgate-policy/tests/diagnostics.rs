//! The compiler reports every mistake at once, each at the line and column of the policy text
//! that is wrong, with what to write instead.

// Helpers outside `#[test]` functions fail the test by panicking, like the tests themselves.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

mod common;

use cipgate_policy::compile::Position;
use cipgate_policy::{compile, Diagnostic, Diagnostics};
use common::*;

/// Line and column (1-based, in characters) of `needle` in `source`, moved `skip` characters
/// to the right: where a diagnostic about that text must point.
fn at(source: &str, needle: &str, skip: usize) -> Position {
    let offset = source
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is not in the policy"));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line,
        column: source[line_start..offset].chars().count() + 1 + skip,
    }
}

/// The diagnostic at `pos`, failing the test with all of them when there is none.
fn find(d: &Diagnostics, pos: Position) -> &Diagnostic {
    d.items
        .iter()
        .find(|i| i.at == pos)
        .unwrap_or_else(|| panic!("no error at {}:{}; got:\n{d}", pos.line, pos.column))
}

fn assert_error(d: &Diagnostics, pos: Position, message: &str, help: Option<&str>) {
    let item = find(d, pos);
    assert!(
        item.message.contains(message),
        "at {pos:?}: `{}` lacks `{message}`",
        item.message
    );
    if let Some(help) = help {
        let given = item.help.as_deref().unwrap_or_default();
        assert!(
            given.contains(help),
            "at {pos:?}: help `{given}` lacks `{help}`"
        );
    }
}

fn assert_any_error(d: &Diagnostics, message: &str) {
    assert!(
        d.items.iter().any(|i| i.message.contains(message)),
        "no error saying `{message}`:\n{d}"
    );
}

#[test]
fn the_fixture_with_seven_mistakes_reports_each_at_its_place() {
    let path = crate_dir().join("../cipgate-cli/tests/fixtures/five-mistakes.yaml");
    let source = std::fs::read_to_string(&path).expect("fixture");
    let d = match compile("five-mistakes.yaml", &source) {
        Ok(_) => panic!("the fixture compiled"),
        Err(d) => d,
    };
    let expected = [
        (
            at(&source, "ir: {reason", 0),
            "not an ISO 3166-1 country code",
            Some("`IR`"),
        ),
        (
            at(
                &source,
                "id: phone-required\n    outcome: incomplete\n    require: customer.phon\n",
                4,
            ),
            "used twice",
            Some("unique"),
        ),
        (
            at(&source, "customer.phon\n", 0),
            "unknown field `customer.phon`",
            Some("did you mean `customer.phone`?"),
        ),
        (
            at(&source, "embargo}", 0),
            "unknown list `embargo`",
            Some("did you mean `embargoed`?"),
        ),
        (
            at(&source, "\"^\\\\+7(365|869\"", 0),
            "does not compile",
            None,
        ),
        (
            at(&source, "business}", 0),
            "can never be true",
            Some("individual, organization"),
        ),
        (at(&source, "equals: true}", 8), "type mismatch", None),
    ];
    assert_eq!(d.items.len(), expected.len(), "{d}");
    for (pos, message, help) in expected {
        assert_error(&d, pos, message, help);
    }
    // In the order of the file.
    assert!(d.items.windows(2).all(|w| w[0].at <= w[1].at));
    // Rendered: file:line:column, the line, a caret under the column, the help.
    let text = d.to_string();
    assert!(
        text.contains("error[E0501]: five-mistakes.yaml:16:7: "),
        "{text}"
    );
    assert!(
        text.contains("16 |       ir: {reason: embargo, citation: 31 CFR 560}\n   |       ^\n"),
        "{text}"
    );
    assert!(
        text.contains("  help: did you mean `customer.phone`?"),
        "{text}"
    );
    assert!(text.ends_with("7 errors in five-mistakes.yaml"), "{text}");
}

const FIVE_MISTAKES: &str = "cipgate: 1
id: five
version: \"1\"
title: Five different mistakes
source: test
input:
  fields:
    customer.phone: {type: string, format: phone, message: m}
    customer.address.country: {type: string, format: country, message: m}
lists:
  embargoed:
    type: country
    entries:
      CU: {reason: Cuba., citation: c}
      UK: {reason: Not an ISO code (GB is)., citation: c}
rules:
  - id: phone-required
    outcome: incomplete
    require: customer.telephone
    message: m
    citation: c
  - id: country-restricted
    outcome: deny
    when: {field: customer.address.country, in_list: embargoed-countries}
    message: m
    citation: c
  - id: crimea-phone
    outcome: deny
    when: {field: customer.phone, matches: '^\\+7[0-9'}
    message: m
    citation: c
  - id: phone-required
    outcome: review
    when: {field: customer.phone, present: true}
    message: m
    citation: c
";

#[test]
fn a_policy_with_five_different_mistakes_reports_all_five() {
    let d = diagnostics_of(FIVE_MISTAKES);
    let s = FIVE_MISTAKES;
    let expected = [
        (at(s, "UK:", 0), "`UK` is not an ISO 3166-1 country code"),
        (
            at(s, "customer.telephone", 0),
            "unknown field `customer.telephone`",
        ),
        (
            at(s, "embargoed-countries", 0),
            "unknown list `embargoed-countries`",
        ),
        (at(s, "'^\\+7[0-9'", 0), "does not compile"),
        (
            at(s, "phone-required\n    outcome: review", 0),
            "`phone-required` is used twice (first at line 17)",
        ),
    ];
    assert_eq!(d.items.len(), 5, "{d}");
    for (pos, message) in expected {
        assert_error(&d, pos, message, None);
    }
    let text = d.to_string();
    for line in [15, 19, 24, 29, 32] {
        assert!(text.contains(&format!("test.yaml:{line}:")), "{text}");
    }
}

#[test]
fn yaml_duplicate_keys_are_refused() {
    let text = policy_text(
        "input:
  fields:
    f: {type: string, message: m, type: number}
rules: []
",
    );
    let d = diagnostics_of(&text);
    assert_error(
        &d,
        at(&text, "type: number", 0),
        "the key `type` appears twice",
        Some("keep one"),
    );
    let text = format!("{HEADER}id: again\ninput: {{fields: {{}}}}\nrules: []\n");
    let d = diagnostics_of(&text);
    assert_error(
        &d,
        at(&text, "id: again", 0),
        "the key `id` appears twice in this mapping (first at line 2)",
        None,
    );
}

#[test]
fn anchors_aliases_and_tags_are_refused() {
    let text = policy_text(
        "input:
  fields:
    a: &plain {type: string, message: m}
    b: *plain
rules: []
",
    );
    // The error points at the anchored value.
    let d = diagnostics_of(&text);
    assert_error(
        &d,
        at(&text, "{type: string, message: m}\n    b", 0),
        "anchors (`&name`) are not supported",
        None,
    );
    let text = policy_text("input:\n  fields:\n    a: *plain\nrules: []\n");
    // An alias is only valid after an anchor, which is refused first; alone it is no YAML.
    assert_error(
        &diagnostics_of(&text),
        at(&text, "*plain", 0),
        "anchor",
        None,
    );
    let text = policy_text("input:\n  fields:\n    a: !!str x\nrules: []\n");
    assert_any_error(&diagnostics_of(&text), "tags");
    let text = format!("{HEADER}---\n{HEADER}");
    assert_any_error(&diagnostics_of(&text), "one YAML document");
}

#[test]
fn unknown_keys_get_a_did_you_mean() {
    let text = policy_text(
        "input:
  fields:
    f: {type: string, formt: email, message: m}
rules:
  - id: r
    outcom: deny
    when: {field: f, presnt: true}
    message: m
    citation: c
",
    );
    let d = diagnostics_of(&text);
    assert_error(
        &d,
        at(&text, "formt", 0),
        "unknown key `formt`",
        Some("did you mean `format`?"),
    );
    assert_error(
        &d,
        at(&text, "outcom", 0),
        "unknown key `outcom`",
        Some("did you mean `outcome`?"),
    );
    assert_error(
        &d,
        at(&text, "presnt", 0),
        "unknown key `presnt`",
        Some("did you mean `present`?"),
    );
    let text = format!("{HEADER}input: {{fields: {{f: {{type: strng, message: m}}}}}}\nrule: []\n");
    let d = diagnostics_of(&text);
    assert_error(
        &d,
        at(&text, "rule:", 0),
        "unknown key `rule`",
        Some("did you mean `rules`?"),
    );
    assert_error(
        &d,
        at(&text, "strng", 0),
        "unknown field type `strng`",
        Some("did you mean `string`?"),
    );
}

const FIELDS: &str = "input:
  fields:
    country: {type: string, format: country, message: m}
    kind: {type: enum, values: [individual, organization], message: m}
    share: {type: number, min: 0, max: 100, message: m}
    owners:
      type: list
      message: m
      items:
        name: {type: string, message: m}
lists:
  nothing: {type: country, entries: {}}
rules:
";

fn rule_errors(when: &str) -> (String, Diagnostics) {
    let text = policy_text(&format!(
        "{FIELDS}  - id: r\n    outcome: review\n    field: country\n    when: {when}\n    message: m\n    citation: c\n"
    ));
    let d = diagnostics_of(&text);
    (text, d)
}

#[test]
fn rules_that_can_never_fire_are_errors() {
    for (when, needle, message) in [
        (
            "{field: kind, equals: business}",
            "business",
            "can never be true",
        ),
        (
            "{field: kind, in: []}",
            "[]",
            "can never be true: `in` has no values",
        ),
        (
            "{field: share, greater_than: 100}",
            "100}",
            "can never be true",
        ),
        ("{field: share, less_than: 0}", "0}", "can never be true"),
        (
            "{field: country, in_list: nothing}",
            "nothing}",
            "the list `nothing` is empty",
        ),
        (
            "{all: [{field: country, equals: DE}, {field: country, equals: FR}]}",
            "[{",
            "can never be true",
        ),
    ] {
        let (text, d) = rule_errors(when);
        assert_eq!(d.items.len(), 1, "{when}: {d}");
        assert_error(&d, at(&text, needle, 0), message, None);
    }
    let text = policy_text(&format!(
        "{FIELDS}  - id: r\n    outcome: incomplete\n    require: country\n    when: {{field: country, present: true}}\n    message: m\n    citation: c\n"
    ));
    let d = diagnostics_of(&text);
    assert_error(
        &d,
        at(&text, "{field: country, present: true}", 0),
        "can never fire",
        None,
    );
}

#[test]
fn type_mismatches_and_codes_are_checked() {
    for (when, needle, message, help) in [
        ("{field: kind, equals: true}", "true", "type mismatch", None),
        ("{field: share, equals: DE}", "DE", "type mismatch", None),
        (
            "{field: country, less_than: 3}",
            "3}",
            "cannot test a country code",
            None,
        ),
        (
            "{field: country, equals: de}",
            "de}",
            "not an ISO 3166-1 country code",
            Some("`DE`"),
        ),
        (
            "{field: country, equals: XX}",
            "XX",
            "not an ISO 3166-1 country code",
            None,
        ),
        (
            "{field: country, in_networks: [10.0.0.0/8]}",
            "[10",
            "cannot test",
            None,
        ),
        (
            "{fact: client_ip, in_networks: [10.0.0.0/33]}",
            "10.0.0.0/33",
            "is not a network",
            Some("CIDR"),
        ),
        (
            "{fact: time, at_least: 2026-02-30}",
            "2026-02-30",
            "is not a date",
            None,
        ),
        (
            "{fact: weather, equals: DE}",
            "weather",
            "unknown fact `weather`",
            None,
        ),
        (
            "{calling_country: country, equals: DE}",
            "country, equals",
            "needs a field with `format: phone`",
            None,
        ),
        (
            "{field: country, matches: '^[0-9'}",
            "'^",
            "does not compile",
            None,
        ),
        (
            "{field: owners.name, present: true}",
            "owners.name",
            "no element is in scope",
            Some("for_each: owners"),
        ),
        (
            "{condition: missing}",
            "missing}",
            "unknown condition `missing`",
            None,
        ),
    ] {
        let (text, d) = rule_errors(when);
        assert_error(&d, at(&text, needle, 0), message, help);
    }
}

#[test]
fn subdivision_codes_are_checked() {
    let text = policy_text(
        "input:
  fields:
    region: {type: string, format: subdivision, message: m}
lists:
  regions:
    type: subdivision
    entries:
      ua-43: {reason: r, citation: c}
      UA-99: {reason: r, citation: c}
rules: []
",
    );
    let d = diagnostics_of(&text);
    assert_error(
        &d,
        at(&text, "ua-43", 0),
        "not an ISO 3166-2 subdivision code",
        Some("`UA-43`"),
    );
    assert_error(
        &d,
        at(&text, "UA-99", 0),
        "not an ISO 3166-2 subdivision code",
        None,
    );
}

#[test]
fn missing_parts_are_reported_together() {
    let d = diagnostics_of("cipgate: 1\ninput:\n  fields:\n    f: {type: string}\nrules:\n  - id: r\n    outcome: deny\n");
    for message in [
        "the policy has no `id`",
        "the policy has no `version`",
        "the policy has no `title`",
        "the policy has no `source`",
        "the field `f` has no `message`",
        "neither `require` nor `when`",
        "this rule has no `message`",
        "this rule has no `citation`",
    ] {
        assert_any_error(&d, message);
    }
    assert_any_error(&diagnostics_of(""), "empty");
    assert_any_error(
        &diagnostics_of("cipgate: 2\n"),
        "unknown policy language version",
    );
    assert_any_error(&diagnostics_of("id: x\n"), "language version");
    assert_any_error(&diagnostics_of("cipgate: 1\n  id: [\n"), "not valid YAML");
}

#[test]
fn reserved_and_malformed_rule_ids_are_refused() {
    for (id, message) in [
        ("input.f", "reserved"),
        ("document.x", "reserved"),
        ("Phone Required", "characters that are not allowed"),
    ] {
        let text = policy_text(&format!(
            "input: {{fields: {{f: {{type: string, message: m}}}}}}\nrules:\n  - id: {id}\n    outcome: incomplete\n    require: f\n    message: m\n    citation: c\n"
        ));
        assert_error(&diagnostics_of(&text), at(&text, id, 0), message, None);
    }
}

#[test]
fn a_valid_policy_compiles_to_a_stable_hash() {
    let text = policy_text(
        "input: {fields: {f: {type: string, message: m}}}\nrules:\n  - id: r\n    outcome: incomplete\n    require: f\n    message: m\n    citation: c\n",
    );
    let a = compile("a.yaml", &text).expect("compiles");
    let b = compile("b.yaml", &text).expect("compiles");
    assert_eq!(a.bytes, b.bytes);
    assert_eq!(a.policy.sha256(), b.policy.sha256());
    // A comment does not change the compiled form; a message does.
    let commented = compile("c.yaml", &format!("# a comment\n{text}")).expect("compiles");
    assert_eq!(commented.policy.sha256(), a.policy.sha256());
    let changed = compile(
        "d.yaml",
        &text.replace("message: m\n    citation", "message: n\n    citation"),
    )
    .expect("compiles");
    assert_ne!(changed.policy.sha256(), a.policy.sha256());
}
