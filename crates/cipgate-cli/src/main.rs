//! `cipgate`: compile a signup policy, check documents against it, and build the modules
//! that enforce it.

// First: its printing macros serve the modules after it.
#[macro_use]
mod output;

mod build;
mod build_web;
mod check;
mod compile;
mod diagnostics;
mod diff;
mod harness_check;
mod list_files;
mod oci;
mod policy_tests;
mod runtimes;
mod schema;
mod test_command;

use cipgate_policy::GatewayFacts;
use clap::{Parser, Subcommand};
use list_files::{parse_list_arg, ListArg};
use std::net::IpAddr;
use std::path::PathBuf;
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
        } => compile::run(&policy, emit.as_deref(), &lists, format),
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
            check::run(
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
            let options = test_command::Options {
                module,
                build,
                run,
                fail_on_uncovered,
                format,
                locale,
                lists,
            };
            if watch {
                test_command::watch(&policy, cases, &options, junit.as_deref())
            } else {
                test_command::run(&policy, cases, &options, junit.as_deref())
            }
        }
        Command::Diff {
            old,
            new,
            corpus,
            at,
            format,
        } => diff::run(&old, &new, &corpus, at.as_deref(), format),
        Command::Schema { file } => {
            let schema = match file {
                SchemaFile::Policy => schema::policy(),
                SchemaFile::Tests => schema::tests(),
            };
            serde_json::to_string_pretty(&schema)
                .map(|text| {
                    outln!("{text}");
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

/// Seconds since the Unix epoch, for decisions made as of now.
fn now() -> Option<i64> {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    i64::try_from(since.as_secs()).ok()
}
