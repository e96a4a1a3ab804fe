//! Lowering: the YAML tree of a policy to its compiled form, checking names, types and codes
//! on the way and collecting every error rather than stopping at the first.

use super::diagnostics::Diagnostic;
use super::error_codes::ErrorCode;
use super::shape;
use super::syntax::CondSyntax;
use super::values::ReadValues;
use super::vocabulary::{names, CONTENT_TYPES, INPUT_KEYS, TOP_KEYS};
use super::yaml::{Node, NodeKind};
use super::ListFiles;
use crate::ir::{BodyFormat, Field, Input, ListVersion, Meta, NamedCond, NamedList, PolicyIr};
use std::collections::HashMap;

mod conditions;
mod fields;
mod lists;
mod messages;
mod names;
mod rules;

pub fn lower(root: &Node, files: &dyn ListFiles) -> Result<PolicyIr, Vec<Diagnostic>> {
    let mut l = Lowering {
        errors: Vec::new(),
        fields: Vec::new(),
        field_index: HashMap::new(),
        lists: Vec::new(),
        list_index: HashMap::new(),
        list_versions: Vec::new(),
        unreadable_lists: Vec::new(),
        patterns: Vec::new(),
        conditions: HashMap::new(),
        named: Vec::new(),
        expanding: Vec::new(),
        locales: Vec::new(),
        files,
    };
    let ir = l.policy(root);
    match ir {
        Some(ir) if l.errors.is_empty() => Ok(ir),
        _ => {
            let mut errors = l.errors;
            errors.sort_by_key(|d| d.at);
            if errors.is_empty() {
                errors.push(Diagnostic::new(
                    ErrorCode::Internal,
                    root.at,
                    "the policy is incomplete",
                ));
            }
            Err(errors)
        }
    }
}

struct Lowering<'f> {
    errors: Vec<Diagnostic>,
    fields: Vec<Field>,
    field_index: HashMap<String, usize>,
    lists: Vec<NamedList>,
    list_index: HashMap<String, usize>,
    list_versions: Vec<ListVersion>,
    /// Lists whose errors are reported already: tests of them add none.
    unreadable_lists: Vec<String>,
    patterns: Vec<String>,
    /// The named conditions as the shape pass read them (`None`: reported already).
    conditions: HashMap<String, Option<CondSyntax>>,
    named: Vec<NamedCond>,
    /// Named conditions being expanded, to report cycles.
    expanding: Vec<String>,
    /// The policy's locales, read before anything that has a message.
    locales: Vec<String>,
    files: &'f dyn ListFiles,
}

/// Which list elements field names may refer to at a point of a rule.
#[derive(Debug, Clone, Default)]
struct Scope {
    items_of: Vec<usize>,
}

impl ReadValues for Lowering<'_> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.errors.push(diagnostic);
    }
}

impl Lowering<'_> {
    fn policy(&mut self, root: &Node) -> Option<PolicyIr> {
        let entries = self.mapping(root, "a policy")?;
        self.known_keys(entries, TOP_KEYS, "a policy");
        let get = |k: &str| {
            entries
                .iter()
                .find(|(key, _)| key.text == k)
                .map(|(_, v)| v)
        };

        match get("cipgate") {
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
        let id = self.required_text(root, get("id"), "id");
        if let (Some(id), Some(n)) = (&id, get("id")) {
            if !is_identifier(id) {
                self.error_help(
                    ErrorCode::BadName,
                    n.at,
                    format!("the policy id `{id}` has characters that are not allowed"),
                    "use lower-case letters, digits, `-` and `.`",
                );
            }
        }
        let version = self.required_text(root, get("version"), "version");
        let title = self.required_text(root, get("title"), "title");
        let source = self.required_text(root, get("source"), "source");
        let description = match get("description") {
            Some(n) => self.text(n, "description").unwrap_or_default(),
            None => String::new(),
        };
        let citation_default = source.clone().unwrap_or_default();
        self.locales = self.locales(get("locales"));

        let input = match get("input") {
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
        if let Some(n) = get("lists") {
            self.named_lists(n);
        }
        if let Some(n) = get("conditions") {
            if let Some(entries) = self.mapping(n, "`conditions`") {
                for (key, node) in entries {
                    let syntax = shape::condition(node, &mut self.errors);
                    self.conditions.insert(key.text.clone(), syntax);
                }
            }
        }
        let rules = match get("rules") {
            Some(n) => self.rules(n),
            None => {
                self.error(ErrorCode::MissingKey, root.at, "the policy has no `rules`");
                Vec::new()
            }
        };
        Some(PolicyIr {
            meta: Meta {
                id: id?,
                version: version?,
                title: title?,
                description,
                source: source?,
                locales: std::mem::take(&mut self.locales),
                projection_of: None,
                list_versions: std::mem::take(&mut self.list_versions),
            },
            input: input?,
            fields: std::mem::take(&mut self.fields),
            lists: std::mem::take(&mut self.lists),
            patterns: std::mem::take(&mut self.patterns),
            conditions: std::mem::take(&mut self.named),
            rules,
        })
    }

    fn required_text(&mut self, parent: &Node, node: Option<&Node>, key: &str) -> Option<String> {
        match node {
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

    fn input(&mut self, node: &Node, citation_default: &str) -> Option<Input> {
        let entries = self.mapping(node, "`input`")?;
        self.known_keys(entries, INPUT_KEYS, "`input`");
        let get = |k: &str| {
            entries
                .iter()
                .find(|(key, _)| key.text == k)
                .map(|(_, v)| v)
        };
        let mut content_types = Vec::new();
        match get("content_types") {
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
        let max_body_bytes = match get("max_body_bytes") {
            Some(n) => self.whole(n, "`max_body_bytes`", 1, 16 * 1024 * 1024)?,
            None => 64 * 1024,
        };
        let max_depth = match get("max_depth") {
            Some(n) => self.whole(n, "`max_depth`", 1, 64)?,
            None => 32,
        };
        match get("fields") {
            Some(n) => self.declare_fields(n, None, citation_default),
            None => self.error(ErrorCode::MissingKey, node.at, "`input` has no `fields`"),
        }
        Some(Input {
            content_types,
            max_body_bytes,
            max_depth,
        })
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}
