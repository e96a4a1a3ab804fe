//! Locales: the language a decision's messages are written in. A policy names its locales
//! (the first is its default) and gives every message in each; cipgate's own texts (the
//! reject reasons) are in [`texts`]. Which locale a request gets is chosen here, once, from
//! what the client asks for (an `Accept-Language` value, a page's `lang`, `--locale`), so
//! every runtime picks the same. The reader of weighted header lists is shared with the
//! `Accept` reader of the HTML answer (`weighted.rs`).

mod texts;

use crate::weighted::{self, Element};
pub use texts::BUILT_IN;
pub(crate) use texts::{page_text, PageText};

/// The locale of a policy that declares none.
pub const DEFAULT: &str = "en";

/// Whether `tag` is a locale tag as policies write them: a BCP 47 primary language subtag,
/// two or three lower-case ASCII letters (`en`, `de`, `fil`).
pub fn is_tag(tag: &str) -> bool {
    (2..=3).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_lowercase())
}

/// Whether cipgate has its own texts in `tag`: a policy may use only such locales, so that
/// no decision is half in one language and half in another.
pub fn is_built_in(tag: &str) -> bool {
    BUILT_IN.contains(&tag)
}

/// The index into `available` (a policy's locales, default first) of the locale to answer
/// in, for a client that asks for `requested`: an `Accept-Language` value
/// (`de-CH, de;q=0.9, en;q=0.5`, RFC 9110 section 12.5.4) or one language tag.
///
/// A range counts for the locale of its primary subtag (`de-CH` for `de`), `*` for every
/// locale; the locale with the highest weight wins, then the one the client named first,
/// then the policy's order. Nothing requested, nothing available, weight 0 only, or a value
/// that does not parse (all of it is then ignored, never half-read): the default, 0.
pub fn choose(requested: Option<&str>, available: &[String]) -> usize {
    let Some(requested) = requested else {
        return 0;
    };
    if ranges(requested).any(|r| r.is_none()) {
        return 0;
    }
    // (weight, position of the range in the request), best first.
    let mut best: Option<(usize, u16, usize)> = None;
    for (index, locale) in available.iter().enumerate() {
        let mut own: Option<(u16, usize)> = None;
        let mut any: Option<(u16, usize)> = None;
        for (position, range) in ranges(requested).flatten().enumerate() {
            let slot = if range.primary == "*" {
                &mut any
            } else if range.primary.eq_ignore_ascii_case(locale) {
                &mut own
            } else {
                continue;
            };
            if slot.is_none_or(|(weight, _)| range.weight > weight) {
                *slot = Some((range.weight, position));
            }
        }
        // A range naming the locale decides its weight, even a lower one than `*` gives.
        let Some((weight, position)) = own.or(any) else {
            continue;
        };
        let better = best.is_none_or(|(_, w, p)| weight > w || (weight == w && position < p));
        if weight > 0 && better {
            best = Some((index, weight, position));
        }
    }
    best.map_or(0, |(index, _, _)| index)
}

/// One language range of an `Accept-Language` value: its primary subtag (or `*`) and its
/// weight in thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range<'a> {
    primary: &'a str,
    weight: u16,
}

/// The ranges of an `Accept-Language` value, `None` for an element that does not parse.
fn ranges(value: &str) -> impl Iterator<Item = Option<Range<'_>>> {
    weighted::elements(value).map(|element| range(element?))
}

/// A language range takes no parameter but its weight.
fn range(element: Element<'_>) -> Option<Range<'_>> {
    let Element {
        item: tag,
        has_params,
        weight,
    } = element;
    if has_params {
        return None;
    }
    if tag == "*" {
        return Some(Range {
            primary: tag,
            weight,
        });
    }
    let mut subtags = tag.split('-');
    let primary = subtags.next()?;
    let letters =
        |s: &str| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic());
    let alphanumeric =
        |s: &str| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if !letters(primary) || !subtags.all(alphanumeric) {
        return None;
    }
    Some(Range { primary, weight })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    fn locales(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|t| t.to_string()).collect()
    }

    fn chosen(requested: &str, tags: &[&str]) -> String {
        let available = locales(tags);
        available[choose(Some(requested), &available)].clone()
    }

    #[test]
    fn tags_are_primary_language_subtags() {
        for good in ["en", "de", "fil"] {
            assert!(is_tag(good), "{good}");
        }
        for bad in ["", "e", "EN", "De", "de-CH", "de_CH", "engl", "e1", "*"] {
            assert!(!is_tag(bad), "{bad}");
        }
    }

    #[test]
    fn nothing_asked_is_the_default() {
        let available = locales(&["en", "de"]);
        assert_eq!(choose(None, &available), 0);
        assert_eq!(choose(Some(""), &available), 0);
        assert_eq!(choose(Some(" , "), &available), 0);
        assert_eq!(choose(Some("de"), &[]), 0);
    }

    #[test]
    fn the_highest_weight_wins() {
        let en_de = ["en", "de"];
        assert_eq!(chosen("de-DE,de;q=0.9,en;q=0.5", &en_de), "de");
        assert_eq!(chosen("en;q=0.5, de;q=0.9", &en_de), "de");
        assert_eq!(chosen("fr, de;q=0.1", &en_de), "de");
        assert_eq!(chosen("fr", &en_de), "en");
        assert_eq!(chosen("de;q=0.001", &en_de), "de");
        assert_eq!(chosen("de; q=1.000", &en_de), "de");
    }

    #[test]
    fn a_region_or_script_counts_for_its_language() {
        let en_de = ["en", "de"];
        assert_eq!(chosen("de-CH", &en_de), "de");
        assert_eq!(chosen("DE-at", &en_de), "de");
        assert_eq!(chosen("de-Latn-CH-1996", &en_de), "de");
        assert_eq!(chosen("en-GB, de", &["de", "en"]), "en");
    }

    #[test]
    fn ties_go_to_the_client_order_then_the_policy_order() {
        assert_eq!(chosen("en, de", &["de", "en"]), "en");
        assert_eq!(chosen("de, en", &["en", "de"]), "de");
        assert_eq!(chosen("*", &["en", "de"]), "en");
        assert_eq!(chosen("*", &["de", "en"]), "de");
        assert_eq!(chosen("fr, *;q=0.5", &["de", "en"]), "de");
    }

    #[test]
    fn weight_zero_refuses_a_locale() {
        assert_eq!(chosen("en;q=0, *", &["en", "de"]), "de");
        assert_eq!(chosen("de;q=0", &["en", "de"]), "en");
        assert_eq!(chosen("en;q=0, de;q=0", &["en", "de"]), "en");
        // The range naming the locale decides, even below the wildcard's weight.
        assert_eq!(chosen("*, de;q=0.2", &["de", "en"]), "en");
    }

    #[test]
    fn a_value_that_does_not_parse_is_ignored_whole() {
        let en_de = ["en", "de"];
        for bad in [
            "de;q=2",
            "de;q=1.5",
            "de;q=0.1234",
            "de;q=",
            "de;level=1",
            "de_CH",
            "de-",
            "-de",
            "d3",
            "de-abcdefghi",
            "de;q=0.9;q=0.8",
            "\u{e4}",
            "de, en_US",
        ] {
            assert_eq!(chosen(bad, &en_de), "en", "{bad:?}");
        }
    }

    #[test]
    fn every_built_in_locale_is_a_tag_and_the_default_is_built_in() {
        assert!(BUILT_IN.iter().all(|t| is_tag(t)));
        assert!(is_built_in(DEFAULT));
        assert_eq!(BUILT_IN.first(), Some(&DEFAULT));
    }
}
