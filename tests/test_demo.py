"""The README's main job: `scripts/demo` (its Python part, with the modules the test command
built) serves the signup page and the browser package, and the real Envoy decides POST /signup."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import REPO, free_port


def test_demo_serves_the_page_and_the_gateway_decides(dist):
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, str(REPO / "scripts" / "demo.py"), "--no-build", "--port", str(port),
         "--dist", str(dist.root)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 90
        while url is None and time.monotonic() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            if "cipgate demo: http://" in line:
                url = line.split("cipgate demo: ", 1)[1].strip()
        assert url == f"http://127.0.0.1:{port}/", f"the demo printed no URL (exit {demo.poll()})"

        with urllib.request.urlopen(url, timeout=10) as page:
            html = page.read().decode()
        assert 'name="customer.phone"' in html and "<form" in html

        with urllib.request.urlopen(url + "web/index.js", timeout=10) as module:
            assert module.status == 200

        missing_phone = (
            b"customer.kind=individual&customer.legal_name=Lena+Vogel&customer.email=lena%40example.de"
            b"&customer.address.line1=Karl-Marx-Allee+34&customer.address.city=Berlin"
            b"&customer.address.postal_code=10178&customer.address.country=DE&payment.method=card"
            b"&payment.institution=Commerzbank&payment.country=DE&payment.reference=5355"
        )
        request = urllib.request.Request(
            url + "signup", data=missing_phone, method="POST",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError("an incomplete signup went through the demo gateway")
        except urllib.error.HTTPError as answer:
            assert answer.code == 422
            decision = json.loads(answer.read())
        assert [v["rule"] for v in decision["violations"]] == ["phone-required"]

        complete = missing_phone + b"&customer.phone=%2B49+30+901820"
        request = urllib.request.Request(
            url + "signup", data=complete, method="POST",
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=20)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
    assert demo.returncode == 0
