//! `cipgate`: compile a signup policy, check documents against it, and build the modules
//! that enforce it.

mod build;

use cipgate_policy::{compile, Compiled, GatewayFacts, Outcome, SignupRequest};
use clap::{Parser, Subcommand};
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  cipgate compile policies/us-iaas-cip.yaml
  cipgate compile policies/us-iaas-cip.yaml --emit dist/us-iaas-cip.policy.json
  cipgate build policies/us-iaas-cip.yaml -o dist
  cipgate check --policy policies/us-iaas-cip.yaml signup.json
  curl -s ... | cipgate check --policy policies/us-iaas-cip.yaml --geo-country DE -

Exit codes of `check`: 0 allow or review, 3 incomplete, 4 reject, 5 deny;
1 when the policy or the input cannot be read, 2 for usage errors.";

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
        /// Also write the compiled form (what the modules embed) to this file.
        #[arg(long)]
        emit: Option<PathBuf>,
    },
    /// Build the Envoy module (and browser package) of a policy into an output folder.
    Build {
        policy: PathBuf,
        /// The output folder.
        #[arg(short, long, default_value = "dist")]
        out: PathBuf,
    },
    /// Decide one signup document and print the decision JSON.
    Check {
        /// The policy file (YAML).
        #[arg(long)]
        policy: PathBuf,
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
        /// Seconds since the Unix epoch [default: now].
        #[arg(long)]
        time: Option<i64>,
        /// The signup document, or `-` for standard input.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compile { policy, emit } => compile_command(&policy, emit.as_deref()),
        Command::Build { policy, out } => build::run(&policy, &out).map(|()| ExitCode::SUCCESS),
        Command::Check {
            policy,
            content_type,
            client_ip,
            geo_country,
            time,
            file,
        } => check_command(&policy, content_type, client_ip, geo_country, time, &file),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(1)
        }
    }
}

/// Reads and compiles a policy file; the error is the rendered diagnostics.
pub fn load_policy(path: &Path) -> Result<Compiled, String> {
    let source = std::fs::read_to_string(path)
        .map_err(|e| format!("error: cannot read the policy {}: {e}", path.display()))?;
    compile(&path.display().to_string(), &source).map_err(|d| d.to_string())
}

fn compile_command(path: &Path, emit: Option<&Path>) -> Result<ExitCode, String> {
    let compiled = load_policy(path)?;
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
    policy: &Path,
    content_type: Option<String>,
    client_ip: Option<IpAddr>,
    geo_country: Option<String>,
    time: Option<i64>,
    file: &Path,
) -> Result<ExitCode, String> {
    let compiled = load_policy(policy)?;
    let body = read_input(file)?;
    let content_type = content_type.unwrap_or_else(|| default_content_type(file).to_string());
    let facts = GatewayFacts {
        client_ip,
        geo_country,
        time: time.or_else(now),
    };
    let decision = compiled.policy.evaluate(&SignupRequest {
        body: &body,
        content_type: Some(&content_type),
        facts: &facts,
    });
    println!("{}", decision.to_json());
    Ok(exit_code(decision.outcome))
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
