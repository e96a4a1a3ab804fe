//! The top-level modules of the core (those `lib.rs` declares) depend on each other without a
//! cycle, so each can be read, tested and changed with only the ones below it in mind.
//!
//! A module depends on another where its code names it: `crate::other` (also in a `use`
//! group) or a `super::` path that climbs out of it. Comments and strings do not count, nor
//! test code: items under `#[cfg(test)]` (or `cfg(all(test, ...))`) and files named
//! `tests.rs`.

// Helpers outside `#[test]` functions fail the test by panicking, like the tests themselves.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// For each module that names another, the modules it names and where it first does.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

#[test]
fn top_level_modules_have_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let modules = top_level_modules(&lib);
    assert!(
        modules.contains("eval") && modules.contains("ir"),
        "{modules:?}"
    );
    let mut graph = Graph::new();
    for module in &modules {
        // `x.rs`, `x/mod.rs`, and the files of its submodules below `x/`.
        let mut files = rust_files(&src.join(module));
        files.extend(Some(src.join(format!("{module}.rs"))).filter(|f| f.is_file()));
        assert!(!files.is_empty(), "no source of module `{module}`");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file");
            let place = file.strip_prefix(&src).expect("under src/");
            let depth = module_depth(place);
            for (line, named) in references(&text, depth) {
                if named != *module && modules.contains(&named) {
                    let at = format!("{}:{line}", place.display());
                    let uses = graph.entry(module.clone()).or_default();
                    uses.entry(named).or_insert(at);
                }
            }
        }
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!("the core's top-level modules depend on each other in a cycle: {cycle}");
    }
}

/// The checker sees what it must: references in code, not in comments, strings or test code;
/// and it finds a cycle where there is one.
#[test]
fn the_check_finds_a_planted_cycle() {
    let ir = "use crate::decision::Outcome; // crate::eval\n\
              fn f() -> &'static str { \"crate::html\" }\n\
              #[cfg(test)]\n#[allow(dead_code)]\nmod tests {\n    use crate::html;\n}\n\
              #[cfg(all(test, feature = \"compiler\"))]\nconst X: [u8; 1] = [0];\n";
    let named: Vec<String> = references(ir, 1).into_iter().map(|(_, m)| m).collect();
    assert_eq!(named, ["decision"]);
    let grouped = "use crate::{formats, tables::name_fold};\nuse super::super::ir::Rule;\n";
    let named: Vec<(usize, String)> = references(grouped, 2);
    assert_eq!(
        named,
        [
            (1, "formats".to_string()),
            (1, "tables".to_string()),
            (2, "ir".to_string())
        ]
    );
    assert!(references("use super::signup::Slot;\n", 2).is_empty());

    let mut graph = Graph::new();
    for (from, to) in [("eval", "ir"), ("ir", "decision"), ("decision", "ir")] {
        let uses = graph.entry(from.to_string()).or_default();
        uses.insert(to.to_string(), format!("{from}.rs:1"));
    }
    assert_eq!(
        find_cycle(&graph).as_deref(),
        Some("decision -> ir -> decision (decision.rs:1 names ir, ir.rs:1 names decision)")
    );
    graph.entry("decision".to_string()).or_default().clear();
    assert_eq!(find_cycle(&graph), None);
}

/// The modules `lib.rs` declares (`mod x;`, `pub mod x;`, with or without attributes).
fn top_level_modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line.strip_prefix("pub ").unwrap_or(line);
            let rest = match rest.strip_prefix("pub(") {
                Some(r) => r.split_once(") ")?.1,
                None => rest,
            };
            let name = rest.strip_prefix("mod ")?.strip_suffix(';')?;
            Some(name.to_string())
        })
        .collect()
}

/// Every `.rs` file below `dir`, but files named `tests.rs` (test code).
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// How deep below the crate root the module of a file (relative to `src/`) is: `eval.rs` and
/// `eval/mod.rs` 1, `eval/signup.rs` 2.
fn module_depth(place: &Path) -> usize {
    let parts = place.components().count();
    if place.file_name().is_some_and(|n| n == "mod.rs") {
        parts - 1
    } else {
        parts
    }
}

/// The top-level modules that the code of `text` names, with their lines, in order. `depth`
/// is how deep the file's module is, for `super::` paths.
fn references(text: &str, depth: usize) -> Vec<(usize, String)> {
    let code = without_tests(&code_only(text));
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // Not `$crate` (a macro's) nor the tail of a longer name.
        let path_start = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b'$';
        let mut at = i;
        let from_root = if path_start && bytes[i..].starts_with(b"crate::") {
            at += "crate::".len();
            true
        } else if path_start && bytes[i..].starts_with(b"super::") {
            let mut ups = 0;
            while bytes[at..].starts_with(b"super::") {
                at += "super::".len();
                ups += 1;
            }
            ups == depth
        } else {
            false
        };
        if from_root {
            let line = code[..i].matches('\n').count() + 1;
            found.extend(path_heads(&code[at..]).into_iter().map(|m| (line, m)));
        }
        i = at.max(i + 1);
    }
    found
}

/// The first segment of the path that starts `rest`, or of each path of a `{...}` group.
fn path_heads(rest: &str) -> Vec<String> {
    let rest = rest.trim_start();
    let Some(group) = rest.strip_prefix('{') else {
        return vec![ident(rest)];
    };
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut entry_start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => entry_start = true,
            c if entry_start && depth == 0 && !c.is_whitespace() => {
                heads.push(ident(&group[i..]));
                entry_start = false;
            }
            _ => {}
        }
    }
    heads
}

fn ident(s: &str) -> String {
    s.bytes()
        .take_while(|b| is_ident(*b))
        .map(char::from)
        .collect()
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `text` with comments and the contents of string and character literals blanked out (lines
/// kept), so that only code is left to search.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let after_ident = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if let Some((body, hashes)) = raw_string(&chars, i).filter(|_| !after_ident) {
            // Up to the quote followed by as many `#` as opened it.
            out.extend(std::iter::repeat_n(' ', body - i));
            i = body;
            while i < chars.len() {
                let closes =
                    chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#'));
                if closes {
                    out.extend(std::iter::repeat_n(' ', hashes + 1));
                    i += hashes + 1;
                    break;
                }
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '"' {
            i = blank_quoted(&chars, i, &mut out);
        } else if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
            // A character literal (a lifetime has no closing quote).
            i = blank_quoted(&chars, i, &mut out);
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Blanks the string or character literal whose quote is at `open` into `out` (escapes
/// included, lines kept); returns the index past its closing quote.
fn blank_quoted(chars: &[char], open: usize, out: &mut String) -> usize {
    let quote = chars[open];
    out.push(' ');
    let mut i = open + 1;
    while i < chars.len() && chars[i] != quote {
        if chars[i] == '\\' {
            out.push(' ');
            i += 1;
        }
        if let Some(&c) = chars.get(i) {
            out.push(if c == '\n' { '\n' } else { ' ' });
        }
        i += 1;
    }
    out.push(' ');
    i + 1
}

/// Where the text of a raw string (`r"`, `r#"`, `br#"` ...) opening at `i` starts, and how many
/// `#` close it.
fn raw_string(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let start = match (chars.get(i), chars.get(i + 1)) {
        (Some('r'), _) => i + 1,
        (Some('b'), Some('r')) => i + 2,
        _ => return None,
    };
    let hashes = chars
        .get(start..)?
        .iter()
        .take_while(|&&h| h == '#')
        .count();
    (chars.get(start + hashes) == Some(&'"')).then_some((start + hashes + 1, hashes))
}

/// `code` with every item under a `cfg` attribute that needs `test` blanked out, lines kept.
fn without_tests(code: &str) -> String {
    let mut out: Vec<char> = code.chars().collect();
    let mut i = 0;
    while let Some(found) = find_from(&out, i, "#[cfg(") {
        let attr_end = closing(&out, found + 1).unwrap_or(out.len());
        let predicate: String = out[found..attr_end]
            .iter()
            .filter(|c| !c.is_whitespace())
            .collect();
        // `cfg(test)` or `cfg(all(test, ...))`; not `any` or `not`, which also build without tests.
        let test_only = predicate == "#[cfg(test)]"
            || predicate.starts_with("#[cfg(all(")
                && ["(test,", ",test,", ",test)"]
                    .iter()
                    .any(|t| predicate.contains(t));
        if !test_only {
            i = attr_end;
            continue;
        }
        // The item: further attributes, then up to its `;` or its closing brace.
        let mut end = attr_end;
        let mut depth = 0usize;
        while end < out.len() {
            match out[end] {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' => depth = depth.saturating_sub(1),
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end += 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end += 1;
                    break;
                }
                _ => {}
            }
            end += 1;
        }
        let end = end.min(out.len());
        for c in &mut out[found..end] {
            if *c != '\n' {
                *c = ' ';
            }
        }
        i = end;
    }
    out.into_iter().collect()
}

fn find_from(chars: &[char], from: usize, needle: &str) -> Option<usize> {
    let needle: Vec<char> = needle.chars().collect();
    (from..chars.len().saturating_sub(needle.len() - 1))
        .find(|&i| chars[i..i + needle.len()] == needle[..])
}

/// The index just past the bracket that closes the one at `open`.
fn closing(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in chars.iter().enumerate().skip(open) {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// A cycle of the graph, as `a -> b -> a (where a names b, ...)`, if it has one.
fn find_cycle(graph: &Graph) -> Option<String> {
    fn visit(
        graph: &Graph,
        module: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == module) {
            let mut cycle = path[start..].to_vec();
            cycle.push(module.to_string());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_string());
        for next in graph.get(module).into_iter().flat_map(BTreeMap::keys) {
            if let Some(cycle) = visit(graph, next, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(module.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        if let Some(cycle) = visit(graph, module, &mut Vec::new(), &mut done) {
            let places: Vec<String> = cycle
                .windows(2)
                .map(|pair| format!("{} names {}", graph[&pair[0]][&pair[1]], pair[1]))
                .collect();
            return Some(format!("{} ({})", cycle.join(" -> "), places.join(", ")));
        }
    }
    None
}
