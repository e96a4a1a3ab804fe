//! Where a request's time goes inside the filter, stage by stage, measured in the real Envoy:
//! the per-callback profile of `scripts/bench`. Only a module built with the `profile`
//! feature measures anything; in every other build [`span`] is the closure itself.
//!
//! A stage's time is read from inside the VM with WASI's monotonic clock, so it includes the
//! host's side of the calls it makes (copying headers and the body in, setting filter state).
//! Totals reach the benchmark as counters (`cipgate_profile.<stage>.ns` and `.calls`),
//! flushed every thousand requests so that reporting them costs next to nothing.

/// The stages of a request, in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `on_http_request_headers`, all of it.
    HeadersCallback,
    /// Reading the request headers into the VM.
    HeadersRead,
    /// The client IP, geolocation and time.
    Facts,
    /// `on_http_request_body` (and trailers), all of it.
    BodyCallback,
    /// Copying the buffered body into the VM.
    BodyRead,
    /// Decoding and deciding the body (`CompiledPolicy::evaluate`), hashes' inputs included.
    Evaluate,
    /// The keyed hashes of the identifying fields.
    Hashes,
    /// The decision JSON: for filter state, or inside `LocalReply` for a JSON answer.
    DecisionJson,
    /// The audit record's JSON line.
    AuditJson,
    /// Writing filter state.
    FilterState,
    /// Counters.
    Metrics,
    /// Setting the `x-cipgate-*` headers on a forwarded request.
    HeadersSet,
    /// Writing (the decision JSON or its page) and sending a local reply.
    LocalReply,
    /// A span around nothing: what the clock itself costs per span, subtracted by the report.
    Clock,
}

#[cfg(feature = "profile")]
pub use measured::{define, request_done, span};

#[cfg(not(feature = "profile"))]
#[inline(always)]
pub fn span<T>(_stage: Stage, run: impl FnOnce() -> T) -> T {
    run()
}

#[cfg(not(feature = "profile"))]
#[inline(always)]
pub fn request_done() {}

#[cfg(feature = "profile")]
mod measured {
    use super::Stage;
    use proxy_wasm::hostcalls;
    use proxy_wasm::types::MetricType;
    use std::cell::RefCell;
    use std::time::Instant;

    /// Requests between two flushes of the totals into counters.
    pub const FLUSH_EVERY: u64 = 1000;

    const STAGES: [(Stage, &str); 14] = [
        (Stage::HeadersCallback, "headers_callback"),
        (Stage::HeadersRead, "headers_read"),
        (Stage::Facts, "facts"),
        (Stage::BodyCallback, "body_callback"),
        (Stage::BodyRead, "body_read"),
        (Stage::Evaluate, "evaluate"),
        (Stage::Hashes, "hashes"),
        (Stage::DecisionJson, "decision_json"),
        (Stage::AuditJson, "audit_json"),
        (Stage::FilterState, "filter_state"),
        (Stage::Metrics, "metrics"),
        (Stage::HeadersSet, "headers_set"),
        (Stage::LocalReply, "local_reply"),
        (Stage::Clock, "clock"),
    ];

    #[derive(Default)]
    struct Totals {
        ns: [u64; STAGES.len()],
        calls: [u64; STAGES.len()],
        requests: u64,
        /// Counter ids: (ns, calls) per stage, then requests.
        metrics: Option<(Vec<(u32, u32)>, u32)>,
    }

    thread_local! {
        static TOTALS: RefCell<Totals> = RefCell::default();
    }

    fn index(stage: Stage) -> usize {
        STAGES.iter().position(|(s, _)| *s == stage).unwrap_or(0)
    }

    /// Defines the counters; called once from `on_configure`.
    pub fn define() {
        let counter = |name: String| hostcalls::define_metric(MetricType::Counter, &name).ok();
        let stages: Option<Vec<(u32, u32)>> = STAGES
            .iter()
            .map(|(_, name)| {
                Some((
                    counter(format!("cipgate_profile.{name}.ns"))?,
                    counter(format!("cipgate_profile.{name}.calls"))?,
                ))
            })
            .collect();
        let requests = counter("cipgate_profile.requests".to_owned());
        TOTALS.with(|t| t.borrow_mut().metrics = stages.zip(requests));
    }

    pub fn span<T>(stage: Stage, run: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = run();
        let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        TOTALS.with(|t| {
            let mut t = t.borrow_mut();
            let i = index(stage);
            if let Some(total) = t.ns.get_mut(i) {
                *total += ns;
            }
            if let Some(calls) = t.calls.get_mut(i) {
                *calls += 1;
            }
        });
        out
    }

    /// Counts a request; every `FLUSH_EVERY` requests the totals go to the counters.
    pub fn request_done() {
        span(Stage::Clock, || ());
        TOTALS.with(|t| {
            let mut t = t.borrow_mut();
            t.requests += 1;
            if t.requests < FLUSH_EVERY {
                return;
            }
            if let Some((stages, requests)) = &t.metrics {
                for ((ns_id, calls_id), (ns, calls)) in stages.iter().zip(t.ns.iter().zip(&t.calls))
                {
                    let _ =
                        hostcalls::increment_metric(*ns_id, i64::try_from(*ns).unwrap_or(i64::MAX));
                    let _ = hostcalls::increment_metric(
                        *calls_id,
                        i64::try_from(*calls).unwrap_or(i64::MAX),
                    );
                }
                let _ = hostcalls::increment_metric(
                    *requests,
                    i64::try_from(t.requests).unwrap_or(i64::MAX),
                );
            }
            t.ns = Default::default();
            t.calls = Default::default();
            t.requests = 0;
        });
    }
}
