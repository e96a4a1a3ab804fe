#!/usr/bin/env python3
"""The cipgate benchmark suite (run it through ``scripts/bench``, which builds what it needs).

Measures, in one run on this machine, and writes ``BENCHMARKS.md`` and
``docs/bench-gateway.svg``:

1. gateway: the real Envoy (one worker, pinned to core 0) in front of ``bench-upstream`` (reads
   every body, keep-alive), loaded by ``wrk`` (pinned to core 1): passthrough, a buffer-only Wasm
   filter, cipgate, the Lua filter, json_to_metadata + RBAC; interleaved rounds;
2. evaluator: ``bench-evaluator`` (cipgate native and in wasmtime, regorus, cel, jsonschema);
3. start-up: wasmtime compile/instantiate, Envoy with and without the filter, Chromium;
4. size: both modules raw and gzipped, with a per-crate breakdown of the code;
5. memory: Envoy's RSS under load, and its growth over a window (``--long``: ten minutes).

Benchmarks report; they never pass or fail on numbers. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import http.server
import json
import os
import platform
import re
import resource
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
EXAMPLES = Path(os.environ.get("CIPGATE_EXAMPLES", REPO / "policies" / "examples" / "signups"))
LOOPBACK = "127.0.0.1"
ENVOY_CORE, CLIENT_CORE = "0", "1"

ALLOWED = ["foreign-individual-complete.json", "us-person-minimal.json", "foreign-organization-with-owners.json"]
DENIED = "embargoed-address.json"
INCOMPLETE = "foreign-individual-missing-phone.json"

# Configuration keys, in the order of every round (titles in report.py).
CONFIGS = ["passthrough", "buffer-wasm", "cipgate", "lua", "rbac"]


def say(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def sh(cmd, **kw) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} exited with {r.returncode}:\n{r.stdout}{r.stderr}")
    return r.stdout


# --- processes ------------------------------------------------------------------------------


def busy_cores(seconds: float) -> float:
    """Cores busy with other work, measured over `seconds` while the benchmark runs nothing:
    unlike the load average, this does not count the benchmark's own build steps before it
    or its load just before it ends."""
    def ticks():
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # all, idle + iowait
    all0, idle0 = ticks()
    time.sleep(seconds)
    all1, idle1 = ticks()
    return (1 - (idle1 - idle0) / max(1, all1 - all0)) * os.cpu_count()


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> float:
    """Polls until `url` answers with any HTTP status; returns seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                r.read()
            return time.monotonic() - start
        except urllib.error.HTTPError:
            return time.monotonic() - start
        except OSError:
            time.sleep(0.002)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


class Upstream:
    def __init__(self, binary: Path):
        self.port = free_port()
        self.proc = subprocess.Popen(["taskset", "-c", CLIENT_CORE, str(binary), f"{LOOPBACK}:{self.port}"])
        wait_http(self.stats_url, 10, self.proc)

    @property
    def stats_url(self):
        return f"http://{LOOPBACK}:{self.port}/stats"

    def stats(self):
        return get_json(self.stats_url)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Envoy:
    def __init__(self, binary: Path, name: str, filters: list, upstream_port: int, workdir: Path,
                 extra: list[str] | None = None, audit: bool = True):
        self.name = name
        self.port, self.admin = free_port(), free_port()
        # cipgate's audit record is written as dist/envoy.yaml writes it (an access log file);
        # audit=False leaves it in filter state only, to measure what writing it costs.
        audit_log = workdir / f"audit-{name}.log" if audit and any(
            f["name"] == "cipgate" for f in filters) else None
        config = envoy_config(self.port, self.admin, upstream_port, filters, audit_log)
        self.config_path = workdir / f"envoy-{name}.json"
        self.config_path.write_text(json.dumps(config, indent=1))
        self.log_path = workdir / f"envoy-{name}.log"
        self.log = open(self.log_path, "ab")  # append mode, so truncating it between runs is safe
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            ["taskset", "-c", ENVOY_CORE, str(binary), "-c", str(self.config_path), "--concurrency", "1",
             "--disable-hot-restart", "-l", "info", *(extra or [])],
            stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self.startup_s = wait_http(f"http://{LOOPBACK}:{self.port}/", 30, self.proc)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"Envoy ({name}) did not start; see {self.log_path}:\n"
                               + self.log_path.read_text()[-3000:])

    def counters(self) -> dict[str, int]:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{self.admin}/stats?filter=^http.ingress.downstream_rq_[1-5]xx$") as r:
            text = r.read().decode()
        return {k.rsplit("_", 1)[1]: int(v) for k, v in (l.split(": ") for l in text.splitlines() if ": " in l)}

    def truncate_log(self):
        self.log.flush()
        os.truncate(self.log_path, 0)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def envoy_config(port: int, admin: int, upstream_port: int, filters: list,
                 audit_log: Path | None = None) -> dict:
    """The same listener, connection manager and cluster for every configuration; only the
    HTTP filters before the router differ. Like dist/envoy.yaml, minus the per-request access
    log (which no configuration writes, so it costs none of them), plus, with `audit_log`,
    cipgate's audit logger as dist/envoy.yaml has it, writing to that file."""
    access_log = [{
        "name": "envoy.access_loggers.file",
        "filter": {"extension_filter": {
            "name": "envoy.access_loggers.extension_filters.cel",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter",
                "expression": "'wasm.cipgate.audit' in filter_state"}}},
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
            "path": str(audit_log),
            "log_format": {"text_format_source": {
                "inline_string": "%FILTER_STATE(wasm.cipgate.audit:PLAIN)%\n"}}},
    }] if audit_log else []
    return {
        "admin": {"address": {"socket_address": {"address": LOOPBACK, "port_value": admin}}},
        "static_resources": {
            "listeners": [{
                "name": "signup",
                "address": {"socket_address": {"address": LOOPBACK, "port_value": port}},
                "filter_chains": [{"filters": [{
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                        "stat_prefix": "ingress",
                        "codec_type": "AUTO",
                        "use_remote_address": True,
                        "normalize_path": True,
                        "merge_slashes": True,
                        "path_with_escaped_slashes_action": "UNESCAPE_AND_REDIRECT",
                        "access_log": access_log,
                        "route_config": {"virtual_hosts": [{
                            "name": "signup", "domains": ["*"],
                            "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "upstream"}}],
                        }]},
                        "http_filters": filters + [{
                            "name": "envoy.filters.http.router",
                            "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
                        }],
                    },
                }]}],
            }],
            "clusters": [{
                "name": "upstream", "type": "STATIC", "connect_timeout": "2s",
                "load_assignment": {"cluster_name": "upstream", "endpoints": [{"lb_endpoints": [{"endpoint": {
                    "address": {"socket_address": {"address": LOOPBACK, "port_value": upstream_port}}}}]}]},
            }],
        },
    }


def wasm_filter(name: str, module: Path, configuration: str) -> dict:
    return {"name": name, "typed_config": {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
        "config": {
            "name": name, "root_id": name,
            "vm_config": {"vm_id": name, "runtime": "envoy.wasm.runtime.v8",
                          "code": {"local": {"filename": str(module)}}},
            "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": configuration},
            "allow_on_headers_stop_iteration": True,
            "failure_policy": "FAIL_CLOSED",
        }}}


def filters_for(config: str, paths: dict) -> list:
    if config == "passthrough":
        return []
    if config == "buffer-wasm":
        return [wasm_filter("floor", paths["floor"], "")]
    if config == "cipgate":
        # As dist/envoy.yaml configures it.
        return [wasm_filter("cipgate", paths["module"], '{"mode": "enforce"}')]
    if config == "lua":
        return [{"name": "envoy.filters.http.lua", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
            "default_source_code": {"inline_string": (BENCH / "peers" / "cip.lua").read_text()}}}]
    if config == "rbac":
        restricted = ["CU", "IR", "KP"]
        return [
            {"name": "envoy.filters.http.json_to_metadata", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.json_to_metadata.v3.JsonToMetadata",
                "request_rules": {"rules": [{
                    "selectors": [{"key": "customer"}, {"key": "address"}, {"key": "country"}],
                    "on_present": {"metadata_namespace": "cip", "key": "country", "type": "STRING"}}]}}},
            {"name": "envoy.filters.http.rbac", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC",
                "rules": {"action": "DENY", "policies": {"restricted-country": {
                    "permissions": [{"or_rules": {"rules": [
                        {"metadata": {"filter": "cip", "path": [{"key": "country"}],
                                      "value": {"string_match": {"exact": c}}}} for c in restricted]}}],
                    "principals": [{"any": True}]}}}}},
        ]
    raise ValueError(config)


# --- wrk ------------------------------------------------------------------------------------


def run_wrk(port: int, files: list[Path], seconds: float, connections: int) -> dict:
    cmd = ["taskset", "-c", CLIENT_CORE, "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s",
           "-s", str(BENCH / "wrk" / "post.lua"), f"http://{LOOPBACK}:{port}/signup", "--", *map(str, files)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = sh(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(l for l in out.splitlines() if l.startswith("WRK_RESULT "))
    result = json.loads(line.split(" ", 1)[1])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["wrk_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def run_h2load(port: int, files: list[Path], seconds: float, connections: int) -> dict:
    """HTTP/2 load with h2load (one body, `files[0]`), in run_wrk's terms: latencies from
    its per-request log."""
    if len(files) != 1:
        raise ValueError("h2load sends one body")
    with tempfile.NamedTemporaryFile(suffix=".log") as log:
        cmd = ["taskset", "-c", CLIENT_CORE, "h2load", "-t1", f"-c{connections}", "-m1",
               "-D", str(max(1, round(seconds))), "-d", str(files[0]),
               "-H", "content-type: application/json", f"--log-file={log.name}",
               f"http://{LOOPBACK}:{port}/signup"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = sh(cmd)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        rows = [line.split("\t") for line in Path(log.name).read_text().splitlines() if line]
    latencies = sorted(int(r[2]) for r in rows)
    done = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", out)
    if not done or not latencies:
        raise RuntimeError(f"h2load gave no result:\n{out}")
    duration_s = float(done.group(1)) / (1000 if done.group(2) == "ms" else 1)

    def pct(p):
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))]

    return {"requests": len(latencies), "duration_us": duration_s * 1e6, "rps": len(latencies) / duration_s,
            "p50_us": pct(50), "p90_us": pct(90), "p99_us": pct(99), "mean_us": statistics.fmean(latencies),
            "max_us": latencies[-1], "client": "h2load",
            "wrk_cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)}


def measured_run(envoy: Envoy, upstream: Upstream, files, seconds, connections, h2: bool = False) -> dict:
    counters, ups = envoy.counters(), upstream.stats()
    cpu, ucpu = proc_cpu_seconds(envoy.proc.pid), proc_cpu_seconds(upstream.proc.pid)
    t0 = time.monotonic()
    r = (run_h2load if h2 else run_wrk)(envoy.port, files, seconds, connections)
    wall = time.monotonic() - t0
    r["envoy_cores"] = (proc_cpu_seconds(envoy.proc.pid) - cpu) / wall
    r["upstream_cores"] = (proc_cpu_seconds(upstream.proc.pid) - ucpu) / wall
    r["wrk_cores"] = r.pop("wrk_cpu_s") / wall
    r["rss_kib"] = rss_kib(envoy.proc.pid)
    after, ups_after = envoy.counters(), upstream.stats()
    r["status"] = {k: after.get(k, 0) - counters.get(k, 0) for k in after}
    r["upstream_requests"] = ups_after["requests"] - ups["requests"]
    r["upstream_body_bytes"] = ups_after["body_bytes"] - ups["body_bytes"]
    envoy.truncate_log()
    return r


# --- the parts ------------------------------------------------------------------------------


def make_bodies(workdir: Path) -> dict[str, list[Path]]:
    """The example signups at their real sizes, and an allowed organisation padded to 8 KiB
    with more beneficial owners (what makes a real signup that large)."""
    bodies = workdir / "bodies"
    bodies.mkdir()
    for name in ALLOWED + [DENIED, INCOMPLETE]:
        shutil.copy(EXAMPLES / name, bodies / name)
    org = json.loads((EXAMPLES / "foreign-organization-with-owners.json").read_text())
    owners = org["beneficial_owners"]
    big = dict(org, beneficial_owners=[])
    i = 0
    while len(json.dumps(big, ensure_ascii=False).encode()) < 8192 - 200:
        owner = json.loads(json.dumps(owners[i % len(owners)]))
        owner["legal_name"] = f"{owner['legal_name']} {i + 1}"
        owner["ownership_percent"] = 1
        big["beneficial_owners"].append(owner)
        i += 1
    text = json.dumps(big, ensure_ascii=False).encode()
    text += b" " * (8192 - len(text))  # whitespace up to exactly 8 KiB
    (bodies / "organization-8k.json").write_bytes(text)
    return {
        "allowed": [bodies / n for n in ALLOWED],
        "denied": [bodies / DENIED],
        # h2load sends one body over and over: the allowed one of middle size.
        "allowed-h2": [bodies / ALLOWED[0]],
        "8k": [bodies / "organization-8k.json"],
        "mixed": [bodies / n for n in ALLOWED + [DENIED, INCOMPLETE]],
    }


# (key, bodies, connections); titles in report.py. The `-h2` workloads run h2load (HTTP/2
# over cleartext, prior knowledge, one stream at a time per connection) instead of wrk.
WORKLOADS = [
    ("allowed", "allowed", 16),
    ("denied", "denied", 16),
    ("8k", "8k", 16),
    ("single", "allowed", 1),  # latency without queueing
    ("allowed-h2", "allowed-h2", 16),
    ("denied-h2", "denied", 16),
]


def gateway(paths, bodies, workdir, args) -> dict:
    envoy_bin = paths["envoy"]
    upstream = Upstream(paths["upstream"])
    envoys: dict[str, Envoy] = {}
    out: dict = {"runs": [], "seconds": args.seconds, "rounds": args.rounds}
    try:
        # Capacity of the client core: wrk and the upstream alone, pinned as in every run.
        upstream_only = []
        for _ in range(2):
            r = run_wrk(upstream.port, bodies["allowed"], min(args.seconds, 5), 16)
            upstream_only.append(r["rps"])
        out["upstream_direct_rps"] = upstream_only
        say(f"wrk -> upstream directly (both on core {CLIENT_CORE}): {median(upstream_only):.0f} req/s")

        for key in CONFIGS:
            envoys[key] = Envoy(envoy_bin, key, filters_for(key, paths), upstream.port, workdir)
        out["rss_idle_kib"] = {k: rss_kib(e.proc.pid) for k, e in envoys.items()}

        # Sanity: what each configuration answers to each body, and that the upstream got it all.
        out["answers"] = {}
        for key, e in envoys.items():
            out["answers"][key] = {}
            for f in bodies["mixed"] + bodies["8k"]:
                req = urllib.request.Request(f"http://{LOOPBACK}:{e.port}/signup", data=f.read_bytes(),
                                             headers={"content-type": "application/json"})
                try:
                    with urllib.request.urlopen(req) as r:
                        status, text = r.status, r.read()
                except urllib.error.HTTPError as err:
                    status, text = err.code, err.read()
                if status == 200 and json.loads(text)["received"] != f.stat().st_size:
                    raise RuntimeError(f"{key}: upstream read {text!r} of {f.name}")
                out["answers"][key][f.name] = status
        say(f"answers: {out['answers']}")

        for key, e in envoys.items():  # warm-up: JIT, connection pools
            run_wrk(e.port, bodies["allowed"], 2, 16)
            e.truncate_log()

        for rnd in range(args.rounds):
            for wkey, bkey, conns in WORKLOADS:
                seconds = args.seconds if conns > 1 else max(2, args.seconds / 2)
                for key in CONFIGS:
                    r = measured_run(envoys[key], upstream, bodies[bkey], seconds, conns,
                                     h2=wkey.endswith("-h2"))
                    r.update(round=rnd, workload=wkey, config=key)
                    out["runs"].append(r)
                    say(f"round {rnd + 1} {wkey:8} {key:12} {r['rps']:8.0f} req/s  p50 {r['p50_us']:6} us  "
                        f"p99 {r['p99_us']:6} us  envoy {r['envoy_cores']:.2f} cores  "
                        f"core {CLIENT_CORE}: wrk {r['wrk_cores']:.2f} + upstream {r['upstream_cores']:.2f}")

        if not args.no_perf:
            say("perf: Envoy with cipgate and with the floor; the native evaluator")
            out["perf"] = {k: perf_profile(envoys[k], bodies["allowed"], workdir) for k in ("cipgate", "buffer-wasm")}
            out["perf_native"] = native_profile(paths["evaluator"], bodies["allowed"], workdir)
        if paths.get("module_profile"):
            say("per-stage profile: cipgate built with its `profile` feature, in the same Envoy set-up")
            out["stages"] = callback_profile(paths, upstream, bodies, workdir, min(args.seconds, 5))
        say("the audit log's cost: cipgate with and without its audit logger, interleaved")
        out["audit_log"] = audit_log_cost(paths, upstream, bodies["allowed"], workdir, min(args.seconds, 5))

        # Memory over a window under a mixed load (allowed, incomplete, denied).
        out["memory"] = memory_window(envoys["cipgate"], bodies["mixed"], args.memory_seconds)
        out["rss_after_kib"] = {k: rss_kib(e.proc.pid) for k, e in envoys.items()}
        for e in envoys.values():
            if e.proc.poll() is not None:
                raise RuntimeError(f"Envoy {e.name} exited during the benchmark")
    finally:
        for e in envoys.values():
            e.stop()
        upstream.stop()
    return out


def memory_window(envoy: Envoy, files, seconds: float) -> dict:
    say(f"memory: cipgate under a mixed load for {seconds:.0f} s")
    samples = []
    result: dict = {}

    def load():
        result["wrk"] = run_wrk(envoy.port, files, seconds, 16)

    t = threading.Thread(target=load)
    start = time.monotonic()
    t.start()
    while t.is_alive():
        samples.append((round(time.monotonic() - start, 1), rss_kib(envoy.proc.pid)))
        time.sleep(min(5, seconds / 20))
        if envoy.log_path.stat().st_size > 512 << 20:
            envoy.truncate_log()
    t.join()
    samples.append((round(time.monotonic() - start, 1), rss_kib(envoy.proc.pid)))
    envoy.truncate_log()
    return {"seconds": seconds, "samples": samples, "requests": result["wrk"]["requests"],
            "rps": result["wrk"]["rps"]}


def perf_report(data: Path, sort: str, limit: int) -> list:
    text = sh(["perf", "report", "-i", str(data), "--stdio", "--no-children", "--sort", sort,
               "--percent-limit", "0.3", "-g", "none", "--quiet"])
    rows = []
    for line in text.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(.*)$", line)
        if m:
            rows.append([float(m.group(1)), re.sub(r"\s+", " ", m.group(2).strip())])
    return rows[:limit]


def perf_profile(envoy: Envoy, files, workdir: Path) -> dict:
    """Where Envoy's CPU goes under load: its CPU time per request, split by module. V8's
    generated code (the Wasm filter itself) has no module and shows as `[JIT] tid N`; the V8
    runtime and Envoy's own code are in `envoy` (stripped, so no symbols)."""
    data = workdir / f"perf-{envoy.name}.data"
    result: dict = {}
    t = threading.Thread(target=lambda: result.update(run_wrk(envoy.port, files, 7, 16)))
    t.start()
    time.sleep(1)
    cpu0, t0 = proc_cpu_seconds(envoy.proc.pid), time.monotonic()
    subprocess.run(["perf", "record", "-q", "-F", "499", "-g", "-o", str(data), "-p", str(envoy.proc.pid),
                    "--", "sleep", "5"], check=True, capture_output=True)
    cores = (proc_cpu_seconds(envoy.proc.pid) - cpu0) / (time.monotonic() - t0)
    t.join()
    envoy.truncate_log()
    by_dso: dict[str, float] = {}
    for pct, dso in perf_report(data, "dso", 30):
        key = "V8-generated code (the Wasm filter)" if dso.startswith("[JIT]") else dso
        by_dso[key] = by_dso.get(key, 0) + pct
    cpu_us = cores / result["rps"] * 1e6
    return {"cpu_us_per_request": cpu_us, "rps": result["rps"], "by_dso": by_dso,
            "kernel_symbols": [r for r in perf_report(data, "dso,sym", 40) if "[kernel" in r[1]][:6]}


def native_profile(evaluator: Path, bodies: list[Path], workdir: Path) -> dict:
    """`perf` on the native evaluator deciding the allowed signups: self time by crate and the
    top functions (the evaluator binary keeps symbols)."""
    data = workdir / "perf-native.data"
    subprocess.run(["perf", "record", "-q", "-F", "999", "-g", "-o", str(data), "--", str(evaluator),
                    "--profile-native", "5", "--policy", str(REPO / "policies/us-iaas-cip.yaml"),
                    "--module", "-", "--floor", "-", "--peers", "-", "--out", "-", *map(str, bodies)],
                   check=True, capture_output=True)
    rows = perf_report(data, "sym", 400)
    by_crate: dict[str, float] = {}
    for pct, sym in rows:
        name = sym.split("] ", 1)[-1]
        by_crate[crate_of(name)] = by_crate.get(crate_of(name), 0) + pct
    return {"by_crate": dict(sorted(by_crate.items(), key=lambda kv: -kv[1])),
            "top": [[pct, sym.split("] ", 1)[-1]] for pct, sym in rows[:15]]}


def profile_counters(envoy: Envoy) -> dict[str, int]:
    with urllib.request.urlopen(f"http://{LOOPBACK}:{envoy.admin}/stats?filter=cipgate_profile") as r:
        text = r.read().decode()
    return {k.split("cipgate_profile.", 1)[1]: int(v)
            for k, v in (l.split(": ") for l in text.splitlines() if ": " in l)}


def callback_profile(paths, upstream: Upstream, bodies, workdir: Path, seconds: float) -> dict:
    """Time per stage of a request inside the real Envoy: the module built with the filter's
    `profile` feature (crates/cipgate-envoy/src/profile.rs) times each stage from inside the
    VM with WASI's monotonic clock, host calls included, and counts it in Envoy's stats. The
    totals are read from the admin interface before and after a wrk run, per workload; the
    `clock` stage (a span around nothing) is what one span costs, and is subtracted."""
    module = {**paths, "module": paths["module_profile"]}
    envoy = Envoy(paths["envoy"], "cipgate-profile", filters_for("cipgate", module), upstream.port, workdir)
    out: dict = {}
    try:
        for name, files in (("allowed", bodies["allowed"]), ("denied", bodies["denied"]), ("8k", bodies["8k"])):
            run_wrk(envoy.port, files, 2, 16)
            time.sleep(0.2)
            before, cpu0, t0 = profile_counters(envoy), proc_cpu_seconds(envoy.proc.pid), time.monotonic()
            r = run_wrk(envoy.port, files, seconds, 16)
            wall = time.monotonic() - t0
            cores = (proc_cpu_seconds(envoy.proc.pid) - cpu0) / wall
            time.sleep(0.2)
            after = profile_counters(envoy)
            delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
            requests = delta.get("requests", 0)
            if requests == 0:
                raise RuntimeError(f"the profile module counted no requests: {after}")
            clock_ns = delta["clock.ns"] / max(1, delta["clock.calls"])
            stages = {}
            for key in after:
                if key.endswith(".ns") and key != "clock.ns":
                    stage = key[:-3]
                    calls = delta.get(f"{stage}.calls", 0)
                    stages[stage] = {"calls_per_request": calls / requests,
                                     "us_per_request": max(0.0, delta[key] - calls * clock_ns) / requests / 1000}
            out[name] = {"requests_counted": requests, "clock_ns": clock_ns, "stages": stages,
                         "envoy_cpu_us_per_request": cores / r["rps"] * 1e6, "rps": r["rps"]}
            say(f"stages ({name}): " + ", ".join(f"{k} {v['us_per_request']:.1f}" for k, v in stages.items()))
            envoy.truncate_log()
    finally:
        envoy.stop()
    return out


def audit_log_cost(paths, upstream: Upstream, bodies, workdir: Path, seconds: float) -> dict:
    """cipgate with no access log (the audit record stays in filter state), against cipgate as
    configured (the audit logger writes it to a file), interleaved: what writing it costs."""
    quiet = Envoy(paths["envoy"], "cipgate-nolog", filters_for("cipgate", paths), upstream.port, workdir,
                  audit=False)
    loud = Envoy(paths["envoy"], "cipgate-log", filters_for("cipgate", paths), upstream.port, workdir)
    out: dict = {"with audit log": [], "no audit log": []}
    try:
        for e in (quiet, loud):
            run_wrk(e.port, bodies, 2, 16)
        for _ in range(2):
            for key, e in (("with audit log", loud), ("no audit log", quiet)):
                out[key].append(measured_run(e, upstream, bodies, seconds, 16)["rps"])
    finally:
        quiet.stop()
        loud.stop()
    return out


# The configurations whose instructions per request callgrind counts: a figure that does
# not move with the host's noise, beside the timed runs. Passthrough is Envoy's own work, which
# the others' costs are measured from.
INSTRUCTION_CONFIGS = ["passthrough", "buffer-wasm", "cipgate", "lua"]


def instruction_counts(paths, bodies, workdir: Path) -> dict:
    """Envoy's user-space instructions per request (bench/instructions.py) of each of
    INSTRUCTION_CONFIGS on one allowed signup, the denied one and the 8 KiB one; and of cipgate
    without its audit logger on the allowed one (`cipgate:no-audit`)."""
    import instructions  # bench/instructions.py, beside this file

    upstream = Upstream(paths["upstream"])
    out: dict = {}
    try:
        for workload in ("allowed", "denied", "8k"):
            body = bodies[workload][0]
            out[workload] = {"body": body.name}
            for config in INSTRUCTION_CONFIGS:
                say(f"instructions: {config}, {body.name}")
                out[workload][config] = instructions.per_request(
                    paths["envoy"], paths, upstream, config, body.read_bytes(), workdir,
                    f"instructions-{workload}-{config}")
        # What the audit logger costs, counted: the timed comparison of it is within the noise.
        say(f"instructions: cipgate without its audit logger, {bodies['allowed'][0].name}")
        out["allowed"]["cipgate:no-audit"] = instructions.per_request(
            paths["envoy"], paths, upstream, "cipgate", bodies["allowed"][0].read_bytes(), workdir,
            "instructions-allowed-cipgate-no-audit", audit=False)
    finally:
        upstream.stop()
    return out


def envoy_startup(paths, workdir, repeats: int) -> tuple[dict, dict]:
    """Seconds from exec to the listener answering, with and without the cipgate filter; and,
    from the same starts, the milliseconds Envoy spent loading each Wasm module (see
    `wasm_load_ms`). Every configuration runs with the same log flags."""
    upstream = Upstream(paths["upstream"])
    times = {"passthrough": [], "cipgate": [], "buffer-wasm": []}
    load_ms: dict[str, list[float]] = {"cipgate": [], "buffer-wasm": []}
    try:
        for _ in range(repeats):
            for key in times:
                e = Envoy(paths["envoy"], f"startup-{key}", filters_for(key, paths), upstream.port, workdir,
                          extra=["--component-log-level", "wasm:debug"])
                times[key].append(e.startup_s)
                e.stop()
                if key in load_ms:
                    load_ms[key].append(wasm_load_ms(e.log_path.read_text()))
                e.log_path.unlink()
    finally:
        upstream.stop()
    return times, load_ms


ENVOY_LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\]")


def wasm_load_ms(log: str) -> float:
    """Milliseconds from Envoy's "Base Wasm created" (logged before the main thread loads the
    module) to its first "Thread-Local Wasm created" (the worker's clone of the loaded VM):
    V8 compiling every function with TurboFan (proxy-wasm's V8 host turns Liftoff off),
    instantiating and `_start`. The worker's `on_configure` comes after it."""
    def stamp(marker: str) -> datetime.datetime:
        for line in log.splitlines():
            m = ENVOY_LOG_TIME.match(line)
            if m and marker in line:
                return datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f")
        raise RuntimeError(f"no {marker!r} line in Envoy's log")
    return (stamp("Thread-Local Wasm created") - stamp("Base Wasm created")).total_seconds() * 1000


def build_time(cipgate: Path, repeats: int) -> dict:
    """Seconds of `cipgate build` of the default policy as a user without a toolchain runs it:
    a copy of the binary, an empty working directory, PATH=/usr/bin:/bin."""
    root = Path(tempfile.mkdtemp(prefix="cipgate-bench-build-"))
    try:
        installed = root / "cipgate"
        shutil.copy2(cipgate, installed)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(root)}
        runs = []
        for i in range(repeats):
            work = root / f"run{i}"
            work.mkdir()
            t0 = time.perf_counter()
            subprocess.run([str(installed), "build", str(REPO / "policies/us-iaas-cip.yaml"), "-o", "dist"],
                           cwd=work, env=env, check=True, capture_output=True)
            runs.append(time.perf_counter() - t0)
        return {"seconds": runs, "cargo_on_path": shutil.which("cargo", path=env["PATH"]) is not None}
    finally:
        shutil.rmtree(root, ignore_errors=True)


BROWSER_TIMING = """
const done = arguments[arguments.length - 1];
(async () => {
  const t0 = performance.now();
  const web = await import("./web/index.js");
  const t1 = performance.now();
  await web.init();
  const t2 = performance.now();
  const first = web.validate(arguments[0]);
  const t3 = performance.now();
  const n = 200;
  for (let i = 0; i < n; i++) web.validate(arguments[0]);
  const t4 = performance.now();
  done({ importMs: t1 - t0, initMs: t2 - t1, firstValidateMs: t3 - t2, validateMs: (t4 - t3) / n,
         outcome: first.outcome });
})().catch((e) => done({ error: String(e && e.stack || e) }));
"""


def browser_startup(repeats: int) -> dict:
    """In headless Chromium, fresh page and empty cache each time: import the package, init()
    (fetch + compile + instantiate the module), then the first validate() of a signup."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    site = Path(tempfile.mkdtemp(prefix="cipgate-bench-site-"))
    (site / "web").symlink_to(REPO / "dist" / "web")
    (site / "index.html").write_text("<!doctype html><title>bench</title>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(site), **kw)

        def log_message(self, *a):
            pass

    Quiet.extensions_map = {**Quiet.extensions_map, ".wasm": "application/wasm", ".js": "text/javascript"}
    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    profile = tempfile.mkdtemp(prefix="cipgate-bench-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")),
                              options=options)
    doc = json.loads((EXAMPLES / "foreign-individual-complete.json").read_text())
    runs = []
    try:
        driver.set_script_timeout(60)
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        version = driver.capabilities.get("browserVersion", "?")
        for _ in range(repeats):
            driver.get(f"http://{LOOPBACK}:{server.server_address[1]}/index.html")
            r = driver.execute_async_script(BROWSER_TIMING, doc)
            if "error" in r:
                raise RuntimeError(r["error"])
            runs.append(r)
    finally:
        driver.quit()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(site, ignore_errors=True)
    return {"chromium": version, "runs": runs}


# --- size -----------------------------------------------------------------------------------


def leb(data: bytes, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def wasm_breakdown(path: Path) -> dict:
    """Bytes of the code section per crate (from the name section's function names), the data
    section, and the rest (names, types, imports...)."""
    data = path.read_bytes()
    i, sections = 8, []
    while i < len(data):
        sid = data[i]
        size, j = leb(data, i + 1)
        sections.append((sid, data[j:j + size]))
        i = j + size
    imported_funcs = 0
    names: dict[int, str] = {}
    bodies: list[int] = []
    by_section: dict[str, int] = {}
    section_names = {0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
                     7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "datacount"}
    for sid, body in sections:
        label = section_names.get(sid, str(sid))
        if sid == 0:
            n, k = leb(body, 0)
            label = f"custom: {body[k:k + n].decode(errors='replace')}"
            if body[k:k + n] == b"name":
                k += n
                while k < len(body):
                    sub, k = body[k], k + 1
                    size, k = leb(body, k)
                    if sub == 1:
                        count, m = leb(body, k)
                        for _ in range(count):
                            idx, m = leb(body, m)
                            ln, m = leb(body, m)
                            names[idx] = body[m:m + ln].decode(errors="replace")
                            m += ln
                    k += size
        elif sid == 2:
            count, k = leb(body, 0)
            for _ in range(count):
                for _ in range(2):
                    ln, k = leb(body, k)
                    k += ln
                kind, k = body[k], k + 1
                if kind == 0:
                    _, k = leb(body, k)
                    imported_funcs += 1
                elif kind == 1:
                    k += 1
                    flags, k = leb(body, k)
                    _, k = leb(body, k)
                    if flags & 1:
                        _, k = leb(body, k)
                elif kind == 2:
                    flags, k = leb(body, k)
                    _, k = leb(body, k)
                    if flags & 1:
                        _, k = leb(body, k)
                else:
                    k += 2
        elif sid == 10:
            count, k = leb(body, 0)
            for _ in range(count):
                size, k = leb(body, k)
                bodies.append(size)
                k += size
        by_section[label] = by_section.get(label, 0) + len(body)
    crates: dict[str, int] = {}
    for n, size in enumerate(bodies):
        crates[crate_of(names.get(n + imported_funcs, ""))] = crates.get(crate_of(names.get(n + imported_funcs, "")), 0) + size
    return {"sections": by_section, "code_by_crate": dict(sorted(crates.items(), key=lambda kv: -kv[1])),
            "functions": len(bodies), "named": bool(names)}


PRIMITIVES = {"u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32", "f64",
              "bool", "char", "str"}


def crate_of(name: str) -> str:
    """The crate a (mangled, legacy or v0) Rust symbol belongs to; for a trait impl, the crate of
    the type. Names that are not Rust symbols are C or compiler runtime (memcpy, dlmalloc...)."""
    if name.startswith("_ZN"):
        m = re.match(r"_ZN(\d+)", name)
        seg = name[m.end():m.end() + int(m.group(1))] if m else ""
        seg = re.sub(r"^(_|\$LT\$|\$RF\$|\$BP\$|mut\$u20\$|dyn\$u20\$|\.\.)+", "", seg)
        crate = re.split(r"\.\.|\$", seg)[0]
        if not crate or len(crate) == 1 or crate in PRIMITIVES:
            return "(impls on generic and primitive types)"
        return crate
    if name.startswith("_R"):
        m = re.search(r"C(?:s[0-9A-Za-z]*_)?(\d+)", name[2:])
        if m:
            start = m.end() + 2
            return name[start:start + int(m.group(1))]
        return "(other Rust)"
    if "::" in name:
        return name.lstrip("<&*").split("::", 1)[0]
    return "(C: libc and compiler runtime)" if name else "(unnamed)"


def sizes(paths) -> dict:
    out = {}
    for label, p in [("Envoy module (dist/us-iaas-cip.wasm)", paths["module"]),
                     ("web module (dist/web/cipgate_web_bg.wasm)", REPO / "dist/web/cipgate_web_bg.wasm"),
                     ("web glue (dist/web/*.js)", None),
                     ("buffer-only floor module", paths["floor"])]:
        if p is None:
            raw = b"".join((REPO / "dist/web" / n).read_bytes() for n in ("index.js", "cipgate_web.js"))
            out[label] = {"raw": len(raw), "gzip": len(gzip.compress(raw, 9)),
                          "gzip_each": sum(len(gzip.compress((REPO / "dist/web" / n).read_bytes(), 9))
                                           for n in ("index.js", "cipgate_web.js"))}
            continue
        raw = p.read_bytes()
        out[label] = {"raw": len(raw), "gzip": len(gzip.compress(raw, 9)), "breakdown": wasm_breakdown(p)}
    # `cipgate build` runs wasm-opt, which drops the function names; cargo's module from the same
    # build still has them, so the per-crate split comes from it.
    before = paths.get("module_unoptimized")
    if before and before.exists():
        out["Envoy module (dist/us-iaas-cip.wasm)"]["before_wasm_opt"] = {
            "file": str(before), "raw": before.stat().st_size, "breakdown": wasm_breakdown(before)}
    return out


# --- versions and machine -------------------------------------------------------------------


def machine() -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "?")
    mem = next((l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")), "0")
    flags = next((l for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("flags")), "")
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem_gib": round(int(mem) / 1048576, 1),
            "kernel": platform.release(), "load": os.getloadavg(),
            "avx2": " avx2" in flags}


def versions(paths) -> dict:
    def first_line(cmd):
        try:
            return sh(cmd).strip().splitlines()[0]
        except (OSError, subprocess.CalledProcessError, IndexError):
            return "?"

    lock = (BENCH / "Cargo.lock").read_text()
    crates = {}
    for name in ("regorus", "cel", "jsonschema", "wasmtime", "proxy-wasm", "serde_json", "regex"):
        m = re.search(rf'name = "{re.escape(name)}"\nversion = "([^"]+)"', lock)
        crates[name] = m.group(1) if m else "?"
    envoy = first_line([str(paths["envoy"]), "--version"])
    return {
        "envoy": re.sub(r".*version: ", "", envoy),
        "rustc": first_line(["rustc", "--version"]),
        "wrk": first_line(["sh", "-c", "wrk -v 2>&1 | head -1"]).split(" Copyright")[0],
        "python": platform.python_version(),
        "crates": crates,
        "git": git_state(),
    }


# What a benchmark run writes itself (scripts/bench rewrites the screening report before this
# script starts): changes to these do not make the measured tree "dirty".
BENCH_OUTPUTS = {"BENCHMARKS.md", "docs/bench-results.json", "docs/bench-gateway.svg",
                 "docs/screening-eval.md"}


def git_state() -> str:
    """The commit measured, with `-dirty` when anything but the benchmark's own outputs differs
    from it (untracked files left aside)."""
    try:
        commit = sh(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]).strip()
        changed = {line[3:] for line in sh(["git", "-C", str(REPO), "status", "--porcelain",
                                            "--untracked-files=no"]).splitlines()}
    except (OSError, RuntimeError):
        return "?"
    return commit + ("-dirty" if changed - BENCH_OUTPUTS else "")


# --- report ---------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--envoy", required=True, type=Path)
    ap.add_argument("--module", required=True, type=Path)
    ap.add_argument("--floor", required=True, type=Path)
    ap.add_argument("--module-unoptimized", type=Path, help="cargo's Envoy module before wasm-opt (for names)")
    ap.add_argument("--module-profile", type=Path, help="the module built with the filter's `profile` feature")
    ap.add_argument("--upstream", required=True, type=Path)
    ap.add_argument("--evaluator", required=True, type=Path)
    ap.add_argument("--cipgate", type=Path, help="the cipgate binary, for the build time")
    ap.add_argument("--shipped-native", type=Path, help="output of the cipgate-policy decide bench")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--memory-seconds", type=float, default=60)
    ap.add_argument("--long", action="store_true")
    ap.add_argument("--no-perf", action="store_true")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--no-instructions", action="store_true", help="leave out the callgrind counts")
    ap.add_argument("--only", default="",
                    help="comma-separated parts (size,evaluator,build,startup,gateway,instructions)")
    ap.add_argument("--command", default="scripts/bench")
    ap.add_argument("--report", type=Path, default=REPO / "BENCHMARKS.md")
    ap.add_argument("--chart", type=Path, default=REPO / "docs" / "bench-gateway.svg")
    ap.add_argument("--raw", type=Path, default=REPO / "docs" / "bench-results.json")
    args = ap.parse_args()
    if args.long:
        args.memory_seconds = 600
    only = set(filter(None, args.only.split(",")))
    paths = {"envoy": args.envoy.resolve(), "module": args.module.resolve(), "floor": args.floor.resolve(),
             "upstream": args.upstream.resolve(), "evaluator": args.evaluator.resolve(),
             "module_unoptimized": args.module_unoptimized.resolve() if args.module_unoptimized else None,
             "module_profile": args.module_profile.resolve() if args.module_profile else None}
    started = time.time()
    results: dict = {"machine": machine(), "versions": versions(paths), "args": vars(args) | {
        k: str(v) for k, v in vars(args).items() if isinstance(v, Path)}}
    results["machine"]["load_at_start"] = os.getloadavg()
    results["machine"]["busy_at_start"] = busy_cores(5)
    workdir = Path(tempfile.mkdtemp(prefix="cipgate-bench-"))
    try:
        bodies = make_bodies(workdir)
        results["bodies"] = {k: [[p.name, p.stat().st_size] for p in v] for k, v in bodies.items()}
        results["owners_8k"] = len(json.loads(bodies["8k"][0].read_text())["beneficial_owners"])
        if not only or "size" in only:
            say("size")
            results["size"] = sizes(paths)
        if not only or "evaluator" in only:
            say("evaluator (one process: cipgate native and in wasmtime, regorus, cel, jsonschema)")
            out = workdir / "evaluator.json"
            docs = sorted(EXAMPLES.glob("*.json")) + bodies["8k"]
            subprocess.run([str(args.evaluator), "--policy", str(REPO / "policies/us-iaas-cip.yaml"),
                            "--module", str(args.module), "--floor", str(args.floor),
                            "--peers", str(BENCH / "peers"), "--out", str(out), *map(str, docs)], check=True)
            results["evaluator"] = json.loads(out.read_text())
            if args.shipped_native and args.shipped_native.exists():
                results["shipped_native"] = parse_decide_bench(args.shipped_native.read_text())
        if args.cipgate and (not only or "build" in only):
            say("cipgate build with no toolchain on PATH")
            results["build"] = build_time(args.cipgate.resolve(), 10)
        if not only or "startup" in only:
            say("start-up: Envoy with and without the filter")
            results["envoy_startup"], results["wasm_load_ms"] = envoy_startup(paths, workdir, 5)
            if not args.no_browser:
                say("start-up: Chromium")
                results["browser"] = browser_startup(5)
        if not only or "gateway" in only:
            say(f"gateway: {args.rounds} rounds of {len(WORKLOADS)} workloads x {len(CONFIGS)} configurations")
            results["gateway"] = gateway(paths, bodies, workdir, args)
        if not args.no_instructions and (not only or "instructions" in only):
            if shutil.which("valgrind"):
                say("instructions per request under callgrind")
                results["instructions"] = instruction_counts(paths, bodies, workdir)
            else:
                say("valgrind not found: the instruction counts are left out")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["machine"]["load_at_end"] = os.getloadavg()
    results["machine"]["busy_at_end"] = busy_cores(5)
    results["wall_seconds"] = time.time() - started
    results["finished"] = time.time()
    args.raw.parent.mkdir(parents=True, exist_ok=True)
    args.raw.write_text(json.dumps(results, indent=1) + "\n")
    import report  # bench/report.py, beside this file

    report.write(results, args.report, args.chart)
    say(f"wrote {args.report}, {args.chart} and {args.raw} in {results['wall_seconds']:.0f} s")
    return 0


def parse_decide_bench(text: str) -> dict:
    """Rows of `cargo bench -p cipgate-policy --bench decide`: document -> median us."""
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].endswith(".json"):
            m = re.match(r"([\d.]+) µs", cells[3])
            if m:
                out[cells[0]] = float(m.group(1))
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH))
    sys.exit(main())
