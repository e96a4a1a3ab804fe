//! Countries as the lists write them (`IR`, `Iran`, `Korea, North`) to ISO 3166-1 alpha-2
//! codes, through the crate's own table and the few names the lists spell differently.

use crate::tables;

/// Names seen in OFAC's add.csv and remarks (and the CSL addresses built from them) that are
/// not the ISO short names `tables` holds. `Region: …` values name no single country and
/// `Netherlands Antilles` no longer exists: they are left out, as any unknown name is.
pub(super) const LISTED_NAMES: &[(&str, &str)] = &[
    ("Bahamas, The", "BS"),
    ("Bolivia", "BO"),
    ("Brunei", "BN"),
    ("Burma", "MM"),
    ("Congo, Democratic Republic of the", "CD"),
    ("Congo, Republic of the", "CG"),
    ("Cote d Ivoire", "CI"),
    ("Czech Republic", "CZ"),
    ("Iran", "IR"),
    ("Korea, North", "KP"),
    ("Korea, South", "KR"),
    ("Laos", "LA"),
    ("Macau", "MO"),
    ("Man, Isle of", "IM"),
    ("Moldova", "MD"),
    ("North Macedonia, The Republic of", "MK"),
    ("Palestinian", "PS"),
    ("Russia", "RU"),
    ("Syria", "SY"),
    ("Taiwan", "TW"),
    ("Tanzania", "TZ"),
    ("The Gambia", "GM"),
    ("Turkey", "TR"),
    ("Venezuela", "VE"),
    ("Vietnam", "VN"),
    ("West Bank", "PS"),
];

/// The ISO code of a country as listed: a code (any case) or a name (ASCII case ignored).
pub(super) fn code(listed: &str) -> Option<&'static str> {
    let listed = listed.trim().trim_end_matches('.');
    let codes = tables::COUNTRY_CODES.iter().copied();
    codes
        .clone()
        .find(|code| code.eq_ignore_ascii_case(listed))
        .or_else(|| {
            codes.clone().find(|code| {
                tables::country_name(code).is_some_and(|n| n.eq_ignore_ascii_case(listed))
            })
        })
        .or_else(|| {
            LISTED_NAMES
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(listed))
                .map(|&(_, code)| code)
        })
}
