"""The module as an OCI image (``dist/oci/``), read by the real ``skopeo`` as a registry push
would read it: the Wasm image format Istio and Envoy Gateway pull, the module as its one layer,
and the digest ``manifest.json`` names."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

from conftest import REPO


def skopeo(*args: str) -> subprocess.CompletedProcess:
    assert shutil.which("skopeo"), "skopeo: scripts/setup installs it"
    return subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=120)


def test_the_layout_is_the_wasm_image_of_the_module(dist, tmp_path):
    oci = dist.manifest["oci"]
    ref = f"oci:{dist.root / oci['layout']}:{oci['tag']}"
    raw = skopeo("inspect", "--raw", ref)
    assert raw.returncode == 0, raw.stderr
    manifest = json.loads(raw.stdout)
    assert "sha256:" + hashlib.sha256(raw.stdout.encode()).hexdigest() == oci["digest"]
    assert manifest["config"]["mediaType"] == "application/vnd.module.wasm.config.v1+json"
    (layer,) = manifest["layers"]
    assert layer["mediaType"] == "application/vnd.module.wasm.content.layer.v1+wasm"
    assert layer["digest"] == "sha256:" + dist.manifest["module"]["sha256"]
    policy = dist.manifest["policy"]
    assert manifest["annotations"]["io.cipgate.policy.sha256"] == policy["sha256"]
    assert manifest["annotations"]["org.opencontainers.image.version"] == policy["version"]
    # A copy checks every blob against its digest, as a push to a registry does.
    copied = tmp_path / "copy"
    run = skopeo("copy", ref, f"dir:{copied}")
    assert run.returncode == 0, run.stderr
    module = (copied / dist.manifest["module"]["sha256"]).read_bytes()
    assert module == dist.module.read_bytes()


def test_a_damaged_blob_is_refused(dist, tmp_path):
    oci = dist.manifest["oci"]
    layout = tmp_path / "oci"
    shutil.copytree(dist.root / oci["layout"], layout)
    blob = layout / "blobs" / "sha256" / dist.manifest["module"]["sha256"]
    data = bytearray(blob.read_bytes())
    data[100] ^= 0xFF
    blob.write_bytes(bytes(data))
    run = skopeo("copy", f"oci:{layout}:{oci['tag']}", f"dir:{tmp_path / 'copy'}")
    assert run.returncode != 0
    assert "digest" in run.stderr.lower()


REPOSITORY = "registry.example.com/cipgate/us-iaas-cip"
CRDS = REPO / "tests" / "fixtures" / "crds"


def crd_validator(name: str):
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads((CRDS / name).read_text()))


def test_kubernetes_manifests_pin_the_image_and_fit_the_published_crds(cipgate_bin, tmp_path):
    import yaml

    out = tmp_path / "dist"
    run = subprocess.run([str(cipgate_bin), "build", str(REPO / "policies" / "us-iaas-cip.yaml"),
                          "-o", str(out), "--no-web", "--oci-repository", REPOSITORY],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    built = json.loads((out / "manifest.json").read_text())
    digest = built["oci"]["digest"]

    istio = yaml.safe_load((out / "istio-wasmplugin.yaml").read_text())
    assert list(crd_validator("istio-wasmplugin-v1alpha1.json").iter_errors(istio)) == []
    assert istio["spec"]["url"] == f"oci://{REPOSITORY}@{digest}"
    assert istio["spec"]["failStrategy"] == "FAIL_CLOSE"
    assert istio["spec"]["pluginConfig"]["mode"] == "enforce"

    gateway = yaml.safe_load((out / "envoy-gateway.yaml").read_text())
    assert list(crd_validator("envoy-gateway-envoyextensionpolicy-v1alpha1.json")
                .iter_errors(gateway)) == []
    (wasm,) = gateway["spec"]["wasm"]
    assert wasm["code"]["image"]["url"] == f"{REPOSITORY}@{digest}"
    assert "sha256:" + wasm["code"]["image"]["sha256"] == digest
    assert wasm["failOpen"] is False and wasm["rootID"] == "cipgate"
    # The CEL rules the validator cannot run: Gateway API targets, and only an HTTPRoute.
    (target,) = gateway["spec"]["targetRefs"]
    assert (target["group"], target["kind"]) == ("gateway.networking.k8s.io", "HTTPRoute")

    # The schemas do refuse what the CRDs refuse.
    istio["spec"]["failStrategy"] = "CLOSE"
    assert list(crd_validator("istio-wasmplugin-v1alpha1.json").iter_errors(istio))
    wasm["code"]["type"] = "OCI"
    assert list(crd_validator("envoy-gateway-envoyextensionpolicy-v1alpha1.json")
                .iter_errors(gateway))
