//! The syntax of `lists:` (read by `shape/lists.rs` and `shape/names.rs`, checked by
//! `check/lists.rs`). Entry values are checked against the code tables as they are read.

use super::{Message, Shaped};
use crate::compile::diagnostics::Position;
use crate::decision::Outcome;
use crate::ir::{EntryValue, ListKind};

#[derive(Debug, Clone)]
pub struct ListSyntax {
    pub name: String,
    /// The key's place.
    pub at: Position,
    pub kind: ListKind,
    pub private: bool,
    pub entries: ListEntries,
}

#[derive(Debug, Clone)]
pub enum ListEntries {
    /// The entries of a list of codes or prefixes that could be read.
    Codes(Vec<EntrySyntax>),
    Names(NamesListSyntax),
    /// A names list whose errors are reported: tests of it add none.
    Unreadable,
}

/// An entry: its value, and what it carries.
#[derive(Debug, Clone)]
pub struct EntrySyntax {
    /// The key's place.
    pub at: Position,
    pub value: EntryValue,
    pub reason: String,
    pub citation: String,
    pub outcome: Option<Outcome>,
    pub message: Option<Message>,
    pub effective: Option<i64>,
    pub expires: Option<i64>,
}

/// A names list: its scores, and its entries written in the policy or read from a file.
#[derive(Debug, Clone)]
pub struct NamesListSyntax {
    pub scores: ScoresSyntax,
    pub source: Option<String>,
    /// `source:`'s place, where errors of the file are reported.
    pub source_at: Option<Position>,
    /// Used, and its errors reported, only when a file gives the entries.
    pub citation: Option<Shaped<String>>,
    /// Used, and its errors reported, only when no file is given in their place.
    pub entries: Option<Shaped<Vec<EntrySyntax>>>,
}

/// In thousandths, as the compiled form keeps them.
#[derive(Debug, Clone, Copy)]
pub struct ScoresSyntax {
    pub hit_score: u16,
    pub deny_score: Option<u16>,
    pub deny_score_with_country: Option<u16>,
    pub deny_score_with_date_of_birth: Option<u16>,
}
