//! Pattern DFAs: the tables of `compile::dfa_build` searched with `dfa::Dfa` give the answers
//! of the reference, `regex::Regex::is_match`, on the postal code patterns, the policy's
//! patterns and tricky ones; patterns the reference refuses are refused; damaged tables are
//! refused or at least searched without panicking. `postal_dfa_sizes` prints the size figures
//! (`cargo test -p cipgate-policy --test dfa -- --nocapture postal_dfa_sizes`).

// Helpers outside `#[test]` functions fail the test by panicking, like the tests themselves.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use cipgate_policy::compile::dfa_build::build_dfa;
use cipgate_policy::dfa::Dfa;
use cipgate_policy::tables::postal_code_patterns;
use proptest::prelude::*;
use proptest::string::string_regex;
use regex::Regex;
use std::sync::OnceLock;

/// Patterns chosen for what they exercise: anchors, empty matches, ASCII word boundaries,
/// `.` over multi-byte UTF-8, negated classes, non-ASCII literals, more than 254 states.
const TRICKY: &[&str] = &[
    "",
    // Patterns of the kind policies wrote for postal codes and phone prefixes before lists
    // of them existed.
    "^29[5-9][0-9]{3}$",
    "^\\+7(365|869)",
    "(?:)",
    "a",
    "abc",
    "a*",
    "a+",
    "a|",
    "|a",
    "a{0}",
    "(?U)a+b",
    "^",
    "$",
    "^$",
    "^a",
    "a$",
    "^abc$",
    r"\Aab\z",
    "[^x]",
    "^[^x]$",
    "^[^a]{3}$",
    "x[^a]*y",
    ".",
    "^.$",
    "^..$",
    "^.{3}$",
    "(?s:.)",
    "(?s)a.b",
    "a.b",
    "é",
    "^é$",
    "日本",
    "☃+",
    "^[é☃日]+$",
    r"\x{10FFFF}",
    r"[\x{80}-\x{10FFFF}]",
    r"^[\x{800}-\x{FFFF}]$",
    r"(?-u:\b)",
    r"(?-u:\b)a",
    r"a(?-u:\b)",
    r"(?-u:\b)é",
    r"é(?-u:\b)",
    r"(?-u:\b)[0-9]+(?-u:\b)",
    r"(?-u:\b{start})ab",
    r"ab(?-u:\b{end})",
    r"(?-u:\<)a",
    r"a(?-u:\>)",
    r"(?-u:[a-z])+",
    "foo|bar",
    "^(?:foo|bar)$",
    "^(?:foo|foobar)$",
    "(?m)^a$",
    "(?m)^$",
    "(?m)a$",
    "(?Rm)^a$",
    "(?R)a$",
    r"\n",
    r"\r\n",
    "[a-c]+x",
    "[0-9]{3}-[0-9]{4}",
    "^[0-9]{300}$",
    "[a-c]{260}x",
    r"^\+7(365|869)",
    r"[^\x00-\x{10FFFF}]",
    r"a[^\x00-\x{10FFFF}]|b",
];

/// Patterns that need Unicode tables: refused by the runtimes' `regex` build, accepted when
/// feature unification gives `regex-syntax` its tables (as proptest does in tests). Either
/// way the DFA must agree.
const UNICODE_TABLES: &[&str] = &[
    r"\d+",
    r"^\w+$",
    r"\s",
    r"(?i)k",
    r"(?i)^straße$",
    r"\p{Greek}",
];

/// Patterns the reference refuses.
const REFUSED_BY_REGEX: &[&str] = &[
    "(",
    ")",
    "[",
    "[z-a]",
    "a{2,1}",
    "a{99999999}",
    r"\",
    "(?P<x>a)(?P<x>b)",
    r"(?-u:\xFF)",
    "(?z)",
];

struct Case {
    pattern: String,
    regex: Regex,
    table: Vec<u8>,
}

fn all_patterns() -> Vec<String> {
    let mut patterns: Vec<String> = postal_code_patterns().map(|(_, p)| p.to_string()).collect();
    patterns.extend(TRICKY.iter().map(|p| p.to_string()));
    for pattern in UNICODE_TABLES {
        if Regex::new(pattern).is_ok() {
            patterns.push(pattern.to_string());
        } else {
            build_dfa(pattern).expect_err(pattern);
        }
    }
    let mut seen = std::collections::HashSet::new();
    patterns.retain(|p| seen.insert(p.clone()));
    patterns
}

fn cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        all_patterns()
            .into_iter()
            .map(|pattern| {
                let regex = Regex::new(&pattern).unwrap();
                let table = build_dfa(&pattern).unwrap_or_else(|e| panic!("{e}"));
                Case {
                    pattern,
                    regex,
                    table,
                }
            })
            .collect()
    })
}

fn check(haystack: &str) -> Result<(), TestCaseError> {
    for case in cases() {
        let dfa = Dfa::parse(&case.table).unwrap();
        prop_assert_eq!(
            dfa.is_match(haystack.as_bytes()),
            case.regex.is_match(haystack),
            "{:?} on {:?}",
            &case.pattern,
            haystack
        );
    }
    Ok(())
}

/// Strings that match the pattern (when proptest can generate them), anchors left out.
fn matching(pattern: &str) -> BoxedStrategy<String> {
    let inner = pattern.strip_prefix('^').unwrap_or(pattern);
    let inner = match inner.strip_suffix('$') {
        Some(stripped) if !stripped.ends_with('\\') => stripped,
        _ => inner,
    };
    // proptest panics on a class that matches nothing.
    if inner.contains(r"[^\x00-\x{10FFFF}]") {
        return Just(String::new()).boxed();
    }
    match string_regex(inner) {
        Ok(strategy) => strategy.boxed(),
        Err(_) => Just(String::new()).boxed(),
    }
}

/// Characters that the patterns care about, and any other.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::sample::select(
            "0123456789 -+ABCEHKNSWXYZabcxyé☃日本\n\r"
                .chars()
                .collect::<Vec<_>>()
        ),
        1 => any::<char>(),
    ]
}

/// Insert, replace or delete a character, at a position taken modulo the length.
fn mutate(text: &str, edits: &[(u8, usize, char)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for &(op, at, c) in edits {
        let at = at % (chars.len() + 1);
        match op % 3 {
            0 => chars.insert(at, c),
            1 if at < chars.len() => chars[at] = c,
            _ if at < chars.len() => {
                chars.remove(at);
            }
            _ => chars.push(c),
        }
    }
    chars.into_iter().collect()
}

fn haystack() -> impl Strategy<Value = String> {
    let count = cases().len();
    let near_match = (0..count)
        .prop_flat_map(|i| matching(&cases()[i].pattern))
        .prop_flat_map(|text| {
            let edits =
                proptest::collection::vec((any::<u8>(), any::<usize>(), interesting_char()), 0..3);
            (Just(text), edits)
        })
        .prop_map(|(text, edits)| mutate(&text, &edits));
    prop_oneof![
        6 => near_match,
        2 => proptest::collection::vec(interesting_char(), 0..12)
            .prop_map(|chars| chars.into_iter().collect()),
        1 => any::<String>(),
        1 => proptest::collection::vec(any::<u8>(), 0..24)
            .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn dfa_agrees_with_regex(haystack in haystack()) {
        check(&haystack)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        for case in cases() {
            let _ = Dfa::parse(&case.table).unwrap().is_match(&bytes);
        }
    }
}

#[test]
fn dfa_agrees_with_regex_on_fixed_haystacks() {
    let mut haystacks: Vec<String> = [
        "",
        "a",
        "b",
        "x",
        "ab",
        "abc",
        "aé",
        "éa",
        "é",
        "☃",
        "日本",
        "\n",
        "\r\n",
        "a\n",
        "\na",
        "a\r\n",
        "a\nb",
        "foo",
        "foobar",
        "bar",
        "axb",
        "aéb",
        "a☃b",
        "xaay",
        "xbby",
        "0",
        "12345",
        "12345-678",
        "12345678",
        "1234-5678",
        "123-4567",
        "SW1A 1AA",
        "M5V 3L9",
        "D02 X285",
        "+7365",
        "+78691234",
        "+7123",
        "295000",
        "299999",
        "294999",
        "\u{10FFFF}",
        "\u{7FF}",
        "\u{800}",
        "\u{FFFF}",
        "\u{10000}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    haystacks.push("0".repeat(300));
    haystacks.push("0".repeat(299));
    haystacks.push(format!("{}x", "abc".repeat(87)));
    haystacks.push(format!("{}x", "abc".repeat(86)));
    haystacks.extend((0..=0x7f_u8).map(|b| char::from(b).to_string()));
    for haystack in &haystacks {
        check(haystack).unwrap();
    }
}

#[test]
fn every_pattern_builds_and_matches_its_examples() {
    assert!(cases().len() > 80, "{} patterns", cases().len());
    // Deterministic: the compiled form of a policy is identified by its hash.
    for case in cases() {
        assert_eq!(
            build_dfa(&case.pattern).unwrap(),
            case.table,
            "{}",
            case.pattern
        );
    }
    // Spot checks beside the differential test.
    let find = |pattern: &str| {
        let case = cases().iter().find(|c| c.pattern == pattern).unwrap();
        Dfa::parse(&case.table).unwrap()
    };
    let br = find("^(?:[0-9]{5}-?[0-9]{3})$");
    for yes in ["12345-678", "12345678"] {
        assert!(br.is_match(yes.as_bytes()), "{yes}");
    }
    for no in ["12345-67", "1234-5678", " 12345678", "12345678\n", "", "x"] {
        assert!(!br.is_match(no.as_bytes()), "{no:?}");
    }
    let crimea = find("^29[5-9][0-9]{3}$");
    assert!(crimea.is_match(b"295000") && !crimea.is_match(b"294999"));
    let dot = find("^.$");
    assert!(dot.is_match("é".as_bytes()) && dot.is_match("☃".as_bytes()));
    assert!(!dot.is_match(b"ab") && !dot.is_match(b"\n") && !dot.is_match(b""));
}

#[test]
fn patterns_refused_by_regex_are_refused() {
    for pattern in REFUSED_BY_REGEX {
        assert!(Regex::new(pattern).is_err(), "regex takes {pattern:?}");
        let error = build_dfa(pattern).expect_err(pattern);
        assert!(error.contains(pattern), "{error}");
    }
}

#[test]
fn patterns_a_dfa_cannot_match_exactly_are_refused() {
    // Empty matches of these may fall inside a UTF-8 encoded character.
    for pattern in [
        r"(?-u:\B)",
        r"a|(?-u:\B)",
        r"(?-u:\b{start-half})",
        r"(?-u:\b{end-half})",
    ] {
        let error = build_dfa(pattern).expect_err(pattern);
        assert!(
            error.contains("support") || error.contains("compile"),
            "{error}"
        );
    }
    // Unicode word boundaries: refused by regex without Unicode tables, else by the DFA build.
    for pattern in [r"\b", r"a\b", r"\B"] {
        let error = build_dfa(pattern).expect_err(pattern);
        assert!(error.contains(pattern), "{error}");
    }
    // Exponential DFAs.
    for pattern in ["[01]*1[01]{24}", "(?s:.)*a(?s:.){20}"] {
        assert!(Regex::new(pattern).is_ok());
        let error = build_dfa(pattern).expect_err(pattern);
        assert!(error.contains("too large a DFA"), "{error}");
    }
}

/// Haystacks for damaged tables: all bytes, and some longer inputs.
fn probes() -> Vec<Vec<u8>> {
    let mut probes: Vec<Vec<u8>> = (0..=u8::MAX).map(|b| vec![b]).collect();
    for text in ["", "12345-678", "SW1A 1AA", "+7365", "é☃", "abc"] {
        probes.push(text.as_bytes().to_vec());
    }
    probes.push((0..=u8::MAX).collect());
    probes.push((0..=u8::MAX).rev().collect());
    probes.push(vec![b'0'; 300]);
    probes
}

#[test]
fn damaged_tables_are_refused_or_searched_without_panic() {
    let probes = probes();
    let patterns = [
        "^(?:[0-9]{5}-?[0-9]{3})$",
        "^(?:[ABCEGHJKLMNPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z] ?[0-9][ABCEGHJ-NPRSTV-Z][0-9])$",
        r"^\+7(365|869)",
        "",
        "[^x]",
        "^.$",
        "é",
        "^[0-9]{300}$",
    ];
    let mut parsed_mutations = 0;
    for pattern in patterns {
        let table = build_dfa(pattern).unwrap();
        let dfa = Dfa::parse(&table).unwrap();
        for probe in &probes {
            let _ = dfa.is_match(probe);
        }
        for len in 0..table.len() {
            assert!(Dfa::parse(&table[..len]).is_err(), "{pattern}: {len} bytes");
        }
        let mut longer = table.clone();
        longer.push(0);
        assert!(Dfa::parse(&longer).is_err(), "{pattern}: trailing byte");
        let small = table.len() <= 256;
        for at in 0..table.len() {
            let original = table[at];
            let values: Vec<u8> = if small {
                (0..=u8::MAX).collect()
            } else {
                vec![
                    0,
                    1,
                    0x7f,
                    0x80,
                    0xfe,
                    0xff,
                    original ^ 1,
                    original ^ 0x80,
                    original.wrapping_add(1),
                    original.wrapping_sub(1),
                ]
            };
            for value in values {
                if value == original {
                    continue;
                }
                let mut damaged = table.clone();
                damaged[at] = value;
                if let Ok(dfa) = Dfa::parse(&damaged) {
                    parsed_mutations += 1;
                    for probe in &probes {
                        let _ = dfa.is_match(probe);
                    }
                }
            }
        }
    }
    assert!(parsed_mutations > 0);
}

#[test]
fn postal_dfa_sizes() {
    let mut sizes: Vec<(&str, &str, usize)> = postal_code_patterns()
        .map(|(country, pattern)| (country, pattern, build_dfa(pattern).unwrap().len()))
        .collect();
    let total: usize = sizes.iter().map(|(_, _, size)| size).sum();
    let mut distinct: Vec<(&str, usize)> = sizes.iter().map(|(_, p, s)| (*p, *s)).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let distinct_total: usize = distinct.iter().map(|(_, size)| size).sum();
    sizes.sort_by_key(|(_, _, size)| std::cmp::Reverse(*size));
    let (country, pattern, max) = sizes[0];
    println!(
        "postal code DFAs: {} countries, {total} bytes, average {:.1}, max {max} ({country}: \
         {pattern}); {} distinct patterns, {distinct_total} bytes",
        sizes.len(),
        total as f64 / sizes.len() as f64,
        distinct.len(),
    );
    for (country, pattern, size) in sizes.iter().take(8) {
        println!("  {size:5} {country} {pattern}");
    }
    assert!(sizes.len() > 150, "{} countries", sizes.len());
    assert!(total < 64 * 1024, "{total} bytes");
}
