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
    score_prepared(&Prepared::new(query), &Prepared::new(listed))
}

/// A name's sorted tokens made ready for scoring many times: each token's characters, counts
/// and shape, read once rather than once per pair of tokens.
#[derive(Default)]
pub(crate) struct Prepared<'t> {
    pub(super) tokens: Vec<&'t str>,
    weights: Vec<u64>,
    shapes: Vec<Shape>,
    bags: Vec<Bag>,
    /// Each token's first character in `chars`.
    starts: Vec<usize>,
    chars: Vec<char>,
}

impl<'t> Prepared<'t> {
    pub(crate) fn new(tokens: &[&'t str]) -> Self {
        let mut prepared = Prepared::default();
        prepared.fill(tokens.iter().copied());
        prepared
    }

    /// Makes these the tokens of another name, keeping the buffers.
    pub(crate) fn fill(&mut self, tokens: impl IntoIterator<Item = &'t str>) {
        self.tokens.clear();
        self.weights.clear();
        self.shapes.clear();
        self.bags.clear();
        self.starts.clear();
        self.chars.clear();
        for token in tokens {
            let start = self.chars.len();
            self.chars.extend(token.chars());
            let letters = self.chars.get(start..).unwrap_or_default();
            self.shapes.push(Shape::of(letters));
            self.bags.push(Bag::of(letters));
            self.starts.push(start);
            self.tokens.push(token);
            self.weights.push(weight(token));
        }
    }

    fn chars(&self, i: usize) -> &[char] {
        let (Some(&start), Some(shape)) = (self.starts.get(i), self.shapes.get(i)) else {
            return &[];
        };
        self.chars.get(start..start + shape.len).unwrap_or_default()
    }

    fn shape(&self, i: usize) -> Shape {
        self.shapes.get(i).copied().unwrap_or_default()
    }

    fn take_shape(&self, take: Take) -> Shape {
        match take.second {
            Some(second) => self.shape(take.first).with(self.shape(second)),
            None => self.shape(take.first),
        }
    }

    /// The letters of a take, counted.
    fn bag(&self, take: Take) -> Bag {
        let bag = |i: usize| self.bags.get(i).copied().unwrap_or_default();
        match take.second {
            Some(second) => bag(take.first).with(&bag(second)),
            None => bag(take.first),
        }
    }

    /// The characters a take takes, written into `buffer` (which holds them all).
    fn write<'b>(&self, take: Take, buffer: &'b mut [char]) -> &'b [char] {
        let mut n = 0;
        for (cell, c) in buffer
            .iter_mut()
            .zip(take.indices().flat_map(|i| self.chars(i)))
        {
            *cell = *c;
            n += 1;
        }
        buffer.get(..n).unwrap_or_default()
    }
}

/// What the cheapest bounds read of a token: its length, its letters that go for half an
/// edit when inserted (an `e` after `a`, `o` or `u`), and which letters it has, as bits (bit
/// `c % 64` for letter `c`).
#[derive(Clone, Copy, Default)]
pub(super) struct Shape {
    len: usize,
    cheap: usize,
    letters: u64,
}

impl Shape {
    fn of(letters: &[char]) -> Self {
        Shape {
            len: letters.len(),
            cheap: (0..letters.len()).filter(|&i| gap(letters, i) == 1).count(),
            letters: letters
                .iter()
                .fold(0, |bits, &c| bits | 1 << (u32::from(c) % 64)),
        }
    }

    /// Two tokens written together (the second may start with an `e` after the first's
    /// vowel: one more cheap letter at most).
    fn with(self, other: Shape) -> Self {
        Shape {
            len: self.len + other.len,
            cheap: self.cheap + other.cheap + 1,
            letters: self.letters | other.letters,
        }
    }
}

/// Whether two takes can be `floor` similar as far as their shapes tell: the half edits that
/// their lengths, and the letters one has and the other has not, need at the least are
/// within the most that `floor` allows. A score asks this of every pair of tokens, so it is
/// kept to a few operations; most unrelated tokens stop here.
#[inline]
pub(super) fn may_pair(a: Shape, b: Shape, floor: u16) -> bool {
    if a.len == 0 || b.len == 0 {
        return false;
    }
    let limit = most_half_edits(a.len.max(b.len), floor);
    // Each character the longer token has more than the other is inserted: an edit, or half
    // of one for the few letters that go for half.
    let more = a.len.abs_diff(b.len);
    let cheap = if a.len > b.len { a.cheap } else { b.cheap };
    // Each letter only one of them has must be written at least once: an edit, or half of
    // one for `e`, `i` and `y`.
    let only_in = |x: u64, y: u64| {
        const CHEAP: u64 = (1 << (b'e' % 64)) | (1 << (b'i' % 64)) | (1 << (b'y' % 64));
        let only = x & !y;
        2 * only.count_ones() - (only & CHEAP).count_ones()
    };
    2 * more - more.min(cheap) <= limit as usize
        && only_in(a.letters, b.letters).max(only_in(b.letters, a.letters)) <= limit
}

/// [`score`] of names prepared once: the evaluator prepares the screened name once per list
/// and each candidate's name in one reused buffer.
pub(crate) fn score_prepared(query: &Prepared, listed: &Prepared) -> u16 {
    score_with(query, listed, |a, b| may_pair(a, b, FLOOR), take_similarity)
}

/// The score, with the bound that skips pairs and the similarity of two takes given: the
/// tests check that the bounds never change a score.
pub(super) fn score_with(
    query: &Prepared,
    listed: &Prepared,
    may_pair: impl Fn(Shape, Shape) -> bool,
    similarity: impl Fn(&Prepared, Take, &Prepared, Take) -> Option<u16>,
) -> u16 {
    let (query_weight, listed_weight) = (total(&query.weights), total(&listed.weights));
    if query_weight == 0 || listed_weight == 0 {
        return 0;
    }
    if query.tokens == listed.tokens {
        return 1000;
    }
    // Best first; equal pairs in the order they were found.
    let mut pairs: Vec<(usize, Pair)> = candidate_pairs(query, listed, may_pair, similarity)
        .into_iter()
        .enumerate()
        .collect();
    crate::sort::sort_unstable_by(&mut pairs, |(i, x), (j, y)| {
        best_first(x, y, &query.tokens, &listed.tokens)
            .then(i.cmp(j))
            .is_lt()
    });

    // Greedy one-to-one pairing, best pair first.
    let mut query_used = vec![false; query.tokens.len()];
    let mut listed_used = vec![false; listed.tokens.len()];
    let (mut in_query, mut in_listed) = (Found::default(), Found::default());
    for (_, pair) in &pairs {
        if pair.query.is_used(&query_used) || pair.listed.is_used(&listed_used) {
            continue;
        }
        in_query.take(pair.query, pair.similarity, &query.weights, &mut query_used);
        in_listed.take(
            pair.listed,
            pair.similarity,
            &listed.weights,
            &mut listed_used,
        );
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
    let (a, b) = (a.concat(), b.concat());
    let (a, b) = (Prepared::new(&[&a]), Prepared::new(&[&b]));
    let one = Take::one(0);
    if a.shape(0).len == 0 || b.shape(0).len == 0 {
        return (floor == 0).then_some(0);
    }
    if !may_pair(a.shape(0), b.shape(0), floor) {
        return None;
    }
    similar_takes(&a, one, &b, one, floor)
}

/// The similarity of a query take and a listed take that [`may_pair`], if they pair.
pub(super) fn take_similarity(
    query: &Prepared,
    query_take: Take,
    listed: &Prepared,
    listed_take: Take,
) -> Option<u16> {
    similar_takes(query, query_take, listed, listed_take, FLOOR)
}

/// The similarity of two takes (each one token or two written together), if at least
/// `floor`: a bound from the counts of their letters first, then the alignment.
fn similar_takes(
    a: &Prepared,
    a_take: Take,
    b: &Prepared,
    b_take: Take,
    floor: u16,
) -> Option<u16> {
    let (a_len, b_len) = (a.take_shape(a_take).len, b.take_shape(b_take).len);
    let longest = a_len.max(b_len);
    let limit = most_half_edits(longest, floor);
    if a.bag(a_take).distance(&b.bag(b_take)) > limit {
        return None;
    }
    let half_edits = if a_len <= STACK_CHARS && b_len <= STACK_CHARS {
        let (mut a_chars, mut b_chars) = (['\0'; STACK_CHARS], ['\0'; STACK_CHARS]);
        let (a_chars, b_chars) = (a.write(a_take, &mut a_chars), b.write(b_take, &mut b_chars));
        let [r0, r1, r2] = &mut [[0; STACK_CHARS + 1]; 3];
        distance(a_chars, b_chars, [r0, r1, r2], limit)
    } else {
        let a_chars: Vec<char> = a_take.indices().flat_map(|i| a.chars(i)).copied().collect();
        let b_chars: Vec<char> = b_take.indices().flat_map(|i| b.chars(i)).copied().collect();
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
    let most = (u64::from(1000 - floor.min(1000)) * twice + twice.saturating_sub(1)) / 1000;
    u32::try_from(most).unwrap_or(u32::MAX)
}

/// A token's letters counted in 32 buckets (a character's code modulo 32: each of `a` to `z`
/// has its own), for a bound on the edits between two tokens that costs no alignment.
#[derive(Clone, Copy, Default)]
struct Bag([u8; 32]);

impl Bag {
    fn of(letters: &[char]) -> Self {
        let mut bag = Bag::default();
        for &c in letters {
            if let Some(n) = bag.0.get_mut(bucket(c)) {
                *n = n.saturating_add(1);
            }
        }
        bag
    }

    /// The letters of two tokens written together.
    fn with(mut self, other: &Bag) -> Self {
        for (n, m) in self.0.iter_mut().zip(other.0) {
            *n = n.saturating_add(m);
        }
        self
    }

    /// A lower bound of `distance`: the letters one token has more of than the other, the
    /// larger way round, each two half edits (`e`, `i` and `y` one: they can go for half an
    /// edit). Each edit changes either count by no more than its cost; sharing a bucket, or
    /// a count held at 255, can only lower it.
    fn distance(&self, other: &Bag) -> u32 {
        let more = |x: &Bag, y: &Bag| {
            let all: u32 =
                x.0.iter()
                    .zip(&y.0)
                    .map(|(n, m)| u32::from(n.saturating_sub(*m)))
                    .sum();
            let cheap: u32 = CHEAP_BUCKETS
                .iter()
                .filter_map(|&k| Some(u32::from(x.0.get(k)?.saturating_sub(*y.0.get(k)?))))
                .sum();
            2 * all - cheap
        };
        more(self, other).max(more(other, self))
    }
}

fn bucket(c: char) -> usize {
    u32::from(c) as usize % 32
}

/// The buckets of `e`, `i` and `y`.
const CHEAP_BUCKETS: [usize; 3] = [b'e' as usize % 32, b'i' as usize % 32, b'y' as usize % 32];

/// Optimal string alignment distance in half edits, over three rows of at least
/// `b.len() + 1` cells: the row two back, the last one and the one being filled. Swapped
/// neighbours, the commonest slip in typing, cost half an edit (as in Jaro's measure).
/// `None` as soon as the distance must exceed `limit`.
fn distance(a: &[char], b: &[char], rows: [&mut [u32]; 3], limit: u32) -> Option<u32> {
    // The commonest case by far: the index found the listed token as it was written.
    if a == b {
        return Some(0);
    }
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

fn weight(token: &str) -> u64 {
    if token.is_empty() {
        0
    } else if super::is_generic(token) {
        GENERIC_WEIGHT
    } else {
        WEIGHT
    }
}

fn total(weights: &[u64]) -> u64 {
    weights.iter().sum()
}

/// The tokens of one name that a pair takes: one, or two written together in this order.
#[derive(Clone, Copy)]
pub(super) struct Take {
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

    pub(super) fn pieces<'a>(self, tokens: &[&'a str]) -> [&'a str; 2] {
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
    fn take(&mut self, take: Take, similarity: u16, weights: &[u64], used: &mut [bool]) {
        for i in take.indices() {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
            let weight = weights.get(i).copied().unwrap_or(0);
            self.weighted += u64::from(similarity) * weight;
            self.ordinary += usize::from(weight == WEIGHT);
        }
    }
}

/// Every pair of a query token and a listed token, and of a token and two tokens of the other
/// name written together, that is at least `FLOOR` similar.
fn candidate_pairs(
    query: &Prepared,
    listed: &Prepared,
    may_pair: impl Fn(Shape, Shape) -> bool,
    similarity: impl Fn(&Prepared, Take, &Prepared, Take) -> Option<u16>,
) -> Vec<Pair> {
    let mut pairs = Vec::new();
    let mut consider = |query_take: Take, listed_take: Take| {
        if let Some(similarity) = similarity(query, query_take, listed, listed_take) {
            pairs.push(Pair {
                similarity,
                query: query_take,
                listed: listed_take,
            });
        }
    };
    let (query_len, listed_len) = (query.tokens.len(), listed.tokens.len());
    for i in 0..query_len {
        for j in 0..listed_len {
            if may_pair(query.shape(i), listed.shape(j)) {
                consider(Take::one(i), Take::one(j));
            }
        }
    }
    for (one_side, other, query_joined) in [(query, listed, false), (listed, query, true)] {
        let other_len = other.tokens.len();
        if other_len > MAX_JOINED {
            continue;
        }
        for j in 0..other_len {
            for k in (0..other_len).filter(|&k| k != j) {
                let joined = Take {
                    first: j,
                    second: Some(k),
                };
                let joined_shape = other.take_shape(joined);
                for i in 0..one_side.tokens.len() {
                    let one = one_side.shape(i);
                    if query_joined && may_pair(joined_shape, one) {
                        consider(joined, Take::one(i));
                    } else if !query_joined && may_pair(one, joined_shape) {
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
