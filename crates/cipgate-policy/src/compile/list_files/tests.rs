use super::*;
use crate::tables;
use sha2::{Digest, Sha256};

const CSL: &[u8] = include_bytes!("../../../../../policies/lists/csl-sample.csv");
const SDN: &[u8] = include_bytes!("../../../../../policies/lists/sdn-sample/sdn.csv");
const ALT: &[u8] = include_bytes!("../../../../../policies/lists/sdn-sample/alt.csv");
const ADD: &[u8] = include_bytes!("../../../../../policies/lists/sdn-sample/add.csv");

fn no_siblings(_: &str) -> Option<Vec<u8>> {
    None
}

fn read_csl(text: &str) -> Result<ListFile, Vec<ListFileError>> {
    read("bad.csv", text.as_bytes(), &no_siblings)
}

/// Each error as `file:line:column: message`, for whole-list comparisons.
fn rendered(errors: Vec<ListFileError>) -> Vec<String> {
    errors.iter().map(ToString::to_string).collect()
}

/// Each error's `file:line:column`.
fn places(errors: Vec<ListFileError>) -> Vec<String> {
    errors
        .iter()
        .map(|e| format!("{}:{}:{}", e.file, e.line, e.column))
        .collect()
}

fn party<'a>(list: &'a ListFile, id: &str) -> &'a ListedParty {
    list.parties.iter().find(|p| p.id == id).unwrap()
}

/// For the parties whose id is a hash of theirs.
fn named<'a>(list: &'a ListFile, name: &str) -> &'a ListedParty {
    list.parties.iter().find(|p| p.name == name).unwrap()
}

fn sdn_files(alt: &'static [u8], add: &'static [u8]) -> impl Fn(&str) -> Option<Vec<u8>> {
    move |name| match name {
        "alt.csv" => Some(alt.to_vec()),
        "add.csv" => Some(add.to_vec()),
        _ => None,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_csl_sample() {
    let list = read("csl-sample.csv", CSL, &no_siblings).unwrap();
    assert_eq!(list.format, ListFileFormat::ConsolidatedScreeningList);
    assert_eq!(list.format.name(), "consolidated-screening-list");
    assert_eq!(list.sha256, <[u8; 32]>::from(Sha256::digest(CSL)));
    assert_eq!(list.published, None);
    assert_eq!(list.parties.len(), 25);
    let sources: std::collections::BTreeSet<&str> =
        list.parties.iter().map(|p| p.source.as_str()).collect();
    assert_eq!(sources.len(), 10);

    let person = party(&list, "90101");
    assert_eq!(person.kind, PartyKind::Individual);
    assert_eq!(person.name, "Arvid Quelmor ZELTRANOV");
    assert_eq!(
        person.aliases,
        strings(&[
            "ZELTRANOV, Arvid Quelmor",
            "Арвид Зелтранов",
            "Arvid ZELTRANOFF"
        ])
    );
    // Citizenship IR, nationality RU, addresses in IR and AE.
    assert_eq!(person.countries, strings(&["AE", "IR", "RU"]));
    assert_eq!(person.dates_of_birth, strings(&["1961-03-14", "1962"]));
    assert_eq!(person.programs, strings(&["IRAN", "SDGT"]));
    assert_eq!(person.line, 2);

    let company = party(&list, "90102");
    assert_eq!(company.kind, PartyKind::Entity);
    assert!(company
        .aliases
        .contains(&"ООО Нордвельт Фиктивные Приборы".to_string()));
    assert_eq!(company.start, Some(1_649_203_200)); // 2022-04-06
    assert_eq!(party(&list, "90103").kind, PartyKind::Vessel);
    assert_eq!(party(&list, "90104").kind, PartyKind::Aircraft);

    // BIS lists leave entity_number and type empty: the id is _id.
    let chinese = named(&list, "Xingyao Imaginary Semiconductor Co., Ltd.");
    assert_eq!(chinese.id.len(), 56);
    assert_eq!(chinese.kind, PartyKind::Other);
    assert_eq!(chinese.aliases.first().unwrap(), "虚构星耀半导体有限公司");
    assert_eq!(chinese.countries, strings(&["CN"]));

    let ended = named(&list, "Brannock T. FELLWETHER");
    assert_eq!(ended.start, Some(1_454_284_800)); // 2016-02-01
    assert_eq!(ended.end, Some(1_612_137_600)); // 2021-02-01
    let future = named(&list, "Halvarin Placeholder Chemical Industries");
    assert_eq!(future.start, Some(4_070_908_800)); // 2099-01-01

    // Country names in addresses; a name no table knows is left out.
    assert_eq!(
        named(&list, "Tamsarin Fictitious Trading FZE").countries,
        strings(&["AE"])
    );
    assert_eq!(
        named(&list, "Belokamensk Notional Machine Works OAO").countries,
        strings(&["BY", "RU"])
    );
    assert_eq!(
        named(&list, "Quorvan Notional Electronics Limited").countries,
        strings(&["HK"])
    );
    assert_eq!(party(&list, "90115").countries, strings(&["LB", "SY"]));
}

#[test]
fn the_sdn_sample() {
    let list = read("sdn-sample/sdn.csv", SDN, &sdn_files(ALT, ADD)).unwrap();
    assert_eq!(list.format, ListFileFormat::OfacSdn);
    assert_eq!(list.format.name(), "ofac-sdn");
    assert_eq!(list.published, None);
    assert_eq!(list.parties.len(), 15);
    let ids: Vec<&str> = list.parties.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.first(), Some(&"91001"));
    assert_eq!(ids.last(), Some(&"91015"));
    assert!(list.parties.iter().all(|p| p.source == "SDN"));

    let person = party(&list, "91001");
    assert_eq!(person.kind, PartyKind::Individual);
    assert_eq!(person.name, "ZELTRANOV, Arvid Quelmor");
    assert_eq!(
        person.aliases,
        strings(&["ZELTRANOFF, Arvid", "ZELTRANOV, Arvid Kvelmor"])
    );
    // nationality Iran, citizen Russia, addresses in Iran and the UAE.
    assert_eq!(person.countries, strings(&["AE", "IR", "RU"]));
    assert_eq!(person.dates_of_birth, strings(&["14 Mar 1961", "1962"]));
    assert_eq!(person.programs, strings(&["IRAN", "SDGT"]));
    assert_eq!((person.start, person.end, person.line), (None, None, 1));

    let company = party(&list, "91002");
    assert_eq!(company.kind, PartyKind::Entity);
    assert_eq!(company.countries, strings(&["RU"]));
    assert_eq!(party(&list, "91003").kind, PartyKind::Vessel);
    assert_eq!(party(&list, "91004").kind, PartyKind::Aircraft);
    assert_eq!(party(&list, "91004").countries, strings(&["KP"]));
    assert_eq!(party(&list, "91005").countries, strings(&["LB", "SY"]));
    assert_eq!(party(&list, "91006").countries, strings(&["KP"]));
    assert_eq!(party(&list, "91008").countries, strings(&["VE", "VG"]));
    assert_eq!(
        party(&list, "91009").dates_of_birth,
        strings(&["circa 1980"])
    );
    assert_eq!(
        party(&list, "91010").programs,
        strings(&["UKRAINE-EO13662", "RUSSIA-EO14024"])
    );
    // Its only address is in `Region: Crimea`, which names no single country.
    assert!(party(&list, "91010").countries.is_empty());
    assert_eq!(party(&list, "91014").countries, strings(&["CN", "HK"]));
    assert_eq!(party(&list, "91015").line, 15);
}

#[test]
fn sdn_without_its_siblings_has_what_sdn_csv_says() {
    let list = read("sdn.csv", SDN, &no_siblings).unwrap();
    let person = party(&list, "91001");
    assert!(person.aliases.is_empty());
    assert_eq!(person.countries, strings(&["IR", "RU"]));
}

#[test]
fn sha256_covers_every_file_read() {
    let version = |alt: &'static [u8], add: &'static [u8]| {
        read("sdn.csv", SDN, &sdn_files(alt, add)).unwrap().sha256
    };
    let both = version(ALT, ADD);
    assert_eq!(both, version(ALT, ADD));
    let edited: &'static [u8] = b"91001,95001,\"aka\",\"ZELTRANOFF, Arvid Q.\",-0- \r\n";
    assert_ne!(both, version(edited, ADD));
    assert_ne!(both, read("sdn.csv", SDN, &no_siblings).unwrap().sha256);
    // The same bytes as alt.csv or as add.csv are different lists.
    let only = |name: &'static str| {
        read("sdn.csv", SDN, &move |n: &str| {
            (n == name).then(|| b"".to_vec())
        })
        .unwrap()
        .sha256
    };
    assert_ne!(only("alt.csv"), only("add.csv"));
}

#[test]
fn csl_columns_are_found_by_name() {
    let original = read("csl-sample.csv", CSL, &no_siblings).unwrap();
    // The same file, its columns reversed and one more that nobody knows in the middle.
    let text = std::str::from_utf8(CSL).unwrap();
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut shuffled = String::new();
    for record in csv::parse(text).records {
        let mut cells: Vec<String> = record.fields.iter().map(|f| quote(&f.text)).collect();
        cells.reverse();
        let extra = if record.start.line == 1 {
            "risk_score"
        } else {
            "0.5"
        };
        cells.insert(7, quote(extra));
        shuffled.push_str(&cells.join(","));
        shuffled.push_str("\r\n");
    }
    let reordered = read_csl(&shuffled).unwrap();
    assert_eq!(reordered.parties, original.parties);
    assert_ne!(reordered.sha256, original.sha256);
}

#[test]
fn formats_are_recognised_from_the_content() {
    let sdn_row = "7,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
    let as_sdn = read("whatever.txt", sdn_row.as_bytes(), &no_siblings).unwrap();
    assert_eq!(as_sdn.format, ListFileFormat::OfacSdn);
    let as_csl = read("sdn.csv", b"name,_id\n\"X\",\"1\"\n", &no_siblings).unwrap();
    assert_eq!(as_csl.format, ListFileFormat::ConsolidatedScreeningList);
    // A header alone is a list with no parties.
    assert!(read_csl("name,_id\r\n").unwrap().parties.is_empty());

    for empty in ["", "\r\n\n", "\u{feff}", "\u{1a}\r\n"] {
        let errors = rendered(read_csl(empty).unwrap_err());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("bad.csv:1:1: the file is empty: cipgate reads"));
    }
    for other in ["hello,world\n1,2\n", "7,\"X\",-0- \n"] {
        let errors = rendered(read_csl(other).unwrap_err());
        assert_eq!(errors.len(), 1, "{other:?}");
        assert!(
            errors[0].starts_with("bad.csv:1:1: not a list file cipgate reads: cipgate reads"),
            "{errors:?}"
        );
        assert!(errors[0].contains("Consolidated Screening List") && errors[0].contains("SDN"));
    }
    // Bytes that are not text at all are not a list file either.
    let errors = read("x.png", b"\x89PNG\r\n\x1a\n\0\0", &no_siblings).unwrap_err();
    assert_eq!(places(errors), ["x.png:1:1"]);
}

#[test]
fn every_csl_error_at_once_with_its_place() {
    let text = "_id,name,start_date,end_date,source,extra\n\
        \"a1\",\"Good Party\",\"2020-01-01\",\"\",\"EL\",\"x\"\n\
        \"a2\",\"Bad \u{fffd}\",\"\",\"\",\"EL\",\"x\"\n\
        \"a3\",\"Too Few\",\"2020-01-01\"\n\
        \"a4\",\"Bad Date\",\"2020-13-01\",\"\",\"EL\",\"x\"\n\
        \"a5\",\"\",\"\",\"2021-02-30\",\"EL\",\"x\"\n\
        \"a1\",\"Duplicate\",\"\",\"\",\"EL\",\"x\"\n\
        \"a1\",\"Other Source\",\"\",\"\",\"DPL\",\"x\"\n\
        \"a6\",\"Too Many\",\"\",\"\",\"EL\",\"x\",\"y\"\n\
        \"\",\"No Id\",\"\",\"\",\"EL\",\"x\"\n\
        \"a7\",\"Timestamp\",\"2020-01-01T00:00:00Z\",\"\",\"EL\",\"x\"\n";
    // One byte that is not UTF-8 where the replacement character stands.
    let bytes = text.replace('\u{fffd}', "\u{1}").into_bytes();
    let bytes: Vec<u8> = bytes
        .iter()
        .map(|&b| if b == 1 { 0xFF } else { b })
        .collect();
    let errors = rendered(read("bad.csv", &bytes, &no_siblings).unwrap_err());
    assert_eq!(
        errors,
        [
            "bad.csv:3:11: byte 0xFF is not UTF-8; list files must be saved as UTF-8",
            "bad.csv:4:28: this row has 3 fields; the header has 6",
            "bad.csv:5:17: `2020-13-01` is not a date; the Consolidated Screening List writes \
             YYYY-MM-DD",
            "bad.csv:6:6: this party has no name",
            "bad.csv:6:12: `2021-02-30` is not a date; the Consolidated Screening List writes \
             YYYY-MM-DD",
            "bad.csv:7:1: `a1` is listed twice in `EL`; line 2 has it too",
            "bad.csv:9:32: this row has 7 fields; the header has 6",
            "bad.csv:10:1: this row has no id: entity_number and _id are both empty",
            "bad.csv:11:18: `2020-01-01T00:00:00Z` is not a date; the Consolidated Screening \
             List writes YYYY-MM-DD",
        ]
    );
}

#[test]
fn csl_header_errors() {
    let errors = rendered(read_csl("_id,source\n\"1\",\"EL\"\n").unwrap_err());
    assert_eq!(
        errors,
        [
            "bad.csv:1:1: the header has no `name` column; the Consolidated Screening List names \
          each party in it"
        ]
    );
    let errors = rendered(read_csl("name,type\n\"X\",\"\"\n\"Y\",\"\"\n").unwrap_err());
    assert_eq!(
        errors,
        [
            "bad.csv:1:1: the header has neither `entity_number` nor `_id`; a party's id comes \
          from them"
        ]
    );
    let errors = read_csl("_id,name,other,name\n\"1\",\"X\",\"\",\"Y\"\n").unwrap_err();
    assert_eq!(places(errors), ["bad.csv:1:16"]);
}

#[test]
fn csv_errors_with_their_places() {
    let trailing = read_csl("name,_id\n\"ok\",\"1\"\n\"never\"x,\"2\"\n\"x\",\"3\"\n");
    assert_eq!(
        rendered(trailing.unwrap_err()),
        [
            "bad.csv:3:8: text after the closing quote of a field; quote the whole field and \
          double any quote inside it"
        ]
    );
    let unclosed = read_csl("name,_id\n\"ok\",\"1\"\n\"x\",\"never closed\n");
    assert_eq!(
        rendered(unclosed.unwrap_err()),
        ["bad.csv:3:5: this field opens a quote that is never closed"]
    );
    let bare = read_csl("name,_id\nab\"c,\"1\"\nok,2\n");
    assert_eq!(
        rendered(bare.unwrap_err()),
        [
            "bad.csv:2:3: a quote inside an unquoted field; quote the whole field and double the \
          quote"
        ]
    );
    // Every bad byte is reported, in the place it has in its line.
    let errors = read(
        "bad.csv",
        b"name,_id\n\xC3(,1\n\"\xE9t\xE9\",2\n",
        &no_siblings,
    );
    assert_eq!(
        places(errors.unwrap_err()),
        ["bad.csv:2:1", "bad.csv:3:2", "bad.csv:3:4"]
    );
}

#[test]
fn csv_quotes_line_breaks_and_byte_order_mark() {
    let text = "\u{feff}name,_id,dates_of_birth\r\n\
        \"Said \"\"The Fictional\"\" Ox\",\"1\",\"\"\r\n\
        \"Two\nLines, Ltd\",\"2\",\"1970\"\r\
        Plain Name,3,\r\n\
        \r\n\
        \"\",\"4\",\"\"\n";
    let errors = read_csl(text).unwrap_err();
    // The BOM takes no column, the quoted line break and the lone CR each end a line.
    assert_eq!(rendered(errors), ["bad.csv:7:1: this party has no name"]);
    let list = read_csl(&text.replace("\"\",\"4\"", "\"Four\",\"4\"")).unwrap();
    let names: Vec<(&str, usize)> = list
        .parties
        .iter()
        .map(|p| (p.name.as_str(), p.line))
        .collect();
    assert_eq!(
        names,
        [
            ("Said \"The Fictional\" Ox", 2),
            ("Two\nLines, Ltd", 3),
            ("Plain Name", 5),
            ("Four", 7),
        ]
    );
}

#[test]
fn every_sdn_error_at_once_with_its_place() {
    let empty = "-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ";
    let sdn = format!(
        "1,\"ONE\",-0- ,\"P\",{empty}\r\n\
         2,-0- ,-0- ,\"P\",{empty}\r\n\
         1,\"DUP\",-0- ,\"P\",{empty}\r\n\
         4,\"SHORT\",-0- ,\"P\"\r\n\
         x5,\"BAD NUMBER\",-0- ,\"P\",{empty}\r\n\u{1a}"
    );
    let alt: &'static [u8] =
        b"1,10,\"aka\",\"UNO\",-0- \r\n9,11,\"aka\",\"NOBODY\",-0- \r\n2,12,\"aka\"\r\n\x1a";
    let add: &'static [u8] = b"7,20,-0- ,-0- ,\"Iran\",-0- \r\n";
    let errors = read("lists/sdn.csv", sdn.as_bytes(), &sdn_files(alt, add)).unwrap_err();
    assert_eq!(
        rendered(errors),
        [
            "lists/sdn.csv:2:3: this party has no name",
            "lists/sdn.csv:3:1: ent_num 1 is listed twice; line 1 has it too",
            "lists/sdn.csv:4:19: this row has 4 fields; sdn.csv rows have 12",
            "lists/sdn.csv:5:1: `x5` is not an ent_num (a number)",
            "lists/alt.csv:2:1: ent_num `9` is in no sdn.csv row",
            "lists/alt.csv:3:11: this row has 3 fields; alt.csv rows have 5",
            "lists/add.csv:1:1: ent_num `7` is in no sdn.csv row",
        ]
    );
}

#[test]
fn errors_display_as_file_line_column() {
    let error = ListFileError {
        file: "lists/sdn.csv".to_string(),
        line: 3,
        column: 7,
        message: "this party has no name".to_string(),
    };
    assert_eq!(
        error.to_string(),
        "lists/sdn.csv:3:7: this party has no name"
    );
}

#[test]
fn countries_by_code_iso_name_or_listed_name() {
    assert_eq!(countries::code("IR"), Some("IR"));
    assert_eq!(countries::code("cn"), Some("CN"));
    assert_eq!(countries::code("Iran, Islamic Republic of"), Some("IR"));
    assert_eq!(countries::code("united arab emirates"), Some("AE"));
    assert_eq!(countries::code("Korea, North"), Some("KP"));
    assert_eq!(countries::code(" Russia."), Some("RU"));
    assert_eq!(countries::code("Region: Crimea"), None);
    assert_eq!(countries::code("Nowhereland"), None);
    assert_eq!(countries::code(""), None);
}

#[test]
fn listed_country_names_are_real_codes_the_iso_names_miss() {
    for (name, code) in countries::LISTED_NAMES {
        assert!(tables::is_country(code), "{name} -> {code}");
        let iso = tables::COUNTRY_CODES
            .iter()
            .filter_map(|c| tables::country_name(c))
            .any(|n| n.eq_ignore_ascii_case(name));
        assert!(!iso, "{name} is already an ISO short name");
    }
}
