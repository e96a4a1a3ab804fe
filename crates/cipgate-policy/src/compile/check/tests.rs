//! The check pass on its own: syntax trees (made by the shape pass, which must find nothing
//! wrong) in, compiled parts or diagnostics out.

use super::super::diagnostics::Diagnostic;
use super::super::{shape, yaml, ListFiles, NoListFiles};
use super::Checked;
use crate::ir::Format;

fn check(text: &str, files: &dyn ListFiles) -> Checked {
    let header = "cipgate: 1\nid: p\nversion: \"1\"\ntitle: t\nsource: s\n";
    let node = yaml::parse(&format!("{header}{text}")).unwrap();
    let (syntax, errors) = shape::policy(&node);
    assert!(errors.is_empty(), "{errors:?}");
    super::policy(&syntax.unwrap(), Vec::new(), files)
}

fn messages(errors: &[Diagnostic]) -> Vec<&str> {
    errors.iter().map(|d| d.message.as_str()).collect()
}

const FIELDS: &str = "input:\n  fields:\n    country: {type: string, format: country, message: m}\n    zip: {type: string, format: postal_code, country: country, message: m}\n    code: {type: string, pattern: \"^[A-Z]+$\", message: m}\n    owners:\n      type: list\n      message: m\n      items:\n        name: {type: string, message: m}\n";

#[test]
fn names_resolve_to_the_declarations_they_name() {
    let checked = check(
        &format!("{FIELDS}rules:\n  - id: r\n    outcome: deny\n    when: {{field: code, matches: \"^[A-Z]+$\"}}\n    message: m\n    citation: c\n"),
        &NoListFiles,
    );
    assert!(checked.errors.is_empty(), "{:?}", checked.errors);
    let names: Vec<&str> = checked.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["country", "zip", "code", "owners", "owners.name"]);
    assert_eq!(
        checked.fields[1].format,
        Some(Format::PostalCode { country: 0 })
    );
    assert_eq!(checked.fields[4].list, Some(3));
    // The field's pattern and the condition's are one.
    assert_eq!(checked.patterns, ["^[A-Z]+$"]);
    assert_eq!(checked.rules[0].field, Some(2));
}

#[test]
fn unknown_names_types_and_scopes_are_reported() {
    let checked = check(
        &format!("{FIELDS}rules:\n  - id: a\n    outcome: deny\n    require: owners.name\n    message: m\n    citation: c\n  - id: b\n    outcome: deny\n    when: {{field: countyr, equals: DE}}\n    message: m\n    citation: c\n  - id: c\n    outcome: deny\n    when: {{field: code, in_list: nowhere}}\n    message: m\n    citation: c\n  - id: d\n    outcome: deny\n    when: {{field: zip, greater_than: 3}}\n    message: m\n    citation: c\n"),
        &NoListFiles,
    );
    assert_eq!(
        messages(&checked.errors),
        [
            "`owners.name` is a field of each element of `owners`, and no element is in scope here",
            "unknown field `countyr`",
            "unknown list `nowhere`",
            "`greater_than` cannot test text: comparisons apply to numbers and the time",
        ]
    );
}

/// Gives every names list the file `FILE`, which cannot be read.
struct Replaced;

impl ListFiles for Replaced {
    fn locate(&self, _list: &str, _source: Option<&str>) -> Option<String> {
        Some("FILE".to_string())
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        Err(format!("cannot read {path}"))
    }

    fn sibling(&self, _path: &str, _name: &str) -> Option<Vec<u8>> {
        None
    }
}

#[test]
fn a_names_list_reports_only_the_parts_it_uses() {
    let policy = "input: {fields: {}}\nlists:\n  parties:\n    type: names\n    entries:\n      Ltd: {reason: r, citation: c}\nrules: []\n";
    let written = check(policy, &NoListFiles);
    assert_eq!(
        messages(&written.errors),
        ["`Ltd` or one of its aliases has no word to match"]
    );
    // A file in place of the entries: theirs are not reported, the missing citation is.
    let replaced = check(policy, &Replaced);
    assert_eq!(
        messages(&replaced.errors),
        ["the list `parties` reads a file but has no `citation`"]
    );
    let cited = check(
        &policy.replace("type: names", "type: names\n    citation: c"),
        &Replaced,
    );
    assert_eq!(messages(&cited.errors), ["cannot read FILE"]);
}

#[test]
fn a_rule_is_asked_which_field_it_is_about_only_when_nothing_else_is_wrong() {
    let rule = "rules:\n  - id: r\n    outcome: review\n    when: {any: [{field: country, equals: DE}, {field: code, equals: A}]}\n";
    // Its message's errors come after, in the order a reader meets them.
    let checked = check(&format!("{FIELDS}{rule}    citation: c\n"), &NoListFiles);
    assert_eq!(
        messages(&checked.errors),
        [
            "say which field this rule is about",
            "this rule has no `message`"
        ]
    );
    let wrong = rule.replace("outcome: review", "outcome: reveiw");
    let checked = check(
        &format!("{FIELDS}{wrong}    message: m\n    citation: c\n"),
        &NoListFiles,
    );
    assert_eq!(messages(&checked.errors), ["unknown outcome `reveiw`"]);
}
