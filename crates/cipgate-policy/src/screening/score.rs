//! Similarity of names given as sorted tokens, in thousandths, with integer arithmetic only.

use std::cmp::Ordering;

/// Tokens (or two tokens written together) of up to this many characters are compared
/// without allocating.
const STACK_CHARS: usize = 32;

/// Token pairs less similar than this do not pair: one edit in four letters is 750, two in
/// seven 715, one in three 667.
pub(super) const FLOOR: u16 = 700;

/// The weight of a token, and of a generic word.
const WEIGHT: u64 = 10;
const GENERIC_WEIGHT: u64 = 1;

/// Words that many unrelated organisations share, as folded: they weigh `GENERIC_WEIGHT`, so
/// "Acme International" and "Zenith International" share almost nothing. Sorted.
pub(super) const GENERIC: &[&str] = &[
    "bank",
    "capital",
    "energy",
    "enterprise",
    "enterprises",
    "export",
    "finance",
    "financial",
    "gas",
    "general",
    "global",
    "group",
    "holding",
    "holdings",
    "import",
    "industrial",
    "industries",
    "industry",
    "international",
    "investment",
    "investments",
    "logistics",
    "management",
    "national",
    "of",
    "oil",
    "petroleum",
    "resources",
    "services",
    "shipping",
    "solutions",
    "systems",
    "technologies",
    "technology",
    "the",
    "trade",
    "trading",
];

/// A token pairs with two tokens of the other name written together only when that name has
/// at most this many tokens: the pairs to try grow with the square of its length.
const MAX_JOINED: usize = 8;

pub(super) fn score(query: &[&str], listed: &[&str]) -> u16 {
    let (query_weight, listed_weight) = (total_weight(query), total_weight(listed));
    if query_weight == 0 || listed_weight == 0 {
        return 0;
    }
    if query == listed {
        return 1000;
    }
    let mut pairs = candidate_pairs(query, listed);
    pairs.sort_by(|x, y| best_first(x, y, query, listed));

    // Greedy one-to-one pairing, best pair first.
    let mut query_used = vec![false; query.len()];
    let mut listed_used = vec![false; listed.len()];
    let (mut in_query, mut in_listed) = (Found::default(), Found::default());
    for pair in &pairs {
        if pair.query.is_used(&query_used) || pair.listed.is_used(&listed_used) {
            continue;
        }
        in_query.take(pair.query, pair.similarity, query, &mut query_used);
        in_listed.take(pair.listed, pair.similarity, listed, &mut listed_used);
    }

    let dice = (in_query.weighted + in_listed.weighted) / (query_weight + listed_weight);
    // All of one name, two ordinary words or more, found in the other: close to 1000 (a
    // patronymic or middle name on one side only), still below the same name.
    let contained = [(in_query, query_weight), (in_listed, listed_weight)]
        .iter()
        .filter(|(found, _)| found.ordinary >= 2)
        .map(|(found, total)| (9 * (found.weighted / total) + dice) / 10)
        .max()
        .unwrap_or(0);
    u16::try_from(dice.max(contained).min(1000)).unwrap_or(0)
}

/// Similarity of two tokens, each given as pieces written together.
pub(super) fn similarity(a: &[&str], b: &[&str]) -> u16 {
    similar(a, b, 0).unwrap_or(0)
}

/// The similarity of two tokens given as pieces written together, if at least `floor`.
pub(super) fn similar(a: &[&str], b: &[&str], floor: u16) -> Option<u16> {
    let (a_len, b_len) = (char_count(a), char_count(b));
    if a_len == 0 || b_len == 0 {
        return (floor == 0).then_some(0);
    }
    if a == b {
        return Some(1000);
    }
    let longest = a_len.max(b_len);
    let limit = most_half_edits(longest, floor);
    // A cheap bound first: it spares most alignments of unrelated tokens.
    if bag_distance(a, b) > limit {
        return None;
    }
    let half_edits = if a_len <= STACK_CHARS && b_len <= STACK_CHARS {
        let (mut a_chars, mut b_chars) = (['\0'; STACK_CHARS], ['\0'; STACK_CHARS]);
        fill(&mut a_chars, a);
        fill(&mut b_chars, b);
        let [r0, r1, r2] = &mut [[0; STACK_CHARS + 1]; 3];
        distance(
            a_chars.get(..a_len).unwrap_or_default(),
            b_chars.get(..b_len).unwrap_or_default(),
            [r0, r1, r2],
            limit,
        )
    } else {
        let a_chars: Vec<char> = a.iter().flat_map(|p| p.chars()).collect();
        let b_chars: Vec<char> = b.iter().flat_map(|p| p.chars()).collect();
        let row = || vec![0; b_len + 1];
        distance(
            &a_chars,
            &b_chars,
            [&mut row(), &mut row(), &mut row()],
            limit,
        )
    }?;
    Some(ratio(half_edits, longest)).filter(|&s| s >= floor)
}

/// 1000 less the share of the longer token that the edits change.
fn ratio(half_edits: u32, longest: usize) -> u16 {
    // usize is at most 64 bits on every target.
    let lost = (1000 * u64::from(half_edits) / (2 * longest as u64).max(1)).min(1000);
    u16::try_from(1000 - lost).unwrap_or(0)
}

/// The most half edits that keep `ratio` at `floor` or above.
fn most_half_edits(longest: usize, floor: u16) -> u32 {
    let twice = 2 * longest as u64;
    let most = (u64::from(1000 - floor.min(1000)) * twice + twice - 1) / 1000;
    u32::try_from(most).unwrap_or(u32::MAX)
}

/// A lower bound of `distance`: the characters one token has more of than the other, the
/// larger way round, each two half edits (`e`, `i` and `y` one: they can go for half an
/// edit), counted in 64 buckets (which can only lower it).
fn bag_distance(a: &[&str], b: &[&str]) -> u32 {
    let bucket = |c: char| u32::from(c) as usize % 64;
    let cheap = [bucket('e'), bucket('i'), bucket('y')];
    let cost = |k: usize| if cheap.contains(&k) { 1 } else { 2 };
    let mut unpaired = [0u32; 64];
    let mut a_more = 0;
    for k in a.iter().flat_map(|p| p.chars()).map(bucket) {
        if let Some(n) = unpaired.get_mut(k) {
            *n += 1;
            a_more += cost(k);
        }
    }
    let mut b_more = 0;
    for k in b.iter().flat_map(|p| p.chars()).map(bucket) {
        match unpaired.get_mut(k) {
            Some(n) if *n > 0 => {
                *n -= 1;
                a_more -= cost(k);
            }
            _ => b_more += cost(k),
        }
    }
    a_more.max(b_more)
}

/// Optimal string alignment distance in half edits, over three rows of at least
/// `b.len() + 1` cells: the row two back, the last one and the one being filled. Swapped
/// neighbours, the commonest slip in typing, cost half an edit (as in Jaro's measure).
/// `None` as soon as the distance must exceed `limit`.
fn distance(a: &[char], b: &[char], rows: [&mut [u32]; 3], limit: u32) -> Option<u32> {
    let [mut before, mut last, mut row] = rows;
    let mut inserted = 0;
    for (j, cell) in last.iter_mut().enumerate().take(b.len() + 1) {
        *cell = inserted;
        inserted += gap(b, j);
    }
    let mut last_least = 0;
    for (i, &x) in a.iter().enumerate() {
        let delete = gap(a, i);
        let mut least = at(last, 0) + delete;
        put(row, 0, least);
        for (j, &y) in b.iter().enumerate() {
            let mut best = (at(last, j) + substitution(x, y))
                .min(at(last, j + 1) + delete)
                .min(at(row, j) + gap(b, j));
            if i > 0 && j > 0 && a.get(i - 1) == Some(&y) && b.get(j - 1) == Some(&x) {
                best = best.min(at(before, j - 1) + 1);
            }
            put(row, j + 1, best);
            least = least.min(best);
        }
        // Costs only add up, and a cell reaches back two rows at most (a swap): no later cell
        // is below the least of these two rows.
        if least > limit && last_least > limit {
            return None;
        }
        last_least = least;
        std::mem::swap(&mut before, &mut last);
        std::mem::swap(&mut last, &mut row);
    }
    Some(at(last, b.len())).filter(|&d| d <= limit)
}

/// Half edits to write `y` for `x`: two, but one between `i` and `y`, which romanisations
/// write for each other (`Sergei`, `Sergey`).
fn substitution(x: char, y: char) -> u32 {
    match (x, y) {
        _ if x == y => 0,
        ('i', 'y') | ('y', 'i') => 1,
        _ => 2,
    }
}

/// Half edits to insert or delete `s[i]`: two, but one for an `e` after `a`, `o` or `u`,
/// which transliterates the vowel before it (`ue` for `ü`, `oe` for `ø`).
fn gap(s: &[char], i: usize) -> u32 {
    let after_vowel = i
        .checked_sub(1)
        .and_then(|k| s.get(k))
        .is_some_and(|p| matches!(p, 'a' | 'o' | 'u'));
    if after_vowel && s.get(i) == Some(&'e') {
        1
    } else {
        2
    }
}

fn at(row: &[u32], j: usize) -> u32 {
    row.get(j).copied().unwrap_or(u32::MAX / 2)
}

fn put(row: &mut [u32], j: usize, value: u32) {
    if let Some(cell) = row.get_mut(j) {
        *cell = value;
    }
}

fn char_count(pieces: &[&str]) -> usize {
    pieces.iter().map(|p| p.chars().count()).sum()
}

fn fill(buffer: &mut [char], pieces: &[&str]) {
    for (cell, c) in buffer.iter_mut().zip(pieces.iter().flat_map(|p| p.chars())) {
        *cell = c;
    }
}

fn weight(token: &str) -> u64 {
    if token.is_empty() {
        0
    } else if GENERIC.binary_search(&token).is_ok() {
        GENERIC_WEIGHT
    } else {
        WEIGHT
    }
}

fn total_weight(tokens: &[&str]) -> u64 {
    tokens.iter().map(|t| weight(t)).sum()
}

/// The tokens of one name that a pair takes: one, or two written together in this order.
#[derive(Clone, Copy)]
struct Take {
    first: usize,
    second: Option<usize>,
}

impl Take {
    fn one(first: usize) -> Self {
        Take {
            first,
            second: None,
        }
    }

    fn indices(self) -> impl Iterator<Item = usize> {
        std::iter::once(self.first).chain(self.second)
    }

    fn pieces<'a>(self, tokens: &[&'a str]) -> [&'a str; 2] {
        let piece = |i: Option<usize>| i.and_then(|i| tokens.get(i)).copied().unwrap_or("");
        [piece(Some(self.first)), piece(self.second)]
    }

    fn is_used(self, used: &[bool]) -> bool {
        self.indices().any(|i| used.get(i).copied().unwrap_or(true))
    }
}

struct Pair {
    similarity: u16,
    query: Take,
    listed: Take,
}

/// What one name has found in the other: the sum of its paired tokens' similarities times
/// their weights, and how many of them are ordinary (not generic) words.
#[derive(Clone, Copy, Default)]
struct Found {
    weighted: u64,
    ordinary: usize,
}

impl Found {
    fn take(&mut self, take: Take, similarity: u16, tokens: &[&str], used: &mut [bool]) {
        for i in take.indices() {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
            let weight = tokens.get(i).map_or(0, |t| weight(t));
            self.weighted += u64::from(similarity) * weight;
            self.ordinary += usize::from(weight == WEIGHT);
        }
    }
}

/// Every pair of a query token and a listed token, and of a token and two tokens of the other
/// name written together, that is at least `FLOOR` similar.
fn candidate_pairs(query: &[&str], listed: &[&str]) -> Vec<Pair> {
    let mut pairs = Vec::new();
    let mut consider = |query_take: Take, listed_take: Take| {
        let (a, b) = (query_take.pieces(query), listed_take.pieces(listed));
        if let Some(similarity) = similar(&a, &b, FLOOR) {
            pairs.push(Pair {
                similarity,
                query: query_take,
                listed: listed_take,
            });
        }
    };
    for i in 0..query.len() {
        for j in 0..listed.len() {
            consider(Take::one(i), Take::one(j));
        }
    }
    for (one_side, other_len, query_joined) in [
        (query.len(), listed.len(), false),
        (listed.len(), query.len(), true),
    ] {
        if other_len > MAX_JOINED {
            continue;
        }
        for i in 0..one_side {
            for j in 0..other_len {
                for k in (0..other_len).filter(|&k| k != j) {
                    let joined = Take {
                        first: j,
                        second: Some(k),
                    };
                    if query_joined {
                        consider(joined, Take::one(i));
                    } else {
                        consider(Take::one(i), joined);
                    }
                }
            }
        }
    }
    pairs
}

/// Most similar first; at equal similarity one-to-one before joined tokens, then by the
/// tokens' text, never by their position: so neither the order of the tokens nor which name
/// is the query changes the pairing.
fn best_first(x: &Pair, y: &Pair, query: &[&str], listed: &[&str]) -> Ordering {
    let size = |p: &Pair| p.query.indices().count() + p.listed.indices().count();
    let text = |p: &Pair| {
        let (a, b) = (p.query.pieces(query), p.listed.pieces(listed));
        if a <= b {
            (a, b)
        } else {
            (b, a)
        }
    };
    y.similarity
        .cmp(&x.similarity)
        .then_with(|| size(x).cmp(&size(y)))
        .then_with(|| text(x).cmp(&text(y)))
}
