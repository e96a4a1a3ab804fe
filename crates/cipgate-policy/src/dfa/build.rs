//! Compiles a policy pattern to the DFA table of [`super`]: the writer of the format the
//! matcher reads, for the compiler and the image encoder.
//!
//! The reference is `regex::Regex::new(pattern)?.is_match(haystack)` as this workspace builds
//! `regex` (Unicode syntax, UTF-8 mode, no Unicode tables): a pattern it refuses is refused,
//! and for every valid UTF-8 haystack the table gives its answer. `regex-automata` builds a
//! minimal dense DFA with the same syntax and NFA settings; the states an unanchored search from
//! position 0 reaches are then reduced for the one question the table answers (is there a
//! match?) and written out.
//!
//! Also refused, though `regex` takes them: Unicode word boundaries (when a build has their
//! tables), `(?-u:\B)` and the ASCII half word boundaries (empty matches inside a UTF-8
//! encoded character, which `regex` skips), and patterns whose DFA exceeds the size limit.

use super::{FORMAT_NARROW, FORMAT_WIDE, MAX_NARROW_LIVE, MAX_WIDE_LIVE};
use regex_automata::{
    dfa::{dense, Automaton, StartKind},
    nfa::thompson,
    util::{look::Look, primitives::StateID, start, syntax},
    Anchored, MatchKind,
};
use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// The NFA size limit of `regex::Regex::new`.
const NFA_SIZE_LIMIT: usize = 10 * (1 << 20);
/// Limit on the memory of determinisation and on the dense DFA.
const DFA_SIZE_LIMIT: usize = 1 << 20;

/// The DFA table of `pattern`, or why there is none: the pattern does not compile, or it uses
/// something a DFA cannot match exactly, or its DFA is too large.
pub fn build_dfa(pattern: &str) -> Result<Vec<u8>, String> {
    // The reference decides what compiles (syntax, nesting, size, missing Unicode tables).
    if let Err(e) = regex::Regex::new(pattern) {
        let detail = e.to_string();
        let first = detail.lines().last().unwrap_or("invalid pattern").trim();
        let first = first.strip_prefix("error: ").unwrap_or(first);
        return Err(format!("the pattern `{pattern}` does not compile: {first}"));
    }
    let nfa = thompson::Compiler::new()
        .syntax(syntax::Config::new().utf8(true))
        .configure(
            thompson::Config::new()
                .utf8(true)
                .nfa_size_limit(Some(NFA_SIZE_LIMIT))
                .which_captures(thompson::WhichCaptures::None),
        )
        .build(pattern)
        .map_err(|e| format!("the pattern `{pattern}` does not compile: {}", chain(&e)))?;
    // Each of these can hold between the bytes of one UTF-8 encoded character, where `regex`
    // discards empty matches (and then searches on); a DFA cannot tell.
    for (look, name) in [
        (Look::WordAsciiNegate, r"(?-u:\B)"),
        (Look::WordStartHalfAscii, r"(?-u:\b{start-half})"),
        (Look::WordEndHalfAscii, r"(?-u:\b{end-half})"),
    ] {
        if nfa.look_set_any().contains(look) {
            return Err(format!(
                "the pattern `{pattern}` uses {name}, which DFA patterns do not support"
            ));
        }
    }
    let dfa = dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(MatchKind::LeftmostFirst)
                .start_kind(StartKind::Unanchored)
                .accelerate(false)
                .minimize(true)
                .determinize_size_limit(Some(DFA_SIZE_LIMIT))
                .dfa_size_limit(Some(DFA_SIZE_LIMIT)),
        )
        .build_from_nfa(&nfa)
        .map_err(|e| {
            if e.is_size_limit_exceeded() {
                format!(
                    "the pattern `{pattern}` needs too large a DFA (limit {} KiB)",
                    DFA_SIZE_LIMIT / 1024
                )
            } else {
                format!("the pattern `{pattern}` cannot be a DFA: {}", chain(&e))
            }
        })?;
    let table = Table::explore(&dfa).map_err(|e| format!("the pattern `{pattern}`: {e}"))?;
    table
        .reduce()
        .encode()
        .map_err(|e| format!("the pattern `{pattern}`: {e}"))
}

/// An error and its sources, on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// The states that a search can reach, numbered in breadth-first order (start is 0).
///
/// A search ends in a match state, so one is recorded as matching everything: every byte leads
/// back to it and the haystack matches if it ends there. What follows it is not explored.
struct Table {
    /// The byte class of each byte in `regex-automata`'s DFA: a row has one column per class.
    input_class: Vec<usize>,
    /// Successor of each state for each input class.
    rows: Vec<Vec<usize>>,
    /// Whether the haystack matches if it ends in this state.
    end: Vec<bool>,
}

impl Table {
    fn explore(dfa: &dense::DFA<Vec<u32>>) -> Result<Table, String> {
        let input_class: Vec<usize> = (0..=u8::MAX)
            .map(|byte| usize::from(dfa.byte_classes().get(byte)))
            .collect();
        let width = block_count(&input_class);
        // A search of a whole haystack: unanchored, nothing before position 0.
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::No))
            .map_err(|e| format!("no start state: {}", chain(&e)))?;
        let mut numbers: HashMap<StateID, usize> = HashMap::from([(start, 0)]);
        let mut order = vec![start];
        let mut table = Table {
            input_class,
            rows: Vec::new(),
            end: Vec::new(),
        };
        while let Some(&id) = order.get(table.rows.len()) {
            let state = table.rows.len();
            let eoi = dfa.next_eoi_state(id);
            if dfa.is_quit_state(id) || dfa.is_quit_state(eoi) {
                return Err("its DFA has quit states".to_string());
            }
            if dfa.is_match_state(id) {
                table.rows.push(vec![state; width]);
                table.end.push(true);
                continue;
            }
            let mut row = vec![None; width];
            for byte in 0..=u8::MAX {
                let next = dfa.next_state(id, byte);
                let number = match numbers.entry(next) {
                    Entry::Occupied(known) => *known.get(),
                    Entry::Vacant(new) => {
                        if order.len() > MAX_WIDE_LIVE + 1 {
                            return Err("its DFA has too many states".to_string());
                        }
                        order.push(next);
                        *new.insert(order.len() - 1)
                    }
                };
                let class = table.input_class.get(usize::from(byte)).copied();
                match class.and_then(|class| row.get_mut(class)) {
                    Some(slot @ None) => *slot = Some(number),
                    Some(Some(known)) if *known == number => {}
                    _ => return Err("its DFA's byte classes are inconsistent".to_string()),
                }
            }
            let row: Option<Vec<usize>> = row.into_iter().collect();
            table
                .rows
                .push(row.ok_or("its DFA has a byte class without bytes")?);
            table.end.push(dfa.is_match_state(eoi));
        }
        Ok(table)
    }

    /// The block of each state in the coarsest partition that keeps the answer of every search
    /// (Moore's partition refinement). Among the blocks: all states that match whatever follows
    /// (match states among them), and all states that can no longer match.
    fn blocks(&self) -> Vec<usize> {
        let columns = representatives(&columns(&self.rows));
        let mut block = renumber(self.end.iter());
        let mut count = block_count(&block);
        loop {
            let signatures = self.rows.iter().enumerate().map(|(state, row)| {
                let successors: Vec<Option<usize>> = columns
                    .iter()
                    .map(|&column| row.get(column).and_then(|&next| block.get(next).copied()))
                    .collect();
                (block.get(state).copied(), successors)
            });
            block = renumber(signatures);
            let refined = block_count(&block);
            if refined == count {
                return block;
            }
            count = refined;
        }
    }

    /// The reduced DFA, live states numbered breadth-first from the start.
    fn reduce(&self) -> Reduced {
        let block = self.blocks();
        let block_of = |state: usize| block.get(state).copied().unwrap_or(usize::MAX);
        let row_of = |state: usize| self.rows.get(state).map_or(&[][..], Vec::as_slice);
        let mut first_state: HashMap<usize, usize> = HashMap::new();
        for (state, &b) in block.iter().enumerate() {
            first_state.entry(b).or_insert(state);
        }
        // A block that no byte leaves matches everything or nothing.
        let mut kinds: HashMap<usize, Target> = HashMap::new();
        for (&b, &state) in &first_state {
            if row_of(state).iter().all(|&next| block_of(next) == b) {
                let end = self.end.get(state) == Some(&true);
                kinds.insert(b, if end { Target::Match } else { Target::Dead });
            }
        }
        let mut live: Vec<usize> = Vec::new();
        let mut target = |b: usize, live: &mut Vec<usize>| -> Target {
            if let Some(&kind) = kinds.get(&b) {
                return kind;
            }
            let number = live.len();
            kinds.insert(b, Target::Live(number));
            live.push(b);
            Target::Live(number)
        };
        let start = target(block_of(0), &mut live);
        let mut rows: Vec<Vec<Target>> = Vec::new();
        let mut end = Vec::new();
        while let Some(&b) = live.get(rows.len()) {
            let state = first_state.get(&b).copied().unwrap_or(0);
            end.push(self.end.get(state) == Some(&true));
            let row = row_of(state)
                .iter()
                .map(|&next| target(block_of(next), &mut live))
                .collect();
            rows.push(row);
        }
        Reduced {
            input_class: self.input_class.clone(),
            start,
            rows,
            end,
        }
    }
}

/// A state of the reduced DFA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Live(usize),
    Match,
    Dead,
}

/// The reduced DFA: start, rows (by input class) and end bits of the live states.
struct Reduced {
    input_class: Vec<usize>,
    start: Target,
    rows: Vec<Vec<Target>>,
    end: Vec<bool>,
}

impl Reduced {
    fn encode(&self) -> Result<Vec<u8>, String> {
        let live = self.rows.len();
        if live > MAX_WIDE_LIVE {
            return Err(format!("its DFA has too many states ({live})"));
        }
        let wide = live > MAX_NARROW_LIVE;
        let id = |target: Target| match target {
            Target::Live(number) => number,
            Target::Match => live,
            Target::Dead => live + 1,
        };
        let rows: Vec<Vec<usize>> = self
            .rows
            .iter()
            .map(|row| row.iter().map(|&t| id(t)).collect())
            .collect();
        // Our byte classes: bytes whose columns agree in every row.
        let column_class = columns(&rows);
        let classes = renumber(self.input_class.iter().map(|&c| column_class.get(c)));
        let class_count = block_count(&classes).max(1);
        let mut out = vec![
            if wide { FORMAT_WIDE } else { FORMAT_NARROW },
            u8::try_from(class_count - 1).map_err(|_| "more than 256 byte classes")?,
        ];
        let mut bytes = classes.iter().enumerate().peekable();
        while let Some((byte, &class)) = bytes.next() {
            if bytes.peek().is_none_or(|(_, &next)| next != class) {
                out.push(u8::try_from(byte).map_err(|_| "byte out of range")?);
                out.push(u8::try_from(class).map_err(|_| "class out of range")?);
            }
        }
        let write_id = |out: &mut Vec<u8>, id: usize| -> Result<(), String> {
            if wide {
                let id = u16::try_from(id).map_err(|_| "state id out of range")?;
                out.extend_from_slice(&id.to_le_bytes());
            } else {
                out.push(u8::try_from(id).map_err(|_| "state id out of range")?);
            }
            Ok(())
        };
        write_id(&mut out, live)?;
        write_id(&mut out, id(self.start))?;
        let columns: Vec<Option<usize>> = representatives(&classes)
            .into_iter()
            .map(|byte| self.input_class.get(byte).copied())
            .collect();
        for row in &rows {
            for column in &columns {
                let next = column.and_then(|column| row.get(column).copied());
                write_id(&mut out, next.ok_or("byte class without a column")?)?;
            }
        }
        for chunk in self.end.chunks(8) {
            let bits = chunk
                .iter()
                .enumerate()
                .fold(0u8, |bits, (i, &end)| bits | (u8::from(end) << i));
            out.push(bits);
        }
        Ok(out)
    }
}

/// The classes of the columns of a table: columns that agree in every row are in one class,
/// numbered in order of their first column.
fn columns(rows: &[Vec<usize>]) -> Vec<usize> {
    let width = rows.first().map_or(0, Vec::len);
    let mut classes = vec![0usize; width];
    for row in rows {
        classes = renumber(
            classes
                .iter()
                .enumerate()
                .map(|(column, &class)| (class, row.get(column).copied())),
        );
    }
    classes
}

/// The first member of each class, in class order (classes numbered by first member).
fn representatives(classes: &[usize]) -> Vec<usize> {
    let mut representatives = Vec::new();
    for (member, &class) in classes.iter().enumerate() {
        if class == representatives.len() {
            representatives.push(member);
        }
    }
    representatives
}

fn block_count(block: &[usize]) -> usize {
    block.iter().max().map_or(0, |max| max + 1)
}

/// Numbers distinct keys in order of first appearance.
fn renumber<K: std::hash::Hash + Eq>(keys: impl Iterator<Item = K>) -> Vec<usize> {
    let mut numbers = HashMap::new();
    keys.map(|key| {
        let next = numbers.len();
        *numbers.entry(key).or_insert(next)
    })
    .collect()
}
