"""The npm package through a real bundler: an app imports ``@cipgate/us-iaas-cip`` by name,
esbuild (pinned, from the npm registry; scripts/setup installs it) bundles it, and headless
Chromium runs the bundle. Its decisions are the gateway's bytes (``cipgate check``), never
written here."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import EXAMPLES, LOOPBACK, REPO
from test_web_node import installed  # noqa: F401 (fixture)

ESBUILD = REPO / ".venv" / "npm" / "node_modules" / ".bin" / "esbuild"
TIME = 1_767_225_600

APP = """import { init, decide } from "@cipgate/us-iaas-cip";
// The module beside the bundle: bundlers copy assets, the app says where they went.
window.cipgateReady = init(new URL("./cipgate_web_bg.wasm", import.meta.url))
  .then(() => ({ init, decide }));
"""

PAGE = """<!doctype html><meta charset="utf-8"><title>bundled</title>
<script type="module" src="app.js"></script>"""


@pytest.fixture(scope="module")
def bundled(installed, tmp_path_factory):  # noqa: F811
    project, package = installed
    assert ESBUILD.is_file(), f"{ESBUILD} is missing: run scripts/setup"
    (project / "app.js").write_text(APP)
    out = tmp_path_factory.mktemp("bundle")
    run = subprocess.run([str(ESBUILD), "app.js", "--bundle", "--format=esm",
                          f"--outfile={out / 'app.js'}"], cwd=project, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    bundle = (out / "app.js").read_text()
    # The browser entry went in, not Node's (which reads the module with node:fs).
    assert "node:fs" not in bundle
    shutil.copy(project / "node_modules" / "@cipgate" / "us-iaas-cip" / "cipgate_web_bg.wasm", out)
    (out / "index.html").write_text(PAGE)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(out))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{LOOPBACK}:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


def test_the_bundled_package_decides_with_the_gateway_bytes(bundled, chromium, cipgate_bin):
    chromium.get(bundled)
    names = sorted(p.name for p in EXAMPLES.glob("*.json"))
    bodies = {name: (EXAMPLES / name).read_text() for name in names}
    got = chromium.execute_async_script(
        """const [bodies, time, done] = arguments;
        window.cipgateReady.then(({ decide }) => {
          const out = {};
          for (const [name, body] of Object.entries(bodies))
            out[name] = decide(body, "application/json", { time });
          done(out);
        }, (e) => done({ error: String(e) }));""", bodies, TIME)
    assert "error" not in got, got
    for name in names:
        native = subprocess.run([str(cipgate_bin), "check", "--policy",
                                 str(REPO / "policies" / "us-iaas-cip.yaml"), "--time", str(TIME),
                                 str(EXAMPLES / name)], capture_output=True, text=True, timeout=60)
        assert native.returncode in (0, 3, 4, 5), native.stderr
        assert got[name] == native.stdout.rstrip("\n"), name
    assert json.loads(got["embargoed-address.json"])["outcome"] == "deny"
