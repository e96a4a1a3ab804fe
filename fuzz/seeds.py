#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into fuzz/seeds/<target>/ (gitignored, rewritten
on every run): the example signups (JSON and form-encoded), every request of the default
policy's test cases, and the policies in the repository and in the language guide. Seeds are
generated rather than committed so they follow the examples and tests as those change.

The byte layouts must match fuzz/src/lib.rs and the targets' doc comments:
  evaluate:       [content type][facts] body
  filter_chunks:  [content type][flags][n][n chunk sizes] body
  form_decoder:   body
  compile_policy: policy text
  image:          [mode] policy image (dist/us-iaas-cip.cpi; even mode as is, odd resealed)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import urllib.parse
from pathlib import Path

import yaml

FUZZ = Path(__file__).resolve().parent
REPO = FUZZ.parent
EXAMPLES = Path(os.environ.get("CIPGATE_EXAMPLES", REPO / "policies" / "examples" / "signups"))

# Indices into CONTENT_TYPES and GEO of fuzz/src/lib.rs (and GEO of filter_chunks.rs).
CONTENT_TYPES = {"application/json": 0, "application/x-www-form-urlencoded": 1,
                 "application/json; charset=utf-8": 2, None: 4, "text/plain": 5,
                 "multipart/form-data; boundary=x": 6, "application/json; charset=latin1": 7}
EVALUATE_GEO = {None: 0, "DE": 1, "IR": 2, "US": 3, "KP": 4}
FILTER_GEO = {None: 0, "DE": 1, "IR": 2, "US": 3}
JSON, FORM = 0, 1
# Chunkings the filter seeds use: whole, tiny, uneven.
CHUNKINGS = [[], [1], [7, 1, 64], [200, 3]]


def to_form(document) -> bytes:
    """A JSON document as an HTML form sends it: dotted keys, list indices, text values."""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else k, v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(f"{prefix}.{i}", v)
        elif isinstance(value, bool):
            pairs.append((prefix, "true" if value else "false"))
        elif value is None:
            pairs.append((prefix, ""))
        else:
            pairs.append((prefix, str(value)))

    walk("", document)
    return urllib.parse.urlencode(pairs).encode()


def requests() -> list[tuple[int, str | None, bytes]]:
    """(content type index, geolocated country, body) of every example and test case."""
    found = []
    for path in sorted(EXAMPLES.glob("*.json")):
        body = path.read_bytes()
        found.append((JSON, None, body))
        found.append((FORM, None, to_form(json.loads(body))))
    cases = yaml.safe_load((REPO / "policies" / "us-iaas-cip.tests.yaml").read_text())["cases"]
    for case in cases:
        geo = case.get("geo_country")
        if "json" in case:
            body, ct = json.dumps(case["json"], ensure_ascii=False).encode(), JSON
        elif "form" in case:
            pairs = [(k, "" if v is None else str(v)) for k, v in case["form"].items()]
            body, ct = urllib.parse.urlencode(pairs).encode(), FORM
        elif "body_hex" in case:
            body, ct = bytes.fromhex(case["body_hex"]), JSON
        else:
            body, ct = case["body"].encode(), JSON
        ct = CONTENT_TYPES.get(case.get("content_type", "absent"), ct)
        found.append((ct, geo, body))
    return found


def policies() -> list[bytes]:
    texts = [p.read_bytes() for p in sorted((REPO / "policies").glob("*.yaml"))
             if not p.name.endswith(".tests.yaml")]
    guide = (REPO / "docs" / "policy-language.md").read_text()
    texts += [block.encode() for block in re.findall(r"```yaml\n(.*?)```", guide, flags=re.S)]
    return texts


def main() -> int:
    out = FUZZ / "seeds"
    shutil.rmtree(out, ignore_errors=True)
    seeds: dict[str, list[bytes]] = {"compile_policy": policies(), "evaluate": [],
                                     "form_decoder": [], "filter_chunks": [], "image": []}
    dist = Path(os.environ.get("CIPGATE_DIST", REPO / "dist"))
    image = (dist / "us-iaas-cip.cpi").read_bytes()
    seeds["image"] += [bytes([0]) + image, bytes([1]) + image]
    for n, (ct, geo, body) in enumerate(requests()):
        seeds["evaluate"].append(bytes([ct, EVALUATE_GEO.get(geo, 0)]) + body)
        if ct == FORM:
            seeds["form_decoder"].append(body)
        if geo in FILTER_GEO:
            sizes = CHUNKINGS[n % len(CHUNKINGS)]
            flags = (FILTER_GEO[geo] << 1) | (n % 2)  # every other one ends with trailers
            seeds["filter_chunks"].append(bytes([ct, flags, len(sizes), *sizes]) + body)
    for target, inputs in seeds.items():
        directory = out / target
        directory.mkdir(parents=True)
        for data in inputs:
            (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)
        print(f"seeds: {target}: {len(inputs)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
