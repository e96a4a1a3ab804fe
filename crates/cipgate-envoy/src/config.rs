//! The plugin configuration: runtime options only (never rules), parsed and checked once in
//! `on_configure`. Anything unknown or out of range is an error, so Envoy refuses it.

use cipgate_policy::document::{self, Limits};
use cipgate_policy::ir::BodyFormat;
use cipgate_policy::query::QueryStrings;
use cipgate_policy::value::Value;
use std::borrow::Cow;

/// Enforce decisions, or only decide, log and tag (for shadow roll-outs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Enforce,
    Audit,
}

/// Where the client IP address comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientIpSource {
    /// The downstream peer as Envoy sees it (`source.address`; Envoy's own
    /// `xff_num_trusted_hops` already applies to it).
    Downstream,
    /// The `trusted_hops`-th address from the right of `X-Forwarded-For`.
    XForwardedFor { trusted_hops: usize },
}

/// Checked configuration, shared read-only by every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub mode: Mode,
    pub max_body_bytes: usize,
    /// Methods always inspected (a body-less one gets the policy's missing-body rejection);
    /// requests of other methods are inspected when they carry a body, unless `methods` was
    /// configured explicitly, in which case only these methods are inspected.
    pub methods: Vec<String>,
    pub methods_explicit: bool,
    /// Lower-case header name set by a trusted component in front of Envoy.
    pub geo_country_header: Option<String>,
    /// Lower-case header name of the client's subdivision, from the same component.
    pub geo_region_header: Option<String>,
    pub client_ip: ClientIpSource,
    pub audit_hash_key: Option<Vec<u8>>,
    pub query_strings: QueryStrings,
    /// Whether every decision's JSON goes to filter state (`wasm.cipgate.decision`) beside
    /// the audit record; off by default, since nothing in Envoy reads it.
    pub decision_state: bool,
}

/// Methods that carry a signup; a body-less request with one of them is rejected.
const DEFAULT_METHODS: [&str; 3] = ["POST", "PUT", "PATCH"];

/// Short keys make the email and phone hashes guessable by brute force.
const MIN_HASH_KEY_BYTES: usize = 16;

/// The configuration as written: JSON read by the core's strict decoder (duplicate keys are
/// errors here too), every member optional, none unknown.
#[derive(Default)]
struct RawConfig {
    mode: Option<Mode>,
    max_body_bytes: Option<u64>,
    methods: Option<Vec<String>>,
    geo_country_header: Option<String>,
    geo_region_header: Option<String>,
    client_ip: Option<RawClientIp>,
    audit_hash_key: Option<String>,
    query_strings: Option<QueryStrings>,
    decision_state: Option<bool>,
}

struct RawClientIp {
    source: RawIpSource,
    trusted_hops: Option<u64>,
}

enum RawIpSource {
    Downstream,
    XForwardedFor,
}

impl RawConfig {
    fn parse(text: &str) -> Result<RawConfig, String> {
        if text.trim().is_empty() {
            return Ok(RawConfig::default());
        }
        let limits = Limits {
            max_bytes: 64 * 1024,
            max_depth: 4,
        };
        let root = document::decode(text.as_bytes(), BodyFormat::Json, &limits).map_err(|r| {
            format!(
                "configuration is not valid: {}",
                r.message(cipgate_policy::locale::DEFAULT)
            )
        })?;
        let mut raw = RawConfig::default();
        for (key, value) in members(&root, "the configuration")? {
            match key.as_ref() {
                "mode" => {
                    raw.mode = Some(match string(value, key)? {
                        "enforce" => Mode::Enforce,
                        "audit" => Mode::Audit,
                        other => return Err(unknown_variant(key, other, "enforce, audit")),
                    })
                }
                "max_body_bytes" => raw.max_body_bytes = Some(count(value, key)?),
                "methods" => {
                    let Value::Array(items) = value else {
                        return Err(format!("{key} must be a list of method names"));
                    };
                    raw.methods = Some(
                        items
                            .iter()
                            .map(|m| string(m, key).map(str::to_owned))
                            .collect::<Result<_, _>>()?,
                    );
                }
                "geo_country_header" => {
                    raw.geo_country_header = Some(string(value, key)?.to_owned())
                }
                "geo_region_header" => raw.geo_region_header = Some(string(value, key)?.to_owned()),
                "client_ip" => {
                    let mut source = None;
                    let mut trusted_hops = None;
                    for (k, v) in members(value, "client_ip")? {
                        match k.as_ref() {
                            "source" => {
                                source = Some(match string(v, k)? {
                                    "downstream" => RawIpSource::Downstream,
                                    "x_forwarded_for" => RawIpSource::XForwardedFor,
                                    other => {
                                        return Err(unknown_variant(
                                            k,
                                            other,
                                            "downstream, x_forwarded_for",
                                        ))
                                    }
                                })
                            }
                            "trusted_hops" => trusted_hops = Some(count(v, k)?),
                            other => {
                                return Err(format!(
                                    "configuration is not valid: unknown field `{other}` in \
                                     client_ip, expected `source` or `trusted_hops`"
                                ))
                            }
                        }
                    }
                    let source = source.ok_or("client_ip needs a `source`")?;
                    raw.client_ip = Some(RawClientIp {
                        source,
                        trusted_hops,
                    });
                }
                "audit_hash_key" => raw.audit_hash_key = Some(string(value, key)?.to_owned()),
                "decision_state" => raw.decision_state = Some(boolean(value, key)?),
                "query_string" => {
                    raw.query_strings = Some(match string(value, key)? {
                        "refuse_policy_fields" => QueryStrings::RefusePolicyFields,
                        "refuse_all" => QueryStrings::RefuseAll,
                        other => {
                            return Err(unknown_variant(
                                key,
                                other,
                                "refuse_policy_fields, refuse_all",
                            ))
                        }
                    })
                }
                other => {
                    return Err(format!(
                        "configuration is not valid: unknown field `{other}`, expected one of \
                         mode, max_body_bytes, methods, geo_country_header, geo_region_header, \
                         client_ip, audit_hash_key, query_string, decision_state"
                    ))
                }
            }
        }
        Ok(raw)
    }
}

fn members<'v, 'b>(
    value: &'v Value<'b>,
    what: &str,
) -> Result<&'v [(Cow<'b, str>, Value<'b>)], String> {
    match value {
        Value::Object(members) => Ok(members),
        _ => Err(format!(
            "configuration is not valid: {what} must be a JSON object"
        )),
    }
}

fn string<'v>(value: &'v Value<'_>, key: &str) -> Result<&'v str, String> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(format!(
            "configuration is not valid: {key} must be a string, not {}",
            other.type_name()
        )),
    }
}

fn boolean(value: &Value<'_>, key: &str) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        other => Err(format!(
            "configuration is not valid: {key} must be true or false, not {}",
            other.type_name()
        )),
    }
}

fn count(value: &Value<'_>, key: &str) -> Result<u64, String> {
    match value {
        Value::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n <= 9_007_199_254_740_992.0 => {
            // Whole, non-negative and exactly representable: the cast is exact.
            Ok(*n as u64)
        }
        _ => Err(format!(
            "configuration is not valid: {key} must be a whole number"
        )),
    }
}

/// A value from the configuration or a request, quoted and escaped for a log line.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    cipgate_policy::write_json_string(&mut out, s);
    out
}

fn unknown_variant(key: &str, got: &str, expected: &str) -> String {
    format!(
        "configuration is not valid: unknown variant `{got}` for {key}, expected one of {expected}"
    )
}

impl Config {
    /// Parses the plugin configuration; `policy_max_body_bytes` is the policy's own limit,
    /// which the configuration may lower but not raise.
    pub fn parse(raw: &[u8], policy_max_body_bytes: usize) -> Result<Config, String> {
        let text = std::str::from_utf8(raw).map_err(|_| "configuration is not UTF-8")?;
        let raw = RawConfig::parse(text)?;

        let max_body_bytes = match raw.max_body_bytes {
            None => policy_max_body_bytes,
            Some(n) => {
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                if n == 0 || n > policy_max_body_bytes {
                    return Err(format!(
                        "max_body_bytes must be between 1 and the policy's limit of \
                         {policy_max_body_bytes}, got {n}"
                    ));
                }
                n
            }
        };

        let methods_explicit = raw.methods.is_some();
        let methods = match raw.methods {
            None => DEFAULT_METHODS.iter().map(|m| (*m).to_owned()).collect(),
            Some(methods) => {
                if methods.is_empty() {
                    return Err("methods must list at least one method".into());
                }
                for m in &methods {
                    if m.is_empty() || !m.bytes().all(|b| b.is_ascii_uppercase()) {
                        return Err(format!(
                            "methods: {} is not an upper-case HTTP method name",
                            quoted(m)
                        ));
                    }
                }
                methods
            }
        };

        let geo_country_header = raw
            .geo_country_header
            .map(|name| trusted_header_name(name, "geo_country_header"))
            .transpose()?;
        let geo_region_header = raw
            .geo_region_header
            .map(|name| trusted_header_name(name, "geo_region_header"))
            .transpose()?;
        // A region code means nothing without its country ("43" is Crimea only in UA).
        if geo_region_header.is_some() && geo_country_header.is_none() {
            return Err(
                "geo_region_header needs geo_country_header: a region code is read \
                        within its country"
                    .into(),
            );
        }

        let client_ip = match raw.client_ip {
            None => ClientIpSource::Downstream,
            Some(RawClientIp {
                source: RawIpSource::Downstream,
                trusted_hops: None,
            }) => ClientIpSource::Downstream,
            Some(RawClientIp {
                source: RawIpSource::Downstream,
                trusted_hops: Some(_),
            }) => {
                return Err(
                    "client_ip.trusted_hops applies only to source \"x_forwarded_for\"".into(),
                )
            }
            Some(RawClientIp {
                source: RawIpSource::XForwardedFor,
                trusted_hops,
            }) => match trusted_hops.and_then(|n| usize::try_from(n).ok()) {
                Some(n) if n >= 1 => ClientIpSource::XForwardedFor { trusted_hops: n },
                _ => {
                    return Err("client_ip.trusted_hops must be at least 1 with source \
                         \"x_forwarded_for\""
                        .into())
                }
            },
        };

        let audit_hash_key = match raw.audit_hash_key {
            None => None,
            Some(key) if key.len() < MIN_HASH_KEY_BYTES => {
                return Err(format!(
                    "audit_hash_key must be at least {MIN_HASH_KEY_BYTES} bytes long"
                ))
            }
            Some(key) => Some(key.into_bytes()),
        };

        Ok(Config {
            query_strings: raw
                .query_strings
                .unwrap_or(QueryStrings::RefusePolicyFields),
            mode: raw.mode.unwrap_or(Mode::Enforce),
            max_body_bytes,
            methods,
            methods_explicit,
            geo_country_header,
            geo_region_header,
            client_ip,
            audit_hash_key,
            decision_state: raw.decision_state.unwrap_or(false),
        })
    }

    /// Whether a request is decided by the policy.
    pub fn inspects(&self, method: &str, has_body: bool) -> bool {
        self.methods.iter().any(|m| m == method) || (has_body && !self.methods_explicit)
    }
}

/// RFC 9110 `tchar`, lower case only (Envoy keeps header names in lower case).
fn is_header_name_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The lower-cased name of a header that a trusted component sets, checked.
fn trusted_header_name(name: String, option: &str) -> Result<String, String> {
    let name = name.to_ascii_lowercase();
    if name.is_empty() || !name.bytes().all(is_header_name_byte) {
        return Err(format!(
            "{option}: {} is not a valid header name",
            quoted(&name)
        ));
    }
    if name.starts_with(crate::HEADER_PREFIX) {
        return Err(format!(
            "{option}: {} is reserved: the filter removes {}* headers sent by clients",
            quoted(&name),
            crate::HEADER_PREFIX
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text.as_bytes(), 65536)
    }

    #[test]
    fn empty_configuration_enforces_on_every_request_with_a_body() {
        for text in ["", "  \n", "{}"] {
            let c = parse(text).unwrap();
            assert_eq!(c.mode, Mode::Enforce);
            assert_eq!(c.max_body_bytes, 65536);
            assert_eq!(c.client_ip, ClientIpSource::Downstream);
            assert_eq!(c.geo_country_header, None);
            assert!(c.inspects("POST", false));
            assert!(c.inspects("DELETE", true));
            assert!(!c.inspects("GET", false));
            assert!(!c.decision_state);
        }
    }

    #[test]
    fn explicit_methods_limit_inspection_to_them() {
        let c = parse(r#"{"methods":["POST"]}"#).unwrap();
        assert!(c.inspects("POST", false));
        assert!(!c.inspects("PUT", true));
    }

    #[test]
    fn full_configuration_is_read() {
        let c = parse(
            r#"{"mode":"audit","max_body_bytes":1000,"methods":["POST","PUT"],
               "geo_country_header":"X-Geo-Country",
               "client_ip":{"source":"x_forwarded_for","trusted_hops":2},
               "audit_hash_key":"0123456789abcdef0123","decision_state":true}"#,
        )
        .unwrap();
        assert_eq!(c.mode, Mode::Audit);
        assert!(c.decision_state);
        assert_eq!(c.max_body_bytes, 1000);
        assert_eq!(c.geo_country_header.as_deref(), Some("x-geo-country"));
        assert_eq!(
            c.client_ip,
            ClientIpSource::XForwardedFor { trusted_hops: 2 }
        );
        assert_eq!(
            c.audit_hash_key.as_deref(),
            Some(&b"0123456789abcdef0123"[..])
        );
    }

    #[test]
    fn bad_configurations_say_what_is_wrong() {
        for (text, expected) in [
            (r#"{"mode":"shadow"}"#, "unknown variant `shadow`"),
            (r#"{"rules":[]}"#, "unknown field `rules`"),
            (
                r#"{"max_body_bytes":0}"#,
                "max_body_bytes must be between 1",
            ),
            (r#"{"max_body_bytes":65537}"#, "policy's limit of 65536"),
            (r#"{"methods":[]}"#, "at least one method"),
            (r#"{"methods":["post"]}"#, "upper-case"),
            (
                r#"{"geo_country_header":"x geo"}"#,
                "not a valid header name",
            ),
            (r#"{"geo_country_header":"x-cipgate-geo"}"#, "reserved"),
            (
                r#"{"client_ip":{"source":"x_forwarded_for"}}"#,
                "at least 1",
            ),
            (
                r#"{"client_ip":{"source":"x_forwarded_for","trusted_hops":0}}"#,
                "at least 1",
            ),
            (
                r#"{"client_ip":{"source":"downstream","trusted_hops":1}}"#,
                "applies only",
            ),
            (
                r#"{"client_ip":{"source":"peer"}}"#,
                "unknown variant `peer`",
            ),
            (r#"{"audit_hash_key":"short"}"#, "at least 16 bytes"),
            (r#"{"decision_state":"yes"}"#, "must be true or false"),
            ("[1]", "configuration is not valid"),
            ("{", "configuration is not valid"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
        assert!(Config::parse(b"\xff", 10)
            .unwrap_err()
            .contains("not UTF-8"));
    }
}
