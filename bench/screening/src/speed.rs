//! How long screening one name takes against a big list, natively: the example screening
//! policy compiled with a list file in place of its CSL sample (bench/screening/gen_list.py
//! writes a synthetic one), then names decided one by one: listed names with one letter
//! changed, and names that are on no list. Prints the image size and the median and 90th
//! percentile time per signup decided.
//!
//!   screening-speed REPO LIST.csv

use cipgate_policy::{compile_with, GatewayFacts, ListFiles, SignupRequest};
use std::path::{Path, PathBuf};
use std::time::Instant;

struct Disk {
    policy_dir: PathBuf,
    list: PathBuf,
}

impl ListFiles for Disk {
    fn locate(&self, list: &str, source: Option<&str>) -> Option<String> {
        if list == "consolidated-screening-list" {
            return Some(self.list.display().to_string());
        }
        source.map(|s| self.policy_dir.join(s).display().to_string())
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        std::fs::read(path).map_err(|e| format!("{path}: {e}"))
    }

    fn sibling(&self, path: &str, name: &str) -> Option<Vec<u8>> {
        std::fs::read(Path::new(path).with_file_name(name)).ok()
    }
}

/// A listed name with one letter changed (the middle one of its longest word).
fn typo(name: &str) -> String {
    let mut words: Vec<String> = name.split(' ').map(str::to_string).collect();
    if let Some(w) = words.iter_mut().max_by_key(|w| w.len()) {
        let chars: Vec<char> = w.chars().collect();
        let mid = chars.len() / 2;
        *w = chars
            .iter()
            .enumerate()
            .map(|(i, c)| if i == mid { 'x' } else { *c })
            .collect();
    }
    words.join(" ")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(repo), Some(list)) = (args.first(), args.get(1)) else {
        panic!("usage: screening-speed REPO LIST.csv");
    };
    let repo = PathBuf::from(repo);
    let policy_dir = repo.join("policies/examples");
    let text = std::fs::read_to_string(policy_dir.join("screening.yaml")).expect("policy");
    let started = Instant::now();
    let compiled = compile_with(
        "screening.yaml",
        &text,
        &Disk {
            policy_dir,
            list: PathBuf::from(list),
        },
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let compile_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let policy = cipgate_policy::CompiledPolicy::load(&compiled.bytes).expect("image loads");
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;

    let entries = &policy.ir().lists[0].entries;
    let listed: Vec<String> = entries
        .iter()
        .step_by((entries.len() / 500).max(1))
        .filter_map(|e| match &e.value {
            cipgate_policy::ir::EntryValue::Party(p) => p.names.first().cloned(),
            _ => None,
        })
        .collect();
    let mut names: Vec<String> = listed.iter().map(|n| typo(n)).collect();
    let unlisted = ["Lena Vogel", "Tomás Ferreira", "Atelier Numérique SAS", "Wei Ling Tan",
        "Nimbus Reseller Pte. Ltd.", "Dana Whitfield", "Claire Martin", "Yusuf Demir"];
    for i in 0..names.len() {
        names.push(format!("{} {}", unlisted[i % unlisted.len()], i));
    }
    let bodies: Vec<String> = names
        .iter()
        .map(|n| format!(r#"{{"customer":{{"legal_name":"{n}","address":{{"country":"DE"}}}}}}"#))
        .collect();
    let facts = GatewayFacts::default();
    let decide = |body: &String| {
        policy.evaluate(&SignupRequest {
            body: body.as_bytes(),
            content_type: Some("application/json"),
            facts: &facts,
        })
    };
    let mut hits = 0;
    for body in &bodies {
        hits += usize::from(decide(body).violations.iter().any(|v| v.hit.is_some()));
    }
    let mut times: Vec<f64> = Vec::new();
    for _ in 0..5 {
        for body in &bodies {
            let t = Instant::now();
            std::hint::black_box(decide(body));
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "{} parties; image {} bytes; compile {compile_ms:.0} ms; load {load_ms:.1} ms; \
         {} names ({} with a hit), each screened against both lists: median {:.1} µs, p90 {:.1} µs per signup",
        entries.len(),
        compiled.bytes.len(),
        bodies.len(),
        hits,
        at(0.5),
        at(0.9)
    );
}
