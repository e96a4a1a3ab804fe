//! The compiler: policy YAML in, policy image out, or every error at once.

//!
//! The passes, each its own module: YAML with places (`yaml.rs`) → the typed syntax tree
//! (`shape/` → `syntax/`) → names resolved and types checked (`check/`) → the compiled form
//! (`emit.rs`) → the image (`crate::image`).

mod check;
mod codes;
mod diagnostics;
mod emit;
mod error_codes;
pub mod list_files;
mod patterns;
mod shape;
mod syntax;
mod values;
pub mod vocabulary;
mod yaml;

pub use diagnostics::{Diagnostic, Diagnostics, ErrorCode, Position, ERROR_CODES};
// The pattern compiler lives beside the matcher whose tables it writes, where the image
// encoder reaches it too; the passes and the crate's users find it here.
pub use crate::dfa::build as dfa_build;

use crate::ir::PolicyIr;
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

/// Where the compiler gets the list files a policy names: the CLI reads them from disk
/// (`source:` relative to the policy file, `--list NAME=FILE` in its place); the core itself
/// does no I/O.
pub trait ListFiles {
    /// The file that gives list `list` its entries, as messages show it: a replacement given
    /// for the list, else the list's `source:`. `None`: the policy's own entries.
    fn locate(&self, list: &str, source: Option<&str>) -> Option<String>;
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;
    /// A file beside `path` (the SDN's `alt.csv`), if there is one.
    fn sibling(&self, path: &str, name: &str) -> Option<Vec<u8>>;
}

/// For policies with no list files: a `source:` is an error.
pub struct NoListFiles;

impl ListFiles for NoListFiles {
    fn locate(&self, _list: &str, source: Option<&str>) -> Option<String> {
        source.map(str::to_string)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        Err(format!(
            "cannot read {path}: this compiler reads no files (compile with the cipgate CLI)"
        ))
    }

    fn sibling(&self, _path: &str, _name: &str) -> Option<Vec<u8>> {
        None
    }
}

/// Compiles the policy text `source`; `file` names it in diagnostics. A policy whose lists
/// name files needs [`compile_with`].
pub fn compile(file: &str, source: &str) -> Result<Compiled, Diagnostics> {
    compile_with(file, source, &NoListFiles)
}

/// Compiles the policy text `source`, reading the list files it names through `files`.
pub fn compile_with(
    file: &str,
    source: &str,
    files: &dyn ListFiles,
) -> Result<Compiled, Diagnostics> {
    let fail = |items: Vec<Diagnostic>| Diagnostics {
        file: file.to_string(),
        source: source.to_string(),
        items,
    };
    let root = yaml::parse(source).map_err(fail)?;
    let ir = lower(&root, files).map_err(fail)?;
    let top = Position { line: 1, column: 1 };
    // The passes have checked what a person can get wrong; what is left (a pattern no DFA can
    // express, a policy too large) is still reported as a diagnostic, never a panic.
    let bytes = crate::image::encode(&ir).map_err(|e| {
        fail(vec![Diagnostic::new(
            ErrorCode::Internal,
            top,
            format!("cannot write the policy image: {e}"),
        )])
    })?;
    // The native evaluator decides from the image, exactly as the runtimes will.
    let policy = CompiledPolicy::load(&bytes).map_err(|e| {
        fail(vec![Diagnostic::new(
            ErrorCode::Internal,
            top,
            format!("internal error: the image does not load: {e}"),
        )])
    })?;
    Ok(Compiled { bytes, policy })
}

/// The passes from the YAML tree to the compiled form, every error of them at once, sorted
/// by place (so the order in which passes find them does not show).
fn lower(root: &yaml::Node, files: &dyn ListFiles) -> Result<PolicyIr, Vec<Diagnostic>> {
    let (syntax, errors) = shape::policy(root);
    let (ir, mut errors) = match syntax {
        Some(syntax) => {
            let mut checked = check::policy(&syntax, errors, files);
            let errors = std::mem::take(&mut checked.errors);
            (emit::policy(syntax, checked), errors)
        }
        None => (None, errors),
    };
    match ir {
        Some(ir) if errors.is_empty() => Ok(ir),
        _ => {
            errors.sort_by_key(|d| d.at);
            if errors.is_empty() {
                errors.push(Diagnostic::new(
                    ErrorCode::Internal,
                    root.at,
                    "the policy is incomplete",
                ));
            }
            Err(errors)
        }
    }
}
