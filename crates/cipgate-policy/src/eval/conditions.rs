//! Deciding rules: conditions over one signup's slots and the gateway's facts, named
//! conditions decided once, and the list entry a rule fired on kept as its evidence.

use super::lists::{list_match, postal_code_match};
use super::screening::{screen, Identifiers, Screened};
use super::signup::{Signup, Slot, Val};
use crate::decision::{Hit, Outcome, Violation};
use crate::formats::{self, network_contains};
use crate::ir::{
    CompareOp, Cond, EntryValue, Fact, Format, ListKind, Predicate, Rule, Scalar, Subject,
};
use crate::policy::{CompiledPolicy, GatewayFacts};
use crate::tables;
use std::borrow::Cow;
use std::cell::Cell;

/// A list entry that made a condition true.
#[derive(Debug, Clone, Copy)]
struct Found {
    list: usize,
    entry: usize,
    /// For a names list: what screening found.
    screened: Option<Screened>,
}

type Evidence = Option<Found>;

/// A named condition's value in this signup, once decided.
#[derive(Debug, Clone, Copy)]
enum Memo {
    Undecided,
    Decided(bool, Evidence),
}

pub(super) struct Ctx<'p, 'a, 'd> {
    policy: &'p CompiledPolicy,
    signup: &'a Signup<'p, 'd>,
    facts: &'a GatewayFacts,
    /// The index of the locale messages are given in.
    locale: usize,
    /// Named conditions that do not depend on a list element, decided once per signup.
    named: Vec<Cell<Memo>>,
}

impl<'p, 'a, 'd> Ctx<'p, 'a, 'd> {
    pub(super) fn new(
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

    pub(super) fn rule(&self, rule: &'p Rule, out: &mut Vec<Violation<'p>>) {
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
