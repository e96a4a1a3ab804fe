//! The index of a names list, built by the compiler into the policy image: which listed names
//! a screened name could score well against, so that screening scores a handful of names
//! instead of every name on the list.
//!
//! A listed name is a candidate when it shares a token with the screened name, exactly or
//! within one deleted letter on either side (one substitution, insertion, deletion or swap of
//! neighbours, as a symmetric-deletion spelling index finds them). Generic words
//! (International, Group, Bank ...) lead only to names made of nothing else: they weigh too
//! little to carry a hit on their own.

use crate::ir::NameIndex;

/// Tokens this long or longer are indexed with their one-letter deletions too; shorter ones
/// only as they are (their deletions would be shared by most names).
const MIN_VARIANT_CHARS: usize = 4;

/// FNV-1a's starting state.
const FNV_OFFSET: u32 = 0x811c_9dc5;

/// FNV-1a of `bytes` continued from `hash`: the hash of a text is the hash of its start
/// continued with the rest, which makes deletions and joined tokens cheap to hash.
fn fnv(mut hash: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// FNV-1a of a token variant's UTF-8; a collision only adds a candidate, which scoring then
/// rejects.
fn variant_hash(text: &str) -> u32 {
    fnv(FNV_OFFSET, text.as_bytes())
}

/// The hashes of `token` and, for tokens of [`MIN_VARIANT_CHARS`] or more, of each spelling
/// with one letter deleted, sorted, without repeats.
#[cfg(any(test, feature = "compiler"))]
pub(crate) fn variant_hashes(token: &str) -> Vec<u32> {
    let mut hashes = Vec::with_capacity(token.len() + 1);
    each_variant_hash(token, |h| hashes.push(h));
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// Calls `f` with each of [`variant_hashes`], in no order, perhaps more than once.
fn each_variant_hash(token: &str, mut f: impl FnMut(u32)) {
    f(variant_hash(token));
    if token.chars().nth(MIN_VARIANT_CHARS - 1).is_some() {
        let bytes = token.as_bytes();
        // The state after the letters before the deleted one, carried along.
        let mut before = FNV_OFFSET;
        for (at, c) in token.char_indices() {
            let letter = bytes.get(at..at + c.len_utf8()).unwrap_or_default();
            let after = bytes.get(at + c.len_utf8()..).unwrap_or_default();
            f(fnv(before, after));
            before = fnv(before, letter);
        }
    }
}

/// Names this long or shorter are also indexed, and queried, by each two of their tokens
/// written together (`petrofantasma` for `petro fantasma`), as scoring pairs them.
const MAX_JOINED: usize = 8;

/// Each two tokens written together, in both orders, for names of at most [`MAX_JOINED`].
#[cfg(feature = "compiler")]
fn joined<'t>(tokens: &'t [impl AsRef<str>]) -> impl Iterator<Item = String> + 't {
    let short = tokens.len() <= MAX_JOINED;
    tokens.iter().enumerate().flat_map(move |(i, a)| {
        tokens
            .iter()
            .enumerate()
            .filter(move |(j, _)| short && i != *j)
            .map(move |(_, b)| format!("{}{}", a.as_ref(), b.as_ref()))
    })
}

/// The names (entry, name) that `query` (sorted tokens) could match, sorted, without repeats.
pub(crate) fn candidates(index: &NameIndex, query: &[&str]) -> Vec<(u32, u32)> {
    let mut tokens: Vec<u32> = Vec::new();
    let mut look_up = |hash: u32| {
        let from = first_at_least(index, hash);
        tokens.extend(
            index
                .variants
                .iter()
                .skip(from)
                .take_while(|(h, _)| *h == hash)
                .map(|(_, t)| *t),
        );
    };
    for q in query {
        each_variant_hash(q, &mut look_up);
    }
    if query.len() <= MAX_JOINED {
        for (i, a) in query.iter().enumerate() {
            for (_, b) in query.iter().enumerate().filter(|(j, _)| *j != i) {
                look_up(fnv(variant_hash(a), b.as_bytes()));
            }
        }
    }
    crate::sort::sort_unstable(&mut tokens);
    tokens.dedup();
    let mut names: Vec<(u32, u32)> = tokens
        .iter()
        .filter_map(|t| index.postings.get(usize::try_from(*t).ok()?))
        .flatten()
        .copied()
        .collect();
    crate::sort::sort_unstable(&mut names);
    names.dedup();
    names
}

/// Variants per run of the directory, on average: runs this short are read in one or two
/// cache lines, and the directory costs half a byte per variant.
const VARIANTS_PER_RUN: usize = 8;

/// The start of each run of variants whose hashes share their leading bits, and the end of
/// the last: a lookup reads one directory cell and one short run, where halving the sorted
/// variants of a big list waits on memory some twenty times.
pub(crate) fn directory(variants: &[(u32, u32)]) -> Vec<u32> {
    let bits = leading_bits(variants.len());
    let mut starts = Vec::with_capacity((1 << bits) + 1);
    let mut at = 0;
    for run in 0..=(1u64 << bits) {
        while variants
            .get(at)
            .is_some_and(|(h, _)| u64::from(*h) >> (32 - bits) < run)
        {
            at += 1;
        }
        starts.push(u32::try_from(at).unwrap_or(u32::MAX));
    }
    starts
}

/// How many leading hash bits number the runs of `variants` variants.
fn leading_bits(variants: usize) -> u32 {
    let runs = (variants / VARIANTS_PER_RUN).max(1);
    runs.next_power_of_two().trailing_zeros().min(24)
}

/// The first variant whose hash is at least `hash`: in its run, if the directory is the
/// variants' own; else by halving all of them.
pub(super) fn first_at_least(index: &NameIndex, hash: u32) -> usize {
    let bits = leading_bits(index.variants.len());
    let run = usize::try_from(u64::from(hash) >> (32 - bits)).unwrap_or(usize::MAX);
    let bound = |i: usize| {
        index
            .directory
            .get(i)
            .and_then(|&at| usize::try_from(at).ok())
    };
    let (low, high) = match (bound(run), bound(run + 1)) {
        (Some(low), Some(high)) if index.directory.len() == (1 << bits) + 1 && low <= high => {
            (low, high.min(index.variants.len()))
        }
        _ => (0, index.variants.len()),
    };
    low + index
        .variants
        .get(low..high)
        .unwrap_or_default()
        .partition_point(|(h, _)| *h < hash)
}

/// Builds the index of a list whose entries' names have these tokens: `names[e][n]` are the
/// tokens of name `n` of entry `e`.
#[cfg(feature = "compiler")]
pub(crate) fn build(names: &[&[Vec<String>]]) -> NameIndex {
    use std::collections::BTreeMap;
    // Key -> (the names it leads to, whether its one-letter deletions lead there too).
    let mut keys: BTreeMap<String, (Vec<(u32, u32)>, bool)> = BTreeMap::new();
    for (e, entry) in names.iter().enumerate() {
        for (n, tokens) in entry.iter().enumerate() {
            let at = (
                u32::try_from(e).unwrap_or(u32::MAX),
                u32::try_from(n).unwrap_or(u32::MAX),
            );
            let ordinary = tokens.iter().any(|t| !super::is_generic(t));
            for token in tokens {
                if ordinary && super::is_generic(token) {
                    continue;
                }
                let key = keys.entry(token.clone()).or_default();
                key.0.push(at);
                key.1 = true;
            }
            for pair in joined(tokens) {
                keys.entry(pair).or_default().0.push(at);
            }
        }
    }
    let mut variants = Vec::new();
    for (t, (key, (_, deletions))) in keys.iter().enumerate() {
        let t = u32::try_from(t).unwrap_or(u32::MAX);
        if *deletions {
            variants.extend(variant_hashes(key).into_iter().map(|h| (h, t)));
        } else {
            variants.push((variant_hash(key), t));
        }
    }
    variants.sort_unstable();
    NameIndex {
        directory: directory(&variants),
        postings: keys
            .into_values()
            .map(|(mut p, _)| {
                p.sort_unstable();
                p.dedup();
                p
            })
            .collect(),
        variants,
    }
}
