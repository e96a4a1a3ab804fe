//! Lowering: the YAML tree of a policy to its compiled form, checking names, types and codes
//! on the way and collecting every error rather than stopping at the first.

use super::diagnostics::{closest, Diagnostic, Position};
use super::vocabulary::*;
use super::yaml::{Key, Node, NodeKind};
use super::ListFiles;
use crate::decision::{Code, Outcome};
use crate::formats;
use crate::image::{named_facts_only, reads_elements, reads_facts_only};
use crate::ir::{
    BodyFormat, CompareOp, Cond, Fact, Field, FieldType, Format, Input, ListKind, ListVersion,
    Localized, Meta, NamedCond, NamedList, PolicyIr, Predicate, Rule, RuleText, Scalar, Subject,
};
use std::collections::HashMap;

mod lists;
mod messages;
mod names;

const UNICODE_HELP: &str = "cipgate builds patterns without Unicode classes to keep modules small: write [0-9] for \\d, [A-Za-z] for letters, and spell out case variants instead of (?i)";

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
                errors.push(Diagnostic::new(root.at, "the policy is incomplete"));
            }
            Err(errors)
        }
    }
}

/// What a value in a condition is, for type checks.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Text(Option<Format>),
    Bool,
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    Enum(Vec<String>),
    List,
    Country,
    /// A set of countries (the calling country of a phone number can be shared).
    Countries,
    Ip,
    Time,
}

impl Kind {
    fn describe(&self) -> &'static str {
        match self {
            Kind::Text(Some(Format::Country)) | Kind::Country => "a country code",
            Kind::Countries => "the countries of a calling code",
            Kind::Text(Some(Format::Subdivision)) => "a subdivision code",
            Kind::Text(Some(Format::Phone)) => "a telephone number",
            Kind::Text(Some(Format::Email)) => "an email address",
            Kind::Text(Some(Format::Date)) => "a date",
            Kind::Text(_) => "text",
            Kind::Bool => "a yes/no value",
            Kind::Number { .. } => "a number",
            Kind::Enum(_) => "one of fixed values",
            Kind::List => "a list",
            Kind::Ip => "an IP address",
            Kind::Time => "a time",
        }
    }

    fn is_country(&self) -> bool {
        matches!(
            self,
            Kind::Country | Kind::Countries | Kind::Text(Some(Format::Country))
        )
    }

    fn is_text(&self) -> bool {
        matches!(self, Kind::Text(_) | Kind::Enum(_) | Kind::Country)
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
    conditions: HashMap<String, Node>,
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

impl Lowering<'_> {
    fn error(&mut self, at: Position, message: impl Into<String>) {
        self.errors.push(Diagnostic::new(at, message));
    }

    fn error_help(&mut self, at: Position, message: impl Into<String>, help: impl Into<String>) {
        self.errors
            .push(Diagnostic::new(at, message).with_help(help));
    }

    // --- reading YAML values --------------------------------------------------------------

    fn mapping<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [(Key, Node)]> {
        match &node.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => {
                self.error(
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
                    Some(c) => self.error_help(key.at, msg, format!("did you mean `{c}`?")),
                    None => self.error_help(
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
        self.error_help(at, format!("unknown {what} `{text}`"), help);
        None
    }

    fn text(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.kind {
            NodeKind::Scalar { text, .. } => Some(text.clone()),
            _ => {
                self.error(
                    node.at,
                    format!("{what} must be a single value, not {}", node.describe()),
                );
                None
            }
        }
    }

    fn nonblank(&mut self, node: &Node, what: &str) -> Option<String> {
        let text = self.text(node, what)?;
        if text.trim().is_empty() {
            self.error(node.at, format!("{what} must not be empty"));
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
                    node.at,
                    format!("{what} must be true or false"),
                    "write `true` or `false`, without quotes",
                );
                None
            }
        }
    }

    fn number(&mut self, node: &Node, what: &str) -> Option<f64> {
        if let NodeKind::Scalar { text, plain: true } = &node.kind {
            if let Ok(n) = text.parse::<f64>() {
                if n.is_finite() {
                    return Some(n);
                }
            }
        }
        self.error(node.at, format!("{what} must be a number"));
        None
    }

    fn whole(&mut self, node: &Node, what: &str, min: u32, max: u32) -> Option<u32> {
        let n = self.number(node, what)?;
        if n.fract() != 0.0 || n < f64::from(min) || n > f64::from(max) {
            self.error(
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
                    node.at,
                    format!("expected a single value here, not {}", node.describe()),
                );
                None
            }
        }
    }

    // --- the policy ---------------------------------------------------------------------------

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
                        n.at,
                        "unknown policy language version",
                        "this compiler reads `cipgate: 1`",
                    );
                }
            }
            None => self.error_help(
                root.at,
                "the policy does not say which language version it is written in",
                "start the file with `cipgate: 1`",
            ),
        }
        let id = self.required_text(root, get("id"), "id");
        if let (Some(id), Some(n)) = (&id, get("id")) {
            if !is_identifier(id) {
                self.error_help(
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
                    self.conditions.insert(key.text.clone(), node.clone());
                }
            }
        }
        let rules = match get("rules") {
            Some(n) => self.rules(n),
            None => {
                self.error(root.at, "the policy has no `rules`");
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
                self.error(parent.at, format!("the policy has no `{key}`"));
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
                        None => self.error_help(
                            item.at,
                            format!("cipgate cannot read `{text}` bodies"),
                            format!("use {}", names(CONTENT_TYPES).join(" and/or ")),
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
            None => self.error(node.at, "`input` has no `fields`"),
        }
        Some(Input {
            content_types,
            max_body_bytes,
            max_depth,
        })
    }

    // --- fields -----------------------------------------------------------------------------

    /// Declares the fields of `node`, either top-level or the items of list field `list`.
    /// Formats that name another field (postal codes) are resolved once all are declared.
    fn declare_fields(&mut self, node: &Node, list: Option<usize>, citation_default: &str) {
        let Some(entries) = self.mapping(node, "`fields`") else {
            return;
        };
        let mut postal: Vec<(usize, Node)> = Vec::new();
        for (key, decl) in entries {
            let prefix = list
                .and_then(|l| self.fields.get(l))
                .map(|f| f.name.clone());
            let name = match &prefix {
                Some(p) => format!("{p}.{}", key.text),
                None => key.text.clone(),
            };
            if !is_field_name(&key.text) {
                self.error_help(
                    key.at,
                    format!("`{}` is not a valid field name", key.text),
                    "use letters, digits and `_`, with `.` between the parts",
                );
                continue;
            }
            if self.field_index.contains_key(&name) {
                self.error(key.at, format!("the field `{name}` is declared twice"));
                continue;
            }
            let Some(d) = self.mapping(decl, &format!("the declaration of `{name}`")) else {
                continue;
            };
            self.known_keys(d, FIELD_KEYS, "a field declaration");
            let get = |k: &str| d.iter().find(|(key, _)| key.text == k).map(|(_, v)| v);
            let segments: Vec<String> = key.text.split('.').map(str::to_string).collect();
            let json = match get("json") {
                Some(n) => self.json_pointer(n).unwrap_or_else(|| segments.clone()),
                None => segments.clone(),
            };
            let form = match get("form") {
                Some(n) => match self.nonblank(n, "`form`") {
                    Some(f) if is_field_name(&f) => f.split('.').map(str::to_string).collect(),
                    Some(f) => {
                        self.error(n.at, format!("`{f}` is not a valid form key"));
                        segments.clone()
                    }
                    None => segments.clone(),
                },
                None => segments,
            };
            let ty_text = match get("type") {
                Some(n) => self.text(n, "`type`"),
                None => {
                    self.error_help(
                        key.at,
                        format!("the field `{name}` has no `type`"),
                        "add `type: string` (or boolean, number, enum, list)",
                    );
                    None
                }
            };
            let ty = match ty_text.as_deref() {
                Some("string") => FieldType::String,
                Some("boolean") => FieldType::Boolean,
                Some("number") => FieldType::Number {
                    min: get("min").and_then(|n| self.number(n, "`min`")),
                    max: get("max").and_then(|n| self.number(n, "`max`")),
                },
                Some("enum") => {
                    let mut values = Vec::new();
                    match get("values") {
                        Some(n) => {
                            for v in self.sequence(n, "`values`").unwrap_or_default() {
                                if let Some(t) = self.nonblank(v, "an enum value") {
                                    values.push(t);
                                }
                            }
                            if values.is_empty() {
                                self.error(n.at, "an enum needs at least one value");
                            }
                        }
                        None => self.error_help(
                            key.at,
                            format!("the enum field `{name}` has no `values`"),
                            "list the allowed values: `values: [a, b]`",
                        ),
                    }
                    FieldType::Enum(values)
                }
                Some("list") => {
                    if list.is_some() {
                        self.error(key.at, "lists inside lists are not supported");
                    }
                    FieldType::List {
                        max_items: match get("max_items") {
                            Some(n) => self.whole(n, "`max_items`", 1, 1000).unwrap_or(100),
                            None => 100,
                        },
                    }
                }
                Some(other) => {
                    let hint = closest(other, FIELD_TYPES.iter().copied());
                    self.error_help(
                        get("type").map_or(key.at, |n| n.at),
                        format!("unknown field type `{other}`"),
                        hint.map_or(format!("the types are {}", FIELD_TYPES.join(", ")), |h| {
                            format!("did you mean `{h}`?")
                        }),
                    );
                    continue;
                }
                None => continue,
            };
            let format = match get("format") {
                None => match get("pattern") {
                    Some(n) => self.pattern(n).map(Format::Pattern),
                    None => None,
                },
                Some(n) => match self.text(n, "`format`").as_deref() {
                    Some("email") => Some(Format::Email),
                    Some("phone") => Some(Format::Phone),
                    Some("country") => Some(Format::Country),
                    Some("subdivision") => Some(Format::Subdivision),
                    Some("date") => Some(Format::Date),
                    Some("postal_code") => {
                        match get("country") {
                            Some(c) => postal.push((self.fields.len(), c.clone())),
                            None => self.error_help(
                                n.at,
                                "a postal code needs the field that holds its country",
                                "add `country: customer.address.country`",
                            ),
                        }
                        // Resolved below, once every field is declared.
                        Some(Format::PostalCode {
                            country: usize::MAX,
                        })
                    }
                    Some("pattern") => match get("pattern") {
                        Some(p) => self.pattern(p).map(Format::Pattern),
                        None => {
                            self.error_help(
                                n.at,
                                "`format: pattern` needs a `pattern`",
                                "add `pattern: \"^[A-Z0-9]+$\"`",
                            );
                            None
                        }
                    },
                    Some(other) => {
                        let hint = closest(other, FORMATS.iter().copied());
                        self.error_help(
                            n.at,
                            format!("unknown format `{other}`"),
                            hint.map_or(format!("the formats are {}", FORMATS.join(", ")), |h| {
                                format!("did you mean `{h}`?")
                            }),
                        );
                        None
                    }
                    None => None,
                },
            };
            if format.is_some() && ty != FieldType::String {
                if let Some(n) = get("format").or(get("pattern")) {
                    self.error(n.at, "formats apply to `type: string` fields only");
                }
            }
            let message = match get("message") {
                Some(n) => self.message(n).unwrap_or_default(),
                None => {
                    self.error_help(
                        key.at,
                        format!("the field `{name}` has no `message`"),
                        "add the message a person sees when the value is not valid",
                    );
                    Localized::default()
                }
            };
            let citation = match get("citation") {
                Some(n) => self.nonblank(n, "`citation`").unwrap_or_default(),
                None => citation_default.to_string(),
            };
            let rule = match get("rule") {
                Some(n) => self.nonblank(n, "`rule`").unwrap_or_default(),
                None => format!("input.{name}"),
            };
            let index = self.fields.len();
            self.field_index.insert(name.clone(), index);
            let is_list = matches!(ty, FieldType::List { .. });
            self.fields.push(Field {
                name,
                json,
                form,
                ty,
                format,
                list,
                invalid: RuleText {
                    rule,
                    message,
                    citation,
                },
            });
            if is_list {
                match get("items") {
                    Some(items) => self.declare_fields(items, Some(index), citation_default),
                    None => self.error_help(
                        key.at,
                        "a list field needs `items`",
                        "declare the fields of one element under `items:`",
                    ),
                }
            }
        }
        for (index, country) in postal {
            let target = self
                .text(&country, "`country`")
                .and_then(|name| self.resolve_country_field(&name, country.at, index));
            if let (Some(field), Some(target)) = (self.fields.get_mut(index), target) {
                field.format = Some(Format::PostalCode { country: target });
            }
        }
    }

    fn resolve_country_field(&mut self, name: &str, at: Position, of: usize) -> Option<usize> {
        let target = self.field(name, at)?;
        let ok_format = self
            .fields
            .get(target)
            .map(|f| f.format == Some(Format::Country));
        let same_scope = self.fields.get(target).map(|f| f.list)
            == self.fields.get(of).map(|f| f.list)
            || self.fields.get(target).map(|f| f.list) == Some(None);
        if ok_format != Some(true) {
            self.error(
                at,
                format!("`{name}` is not a field with `format: country`"),
            );
            return None;
        }
        if !same_scope {
            self.error(
                at,
                format!("`{name}` is in another list than the postal code"),
            );
            return None;
        }
        Some(target)
    }

    fn json_pointer(&mut self, node: &Node) -> Option<Vec<String>> {
        let text = self.text(node, "`json`")?;
        let Some(rest) = text.strip_prefix('/') else {
            self.error_help(
                node.at,
                format!("`{text}` is not a JSON pointer"),
                "JSON pointers start with `/`, as in `/customer/phone`",
            );
            return None;
        };
        let segments: Vec<String> = rest
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        if segments.iter().any(String::is_empty) {
            self.error(
                node.at,
                format!("the JSON pointer `{text}` has an empty part"),
            );
            return None;
        }
        Some(segments)
    }

    fn pattern(&mut self, node: &Node) -> Option<usize> {
        let text = self.text(node, "a pattern")?;
        if let Some(construct) = unicode_construct(&text) {
            self.error_help(
                node.at,
                format!("the pattern `{text}` uses `{construct}`, which needs Unicode tables"),
                UNICODE_HELP,
            );
            return None;
        }
        if let Err(detail) = super::dfa_build::build_dfa(&text) {
            let help = if detail.contains("Unicode") {
                UNICODE_HELP
            } else {
                "see https://docs.rs/regex for the pattern syntax"
            };
            let first = detail.lines().last().unwrap_or("invalid pattern").trim();
            let first = first.strip_prefix("error: ").unwrap_or(first).to_string();
            self.error_help(
                node.at,
                format!("the pattern `{text}` does not compile: {first}"),
                help,
            );
            return None;
        }
        if let Some(i) = self.patterns.iter().position(|p| *p == text) {
            return Some(i);
        }
        self.patterns.push(text);
        Some(self.patterns.len() - 1)
    }

    fn field(&mut self, name: &str, at: Position) -> Option<usize> {
        match self.field_index.get(name) {
            Some(&i) => Some(i),
            None => {
                let hint =
                    closest(name, self.field_index.keys().map(String::as_str)).map(str::to_string);
                self.error_help(
                    at,
                    format!("unknown field `{name}`"),
                    hint.map_or("declare it under `input: fields:`".to_string(), |h| {
                        format!("did you mean `{h}`?")
                    }),
                );
                None
            }
        }
    }

    /// Resolves a field name used in a rule, checking that list-element fields are only used
    /// where a list element is in scope.
    fn field_in_scope(&mut self, node: &Node, scope: &Scope) -> Option<usize> {
        let name = self.text(node, "a field name")?;
        let index = self.field(&name, node.at)?;
        let list = self.fields.get(index).and_then(|f| f.list);
        if let Some(list) = list {
            if !scope.items_of.contains(&list) {
                let list_name = self
                    .fields
                    .get(list)
                    .map(|f| f.name.clone())
                    .unwrap_or_default();
                self.error_help(
                    node.at,
                    format!("`{name}` is a field of each element of `{list_name}`, and no element is in scope here"),
                    format!("use `for_each: {list_name}` on the rule, or `any_item: {list_name}` with `where:`"),
                );
                return None;
            }
        }
        Some(index)
    }

    // --- rules ------------------------------------------------------------------------------

    fn rules(&mut self, node: &Node) -> Vec<Rule> {
        let mut rules: Vec<Rule> = Vec::new();
        let mut seen: HashMap<String, Position> = HashMap::new();
        for item in self.sequence(node, "`rules`").unwrap_or_default() {
            let Some(d) = self.mapping(item, "a rule") else {
                continue;
            };
            self.known_keys(d, RULE_KEYS, "a rule");
            let get = |k: &str| d.iter().find(|(key, _)| key.text == k).map(|(_, v)| v);
            let id = match get("id") {
                Some(n) => self.nonblank(n, "the rule `id`"),
                None => {
                    self.error_help(
                        item.at,
                        "this rule has no `id`",
                        "give every rule a unique id, like `phone-required`",
                    );
                    None
                }
            };
            if let (Some(id), Some(n)) = (&id, get("id")) {
                if let Some(first) = seen.get(id) {
                    self.error_help(
                        n.at,
                        format!(
                            "the rule id `{id}` is used twice (first at line {})",
                            first.line
                        ),
                        "rule ids must be unique: decisions and metrics name rules by id",
                    );
                } else if !is_identifier(id) {
                    self.error_help(
                        n.at,
                        format!("the rule id `{id}` has characters that are not allowed"),
                        "use lower-case letters, digits, `-` and `.`",
                    );
                } else if id.starts_with("input.") || id.starts_with("document.") {
                    self.error(
                        n.at,
                        format!(
                            "rule ids starting with `input.` or `document.` are reserved (`{id}`)"
                        ),
                    );
                } else {
                    seen.insert(id.clone(), n.at);
                }
            }
            let outcome = match get("outcome")
                .and_then(|n| self.text(n, "`outcome`"))
                .as_deref()
            {
                Some(text) => {
                    let at = get("outcome").map_or(item.at, |n| n.at);
                    self.closed_word(text, RULE_OUTCOMES, |o| o.as_str(), at, "outcome")
                }
                None => {
                    self.error_help(
                        item.at,
                        "this rule has no `outcome`",
                        "add `outcome: deny`, `incomplete` or `review`",
                    );
                    None
                }
            };
            let mut scope = Scope::default();
            let for_each = match get("for_each") {
                Some(n) => {
                    let list = self.field_in_scope(n, &scope);
                    if let Some(l) = list {
                        if !matches!(
                            self.fields.get(l).map(|f| &f.ty),
                            Some(FieldType::List { .. })
                        ) {
                            self.error(n.at, "`for_each` needs a field of `type: list`");
                        }
                        scope.items_of.push(l);
                    }
                    list
                }
                None => None,
            };
            let require = get("require").and_then(|n| self.field_in_scope(n, &scope));
            let when = get("when").and_then(|n| self.cond(n, &scope));
            let field = match get("field") {
                Some(n) => self.field_in_scope(n, &scope),
                None => {
                    require.or_else(|| when.as_ref().and_then(|w| single_field(w, &self.named)))
                }
            };
            if get("require").is_none() && get("when").is_none() {
                self.error_help(
                    item.at,
                    "this rule has neither `require` nor `when`, so it would fire on every signup",
                    "add `require: FIELD` or a `when:` condition",
                );
            }
            let code = match get("code") {
                Some(n) => {
                    let text = self.text(n, "`code`");
                    text.and_then(|t| {
                        self.closed_word(&t, RULE_CODES, |c| c.as_str(), n.at, "code")
                    })
                }
                None => Some(match (require.is_some(), outcome) {
                    (true, _) => Code::Missing,
                    (false, Some(Outcome::Deny)) => Code::Restricted,
                    (false, Some(Outcome::Review)) => Code::Flagged,
                    _ => Code::Inconsistent,
                }),
            };
            let facts_only = require.is_none()
                && for_each.is_none()
                && when
                    .as_ref()
                    .is_some_and(|w| reads_facts_only(w, &named_facts_only(&self.named)));
            if field.is_none()
                && !facts_only
                && (get("require").is_some() || get("when").is_some())
                && !self.errors_since_rule(item.at)
            {
                self.error_help(
                    item.at,
                    "say which field this rule is about",
                    "add `field: NAME`: the form shows the message next to that field",
                );
            }
            if let (Some(r), Some(w)) = (require, &when) {
                if requires_present(w, r) {
                    self.error(get("when").map_or(item.at, |n| n.at), "this rule can never fire: it requires the field to be absent while `when` requires it to be present");
                }
            }
            let message = match get("message") {
                Some(n) => self.message(n),
                None => {
                    self.error_help(
                        item.at,
                        "this rule has no `message`",
                        "add the sentence a person sees when the rule fires",
                    );
                    None
                }
            };
            let citation = match get("citation") {
                Some(n) => self.nonblank(n, "`citation`"),
                None => {
                    self.error_help(item.at, "this rule has no `citation`", "cite the source the rule implements, e.g. `89 FR 5698, Customer Identification Program`");
                    None
                }
            };
            if let (Some(id), Some(outcome), Some(code), Some(message), Some(citation)) =
                (id, outcome, code, message, citation)
            {
                rules.push(Rule {
                    id,
                    outcome,
                    code,
                    for_each,
                    require,
                    field,
                    when,
                    message,
                    citation,
                    facts_only,
                });
            }
        }
        rules
    }

    /// Whether an error was already reported inside the rule starting at `at`, so that a
    /// follow-on complaint would only repeat it.
    fn errors_since_rule(&self, at: Position) -> bool {
        self.errors.iter().any(|e| e.at >= at)
    }

    // --- conditions -------------------------------------------------------------------------

    fn cond(&mut self, node: &Node, scope: &Scope) -> Option<Cond> {
        let entries = self.mapping(node, "a condition")?;
        let has = |k: &str| {
            entries
                .iter()
                .find(|(key, _)| key.text == k)
                .map(|(_, v)| v)
        };
        let combinator = entries
            .iter()
            .find(|(k, _)| COMBINATOR_KEYS.contains(&k.text.as_str()));
        if let Some((key, value)) = combinator {
            let expected: &[&str] = match key.text.as_str() {
                "any_item" | "every_item" => &["any_item", "every_item", ELEMENT_KEY],
                _ => &["all", "any", "not", "condition"],
            };
            self.known_keys(
                entries,
                expected,
                &format!("a condition with `{}`", key.text),
            );
            if entries.len() > 1 && !matches!(key.text.as_str(), "any_item" | "every_item") {
                self.error_help(
                    node.at,
                    format!("`{}` must stand alone in its condition", key.text),
                    "wrap several conditions in `all:` or `any:`",
                );
                return None;
            }
            return match key.text.as_str() {
                "all" | "any" => {
                    let items = self.sequence(value, &format!("`{}`", key.text))?;
                    if items.is_empty() {
                        self.error(
                            value.at,
                            format!("`{}` needs at least one condition", key.text),
                        );
                        return None;
                    }
                    let conds: Vec<Cond> =
                        items.iter().filter_map(|c| self.cond(c, scope)).collect();
                    if conds.len() != items.len() {
                        return None;
                    }
                    if key.text == "all" {
                        self.check_contradiction(&conds, value.at);
                        Some(Cond::All(conds))
                    } else {
                        Some(Cond::Any(conds))
                    }
                }
                "not" => Some(Cond::Not(Box::new(self.cond(value, scope)?))),
                "condition" => self.named_condition(value, scope),
                _ => {
                    let list = self.field_in_scope(value, scope)?;
                    if !matches!(
                        self.fields.get(list).map(|f| &f.ty),
                        Some(FieldType::List { .. })
                    ) {
                        self.error(
                            value.at,
                            format!("`{}` needs a field of `type: list`", key.text),
                        );
                        return None;
                    }
                    let Some(inner) = has("where") else {
                        self.error_help(
                            node.at,
                            format!("`{}` needs a `where:` condition", key.text),
                            "say what each element must satisfy",
                        );
                        return None;
                    };
                    // The evaluator reads each element of `list` in place of any outer
                    // element, so only this list's fields are in scope inside.
                    let inner_scope = Scope {
                        items_of: vec![list],
                    };
                    let cond = Box::new(self.cond(inner, &inner_scope)?);
                    Some(if key.text == "any_item" {
                        Cond::AnyItem { list, cond }
                    } else {
                        Cond::EveryItem { list, cond }
                    })
                }
            };
        }
        let mut allowed: Vec<&str> = SUBJECT_KEYS.to_vec();
        allowed.extend_from_slice(PREDICATE_KEYS);
        allowed.extend_from_slice(SCREENING_KEYS);
        allowed.push(ELEMENT_KEY);
        self.known_keys(entries, &allowed, "a condition");
        let subjects: Vec<&(Key, Node)> = entries
            .iter()
            .filter(|(k, _)| SUBJECT_KEYS.contains(&k.text.as_str()))
            .collect();
        let predicates: Vec<&(Key, Node)> = entries
            .iter()
            .filter(|(k, _)| PREDICATE_KEYS.contains(&k.text.as_str()))
            .collect();
        let [(skey, svalue)] = subjects.as_slice() else {
            self.error_help(node.at, "a condition needs exactly one subject", "start it with `field:`, `fact:`, `calling_country:` or `subdivision_country:` (or use all/any/not/condition)");
            return None;
        };
        let [(pkey, pvalue)] = predicates.as_slice() else {
            self.error_help(
                node.at,
                "a condition needs exactly one test",
                format!("the tests are: {}", PREDICATE_KEYS.join(", ")),
            );
            return None;
        };
        let (subject, kind) = self.subject(skey, svalue, scope)?;
        let mut predicate = self.predicate(pkey, pvalue, &kind, scope)?;
        for (key, value) in entries
            .iter()
            .filter(|(k, _)| SCREENING_KEYS.contains(&k.text.as_str()))
        {
            let Predicate::Screened {
                country,
                date_of_birth,
                ..
            } = &mut predicate
            else {
                self.error_help(
                    key.at,
                    format!("`{}` goes only with `in_list` on a names list", key.text),
                    "it names the applicant's field that a listed party may share",
                );
                return None;
            };
            if key.text == "country" {
                *country = Some(self.screened_country(value, scope)?);
            } else {
                *date_of_birth = Some(self.screened_date_of_birth(value, scope)?);
            }
        }
        Some(Cond::Test { subject, predicate })
    }

    fn named_condition(&mut self, value: &Node, scope: &Scope) -> Option<Cond> {
        let name = self.text(value, "a condition name")?;
        if self.expanding.contains(&name) {
            self.error(value.at, format!("the condition `{name}` refers to itself"));
            return None;
        }
        let Some(def) = self.conditions.get(&name).cloned() else {
            let hint =
                closest(&name, self.conditions.keys().map(String::as_str)).map(str::to_string);
            self.error_help(
                value.at,
                format!("unknown condition `{name}`"),
                hint.map_or("define it under `conditions:`".to_string(), |h| {
                    format!("did you mean `{h}`?")
                }),
            );
            return None;
        };
        // Lowered at every use, so that each use is checked in its own scope; the result does
        // not depend on the scope, so the first one is kept.
        self.expanding.push(name.clone());
        let before = self.errors.len();
        let cond = self.cond(&def, scope);
        self.expanding.pop();
        if self.errors.len() > before {
            return None;
        }
        if let Some(i) = self.named.iter().position(|n| n.name == name) {
            return Some(Cond::Named(i));
        }
        let cond = cond?;
        let reads_elements = reads_elements(&cond, &self.fields, &self.named);
        self.named.push(NamedCond {
            name,
            cond,
            reads_elements,
        });
        Some(Cond::Named(self.named.len() - 1))
    }

    fn subject(&mut self, key: &Key, value: &Node, scope: &Scope) -> Option<(Subject, Kind)> {
        match key.text.as_str() {
            "field" => {
                let f = self.field_in_scope(value, scope)?;
                let kind = self.field_kind(f);
                Some((Subject::Field(f), kind))
            }
            "calling_country" => {
                let f = self.field_in_scope(value, scope)?;
                if self.fields.get(f).and_then(|x| x.format.clone()) != Some(Format::Phone) {
                    self.error(
                        value.at,
                        "`calling_country` needs a field with `format: phone`",
                    );
                    return None;
                }
                Some((Subject::CallingCountry(f), Kind::Countries))
            }
            "subdivision_country" => {
                let f = self.field_in_scope(value, scope)?;
                if self.fields.get(f).and_then(|x| x.format.clone()) != Some(Format::Subdivision) {
                    self.error(
                        value.at,
                        "`subdivision_country` needs a field with `format: subdivision`",
                    );
                    return None;
                }
                Some((Subject::SubdivisionCountry(f), Kind::Country))
            }
            _ => {
                let text = self.text(value, "a fact")?;
                let Some((_, fact)) = FACTS.iter().find(|(name, _)| *name == text) else {
                    let hint = closest(&text, names(FACTS));
                    self.error_help(
                        value.at,
                        format!("unknown fact `{text}`"),
                        hint.map_or(
                            format!("the gateway facts are {}", names(FACTS).join(", ")),
                            |h| format!("did you mean `{h}`?"),
                        ),
                    );
                    return None;
                };
                let kind = match fact {
                    Fact::ClientIp => Kind::Ip,
                    Fact::GeoCountry => Kind::Country,
                    Fact::GeoRegion => Kind::Text(Some(Format::Subdivision)),
                    Fact::Time => Kind::Time,
                };
                Some((Subject::Fact(*fact), kind))
            }
        }
    }

    fn field_kind(&self, f: usize) -> Kind {
        match self.fields.get(f).map(|x| (&x.ty, &x.format)) {
            Some((FieldType::Boolean, _)) => Kind::Bool,
            Some((FieldType::Number { min, max }, _)) => Kind::Number {
                min: *min,
                max: *max,
            },
            Some((FieldType::Enum(values), _)) => Kind::Enum(values.clone()),
            Some((FieldType::List { .. }, _)) => Kind::List,
            Some((FieldType::String, format)) => Kind::Text(format.clone()),
            None => Kind::Text(None),
        }
    }

    fn predicate(
        &mut self,
        key: &Key,
        value: &Node,
        kind: &Kind,
        scope: &Scope,
    ) -> Option<Predicate> {
        let at = value.at;
        let mismatch = |l: &mut Lowering, what: &str| {
            l.error(
                at,
                format!("`{}` cannot test {}: {what}", key.text, kind.describe()),
            );
        };
        match key.text.as_str() {
            "present" => Some(Predicate::Present(self.boolean(value, "`present`")?)),
            "equals" => {
                let s = self.scalar(value)?;
                self.check_scalar(&s, kind, at)?;
                Some(Predicate::Equals(s))
            }
            "in" => {
                let items = self.sequence(value, "`in`")?;
                if items.is_empty() {
                    self.error(at, "this condition can never be true: `in` has no values");
                    return None;
                }
                let mut values = Vec::new();
                for item in items {
                    let s = self.scalar(item)?;
                    self.check_scalar(&s, kind, item.at)?;
                    values.push(s);
                }
                Some(Predicate::In(values))
            }
            "in_list" => {
                let name = self.text(value, "a list name")?;
                if self.unreadable_lists.contains(&name) {
                    return None;
                }
                let Some(&list) = self.list_index.get(&name) else {
                    let hint = closest(&name, self.list_index.keys().map(String::as_str))
                        .map(str::to_string);
                    self.error_help(
                        at,
                        format!("unknown list `{name}`"),
                        hint.map_or("define it under `lists:`".to_string(), |h| {
                            format!("did you mean `{h}`?")
                        }),
                    );
                    return None;
                };
                let list_kind = self.lists.get(list).map(|l| l.kind);
                let fits = match list_kind {
                    Some(ListKind::Country) => kind.is_country(),
                    Some(ListKind::Subdivision) => *kind == Kind::Text(Some(Format::Subdivision)),
                    Some(ListKind::Text) => kind.is_text(),
                    Some(ListKind::PostalCode) => {
                        matches!(kind, Kind::Text(Some(Format::PostalCode { .. })))
                    }
                    Some(ListKind::PhoneNumber) => *kind == Kind::Text(Some(Format::Phone)),
                    Some(ListKind::Names) => {
                        matches!(kind, Kind::Text(None | Some(Format::Pattern(_))))
                    }
                    None => false,
                };
                if !fits {
                    mismatch(
                        self,
                        &format!(
                            "`{name}` is a list of {}",
                            match list_kind {
                                Some(ListKind::Country) => "country codes",
                                Some(ListKind::Subdivision) => "subdivision codes",
                                Some(ListKind::PostalCode) =>
                                    "postal codes (test a `format: postal_code` field)",
                                Some(ListKind::PhoneNumber) =>
                                    "telephone number prefixes (test a `format: phone` field)",
                                Some(ListKind::Names) =>
                                    "names (test a text field without a format, such as a legal name)",
                                _ => "names",
                            }
                        ),
                    );
                    return None;
                }
                if self.lists.get(list).is_some_and(|l| l.entries.is_empty()) {
                    self.error(
                        at,
                        format!("this condition can never be true: the list `{name}` is empty"),
                    );
                    return None;
                }
                Some(match list_kind {
                    Some(ListKind::Names) => Predicate::Screened {
                        list,
                        country: None,
                        date_of_birth: None,
                    },
                    _ => Predicate::InList(list),
                })
            }
            "matches" => {
                if !matches!(kind, Kind::Text(_) | Kind::Enum(_) | Kind::Country) {
                    mismatch(self, "patterns match text");
                    return None;
                }
                Some(Predicate::Matches(self.pattern(value)?))
            }
            "less_than" | "at_most" | "greater_than" | "at_least" => {
                let op = match key.text.as_str() {
                    "less_than" => CompareOp::Lt,
                    "at_most" => CompareOp::Lte,
                    "greater_than" => CompareOp::Gt,
                    _ => CompareOp::Gte,
                };
                let bound = match kind {
                    Kind::Number { min, max } => {
                        let n = self.number(value, &format!("`{}`", key.text))?;
                        let never = match op {
                            CompareOp::Lt => min.is_some_and(|m| n <= m),
                            CompareOp::Lte => min.is_some_and(|m| n < m),
                            CompareOp::Gt => max.is_some_and(|m| n >= m),
                            CompareOp::Gte => max.is_some_and(|m| n > m),
                        };
                        if never {
                            self.error(at, format!("this condition can never be true: the field only takes values from {} to {}", min.map_or("any".into(), |m| m.to_string()), max.map_or("any".into(), |m| m.to_string())));
                            return None;
                        }
                        n
                    }
                    Kind::Time => {
                        let text = self.text(value, "a date")?;
                        match formats::parse_timestamp(&text) {
                            Some(t) => t as f64,
                            None => {
                                self.error_help(
                                    at,
                                    format!("`{text}` is not a date"),
                                    "write dates as 2026-01-31 or 2026-01-31T12:00:00Z",
                                );
                                return None;
                            }
                        }
                    }
                    _ => {
                        mismatch(self, "comparisons apply to numbers and the time");
                        return None;
                    }
                };
                Some(Predicate::Compare(op, bound))
            }
            "same_as" | "differs_from" => {
                let other = self.field_in_scope(value, scope)?;
                let other_kind = self.field_kind(other);
                let compatible = (kind.is_country() && other_kind.is_country())
                    || (kind.is_text()
                        && other_kind.is_text()
                        && !kind.is_country()
                        && !other_kind.is_country())
                    || (*kind == other_kind);
                if !compatible {
                    mismatch(
                        self,
                        &format!("the other field holds {}", other_kind.describe()),
                    );
                    return None;
                }
                let subject = Subject::Field(other);
                Some(if key.text == "same_as" {
                    Predicate::SameAs(subject)
                } else {
                    Predicate::DiffersFrom(subject)
                })
            }
            "in_networks" => {
                if *kind != Kind::Ip {
                    mismatch(self, "networks contain IP addresses");
                    return None;
                }
                let mut networks = Vec::new();
                for item in self.sequence(value, "`in_networks`")? {
                    let text = self.text(item, "a network")?;
                    match formats::parse_network(&text) {
                        Some(n) => networks.push(n),
                        None => self.error_help(
                            item.at,
                            format!("`{text}` is not a network"),
                            "write networks in CIDR form, like 192.0.2.0/24 or 2001:db8::/32",
                        ),
                    }
                }
                Some(Predicate::InNetworks(networks))
            }
            _ => {
                if !kind.is_country() {
                    mismatch(self, "it applies to country codes");
                    return None;
                }
                Some(if key.text == "requires_postal_code" {
                    Predicate::RequiresPostalCode(self.boolean(value, "`requires_postal_code`")?)
                } else {
                    Predicate::UsesPostalCode(self.boolean(value, "`uses_postal_code`")?)
                })
            }
        }
    }

    /// Checks a literal against what the subject can hold; a literal it can never equal makes
    /// the condition never true, which is an error rather than a silent dead rule.
    fn check_scalar(&mut self, s: &Scalar, kind: &Kind, at: Position) -> Option<()> {
        let ok = match (kind, s) {
            (Kind::Bool, Scalar::Bool(_)) => true,
            (Kind::Number { .. }, Scalar::Number(_)) => true,
            (Kind::Enum(values), Scalar::String(v)) => {
                if !values.contains(v) {
                    self.error_help(at, format!("this condition can never be true: `{v}` is not one of the field's values"), format!("the values are: {}", values.join(", ")));
                    return None;
                }
                true
            }
            (k, Scalar::String(v)) if k.is_country() => return self.country_code(v, at),
            (Kind::Text(Some(Format::Subdivision)), Scalar::String(v)) => {
                return self.subdivision_code(v, at)
            }
            (Kind::Text(_), Scalar::String(_)) => true,
            _ => false,
        };
        if !ok {
            let given = match s {
                Scalar::Bool(_) => "true/false",
                Scalar::Number(_) => "a number",
                Scalar::String(_) => "text",
            };
            self.error(
                at,
                format!(
                    "type mismatch: the subject is {}, the value is {given}",
                    kind.describe()
                ),
            );
            return None;
        }
        Some(())
    }

    /// Reports `all` branches that test the same subject for two different exact values.
    fn check_contradiction(&mut self, conds: &[Cond], at: Position) {
        for (i, a) in conds.iter().enumerate() {
            for b in conds.iter().skip(i + 1) {
                if let (
                    Cond::Test {
                        subject: sa,
                        predicate: Predicate::Equals(va),
                    },
                    Cond::Test {
                        subject: sb,
                        predicate: Predicate::Equals(vb),
                    },
                ) = (a, b)
                {
                    if sa == sb && va != vb && !matches!(sa, Subject::CallingCountry(_)) {
                        self.error(at, "this condition can never be true: `all` asks for one value to equal two different values");
                    }
                }
            }
        }
    }
}

/// The field of a condition that tests a single field, to name in its violations.
fn single_field(cond: &Cond, named: &[NamedCond]) -> Option<usize> {
    match cond {
        Cond::Named(i) => named.get(*i).and_then(|n| single_field(&n.cond, named)),
        Cond::Test {
            subject: Subject::Field(f) | Subject::CallingCountry(f) | Subject::SubdivisionCountry(f),
            ..
        } => Some(*f),
        _ => None,
    }
}

/// Whether `cond` can only hold when field `f` is present (a top-level `present: true` test
/// of it, possibly under `all`).
fn requires_present(cond: &Cond, f: usize) -> bool {
    match cond {
        Cond::All(cs) => cs.iter().any(|c| requires_present(c, f)),
        Cond::Test {
            subject: Subject::Field(g),
            predicate: Predicate::Present(true),
        } => *g == f,
        _ => false,
    }
}

/// The first construct of a pattern that needs the regex crate's Unicode tables (`\d`, `\w`,
/// `\s`, `\b`, `\p{..}`, case-insensitive flags). Checked on the text, so that the answer does
/// not depend on which regex features a particular build happens to enable.
fn unicode_construct(pattern: &str) -> Option<String> {
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(e @ ('d' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B' | 'p' | 'P')) =
                    chars.next()
                {
                    return Some(format!("\\{e}"));
                }
            }
            '(' if chars.peek() == Some(&'?') => {
                let flags: String = chars
                    .clone()
                    .skip(1)
                    .take_while(|f| *f != ':' && *f != ')')
                    .collect();
                if flags.chars().take_while(|f| *f != '-').any(|f| f == 'i') {
                    return Some(format!("(?{flags}"));
                }
            }
            _ => {}
        }
    }
    None
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

fn is_field_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
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

#[cfg(test)]
mod tests {
    use super::unicode_construct;

    #[test]
    fn unicode_constructs_are_found_on_the_text() {
        assert_eq!(unicode_construct(r"^\d{5}$").as_deref(), Some(r"\d"));
        assert_eq!(unicode_construct(r"\p{L}+").as_deref(), Some(r"\p"));
        assert_eq!(unicode_construct("(?i)abc").as_deref(), Some("(?i"));
        assert_eq!(unicode_construct("(?si:a)").as_deref(), Some("(?si"));
        assert_eq!(unicode_construct(r"^\+7(365|869)"), None);
        assert_eq!(unicode_construct(r"^[0-9]+\.(?-i:x)$"), None);
        assert_eq!(unicode_construct(r"\\d"), None);
    }
}
