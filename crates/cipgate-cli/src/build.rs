//! `cipgate build`: one policy into one self-contained Envoy module (and a browser package),
//! with an example Envoy configuration and a manifest naming the sha256 of the policy, of the
//! modules and of the runtimes they were made from.
//!
//! Nothing is compiled here: the policy image is written into copies of the runtimes this
//! binary carries (`runtimes.rs`), so a build needs the `cipgate` binary alone.

use crate::runtimes;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const TARGET: &str = "wasm32-wasip1";

/// What `cipgate build` writes besides the module.
#[derive(Default)]
pub struct Options {
    /// The browser package `web/`.
    pub web: bool,
    /// A MaxMind city database for Envoy's geoip filter in the generated configuration.
    pub geoip_db: Option<PathBuf>,
    /// Where Envoy fetches the module from, instead of a local file.
    pub module_url: Option<String>,
    /// The npm scope of the browser package (`@<scope>/<policy id>`) [default: cipgate].
    pub npm_scope: Option<String>,
    /// The repository the OCI image goes to: Kubernetes manifests pinned to it by digest.
    pub oci_repository: Option<String>,
    /// Names lists read from these files in place of the policy's own.
    pub lists: Vec<crate::list_files::ListArg>,
    /// How errors in the policy are printed.
    pub format: crate::Format,
}

/// Compiles `policy_path` and writes `<id>.cpi` (the policy image), `<id>.wasm`,
/// `envoy.yaml`, `manifest.json` and, if asked, the browser package `web/` into `out_dir`.
/// An invalid policy, database path or module URL writes nothing.
pub fn run(policy_path: &Path, out_dir: &Path, options: &Options) -> Result<(), String> {
    // Envoy refuses to start without the database, so a wrong path is caught here.
    let geoip_db = options
        .geoip_db
        .as_deref()
        .map(|db| {
            db.canonicalize()
                .map_err(|e| format!("error: the geoip database {}: {e}", db.display()))
        })
        .transpose()?;
    let module_url = options
        .module_url
        .as_deref()
        .map(ModuleUrl::parse)
        .transpose()?;
    if let Some(repository) = &options.oci_repository {
        crate::oci::check_repository(repository)?;
    }
    let compiled = crate::compile::load_policy(policy_path, &options.lists, options.format)?;
    let policy = &compiled.policy;
    let id = policy.id();
    let module = runtimes::envoy_module(&compiled.bytes)?;
    let scope = options.npm_scope.as_deref().unwrap_or("cipgate");
    let valid_scope = !scope.is_empty()
        && !scope.starts_with(['.', '_'])
        && scope
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._".contains(&b));
    if !valid_scope {
        return Err(format!(
            "error: --npm-scope {scope}: an npm scope is lower-case letters, digits, - . _"
        ));
    }
    let web_package = if options.web {
        Some(crate::build_web::package(&compiled, scope)?)
    } else {
        None
    };

    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("error: cannot create {}: {e}", out_dir.display()))?;
    let out_dir = out_dir
        .canonicalize()
        .map_err(|e| format!("error: {}: {e}", out_dir.display()))?;
    let image_file = format!("{id}.cpi");
    write(&out_dir.join(&image_file), &compiled.bytes)?;
    let module_file = out_dir.join(format!("{id}.wasm"));
    write(&module_file, &module)?;
    let module_sha256 = hex(&Sha256::digest(&module));
    // A build replaces the layout: blobs of earlier builds must not linger in it.
    let oci_dir = out_dir.join("oci");
    if oci_dir.exists() {
        std::fs::remove_dir_all(&oci_dir)
            .map_err(|e| format!("error: cannot replace {}: {e}", oci_dir.display()))?;
    }
    let image = crate::oci::write_layout(&oci_dir, &module, id, policy.version(), policy.sha256())?;
    let web_image_file = format!("{id}.web.cpi");
    if let Some(package) = &web_package {
        package.write(&out_dir.join("web"))?;
        write(&out_dir.join(&web_image_file), &package.image)?;
    }

    let code = match &module_url {
        Some(url) => url.remote_code(&module_sha256),
        None => format!(" {{local: {{filename: \"{}\"}}}}", module_file.display()),
    };
    let config = envoy_yaml(&code, id, policy.sha256(), geoip_db.as_deref())
        + &module_url.map_or_else(String::new, |url| url.cluster());
    write(&out_dir.join("envoy.yaml"), config.as_bytes())?;
    let manifest = serde_json::json!({
        "policy": {
            "id": id,
            "version": policy.version(),
            "sha256": policy.sha256(),
            "file": image_file,
            "size": compiled.bytes.len(),
            "max_body_bytes": policy.max_body_bytes(),
        },
        "module": {
            "file": format!("{id}.wasm"),
            "sha256": module_sha256,
            "size": module.len(),
            "target": TARGET,
            "root_id": "cipgate",
            "runtime_sha256": hex(&Sha256::digest(runtimes::ENVOY_RUNTIME)),
        },
        "oci": {
            "layout": "oci/",
            "tag": image.tag,
            "digest": image.digest,
            "config_media_type": crate::oci::CONFIG_MEDIA_TYPE,
            "layer_media_type": crate::oci::LAYER_MEDIA_TYPE,
        },
        "envoy_config": "envoy.yaml",
        "kubernetes": options.oci_repository.as_ref().map(|_| ["istio-wasmplugin.yaml", "envoy-gateway.yaml"]),
        "web_package": web_package.as_ref().map(|p| serde_json::json!({
            "dir": "web/",
            "projection_file": web_image_file,
            "projection_sha256": p.image_sha256,
            "module_sha256": p.module_sha256,
            "runtime_sha256": hex(&Sha256::digest(runtimes::WEB_RUNTIME)),
        })),
        "cipgate_version": env!("CARGO_PKG_VERSION"),
    });
    if let Some(repository) = &options.oci_repository {
        for (file, text) in crate::oci::kubernetes_manifests(repository, &image, id, policy) {
            write(&out_dir.join(file), text.as_bytes())?;
        }
    }
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

pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("error: cannot write {}: {e}", path.display()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A complete Envoy configuration: the filter on the signup route only, in front of a backend
/// on 127.0.0.1:8080; with a geoip database, Envoy's geoip filter ahead of it. docs/envoy.md
/// explains each part.
fn envoy_yaml(code: &str, policy_id: &str, policy_sha256: &str, geoip_db: Option<&Path>) -> String {
    let (geoip, plugin_geo) = match geoip_db {
        Some(db) => (
            GEOIP_FILTERS.replace("@GEOIP_DB@", &db.display().to_string()),
            GEO_HEADERS,
        ),
        None => (NO_GEOIP.to_string(), ""),
    };
    ENVOY_YAML
        .replace("@AUDIT_LOG_FILTER@", &yaml_string(AUDIT_LOG_FILTER))
        .replace("@DECISION_HEADERS@", DECISION_HEADERS)
        .replace("@AUDIT_LOG_FORMAT@", &yaml_string(AUDIT_LOG_FORMAT))
        .replace("@GEOIP@", &geoip)
        .replace("@PLUGIN_GEO@", plugin_geo)
        .replace("@CODE@", code)
        .replace("@POLICY_ID@", policy_id)
        .replace("@POLICY_SHA256@", policy_sha256)
}

/// The access-log format that writes the audit record the filter leaves in filter state
/// (`wasm.cipgate.audit`), as it is, one line per request; the same in `envoy.yaml` and the
/// Kubernetes manifests.
pub const AUDIT_LOG_FORMAT: &str = "%FILTER_STATE(wasm.cipgate.audit:PLAIN)%\n";

/// The headers only the filter may set on a request (crates/cipgate-envoy), as a YAML flow
/// sequence's items: routes the filter does not run on remove clients' copies.
pub const DECISION_HEADERS: &str =
    "x-cipgate-outcome, x-cipgate-policy, x-cipgate-rules, x-cipgate-mode";

/// The CEL access-log filter that logs only the requests the filter decided.
pub const AUDIT_LOG_FILTER: &str = "'wasm.cipgate.audit' in filter_state";

/// `s` as a YAML double-quoted scalar (a JSON string is one).
pub fn yaml_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The plugin configuration's names of the headers the geoip filter writes.
const GEO_HEADERS: &str =
    r#", "geo_country_header": "x-geo-country", "geo_region_header": "x-geo-region""#;

/// Client copies of the location headers removed first: the geoip filter writes them only for
/// addresses its database knows, and leaves a client's copy in place for any other.
const GEOIP_FILTERS: &str = r#"                  - name: envoy.filters.http.header_mutation
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation
                      mutations:
                        request_mutations:
                          - remove: x-geo-country
                          - remove: x-geo-region
                  # The client's country and region (ISO 3166-1, and the ISO 3166-2 part after
                  # the hyphen: 43 for UA-43) from the client address Envoy settled on above.
                  - name: envoy.filters.http.geoip
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.geoip.v3.Geoip
                      provider:
                        name: envoy.geoip_providers.maxmind
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.geoip_providers.maxmind.v3.MaxMindConfig
                          city_db_path: "@GEOIP_DB@"
                          common_provider_config:
                            geo_field_keys: {country: x-geo-country, region: x-geo-region}
"#;

const NO_GEOIP: &str = r#"                  # No client geolocation: rebuild with `cipgate build --geoip-db
                  # GeoLite2-City.mmdb` to put Envoy's geoip filter here and let the policy's
                  # rules on geo_country and geo_region apply (docs/envoy.md).
"#;

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
                  # Every request.
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
                  # cipgate's audit record of each decided signup, one JSON line, as the filter
                  # left it in filter state: written by the access log, whatever the log level.
                  # Point it at a file, or use the gRPC or OpenTelemetry access loggers with the
                  # same format (docs/envoy.md).
                  - name: envoy.access_loggers.file
                    filter:
                      extension_filter:
                        name: envoy.access_loggers.extension_filters.cel
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter
                          expression: @AUDIT_LOG_FILTER@
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                      path: /dev/stdout
                      log_format:
                        text_format_source:
                          inline_string: @AUDIT_LOG_FORMAT@
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
                          # Only the filter may set these: the backend must never see a
                          # client's copy, on any route.
                          request_headers_to_remove: [@DECISION_HEADERS@]
                          typed_per_filter_config:
                            cipgate:
                              "@type": type.googleapis.com/envoy.config.route.v3.FilterConfig
                              disabled: true
                http_filters:
@GEOIP@                  - name: cipgate
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                      config:
                        name: cipgate
                        root_id: cipgate
                        vm_config:
                          vm_id: cipgate
                          runtime: envoy.wasm.runtime.v8
                          code:@CODE@
                        # Runtime options only; the rules are inside the module. Query strings
                        # that name a policy field are refused (400); "query_string":
                        # "refuse_all" refuses any query string on the route.
                        configuration:
                          "@type": type.googleapis.com/google.protobuf.StringValue
                          value: '{"mode": "enforce", "query_string": "refuse_policy_fields"@PLUGIN_GEO@}'
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

/// The module's address for `vm_config.code.remote`, checked as Envoy will use it.
struct ModuleUrl {
    url: String,
    host: String,
    port: u16,
    tls: bool,
}

impl ModuleUrl {
    fn parse(text: &str) -> Result<ModuleUrl, String> {
        let bad = |why: &str| format!("error: --module-url {text}: {why}");
        let url = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        let tls = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return Err(bad("Envoy fetches modules over http or https")),
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_string(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(bad("no host")),
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "credentials do not belong in a URL in the Envoy configuration",
            ));
        }
        let port = url.port_or_known_default().ok_or_else(|| bad("no port"))?;
        Ok(ModuleUrl {
            url: url.to_string(),
            host,
            port,
            tls,
        })
    }

    /// Fetched once at start-up, retried with back-off, and refused unless its sha256 is the
    /// module's: a module changed on the server never runs.
    fn remote_code(&self, sha256: &str) -> String {
        let indent = " ".repeat(28);
        [
            String::new(),
            "remote:".to_string(),
            format!(
                "  http_uri: {{uri: \"{}\", cluster: {MODULE_SOURCE}, timeout: 10s}}",
                self.url
            ),
            format!("  sha256: {sha256}"),
            "  retry_policy: {num_retries: 5, retry_back_off: {base_interval: 1s, max_interval: 10s}}"
                .to_string(),
        ]
        .join(&format!("\n{indent}"))
    }

    /// The cluster the module is fetched through, appended to `static_resources.clusters`.
    fn cluster(&self) -> String {
        let tls = if self.tls {
            format!(
                r#"      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
          sni: {}
          common_tls_context:
            validation_context:
              trusted_ca: {{filename: /etc/ssl/certs/ca-certificates.crt}}
"#,
                self.host
            )
        } else {
            String::new()
        };
        format!(
            r#"    # Where the module is fetched from (cipgate build --module-url).
    - name: {MODULE_SOURCE}
      type: STRICT_DNS
      connect_timeout: 5s
      load_assignment:
        cluster_name: {MODULE_SOURCE}
        endpoints:
          - lb_endpoints:
              - endpoint: {{address: {{socket_address: {{address: "{}", port_value: {}}}}}}}
{tls}"#,
            self.host, self.port
        )
    }
}

const MODULE_SOURCE: &str = "cipgate_module_source";
