//! Reading YAML values: the shape a key's value must have (a mapping, a list, a single value,
//! a yes/no, a number), reported where it is wrong.

use super::diagnostics::{closest, Diagnostic, Position};
use super::error_codes::ErrorCode;
use super::yaml::{Key, Node, NodeKind};
use crate::ir::Scalar;

/// Implemented by each pass: it only says where its diagnostics go.
pub(super) trait Report {
    fn report(&mut self, diagnostic: Diagnostic);

    fn error(&mut self, code: ErrorCode, at: Position, message: impl Into<String>) {
        self.report(Diagnostic::new(code, at, message));
    }

    fn error_help(
        &mut self,
        code: ErrorCode,
        at: Position,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.report(Diagnostic::new(code, at, message).with_help(help));
    }

    /// The outcome of a check that gives its diagnostic, reported.
    fn checked(&mut self, outcome: Result<(), Diagnostic>) -> Option<()> {
        outcome.map_err(|d| self.report(d)).ok()
    }
}

/// The shape pass's readers of YAML values.
pub(super) trait ReadValues: Report {
    fn mapping<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [(Key, Node)]> {
        match &node.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => {
                self.error(
                    ErrorCode::WrongShape,
                    node.at,
                    format!(
                        "{what} must be a mapping of `key: value` lines, not {}",
                        node.describe()
                    ),
                );
                None
            }
        }
    }

    fn sequence<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &node.kind {
            NodeKind::Seq(items) => Some(items),
            _ => {
                self.error(
                    ErrorCode::WrongShape,
                    node.at,
                    format!(
                        "{what} must be a list (`- item` lines or `[a, b]`), not {}",
                        node.describe()
                    ),
                );
                None
            }
        }
    }

    fn known_keys(&mut self, entries: &[(Key, Node)], allowed: &[&str], what: &str) {
        for (key, _) in entries {
            if !allowed.contains(&key.text.as_str()) {
                let msg = format!("unknown key `{}` in {what}", key.text);
                match closest(&key.text, allowed.iter().copied()) {
                    Some(c) => self.error_help(
                        ErrorCode::UnknownKey,
                        key.at,
                        msg,
                        format!("did you mean `{c}`?"),
                    ),
                    None => self.error_help(
                        ErrorCode::UnknownKey,
                        key.at,
                        msg,
                        format!("the keys here are: {}", allowed.join(", ")),
                    ),
                }
            }
        }
    }

    /// One word of a closed vocabulary (an outcome, a code), or an error suggesting the
    /// closest word.
    fn closed_word<T: Copy>(
        &mut self,
        text: &str,
        words: &[T],
        name: impl Fn(&T) -> &'static str,
        at: Position,
        what: &str,
    ) -> Option<T> {
        if let Some(word) = words.iter().find(|w| name(w) == text) {
            return Some(*word);
        }
        let all: Vec<&str> = words.iter().map(&name).collect();
        let help = match closest(text, all.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("the {what}s here are {}", all.join(", ")),
        };
        self.error_help(
            ErrorCode::UnknownWord,
            at,
            format!("unknown {what} `{text}`"),
            help,
        );
        None
    }

    /// A word outside a closed vocabulary: `message`, and the closest of `words` suggested,
    /// else `otherwise`.
    fn unknown_word(
        &mut self,
        at: Position,
        message: String,
        text: &str,
        words: &[&str],
        otherwise: impl FnOnce() -> String,
    ) {
        let help = match closest(text, words.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None => otherwise(),
        };
        self.error_help(ErrorCode::UnknownWord, at, message, help);
    }

    fn text(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.kind {
            NodeKind::Scalar { text, .. } => Some(text.clone()),
            _ => {
                self.report(not_single(node.at, what, node.describe()));
                None
            }
        }
    }

    fn nonblank(&mut self, node: &Node, what: &str) -> Option<String> {
        let text = self.text(node, what)?;
        if text.trim().is_empty() {
            self.error(
                ErrorCode::Empty,
                node.at,
                format!("{what} must not be empty"),
            );
            return None;
        }
        Some(text.trim().to_string())
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match &node.kind {
            NodeKind::Scalar { text, plain: true } if text == "true" => Some(true),
            NodeKind::Scalar { text, plain: true } if text == "false" => Some(false),
            _ => {
                self.error_help(
                    ErrorCode::WrongShape,
                    node.at,
                    format!("{what} must be true or false"),
                    "write `true` or `false`, without quotes",
                );
                None
            }
        }
    }

    fn number(&mut self, node: &Node, what: &str) -> Option<f64> {
        let n = number(node);
        if n.is_none() {
            self.report(not_a_number(node.at, what));
        }
        n
    }

    fn whole(&mut self, node: &Node, what: &str, min: u32, max: u32) -> Option<u32> {
        let n = self.number(node, what)?;
        if n.fract() != 0.0 || n < f64::from(min) || n > f64::from(max) {
            self.error(
                ErrorCode::OutOfRange,
                node.at,
                format!("{what} must be a whole number from {min} to {max}"),
            );
            return None;
        }
        // In range and whole, so the conversion is exact.
        Some(n as u32)
    }

    fn scalar(&mut self, node: &Node) -> Option<Scalar> {
        match &node.kind {
            NodeKind::Scalar { text, plain: true } => Some(match text.as_str() {
                "true" => Scalar::Bool(true),
                "false" => Scalar::Bool(false),
                t => match t.parse::<f64>() {
                    Ok(n) if n.is_finite() && !t.is_empty() && looks_numeric(t) => {
                        Scalar::Number(n)
                    }
                    _ => Scalar::String(t.to_string()),
                },
            }),
            NodeKind::Scalar { text, plain: false } => Some(Scalar::String(text.clone())),
            _ => {
                self.error(
                    ErrorCode::WrongShape,
                    node.at,
                    format!("expected a single value here, not {}", node.describe()),
                );
                None
            }
        }
    }
}

/// The number a plain scalar is, if it is one.
pub(super) fn number(node: &Node) -> Option<f64> {
    match &node.kind {
        NodeKind::Scalar { text, plain: true } => {
            text.parse::<f64>().ok().filter(|n| n.is_finite())
        }
        _ => None,
    }
}

pub(super) fn not_a_number(at: Position, what: &str) -> Diagnostic {
    Diagnostic::new(
        ErrorCode::WrongShape,
        at,
        format!("{what} must be a number"),
    )
}

/// `what` is `shape` (`a list`, `a mapping`) where a single value belongs.
pub(super) fn not_single(at: Position, what: &str, shape: &str) -> Diagnostic {
    Diagnostic::new(
        ErrorCode::WrongShape,
        at,
        format!("{what} must be a single value, not {shape}"),
    )
}

/// YAML 1.2 core schema numbers, not strings like `2026.11.1` or `0x10`.
fn looks_numeric(t: &str) -> bool {
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        && body
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
}
