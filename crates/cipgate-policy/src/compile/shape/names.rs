//! Shaping a names list (`type: names`): its scores, its `source:`, and the restricted
//! parties written in the policy, each name reduced to its matching tokens. Whether a file
//! gives the entries in place of those written is known in the check pass, so the errors of
//! the parts it may not use travel with them (`Shaped`).

use super::super::codes;
use super::super::error_codes::ErrorCode;
use super::super::syntax::{EntrySyntax, NamesListSyntax, ScoresSyntax, Shaped};
use super::super::values::{ReadValues, Report};
use super::super::vocabulary::PARTY_KEYS;
use super::super::yaml::{Key, Node};
use super::{get, Shape};
use crate::formats;
use crate::ir::{EntryValue, Party};
use crate::screening;

impl Shape {
    /// The names list `list` (its declaration `d`), `None` once its errors are reported.
    pub(super) fn names_list(&mut self, list: &Key, d: &[(Key, Node)]) -> Option<NamesListSyntax> {
        let scores = self.scores(d)?;
        let source = match get(d, "source") {
            Some(n) => Some(self.nonblank(n, "`source`")?),
            None => None,
        };
        if let (Some(n), Some(_)) = (get(d, "entries"), &source) {
            self.error_help(
                ErrorCode::NamesList,
                n.at,
                format!("the list `{}` has both `source` and `entries`", list.text),
                "keep the entries in the list file, or drop `source`",
            );
            return None;
        }
        let citation = get(d, "citation").map(|n| self.aside(|s| s.nonblank(n, "`citation`")));
        let entries = get(d, "entries").map(|n| {
            self.aside(|s| {
                let mut parties = Vec::new();
                for (name, entry) in s.mapping(n, "`entries`").unwrap_or_default() {
                    if let Some(e) = s.party_entry(name, entry) {
                        parties.push(e);
                    }
                }
                Some(parties)
            })
        });
        Some(NamesListSyntax {
            scores,
            source,
            source_at: get(d, "source").map(|n| n.at),
            citation,
            entries,
        })
    }

    /// `read` with its errors kept aside, for the check pass to report if it uses the value.
    fn aside<T>(&mut self, read: impl FnOnce(&mut Shape) -> Option<T>) -> Shaped<T> {
        let before = std::mem::take(&mut self.errors);
        let value = read(self);
        let errors = std::mem::replace(&mut self.errors, before);
        Shaped { value, errors }
    }

    /// The list's `hit_score` (or the default) and its denial scores, none below the hit score.
    fn scores(&mut self, d: &[(Key, Node)]) -> Option<ScoresSyntax> {
        let hit_score = match get(d, "hit_score") {
            Some(n) => self.score(n, "`hit_score`")?,
            None => screening::DEFAULT_REVIEW_SCORE,
        };
        let denial = |s: &mut Shape, key: &str| match get(d, key) {
            Some(n) => {
                let what = format!("`{key}`");
                let score = s.score(n, &what)?;
                if score < hit_score {
                    s.error(
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
        Some(ScoresSyntax {
            hit_score,
            deny_score: denial(self, "deny_score")?,
            deny_score_with_country: denial(self, "deny_score_with_country")?,
            deny_score_with_date_of_birth: denial(self, "deny_score_with_date_of_birth")?,
        })
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
    fn party_entry(&mut self, name: &Key, entry: &Node) -> Option<EntrySyntax> {
        let d = self.mapping(entry, "a list entry")?;
        let get = |k: &str| get(d, k);
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
                self.checked(codes::country(&code, c.at))?;
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

/// The days a listed date of birth may be, first and last, as `YYYYMMDD` numbers: ISO
/// (`1961-03-14`, `1961-03`, `1961`, as the Consolidated Screening List writes them) or as
/// OFAC does (`14 Mar 1961`, `Mar 1961`). Approximate dates (`circa 1961`) and spans
/// (`1958 to 1962`) give `None`.
pub(in crate::compile) fn birth_dates(text: &str) -> Option<(u32, u32)> {
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
