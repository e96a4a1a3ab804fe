//! How long screening takes against a big list, natively and in the Envoy module: the example
//! screening policy compiled with a list file in place of its CSL sample
//! (bench/screening/gen_list.py writes a synthetic one), then names decided one by one: listed
//! names with one letter changed, and names that are on no list. The same signups are decided
//! under the policy with its sample lists, so that the difference is what the big list costs.
//! With the two modules that `cipgate build` makes of the policy (with the big list, and with
//! the sample lists), the same signups go through each in wasmtime (the host-test harness, as
//! Envoy calls the filter), interleaved with the native runs.
//!
//!   screening-speed REPO LIST.csv [BIG.wasm SAMPLE.wasm]

use cipgate_host_test::{FilterInstance, FilterModule, HttpRequest, Verdict};
use cipgate_policy::{compile_with, CompiledPolicy, GatewayFacts, ListFiles, SignupRequest};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

struct Disk {
    policy_dir: PathBuf,
    list: Option<PathBuf>,
}

impl ListFiles for Disk {
    fn locate(&self, list: &str, source: Option<&str>) -> Option<String> {
        if let (Some(file), "consolidated-screening-list") = (&self.list, list) {
            return Some(file.display().to_string());
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

/// Medians and 90th percentiles, in µs.
struct Times(Vec<f64>);

impl Times {
    fn at(&self, q: f64) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        sorted[((sorted.len() - 1) as f64 * q) as usize]
    }
}

/// A signup through a module in the harness, as Envoy sends it; the outcome it gave.
fn through(instance: &mut FilterInstance, body: &str) -> String {
    let request = HttpRequest::new("POST", "/signup")
        .header("content-type", "application/json")
        .header("content-length", &body.len().to_string())
        .property(&["source", "address"], "127.0.0.1:50000")
        .body(body.as_bytes().to_vec());
    match instance.send(&request).expect("harness").verdict {
        Verdict::LocalReply { body, .. } => {
            let text = String::from_utf8_lossy(&body).into_owned();
            let at = text.find("\"outcome\":\"").expect("outcome") + 11;
            text[at..].split('"').next().unwrap_or("").to_string()
        }
        Verdict::Forwarded { headers, .. } => headers
            .iter()
            .find(|(k, _)| k == "x-cipgate-outcome")
            .map_or("forwarded".into(), |(_, v)| v.clone()),
        Verdict::Stalled { after } => panic!("module stalled after {after:?}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(repo), Some(list)) = (args.first(), args.get(1)) else {
        panic!("usage: screening-speed REPO LIST.csv [BIG.wasm SAMPLE.wasm]");
    };
    let repo = PathBuf::from(repo);
    let policy_dir = repo.join("policies/examples");
    let text = std::fs::read_to_string(policy_dir.join("screening.yaml")).expect("policy");
    let compile = |list: Option<PathBuf>| {
        let disk = Disk {
            policy_dir: policy_dir.clone(),
            list,
        };
        compile_with("screening.yaml", &text, &disk).unwrap_or_else(|d| panic!("{d}"))
    };
    let started = Instant::now();
    let compiled = compile(Some(PathBuf::from(list)));
    let compile_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let policy = CompiledPolicy::load(&compiled.bytes).expect("image loads");
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let sample = CompiledPolicy::load(&compile(None).bytes).expect("image loads");

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
    let unlisted = [
        "Lena Vogel",
        "Tomás Ferreira",
        "Atelier Numérique SAS",
        "Wei Ling Tan",
        "Nimbus Reseller Pte. Ltd.",
        "Dana Whitfield",
        "Claire Martin",
        "Yusuf Demir",
    ];
    for i in 0..names.len() {
        names.push(format!("{} {}", unlisted[i % unlisted.len()], i));
    }
    let bodies: Vec<String> = names
        .iter()
        .map(|n| format!(r#"{{"customer":{{"legal_name":"{n}","address":{{"country":"DE"}}}}}}"#))
        .collect();
    let facts = GatewayFacts::default();
    fn decide<'p>(
        policy: &'p CompiledPolicy,
        body: &'p str,
        facts: &'p GatewayFacts,
    ) -> cipgate_policy::Decision<'p> {
        policy.evaluate(&SignupRequest {
            body: body.as_bytes(),
            content_type: Some("application/json"),
            facts,
        })
    }
    let hits = bodies
        .iter()
        .filter(|b| {
            decide(&policy, b, &facts)
                .violations
                .iter()
                .any(|v| v.hit.is_some())
        })
        .count();

    // The modules, if given: each must decide every signup as the native evaluator does.
    let mut modules: Vec<(FilterInstance, &CompiledPolicy)> = Vec::new();
    let mut configure_ms = 0.0;
    if let (Some(big), Some(small)) = (args.get(2), args.get(3)) {
        for (file, native) in [(big, &policy), (small, &sample)] {
            let module = FilterModule::from_file(file).expect("module");
            let started = Instant::now();
            let instance = module
                .instantiate(b"{\"mode\":\"enforce\"}")
                .expect("instance");
            if std::ptr::eq(native, &policy) {
                configure_ms = started.elapsed().as_secs_f64() * 1000.0;
            }
            modules.push((instance, native));
        }
        for (instance, native) in &mut modules {
            for body in &bodies {
                let expected = decide(native, body, &facts).outcome.as_str().to_string();
                assert_eq!(
                    through(instance, body),
                    expected,
                    "module and native differ on {body}"
                );
            }
        }
    }

    // Rounds, each deciding every signup in every engine in turn, so drift hits all alike.
    let mut native_times = [Times(Vec::new()), Times(Vec::new())];
    let mut module_times = [Times(Vec::new()), Times(Vec::new())];
    // More rounds (SCREENING_ROUNDS) give a profiler more to sample.
    let rounds = std::env::var("SCREENING_ROUNDS").map_or(5, |r| r.parse().expect("a number"));
    for _ in 0..rounds {
        for (times, policy) in native_times.iter_mut().zip([&policy, &sample]) {
            for body in &bodies {
                let t = Instant::now();
                black_box(decide(policy, black_box(body), &facts));
                times.0.push(t.elapsed().as_secs_f64() * 1e6);
            }
        }
        for (times, (instance, _)) in module_times.iter_mut().zip(&mut modules) {
            for body in &bodies {
                let t = Instant::now();
                black_box(through(instance, black_box(body)));
                times.0.push(t.elapsed().as_secs_f64() * 1e6);
            }
        }
    }
    let [big, small] = &native_times;
    println!(
        "{} parties; image {} bytes; compile {compile_ms:.0} ms; load {load_ms:.1} ms. \
         {} names ({hits} with a hit), each screened against both lists. Natively, per signup: \
         median {:.1} µs, p90 {:.1} µs; with the sample lists in place of the big one, median \
         {:.1} µs: the big list costs {:.1} µs at the median.",
        entries.len(),
        compiled.bytes.len(),
        bodies.len(),
        big.at(0.5),
        big.at(0.9),
        small.at(0.5),
        big.at(0.5) - small.at(0.5),
    );
    let [module_big, module_small] = &module_times;
    if !module_big.0.is_empty() {
        let native = big.at(0.5) - small.at(0.5);
        let module = module_big.at(0.5) - module_small.at(0.5);
        println!(
            "In the Envoy module (wasmtime, the host-test harness; the module configures \
             itself with the big list in {configure_ms:.0} ms), per signup: median {:.1} µs, \
             p90 {:.1} µs; with the sample lists, median {:.1} µs: the big list costs \
             {module:.1} µs at the median, {:.2}x its native cost.",
            module_big.at(0.5),
            module_big.at(0.9),
            module_small.at(0.5),
            module / native,
        );
    }
}
