//! The policy language's closed vocabularies, each in one table: the compiler reads policies
//! by them and `cipgate schema` writes the JSON Schema for editors from them, so the two
//! cannot drift apart.

use crate::decision::{Code, Outcome};
use crate::ir::{BodyFormat, Fact, ListKind};

pub const TOP_KEYS: &[&str] = &[
    "cipgate",
    "id",
    "version",
    "title",
    "description",
    "source",
    "locales",
    "input",
    "lists",
    "conditions",
    "rules",
];
pub const INPUT_KEYS: &[&str] = &["content_types", "max_body_bytes", "max_depth", "fields"];
pub const FIELD_KEYS: &[&str] = &[
    "type",
    "values",
    "format",
    "country",
    "pattern",
    "min",
    "max",
    "max_items",
    "items",
    "json",
    "form",
    "message",
    "citation",
    "rule",
];
pub const RULE_KEYS: &[&str] = &[
    "id", "outcome", "code", "for_each", "require", "field", "when", "message", "citation",
];
pub const SUBJECT_KEYS: &[&str] = &["field", "fact", "calling_country", "subdivision_country"];
pub const PREDICATE_KEYS: &[&str] = &[
    "present",
    "equals",
    "in",
    "in_list",
    "matches",
    "less_than",
    "at_most",
    "greater_than",
    "at_least",
    "same_as",
    "differs_from",
    "in_networks",
    "uses_postal_code",
    "requires_postal_code",
];
/// What a test of a name against a names list may add: the applicant's country and date of
/// birth fields, second identifiers that a hit's entry may share.
pub const SCREENING_KEYS: &[&str] = &["country", "date_of_birth"];
pub const COMBINATOR_KEYS: &[&str] = &["all", "any", "not", "condition", "any_item", "every_item"];

pub const LIST_KEYS: &[&str] = &[
    "type",
    "description",
    "private",
    "entries",
    "source",
    "citation",
    "hit_score",
    "deny_score",
    "deny_score_with_country",
    "deny_score_with_date_of_birth",
];
pub const ENTRY_KEYS: &[&str] = &[
    "reason",
    "citation",
    "outcome",
    "message",
    "effective",
    "expires",
];
/// The keys only a names list has (a subset of [`LIST_KEYS`]).
pub const NAMES_LIST_KEYS: &[&str] = &[
    "source",
    "citation",
    "hit_score",
    "deny_score",
    "deny_score_with_country",
    "deny_score_with_date_of_birth",
];
/// The keys only an entry of a names list has, besides [`ENTRY_KEYS`].
pub const PARTY_KEYS: &[&str] = &["id", "aliases", "countries", "dates_of_birth"];
/// What an element condition (`any_item` / `every_item`) holds besides its list.
pub const ELEMENT_KEY: &str = "where";

pub const FIELD_TYPES: &[&str] = &["string", "boolean", "number", "enum", "list"];
pub const FORMATS: &[&str] = &[
    "email",
    "phone",
    "country",
    "subdivision",
    "postal_code",
    "pattern",
    "date",
];
pub const LIST_TYPES: &[(&str, ListKind)] = &[
    ("country", ListKind::Country),
    ("subdivision", ListKind::Subdivision),
    ("text", ListKind::Text),
    ("postal_code", ListKind::PostalCode),
    ("phone_number", ListKind::PhoneNumber),
    ("names", ListKind::Names),
];
pub const FACTS: &[(&str, Fact)] = &[
    ("client_ip", Fact::ClientIp),
    ("geo_country", Fact::GeoCountry),
    ("geo_region", Fact::GeoRegion),
    ("time", Fact::Time),
];
pub const CONTENT_TYPES: &[(&str, BodyFormat)] = &[
    ("application/json", BodyFormat::Json),
    ("application/x-www-form-urlencoded", BodyFormat::Form),
];
/// The outcomes a rule may have (allow is no rule's; reject is the decoders').
pub const RULE_OUTCOMES: &[Outcome] = &[Outcome::Deny, Outcome::Incomplete, Outcome::Review];
/// The outcomes a list entry may give in place of its rule's.
pub const ENTRY_OUTCOMES: &[Outcome] = &[Outcome::Deny, Outcome::Review];
/// The codes a rule may name (rejected is the decoders').
pub const RULE_CODES: &[Code] = &[
    Code::Missing,
    Code::Invalid,
    Code::Restricted,
    Code::Inconsistent,
    Code::Flagged,
];

/// The names of a table's entries, for help texts and the schema.
pub fn names<T>(table: &[(&'static str, T)]) -> Vec<&'static str> {
    table.iter().map(|(name, _)| *name).collect()
}
