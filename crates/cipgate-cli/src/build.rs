//! `cipgate build`: one policy into one self-contained Envoy module, with an example Envoy
//! configuration and a manifest naming the sha256 of both the policy and the module.
//!
//! The module is the `cipgate-envoy` crate built for `wasm32-wasip1` with the compiled policy
//! embedded (its `build.rs` reads `CIPGATE_COMPILED_POLICY`), so there is no rules file to ship
//! beside it.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TARGET: &str = "wasm32-wasip1";
const FILTER_CRATE: &str = "cipgate-envoy";

/// Compiles `policy_path` and writes `<id>.policy.json`, `<id>.wasm`, `envoy.yaml` and
/// `manifest.json` into `out_dir`. An invalid policy writes nothing and returns the
/// compiler's diagnostics.
/// Builds the Envoy module and, with `web`, the browser package `web/` of one policy.
pub fn run(policy_path: &Path, out_dir: &Path, web: bool) -> Result<(), String> {
    let compiled = crate::load_policy(policy_path)?;
    let policy = &compiled.policy;
    let id = policy.id();

    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("error: cannot create {}: {e}", out_dir.display()))?;
    let out_dir = out_dir
        .canonicalize()
        .map_err(|e| format!("error: {}: {e}", out_dir.display()))?;
    let policy_file = out_dir.join(format!("{id}.policy.json"));
    write(&policy_file, &compiled.bytes)?;

    let built = build_module(&policy_file)?;
    let module_file = out_dir.join(format!("{id}.wasm"));
    let module = std::fs::read(&built)
        .map_err(|e| format!("error: cannot read {}: {e}", built.display()))?;
    write(&module_file, &module)?;
    let module_sha256 = hex(&Sha256::digest(&module));
    if web {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        crate::build_web::build_web(&policy_file, &out_dir, &workspace)?;
    }

    write(
        &out_dir.join("envoy.yaml"),
        envoy_yaml(&module_file, id, policy.sha256()).as_bytes(),
    )?;
    let manifest = serde_json::json!({
        "policy": {
            "id": id,
            "version": policy.version(),
            "sha256": policy.sha256(),
            "file": format!("{id}.policy.json"),
        },
        "module": {
            "file": format!("{id}.wasm"),
            "sha256": module_sha256,
            "size": module.len(),
            "target": TARGET,
            "root_id": "cipgate",
        },
        "envoy_config": "envoy.yaml",
        "web_package": if web { Some("web/") } else { None },
        "cipgate_version": env!("CARGO_PKG_VERSION"),
    });
    let manifest = serde_json::to_string_pretty(&manifest)
        .map_err(|e| format!("error: cannot write the manifest: {e}"))?;
    write(
        &out_dir.join("manifest.json"),
        format!("{manifest}\n").as_bytes(),
    )?;

    eprintln!(
        "built {} ({} bytes, sha256 {module_sha256}) with policy {id} {} (sha256 {})",
        module_file.display(),
        module.len(),
        policy.version(),
        policy.sha256()
    );
    Ok(())
}

/// Builds the filter crate with the compiled policy embedded; returns the module's path as
/// cargo reports it (so `CARGO_TARGET_DIR` is honoured).
fn build_module(policy_file: &Path) -> Result<PathBuf, String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--release", "--target", TARGET, "-p", FILTER_CRATE])
        .arg("--message-format=json-render-diagnostics")
        .current_dir(&workspace)
        .env("CIPGATE_COMPILED_POLICY", policy_file)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("error: cannot run cargo in {}: {e}", workspace.display()))?;
    if !output.status.success() {
        return Err(format!(
            "error: `cargo build --release --target {TARGET} -p {FILTER_CRATE}` failed \
             ({}); cargo's messages are above (a missing target is installed with \
             `rustup target add {TARGET}`)",
            output.status
        ));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<CargoMessage>(line).ok())
        .filter(|m| {
            m.reason == "compiler-artifact"
                && m.target.as_ref().is_some_and(|t| t.name == "cipgate_envoy")
        })
        .flat_map(|m| m.filenames)
        .find(|f| f.extension().is_some_and(|e| e == "wasm"))
        .ok_or_else(|| "error: cargo built no .wasm module for cipgate-envoy".to_string())
}

/// The part of cargo's `--message-format=json` lines that names built files.
#[derive(serde::Deserialize)]
struct CargoMessage {
    reason: String,
    target: Option<CargoTarget>,
    #[serde(default)]
    filenames: Vec<PathBuf>,
}

#[derive(serde::Deserialize)]
struct CargoTarget {
    name: String,
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("error: cannot write {}: {e}", path.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A complete Envoy configuration: the filter on the signup route only, in front of a backend
/// on 127.0.0.1:8080. docs/envoy.md explains each part.
fn envoy_yaml(module: &Path, policy_id: &str, policy_sha256: &str) -> String {
    ENVOY_YAML
        .replace("@MODULE@", &module.display().to_string())
        .replace("@POLICY_ID@", policy_id)
        .replace("@POLICY_SHA256@", policy_sha256)
}

const ENVOY_YAML: &str = r#"# Envoy in front of a signup service, enforcing policy @POLICY_ID@ (sha256 @POLICY_SHA256@).
# Generated by `cipgate build`; see docs/envoy.md. Run: envoy -c envoy.yaml
admin:
  address: {socket_address: {address: 127.0.0.1, port_value: 9901}}
stats_config:
  # The filter's counters carry their tags in their names (Envoy adds the `wasmcustom.`
  # namespace); these make them Prometheus labels: cipgate_decisions{outcome="deny"},
  # cipgate_rule_matches{rule="phone-required"}.
  stats_tags:
    - tag_name: outcome
      regex: '^wasmcustom\.cipgate_decisions(\.outcome\.(.+))$'
    - tag_name: rule
      regex: '^wasmcustom\.cipgate_rule_matches(\.rule\.(.+))$'
static_resources:
  listeners:
    - name: signup
      address: {socket_address: {address: 127.0.0.1, port_value: 10000}}
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: ingress
                codec_type: AUTO
                # Envoy is the edge: the client address is the peer, never a client-written
                # X-Forwarded-For. Behind trusted proxies, set xff_num_trusted_hops (docs/envoy.md).
                use_remote_address: true
                xff_num_trusted_hops: 0
                # Request ids are Envoy's own; clients get theirs back to quote to support.
                always_set_request_id_in_response: true
                # Clients must not reach the signup service by a path the route below misses.
                normalize_path: true
                merge_slashes: true
                path_with_escaped_slashes_action: UNESCAPE_AND_REDIRECT
                access_log:
                  - name: envoy.access_loggers.file
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                      path: /dev/stdout
                      log_format:
                        json_format:
                          time: "%START_TIME%"
                          request_id: "%REQ(X-REQUEST-ID)%"
                          client: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%"
                          method: "%REQ(:METHOD)%"
                          path: "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"
                          status: "%RESPONSE_CODE%"
                          cipgate_outcome: "%FILTER_STATE(wasm.cipgate.outcome:PLAIN)%"
                          cipgate_rules: "%FILTER_STATE(wasm.cipgate.rules:PLAIN)%"
                route_config:
                  virtual_hosts:
                    - name: signup
                      domains: ["*"]
                      routes:
                        # The filter runs on /signup (any case, any suffix) ...
                        - match: {prefix: /signup, case_sensitive: false}
                          route: {cluster: signup_backend}
                        # ... and is switched off on every other route of the service. Routes
                        # added later are inspected unless they switch it off too.
                        - match: {prefix: /}
                          route: {cluster: signup_backend}
                          typed_per_filter_config:
                            cipgate:
                              "@type": type.googleapis.com/envoy.config.route.v3.FilterConfig
                              disabled: true
                http_filters:
                  - name: cipgate
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                      config:
                        name: cipgate
                        root_id: cipgate
                        vm_config:
                          vm_id: cipgate
                          runtime: envoy.wasm.runtime.v8
                          code: {local: {filename: "@MODULE@"}}
                        # Runtime options only; the rules are inside the module.
                        configuration:
                          "@type": type.googleapis.com/google.protobuf.StringValue
                          value: '{"mode": "enforce"}'
                        # Without it Envoy ignores the pause on request headers and sends them
                        # upstream before the body is decided.
                        allow_on_headers_stop_iteration: true
                        failure_policy: FAIL_CLOSED
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
    - name: signup_backend
      type: STATIC
      connect_timeout: 2s
      load_assignment:
        cluster_name: signup_backend
        endpoints:
          - lb_endpoints:
              - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 8080}}}
"#;
