//! The Envoy filter: a proxy-wasm HTTP filter that holds one policy image (placed in the module
//! by `cipgate build`) and decides every signup request on the route it is attached to. It buffers the
//! body, calls the core, and turns the decision into a local reply or a tagged request.
//!
//! The root context checks the plugin configuration once and shares it, read-only, with every
//! request; a request context holds only what that request needs. Host calls go through
//! `proxy_wasm::hostcalls`, whose errors are values: a failure of the filter itself answers
//! 503 (fail closed), never a panic that would take the VM down.

pub mod audit;
pub mod client_ip;
pub mod config;
pub mod geo;
pub mod profile;
pub mod reply;

use audit::{AuditRecord, PiiHashes};
use cipgate_policy::{
    CompiledPolicy, Decision, GatewayFacts, Outcome, RejectReason, SignupRequest,
};
use config::{ClientIpSource, Config, Mode};
use profile::{span, Stage};
use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType, MetricType};
use std::borrow::Cow;
use std::rc::Rc;
use std::time::UNIX_EPOCH;

/// Request headers set by the filter; client copies are removed so nobody forges a decision.
pub const HEADER_PREFIX: &str = "x-cipgate-";
const OUTCOME_HEADER: &str = "x-cipgate-outcome";
const POLICY_HEADER: &str = "x-cipgate-policy";
const RULES_HEADER: &str = "x-cipgate-rules";
const MODE_HEADER: &str = "x-cipgate-mode";

/// Filter state keys (Envoy stores them as `wasm.<key>`, see docs/envoy.md).
/// The audit record, one JSON line, which Envoy's access log writes after the request: on the
/// access log's own thread of work, at no log level a proxy can turn off.
const AUDIT_STATE: &str = "cipgate.audit";
/// The whole decision JSON, when the configuration asks for it (`decision_state`): for
/// `cipgate check --module` on signups that are forwarded (whose decision is otherwise only
/// in headers) and for services that read filter state.
const DECISION_STATE: &str = "cipgate.decision";

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root { filter: None }) });
}}

/// What every request shares: the checked configuration, the policy and the metric ids.
struct Filter {
    config: Config,
    policy: CompiledPolicy,
    metrics: Metrics,
    /// The policy's fields recorded as keyed hashes in audit lines, with their indices.
    hashed_fields: Vec<(&'static str, usize)>,
}

struct Metrics {
    /// One counter per outcome, indexed by the outcome (the order of [`Outcome::ALL`]).
    outcomes: Vec<u32>,
    /// Sorted by rule id (as `rule_ids` gives them), so a decision's rules are found by
    /// binary search.
    rules: Vec<(String, u32)>,
    errors: u32,
}

impl Metrics {
    /// Counter names carry their tags (`cipgate_decisions.outcome.deny`); the
    /// `stats_config.stats_tags` in docs/envoy.md turn them into Prometheus labels.
    fn define(policy: &CompiledPolicy) -> Result<Metrics, String> {
        let counter = |name: String| {
            hostcalls::define_metric(MetricType::Counter, &name)
                .map_err(|status| format!("defining metric {name} failed: {status:?}"))
        };
        let outcomes = Outcome::ALL
            .iter()
            .map(|o| counter(format!("cipgate_decisions.outcome.{}", o.as_str())))
            .collect::<Result<_, String>>()?;
        let rules = policy
            .rule_ids()
            .into_iter()
            .map(|id| {
                Ok((
                    id.to_owned(),
                    counter(format!("cipgate_rule_matches.rule.{id}"))?,
                ))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let errors = counter("cipgate_errors".to_owned())?;
        Ok(Metrics {
            outcomes,
            rules,
            errors,
        })
    }

    /// Counts a decision: its outcome and `rules`, its rule ids (each once).
    fn record(&self, outcome: Outcome, rules: &[&str]) {
        let outcome = self.outcomes.get(outcome as usize).copied();
        let rules = rules.iter().filter_map(|id| {
            let i = self
                .rules
                .binary_search_by(|(r, _)| r.as_str().cmp(*id))
                .ok()?;
            self.rules.get(i).map(|(_, m)| *m)
        });
        for metric in outcome.into_iter().chain(rules) {
            increment(metric);
        }
    }
}

fn increment(metric: u32) {
    if let Err(status) = hostcalls::increment_metric(metric, 1) {
        log(
            LogLevel::Warn,
            &format!("incrementing metric {metric} failed: {status:?}"),
        );
    }
}

fn log(level: LogLevel, message: &str) {
    // Nowhere left to report a failure to log.
    let _ = hostcalls::log(level, message);
}

struct Root {
    filter: Option<Rc<Filter>>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        // A module whose policy image does not load must never decide anything, yet the rest
        // of the listener should keep serving: accept the configuration and answer 503 on the
        // routes the filter guards, as on any other failure of the filter.
        let policy = match CompiledPolicy::embedded() {
            Ok(policy) => policy,
            Err(e) => {
                log(
                    LogLevel::Critical,
                    &format!("cipgate: the module's policy does not load, every signup is refused with 503: {e}"),
                );
                self.filter = None;
                return true;
            }
        };
        match configure(policy) {
            Ok(filter) => {
                log(
                    LogLevel::Info,
                    &format!(
                        "cipgate: policy {} {} (sha256 {}) in {} mode",
                        filter.policy.id(),
                        filter.policy.version(),
                        filter.policy.sha256(),
                        match filter.config.mode {
                            Mode::Enforce => "enforce",
                            Mode::Audit => "audit",
                        }
                    ),
                );
                self.filter = Some(Rc::new(filter));
                true
            }
            Err(why) => {
                log(LogLevel::Error, &format!("cipgate: {why}"));
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        // Always a context: the SDK panics on `None`. Without a configuration it fails closed.
        Some(Box::new(Signup {
            filter: self.filter.clone(),
            state: State::Passthrough,
            facts: GatewayFacts::default(),
            content_type: None,
            request_id: None,
            method: String::new(),
            path: String::new(),
            arrived_ms: None,
            body_size: 0,
            answer: reply::Answer::Json,
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

fn configure(policy: CompiledPolicy) -> Result<Filter, String> {
    let raw = hostcalls::get_buffer(BufferType::PluginConfiguration, 0, usize::MAX)
        .map_err(|status| format!("reading the plugin configuration failed: {status:?}"))?
        .unwrap_or_default();
    let config = Config::parse(&raw, policy.max_body_bytes())?;
    let metrics = Metrics::define(&policy)?;
    #[cfg(feature = "profile")]
    profile::define();
    let hashed_fields = audit::HASHED_FIELDS
        .iter()
        .filter_map(|name| Some((*name, policy.field_index(name)?)))
        .collect();
    Ok(Filter {
        config,
        policy,
        metrics,
        hashed_fields,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not inspected, or decided and forwarded: the rest of the request streams through.
    Passthrough,
    /// Headers held back, body being buffered until end of stream or trailers.
    Buffering,
    /// A local reply was sent; nothing goes upstream.
    Replied,
}

/// Per-request state.
struct Signup {
    filter: Option<Rc<Filter>>,
    state: State,
    facts: GatewayFacts,
    content_type: Option<String>,
    request_id: Option<String>,
    method: String,
    path: String,
    /// Milliseconds since the Unix epoch when the request headers arrived.
    arrived_ms: Option<i64>,
    body_size: usize,
    /// JSON, or a page for a browser that asked for HTML.
    answer: reply::Answer,
}

impl Context for Signup {}

impl HttpContext for Signup {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        span(Stage::HeadersCallback, || {
            let Some(filter) = self.filter.clone() else {
                return self.fail(None, "the filter has no configuration");
            };
            match self.read_headers(&filter, end_of_stream) {
                Ok(action) => action,
                Err(why) => self.fail(Some(&filter), &why),
            }
        })
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        span(Stage::BodyCallback, || self.body(body_size, end_of_stream))
    }

    fn on_http_request_trailers(&mut self, _num_trailers: usize) -> Action {
        // HTTP/2 requests that end with trailers never flag end of stream on the body.
        span(Stage::BodyCallback, || match self.state {
            State::Passthrough => Action::Continue,
            State::Replied => Action::Pause,
            State::Buffering => match self.filter.clone() {
                Some(filter) => self.decide(&filter),
                None => self.fail(None, "the filter has no configuration"),
            },
        })
    }
}

impl Signup {
    fn body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        match self.state {
            State::Passthrough => Action::Continue,
            State::Replied => Action::Pause,
            State::Buffering => {
                self.body_size = body_size;
                let Some(filter) = self.filter.clone() else {
                    return self.fail(None, "the filter has no configuration");
                };
                if body_size > filter.config.max_body_bytes {
                    let decision = filter.policy.reject(RejectReason::TooLarge, &self.facts);
                    self.finish(&filter, &decision, PiiHashes::none(key(&filter)))
                } else if end_of_stream {
                    self.decide(&filter)
                } else {
                    Action::Pause
                }
            }
        }
    }

    /// Removes forged headers, collects the gateway facts, and decides what can be decided
    /// from headers alone.
    fn read_headers(&mut self, filter: &Filter, end_of_stream: bool) -> Result<Action, String> {
        let headers = span(Stage::HeadersRead, || {
            hostcalls::get_map_bytes(MapType::HttpRequestHeaders)
        })
        .map_err(|s| format!("reading request headers failed: {s:?}"))?;
        for (name, _) in headers.iter().filter(|(n, _)| n.starts_with(HEADER_PREFIX)) {
            hostcalls::remove_map_value(MapType::HttpRequestHeaders, name)
                .map_err(|s| format!("removing header {name} failed: {s:?}"))?;
        }
        let first = |wanted| header_values(&headers, wanted).next();

        self.method = first(":method").map(Cow::into_owned).unwrap_or_default();
        self.path = first(":path").map(Cow::into_owned).unwrap_or_default();
        if !filter.config.inspects(&self.method, !end_of_stream) {
            return Ok(Action::Continue);
        }
        self.request_id = first("x-request-id").map(Cow::into_owned);
        self.facts = span(Stage::Facts, || {
            self.arrived_ms = now_millis();
            self.gateway_facts(&filter.config, &headers)
        })?;
        self.answer = reply::Answer::of_request(
            joined_values(&headers, "accept").as_deref(),
            first("referer").as_deref(),
            first(":authority").as_deref(),
            &self.path,
        );

        // The query is checked first: a field smuggled into the URL is refused whatever the
        // body says.
        let query = self.path.split_once('?').map_or("", |(_, query)| query);
        let query_refusal = filter
            .policy
            .check_query(query, filter.config.query_strings)
            .err();
        let mut content_types = header_values(&headers, "content-type");
        let content_type = content_types.next();
        let too_large = first("content-length")
            .and_then(|n| n.trim().parse::<u64>().ok())
            .is_some_and(|n| n > u64::try_from(filter.config.max_body_bytes).unwrap_or(u64::MAX));
        let refusal = if query_refusal.is_some() {
            query_refusal
        } else if header_values(&headers, "content-encoding").any(|v| {
            v.split(',')
                .any(|coding| !coding.trim().eq_ignore_ascii_case("identity"))
        }) {
            Some(RejectReason::UnsupportedEncoding)
        } else if content_types.next().is_some() {
            // Two Content-Type headers: which one would the backend read?
            Some(RejectReason::UnsupportedContentType)
        } else if too_large {
            Some(RejectReason::TooLarge)
        } else if end_of_stream {
            Some(RejectReason::MissingBody)
        } else {
            None
        };
        self.content_type = content_type.map(Cow::into_owned);
        Ok(match refusal {
            Some(reason) => {
                let decision = filter.policy.reject(reason, &self.facts);
                self.finish(filter, &decision, PiiHashes::none(key(filter)))
            }
            None => {
                self.state = State::Buffering;
                Action::Pause
            }
        })
    }

    fn gateway_facts(&self, config: &Config, headers: &Headers) -> Result<GatewayFacts, String> {
        let values = |wanted: &str| -> Vec<String> {
            header_values(headers, wanted)
                .map(Cow::into_owned)
                .collect()
        };
        let client_ip = match config.client_ip {
            ClientIpSource::Downstream => {
                let address = hostcalls::get_property(vec!["source", "address"])
                    .map_err(|s| format!("reading source.address failed: {s:?}"))?
                    .unwrap_or_default();
                client_ip::from_peer(&String::from_utf8_lossy(&address))
            }
            ClientIpSource::XForwardedFor { trusted_hops } => {
                client_ip::from_forwarded_for(&values("x-forwarded-for"), trusted_hops)
            }
        };
        let geo_country = match config.geo_country_header.as_deref() {
            None => None,
            Some(name) => {
                let code = geo::trusted_value(name, &values)?;
                // The core ignores a country it does not know, so `ir`, `IRN` or `Iran` from
                // a misconfigured edge would silently switch location rules off.
                if let Some(code) = code
                    .as_deref()
                    .filter(|c| !cipgate_policy::tables::is_country(c))
                {
                    let shown: String = code.chars().take(16).collect();
                    return Err(format!(
                        "header {name} is {}, not an ISO 3166-1 alpha-2 country code; \
                         whatever sets it must send the code, or no header when the country \
                         is unknown",
                        config::quoted(&shown)
                    ));
                }
                code
            }
        };
        let geo_region = match config.geo_region_header.as_deref() {
            None => None,
            Some(name) => match geo::trusted_value(name, &values)? {
                None => None,
                Some(region) => Some(
                    geo::subdivision_code(geo_country.as_deref(), &region).ok_or_else(|| {
                        let shown: String = region.chars().take(16).collect();
                        format!(
                            "header {name} is {}, not the ISO 3166-2 code of a region of the \
                             geolocated country (`43` or `UA-43` with country UA); whatever \
                             sets it must send the code with the country, or no header",
                            config::quoted(&shown)
                        )
                    })?,
                ),
            },
        };
        // The core picks the locale from the joined list, so every runtime picks the same.
        Ok(GatewayFacts {
            client_ip,
            geo_country,
            geo_region,
            time: self.arrived_ms.map(|ms| ms.div_euclid(1000)),
            accept_language: joined_values(headers, "accept-language"),
        })
    }

    /// Evaluates the buffered body.
    fn decide(&mut self, filter: &Filter) -> Action {
        let body = span(Stage::BodyRead, || {
            hostcalls::get_buffer(BufferType::HttpRequestBody, 0, self.body_size)
        });
        let body = match body {
            Ok(body) => body.unwrap_or_default(),
            Err(s) => return self.fail(Some(filter), &format!("reading the body failed: {s:?}")),
        };
        if body.len() != self.body_size {
            return self.fail(Some(filter), "the buffered body is shorter than announced");
        }
        if body.is_empty() {
            let decision = filter.policy.reject(RejectReason::MissingBody, &self.facts);
            return self.finish(filter, &decision, PiiHashes::none(key(filter)));
        }
        let request = SignupRequest {
            body: &body,
            content_type: self.content_type.as_deref(),
            facts: &self.facts,
        };
        // Values to hash come from the evaluation itself: one decoding of the body, and the
        // policy's own field mapping (JSON or form) and normalisation (E.164 phones).
        let (decision, pii) = match key(filter) {
            Some(key) => {
                let indices: Vec<usize> = filter.hashed_fields.iter().map(|(_, i)| *i).collect();
                let (decision, values) = span(Stage::Evaluate, || {
                    filter.policy.evaluate_reading(&request, &indices)
                });
                let names = filter.hashed_fields.iter().map(|(name, _)| *name);
                let hashes = span(Stage::Hashes, || {
                    PiiHashes::of_values(key, names.zip(values))
                });
                (decision, hashes)
            }
            None => (
                span(Stage::Evaluate, || filter.policy.evaluate(&request)),
                PiiHashes::Disabled,
            ),
        };
        self.finish(filter, &decision, pii)
    }

    /// Records the decision and carries it out.
    fn finish(&mut self, filter: &Filter, decision: &Decision, pii: PiiHashes) -> Action {
        let action = self.carry_out(filter, decision, pii);
        profile::request_done();
        action
    }

    fn carry_out(&mut self, filter: &Filter, decision: &Decision, pii: PiiHashes) -> Action {
        let blocked = filter.config.mode == Mode::Enforce && !decision.outcome.is_forwarded();
        let rules = decision.rule_ids();
        span(Stage::Metrics, || {
            filter.metrics.record(decision.outcome, &rules)
        });
        // The configured filter state needs the JSON text; a blocked signup's answer writes
        // it (or its page) itself.
        let json = filter
            .config
            .decision_state
            .then(|| span(Stage::DecisionJson, || decision.to_json()));
        let record = AuditRecord {
            event: "cipgate.decision",
            time: self.arrived_ms.map(audit::rfc3339),
            request_id: self.request_id.as_deref(),
            client_ip: self.facts.client_ip,
            method: &self.method,
            path: &self.path,
            mode: match filter.config.mode {
                Mode::Enforce => "enforce",
                Mode::Audit => "audit",
            },
            outcome: decision.outcome.as_str(),
            status: decision.status,
            action: if blocked { "blocked" } else { "forwarded" },
            rules: rules.clone(),
            policy_id: filter.policy.id(),
            policy_version: filter.policy.version(),
            policy_sha256: filter.policy.sha256(),
            policy_lists: &filter.policy.ir().meta.list_versions,
            hits: decision
                .violations
                .iter()
                .filter_map(|v| v.hit.as_ref())
                .collect(),
            pii_hashes: pii,
        };
        // A decision without its audit record is not carried out: the record is what the
        // rule asks the provider to keep.
        let audit = span(Stage::AuditJson, || record.to_json());
        let written = span(Stage::FilterState, || {
            set_filter_state(AUDIT_STATE, &audit)?;
            match (&json, filter.config.decision_state) {
                (Some(json), true) => set_filter_state(DECISION_STATE, json),
                _ => Ok(()),
            }
        });
        if let Err(why) = written {
            return self.fail(Some(filter), &why);
        }

        if blocked {
            return span(Stage::LocalReply, || self.reply(decision, json.as_deref()));
        }
        let mut tags = vec![
            (OUTCOME_HEADER, decision.outcome.as_str().to_owned()),
            (POLICY_HEADER, filter.policy.sha256().to_owned()),
        ];
        if decision.outcome != Outcome::Allow {
            tags.push((RULES_HEADER, rules.join(",")));
        }
        if filter.config.mode == Mode::Audit {
            tags.push((MODE_HEADER, "audit".to_owned()));
        }
        let tagged = span(Stage::HeadersSet, || {
            tags.iter().try_for_each(|(name, value)| {
                hostcalls::set_map_value(MapType::HttpRequestHeaders, name, Some(value))
                    .map_err(|s| format!("setting header {name} failed: {s:?}"))
            })
        });
        if let Err(why) = tagged {
            return self.fail(Some(filter), &why);
        }
        self.state = State::Passthrough;
        Action::Continue
    }

    /// Answers a blocked signup as the client asked: the decision JSON or its page.
    fn reply(&mut self, decision: &Decision, json: Option<&str>) -> Action {
        self.state = State::Replied;
        let reply = reply::blocked(&self.answer, decision, json);
        reply::send(u32::from(decision.status), &reply);
        Action::Pause
    }

    /// A failure of the filter itself. Enforce mode fails closed with 503; audit mode
    /// promised to let everything through, so it does, untagged.
    fn fail(&mut self, filter: Option<&Filter>, why: &str) -> Action {
        log(LogLevel::Error, &format!("cipgate: filter failure: {why}"));
        if let Some(filter) = filter {
            increment(filter.metrics.errors);
            if filter.config.mode == Mode::Audit {
                self.state = State::Passthrough;
                return Action::Continue;
            }
        }
        self.state = State::Replied;
        reply::send(503, &reply::filter_failure());
        Action::Pause
    }
}

/// The request headers as the SDK reads them: names, and values as sent.
type Headers = [(String, Vec<u8>)];

/// The values of request header `wanted`, in order, as text (invalid UTF-8 replaced);
/// borrowed, since nearly every value is valid.
fn header_values<'h>(headers: &'h Headers, wanted: &'h str) -> impl Iterator<Item = Cow<'h, str>> {
    headers
        .iter()
        .filter(move |(name, _)| name == wanted)
        .map(|(_, value)| match std::str::from_utf8(value) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(value),
        })
}

/// Several lines of a list header are one list (RFC 9110, section 5.3): their values joined
/// with `, `, or `None` when there is none.
fn joined_values(headers: &Headers, wanted: &str) -> Option<String> {
    let mut values = header_values(headers, wanted);
    let mut joined = values.next()?.into_owned();
    for value in values {
        joined.push_str(", ");
        joined.push_str(&value);
    }
    Some(joined)
}

fn set_filter_state(key: &str, value: &str) -> Result<(), String> {
    hostcalls::set_property(vec![key], Some(value.as_bytes()))
        .map_err(|s| format!("setting {key} failed: {s:?}"))
}

fn key(filter: &Filter) -> Option<&[u8]> {
    filter.config.audit_hash_key.as_deref()
}

fn now_millis() -> Option<i64> {
    hostcalls::get_current_time()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_millis()).ok())
}
