//! Checking `lists:`: each list numbered for the tests that name it, and a names list's
//! entries read from the file the agencies publish (`source:`, or `--list NAME=FILE` in its
//! place) or taken as written in the policy.

use super::super::error_codes::ErrorCode;
use super::super::list_files::{self, ListedParty};
use super::super::shape::birth_dates;
use super::super::syntax::{ListEntries, ListSyntax, Name, NamesListSyntax, Shaped};
use super::super::values::Report;
use super::conditions::Kind;
use super::{Checker, Scope};
use crate::compile::emit;
use crate::ir::{EntryValue, Format, ListEntry, ListVersion, NamedList, Party};
use crate::screening;

impl Checker<'_> {
    pub(super) fn lists(&mut self, lists: &[ListSyntax]) {
        for list in lists {
            let (entries, screening) = match &list.entries {
                ListEntries::Codes(entries) => (entries.iter().map(emit::entry).collect(), None),
                ListEntries::Names(names) => match self.names_list(list, names) {
                    Some(entries) => {
                        let screening = emit::screening(&names.scores, &entries);
                        (entries, Some(screening))
                    }
                    None => {
                        self.unreadable_lists.push(list.name.clone());
                        continue;
                    }
                },
                ListEntries::Unreadable => {
                    self.unreadable_lists.push(list.name.clone());
                    continue;
                }
            };
            self.list_index.insert(list.name.clone(), self.lists.len());
            self.lists.push(NamedList {
                name: list.name.clone(),
                kind: list.kind,
                private: list.private,
                entries,
                screening,
            });
        }
    }

    /// The entries of a names list: from its file, else as written.
    fn names_list(&mut self, list: &ListSyntax, names: &NamesListSyntax) -> Option<Vec<ListEntry>> {
        let at = names.source_at.unwrap_or(list.at);
        let Some(path) = self.files.locate(&list.name, names.source.as_deref()) else {
            let Some(entries) = &names.entries else {
                self.error_help(
                    ErrorCode::NamesList,
                    list.at,
                    format!("the list `{}` has no `entries` and no `source`", list.name),
                    "name a list file (`source: lists/consolidated.csv`) or write `entries:`",
                );
                return None;
            };
            let parties = self
                .used(entries)
                .map(|p| p.iter().map(emit::entry).collect());
            return Some(parties.unwrap_or_default());
        };
        let citation = match &names.citation {
            Some(citation) => self.used(citation)?,
            None => {
                self.error_help(
                    ErrorCode::MissingKey,
                    list.at,
                    format!(
                        "the list `{}` reads a file but has no `citation`",
                        list.name
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
            list: list.name.clone(),
            sha256: crate::policy::hex(&file.sha256),
            entries: u32::try_from(file.parties.len()).unwrap_or(u32::MAX),
            published: file.published.clone(),
        });
        Some(
            file.parties
                .into_iter()
                .map(|p| listed_party(p, citation))
                .collect(),
        )
    }

    /// A part the check uses, its shape errors reported now.
    fn used<'s, T>(&mut self, part: &'s Shaped<T>) -> Option<&'s T> {
        self.errors.extend(part.errors.iter().cloned());
        part.value.as_ref()
    }

    /// The applicant's country field that a names-list test compares with a hit's countries.
    pub(super) fn screened_country(&mut self, value: &Name, scope: &Scope) -> Option<usize> {
        let f = self.field_in_scope(value, scope)?;
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
        let f = self.field_in_scope(value, scope)?;
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
