//! Pattern DFAs: the compact table that the compiler writes for each policy pattern
//! (`build.rs`, feature `compiler`), and the matcher that runtimes run over it. Runtimes link
//! neither `regex` nor `regex-automata`: [`Dfa::parse`] validates a table once, completely, and
//! [`Dfa::is_match`] then only follows transitions.
//!
//! A table answers one question, whether the pattern matches anywhere in the haystack (an
//! unanchored search, like `regex::Regex::is_match`). So all states in which the answer is
//! already yes, whatever follows, are one state, `MATCH`, and all in which it can only be no
//! are one state, `DEAD`. Neither has a row. The states that do, the *live* states, are
//! numbered `0..n`; `MATCH` is `n` and `DEAD` is `n + 1`. Haystacks that are not UTF-8 are
//! searched without panicking, but their answer is not specified.
//!
//! Format, version 1 (multi-byte integers little-endian, no alignment):
//!
//! | field       | size                 | meaning                                               |
//! |-------------|----------------------|-------------------------------------------------------|
//! | format      | 1                    | `1`: state ids are one byte; `2`: two bytes           |
//! | classes     | 1                    | number of byte classes `c`, minus one (`c` in 1..=256) |
//! | class map   | 2 per range          | `(last byte, class)` pairs: bytes up to and including `last` (after the previous range) are in `class`; `last` strictly increases and the final one is 255 |
//! | live states | id                   | `n`; at most 254 (one-byte ids) or 65534 (two-byte ids) |
//! | start       | id                   | the state before the first byte                       |
//! | transitions | `n * c` ids          | row `s`, column `class(b)`: the state after byte `b`  |
//! | end         | `ceil(n / 8)` bytes  | bit `s % 8` of byte `s / 8`: whether the haystack matches if it ends in live state `s`; unused bits are zero |
//!
//! A search: `s = start`; for each byte, stop with `true` at `MATCH` and `false` at `DEAD`,
//! else `s = transitions[s][class(byte)]`; at the end, `MATCH` is `true`, `DEAD` `false`, a live
//! state its end bit. Nothing follows the end bits.

#[cfg(feature = "compiler")]
pub mod build;

use std::borrow::Cow;
use std::fmt;

/// Format byte: one-byte state ids.
pub(crate) const FORMAT_NARROW: u8 = 1;
/// Format byte: two-byte (little-endian) state ids.
pub(crate) const FORMAT_WIDE: u8 = 2;
/// The most live states with one-byte ids (ids 255 and 254 are `DEAD` and `MATCH`).
pub(crate) const MAX_NARROW_LIVE: usize = u8::MAX as usize - 1;
/// The most live states with two-byte ids.
pub(crate) const MAX_WIDE_LIVE: usize = u16::MAX as usize - 1;

/// Why a table was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DfaError {
    reason: &'static str,
}

impl DfaError {
    /// The reason, in a few words.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for DfaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid pattern DFA: {}", self.reason)
    }
}

impl std::error::Error for DfaError {}

fn refuse<T>(reason: &'static str) -> Result<T, DfaError> {
    Err(DfaError { reason })
}

/// A validated table, borrowing its bytes.
#[derive(Clone, Debug)]
pub struct Dfa<'a> {
    /// The class of each byte.
    classes: [u8; 256],
    /// Number of classes: the length of a row.
    class_count: usize,
    /// Two-byte state ids.
    wide: bool,
    /// Number of live states `n`; `MATCH` is `n`, `DEAD` is `n + 1`.
    live: usize,
    start: usize,
    /// `live * class_count` ids.
    transitions: Cow<'a, [u8]>,
    /// `ceil(live / 8)` bytes.
    end: Cow<'a, [u8]>,
}

impl<'a> Dfa<'a> {
    /// Validates a table. A table that passes can be searched without any out-of-range read.
    pub fn parse(bytes: &'a [u8]) -> Result<Dfa<'a>, DfaError> {
        let mut input = Reader { bytes, at: 0 };
        let wide = match input.byte()? {
            FORMAT_NARROW => false,
            FORMAT_WIDE => true,
            _ => return refuse("unknown format"),
        };
        let class_count = usize::from(input.byte()?) + 1;
        let mut classes = [0u8; 256];
        let mut first = 0usize;
        while first <= usize::from(u8::MAX) {
            let last = usize::from(input.byte()?);
            let class = input.byte()?;
            if last < first {
                return refuse("byte class ranges out of order");
            }
            if usize::from(class) >= class_count {
                return refuse("byte class out of range");
            }
            for slot in classes.iter_mut().take(last + 1).skip(first) {
                *slot = class;
            }
            first = last + 1;
        }
        let (id_size, max_live) = if wide {
            (2, MAX_WIDE_LIVE)
        } else {
            (1, MAX_NARROW_LIVE)
        };
        let live = input.id(wide)?;
        if live > max_live {
            return refuse("too many states");
        }
        let ids = live + 2;
        let start = input.id(wide)?;
        if start >= ids {
            return refuse("start state out of range");
        }
        let transitions = match live
            .checked_mul(class_count)
            .and_then(|n| n.checked_mul(id_size))
        {
            Some(len) => input.take(len)?,
            None => return refuse("too many transitions"),
        };
        let all_in_range = if wide {
            transitions
                .chunks_exact(2)
                .all(|pair| le_u16(pair).is_some_and(|id| usize::from(id) < ids))
        } else {
            transitions.iter().all(|&id| usize::from(id) < ids)
        };
        if !all_in_range {
            return refuse("transition to a state out of range");
        }
        let end = input.take(live.div_ceil(8))?;
        let used_bits = live % 8;
        if used_bits != 0 && end.last().is_some_and(|last| last >> used_bits != 0) {
            return refuse("end bit set beyond the last state");
        }
        if input.at != bytes.len() {
            return refuse("trailing bytes");
        }
        Ok(Dfa {
            classes,
            class_count,
            wide,
            live,
            start,
            transitions: Cow::Borrowed(transitions),
            end: Cow::Borrowed(end),
        })
    }

    /// The same table, owning its bytes: a loaded policy keeps its DFAs checked once.
    pub fn into_owned(self) -> Dfa<'static> {
        Dfa {
            classes: self.classes,
            class_count: self.class_count,
            wide: self.wide,
            live: self.live,
            start: self.start,
            transitions: Cow::Owned(self.transitions.into_owned()),
            end: Cow::Owned(self.end.into_owned()),
        }
    }

    /// Whether the pattern matches anywhere in `haystack`. For valid UTF-8 this is exactly
    /// `regex::Regex::is_match` of the pattern the table was built from.
    pub fn is_match(&self, haystack: &[u8]) -> bool {
        let matched = self.live;
        let mut state = self.start;
        for &byte in haystack {
            if state >= matched {
                return state == matched;
            }
            state = self.next(state, byte);
        }
        if state >= matched {
            return state == matched;
        }
        self.end
            .get(state / 8)
            .is_some_and(|bits| (bits >> (state % 8)) & 1 == 1)
    }

    /// The state after `byte` in live state `state`. `DEAD` for what `parse` rules out.
    fn next(&self, state: usize, byte: u8) -> usize {
        let dead = self.live + 1;
        let Some(&class) = self.classes.get(usize::from(byte)) else {
            return dead;
        };
        let index = state * self.class_count + usize::from(class);
        if self.wide {
            read_id(&self.transitions, index * 2, true)
        } else {
            read_id(&self.transitions, index, false)
        }
        .unwrap_or(dead)
    }
}

fn le_u16(pair: &[u8]) -> Option<u16> {
    match pair {
        &[low, high] => Some(u16::from_le_bytes([low, high])),
        _ => None,
    }
}

/// The state id at byte offset `at`.
fn read_id(bytes: &[u8], at: usize, wide: bool) -> Option<usize> {
    if wide {
        le_u16(bytes.get(at..at.checked_add(2)?)?).map(usize::from)
    } else {
        bytes.get(at).copied().map(usize::from)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], DfaError> {
        let end = self.at.checked_add(len);
        match end.and_then(|end| Some((end, self.bytes.get(self.at..end)?))) {
            Some((end, taken)) => {
                self.at = end;
                Ok(taken)
            }
            None => refuse("truncated"),
        }
    }

    fn byte(&mut self) -> Result<u8, DfaError> {
        match self.take(1)? {
            &[byte] => Ok(byte),
            _ => refuse("truncated"),
        }
    }

    fn id(&mut self, wide: bool) -> Result<usize, DfaError> {
        let taken = self.take(if wide { 2 } else { 1 })?;
        match read_id(taken, 0, wide) {
            Some(id) => Ok(id),
            None => refuse("truncated"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `a` anywhere: one live state; `a` leads to `MATCH` (1), anything else back to 0.
    const CONTAINS_A: &[u8] = &[1, 1, 0x60, 0, 0x61, 1, 0xff, 0, 1, 0, 0, 1, 0];
    /// The same with two-byte ids.
    const CONTAINS_A_WIDE: &[u8] = &[2, 1, 0x60, 0, 0x61, 1, 0xff, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0];
    /// `^a$`: state 0 is the start, state 1 has read `a` and matches at the end; `DEAD` is 3.
    const EXACTLY_A: &[u8] = &[1, 1, 0x60, 0, 0x61, 1, 0xff, 0, 2, 0, 3, 1, 3, 3, 0b10];

    fn reason(bytes: &[u8]) -> &'static str {
        Dfa::parse(bytes).map(|_| ()).unwrap_err().reason()
    }

    #[test]
    fn searches() {
        for table in [CONTAINS_A, CONTAINS_A_WIDE] {
            let dfa = Dfa::parse(table).unwrap();
            assert!(dfa.is_match(b"a") && dfa.is_match(b"xyza") && dfa.is_match(b"bab"));
            assert!(!dfa.is_match(b"") && !dfa.is_match(b"xyz") && !dfa.is_match(b"A"));
        }
        let dfa = Dfa::parse(EXACTLY_A).unwrap();
        assert!(dfa.is_match(b"a"));
        assert!(!dfa.is_match(b"") && !dfa.is_match(b"aa") && !dfa.is_match(b"ba"));
        // No live states: the start is `MATCH` (0) or `DEAD` (1).
        let everything = Dfa::parse(&[1, 0, 0xff, 0, 0, 0]).unwrap();
        assert!(everything.is_match(b"") && everything.is_match(b"xyz"));
        let nothing = Dfa::parse(&[2, 0, 0xff, 0, 0, 0, 1, 0]).unwrap();
        assert!(!nothing.is_match(b"") && !nothing.is_match(b"xyz"));
    }

    #[test]
    fn refuses_damaged_tables() {
        assert_eq!(reason(&[]), "truncated");
        assert_eq!(reason(&[3, 0, 0xff, 0, 0, 0]), "unknown format");
        assert_eq!(reason(&[1, 0, 0xfe, 0]), "truncated");
        assert_eq!(
            reason(&[1, 0, 0xfe, 0, 0, 0]),
            "byte class ranges out of order"
        );
        assert_eq!(
            reason(&[1, 0, 0x10, 0, 0x10, 0, 0xff, 0, 0, 0]),
            "byte class ranges out of order"
        );
        assert_eq!(reason(&[1, 0, 0xff, 1, 0, 0]), "byte class out of range");
        assert_eq!(reason(&[1, 0, 0xff, 0, 255, 0]), "too many states");
        assert_eq!(
            reason(&[2, 0, 0xff, 0, 0xff, 0xff, 0, 0]),
            "too many states"
        );
        assert_eq!(reason(&[1, 0, 0xff, 0, 0, 2]), "start state out of range");
        let mut bad = EXACTLY_A.to_vec();
        bad[11] = 4;
        assert_eq!(reason(&bad), "transition to a state out of range");
        let mut bad = CONTAINS_A_WIDE.to_vec();
        bad[14] = 3;
        assert_eq!(reason(&bad), "transition to a state out of range");
        let mut bad = EXACTLY_A.to_vec();
        bad[14] = 0b110;
        assert_eq!(reason(&bad), "end bit set beyond the last state");
        let mut bad = EXACTLY_A.to_vec();
        bad.push(0);
        assert_eq!(reason(&bad), "trailing bytes");
        for table in [CONTAINS_A, CONTAINS_A_WIDE, EXACTLY_A] {
            for len in 0..table.len() {
                assert_eq!(reason(&table[..len]), "truncated", "{table:?} cut to {len}");
            }
        }
        assert_eq!(
            Dfa::parse(&[0]).map(|_| ()).unwrap_err().to_string(),
            "invalid pattern DFA: unknown format"
        );
    }
}
