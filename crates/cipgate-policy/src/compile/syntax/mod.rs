//! The typed syntax tree of a whole policy, as the shape pass (`shape/`) reads it from YAML:
//! keywords are words of the closed vocabularies (leaf values such as outcomes, codes, facts
//! and list kinds are the compiled form's own enums), names are still unresolved text, and
//! every part a later diagnostic points at keeps its place. The check pass (`check/`) reads
//! only this tree, never YAML.

mod conditions;
mod fields;
mod lists;
mod rules;

pub use conditions::{Bound, CondSyntax, ScreeningSyntax, SubjectSyntax, TestSyntax, TestValue};
pub use fields::{FieldSyntax, FieldTypeSyntax, FormatSyntax};
pub use lists::{EntrySyntax, ListEntries, ListSyntax, NamesListSyntax, ScoresSyntax};
pub use rules::RuleSyntax;

use super::diagnostics::{Diagnostic, Position};
use crate::ir::BodyFormat;

/// A name as written in the policy (a field, a list, a named condition), not yet resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub text: String,
    pub at: Position,
}

/// A part whose shape errors are reported only if the check pass uses it: the entries or the
/// citation of a names list whose file may be given in their place.
#[derive(Debug, Clone)]
pub struct Shaped<T> {
    /// `None` once its errors are in `errors`.
    pub value: Option<T>,
    pub errors: Vec<Diagnostic>,
}

/// A message: one text per locale of the policy, in the order of `locales:`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message(pub Vec<String>);

#[derive(Debug, Clone)]
pub struct PolicySyntax {
    /// `None` for a missing or unusable value, reported already.
    pub id: Option<String>,
    pub version: Option<String>,
    pub title: Option<String>,
    pub description: String,
    pub source: Option<String>,
    pub locales: Vec<String>,
    /// `None` when the section is missing or its limits are unusable: then no field is
    /// declared.
    pub input: Option<InputSyntax>,
    pub lists: Vec<ListSyntax>,
    /// The named conditions in order (`None`: its shape errors are reported).
    pub conditions: Vec<(String, Option<CondSyntax>)>,
    pub rules: Vec<RuleSyntax>,
}

#[derive(Debug, Clone)]
pub struct InputSyntax {
    pub content_types: Vec<BodyFormat>,
    pub max_body_bytes: u32,
    pub max_depth: u32,
    /// The top-level fields; a list field holds its elements' fields.
    pub fields: Vec<FieldSyntax>,
}
