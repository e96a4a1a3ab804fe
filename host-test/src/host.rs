//! The host side of proxy-wasm ABI 0.2.1: the state one filter instance sees (configuration,
//! the request in flight, properties, logs, metrics, shared data, clock) and the `env.proxy_*`
//! imports over it. Status codes and edge cases follow Envoy; calls the harness does not
//! support trap with a message naming them instead of returning statuses the SDK panics on.

use crate::wire::{self, Pairs};
use crate::{LogLevel, LogRecord};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wasmtime::{format_err, Caller, FuncType, Linker, Memory, Result, TypedFunc, ValType};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostWallClock, WasiCtxBuilder};

const OK: i32 = 0;
const NOT_FOUND: i32 = 1;
const BAD_ARGUMENT: i32 = 2;
const CAS_MISMATCH: i32 = 8;

// Buffer, map and stream types of the ABI.
const BUFFER_HTTP_REQUEST_BODY: i32 = 0;
const BUFFER_VM_CONFIGURATION: i32 = 6;
const BUFFER_PLUGIN_CONFIGURATION: i32 = 7;
const MAP_HTTP_REQUEST_HEADERS: i32 = 0;
const MAP_HTTP_REQUEST_TRAILERS: i32 = 1;
const STREAM_HTTP_REQUEST: i32 = 0;
const STREAM_HTTP_RESPONSE: i32 = 1;

/// What WASI stdout/stderr may hold per instance; Envoy turns these writes into log lines.
const STDIO_CAPACITY: usize = 1 << 20;

/// The instance's wall clock, shared by `proxy_get_current_time_nanoseconds` and WASI's
/// realtime clock (Envoy serves both from one clock). `u64::MAX` means "follow the system".
#[derive(Clone)]
pub(crate) struct Clock(Arc<AtomicU64>);

impl Clock {
    const SYSTEM: u64 = u64::MAX;

    pub(crate) fn new(fixed: Option<u64>) -> Clock {
        Clock(Arc::new(AtomicU64::new(fixed.unwrap_or(Self::SYSTEM))))
    }

    pub(crate) fn set(&self, nanos: Option<u64>) {
        self.0
            .store(nanos.unwrap_or(Self::SYSTEM), Ordering::Relaxed);
    }

    fn nanos(&self) -> u64 {
        match self.0.load(Ordering::Relaxed) {
            Self::SYSTEM => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX - 1)),
            fixed => fixed,
        }
    }
}

impl HostWallClock for Clock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos())
    }
}

/// The guest's memory and allocator, known once the module is instantiated.
#[derive(Clone)]
pub(crate) struct Guest {
    pub(crate) memory: Memory,
    pub(crate) allocate: TypedFunc<i32, i32>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum MetricKind {
    Counter,
    Gauge,
    Histogram,
}

struct Metric {
    name: String,
    kind: MetricKind,
    value: u64,
    samples: Vec<u64>,
}

/// A local reply the filter asked for; the driver applies it after the callback returns.
pub(crate) struct LocalReply {
    pub(crate) status: u32,
    pub(crate) details: String,
    pub(crate) headers: Pairs,
    pub(crate) body: Vec<u8>,
    pub(crate) grpc_status: Option<i32>,
}

/// One HTTP context: the request as the filter sees it right now.
pub(crate) struct Stream {
    pub(crate) id: u32,
    pub(crate) headers: Pairs,
    /// `None` until the trailers arrive, as in Envoy.
    pub(crate) trailers: Option<Pairs>,
    /// The buffered body; `None` before the first body callback.
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) properties: HashMap<Vec<String>, Vec<u8>>,
    /// What the filter stored with `proxy_set_property` during the request (Envoy's filter
    /// state, which access logs and later filters read).
    pub(crate) filter_state: BTreeMap<Vec<String>, Vec<u8>>,
    pub(crate) local_reply: Option<LocalReply>,
    /// Set by `proxy_continue_stream(HttpRequest)`; honoured after the callback returns.
    pub(crate) continue_requested: bool,
}

pub(crate) struct HostState {
    wasi: WasiP1Ctx,
    guest: Option<Guest>,
    pub(crate) clock: Clock,
    pub(crate) log_level: LogLevel,
    vm_config: Vec<u8>,
    plugin_config: Vec<u8>,
    root_id: u32,
    root_properties: HashMap<Vec<String>, Vec<u8>>,
    pub(crate) stream: Option<Stream>,
    effective_context: u32,
    pub(crate) logs: Vec<LogRecord>,
    metrics: Vec<Metric>,
    shared_data: HashMap<Vec<u8>, (Vec<u8>, u32)>,
    next_cas: u32,
    tick_period_ms: u32,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    /// How much of stdout and stderr has already been turned into log records.
    stdio_seen: (usize, usize),
}

pub(crate) struct HostConfig {
    pub(crate) vm_config: Vec<u8>,
    pub(crate) plugin_config: Vec<u8>,
    pub(crate) root_id: u32,
    pub(crate) properties: HashMap<Vec<String>, Vec<u8>>,
    pub(crate) clock: Clock,
    pub(crate) log_level: LogLevel,
}

impl HostState {
    pub(crate) fn new(config: HostConfig) -> HostState {
        let stdout = MemoryOutputPipe::new(STDIO_CAPACITY);
        let stderr = MemoryOutputPipe::new(STDIO_CAPACITY);
        // No environment, arguments or files: Envoy gives filters none either.
        let wasi = WasiCtxBuilder::new()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(config.clock.clone())
            .build_p1();
        HostState {
            wasi,
            guest: None,
            clock: config.clock,
            log_level: config.log_level,
            vm_config: config.vm_config,
            plugin_config: config.plugin_config,
            root_id: config.root_id,
            root_properties: config.properties,
            stream: None,
            effective_context: config.root_id,
            logs: Vec::new(),
            metrics: Vec::new(),
            shared_data: HashMap::new(),
            next_cas: 1,
            tick_period_ms: 0,
            stdout,
            stderr,
            stdio_seen: (0, 0),
        }
    }

    pub(crate) fn guest(&self) -> Result<&Guest> {
        self.guest
            .as_ref()
            .ok_or_else(|| format_err!("host call before the module was instantiated"))
    }

    pub(crate) fn set_guest(&mut self, guest: Guest) {
        self.guest = Some(guest);
    }

    pub(crate) fn set_current_context(&mut self, id: u32) {
        self.effective_context = id;
    }

    pub(crate) fn tick_period_ms(&self) -> u32 {
        self.tick_period_ms
    }

    /// Counters and gauges by name.
    pub(crate) fn metric_values(&self) -> BTreeMap<String, u64> {
        self.metrics
            .iter()
            .filter(|m| m.kind != MetricKind::Histogram)
            .map(|m| (m.name.clone(), m.value))
            .collect()
    }

    /// Recorded histogram samples by name.
    pub(crate) fn histograms(&self) -> BTreeMap<String, Vec<u64>> {
        self.metrics
            .iter()
            .filter(|m| m.kind == MetricKind::Histogram)
            .map(|m| (m.name.clone(), m.samples.clone()))
            .collect()
    }

    /// Turns new WASI stdout/stderr lines into log records (info and error, as Envoy does).
    pub(crate) fn collect_stdio(&mut self) {
        let (out_seen, err_seen) = self.stdio_seen;
        let out = self.stdout.contents();
        let err = self.stderr.contents();
        for (bytes, seen, level) in [
            (&out, out_seen, LogLevel::Info),
            (&err, err_seen, LogLevel::Error),
        ] {
            if let Some(new) = bytes.get(seen..) {
                for line in String::from_utf8_lossy(new).lines() {
                    self.logs.push(LogRecord {
                        level,
                        message: line.to_string(),
                    });
                }
            }
        }
        self.stdio_seen = (out.len(), err.len());
    }

    fn property(&self, path: &[String]) -> Option<&Vec<u8>> {
        let in_stream = self
            .stream
            .as_ref()
            .filter(|s| s.id == self.effective_context);
        in_stream
            .and_then(|s| s.properties.get(path))
            .or_else(|| self.root_properties.get(path))
    }

    /// The stream a host call applies to: the HTTP context, unless the effective context
    /// is the root context (then there is no request to touch).
    fn stream_mut(&mut self) -> Option<&mut Stream> {
        let id = self.effective_context;
        self.stream.as_mut().filter(|s| s.id == id)
    }

    fn map(&self, map_type: i32) -> Option<&Pairs> {
        let stream = self
            .stream
            .as_ref()
            .filter(|s| s.id == self.effective_context)?;
        match map_type {
            MAP_HTTP_REQUEST_HEADERS => Some(&stream.headers),
            MAP_HTTP_REQUEST_TRAILERS => stream.trailers.as_ref(),
            _ => None,
        }
    }

    fn map_mut(&mut self, map_type: i32) -> Option<&mut Pairs> {
        let stream = self.stream_mut()?;
        match map_type {
            MAP_HTTP_REQUEST_HEADERS => Some(&mut stream.headers),
            MAP_HTTP_REQUEST_TRAILERS => stream.trailers.as_mut(),
            _ => None,
        }
    }

    fn buffer(&self, buffer_type: i32) -> Option<&[u8]> {
        match buffer_type {
            BUFFER_HTTP_REQUEST_BODY => self
                .stream
                .as_ref()
                .filter(|s| s.id == self.effective_context)
                .and_then(|s| s.body.as_deref()),
            BUFFER_VM_CONFIGURATION => Some(&self.vm_config),
            BUFFER_PLUGIN_CONFIGURATION => Some(&self.plugin_config),
            _ => None,
        }
    }

    fn metric_mut(&mut self, id: i32) -> Option<&mut Metric> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        self.metrics.get_mut(index)
    }
}

type Host<'a> = Caller<'a, HostState>;

/// Adds WASI preview 1 and every `env.proxy_*` import of ABI 0.2.1 to the linker.
pub(crate) fn define(linker: &mut Linker<HostState>) -> Result<()> {
    wasmtime_wasi::p1::add_to_linker_sync(linker, |state: &mut HostState| &mut state.wasi)?;
    let env = "env";

    linker.func_wrap(
        env,
        "proxy_log",
        |mut c: Host<'_>, level: i32, ptr: i32, len: i32| {
            let Some(level) = LogLevel::from_abi(level) else {
                return Ok(BAD_ARGUMENT);
            };
            let message = String::from_utf8_lossy(&wire::read(&c, ptr, len)?).into_owned();
            c.data_mut().logs.push(LogRecord { level, message });
            Ok(OK)
        },
    )?;

    linker.func_wrap(env, "proxy_get_log_level", |mut c: Host<'_>, ptr: i32| {
        let level = c.data().log_level as u32;
        wire::write_u32(&mut c, ptr, level)?;
        Ok(OK)
    })?;

    linker.func_wrap(
        env,
        "proxy_get_current_time_nanoseconds",
        |mut c: Host<'_>, ptr: i32| {
            let now = c.data().clock.nanos();
            wire::write_u64(&mut c, ptr, now)?;
            Ok(OK)
        },
    )?;

    linker.func_wrap(
        env,
        "proxy_set_tick_period_milliseconds",
        |mut c: Host<'_>, period: i32| {
            c.data_mut().tick_period_ms = period as u32;
            Ok(OK)
        },
    )?;

    linker.func_wrap(
        env,
        "proxy_set_effective_context",
        |mut c: Host<'_>, id: i32| {
            let id = id as u32;
            let state = c.data_mut();
            if id != state.root_id && state.stream.as_ref().is_none_or(|s| s.id != id) {
                return Ok(BAD_ARGUMENT);
            }
            state.effective_context = id;
            Ok(OK)
        },
    )?;

    linker.func_wrap(env, "proxy_done", |_: Host<'_>| Ok(OK))?;

    define_buffers(linker)?;
    define_header_maps(linker)?;
    define_properties(linker)?;
    define_stream_control(linker)?;
    define_metrics(linker)?;
    define_shared_data(linker)?;
    define_unsupported(linker)
}

fn define_buffers(linker: &mut Linker<HostState>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_get_buffer_bytes",
        |mut c: Host<'_>, kind: i32, start: i32, max: i32, ptr_ptr: i32, size_ptr: i32| {
            let (start, max) = (start as u32 as usize, max as u32 as usize);
            let Some(buffer) = c.data().buffer(kind) else {
                return Ok(NOT_FOUND);
            };
            // Envoy clamps reads to the buffer and returns nothing (Ok) for an empty range.
            let end = start.saturating_add(max).min(buffer.len());
            let bytes = buffer.get(start..end).unwrap_or_default().to_vec();
            if !bytes.is_empty() {
                wire::copy_out(&mut c, &bytes, ptr_ptr, size_ptr)?;
            }
            Ok(OK)
        },
    )?;

    linker.func_wrap(
        "env",
        "proxy_set_buffer_bytes",
        |mut c: Host<'_>, kind: i32, start: i32, size: i32, ptr: i32, len: i32| {
            let data = wire::read(&c, ptr, len)?;
            let (start, size) = (start as u32 as usize, size as u32 as usize);
            if kind != BUFFER_HTTP_REQUEST_BODY {
                return Ok(BAD_ARGUMENT);
            }
            let Some(body) = c.data_mut().stream_mut().and_then(|s| s.body.as_mut()) else {
                return Ok(NOT_FOUND);
            };
            // Envoy's buffer supports exactly these edits: replace a prefix, or append.
            if start == 0 {
                body.drain(..size.min(body.len()));
                body.splice(0..0, data);
            } else if start >= body.len() {
                body.extend_from_slice(&data);
            } else {
                return Ok(BAD_ARGUMENT);
            }
            Ok(OK)
        },
    )?;
    Ok(())
}

fn define_header_maps(linker: &mut Linker<HostState>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_get_header_map_pairs",
        |mut c: Host<'_>, kind: i32, ptr_ptr: i32, size_ptr: i32| {
            // A map that does not exist yet (response headers during the request) reads as
            // empty rather than failing: the SDK would panic on any other status here.
            let bytes = wire::serialize_map(c.data().map(kind).map_or(&[], Vec::as_slice))?;
            wire::copy_out(&mut c, &bytes, ptr_ptr, size_ptr)?;
            Ok(OK)
        },
    )?;

    linker.func_wrap(
        "env",
        "proxy_get_header_map_value",
        |mut c: Host<'_>, kind: i32, key: i32, key_len: i32, ptr_ptr: i32, size_ptr: i32| {
            let key = wire::lower(&wire::read(&c, key, key_len)?);
            let value = c
                .data()
                .map(kind)
                .and_then(|map| map.iter().find(|(k, _)| *k == key))
                .map(|(_, v)| v.clone());
            match value {
                Some(value) => {
                    wire::copy_out(&mut c, &value, ptr_ptr, size_ptr)?;
                    Ok(OK)
                }
                None => Ok(NOT_FOUND),
            }
        },
    )?;

    linker.func_wrap(
        "env",
        "proxy_set_header_map_pairs",
        |mut c: Host<'_>, kind: i32, ptr: i32, len: i32| {
            let bytes = wire::read(&c, ptr, len)?;
            let Some(pairs) = wire::deserialize_map(&bytes) else {
                return Ok(BAD_ARGUMENT);
            };
            let Some(map) = c.data_mut().map_mut(kind) else {
                return Ok(BAD_ARGUMENT);
            };
            *map = pairs
                .into_iter()
                .map(|(k, v)| (wire::lower(&k), v))
                .collect();
            Ok(OK)
        },
    )?;

    for (name, edit) in [
        ("proxy_add_header_map_value", MapEdit::Add),
        ("proxy_replace_header_map_value", MapEdit::Replace),
    ] {
        linker.func_wrap(
            "env",
            name,
            move |mut c: Host<'_>, kind: i32, key: i32, key_len: i32, value: i32, len: i32| {
                let key = wire::lower(&wire::read(&c, key, key_len)?);
                let value = wire::read(&c, value, len)?;
                let Some(map) = c.data_mut().map_mut(kind) else {
                    return Ok(BAD_ARGUMENT);
                };
                edit.apply(map, key, Some(value));
                Ok(OK)
            },
        )?;
    }

    linker.func_wrap(
        "env",
        "proxy_remove_header_map_value",
        |mut c: Host<'_>, kind: i32, key: i32, key_len: i32| {
            let key = wire::lower(&wire::read(&c, key, key_len)?);
            let Some(map) = c.data_mut().map_mut(kind) else {
                return Ok(BAD_ARGUMENT);
            };
            MapEdit::Replace.apply(map, key, None);
            Ok(OK)
        },
    )?;
    Ok(())
}

#[derive(Clone, Copy)]
enum MapEdit {
    Add,
    Replace,
}

impl MapEdit {
    /// `Replace` keeps the first entry of the key with the new value and drops the others,
    /// as Envoy's `setCopy` does; `None` removes every entry of the key.
    fn apply(self, map: &mut Pairs, key: Vec<u8>, value: Option<Vec<u8>>) {
        match (self, value) {
            (MapEdit::Add, Some(value)) => map.push((key, value)),
            (MapEdit::Replace, Some(value)) => {
                let mut seen = false;
                map.retain_mut(|(k, v)| {
                    if *k != key {
                        return true;
                    }
                    if seen {
                        return false;
                    }
                    seen = true;
                    v.clone_from(&value);
                    true
                });
                if !seen {
                    map.push((key, value));
                }
            }
            (_, None) => map.retain(|(k, _)| *k != key),
        }
    }
}

fn define_properties(linker: &mut Linker<HostState>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_get_property",
        |mut c: Host<'_>, path: i32, path_len: i32, ptr_ptr: i32, size_ptr: i32| {
            let path = wire::property_path(&wire::read(&c, path, path_len)?);
            let Some(value) = c.data().property(&path).cloned() else {
                return Ok(NOT_FOUND);
            };
            wire::copy_out(&mut c, &value, ptr_ptr, size_ptr)?;
            Ok(OK)
        },
    )?;

    linker.func_wrap(
        "env",
        "proxy_set_property",
        |mut c: Host<'_>, path: i32, path_len: i32, value: i32, len: i32| {
            let path = wire::property_path(&wire::read(&c, path, path_len)?);
            let value = wire::read(&c, value, len)?;
            let state = c.data_mut();
            // Envoy keeps filter state per request; from the root context it is per VM.
            match state.stream_mut() {
                Some(stream) => {
                    stream.filter_state.insert(path.clone(), value.clone());
                    stream.properties.insert(path, value);
                }
                None => {
                    state.root_properties.insert(path, value);
                }
            }
            Ok(OK)
        },
    )?;
    Ok(())
}

fn define_stream_control(linker: &mut Linker<HostState>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_send_local_response",
        |mut c: Host<'_>,
         status: i32,
         details: i32,
         details_len: i32,
         body: i32,
         body_len: i32,
         headers: i32,
         headers_len: i32,
         grpc_status: i32| {
            let details = String::from_utf8_lossy(&wire::read(&c, details, details_len)?).into();
            let body = wire::read(&c, body, body_len)?;
            let Some(headers) = wire::deserialize_map(&wire::read(&c, headers, headers_len)?)
            else {
                return Ok(BAD_ARGUMENT);
            };
            let Some(stream) = c.data_mut().stream_mut() else {
                return Ok(BAD_ARGUMENT);
            };
            // Envoy refuses a second local reply on the same stream.
            if stream.local_reply.is_some() {
                return Ok(BAD_ARGUMENT);
            }
            stream.local_reply = Some(LocalReply {
                status: status as u32,
                details,
                headers: headers
                    .into_iter()
                    .map(|(k, v)| (wire::lower(&k), v))
                    .collect(),
                body,
                grpc_status: (grpc_status >= 0).then_some(grpc_status),
            });
            Ok(OK)
        },
    )?;

    linker.func_wrap(
        "env",
        "proxy_continue_stream",
        |mut c: Host<'_>, kind: i32| {
            match kind {
                STREAM_HTTP_REQUEST => {
                    if let Some(stream) = c.data_mut().stream_mut() {
                        stream.continue_requested = true;
                    }
                    Ok(OK)
                }
                // No response is in flight in the harness: nothing to resume.
                STREAM_HTTP_RESPONSE => Ok(OK),
                _ => Ok(BAD_ARGUMENT),
            }
        },
    )?;
    Ok(())
}

fn define_metrics(linker: &mut Linker<HostState>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_define_metric",
        |mut c: Host<'_>, kind: i32, name: i32, name_len: i32, id_ptr: i32| {
            let kind = match kind {
                0 => MetricKind::Counter,
                1 => MetricKind::Gauge,
                2 => MetricKind::Histogram,
                _ => return Ok(BAD_ARGUMENT),
            };
            let name = String::from_utf8_lossy(&wire::read(&c, name, name_len)?).into_owned();
            let metrics = &mut c.data_mut().metrics;
            // Defining a metric again (every root context does) returns the same one.
            let index = match metrics
                .iter()
                .position(|m| m.name == name && m.kind == kind)
            {
                Some(index) => index,
                None => {
                    metrics.push(Metric {
                        name,
                        kind,
                        value: 0,
                        samples: Vec::new(),
                    });
                    metrics.len() - 1
                }
            };
            let id = u32::try_from(index + 1).map_err(|_| format_err!("too many metrics"))?;
            wire::write_u32(&mut c, id_ptr, id)?;
            Ok(OK)
        },
    )?;

    linker.func_wrap(
        "env",
        "proxy_increment_metric",
        |mut c: Host<'_>, id: i32, offset: i64| {
            let Some(metric) = c.data_mut().metric_mut(id) else {
                return Ok(NOT_FOUND);
            };
            match metric.kind {
                // Counters only go up; Envoy rejects a zero or negative increment.
                MetricKind::Counter if offset > 0 => {
                    metric.value = metric.value.saturating_add(offset.unsigned_abs());
                }
                MetricKind::Gauge if offset >= 0 => {
                    metric.value = metric.value.saturating_add(offset.unsigned_abs());
                }
                MetricKind::Gauge => {
                    metric.value = metric.value.saturating_sub(offset.unsigned_abs());
                }
                MetricKind::Counter | MetricKind::Histogram => return Ok(BAD_ARGUMENT),
            }
            Ok(OK)
        },
    )?;

    linker.func_wrap(
        "env",
        "proxy_record_metric",
        |mut c: Host<'_>, id: i32, value: i64| {
            let value = value as u64;
            let Some(metric) = c.data_mut().metric_mut(id) else {
                return Ok(NOT_FOUND);
            };
            match metric.kind {
                MetricKind::Counter => metric.value = metric.value.saturating_add(value),
                MetricKind::Gauge => metric.value = value,
                MetricKind::Histogram => metric.samples.push(value),
            }
            Ok(OK)
        },
    )?;

    linker.func_wrap(
        "env",
        "proxy_get_metric",
        |mut c: Host<'_>, id: i32, ptr: i32| {
            let Some(metric) = c.data_mut().metric_mut(id) else {
                return Ok(NOT_FOUND);
            };
            if metric.kind == MetricKind::Histogram {
                return Ok(BAD_ARGUMENT);
            }
            let value = metric.value;
            wire::write_u64(&mut c, ptr, value)?;
            Ok(OK)
        },
    )?;
    Ok(())
}

fn define_shared_data(linker: &mut Linker<HostState>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_get_shared_data",
        |mut c: Host<'_>, key: i32, key_len: i32, ptr_ptr: i32, size_ptr: i32, cas_ptr: i32| {
            let key = wire::read(&c, key, key_len)?;
            let Some((value, cas)) = c.data().shared_data.get(&key).cloned() else {
                return Ok(NOT_FOUND);
            };
            wire::copy_out(&mut c, &value, ptr_ptr, size_ptr)?;
            wire::write_u32(&mut c, cas_ptr, cas)?;
            Ok(OK)
        },
    )?;

    linker.func_wrap(
        "env",
        "proxy_set_shared_data",
        |mut c: Host<'_>, key: i32, key_len: i32, value: i32, len: i32, cas: i32| {
            let key = wire::read(&c, key, key_len)?;
            let value = wire::read(&c, value, len)?;
            let (cas, state) = (cas as u32, c.data_mut());
            // Compare-and-swap: a non-zero cas must match the stored one.
            if let Some((_, current)) = state.shared_data.get(&key) {
                if cas != 0 && cas != *current {
                    return Ok(CAS_MISMATCH);
                }
            }
            let next = state.next_cas;
            state.next_cas = next.checked_add(1).unwrap_or(1);
            state.shared_data.insert(key, (value, next));
            Ok(OK)
        },
    )?;
    Ok(())
}

/// Imports every SDK module carries (its dispatcher links them) but a request filter has no
/// business calling in a test: calling one traps with a message naming it.
fn define_unsupported(linker: &mut Linker<HostState>) -> Result<()> {
    const UNSUPPORTED: [(&str, usize); 13] = [
        ("proxy_http_call", 10),
        ("proxy_grpc_call", 12),
        ("proxy_grpc_stream", 9),
        ("proxy_grpc_send", 4),
        ("proxy_grpc_cancel", 1),
        ("proxy_grpc_close", 1),
        ("proxy_get_status", 3),
        ("proxy_register_shared_queue", 3),
        ("proxy_resolve_shared_queue", 5),
        ("proxy_dequeue_shared_queue", 3),
        ("proxy_enqueue_shared_queue", 3),
        ("proxy_call_foreign_function", 6),
        ("proxy_close_stream", 1),
    ];
    for (name, params) in UNSUPPORTED {
        let ty = FuncType::new(linker.engine(), vec![ValType::I32; params], [ValType::I32]);
        linker.func_new("env", name, ty, move |_, _, _| {
            Err(format_err!(
                "the filter called `env.{name}`, which cipgate-host-test does not support"
            ))
        })?;
    }
    Ok(())
}
