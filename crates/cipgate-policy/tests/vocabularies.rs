//! Every closed vocabulary of the language answers a misspelt word with the closest word it
//! knows, and every diagnostic carries its stable code.

// Helpers outside `#[test]` functions fail the test by panicking, like the tests themselves.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

mod common;

use cipgate_policy::compile::{ErrorCode, ERROR_CODES};
use common::*;

/// A policy that uses a word of each vocabulary; each case below misspells one.
const BASE: &str = "cipgate: 1
id: words
version: \"1\"
title: Test policy
source: test source
input:
  content_types: [application/json]
  fields:
    country: {type: string, format: country, message: m}
    name: {type: string, message: m}
lists:
  embargoed:
    type: country
    entries:
      IR: {reason: r, citation: c}
  parties:
    type: names
    entries:
      Acme Trading: {reason: r, citation: c}
rules:
  - id: r
    outcome: review
    code: flagged
    field: country
    when: {field: country, in_list: embargoed}
    message: m
    citation: c
  - id: s
    outcome: review
    field: name
    when: {field: name, in_list: parties, country: country}
    message: m
    citation: c
";

#[test]
fn a_misspelt_word_of_every_vocabulary_gets_the_word_meant() {
    compile_text(BASE);
    let cases: &[(&str, &str, &str, &str)] = &[
        // (vocabulary, written, misspelt, meant)
        ("policy keys", "title: Test", "titel: Test", "title"),
        (
            "input keys",
            "  content_types:",
            "  content_type:",
            "content_types",
        ),
        (
            "content types",
            "[application/json]",
            "[application/jsn]",
            "application/json",
        ),
        (
            "field keys",
            "name: {type: string, message",
            "name: {type: string, mesage",
            "message",
        ),
        (
            "field types",
            "name: {type: string",
            "name: {type: strng",
            "string",
        ),
        ("formats", "format: country", "format: countyr", "country"),
        (
            "list keys",
            "country\n    entries",
            "country\n    entires",
            "entries",
        ),
        ("list types", "type: country\n", "type: contry\n", "country"),
        (
            "names-list keys",
            "type: names\n",
            "type: names\n    hit_scor: 0.9\n",
            "hit_score",
        ),
        (
            "entry keys",
            "IR: {reason: r, citation: c}",
            "IR: {reason: r, citaton: c}",
            "citation",
        ),
        (
            "entry outcomes",
            "IR: {reason: r, citation: c}",
            "IR: {reason: r, citation: c, outcome: reveiw}",
            "review",
        ),
        (
            "party keys",
            "Trading: {reason: r, citation: c}",
            "Trading: {reason: r, citation: c, aliasses: [Acme]}",
            "aliases",
        ),
        (
            "rule keys",
            "    code: flagged\n",
            "    code: flagged\n    mesage: m\n",
            "message",
        ),
        (
            "rule outcomes",
            "outcome: review",
            "outcome: reveiw",
            "review",
        ),
        ("rule codes", "code: flagged", "code: flaged", "flagged"),
        (
            "subjects",
            "{field: country, in_list",
            "{feild: country, in_list",
            "field",
        ),
        (
            "tests",
            "country, in_list: embargoed",
            "country, in_lst: embargoed",
            "in_list",
        ),
        (
            "facts",
            "{field: country, in_list: embargoed}",
            "{fact: geo_contry, in_list: embargoed}",
            "geo_country",
        ),
        (
            "combinators",
            "when: {field: country, in_list: embargoed}",
            "when: {al: [{field: country, in_list: embargoed}]}",
            "all",
        ),
        (
            "screening keys",
            "parties, country: country",
            "parties, contry: country",
            "country",
        ),
        (
            "locales",
            "source: test source\n",
            "source: test source\nlocales: [EN]\n",
            "en",
        ),
    ];
    for (vocabulary, written, misspelt, meant) in cases {
        assert!(
            BASE.contains(written),
            "{vocabulary}: `{written}` is not in the policy"
        );
        let d = diagnostics_of(&BASE.replacen(written, misspelt, 1));
        let help = format!("did you mean `{meant}`?");
        assert!(
            d.items
                .iter()
                .any(|i| i.help.as_deref() == Some(help.as_str())),
            "{vocabulary}: no error suggests `{meant}`:\n{d}"
        );
    }
}

#[test]
fn diagnostics_carry_their_code_in_the_text() {
    let d = diagnostics_of(&BASE.replacen("field: name\n", "field: nmae\n", 1));
    assert_eq!(d.items.len(), 1, "{d}");
    assert_eq!(d.items[0].code, ErrorCode::UnknownName);
    assert!(d.to_string().starts_with("error[E0301]: test.yaml:"), "{d}");
    let d = diagnostics_of(&BASE.replacen("outcome: review", "outcome: reveiw", 1));
    assert_eq!(d.items[0].code, ErrorCode::UnknownWord);
    assert!(d.to_string().starts_with("error[E0205]: "), "{d}");
}

#[test]
fn error_codes_are_unique_ordered_and_explained() {
    for pair in ERROR_CODES.windows(2) {
        assert!(
            pair[0].1 < pair[1].1,
            "{} is not before {}",
            pair[0].1,
            pair[1].1
        );
    }
    for (code, text, explanation) in ERROR_CODES {
        assert_eq!(code.as_str(), *text);
        assert_eq!(code.explanation(), *explanation);
        assert!(!explanation.is_empty(), "{text}");
    }
    let guide = std::fs::read_to_string(crate_dir().join("../../docs/policy-language.md"))
        .expect("the language guide");
    for (_, text, explanation) in ERROR_CODES {
        assert!(
            guide.contains(&format!("| {text} | {explanation} |")),
            "docs/policy-language.md does not list {text}"
        );
    }
}
