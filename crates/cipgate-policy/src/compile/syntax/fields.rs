//! The syntax of `input: fields:` (read by `shape/fields.rs`, checked by `check/fields.rs`).

use super::{Message, Name};

/// A field declaration the shape pass could read: its name is valid and new, its type known.
#[derive(Debug, Clone)]
pub struct FieldSyntax {
    /// The full name, the list field's name first for an element's field.
    pub name: String,
    pub json: Vec<String>,
    pub form: Vec<String>,
    pub ty: FieldTypeSyntax,
    pub format: Option<FormatSyntax>,
    pub message: Message,
    pub citation: String,
    pub rule: String,
}

#[derive(Debug, Clone)]
pub enum FieldTypeSyntax {
    String,
    Boolean,
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    Enum(Vec<String>),
    List {
        max_items: u32,
        items: Vec<FieldSyntax>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum FormatSyntax {
    Email,
    Phone,
    Country,
    Subdivision,
    Date,
    /// The field that holds the country (`None`: missing or not a name, reported).
    PostalCode(Option<Name>),
    /// A pattern that compiles to a DFA.
    Pattern(String),
}
