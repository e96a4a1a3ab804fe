//! Name matching: properties over arbitrary names, and the example pairs that the default
//! threshold is calibrated on.

use super::normalize::{CONNECTORS, LEGAL_FORMS, LEGAL_PHRASES, PHRASE_WORDS};
use super::score::{score_with, similar, similarity, Prepared, Take, FLOOR, GENERIC};
use super::*;
use proptest::prelude::*;

fn refs(tokens: &[String]) -> Vec<&str> {
    tokens.iter().map(String::as_str).collect()
}

fn name_score(query: &str, listed: &str) -> u16 {
    score(&refs(&name_tokens(query)), &refs(&name_tokens(listed)))
}

/// Pairs that must score at least `DEFAULT_REVIEW_SCORE`: spellings, scripts, typos.
const SAME_PARTY: &[(&str, &str)] = &[
    ("Иван Петров", "Ivan Petrov"),
    ("PETROV, Ivan", "Ivan Petrov"),
    ("Müller", "Mueller"),
    ("Müller", "Muller"),
    ("Mueller", "Muller"),
    ("Gerhard Schröder", "Gerhard Schroeder"),
    ("Сергей Шойгу", "Sergei Shoigu"),
    ("Vladimir Putin", "Vladmir Putin"),
    ("Vladimir Putin", "Vladimir Ptuin"),
    ("Vladimir Putin", "Vladmir Ptuin"),
    ("Ivan Petrov", "Ivan Petorv"),
    ("Ivan Petrov", "Ivam Petorv"),
    ("Ivan Petrov", "Ivna Petrof"),
    ("Osama bin Laden", "Usama bin Ladin"),
    ("Muammar Gaddafi", "Muammar Qaddafi"),
    ("Ali Hassan", "Aly Hasan"),
    ("Abu Bakr al-Baghdadi", "Abubakr Al Baghdadi"),
    ("Sean O'Brien", "Sean OBrien"),
    ("Ivan Petrov", "Ivan Ivanovich Petrov"),
    ("Ελευθέριος Βενιζέλος", "Eleftherios Venizelos"),
    ("Nguyễn Tấn Dũng", "Nguyen Tan Dung"),
    ("Acme LLC", "ACME L.L.C."),
    ("ООО «Ромашка»", "Romashka"),
    ("Acme Trading", "Acme Holding"),
    ("中国石油天然气集团", "中国石油天然气集团"),
];

/// Pairs that must score below `DEFAULT_REVIEW_SCORE`: different parties sharing a word.
const OTHER_PARTY: &[(&str, &str)] = &[
    ("John Smith", "Mary Smith"),
    ("Smith", "John Smith"),
    ("Petrov", "Ivan Petrov"),
    ("Ivan Petrov", "Ivan Sidorov"),
    ("Mohammed Ali", "Mohammed Hassan"),
    ("Wang Wei", "Zhang Wei"),
    ("Wang Wei", "Wang Wen"),
    ("Li Wei", "Li Na"),
    ("Kim Jong Un", "Kim Jong Il"),
    ("John Michael Smith", "John David Smith"),
    ("Acme International", "Zenith International"),
    ("Acme Trading Group", "Zenith Trading Group"),
    ("Global Energy Group", "Global Trading Group"),
    ("Bank Melli", "Bank Mellat"),
    ("The Bank", "Bank Sepah"),
];

#[test]
fn same_parties_score_at_least_the_threshold() {
    for (query, listed) in SAME_PARTY {
        let s = name_score(query, listed);
        assert!(s >= DEFAULT_REVIEW_SCORE, "{query} ~ {listed}: {s}");
    }
}

#[test]
fn other_parties_score_below_the_threshold() {
    for (query, listed) in OTHER_PARTY {
        let s = name_score(query, listed);
        assert!(s < DEFAULT_REVIEW_SCORE, "{query} ~ {listed}: {s}");
    }
}

#[test]
fn exact_scores_of_the_examples() {
    for (query, listed, expected) in [
        ("Иван Петров", "Ivan Petrov", 1000),
        ("Müller", "Muller", 1000),
        ("Müller", "Mueller", 929),
        ("Acme LLC", "Acme", 1000),
        ("ООО Ромашка", "Romashka", 1000),
        ("Smith", "John Smith", 666),
        ("John Smith", "Mary Smith", 500),
        ("Acme International", "Zenith International", 90),
    ] {
        assert_eq!(name_score(query, listed), expected, "{query} ~ {listed}");
    }
}

#[test]
fn characters_fold() {
    for (name, tokens) in [
        ("Müller", &["muller"][..]),
        ("Mu\u{308}ller", &["muller"]),
        ("MÜLLER", &["muller"]),
        ("Straße", &["strasse"]),
        (
            "Ærøskøbing Łódź Þór Đorđe",
            &["aeroskobing", "dorde", "lodz", "thor"][..],
        ),
        ("İstanbul ıstanbul", &["istanbul", "istanbul"]),
        ("Иван Петров", &["ivan", "petrov"]),
        (
            "Жуков Хрущёв Цой Чехов",
            &["chekhov", "khrushchev", "tsoy", "zhukov"],
        ),
        (
            "Шишкин Щукин Юлия Яна",
            &["shchukin", "shishkin", "yana", "yuliya"],
        ),
        (
            "Ёлкин Ильин Мышкин Подъячев",
            &["elkin", "ilin", "myshkin", "podyachev"],
        ),
        (
            "Київ Ґонта Євген Ўладзімір",
            &["gonta", "kiyiv", "uladzimir", "yevgen"],
        ),
        ("Σωκράτης Ψαράς", &["psaras", "sokratis"]),
        ("Ｔｏｋｙｏ ﬁsh", &["fish", "tokyo"]),
        ("O'Brien O’Brien OBrien", &["obrien", "obrien", "obrien"]),
        ("Abu-Bakr", &["abu", "bakr"]),
        ("Pe\u{200b}trov\u{ad}a", &["petrova"]),
        ("Saʿīd", &["said"]),
        // Outside the table's blocks: lower case, then the table (the Ohm sign is an omega).
        ("\u{2126}mega \u{212a}elvin", &["kelvin", "omega"]),
        ("中国 石油", &["中国", "石油"]),
        ("", &[]),
        ("  ,.;-  ", &[]),
    ] {
        assert_eq!(name_tokens(name), tokens, "{name}");
    }
}

#[test]
fn legal_forms_and_connectors_are_dropped() {
    for name in [
        "Acme LLC",
        "Acme L.L.C.",
        "ACME Ltd.",
        "Acme Limited",
        "Acme GmbH",
        "Acme Gesellschaft mit beschränkter Haftung",
        "OOO Acme",
        "ООО Acme",
        "Acme ZAO",
        "OAO Acme",
        "PAO Acme",
        "AO Acme",
        "АО Acme",
        "JSC Acme",
        "Acme Joint Stock Company",
        "Public Joint Stock Company Acme",
        "Acme Co.",
        "Acme Corp.",
        "Acme Corporation",
        "Acme Company",
        "Acme, Inc.",
        "Acme Incorporated",
        "Acme SA",
        "Acme S.A.",
        "Acme AG",
        "Acme PLC",
        "Acme LLP",
        "Acme BV",
        "Acme SRL",
        "Acme Limited Liability Company",
        "Obshchestvo s Ogranichennoy Otvetstvennostyu Acme",
        "Общество с ограниченной ответственностью «Acme»",
        "Закрытое акционерное общество Acme",
        "Товариство з обмеженою відповідальністю Acme",
        "Acme Société Anonyme",
    ] {
        assert_eq!(name_tokens(name), ["acme"], "{name}");
    }
    assert_eq!(name_tokens("Smith & Jones"), ["jones", "smith"]);
    assert_eq!(name_tokens("Smith and Jones"), ["jones", "smith"]);
    assert_eq!(name_tokens("Schmidt und Söhne"), ["schmidt", "sohne"]);
    // A legal form of several words goes wherever its words stand, each stays alone.
    assert!(name_tokens("Stock Joint").is_empty());
    assert_eq!(name_tokens("Joint Venture"), ["joint", "venture"]);
}

#[test]
fn names_without_tokens_match_nothing() {
    assert!(name_tokens("LLC").is_empty());
    assert!(name_tokens("Limited Liability Company").is_empty());
    assert_eq!(name_score("LLC", "LLC"), 0);
    assert_eq!(name_score("LLC", "Acme LLC"), 0);
    assert_eq!(name_score("", "Acme"), 0);
    assert_eq!(score(&[], &[]), 0);
    assert_eq!(score(&[""], &[""]), 0);
}

#[test]
fn token_similarity_counts_edits() {
    assert_eq!(token_similarity("petrov", "petrov"), 1000);
    assert_eq!(token_similarity("petrov", "petrof"), 834);
    assert_eq!(token_similarity("petrov", "petorv"), 917);
    assert_eq!(token_similarity("petrov", "petro"), 834);
    assert_eq!(token_similarity("mueller", "muller"), 929);
    assert_eq!(token_similarity("sergei", "sergey"), 917);
    assert_eq!(token_similarity("abc", "xyz"), 0);
    assert_eq!(token_similarity("", "a"), 0);
    assert_eq!(token_similarity("", ""), 0);
    // Longer than the stack buffers: the same arithmetic on the heap.
    let long = "a".repeat(40);
    let typo = format!("{}b", "a".repeat(39));
    assert_eq!(token_similarity(&long, &typo), 975);
    assert_eq!(token_similarity(&typo, &long), 975);
}

#[test]
fn word_lists_are_sorted_and_phrases_ordered() {
    for list in [LEGAL_FORMS, CONNECTORS, GENERIC] {
        assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        // Each is a folded token, as `name_tokens` makes them.
        for word in list {
            assert!(word.bytes().all(|b| b.is_ascii_lowercase()), "{word}");
        }
    }
    for (i, phrase) in LEGAL_PHRASES.iter().enumerate() {
        assert!(phrase.len() >= 2, "{phrase:?}");
        for word in *phrase {
            assert!(LEGAL_FORMS.binary_search(word).is_err(), "{word}");
            assert!(CONNECTORS.binary_search(word).is_err(), "{word}");
        }
        for (j, word) in phrase.iter().enumerate() {
            assert!(!phrase[j + 1..].contains(word), "{phrase:?} repeats {word}");
        }
        for later in LEGAL_PHRASES.iter().skip(i + 1) {
            let inside = phrase.iter().all(|w| later.contains(w));
            assert!(!inside, "{phrase:?} takes words {later:?} needs");
        }
    }
    let mut words: Vec<&str> = LEGAL_PHRASES
        .iter()
        .flat_map(|p| p.iter().copied())
        .collect();
    words.sort_unstable();
    words.dedup();
    assert_eq!(PHRASE_WORDS, words);
}

/// Names made of words that matter to the legal-form rules, and others.
fn words() -> impl Strategy<Value = Vec<String>> {
    let word = prop_oneof![
        "[a-z]{1,9}",
        "[A-Za-zÀ-ÿА-яЁё]{1,9}",
        prop::sample::select(vec![
            "joint",
            "stock",
            "public",
            "obshchestvo",
            "s",
            "international",
            "group",
            "the",
            "ivan",
            "petrov",
            "abu",
            "bakr",
            "abubakr",
            "中国",
        ])
        .prop_map(String::from),
    ];
    prop::collection::vec(word, 0..6)
}

const LEGAL_WORDS: &[&str] = &[
    "LLC",
    "L.L.C.",
    "Ltd",
    "Ltd.",
    "Limited",
    "GmbH",
    "OOO",
    "ООО",
    "ZAO",
    "OAO",
    "PAO",
    "AO",
    "JSC",
    "Co.",
    "Corp.",
    "Corporation",
    "Company",
    "Inc.",
    "Incorporated",
    "SA",
    "S.A.",
    "AG",
    "PLC",
    "LLP",
    "BV",
    "SRL",
    "&",
    "and",
];

proptest! {
    #[test]
    fn a_name_scores_1000_against_itself(name in "\\PC{0,40}") {
        let tokens = name_tokens(&name);
        prop_assume!(!tokens.is_empty());
        prop_assert_eq!(score(&refs(&tokens), &refs(&tokens)), 1000);
    }

    #[test]
    fn word_order_never_changes_the_score(
        (words, shuffled) in words().prop_flat_map(|w| (Just(w.clone()), Just(w).prop_shuffle())),
        other in words(),
    ) {
        let other = other.join(" ");
        prop_assert_eq!(
            name_score(&words.join(" "), &other),
            name_score(&shuffled.join(" "), &other)
        );
        prop_assert_eq!(name_tokens(&words.join(" ")), name_tokens(&shuffled.join(" ")));
    }

    #[test]
    fn a_legal_form_word_anywhere_changes_nothing(
        words in words(),
        other in words(),
        legal in prop::sample::select(LEGAL_WORDS),
        at in 0usize..6,
    ) {
        let mut with_legal = words.clone();
        with_legal.insert(at.min(words.len()), legal.to_string());
        prop_assert_eq!(name_tokens(&with_legal.join(" ")), name_tokens(&words.join(" ")));
        let other = other.join(" ");
        prop_assert_eq!(
            name_score(&with_legal.join(" "), &other),
            name_score(&words.join(" "), &other)
        );
    }

    #[test]
    fn scores_are_symmetric_and_in_range(a in "\\PC{0,30}", b in "\\PC{0,30}") {
        let s = name_score(&a, &b);
        prop_assert!(s <= 1000);
        prop_assert_eq!(s, name_score(&b, &a));
    }

    #[test]
    fn any_text_and_any_token_lists_score_without_panicking(
        a in any::<String>(),
        b in ".{0,80}",
        raw_a in prop::collection::vec(any::<String>(), 0..12),
        raw_b in prop::collection::vec("\\PC{0,40}", 0..12),
    ) {
        prop_assert!(name_score(&a, &b) <= 1000);
        prop_assert!(score(&refs(&raw_a), &refs(&raw_b)) <= 1000);
        for (x, y) in raw_a.iter().zip(&raw_b) {
            prop_assert!(token_similarity(x, y) <= 1000);
        }
    }

    #[test]
    fn the_bounds_and_the_cut_off_never_change_a_similarity(
        a in "[aeiouyst]{0,12}",
        b in "[aeiouyst]{0,12}",
        c in "[a-zé]{0,40}",
        floor in prop::sample::select(vec![FLOOR, 500, 900]),
    ) {
        for (x, y) in [(&a, &b), (&a, &c), (&c, &b)] {
            let full = token_similarity(x, y);
            let expected = (!x.is_empty() && !y.is_empty() && full >= floor).then_some(full);
            prop_assert_eq!(similar(&[x], &[y], floor), expected);
            // Two pieces written together are the token they make.
            let middle = x.char_indices().nth(x.chars().count() / 2).map_or(x.len(), |(i, _)| i);
            let (head, tail) = x.split_at(middle);
            prop_assert_eq!(similar(&[head, tail], &[y], floor), similar(&[x], &[y], floor));
        }
    }

    #[test]
    fn the_order_of_token_lists_never_changes_the_score(
        (a, a_shuffled) in prop::collection::vec("[a-e]{1,4}", 0..7)
            .prop_flat_map(|w| (Just(w.clone()), Just(w).prop_shuffle())),
        b in prop::collection::vec("[a-e]{1,4}", 0..7),
    ) {
        let mut sorted = a.clone();
        sorted.sort();
        let expected = score(&refs(&sorted), &refs(&b));
        prop_assert_eq!(score(&refs(&a), &refs(&b)), expected);
        prop_assert_eq!(score(&refs(&a_shuffled), &refs(&b)), expected);
        prop_assert_eq!(score(&refs(&b), &refs(&a_shuffled)), expected);
    }

    #[test]
    fn the_bounds_never_change_a_score(
        a in prop::collection::vec("[aeiostyé]{1,7}", 0..6),
        b in prop::collection::vec("[aeiostyé]{1,7}", 0..6),
    ) {
        let (mut a, mut b) = (a, b);
        a.sort();
        b.sort();
        let (a, b) = (refs(&a), refs(&b));
        // Every pair aligned in full, without the length and bag bounds or the cut-off.
        let unbounded = |q: &Prepared, q_take: Take, l: &Prepared, l_take: Take| {
            let s = similarity(&q_take.pieces(&q.tokens), &l_take.pieces(&l.tokens));
            (s >= FLOOR).then_some(s)
        };
        let expected = score_with(&Prepared::new(&a), &Prepared::new(&b), |_, _| true, unbounded);
        prop_assert_eq!(score(&a, &b), expected);
    }

    #[test]
    fn variant_hashes_are_fnv1a_of_each_spelling_with_one_letter_deleted(
        token in "[a-z\u{e4}\u{e9}\u{3b1}-\u{3c9}\u{4e00}-\u{4e10}]{1,12}"
    ) {
        fn fnv1a(text: &str) -> u32 {
            text.bytes().fold(0x811c_9dc5, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
        }
        let chars: Vec<char> = token.chars().collect();
        let mut expected = vec![fnv1a(&token)];
        if chars.len() >= 4 {
            for skip in 0..chars.len() {
                let spelling: String = chars
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != skip)
                    .map(|(_, c)| *c)
                    .collect();
                expected.push(fnv1a(&spelling));
            }
        }
        expected.sort_unstable();
        expected.dedup();
        prop_assert_eq!(index::variant_hashes(&token), expected);
    }

    #[test]
    fn the_index_finds_a_hash_where_halving_does(
        hashes in prop::collection::vec(prop_oneof![any::<u32>(), 0u32..64, Just(u32::MAX)], 0..300),
        wanted in prop_oneof![any::<u32>(), 0u32..64, Just(u32::MAX), Just(0u32)],
    ) {
        let mut variants: Vec<(u32, u32)> = hashes.iter().map(|&h| (h, 0)).collect();
        variants.sort_unstable();
        let at = |h: u32| variants.partition_point(|(v, _)| *v < h);
        let with = crate::ir::NameIndex {
            directory: index::directory(&variants),
            variants: variants.clone(),
            postings: Vec::new(),
        };
        let without = crate::ir::NameIndex { directory: Vec::new(), ..with.clone() };
        for h in variants.iter().map(|(h, _)| *h).chain([wanted]) {
            prop_assert_eq!(index::first_at_least(&with, h), at(h));
            prop_assert_eq!(index::first_at_least(&without, h), at(h));
        }
    }
}
