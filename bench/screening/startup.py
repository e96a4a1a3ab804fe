"""Envoy start-up with a screening policy whose names list holds 20,000 parties, beside Envoy
with no filter and with the default policy's module, in one run (alternating, so the machine's
state is shared): seconds from exec to the listener answering, medians and ratios.

    python3 bench/screening/startup.py ENVOY UPSTREAM DEFAULT.wasm SCREENING.wasm [REPEATS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from run import Envoy, Upstream, wasm_filter  # noqa: E402


def main() -> None:
    envoy, upstream_bin, default, screening = (Path(a) for a in sys.argv[1:5])
    repeats = int(sys.argv[5]) if len(sys.argv) > 5 else 5
    configs = {
        "no filter": [],
        "default policy": [wasm_filter("cipgate", default, '{"mode": "enforce"}')],
        "20,000-party screening": [wasm_filter("cipgate", screening, '{"mode": "enforce"}')],
    }
    times: dict[str, list[float]] = {k: [] for k in configs}
    upstream = Upstream(upstream_bin)
    with tempfile.TemporaryDirectory() as work:
        try:
            for _ in range(repeats):
                for name, filters in configs.items():
                    proxy = Envoy(envoy, name.replace(" ", "-").replace(",", ""), filters,
                                  upstream.port, Path(work))
                    times[name].append(proxy.startup_s)
                    proxy.stop()
        finally:
            upstream.stop()
    base = statistics.median(times["default policy"])
    sizes = {"default policy": default.stat().st_size, "20,000-party screening": screening.stat().st_size}
    print(f"Envoy start-up, median of {repeats} (seconds from exec to the listener answering):\n")
    print("| Envoy | module | start-up | vs the default policy |")
    print("|---|---|---|---|")
    for name, ts in times.items():
        size = f"{sizes[name]:,} bytes" if name in sizes else "-"
        print(f"| {name} | {size} | {statistics.median(ts) * 1000:.0f} ms | "
              f"{statistics.median(ts) / base:.2f}x |")


if __name__ == "__main__":
    main()
