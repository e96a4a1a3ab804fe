"""Prints a wasm-metadce graph that keeps exactly the exports of a module (and what they
reach): scripts/bench gives the profile module and the buffer-only floor the exports of the
`cipgate build` module, so all three ask Envoy for the same callbacks."""

import json
import sys
from pathlib import Path

from run import leb


def exports(module: bytes) -> list[str]:
    at = 8
    while at < len(module):
        section, at = module[at], at + 1
        size, at = leb(module, at)
        if section == 7:
            count, pos = leb(module, at)
            names = []
            for _ in range(count):
                length, pos = leb(module, pos)
                names.append(module[pos:pos + length].decode())
                pos += length + 1  # the name, then the kind
                _, pos = leb(module, pos)  # the index
            return names
        at += size
    return []


def main() -> None:
    names = exports(Path(sys.argv[1]).read_bytes())
    graph = [{"name": "root", "root": True, "reaches": names}]
    graph += [{"name": name, "export": name} for name in names]
    print(json.dumps(graph))


if __name__ == "__main__":
    main()
