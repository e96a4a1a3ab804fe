"""Restricted-party screening at the gateway, in the real Envoy: the example screening policy
(``policies/examples/screening.yaml``) built with its invented sample lists, and once more with
``--list`` naming another file. A listed name is held for review (forwarded, tagged) and its
audit record names the hit and the list versions; a near-exact match in the listed country is
denied before the upstream sees it. Expected decisions come from the native evaluator
(``cipgate check``), never from this file.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import REPO
from test_filter import JSON, LOOPBACK, assert_enforced, http1

POLICY = REPO / "policies" / "examples" / "screening.yaml"
CSL = REPO / "policies" / "lists" / "csl-sample.csv"


def build(cipgate_bin, out: Path, *lists: str) -> Path:
    args = [str(cipgate_bin), "build", str(POLICY), "-o", str(out), "--no-web"]
    for item in lists:
        args += ["--list", item]
    run = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return out


def decide(cipgate_bin, body: bytes, *lists: str) -> tuple[str, dict]:
    args = [str(cipgate_bin), "check", "--policy", str(POLICY), "--client-ip", LOOPBACK]
    for item in lists:
        args += ["--list", item]
    run = subprocess.run(args + ["-"], input=body, capture_output=True, timeout=60)
    assert run.returncode in (0, 5), run.stderr.decode()
    text = run.stdout.decode().rstrip("\n")
    return text, json.loads(text)


def signup(name: str, country: str) -> bytes:
    return json.dumps({"customer": {"legal_name": name, "address": {"country": country}}}).encode()


def enforced(proxy, upstream, cipgate_bin, body: bytes, outcome: str, *lists: str):
    """Sends ``body`` through ``proxy`` and checks it was enforced as the native evaluator
    decides (with the same ``--list`` files); returns the response and that decision."""
    text, expected = decide(cipgate_bin, body, *lists)
    assert expected["outcome"] == outcome, text
    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": JSON})
    assert_enforced(response, text, expected, upstream, before, body)
    return response, expected


@pytest.fixture(scope="module")
def screening(cipgate_bin, envoy_factory, tmp_path_factory):
    out = build(cipgate_bin, tmp_path_factory.mktemp("screening"))
    return envoy_factory("", module=out / "screening-example.wasm", example=out / "envoy.yaml")


def test_a_listed_name_is_held_for_review_with_its_hit_and_list_versions(
        screening, upstream, cipgate_bin):
    response, expected = enforced(screening, upstream, cipgate_bin,
                                  signup("Arvid Zeltranov Quelmor", "DE"), "review")
    record = screening.audit_record(response.request_id)
    assert record["outcome"] == "review"
    assert record["policy_sha256"] == expected["policy"]["sha256"]
    # The list versions and hits of the native decision, in the gateway's audit record.
    assert record["policy_lists"] == expected["policy"]["lists"]
    assert [(h["list"], h["entry"]) for h in record["hits"]] == [
        (v["hit"]["list"], v["hit"]["entry"]) for v in expected["violations"]]
    assert {h["list"] for h in record["hits"]} == {"consolidated-screening-list", "sdn"}


def test_a_near_exact_match_in_the_listed_country_is_denied(screening, upstream, cipgate_bin):
    enforced(screening, upstream, cipgate_bin, signup("Nordvelt Fictive Instruments LLC", "RU"),
             "deny")


def test_a_look_alike_is_allowed(screening, upstream, cipgate_bin):
    response, _ = enforced(screening, upstream, cipgate_bin, signup("Arvid Lindqvist", "SE"),
                           "allow")
    assert screening.audit_record(response.request_id)["hits"] == []


def test_a_list_given_with_list_replaces_the_policy_source(
        cipgate_bin, envoy_factory, upstream, tmp_path):
    """``--list sdn=csl-sample.csv``: a party only the CSL sample has becomes an SDN hit, and
    the decision names the replacement file's version."""
    replacement = f"sdn={CSL}"
    out = build(cipgate_bin, tmp_path / "dist", replacement)
    proxy = envoy_factory("", module=out / "screening-example.wasm", example=out / "envoy.yaml")
    response, expected = enforced(proxy, upstream, cipgate_bin,
                                  signup("Corvane Example Exports", "DE"), "review", replacement)
    assert "party-sdn" in [v["rule"] for v in expected["violations"]]
    (sdn,) = [v for v in expected["policy"]["lists"] if v["list"] == "sdn"]
    assert sdn["entries"] == 25
    assert proxy.audit_record(response.request_id)["policy_lists"] == expected["policy"]["lists"]
