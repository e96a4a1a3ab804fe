//! `cipgate test`: a policy's test cases run natively, and through a built module with
//! `--module` or `--build`; once, or again on every change with `--watch`.

use crate::harness_check::DeployedModule;
use crate::list_files::ListArg;
use crate::{build, compile, policy_tests, Format};
use cipgate_policy::CompiledPolicy;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// How `cipgate test` runs: natively alone, or through a module too; which cases.
pub struct Options {
    pub module: Option<PathBuf>,
    pub build: bool,
    pub run: Option<String>,
    pub fail_on_uncovered: bool,
    pub format: Format,
    /// The locale of cases that give none.
    pub locale: Option<String>,
    pub lists: Vec<ListArg>,
}

/// `cipgate test --watch`: runs the cases, then again each time the policy or the test file
/// is written, until interrupted. A policy or test file that does not load is reported and
/// waited out, as a half-saved file is.
pub fn watch(
    policy_path: &Path,
    cases: Option<PathBuf>,
    options: &Options,
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
        if let Err(message) = run(policy_path, cases.clone(), options, junit) {
            outln!("{message}");
        }
        outln!(
            "watching {} and {} (Ctrl-C to stop)",
            policy_path.display(),
            cases_path.display()
        );
        while stamp() == seen {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        outln!("--- changed: running again");
    }
}

pub fn run(
    policy_path: &Path,
    cases: Option<PathBuf>,
    options: &Options,
    junit: Option<&Path>,
) -> Result<ExitCode, String> {
    let compiled = compile::load_policy(policy_path, &options.lists, options.format)?;
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
        Format::Text => print_report(&compiled.policy, &results, &uncovered, options),
        Format::Json => outln!(
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

/// The text report of `cipgate test`: failures, coverage, how the cases were decided.
fn print_report(
    policy: &CompiledPolicy,
    results: &[policy_tests::CaseResult],
    uncovered: &[&str],
    options: &Options,
) {
    for result in results {
        if !result.failures.is_empty() {
            outln!("FAIL {}", result.name);
            for failure in &result.failures {
                outln!("  {}", failure.replace('\n', "\n  "));
            }
        }
    }
    let total = policy.ir().rules.len();
    if options.run.is_some() {
        outln!(
            "coverage: not checked, --run selected {} cases",
            results.len()
        );
    } else if uncovered.is_empty() {
        outln!(
            "coverage: every rule of {} ({total}) fired in some case",
            policy.id()
        );
    } else {
        outln!(
            "coverage: {} of {total} rules fired; no case made these fire: {}",
            total - uncovered.len(),
            uncovered.join(", ")
        );
    }
    match (&options.module, options.build) {
        (Some(path), _) => outln!("decided natively and by {}", path.display()),
        (None, true) => outln!("decided natively and by the module built for the test"),
        (None, false) => {
            outln!("decided natively (--module FILE or --build to check a module too)")
        }
    }
    let failed = results.iter().filter(|r| !r.failures.is_empty()).count();
    outln!("{} passed, {failed} failed", results.len() - failed);
}
