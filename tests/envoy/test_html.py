"""Answers people can read, in the real Envoy: a browser that posts the signup form without
JavaScript (it asks for ``text/html``) gets a page listing the decision's messages in its
language, with a link back; API clients keep the JSON. Same decision, same status, same audit
record and counters. The messages expected come from the native evaluator (``cipgate check``)
for the same form body, and from the filter's own JSON answer to it.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from conftest import EXAMPLES, LOOPBACK
from test_filter import native  # noqa: F401 (fixture)
from test_filter import (EXAMPLE_FILES, FORM, JSON, assert_upstream_never_saw, http1,
                         prometheus, rule_ids, to_form)

# What browsers send when they navigate, a form submission among it.
CHROMIUM = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
            "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HTML = "text/html; charset=utf-8"
VARY = "accept, accept-language"


@pytest.fixture(scope="module")
def proxy(envoy_factory):
    """Envoy with an empty plugin configuration: enforce on every request with a body."""
    return envoy_factory("")


class Page(HTMLParser):
    """What a person (or a screen reader) gets from the page: its language, title, heading,
    the messages of the list (without the small print under each), links and scripts."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.title = ""
        self.heading = ""
        self.messages: list[str] = []
        self.small_print: list[str] = []
        self.links: list[str] = []
        self.tags: set[str] = set()
        self._open: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "a":
            self.links.append(attrs.get("href"))
        if tag == "li":
            self.messages.append("")
            self.small_print.append("")
        if tag not in ("meta", "br"):  # void elements have no end tag
            self._open.append(tag)

    def handle_endtag(self, tag):
        assert self._open and self._open[-1] == tag, f"</{tag}> closes {self._open}"
        self._open.pop()

    def handle_data(self, data):
        if "title" in self._open:
            self.title += data
        elif "h1" in self._open:
            self.heading += data
        elif "li" in self._open and "small" in self._open:
            self.small_print[-1] += data
        elif "li" in self._open:
            self.messages[-1] += data


def browser(accept_language: str | None = None, referer: str | None = None,
            accept: str = FIREFOX) -> dict:
    headers = {"content-type": FORM, "accept": accept}
    if accept_language:
        headers["accept-language"] = accept_language
    if referer:
        headers["referer"] = referer
    return headers


def example_form(name: str) -> bytes:
    return to_form(json.loads((EXAMPLES / name).read_bytes()))


def messages(decision: dict) -> list[str]:
    return [v["message"] for v in decision["violations"]]


@pytest.mark.parametrize("accept", [FIREFOX, CHROMIUM], ids=["firefox", "chromium"])
@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_a_browser_gets_a_page_of_the_same_decision(proxy, upstream, native, name, accept):
    body = example_form(name)
    _, expected = native(body, FORM)
    as_json = http1(proxy, body, {"content-type": FORM, "accept": JSON})
    assert as_json.status == expected["status"]

    before = len(upstream.received)
    response = http1(proxy, body, browser(accept=accept))
    if expected["outcome"] in ("allow", "review"):
        # Let through exactly as an API client's signup: the page is only for refusals.
        assert response.status == 200 and response.body == b'{"upstream":"received"}'
        (got,) = upstream.by_request_id(response.request_id)
        assert got.body == body
        assert got.header_values("x-cipgate-outcome") == [expected["outcome"]]
        assert got.header_values("accept") == [accept]
        return
    assert response.status == as_json.status == expected["status"]
    assert response.header("content-type") == HTML
    assert response.header("cache-control") == "no-store"
    assert response.header("vary") == as_json.header("vary") == VARY
    assert response.header("x-cipgate-outcome") == expected["outcome"]
    assert response.header("x-cipgate-policy") == expected["policy"]["sha256"]
    page = Page(response.body.decode("utf-8"))
    assert page.lang == "en"
    assert page.messages == messages(expected) == messages(json.loads(as_json.body))
    assert all(rule in small for rule, small in
               zip((v["rule"] for v in expected["violations"]), page.small_print))
    assert page.title and page.heading == page.title
    assert page.links == ["/signup"]
    assert expected["policy"]["sha256"] in response.body.decode()
    assert not page.tags & {"script", "img", "link", "iframe", "form", "object"}
    assert_upstream_never_saw(upstream, response, before)


@pytest.mark.parametrize("name", ["embargoed-address.json", "foreign-individual-missing-phone.json"])
def test_a_german_browser_gets_a_german_page(proxy, native, name):
    body = example_form(name)
    _, expected = native(body, FORM, locale="de")
    _, english = native(body, FORM)
    assert expected["locale"] == "de" and messages(expected) != messages(english)
    response = http1(proxy, body, browser("de-DE,de;q=0.9,en;q=0.5"))
    assert response.status == expected["status"]
    page = Page(response.body.decode("utf-8"))
    assert page.lang == "de"
    assert page.messages == messages(expected)
    assert page.heading.startswith("Ihre Registrierung")
    assert "Regel" in page.small_print[0]
    assert "Zurück zum Formular" in response.body.decode()


def test_a_form_that_cannot_be_read_is_answered_with_a_page(proxy, upstream, native):
    body = b"customer.kind=individual&customer.kind=organization"
    _, expected = native(body, FORM)
    assert expected["outcome"] == "reject"
    before = len(upstream.received)
    response = http1(proxy, body, browser())
    assert response.status == expected["status"] == 400
    page = Page(response.body.decode("utf-8"))
    assert page.messages == messages(expected)
    assert page.heading == "Your signup could not be read"
    assert_upstream_never_saw(upstream, response, before)


def test_a_request_refused_from_its_headers_is_answered_with_a_page(proxy, upstream):
    body = example_form("foreign-individual-complete.json")
    before = len(upstream.received)
    response = http1(proxy, body, {**browser(), "content-encoding": "gzip"})
    assert response.status == 415
    assert response.header("content-type") == HTML
    assert response.header("vary") == VARY
    assert Page(response.body.decode("utf-8")).heading == "Your signup could not be read"
    assert_upstream_never_saw(upstream, response, before)


def test_the_link_back_goes_to_the_same_origin_only(proxy):
    body = example_form("embargoed-address.json")
    own = f"http://{LOOPBACK}:{proxy.port}"
    for referer, back in [
        (f"{own}/signup-form?plan=small", f"{own}/signup-form?plan=small"),
        ("https://evil.example.net/phish", "/signup"),
        (f"http://{LOOPBACK}:{proxy.port}@evil.example.net/", "/signup"),
        (f"javascript:alert(1)//{LOOPBACK}:{proxy.port}", "/signup"),
        (f"//{LOOPBACK}:{proxy.port}/form", "/signup"),
    ]:
        response = http1(proxy, body, browser(referer=referer))
        assert response.status == 403
        assert Page(response.body.decode("utf-8")).links == [back], referer


@pytest.mark.parametrize("accept", [None, JSON, "*/*", "text/html;q=0.1, application/json",
                                    "text/html;q=oops"])
def test_api_clients_keep_the_json(proxy, native, accept):
    body = example_form("foreign-individual-missing-phone.json")
    expected_text, expected = native(body, FORM)
    headers = {"content-type": FORM}
    if accept:
        headers["accept"] = accept
    response = http1(proxy, body, headers)
    assert response.status == expected["status"] == 422
    assert response.header("content-type") == JSON
    assert response.header("vary") == VARY
    assert response.body.decode() == expected_text


def test_the_audit_record_and_counters_do_not_depend_on_the_answer(envoy_factory, native):
    fresh = envoy_factory("")
    body = example_form("embargoed-address.json")
    _, expected = native(body, FORM)
    records = []
    for headers in (browser(), {"content-type": FORM}):
        response = http1(fresh, body, headers)
        record = dict(fresh.audit_record(response.request_id))
        for varies in ("request_id", "time"):
            record.pop(varies)
        records.append(record)
    assert records[0] == records[1]
    assert records[0]["rules"] == rule_ids(expected)
    samples = prometheus(fresh)
    assert samples[f'cipgate_decisions{{outcome="{expected["outcome"]}"}}'] == 2
