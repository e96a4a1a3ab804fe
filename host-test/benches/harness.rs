//! Module instantiation time and decisions per second of the cipgate Envoy module in the
//! harness. Reports only; never fails on numbers. Build the module first:
//! `cargo build --release --target wasm32-wasip1 -p cipgate-envoy`, then
//! `cargo bench -p cipgate-host-test` (`CIPGATE_ENVOY_WASM` points elsewhere).

use cipgate_host_test::{FilterModule, HttpRequest, Verdict};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const ALLOW: &str = r#"{"customer":{"kind":"individual","legal_name":"Dana Whitfield","us_person":true,"email":"dana@example.com","phone":"+1 512 555 0142","address":{"line1":"401 Congress Ave","city":"Austin","region":"US-TX","postal_code":"78701","country":"US"}},"payment":{"method":"card","institution":"Chase","country":"US","reference":"4111********1111"}}"#;
const DENY: &str = r#"{"customer":{"kind":"individual","legal_name":"Reza Tehrani","email":"reza@example.com","phone":"+98 21 1234 5678","address":{"line1":"1 Valiasr St","city":"Tehran","postal_code":"1234567890","country":"IR"}},"payment":{"method":"card","institution":"Bank Melli","country":"IR","reference":"6037********1234"}}"#;

fn module_path() -> PathBuf {
    std::env::var_os("CIPGATE_ENVOY_WASM").map_or_else(
        || {
            let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
                || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
                PathBuf::from,
            );
            target.join("wasm32-wasip1/release/cipgate_envoy.wasm")
        },
        PathBuf::from,
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo test --benches` runs this with `--test`-like flags too; only `--bench` measures.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let path = module_path();
    let started = Instant::now();
    let module = FilterModule::from_file(&path)?;
    println!(
        "compile {} ({} KiB): {:.1} ms",
        path.display(),
        std::fs::metadata(&path)?.len() / 1024,
        started.elapsed().as_secs_f64() * 1e3
    );

    let mut samples = Vec::new();
    for _ in 0..50 {
        let started = Instant::now();
        let filter = module.instantiate(b"{}")?;
        samples.push(started.elapsed());
        drop(filter);
    }
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / 50;
    println!(
        "instantiate + start + configure: mean {:.0} us, median {:.0} us, min {:.0} us (50 runs)",
        mean.as_secs_f64() * 1e6,
        samples.get(25).map_or(0.0, |d| d.as_secs_f64() * 1e6),
        samples.first().map_or(0.0, |d| d.as_secs_f64() * 1e6),
    );

    for (name, body, chunk) in [
        ("allow, one chunk", ALLOW, None),
        ("deny, one chunk", DENY, None),
        ("allow, 64-byte chunks", ALLOW, Some(64)),
    ] {
        let mut filter = module.instantiate(b"{}")?;
        let mut request = HttpRequest::new("POST", "/signup")
            .header("content-type", "application/json")
            .property(&["source", "address"], "127.0.0.1:50000")
            .body(body);
        request.chunk_size = chunk;
        let expected_forwarded = body == ALLOW;
        let (mut count, started) = (0u64, Instant::now());
        while started.elapsed() < Duration::from_secs(2) {
            let exchange = filter.send(&request)?;
            let forwarded = matches!(exchange.verdict, Verdict::Forwarded { .. });
            if forwarded != expected_forwarded {
                return Err(format!("unexpected verdict {:?}", exchange.verdict).into());
            }
            count += 1;
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{name}: {:.0} decisions/s ({:.1} us per request, {count} requests)",
            count as f64 / secs,
            secs / count as f64 * 1e6
        );
    }
    Ok(())
}
