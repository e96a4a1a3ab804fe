//! The compiler: policy YAML in, policy image out, or every error at once.

pub mod dfa_build;
mod diagnostics;
pub mod list_files;
mod lower;
pub mod vocabulary;
mod yaml;

pub use diagnostics::{Diagnostic, Diagnostics, Position};

use crate::policy::CompiledPolicy;
use sha2::{Digest, Sha256};

/// A compiled policy: the image that runtimes load, and the image loaded.
#[derive(Debug)]
pub struct Compiled {
    /// The policy image. Its sha256 identifies the policy in every decision.
    pub bytes: Vec<u8>,
    /// The policy as every runtime sees it: read back from `bytes`.
    pub policy: CompiledPolicy,
}

impl Compiled {
    /// The image of the policy's browser projection (`image::project_for_browser`): no rule
    /// that needs the gateway's facts, no private list.
    pub fn browser_image(&self) -> Result<Vec<u8>, String> {
        let full: [u8; 32] = Sha256::digest(&self.bytes).into();
        crate::image::encode(&crate::image::project_for_browser(self.policy.ir(), full))
    }
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
    // Lowering has checked what a person can get wrong; what is left (a pattern no DFA can
    // express, a policy too large) is still reported as a diagnostic, never a panic.
    let bytes = crate::image::encode(&ir).map_err(|e| {
        fail(vec![Diagnostic::new(
            top,
            format!("cannot write the policy image: {e}"),
        )])
    })?;
    // The native evaluator decides from the image, exactly as the runtimes will.
    let policy = CompiledPolicy::load(&bytes).map_err(|e| {
        fail(vec![Diagnostic::new(
            top,
            format!("internal error: the image does not load: {e}"),
        )])
    })?;
    Ok(Compiled { bytes, policy })
}
