//! Flags the compiler derives from conditions and the validator checks again: what a rule or
//! condition reads (gateway facts only, list elements, postal-code formats).

use crate::ir::{Cond, Format, PolicyIr, Predicate, Subject};
#[cfg(feature = "compiler")]
use crate::ir::{Field, NamedCond};

/// Whether any field or condition reads postal-code formats.
pub(crate) fn reads_postal_codes(ir: &PolicyIr) -> bool {
    fn in_cond(c: &Cond) -> bool {
        match c {
            Cond::All(cs) | Cond::Any(cs) => cs.iter().any(in_cond),
            Cond::Not(c) | Cond::AnyItem { cond: c, .. } | Cond::EveryItem { cond: c, .. } => {
                in_cond(c)
            }
            Cond::Named(_) => false,
            Cond::Test { predicate, .. } => matches!(
                predicate,
                Predicate::UsesPostalCode(_) | Predicate::RequiresPostalCode(_)
            ),
        }
    }
    ir.fields
        .iter()
        .any(|f| matches!(f.format, Some(Format::PostalCode { .. })))
        || ir.conditions.iter().any(|c| in_cond(&c.cond))
        || ir
            .rules
            .iter()
            .any(|r| r.when.as_ref().is_some_and(in_cond))
}

/// Whether a condition reads gateway facts only, so a rule made of it is decided even when
/// the body is refused. `named[i]` says it of named condition `i` (computed in order, each
/// from those before it, so that this never recurses through names).
pub(crate) fn reads_facts_only(cond: &Cond, named: &[bool]) -> bool {
    match cond {
        Cond::All(cs) | Cond::Any(cs) => cs.iter().all(|c| reads_facts_only(c, named)),
        Cond::Not(c) => reads_facts_only(c, named),
        Cond::Named(i) => named.get(*i).copied().unwrap_or(false),
        Cond::AnyItem { .. } | Cond::EveryItem { .. } => false,
        Cond::Test { subject, predicate } => {
            matches!(subject, Subject::Fact(_))
                && !matches!(predicate, Predicate::SameAs(_) | Predicate::DiffersFrom(_))
        }
    }
}

#[cfg(feature = "compiler")]
/// Whether a condition reads fields of a list element outside `any_item`/`every_item`, so
/// its value depends on the element in scope.
pub(crate) fn reads_elements(cond: &Cond, fields: &[Field], named: &[NamedCond]) -> bool {
    match cond {
        Cond::All(cs) | Cond::Any(cs) => cs.iter().any(|c| reads_elements(c, fields, named)),
        Cond::Not(c) => reads_elements(c, fields, named),
        Cond::Named(i) => named.get(*i).is_none_or(|n| n.reads_elements),
        // These bring their own elements into scope.
        Cond::AnyItem { .. } | Cond::EveryItem { .. } => false,
        Cond::Test { subject, predicate } => {
            let element_field = |s: &Subject| match s {
                Subject::Field(f) | Subject::CallingCountry(f) | Subject::SubdivisionCountry(f) => {
                    fields.get(*f).is_none_or(|x| x.list.is_some())
                }
                Subject::Fact(_) => false,
            };
            element_field(subject)
                || matches!(predicate, Predicate::SameAs(o) | Predicate::DiffersFrom(o) if element_field(o))
                || matches!(predicate, Predicate::Screened { country: Some(f), .. } if element_field(&Subject::Field(*f)))
                || matches!(predicate, Predicate::Screened { date_of_birth: Some(f), .. } if element_field(&Subject::Field(*f)))
        }
    }
}

/// [`reads_facts_only`] of each named condition, in order.
#[cfg(feature = "compiler")]
pub(crate) fn named_facts_only(named: &[NamedCond]) -> Vec<bool> {
    let mut table = Vec::with_capacity(named.len());
    for n in named {
        let facts_only = reads_facts_only(&n.cond, &table);
        table.push(facts_only);
    }
    table
}
