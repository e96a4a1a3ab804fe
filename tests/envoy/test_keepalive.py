"""A local reply to a signup that was read in full leaves the client's connection open: a
browser or API client that sends a denied signup and then a corrected one reuses its
connection, and bots flooding the endpoint cost Envoy no new handshakes.

The requests go one after the other on one socket, each sent when the answer to the one
before has arrived. Pipelined requests (sent before the answers) are not a test here: Envoy
1.40 itself, with the router alone and no filter, answers only the first of three pipelined
requests (checked by hand on this wheel), so such a test would measure Envoy, not cipgate."""

from __future__ import annotations

import json
import socket
import uuid

import pytest

from conftest import EXAMPLES, LOOPBACK

ALLOWED = (EXAMPLES / "us-person-minimal.json").read_bytes()
DENIED = (EXAMPLES / "embargoed-address.json").read_bytes()


@pytest.fixture(scope="module")
def proxy(envoy_factory):
    return envoy_factory("")


def post(body: bytes, mark: str) -> bytes:
    head = (
        "POST /signup HTTP/1.1\r\n"
        f"Host: {LOOPBACK}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"x-test-mark: {mark}\r\n"
        "\r\n"
    )
    return head.encode() + body


class Responses:
    """Reads HTTP/1.1 responses off a socket, one after the other (Content-Length or
    chunked bodies, as Envoy sends them)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the proxy closed the connection")
        self.buffer += data

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            self._fill()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _exactly(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self._fill()
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def next(self) -> tuple[int, dict[str, str], bytes]:
        status = int(self._line().split(b" ")[1])
        headers: dict[str, str] = {}
        while line := self._line():
            name, value = line.decode().split(":", 1)
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = self._exactly(int(headers["content-length"]))
        else:
            assert headers.get("transfer-encoding") == "chunked", headers
            body = b""
            while size := int(self._line().split(b";")[0], 16):
                body += self._exactly(size)
                self._exactly(2)
            self._line()
        return status, headers, body


def test_allowed_denied_allowed_on_one_connection_get_three_answers(proxy, upstream):
    run = uuid.uuid4().hex
    marks = [f"{run}-{i}" for i in range(4)]
    with socket.create_connection((LOOPBACK, proxy.port), timeout=10) as sock:
        responses = Responses(sock)
        answers = []
        for body, mark in zip([ALLOWED, DENIED, ALLOWED, DENIED], marks):
            sock.sendall(post(body, mark))
            answers.append(responses.next())
        assert [status for status, _, _ in answers] == [200, 403, 200, 403]
        for status, headers, body in answers:
            assert headers.get("connection", "").lower() != "close", headers
        assert json.loads(answers[1][2])["outcome"] == "deny"
        # Still open after the last local reply: one more request on the same socket.
        sock.sendall(post(ALLOWED, f"{run}-4"))
        assert responses.next()[0] == 200

    reached = {r.header("x-test-mark"): r.body for r in upstream.received
               if (r.header("x-test-mark") or "").startswith(run)}
    assert sorted(reached) == [marks[0], marks[2], f"{run}-4"]
    assert all(body == ALLOWED for body in reached.values())
