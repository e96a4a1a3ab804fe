//! The patterns cipgate accepts: those that compile to a DFA without Unicode tables. Field
//! patterns are checked as they are read, a condition's once its subject is known to be text.

use super::diagnostics::{Diagnostic, Position};
use super::error_codes::ErrorCode;

const UNICODE_HELP: &str = "cipgate builds patterns without Unicode classes to keep modules small: write [0-9] for \\d, [A-Za-z] for letters, and spell out case variants instead of (?i)";

/// Why `text`, written at `at`, is not a pattern cipgate accepts.
pub(super) fn check(text: &str, at: Position) -> Result<(), Diagnostic> {
    if let Some(construct) = unicode_construct(text) {
        return Err(Diagnostic::new(
            ErrorCode::Pattern,
            at,
            format!("the pattern `{text}` uses `{construct}`, which needs Unicode tables"),
        )
        .with_help(UNICODE_HELP));
    }
    if let Err(detail) = super::dfa_build::build_dfa(text) {
        let help = if detail.contains("Unicode") {
            UNICODE_HELP
        } else {
            "see https://docs.rs/regex for the pattern syntax"
        };
        let first = detail.lines().last().unwrap_or("invalid pattern").trim();
        let first = first.strip_prefix("error: ").unwrap_or(first);
        return Err(Diagnostic::new(
            ErrorCode::Pattern,
            at,
            format!("the pattern `{text}` does not compile: {first}"),
        )
        .with_help(help));
    }
    Ok(())
}

/// The first construct of a pattern that needs the regex crate's Unicode tables (`\d`, `\w`,
/// `\s`, `\b`, `\p{..}`, case-insensitive flags). Checked on the text, so that the answer does
/// not depend on which regex features a particular build happens to enable.
fn unicode_construct(pattern: &str) -> Option<String> {
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(e @ ('d' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B' | 'p' | 'P')) =
                    chars.next()
                {
                    return Some(format!("\\{e}"));
                }
            }
            '(' if chars.peek() == Some(&'?') => {
                let flags: String = chars
                    .clone()
                    .skip(1)
                    .take_while(|f| *f != ':' && *f != ')')
                    .collect();
                if flags.chars().take_while(|f| *f != '-').any(|f| f == 'i') {
                    return Some(format!("(?{flags}"));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::unicode_construct;

    #[test]
    fn unicode_constructs_are_found_on_the_text() {
        assert_eq!(unicode_construct(r"^\d{5}$").as_deref(), Some(r"\d"));
        assert_eq!(unicode_construct(r"\p{L}+").as_deref(), Some(r"\p"));
        assert_eq!(unicode_construct("(?i)abc").as_deref(), Some("(?i"));
        assert_eq!(unicode_construct("(?si:a)").as_deref(), Some("(?si"));
        assert_eq!(unicode_construct(r"^\+7(365|869)"), None);
        assert_eq!(unicode_construct(r"^[0-9]+\.(?-i:x)$"), None);
        assert_eq!(unicode_construct(r"\\d"), None);
    }
}
