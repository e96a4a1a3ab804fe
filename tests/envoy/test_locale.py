"""Messages in the applicant's language, in the real Envoy: the filter reads
``Accept-Language`` and answers with the policy's messages in the locale it picks, with the same
rule ids, codes and citations. Expected decisions come from the native evaluator (``cipgate
check --locale``, the ``native`` fixture) for the same body, never from this file, and must be
the same bytes.
"""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES
from test_filter import native  # noqa: F401 (fixture)
from test_filter import JSON, assert_upstream_never_saw, h2c, http1, rule_ids

GERMAN_BROWSER = "de-DE,de;q=0.9,en;q=0.5"
BLOCKED = ["embargoed-address.json", "foreign-individual-missing-phone.json",
           "crimea-written-as-russia.json", "reseller-without-cip.json"]


@pytest.fixture(scope="module")
def proxy(envoy_factory):
    """Envoy with an empty plugin configuration: enforce on every request with a body."""
    return envoy_factory("")


def same_but_words(a: dict, b: dict) -> bool:
    """Whether two decisions differ in their locale and messages only."""
    def strip(d: dict) -> dict:
        d = json.loads(json.dumps(d))
        d.pop("locale")
        for v in d["violations"]:
            v.pop("message")
        return d
    return strip(a) == strip(b)


@pytest.mark.parametrize("name", BLOCKED)
def test_a_german_browser_gets_the_german_decision(proxy, upstream, native, name):
    body = (EXAMPLES / name).read_bytes()
    expected_text, expected = native(body, locale="de")
    _, english = native(body)
    assert expected["locale"] == "de" and english["locale"] == "en"
    assert rule_ids(expected) == rule_ids(english)
    assert same_but_words(expected, english)
    assert all(d["message"] != e["message"]
               for d, e in zip(expected["violations"], english["violations"]))

    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": JSON, "accept-language": GERMAN_BROWSER})
    assert response.status == expected["status"]
    assert response.body.decode() == expected_text
    assert_upstream_never_saw(upstream, response, before)


def test_a_body_that_cannot_be_read_is_refused_in_german(proxy, upstream, native):
    body = b'{"customer": '
    expected_text, expected = native(body, locale=GERMAN_BROWSER)
    assert rule_ids(expected) == ["document.malformed-json"] and expected["locale"] == "de"
    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": JSON, "accept-language": "de-CH"})
    assert response.status == 400
    assert response.body.decode() == expected_text
    assert_upstream_never_saw(upstream, response, before)


def test_a_request_refused_from_its_headers_is_refused_in_german(proxy, upstream):
    body = (EXAMPLES / "foreign-individual-complete.json").read_bytes()
    response = http1(proxy, body, {"content-type": JSON, "content-encoding": "gzip",
                                   "accept-language": GERMAN_BROWSER})
    assert response.status == 415
    decision = json.loads(response.body)
    assert decision["locale"] == "de"
    assert rule_ids(decision) == ["document.unsupported-content-encoding"]
    assert decision["violations"][0]["message"].startswith("Dieser Endpunkt nimmt keine")


def test_two_accept_language_lines_are_one_list(proxy, native):
    body = (EXAMPLES / "embargoed-address.json").read_bytes()
    expected_text, expected = native(body, locale="fr-FR, de;q=0.8")
    assert expected["locale"] == "de"
    response = h2c(proxy, [("content-type", JSON), ("accept-language", "fr-FR"),
                           ("accept-language", "de;q=0.8")], [body])
    assert response.status == 403
    assert response.body.decode() == expected_text


@pytest.mark.parametrize("accept_language", ["fr-FR, fr;q=0.9", "de;q=nonsense", "*"])
def test_other_or_unreadable_languages_get_the_default(proxy, native, accept_language):
    body = (EXAMPLES / "foreign-individual-missing-phone.json").read_bytes()
    expected_text, expected = native(body)
    assert expected["locale"] == "en"
    assert native(body, locale=accept_language)[0] == expected_text
    response = http1(proxy, body, {"content-type": JSON, "accept-language": accept_language})
    assert response.status == 422
    assert response.body.decode() == expected_text


def test_a_forwarded_signup_is_tagged_alike_in_every_language(proxy, upstream):
    body = (EXAMPLES / "foreign-individual-complete.json").read_bytes()
    for accept_language in (GERMAN_BROWSER, "en"):
        response = http1(proxy, body, {"content-type": JSON, "accept-language": accept_language})
        assert response.status == 200
        (got,) = upstream.by_request_id(response.request_id)
        assert got.body == body
        assert got.header_values("x-cipgate-outcome") == ["allow"]
        assert got.header_values("accept-language") == [accept_language]
