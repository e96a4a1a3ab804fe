//! The harness's own tests, against the probe fixture filter (`fixtures/probe-filter`) and
//! tiny hand-written modules. The probe reports what the host showed it as request headers,
//! so each test checks the host's side (callbacks, verdict) against the guest's view.

// Test code: a failed expectation panics.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use cipgate_host_test::{
    Action, Callback, FilterModule, HarnessError, HttpRequest, InstanceOptions, LogLevel, Phase,
    Verdict,
};

type Headers = [(String, String)];

fn forwarded(verdict: &Verdict) -> (&Headers, &[u8], Option<&Headers>) {
    match verdict {
        Verdict::Forwarded {
            headers,
            body,
            trailers,
        } => (headers, body, trailers.as_deref()),
        other => panic!("expected the request to go upstream, got {other:?}"),
    }
}

fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn body_callbacks(callbacks: &[Callback]) -> Vec<(usize, bool, Action)> {
    callbacks
        .iter()
        .filter(|c| c.phase == Phase::RequestBody)
        .map(|c| (c.size, c.end_of_stream, c.action))
        .collect()
}

#[test]
fn chunked_body_arrives_buffered_and_cumulative_with_end_of_stream_last() {
    let mut filter = support::probe().instantiate(b"").unwrap();
    let body = b"0123456789".to_vec();
    let exchange = filter
        .send(
            &HttpRequest::new("POST", "/signup")
                .body(body.clone())
                .chunk_size(4),
        )
        .unwrap();

    let first = &exchange.callbacks[0];
    assert_eq!(
        (first.phase, first.end_of_stream),
        (Phase::RequestHeaders, false)
    );
    assert_eq!(
        body_callbacks(&exchange.callbacks),
        [
            (4, false, Action::Pause),
            (8, false, Action::Pause),
            (10, true, Action::Continue)
        ]
    );
    let (headers, upstream_body, trailers) = forwarded(&exchange.verdict);
    // The guest saw the same sizes and read the whole buffered body at the end.
    assert_eq!(
        header(headers, "x-probe-body-calls"),
        Some("4:more,8:more,10:end")
    );
    assert_eq!(header(headers, "x-probe-body-len"), Some("10"));
    assert_eq!(upstream_body, b"0123456789+probe");
    assert_eq!(trailers, None);
}

#[test]
fn uneven_chunk_sizes_are_delivered_in_order_and_cycled() {
    let mut filter = support::probe().instantiate(b"").unwrap();
    let exchange = filter
        .send(
            &HttpRequest::new("POST", "/signup")
                .body("0123456789")
                .chunk_sizes(&[3, 0, 2]),
        )
        .unwrap();
    // 3, 1 (a zero is one byte), 2, then again 3 and the last byte.
    let (headers, upstream_body, _) = forwarded(&exchange.verdict);
    assert_eq!(
        header(headers, "x-probe-body-calls"),
        Some("3:more,4:more,6:more,9:more,10:end")
    );
    assert_eq!(upstream_body, b"0123456789+probe");
}

#[test]
fn a_body_without_chunk_size_is_one_callback_and_no_body_ends_at_the_headers() {
    let mut filter = support::probe().instantiate(b"").unwrap();
    let exchange = filter
        .send(&HttpRequest::new("POST", "/").body("abc"))
        .unwrap();
    assert_eq!(
        body_callbacks(&exchange.callbacks),
        [(3, true, Action::Continue)]
    );

    let exchange = filter.send(&HttpRequest::new("GET", "/")).unwrap();
    assert_eq!(exchange.callbacks.len(), 1);
    assert!(exchange.callbacks[0].end_of_stream);
    let (headers, body, _) = forwarded(&exchange.verdict);
    assert_eq!(header(headers, ":method"), Some("GET"));
    assert_eq!(header(headers, "x-probe-body-calls"), Some(""));
    assert!(body.is_empty());
}

#[test]
fn trailers_follow_a_body_that_never_ends_the_stream() {
    let mut filter = support::probe().instantiate(b"").unwrap();
    let exchange = filter
        .send(
            &HttpRequest::new("POST", "/")
                .body("hello world")
                .chunk_size(6)
                .trailers(&[("X-Checksum", "abc"), ("x-other", "1")]),
        )
        .unwrap();

    assert_eq!(
        body_callbacks(&exchange.callbacks),
        [(6, false, Action::Pause), (11, false, Action::Pause)]
    );
    let last = exchange.callbacks.last().unwrap();
    assert_eq!((last.phase, last.size), (Phase::RequestTrailers, 2));
    let (headers, body, trailers) = forwarded(&exchange.verdict);
    assert_eq!(header(headers, "x-probe-trailers"), Some("2"));
    assert_eq!(
        header(headers, "x-probe-body-calls"),
        Some("6:more,11:more")
    );
    assert_eq!(body, b"hello world+probe");
    // Trailer names are lower-cased, as Envoy does; the guest looked one up by name.
    assert_eq!(trailers.unwrap()[0], ("x-checksum".into(), "abc".into()));
    assert!(exchange
        .logs
        .iter()
        .any(|l| l.message == "trailers: 2 x-checksum=abc"));
}

#[test]
fn trailers_without_a_body_skip_the_body_callbacks() {
    let mut filter = support::probe().instantiate(b"").unwrap();
    let exchange = filter
        .send(&HttpRequest::new("POST", "/").trailers(&[("x-checksum", "0")]))
        .unwrap();
    let phases: Vec<Phase> = exchange.callbacks.iter().map(|c| c.phase).collect();
    assert_eq!(phases, [Phase::RequestHeaders, Phase::RequestTrailers]);
    assert!(!exchange.callbacks[0].end_of_stream);
    forwarded(&exchange.verdict);
}

#[test]
fn a_local_reply_from_the_body_wins_over_the_pause_that_follows_it() {
    let mut filter = support::probe().instantiate(b"").unwrap();
    let exchange = filter
        .send(
            &HttpRequest::new("POST", "/")
                .body("please deny me")
                .chunk_size(5),
        )
        .unwrap();
    assert_eq!(
        exchange.verdict,
        Verdict::LocalReply {
            status: 403,
            details: String::new(),
            headers: vec![("x-probe".into(), "denied".into())],
            body: b"denied 14 bytes".to_vec(),
            grpc_status: None,
        }
    );
    assert_eq!(exchange.callbacks.last().unwrap().action, Action::Pause);
    assert_eq!(exchange.metrics["probe_denied_total"], 1);
}

#[test]
fn a_local_reply_at_the_headers_stops_the_body_from_reaching_the_filter() {
    let mut filter = support::probe().instantiate(b"").unwrap();
    let exchange = filter
        .send(
            &HttpRequest::new("POST", "/")
                .header("x-probe-action", "reply-at-headers")
                .body("never read"),
        )
        .unwrap();
    match &exchange.verdict {
        Verdict::LocalReply {
            status, headers, ..
        } => {
            assert_eq!(*status, 401);
            assert_eq!(headers, &[("www-authenticate".into(), "probe".into())]);
        }
        other => panic!("expected a local reply, got {other:?}"),
    }
    assert_eq!(exchange.callbacks.len(), 1);
}

#[test]
fn a_second_local_reply_is_refused_and_the_sdk_traps_failing_the_instance() {
    let mut filter = support::probe().instantiate(b"").unwrap();
    let error = filter
        .send(&HttpRequest::new("POST", "/").header("x-probe-action", "double-reply"))
        .unwrap_err();
    match &error {
        HarnessError::Trap { callback, logs, .. } => {
            assert_eq!(*callback, "proxy_on_request_headers");
            // The SDK's panic hook logs the reason at critical level before aborting.
            assert!(logs.iter().any(
                |l| l.level == LogLevel::Critical && l.message.contains("unexpected status: 2")
            ));
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    let next = filter.send(&HttpRequest::new("GET", "/"));
    assert!(matches!(next, Err(HarnessError::VmFailed)), "{next:?}");
}

#[test]
fn a_panic_in_the_filter_is_a_trap_with_its_message() {
    let mut filter = support::probe().instantiate(b"").unwrap();
    let error = filter
        .send(
            &HttpRequest::new("POST", "/")
                .header("x-probe-action", "panic")
                .body("x"),
        )
        .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("trapped in proxy_on_request_body"), "{text}");
    assert!(text.contains("probe panic on purpose"), "{text}");
}

#[test]
fn continue_stream_resumes_a_paused_request_and_a_pause_without_it_stalls() {
    let mut filter = support::probe().instantiate(b"").unwrap();
    let resumed = filter
        .send(
            &HttpRequest::new("POST", "/")
                .header("x-probe-action", "resume")
                .body("ok"),
        )
        .unwrap();
    assert_eq!(resumed.callbacks.last().unwrap().action, Action::Pause);
    assert_eq!(forwarded(&resumed.verdict).1, b"ok+probe");

    let stalled = filter
        .send(
            &HttpRequest::new("POST", "/")
                .header("x-probe-action", "stall")
                .body("ok"),
        )
        .unwrap();
    assert_eq!(
        stalled.verdict,
        Verdict::Stalled {
            after: Phase::RequestBody
        }
    );
}

#[test]
fn without_allow_on_headers_stop_iteration_a_pause_at_the_headers_stalls() {
    let mut filter = support::probe()
        .instantiate_with(InstanceOptions {
            allow_on_headers_stop_iteration: false,
            ..InstanceOptions::default()
        })
        .unwrap();
    let exchange = filter
        .send(&HttpRequest::new("POST", "/").body("body"))
        .unwrap();
    assert_eq!(
        exchange.verdict,
        Verdict::Stalled {
            after: Phase::RequestHeaders
        }
    );
    assert_eq!(exchange.callbacks.len(), 1);
}

#[test]
fn metrics_are_defined_incremented_recorded_and_read_back_per_instance() {
    let mut filter = support::probe().instantiate(b"").unwrap();
    let first = filter
        .send(&HttpRequest::new("POST", "/").body("12345"))
        .unwrap();
    let second = filter
        .send(&HttpRequest::new("POST", "/").body("123"))
        .unwrap();

    // The guest read the counter back through proxy_get_metric after incrementing it.
    assert_eq!(
        header(forwarded(&first.verdict).0, "x-probe-requests-seen"),
        Some("1")
    );
    assert_eq!(
        header(forwarded(&second.verdict).0, "x-probe-requests-seen"),
        Some("2")
    );
    assert_eq!(second.metrics["probe_requests_total"], 2);
    assert_eq!(second.metrics["probe_denied_total"], 0);
    assert_eq!(second.metrics["probe_last_body_bytes"], 3);
    assert_eq!(second.histograms["probe_body_bytes"], [5, 3]);
    assert_eq!(filter.metrics(), second.metrics);

    // A new instance starts from zero: nothing is shared between instances.
    let mut fresh = support::probe().instantiate(b"").unwrap();
    let exchange = fresh.send(&HttpRequest::new("GET", "/")).unwrap();
    assert_eq!(exchange.metrics["probe_requests_total"], 1);
}

#[test]
fn logs_are_captured_with_their_levels_per_request_and_per_instance() {
    let mut filter = support::probe()
        .instantiate_with(InstanceOptions {
            plugin_config: b"mode=test".to_vec(),
            vm_config: b"vm=1".to_vec(),
            ..InstanceOptions::default()
        })
        .unwrap();
    let exchange = filter
        .send(&HttpRequest::new("POST", "/").body("ab").chunk_size(1))
        .unwrap();
    let lines: Vec<(LogLevel, &str)> = exchange
        .logs
        .iter()
        .map(|l| (l.level, l.message.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (LogLevel::Debug, "headers: 4 end_of_stream=false"),
            (LogLevel::Trace, "body: 1 end_of_stream=false"),
            (LogLevel::Trace, "body: 2 end_of_stream=true"),
            (LogLevel::Info, "on_log context 2"),
        ]
    );
    let all = filter.logs();
    assert_eq!(all[0].message, "vm configuration: vm=1");
    assert_eq!(all[1].message, "plugin configuration: mode=test");
    assert_eq!(all.len(), 2 + lines.len());
}

#[test]
fn a_refused_configuration_is_an_error_carrying_the_filter_logs() {
    let error = support::probe().instantiate(b"refuse").err().unwrap();
    match &error {
        HarnessError::ConfigurationRefused { logs } => {
            assert_eq!(logs.last().unwrap().level, LogLevel::Error);
            assert_eq!(
                logs.last().unwrap().message,
                "refusing plugin configuration"
            );
        }
        other => panic!("expected a refused configuration, got {other:?}"),
    }
    let error = support::probe()
        .instantiate_with(InstanceOptions {
            vm_config: b"refuse".to_vec(),
            ..InstanceOptions::default()
        })
        .err()
        .unwrap();
    assert!(
        matches!(error, HarnessError::VmStartRefused { .. }),
        "{error:?}"
    );
}

#[test]
fn properties_clock_shared_data_and_header_edits_reach_the_filter() {
    let mut filter = support::probe().instantiate(b"").unwrap();
    let request = HttpRequest::new("POST", "/")
        .header("X-Probe-Remove-Me", "gone")
        .property(&["source", "address"], "127.0.0.1:40000")
        .time_nanos(1_700_000_000_123_456_789)
        .body("x");
    let first = filter.send(&request).unwrap();
    let second = filter.send(&request).unwrap();

    let (headers, _, _) = forwarded(&first.verdict);
    assert_eq!(header(headers, "x-probe-source"), Some("127.0.0.1:40000"));
    assert_eq!(header(headers, "x-probe-time"), Some("1700000000123456789"));
    assert_eq!(header(headers, "x-probe-property"), Some("yes"));
    let state_key = vec!["probe".to_string(), "seen".to_string()];
    assert_eq!(first.filter_state[&state_key], b"yes");
    assert_eq!(header(headers, "x-probe-remove-me"), None);
    // Shared data persists across requests of one instance, updated with compare-and-swap.
    assert_eq!(header(headers, "x-probe-shared-count"), Some("1"));
    assert_eq!(
        header(forwarded(&second.verdict).0, "x-probe-shared-count"),
        Some("2")
    );

    let no_property = filter.send(&HttpRequest::new("GET", "/")).unwrap();
    assert_eq!(
        header(forwarded(&no_property.verdict).0, "x-probe-source"),
        Some("")
    );
}

#[test]
fn instances_run_in_parallel_without_sharing_state() {
    let module = support::probe().clone();
    let threads: Vec<_> = (0..8u64)
        .map(|n| {
            let module = module.clone();
            std::thread::spawn(move || {
                let mut filter = module.instantiate(b"").unwrap();
                for i in 0..(n + 1) {
                    let body = "x".repeat(usize::try_from(n * 10 + i + 1).unwrap());
                    let exchange = filter
                        .send(
                            &HttpRequest::new("POST", "/")
                                .body(body.clone())
                                .chunk_size(3),
                        )
                        .unwrap();
                    let (headers, _, _) = forwarded(&exchange.verdict);
                    assert_eq!(
                        header(headers, "x-probe-body-len"),
                        Some(&*body.len().to_string())
                    );
                    assert_eq!(
                        header(headers, "x-probe-shared-count"),
                        Some(&*(i + 1).to_string())
                    );
                }
                filter.metrics()["probe_requests_total"]
            })
        })
        .collect();
    let counts: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(counts, (1..=8).collect::<Vec<u64>>());
}

/// A module with the ABI marker and memory, importing `extra` besides.
fn module_importing(extra: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
             {extra}
             (memory (export "memory") 1)
             (func (export "proxy_abi_version_0_2_1"))
             (func (export "proxy_on_memory_allocate") (param i32) (result i32) i32.const 0)
             (func (export "proxy_on_context_create") (param i32 i32)))"#
    ))
    .unwrap()
}

#[test]
fn an_unknown_import_fails_loading_with_its_name() {
    let wasm = module_importing(
        r#"(import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))
           (import "env" "proxy_does_not_exist" (func (param i32) (result i32)))"#,
    );
    match FilterModule::from_bytes(&wasm) {
        Err(HarnessError::UnknownImport { module, name }) => {
            assert_eq!(
                (module.as_str(), name.as_str()),
                ("env", "proxy_does_not_exist")
            );
        }
        Err(other) => panic!("expected an unknown import, got {other}"),
        Ok(_) => panic!("a module with an unknown import loaded"),
    }
    let message = FilterModule::from_bytes(&wasm).err().unwrap().to_string();
    assert!(message.contains("`env.proxy_does_not_exist`"), "{message}");
}

#[test]
fn known_imports_with_the_wrong_signature_or_a_missing_abi_marker_are_refused() {
    let wrong = module_importing(r#"(import "env" "proxy_log" (func (param i32) (result i32)))"#);
    let error = FilterModule::from_bytes(&wrong).err().unwrap();
    assert!(matches!(error, HarnessError::Link(_)), "{error}");
    assert!(error.to_string().contains("proxy_log"), "{error}");

    let no_marker = wat::parse_str(r#"(module (memory (export "memory") 1))"#).unwrap();
    let error = FilterModule::from_bytes(&no_marker).err().unwrap();
    assert!(
        matches!(error, HarnessError::UnsupportedAbi { .. }),
        "{error}"
    );

    let minimal = module_importing(
        r#"(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))"#,
    );
    let mut filter = FilterModule::from_bytes(&minimal)
        .unwrap()
        .instantiate(b"")
        .unwrap();
    // No request callbacks exported: Envoy (and the harness) treat them as Continue.
    let exchange = filter
        .send(&HttpRequest::new("POST", "/").body("b"))
        .unwrap();
    assert_eq!(forwarded(&exchange.verdict).1, b"b");
}
