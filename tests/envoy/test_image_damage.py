"""A module whose policy image is damaged fails closed in the real Envoy: every section of
the image, damaged so the checksum catches it and damaged behind a rewritten checksum so the
decoder or validator must, gives 503 on the signup route and nothing reaches the upstream."""

from __future__ import annotations

from conftest import EXAMPLES, damaged_modules


def test_every_damaged_section_answers_503_and_forwards_nothing(envoy_factory, upstream, dist, tmp_path):
    body = (EXAMPLES / "us-person-minimal.json").read_bytes()
    image = (dist.root / dist.manifest["policy"]["file"]).read_bytes()
    cases = damaged_modules(dist.module.read_bytes(), image)
    assert len(cases) >= 16
    for name, module in cases:
        path = tmp_path / f"{name}.wasm"
        path.write_bytes(module)
        proxy = envoy_factory(module=path)
        before = len(upstream.received)
        conn = proxy.connect()
        try:
            conn.request("POST", "/signup", body=body, headers={"content-type": "application/json"})
            response = conn.getresponse()
            reply = response.read()
        finally:
            conn.close()
        assert response.status == 503, f"{name}: {response.status} {reply[:200]!r}"
        assert b"filter_failure" in reply, name
        assert len(upstream.received) == before, f"{name}: the signup reached the upstream"
        assert "policy does not load" in proxy.log_text(), name
        proxy.stop()
