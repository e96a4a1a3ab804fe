//! Reading a signup: each declared field once, typed and checked against its declaration
//! into a slot (absent / invalid / valid), list elements a row each.

use crate::decision::{Code, Outcome, Violation};
use crate::formats::{self, E164};
use crate::ir::{BodyFormat, Field, FieldType, Format};
use crate::policy::CompiledPolicy;
use crate::tables;
use crate::value::Value;
use std::borrow::Cow;
use std::net::IpAddr;

/// A field's value in one signup, typed and checked against its declaration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Slot<'d> {
    Absent,
    Invalid,
    Valid(Val<'d>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Val<'d> {
    Text(&'d str),
    /// A phone number in E.164 form, compared as text, with the countries its calling code
    /// (and national prefix) belongs to, looked up once.
    Phone(E164, &'static [&'static str]),
    Bool(bool),
    Number(f64),
    /// A non-empty list with this many elements.
    List(usize),
    Countries(&'static [&'static str]),
    Ip(IpAddr),
}

impl Val<'_> {
    /// The value as rules compare text: phone numbers in E.164 form.
    pub(super) fn text(&self) -> Option<&str> {
        match self {
            Val::Text(t) => Some(t),
            Val::Phone(e164, _) => Some(e164.as_str()),
            _ => None,
        }
    }
}

/// The declared fields of one signup, read once. List elements get a row of their own.
/// `'p` is the policy's lifetime, `'d` the document's.
pub(super) struct Signup<'p, 'd> {
    /// Indexed by field; entries of list-element fields stay `Absent`.
    top: Vec<Slot<'d>>,
    /// Indexed by field: for list fields, one row of slots per element.
    elements: Vec<Vec<Vec<Slot<'d>>>>,
    fields: &'p [Field],
}

impl<'p, 'd> Signup<'p, 'd> {
    pub(super) fn empty(policy: &'p CompiledPolicy) -> Signup<'p, 'd> {
        let n = policy.ir.fields.len();
        Signup {
            top: vec![Slot::Absent; n],
            elements: vec![Vec::new(); n],
            fields: &policy.ir.fields,
        }
    }

    pub(super) fn read(
        policy: &'p CompiledPolicy,
        document: &'d Value<'_>,
        format: BodyFormat,
    ) -> Signup<'p, 'd> {
        let mut signup = Signup::empty(policy);
        let fields = &policy.ir.fields;
        let mut lists = Vec::new();
        // Postal codes last: they are checked against the country read before them.
        for postal_pass in [false, true] {
            for (i, field) in fields.iter().enumerate() {
                if field.list.is_some() || is_postal_code(field) != postal_pass {
                    continue;
                }
                let country = postal_country(fields, field, &signup.top, &signup.top);
                let (slot, items) = read_field(policy, field, document, format, country.as_deref());
                set(&mut signup.top, i, slot);
                if let Some(items) = items {
                    lists.push((i, items));
                }
            }
        }
        for (i, items) in lists {
            let rows = items
                .iter()
                .map(|element| read_element(policy, i, element, format, &signup.top))
                .collect();
            set(&mut signup.elements, i, rows);
        }
        signup
    }

    pub(super) fn slot(&self, field: usize, element: Option<(usize, usize)>) -> &Slot<'d> {
        let list = self.fields.get(field).and_then(|f| f.list);
        let slot = match (list, element) {
            (None, _) => self.top.get(field),
            (Some(l), Some((el, index))) if l == el => self
                .elements
                .get(l)
                .and_then(|rows| rows.get(index))
                .and_then(|row| row.get(field)),
            _ => None,
        };
        slot.unwrap_or(&Slot::Absent)
    }

    pub(super) fn element_count(&self, list: usize) -> usize {
        self.elements.get(list).map_or(0, Vec::len)
    }

    /// The name of a field as violations report it, with the element index for list fields.
    pub(super) fn instance_name(
        &self,
        field: usize,
        element: Option<(usize, usize)>,
    ) -> Option<Cow<'p, str>> {
        let f = self.fields.get(field)?;
        match (f.list, element) {
            (Some(l), Some((el, index))) if l == el => {
                let list = self.fields.get(l)?;
                let relative = f.name.get(list.name.len() + 1..)?;
                Some(Cow::Owned(format!("{}.{index}.{relative}", list.name)))
            }
            _ => Some(Cow::Borrowed(&f.name)),
        }
    }

    /// Reports every invalid field, with its message in locale `locale`.
    pub(super) fn invalid_fields(&self, locale: usize, out: &mut Vec<Violation<'p>>) {
        let mut report = |field: &'p Field, name: Option<Cow<'p, str>>| {
            out.push(Violation {
                rule: Cow::Borrowed(&field.invalid.rule),
                field: name,
                code: Code::Invalid,
                outcome: Outcome::Incomplete,
                message: Cow::Borrowed(field.invalid.message.get(locale)),
                citation: Cow::Borrowed(&field.invalid.citation),
                hit: None,
            });
        };
        for (i, field) in self.fields.iter().enumerate() {
            if field.list.is_none() && self.top.get(i) == Some(&Slot::Invalid) {
                report(field, Some(Cow::Borrowed(&field.name)));
            }
            if let Some(rows) = self.elements.get(i) {
                for (index, row) in rows.iter().enumerate() {
                    for (j, slot) in row.iter().enumerate() {
                        if *slot == Slot::Invalid {
                            if let Some(item_field) = self.fields.get(j) {
                                report(item_field, self.instance_name(j, Some((i, index))));
                            }
                        }
                    }
                }
            }
        }
    }
}

fn set<T>(v: &mut [T], i: usize, value: T) {
    if let Some(slot) = v.get_mut(i) {
        *slot = value;
    }
}

/// Reads the fields of one list element; postal codes are checked against the country of the
/// same element or of the top level, whichever the declaration names.
fn read_element<'d>(
    policy: &CompiledPolicy,
    list: usize,
    element: &'d Value<'_>,
    format: BodyFormat,
    top: &[Slot<'d>],
) -> Vec<Slot<'d>> {
    let fields = &policy.ir.fields;
    let mut row = vec![Slot::Absent; fields.len()];
    for postal_pass in [false, true] {
        for (j, field) in fields.iter().enumerate() {
            if field.list != Some(list) || is_postal_code(field) != postal_pass {
                continue;
            }
            let country = postal_country(fields, field, &row, top);
            let (slot, _) = read_field(policy, field, element, format, country.as_deref());
            set(&mut row, j, slot);
        }
    }
    row
}

fn is_postal_code(field: &Field) -> bool {
    matches!(field.format, Some(Format::PostalCode { .. }))
}

fn postal_country(
    fields: &[Field],
    field: &Field,
    row: &[Slot<'_>],
    top: &[Slot<'_>],
) -> Option<String> {
    let Some(Format::PostalCode { country }) = field.format else {
        return None;
    };
    let in_element = fields.get(country).is_some_and(|c| c.list.is_some());
    let slot = if in_element {
        row.get(country)
    } else {
        top.get(country)
    };
    match slot {
        Some(Slot::Valid(value)) => value.text().map(str::to_string),
        _ => None,
    }
}

/// Reads one field from `root` (the document, or a list element). Returns the slot and, for
/// list fields, the elements.
fn read_field<'d, 'b>(
    policy: &CompiledPolicy,
    field: &Field,
    root: &'d Value<'b>,
    format: BodyFormat,
    postal_country: Option<&str>,
) -> (Slot<'d>, Option<&'d [Value<'b>]>) {
    let path = match format {
        BodyFormat::Json => &field.json,
        BodyFormat::Form => &field.form,
    };
    let mut node = root;
    for key in path {
        match node {
            Value::Object(_) => match node.member(key) {
                Some(next) => node = next,
                None => return (Slot::Absent, None),
            },
            Value::Null => return (Slot::Absent, None),
            // Something other than an object where the path goes on: the document has
            // another shape than the policy reads, so the field cannot be trusted.
            _ => return (Slot::Invalid, None),
        }
    }
    if *node == Value::Null {
        return (Slot::Absent, None);
    }
    let from_form = format == BodyFormat::Form;
    let slot = match (&field.ty, node) {
        (FieldType::String, Value::String(s)) => {
            if s.trim().is_empty() {
                Slot::Invalid
            } else {
                check_format(policy, field.format.as_ref(), s, postal_country)
            }
        }
        (FieldType::Enum(values), Value::String(s)) => {
            if values.iter().any(|v| v == s) {
                Slot::Valid(Val::Text(s))
            } else {
                Slot::Invalid
            }
        }
        (FieldType::Boolean, Value::Bool(b)) => Slot::Valid(Val::Bool(*b)),
        (FieldType::Boolean, Value::String(s)) if from_form => match s.as_ref() {
            "true" => Slot::Valid(Val::Bool(true)),
            "false" => Slot::Valid(Val::Bool(false)),
            _ => Slot::Invalid,
        },
        (FieldType::Number { min, max }, value) => {
            let n = match value {
                Value::Number(n) => Some(*n),
                Value::String(s) if from_form => parse_form_number(s),
                _ => None,
            };
            match n {
                Some(n) if min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m) => {
                    Slot::Valid(Val::Number(n))
                }
                _ => Slot::Invalid,
            }
        }
        (FieldType::List { max_items }, Value::Array(items)) => {
            let too_many = u32::try_from(items.len()).map_or(true, |n| n > *max_items);
            if too_many || !items.iter().all(|i| matches!(i, Value::Object(_))) {
                Slot::Invalid
            } else if items.is_empty() {
                Slot::Absent
            } else {
                return (Slot::Valid(Val::List(items.len())), Some(items));
            }
        }
        _ => Slot::Invalid,
    };
    (slot, None)
}

/// Numbers in form bodies: an optional minus, digits, an optional fraction. Nothing else
/// (no exponent, no `inf`), so the gateway and a backend cannot read different numbers.
fn parse_form_number(s: &str) -> Option<f64> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) || int.len() > 1 && int.starts_with('0') {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn check_format<'d>(
    policy: &CompiledPolicy,
    format: Option<&Format>,
    s: &'d str,
    postal_country: Option<&str>,
) -> Slot<'d> {
    let valid = |ok: bool| {
        if ok {
            Slot::Valid(Val::Text(s))
        } else {
            Slot::Invalid
        }
    };
    match format {
        None => valid(true),
        Some(Format::Email) => valid(formats::is_email(s)),
        Some(Format::Phone) => match formats::phone_number(s) {
            Some((e164, countries)) => Slot::Valid(Val::Phone(e164, countries)),
            None => Slot::Invalid,
        },
        Some(Format::Country) => valid(tables::is_country(s)),
        Some(Format::Subdivision) => valid(tables::is_subdivision(s)),
        Some(Format::PostalCode { .. }) => valid(policy.is_postal_code(postal_country, s)),
        Some(Format::Date) => valid(formats::date_key(s).is_some()),
        Some(Format::Pattern(i)) => valid(policy.matches(*i, s)),
    }
}
