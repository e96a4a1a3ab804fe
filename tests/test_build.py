"""`cipgate build` as a user runs it: the installed binary alone, from an empty directory,
with no Rust toolchain on PATH; its modules are deterministic and carry the policy image the
manifest names; a module whose image is damaged is refused by `cipgate check --module`."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLES, REPO, damaged_modules

POLICY = REPO / "policies" / "us-iaas-cip.yaml"


@pytest.fixture(scope="module")
def bare_build(tmp_path_factory, cipgate_bin) -> Path:
    """The default policy built by a copy of the binary, with PATH=/usr/bin:/bin (no cargo,
    rustc, wasm-bindgen or wasm-opt reachable) and an empty working directory."""
    root = tmp_path_factory.mktemp("bare")
    installed = root / "bin" / "cipgate"
    installed.parent.mkdir()
    shutil.copy2(cipgate_bin, installed)
    work = root / "work"
    work.mkdir()
    shutil.copy2(POLICY, work / "policy.yaml")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "LANG": "C.UTF-8"}
    assert shutil.which("cargo", path=env["PATH"]) is None, "cargo must not be reachable"
    done = subprocess.run(
        [str(installed), "build", "policy.yaml", "-o", "out"],
        cwd=work, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return work / "out"


def test_build_needs_only_the_binary(bare_build):
    manifest = json.loads((bare_build / "manifest.json").read_text())
    module = (bare_build / manifest["module"]["file"]).read_bytes()
    image = (bare_build / manifest["policy"]["file"]).read_bytes()
    assert hashlib.sha256(module).hexdigest() == manifest["module"]["sha256"]
    assert hashlib.sha256(image).hexdigest() == manifest["policy"]["sha256"]
    # The module is one artifact: the image it carries is the one the manifest names.
    assert module.count(image) == 1
    for name in ("envoy.yaml", "web/index.js", "web/cipgate_web_bg.wasm", "web/package.json"):
        assert (bare_build / name).is_file(), name
    # The browser module carries the browser projection, named in the manifest too.
    web_module = (bare_build / "web" / "cipgate_web_bg.wasm").read_bytes()
    projection = (bare_build / manifest["web_package"]["projection_file"]).read_bytes()
    assert hashlib.sha256(projection).hexdigest() == manifest["web_package"]["projection_sha256"]
    assert web_module.count(projection) == 1


def test_builds_are_byte_for_byte_reproducible(bare_build, dist):
    """The same policy gives the same modules wherever and however it is built: the test
    command's own build and the bare one agree."""
    for name in ("us-iaas-cip.wasm", "us-iaas-cip.cpi", "us-iaas-cip.web.cpi", "web/cipgate_web_bg.wasm"):
        assert (bare_build / name).read_bytes() == (dist.root / name).read_bytes(), name
    bare = json.loads((bare_build / "manifest.json").read_text())
    assert bare["module"]["runtime_sha256"] == dist.manifest["module"]["runtime_sha256"]


def test_runtime_is_the_same_bytes_for_every_policy(tmp_path, cipgate_bin, dist):
    """A different policy changes the image, not the runtime the manifest names."""
    text = POLICY.read_text().replace("version: ", "version: 9", 1)
    changed = tmp_path / "changed.yaml"
    changed.write_text(text)
    subprocess.run([str(cipgate_bin), "build", str(changed), "-o", str(tmp_path / "out"), "--no-web"],
                   check=True, capture_output=True, timeout=60)
    other = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert other["policy"]["sha256"] != dist.manifest["policy"]["sha256"]
    assert other["module"]["runtime_sha256"] == dist.manifest["module"]["runtime_sha256"]


def wasm_exports(module: bytes) -> list[str]:
    """The export names of a Wasm module, in order."""
    def leb(at: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte, at = module[at], at + 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value, at

    at = 8
    while at < len(module):
        section, (size, body) = module[at], leb(at + 1)
        if section == 7:
            count, at = leb(body)
            names = []
            for _ in range(count):
                length, at = leb(at)
                names.append(module[at:at + length].decode())
                _, at = leb(at + length + 1)
            return names
        at = body + size
    return []


def test_the_envoy_module_exports_only_the_callbacks_the_filter_implements(dist):
    """The SDK exports a callback for every kind of plugin; Envoy skips one the module does not
    export, so leaving out those the filter leaves to the SDK's defaults saves a call into
    the VM per request for each (response headers, body and trailers, log, done)."""
    callbacks = {name for name in wasm_exports(dist.module.read_bytes())
                 if name.startswith("proxy_on_")}
    assert callbacks == {
        "proxy_on_memory_allocate", "proxy_on_vm_start", "proxy_on_configure",
        "proxy_on_context_create", "proxy_on_request_headers", "proxy_on_request_body",
        "proxy_on_request_trailers", "proxy_on_delete"}


def test_check_refuses_a_module_with_a_damaged_image(tmp_path, cipgate_bin, dist):
    signup = EXAMPLES / "us-person-minimal.json"
    image = (dist.root / dist.manifest["policy"]["file"]).read_bytes()
    damaged = damaged_modules(dist.module.read_bytes(), image)
    assert len(damaged) >= 16
    for what, module in damaged:
        path = tmp_path / "damaged.wasm"
        path.write_bytes(module)
        done = subprocess.run([str(cipgate_bin), "check", "--module", str(path), str(signup)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 1, f"{what}: {done.returncode} {done.stdout}"
        assert "policy image" in done.stderr, f"{what}: {done.stderr}"
