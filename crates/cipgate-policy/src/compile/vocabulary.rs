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
/// What a condition tests: a field of the signup, a gateway fact, or a country read from a
/// field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectWord {
    Field,
    Fact,
    CallingCountry,
    SubdivisionCountry,
}
pub const SUBJECTS: &[(&str, SubjectWord)] = &[
    ("field", SubjectWord::Field),
    ("fact", SubjectWord::Fact),
    ("calling_country", SubjectWord::CallingCountry),
    ("subdivision_country", SubjectWord::SubdivisionCountry),
];
/// The test a condition applies to its subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestWord {
    Present,
    Equals,
    In,
    InList,
    Matches,
    LessThan,
    AtMost,
    GreaterThan,
    AtLeast,
    SameAs,
    DiffersFrom,
    InNetworks,
    UsesPostalCode,
    RequiresPostalCode,
}
pub const TESTS: &[(&str, TestWord)] = &[
    ("present", TestWord::Present),
    ("equals", TestWord::Equals),
    ("in", TestWord::In),
    ("in_list", TestWord::InList),
    ("matches", TestWord::Matches),
    ("less_than", TestWord::LessThan),
    ("at_most", TestWord::AtMost),
    ("greater_than", TestWord::GreaterThan),
    ("at_least", TestWord::AtLeast),
    ("same_as", TestWord::SameAs),
    ("differs_from", TestWord::DiffersFrom),
    ("in_networks", TestWord::InNetworks),
    ("uses_postal_code", TestWord::UsesPostalCode),
    ("requires_postal_code", TestWord::RequiresPostalCode),
];
/// What a test of a name against a names list may add: the applicant's country and date of
/// birth fields, second identifiers that a hit's entry may share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreeningWord {
    Country,
    DateOfBirth,
}
pub const SCREENING: &[(&str, ScreeningWord)] = &[
    ("country", ScreeningWord::Country),
    ("date_of_birth", ScreeningWord::DateOfBirth),
];
/// The conditions made of other conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CombinatorWord {
    All,
    Any,
    Not,
    Condition,
    AnyItem,
    EveryItem,
}
pub const COMBINATORS: &[(&str, CombinatorWord)] = &[
    ("all", CombinatorWord::All),
    ("any", CombinatorWord::Any),
    ("not", CombinatorWord::Not),
    ("condition", CombinatorWord::Condition),
    ("any_item", CombinatorWord::AnyItem),
    ("every_item", CombinatorWord::EveryItem),
];

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

/// A field's `type:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldTypeWord {
    String,
    Boolean,
    Number,
    Enum,
    List,
}
pub const FIELD_TYPES: &[(&str, FieldTypeWord)] = &[
    ("string", FieldTypeWord::String),
    ("boolean", FieldTypeWord::Boolean),
    ("number", FieldTypeWord::Number),
    ("enum", FieldTypeWord::Enum),
    ("list", FieldTypeWord::List),
];
/// A string field's `format:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatWord {
    Email,
    Phone,
    Country,
    Subdivision,
    PostalCode,
    Pattern,
    Date,
}
pub const FORMATS: &[(&str, FormatWord)] = &[
    ("email", FormatWord::Email),
    ("phone", FormatWord::Phone),
    ("country", FormatWord::Country),
    ("subdivision", FormatWord::Subdivision),
    ("postal_code", FormatWord::PostalCode),
    ("pattern", FormatWord::Pattern),
    ("date", FormatWord::Date),
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

/// The word a table gives `name`, if it is one of its words.
pub fn word<T: Copy>(table: &[(&str, T)], name: &str) -> Option<T> {
    table.iter().find(|(n, _)| *n == name).map(|(_, w)| *w)
}
