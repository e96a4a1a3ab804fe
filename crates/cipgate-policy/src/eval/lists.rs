//! Matching a value against the entries of a named list: exact values, phone prefixes,
//! postal-code ranges.

use super::screening::best_match;
use super::signup::Val;
use crate::formats;
use crate::ir::{EntryValue, ListEntry, ListKind};

/// The entry of a named list that `value` matches, among those in force at `time`; where
/// entries overlap, the narrowest applies.
pub(super) fn list_match(
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
pub(super) fn postal_code_match(
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
