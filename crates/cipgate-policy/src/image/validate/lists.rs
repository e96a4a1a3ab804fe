//! The entries of named lists: each of its list's kind and well formed, names lists with
//! usable screening scores and an index that refers only to names the list has.

use super::localized;
use super::Check;
use crate::decision::Outcome;
use crate::formats::fold_text;
use crate::ir::{EntryValue, ListEntry, ListKind, NameIndex, NamedList, Party};
use crate::tables;

/// An entry's value is of its list's kind and well formed, and what else it carries is usable.
pub(super) fn list_entry(kind: ListKind, entry: &ListEntry, locales: usize) -> Check {
    let prefix = |p: &str, max: usize| {
        !p.is_empty()
            && p.len() <= max
            && p.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    };
    let fits = match (kind, &entry.value) {
        (ListKind::Country, EntryValue::Exact(v)) => tables::is_country(v),
        (ListKind::Subdivision, EntryValue::Exact(v)) => tables::is_subdivision(v),
        (ListKind::Text, EntryValue::Exact(v)) => fold_text(v) == *v && !v.is_empty(),
        (
            ListKind::PostalCode,
            EntryValue::PostalCodes {
                country,
                first,
                last,
            },
        ) => {
            tables::is_country(country)
                && prefix(first, 10)
                && prefix(last, 10)
                && first.len() == last.len()
                && first <= last
        }
        (ListKind::PhoneNumber, EntryValue::PhonePrefix(digits)) => {
            prefix(digits, 15)
                && tables::calling_countries(digits).is_some_and(|(code, _)| code <= digits.len())
        }
        (ListKind::Names, EntryValue::Party(party)) => party_fits(party),
        _ => false,
    };
    if !fits {
        return Err(format!("the entry {:?} does not fit the list", entry.value));
    }
    if entry.reason.is_empty() || entry.citation.is_empty() {
        return Err("an entry has no reason or citation".into());
    }
    if !matches!(entry.outcome, None | Some(Outcome::Deny | Outcome::Review)) {
        return Err("an entry's outcome is not deny or review".into());
    }
    if let Some(message) = &entry.message {
        localized(message, locales)?;
    }
    if let (Some(from), Some(to)) = (entry.effective, entry.expires) {
        if to <= from {
            return Err("an entry expires before it takes effect".into());
        }
    }
    Ok(())
}

/// A party has an id and names, each name its tokens (sorted, none empty), its countries
/// are known codes and its dates of birth ranges of days. Whether the tokens are the names' own is the compiler's to get right:
/// recomputing them would cost every start-up a pass over the whole list.
fn party_fits(party: &Party) -> bool {
    !party.id.is_empty()
        && !party.names.is_empty()
        && party.names.len() == party.tokens.len()
        && party.names.iter().all(|n| !n.is_empty())
        && party.tokens.iter().all(|tokens| {
            tokens.iter().all(|t| !t.is_empty())
                && tokens
                    .iter()
                    .zip(tokens.iter().skip(1))
                    .all(|(a, b)| a <= b)
        })
        && party.countries.iter().all(|c| tables::is_country(c))
        && party
            .dates_of_birth
            .iter()
            .all(|(first, last)| first <= last && *first >= 10101 && *last <= 99991231)
}

/// A names list, and only a names list, has screening scores; a hit is at least 1 and the
/// denial scores are no lower than it.
pub(super) fn screening(list: &NamedList) -> Check {
    let fits = match (&list.screening, list.kind) {
        (Some(s), ListKind::Names) => {
            s.hit_score >= 1
                && [
                    s.deny_score,
                    s.deny_score_with_country,
                    s.deny_score_with_date_of_birth,
                ]
                .into_iter()
                .flatten()
                .all(|d| d >= s.hit_score)
                && index_fits(&s.index, &list.entries)
        }
        (None, kind) => kind != ListKind::Names,
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err("its screening scores do not fit its kind or each other".into())
    }
}

/// Every token of the index has names, each an existing name of a party on the list, and the
/// variants are sorted and name existing tokens (so screening follows no reference it cannot).
fn index_fits(index: &NameIndex, entries: &[ListEntry]) -> bool {
    let name_exists = |(e, n): &(u32, u32)| {
        let (Ok(e), Ok(n)) = (usize::try_from(*e), usize::try_from(*n)) else {
            return false;
        };
        matches!(entries.get(e), Some(ListEntry { value: EntryValue::Party(p), .. }) if n < p.names.len())
    };
    index
        .postings
        .iter()
        .all(|names| !names.is_empty() && names.iter().all(name_exists))
        && index
            .variants
            .iter()
            .zip(index.variants.iter().skip(1))
            .all(|(a, b)| a <= b)
        && index
            .variants
            .iter()
            .all(|(_, t)| usize::try_from(*t).is_ok_and(|t| t < index.postings.len()))
}
