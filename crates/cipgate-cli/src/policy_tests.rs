//! `cipgate test`: a policy's test cases, each decided by the native evaluator and, given a
//! module, by the built Envoy module in the wasmtime harness too, with any difference between
//! the two a failure of its own. Prints one line per failure with a diff, the rules no case
//! made fire, and a closing `N passed, N failed` line; optionally writes JUnit XML.

use crate::harness_check::{DeployedModule, Signup};
use cipgate_policy::query::QueryStrings;
use cipgate_policy::{CompiledPolicy, Decision, GatewayFacts, SignupRequest};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The keys serde reads a struct by (with `deny_unknown_fields`, the only ones it accepts),
/// asked of the derived `Deserialize` itself: `cipgate schema tests` lists them, so the schema
/// and the runner cannot disagree.
pub fn serde_keys<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    use serde::de::Visitor;

    #[derive(Debug)]
    struct Asked;
    impl std::fmt::Display for Asked {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("keys asked")
        }
    }
    impl std::error::Error for Asked {}
    impl serde::de::Error for Asked {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Asked
        }
    }
    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Probe<'_> {
        type Error = Asked;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Asked> {
            Err(Asked)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Asked> {
            *self.0 = fields;
            Err(Asked)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut keys: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut keys));
    keys
}

/// A test file: the policy it tests (relative to the file) and its cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    pub policy: PathBuf,
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    /// A value sent as JSON.
    pub json: Option<serde_json::Value>,
    /// Keys and values sent form-encoded, in order.
    #[serde(default, deserialize_with = "ordered_pairs")]
    pub form: Option<Vec<(String, String)>>,
    /// Raw text of the body.
    pub body: Option<String>,
    /// Raw bytes of the body, in hex.
    pub body_hex: Option<String>,
    pub content_type: Option<String>,
    pub client_ip: Option<IpAddr>,
    pub geo_country: Option<String>,
    pub geo_region: Option<String>,
    /// When the gateway received the signup (`2027-01-15` or `2027-01-15T12:00:00Z`)
    /// [default: 2026-01-01T00:00:00Z].
    pub time: Option<String>,
    /// The query string of the request's URL, without the `?`.
    pub query: Option<String>,
    /// The language the applicant reads, as the `Accept-Language` header gives it (`de`,
    /// `de-CH, en;q=0.5`) [default: `cipgate test --locale`, else none].
    pub locale: Option<String>,
    pub expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub outcome: Option<String>,
    pub status: Option<u16>,
    /// Exactly these rule ids, in any order.
    pub rules: Option<Vec<String>>,
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Fields that must appear in the violations.
    #[serde(default)]
    pub fields: Vec<String>,
    /// Listed parties that screening must have matched, as `list:entry` (`sdn:91001`).
    #[serde(default)]
    pub hits: Vec<String>,
    /// The locale the decision's messages are in (`de`).
    pub locale: Option<String>,
}

/// A mapping as its entries in written order (form fields are sent in that order).
fn ordered_pairs<'de, D>(deserializer: D) -> Result<Option<Vec<(String, String)>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Pairs;
    impl<'de> serde::de::Visitor<'de> for Pairs {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a mapping of form keys to text values")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut pairs = Vec::new();
            while let Some(entry) = map.next_entry::<String, String>()? {
                pairs.push(entry);
            }
            Ok(pairs)
        }
    }
    deserializer.deserialize_map(Pairs).map(Some)
}

/// The result of one case.
pub struct CaseResult {
    pub name: String,
    pub failures: Vec<String>,
    /// Rule ids in the native decision.
    pub rules: Vec<String>,
}

/// The time every case is decided at, so both paths see the same facts.
const TEST_TIME: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// Finds the test file of a policy: `NAME.tests.yaml` beside `NAME.yaml`.
pub fn tests_path(policy: &Path) -> PathBuf {
    let stem = policy
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("policy");
    policy.with_file_name(format!("{stem}.tests.yaml"))
}

pub fn read_tests(path: &Path) -> Result<TestFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("error: cannot read the test cases {}: {e}", path.display()))?;
    serde_saphyr::from_str(&text).map_err(|e| {
        format!(
            "error: {}: the test cases are not valid: {e}",
            path.display()
        )
    })
}

impl Case {
    fn request(&self) -> Result<(Vec<u8>, Option<String>), String> {
        let given = [
            self.json.is_some(),
            self.form.is_some(),
            self.body.is_some(),
            self.body_hex.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err("give exactly one of json, form, body, body_hex".to_string());
        }
        let (body, default_type) = if let Some(json) = &self.json {
            let text = serde_json::to_vec(json).map_err(|e| e.to_string())?;
            (text, Some("application/json"))
        } else if let Some(form) = &self.form {
            (
                form_encode(form).into_bytes(),
                Some("application/x-www-form-urlencoded"),
            )
        } else if let Some(body) = &self.body {
            (body.clone().into_bytes(), None)
        } else {
            (
                decode_hex(self.body_hex.as_deref().unwrap_or_default())?,
                None,
            )
        };
        let content_type = self
            .content_type
            .clone()
            .or(default_type.map(str::to_string));
        Ok((body, content_type))
    }
}

/// Runs every case through the policy and, when given, the module; cases that give no
/// locale are decided in `locale`.
pub fn run_cases(
    policy: &CompiledPolicy,
    module: Option<&DeployedModule>,
    cases: &[&Case],
    locale: Option<&str>,
) -> Vec<CaseResult> {
    cases
        .iter()
        .map(|case| run_case(policy, module, case, locale))
        .collect()
}

/// The decision of the native evaluator for a request as the gateway gets it: the URL's query
/// string is checked before the body (default gateway configuration).
pub fn native_decision<'p>(
    policy: &'p CompiledPolicy,
    query: Option<&str>,
    request: &SignupRequest<'_>,
) -> Decision<'p> {
    match policy.check_query(query.unwrap_or_default(), QueryStrings::RefusePolicyFields) {
        Err(reason) => policy.reject(reason, request.facts),
        Ok(()) => policy.evaluate(request),
    }
}

fn run_case(
    policy: &CompiledPolicy,
    module: Option<&DeployedModule>,
    case: &Case,
    locale: Option<&str>,
) -> CaseResult {
    let mut result = CaseResult {
        name: case.name.clone(),
        failures: Vec::new(),
        rules: Vec::new(),
    };
    let (body, content_type) = match case.request() {
        Ok(r) => r,
        Err(e) => {
            result.failures.push(format!("the case is malformed: {e}"));
            return result;
        }
    };
    let time = match case
        .time
        .as_deref()
        .map(cipgate_policy::formats::parse_timestamp)
    {
        None => TEST_TIME,
        Some(Some(t)) => t,
        Some(None) => {
            result
                .failures
                .push("the case's `time` is not a date such as 2027-01-15".into());
            return result;
        }
    };
    let facts = GatewayFacts {
        client_ip: case.client_ip,
        geo_country: case.geo_country.clone(),
        geo_region: case.geo_region.clone(),
        time: Some(time),
        accept_language: case.locale.as_deref().or(locale).map(str::to_string),
    };
    let decision = native_decision(
        policy,
        case.query.as_deref(),
        &SignupRequest {
            body: &body,
            content_type: content_type.as_deref(),
            facts: &facts,
        },
    );
    let native = decision.to_json();
    result.rules = decision.rule_ids().iter().map(|s| s.to_string()).collect();

    let from_module = module.map(|module| {
        module.decide(&Signup {
            body: &body,
            content_type: content_type.as_deref(),
            client_ip: case.client_ip,
            geo_country: case.geo_country.as_deref(),
            geo_region: case.geo_region.as_deref(),
            time: Some(time),
            query: case.query.as_deref(),
            accept_language: facts.accept_language.as_deref(),
        })
    });
    match from_module {
        None => {}
        Some(Ok(from_module)) if from_module == native => {}
        Some(Ok(from_module)) => result.failures.push(format!(
            "the module and the native evaluator disagree:\n{}",
            diff(&native, &from_module)
        )),
        Some(Err(e)) => result.failures.push(format!("the module failed: {e}")),
    }

    let expect = &case.expect;
    if let Some(outcome) = &expect.outcome {
        if outcome != decision.outcome.as_str() {
            result.failures.push(format!(
                "outcome: expected {outcome}, got {}",
                decision.outcome.as_str()
            ));
        }
    }
    if let Some(status) = expect.status {
        if status != decision.status {
            result.failures.push(format!(
                "status: expected {status}, got {}",
                decision.status
            ));
        }
    }
    if let Some(locale) = &expect.locale {
        if locale != decision.locale {
            result.failures.push(format!(
                "locale: expected {locale}, got {}",
                decision.locale
            ));
        }
    }
    let fired: BTreeSet<&str> = result.rules.iter().map(String::as_str).collect();
    if let Some(rules) = &expect.rules {
        let wanted: BTreeSet<&str> = rules.iter().map(String::as_str).collect();
        let missing: Vec<_> = wanted.difference(&fired).collect();
        let extra: Vec<_> = fired.difference(&wanted).collect();
        if !missing.is_empty() || !extra.is_empty() {
            result
                .failures
                .push(format!("rules: missing {missing:?}, unexpected {extra:?}"));
        }
    }
    for rule in &expect.include {
        if !fired.contains(rule.as_str()) {
            result
                .failures
                .push(format!("rules: expected {rule} to fire"));
        }
    }
    for rule in &expect.exclude {
        if fired.contains(rule.as_str()) {
            result
                .failures
                .push(format!("rules: expected {rule} not to fire"));
        }
    }
    for field in &expect.fields {
        if !decision
            .violations
            .iter()
            .any(|v| v.field.as_deref() == Some(field.as_str()))
        {
            result
                .failures
                .push(format!("fields: expected a violation about {field}"));
        }
    }
    for wanted in &expect.hits {
        let found = decision.violations.iter().any(|v| {
            v.hit
                .as_ref()
                .is_some_and(|h| format!("{}:{}", h.list, h.entry) == *wanted)
        });
        if !found {
            result
                .failures
                .push(format!("hits: expected a screening hit on {wanted}"));
        }
    }
    if !result.failures.is_empty() {
        result.failures.push(format!("decision: {native}"));
    }
    result
}

/// The rules of the policy that no case made fire (reject reasons and field validity rules
/// are listed only when they are the policy's own rules).
pub fn uncovered<'p>(policy: &'p CompiledPolicy, results: &[CaseResult]) -> Vec<&'p str> {
    let fired: BTreeSet<&str> = results
        .iter()
        .flat_map(|r| r.rules.iter().map(String::as_str))
        .collect();
    policy
        .ir()
        .rules
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !fired.contains(id))
        .collect()
}

/// A line diff of two JSON documents, one violation per line.
fn diff(native: &str, module: &str) -> String {
    let lines = |s: &str| -> Vec<String> {
        s.replace("},{", "},\n{")
            .replace(",\"policy\"", ",\n\"policy\"")
            .lines()
            .map(str::to_string)
            .collect()
    };
    let (a, b) = (lines(native), lines(module));
    let mut out = String::new();
    for line in &a {
        if !b.contains(line) {
            let _ = writeln!(out, "  - native: {line}");
        }
    }
    for line in &b {
        if !a.contains(line) {
            let _ = writeln!(out, "  + module: {line}");
        }
    }
    out
}

fn form_encode(pairs: &[(String, String)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    char::from(b).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    let hex: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    hex.chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .filter(|p| p.len() == 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| "body_hex is not hex".to_string())
        })
        .collect()
}

/// JUnit XML for CI systems: one test case per policy case.
pub fn junit(suite: &str, results: &[CaseResult]) -> String {
    let failed = results.iter().filter(|r| !r.failures.is_empty()).count();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\">\n",
        xml_escape(suite),
        results.len()
    );
    for r in results {
        let _ = write!(
            xml,
            "  <testcase classname=\"{}\" name=\"{}\"",
            xml_escape(suite),
            xml_escape(&r.name)
        );
        if r.failures.is_empty() {
            xml.push_str("/>\n");
        } else {
            let _ = writeln!(
                xml,
                ">\n    <failure message=\"{}\">{}</failure>\n  </testcase>",
                xml_escape(r.failures.first().map_or("", String::as_str)),
                xml_escape(&r.failures.join("\n"))
            );
        }
    }
    xml.push_str("</testsuite>\n");
    xml
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The results as one JSON object, for CI and editors: every case with its failures and the
/// rules it fired, the totals, and the rules no case made fire (`None` when `--run` selected
/// cases, so coverage was not checked).
pub fn json_report(
    policy: &CompiledPolicy,
    results: &[CaseResult],
    uncovered: Option<&[&str]>,
    module: Option<&Path>,
    built: bool,
) -> String {
    let failed = results.iter().filter(|r| !r.failures.is_empty()).count();
    serde_json::json!({
        "policy": {"id": policy.id(), "version": policy.version(), "sha256": policy.sha256()},
        "module": match (module, built) {
            (Some(path), _) => serde_json::json!(path.display().to_string()),
            (None, true) => serde_json::json!("built for the test"),
            (None, false) => serde_json::Value::Null,
        },
        "passed": results.len() - failed,
        "failed": failed,
        "uncovered": uncovered,
        "cases": results.iter().map(|r| serde_json::json!({
            "name": r.name,
            "passed": r.failures.is_empty(),
            "failures": r.failures,
            "rules": r.rules,
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_keys_are_the_fields_a_case_is_read_by() {
        assert_eq!(serde_keys::<TestFile>(), ["policy", "cases"]);
        let keys = serde_keys::<Case>();
        assert!(
            keys.contains(&"geo_region") && keys.contains(&"expect"),
            "{keys:?}"
        );
        assert_eq!(
            serde_keys::<Expect>(),
            ["outcome", "status", "rules", "include", "exclude", "fields", "hits", "locale"]
        );
    }

    #[test]
    fn form_encoding_matches_browsers() {
        let pairs = vec![
            ("customer.phone".to_string(), "+49 30 901820".to_string()),
            ("customer.legal_name".to_string(), "Tomás & Co".to_string()),
        ];
        assert_eq!(
            form_encode(&pairs),
            "customer.phone=%2B49+30+901820&customer.legal_name=Tom%C3%A1s+%26+Co"
        );
    }

    #[test]
    fn hex_bodies() {
        assert_eq!(
            decode_hex("efbb bf7b").unwrap(),
            vec![0xef, 0xbb, 0xbf, 0x7b]
        );
        assert!(decode_hex("zz").is_err());
        assert!(decode_hex("abc").is_err());
    }

    #[test]
    fn diff_names_the_differing_violations() {
        let a = r#"{"outcome":"deny","violations":[{"rule":"a"},{"rule":"b"}],"policy":{}}"#;
        let b = r#"{"outcome":"deny","violations":[{"rule":"a"},{"rule":"c"}],"policy":{}}"#;
        let d = diff(a, b);
        assert!(d.contains(r#"- native: {"rule":"b"}"#), "{d}");
        assert!(d.contains(r#"+ module: {"rule":"c"}]"#), "{d}");
    }
}
