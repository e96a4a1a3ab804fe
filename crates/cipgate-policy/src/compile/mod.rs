//! The compiler: policy YAML in, compiled form out, or every error at once.

mod diagnostics;
mod lower;
mod yaml;

pub use diagnostics::{Diagnostic, Diagnostics, Position};

use crate::policy::{hex, CompiledPolicy};
use sha2::{Digest, Sha256};

/// A compiled policy: the canonical bytes that runtimes load, and the loaded policy.
#[derive(Debug)]
pub struct Compiled {
    /// The compiled form. Its sha256 identifies the policy in every decision.
    pub bytes: Vec<u8>,
    pub policy: CompiledPolicy,
}

/// Compiles the policy text `source`; `file` names it in diagnostics.
pub fn compile(file: &str, source: &str) -> Result<Compiled, Diagnostics> {
    let fail = |items: Vec<Diagnostic>| Diagnostics {
        file: file.to_string(),
        source: source.to_string(),
        items,
    };
    let root = yaml::parse(source).map_err(fail)?;
    let ir = lower::lower(&root).map_err(fail)?;
    let top = Position { line: 1, column: 1 };
    let bytes = serde_json::to_vec(&ir)
        .map_err(|e| fail(vec![Diagnostic::new(top, format!("internal error: {e}"))]))?;
    let sha256 = hex(&Sha256::digest(&bytes));
    // Patterns were checked during lowering; a failure here would be a compiler bug, still
    // reported as a diagnostic rather than a panic.
    let policy = CompiledPolicy::from_ir(ir, sha256)
        .map_err(|e| fail(vec![Diagnostic::new(top, e.to_string())]))?;
    Ok(Compiled { bytes, policy })
}
