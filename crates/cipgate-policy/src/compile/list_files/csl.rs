//! The US Consolidated Screening List (trade.gov) as CSV: a header row, then one party a row.
//! Columns are found by their header name, so added or reordered columns change nothing.

use super::csv::{Field, Record};
use super::{
    countries, items, kind, sorted_codes, ListFile, ListFileError, ListFileFormat, ListedParty,
    Problems,
};
use crate::formats;
use sha2::{Digest, Sha256};
use std::collections::hash_map::{Entry, HashMap};

/// The columns read. A first row that names one of them is a CSL header.
const COLUMNS: [&str; 13] = [
    "_id",
    "source",
    "entity_number",
    "type",
    "name",
    "alt_names",
    "addresses",
    "citizenships",
    "nationalities",
    "dates_of_birth",
    "programs",
    "start_date",
    "end_date",
];

pub(super) fn starts(first: &Record) -> bool {
    first
        .fields
        .iter()
        .any(|f| COLUMNS.contains(&f.text.trim()))
}

/// Where each column read is in a row.
struct Columns {
    id: Option<usize>,
    source: Option<usize>,
    entity_number: Option<usize>,
    kind: Option<usize>,
    name: usize,
    alt_names: Option<usize>,
    addresses: Option<usize>,
    citizenships: Option<usize>,
    nationalities: Option<usize>,
    dates_of_birth: Option<usize>,
    programs: Option<usize>,
    start_date: Option<usize>,
    end_date: Option<usize>,
}

pub(super) fn read(
    bytes: &[u8],
    header: &Record,
    rows: &[Record],
    mut problems: Problems,
) -> Result<ListFile, Vec<ListFileError>> {
    let Some(columns) = columns(header, &mut problems) else {
        return Err(problems.sorted());
    };
    let mut parties = Vec::with_capacity(rows.len());
    let mut ids = HashMap::new();
    for row in rows {
        if row.fields.len() == header.fields.len() {
            parties.extend(party(row, &columns, &mut ids, &mut problems));
        } else {
            problems.width(row, header.fields.len(), "the header has");
        }
    }
    if !problems.found.is_empty() {
        return Err(problems.sorted());
    }
    Ok(ListFile {
        format: ListFileFormat::ConsolidatedScreeningList,
        sha256: Sha256::digest(bytes).into(),
        published: None,
        parties,
    })
}

fn columns(header: &Record, problems: &mut Problems) -> Option<Columns> {
    for name in COLUMNS {
        let mut named = header.fields.iter().filter(|f| f.text.trim() == name);
        if let Some(again) = named.nth(1) {
            problems.at(again.at, format!("the header names `{name}` twice"));
        }
    }
    let find = |name: &str| header.fields.iter().position(|f| f.text.trim() == name);
    let (id, entity_number) = (find("_id"), find("entity_number"));
    if id.is_none() && entity_number.is_none() {
        problems.at(
            header.start,
            "the header has neither `entity_number` nor `_id`; a party's id comes from them",
        );
    }
    let Some(name) = find("name") else {
        problems.at(
            header.start,
            "the header has no `name` column; the Consolidated Screening List names each party \
             in it",
        );
        return None;
    };
    Some(Columns {
        id,
        source: find("source"),
        entity_number,
        kind: find("type"),
        name,
        alt_names: find("alt_names"),
        addresses: find("addresses"),
        citizenships: find("citizenships"),
        nationalities: find("nationalities"),
        dates_of_birth: find("dates_of_birth"),
        programs: find("programs"),
        start_date: find("start_date"),
        end_date: find("end_date"),
    })
}

/// One row as a party; its errors go to `problems`. `ids` holds the line of each
/// (source, id) seen: the same number may stand in two sources, not twice in one.
fn party<'r>(
    row: &'r Record,
    columns: &Columns,
    ids: &mut HashMap<(&'r str, &'r str), usize>,
    problems: &mut Problems,
) -> Option<ListedParty> {
    let cell = |column: Option<usize>| column.and_then(|i| row.fields.get(i));
    let text = |column: Option<usize>| cell(column).map_or("", |f| f.text.trim());
    let name = cell(Some(columns.name))?;
    if name.text.trim().is_empty() {
        problems.at(name.at, "this party has no name");
    }
    let source = text(columns.source);
    let id = [columns.entity_number, columns.id]
        .into_iter()
        .filter_map(cell)
        .find(|f| !f.text.trim().is_empty());
    match id {
        // Without either column the header error says it once.
        None if columns.id.is_none() && columns.entity_number.is_none() => {}
        None => problems.at(
            row.start,
            "this row has no id: entity_number and _id are both empty",
        ),
        Some(field) => match ids.entry((source, field.text.trim())) {
            Entry::Occupied(first) => problems.at(
                field.at,
                format!(
                    "`{}` is listed twice in `{source}`; line {} has it too",
                    field.text.trim(),
                    first.get()
                ),
            ),
            Entry::Vacant(slot) => {
                slot.insert(row.start.line);
            }
        },
    }
    let mut codes: Vec<&str> = items(text(columns.citizenships), "; ")
        .chain(items(text(columns.nationalities), "; "))
        .filter_map(countries::code)
        .collect();
    // An address ends with its country, as a code or a name.
    for address in items(text(columns.addresses), "; ") {
        codes.extend(address.rsplit(',').next().and_then(countries::code));
    }
    let list = |column| items(text(column), "; ").map(str::to_string).collect();
    Some(ListedParty {
        id: id.map_or("", |f| f.text.trim()).to_string(),
        source: source.to_string(),
        kind: kind(text(columns.kind)),
        name: name.text.trim().to_string(),
        aliases: list(columns.alt_names),
        countries: sorted_codes(codes),
        dates_of_birth: list(columns.dates_of_birth),
        programs: list(columns.programs),
        start: date(cell(columns.start_date), problems),
        end: date(cell(columns.end_date), problems),
        line: row.start.line,
    })
}

fn date(field: Option<&Field>, problems: &mut Problems) -> Option<i64> {
    let field = field?;
    let text = field.text.trim();
    if text.is_empty() {
        return None;
    }
    // parse_timestamp also takes a time of day, which this column never has.
    let parsed = Some(text)
        .filter(|t| t.len() == "YYYY-MM-DD".len())
        .and_then(formats::parse_timestamp);
    if parsed.is_none() {
        problems.at(
            field.at,
            format!("`{text}` is not a date; the Consolidated Screening List writes YYYY-MM-DD"),
        );
    }
    parsed
}
