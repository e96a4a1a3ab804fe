//! The shape pass: a policy's YAML tree to its typed syntax tree (`syntax/`), with every error
//! of form reported: not a mapping, an unknown key, a missing key, a value of the wrong shape,
//! a word outside its vocabulary, a code or date that cannot be one. What needs another part
//! of the policy (names, types, list files) is the check pass's (`check/`).
//!
//! A declaration skipped for its errors is left out of the tree, so that the check pass
//! reports no more about it: a field whose name, type or mapping is wrong, a list whose type
//! is, a names list whose scores are.

mod conditions;
mod fields;
mod lists;
mod messages;
mod names;

pub(super) use names::birth_dates;
mod rules;
#[cfg(test)]
mod tests;

use super::diagnostics::Diagnostic;
use super::error_codes::ErrorCode;
use super::syntax::{InputSyntax, PolicySyntax};
use super::values::{ReadValues, Report};
use super::vocabulary::{names, CONTENT_TYPES, INPUT_KEYS, TOP_KEYS};
use super::yaml::{Node, NodeKind};
use crate::ir::BodyFormat;
use std::collections::HashSet;

/// The syntax tree of the policy `root` (`None` if it is not a mapping), and its shape
/// errors outside the rules (a rule carries its own).
pub(super) fn policy(root: &Node) -> (Option<PolicySyntax>, Vec<Diagnostic>) {
    let mut shape = Shape::default();
    let policy = shape.policy(root);
    (policy, shape.errors)
}

#[derive(Default)]
struct Shape {
    errors: Vec<Diagnostic>,
    /// The policy's locales, read before anything that has a message.
    locales: Vec<String>,
    /// The fields declared so far, to report a name declared twice.
    field_names: HashSet<String>,
}

impl Report for Shape {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.errors.push(diagnostic);
    }
}

impl ReadValues for Shape {}

/// The value of `key` in a mapping's entries.
fn get<'n>(entries: &'n [(super::yaml::Key, Node)], key: &str) -> Option<&'n Node> {
    entries.iter().find(|(k, _)| k.text == key).map(|(_, v)| v)
}

impl Shape {
    fn policy(&mut self, root: &Node) -> Option<PolicySyntax> {
        let entries = self.mapping(root, "a policy")?;
        self.known_keys(entries, TOP_KEYS, "a policy");
        match get(entries, "cipgate") {
            Some(n) => {
                if !matches!(&n.kind, NodeKind::Scalar { text, .. } if text == "1") {
                    self.error_help(
                        ErrorCode::UnknownWord,
                        n.at,
                        "unknown policy language version",
                        "this compiler reads `cipgate: 1`",
                    );
                }
            }
            None => self.error_help(
                ErrorCode::MissingKey,
                root.at,
                "the policy does not say which language version it is written in",
                "start the file with `cipgate: 1`",
            ),
        }
        let id = self.required_text(root, entries, "id");
        if let (Some(id), Some(n)) = (&id, get(entries, "id")) {
            if !is_identifier(id) {
                self.error_help(
                    ErrorCode::BadName,
                    n.at,
                    format!("the policy id `{id}` has characters that are not allowed"),
                    "use lower-case letters, digits, `-` and `.`",
                );
            }
        }
        let version = self.required_text(root, entries, "version");
        let title = self.required_text(root, entries, "title");
        let source = self.required_text(root, entries, "source");
        let description = match get(entries, "description") {
            Some(n) => self.text(n, "description").unwrap_or_default(),
            None => String::new(),
        };
        let citation_default = source.clone().unwrap_or_default();
        self.locales = self.locales(get(entries, "locales"));

        let input = match get(entries, "input") {
            Some(n) => self.input(n, &citation_default),
            None => {
                self.error_help(
                    ErrorCode::MissingKey,
                    root.at,
                    "the policy has no `input` section",
                    "declare the fields the policy reads under `input: fields:`",
                );
                None
            }
        };
        let lists = match get(entries, "lists") {
            Some(n) => self.lists(n),
            None => Vec::new(),
        };
        let mut conditions = Vec::new();
        if let Some(n) = get(entries, "conditions") {
            if let Some(entries) = self.mapping(n, "`conditions`") {
                for (key, node) in entries {
                    let syntax = self.cond(node);
                    conditions.push((key.text.clone(), syntax));
                }
            }
        }
        let rules = match get(entries, "rules") {
            Some(n) => self.rules(n),
            None => {
                self.error(ErrorCode::MissingKey, root.at, "the policy has no `rules`");
                Vec::new()
            }
        };
        Some(PolicySyntax {
            id,
            version,
            title,
            description,
            source,
            locales: std::mem::take(&mut self.locales),
            input,
            lists,
            conditions,
            rules,
        })
    }

    fn required_text(
        &mut self,
        parent: &Node,
        entries: &[(super::yaml::Key, Node)],
        key: &str,
    ) -> Option<String> {
        match get(entries, key) {
            Some(n) => self.nonblank(n, &format!("`{key}`")),
            None => {
                self.error(
                    ErrorCode::MissingKey,
                    parent.at,
                    format!("the policy has no `{key}`"),
                );
                None
            }
        }
    }

    fn input(&mut self, node: &Node, citation_default: &str) -> Option<InputSyntax> {
        let entries = self.mapping(node, "`input`")?;
        self.known_keys(entries, INPUT_KEYS, "`input`");
        let mut content_types = Vec::new();
        match get(entries, "content_types") {
            Some(n) => {
                for item in self.sequence(n, "`content_types`").unwrap_or_default() {
                    let Some(text) = self.text(item, "a content type") else {
                        continue;
                    };
                    match CONTENT_TYPES.iter().find(|(name, _)| *name == text) {
                        Some((_, format)) => content_types.push(*format),
                        None => self.unknown_word(
                            item.at,
                            format!("cipgate cannot read `{text}` bodies"),
                            &text,
                            &names(CONTENT_TYPES),
                            || format!("use {}", names(CONTENT_TYPES).join(" and/or ")),
                        ),
                    }
                }
            }
            None => content_types.push(BodyFormat::Json),
        }
        let max_body_bytes = match get(entries, "max_body_bytes") {
            Some(n) => self.whole(n, "`max_body_bytes`", 1, 16 * 1024 * 1024)?,
            None => 64 * 1024,
        };
        let max_depth = match get(entries, "max_depth") {
            Some(n) => self.whole(n, "`max_depth`", 1, 64)?,
            None => 32,
        };
        let fields = match get(entries, "fields") {
            Some(n) => self.fields(n, None, citation_default),
            None => {
                self.error(ErrorCode::MissingKey, node.at, "`input` has no `fields`");
                Vec::new()
            }
        };
        Some(InputSyntax {
            content_types,
            max_body_bytes,
            max_depth,
            fields,
        })
    }
}

/// A policy or rule id: lower-case letters, digits, `-` and `.`.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}
