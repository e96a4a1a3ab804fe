//! The Envoy module as an OCI image layout (`dist/oci/`), in the Wasm image format that Istio's
//! `WasmPlugin` and Envoy Gateway pull: a config of media type
//! `application/vnd.module.wasm.config.v1+json` and one layer, the module, of media type
//! `application/vnd.module.wasm.content.layer.v1+wasm`. `skopeo copy oci:dist/oci:<tag>
//! docker://registry/...` pushes it to any registry unchanged, so its digest stays the one in
//! `manifest.json`.

use crate::build::{hex, write, yaml_string, AUDIT_LOG_FILTER, AUDIT_LOG_FORMAT, DECISION_HEADERS};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::Path;

pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.module.wasm.config.v1+json";
pub const LAYER_MEDIA_TYPE: &str = "application/vnd.module.wasm.content.layer.v1+wasm";
const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";

/// What the layout holds, for `manifest.json` and the deployment files.
pub struct Image {
    pub tag: String,
    /// `sha256:<hex>` of the image manifest: what a registry reference pins.
    pub digest: String,
}

/// The tag of a policy version: an OCI tag is `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub fn tag_of(version: &str) -> String {
    let mut tag: String = version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(128)
        .collect();
    if !tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        tag.insert(0, '_');
        tag.truncate(128);
    }
    tag
}

/// Writes the layout of `module` into `dir`, tagged with the policy's version.
pub fn write_layout(
    dir: &Path,
    module: &[u8],
    policy_id: &str,
    policy_version: &str,
    policy_sha256: &str,
) -> Result<Image, String> {
    let blobs = dir.join("blobs").join("sha256");
    std::fs::create_dir_all(&blobs)
        .map_err(|e| format!("error: cannot create {}: {e}", blobs.display()))?;
    let blob = |bytes: &[u8]| -> Result<serde_json::Value, String> {
        let digest = hex(&Sha256::digest(bytes));
        write(&blobs.join(&digest), bytes)?;
        Ok(json!({"digest": format!("sha256:{digest}"), "size": bytes.len()}))
    };
    let with_type = |mut descriptor: serde_json::Value, media_type: &str| {
        let mut typed = serde_json::Map::new();
        typed.insert("mediaType".into(), media_type.into());
        if let Some(fields) = descriptor.as_object_mut() {
            typed.append(fields);
        }
        serde_json::Value::Object(typed)
    };
    let config = with_type(blob(b"{}")?, CONFIG_MEDIA_TYPE);
    let mut layer = with_type(blob(module)?, LAYER_MEDIA_TYPE);
    if let Some(l) = layer.as_object_mut() {
        l.insert(
            "annotations".into(),
            json!({"org.opencontainers.image.title": "plugin.wasm"}),
        );
    }
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": config,
        "layers": [layer],
        "annotations": {
            "org.opencontainers.image.title": policy_id,
            "org.opencontainers.image.version": policy_version,
            "io.cipgate.policy.sha256": policy_sha256,
        },
    });
    let manifest_bytes = manifest.to_string().into_bytes();
    let descriptor = blob(&manifest_bytes)?;
    let digest = descriptor
        .get("digest")
        .and_then(|d| d.as_str())
        .unwrap_or_default()
        .to_string();
    let tag = tag_of(policy_version);
    let mut entry = with_type(descriptor, MANIFEST_MEDIA_TYPE);
    if let Some(e) = entry.as_object_mut() {
        e.insert(
            "annotations".into(),
            json!({"org.opencontainers.image.ref.name": tag}),
        );
    }
    let index = json!({"schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": [entry]});
    write(&dir.join("index.json"), index.to_string().as_bytes())?;
    write(
        &dir.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    Ok(Image { tag, digest })
}

/// A registry repository as Kubernetes manifests name it: `registry/path`, lower case, no tag.
pub fn check_repository(repository: &str) -> Result<(), String> {
    let fine = repository.contains('/')
        && !repository.contains("://")
        && !repository.contains('@')
        && repository
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"./-_:".contains(&b))
        && !repository
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .contains(':');
    if fine {
        Ok(())
    } else {
        Err(format!(
            "error: --oci-repository {repository}: give the registry and repository without a \
             tag or scheme, such as registry.example.com/cipgate/us-iaas-cip"
        ))
    }
}

/// Istio's `WasmPlugin` and Envoy Gateway's `EnvoyExtensionPolicy` for the image pushed to
/// `repository`, pinned by digest, failing closed, with the plugin configuration
/// `dist/envoy.yaml` uses; each followed by what writes the audit record, with the access-log
/// format and filter of `dist/envoy.yaml`: an Istio `Telemetry` (and, in a comment, the mesh's
/// access-log provider it names) and an Envoy Gateway `EnvoyProxy`.
pub fn kubernetes_manifests(
    repository: &str,
    image: &Image,
    policy_id: &str,
    policy: &cipgate_policy::CompiledPolicy,
) -> [(&'static str, String); 2] {
    let header = format!(
        "# cipgate policy {policy_id} {} (sha256 {}), written by `cipgate build`.\n\
         # Push the image first: skopeo copy oci:dist/oci:{tag} docker://{repository}:{tag}\n",
        policy.version(),
        policy.sha256(),
        tag = image.tag,
    );
    let hex = image.digest.trim_start_matches("sha256:");
    let audit_format = yaml_string(AUDIT_LOG_FORMAT);
    let audit_filter = yaml_string(AUDIT_LOG_FILTER);
    let istio = format!(
        r#"{header}#
# The audit record of each signup the filter decides (docs/envoy.md, "Audit log") is written by
# the Telemetry below with the access-log provider `cipgate-audit`. Providers are mesh
# configuration, not custom resources: add this one to the IstioOperator's spec.meshConfig or
# the istiod Helm values (istioctl install / helm upgrade), then apply this file.
#
#   meshConfig:
#     extensionProviders:
#       - name: cipgate-audit
#         envoyFileAccessLog:
#           path: /dev/stdout
#           logFormat:
#             text: {audit_format}
#
# Attaches to every route of the selected workloads: select a workload that serves signup
# only, or see docs/envoy.md for a route-level patch.
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata:
  name: cipgate-{policy_id}
spec:
  selector:
    matchLabels:
      app: signup
  url: oci://{repository}@{digest}
  imagePullPolicy: IfNotPresent
  pluginName: cipgate
  phase: AUTHN
  failStrategy: FAIL_CLOSE
  match:
    - mode: SERVER
  pluginConfig:
    mode: enforce
    query_string: refuse_policy_fields
---
# Access logging of the workload the WasmPlugin selects. A Telemetry that sets accessLogging
# replaces the mesh's access log for the workloads it selects (meshConfig.accessLogFile or a
# mesh-wide Telemetry), so the first entry keeps one line per request with Istio's built-in
# `envoy` provider (drop it if the mesh logs no requests); the second writes the audit record
# of each request the filter decided. Only one Telemetry may select a workload: if another
# already does, add these entries to it instead.
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: cipgate-{policy_id}
spec:
  selector:
    matchLabels:
      app: signup
  accessLogging:
    - providers:
        - name: envoy
    - providers:
        - name: cipgate-audit
      match:
        mode: SERVER
      filter:
        expression: {audit_filter}
"#,
        digest = image.digest,
    );
    let gateway = format!(
        r#"{header}# Runs the filter on the signup HTTPRoute only.
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyExtensionPolicy
metadata:
  name: cipgate-{policy_id}
spec:
  targetRefs:
    - group: gateway.networking.k8s.io
      kind: HTTPRoute
      name: signup
  wasm:
    - name: cipgate
      rootID: cipgate
      failOpen: false
      code:
        type: Image
        image:
          url: {repository}@{digest}
          sha256: {hex}
      config:
        mode: enforce
        query_string: refuse_policy_fields
---
# Removes clients' copies of the filter's headers on every route of the Gateway, before routing:
# the filter runs on the signup HTTPRoute only, and a backend that trusts x-cipgate-outcome must
# not get a forged one through another route. Put it in the namespace of the Gateway of the
# signup route (its parentRefs) and name that Gateway below. A listener takes the settings of one
# ClientTrafficPolicy (one naming its section, else the oldest): if one already applies to the
# listener, add `headers.earlyRequestHeaders.remove` to that one instead.
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata:
  name: cipgate-{policy_id}
spec:
  targetRefs:
    - group: gateway.networking.k8s.io
      kind: Gateway
      name: signup-gateway
  headers:
    earlyRequestHeaders:
      remove: [{DECISION_HEADERS}]
---
# The access log of the proxies that serve the signup HTTPRoute: one JSON line per request, and
# the audit record of each signup the filter decides (docs/envoy.md, "Audit log"). Attach it to
# the Gateway of that route, in the Gateway's namespace:
#
#   spec:
#     infrastructure:
#       parametersRef:
#         group: gateway.envoyproxy.io
#         kind: EnvoyProxy
#         name: cipgate-{policy_id}
#
# or to its GatewayClass (spec.parametersRef, which also names the namespace). Each names one
# EnvoyProxy, and one on the Gateway replaces the GatewayClass's unless it sets mergeType: if
# either already names one, add these settings to that one instead. Access-log settings replace
# Envoy Gateway's default access log, so the first setting keeps it (no format: the default
# JSON fields, to /dev/stdout).
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata:
  name: cipgate-{policy_id}
spec:
  telemetry:
    accessLog:
      settings:
        - sinks:
            - type: File
              file:
                path: /dev/stdout
        - format:
            type: Text
            text: {audit_format}
          matches:
            - {audit_filter}
          sinks:
            - type: File
              file:
                path: /dev/stdout
"#,
        digest = image.digest,
    );
    [
        ("istio-wasmplugin.yaml", istio),
        ("envoy-gateway.yaml", gateway),
    ]
}

#[cfg(test)]
mod tests {
    use super::{check_repository, tag_of};

    #[test]
    fn repositories_have_no_scheme_tag_or_digest() {
        assert!(check_repository("registry.example.com/cipgate/us-iaas-cip").is_ok());
        assert!(check_repository("localhost:5000/cipgate").is_ok());
        for bad in [
            "us-iaas-cip",
            "oci://registry.example.com/cipgate",
            "registry.example.com/cipgate:2026.12.3",
            "registry.example.com/cipgate@sha256:00",
            "Registry.example.com/cipgate",
        ] {
            assert!(check_repository(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_are_valid_oci_tags() {
        assert_eq!(tag_of("2026.12.3"), "2026.12.3");
        assert_eq!(tag_of("v2 beta"), "v2-beta");
        assert_eq!(tag_of(".hidden"), "_.hidden");
        assert_eq!(tag_of(&"9".repeat(200)).len(), 128);
    }
}
