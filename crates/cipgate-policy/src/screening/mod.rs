//! Name matching for restricted-party screening: an applicant's name against listed names in
//! any script or spelling, scored in thousandths with integer arithmetic only, so that every
//! runtime (native, Envoy, browser) gives the same score.
//!
//! A name becomes sorted tokens ([`name_tokens`]; the index stores listed names this way), and
//! two token lists get a similarity ([`score`]) that a policy compares with a threshold
//! ([`DEFAULT_REVIEW_SCORE`] unless it sets its own).
//!
//! ```
//! use cipgate_policy::screening::{name_tokens, score, DEFAULT_REVIEW_SCORE};
//! let listed = name_tokens("Иван Петров");
//! assert_eq!(listed, ["ivan", "petrov"]);
//! let applicant = name_tokens("PETROV, Ivan");
//! let listed: Vec<&str> = listed.iter().map(String::as_str).collect();
//! let applicant: Vec<&str> = applicant.iter().map(String::as_str).collect();
//! assert!(score(&applicant, &listed) >= DEFAULT_REVIEW_SCORE);
//! ```

pub(crate) mod index;
mod normalize;
mod score;

pub(crate) use score::{score_prepared, Prepared};
#[cfg(test)]
mod tests;

/// Scores at or above this are worth a human's review: one typo and one swapped pair of
/// letters in a two-word name stay above it; a shared surname, or a shared generic word
/// such as "International", stays far below (see the calibration pairs in `tests.rs`).
pub const DEFAULT_REVIEW_SCORE: u16 = 800;

/// A name made ready for matching: folded tokens, legal-form words and connectors dropped,
/// sorted.
///
/// Each character is folded: compatibility forms (NFKC: `ﬁ`, fullwidth `Ａ`), case, diacritics
/// dropped (`Müller` is `muller`), letters without a decomposition spelled out (`ß` `ss`,
/// `æ` `ae`, `ø` `o`, `ł` `l`), Cyrillic and Greek transliterated (`Щ` `shch`, `θ` `th`), other
/// scripts (CJK, Arabic, ...) lower-cased and kept. Apostrophes, dots and marks join a word
/// (`O'Brien` `obrien`, `L.L.C.` `llc`); anything else that is not a letter or digit splits it
/// (`Abu-Bakr` is `abu bakr`). Then legal forms (`LLC`, `GmbH`, `ООО`, `Limited Liability
/// Company`, `Obshchestvo s Ogranichennoy Otvetstvennostyu`, ...) and connectors (`and`, `und`,
/// `et`, `y`) are dropped wherever they stand, and the tokens sorted, so word order is gone.
pub fn name_tokens(name: &str) -> Vec<String> {
    normalize::tokens(name)
}

/// A name folded for [`sorted_tokens`]: screening at request time reads a name's tokens from
/// this one buffer rather than a string per token.
pub(crate) fn folded_name(name: &str) -> String {
    normalize::folded(name)
}

/// The tokens of a [`folded_name`], as [`name_tokens`] gives them.
pub(crate) fn sorted_tokens(folded: &str) -> Vec<&str> {
    normalize::sorted_tokens(folded)
}

/// Similarity of two names given as sorted token lists from [`name_tokens`], in thousandths
/// (0..=1000).
///
/// Tokens are paired one to one, best pair first (a token may also pair with two tokens of the
/// other name written together: `abubakr` with `abu bakr`), and the pairs' similarities summed
/// with weights: a generic word (`international`, `group`, `bank`, `the`, ...) weighs a tenth
/// of another. The score is the weighted Dice coefficient of both names, or, when one name
/// has two or more ordinary tokens and all of it is found in the other, close to 1000 (a
/// listed "Ivan Petrov" is in "Ivan Ivanovich Petrov"). So a shared surname alone ("John
/// Smith", "Mary Smith") or a lone surname ("Smith") scores low. A name without tokens scores
/// 0 against every name. The score does not depend on the order of either list.
pub fn score(query: &[&str], listed: &[&str]) -> u16 {
    score::score(query, listed)
}

/// Similarity of two single tokens in thousandths: 1000 for the same token, less by the share
/// of the longer token that must change (optimal string alignment: a substitution, insertion
/// or deletion is one edit; a swap of neighbours, an `e` after `a`, `o` or `u`, and `i` for
/// `y` are half an edit, so `mueller` is close to `muller` and `sergei` to `sergey`). 0 if
/// either is empty.
pub fn token_similarity(a: &str, b: &str) -> u16 {
    score::similarity(&[a], &[b])
}

/// Whether a (folded) token is a generic word, which weighs little in a score.
pub fn is_generic(token: &str) -> bool {
    normalize::is_among(score::GENERIC, token)
}
