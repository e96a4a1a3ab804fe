//! The evaluator: decodes the body strictly, reads each declared field once, then decides
//! every rule and lists every violation.

use crate::decision::{Code, Decision, Hit, Outcome, RejectReason, Violation, REJECT_CITATION};
use crate::document::{self, Limits};
use crate::formats::{self, network_contains, E164};
use crate::ir::{
    BodyFormat, CompareOp, Cond, EntryValue, Fact, Field, FieldType, Format, ListEntry, ListKind,
    NamedList, Predicate, Rule, Scalar, Subject,
};
use crate::policy::{CompiledPolicy, GatewayFacts, SignupRequest};
use crate::screening;
use crate::tables;
use crate::value::Value;
use std::borrow::Cow;
use std::cell::Cell;
use std::net::IpAddr;

// The deciding methods live beside the evaluator, so that `policy.rs` (the loaded policy) does
// not depend on this module, which reads it.
impl CompiledPolicy {
    /// Decides one signup.
    pub fn evaluate(&self, request: &SignupRequest<'_>) -> Decision<'_> {
        evaluate(self, request, &[]).0
    }

    /// Decides one signup and returns, beside the decision, the values of the top-level
    /// fields `read` (indices from [`CompiledPolicy::field_index`]) as the policy read them:
    /// valid values only, phone numbers in E.164 form. Audit records hash these without
    /// decoding the body a second time.
    pub fn evaluate_reading(
        &self,
        request: &SignupRequest<'_>,
        read: &[usize],
    ) -> (Decision<'_>, Vec<Option<String>>) {
        evaluate(self, request, read)
    }

    /// The decision for a request the runtime refuses before evaluation (a body over the
    /// runtime's limit, a content encoding it cannot read). Rules about gateway facts alone
    /// are still decided, so a restricted client country is still denied.
    pub fn reject(&self, reason: RejectReason, facts: &GatewayFacts) -> Decision<'_> {
        reject(self, reason, facts)
    }
}

/// Decides a signup; also returns the values of the top-level fields `read` as the policy
/// read them (valid values only, phone numbers in E.164 form), `None` for the others.
fn evaluate<'p>(
    policy: &'p CompiledPolicy,
    request: &SignupRequest<'_>,
    read: &[usize],
) -> (Decision<'p>, Vec<Option<String>>) {
    let unread = || vec![None; read.len()];
    let input = &policy.ir.input;
    let format = match document::body_format(request.content_type, &input.content_types) {
        Ok(f) => f,
        Err(reason) => return (reject(policy, reason, request.facts), unread()),
    };
    let limits = Limits {
        max_bytes: policy.max_body_bytes(),
        max_depth: usize::try_from(input.max_depth).unwrap_or(usize::MAX),
    };
    let document = match document::decode(request.body, format, &limits) {
        Ok(v) => v,
        Err(reason) => return (reject(policy, reason, request.facts), unread()),
    };
    let (locale, tag) = policy.locale(request.facts.accept_language.as_deref());
    let signup = Signup::read(policy, &document, format);
    let mut violations = Vec::new();
    signup.invalid_fields(locale, &mut violations);
    let ctx = Ctx::new(policy, &signup, request.facts, locale);
    for rule in &policy.ir.rules {
        ctx.rule(rule, &mut violations);
    }
    let values = read
        .iter()
        .map(|&f| match signup.slot(f, None) {
            Slot::Valid(value) => value.text().map(str::to_string),
            _ => None,
        })
        .collect();
    (
        Decision::from_violations(violations, tag, policy.policy_ref()),
        values,
    )
}

fn reject<'p>(
    policy: &'p CompiledPolicy,
    reason: RejectReason,
    facts: &GatewayFacts,
) -> Decision<'p> {
    let (locale, tag) = policy.locale(facts.accept_language.as_deref());
    let mut violations = vec![Violation {
        rule: Cow::Borrowed(reason.rule_id()),
        field: None,
        code: Code::Rejected,
        outcome: Outcome::Reject,
        message: Cow::Borrowed(reason.message(tag)),
        citation: Cow::Borrowed(REJECT_CITATION),
        hit: None,
    }];
    let empty = Signup::empty(policy);
    let ctx = Ctx::new(policy, &empty, facts, locale);
    for rule in policy.ir.rules.iter().filter(|r| r.facts_only) {
        ctx.rule(rule, &mut violations);
    }
    Decision::from_violations(violations, tag, policy.policy_ref())
}

/// A field's value in one signup, typed and checked against its declaration.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot<'d> {
    Absent,
    Invalid,
    Valid(Val<'d>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Val<'d> {
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
    fn text(&self) -> Option<&str> {
        match self {
            Val::Text(t) => Some(t),
            Val::Phone(e164, _) => Some(e164.as_str()),
            _ => None,
        }
    }
}

/// The declared fields of one signup, read once. List elements get a row of their own.
/// `'p` is the policy's lifetime, `'d` the document's.
struct Signup<'p, 'd> {
    /// Indexed by field; entries of list-element fields stay `Absent`.
    top: Vec<Slot<'d>>,
    /// Indexed by field: for list fields, one row of slots per element.
    elements: Vec<Vec<Vec<Slot<'d>>>>,
    fields: &'p [Field],
}

impl<'p, 'd> Signup<'p, 'd> {
    fn empty(policy: &'p CompiledPolicy) -> Signup<'p, 'd> {
        let n = policy.ir.fields.len();
        Signup {
            top: vec![Slot::Absent; n],
            elements: vec![Vec::new(); n],
            fields: &policy.ir.fields,
        }
    }

    fn read(
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

    fn slot(&self, field: usize, element: Option<(usize, usize)>) -> &Slot<'d> {
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

    fn element_count(&self, list: usize) -> usize {
        self.elements.get(list).map_or(0, Vec::len)
    }

    /// The name of a field as violations report it, with the element index for list fields.
    fn instance_name(&self, field: usize, element: Option<(usize, usize)>) -> Option<Cow<'p, str>> {
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
    fn invalid_fields(&self, locale: usize, out: &mut Vec<Violation<'p>>) {
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

/// A list entry that made a condition true.
#[derive(Debug, Clone, Copy)]
struct Found {
    list: usize,
    entry: usize,
    /// For a names list: what screening found.
    screened: Option<Screened>,
}

/// The best name of a listed party that a screened name matched.
#[derive(Debug, Clone, Copy)]
struct Screened {
    /// Index into the party's names.
    name: usize,
    score: u16,
    /// The score or a second identifier (the applicant's country) reaches a denial.
    deny: bool,
}

type Evidence = Option<Found>;

/// A named condition's value in this signup, once decided.
#[derive(Debug, Clone, Copy)]
enum Memo {
    Undecided,
    Decided(bool, Evidence),
}

struct Ctx<'p, 'a, 'd> {
    policy: &'p CompiledPolicy,
    signup: &'a Signup<'p, 'd>,
    facts: &'a GatewayFacts,
    /// The index of the locale messages are given in.
    locale: usize,
    /// Named conditions that do not depend on a list element, decided once per signup.
    named: Vec<Cell<Memo>>,
}

impl<'p, 'a, 'd> Ctx<'p, 'a, 'd> {
    fn new(
        policy: &'p CompiledPolicy,
        signup: &'a Signup<'p, 'd>,
        facts: &'a GatewayFacts,
        locale: usize,
    ) -> Self {
        Ctx {
            policy,
            signup,
            facts,
            locale,
            named: vec![Cell::new(Memo::Undecided); policy.ir.conditions.len()],
        }
    }

    fn rule(&self, rule: &'p Rule, out: &mut Vec<Violation<'p>>) {
        match rule.for_each {
            Some(list) => {
                for index in 0..self.signup.element_count(list) {
                    self.rule_at(rule, Some((list, index)), out);
                }
            }
            None => self.rule_at(rule, None, out),
        }
    }

    fn rule_at(
        &self,
        rule: &'p Rule,
        element: Option<(usize, usize)>,
        out: &mut Vec<Violation<'p>>,
    ) {
        let mut evidence = None;
        if let Some(cond) = &rule.when {
            if !self.cond(cond, element, true, &mut evidence) {
                return;
            }
        }
        if let Some(required) = rule.require {
            if *self.signup.slot(required, element) != Slot::Absent {
                return;
            }
        }
        // A rule that fired on a named list cites the entry: the entry says why it is there,
        // and may carry an outcome and message of its own (review for a partly sanctioned
        // region where the rule denies).
        let list = evidence.and_then(|f| self.policy.ir.lists.get(f.list));
        let entry = evidence.and_then(|f| list?.entries.get(f.entry));
        let screened = evidence.and_then(|f| f.screened);
        let hit = match (list, entry.map(|e| &e.value), screened) {
            (Some(list), Some(EntryValue::Party(party)), Some(s)) => Some(Hit {
                list: &list.name,
                entry: &party.id,
                listed_name: party.names.first().map_or("", String::as_str),
                matched_name: party.names.get(s.name).map_or("", String::as_str),
                score: s.score,
            }),
            _ => None,
        };
        let denied = screened.is_some_and(|s| s.deny).then_some(Outcome::Deny);
        out.push(Violation {
            rule: Cow::Borrowed(&rule.id),
            field: rule
                .field
                .and_then(|f| self.signup.instance_name(f, element)),
            code: rule.code,
            outcome: denied
                .or(entry.and_then(|e| e.outcome))
                .unwrap_or(rule.outcome),
            message: Cow::Borrowed(
                entry
                    .and_then(|e| e.message.as_ref())
                    .unwrap_or(&rule.message)
                    .get(self.locale),
            ),
            citation: Cow::Borrowed(entry.map_or(&rule.citation, |e| &e.citation)),
            hit,
        });
    }

    /// `positive` is false under a `not`, where a list match is no evidence for the rule.
    fn cond(
        &self,
        cond: &Cond,
        element: Option<(usize, usize)>,
        positive: bool,
        evidence: &mut Evidence,
    ) -> bool {
        match cond {
            Cond::All(cs) => committed(evidence, |local| {
                cs.iter().all(|c| self.cond(c, element, positive, local))
            }),
            Cond::Any(cs) => cs
                .iter()
                .any(|c| committed(evidence, |local| self.cond(c, element, positive, local))),
            Cond::Not(c) => !self.cond(c, element, !positive, evidence),
            Cond::Named(i) => {
                let (value, found) = self.named(*i, element);
                if positive && value {
                    if let Some(found) = found {
                        evidence.get_or_insert(found);
                    }
                }
                value
            }
            Cond::AnyItem { list, cond } => (0..self.signup.element_count(*list)).any(|i| {
                committed(evidence, |local| {
                    self.cond(cond, Some((*list, i)), positive, local)
                })
            }),
            Cond::EveryItem { list, cond } => committed(evidence, |local| {
                (0..self.signup.element_count(*list))
                    .all(|i| self.cond(cond, Some((*list, i)), positive, local))
            }),
            Cond::Test { subject, predicate } => {
                let value = self.subject(subject, element);
                self.test(&value, subject, predicate, element, positive, evidence)
            }
        }
    }

    /// Decides named condition `i`, from the memo where its value cannot depend on the element.
    fn named(&self, i: usize, element: Option<(usize, usize)>) -> (bool, Evidence) {
        let Some(named) = self.policy.ir.conditions.get(i) else {
            return (false, None);
        };
        let memo = self
            .named
            .get(i)
            .filter(|_| element.is_none() || !named.reads_elements);
        if let Some(Memo::Decided(value, found)) = memo.map(Cell::get) {
            return (value, found);
        }
        let mut found = None;
        let value = self.cond(&named.cond, element, true, &mut found);
        if let Some(memo) = memo {
            memo.set(Memo::Decided(value, found));
        }
        (value, found)
    }

    /// The country a postal-code field is read against (its `country:` field), when valid.
    fn postal_country(&self, subject: &Subject, element: Option<(usize, usize)>) -> Option<&str> {
        let Subject::Field(f) = subject else {
            return None;
        };
        let Some(Format::PostalCode { country }) = self.policy.ir.fields.get(*f)?.format else {
            return None;
        };
        match self.signup.slot(country, element) {
            Slot::Valid(Val::Text(c)) => Some(c),
            _ => None,
        }
    }

    fn subject<'s>(&'s self, subject: &Subject, element: Option<(usize, usize)>) -> Slot<'s> {
        match subject {
            Subject::Field(f) => *self.signup.slot(*f, element),
            Subject::CallingCountry(f) => match self.signup.slot(*f, element) {
                Slot::Valid(Val::Phone(_, countries)) => Slot::Valid(Val::Countries(countries)),
                other => absent_or_invalid(other),
            },
            Subject::SubdivisionCountry(f) => match self.signup.slot(*f, element) {
                Slot::Valid(Val::Text(code)) => match code.split_once('-') {
                    Some((country, _)) => Slot::Valid(Val::Text(country)),
                    None => Slot::Invalid,
                },
                other => absent_or_invalid(other),
            },
            Subject::Fact(Fact::ClientIp) => self
                .facts
                .client_ip
                .map_or(Slot::Absent, |ip| Slot::Valid(Val::Ip(ip))),
            Subject::Fact(Fact::GeoCountry) => match &self.facts.geo_country {
                None => Slot::Absent,
                Some(c) if tables::is_country(c) => Slot::Valid(Val::Text(c)),
                Some(_) => Slot::Invalid,
            },
            Subject::Fact(Fact::GeoRegion) => match &self.facts.geo_region {
                None => Slot::Absent,
                Some(c) if tables::is_subdivision(c) => Slot::Valid(Val::Text(c)),
                Some(_) => Slot::Invalid,
            },
            Subject::Fact(Fact::Time) => self
                .facts
                .time
                .map_or(Slot::Absent, |t| Slot::Valid(Val::Number(t as f64))),
        }
    }

    fn test(
        &self,
        slot: &Slot<'_>,
        subject: &Subject,
        predicate: &Predicate,
        element: Option<(usize, usize)>,
        positive: bool,
        evidence: &mut Evidence,
    ) -> bool {
        if let Predicate::Present(wanted) = predicate {
            return (*slot != Slot::Absent) == *wanted;
        }
        let Slot::Valid(value) = slot else {
            return false;
        };
        match predicate {
            Predicate::Present(_) => false,
            Predicate::Equals(s) => equals(value, s),
            Predicate::In(values) => values.iter().any(|s| equals(value, s)),
            Predicate::InList(l) => {
                let Some(list) = self.policy.ir.lists.get(*l) else {
                    return false;
                };
                let found = match list.kind {
                    ListKind::PostalCode => {
                        let country = self.postal_country(subject, element);
                        match (value.text(), country) {
                            (Some(code), Some(country)) => {
                                postal_code_match(&list.entries, country, code, self.facts.time)
                            }
                            _ => None,
                        }
                    }
                    _ => list_match(list.kind, &list.entries, value, self.facts.time),
                };
                if let (Some(entry), true) = (found, positive) {
                    evidence.get_or_insert(Found {
                        list: *l,
                        entry,
                        screened: None,
                    });
                }
                found.is_some()
            }
            Predicate::Screened {
                list: l,
                country,
                date_of_birth,
            } => {
                let (Some(list), Some(name)) = (self.policy.ir.lists.get(*l), value.text()) else {
                    return false;
                };
                let text = |field: &Option<usize>| {
                    field.and_then(|f| match self.signup.slot(f, element) {
                        Slot::Valid(Val::Text(t)) => Some(*t),
                        _ => None,
                    })
                };
                let also = Identifiers {
                    country: text(country),
                    date_of_birth: text(date_of_birth).and_then(formats::date_key),
                };
                let found = screen(list, name, &also, self.facts.time);
                if let (Some((entry, screened)), true) = (found, positive) {
                    evidence.get_or_insert(Found {
                        list: *l,
                        entry,
                        screened: Some(screened),
                    });
                }
                found.is_some()
            }
            Predicate::Matches(i) => value.text().is_some_and(|t| self.policy.matches(*i, t)),
            Predicate::Compare(op, bound) => match value {
                Val::Number(n) => match op {
                    CompareOp::Lt => n < bound,
                    CompareOp::Lte => n <= bound,
                    CompareOp::Gt => n > bound,
                    CompareOp::Gte => n >= bound,
                },
                _ => false,
            },
            Predicate::SameAs(other) | Predicate::DiffersFrom(other) => {
                let Slot::Valid(other) = self.subject(other, element) else {
                    return false;
                };
                let same = same_value(value, &other);
                matches!(predicate, Predicate::SameAs(_)) == same
            }
            Predicate::InNetworks(networks) => match value {
                Val::Ip(ip) => networks.iter().any(|n| network_contains(n, *ip)),
                _ => false,
            },
            Predicate::UsesPostalCode(wanted) => value
                .text()
                .is_some_and(|c| self.policy.uses_postal_code(c) == *wanted),
            Predicate::RequiresPostalCode(wanted) => value
                .text()
                .is_some_and(|c| self.policy.requires_postal_code(c) == *wanted),
        }
    }
}

/// Runs `f` with list evidence of its own, kept only when `f` holds: an entry matched in a
/// branch that failed is not why the rule fired, so the violation must not cite it.
fn committed(evidence: &mut Evidence, f: impl FnOnce(&mut Evidence) -> bool) -> bool {
    let mut local = None;
    let holds = f(&mut local);
    if let (true, Some(found)) = (holds, local) {
        evidence.get_or_insert(found);
    }
    holds
}

fn absent_or_invalid(slot: &Slot<'_>) -> Slot<'static> {
    match slot {
        Slot::Absent => Slot::Absent,
        _ => Slot::Invalid,
    }
}

fn equals(value: &Val<'_>, s: &Scalar) -> bool {
    match (value, s) {
        (Val::Text(_) | Val::Phone(..), Scalar::String(s)) => value.text() == Some(s.as_str()),
        (Val::Countries(cs), Scalar::String(s)) => cs.contains(&s.as_str()),
        (Val::Bool(b), Scalar::Bool(s)) => b == s,
        (Val::Number(n), Scalar::Number(s)) => n == s,
        _ => false,
    }
}

fn same_value(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b, a.text(), b.text()) {
        (_, _, Some(x), Some(y)) => x == y,
        (Val::Countries(cs), _, _, Some(t)) | (_, Val::Countries(cs), Some(t), _) => {
            cs.contains(&t)
        }
        (Val::Countries(x), Val::Countries(y), _, _) => x.iter().any(|c| y.contains(c)),
        _ => a == b,
    }
}

/// The entry of a named list that `value` matches, among those in force at `time`; where
/// entries overlap, the narrowest applies.
fn list_match(
    kind: ListKind,
    entries: &[ListEntry],
    value: &Val<'_>,
    time: Option<i64>,
) -> Option<usize> {
    let text = value.text();
    let folded = match kind {
        ListKind::Text => text.map(formats::fold_text),
        _ => None,
    };
    let wanted = folded.as_deref().or(text);
    best_match(entries, time, |entry| match (entry, value) {
        (EntryValue::Exact(v), Val::Countries(cs)) => cs.contains(&v.as_str()),
        (EntryValue::Exact(v), _) => wanted == Some(v.as_str()),
        (EntryValue::PhonePrefix(digits), Val::Phone(..)) => text
            .and_then(|t| t.strip_prefix('+'))
            .is_some_and(|t| t.starts_with(digits.as_str())),
        _ => false,
    })
}

/// The entry of a postal-code list that `code` (a postal code of `country`) falls in.
fn postal_code_match(
    entries: &[ListEntry],
    country: &str,
    code: &str,
    time: Option<i64>,
) -> Option<usize> {
    best_match(entries, time, |entry| match entry {
        EntryValue::PostalCodes {
            country: c,
            first,
            last,
        } if c == country => {
            let head = || formats::postal_code_key(code).take(first.len());
            head().count() == first.len() && first.bytes().le(head()) && head().le(last.bytes())
        }
        _ => false,
    })
}

/// The most words a screened name may have.
const MAX_SCREENED_TOKENS: usize = 32;

/// What the applicant gave besides the name that a listed party may share.
struct Identifiers<'d> {
    country: Option<&'d str>,
    /// `YYYYMMDD`.
    date_of_birth: Option<u32>,
}

/// The party in force whose names `name` matches best, at the list's hit score or above: the
/// one that reaches a denial first, then the highest score, then the first written.
fn screen(
    list: &NamedList,
    name: &str,
    also: &Identifiers<'_>,
    time: Option<i64>,
) -> Option<(usize, Screened)> {
    let settings = list.screening.as_ref()?;
    let folded = screening::folded_name(name);
    let query = screening::sorted_tokens(&folded);
    // Scoring costs grow with the name's length: a name longer than any real one is not
    // scored but held, as a hit on no entry (the rule fires with its own outcome).
    if query.len() > MAX_SCREENED_TOKENS {
        let held = Screened {
            name: 0,
            score: 0,
            deny: false,
        };
        return Some((usize::MAX, held));
    }
    // The candidates come sorted by entry, so each entry's names are scored together.
    let candidates = screening::index::candidates(&settings.index, &query);
    if candidates.is_empty() {
        // Most names: nothing on the list shares a token with them, nothing to score.
        return None;
    }
    let prepared = screening::Prepared::new(&query);
    let mut listed = screening::Prepared::default();
    let mut best: Option<(usize, Screened)> = None;
    for group in candidates.chunk_by(|a, b| a.0 == b.0) {
        let Some(i) = group.first().and_then(|(e, _)| usize::try_from(*e).ok()) else {
            continue;
        };
        let Some(entry) = list.entries.get(i) else {
            continue;
        };
        let EntryValue::Party(party) = &entry.value else {
            continue;
        };
        if !entry.in_force(time) {
            continue;
        }
        let Some((name, score)) = group
            .iter()
            .filter_map(|(_, n)| {
                let n = usize::try_from(*n).ok()?;
                listed.fill(party.tokens.get(n)?.iter().map(String::as_str));
                Some((n, screening::score_prepared(&prepared, &listed)))
            })
            .fold(None, |best: Option<(usize, u16)>, (n, s)| match best {
                Some((_, b)) if b >= s => best,
                _ => Some((n, s)),
            })
        else {
            continue;
        };
        if score < settings.hit_score {
            continue;
        }
        let reaches = |d: Option<u16>| d.is_some_and(|d| score >= d);
        let same_country = also
            .country
            .is_some_and(|c| party.countries.iter().any(|p| p == c));
        let same_birth = also.date_of_birth.is_some_and(|day| {
            party
                .dates_of_birth
                .iter()
                .any(|(first, last)| (*first..=*last).contains(&day))
        });
        let deny = reaches(settings.deny_score)
            || (same_country && reaches(settings.deny_score_with_country))
            || (same_birth && reaches(settings.deny_score_with_date_of_birth));
        let found = Screened { name, score, deny };
        if best.is_none_or(|(_, b)| (deny, score) > (b.deny, b.score)) {
            best = Some((i, found));
        }
    }
    best
}

/// The narrowest entry in force that `matches`, the first written among equals.
fn best_match(
    entries: &[ListEntry],
    time: Option<i64>,
    matches: impl Fn(&EntryValue) -> bool,
) -> Option<usize> {
    let mut best: Option<(usize, &EntryValue)> = None;
    for (i, entry) in entries.iter().enumerate() {
        if entry.in_force(time) && matches(&entry.value) {
            let narrower = best.is_none_or(|(_, b)| entry.value.precedence() > b.precedence());
            if narrower {
                best = Some((i, &entry.value));
            }
        }
    }
    best.map(|(i, _)| i)
}
