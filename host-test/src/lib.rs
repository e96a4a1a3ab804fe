//! A proxy-wasm host on wasmtime that runs a built filter module (`wasm32-wasip1`, ABI 0.2.1,
//! as the Rust SDK `proxy-wasm` 0.2.x exports it) natively and drives HTTP requests through it
//! the way Envoy does, reporting what Envoy would do: the local reply, or the request that
//! would go upstream, with the filter's logs and metrics.
//!
//! ```no_run
//! use cipgate_host_test::{FilterModule, HttpRequest, Verdict};
//! let module = FilterModule::from_file("target/wasm32-wasip1/release/cipgate_envoy.wasm")?;
//! let mut filter = module.instantiate(br#"{"mode":"enforce"}"#)?;
//! let exchange = filter.send(
//!     &HttpRequest::new("POST", "/signup")
//!         .header("content-type", "application/json")
//!         .body(r#"{"email":"a@example.com"}"#)
//!         .chunk_size(7),
//! )?;
//! if let Verdict::LocalReply { status, .. } = exchange.verdict {
//!     println!("denied with {status}");
//! }
//! # Ok::<(), cipgate_host_test::HarnessError>(())
//! ```
//!
//! Each [`FilterInstance`] has its own wasmtime `Store`: instances share nothing, so tests
//! can run many in parallel in one process.

mod error;
mod host;
mod wire;

pub use error::HarnessError;

use host::{Clock, Guest, HostConfig, HostState, Stream};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use wasmtime::{Config, Engine, InstancePre, Linker, Module, Store, TypedFunc};

/// The ABI this host speaks; the module must export this marker function.
const ABI_MARKER: &str = "proxy_abi_version_0_2_1";
/// Context id of the root context; HTTP contexts count up from the next one.
const ROOT_CONTEXT_ID: u32 = 1;

/// Log levels of the ABI, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
    Critical = 5,
}

impl LogLevel {
    fn from_abi(level: i32) -> Option<LogLevel> {
        Some(match level {
            0 => LogLevel::Trace,
            1 => LogLevel::Debug,
            2 => LogLevel::Info,
            3 => LogLevel::Warn,
            4 => LogLevel::Error,
            5 => LogLevel::Critical,
            _ => return None,
        })
    }
}

/// One line the filter logged (through `proxy_log`, or WASI stdout/stderr as info/error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub level: LogLevel,
    pub message: String,
}

/// A request to drive through the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    pub path: String,
    pub authority: String,
    pub scheme: String,
    /// Regular headers, after the pseudo-headers. Names are lower-cased as Envoy does.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Bytes per body callback; `None` delivers the body in one callback.
    pub chunk_size: Option<usize>,
    /// Bytes per body callback in order, repeated until the body is delivered (a zero
    /// counts as one byte): uneven chunkings, as networks deliver them. When non-empty it
    /// takes precedence over `chunk_size`.
    pub chunk_sizes: Vec<usize>,
    /// Request trailers (HTTP/2 style): the body then never ends the stream.
    pub trailers: Option<Vec<(String, String)>>,
    /// Properties the filter can read for this request, e.g. `["source", "address"]`.
    /// Values are the bytes Envoy would return (strings as UTF-8, integers as 8 bytes LE).
    pub properties: Vec<(Vec<String>, Vec<u8>)>,
    /// The wall clock during this request, in ns since the epoch; `None` keeps the
    /// instance's clock.
    pub time_nanos: Option<u64>,
}

impl HttpRequest {
    pub fn new(method: &str, path: &str) -> HttpRequest {
        HttpRequest {
            method: method.to_string(),
            path: path.to_string(),
            authority: "localhost".to_string(),
            scheme: "http".to_string(),
            headers: Vec::new(),
            body: Vec::new(),
            chunk_size: None,
            chunk_sizes: Vec::new(),
            trailers: None,
            properties: Vec::new(),
            time_nanos: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> HttpRequest {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> HttpRequest {
        self.body = body.into();
        self
    }

    pub fn chunk_size(mut self, bytes: usize) -> HttpRequest {
        self.chunk_size = Some(bytes);
        self
    }

    pub fn chunk_sizes(mut self, sizes: &[usize]) -> HttpRequest {
        self.chunk_sizes = sizes.to_vec();
        self
    }

    pub fn trailers(mut self, trailers: &[(&str, &str)]) -> HttpRequest {
        self.trailers = Some(
            trailers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        self
    }

    pub fn property(mut self, path: &[&str], value: impl Into<Vec<u8>>) -> HttpRequest {
        let path = path.iter().map(|s| s.to_string()).collect();
        self.properties.push((path, value.into()));
        self
    }

    pub fn time_nanos(mut self, nanos: u64) -> HttpRequest {
        self.time_nanos = Some(nanos);
        self
    }

    /// The header map as Envoy hands it to filters: pseudo-headers first.
    fn header_map(&self) -> Vec<(String, String)> {
        let pseudo = [
            (":method", &self.method),
            (":path", &self.path),
            (":authority", &self.authority),
            (":scheme", &self.scheme),
        ];
        pseudo
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain(self.headers.iter().cloned())
            .collect()
    }
}

/// What Envoy would do with the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The filter answered itself (`proxy_send_local_response`); nothing went upstream.
    /// Headers are the filter's own: Envoy adds `content-length`, `date` and the like.
    LocalReply {
        status: u32,
        details: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        grpc_status: Option<i32>,
    },
    /// The request went upstream: its headers and body as the filter released them.
    Forwarded {
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        trailers: Option<Vec<(String, String)>>,
    },
    /// The filter paused in the last callback and neither continued nor replied: in Envoy
    /// the request would hang until a timeout.
    Stalled { after: Phase },
}

/// The request callbacks, for [`Verdict::Stalled`] and the callback trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    RequestHeaders,
    RequestBody,
    RequestTrailers,
}

/// What a callback returned. Any non-zero value is a stop in Envoy, reported as `Pause`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Continue,
    Pause,
}

/// One request callback as the host made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub phase: Phase,
    /// Header or trailer count, or the buffered body size (cumulative, as Envoy passes it).
    pub size: usize,
    pub end_of_stream: bool,
    pub action: Action,
}

/// The outcome of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub verdict: Verdict,
    /// The request callbacks in order, with what each returned.
    pub callbacks: Vec<Callback>,
    /// Lines logged while this request was processed (including `on_log`).
    pub logs: Vec<LogRecord>,
    /// Counters and gauges after the request (they accumulate over the instance's life).
    pub metrics: BTreeMap<String, u64>,
    /// Histogram samples after the request.
    pub histograms: BTreeMap<String, Vec<u64>>,
    /// Properties the filter set during the request (`proxy_set_property`), by path: the
    /// filter state Envoy would keep (as `wasm.<path>`) for access logs and later filters.
    pub filter_state: BTreeMap<Vec<String>, Vec<u8>>,
}

/// Per-instance settings beyond the plugin configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceOptions {
    pub plugin_config: Vec<u8>,
    pub vm_config: Vec<u8>,
    /// Properties readable from every context (e.g. `["plugin_name"]`); request properties
    /// take precedence.
    pub properties: Vec<(Vec<String>, Vec<u8>)>,
    /// Fixed wall clock in ns since the epoch; `None` follows the system clock.
    pub time_nanos: Option<u64>,
    /// Envoy's `allow_on_headers_stop_iteration`. With `true` (what cipgate's Envoy
    /// configuration sets) a filter that pauses in the headers still gets the body; with
    /// Envoy's default `false` the body never reaches it and the request stalls.
    pub allow_on_headers_stop_iteration: bool,
    /// What `proxy_get_log_level` reports. Every level is captured regardless.
    pub log_level: LogLevel,
}

impl Default for InstanceOptions {
    fn default() -> InstanceOptions {
        InstanceOptions {
            plugin_config: Vec::new(),
            vm_config: Vec::new(),
            properties: Vec::new(),
            time_nanos: None,
            allow_on_headers_stop_iteration: true,
            log_level: LogLevel::Trace,
        }
    }
}

/// A compiled filter module, linked against this host. Compile once, instantiate per test.
#[derive(Clone)]
pub struct FilterModule {
    engine: Engine,
    pre: InstancePre<HostState>,
}

impl FilterModule {
    pub fn from_file(path: impl AsRef<Path>) -> Result<FilterModule, HarnessError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| HarnessError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        FilterModule::from_bytes(&bytes)
    }

    /// Compiles a binary module, checks its ABI and that every import is provided.
    pub fn from_bytes(bytes: &[u8]) -> Result<FilterModule, HarnessError> {
        let engine = Engine::new(&Config::new()).map_err(HarnessError::compile)?;
        let module = Module::from_binary(&engine, bytes).map_err(HarnessError::compile)?;
        if module.get_export(ABI_MARKER).is_none() {
            let found = module
                .exports()
                .map(|e| e.name())
                .filter(|name| name.starts_with("proxy_abi_version_"))
                .map(str::to_string)
                .collect();
            return Err(HarnessError::UnsupportedAbi { found });
        }
        let mut linker = Linker::new(&engine);
        host::define(&mut linker).map_err(HarnessError::link)?;
        check_imports(&engine, &mut linker, &module)?;
        let pre = linker
            .instantiate_pre(&module)
            .map_err(HarnessError::link)?;
        Ok(FilterModule { engine, pre })
    }

    /// A fresh instance with this plugin configuration, started and configured.
    pub fn instantiate(&self, plugin_config: &[u8]) -> Result<FilterInstance, HarnessError> {
        self.instantiate_with(InstanceOptions {
            plugin_config: plugin_config.to_vec(),
            ..InstanceOptions::default()
        })
    }

    /// A fresh instance: `_initialize`, root context, `on_vm_start`, `on_configure`.
    pub fn instantiate_with(
        &self,
        options: InstanceOptions,
    ) -> Result<FilterInstance, HarnessError> {
        let clock = Clock::new(options.time_nanos);
        let state = HostState::new(HostConfig {
            vm_config: options.vm_config.clone(),
            plugin_config: options.plugin_config.clone(),
            root_id: ROOT_CONTEXT_ID,
            properties: options.properties.iter().cloned().collect(),
            clock,
            log_level: options.log_level,
        });
        let mut store = Store::new(&self.engine, state);
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| HarnessError::Instantiate(format!("{e:?}")))?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or(HarnessError::MissingExport("memory"))?;
        // The Rust SDK exports `proxy_on_memory_allocate`; other SDKs export `malloc`.
        let allocate = ["proxy_on_memory_allocate", "malloc"]
            .into_iter()
            .find_map(|name| instance.get_typed_func(&mut store, name).ok())
            .ok_or(HarnessError::MissingExport("proxy_on_memory_allocate"))?;
        store.data_mut().set_guest(Guest { memory, allocate });
        let exports = Exports::new(&instance, &mut store)?;
        let mut filter = FilterInstance {
            store,
            exports,
            options,
            next_context_id: ROOT_CONTEXT_ID + 1,
            failed: false,
        };
        filter.start()?;
        Ok(filter)
    }
}

/// Fails on the first import this host does not define, naming it (wasmtime's own error
/// would come later and less clearly).
fn check_imports(
    engine: &Engine,
    linker: &mut Linker<HostState>,
    module: &Module,
) -> Result<(), HarnessError> {
    let mut store = Store::new(
        engine,
        HostState::new(HostConfig {
            vm_config: Vec::new(),
            plugin_config: Vec::new(),
            root_id: ROOT_CONTEXT_ID,
            properties: HashMap::new(),
            clock: Clock::new(None),
            log_level: LogLevel::Trace,
        }),
    );
    let defined: HashSet<(String, String)> = linker
        .iter(&mut store)
        .map(|(module, name, _)| (module.to_string(), name.to_string()))
        .collect();
    for import in module.imports() {
        let key = (import.module().to_string(), import.name().to_string());
        if !defined.contains(&key) {
            return Err(HarnessError::UnknownImport {
                module: key.0,
                name: key.1,
            });
        }
    }
    Ok(())
}

/// The module's callbacks. Missing optional ones behave as in Envoy: skipped, `Continue`.
struct Exports {
    initialize: Option<TypedFunc<(), ()>>,
    context_create: TypedFunc<(i32, i32), ()>,
    vm_start: Option<TypedFunc<(i32, i32), i32>>,
    configure: Option<TypedFunc<(i32, i32), i32>>,
    request_headers: Option<TypedFunc<(i32, i32, i32), i32>>,
    request_body: Option<TypedFunc<(i32, i32, i32), i32>>,
    request_trailers: Option<TypedFunc<(i32, i32), i32>>,
    done: Option<TypedFunc<i32, i32>>,
    log: Option<TypedFunc<i32, ()>>,
    delete: Option<TypedFunc<i32, ()>>,
    tick: Option<TypedFunc<i32, ()>>,
}

impl Exports {
    fn new(
        instance: &wasmtime::Instance,
        store: &mut Store<HostState>,
    ) -> Result<Exports, HarnessError> {
        macro_rules! optional {
            ($name:literal) => {
                match instance.get_func(&mut *store, $name) {
                    Some(func) => Some(
                        func.typed(&*store)
                            .map_err(|e| HarnessError::Link(format!("export `{}`: {e}", $name)))?,
                    ),
                    None => None,
                }
            };
        }
        // WASI reactors initialise in `_initialize`; commands would use `_start`.
        let initialize = match optional!("_initialize") {
            Some(init) => Some(init),
            None => optional!("_start"),
        };
        Ok(Exports {
            initialize,
            context_create: optional!("proxy_on_context_create")
                .ok_or(HarnessError::MissingExport("proxy_on_context_create"))?,
            vm_start: optional!("proxy_on_vm_start"),
            configure: optional!("proxy_on_configure"),
            request_headers: optional!("proxy_on_request_headers"),
            request_body: optional!("proxy_on_request_body"),
            request_trailers: optional!("proxy_on_request_trailers"),
            done: optional!("proxy_on_done"),
            log: optional!("proxy_on_log"),
            delete: optional!("proxy_on_delete"),
            tick: optional!("proxy_on_tick"),
        })
    }
}

/// One started filter: a root context, configured, ready for requests.
pub struct FilterInstance {
    store: Store<HostState>,
    exports: Exports,
    options: InstanceOptions,
    next_context_id: u32,
    /// Set after a trap: like Envoy's failed VM, the instance serves no more requests.
    failed: bool,
}

/// Sizes and booleans cross the ABI as `i32`.
fn abi_size(size: usize) -> i32 {
    u32::try_from(size).unwrap_or(u32::MAX) as i32
}

impl FilterInstance {
    fn start(&mut self) -> Result<(), HarnessError> {
        if let Some(init) = self.exports.initialize.clone() {
            self.call("_initialize", |store| init.call(store, ()))?;
        }
        let create = self.exports.context_create.clone();
        let root = ROOT_CONTEXT_ID as i32;
        self.call("proxy_on_context_create", |s| create.call(s, (root, 0)))?;
        if let Some(vm_start) = self.exports.vm_start.clone() {
            let size = abi_size(self.options.vm_config.len());
            if self.call("proxy_on_vm_start", |s| vm_start.call(s, (root, size)))? == 0 {
                return Err(HarnessError::VmStartRefused { logs: self.logs() });
            }
        }
        if let Some(configure) = self.exports.configure.clone() {
            let size = abi_size(self.options.plugin_config.len());
            if self.call("proxy_on_configure", |s| configure.call(s, (root, size)))? == 0 {
                return Err(HarnessError::ConfigurationRefused { logs: self.logs() });
            }
        }
        Ok(())
    }

    /// Calls into the guest; a trap fails the instance and carries the logs so far.
    fn call<R>(
        &mut self,
        callback: &'static str,
        f: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<R, HarnessError> {
        let result = f(&mut self.store);
        self.store.data_mut().collect_stdio();
        result.map_err(|error| {
            self.failed = true;
            HarnessError::Trap {
                callback,
                message: format!("{error:?}"),
                logs: self.logs(),
            }
        })
    }

    /// Everything logged since the instance started (configuration included).
    pub fn logs(&self) -> Vec<LogRecord> {
        self.store.data().logs.clone()
    }

    /// Counters and gauges by name.
    pub fn metrics(&self) -> BTreeMap<String, u64> {
        self.store.data().metric_values()
    }

    /// The tick period the filter asked for, if any (ticks are driven with [`Self::tick`]).
    pub fn tick_period_ms(&self) -> Option<u32> {
        Some(self.store.data().tick_period_ms()).filter(|ms| *ms > 0)
    }

    /// Fires the root context's timer once.
    pub fn tick(&mut self) -> Result<(), HarnessError> {
        self.ensure_usable()?;
        if let Some(tick) = self.exports.tick.clone() {
            self.store.data_mut().set_current_context(ROOT_CONTEXT_ID);
            let root = ROOT_CONTEXT_ID as i32;
            self.call("proxy_on_tick", |s| tick.call(s, root))?;
        }
        Ok(())
    }

    /// Sets the wall clock (ns since the epoch); `None` follows the system clock again.
    pub fn set_time_nanos(&mut self, nanos: Option<u64>) {
        self.store.data().clock.set(nanos);
    }

    fn ensure_usable(&self) -> Result<(), HarnessError> {
        if self.failed {
            return Err(HarnessError::VmFailed);
        }
        Ok(())
    }

    /// Drives one request through a new HTTP context, as Envoy would: headers, the body in
    /// chunks (end of stream on the last unless trailers follow), trailers, then
    /// `on_log`, `on_done`, `on_delete`. Local replies take effect after the callback that
    /// sent them returns; a pause holds the request until a later callback continues or
    /// `proxy_continue_stream` is called.
    pub fn send(&mut self, request: &HttpRequest) -> Result<Exchange, HarnessError> {
        self.ensure_usable()?;
        if let Some(nanos) = request.time_nanos {
            self.set_time_nanos(Some(nanos));
        }
        let id = self.next_context_id;
        self.next_context_id = id.wrapping_add(1).max(ROOT_CONTEXT_ID + 1);
        let logs_before = self.store.data().logs.len();
        let state = self.store.data_mut();
        state.stream = Some(Stream {
            id,
            headers: wire::to_pairs(&request.header_map()),
            trailers: None,
            body: None,
            properties: request.properties.iter().cloned().collect(),
            filter_state: BTreeMap::new(),
            local_reply: None,
            continue_requested: false,
        });
        state.set_current_context(id);

        let create = self.exports.context_create.clone();
        let (ctx, root) = (id as i32, ROOT_CONTEXT_ID as i32);
        self.call("proxy_on_context_create", |s| create.call(s, (ctx, root)))?;
        let mut flow = Flow::default();
        let verdict = self.run_request(ctx, request, &mut flow)?;

        // Envoy's order: the access-log phase (on_log) comes before the filter is destroyed
        // (on_done, on_delete); see envoyproxy/envoy#13174. A `false` from on_done defers
        // deletion until `proxy_done` in Envoy; the harness deletes the context either way.
        if let Some(log) = self.exports.log.clone() {
            self.call("proxy_on_log", |s| log.call(s, ctx))?;
        }
        if let Some(done) = self.exports.done.clone() {
            self.call("proxy_on_done", |s| done.call(s, ctx))?;
        }
        if let Some(delete) = self.exports.delete.clone() {
            self.call("proxy_on_delete", |s| delete.call(s, ctx))?;
        }
        let state = self.store.data_mut();
        let filter_state = state
            .stream
            .take()
            .map(|s| s.filter_state)
            .unwrap_or_default();
        state.set_current_context(ROOT_CONTEXT_ID);
        Ok(Exchange {
            verdict,
            callbacks: flow.callbacks,
            logs: state.logs.get(logs_before..).unwrap_or_default().to_vec(),
            metrics: state.metric_values(),
            histograms: state.histograms(),
            filter_state,
        })
    }

    fn run_request(
        &mut self,
        ctx: i32,
        request: &HttpRequest,
        flow: &mut Flow,
    ) -> Result<Verdict, HarnessError> {
        let has_trailers = request.trailers.is_some();
        let headers_end = request.body.is_empty() && !has_trailers;
        let count = abi_size(request.header_map().len());
        let action = match self.exports.request_headers.clone() {
            Some(f) => self.call("proxy_on_request_headers", |s| {
                f.call(s, (ctx, count, i32::from(headers_end)))
            })?,
            None => 0,
        };
        let header_count = request.header_map().len();
        if let Some(reply) = self.after_callback(
            Phase::RequestHeaders,
            header_count,
            headers_end,
            action,
            flow,
        ) {
            return Ok(reply);
        }
        if flow.held && !headers_end && !self.options.allow_on_headers_stop_iteration {
            // Envoy turns the pause into StopAllIteration: the body never reaches the filter.
            return Ok(Verdict::Stalled {
                after: Phase::RequestHeaders,
            });
        }

        let chunks = if request.chunk_sizes.is_empty() {
            let chunk_size = request.chunk_size.unwrap_or(request.body.len()).max(1);
            request.body.chunks(chunk_size).collect()
        } else {
            split_by_sizes(&request.body, &request.chunk_sizes)
        };
        for (index, chunk) in chunks.iter().enumerate() {
            let end = index + 1 == chunks.len() && !has_trailers;
            let size = {
                let stream = self.stream_mut()?;
                let body = stream.body.get_or_insert_with(Vec::new);
                body.extend_from_slice(chunk);
                body.len()
            };
            let action = match self.exports.request_body.clone() {
                Some(f) => {
                    let args = (ctx, abi_size(size), i32::from(end));
                    self.call("proxy_on_request_body", |s| f.call(s, args))?
                }
                None => 0,
            };
            if let Some(reply) = self.after_callback(Phase::RequestBody, size, end, action, flow) {
                return Ok(reply);
            }
        }

        if let Some(trailers) = &request.trailers {
            self.stream_mut()?.trailers = Some(wire::to_pairs(trailers));
            let action = match self.exports.request_trailers.clone() {
                Some(f) => {
                    let args = (ctx, abi_size(trailers.len()));
                    self.call("proxy_on_request_trailers", |s| f.call(s, args))?
                }
                None => 0,
            };
            let count = trailers.len();
            if let Some(reply) =
                self.after_callback(Phase::RequestTrailers, count, true, action, flow)
            {
                return Ok(reply);
            }
        }

        if flow.held {
            let after = flow
                .callbacks
                .last()
                .map_or(Phase::RequestHeaders, |c| c.phase);
            return Ok(Verdict::Stalled { after });
        }
        let stream = self.stream_mut()?;
        let mut body = std::mem::take(&mut flow.released_body);
        body.extend(stream.body.take().unwrap_or_default());
        Ok(Verdict::Forwarded {
            headers: flow.released_headers.take().unwrap_or_default(),
            body,
            trailers: stream.trailers.as_deref().map(wire::from_pairs),
        })
    }

    /// Applies what a callback asked for once it has returned: a local reply ends the
    /// request; a continue (returned or requested) releases headers and buffered body.
    fn after_callback(
        &mut self,
        phase: Phase,
        size: usize,
        end_of_stream: bool,
        action: i32,
        flow: &mut Flow,
    ) -> Option<Verdict> {
        let action = if action == 0 {
            Action::Continue
        } else {
            Action::Pause
        };
        flow.callbacks.push(Callback {
            phase,
            size,
            end_of_stream,
            action,
        });
        let stream = self.store.data_mut().stream.as_mut()?;
        if let Some(reply) = stream.local_reply.take() {
            return Some(Verdict::LocalReply {
                status: reply.status,
                details: reply.details,
                headers: wire::from_pairs(&reply.headers),
                body: reply.body,
                grpc_status: reply.grpc_status,
            });
        }
        let resumed = std::mem::take(&mut stream.continue_requested);
        flow.held = action == Action::Pause && !resumed;
        if !flow.held {
            if flow.released_headers.is_none() {
                flow.released_headers = Some(wire::from_pairs(&stream.headers));
            }
            // Released data leaves the filter's buffer for the upstream.
            if let Some(body) = stream.body.as_mut() {
                flow.released_body.append(body);
            }
        }
        None
    }

    fn stream_mut(&mut self) -> Result<&mut Stream, HarnessError> {
        self.store
            .data_mut()
            .stream
            .as_mut()
            .ok_or(HarnessError::Protocol(
                "the HTTP context vanished mid-request",
            ))
    }
}

/// `body` cut into pieces of the given sizes, cycled; a zero size counts as one byte.
fn split_by_sizes<'b>(body: &'b [u8], sizes: &[usize]) -> Vec<&'b [u8]> {
    let mut chunks = Vec::new();
    let mut rest = body;
    for size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at((*size).max(1).min(rest.len()));
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}

/// Where the request stands between callbacks.
#[derive(Default)]
struct Flow {
    callbacks: Vec<Callback>,
    /// The last callback paused and nothing continued since.
    held: bool,
    /// Headers as they went upstream (at the first release).
    released_headers: Option<Vec<(String, String)>>,
    released_body: Vec<u8>,
}
