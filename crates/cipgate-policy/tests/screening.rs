//! Names lists in the language: list files read through `ListFiles`, `--list`-style
//! replacements, the list versions and hits in decisions, the browser projection, and the
//! diagnostics of a names list written wrong.

// Tests fail by panicking.
#![allow(clippy::panic, clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use cipgate_policy::{compile_with, Compiled, GatewayFacts, ListFiles, Outcome, SignupRequest};
use common::{crate_dir, diagnostics_of, policy_text, JSON};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// List files from the repository's `policies/` folder, with replacements by list name.
struct Fixtures {
    replacements: Vec<(&'static str, &'static str)>,
}

fn policies_dir() -> PathBuf {
    crate_dir().join("../../policies/examples")
}

impl ListFiles for Fixtures {
    fn locate(&self, list: &str, source: Option<&str>) -> Option<String> {
        match self.replacements.iter().find(|(l, _)| *l == list) {
            Some((_, file)) => Some(policies_dir().join(file).display().to_string()),
            None => source.map(|s| policies_dir().join(s).display().to_string()),
        }
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))
    }

    fn sibling(&self, path: &str, name: &str) -> Option<Vec<u8>> {
        std::fs::read(PathBuf::from(path).with_file_name(name)).ok()
    }
}

fn example(replacements: Vec<(&'static str, &'static str)>) -> Compiled {
    let text = std::fs::read_to_string(policies_dir().join("screening.yaml")).unwrap();
    compile_with("screening.yaml", &text, &Fixtures { replacements }).unwrap()
}

fn decide(compiled: &Compiled, body: &str) -> String {
    compiled
        .policy
        .evaluate(&SignupRequest {
            body: body.as_bytes(),
            content_type: Some(JSON),
            facts: &GatewayFacts::default(),
        })
        .to_json()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn decisions_name_each_list_file_by_its_sha256_and_count() {
    let compiled = example(vec![]);
    let csl = std::fs::read(policies_dir().join("../lists/csl-sample.csv")).unwrap();
    let versions = &compiled.policy.ir().meta.list_versions;
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].list, "consolidated-screening-list");
    assert_eq!(versions[0].sha256, sha256_hex(&csl));
    assert_eq!(versions[0].entries, 25);
    assert_eq!(
        (versions[1].list.as_str(), versions[1].entries),
        ("sdn", 15)
    );
    let json = decide(&compiled, r#"{"customer":{"legal_name":"Lena Vogel"}}"#);
    assert!(
        json.contains(&format!(
            r#""lists":[{{"list":"consolidated-screening-list","sha256":"{}","entries":25}},"#,
            sha256_hex(&csl)
        )),
        "{json}"
    );
}

#[test]
fn a_replacement_file_gives_the_list_its_entries_and_a_new_version() {
    let original = example(vec![]);
    let replaced = example(vec![("sdn", "../lists/csl-sample.csv")]);
    let versions = &replaced.policy.ir().meta.list_versions;
    assert_eq!(versions[1].list, "sdn");
    assert_eq!(versions[1].entries, 25);
    assert_ne!(original.policy.sha256(), replaced.policy.sha256());
    // An entry only the CSL has is now an SDN hit too.
    let json = decide(
        &replaced,
        r#"{"customer":{"legal_name":"Corvane Example Exports"}}"#,
    );
    assert!(json.contains(r#""rule":"party-sdn""#), "{json}");
}

#[test]
fn a_hit_names_the_list_entry_listed_name_matched_name_and_score() {
    let compiled = example(vec![]);
    let body =
        r#"{"customer":{"legal_name":"Zeltranov Arvid Kvelmor","address":{"country":"DE"}}}"#;
    let decision = compiled.policy.evaluate(&SignupRequest {
        body: body.as_bytes(),
        content_type: Some(JSON),
        facts: &GatewayFacts::default(),
    });
    assert_eq!(decision.outcome, Outcome::Review);
    let hit = decision
        .violations
        .iter()
        .find_map(|v| v.hit.as_ref().filter(|h| h.list == "sdn"))
        .unwrap();
    assert_eq!(hit.entry, "91001");
    assert_eq!(hit.listed_name, "ZELTRANOV, Arvid Quelmor");
    assert_eq!(hit.matched_name, "ZELTRANOV, Arvid Kvelmor");
    assert_eq!(hit.score, 1000);
    // The hand-written JSON is serde_json's, scores included.
    assert_eq!(
        decision.to_json(),
        serde_json::to_string(&decision).unwrap()
    );
}

#[test]
fn scores_are_written_as_serde_json_writes_the_fraction() {
    let compiled = example(vec![]);
    let body = r#"{"customer":{"legal_name":"Zeltranov Arvid"}}"#;
    let mut decision = compiled.policy.evaluate(&SignupRequest {
        body: body.as_bytes(),
        content_type: Some(JSON),
        facts: &GatewayFacts::default(),
    });
    let Some(index) = decision.violations.iter().position(|v| v.hit.is_some()) else {
        panic!("no hit: {}", decision.to_json());
    };
    for score in [1, 10, 100, 120, 801, 850, 999, 1000] {
        if let Some(hit) = decision.violations[index].hit.as_mut() {
            hit.score = score;
        }
        assert_eq!(
            decision.to_json(),
            serde_json::to_string(&decision).unwrap(),
            "{score}"
        );
    }
}

#[test]
fn the_browser_projection_leaves_names_lists_out_and_keeps_their_versions() {
    let compiled = example(vec![]);
    let web = cipgate_policy::CompiledPolicy::load(&compiled.browser_image().unwrap()).unwrap();
    assert!(web.ir().lists.is_empty());
    assert!(web.ir().rules.iter().all(|r| r.id == "name-required"));
    assert_eq!(
        web.ir().meta.list_versions,
        compiled.policy.ir().meta.list_versions
    );
    let body = r#"{"customer":{"legal_name":"Lena Vogel"}}"#;
    let page = web
        .evaluate(&SignupRequest {
            body: body.as_bytes(),
            content_type: Some(JSON),
            facts: &GatewayFacts::default(),
        })
        .to_json();
    assert_eq!(page, decide(&compiled, body));
}

const NAME_FIELD: &str = "input:
  fields:
    name: {type: string, message: Enter your name.}
    country: {type: string, format: country, message: Enter a country code.}
    born: {type: string, format: date, message: Enter a date of birth.}
";

fn names_policy(lists: &str, when: &str) -> String {
    policy_text(&format!(
        "{NAME_FIELD}lists:\n{lists}rules:\n  - {{id: listed, outcome: review, field: name, \
         when: {when}, message: Checked., citation: C}}\n"
    ))
}

const PARTIES: &str = "  parties:
    type: names
    entries:
      Ivan Petrov: {reason: R, citation: C, aliases: [Иван Петров], countries: [RU]}
";

#[test]
fn entries_written_in_the_policy_screen_with_their_aliases_and_countries() {
    let text = names_policy(
        &format!("{PARTIES}    deny_score_with_country: 0.95\n"),
        "{field: name, in_list: parties, country: country}",
    );
    let compiled = cipgate_policy::compile("test.yaml", &text).unwrap();
    let decide = |body: &str| decide(&compiled, body);
    let reviewed = decide(r#"{"name":"PETROV, Ivan","country":"DE"}"#);
    assert!(reviewed.contains(r#""outcome":"review""#), "{reviewed}");
    let denied = decide(r#"{"name":"Иван Петров","country":"RU"}"#);
    assert!(denied.contains(r#""outcome":"deny""#), "{denied}");
    assert!(denied.contains(r#""entry":"Ivan Petrov""#), "{denied}");
    let allowed = decide(r#"{"name":"Maria Petrova Sokolova","country":"RU"}"#);
    assert!(allowed.contains(r#""outcome":"allow""#), "{allowed}");
}

#[test]
fn a_listed_date_of_birth_is_a_second_identifier_in_either_way_lists_write_it() {
    let parties = "  parties:
    type: names
    deny_score_with_date_of_birth: 0.9
    entries:
      Ivan Petrov: {reason: R, citation: C, dates_of_birth: [14 Mar 1961, '1962', 1970-05]}
";
    let text = names_policy(
        parties,
        "{field: name, in_list: parties, date_of_birth: born}",
    );
    let compiled = cipgate_policy::compile("test.yaml", &text).unwrap();
    let outcome = |born: &str| {
        let d = decide(
            &compiled,
            &format!(r#"{{"name":"Ivan Petrov","born":"{born}"}}"#),
        );
        let at = d.find(r#""outcome":""#).unwrap() + 11;
        d[at..].split('"').next().unwrap().to_string()
    };
    for (born, expected) in [
        ("1961-03-14", "deny"),
        ("1961-03-15", "review"),
        ("1962-01-01", "deny"),
        ("1962-12-31", "deny"),
        ("1963-01-01", "review"),
        ("1970-05-31", "deny"),
        ("1970-06-01", "review"),
        ("1970-05-32", "incomplete"),
    ] {
        assert_eq!(outcome(born), expected, "born {born}");
    }
    let other = decide(
        &compiled,
        r#"{"name":"Maria Sokolova","born":"1961-03-14"}"#,
    );
    assert!(other.contains(r#""outcome":"allow""#), "{other}");
}

#[test]
fn a_name_longer_than_any_real_one_is_held_without_a_hit() {
    let text = names_policy(PARTIES, "{field: name, in_list: parties}");
    let compiled = cipgate_policy::compile("test.yaml", &text).unwrap();
    let long = vec!["word"; 40].join(" ");
    let json = decide(&compiled, &format!(r#"{{"name":"{long}"}}"#));
    assert!(json.contains(r#""outcome":"review""#), "{json}");
    assert!(!json.contains(r#""hit""#), "{json}");
}

#[test]
fn names_lists_written_wrong_get_clear_errors() {
    let cases = [
        (
            names_policy(
                "  parties: {type: names, source: parties.csv, citation: C}\n",
                "{field: name, in_list: parties}",
            ),
            "reads no files",
        ),
        (
            names_policy(
                &format!("{PARTIES}    hit_score: 1.5\n"),
                "{field: name, in_list: parties}",
            ),
            "`hit_score` must be a score from 0.01 to 1",
        ),
        (
            names_policy(
                &format!("{PARTIES}    hit_score: 0.9\n    deny_score: 0.8\n"),
                "{field: name, in_list: parties}",
            ),
            "`deny_score` is below the list's hit score",
        ),
        (
            names_policy(
                "  codes: {type: country, hit_score: 0.9, entries: {CU: {reason: R, citation: C}}}\n",
                "{field: country, in_list: codes}",
            ),
            "`hit_score` is for names lists",
        ),
        (
            names_policy(
                "  codes: {type: country, entries: {CU: {reason: R, citation: C}}}\n",
                "{field: country, in_list: codes, country: country}",
            ),
            "`country` goes only with `in_list` on a names list",
        ),
        (
            names_policy(PARTIES, "{field: name, in_list: parties, country: name}"),
            "`country` needs a field with `format: country`",
        ),
        (
            names_policy(PARTIES, "{field: country, in_list: parties}"),
            "`parties` is a list of names",
        ),
        (
            names_policy(PARTIES, "{field: name, in_list: parties, date_of_birth: country}"),
            "`date_of_birth` needs a field with `format: date`",
        ),
        (
            names_policy(
                "  parties:\n    type: names\n    entries:\n      A B: {reason: R, citation: C, dates_of_birth: [circa 1961]}\n",
                "{field: name, in_list: parties}",
            ),
            "`circa 1961` is not a date of birth cipgate can compare",
        ),
        (
            names_policy(
                "  parties:\n    type: names\n    entries:\n      LLC: {reason: R, citation: C}\n",
                "{field: name, in_list: parties}",
            ),
            "has no word to match",
        ),
        (
            names_policy(
                "  parties:\n    type: names\n    source: parties.csv\n    entries:\n      A B: {reason: R, citation: C}\n",
                "{field: name, in_list: parties}",
            ),
            "has both `source` and `entries`",
        ),
    ];
    for (text, wanted) in cases {
        let errors = diagnostics_of(&text).to_string();
        assert!(errors.contains(wanted), "wanted {wanted:?} in:\n{errors}");
    }
}

/// The index finds every hit a scan of the whole list finds: on every name of the labelled
/// evaluation set, the evaluator's best hit per list is the best a full scan scores.
#[test]
fn the_index_loses_no_hit_a_full_scan_finds_on_the_evaluation_set() {
    use cipgate_policy::ir::EntryValue;
    use cipgate_policy::screening::{name_tokens, score};
    let compiled = example(vec![]);
    let ir = compiled.policy.ir();
    let eval = std::fs::read_to_string(crate_dir().join("../../bench/screening/eval.tsv")).unwrap();
    let mut checked = 0;
    for line in eval
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let name = line.split('\t').next().unwrap();
        let body = serde_json::json!({"customer": {"legal_name": name}}).to_string();
        let decision = compiled.policy.evaluate(&SignupRequest {
            body: body.as_bytes(),
            content_type: Some(JSON),
            facts: &GatewayFacts::default(),
        });
        let query = name_tokens(name);
        let query: Vec<&str> = query.iter().map(String::as_str).collect();
        for list in &ir.lists {
            let settings = list.screening.as_ref().unwrap();
            // The best (score, first entry) of a scan, as the evaluator breaks ties.
            let mut best: Option<(u16, &str)> = None;
            for entry in &list.entries {
                let EntryValue::Party(party) = &entry.value else {
                    continue;
                };
                let top = party
                    .tokens
                    .iter()
                    .map(|t| score(&query, &t.iter().map(String::as_str).collect::<Vec<_>>()))
                    .max()
                    .unwrap_or(0);
                if top >= settings.hit_score && best.is_none_or(|(b, _)| top > b) {
                    best = Some((top, &party.id));
                }
            }
            let hit = decision
                .violations
                .iter()
                .filter_map(|v| v.hit.as_ref())
                .find(|h| h.list == list.name)
                .map(|h| (h.score, h.entry));
            assert_eq!(hit, best, "{name} against {}", list.name);
            checked += 1;
        }
    }
    assert!(checked >= 180, "{checked}");
}
