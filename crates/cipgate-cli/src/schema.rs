//! `cipgate schema policy|tests`: JSON Schemas of the policy file and the test-case file, for
//! YAML language servers (completion, inline errors). Every key and every closed vocabulary
//! comes from the tables the compiler reads policies by (`compile::vocabulary`) and the test
//! runner reads cases by, so the schema cannot promise what the compiler refuses.

use cipgate_policy::compile::vocabulary::*;
use cipgate_policy::locale;
use serde_json::{json, Map, Value};

const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// An object schema with exactly these keys, each with its schema.
fn object(keys: &[&str], schema_of: impl Fn(&str) -> Value, required: &[&str]) -> Value {
    let properties: Map<String, Value> =
        keys.iter().map(|k| (k.to_string(), schema_of(k))).collect();
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn text() -> Value {
    json!({"type": "string", "minLength": 1})
}

/// A YAML scalar the compiler reads as text: `version: 1` is as good as `version: "1"`.
fn scalar() -> Value {
    json!({"type": ["string", "number", "boolean"]})
}

fn enumeration(words: Vec<&str>) -> Value {
    json!({"enum": words})
}

/// A `message:`: one text, or a text per locale. Which locales a policy declares is not the
/// schema's to know; the compiler checks that each message has exactly those.
fn message() -> Value {
    json!({"oneOf": [text(), {
        "type": "object",
        "propertyNames": enumeration(locale::BUILT_IN.to_vec()),
        "additionalProperties": text(),
        "minProperties": 1,
    }]})
}

pub fn policy() -> Value {
    let field = |with_items: bool| {
        object(
            FIELD_KEYS,
            move |k| match k {
                "type" => enumeration(names(FIELD_TYPES)),
                "format" => enumeration(names(FORMATS)),
                "values" => json!({"type": "array", "items": scalar(), "minItems": 1}),
                "min" | "max" => json!({"type": "number"}),
                "max_items" => json!({"type": "integer", "minimum": 1, "maximum": 1000}),
                "items" if with_items => {
                    json!({"type": "object", "additionalProperties": {"$ref": "#/$defs/item_field"}})
                }
                "items" => false.into(),
                "message" => message(),
                _ => text(),
            },
            &["type", "message"],
        )
    };
    let entry_keys: Vec<&str> = ENTRY_KEYS.iter().chain(PARTY_KEYS).copied().collect();
    let entry = object(
        &entry_keys,
        |k| match k {
            "outcome" => enumeration(ENTRY_OUTCOMES.iter().map(|o| o.as_str()).collect()),
            "aliases" | "countries" | "dates_of_birth" => {
                json!({"type": "array", "items": text(), "minItems": 1})
            }
            "effective" | "expires" => json!({
                "type": "string",
                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)?$",
            }),
            "message" => message(),
            _ => text(),
        },
        &["reason", "citation"],
    );
    let list = object(
        LIST_KEYS,
        |k| match k {
            "type" => enumeration(names(LIST_TYPES)),
            "private" => json!({"type": "boolean"}),
            "entries" => {
                json!({"type": "object", "additionalProperties": {"$ref": "#/$defs/entry"}})
            }
            "hit_score"
            | "deny_score"
            | "deny_score_with_country"
            | "deny_score_with_date_of_birth" => {
                json!({"type": "number", "minimum": 0.01, "maximum": 1})
            }
            _ => text(),
        },
        &["type"],
    );
    let screening_keys = names(SCREENING);
    let mut condition_keys = names(SUBJECTS);
    condition_keys.extend(names(TESTS));
    condition_keys.extend(&screening_keys);
    condition_keys.extend(names(COMBINATORS));
    condition_keys.push(ELEMENT_KEY);
    let mut condition = object(
        &condition_keys,
        |k| match k {
            "all" | "any" => {
                json!({"type": "array", "items": {"$ref": "#/$defs/condition"}, "minItems": 1})
            }
            "not" | "where" => json!({"$ref": "#/$defs/condition"}),
            "fact" => enumeration(names(FACTS)),
            "present" | "uses_postal_code" | "requires_postal_code" => json!({"type": "boolean"}),
            "equals" => scalar(),
            "in" => json!({"type": "array", "items": scalar(), "minItems": 1}),
            "less_than" | "at_most" | "greater_than" | "at_least" => {
                json!({"type": ["number", "string"]})
            }
            "in_networks" => json!({"type": "array", "items": text(), "minItems": 1}),
            _ => text(),
        },
        &[],
    );
    // One subject and one test (and a screened name's `country` and `date_of_birth`), or one
    // combinator (with `where` for element conditions).
    if let Some(c) = condition.as_object_mut() {
        c.insert("minProperties".into(), 1.into());
        let any: Vec<Value> = screening_keys
            .iter()
            .map(|k| json!({"required": [k]}))
            .collect();
        c.insert("if".into(), json!({"required": screening_keys}));
        c.insert(
            "then".into(),
            json!({"maxProperties": 2 + screening_keys.len()}),
        );
        c.insert(
            "else".into(),
            json!({"if": {"anyOf": any}, "then": {"maxProperties": 3}, "else": {"maxProperties": 2}}),
        );
    }
    let rule = object(
        RULE_KEYS,
        |k| match k {
            "outcome" => enumeration(RULE_OUTCOMES.iter().map(|o| o.as_str()).collect()),
            "code" => enumeration(RULE_CODES.iter().map(|c| c.as_str()).collect()),
            "when" => json!({"$ref": "#/$defs/condition"}),
            "message" => message(),
            _ => text(),
        },
        &["id", "outcome", "message", "citation"],
    );
    let input = object(
        INPUT_KEYS,
        |k| match k {
            "content_types" => json!({
                "type": "array", "items": enumeration(names(CONTENT_TYPES)), "minItems": 1,
            }),
            "max_body_bytes" | "max_depth" => json!({"type": "integer", "minimum": 1}),
            _ => json!({"type": "object", "additionalProperties": {"$ref": "#/$defs/field"}}),
        },
        &["fields"],
    );
    let mut schema = object(
        TOP_KEYS,
        |k| match k {
            "cipgate" => json!({"const": 1}),
            "id" => json!({"type": "string", "pattern": "^[a-z0-9][a-z0-9.-]*$"}),
            "version" => scalar(),
            "locales" => json!({
                "type": "array",
                "items": enumeration(locale::BUILT_IN.to_vec()),
                "minItems": 1,
                "uniqueItems": true,
            }),
            "input" => json!({"$ref": "#/$defs/input"}),
            "lists" => json!({"type": "object", "additionalProperties": {"$ref": "#/$defs/list"}}),
            "conditions" => {
                json!({"type": "object", "additionalProperties": {"$ref": "#/$defs/condition"}})
            }
            "rules" => json!({"type": "array", "items": {"$ref": "#/$defs/rule"}}),
            _ => text(),
        },
        &[
            "cipgate", "id", "version", "title", "source", "input", "rules",
        ],
    );
    if let Some(s) = schema.as_object_mut() {
        s.insert("$schema".into(), DRAFT.into());
        s.insert("title".into(), "cipgate policy".into());
        s.insert(
            "$defs".into(),
            json!({
                "input": input, "field": field(true), "item_field": field(false),
                "list": list, "entry": entry, "condition": condition, "rule": rule,
            }),
        );
    }
    schema
}

/// The test-case file (`<policy>.tests.yaml`), from the keys the test runner accepts.
pub fn tests() -> Value {
    use crate::policy_tests::{serde_keys, Case, Expect, TestFile};
    let expect = object(
        serde_keys::<Expect>(),
        |k| match k {
            "outcome" => enumeration(
                cipgate_policy::Outcome::ALL
                    .iter()
                    .map(|o| o.as_str())
                    .collect(),
            ),
            "status" => json!({"type": "integer"}),
            "locale" => text(),
            _ => json!({"type": "array", "items": text()}),
        },
        &[],
    );
    let case = object(
        serde_keys::<Case>(),
        |k| match k {
            "json" => json!({}),
            "form" => json!({"type": "object", "additionalProperties": scalar()}),
            "expect" => expect.clone(),
            "name" => text(),
            // An empty body or query is a case too.
            _ => json!({"type": "string"}),
        },
        &["name", "expect"],
    );
    let mut schema = object(
        serde_keys::<TestFile>(),
        |k| match k {
            "cases" => json!({"type": "array", "items": case.clone()}),
            _ => text(),
        },
        &["policy", "cases"],
    );
    if let Some(s) = schema.as_object_mut() {
        s.insert("$schema".into(), DRAFT.into());
        s.insert("title".into(), "cipgate policy test cases".into());
    }
    schema
}
