//! Shaping the `lists:` section: each list's type, and each entry's value (checked against
//! the code tables), reason, citation, and the outcome, message and dates it may carry;
//! entries of one list that overlap.

use super::super::codes;
use super::super::error_codes::ErrorCode;
use super::super::syntax::{EntrySyntax, ListEntries, ListSyntax};
use super::super::values::{ReadValues, Report};
use super::super::vocabulary::{
    names, ENTRY_KEYS, ENTRY_OUTCOMES, LIST_KEYS, LIST_TYPES, NAMES_LIST_KEYS,
};
use super::super::yaml::{Key, Node};
use super::{get, Shape};
use crate::decision::Outcome;
use crate::ir::{EntryValue, ListKind};
use crate::{formats, tables};

/// Longest prefix a postal-code entry may give (the longest postal codes have 10 characters).
const MAX_POSTAL_PREFIX: usize = 10;

impl Shape {
    pub(super) fn lists(&mut self, node: &Node) -> Vec<ListSyntax> {
        let Some(entries) = self.mapping(node, "`lists`") else {
            return Vec::new();
        };
        let mut lists = Vec::new();
        for (key, decl) in entries {
            let Some(d) = self.mapping(decl, &format!("the list `{}`", key.text)) else {
                continue;
            };
            self.known_keys(d, LIST_KEYS, "a list");
            let Some(kind) = self.list_kind(key, get(d, "type")) else {
                continue;
            };
            // Private lists stay at the gateway: the browser module never carries them.
            let private = match get(d, "private") {
                Some(n) => self.boolean(n, "`private`").unwrap_or(true),
                None => false,
            };
            let entries = if kind == ListKind::Names {
                self.names_list(key, d)
                    .map_or(ListEntries::Unreadable, ListEntries::Names)
            } else {
                self.not_names_keys(d, key);
                ListEntries::Codes(self.entries(key, kind, get(d, "entries")))
            };
            lists.push(ListSyntax {
                name: key.text.clone(),
                at: key.at,
                kind,
                private,
                entries,
            });
        }
        lists
    }

    /// The entries of a list of codes or prefixes.
    fn entries(&mut self, list: &Key, kind: ListKind, node: Option<&Node>) -> Vec<EntrySyntax> {
        let mut entries = Vec::new();
        match node {
            Some(n) => {
                for (value, entry) in self.mapping(n, "`entries`").unwrap_or_default() {
                    if let Some(e) = self.list_entry(kind, value, entry) {
                        entries.push(e);
                    }
                }
            }
            None => self.error(
                ErrorCode::MissingKey,
                list.at,
                format!("the list `{}` has no `entries`", list.text),
            ),
        }
        self.check_overlaps(&entries);
        entries
    }

    fn not_names_keys(&mut self, d: &[(Key, Node)], list: &Key) {
        for (key, _) in d {
            if NAMES_LIST_KEYS.contains(&key.text.as_str()) {
                self.error_help(
                    ErrorCode::NamesList,
                    key.at,
                    format!("`{}` is for names lists", key.text),
                    format!(
                        "give the list `{}` `type: names` to screen names",
                        list.text
                    ),
                );
            }
        }
    }

    fn list_kind(&mut self, list: &Key, node: Option<&Node>) -> Option<ListKind> {
        let types = names(LIST_TYPES);
        let Some(node) = node else {
            self.error_help(
                ErrorCode::MissingKey,
                list.at,
                format!("the list `{}` has no `type`", list.text),
                format!("add `type:` with one of {}", types.join(", ")),
            );
            return None;
        };
        let name = self.text(node, "`type`")?;
        let found = LIST_TYPES.iter().find(|(n, _)| *n == name);
        if found.is_none() {
            self.unknown_word(
                node.at,
                format!("unknown list type `{name}`"),
                &name,
                &types,
                || format!("the list types are {}", types.join(", ")),
            );
        }
        found.map(|(_, kind)| *kind)
    }

    fn list_entry(&mut self, kind: ListKind, value: &Key, entry: &Node) -> Option<EntrySyntax> {
        let matched = match kind {
            ListKind::Country => {
                self.checked(codes::country(&value.text, value.at))?;
                EntryValue::Exact(value.text.clone())
            }
            ListKind::Subdivision => {
                self.checked(codes::subdivision(&value.text, value.at))?;
                EntryValue::Exact(value.text.clone())
            }
            ListKind::Text => EntryValue::Exact(formats::fold_text(&value.text)),
            ListKind::PostalCode => self.postal_code_entry(value)?,
            ListKind::PhoneNumber => self.phone_prefix_entry(value)?,
            // Read by `names_list`.
            ListKind::Names => return None,
        };
        let d = self.mapping(entry, "a list entry")?;
        self.entry_details(value, d, matched, &[])
    }

    /// What every entry may carry besides its value: `reason`, `citation`, and the outcome,
    /// message and dates of its own; `extra` are the keys the list's kind adds.
    pub(super) fn entry_details(
        &mut self,
        value: &Key,
        d: &[(Key, Node)],
        matched: EntryValue,
        extra: &[&str],
    ) -> Option<EntrySyntax> {
        let allowed: Vec<&str> = ENTRY_KEYS.iter().chain(extra).copied().collect();
        self.known_keys(d, &allowed, "a list entry");
        let get = |k: &str| get(d, k);
        let required = |l: &mut Shape, k: &str| match get(k) {
            Some(n) => l.nonblank(n, &format!("`{k}`")),
            None => {
                l.error(
                    ErrorCode::MissingKey,
                    value.at,
                    format!("the entry `{}` has no `{k}`", value.text),
                );
                None
            }
        };
        let reason = required(self, "reason");
        let citation = required(self, "citation");
        let outcome = match get("outcome") {
            Some(n) => Some(self.entry_outcome(n)?),
            None => None,
        };
        let message = match get("message") {
            Some(n) => Some(self.message(n)?),
            None => None,
        };
        let effective = match get("effective") {
            Some(n) => Some(self.date(n)?),
            None => None,
        };
        let expires = match get("expires") {
            Some(n) => Some(self.date(n)?),
            None => None,
        };
        if let (Some(from), Some(to), Some(n)) = (effective, expires, get("expires")) {
            if to <= from {
                self.error(
                    ErrorCode::BadValue,
                    n.at,
                    "the entry expires before it takes effect",
                );
                return None;
            }
        }
        Some(EntrySyntax {
            at: value.at,
            value: matched,
            reason: reason?,
            citation: citation?,
            outcome,
            message,
            effective,
            expires,
        })
    }

    /// `UA 95000-98999` (a range), `RU 295-298` (a range of prefixes) or `UA 99` (one prefix).
    fn postal_code_entry(&mut self, value: &Key) -> Option<EntryValue> {
        let help = "write the country code, a space, then a prefix (`UA 99`) or a range of \
                    prefixes of one length (`UA 95000-98999`, `RU 295-298`)";
        let Some((country, range)) = value.text.split_once(' ') else {
            self.error_help(
                ErrorCode::BadValue,
                value.at,
                format!("`{}` is not a postal-code entry", value.text),
                help,
            );
            return None;
        };
        self.checked(codes::country(country, value.at))?;
        if matches!(
            tables::postal_code(country),
            tables::PostalCode::NotUsed | tables::PostalCode::Unknown
        ) {
            self.error(
                ErrorCode::BadValue,
                value.at,
                format!("{country} has no postal codes that cipgate knows the format of"),
            );
            return None;
        }
        let (first, last) = range.trim().split_once('-').unwrap_or((range, range));
        let (first, last) = (first.trim(), last.trim());
        let well_formed = |p: &str| {
            !p.is_empty()
                && p.len() <= MAX_POSTAL_PREFIX
                && p.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        };
        if !well_formed(first) || !well_formed(last) || first.len() != last.len() || first > last {
            self.error_help(
                ErrorCode::BadValue,
                value.at,
                format!("`{range}` is not a prefix or a range of prefixes"),
                format!(
                    "{help}; prefixes are digits and capital letters, at most \
                     {MAX_POSTAL_PREFIX}, the first not after the last"
                ),
            );
            return None;
        }
        Some(EntryValue::PostalCodes {
            country: country.to_string(),
            first: first.to_string(),
            last: last.to_string(),
        })
    }

    /// `+7 978`: a calling code and the first digits of national numbers.
    fn phone_prefix_entry(&mut self, value: &Key) -> Option<EntryValue> {
        let digits: String = value
            .text
            .strip_prefix('+')
            .unwrap_or_default()
            .chars()
            .filter(|c| *c != ' ')
            .collect();
        let known = tables::calling_countries(&digits)
            .is_some_and(|(code, _)| code <= digits.len() && digits.len() <= 15);
        if !known {
            self.error_help(
                ErrorCode::BadValue,
                value.at,
                format!("`{}` is not a telephone number prefix", value.text),
                "write + and a calling code, then the first digits of the national number, \
                 as E.164 numbers begin: `+7 978`, `+380 65`",
            );
            return None;
        }
        Some(EntryValue::PhonePrefix(digits))
    }

    fn entry_outcome(&mut self, node: &Node) -> Option<Outcome> {
        let text = self.text(node, "`outcome`")?;
        match ENTRY_OUTCOMES.iter().find(|o| o.as_str() == text) {
            Some(o) => Some(*o),
            None => {
                let words: Vec<&str> = ENTRY_OUTCOMES.iter().map(|o| o.as_str()).collect();
                self.unknown_word(
                    node.at,
                    format!("`{text}` is not an outcome a list entry can have"),
                    &text,
                    &words,
                    || format!("a list entry's outcome is {}", words.join(" or ")),
                );
                None
            }
        }
    }

    fn date(&mut self, node: &Node) -> Option<i64> {
        let text = self.text(node, "a date")?;
        let parsed = formats::parse_timestamp(&text);
        if parsed.is_none() {
            self.error_help(
                ErrorCode::BadValue,
                node.at,
                format!("`{text}` is not a date"),
                "write dates as 2026-01-31 or 2026-01-31T12:00:00Z",
            );
        }
        parsed
    }

    /// Entries that share some codes but not all are ambiguous (which reason applies?); an
    /// entry inside another is not: the inner one applies, as in a routing table.
    fn check_overlaps(&mut self, entries: &[EntrySyntax]) {
        for (i, entry) in entries.iter().enumerate() {
            let earlier = entries.get(..i).unwrap_or_default();
            let clash = earlier
                .iter()
                .find(|other| ambiguous(&entry.value, &other.value));
            if let Some(other) = clash {
                let message = format!(
                    "this entry covers some of the codes that `{}` covers",
                    describe(&other.value)
                );
                self.error_help(
                    ErrorCode::Overlap,
                    entry.at,
                    message,
                    "make the ranges meet nowhere, or put one wholly inside the other \
                     (the inner one then applies to its codes)",
                );
            }
        }
    }
}

/// Two entries that cover the same codes, or some of each other's.
fn ambiguous(a: &EntryValue, b: &EntryValue) -> bool {
    match (a, b) {
        (
            EntryValue::PostalCodes {
                country: c1,
                first: f1,
                last: l1,
            },
            EntryValue::PostalCodes {
                country: c2,
                first: f2,
                last: l2,
            },
        ) if c1 == c2 => {
            // Compare at the shorter length: `83-87` and `83000-83999` meet at `83`.
            let n = f1.len().min(f2.len());
            let cut = |s: &str| s.get(..n).unwrap_or(s).to_string();
            let meet = cut(f1) <= cut(l2) && cut(f2) <= cut(l1);
            let inside = |(f, l): (&str, &str), (fo, lo): (&str, &str)| {
                f.len() >= fo.len() && cut(f) >= cut(fo) && cut(l) <= cut(lo)
            };
            let same = f1 == f2 && l1 == l2;
            meet && (same || !(inside((f1, l1), (f2, l2)) || inside((f2, l2), (f1, l1))))
        }
        (EntryValue::PhonePrefix(a), EntryValue::PhonePrefix(b)) => a == b,
        _ => false,
    }
}

fn describe(value: &EntryValue) -> String {
    match value {
        EntryValue::Exact(v) => v.clone(),
        EntryValue::PostalCodes {
            country,
            first,
            last,
        } if first == last => format!("{country} {first}"),
        EntryValue::PostalCodes {
            country,
            first,
            last,
        } => format!("{country} {first}-{last}"),
        EntryValue::PhonePrefix(digits) => format!("+{digits}"),
        EntryValue::Party(party) => party.id.clone(),
    }
}
