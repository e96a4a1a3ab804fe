//! Compiler diagnostics: every error at once, each with `file:line:column`, the line of the
//! policy with a caret under the spot, and what to write instead.

pub use super::error_codes::{ErrorCode, ERROR_CODES};
use std::collections::HashMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: ErrorCode,
    pub at: Position,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: ErrorCode, at: Position, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            at,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

/// All errors of one policy file, renderable with their source lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    pub file: String,
    pub source: String,
    pub items: Vec<Diagnostic>,
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.items {
            writeln!(
                f,
                "error[{}]: {}:{}:{}: {}",
                d.code.as_str(),
                self.file,
                d.at.line,
                d.at.column,
                d.message
            )?;
            if let Some(text) = self.source.lines().nth(d.at.line.saturating_sub(1)) {
                let gutter = d.at.line.to_string();
                writeln!(f, "{:w$} |", "", w = gutter.len())?;
                writeln!(f, "{gutter} | {text}")?;
                let indent: String = text
                    .chars()
                    .take(d.at.column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                writeln!(f, "{:w$} | {indent}^", "", w = gutter.len())?;
            }
            if let Some(help) = &d.help {
                writeln!(f, "  help: {help}")?;
            }
        }
        let n = self.items.len();
        write!(
            f,
            "{n} error{} in {}",
            if n == 1 { "" } else { "s" },
            self.file
        )
    }
}

impl std::error::Error for Diagnostics {}

/// The closest candidate to a misspelt name, for "did you mean" hints; of equally close ones
/// the first given (callers give a map's names in a fixed order: see [`declared`]).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The names of `index` (name to declaration number) in the order the policy declares them:
/// candidates for [`closest`] that give the same hint on every run.
pub fn declared(index: &HashMap<String, usize>) -> Vec<&str> {
    let mut names: Vec<(usize, &str)> = index.iter().map(|(n, &i)| (i, n.as_str())).collect();
    names.sort_unstable();
    names.into_iter().map(|(_, n)| n).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.last().copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::{closest, declared};
    use std::collections::HashMap;

    #[test]
    fn equally_close_names_give_the_first_declared() {
        let index: HashMap<String, usize> = [("county", 1), ("country", 0), ("city", 2)]
            .into_iter()
            .map(|(n, i)| (n.to_owned(), i))
            .collect();
        assert_eq!(declared(&index), ["country", "county", "city"]);
        assert_eq!(closest("countr", declared(&index)), Some("country"));
        assert_eq!(closest("zzzzzz", declared(&index)), None);
    }
}
