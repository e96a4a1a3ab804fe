"""Bypass attempts against the real Envoy: a signup the policy denies, disguised every way an
applicant or a client library could, must never reach the signup service.

Each case sends a DENIED signup (the complete German signup of the examples with its address
country changed to IR) in some disguise and asserts two things: the answer is a 4xx (a
non-allow decision in JSON from the filter, or Envoy's own refusal of a broken request) and the
upstream recorded nothing, not even headers. The base signup's decisions are checked first
(allowed as DE, denied as IR), so a case cannot pass because the base was never allowed.

The parsing cases also run through the native evaluator (``cipgate check``) and must give the
same bytes, so the gate's answer is the evaluator's answer and not an accident of transport.
"""

from __future__ import annotations

import copy
import gzip
import json
import re
import socket
import time
import zlib

import pytest

from conftest import EXAMPLES, LOOPBACK
from test_filter import FORM, JSON, h2c, http1, http1_chunked, native, split, to_form  # noqa: F401

BASE = json.loads((EXAMPLES / "foreign-individual-complete.json").read_text())
assert BASE["customer"]["address"]["country"] == "DE"
# The placeholder of the address's country member in the JSON text of the base signup.
SLOT = '"country": "__COUNTRY__"'


def document(country="IR") -> dict:
    doc = copy.deepcopy(BASE)
    doc["customer"]["address"]["country"] = country
    return doc


def denied_body() -> bytes:
    return json.dumps(document("IR")).encode()


def with_member(member: str) -> bytes:
    """The base signup as JSON text with the address's `country` member replaced by `member`
    (raw JSON text, so it can hold what a serializer would never write)."""
    text = json.dumps(document("__COUNTRY__"), ensure_ascii=False)
    assert text.count(SLOT) == 1
    return text.replace(SLOT, member).encode()


# --- checks ---------------------------------------------------------------------------------


def upstream_count_settles(upstream, before: int, wait: float = 0.3):
    """A forwarded request would have reached the upstream by now."""
    time.sleep(wait)
    assert len(upstream.received) == before, (
        f"the upstream received {[(r.method, r.path, r.body) for r in upstream.received[before:]]}")


def assert_blocked(response, upstream, before: int) -> dict:
    """A 4xx decision from the filter (JSON, never allow/review) and nothing upstream."""
    assert 400 <= response.status < 500, (response.status, response.body[:300])
    assert response.header("content-type") == "application/json", response.headers
    decision = json.loads(response.body)
    assert decision["outcome"] in ("incomplete", "reject", "deny"), decision
    assert decision["status"] == response.status
    assert response.header("x-cipgate-outcome") == decision["outcome"]
    upstream_count_settles(upstream, before)
    return decision


def outcome_rules(decision: dict) -> list[str]:
    return sorted({v["rule"] for v in decision["violations"]})


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proxy(envoy_factory):
    return envoy_factory("")


@pytest.fixture(scope="module")
def geo_proxy(envoy_factory):
    return envoy_factory({"geo_country_header": "x-geo-country"})


def test_the_base_signup_is_allowed_as_de_and_denied_as_ir(proxy, upstream, native):
    allowed = json.dumps(document("DE")).encode()
    _, decision = native(allowed)
    assert decision["outcome"] == "allow"
    response = http1(proxy, allowed, {"content-type": JSON})
    assert response.status == 200
    assert upstream.by_request_id(response.request_id)[0].body == allowed
    text, decision = native(denied_body())
    assert decision["outcome"] == "deny"
    assert "address-country-restricted" in outcome_rules(decision)
    before = len(upstream.received)
    response = http1(proxy, denied_body(), {"content-type": JSON})
    assert response.body.decode() == text
    assert_blocked(response, upstream, before)


# --- parsing differentials ------------------------------------------------------------------

DEEP = 10_000

# (name, the address's country member as raw JSON text, the rules expected to decide it).
# `None` as rules: any non-allow decision will do, the evaluator's text is compared anyway.
MEMBERS = [
    # Duplicate keys: first-wins and last-wins parsers would each read a different country.
    ("duplicate key, IR last", '"country": "DE", "country": "IR"', ["document.duplicate-key"]),
    ("duplicate key, IR first", '"country": "IR", "country": "DE"', ["document.duplicate-key"]),
    ("duplicate key spelled with an escape", '"country": "DE", "\\u0063ountry": "IR"',
     ["document.duplicate-key"]),
    # Go's encoding/json and ASP.NET Core bind keys case-insensitively.
    ("duplicate key in another case", '"country": "DE", "Country": "IR"',
     ["document.duplicate-key"]),
    ("duplicate key in upper case", '"COUNTRY": "IR", "country": "DE"', ["document.duplicate-key"]),
    # Escapes decode before the value is judged.
    ("escaped value", '"country": "\\u0049R"', None),
    ("fully escaped value", '"country": "\\u0049\\u0052"', None),
    # Case and width variants are not country codes: invalid, so incomplete, never allowed.
    ("lower case", '"country": "ir"', None),
    ("mixed case", '"country": "Ir"', None),
    ("mixed case 2", '"country": "iR"', None),
    ("full width", '"country": "ＩＲ"', None),
    ("full width escaped", '"country": "\\uff29\\uff32"', None),
    ("alpha-3", '"country": "IRN"', None),
    ("country name", '"country": "Iran"', None),
    # White space and control characters.
    ("leading space", '"country": " IR"', None),
    ("trailing space", '"country": "IR "', None),
    ("inner space", '"country": "I R"', None),
    ("tab", '"country": "\\tIR"', None),
    ("newline", '"country": "IR\\n"', None),
    ("no-break space", '"country": "\\u00a0IR"', None),
    ("zero-width space", '"country": "IR\\u200b"', None),
    ("escaped NUL", '"country": "IR\\u0000"', None),
    ("raw control character", '"country": "IR\x01"', ["document.malformed-json"]),
    ("NUL-terminated key", '"country": "IR", "country\\u0000": "DE"', ["document.duplicate-key"]),
    # Other types where a string belongs.
    ("list", '"country": ["IR"]', None),
    ("object", '"country": {"code": "IR"}', None),
    ("boolean", '"country": true', None),
    ("number", '"country": 364', None),
    ("null", '"country": null', None),
    # Numbers other parsers read differently.
    ("NaN", '"country": "IR", "score": NaN', ["document.malformed-json"]),
    ("Infinity", '"country": "IR", "score": Infinity', ["document.malformed-json"]),
    ("overflowing number", '"country": "IR", "score": 1e400', ["document.non-finite-number"]),
    ("huge integer", '"country": "IR", "score": ' + "9" * 400, ["document.non-finite-number"]),
    # Deep nesting.
    ("deep list", '"country": "IR", "x": ' + "[" * DEEP + "]" * DEEP, ["document.too-deep"]),
    ("deep object", '"country": "IR", "x": ' + '{"a":' * DEEP + "1" + "}" * DEEP,
     ["document.too-deep"]),
    # Syntax other parsers accept.
    ("comment", '"country": /* DE */ "IR"', ["document.malformed-json"]),
    ("single quotes", "'country': 'IR'", ["document.malformed-json"]),
    ("trailing comma", '"country": "IR",', ["document.malformed-json"]),
    ("bad escape", '"country": "\\x49R"', ["document.invalid-escape"]),
    ("lone surrogate", '"country": "IR\\ud800"', ["document.invalid-escape"]),
]


@pytest.mark.parametrize("name, member, rules", MEMBERS, ids=[m[0] for m in MEMBERS])
def test_parsing_differential_is_not_allowed(proxy, upstream, native, name, member, rules):
    body = with_member(member)
    expected_text, expected = native(body)
    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": JSON})
    decision = assert_blocked(response, upstream, before)
    assert response.body.decode() == expected_text
    assert expected["outcome"] != "allow"
    if rules is not None:
        assert outcome_rules(decision) == sorted(rules)


WHOLE_BODIES = [
    ("byte order mark", b"\xef\xbb\xbf" + denied_body(), ["document.byte-order-mark"]),
    ("UTF-16", denied_body().decode().encode("utf-16-le"), None),
    ("latin-1 byte", denied_body()[:-1] + b', "note": "K\xf6ln"}', ["document.not-utf8"]),
    # An allowed document followed by a denied one: parsers that stop at the first value
    # would see DE, parsers that take the last would see IR.
    ("a second document", json.dumps(document("DE")).encode() + denied_body(),
     ["document.trailing-data"]),
    ("denied, then an allowed document", denied_body() + b"\n" + json.dumps(document("DE")).encode(),
     ["document.trailing-data"]),
    ("trailing garbage", denied_body() + b"x", ["document.trailing-data"]),
    ("trailing NUL", denied_body() + b"\x00", ["document.trailing-data"]),
    ("duplicate top-level object", b'{"customer": {"kind": "individual"}, "customer": '
     + json.dumps(document("IR")["customer"]).encode() + b"}", ["document.duplicate-key"]),
    ("duplicate payment object in another case", denied_body()[:-1]
     + b', "Payment": {"country": "DE"}}', ["document.duplicate-key"]),
    ("nested in a list", b"[" + denied_body() + b"]", None),
]


@pytest.mark.parametrize("name, body, rules", WHOLE_BODIES, ids=[w[0] for w in WHOLE_BODIES])
def test_body_level_tricks_are_not_allowed(proxy, upstream, native, name, body, rules):
    expected_text, _ = native(body)
    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": JSON})
    decision = assert_blocked(response, upstream, before)
    assert response.body.decode() == expected_text
    if rules is not None:
        assert outcome_rules(decision) == sorted(rules)


FORM_BODIES = [
    ("plain", to_form(document("IR")), None),
    ("field twice, IR last", to_form(document("DE")) + b"&customer.address.country=IR",
     ["document.ambiguous-form-keys"]),
    ("field twice in another case", to_form(document("DE")) + b"&customer.address.Country=IR",
     ["document.ambiguous-form-keys"]),
    ("PHP-style name", to_form(document("DE")) + b"&customer_address_country=IR",
     ["document.ambiguous-form-keys"]),
    ("percent-encoded name", to_form(document("DE")) + b"&customer.address.countr%79=IR",
     ["document.ambiguous-form-keys"]),
    ("bracket syntax", to_form(document("DE")) + b"&customer[address][country]=IR",
     ["document.malformed-form"]),
    ("semicolon separator", to_form(document("DE")) + b";customer.address.country=IR",
     ["document.malformed-form"]),
    ("lower case value", to_form(document("ir")), None),
    ("encoded full width", to_form(document("ＩＲ")), None),
    ("bad percent escape", to_form(document("IR")) + b"&x=%G1", ["document.malformed-form"]),
    ("not UTF-8", to_form(document("IR")) + b"&x=%FF", ["document.not-utf8"]),
]


@pytest.mark.parametrize("name, body, rules", FORM_BODIES, ids=[f[0] for f in FORM_BODIES])
def test_form_tricks_are_not_allowed(proxy, upstream, native, name, body, rules):
    expected_text, _ = native(body, FORM)
    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": FORM})
    decision = assert_blocked(response, upstream, before)
    assert response.body.decode() == expected_text
    if rules is not None:
        assert outcome_rules(decision) == sorted(rules)


# --- content types --------------------------------------------------------------------------

CONTENT_TYPES = [
    ("with charset", "application/json; charset=utf-8", 403),
    ("odd case", "APPLICATION/Json", 403),
    ("quoted charset", 'application/json;charset="UTF-8"', 403),
    ("another charset", "application/json; charset=utf-16", 415),
    ("unknown parameter", "application/json; boundary=x", 415),
    ("two media types", "application/json, text/plain", 415),
    ("json suffix", "application/vnd.api+json", 415),
    ("text/plain", "text/plain", 415),
    ("multipart", "multipart/form-data; boundary=x", 415),
    ("form type with a JSON body", FORM, 400),
    ("empty", "", 415),
]


@pytest.mark.parametrize("name, content_type, status", CONTENT_TYPES,
                         ids=[c[0] for c in CONTENT_TYPES])
def test_content_type_tricks(proxy, upstream, native, name, content_type, status):
    expected_text, _ = native(denied_body(), content_type)
    before = len(upstream.received)
    response = http1(proxy, denied_body(), {"content-type": content_type})
    assert response.status == status
    assert response.body.decode() == expected_text
    assert_blocked(response, upstream, before)


def test_missing_content_type(proxy, upstream):
    before = len(upstream.received)
    response = http1(proxy, denied_body(), {})
    decision = assert_blocked(response, upstream, before)
    assert outcome_rules(decision) == ["document.unsupported-content-type"]


def test_multipart_body(proxy, upstream):
    boundary = "cipgate-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"customer.address.country\""
            f"\r\n\r\nIR\r\n--{boundary}--\r\n").encode()
    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": f"multipart/form-data; boundary={boundary}"})
    assert response.status == 415
    assert_blocked(response, upstream, before)


# --- transport tricks -----------------------------------------------------------------------


@pytest.mark.parametrize("encoding, encode", [
    ("gzip", gzip.compress),
    ("x-gzip", gzip.compress),
    ("GZIP", gzip.compress),
    ("deflate", zlib.compress),
    ("br", lambda b: b),  # never decoded: the header alone decides
    ("identity, gzip", gzip.compress),
    ("compress", lambda b: b),
])
def test_encoded_bodies_are_refused(proxy, upstream, encoding, encode):
    before = len(upstream.received)
    response = http1(proxy, encode(denied_body()),
                     {"content-type": JSON, "content-encoding": encoding})
    assert response.status == 415
    decision = assert_blocked(response, upstream, before)
    assert outcome_rules(decision) == ["document.unsupported-content-encoding"]


def test_encoding_in_a_second_header_line(proxy, upstream):
    body = gzip.compress(denied_body())
    conn = proxy.connect()
    try:
        conn.putrequest("POST", "/signup")
        for k, v in [("content-type", JSON), ("content-encoding", "identity"),
                     ("content-encoding", "gzip"), ("content-length", str(len(body)))]:
            conn.putheader(k, v)
        before = len(upstream.received)
        conn.endheaders(body)
        r = conn.getresponse()
        status, payload = r.status, r.read()
    finally:
        conn.close()
    assert status == 415, payload
    upstream_count_settles(upstream, before)


def test_many_tiny_chunks(proxy, upstream, native):
    body = denied_body()
    expected_text, _ = native(body)
    before = len(upstream.received)
    response = http1_chunked(proxy, split(body, 1), {"content-type": JSON}, pause=0)
    assert response.body.decode() == expected_text
    assert_blocked(response, upstream, before)


def test_h2_many_frames_and_trailers(proxy, upstream, native):
    body = denied_body()
    expected_text, _ = native(body)
    before = len(upstream.received)
    response = h2c(proxy, [("content-type", JSON)], split(body, 3),
                   trailers=[("x-trailer", "1"), ("content-type", "text/plain")])
    assert response.status == 403
    assert response.body.decode() == expected_text
    assert_blocked(response, upstream, before)


def test_h2_body_only_in_frames_after_an_empty_one(proxy, upstream, native):
    body = denied_body()
    expected_text, _ = native(body)
    before = len(upstream.received)
    response = h2c(proxy, [("content-type", JSON)], [b""] + split(body, 500),
                   trailers=[("x-trailer", "1")])
    assert response.status == 403
    assert response.body.decode() == expected_text
    assert_blocked(response, upstream, before)


def raw_exchange(proxy, data: bytes, *, read_for: float = 2.0, then: bytes = b"") -> bytes:
    """Writes raw bytes on one connection and returns what came back within `read_for`."""
    sock = socket.create_connection((LOOPBACK, proxy.port), timeout=read_for)
    received = bytearray()
    try:
        sock.sendall(data)
        if then:
            time.sleep(0.3)
            sock.sendall(then)
        deadline = time.monotonic() + read_for
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            received += chunk
    finally:
        sock.close()
    return bytes(received)


def statuses(raw: bytes) -> list[int]:
    """Status codes of the responses in a raw HTTP/1.1 stream (a body is not CRLF-ended, so
    the next status line may follow it directly)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", raw)]


def request_head(length: int, extra: str = "") -> bytes:
    return (f"POST /signup HTTP/1.1\r\nHost: localhost\r\nContent-Type: {JSON}\r\n"
            f"Content-Length: {length}\r\n{extra}\r\n").encode()


def test_expect_100_continue(proxy, upstream, native):
    body = denied_body()
    expected_text, _ = native(body)
    before = len(upstream.received)
    raw = raw_exchange(proxy, request_head(len(body), "Expect: 100-continue\r\n"), then=body)
    assert 403 in statuses(raw), raw[:300]
    assert raw.endswith(expected_text.encode()), raw[-300:]
    upstream_count_settles(upstream, before)


def test_content_length_shorter_than_the_body(proxy, upstream):
    """The body is cut at Content-Length; the rest is read as a next request, which is not
    HTTP. Neither part reaches the upstream."""
    body = denied_body()
    before = len(upstream.received)
    raw = raw_exchange(proxy, request_head(len(body) - 20) + body)
    codes = statuses(raw)
    assert codes and all(400 <= c < 500 for c in codes), raw[:500]
    assert b'"document.malformed-json"' in raw
    upstream_count_settles(upstream, before)


def test_content_length_longer_than_the_body(proxy, upstream):
    """The filter waits for the rest of the body, which never comes: nothing is decided and
    nothing is forwarded."""
    body = denied_body()
    before = len(upstream.received)
    raw = raw_exchange(proxy, request_head(len(body) + 100) + body, read_for=2.0)
    assert all(400 <= c < 500 for c in statuses(raw)), raw[:300]
    upstream_count_settles(upstream, before)


def test_content_length_and_chunked_together(proxy, upstream):
    body = denied_body()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    before = len(upstream.received)
    raw = raw_exchange(proxy, request_head(5, "Transfer-Encoding: chunked\r\n") + chunked)
    codes = statuses(raw)
    assert codes and all(400 <= c < 500 for c in codes), raw[:300]
    upstream_count_settles(upstream, before)


@pytest.mark.parametrize("coding, status", [
    ("gzip, chunked", 501), ("identity, chunked", 501), ("chunked, chunked", 501),
    ("Chunked", 400),
])
def test_transfer_codings_other_than_chunked(proxy, upstream, coding, status):
    """Envoy's codec answers 501 for transfer codings it does not implement; `Chunked` is
    chunked, and the gzip body inside it is then unreadable to the filter (400)."""
    body = gzip.compress(denied_body())
    head = (f"POST /signup HTTP/1.1\r\nHost: localhost\r\nContent-Type: {JSON}\r\n"
            f"Transfer-Encoding: {coding}\r\n\r\n").encode()
    before = len(upstream.received)
    raw = raw_exchange(proxy, head + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    assert statuses(raw) == [status], raw[:300]
    upstream_count_settles(upstream, before)


def test_pipelined_requests_are_each_decided(proxy, upstream):
    """Request smuggling by pipelining: an allowed signup, then a denied one on the same
    connection, and after the answers an allowed one again. Each is decided on its own; the
    denied one's local reply keeps the connection (its body was read in full); the allowed
    ones arrive alone and intact."""
    allowed = json.dumps(document("DE")).encode()
    denied = denied_body()
    before = len(upstream.received)
    one = request_head(len(allowed)) + allowed
    raw = raw_exchange(proxy, one + request_head(len(denied)) + denied, then=one)
    assert statuses(raw) == [200, 403, 200], raw[:800]
    assert b"connection: close" not in raw.lower(), raw[:800]
    time.sleep(0.3)
    got = upstream.received[before:]
    assert [r.body for r in got] == [allowed, allowed]


@pytest.mark.xfail(strict=True, reason="issue 11: with allowed, denied and allowed signups "
                   "written at once, Envoy answers the first two and leaves the third unread "
                   "until more bytes arrive; Envoy's Lua filter answering 403 after the body "
                   "does the same (measured), so it is Envoy's, not the filter's; strict, so a "
                   "fix shows")
def test_three_pipelined_requests_written_at_once_get_three_answers(proxy, upstream):
    allowed = json.dumps(document("DE")).encode()
    one = request_head(len(allowed)) + allowed
    denied = denied_body()
    raw = raw_exchange(proxy, one + request_head(len(denied)) + denied + one)
    assert statuses(raw) == [200, 403, 200], raw[:800]


def test_get_with_a_body_is_inspected(proxy, upstream):
    before = len(upstream.received)
    response = http1(proxy, denied_body(), {"content-type": JSON}, method="GET")
    assert response.status == 403
    assert_blocked(response, upstream, before)


# --- header spoofing ------------------------------------------------------------------------


def test_client_sent_decision_headers_change_nothing(proxy, upstream):
    before = len(upstream.received)
    response = http1(proxy, denied_body(), {
        "content-type": JSON, "x-cipgate-outcome": "allow", "X-Cipgate-Policy": "0" * 64,
        "x-cipgate-mode": "audit", "x-cipgate-rules": ""})
    assert response.status == 403
    assert_blocked(response, upstream, before)


def test_geo_header_is_ignored_unless_configured(proxy, upstream):
    before = len(upstream.received)
    # A client in a restricted country claiming another location changes nothing...
    response = http1(proxy, denied_body(), {"content-type": JSON, "x-geo-country": "DE"})
    assert response.status == 403
    assert_blocked(response, upstream, before)
    # ...and claiming a restricted one does not deny an allowed signup either: untrusted.
    allowed = json.dumps(document("DE")).encode()
    response = http1(proxy, allowed, {"content-type": JSON, "x-geo-country": "IR"})
    assert response.status == 200


@pytest.mark.parametrize("values", [["DE", "IR"], ["IR", "DE"], ["DE, IR"], ["US,IR"]])
def test_geo_header_the_edge_did_not_replace_fails_closed(geo_proxy, upstream, values):
    allowed = json.dumps(document("DE")).encode()
    conn = geo_proxy.connect()
    try:
        conn.putrequest("POST", "/signup")
        for v in values:
            conn.putheader("x-geo-country", v)
        conn.putheader("content-type", JSON)
        conn.putheader("content-length", str(len(allowed)))
        before = len(upstream.received)
        conn.endheaders(allowed)
        r = conn.getresponse()
        status, payload = r.status, r.read()
    finally:
        conn.close()
    assert status == 503
    assert json.loads(payload)["error"] == "filter_failure"
    upstream_count_settles(upstream, before)


@pytest.mark.parametrize("value", ["ir", "IRN", "Iran", "XX", "", "ＩＲ", "I R"])
def test_geo_header_that_is_not_a_country_code_fails_closed(geo_proxy, upstream, value):
    """A trusted header the core cannot read would switch the location rule off silently
    (before this check, `ir`, `IRN` and `Iran` let an allowed signup through); the filter
    refuses it instead."""
    allowed = json.dumps(document("DE")).encode()
    before = len(upstream.received)
    response = http1(geo_proxy, allowed, {"content-type": JSON,
                                           "x-geo-country": value.encode().decode("latin-1")})
    assert response.status == 503, response.body
    assert json.loads(response.body)["error"] == "filter_failure"
    upstream_count_settles(upstream, before)
    assert "not an ISO 3166-1 alpha-2 country code" in geo_proxy.log_text()


def test_geo_header_with_a_restricted_country_denies(geo_proxy, upstream):
    allowed = json.dumps(document("DE")).encode()
    before = len(upstream.received)
    response = http1(geo_proxy, allowed, {"content-type": JSON, "x-geo-country": "IR"})
    decision = assert_blocked(response, upstream, before)
    assert "client-location-restricted" in outcome_rules(decision)


def test_forged_forwarded_for_changes_nothing(proxy, upstream):
    before = len(upstream.received)
    response = http1(proxy, denied_body(), {
        "content-type": JSON, "x-forwarded-for": "203.0.113.7, 198.51.100.1",
        "x-real-ip": "203.0.113.7", "forwarded": "for=203.0.113.7"})
    assert_blocked(response, upstream, before)
    # The audit record keeps the peer, not what the client wrote.
    assert proxy.audit_record(response.request_id)["client_ip"] == LOOPBACK


# --- size limits ----------------------------------------------------------------------------


def padded_denied(size: int) -> bytes:
    body = denied_body()
    assert len(body) <= size
    return body + b" " * (size - len(body))


@pytest.fixture(scope="module")
def limit(dist) -> int:
    return dist.manifest["policy"]["max_body_bytes"]


@pytest.mark.parametrize("delta, status", [(-1, 403), (0, 403), (1, 413)])
def test_bodies_around_the_size_limit(proxy, upstream, native, limit, delta, status):
    body = padded_denied(limit + delta)
    expected_text, _ = native(body)
    for send in (
        lambda: http1(proxy, body, {"content-type": JSON}),
        lambda: http1_chunked(proxy, split(body, 4096), {"content-type": JSON}, pause=0),
        lambda: h2c(proxy, [("content-type", JSON)], split(body, 16384),
                    trailers=[("x-t", "1")]),
    ):
        before = len(upstream.received)
        response = send()
        assert response.status == status
        assert response.body.decode() == expected_text
        assert_blocked(response, upstream, before)


def test_body_far_over_envoys_buffer_limit(proxy, upstream):
    """2 MiB, chunked, so no Content-Length warns the filter: it answers 413 once the buffer
    passes the policy's limit, long before Envoy's own 1 MiB buffer limit."""
    body = padded_denied(2 * 1024 * 1024)
    before = len(upstream.received)
    conn = proxy.connect(timeout=20)
    try:
        conn.putrequest("POST", "/signup")
        conn.putheader("content-type", JSON)
        conn.putheader("transfer-encoding", "chunked")
        conn.endheaders()
        try:
            for chunk in split(body, 65536):
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                # Paced as a network would: in one CI run, the whole 2 MiB written in one
                # burst met Envoy's own 413 (text/plain, its 1 MiB buffer limit) before the
                # filter's, as if Envoy had read past its limit in one go. Still a refusal,
                # but not the one this test is about.
                time.sleep(0.002)
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # Envoy answered and closed while the client was still sending
        r = conn.getresponse()
        status, payload, ctype = r.status, r.read(), r.getheader("content-type")
    finally:
        conn.close()
    assert status == 413
    assert ctype == "application/json"
    assert outcome_rules(json.loads(payload)) == ["document.too-large"]
    upstream_count_settles(upstream, before)

