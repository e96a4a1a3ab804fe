//! Compiler diagnostics as CI and editors read them (`--format json`): one object per error
//! with its place, stable code, message and help.

use cipgate_policy::Diagnostics;
use serde_json::{json, Value};

/// The diagnostics as a JSON array: `file`, `line`, `column` (1-based, in characters),
/// `code`, `message`, `help` (null when there is none).
pub fn to_json(d: &Diagnostics) -> String {
    let items: Vec<Value> = d
        .items
        .iter()
        .map(|i| {
            json!({
                "file": d.file,
                "line": i.at.line,
                "column": i.at.column,
                "code": i.code.as_str(),
                "message": i.message,
                "help": i.help,
            })
        })
        .collect();
    Value::Array(items).to_string()
}

/// What the command prints for a policy that does not compile: in text, every diagnostic
/// with its line (to standard error); in JSON, the array on standard output and a one-line
/// summary for standard error.
pub fn report(d: &Diagnostics, format: crate::Format) -> String {
    match format {
        crate::Format::Text => d.to_string(),
        crate::Format::Json => {
            outln!("{}", to_json(d));
            let n = d.items.len();
            format!("{n} error{} in {}", if n == 1 { "" } else { "s" }, d.file)
        }
    }
}
