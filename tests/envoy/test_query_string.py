"""Query strings on the signup route, in the real Envoy with the generated configuration.

Back ends that bind fields from the URL as well as from the body (Rails ``params``, PHP
``$_REQUEST``, Spring's ``@RequestParam``) would read ``?customer.address.country=IR`` next to
an allowed body. The filter refuses a query parameter that names a policy field, in any
spelling such back ends accept, before the body is read; the expected decisions come from the
native evaluator (``cipgate check --query``), never from this file.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from conftest import EXAMPLES, LOOPBACK, REPO
from test_filter import JSON, assert_upstream_never_saw, http1, rule_ids

ALLOWED = (EXAMPLES / "foreign-individual-complete.json").read_bytes()

REFUSED = [
    ("customer.address.country=IR", "request.query-names-field"),
    ("customer[address][country]=IR", "request.query-names-field"),
    ("Customer.Address.Country=IR", "request.query-names-field"),
    ("customer_address_country=IR", "request.query-names-field"),
    (quote("customer[address][country]", safe="") + "=IR", "request.query-names-field"),
    ("lang=de&customer.email=someone@example.com", "request.query-names-field"),
    ("beneficial_owners[0][address][country]=IR", "request.query-names-field"),
    ("customer=IR", "request.query-names-field"),
    # A name that does not percent-decode: what a back end makes of it is anybody's guess.
    ("x%zz=1", "request.malformed-query"),
]


@pytest.fixture(scope="module")
def native_query():
    """``native_query(body, query) -> (decision JSON text, decision)`` from ``cipgate check``."""
    binary = Path(os.environ.get("CIPGATE_BIN", REPO / "target" / "release" / "cipgate"))
    policy = Path(os.environ.get("CIPGATE_POLICY", REPO / "policies" / "us-iaas-cip.yaml"))

    def decide(body: bytes, query: str):
        args = [str(binary), "check", "--policy", str(policy), "--content-type", JSON,
                "--client-ip", LOOPBACK, "--query", query, "-"]
        run = subprocess.run(args, input=body, capture_output=True, timeout=60)
        assert run.returncode in (0, 3, 4, 5), run.stderr.decode()
        text = run.stdout.decode().rstrip("\n")
        return text, json.loads(text)

    return decide


@pytest.fixture(scope="module")
def generated(envoy_factory, dist):
    """Envoy with the plugin configuration exactly as `cipgate build` wrote it."""
    config = yaml.safe_load(dist.example.read_text())
    (listener,) = config["static_resources"]["listeners"]
    (hcm,) = listener["filter_chains"][0]["filters"]
    (cipgate,) = [f for f in hcm["typed_config"]["http_filters"] if f["name"] == "cipgate"]
    plugin_config = cipgate["typed_config"]["config"]["configuration"]["value"]
    assert json.loads(plugin_config)["query_string"] == "refuse_policy_fields"
    return envoy_factory(plugin_config)


def test_the_allowed_signup_is_allowed_without_a_query(generated, upstream, native_query):
    _, expected = native_query(ALLOWED, "")
    assert expected["outcome"] == "allow"
    response = http1(generated, ALLOWED, {"content-type": JSON})
    assert response.status == 200
    assert upstream.by_request_id(response.request_id)


@pytest.mark.parametrize("query,rule", REFUSED)
def test_a_field_smuggled_into_the_query_is_refused(generated, upstream, native_query, query,
                                                     rule):
    expected_text, expected = native_query(ALLOWED, query)
    assert rule_ids(expected) == [rule]
    before = len(upstream.received)
    response = http1(generated, ALLOWED, {"content-type": JSON}, path=f"/signup?{query}")
    assert response.status == 400
    assert response.header("content-type") == "application/json"
    assert response.body.decode() == expected_text
    assert_upstream_never_saw(upstream, response, before)


def test_other_parameters_reach_the_service(generated, upstream, native_query):
    _, expected = native_query(ALLOWED, "lang=de&utm_source=newsletter")
    assert expected["outcome"] == "allow"
    response = http1(generated, ALLOWED, {"content-type": JSON},
                      path="/signup?lang=de&utm_source=newsletter")
    assert response.status == 200
    (got,) = upstream.by_request_id(response.request_id)
    assert got.body == ALLOWED
    assert got.header_values("x-cipgate-outcome") == ["allow"]


def test_refuse_all_refuses_any_query_string(envoy_factory, upstream):
    strict = envoy_factory({"query_string": "refuse_all"})
    before = len(upstream.received)
    response = http1(strict, ALLOWED, {"content-type": JSON}, path="/signup?lang=de")
    assert response.status == 400
    assert rule_ids(json.loads(response.body)) == ["request.query-string"]
    assert_upstream_never_saw(upstream, response, before)
    assert http1(strict, ALLOWED, {"content-type": JSON}).status == 200
