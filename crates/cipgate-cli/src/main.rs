//! `cipgate`: compile a signup policy, check documents against it, and build the modules
//! that enforce it.

mod build;
mod build_web;
mod diagnostics;
mod diff;
mod harness_check;
mod list_files;
mod oci;
mod policy_tests;
mod runtimes;
mod schema;

use cipgate_policy::{
    compile_with, Compiled, CompiledPolicy, GatewayFacts, Outcome, SignupRequest,
};
use clap::{Parser, Subcommand};
use harness_check::{DeployedModule, Signup};
use list_files::{parse_list_arg, DiskListFiles, ListArg};
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  cipgate compile policies/us-iaas-cip.yaml
  cipgate compile policies/us-iaas-cip.yaml --emit us-iaas-cip.cpi
  cipgate build policies/us-iaas-cip.yaml -o dist
  cipgate build policies/us-iaas-cip.yaml --list restricted-parties=consolidated.csv
  cipgate check --policy policies/us-iaas-cip.yaml signup.json
  cipgate check --module dist/us-iaas-cip.wasm signup.json
  cipgate test policies/us-iaas-cip.yaml --junit results.xml
  cipgate diff policies/us-iaas-cip.yaml changed.yaml policies/examples/signups
  curl -s ... | cipgate check --policy policies/us-iaas-cip.yaml --geo-country DE -

Exit codes of `check`: 0 allow or review, 3 incomplete, 4 reject, 5 deny;
1 when the policy or the input cannot be read, 2 for usage errors.
Exit codes of `test`: 0 when every case passes, 1 otherwise.
Exit codes of `diff`: 0 when no decision changes, 3 when some do, 1 when a policy or the
corpus cannot be read.";

#[derive(Parser)]
#[command(name = "cipgate", version, about = "Signup policies for a Customer Identification Program, compiled to WebAssembly", after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a policy and print its id, version and sha256; every error at once.
    Compile {
        policy: PathBuf,
        /// Also write the policy image (what the modules carry) to this file.
        #[arg(long)]
        emit: Option<PathBuf>,
        /// How errors in the policy are printed: text, or a JSON array on standard output.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Read the entries of the policy's names list NAME from FILE (a Consolidated
        /// Screening List CSV or OFAC's sdn.csv) in place of its `source:` or `entries:`.
        #[arg(long = "list", value_name = "NAME=FILE", value_parser = parse_list_arg)]
        lists: Vec<ListArg>,
    },
    /// Build the Envoy module (and browser package) of a policy into an output folder.
    Build {
        policy: PathBuf,
        /// The output folder.
        #[arg(short, long, default_value = "dist")]
        out: PathBuf,
        /// Skip the browser package.
        #[arg(long)]
        no_web: bool,
        /// A MaxMind-format city database (GeoIP2/GeoLite2-City): the generated envoy.yaml
        /// then geolocates clients with Envoy's geoip filter, to the country and region.
        #[arg(long, value_name = "MMDB")]
        geoip_db: Option<PathBuf>,
        /// Where the Envoy fleet will fetch the module from (http or https): the generated
        /// envoy.yaml then loads it with `vm_config.code.remote` and its sha256.
        #[arg(long, value_name = "URL")]
        module_url: Option<String>,
        /// The npm scope of the browser package, `@SCOPE/<policy id>` [default: cipgate].
        #[arg(long, value_name = "SCOPE")]
        npm_scope: Option<String>,
        /// The registry repository the OCI image will be pushed to
        /// (registry.example.com/cipgate/us-iaas-cip): writes istio-wasmplugin.yaml and
        /// envoy-gateway.yaml pinned to the image by digest.
        #[arg(long, value_name = "REPOSITORY")]
        oci_repository: Option<String>,
        /// How errors in the policy are printed: text, or a JSON array on standard output.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Read the entries of the policy's names list NAME from FILE (a Consolidated
        /// Screening List CSV or OFAC's sdn.csv) in place of its `source:` or `entries:`.
        #[arg(long = "list", value_name = "NAME=FILE", value_parser = parse_list_arg)]
        lists: Vec<ListArg>,
    },
    /// Decide one signup document and print the decision JSON.
    Check {
        /// The policy file (YAML), or a policy image (`.cpi`, e.g. `dist/<id>.web.cpi`, what
        /// the browser module decides with).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Content-Type of the document [default: application/json, or form-encoded for
        /// files ending in .form]
        #[arg(long)]
        content_type: Option<String>,
        /// The client IP address the gateway would see.
        #[arg(long)]
        client_ip: Option<IpAddr>,
        /// The client's geolocated country, as a trusted edge would set it.
        #[arg(long)]
        geo_country: Option<String>,
        /// The client's geolocated region as an ISO 3166-2 code (UA-43).
        #[arg(long)]
        geo_region: Option<String>,
        /// Seconds since the Unix epoch [default: now].
        #[arg(long)]
        time: Option<i64>,
        /// The query string of the request's URL (after `?`), as the gateway sees it:
        /// parameters that name a policy field refuse the signup.
        #[arg(long)]
        query: Option<String>,
        /// The language the applicant reads: a tag (`de`) or an Accept-Language value
        /// (`de-CH, de;q=0.9, en;q=0.5`); messages are in the policy's locale that fits best,
        /// else its default.
        #[arg(long)]
        locale: Option<String>,
        /// Ask a built Envoy module (run in the wasmtime harness) instead of the native
        /// evaluator; `--policy` is then not needed.
        #[arg(long, required_unless_present = "policy")]
        module: Option<PathBuf>,
        /// How errors in the policy are printed: text, or a JSON array on standard output.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Read the entries of the policy's names list NAME from FILE (a Consolidated
        /// Screening List CSV or OFAC's sdn.csv) in place of its `source:` or `entries:`.
        #[arg(long = "list", value_name = "NAME=FILE", value_parser = parse_list_arg)]
        lists: Vec<ListArg>,
        /// The signup document, or `-` for standard input.
        file: PathBuf,
    },
    /// Run a policy's test cases through the native evaluator, and through a built module with
    /// --module or --build.
    Test {
        policy: PathBuf,
        /// The test cases [default: POLICY with `.tests.yaml` for `.yaml`].
        #[arg(long)]
        cases: Option<PathBuf>,
        /// Also run every case through this built Envoy module (in the wasmtime harness): any
        /// difference from the native decision fails the case.
        #[arg(long, conflicts_with = "build")]
        module: Option<PathBuf>,
        /// Build the Envoy module of the policy (in a temporary directory) and run every case
        /// through it too.
        #[arg(long)]
        build: bool,
        /// Run only the cases whose name contains this text.
        #[arg(long)]
        run: Option<String>,
        /// Fail when a rule of the policy fires in no case.
        #[arg(long)]
        fail_on_uncovered: bool,
        /// Also write the results as JUnit XML.
        #[arg(long)]
        junit: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Run again whenever the policy or the test file changes, until interrupted.
        #[arg(long)]
        watch: bool,
        /// The language of the cases that give no `locale:` of their own: a tag (`de`) or an
        /// Accept-Language value.
        #[arg(long)]
        locale: Option<String>,
        /// Read the entries of the policy's names list NAME from FILE (a Consolidated
        /// Screening List CSV or OFAC's sdn.csv) in place of its `source:` or `entries:`.
        #[arg(long = "list", value_name = "NAME=FILE", value_parser = parse_list_arg)]
        lists: Vec<ListArg>,
    },
    /// Decide every signup of a corpus under two policies and report the decisions that
    /// change, with counts per rule.
    Diff {
        /// The policy as it is (a policy file or image).
        old: PathBuf,
        /// The policy as proposed.
        new: PathBuf,
        /// A directory of .json and .form signups, or a JSON-lines file (.jsonl, .ndjson).
        corpus: PathBuf,
        /// Decide as of this time (2027-01-15 or 2027-01-15T12:00:00Z) [default: now]: list
        /// entries with dates apply by it.
        #[arg(long)]
        at: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print the JSON Schema of the policy file or of the test-case file, for editors.
    Schema {
        #[arg(value_enum)]
        file: SchemaFile,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SchemaFile {
    Policy,
    Tests,
}

/// How a command prints its report.
#[derive(Clone, Copy, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compile {
            policy,
            emit,
            format,
            lists,
        } => compile_command(&policy, emit.as_deref(), &lists, format),
        Command::Build {
            policy,
            out,
            no_web,
            geoip_db,
            module_url,
            npm_scope,
            oci_repository,
            format,
            lists,
        } => build::run(
            &policy,
            &out,
            &build::Options {
                web: !no_web,
                geoip_db,
                module_url,
                npm_scope,
                oci_repository,
                lists,
                format,
            },
        )
        .map(|()| ExitCode::SUCCESS),
        Command::Check {
            policy,
            content_type,
            client_ip,
            geo_country,
            geo_region,
            time,
            query,
            locale,
            module,
            format,
            file,
            lists,
        } => {
            let facts = GatewayFacts {
                client_ip,
                geo_country,
                geo_region,
                time: time.or_else(now),
                accept_language: locale,
            };
            check_command(
                policy.as_deref(),
                (&lists, format),
                module.as_deref(),
                content_type,
                &facts,
                query.as_deref(),
                &file,
            )
        }
        Command::Test {
            policy,
            cases,
            module,
            build,
            run,
            fail_on_uncovered,
            junit,
            format,
            watch,
            locale,
            lists,
        } => {
            let options = TestOptions {
                module,
                build,
                run,
                fail_on_uncovered,
                format,
                locale,
                lists,
            };
            if watch {
                watch_tests(&policy, cases, &options, junit.as_deref())
            } else {
                test_command(&policy, cases, &options, junit.as_deref())
            }
        }
        Command::Diff {
            old,
            new,
            corpus,
            at,
            format,
        } => diff_command(&old, &new, &corpus, at.as_deref(), format),
        Command::Schema { file } => {
            let schema = match file {
                SchemaFile::Policy => schema::policy(),
                SchemaFile::Tests => schema::tests(),
            };
            serde_json::to_string_pretty(&schema)
                .map(|text| {
                    println!("{text}");
                    ExitCode::SUCCESS
                })
                .map_err(|e| format!("error: cannot write the schema: {e}"))
        }
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(1)
        }
    }
}

/// Reads and compiles a policy file (or loads a policy image, `.cpi`), its names lists from
/// `lists` where given; the error is the rendered diagnostics.
pub fn load_policy(path: &Path, lists: &[ListArg], format: Format) -> Result<Compiled, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("error: cannot read the policy {}: {e}", path.display()))?;
    if bytes.starts_with(cipgate_policy::image::MAGIC) {
        if !lists.is_empty() {
            return Err(format!(
                "error: {} is a compiled policy image; --list needs the policy file",
                path.display()
            ));
        }
        let policy =
            CompiledPolicy::load(&bytes).map_err(|e| format!("error: {}: {e}", path.display()))?;
        return Ok(Compiled { bytes, policy });
    }
    let source = String::from_utf8(bytes)
        .map_err(|_| format!("error: the policy {} is not UTF-8", path.display()))?;
    let files = DiskListFiles {
        policy_dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        replacements: lists,
    };
    let compiled = compile_with(&path.display().to_string(), &source, &files)
        .map_err(|d| diagnostics::report(&d, format))?;
    for arg in lists {
        let names_list = compiled
            .policy
            .ir()
            .lists
            .iter()
            .any(|l| l.name == arg.list && l.kind == cipgate_policy::ir::ListKind::Names);
        if !names_list {
            return Err(format!(
                "error: --list {}={}: the policy has no names list `{}`",
                arg.list,
                arg.file.display(),
                arg.list
            ));
        }
    }
    Ok(compiled)
}

fn compile_command(
    path: &Path,
    emit: Option<&Path>,
    lists: &[ListArg],
    format: Format,
) -> Result<ExitCode, String> {
    let compiled = load_policy(path, lists, format)?;
    let ir = compiled.policy.ir();
    if let Some(out) = emit {
        std::fs::write(out, &compiled.bytes)
            .map_err(|e| format!("error: cannot write {}: {e}", out.display()))?;
    }
    println!(
        "{} {} sha256:{} ({} fields, {} lists, {} rules)",
        ir.meta.id,
        ir.meta.version,
        compiled.policy.sha256(),
        ir.fields.len(),
        ir.lists.len(),
        ir.rules.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn check_command(
    policy: Option<&Path>,
    (lists, format): (&[ListArg], Format),
    module: Option<&Path>,
    content_type: Option<String>,
    facts: &GatewayFacts,
    query: Option<&str>,
    file: &Path,
) -> Result<ExitCode, String> {
    let body = read_input(file)?;
    let content_type = content_type.unwrap_or_else(|| default_content_type(file).to_string());
    if module.is_some() && !lists.is_empty() {
        return Err("error: --list goes with --policy; a module carries its lists".to_string());
    }
    let (json, outcome) = match (module, policy) {
        (Some(module), _) => {
            let json = DeployedModule::load(module)?.decide(&Signup {
                body: &body,
                content_type: Some(&content_type),
                client_ip: facts.client_ip,
                geo_country: facts.geo_country.as_deref(),
                geo_region: facts.geo_region.as_deref(),
                time: facts.time,
                query,
                accept_language: facts.accept_language.as_deref(),
            })?;
            let outcome = outcome_of(&json)?;
            (json, outcome)
        }
        (None, Some(policy)) => {
            let loaded = load_policy(policy, lists, format)?;
            let decision = policy_tests::native_decision(
                &loaded.policy,
                query,
                &SignupRequest {
                    body: &body,
                    content_type: Some(&content_type),
                    facts,
                },
            );
            (decision.to_json(), decision.outcome)
        }
        (None, None) => return Err("error: give --policy or --module".to_string()),
    };
    println!("{json}");
    Ok(exit_code(outcome))
}

/// The outcome named in a module's decision JSON.
fn outcome_of(json: &str) -> Result<Outcome, String> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| format!("error: the module's decision is not JSON: {e}"))?;
    let name = value
        .get("outcome")
        .and_then(|o| o.as_str())
        .unwrap_or_default();
    Outcome::ALL
        .into_iter()
        .find(|o| o.as_str() == name)
        .ok_or_else(|| format!("error: the module's decision has no known outcome: {json}"))
}

/// How `cipgate test` runs: natively alone, or through a module too; which cases.
struct TestOptions {
    module: Option<PathBuf>,
    build: bool,
    run: Option<String>,
    fail_on_uncovered: bool,
    format: Format,
    /// The locale of cases that give none.
    locale: Option<String>,
    lists: Vec<ListArg>,
}

/// `cipgate test --watch`: runs the cases, then again each time the policy or the test file
/// is written, until interrupted. A policy or test file that does not load is reported and
/// waited out, as a half-saved file is.
fn watch_tests(
    policy_path: &Path,
    cases: Option<PathBuf>,
    options: &TestOptions,
    junit: Option<&Path>,
) -> Result<ExitCode, String> {
    let cases_path = cases
        .clone()
        .unwrap_or_else(|| policy_tests::tests_path(policy_path));
    let stamp = || {
        [policy_path, cases_path.as_path()]
            .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
    };
    loop {
        let seen = stamp();
        if let Err(message) = test_command(policy_path, cases.clone(), options, junit) {
            println!("{message}");
        }
        println!(
            "watching {} and {} (Ctrl-C to stop)",
            policy_path.display(),
            cases_path.display()
        );
        while stamp() == seen {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        println!("--- changed: running again");
    }
}

fn test_command(
    policy_path: &Path,
    cases: Option<PathBuf>,
    options: &TestOptions,
    junit: Option<&Path>,
) -> Result<ExitCode, String> {
    let compiled = load_policy(policy_path, &options.lists, options.format)?;
    let cases_path = cases.unwrap_or_else(|| policy_tests::tests_path(policy_path));
    let tests = policy_tests::read_tests(&cases_path)?;
    let named = cases_path
        .parent()
        .unwrap_or(Path::new("."))
        .join(&tests.policy);
    if std::fs::canonicalize(&named).ok() != std::fs::canonicalize(policy_path).ok() {
        return Err(format!(
            "error: {} tests the policy {}, not {}",
            cases_path.display(),
            named.display(),
            policy_path.display()
        ));
    }
    // A build for the test goes to a directory of its own, never over the user's dist/, and
    // is removed whether it worked or not.
    let deployed = match (&options.module, options.build) {
        (Some(module), _) => Some(DeployedModule::load(module)),
        (None, true) => {
            let dir = std::env::temp_dir().join(format!("cipgate-test-{}", std::process::id()));
            let build_options = build::Options {
                lists: options.lists.clone(),
                ..build::Options::default()
            };
            let loaded = build::run(policy_path, &dir, &build_options).and_then(|()| {
                DeployedModule::load(&dir.join(format!("{}.wasm", compiled.policy.id())))
            });
            let _ = std::fs::remove_dir_all(&dir);
            Some(loaded)
        }
        (None, false) => None,
    }
    .transpose()?;
    let selected: Vec<_> = tests
        .cases
        .iter()
        .filter(|case| {
            options
                .run
                .as_ref()
                .is_none_or(|text| case.name.contains(text))
        })
        .collect();
    let results = policy_tests::run_cases(
        &compiled.policy,
        deployed.as_ref(),
        &selected,
        options.locale.as_deref(),
    );

    let failed = results.iter().filter(|r| !r.failures.is_empty()).count();
    let uncovered = policy_tests::uncovered(&compiled.policy, &results);
    let uncovered_fails =
        options.fail_on_uncovered && options.run.is_none() && !uncovered.is_empty();
    match options.format {
        Format::Text => print_test_report(&compiled.policy, &results, &uncovered, options),
        Format::Json => println!(
            "{}",
            policy_tests::json_report(
                &compiled.policy,
                &results,
                options.run.is_none().then_some(&uncovered[..]),
                options.module.as_deref(),
                options.build,
            )
        ),
    }
    if let Some(path) = junit {
        std::fs::write(path, policy_tests::junit(compiled.policy.id(), &results))
            .map_err(|e| format!("error: cannot write {}: {e}", path.display()))?;
    }
    Ok(if failed == 0 && !uncovered_fails {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn diff_command(
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
    let corpus = diff::read_corpus(corpus)?;
    let time = match at {
        Some(text) => Some(
            cipgate_policy::formats::parse_timestamp(text).ok_or_else(|| {
                format!(
                    "error: --at {text} is not a date such as 2027-01-15 or 2027-01-15T12:00:00Z"
                )
            })?,
        ),
        None => now(),
    };
    let facts = GatewayFacts {
        time,
        ..GatewayFacts::default()
    };
    let report = diff::compare(&old, &new, &corpus, &facts);
    match format {
        Format::Text => print!("{}", diff::to_text(&report, &old, &new)),
        Format::Json => println!("{}", diff::to_json(&report, &old, &new)),
    }
    Ok(if report.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}

/// The text report of `cipgate test`: failures, coverage, how the cases were decided.
fn print_test_report(
    policy: &CompiledPolicy,
    results: &[policy_tests::CaseResult],
    uncovered: &[&str],
    options: &TestOptions,
) {
    for result in results {
        if !result.failures.is_empty() {
            println!("FAIL {}", result.name);
            for failure in &result.failures {
                println!("  {}", failure.replace('\n', "\n  "));
            }
        }
    }
    let total = policy.ir().rules.len();
    if options.run.is_some() {
        println!(
            "coverage: not checked, --run selected {} cases",
            results.len()
        );
    } else if uncovered.is_empty() {
        println!(
            "coverage: every rule of {} ({total}) fired in some case",
            policy.id()
        );
    } else {
        println!(
            "coverage: {} of {total} rules fired; no case made these fire: {}",
            total - uncovered.len(),
            uncovered.join(", ")
        );
    }
    match (&options.module, options.build) {
        (Some(path), _) => println!("decided natively and by {}", path.display()),
        (None, true) => println!("decided natively and by the module built for the test"),
        (None, false) => {
            println!("decided natively (--module FILE or --build to check a module too)")
        }
    }
    let failed = results.iter().filter(|r| !r.failures.is_empty()).count();
    println!("{} passed, {failed} failed", results.len() - failed);
}

fn read_input(file: &Path) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    if file == Path::new("-") {
        std::io::stdin()
            .read_to_end(&mut body)
            .map_err(|e| format!("error: cannot read standard input: {e}"))?;
    } else {
        body = std::fs::read(file)
            .map_err(|e| format!("error: cannot read {}: {e}", file.display()))?;
    }
    Ok(body)
}

fn default_content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("form") => "application/x-www-form-urlencoded",
        _ => "application/json",
    }
}

fn now() -> Option<i64> {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    i64::try_from(since.as_secs()).ok()
}

/// The documented exit codes of `check`.
pub fn exit_code(outcome: Outcome) -> ExitCode {
    ExitCode::from(match outcome {
        Outcome::Allow | Outcome::Review => 0,
        Outcome::Incomplete => 3,
        Outcome::Reject => 4,
        Outcome::Deny => 5,
    })
}
