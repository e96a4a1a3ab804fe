"""Failure of the Wasm VM itself, in the real Envoy: a filter that traps (a Rust panic aborts
the module) must never let the request, or any later one, through to the signup service
unchecked. The cipgate module is written not to panic, so the harness's probe filter
(host-test/fixtures/probe-filter, which panics on `x-probe-action: panic`) stands in for it in
the configuration `cipgate build` writes, with only `failure_policy` changed per test.

FAIL_CLOSED (the default, and what the example configuration sets) answers 503 for the request
that trapped and for every later one on that worker. FAIL_RELOAD answers 503 until a new VM is
up, then serves again. FAIL_OPEN is shown for what it is: after a trap, requests reach the
upstream without any check, which is why docs/security.md allows it only in audit mode.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import REPO, Envoy, envoy_binary, envoy_config, free_port

BODY = b'{"customer": {"kind": "individual"}}'


@pytest.fixture(scope="module")
def probe_module() -> Path:
    """The probe filter, built for wasm32-wasip1 as the harness tests build it."""
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "host-test-fixtures"
    manifest = REPO / "host-test" / "fixtures" / "probe-filter" / "Cargo.toml"
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "--target", "wasm32-wasip1",
         "--manifest-path", str(manifest), "--target-dir", str(target_dir)],
        check=True, capture_output=True, timeout=600,
    )
    module = target_dir / "wasm32-wasip1" / "release" / "probe_filter.wasm"
    assert module.is_file()
    return module


@pytest.fixture(scope="module")
def start_with_policy(dist, upstream, probe_module):
    """``start(failure_policy)``: Envoy from the example configuration with the probe filter
    in cipgate's place."""
    started: list[tuple[Envoy, Path]] = []

    def start(failure_policy: str | None) -> Envoy:
        workdir = Path(tempfile.mkdtemp(prefix="cipgate-failure-"))
        ports = {"listener": free_port(), "admin": free_port()}
        config = envoy_config(
            example=dist.example, module=probe_module, listener_port=ports["listener"],
            admin_port=ports["admin"], upstream_port=upstream.port,
            access_log=workdir / "access.log", audit_log=workdir / "audit.log", plugin_config="",
        )
        hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
        (wasm,) = [f for f in hcm["typed_config"]["http_filters"] if f["name"] == "cipgate"]
        if failure_policy is None:
            wasm["typed_config"]["config"].pop("failure_policy", None)
        else:
            wasm["typed_config"]["config"]["failure_policy"] = failure_policy
        proxy = Envoy(envoy_binary(), workdir, config, ports)
        started.append((proxy, workdir))
        proxy.wait_ready()
        return proxy

    yield start
    for proxy, workdir in started:
        proxy.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def post(proxy, action: str | None = None) -> tuple[int, bytes, str | None]:
    headers = {"content-type": "application/json"}
    if action:
        headers["x-probe-action"] = action
    conn = proxy.connect()
    try:
        conn.request("POST", "/signup", body=BODY, headers=headers)
        r = conn.getresponse()
        return r.status, r.read(), r.getheader("x-request-id")
    finally:
        conn.close()


def settled(upstream, before: int) -> int:
    time.sleep(0.3)
    return len(upstream.received) - before


def wasm_stats(proxy) -> dict[str, int]:
    stats = {}
    for line in proxy.admin_get("/stats").splitlines():
        name, _, value = line.partition(": ")
        if name.startswith("wasm.") and value.isdigit():
            stats[name] = int(value)
    return stats


def test_the_example_configuration_fails_closed(dist):
    text = dist.example.read_text()
    assert "failure_policy: FAIL_CLOSED" in text


@pytest.mark.parametrize("failure_policy", ["FAIL_CLOSED", None], ids=["explicit", "default"])
def test_a_trap_fails_closed_for_that_request_and_every_later_one(
        start_with_policy, upstream, failure_policy):
    proxy = start_with_policy(failure_policy)
    # The probe works: a request goes through, inspected.
    before = len(upstream.received)
    status, _, _ = post(proxy)
    assert status == 200
    assert settled(upstream, before) == 1
    assert upstream.received[-1].header("x-probe-body-len") == str(len(BODY))

    before = len(upstream.received)
    status, body, _ = post(proxy, "panic")
    assert status == 503, body
    assert settled(upstream, before) == 0
    assert "probe panic on purpose" in proxy.log_text()
    # The VM stays failed: nothing passes, checked or not, until a reload.
    for _ in range(5):
        status, _, _ = post(proxy)
        assert status == 503
    assert settled(upstream, before) == 0
    # And it is not reloaded behind the operator's back.
    assert wasm_stats(proxy)["wasm.cipgate.vm_reload_success"] == 0


def test_fail_reload_answers_503_until_a_new_vm_serves(start_with_policy, upstream):
    proxy = start_with_policy("FAIL_RELOAD")
    before = len(upstream.received)
    status, _, _ = post(proxy, "panic")
    assert status == 503
    assert settled(upstream, before) == 0
    # Every request is either refused (503, nothing upstream) or inspected by a new VM.
    deadline = time.monotonic() + 30
    refused = 0
    while True:
        before = len(upstream.received)
        status, _, _ = post(proxy)
        if status == 200:
            assert settled(upstream, before) == 1
            assert upstream.received[-1].header("x-probe-body-len") == str(len(BODY))
            break
        assert status == 503
        assert settled(upstream, before) == 0
        refused += 1
        assert time.monotonic() < deadline, "no new VM after 30 s"
        time.sleep(0.2)
    print(f"FAIL_RELOAD: {refused} requests refused before the new VM served")
    stats = wasm_stats(proxy)
    assert stats["wasm.cipgate.vm_reload_success"] >= 1, stats
    # A second trap is handled the same way.
    before = len(upstream.received)
    assert post(proxy, "panic")[0] == 503
    assert settled(upstream, before) == 0


def test_fail_open_lets_unchecked_requests_through(start_with_policy, upstream):
    """Why FAIL_OPEN is for audit mode only: after a trap the filter is skipped."""
    proxy = start_with_policy("FAIL_OPEN")
    before = len(upstream.received)
    post(proxy, "panic")
    status, _, _ = post(proxy)
    assert status == 200
    got = upstream.received[before:]
    assert got, "FAIL_OPEN forwarded nothing"
    # Forwarded without the filter having seen it: no probe headers.
    assert got[-1].header("x-probe-body-len") is None
