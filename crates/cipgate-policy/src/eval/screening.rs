//! Screening a name against a names list, and the entry choice every list match shares.

use crate::ir::{EntryValue, ListEntry, NamedList};
use crate::screening;

/// The best name of a listed party that a screened name matched.
#[derive(Debug, Clone, Copy)]
pub(super) struct Screened {
    /// Index into the party's names.
    pub(super) name: usize,
    pub(super) score: u16,
    /// The score or a second identifier (the applicant's country) reaches a denial.
    pub(super) deny: bool,
}

/// The most words a screened name may have.
const MAX_SCREENED_TOKENS: usize = 32;

/// What the applicant gave besides the name that a listed party may share.
pub(super) struct Identifiers<'d> {
    pub(super) country: Option<&'d str>,
    /// `YYYYMMDD`.
    pub(super) date_of_birth: Option<u32>,
}

/// The party in force whose names `name` matches best, at the list's hit score or above: the
/// one that reaches a denial first, then the highest score, then the first written.
pub(super) fn screen(
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
pub(super) fn best_match(
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
