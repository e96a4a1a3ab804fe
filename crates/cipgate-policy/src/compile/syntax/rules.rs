//! The syntax of `rules:` (read by `shape/rules.rs`, checked by `check/rules.rs`).

use super::{CondSyntax, Message, Name};
use crate::compile::diagnostics::{Diagnostic, Position};
use crate::decision::{Code, Outcome};

/// A rule as written. `Option<Option<_>>` keys tell a missing key (outer `None`) from one
/// whose value is reported wrong (inner `None`).
#[derive(Debug, Clone)]
pub struct RuleSyntax {
    pub at: Position,
    /// A unique, well-formed id.
    pub id: Option<String>,
    pub outcome: Option<Outcome>,
    pub code: Option<Option<Code>>,
    pub for_each: Option<Name>,
    pub require: Option<Name>,
    pub when: Option<CondSyntax>,
    /// `when:`'s place.
    pub when_at: Position,
    pub field: Option<Option<Name>>,
    /// Whether `require:` or `when:` is written, whatever their values.
    pub tests: bool,
    pub message: Option<Message>,
    pub citation: Option<String>,
    /// The shape errors of the rule before its message, and those of its message and
    /// citation: the check pass reports its own between them, in the order a reader meets
    /// them, and asks which field a rule is about only when nothing before is wrong.
    pub errors: Vec<Diagnostic>,
    pub text_errors: Vec<Diagnostic>,
}
