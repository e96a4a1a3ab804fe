//! `cipgate diff OLD NEW CORPUS`: decides every signup of a corpus under two policies and
//! reports each decision that changes, so a reviewer sees what a rule change does before it
//! ships.

use crate::compile::load_policy;
use crate::Format;
use cipgate_policy::{CompiledPolicy, Decision, GatewayFacts, Outcome, SignupRequest};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// One signup of the corpus: where it came from, its body and content type.
pub struct Signup {
    pub name: String,
    pub body: Vec<u8>,
    pub content_type: &'static str,
}

/// Reads a corpus: a directory of `.json` and `.form` files (other files are left out, so a
/// README can sit beside them), a JSON-lines file (`.jsonl`, `.ndjson`: one document per
/// non-empty line), or one `.json` / `.form` file.
pub fn read_corpus(path: &Path) -> Result<Vec<Signup>, String> {
    let cannot =
        |e: std::io::Error| format!("error: cannot read the corpus {}: {e}", path.display());
    let mut signups = Vec::new();
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(cannot)?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(cannot)?;
        files.sort();
        for file in files.iter().filter(|f| f.is_file()) {
            read_file(file, &mut signups)?;
        }
    } else {
        read_file(path, &mut signups)?;
    }
    if signups.is_empty() {
        return Err(format!(
            "error: the corpus {} has no signups (.json, .form, .jsonl or .ndjson files)",
            path.display()
        ));
    }
    Ok(signups)
}

fn read_file(file: &Path, signups: &mut Vec<Signup>) -> Result<(), String> {
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let extension = file.extension().and_then(|e| e.to_str());
    let content_type = match extension {
        Some("json" | "jsonl" | "ndjson") => JSON,
        Some("form") => FORM,
        _ => return Ok(()),
    };
    let bytes =
        std::fs::read(file).map_err(|e| format!("error: cannot read {}: {e}", file.display()))?;
    if matches!(extension, Some("jsonl" | "ndjson")) {
        for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            signups.push(Signup {
                name: format!("{name}:{}", i + 1),
                body: line.to_vec(),
                content_type,
            });
        }
    } else {
        signups.push(Signup {
            name,
            body: bytes,
            content_type,
        });
    }
    Ok(())
}

/// What a decision is compared by: outcome, status, and each violation's rule, field and
/// outcome, in order. Messages and citations are the policy's texts, not the decision's effect.
#[derive(PartialEq)]
struct Effect {
    outcome: Outcome,
    status: u16,
    violations: Vec<(String, Option<String>, Outcome)>,
}

impl Effect {
    fn of(decision: &Decision<'_>) -> Effect {
        Effect {
            outcome: decision.outcome,
            status: decision.status,
            violations: decision
                .violations
                .iter()
                .map(|v| {
                    (
                        v.rule.to_string(),
                        v.field.as_ref().map(|f| f.to_string()),
                        v.outcome,
                    )
                })
                .collect(),
        }
    }

    /// Each rule id once, with the strongest outcome it had.
    fn rules(&self) -> BTreeMap<&str, Outcome> {
        let mut rules = BTreeMap::new();
        for (rule, _, outcome) in &self.violations {
            let entry = rules.entry(rule.as_str()).or_insert(*outcome);
            *entry = (*entry).max(*outcome);
        }
        rules
    }

    fn to_json(&self) -> serde_json::Value {
        json!({
            "outcome": self.outcome.as_str(),
            "status": self.status,
            "violations": self.violations.iter().map(|(rule, field, outcome)| json!({
                "rule": rule, "field": field, "outcome": outcome.as_str(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// How often each rule was added, removed or changed its outcome across the changed signups.
#[derive(Default)]
struct RuleCounts {
    added: usize,
    removed: usize,
    outcome_changed: usize,
}

pub struct Report {
    signups: usize,
    changed: Vec<(String, Effect, Effect)>,
    rules: BTreeMap<String, RuleCounts>,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
    }
}

/// Decides every signup under both policies with the same facts.
pub fn compare(
    old: &CompiledPolicy,
    new: &CompiledPolicy,
    corpus: &[Signup],
    facts: &GatewayFacts,
) -> Report {
    let mut report = Report {
        signups: corpus.len(),
        changed: Vec::new(),
        rules: BTreeMap::new(),
    };
    for signup in corpus {
        let request = SignupRequest {
            body: &signup.body,
            content_type: Some(signup.content_type),
            facts,
        };
        let decide = |policy: &CompiledPolicy| Effect::of(&policy.evaluate(&request));
        let (before, after) = (decide(old), decide(new));
        if before == after {
            continue;
        }
        let (was, is) = (before.rules(), after.rules());
        for (rule, outcome) in &is {
            let counts = report.rules.entry(rule.to_string()).or_default();
            match was.get(rule) {
                None => counts.added += 1,
                Some(o) if o != outcome => counts.outcome_changed += 1,
                Some(_) => {}
            }
        }
        for rule in was.keys().filter(|r| !is.contains_key(*r)) {
            report.rules.entry(rule.to_string()).or_default().removed += 1;
        }
        report.changed.push((signup.name.clone(), before, after));
    }
    report
        .rules
        .retain(|_, c| c.added + c.removed + c.outcome_changed > 0);
    report
}

fn policy_json(policy: &CompiledPolicy) -> serde_json::Value {
    json!({"id": policy.id(), "version": policy.version(), "sha256": policy.sha256()})
}

pub fn to_json(report: &Report, old: &CompiledPolicy, new: &CompiledPolicy) -> String {
    let value = json!({
        "old": policy_json(old),
        "new": policy_json(new),
        "signups": report.signups,
        "changed": report.changed.iter().map(|(name, before, after)| json!({
            "signup": name, "before": before.to_json(), "after": after.to_json(),
        })).collect::<Vec<_>>(),
        "rules": report.rules.iter().map(|(rule, c)| json!({
            "rule": rule, "added": c.added, "removed": c.removed,
            "outcome_changed": c.outcome_changed,
        })).collect::<Vec<_>>(),
    });
    value.to_string()
}

pub fn to_text(report: &Report, old: &CompiledPolicy, new: &CompiledPolicy) -> String {
    let mut out = String::new();
    for (label, p) in [("old", old), ("new", new)] {
        out += &format!(
            "{label}: {} {} sha256:{}\n",
            p.id(),
            p.version(),
            p.sha256()
        );
    }
    for (name, before, after) in &report.changed {
        out += &format!(
            "{name}: {} ({}) -> {} ({})\n",
            before.outcome.as_str(),
            before.status,
            after.outcome.as_str(),
            after.status
        );
        let (was, is) = (before.rules(), after.rules());
        for (rule, outcome) in &is {
            match was.get(rule) {
                None => out += &format!("  + {rule} ({})\n", outcome.as_str()),
                Some(o) if o != outcome => {
                    out += &format!("  ~ {rule}: {} -> {}\n", o.as_str(), outcome.as_str())
                }
                Some(_) => {}
            }
        }
        for (rule, outcome) in was.iter().filter(|(r, _)| !is.contains_key(*r)) {
            out += &format!("  - {rule} ({})\n", outcome.as_str());
        }
    }
    out += &format!(
        "{} signups, {} decisions changed\n",
        report.signups,
        report.changed.len()
    );
    if !report.rules.is_empty() {
        let width = report
            .rules
            .keys()
            .map(String::len)
            .max()
            .unwrap_or(4)
            .max(4);
        out += &format!("{:width$}  added  removed  outcome changed\n", "rule");
        for (rule, c) in &report.rules {
            out += &format!(
                "{rule:width$}  {:>5}  {:>7}  {:>15}\n",
                c.added, c.removed, c.outcome_changed
            );
        }
    }
    out
}

/// Decides the corpus under both policies and prints the decisions that change; exit status 3
/// when some do.
pub fn run(
    old: &Path,
    new: &Path,
    corpus: &Path,
    at: Option<&str>,
    format: Format,
) -> Result<ExitCode, String> {
    let (old, new) = (
        load_policy(old, &[], format)?.policy,
        load_policy(new, &[], format)?.policy,
    );
    let corpus = read_corpus(corpus)?;
    let time = match at {
        Some(text) => Some(
            cipgate_policy::formats::parse_timestamp(text).ok_or_else(|| {
                format!(
                    "error: --at {text} is not a date such as 2027-01-15 or 2027-01-15T12:00:00Z"
                )
            })?,
        ),
        None => crate::now(),
    };
    let facts = GatewayFacts {
        time,
        ..GatewayFacts::default()
    };
    let report = compare(&old, &new, &corpus, &facts);
    match format {
        Format::Text => out!("{}", to_text(&report, &old, &new)),
        Format::Json => outln!("{}", to_json(&report, &old, &new)),
    }
    Ok(if report.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}
