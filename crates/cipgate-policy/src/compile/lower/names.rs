//! Lowering a names list (`type: names`): restricted parties written in the policy or read
//! from a list file the agencies publish (`source:`, or `--list NAME=FILE` in its place), each
//! name reduced to its matching tokens, and the scores the list acts on.

use super::super::list_files::{self, ListedParty};
use super::super::vocabulary::PARTY_KEYS;
use super::super::yaml::{Key, Node};
use super::{Lowering, Scope};
use crate::ir::{EntryValue, ListEntry, ListVersion, NameIndex, Party, Screening};
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
                self.error(at, e);
                return None;
            }
        };
        let files = self.files;
        let file = match list_files::read(&path, &bytes, &|name| files.sibling(&path, name)) {
            Ok(file) => file,
            Err(errors) => {
                for e in errors {
                    self.error(at, e.to_string());
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
            index: NameIndex::default(),
        })
    }

    /// The applicant's country field that a names-list test compares with a hit's countries.
    pub(super) fn screened_country(&mut self, value: &Node, scope: &Scope) -> Option<usize> {
        let f = self.field_in_scope(value, scope)?;
        if !self.field_kind(f).is_country() {
            self.error(value.at, "`country` needs a field with `format: country`");
            return None;
        }
        Some(f)
    }

    /// A score from 0.01 to 1, in thousandths.
    fn score(&mut self, node: &Node, what: &str) -> Option<u16> {
        let n = self.number(node, what)?;
        if !(0.01..=1.0).contains(&n) {
            self.error_help(
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
        let id = match get("id") {
            Some(n) => self.nonblank(n, "`id`")?,
            None => names.first().cloned().unwrap_or_default(),
        };
        let tokens: Vec<Vec<String>> = names.iter().map(|n| screening::name_tokens(n)).collect();
        if tokens.iter().any(Vec::is_empty) {
            self.error_help(
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
        }),
        reason,
        citation: citation.to_string(),
        outcome: None,
        message: None,
        effective: p.start,
        expires: p.end,
    }
}
