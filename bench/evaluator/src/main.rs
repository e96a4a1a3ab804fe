//! Time per decision of cipgate's evaluator, natively and through its Envoy module in
//! wasmtime (the `cipgate-host-test` harness), beside regorus (Rego), cel (CEL) and jsonschema
//! running the same checks (`bench/peers/`), in one process on the same bytes. Every engine
//! starts from the request body and ends with the rules that fired, so JSON parsing is in every
//! figure. Before timing, it checks on every document, and on every document with one field
//! removed, that each peer fires exactly the cipgate rules of the subset it implements.
//!
//! `bench-evaluator --policy P --module M --floor F --peers DIR --out results.json DOC...`
//! Engines run interleaved (one batch of each per round), so drift hits all of them alike.

use cipgate_host_test::{FilterInstance, FilterModule, HttpRequest, Verdict};
use cipgate_policy::{CompiledPolicy, GatewayFacts, SignupRequest};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error>;

/// Rules of the default policy that the Rego, CEL and Lua versions implement.
const CHECKS_SUBSET: &[&str] = &[
    "customer-kind-required",
    "name-required",
    "email-required",
    "phone-required",
    "street-required",
    "city-required",
    "country-required",
    "payment-method-required",
    "payment-institution-required",
    "payment-country-required",
    "payment-reference-required",
    "beneficial-owner-required",
    "owner-name-required",
    "owner-street-required",
    "owner-city-required",
    "owner-country-required",
    "reseller-cip-required",
    "address-country-restricted",
    "address-region-restricted",
    "payment-country-restricted",
    "owner-country-restricted",
    "phone-country-restricted",
];

/// The completeness rules among them: what the JSON Schema expresses.
const COMPLETENESS_SUBSET: &[&str] = &[
    "customer-kind-required",
    "name-required",
    "email-required",
    "phone-required",
    "street-required",
    "city-required",
    "country-required",
    "payment-method-required",
    "payment-institution-required",
    "payment-country-required",
    "payment-reference-required",
    "beneficial-owner-required",
    "owner-name-required",
    "owner-street-required",
    "owner-city-required",
    "owner-country-required",
    "reseller-cip-required",
];

const ROUNDS: usize = 21;
const BATCH_TARGET: Duration = Duration::from_millis(8);

struct Args {
    policy: PathBuf,
    module: PathBuf,
    floor: PathBuf,
    peers: PathBuf,
    out: PathBuf,
    docs: Vec<PathBuf>,
    /// Only decide the documents natively for this long (for `perf record`), then stop.
    profile_native: Option<f64>,
}

fn parse_args() -> Result<Args, Error> {
    let mut args = std::env::args().skip(1);
    let (mut policy, mut module, mut floor, mut peers, mut out) = (None, None, None, None, None);
    let mut docs = Vec::new();
    let mut profile_native = None;
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .map(PathBuf::from)
                .ok_or(format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--policy" => policy = Some(value()?),
            "--module" => module = Some(value()?),
            "--floor" => floor = Some(value()?),
            "--peers" => peers = Some(value()?),
            "--out" => out = Some(value()?),
            "--profile-native" => {
                profile_native = Some(value()?.to_string_lossy().parse::<f64>()?);
            }
            _ if arg.starts_with("--") => return Err(format!("unknown option {arg}").into()),
            _ => docs.push(PathBuf::from(arg)),
        }
    }
    let need = |v: Option<PathBuf>, name: &str| v.ok_or_else(|| format!("missing --{name}"));
    Ok(Args {
        policy: need(policy, "policy")?,
        module: need(module, "module")?,
        floor: need(floor, "floor")?,
        peers: need(peers, "peers")?,
        out: need(out, "out")?,
        docs,
        profile_native,
    })
}

/// cipgate's native evaluator: bytes in, decision out (as the gateway calls it).
struct Native {
    policy: CompiledPolicy,
    facts: GatewayFacts,
}

impl Native {
    fn decide(&self, body: &[u8]) -> cipgate_policy::Decision<'_> {
        self.policy.evaluate(&SignupRequest {
            body,
            content_type: Some("application/json"),
            facts: &self.facts,
        })
    }
}

/// A filter module in the harness: every request goes through headers, body (one chunk, end of
/// stream) and the log callbacks, as in Envoy.
struct InModule {
    instance: FilterInstance,
}

impl InModule {
    fn request(body: &[u8]) -> HttpRequest {
        HttpRequest::new("POST", "/signup")
            .header("content-type", "application/json")
            .header("content-length", &body.len().to_string())
            .property(&["source", "address"], "127.0.0.1:50000")
            .body(body.to_vec())
    }

    /// The outcome the module gave: from the local reply's JSON, or the forwarded headers.
    fn outcome(&mut self, request: &HttpRequest) -> Result<String, Error> {
        match self.instance.send(request)?.verdict {
            Verdict::LocalReply { body, .. } => {
                let v: Value = serde_json::from_slice(&body)?;
                Ok(v["outcome"].as_str().unwrap_or("?").to_string())
            }
            Verdict::Forwarded { headers, .. } => Ok(headers
                .iter()
                .find(|(k, _)| k == "x-cipgate-outcome")
                .map_or("forwarded", |(_, v)| v.as_str())
                .to_string()),
            Verdict::Stalled { after } => Err(format!("module stalled after {after:?}").into()),
        }
    }
}

struct Rego {
    engine: regorus::Engine,
}

impl Rego {
    fn new(source: &str) -> Result<Rego, Error> {
        let mut engine = regorus::Engine::new();
        engine.add_policy("cip.rego".to_string(), source.to_string())?;
        Ok(Rego { engine })
    }

    fn violations(&mut self, body: &[u8]) -> Result<BTreeSet<String>, Error> {
        self.engine.set_input_json(std::str::from_utf8(body)?)?;
        let set = self.engine.eval_rule("data.cip.violations".to_string())?;
        let mut ids = BTreeSet::new();
        for v in set.as_set()? {
            ids.insert(v.as_string()?.to_string());
        }
        Ok(ids)
    }
}

struct Cel {
    env: Arc<cel::Env>,
    foreign: cel::Program,
    violations: cel::Program,
}

impl Cel {
    fn new(foreign: &str, violations: &str) -> Result<Cel, Error> {
        let env = Arc::new(cel::Env::stdlib());
        let compile = |src: &str| env.compile(src).map_err(|e| format!("CEL: {e:?}"));
        Ok(Cel {
            foreign: compile(foreign)?,
            violations: compile(violations)?,
            env: Arc::clone(&env),
        })
    }

    fn violations(&self, body: &[u8]) -> Result<Vec<String>, Error> {
        let input: Value = serde_json::from_slice(body)?;
        let mut ctx = cel::Context::with_env(Arc::clone(&self.env));
        ctx.add_variable_from_value("input", cel::to_value(input)?);
        let foreign = self.foreign.execute(&ctx)?;
        ctx.add_variable_from_value("foreign", foreign);
        match self.violations.execute(&ctx)? {
            cel::Value::List(items) => items
                .iter()
                .map(|v| match v {
                    cel::Value::String(s) => Ok(s.to_string()),
                    other => Err(format!("CEL: rule id {other:?}").into()),
                })
                .collect(),
            other => Err(format!("CEL: expected a list, got {other:?}").into()),
        }
    }
}

struct Schema {
    validator: jsonschema::Validator,
}

impl Schema {
    /// The JSON pointers of the fields the schema found missing (or empty).
    fn missing(&self, body: &[u8]) -> Result<Vec<String>, Error> {
        let input: Value = serde_json::from_slice(body)?;
        Ok(self
            .validator
            .iter_errors(&input)
            .map(|e| match e.kind() {
                jsonschema::error::ValidationErrorKind::Required { property } => format!(
                    "{}/{}",
                    e.instance_path().as_str(),
                    property.as_str().unwrap_or("?")
                ),
                _ => e.instance_path().as_str().to_string(),
            })
            .collect())
    }

    fn count_errors(&self, body: &[u8]) -> Result<usize, Error> {
        let input: Value = serde_json::from_slice(body)?;
        Ok(self.validator.iter_errors(&input).count())
    }
}

/// Maps a missing field (JSON pointer) to the cipgate rules it makes fire.
fn completeness_rules(pointer: &str) -> Vec<&'static str> {
    let owner_field = pointer
        .strip_prefix("/beneficial_owners/")
        .and_then(|rest| rest.split_once('/'))
        .map(|(_, field)| field);
    if let Some(field) = owner_field {
        return match field {
            "legal_name" => vec!["owner-name-required"],
            "address" => vec![
                "owner-street-required",
                "owner-city-required",
                "owner-country-required",
            ],
            "address/line1" => vec!["owner-street-required"],
            "address/city" => vec!["owner-city-required"],
            "address/country" => vec!["owner-country-required"],
            _ => vec![],
        };
    }
    let address = ["street-required", "city-required", "country-required"];
    let payment = [
        "payment-method-required",
        "payment-institution-required",
        "payment-country-required",
        "payment-reference-required",
    ];
    match pointer {
        "/customer" => {
            let mut all = vec![
                "customer-kind-required",
                "name-required",
                "email-required",
                "phone-required",
            ];
            all.extend(address);
            all
        }
        "/customer/kind" => vec!["customer-kind-required"],
        "/customer/legal_name" => vec!["name-required"],
        "/customer/email" => vec!["email-required"],
        "/customer/phone" => vec!["phone-required"],
        "/customer/address" => address.to_vec(),
        "/customer/address/line1" => vec!["street-required"],
        "/customer/address/city" => vec!["city-required"],
        "/customer/address/country" => vec!["country-required"],
        "/payment" => payment.to_vec(),
        "/payment/method" => vec!["payment-method-required"],
        "/payment/institution" => vec!["payment-institution-required"],
        "/payment/country" => vec!["payment-country-required"],
        "/payment/reference" => vec!["payment-reference-required"],
        "/beneficial_owners" => vec!["beneficial-owner-required"],
        "/reseller/cip_reference" => vec!["reseller-cip-required"],
        _ => vec![],
    }
}

struct Engines {
    native: Native,
    module: InModule,
    floor: InModule,
    rego: Rego,
    cel: Cel,
    schema: Schema,
}

const ENGINES: &[&str] = &[
    "cipgate native",
    "cipgate module in wasmtime",
    "buffer-only module in wasmtime",
    "regorus (Rego)",
    "cel (CEL)",
    "jsonschema (completeness only)",
];

impl Engines {
    /// One decision of engine `e` on `body`; returns something derived from the result so
    /// the optimiser cannot drop the work.
    fn run(&mut self, e: usize, body: &[u8], request: &HttpRequest) -> Result<usize, Error> {
        Ok(match e {
            0 => self.native.decide(body).violations.len(),
            1 => match self.module.instance.send(request)?.verdict {
                Verdict::LocalReply { body, .. } => body.len(),
                Verdict::Forwarded { headers, .. } => headers.len(),
                Verdict::Stalled { .. } => return Err("module stalled".into()),
            },
            2 => match self.floor.instance.send(request)?.verdict {
                Verdict::Forwarded { body, .. } => body.len(),
                _ => return Err("the buffer-only filter must forward".into()),
            },
            3 => self.rego.violations(body)?.len(),
            4 => self.cel.violations(body)?.len(),
            _ => self.schema.count_errors(body)?,
        })
    }
}

fn subset_of(ids: &[&str], subset: &[&str]) -> BTreeSet<String> {
    ids.iter()
        .filter(|id| subset.contains(id))
        .map(|id| id.to_string())
        .collect()
}

/// Checks each peer against cipgate on `body`; returns the disagreements.
fn disagreements(engines: &mut Engines, name: &str, body: &[u8]) -> Result<Vec<String>, Error> {
    let decision = engines.native.decide(body);
    let ids = decision.rule_ids();
    let want = subset_of(&ids, CHECKS_SUBSET);
    let want_completeness = subset_of(&ids, COMPLETENESS_SUBSET);
    let mut out = Vec::new();
    let rego = engines.rego.violations(body)?;
    if rego != want {
        out.push(format!("{name}: regorus {rego:?}, cipgate {want:?}"));
    }
    let cel: BTreeSet<String> = engines.cel.violations(body)?.into_iter().collect();
    if cel != want {
        out.push(format!("{name}: cel {cel:?}, cipgate {want:?}"));
    }
    let schema: BTreeSet<String> = engines
        .schema
        .missing(body)?
        .iter()
        .flat_map(|p| completeness_rules(p))
        .map(str::to_string)
        .collect();
    if schema != want_completeness {
        out.push(format!(
            "{name}: jsonschema {schema:?}, cipgate {want_completeness:?}"
        ));
    }
    let module = engines.module.outcome(&InModule::request(body))?;
    if module != decision.outcome.as_str() {
        out.push(format!(
            "{name}: module outcome {module}, native {}",
            decision.outcome.as_str()
        ));
    }
    Ok(out)
}

/// Every leaf of `doc` removed in turn: each completeness rule gets its chance to fire.
fn one_field_removed(doc: &Value) -> Vec<(String, Value)> {
    fn leaves(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    path.push(json!(k));
                    out.push(path.clone());
                    leaves(child, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    path.push(json!(i));
                    leaves(child, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut paths = Vec::new();
    leaves(doc, &mut Vec::new(), &mut paths);
    paths
        .into_iter()
        .filter_map(|path| {
            let mut copy = doc.clone();
            let (last, parents) = path.split_last()?;
            let mut node = &mut copy;
            for p in parents {
                node = match p {
                    Value::String(k) => node.get_mut(k.as_str())?,
                    Value::Number(i) => node.get_mut(usize::try_from(i.as_u64()?).ok()?)?,
                    _ => return None,
                };
            }
            node.as_object_mut()?.remove(last.as_str()?)?;
            let name = path
                .iter()
                .map(|p| p.to_string().trim_matches('"').to_string())
                .collect::<Vec<_>>()
                .join(".");
            Some((name, copy))
        })
        .collect()
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn time_it<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<(T, f64), Error> {
    let start = Instant::now();
    let v = f()?;
    Ok((v, micros(start.elapsed())))
}

fn main() -> Result<(), Error> {
    let args = parse_args()?;
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let policy_source = read(&args.policy)?;
    let compiled = cipgate_policy::compile("us-iaas-cip.yaml", &policy_source)
        .map_err(|d| format!("policy does not compile: {d:?}"))?;

    if let Some(seconds) = args.profile_native {
        let native = Native {
            policy: compiled.policy,
            facts: GatewayFacts::default(),
        };
        let bodies = args
            .docs
            .iter()
            .map(std::fs::read)
            .collect::<Result<Vec<_>, _>>()?;
        let (start, mut n) = (Instant::now(), 0u64);
        while start.elapsed().as_secs_f64() < seconds {
            for body in &bodies {
                black_box(native.decide(black_box(body)));
                n += 1;
            }
        }
        eprintln!("bench-evaluator: {n} native decisions");
        return Ok(());
    }

    // Preparation: what each engine does once before its first decision.
    let mut prepare = serde_json::Map::new();
    let (policy, us) = time_it(|| Ok(CompiledPolicy::load(&compiled.bytes)?))?;
    prepare.insert("cipgate: load the compiled policy".into(), json!(us));
    let (module, us) = time_it(|| Ok(FilterModule::from_file(&args.module)?))?;
    prepare.insert(
        "wasmtime: compile the cipgate module (Cranelift)".into(),
        json!(us),
    );
    let (floor, us) = time_it(|| Ok(FilterModule::from_file(&args.floor)?))?;
    prepare.insert("wasmtime: compile the buffer-only module".into(), json!(us));
    let mut instantiate = Vec::new();
    for _ in 0..30 {
        let (instance, us) = time_it(|| Ok(module.instantiate(b"{\"mode\":\"enforce\"}")?))?;
        instantiate.push(us);
        drop(instance);
    }
    let peers = &args.peers;
    let (rego, us) = time_it(|| Rego::new(&read(&peers.join("cip.rego"))?))?;
    prepare.insert("regorus: parse the Rego policy".into(), json!(us));
    let (cel, us) = time_it(|| {
        Cel::new(
            &read(&peers.join("foreign-person.cel"))?,
            &read(&peers.join("cip.cel"))?,
        )
    })?;
    prepare.insert("cel: compile the two CEL programs".into(), json!(us));
    let (schema, us) = time_it(|| {
        let schema: Value = serde_json::from_str(&read(&peers.join("completeness.schema.json"))?)?;
        Ok(Schema {
            validator: jsonschema::validator_for(&schema).map_err(|e| e.to_string())?,
        })
    })?;
    prepare.insert("jsonschema: build the validator".into(), json!(us));

    let mut engines = Engines {
        native: Native {
            policy,
            facts: GatewayFacts::default(),
        },
        module: InModule {
            instance: module.instantiate(b"{\"mode\":\"enforce\"}")?,
        },
        floor: InModule {
            instance: floor.instantiate(b"")?,
        },
        rego,
        cel,
        schema,
    };

    let mut docs = Vec::new();
    for path in &args.docs {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        docs.push((name, std::fs::read(path)?));
    }

    // Equivalence first: a peer that decides differently would be measured doing other work.
    let mut checked = 0usize;
    let mut mismatches = Vec::new();
    for (name, body) in &docs {
        mismatches.extend(disagreements(&mut engines, name, body)?);
        checked += 1;
        let doc: Value = serde_json::from_slice(body)?;
        for (removed, variant) in one_field_removed(&doc) {
            let bytes = serde_json::to_vec(&variant)?;
            mismatches.extend(disagreements(
                &mut engines,
                &format!("{name} without {removed}"),
                &bytes,
            )?);
            checked += 1;
        }
    }
    for m in &mismatches {
        eprintln!("bench-evaluator: disagreement: {m}");
    }
    eprintln!(
        "bench-evaluator: {checked} documents checked, {} disagreements",
        mismatches.len()
    );

    // Calibrate a batch size per (document, engine), then time interleaved rounds.
    let requests: Vec<HttpRequest> = docs.iter().map(|(_, b)| InModule::request(b)).collect();
    let mut batch = vec![vec![1u32; ENGINES.len()]; docs.len()];
    for (d, (_, body)) in docs.iter().enumerate() {
        for (e, size) in batch[d].iter_mut().enumerate() {
            let start = Instant::now();
            let mut n = 0u32;
            while start.elapsed() < BATCH_TARGET {
                black_box(engines.run(e, black_box(body), &requests[d])?);
                n += 1;
            }
            *size = n.max(1);
        }
    }
    let mut samples = vec![vec![Vec::with_capacity(ROUNDS); ENGINES.len()]; docs.len()];
    for _ in 0..ROUNDS {
        for (d, (_, body)) in docs.iter().enumerate() {
            for e in 0..ENGINES.len() {
                let n = batch[d][e];
                let start = Instant::now();
                for _ in 0..n {
                    black_box(engines.run(e, black_box(body), &requests[d])?);
                }
                samples[d][e].push(micros(start.elapsed()) / f64::from(n));
            }
        }
    }

    // The harness hands every request its own copy of the instance's counters (an Exchange
    // field); that copy is harness work that Envoy does not do, so it is reported apart.
    let counters = engines.module.instance.metrics().len();
    let start = Instant::now();
    for _ in 0..10_000 {
        black_box(engines.module.instance.metrics());
    }
    let counters_copy_us = micros(start.elapsed()) / 10_000.0;

    let results: Vec<Value> = docs
        .iter()
        .enumerate()
        .map(|(d, (name, body))| {
            let decision = engines.native.decide(body);
            json!({
                "document": name,
                "bytes": body.len(),
                "outcome": decision.outcome.as_str(),
                "rules": decision.rule_ids(),
                "us_per_decision": ENGINES.iter().enumerate()
                    .map(|(e, engine)| (engine.to_string(), json!(samples[d][e])))
                    .collect::<serde_json::Map<_, _>>(),
            })
        })
        .collect();
    let out = json!({
        "engines": ENGINES,
        "rounds": ROUNDS,
        "checks_subset": CHECKS_SUBSET,
        "completeness_subset": COMPLETENESS_SUBSET,
        "documents_checked": checked,
        "policy_rules": engines.native.policy.ir().rules.len(),
        "policy_fields": engines.native.policy.ir().fields.len(),
        "disagreements": mismatches,
        "prepare_us": prepare,
        "instantiate_us": instantiate,
        "module_bytes": std::fs::metadata(&args.module)?.len(),
        "harness_counters": counters,
        "harness_counters_copy_us": counters_copy_us,
        "results": results,
    });
    std::fs::write(&args.out, serde_json::to_string_pretty(&out)?)?;
    Ok(())
}
