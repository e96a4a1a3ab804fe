//! `cipgate compile`, and the loader every command reads a policy with: a policy file compiled
//! (its names lists from `--list` files where given) or a policy image loaded.

use crate::diagnostics;
use crate::list_files::{DiskListFiles, ListArg};
use crate::Format;
use cipgate_policy::{compile_with, Compiled, CompiledPolicy};
use std::path::Path;
use std::process::ExitCode;

/// Reads and compiles a policy file (or loads a policy image, `.cpi`), its names lists from
/// `lists` where given; the error is the rendered diagnostics.
pub fn load_policy(path: &Path, lists: &[ListArg], format: Format) -> Result<Compiled, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("error: cannot read the policy {}: {e}", path.display()))?;
    if bytes.starts_with(cipgate_policy::image::MAGIC) {
        if !lists.is_empty() {
            return Err(format!(
                "error: {} is a compiled policy image; --list needs the policy file",
                path.display()
            ));
        }
        let policy =
            CompiledPolicy::load(&bytes).map_err(|e| format!("error: {}: {e}", path.display()))?;
        return Ok(Compiled { bytes, policy });
    }
    let source = String::from_utf8(bytes)
        .map_err(|_| format!("error: the policy {} is not UTF-8", path.display()))?;
    let files = DiskListFiles {
        policy_dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        replacements: lists,
    };
    let compiled = compile_with(&path.display().to_string(), &source, &files)
        .map_err(|d| diagnostics::report(&d, format))?;
    for arg in lists {
        let names_list = compiled
            .policy
            .ir()
            .lists
            .iter()
            .any(|l| l.name == arg.list && l.kind == cipgate_policy::ir::ListKind::Names);
        if !names_list {
            return Err(format!(
                "error: --list {}={}: the policy has no names list `{}`",
                arg.list,
                arg.file.display(),
                arg.list
            ));
        }
    }
    Ok(compiled)
}

/// Validates a policy, writes its image with `--emit`, and prints its id, version and sha256.
pub fn run(
    path: &Path,
    emit: Option<&Path>,
    lists: &[ListArg],
    format: Format,
) -> Result<ExitCode, String> {
    let compiled = load_policy(path, lists, format)?;
    let ir = compiled.policy.ir();
    if let Some(out) = emit {
        std::fs::write(out, &compiled.bytes)
            .map_err(|e| format!("error: cannot write {}: {e}", out.display()))?;
    }
    outln!(
        "{} {} sha256:{} ({} fields, {} lists, {} rules)",
        ir.meta.id,
        ir.meta.version,
        compiled.policy.sha256(),
        ir.fields.len(),
        ir.lists.len(),
        ir.rules.len()
    );
    Ok(ExitCode::SUCCESS)
}
