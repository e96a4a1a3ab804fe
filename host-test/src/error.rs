//! Why a module could not be loaded, started or driven.

use crate::LogRecord;
use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
#[non_exhaustive]
pub enum HarnessError {
    /// The module file could not be read.
    Read { path: PathBuf, message: String },
    /// Not a valid WebAssembly module for this engine.
    Compile(String),
    /// The module does not export `proxy_abi_version_0_2_1`; `found` lists the ABI markers
    /// it does export.
    UnsupportedAbi { found: Vec<String> },
    /// The module imports something this host does not provide.
    UnknownImport { module: String, name: String },
    /// An import exists but with another signature, or an export has an unexpected type.
    Link(String),
    /// A required export is missing.
    MissingExport(&'static str),
    /// Instantiation failed (e.g. a start function trapped).
    Instantiate(String),
    /// `proxy_on_vm_start` returned false.
    VmStartRefused { logs: Vec<LogRecord> },
    /// `proxy_on_configure` returned false: Envoy would reject the configuration.
    ConfigurationRefused { logs: Vec<LogRecord> },
    /// The guest trapped (a panic, or a host call the harness refused) in `callback`.
    Trap {
        callback: &'static str,
        message: String,
        logs: Vec<LogRecord>,
    },
    /// An earlier trap failed this instance; like Envoy's failed VM it serves no requests.
    VmFailed,
    /// The harness's own bookkeeping broke an invariant (a bug in the harness).
    Protocol(&'static str),
}

impl HarnessError {
    pub(crate) fn compile(error: wasmtime::Error) -> HarnessError {
        HarnessError::Compile(format!("{error:#}"))
    }

    pub(crate) fn link(error: wasmtime::Error) -> HarnessError {
        HarnessError::Link(format!("{error:#}"))
    }
}

fn last_logs(f: &mut fmt::Formatter<'_>, logs: &[LogRecord]) -> fmt::Result {
    for record in logs.iter().rev().take(5).rev() {
        write!(f, "\n  [{:?}] {}", record.level, record.message)?;
    }
    Ok(())
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessError::Read { path, message } => {
                write!(f, "cannot read module {}: {message}", path.display())
            }
            HarnessError::Compile(message) => write!(f, "cannot compile module: {message}"),
            HarnessError::UnsupportedAbi { found } if found.is_empty() => write!(
                f,
                "not a proxy-wasm module: it exports no proxy_abi_version_* marker \
                 (this host speaks ABI 0.2.1)"
            ),
            HarnessError::UnsupportedAbi { found } => write!(
                f,
                "unsupported proxy-wasm ABI {}: this host speaks 0.2.1",
                found.join(", ")
            ),
            HarnessError::UnknownImport { module, name } => write!(
                f,
                "the module imports `{module}.{name}`, which this proxy-wasm host does not provide"
            ),
            HarnessError::Link(message) => write!(f, "cannot link module: {message}"),
            HarnessError::MissingExport(name) => {
                write!(f, "the module does not export `{name}`")
            }
            HarnessError::Instantiate(message) => {
                write!(f, "cannot instantiate module: {message}")
            }
            HarnessError::VmStartRefused { logs } => {
                write!(
                    f,
                    "the filter refused to start (proxy_on_vm_start returned false)"
                )?;
                last_logs(f, logs)
            }
            HarnessError::ConfigurationRefused { logs } => {
                write!(
                    f,
                    "the filter refused its configuration (proxy_on_configure returned false)"
                )?;
                last_logs(f, logs)
            }
            HarnessError::Trap {
                callback,
                message,
                logs,
            } => {
                write!(f, "the filter trapped in {callback}: {message}")?;
                last_logs(f, logs)
            }
            HarnessError::VmFailed => write!(
                f,
                "the filter instance failed earlier (trap) and serves no more requests"
            ),
            HarnessError::Protocol(message) => write!(f, "harness invariant broken: {message}"),
        }
    }
}

impl std::error::Error for HarnessError {}
