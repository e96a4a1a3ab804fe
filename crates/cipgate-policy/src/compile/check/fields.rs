//! Checking `input: fields:`: each field declared in order (an element's fields after their
//! list field), its pattern numbered, the field a postal code's country is in resolved; and
//! resolving the field names rules use.

use super::super::diagnostics::{closest, declared, Position};
use super::super::error_codes::ErrorCode;
use super::super::patterns;
use super::super::syntax::{FieldSyntax, FieldTypeSyntax, FormatSyntax, Name};
use super::super::values::Report;
use super::{Checker, Scope};
use crate::compile::emit;
use crate::ir::{Field, FieldType, Format, RuleText};

impl Checker<'_> {
    /// Declares `fields`, either top-level or the items of list field `list`. Postal codes'
    /// countries are resolved once the fields of the mapping are declared.
    pub(super) fn declare_fields(&mut self, fields: &[FieldSyntax], list: Option<usize>) {
        let mut postal: Vec<(usize, &Name)> = Vec::new();
        for f in fields {
            let index = self.fields.len();
            let format = match &f.format {
                None => None,
                Some(FormatSyntax::Email) => Some(Format::Email),
                Some(FormatSyntax::Phone) => Some(Format::Phone),
                Some(FormatSyntax::Country) => Some(Format::Country),
                Some(FormatSyntax::Subdivision) => Some(Format::Subdivision),
                Some(FormatSyntax::Date) => Some(Format::Date),
                Some(FormatSyntax::PostalCode(country)) => {
                    if let Some(country) = country {
                        postal.push((index, country));
                    }
                    // Resolved below, once every field is declared.
                    Some(Format::PostalCode {
                        country: usize::MAX,
                    })
                }
                Some(FormatSyntax::Pattern(text)) => {
                    Some(Format::Pattern(self.pattern_index(text)))
                }
            };
            let ty = match &f.ty {
                FieldTypeSyntax::String => FieldType::String,
                FieldTypeSyntax::Boolean => FieldType::Boolean,
                FieldTypeSyntax::Number { min, max } => FieldType::Number {
                    min: *min,
                    max: *max,
                },
                FieldTypeSyntax::Enum(values) => FieldType::Enum(values.clone()),
                FieldTypeSyntax::List { max_items, .. } => FieldType::List {
                    max_items: *max_items,
                },
            };
            self.field_index.insert(f.name.clone(), index);
            self.fields.push(Field {
                name: f.name.clone(),
                json: f.json.clone(),
                form: f.form.clone(),
                ty,
                format,
                list,
                invalid: RuleText {
                    rule: f.rule.clone(),
                    message: emit::localized(&f.message),
                    citation: f.citation.clone(),
                },
            });
            if let FieldTypeSyntax::List { items, .. } = &f.ty {
                self.declare_fields(items, Some(index));
            }
        }
        for (index, country) in postal {
            let target = self.resolve_country_field(&country.text, country.at, index);
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

    /// The index of a pattern in the policy's patterns (each pattern kept once).
    fn pattern_index(&mut self, text: &str) -> usize {
        match self.patterns.iter().position(|p| p == text) {
            Some(i) => i,
            None => {
                self.patterns.push(text.to_string());
                self.patterns.len() - 1
            }
        }
    }

    /// A condition's pattern, checked once its subject is known to be text.
    pub(super) fn pattern(&mut self, text: &str, at: Position) -> Option<usize> {
        match patterns::check(text, at) {
            Ok(()) => Some(self.pattern_index(text)),
            Err(d) => {
                self.report(d);
                None
            }
        }
    }

    pub(super) fn field(&mut self, name: &str, at: Position) -> Option<usize> {
        match self.field_index.get(name) {
            Some(&i) => Some(i),
            None => {
                let hint = closest(name, declared(&self.field_index)).map(str::to_string);
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
    pub(super) fn field_in_scope(&mut self, name: &Name, scope: &Scope) -> Option<usize> {
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
