"""The module as an OCI image (``dist/oci/``), read by the real ``skopeo`` as a registry push
would read it: the Wasm image format Istio and Envoy Gateway pull, the module as its one layer,
and the digest ``manifest.json`` names; and the Kubernetes manifests pinned to it, checked
against the CRD schemas Istio and Envoy Gateway publish and against ``envoy.yaml``'s audit log."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
from functools import cache

import pytest
import yaml

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
# The published schema of every kind the manifests hold (tests/fixtures/crds/README.md).
SCHEMAS = {
    ("extensions.istio.io/v1alpha1", "WasmPlugin"): "istio-wasmplugin-v1alpha1.json",
    ("telemetry.istio.io/v1", "Telemetry"): "istio-telemetry-v1.json",
    ("gateway.envoyproxy.io/v1alpha1", "EnvoyExtensionPolicy"):
        "envoy-gateway-envoyextensionpolicy-v1alpha1.json",
    ("gateway.envoyproxy.io/v1alpha1", "EnvoyProxy"): "envoy-gateway-envoyproxy-v1alpha1.json",
    ("gateway.envoyproxy.io/v1alpha1", "ClientTrafficPolicy"):
        "envoy-gateway-clienttrafficpolicy-v1alpha1.json",
}
# ObjectMeta, which the CRDs leave to the API server: the fields these manifests may use.
OBJECT_META = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "maxLength": 253},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "additionalProperties": False,
}
# Maps and free-form values in the manifests, whose keys no schema names.
FREE_FORM = {"matchLabels", "pluginConfig", "config"}


def strict(schema: dict) -> dict:
    """``schema`` as Kubernetes applies it under strict field validation (what ``kubectl
    apply`` asks for by default): an object field the schema does not name is an error, except
    in a map (``additionalProperties``) or where the schema keeps unknown fields. Only the
    structural part is walked: ``allOf``/``anyOf``/``oneOf`` only constrain named fields."""
    out = dict(schema)
    if "properties" in out:
        out["properties"] = {k: strict(v) for k, v in out["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(out.get(key), dict):
            out[key] = strict(out[key])
    if (out.get("type") == "object" and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


@cache
def crd_validator(name: str):
    import jsonschema

    schema = strict(json.loads((CRDS / name).read_text()))
    schema["properties"] = {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                            **schema["properties"], "metadata": OBJECT_META}
    return jsonschema.Draft202012Validator(schema)


def crd_errors(doc: dict, like: dict | None = None) -> list[str]:
    """What the CRD of ``doc``'s kind (or of ``like``'s) refuses in ``doc``."""
    like = like or doc
    name = SCHEMAS[(like["apiVersion"], like["kind"])]
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in crd_validator(name).iter_errors(doc)]


def field_paths(node, path=()):
    """The path of every field name in ``node``, outside free-form values."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key)
            if key not in FREE_FORM:
                yield from field_paths(value, (*path, key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from field_paths(item, (*path, i))


def misspelt(doc: dict, path: tuple) -> dict:
    """``doc`` with the field at ``path`` renamed as a typing slip would: its last two letters
    swapped (or its last letter doubled)."""
    doc = copy.deepcopy(doc)
    *parents, key = path
    node = doc
    for step in parents:
        node = node[step]
    typo = key[:-2] + key[-1] + key[-2] if key[-1] != key[-2] else key + key[-1]
    node[typo] = node.pop(key)
    return doc


def mesh_config_block(text: str) -> dict:
    """The commented ``meshConfig:`` block at the top of the Istio manifest, parsed."""
    lines = text.splitlines()
    start = lines.index("#   meshConfig:")
    block = []
    for line in lines[start:]:
        if not line.startswith("#   "):
            break
        block.append(line[len("#   "):])
    return yaml.safe_load("\n".join(block))


@pytest.fixture(scope="module")
def built(cipgate_bin, tmp_path_factory):
    """``cipgate build --oci-repository``'s output: manifest.json, envoy.yaml and the YAML
    documents of each Kubernetes manifest, with the Istio manifest's text."""
    out = tmp_path_factory.mktemp("k8s") / "dist"
    run = subprocess.run([str(cipgate_bin), "build", str(REPO / "policies" / "us-iaas-cip.yaml"),
                          "-o", str(out), "--no-web", "--oci-repository", REPOSITORY],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    docs = {}
    for file in manifest["kubernetes"]:
        docs[file] = [d for d in yaml.safe_load_all((out / file).read_text()) if d is not None]
    return {
        "manifest": manifest,
        "envoy": yaml.safe_load((out / "envoy.yaml").read_text()),
        "docs": docs,
        "istio_text": (out / "istio-wasmplugin.yaml").read_text(),
    }


def by_kind(built, file: str) -> dict:
    kinds = {d["kind"]: d for d in built["docs"][file]}
    assert len(kinds) == len(built["docs"][file]), f"{file}: one document per kind"
    return kinds


def test_kubernetes_manifests_pin_the_image_and_fail_closed(built):
    digest = built["manifest"]["oci"]["digest"]
    istio = by_kind(built, "istio-wasmplugin.yaml")
    assert set(istio) == {"WasmPlugin", "Telemetry"}
    plugin = istio["WasmPlugin"]["spec"]
    assert plugin["url"] == f"oci://{REPOSITORY}@{digest}"
    assert plugin["failStrategy"] == "FAIL_CLOSE"
    assert plugin["pluginConfig"]["mode"] == "enforce"

    gateway = by_kind(built, "envoy-gateway.yaml")
    assert set(gateway) == {"EnvoyExtensionPolicy", "ClientTrafficPolicy", "EnvoyProxy"}
    (wasm,) = gateway["EnvoyExtensionPolicy"]["spec"]["wasm"]
    assert wasm["code"]["image"]["url"] == f"{REPOSITORY}@{digest}"
    assert "sha256:" + wasm["code"]["image"]["sha256"] == digest
    assert wasm["failOpen"] is False and wasm["rootID"] == "cipgate"


def test_every_document_fits_its_published_crd(built):
    for file, docs in built["docs"].items():
        for doc in docs:
            assert crd_errors(doc) == [], f"{file}: {doc['kind']}"
            # A misspelt field anywhere is refused, as the API server refuses it.
            for path in field_paths(doc):
                assert crd_errors(misspelt(doc, path), like=doc), f"{file}: {doc['kind']} {path}"

    # The CEL rules (x-kubernetes-validations) on what the documents set, which the validator
    # cannot run.
    istio = by_kind(built, "istio-wasmplugin.yaml")
    gateway = by_kind(built, "envoy-gateway.yaml")
    policy = gateway["EnvoyExtensionPolicy"]["spec"]
    # EnvoyExtensionPolicy: Gateway API targets, and only an HTTPRoute; Image code has image
    # and not http.
    (target,) = policy["targetRefs"]
    assert (target["group"], target["kind"]) == ("gateway.networking.k8s.io", "HTTPRoute")
    (wasm,) = policy["wasm"]
    assert wasm["code"]["type"] == "Image" and set(wasm["code"]) == {"type", "image"}
    # ClientTrafficPolicy: targetRef or targetRefs, of Gateway API Gateways or ListenerSets.
    traffic = gateway["ClientTrafficPolicy"]["spec"]
    assert "targetRef" not in traffic
    assert all((t["group"], t["kind"]) == ("gateway.networking.k8s.io", "Gateway")
               for t in traffic["targetRefs"])
    # WasmPlugin and Telemetry: only one of selector, targetRef and targetRefs; no wildcard or
    # empty key in the labels; a WasmPlugin URL of a scheme Istio pulls from.
    for spec in (istio["WasmPlugin"]["spec"], istio["Telemetry"]["spec"]):
        assert len({"selector", "targetRef", "targetRefs"} & set(spec)) == 1
        assert all(k and "*" not in k + v for k, v in spec["selector"]["matchLabels"].items())
    assert istio["WasmPlugin"]["spec"]["url"].startswith("oci://")
    # EnvoyProxy: each sink has the field of its type and no other; a Text format has text
    # and no json.
    sink_fields = {"ALS": "als", "File": "file", "OpenTelemetry": "openTelemetry"}
    for setting in gateway["EnvoyProxy"]["spec"]["telemetry"]["accessLog"]["settings"]:
        for sink in setting["sinks"]:
            assert set(sink) == {"type", sink_fields[sink["type"]]}
        if "format" in setting and setting["format"].get("type") == "Text":
            assert "text" in setting["format"] and "json" not in setting["format"]

    # The schemas refuse what the CRDs refuse, values as well as names.
    for doc, part, key, bad in (
        (istio["WasmPlugin"], ["spec"], "failStrategy", "CLOSE"),
        (gateway["EnvoyExtensionPolicy"], ["spec", "wasm", 0, "code"], "type", "OCI"),
        (istio["Telemetry"], ["spec", "accessLogging", 1, "match"], "mode", "INBOUND"),
        (gateway["EnvoyProxy"], ["spec", "telemetry", "accessLog", "settings", 1, "sinks", 0],
         "type", "Stdout"),
        (gateway["ClientTrafficPolicy"], ["spec", "headers", "earlyRequestHeaders"], "remove", []),
    ):
        doc = copy.deepcopy(doc)
        node = doc
        for step in part:
            node = node[step]
        node[key] = bad
        assert crd_errors(doc), f"{doc['kind']} {key}: {bad}"


def test_every_route_of_the_gateway_drops_forged_decision_headers(built):
    """The filter runs on the signup HTTPRoute only; the Gateway removes clients' copies of
    the headers it sets on every route, before routing, as envoy.yaml's other routes do."""
    (listener,) = built["envoy"]["static_resources"]["listeners"]
    (hcm,) = listener["filter_chains"][0]["filters"]
    (host,) = hcm["typed_config"]["route_config"]["virtual_hosts"]
    signup, other = host["routes"]
    assert "typed_per_filter_config" not in signup
    assert other["typed_per_filter_config"]["cipgate"]["disabled"] is True
    forged = other["request_headers_to_remove"]
    assert forged and all(name.startswith("x-cipgate-") for name in forged)

    traffic = by_kind(built, "envoy-gateway.yaml")["ClientTrafficPolicy"]["spec"]
    assert traffic["headers"]["earlyRequestHeaders"] == {"remove": forged}


def test_the_audit_log_is_written_as_envoy_yaml_writes_it(built):
    """The access-log format, CEL filter and sink of the audit record in the Kubernetes
    manifests are those of the generated envoy.yaml."""
    (listener,) = built["envoy"]["static_resources"]["listeners"]
    (hcm,) = listener["filter_chains"][0]["filters"]
    (audit,) = [log for log in hcm["typed_config"]["access_log"] if "filter" in log]
    cel = audit["filter"]["extension_filter"]
    assert cel["name"] == "envoy.access_loggers.extension_filters.cel"
    expression = cel["typed_config"]["expression"]
    text = audit["typed_config"]["log_format"]["text_format_source"]["inline_string"]
    path = audit["typed_config"]["path"]
    assert "wasm.cipgate.audit" in expression and "wasm.cipgate.audit" in text

    # Envoy Gateway: a second access-log setting beside the default one.
    gateway = by_kind(built, "envoy-gateway.yaml")
    default, record = gateway["EnvoyProxy"]["spec"]["telemetry"]["accessLog"]["settings"]
    assert default == {"sinks": [{"type": "File", "file": {"path": "/dev/stdout"}}]}
    assert record == {
        "format": {"type": "Text", "text": text},
        "matches": [expression],
        "sinks": [{"type": "File", "file": {"path": path}}],
    }

    # Istio: the Telemetry names a provider the commented mesh configuration defines.
    istio = by_kind(built, "istio-wasmplugin.yaml")
    plugin, telemetry = istio["WasmPlugin"]["spec"], istio["Telemetry"]["spec"]
    assert telemetry["selector"] == plugin["selector"]
    requests, decided = telemetry["accessLogging"]
    assert requests == {"providers": [{"name": "envoy"}]}
    (provider,) = decided["providers"]
    assert decided["filter"] == {"expression": expression}
    assert [decided["match"]] == plugin["match"]
    (mesh_provider,) = mesh_config_block(built["istio_text"])["meshConfig"]["extensionProviders"]
    assert mesh_provider == {
        "name": provider["name"],
        "envoyFileAccessLog": {"path": path, "logFormat": {"text": text}},
    }
