//! The browser's projection of a policy: what a signup form may carry. Rules that can only
//! fire at the gateway (they read the client's IP address or geolocated country, facts a page
//! never has), lists marked `private` (a provider's own list) and every names list (restricted
//! parties: screening happens at the gateway), with every rule and named condition that reads
//! them, are left out. The list versions stay, since every decision names them. The projection's decisions name the full
//! policy's sha256: for a signup none of the left-out rules fires, the page and the gateway
//! give the same bytes.

use crate::ir::{Cond, Fact, ListKind, NamedCond, NamedList, PolicyIr, Predicate, Subject};

/// Whether a list stays at the gateway.
fn gateway_list(list: &NamedList) -> bool {
    list.private || list.kind == ListKind::Names
}

pub fn project_for_browser(ir: &PolicyIr, policy_sha256: [u8; 32]) -> PolicyIr {
    let mut list_map = Vec::with_capacity(ir.lists.len());
    let mut lists = Vec::new();
    for list in &ir.lists {
        if gateway_list(list) {
            list_map.push(None);
        } else {
            list_map.push(Some(lists.len()));
            lists.push(list.clone());
        }
    }
    // In order: a named condition refers only to those before it.
    let mut gateway_named = Vec::with_capacity(ir.conditions.len());
    let mut named_map = Vec::with_capacity(ir.conditions.len());
    let mut conditions = Vec::new();
    for named in &ir.conditions {
        let gateway = gateway_only(&named.cond, &gateway_named, &ir.lists);
        gateway_named.push(gateway);
        if gateway {
            named_map.push(None);
        } else {
            named_map.push(Some(conditions.len()));
            conditions.push(NamedCond {
                cond: remap(&named.cond, &named_map, &list_map),
                ..named.clone()
            });
        }
    }
    let rules = ir
        .rules
        .iter()
        .filter(|r| {
            !r.when
                .as_ref()
                .is_some_and(|w| gateway_only(w, &gateway_named, &ir.lists))
        })
        .map(|r| {
            let mut rule = r.clone();
            rule.when = r.when.as_ref().map(|w| remap(w, &named_map, &list_map));
            rule
        })
        .collect();
    let mut meta = ir.meta.clone();
    meta.projection_of = Some(policy_sha256);
    PolicyIr {
        meta,
        lists,
        conditions,
        rules,
        ..ir.clone()
    }
}

/// Whether a condition reads something only the gateway knows.
fn gateway_only(cond: &Cond, gateway_named: &[bool], lists: &[NamedList]) -> bool {
    let subject = |s: &Subject| matches!(s, Subject::Fact(Fact::ClientIp | Fact::GeoCountry));
    match cond {
        Cond::All(cs) | Cond::Any(cs) => cs.iter().any(|c| gateway_only(c, gateway_named, lists)),
        Cond::Not(c) | Cond::AnyItem { cond: c, .. } | Cond::EveryItem { cond: c, .. } => {
            gateway_only(c, gateway_named, lists)
        }
        Cond::Named(i) => gateway_named.get(*i).copied().unwrap_or(true),
        Cond::Test {
            subject: s,
            predicate,
        } => {
            subject(s)
                || match predicate {
                    Predicate::SameAs(o) | Predicate::DiffersFrom(o) => subject(o),
                    Predicate::InList(l) | Predicate::Screened { list: l, .. } => {
                        lists.get(*l).is_none_or(gateway_list)
                    }
                    _ => false,
                }
        }
    }
}

/// A kept condition with its references renumbered; it refers to nothing left out.
fn remap(cond: &Cond, named: &[Option<usize>], lists: &[Option<usize>]) -> Cond {
    let inner = |c: &Cond| Box::new(remap(c, named, lists));
    match cond {
        Cond::All(cs) => Cond::All(cs.iter().map(|c| remap(c, named, lists)).collect()),
        Cond::Any(cs) => Cond::Any(cs.iter().map(|c| remap(c, named, lists)).collect()),
        Cond::Not(c) => Cond::Not(inner(c)),
        Cond::Named(i) => Cond::Named(named.get(*i).copied().flatten().unwrap_or(usize::MAX)),
        Cond::AnyItem { list, cond } => Cond::AnyItem {
            list: *list,
            cond: inner(cond),
        },
        Cond::EveryItem { list, cond } => Cond::EveryItem {
            list: *list,
            cond: inner(cond),
        },
        Cond::Test { subject, predicate } => Cond::Test {
            subject: subject.clone(),
            predicate: match predicate {
                Predicate::InList(l) => {
                    Predicate::InList(lists.get(*l).copied().flatten().unwrap_or(usize::MAX))
                }
                p => p.clone(),
            },
        },
    }
}
