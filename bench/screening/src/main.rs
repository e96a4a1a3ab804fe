//! Screening quality on the labelled evaluation set (`bench/screening/eval.tsv`): each name
//! screened against every party of the sample list files (policies/lists/), by cipgate's name
//! matching at a threshold and by exact matching (ASCII case and white space folded, what a
//! `type: text` list does). Prints a Markdown report: precision and recall of both, and recall
//! by alias pattern.
//!
//!   screening-eval [REPO] [--threshold 0.80]

use cipgate_policy::compile::list_files;
use cipgate_policy::formats::fold_text;
use cipgate_policy::screening::{name_tokens, score, DEFAULT_REVIEW_SCORE};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

struct Party {
    listed_name: String,
    names: Vec<String>,
    tokens: Vec<Vec<String>>,
}

struct Case {
    name: String,
    /// The listed names of the party it must match; empty for a look-alike.
    expected: Vec<String>,
    pattern: String,
}

#[derive(Default)]
struct Tally {
    positives: usize,
    negatives: usize,
    /// Positives whose party is among the hits.
    found: usize,
    /// Names flagged with no hit on their party (look-alikes, or the wrong party).
    false_alarms: usize,
    flagged: usize,
}

impl Tally {
    fn add(&mut self, case: &Case, hits: &[&Party]) {
        let right = hits.iter().any(|p| case.expected.contains(&p.listed_name));
        if case.expected.is_empty() {
            self.negatives += 1;
        } else {
            self.positives += 1;
        }
        if !hits.is_empty() {
            self.flagged += 1;
            if right {
                self.found += 1;
            } else {
                self.false_alarms += 1;
            }
        }
    }

    fn precision(&self) -> f64 {
        ratio(self.found, self.flagged)
    }

    fn recall(&self) -> f64 {
        ratio(self.found, self.positives)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

fn read_list(path: &Path) -> Vec<Party> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let sibling = |name: &str| std::fs::read(path.with_file_name(name)).ok();
    let file = list_files::read(&path.display().to_string(), &bytes, &sibling)
        .unwrap_or_else(|e| panic!("{}: {} errors", path.display(), e.len()));
    file.parties
        .into_iter()
        .map(|p| {
            let mut names = vec![p.name.clone()];
            names.extend(p.aliases);
            let tokens = names.iter().map(|n| name_tokens(n)).collect();
            Party {
                listed_name: p.name,
                names,
                tokens,
            }
        })
        .collect()
}

fn read_cases(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            let [name, expected, pattern] = cols[..] else {
                panic!("not three columns: {l}");
            };
            Case {
                name: name.to_string(),
                expected: match expected {
                    "-" => Vec::new(),
                    e => e.split(" | ").map(str::to_string).collect(),
                },
                pattern: pattern.to_string(),
            }
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let threshold = args
        .iter()
        .position(|a| a == "--threshold")
        .and_then(|i| args.get(i + 1))
        .map(|t| (t.parse::<f64>().expect("a score such as 0.8") * 1000.0).round() as u16)
        .unwrap_or(DEFAULT_REVIEW_SCORE);
    let repo = args
        .first()
        .filter(|a| !a.starts_with("--"))
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let mut parties = read_list(&repo.join("policies/lists/csl-sample.csv"));
    parties.extend(read_list(&repo.join("policies/lists/sdn-sample/sdn.csv")));
    let cases = read_cases(&repo.join("bench/screening/eval.tsv"));

    let (mut fuzzy, mut exact) = (Tally::default(), Tally::default());
    let mut by_pattern: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for case in &cases {
        let query = name_tokens(&case.name);
        let query: Vec<&str> = query.iter().map(String::as_str).collect();
        let fuzzy_hits: Vec<&Party> = parties
            .iter()
            .filter(|p| {
                p.tokens.iter().any(|t| {
                    let t: Vec<&str> = t.iter().map(String::as_str).collect();
                    score(&query, &t) >= threshold
                })
            })
            .collect();
        let folded = fold_text(&case.name);
        let exact_hits: Vec<&Party> = parties
            .iter()
            .filter(|p| p.names.iter().any(|n| fold_text(n) == folded))
            .collect();
        let before = fuzzy.found + fuzzy.false_alarms;
        let found_before = fuzzy.found;
        fuzzy.add(case, &fuzzy_hits);
        exact.add(case, &exact_hits);
        let entry = by_pattern.entry(&case.pattern).or_default();
        entry.0 += 1;
        if case.expected.is_empty() {
            entry.2 += usize::from(fuzzy.false_alarms + fuzzy.found > before);
        } else {
            entry.1 += usize::from(fuzzy.found > found_before);
        }
        let wrong = if case.expected.is_empty() {
            !fuzzy_hits.is_empty()
        } else {
            fuzzy.found == found_before
        };
        if wrong {
            misses.push(format!(
                "| {} | {} | {} |",
                case.name,
                if case.expected.is_empty() {
                    "look-alike flagged"
                } else {
                    "missed"
                },
                fuzzy_hits
                    .iter()
                    .map(|p| p.listed_name.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
    }

    println!(
        "{} names ({} that must match a listed party, {} look-alikes that must not) against the {} parties of the two sample lists; threshold {:.2}.\n",
        cases.len(),
        fuzzy.positives,
        fuzzy.negatives,
        parties.len(),
        f64::from(threshold) / 1000.0
    );
    println!("| matching | precision | recall | flagged | look-alikes or wrong parties flagged |");
    println!("|---|---|---|---|---|");
    for (name, t) in [
        ("cipgate screening", &fuzzy),
        ("exact (case and spaces folded)", &exact),
    ] {
        println!(
            "| {name} | {:.2} | {:.2} | {} | {} |",
            t.precision(),
            t.recall(),
            t.flagged,
            t.false_alarms
        );
    }
    println!("\n| pattern | names | matched (positives) | flagged (look-alikes) |");
    println!("|---|---|---|---|");
    for (pattern, (n, matched, flagged)) in &by_pattern {
        println!("| {pattern} | {n} | {matched} | {flagged} |");
    }
    if !misses.is_empty() {
        println!("\nWhere screening is wrong:\n\n| name | what went wrong | parties flagged |\n|---|---|---|");
        for m in &misses {
            println!("{m}");
        }
    }
}
