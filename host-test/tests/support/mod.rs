//! Finds or builds the modules the harness tests run.

// Test code: a missing module fails the test loudly. Each test binary uses a subset.
#![allow(clippy::expect_used, clippy::panic, dead_code)]

use cipgate_host_test::FilterModule;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn workspace_target() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
    }
}

/// The probe fixture, built for wasm32-wasip1 on first use. It has its own cargo workspace
/// and target directory, so building it here never waits on the cargo running these tests,
/// and it is always rebuilt from the current source (cargo skips the work when unchanged).
pub fn probe() -> &'static FilterModule {
    static PROBE: OnceLock<FilterModule> = OnceLock::new();
    PROBE.get_or_init(|| {
        let manifest =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/probe-filter/Cargo.toml");
        let target_dir = workspace_target().join("host-test-fixtures");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "--release",
                "--locked",
                "--target",
                "wasm32-wasip1",
            ])
            .arg("--manifest-path")
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target_dir)
            .status()
            .expect("cannot run cargo to build the probe filter");
        assert!(
            status.success(),
            "building the probe filter failed (is the target installed? \
             `rustup target add wasm32-wasip1`)"
        );
        let wasm = target_dir.join("wasm32-wasip1/release/probe_filter.wasm");
        FilterModule::from_file(&wasm).unwrap_or_else(|e| panic!("{}: {e}", wasm.display()))
    })
}

/// The real cipgate Envoy module of the default policy. The test command builds it first
/// (`cipgate build policies/us-iaas-cip.yaml -o dist`); a missing module is a failure, never
/// a skip. `CIPGATE_ENVOY_WASM` points elsewhere (e.g. a release artifact).
pub fn cipgate() -> &'static FilterModule {
    static CIPGATE: OnceLock<FilterModule> = OnceLock::new();
    CIPGATE.get_or_init(|| {
        let wasm = std::env::var_os("CIPGATE_ENVOY_WASM").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist/us-iaas-cip.wasm"),
            PathBuf::from,
        );
        assert!(
            wasm.is_file(),
            "the cipgate Envoy module is missing at {}: build it first with \
             `cipgate build policies/us-iaas-cip.yaml -o dist` \
             (or set CIPGATE_ENVOY_WASM)",
            wasm.display()
        );
        FilterModule::from_file(&wasm).unwrap_or_else(|e| panic!("{}: {e}", wasm.display()))
    })
}
