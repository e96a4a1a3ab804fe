//! The syntax tree of a condition (read by `shape/conditions.rs`, checked by
//! `check/conditions.rs`).

use super::Name;
use crate::compile::diagnostics::Position;
use crate::compile::vocabulary::{ScreeningWord, SubjectWord, TestWord};
use crate::ir::{Fact, Scalar};

#[derive(Debug, Clone)]
pub enum CondSyntax {
    /// `all:`; `at` is the list's place, where a contradiction between branches is reported.
    All {
        items: Vec<CondSyntax>,
        at: Position,
    },
    Any(Vec<CondSyntax>),
    Not(Box<CondSyntax>),
    /// `condition: NAME`.
    Named(Name),
    /// `any_item:` / `every_item:` a list field, with its `where:` condition.
    Item {
        every: bool,
        list: Name,
        cond: Box<CondSyntax>,
    },
    Test(TestSyntax),
}

/// A subject, a test of it, and the second identifiers of a names-list test.
#[derive(Debug, Clone)]
pub struct TestSyntax {
    pub subject: SubjectSyntax,
    pub test: TestWord,
    /// The test's key as written, for messages.
    pub test_key: &'static str,
    /// Where the test's value stands.
    pub at: Position,
    pub value: TestValue,
    pub screening: Vec<ScreeningSyntax>,
}

/// `country:` or `date_of_birth:` beside a names-list test: the applicant's field to compare.
#[derive(Debug, Clone)]
pub struct ScreeningSyntax {
    pub word: ScreeningWord,
    pub key: &'static str,
    pub at: Position,
    pub field: Name,
}

#[derive(Debug, Clone)]
pub enum SubjectSyntax {
    Field(SubjectWord, Name),
    Fact(Fact),
}

/// A test's value, read as far as it can be without knowing what the subject holds.
#[derive(Debug, Clone)]
pub enum TestValue {
    /// `present`, `uses_postal_code`, `requires_postal_code`.
    Bool(bool),
    /// `equals`.
    Scalar(Scalar),
    /// `in`: each value with its place.
    Scalars(Vec<(Scalar, Position)>),
    /// `in_list` (a list), `same_as` / `differs_from` (a field).
    Name(Name),
    /// `matches`: the pattern's text, checked once the subject is known to be text.
    Pattern(String),
    /// `in_networks`.
    Networks(Vec<crate::ir::Network>),
    /// A comparison's bound, a number or a date depending on the subject.
    Bound(Bound),
}

/// A comparison's bound read both ways, since which one it must be depends on the subject.
#[derive(Debug, Clone)]
pub struct Bound {
    pub at: Position,
    /// The value as a number, if it is one.
    pub number: Option<f64>,
    /// The value's text, or what it is instead of a single value (`a list`, `a mapping`).
    pub text: Result<String, &'static str>,
}
