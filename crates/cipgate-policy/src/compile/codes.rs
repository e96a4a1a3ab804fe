//! Country and subdivision codes, checked against the ISO tables wherever a policy writes
//! one: list entries, parties' countries, values conditions compare with.

use super::diagnostics::{Diagnostic, Position};
use super::error_codes::ErrorCode;
use crate::tables;

pub(super) fn country(code: &str, at: Position) -> Result<(), Diagnostic> {
    iso_code(
        (code, at),
        tables::is_country,
        ("ISO 3166-1 country code", "country codes"),
        "use an ISO 3166-1 alpha-2 code such as DE or IR",
    )
}

pub(super) fn subdivision(code: &str, at: Position) -> Result<(), Diagnostic> {
    iso_code(
        (code, at),
        tables::is_subdivision,
        ("ISO 3166-2 subdivision code", "subdivision codes"),
        "use an ISO 3166-2 code such as UA-43 (legacy FIPS region numbers are not ISO codes)",
    )
}

/// `code` if `known` has it; the help shows it in capitals when that is the mistake.
fn iso_code(
    (code, at): (&str, Position),
    known: fn(&str) -> bool,
    (what, plural): (&str, &str),
    otherwise: &str,
) -> Result<(), Diagnostic> {
    if known(code) {
        return Ok(());
    }
    let upper = code.trim().to_ascii_uppercase();
    let help = if known(&upper) {
        format!("{plural} are written in capitals: `{upper}`")
    } else {
        otherwise.to_string()
    };
    Err(Diagnostic::new(
        ErrorCode::NotACode,
        at,
        format!("`{code}` is not an {what}"),
    )
    .with_help(help))
}
