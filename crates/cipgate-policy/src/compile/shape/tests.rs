//! The shape pass on its own: YAML text in, syntax tree or diagnostics out, no compiled form.
//! No field, list or condition the trees name is declared: resolving names is the check
//! pass's job.

use super::super::diagnostics::Diagnostic;
use super::super::syntax::{
    CondSyntax, FieldTypeSyntax, FormatSyntax, ListEntries, PolicySyntax, SubjectSyntax, TestValue,
};
use super::super::vocabulary::{SubjectWord, TestWord};
use super::super::yaml;
use super::Shape;
use crate::decision::{Code, Outcome};
use crate::ir::{Fact, Scalar};

fn shape(text: &str) -> (Option<CondSyntax>, Vec<Diagnostic>) {
    let node = yaml::parse(text).unwrap();
    let mut shape = Shape::default();
    let syntax = shape.cond(&node);
    (syntax, shape.errors)
}

fn policy(text: &str) -> (PolicySyntax, Vec<Diagnostic>) {
    let header = "cipgate: 1\nid: p\nversion: \"1\"\ntitle: t\nsource: s\n";
    let node = yaml::parse(&format!("{header}{text}")).unwrap();
    let (syntax, errors) = super::policy(&node);
    (syntax.unwrap(), errors)
}

fn messages(errors: &[Diagnostic]) -> Vec<&str> {
    errors.iter().map(|d| d.message.as_str()).collect()
}

#[test]
fn keywords_become_words_and_names_stay_unresolved() {
    // No field is declared: resolving names is the next pass's job.
    let (syntax, errors) = shape(
        "all:\n  - {field: nowhere.declared, equals: 3}\n  - {fact: geo_country, in: [IR, KP]}\n",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let Some(CondSyntax::All { items, at }) = syntax else {
        panic!("not `all`: {syntax:?}");
    };
    assert_eq!((at.line, at.column), (2, 3));
    let [CondSyntax::Test(first), CondSyntax::Test(second)] = items.as_slice() else {
        panic!("{items:?}");
    };
    let SubjectSyntax::Field(SubjectWord::Field, name) = &first.subject else {
        panic!("{:?}", first.subject);
    };
    assert_eq!(name.text, "nowhere.declared");
    assert_eq!(first.test, TestWord::Equals);
    assert!(matches!(first.value, TestValue::Scalar(Scalar::Number(n)) if n == 3.0));
    assert!(matches!(
        second.subject,
        SubjectSyntax::Fact(Fact::GeoCountry)
    ));
    assert!(matches!(&second.value, TestValue::Scalars(v) if v.len() == 2));
}

#[test]
fn errors_of_form_are_reported_with_the_closest_word() {
    let (syntax, errors) = shape("fact: geo_contry\nequals: IR\n");
    assert!(syntax.is_none());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].message, "unknown fact `geo_contry`");
    assert_eq!(
        errors[0].help.as_deref(),
        Some("did you mean `geo_country`?")
    );

    let (_, errors) = shape("field: a\npresent: maybe\n");
    assert_eq!(errors[0].message, "`present` must be true or false");

    let (_, errors) = shape("field: a\nequals: 1\nin: [1]\n");
    assert_eq!(errors[0].message, "a condition needs exactly one test");

    let (_, errors) = shape("any_item: owners\n");
    assert_eq!(errors[0].message, "`any_item` needs a `where:` condition");

    let (_, errors) = shape("not: {field: a, present: true}\nany: []\n");
    assert_eq!(errors[0].message, "`not` must stand alone in its condition");
}

#[test]
fn fields_are_read_with_their_elements_and_formats() {
    let (syntax, errors) = policy(
        "input:\n  fields:\n    owners:\n      type: list\n      message: m\n      items:\n        zip: {type: string, format: postal_code, country: owners.country, message: m}\n        code: {type: string, pattern: \"^[A-Z]+$\", message: m}\nrules: []\n",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let fields = syntax.input.unwrap().fields;
    let [owners] = fields.as_slice() else {
        panic!("{fields:?}");
    };
    let FieldTypeSyntax::List { max_items, items } = &owners.ty else {
        panic!("{:?}", owners.ty);
    };
    assert_eq!(*max_items, 100);
    let names: Vec<&str> = items.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["owners.zip", "owners.code"]);
    // The country's field is named, not resolved.
    let Some(FormatSyntax::PostalCode(Some(country))) = &items[0].format else {
        panic!("{:?}", items[0].format);
    };
    assert_eq!(country.text, "owners.country");
    assert_eq!(
        items[1].format,
        Some(FormatSyntax::Pattern("^[A-Z]+$".to_string()))
    );
}

#[test]
fn a_field_with_a_wrong_name_or_type_is_left_out() {
    let (syntax, errors) = policy(
        "input:\n  fields:\n    bad name: {type: string, message: m}\n    a: {type: strnig, message: m}\n    b: {type: number, min: low, message: m}\n    c: {type: string, pattern: \"\\\\d+\", message: m}\nrules: []\n",
    );
    assert_eq!(
        messages(&errors),
        [
            "`bad name` is not a valid field name",
            "unknown field type `strnig`",
            "`min` must be a number",
            "the pattern `\\d+` uses `\\d`, which needs Unicode tables",
        ]
    );
    let names: Vec<String> = syntax
        .input
        .unwrap()
        .fields
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["b", "c"]);
}

#[test]
fn list_entries_are_checked_against_the_code_tables() {
    let (syntax, errors) = policy(
        "lists:\n  embargoed:\n    type: country\n    hit_score: 0.9\n    entries:\n      IR: {reason: r, citation: c, outcome: deny}\n      ir: {reason: r, citation: c}\n  postal:\n    type: postal_code\n    entries:\n      DE 10000-20000: {reason: r, citation: c}\n      DE 15000-25000: {reason: r, citation: c}\nrules: []\n",
    );
    assert_eq!(
        messages(&errors),
        [
            "the policy has no `input` section",
            "`hit_score` is for names lists",
            "`ir` is not an ISO 3166-1 country code",
            "this entry covers some of the codes that `DE 10000-20000` covers",
        ]
    );
    let ListEntries::Codes(entries) = &syntax.lists[0].entries else {
        panic!("{:?}", syntax.lists[0].entries);
    };
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].outcome, Some(Outcome::Deny));
}

#[test]
fn a_names_list_keeps_the_errors_of_parts_a_file_may_replace() {
    let (syntax, errors) = policy(
        "lists:\n  parties:\n    type: names\n    citation: [a]\n    entries:\n      Ltd: {reason: r, citation: c}\nrules: []\n",
    );
    assert_eq!(messages(&errors), ["the policy has no `input` section"]);
    let ListEntries::Names(names) = &syntax.lists[0].entries else {
        panic!("{:?}", syntax.lists[0].entries);
    };
    let citation = names.citation.as_ref().unwrap();
    assert!(citation.value.is_none());
    assert_eq!(
        messages(&citation.errors),
        ["`citation` must be a single value, not a list"]
    );
    let entries = names.entries.as_ref().unwrap();
    assert_eq!(entries.value.as_ref().map(Vec::len), Some(0));
    assert_eq!(
        messages(&entries.errors),
        ["`Ltd` or one of its aliases has no word to match"]
    );
}

#[test]
fn rules_carry_their_errors_and_unresolved_names() {
    let (syntax, errors) = policy(
        "locales: [en, de]\nrules:\n  - id: r\n    outcome: deny\n    code: restricted\n    require: nowhere\n    message: {en: m}\n    citation: c\n  - id: r\n    outcome: deni\n    when: {fact: time, at_least: 2026-01-01}\n    message: {en: m, de: m}\n",
    );
    // Only the errors outside the rules are the policy's.
    assert_eq!(messages(&errors), ["the policy has no `input` section"]);
    let [first, second] = syntax.rules.as_slice() else {
        panic!("{:?}", syntax.rules);
    };
    assert_eq!(first.outcome, Some(Outcome::Deny));
    assert_eq!(first.code, Some(Some(Code::Restricted)));
    assert_eq!(
        first.require.as_ref().map(|n| n.text.as_str()),
        Some("nowhere")
    );
    assert!(first.errors.is_empty(), "{:?}", first.errors);
    assert_eq!(
        messages(&first.text_errors),
        ["this message has no `de` text"]
    );
    assert_eq!(
        messages(&second.errors),
        [
            "the rule id `r` is used twice (first at line 8)",
            "unknown outcome `deni`",
        ]
    );
    assert_eq!(
        messages(&second.text_errors),
        ["this rule has no `citation`"]
    );
    assert!(second.tests && second.code.is_none());
}
