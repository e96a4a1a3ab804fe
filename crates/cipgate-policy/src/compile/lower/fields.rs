//! Lowering `input: fields:`: each field's name, where it is read from, its type and format
//! (patterns checked to compile to a DFA), its message; and resolving the field names rules use.

use super::super::diagnostics::{closest, Position};
use super::super::error_codes::ErrorCode;
use super::super::syntax::Name;
use super::super::values::ReadValues;
use super::super::vocabulary::{
    names, word, FieldTypeWord, FormatWord, FIELD_KEYS, FIELD_TYPES, FORMATS,
};
use super::super::yaml::Node;
use super::{Lowering, Scope};
use crate::ir::{Field, FieldType, Format, Localized, RuleText};

const UNICODE_HELP: &str = "cipgate builds patterns without Unicode classes to keep modules small: write [0-9] for \\d, [A-Za-z] for letters, and spell out case variants instead of (?i)";

impl Lowering<'_> {
    /// Declares the fields of `node`, either top-level or the items of list field `list`.
    /// Formats that name another field (postal codes) are resolved once all are declared.
    pub(super) fn declare_fields(
        &mut self,
        node: &Node,
        list: Option<usize>,
        citation_default: &str,
    ) {
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
                    ErrorCode::BadName,
                    key.at,
                    format!("`{}` is not a valid field name", key.text),
                    "use letters, digits and `_`, with `.` between the parts",
                );
                continue;
            }
            if self.field_index.contains_key(&name) {
                self.error(
                    ErrorCode::DuplicateName,
                    key.at,
                    format!("the field `{name}` is declared twice"),
                );
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
                        self.error(
                            ErrorCode::BadName,
                            n.at,
                            format!("`{f}` is not a valid form key"),
                        );
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
                        ErrorCode::MissingKey,
                        key.at,
                        format!("the field `{name}` has no `type`"),
                        "add `type: string` (or boolean, number, enum, list)",
                    );
                    None
                }
            };
            let ty_word = match ty_text.as_deref() {
                Some(text) => match word(FIELD_TYPES, text) {
                    Some(w) => Some(w),
                    None => {
                        self.unknown_word(
                            get("type").map_or(key.at, |n| n.at),
                            format!("unknown field type `{text}`"),
                            text,
                            &names(FIELD_TYPES),
                            || format!("the types are {}", names(FIELD_TYPES).join(", ")),
                        );
                        continue;
                    }
                },
                None => None,
            };
            let ty = match ty_word {
                Some(FieldTypeWord::String) => FieldType::String,
                Some(FieldTypeWord::Boolean) => FieldType::Boolean,
                Some(FieldTypeWord::Number) => FieldType::Number {
                    min: get("min").and_then(|n| self.number(n, "`min`")),
                    max: get("max").and_then(|n| self.number(n, "`max`")),
                },
                Some(FieldTypeWord::Enum) => {
                    let mut values = Vec::new();
                    match get("values") {
                        Some(n) => {
                            for v in self.sequence(n, "`values`").unwrap_or_default() {
                                if let Some(t) = self.nonblank(v, "an enum value") {
                                    values.push(t);
                                }
                            }
                            if values.is_empty() {
                                self.error(
                                    ErrorCode::Empty,
                                    n.at,
                                    "an enum needs at least one value",
                                );
                            }
                        }
                        None => self.error_help(
                            ErrorCode::MissingKey,
                            key.at,
                            format!("the enum field `{name}` has no `values`"),
                            "list the allowed values: `values: [a, b]`",
                        ),
                    }
                    FieldType::Enum(values)
                }
                Some(FieldTypeWord::List) => {
                    if list.is_some() {
                        self.error(
                            ErrorCode::Unsupported,
                            key.at,
                            "lists inside lists are not supported",
                        );
                    }
                    FieldType::List {
                        max_items: match get("max_items") {
                            Some(n) => self.whole(n, "`max_items`", 1, 1000).unwrap_or(100),
                            None => 100,
                        },
                    }
                }
                None => continue,
            };
            let format = match get("format") {
                None => match get("pattern") {
                    Some(n) => self.pattern(n).map(Format::Pattern),
                    None => None,
                },
                Some(n) => match self.format_word(n) {
                    Some(FormatWord::Email) => Some(Format::Email),
                    Some(FormatWord::Phone) => Some(Format::Phone),
                    Some(FormatWord::Country) => Some(Format::Country),
                    Some(FormatWord::Subdivision) => Some(Format::Subdivision),
                    Some(FormatWord::Date) => Some(Format::Date),
                    Some(FormatWord::PostalCode) => {
                        match get("country") {
                            Some(c) => postal.push((self.fields.len(), c.clone())),
                            None => self.error_help(
                                ErrorCode::MissingKey,
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
                    Some(FormatWord::Pattern) => match get("pattern") {
                        Some(p) => self.pattern(p).map(Format::Pattern),
                        None => {
                            self.error_help(
                                ErrorCode::MissingKey,
                                n.at,
                                "`format: pattern` needs a `pattern`",
                                "add `pattern: \"^[A-Z0-9]+$\"`",
                            );
                            None
                        }
                    },
                    None => None,
                },
            };
            if format.is_some() && ty != FieldType::String {
                if let Some(n) = get("format").or(get("pattern")) {
                    self.error(
                        ErrorCode::TypeMismatch,
                        n.at,
                        "formats apply to `type: string` fields only",
                    );
                }
            }
            let message = match get("message") {
                Some(n) => self.message(n).unwrap_or_default(),
                None => {
                    self.error_help(
                        ErrorCode::MissingKey,
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
                        ErrorCode::MissingKey,
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

    /// A `format:` word, or `None` once reported.
    fn format_word(&mut self, node: &Node) -> Option<FormatWord> {
        let text = self.text(node, "`format`")?;
        let found = word(FORMATS, &text);
        if found.is_none() {
            self.unknown_word(
                node.at,
                format!("unknown format `{text}`"),
                &text,
                &names(FORMATS),
                || format!("the formats are {}", names(FORMATS).join(", ")),
            );
        }
        found
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
                ErrorCode::TypeMismatch,
                at,
                format!("`{name}` is not a field with `format: country`"),
            );
            return None;
        }
        if !same_scope {
            self.error(
                ErrorCode::OutOfScope,
                at,
                format!("`{name}` is in another list than the postal code"),
            );
            return None;
        }
        Some(target)
    }

    pub(super) fn json_pointer(&mut self, node: &Node) -> Option<Vec<String>> {
        let text = self.text(node, "`json`")?;
        let Some(rest) = text.strip_prefix('/') else {
            self.error_help(
                ErrorCode::BadName,
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
                ErrorCode::BadName,
                node.at,
                format!("the JSON pointer `{text}` has an empty part"),
            );
            return None;
        }
        Some(segments)
    }

    pub(super) fn pattern(&mut self, node: &Node) -> Option<usize> {
        let text = self.text(node, "a pattern")?;
        self.pattern_text(text, node.at)
    }

    /// A pattern that compiles to a DFA without Unicode tables, as its index in the policy's
    /// patterns (each pattern kept once).
    pub(super) fn pattern_text(&mut self, text: String, at: Position) -> Option<usize> {
        if let Some(construct) = unicode_construct(&text) {
            self.error_help(
                ErrorCode::Pattern,
                at,
                format!("the pattern `{text}` uses `{construct}`, which needs Unicode tables"),
                UNICODE_HELP,
            );
            return None;
        }
        if let Err(detail) = super::super::dfa_build::build_dfa(&text) {
            let help = if detail.contains("Unicode") {
                UNICODE_HELP
            } else {
                "see https://docs.rs/regex for the pattern syntax"
            };
            let first = detail.lines().last().unwrap_or("invalid pattern").trim();
            let first = first.strip_prefix("error: ").unwrap_or(first).to_string();
            self.error_help(
                ErrorCode::Pattern,
                at,
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

    pub(super) fn field(&mut self, name: &str, at: Position) -> Option<usize> {
        match self.field_index.get(name) {
            Some(&i) => Some(i),
            None => {
                let hint =
                    closest(name, self.field_index.keys().map(String::as_str)).map(str::to_string);
                self.error_help(
                    ErrorCode::UnknownName,
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
    pub(super) fn field_in_scope(&mut self, node: &Node, scope: &Scope) -> Option<usize> {
        let name = self.text(node, "a field name")?;
        self.field_name_in_scope(
            &Name {
                text: name,
                at: node.at,
            },
            scope,
        )
    }

    /// [`Self::field_in_scope`] for a name the shape pass has read.
    pub(super) fn field_name_in_scope(&mut self, name: &Name, scope: &Scope) -> Option<usize> {
        let (at, name) = (name.at, &name.text);
        let index = self.field(name, at)?;
        let list = self.fields.get(index).and_then(|f| f.list);
        if let Some(list) = list {
            if !scope.items_of.contains(&list) {
                let list_name = self
                    .fields
                    .get(list)
                    .map(|f| f.name.clone())
                    .unwrap_or_default();
                self.error_help(ErrorCode::OutOfScope,
                    at,
                    format!("`{name}` is a field of each element of `{list_name}`, and no element is in scope here"),
                    format!("use `for_each: {list_name}` on the rule, or `any_item: {list_name}` with `where:`"),
                );
                return None;
            }
        }
        Some(index)
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

fn is_field_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
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
