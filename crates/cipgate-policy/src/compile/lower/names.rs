//! Lowering a names list (`type: names`): restricted parties written in the policy or read
//! from a list file the agencies publish (`source:`, or `--list NAME=FILE` in its place), each
//! name reduced to its matching tokens, and the scores the list acts on.

use super::super::error_codes::ErrorCode;
use super::super::list_files::{self, ListedParty};
use super::super::syntax::Name;
use super::super::values::ReadValues;
use super::super::vocabulary::PARTY_KEYS;
use super::super::yaml::{Key, Node};
use super::conditions::Kind;
use super::{Lowering, Scope};
use crate::formats;
use crate::ir::{EntryValue, Format, ListEntry, ListVersion, NameIndex, Party, Screening};
use crate::screening::{self, index};

impl Lowering<'_> {
    /// The entries and scores of the names list `list` (its declaration `d`).
    pub(super) fn names_list(
        &mut self,
        list: &Key,
        d: &[(Key, Node)],
    ) -> Option<(Vec<ListEntry>, Screening)> {
        let (entries, mut screening) = self.names_list_entries(list, d)?;
        let names: Vec<&[Vec<String>]> = entries
            .iter()
            .map(|e| match &e.value {
                EntryValue::Party(p) => p.tokens.as_slice(),
                _ => &[],
            })
            .collect();
        screening.index = index::build(&names);
        Some((entries, screening))
    }

    fn names_list_entries(
        &mut self,
        list: &Key,
        d: &[(Key, Node)],
    ) -> Option<(Vec<ListEntry>, Screening)> {
        let get = |k: &str| d.iter().find(|(key, _)| key.text == k).map(|(_, v)| v);
        let screening = self.screening_scores(get)?;
        let source = match get("source") {
            Some(n) => Some(self.nonblank(n, "`source`")?),
            None => None,
        };
        if let (Some(n), Some(_)) = (get("entries"), &source) {
            self.error_help(
                ErrorCode::NamesList,
                n.at,
                format!("the list `{}` has both `source` and `entries`", list.text),
                "keep the entries in the list file, or drop `source`",
            );
            return None;
        }
        let at = get("source").map_or(list.at, |n| n.at);
        let Some(path) = self.files.locate(&list.text, source.as_deref()) else {
            let Some(entries) = get("entries") else {
                self.error_help(
                    ErrorCode::NamesList,
                    list.at,
                    format!("the list `{}` has no `entries` and no `source`", list.text),
                    "name a list file (`source: lists/consolidated.csv`) or write `entries:`",
                );
                return None;
            };
            let mut parties = Vec::new();
            for (name, entry) in self.mapping(entries, "`entries`").unwrap_or_default() {
                if let Some(e) = self.party_entry(name, entry) {
                    parties.push(e);
                }
            }
            return Some((parties, screening));
        };
        let citation = match get("citation") {
            Some(n) => self.nonblank(n, "`citation`")?,
            None => {
                self.error_help(
                    ErrorCode::MissingKey,
                    list.at,
                    format!(
                        "the list `{}` reads a file but has no `citation`",
                        list.text
                    ),
                    "cite what the file's entries are listed under, such as the OFAC programs \
                     and the SDN List",
                );
                return None;
            }
        };
        let bytes = match self.files.read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.error(ErrorCode::ListFile, at, e);
                return None;
            }
        };
        let files = self.files;
        let file = match list_files::read(&path, &bytes, &|name| files.sibling(&path, name)) {
            Ok(file) => file,
            Err(errors) => {
                for e in errors {
                    self.error(ErrorCode::ListFile, at, e.to_string());
                }
                return None;
            }
        };
        self.list_versions.push(ListVersion {
            list: list.text.clone(),
            sha256: crate::policy::hex(&file.sha256),
            entries: u32::try_from(file.parties.len()).unwrap_or(u32::MAX),
            published: file.published.clone(),
        });
        let entries = file
            .parties
            .into_iter()
            .map(|p| listed_party(p, &citation))
            .collect();
        Some((entries, screening))
    }

    /// The list's `hit_score` (or the default) and its denial scores, none below the hit score.
    fn screening_scores<'n>(
        &mut self,
        get: impl Fn(&str) -> Option<&'n Node>,
    ) -> Option<Screening> {
        let hit_score = match get("hit_score") {
            Some(n) => self.score(n, "`hit_score`")?,
            None => screening::DEFAULT_REVIEW_SCORE,
        };
        let denial = |l: &mut Lowering<'_>, key: &str| match get(key) {
            Some(n) => {
                let what = format!("`{key}`");
                let score = l.score(n, &what)?;
                if score < hit_score {
                    l.error(
                        ErrorCode::NeverTrue,
                        n.at,
                        format!("{what} is below the list's hit score, so it would never act"),
                    );
                    return None;
                }
                Some(Some(score))
            }
            None => Some(None),
        };
        Some(Screening {
            hit_score,
            deny_score: denial(self, "deny_score")?,
            deny_score_with_country: denial(self, "deny_score_with_country")?,
            deny_score_with_date_of_birth: denial(self, "deny_score_with_date_of_birth")?,
            index: NameIndex::default(),
        })
    }

    /// The applicant's country field that a names-list test compares with a hit's countries.
    pub(super) fn screened_country(&mut self, value: &Name, scope: &Scope) -> Option<usize> {
        let f = self.field_name_in_scope(value, scope)?;
        if !self.field_kind(f).is_country() {
            self.error(
                ErrorCode::TypeMismatch,
                value.at,
                "`country` needs a field with `format: country`",
            );
            return None;
        }
        Some(f)
    }

    /// The applicant's date-of-birth field that a names-list test compares with a hit's dates.
    pub(super) fn screened_date_of_birth(&mut self, value: &Name, scope: &Scope) -> Option<usize> {
        let f = self.field_name_in_scope(value, scope)?;
        if self.field_kind(f) != Kind::Text(Some(Format::Date)) {
            self.error(
                ErrorCode::TypeMismatch,
                value.at,
                "`date_of_birth` needs a field with `format: date`",
            );
            return None;
        }
        Some(f)
    }

    /// A score from 0.01 to 1, in thousandths.
    fn score(&mut self, node: &Node, what: &str) -> Option<u16> {
        let n = self.number(node, what)?;
        if !(0.01..=1.0).contains(&n) {
            self.error_help(
                ErrorCode::OutOfRange,
                node.at,
                format!("{what} must be a score from 0.01 to 1"),
                "1 is an exact match of every word; 0.85 lets a typo or a left-out word through",
            );
            return None;
        }
        // In range, so the product fits.
        Some((n * 1000.0).round() as u16)
    }

    /// An entry written in the policy: the listed name as its key.
    fn party_entry(&mut self, name: &Key, entry: &Node) -> Option<ListEntry> {
        let d = self.mapping(entry, "a list entry")?;
        let get = |k: &str| d.iter().find(|(key, _)| key.text == k).map(|(_, v)| v);
        let mut names = vec![name.text.trim().to_string()];
        if let Some(n) = get("aliases") {
            for alias in self.sequence(n, "`aliases`").unwrap_or_default() {
                names.push(self.nonblank(alias, "an alias")?);
            }
        }
        let mut countries = Vec::new();
        if let Some(n) = get("countries") {
            for c in self.sequence(n, "`countries`").unwrap_or_default() {
                let code = self.text(c, "a country code")?;
                self.country_code(&code, c.at)?;
                countries.push(code);
            }
        }
        countries.sort();
        countries.dedup();
        let mut dates_of_birth = Vec::new();
        if let Some(n) = get("dates_of_birth") {
            for d in self.sequence(n, "`dates_of_birth`").unwrap_or_default() {
                let text = self.text(d, "a date of birth")?;
                match birth_dates(&text) {
                    Some(days) => dates_of_birth.push(days),
                    None => {
                        self.error_help(
                            ErrorCode::BadValue,
                            d.at,
                            format!("`{text}` is not a date of birth cipgate can compare"),
                            "write 1961-03-14, 1961-03 or 1961",
                        );
                        return None;
                    }
                }
            }
        }
        let id = match get("id") {
            Some(n) => self.nonblank(n, "`id`")?,
            None => names.first().cloned().unwrap_or_default(),
        };
        let tokens: Vec<Vec<String>> = names.iter().map(|n| screening::name_tokens(n)).collect();
        if tokens.iter().any(Vec::is_empty) {
            self.error_help(
                ErrorCode::BadValue,
                name.at,
                format!("`{}` or one of its aliases has no word to match", name.text),
                "legal forms (Ltd, LLC, OOO) and connectors (and, &) are not matched; give the \
                 name itself",
            );
            return None;
        }
        let party = EntryValue::Party(Party {
            id,
            names,
            tokens,
            countries,
            dates_of_birth,
        });
        self.entry_details(name, d, party, PARTY_KEYS)
    }
}

/// An entry read from a list file. Its reason says where it is listed; its dates are the
/// listing's.
fn listed_party(p: ListedParty, citation: &str) -> ListEntry {
    let programs = if p.programs.is_empty() {
        String::new()
    } else {
        format!(" ({})", p.programs.join(", "))
    };
    let reason = format!("Listed by {} as {}{programs}.", p.source, p.id);
    let mut names = vec![p.name];
    names.extend(p.aliases);
    let tokens = names.iter().map(|n| screening::name_tokens(n)).collect();
    ListEntry {
        value: EntryValue::Party(Party {
            id: p.id,
            names,
            tokens,
            countries: p.countries,
            // Approximate and unreadable dates are not compared: such a hit is not denied
            // for its date of birth.
            dates_of_birth: p
                .dates_of_birth
                .iter()
                .filter_map(|d| birth_dates(d))
                .collect(),
        }),
        reason,
        citation: citation.to_string(),
        outcome: None,
        message: None,
        effective: p.start,
        expires: p.end,
    }
}

/// The days a listed date of birth may be, first and last, as `YYYYMMDD` numbers: ISO
/// (`1961-03-14`, `1961-03`, `1961`, as the Consolidated Screening List writes them) or as
/// OFAC does (`14 Mar 1961`, `Mar 1961`). Approximate dates (`circa 1961`) and spans
/// (`1958 to 1962`) give `None`.
pub(super) fn birth_dates(text: &str) -> Option<(u32, u32)> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let number = |s: &str, digits: usize| {
        (s.len() == digits && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let month_name = |s: &str| {
        let s = s.to_ascii_lowercase();
        let at = MONTHS.iter().position(|m| s == *m)?;
        u32::try_from(at + 1).ok()
    };
    let text = text.trim();
    let parts: Vec<&str> = if text.contains('-') {
        text.split('-').collect()
    } else {
        text.split_whitespace().collect()
    };
    let (year, month, day) = match parts.as_slice() {
        [y] => (number(y, 4)?, None, None),
        [y, m] if text.contains('-') => (number(y, 4)?, Some(number(m, 2)?), None),
        [y, m, d] if text.contains('-') => {
            (number(y, 4)?, Some(number(m, 2)?), Some(number(d, 2)?))
        }
        [m, y] => (number(y, 4)?, Some(month_name(m)?), None),
        [d, m, y] => (
            number(y, 4)?,
            Some(month_name(m)?),
            Some(number(d, 2).or(number(d, 1))?),
        ),
        _ => return None,
    };
    if year == 0 {
        return None;
    }
    let key = |m: u32, d: u32| year * 10000 + m * 100 + d;
    let last_day = |m: u32| {
        let days = formats::days_in_month(i64::from(year), i64::from(m));
        (1..=12)
            .contains(&m)
            .then(|| u32::try_from(days).ok())
            .flatten()
    };
    match (month, day) {
        (None, _) => Some((key(1, 1), key(12, 31))),
        (Some(m), None) => Some((key(m, 1), key(m, last_day(m)?))),
        (Some(m), Some(d)) => (1..=last_day(m)?)
            .contains(&d)
            .then_some((key(m, d), key(m, d))),
    }
}

#[cfg(test)]
mod tests {
    use super::birth_dates;

    #[test]
    fn listed_dates_of_birth_become_ranges_of_days() {
        assert_eq!(birth_dates("1961-03-14"), Some((19610314, 19610314)));
        assert_eq!(birth_dates("14 Mar 1961"), Some((19610314, 19610314)));
        assert_eq!(birth_dates("4 mar 1961"), Some((19610304, 19610304)));
        assert_eq!(birth_dates("1961-02"), Some((19610201, 19610228)));
        assert_eq!(birth_dates("Feb 1964"), Some((19640201, 19640229)));
        assert_eq!(birth_dates(" 1962 "), Some((19620101, 19621231)));
        for unusable in [
            "circa 1980",
            "1958 to 1962",
            "1961-02-30",
            "31 Apr 1961",
            "1961-13",
            "Marc 1961",
            "61",
            "0000",
            "",
        ] {
            assert_eq!(birth_dates(unusable), None, "{unusable}");
        }
    }
}
