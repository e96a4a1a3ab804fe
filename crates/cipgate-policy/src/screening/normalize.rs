//! Names to tokens: every character folded (outside ASCII through `tables::name_fold`, which
//! `scripts/gen-tables.py` generates), words split, legal forms and connectors dropped.

use crate::tables::name_fold;

/// Words that are a legal form on their own, as folded: dropped wherever they stand. Sorted.
pub(super) const LEGAL_FORMS: &[&str] = &[
    "ag",
    "aktiengesellschaft",
    "ao",
    "bhd",
    "bv",
    "cjsc",
    "co",
    "company",
    "corp",
    "corporation",
    "doo",
    "fzco",
    "fze",
    "gmbh",
    "inc",
    "incorporated",
    "jsc",
    "kg",
    "liability",
    "limited",
    "llc",
    "llp",
    "ltd",
    "ltda",
    "nv",
    "oao",
    "ojsc",
    "ooo",
    "pao",
    "partnership",
    "pjsc",
    "plc",
    "pllc",
    "pte",
    "pty",
    "pvt",
    "sa",
    "sarl",
    "sdn",
    "spa",
    "srl",
    "sro",
    "tov",
    "wll",
    "zao",
];

/// Words that join two names: dropped. Sorted.
pub(super) const CONNECTORS: &[&str] = &["and", "et", "und", "y"];

/// Legal forms of several words, as they read once the words of `LEGAL_FORMS` and
/// `CONNECTORS` are gone ("Limited Liability Company" leaves nothing, "Joint Stock Company"
/// leaves "joint stock"). A name that has every word of one loses them, wherever they stand:
/// so neither word order nor a legal-form word put among them changes anything. Tried in
/// this order, a form before any form it contains.
pub(super) const LEGAL_PHRASES: &[&[&str]] = &[
    &["obshchestvo", "s", "ogranichennoy", "otvetstvennostyu"],
    &["obshchestvo", "s", "ogranichennoi", "otvetstvennostiu"],
    &["tovaristvo", "z", "obmezhenoyu", "vidpovidalnistyu"],
    &["tovarystvo", "z", "obmezhenoiu", "vidpovidalnistiu"],
    &["gesellschaft", "mit", "beschrankter", "haftung"],
    &["spolka", "z", "ograniczona", "odpowiedzialnoscia"],
    &["sociedad", "de", "responsabilidad", "limitada"],
    &["societa", "a", "responsabilita", "limitata"],
    &["societe", "a", "responsabilite", "limitee"],
    &["zakrytoe", "aktsionernoe", "obshchestvo"],
    &["otkrytoe", "aktsionernoe", "obshchestvo"],
    &["publichnoe", "aktsionernoe", "obshchestvo"],
    &["aktsionernoe", "obshchestvo"],
    &["public", "joint", "stock"],
    &["closed", "joint", "stock"],
    &["open", "joint", "stock"],
    &["joint", "stock"],
    &["societa", "per", "azioni"],
    &["societe", "anonyme"],
    &["sociedad", "anonima"],
    &["besloten", "vennootschap"],
    &["naamloze", "vennootschap"],
];

/// Every word of `LEGAL_PHRASES`, once, sorted: a name with fewer than two of them has no
/// phrase to drop.
pub(super) const PHRASE_WORDS: &[&str] = &[
    "a",
    "aktsionernoe",
    "anonima",
    "anonyme",
    "azioni",
    "beschrankter",
    "besloten",
    "closed",
    "de",
    "gesellschaft",
    "haftung",
    "joint",
    "limitada",
    "limitata",
    "limitee",
    "mit",
    "naamloze",
    "obmezhenoiu",
    "obmezhenoyu",
    "obshchestvo",
    "odpowiedzialnoscia",
    "ogranichennoi",
    "ogranichennoy",
    "ograniczona",
    "open",
    "otkrytoe",
    "otvetstvennostiu",
    "otvetstvennostyu",
    "per",
    "public",
    "publichnoe",
    "responsabilidad",
    "responsabilita",
    "responsabilite",
    "s",
    "sociedad",
    "societa",
    "societe",
    "spolka",
    "stock",
    "tovaristvo",
    "tovarystvo",
    "vennootschap",
    "vidpovidalnistiu",
    "vidpovidalnistyu",
    "z",
    "zakrytoe",
];

pub(super) fn tokens(name: &str) -> Vec<String> {
    sorted_tokens(&folded(name))
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// The name with every character folded, its words ended by spaces: one buffer for all the
/// words, which screening a name per request reads without a string per word.
pub(super) fn folded(name: &str) -> String {
    let mut text = String::with_capacity(name.len() + 1);
    for c in name.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                text.push(c.to_ascii_lowercase());
            } else if !matches!(c, '\'' | '`' | '.') {
                text.push(' ');
            }
        } else if let Some(folded) = name_fold(c) {
            text.push_str(folded);
        } else if c.is_alphanumeric() {
            // Outside the table's blocks: lower case, itself folded where the table has it
            // (the Ohm sign is an omega).
            for lower in c.to_lowercase() {
                match name_fold(lower) {
                    Some(folded) => text.push_str(folded),
                    None => text.push(lower),
                }
            }
        } else {
            text.push(' ');
        }
    }
    text
}

/// The words of a [`folded`] name, legal forms and connectors dropped, sorted.
pub(super) fn sorted_tokens(folded: &str) -> Vec<&str> {
    let mut words: Vec<&str> = folded
        .split(' ')
        .filter(|w| !w.is_empty() && !is_among(LEGAL_FORMS, w) && !is_among(CONNECTORS, w))
        .collect();
    crate::sort::sort_unstable(&mut words);
    drop_legal_phrases(&mut words);
    words
}

/// Drops the words of every one of `LEGAL_PHRASES` that the name has all of. `words` is
/// sorted, and stays so.
fn drop_legal_phrases(words: &mut Vec<&str>) {
    // Most names have fewer than two words that any phrase has: nothing to drop.
    let in_phrases = words.iter().filter(|w| is_among(PHRASE_WORDS, w)).count();
    if in_phrases < 2 {
        return;
    }
    for phrase in LEGAL_PHRASES {
        if phrase.iter().all(|word| words.binary_search(word).is_ok()) {
            for word in *phrase {
                if let Ok(i) = words.binary_search(word) {
                    words.remove(i);
                }
            }
        }
    }
}

/// Whether `word` is in the sorted `words`. Comparing bytes in line costs a fraction of a
/// `memcmp` call on words this short, and every word of every screened name is looked up.
pub(super) fn is_among(words: &[&str], word: &str) -> bool {
    let word = word.as_bytes();
    words
        .binary_search_by(|probe| {
            let probe = probe.as_bytes();
            let common = probe.iter().zip(word).find(|(a, b)| a != b);
            match common {
                Some((a, b)) => a.cmp(b),
                None => probe.len().cmp(&word.len()),
            }
        })
        .is_ok()
}
