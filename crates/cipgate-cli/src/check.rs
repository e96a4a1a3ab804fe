//! `cipgate check`: one signup decided by the native evaluator or by a built module, its
//! decision JSON printed and its outcome the exit status.

use crate::harness_check::{DeployedModule, Signup};
use crate::list_files::ListArg;
use crate::{compile, policy_tests, Format};
use cipgate_policy::{GatewayFacts, Outcome, SignupRequest};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

/// Decides the signup in `file` with the policy, or with the module when one is given, and
/// prints the decision JSON.
pub fn run(
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
            let loaded = compile::load_policy(policy, lists, format)?;
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
    outln!("{json}");
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

/// The signup document: the file, or standard input for `-`.
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

/// The documented exit codes of `check`.
fn exit_code(outcome: Outcome) -> ExitCode {
    ExitCode::from(match outcome {
        Outcome::Allow | Outcome::Review => 0,
        Outcome::Incomplete => 3,
        Outcome::Reject => 4,
        Outcome::Deny => 5,
    })
}
