//! Readers for the restricted-party lists agencies publish: the US Consolidated Screening List
//! CSV and OFAC's SDN CSV (sdn.csv, with alt.csv and add.csv beside it). Bytes in, parties
//! out, or every error with its file, line and column; the caller does the I/O.

mod countries;
mod csl;
mod csv;
mod sdn;
#[cfg(test)]
mod tests;

use csv::{Record, Spot};
use std::fmt;

/// One list file read: what it holds, and the version of the bytes it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFile {
    pub format: ListFileFormat,
    /// sha256 of the bytes read. For the CSL, of the file. For SDN, over sdn.csv and then each
    /// sibling read, each as its name and its bytes, both prefixed by their length as u64 LE:
    /// any change to any file, or a sibling appearing, gives a new version.
    pub sha256: [u8; 32],
    /// The publication date where the file carries one (ISO 8601 date), else None. Neither
    /// CSV format carries one today.
    pub published: Option<String>,
    pub parties: Vec<ListedParty>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFileFormat {
    ConsolidatedScreeningList,
    OfacSdn,
}

impl ListFileFormat {
    /// A short name for messages and settings: `consolidated-screening-list`, `ofac-sdn`.
    pub fn name(&self) -> &'static str {
        match self {
            ListFileFormat::ConsolidatedScreeningList => "consolidated-screening-list",
            ListFileFormat::OfacSdn => "ofac-sdn",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyKind {
    Individual,
    Entity,
    Vessel,
    Aircraft,
    /// Not given, or a kind these readers do not know.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedParty {
    /// CSL: entity_number, or _id when that is empty; SDN: ent_num.
    pub id: String,
    /// CSL: the source column; SDN: "SDN".
    pub source: String,
    pub kind: PartyKind,
    /// As listed.
    pub name: String,
    /// CSL: alt_names split on "; "; SDN: the alt.csv rows for this ent_num.
    pub aliases: Vec<String>,
    /// ISO 3166-1 alpha-2, upper case, sorted, deduplicated: citizenships, nationalities and
    /// the country of each address. Names no table knows are left out.
    pub countries: Vec<String>,
    /// As listed: CSL dates_of_birth split on "; "; SDN the "DOB …" remarks.
    pub dates_of_birth: Vec<String>,
    pub programs: Vec<String>,
    /// start_date at 00:00 UTC, as Unix seconds.
    pub start: Option<i64>,
    /// end_date at 00:00 UTC, as Unix seconds: the entry no longer applies from then.
    pub end: Option<i64>,
    /// 1-based line of the record in its file, for messages.
    pub line: usize,
}

/// What is wrong with a list file, and where: `file:line:column: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFileError {
    pub file: String,
    pub line: usize,
    /// 1-based, in characters: where the bad field starts.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ListFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Reads the list file `file` (its name, for messages) from `bytes`; the format is recognised
/// from the content. `sibling(name)` gives the bytes of a file in the same directory (SDN's
/// alt.csv and add.csv), or None when there is none.
pub fn read(
    file: &str,
    bytes: &[u8],
    sibling: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Result<ListFile, Vec<ListFileError>> {
    let (records, problems) = table(file, bytes);
    let Some((first, rest)) = records.split_first() else {
        return Err(vec![unrecognised(file, "the file is empty")]);
    };
    if sdn::starts(first) {
        sdn::read(file, bytes, &records, problems, sibling)
    } else if csl::starts(first) {
        csl::read(bytes, first, rest, problems)
    } else {
        Err(vec![unrecognised(file, "not a list file cipgate reads")])
    }
}

fn unrecognised(file: &str, what: &str) -> ListFileError {
    ListFileError {
        file: file.to_string(),
        line: 1,
        column: 1,
        message: format!(
            "{what}: cipgate reads the US Consolidated Screening List CSV (a header row naming \
             its columns, `name` among them) and OFAC's SDN CSV (sdn.csv: no header, 12 fields \
             a row, the first the ent_num; alt.csv and add.csv beside it)"
        ),
    }
}

/// The errors of one file, sorted by place when taken.
struct Problems {
    file: String,
    found: Vec<ListFileError>,
}

impl Problems {
    fn at(&mut self, at: Spot, message: impl Into<String>) {
        self.found.push(ListFileError {
            file: self.file.clone(),
            line: at.line,
            column: at.column,
            message: message.into(),
        });
    }

    /// A record with more or fewer fields than `expected`; `rule` says whose rule that is.
    fn width(&mut self, record: &Record, expected: usize, rule: &str) {
        let n = record.fields.len();
        let fields = if n == 1 { "field" } else { "fields" };
        let at = record.fields.get(expected).map_or(record.end, |f| f.at);
        self.at(at, format!("this row has {n} {fields}; {rule} {expected}"));
    }

    fn sorted(mut self) -> Vec<ListFileError> {
        self.found.sort_by_key(|e| (e.line, e.column));
        self.found
    }
}

/// Decodes and splits one CSV file. Each invalid UTF-8 sequence is reported and read as U+FFFD,
/// so that the rest of the file is still checked.
fn table(file: &str, bytes: &[u8]) -> (Vec<Record>, Problems) {
    // A byte order mark is not content.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut text = String::with_capacity(bytes.len());
    let mut bad = Vec::new();
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        if let Some(&byte) = chunk.invalid().first() {
            bad.push((text.len(), byte));
            text.push(char::REPLACEMENT_CHARACTER);
        }
    }
    let mut problems = Problems {
        file: file.to_string(),
        found: Vec::new(),
    };
    let offsets: Vec<usize> = bad.iter().map(|&(offset, _)| offset).collect();
    for ((_, byte), at) in bad.iter().zip(csv::spots(&text, &offsets)) {
        problems.at(
            at,
            format!("byte 0x{byte:02X} is not UTF-8; list files must be saved as UTF-8"),
        );
    }
    let parsed = csv::parse(&text);
    for (at, message) in parsed.errors {
        problems.at(at, message);
    }
    (parsed.records, problems)
}

/// The items of a list written `a; b; c`, trimmed, empty ones dropped.
fn items<'a>(text: &'a str, separator: &'a str) -> impl Iterator<Item = &'a str> {
    text.split(separator)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Country codes as a party keeps them: sorted, deduplicated.
fn sorted_codes(mut codes: Vec<&str>) -> Vec<String> {
    codes.sort_unstable();
    codes.dedup();
    codes.into_iter().map(str::to_string).collect()
}

/// A party's kind as both lists spell it, in any case.
fn kind(listed: &str) -> PartyKind {
    match listed.to_ascii_lowercase().as_str() {
        "individual" => PartyKind::Individual,
        "entity" => PartyKind::Entity,
        "vessel" => PartyKind::Vessel,
        "aircraft" => PartyKind::Aircraft,
        _ => PartyKind::Other,
    }
}
