//! OFAC's SDN list as CSV. sdn.csv has no header; its 12 fields are ent_num, SDN_Name,
//! SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner and
//! Remarks. alt.csv (ent_num, alt_num, alt_type, alt_name, alt_remarks) and add.csv (ent_num,
//! add_num, address, city/state/zip, country, add_remarks) beside it link to it by ent_num.
//! `-0-`, usually written `-0- `, is an empty value.

use super::csv::{Field, Record};
use super::{
    countries, items, kind, sorted_codes, table, ListFile, ListFileError, ListFileFormat,
    ListedParty, PartyKind, Problems,
};
use sha2::{Digest, Sha256};
use std::collections::hash_map::{Entry, HashMap};

const SDN_WIDTH: usize = 12;

/// A party while its files are read: the countries are sorted once all are known.
struct Pending {
    party: ListedParty,
    countries: Vec<&'static str>,
}

/// A file beside sdn.csv: its name, its fields a row, and what one row adds to its party.
struct Sibling {
    name: &'static str,
    width: usize,
    add: fn(&[Field], &mut Pending),
}

const SIBLINGS: [Sibling; 2] = [
    Sibling {
        name: "alt.csv",
        width: 5,
        add: |fields, pending| {
            let alias = fields.get(3).map_or("", value);
            if !alias.is_empty() {
                pending.party.aliases.push(alias.to_string());
            }
        },
    },
    Sibling {
        name: "add.csv",
        width: 6,
        add: |fields, pending| {
            let country = fields.get(4).map_or("", value);
            pending.countries.extend(countries::code(country));
        },
    },
];

pub(super) fn starts(first: &Record) -> bool {
    first.fields.len() == SDN_WIDTH && first.fields.first().is_some_and(|f| is_number(value(f)))
}

pub(super) fn read(
    file: &str,
    bytes: &[u8],
    rows: &[Record],
    mut problems: Problems,
    sibling: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<ListFile, Vec<ListFileError>> {
    let mut hash = Sha256::new();
    hash_file(&mut hash, "sdn.csv", bytes);
    let mut parties: Vec<Pending> = Vec::with_capacity(rows.len());
    let mut by_number: HashMap<&str, usize> = HashMap::new();
    for row in rows {
        let [number, name, sdn_type, programs, _, _, _, _, _, _, _, remarks] =
            row.fields.as_slice()
        else {
            problems.width(row, SDN_WIDTH, "sdn.csv rows have");
            continue;
        };
        let id = value(number);
        if !is_number(id) {
            problems.at(number.at, format!("`{id}` is not an ent_num (a number)"));
        } else {
            match by_number.entry(id) {
                Entry::Occupied(first) => {
                    let line = parties.get(*first.get()).map_or(0, |p| p.party.line);
                    problems.at(
                        number.at,
                        format!("ent_num {id} is listed twice; line {line} has it too"),
                    );
                }
                Entry::Vacant(slot) => {
                    slot.insert(parties.len());
                }
            }
        }
        if value(name).is_empty() {
            problems.at(name.at, "this party has no name");
        }
        let mut pending = Pending {
            party: ListedParty {
                id: id.to_string(),
                source: "SDN".to_string(),
                kind: match value(sdn_type) {
                    "" => PartyKind::Entity,
                    listed => kind(listed),
                },
                name: value(name).to_string(),
                aliases: Vec::new(),
                countries: Vec::new(),
                dates_of_birth: Vec::new(),
                programs: items(value(programs), "] [").map(str::to_string).collect(),
                start: None,
                end: None,
                line: row.start.line,
            },
            countries: Vec::new(),
        };
        read_remarks(value(remarks), &mut pending);
        parties.push(pending);
    }
    let mut errors = problems.sorted();
    for beside in &SIBLINGS {
        if let Some(sibling_bytes) = sibling(beside.name) {
            hash_file(&mut hash, beside.name, &sibling_bytes);
            let path = sibling_path(file, beside.name);
            errors.extend(link(
                &path,
                &sibling_bytes,
                beside,
                &by_number,
                &mut parties,
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ListFile {
        format: ListFileFormat::OfacSdn,
        sha256: hash.finalize().into(),
        published: None,
        parties: parties
            .into_iter()
            .map(|p| ListedParty {
                countries: sorted_codes(p.countries),
                ..p.party
            })
            .collect(),
    })
}

/// Adds the rows of a sibling file to their parties; gives that file's errors.
fn link(
    path: &str,
    bytes: &[u8],
    beside: &Sibling,
    by_number: &HashMap<&str, usize>,
    parties: &mut [Pending],
) -> Vec<ListFileError> {
    let (rows, mut problems) = table(path, bytes);
    for row in &rows {
        let number = match row.fields.first() {
            Some(number) if row.fields.len() == beside.width => number,
            _ => {
                let rule = format!("{} rows have", beside.name);
                problems.width(row, beside.width, &rule);
                continue;
            }
        };
        let id = value(number);
        match by_number.get(id).and_then(|&i| parties.get_mut(i)) {
            Some(pending) => (beside.add)(&row.fields, pending),
            None => problems.at(number.at, format!("ent_num `{id}` is in no sdn.csv row")),
        }
    }
    problems.sorted()
}

/// Dates of birth and countries from the remarks: `DOB 14 Mar 1961; alt. DOB 1962;
/// nationality Iran; citizen Russia.`
fn read_remarks(remarks: &str, pending: &mut Pending) {
    for item in items(remarks, ";") {
        let item = item.strip_prefix("alt. ").unwrap_or(item);
        let item = item.trim_end_matches('.');
        if let Some(date) = item.strip_prefix("DOB ") {
            pending.party.dates_of_birth.push(date.trim().to_string());
        } else if let Some(country) = item
            .strip_prefix("nationality ")
            .or_else(|| item.strip_prefix("citizen "))
        {
            pending.countries.extend(countries::code(country));
        }
    }
}

/// A field's value, `-0-` read as empty.
fn value(field: &Field) -> &str {
    match field.text.trim() {
        "-0-" => "",
        text => text,
    }
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Each file as its name and its bytes, each prefixed by its length, so that no two sets of
/// files hash alike.
fn hash_file(hash: &mut Sha256, name: &str, bytes: &[u8]) {
    for part in [name.as_bytes(), bytes] {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part);
    }
}

/// `dir/alt.csv` for `dir/sdn.csv`: the path messages give for a sibling.
fn sibling_path(file: &str, name: &str) -> String {
    let dir = file
        .rfind(['/', '\\'])
        .and_then(|i| file.get(..=i))
        .unwrap_or("");
    format!("{dir}{name}")
}
