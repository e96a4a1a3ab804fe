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

pub(super) fn tokens(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in name.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                word.push(c.to_ascii_lowercase());
            } else if !matches!(c, '\'' | '`' | '.') {
                end_word(&mut word, &mut words);
            }
        } else if let Some(folded) = name_fold(c) {
            push_folded(folded, &mut word, &mut words);
        } else if c.is_alphanumeric() {
            // Outside the table's blocks: lower case, itself folded where the table has it
            // (the Ohm sign is an omega).
            for lower in c.to_lowercase() {
                match name_fold(lower) {
                    Some(folded) => push_folded(folded, &mut word, &mut words),
                    None => word.push(lower),
                }
            }
        } else {
            end_word(&mut word, &mut words);
        }
    }
    end_word(&mut word, &mut words);
    words.retain(|w| {
        LEGAL_FORMS.binary_search(&w.as_str()).is_err()
            && CONNECTORS.binary_search(&w.as_str()).is_err()
    });
    words.sort_unstable();
    drop_legal_phrases(&mut words);
    words
}

/// A replacement from the folding table: letters go into the word, a space ends it.
fn push_folded(folded: &str, word: &mut String, words: &mut Vec<String>) {
    for c in folded.chars() {
        if c == ' ' {
            end_word(word, words);
        } else {
            word.push(c);
        }
    }
}

fn end_word(word: &mut String, words: &mut Vec<String>) {
    if !word.is_empty() {
        words.push(std::mem::take(word));
    }
}

/// Drops the words of every one of `LEGAL_PHRASES` that the name has all of. `words` is
/// sorted, and stays so.
fn drop_legal_phrases(words: &mut Vec<String>) {
    let find = |words: &[String], word: &str| words.binary_search_by(|w| w.as_str().cmp(word));
    for phrase in LEGAL_PHRASES {
        if phrase.iter().all(|word| find(words, word).is_ok()) {
            for word in *phrase {
                if let Ok(i) = find(words, word) {
                    words.remove(i);
                }
            }
        }
    }
}
