//! The `cipgate` binary as users run it: exit codes, diagnostics, `check` through the policy
//! and through the built module, and `test` passing and failing.

// Helpers outside #[test] functions are test code too.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn policy() -> PathBuf {
    repo().join("policies/us-iaas-cip.yaml")
}

fn examples() -> PathBuf {
    repo().join("policies/examples/signups")
}

/// The Envoy module built by `cipgate build` (the test command builds it first).
fn module() -> PathBuf {
    let path = std::env::var_os("CIPGATE_ENVOY_WASM")
        .map_or_else(|| repo().join("dist/us-iaas-cip.wasm"), PathBuf::from);
    assert!(
        path.is_file(),
        "{} is missing: run `cipgate build policies/us-iaas-cip.yaml -o dist` first \
         (or set CIPGATE_ENVOY_WASM)",
        path.display()
    );
    path
}

fn cipgate(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cipgate"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn compile_prints_id_version_and_hash() {
    let out = cipgate(&["compile", policy().to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let source = std::fs::read_to_string(policy()).unwrap();
    let version = source
        .lines()
        .find_map(|l| l.strip_prefix("version: "))
        .unwrap();
    assert!(
        stdout.starts_with(&format!("us-iaas-cip {version} sha256:")),
        "{stdout}"
    );
}

#[test]
fn compile_reports_every_mistake_with_line_and_column() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/five-mistakes.yaml");
    let out = cipgate(&["compile", fixture.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    for (at, what) in [
        ("16:7", "`ir` is not an ISO 3166-1 country code"),
        ("23:9", "the rule id `phone-required` is used twice"),
        ("25:14", "unknown field `customer.phon`"),
        ("30:54", "unknown list `embargo`"),
        ("35:44", "does not compile"),
        ("40:42", "`business` is not one of the field's values"),
        ("45:42", "type mismatch"),
    ] {
        assert!(
            stderr.contains(&format!("five-mistakes.yaml:{at}: ")) && stderr.contains(what),
            "missing {at} {what} in:\n{stderr}"
        );
    }
    assert!(stderr.contains("7 errors in"), "{stderr}");
}

#[test]
fn policy_errors_as_json_for_ci_and_editors() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/five-mistakes.yaml");
    let fixture = fixture.to_str().unwrap();
    let signup = examples().join("foreign-individual-complete.json");
    let out_dir = std::env::temp_dir().join(format!("cipgate-json-{}", std::process::id()));
    let out_dir = out_dir.to_str().unwrap();
    for args in [
        vec!["compile", "--format", "json", fixture],
        vec!["build", "--format", "json", fixture, "-o", out_dir],
        vec![
            "check",
            "--format",
            "json",
            "--policy",
            fixture,
            signup.to_str().unwrap(),
        ],
        vec!["test", "--format", "json", fixture, "--cases", fixture],
    ] {
        let out = cipgate(&args, None);
        // The same exit status as with text.
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let errors: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out.stdout)));
        let errors = errors.as_array().unwrap();
        assert_eq!(errors.len(), 7, "{args:?}");
        let first = &errors[0];
        assert_eq!(first["file"], fixture);
        assert_eq!(
            (first["line"].as_u64(), first["column"].as_u64()),
            (Some(16), Some(7))
        );
        assert_eq!(first["code"], "E0501");
        assert_eq!(first["message"], "`ir` is not an ISO 3166-1 country code");
        assert_eq!(first["help"], "country codes are written in capitals: `IR`");
        let unknown = errors.iter().find(|e| e["line"] == 25).unwrap();
        assert_eq!(unknown["code"], "E0301");
        assert_eq!(unknown["help"], "did you mean `customer.phone`?");
        assert!(text(&out.stderr).contains("7 errors in"), "{args:?}");
    }
    assert!(
        !Path::new(out_dir).exists(),
        "build wrote output for a bad policy"
    );
}

#[test]
fn check_exit_codes_follow_the_outcome() {
    let policy = policy();
    let policy = policy.to_str().unwrap();
    for (file, code) in [
        ("foreign-individual-complete.json", 0),
        ("foreign-individual-missing-phone.json", 3),
        ("embargoed-address.json", 5),
    ] {
        let path = examples().join(file);
        let out = cipgate(&["check", "--policy", policy, path.to_str().unwrap()], None);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{file}: {}",
            text(&out.stdout)
        );
    }
    let out = cipgate(
        &["check", "--policy", policy, "-"],
        Some(b"{\"customer\": "),
    );
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stdout).contains("document.malformed-json"));
    let usage = cipgate(&["check"], None);
    assert_eq!(usage.status.code(), Some(2));
    let unreadable = cipgate(
        &["check", "--policy", policy, "/nonexistent/signup.json"],
        None,
    );
    assert_eq!(unreadable.status.code(), Some(1));
    assert!(text(&unreadable.stderr).contains("cannot read"));
}

/// A reader that stops early (`cipgate check ... | head -1`) ends the command quietly, with
/// status 0 as ripgrep has it: no panic about the closed pipe, whatever the decision was.
#[test]
fn a_closed_standard_output_stops_the_command_quietly() {
    let policy = policy();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cipgate"))
        .args(["check", "--policy", policy.to_str().unwrap(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader is gone before the command has its input, so its first write meets a
    // closed pipe.
    drop(child.stdout.take());
    let signup = std::fs::read(examples().join("embargoed-address.json")).unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(&signup).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn check_through_the_module_prints_what_the_policy_decides() {
    let module = module();
    let policy = policy();
    // One forwarded and one blocked signup; `cipgate test` compares every case of the suite.
    for file in ["us-person-minimal.json", "crimea-written-as-russia.json"] {
        let path = examples().join(file);
        let args = |via: &str, what: &str| {
            vec![
                "check".to_string(),
                via.to_string(),
                what.to_string(),
                "--time".to_string(),
                "1767225600".to_string(),
                "--geo-country".to_string(),
                "DE".to_string(),
                path.to_str().unwrap().to_string(),
            ]
        };
        let run = |a: Vec<String>| {
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            cipgate(&a, None)
        };
        let native = run(args("--policy", policy.to_str().unwrap()));
        let deployed = run(args("--module", module.to_str().unwrap()));
        assert_eq!(
            text(&native.stdout),
            text(&deployed.stdout),
            "{}",
            path.display()
        );
        assert_eq!(native.status.code(), deployed.status.code());
        assert!(!native.stdout.is_empty());
    }
}

#[test]
fn check_answers_in_the_locale_asked_for_natively_and_through_the_module() {
    let module = module();
    let policy = policy();
    let path = examples().join("embargoed-address.json");
    let check = |via: &str, what: &str, locale: &str| {
        let out = cipgate(
            &[
                "check",
                via,
                what,
                "--time",
                "1767225600",
                "--locale",
                locale,
                path.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let german = check(
        "--policy",
        policy.to_str().unwrap(),
        "de-DE,de;q=0.9,en;q=0.5",
    );
    assert!(
        german.contains(r#""status":403,"locale":"de","#),
        "{german}"
    );
    assert!(german.contains("Für Adressen in diesem Land können wir keine Konten eröffnen."));
    assert_eq!(
        check(
            "--module",
            module.to_str().unwrap(),
            "de-DE,de;q=0.9,en;q=0.5"
        ),
        german
    );
    // Rule ids, codes and citations stay; only the locale and the messages change.
    let english = check("--policy", policy.to_str().unwrap(), "fr");
    let words = |json: &str| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
        v.as_object_mut().unwrap().remove("locale");
        for violation in v["violations"].as_array_mut().unwrap() {
            violation.as_object_mut().unwrap().remove("message");
        }
        v
    };
    assert!(english.contains(r#""locale":"en""#), "{english}");
    assert_eq!(words(&german), words(&english));
}

#[test]
fn test_passes_the_default_suite_with_full_coverage() {
    let module = module();
    let out = cipgate(
        &[
            "test",
            policy().to_str().unwrap(),
            "--module",
            module.to_str().unwrap(),
        ],
        None,
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("coverage: every rule of us-iaas-cip"),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with(" passed, 0 failed"), "{stdout}");
}

#[test]
fn test_runs_natively_by_default_and_selects_cases_by_name() {
    let out = cipgate(&["test", policy().to_str().unwrap()], None);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("decided natively (--module"), "{stdout}");
    assert!(
        stdout.contains("coverage: every rule of us-iaas-cip"),
        "{stdout}"
    );

    let out = cipgate(
        &[
            "test",
            policy().to_str().unwrap(),
            "--run",
            "Kosovo",
            "--fail-on-uncovered",
        ],
        None,
    );
    let stdout = text(&out.stdout);
    // One case selected: coverage is not judged, so --fail-on-uncovered cannot fail it.
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("coverage: not checked, --run selected 1 cases"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("1 passed, 0 failed"),
        "{stdout}"
    );
}

#[test]
fn test_fails_on_a_wrong_expectation_and_lists_uncovered_rules() {
    let dir = tempdir("wrong-expectation");
    let cases = dir.join("cases.yaml");
    std::fs::write(
        &cases,
        format!(
            "policy: {}\ncases:\n  - name: expects allow for an embargoed address\n    body_hex: {}\n    content_type: application/json\n    expect: {{outcome: allow, rules: []}}\n  - name: an empty body is rejected\n    body: ''\n    content_type: application/json\n    expect: {{outcome: reject, status: 400}}\n",
            policy().display(),
            hex(&std::fs::read(examples().join("embargoed-address.json")).unwrap())
        ),
    )
    .unwrap();
    let module = module();
    let out = cipgate(
        &[
            "test",
            policy().to_str().unwrap(),
            "--cases",
            cases.to_str().unwrap(),
            "--module",
            module.to_str().unwrap(),
            "--junit",
            dir.join("junit.xml").to_str().unwrap(),
        ],
        None,
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL expects allow for an embargoed address"),
        "{stdout}"
    );
    assert!(
        stdout.contains("outcome: expected allow, got deny"),
        "{stdout}"
    );
    assert!(
        stdout.contains("no case made these fire: customer-kind-required"),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with("1 passed, 1 failed"),
        "{stdout}"
    );
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(junit.contains("tests=\"2\" failures=\"1\""), "{junit}");

    // Only the passing case, natively: it passes, unless uncovered rules are made a failure.
    let policy = policy();
    let passing = [
        "test",
        policy.to_str().unwrap(),
        "--cases",
        cases.to_str().unwrap(),
    ];
    let run = |extra: &[&str]| {
        let args: Vec<&str> = passing.iter().chain(extra).copied().collect();
        cipgate(&args, None)
    };
    let only_passing = ["--run", "empty body"];
    assert_eq!(run(&only_passing).status.code(), Some(0));
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn test_fails_on_uncovered_rules_when_asked() {
    let dir = tempdir("uncovered");
    let cases = dir.join("cases.yaml");
    std::fs::write(
        &cases,
        format!(
            "policy: {}\ncases:\n  - name: an empty body is rejected\n    body: ''\n    content_type: application/json\n    expect: {{outcome: reject, status: 400}}\n",
            policy().display()
        ),
    )
    .unwrap();
    let policy = policy();
    let args = [
        "test",
        policy.to_str().unwrap(),
        "--cases",
        cases.to_str().unwrap(),
    ];
    assert_eq!(cipgate(&args, None).status.code(), Some(0));
    let strict: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--fail-on-uncovered"])
        .collect();
    let out = cipgate(&strict, None);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("no case made these fire"), "{stdout}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A module built from another version of the policy decides differently: `cipgate test`
/// shows the difference line by line.
#[test]
fn test_fails_with_a_diff_when_the_module_embeds_another_policy() {
    let dir = tempdir("other-policy");
    let changed = std::fs::read_to_string(policy()).unwrap().replace(
        "en: Enter a telephone number in international form, starting with + and the country code.",
        "en: Please give us a phone number.",
    );
    let other = dir.join("us-iaas-cip.yaml");
    std::fs::write(&other, changed).unwrap();
    let out_dir = dir.join("dist");
    let built = cipgate(
        &[
            "build",
            other.to_str().unwrap(),
            "-o",
            out_dir.to_str().unwrap(),
            "--no-web",
        ],
        None,
    );
    assert!(built.status.success(), "{}", text(&built.stderr));
    let out = cipgate(
        &[
            "test",
            policy().to_str().unwrap(),
            "--module",
            out_dir.join("us-iaas-cip.wasm").to_str().unwrap(),
        ],
        None,
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("the module and the native evaluator disagree"),
        "{stdout}"
    );
    assert!(
        stdout.contains("+ module: ") && stdout.contains("Please give us a phone number."),
        "{stdout}"
    );
    assert!(
        stdout.contains("- native: ") && stdout.contains("Enter a telephone number"),
        "{stdout}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cipgate-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The default policy with two changes a reviewer should see: Russia added to the restricted
/// jurisdictions, and a missing phone number reviewed instead of refused.
fn changed_policy(dir: &Path) -> PathBuf {
    let source = std::fs::read_to_string(policy()).unwrap();
    let anchor = "      CU: {reason: Cuba is under a comprehensive embargo.";
    assert!(source.contains(anchor));
    let changed = source
        .replacen(
            anchor,
            &format!("      RU: {{reason: Example change., citation: Example}}\n{anchor}"),
            1,
        )
        .replacen(
            "  - id: phone-required\n    outcome: incomplete",
            "  - id: phone-required\n    outcome: review",
            1,
        );
    assert!(changed.contains("id: phone-required\n    outcome: review"));
    let path = dir.join("changed.yaml");
    std::fs::write(&path, changed).unwrap();
    path
}

#[test]
fn diff_reports_the_decisions_a_change_flips() {
    let dir = std::env::temp_dir().join(format!("cipgate-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let changed = changed_policy(&dir);
    let (old, new, corpus) = (policy(), changed, examples());
    let args = |format: &str| {
        vec![
            "diff".to_string(),
            old.display().to_string(),
            new.display().to_string(),
            corpus.display().to_string(),
            "--at".to_string(),
            "2026-06-01".to_string(),
            "--format".to_string(),
            format.to_string(),
        ]
    };
    let json_args = args("json");
    let out = cipgate(
        &json_args.iter().map(String::as_str).collect::<Vec<_>>(),
        None,
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["signups"], 7);
    let changed: Vec<(&str, &str, &str)> = report["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["signup"].as_str().unwrap(),
                c["before"]["outcome"].as_str().unwrap(),
                c["after"]["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        [
            ("crimea-written-as-russia.json", "deny", "deny"),
            (
                "foreign-individual-missing-phone.json",
                "incomplete",
                "review"
            ),
        ]
    );
    let rules: Vec<(&str, u64, u64, u64)> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap(),
                r["added"].as_u64().unwrap(),
                r["removed"].as_u64().unwrap(),
                r["outcome_changed"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("address-country-restricted", 1, 0, 0),
            ("payment-country-restricted", 1, 0, 0),
            ("phone-country-restricted", 1, 0, 0),
            ("phone-required", 0, 0, 1),
        ]
    );

    let text_args = args("text");
    let out = cipgate(
        &text_args.iter().map(String::as_str).collect::<Vec<_>>(),
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    let stdout = text(&out.stdout);
    for line in [
        "foreign-individual-missing-phone.json: incomplete (422) -> review (200)",
        "  ~ phone-required: incomplete -> review",
        "  + address-country-restricted (deny)",
        "7 signups, 2 decisions changed",
    ] {
        assert!(stdout.lines().any(|l| l == line), "{line:?} in:\n{stdout}");
    }

    // The same policy on both sides changes nothing.
    let p = policy().display().to_string();
    let c = examples().display().to_string();
    let out = cipgate(&["diff", &p, &p, &c], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("7 signups, 0 decisions changed"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn diff_reads_json_lines_and_refuses_an_empty_corpus() {
    let dir = std::env::temp_dir().join(format!("cipgate-diff-lines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let changed = changed_policy(&dir);
    let lines = dir.join("signups.jsonl");
    let missing_phone =
        std::fs::read_to_string(examples().join("foreign-individual-missing-phone.json")).unwrap();
    let one_line: serde_json::Value = serde_json::from_str(&missing_phone).unwrap();
    std::fs::write(&lines, format!("{one_line}\n\n{{}}\n")).unwrap();
    let (p, c, l) = (
        policy().display().to_string(),
        changed.display().to_string(),
        lines.display().to_string(),
    );
    let out = cipgate(&["diff", &p, &c, &l, "--format", "json"], None);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["signups"], 2);
    assert_eq!(report["changed"][0]["signup"], "signups.jsonl:1");

    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = empty.display().to_string();
    let out = cipgate(&["diff", &p, &c, &e], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("has no signups"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn test_results_as_json() {
    let p = policy().display().to_string();
    let out = cipgate(&["test", &p, "--format", "json", "--run", "Kosovo"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["passed"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(0))
    );
    // Coverage is not checked when --run selects cases.
    assert!(report["uncovered"].is_null());
    assert!(report["module"].is_null());
    let case = &report["cases"][0];
    assert!(case["name"].as_str().unwrap().contains("Kosovo"));
    assert_eq!(case["passed"], true);
    assert_eq!(case["rules"], serde_json::json!([]));
}

#[test]
fn test_watch_runs_again_when_the_test_file_changes() {
    use std::io::BufRead;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    let dir = std::env::temp_dir().join(format!("cipgate-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(policy(), dir.join("p.yaml")).unwrap();
    let one_case = |outcome: &str| {
        format!(
            "policy: p.yaml\ncases:\n  - name: empty\n    json: {{}}\n    expect: {{outcome: {outcome}}}\n"
        )
    };
    std::fs::write(dir.join("p.tests.yaml"), one_case("incomplete")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cipgate"))
        .args(["test", dir.join("p.yaml").to_str().unwrap(), "--watch"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, received) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let wait_for = |wanted: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(line) = received.recv_timeout(Duration::from_millis(200)) {
                if line == wanted {
                    return true;
                }
            }
        }
        false
    };
    let first = wait_for("1 passed, 0 failed");
    // File times can be coarse: make sure the rewrite gets a later one.
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(dir.join("p.tests.yaml"), one_case("allow")).unwrap();
    let second = wait_for("0 passed, 1 failed");
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(first, "the first run did not pass");
    assert!(second, "the changed file was not run again");
}
