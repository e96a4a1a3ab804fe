//! Decisions per second of the native evaluator on the example signups, next to a baseline
//! measured in the same run: parsing the same bytes with serde_json into a `Value` (what any
//! JSON-reading gate pays at least). Run: `cargo bench -p cipgate-policy --bench decide`.

#![allow(clippy::expect_used, clippy::indexing_slicing)] // a benchmark, not library code

use cipgate_policy::{compile, GatewayFacts, SignupRequest};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

const BATCH: u32 = 2_000;
const SAMPLES: usize = 31;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let source = std::fs::read_to_string(root.join("policies/us-iaas-cip.yaml")).expect("policy");
    let compiled = compile("us-iaas-cip.yaml", &source).expect("policy compiles");
    let examples = root.join("policies/examples/signups");
    let mut files: Vec<_> = std::fs::read_dir(&examples)
        .expect("policies/examples/signups")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let facts = GatewayFacts::default();

    println!("| document | bytes | outcome | cipgate decide (median, min-max) | serde_json parse (median) | ratio | decisions/s |");
    println!("|---|---|---|---|---|---|---|");
    for file in files {
        let body = std::fs::read(&file).expect("example");
        let request = SignupRequest {
            body: &body,
            content_type: Some("application/json"),
            facts: &facts,
        };
        let outcome = compiled.policy.evaluate(&request).outcome;
        let decide = samples(|| {
            black_box(compiled.policy.evaluate(black_box(&request)));
        });
        let parse = samples(|| {
            black_box(serde_json::from_slice::<serde_json::Value>(black_box(&body)).ok());
        });
        let (d_med, d_min, d_max) = stats(&decide);
        let (p_med, _, _) = stats(&parse);
        println!(
            "| {} | {} | {} | {:.2} µs ({:.2}-{:.2}) | {:.2} µs | {:.2}x | {:.0} |",
            file.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
            body.len(),
            outcome.as_str(),
            d_med,
            d_min,
            d_max,
            p_med,
            d_med / p_med,
            1e6 / d_med
        );
    }
}

/// Microseconds per call, one figure per batch.
fn samples(mut f: impl FnMut()) -> Vec<f64> {
    for _ in 0..BATCH {
        f();
    }
    (0..SAMPLES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..BATCH {
                f();
            }
            as_micros(start.elapsed()) / f64::from(BATCH)
        })
        .collect()
}

fn as_micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn stats(v: &[f64]) -> (f64, f64, f64) {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    (s[s.len() / 2], s[0], s[s.len() - 1])
}
