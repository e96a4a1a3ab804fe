"""Envoy's instructions per request, counted by callgrind: a figure that does not move with the
host's noise, for judging a change to the filter or its configuration before a timed run.

Each configuration (the names of `run.filters_for`) gets its own Envoy under
`valgrind --tool=callgrind --instr-atstart=no`; after WARM requests (start-up, V8's compile and
the first calls stay out), counting is switched on for N requests of BODY on one keep-alive
connection, then off. Counted: every user-space instruction of the Envoy process (Envoy, V8's
generated code, libc), split by where it ran; not counted: the kernel. Two runs of one
configuration agree to within a few tenths of a percent. Callgrind also simulates the caches
and branch predictors (`--cache-sim=yes --branch-sim=yes`): instruction-cache misses and
mispredicted branches are what make one instruction dearer than another, which counts alone do
not show (this VM has no hardware counters). The simulation has no prefetcher, so its misses
are an upper bound to compare configurations by, not a measurement. scripts/bench runs it on
passthrough, the floor, cipgate and Lua (`run.instruction_counts`); by hand, it compares
modules or configurations:

    .venv/bin/python bench/instructions.py --body policies/examples/signups/foreign-individual-complete.json \\
        --module dist/us-iaas-cip.wasm --floor FLOOR.wasm \\
        --upstream "$CARGO_TARGET_DIR/bench/release/bench-upstream" \\
        floor=buffer-wasm cipgate=cipgate cipgate-no-audit=cipgate:no-audit lua=lua

FLOOR.wasm is the floor filter as scripts/bench makes it (built from bench/buffer-filter, its
exports cut to cipgate's with bench/exports_graph.py and wasm-metadce); scripts/bench builds the
upstream.

Needs valgrind (`apt-get install valgrind`); each configuration takes 10 to 30 seconds.
"""
import argparse
import collections
import http.client
import json
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import run


def count(envoy: Path, config: Path, port: int, body: bytes, warm: int, n: int, out: Path):
    """Runs Envoy with `config` under callgrind; returns the HTTP statuses it answered."""
    with open(out.with_suffix(".log"), "wb") as log:
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--smc-check=all-non-file", "--instr-atstart=no",
             "--cache-sim=yes", "--branch-sim=yes",
             f"--callgrind-out-file={out}", str(envoy), "-c", str(config), "--concurrency", "1",
             "--disable-hot-restart", "-l", "warning"],
            stdout=log, stderr=subprocess.STDOUT)
        try:
            run.wait_http(f"http://{run.LOOPBACK}:{port}/", 900, proc)
            conn = http.client.HTTPConnection(run.LOOPBACK, port, timeout=120)
            statuses = set()

            def send(k: int):
                for _ in range(k):
                    conn.request("POST", "/signup", body, {"content-type": "application/json"})
                    response = conn.getresponse()
                    response.read()
                    statuses.add(response.status)

            send(warm)
            subprocess.run(["callgrind_control", "-i", "on", str(proc.pid)], check=True,
                           capture_output=True)
            send(n)
            subprocess.run(["callgrind_control", "-i", "off", str(proc.pid)], check=True,
                           capture_output=True)
            conn.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(600)
    return statuses


# The simulated events reported beside the instructions: first-level instruction-cache and data
# cache (read, write) misses, mispredicted conditional and indirect branches.
MISSES = ["I1mr", "D1mr", "D1mw", "Bcm", "Bim"]


def by_object(out: Path) -> dict[str, collections.Counter]:
    """Each event (instructions `Ir`, and the simulated misses) by the object it happened in;
    callgrind names code outside any object it knows `???`, here `generated`: what V8 or LuaJIT
    generated, and a part of Envoy's binary it does not attribute (some 24,000 instructions per
    request with no filter at all)."""
    report = subprocess.run(["callgrind_annotate", "--threshold=100", str(out)],
                            capture_output=True, text=True, check=True).stdout
    events = next(line.split(":", 1)[1].split() for line in report.splitlines()
                  if line.startswith("Events shown:"))
    # A count, then its share in brackets when it has one; `.` for none.
    cell = r"([\d,]+|\.)\s+(?:\(\s*[\d.]+%\)\s+)?"
    row = re.compile(r"\s*" + cell * len(events) + r"(\S.*)")
    split: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for line in report.splitlines():
        m = row.match(line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        obj = re.search(r"\[([^\]]+)\]\s*$", m.group(len(events) + 1))
        name = obj.group(1).rsplit("/", 1)[-1] if obj else "other"
        name = "generated" if name == "???" else name
        for k, event in enumerate(events, 1):
            value = m.group(k)
            split[name][event] += 0 if value == "." else int(value.replace(",", ""))
    return split


def per_request(envoy: Path, paths: dict, upstream: "run.Upstream", config: str, body: bytes,
                workdir: Path, label: str, audit: bool = True, warm: int = 30, n: int = 300) -> dict:
    """Instructions per request of one configuration (a name of `run.filters_for`) on one body:
    the total, the split by object, the simulated misses (all, and those in generated code),
    and the statuses Envoy answered."""
    port, admin = run.free_port(), run.free_port()
    audit_log = workdir / f"audit-{label}.log" if config == "cipgate" and audit else None
    config_path = workdir / f"envoy-{label}.json"
    config_path.write_text(json.dumps(run.envoy_config(
        port, admin, upstream.port, run.filters_for(config, paths), audit_log)))
    out = workdir / f"callgrind-{label}.out"
    statuses = count(envoy, config_path, port, body, warm, n, out)
    split = by_object(out)
    generated = split.get("generated", collections.Counter())
    return {"total": sum(c["Ir"] for c in split.values()) / n, "statuses": sorted(statuses),
            "split": {k: c["Ir"] / n for k, c in split.items() if c["Ir"] >= n},
            "misses": {e: sum(c[e] for c in split.values()) / n for e in MISSES},
            "misses_generated": {e: generated[e] / n for e in MISSES}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--body", required=True, type=Path)
    ap.add_argument("--module", required=True, type=Path)
    ap.add_argument("--floor", required=True, type=Path)
    ap.add_argument("--upstream", required=True, type=Path)
    ap.add_argument("--warm", type=int, default=30)
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("configs", nargs="+", help="label=config, or label=cipgate:no-audit")
    args = ap.parse_args()

    envoy = Path(run.sh([sys.executable, "-c", "import envoy, os; print(os.path.dirname(envoy.__file__))"])
                 .strip()) / "_bin" / "envoy"
    paths = {"envoy": envoy, "module": args.module.resolve(), "floor": args.floor.resolve()}
    body = args.body.read_bytes()
    workdir = Path(tempfile.mkdtemp(prefix="cipgate-instructions-"))
    upstream = run.Upstream(args.upstream.resolve())
    try:
        for spec in args.configs:
            label, _, what = spec.partition("=")
            config, _, flag = what.partition(":")
            r = per_request(envoy, paths, upstream, config, body, workdir, label,
                            audit=flag != "no-audit", warm=args.warm, n=args.n)
            parts = ", ".join(f"{k} {v:,.0f}" for k, v in sorted(r["split"].items(), key=lambda kv: -kv[1]))
            misses = ", ".join(f"{e} {v:,.0f} ({r['misses_generated'][e]:,.0f} generated)"
                               for e, v in r["misses"].items())
            print(f"{label}: {r['total']:,.0f} instructions per request ({parts}); simulated misses "
                  f"{misses}; answers {r['statuses']}", flush=True)
    finally:
        upstream.stop()


if __name__ == "__main__":
    main()
