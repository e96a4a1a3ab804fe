"""A fleet loads the module from a URL: the configuration ``cipgate build --module-url`` writes
(``vm_config.code.remote`` with the module's sha256, retries, and the cluster it is fetched
through), in the real Envoy, with the module served by an HTTP server the test starts.

The expected decisions come from the native evaluator, never from this file.
"""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import EXAMPLES, LOOPBACK, REPO
from test_filter import JSON, assert_enforced, assert_upstream_never_saw, http1, native  # noqa: F401


class ModuleServer(http.server.ThreadingHTTPServer):
    """Serves one directory and counts the requests for each path."""

    daemon_threads = True

    def __init__(self, directory: Path):
        server = self
        self.fetched: list[str] = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):
                server.fetched.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        super().__init__((LOOPBACK, 0), functools.partial(Handler, directory=str(directory)))
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def remote_build(cipgate_bin, tmp_path_factory):
    out = tmp_path_factory.mktemp("remote") / "dist"
    out.mkdir()
    server = ModuleServer(out)
    url = f"http://{LOOPBACK}:{server.port}/us-iaas-cip.wasm"
    run = subprocess.run([str(cipgate_bin), "build", str(REPO / "policies" / "us-iaas-cip.yaml"),
                          "-o", str(out), "--no-web", "--module-url", url],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    yield out, server
    server.shutdown()
    server.server_close()


def module_sha256(out: Path) -> str:
    return json.loads((out / "manifest.json").read_text())["module"]["sha256"]


def test_the_fetched_module_enforces_the_policy(envoy_factory, upstream, native, remote_build):
    out, server = remote_build
    text = (out / "envoy.yaml").read_text()
    assert f"sha256: {module_sha256(out)}" in text
    before_fetches = len(server.fetched)
    proxy = envoy_factory(None, example=out / "envoy.yaml")
    assert server.fetched[before_fetches:] == ["/us-iaas-cip.wasm"]
    for name in ("embargoed-address.json", "foreign-individual-complete.json"):
        body = (EXAMPLES / name).read_bytes()
        expected_text, expected = native(body)
        before = len(upstream.received)
        response = http1(proxy, body, {"content-type": JSON})
        assert_enforced(response, expected_text, expected, upstream, before, body)


def test_a_module_whose_sha256_differs_never_runs(envoy_factory, upstream, remote_build):
    """Envoy 1.40 starts, but the plugin fails to load and the route fails closed: every
    signup gets 503 and none reaches the service (observed; Envoy does not refuse to start)."""
    out, _ = remote_build

    def tampered(config: dict):
        (listener,) = config["static_resources"]["listeners"]
        (hcm,) = listener["filter_chains"][0]["filters"]
        (cipgate,) = [f for f in hcm["typed_config"]["http_filters"] if f["name"] == "cipgate"]
        cipgate["typed_config"]["config"]["vm_config"]["code"]["remote"]["sha256"] = "0" * 64

    proxy = envoy_factory(None, example=out / "envoy.yaml", edit=tampered)
    body = (EXAMPLES / "foreign-individual-complete.json").read_bytes()
    deadline = time.monotonic() + 15
    while "failed to load" not in proxy.log_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "Plugin cipgate failed to load" in proxy.log_text()
    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": JSON})
    assert response.status == 503
    assert_upstream_never_saw(upstream, response, before)


def test_a_module_url_envoy_cannot_fetch_from_is_refused_at_build(cipgate_bin, tmp_path):
    for url, why in [("ftp://example.com/m.wasm", "http or https"),
                     ("https://user:secret@example.com/m.wasm", "credentials")]:
        run = subprocess.run([str(cipgate_bin), "build", str(REPO / "policies" / "us-iaas-cip.yaml"),
                              "-o", str(tmp_path / "dist"), "--module-url", url],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 1 and why in run.stderr, run.stderr
        assert not (tmp_path / "dist").exists()
