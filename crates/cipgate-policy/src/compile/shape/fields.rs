//! Shaping `input: fields:`: each field's name (valid and declared once), where it is read
//! from, its type, format and pattern, its message. The field a postal code's country is in
//! is resolved by the check pass.

use super::super::error_codes::ErrorCode;
use super::super::patterns;
use super::super::syntax::{FieldSyntax, FieldTypeSyntax, FormatSyntax, Message};
use super::super::values::{ReadValues, Report};
use super::super::vocabulary::{
    names, word, FieldTypeWord, FormatWord, FIELD_KEYS, FIELD_TYPES, FORMATS,
};
use super::super::yaml::Node;
use super::{get, Shape};

impl Shape {
    /// The fields of `node`: top-level, or the items of the list field named `list`.
    pub(super) fn fields(
        &mut self,
        node: &Node,
        list: Option<&str>,
        citation_default: &str,
    ) -> Vec<FieldSyntax> {
        let Some(entries) = self.mapping(node, "`fields`") else {
            return Vec::new();
        };
        let mut fields = Vec::new();
        for (key, decl) in entries {
            let name = match list {
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
            if self.field_names.contains(&name) {
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
            let segments: Vec<String> = key.text.split('.').map(str::to_string).collect();
            let json = match get(d, "json") {
                Some(n) => self.json_pointer(n).unwrap_or_else(|| segments.clone()),
                None => segments.clone(),
            };
            let form = match get(d, "form") {
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
            let ty_text = match get(d, "type") {
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
                            get(d, "type").map_or(key.at, |n| n.at),
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
                Some(FieldTypeWord::String) => FieldTypeSyntax::String,
                Some(FieldTypeWord::Boolean) => FieldTypeSyntax::Boolean,
                Some(FieldTypeWord::Number) => FieldTypeSyntax::Number {
                    min: get(d, "min").and_then(|n| self.number(n, "`min`")),
                    max: get(d, "max").and_then(|n| self.number(n, "`max`")),
                },
                Some(FieldTypeWord::Enum) => FieldTypeSyntax::Enum(self.enum_values(d, key, &name)),
                Some(FieldTypeWord::List) => {
                    if list.is_some() {
                        self.error(
                            ErrorCode::Unsupported,
                            key.at,
                            "lists inside lists are not supported",
                        );
                    }
                    FieldTypeSyntax::List {
                        max_items: match get(d, "max_items") {
                            Some(n) => self.whole(n, "`max_items`", 1, 1000).unwrap_or(100),
                            None => 100,
                        },
                        // Read once the field itself is declared.
                        items: Vec::new(),
                    }
                }
                None => continue,
            };
            let format = self.format(d);
            if format.is_some() && !matches!(ty, FieldTypeSyntax::String) {
                if let Some(n) = get(d, "format").or(get(d, "pattern")) {
                    self.error(
                        ErrorCode::TypeMismatch,
                        n.at,
                        "formats apply to `type: string` fields only",
                    );
                }
            }
            let message = match get(d, "message") {
                Some(n) => self.message(n).unwrap_or_default(),
                None => {
                    self.error_help(
                        ErrorCode::MissingKey,
                        key.at,
                        format!("the field `{name}` has no `message`"),
                        "add the message a person sees when the value is not valid",
                    );
                    Message::default()
                }
            };
            let citation = match get(d, "citation") {
                Some(n) => self.nonblank(n, "`citation`").unwrap_or_default(),
                None => citation_default.to_string(),
            };
            let rule = match get(d, "rule") {
                Some(n) => self.nonblank(n, "`rule`").unwrap_or_default(),
                None => format!("input.{name}"),
            };
            self.field_names.insert(name.clone());
            let ty = match ty {
                FieldTypeSyntax::List { max_items, .. } => FieldTypeSyntax::List {
                    max_items,
                    items: match get(d, "items") {
                        Some(items) => self.fields(items, Some(&name), citation_default),
                        None => {
                            self.error_help(
                                ErrorCode::MissingKey,
                                key.at,
                                "a list field needs `items`",
                                "declare the fields of one element under `items:`",
                            );
                            Vec::new()
                        }
                    },
                },
                ty => ty,
            };
            fields.push(FieldSyntax {
                name,
                json,
                form,
                ty,
                format,
                message,
                citation,
                rule,
            });
        }
        fields
    }

    fn enum_values(
        &mut self,
        d: &[(super::super::yaml::Key, Node)],
        key: &super::super::yaml::Key,
        name: &str,
    ) -> Vec<String> {
        let mut values = Vec::new();
        match get(d, "values") {
            Some(n) => {
                for v in self.sequence(n, "`values`").unwrap_or_default() {
                    if let Some(t) = self.nonblank(v, "an enum value") {
                        values.push(t);
                    }
                }
                if values.is_empty() {
                    self.error(ErrorCode::Empty, n.at, "an enum needs at least one value");
                }
            }
            None => self.error_help(
                ErrorCode::MissingKey,
                key.at,
                format!("the enum field `{name}` has no `values`"),
                "list the allowed values: `values: [a, b]`",
            ),
        }
        values
    }

    /// The field's `format:` (or its `pattern:` alone), `None` if it has none or it is wrong.
    fn format(&mut self, d: &[(super::super::yaml::Key, Node)]) -> Option<FormatSyntax> {
        let Some(n) = get(d, "format") else {
            return get(d, "pattern").and_then(|p| self.pattern(p));
        };
        Some(match self.format_word(n)? {
            FormatWord::Email => FormatSyntax::Email,
            FormatWord::Phone => FormatSyntax::Phone,
            FormatWord::Country => FormatSyntax::Country,
            FormatWord::Subdivision => FormatSyntax::Subdivision,
            FormatWord::Date => FormatSyntax::Date,
            FormatWord::PostalCode => {
                let country = match get(d, "country") {
                    Some(c) => self.name(c, "`country`"),
                    None => {
                        self.error_help(
                            ErrorCode::MissingKey,
                            n.at,
                            "a postal code needs the field that holds its country",
                            "add `country: customer.address.country`",
                        );
                        None
                    }
                };
                FormatSyntax::PostalCode(country)
            }
            FormatWord::Pattern => match get(d, "pattern") {
                Some(p) => return self.pattern(p),
                None => {
                    self.error_help(
                        ErrorCode::MissingKey,
                        n.at,
                        "`format: pattern` needs a `pattern`",
                        "add `pattern: \"^[A-Z0-9]+$\"`",
                    );
                    return None;
                }
            },
        })
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

    fn pattern(&mut self, node: &Node) -> Option<FormatSyntax> {
        let text = self.text(node, "a pattern")?;
        match patterns::check(&text, node.at) {
            Ok(()) => Some(FormatSyntax::Pattern(text)),
            Err(d) => {
                self.report(d);
                None
            }
        }
    }

    fn json_pointer(&mut self, node: &Node) -> Option<Vec<String>> {
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
