//! The value formats of the policy language (email, phone, country, subdivision, postal code)
//! and the small parsers the compiler shares with the evaluator (dates, networks, names).

use crate::ir::Network;
use crate::tables;
use std::net::IpAddr;

/// A structural email check: one `@`, a local part without spaces or quotes, and a domain of
/// at least two labels. Deliverability is the provider's verification step, not the gate's.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c) || !c.is_ascii()
        })
        && local.chars().all(|c| !c.is_whitespace() && !c.is_control());
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = s.len() <= 254
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| {
                    c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && c.is_alphanumeric())
                })
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
    local_ok && domain_ok
}

/// A phone number in E.164 form (`+4930901820`): `+` and at most 15 digits, kept inline so
/// that reading one allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct E164 {
    bytes: [u8; 16],
    len: u8,
}

impl E164 {
    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// `+` and `digits`, which must be 7 to 15 ASCII digits.
    fn new(digits: &[u8]) -> Option<E164> {
        if !(7..=15).contains(&digits.len()) || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut bytes = [0; 16];
        if let Some(plus) = bytes.first_mut() {
            *plus = b'+';
        }
        bytes.get_mut(1..=digits.len())?.copy_from_slice(digits);
        Some(E164 {
            bytes,
            len: u8::try_from(digits.len() + 1).ok()?,
        })
    }
}

/// The E.164 form of a number written in international form, with the countries of its
/// calling code ([`tables::calling_countries`]), or `None`. Spaces, hyphens, dots and
/// parentheses may separate digits; the calling code must exist.
pub fn phone_number(s: &str) -> Option<(E164, &'static [&'static str])> {
    let rest = s.strip_prefix('+')?;
    if !rest.starts_with(|c: char| c.is_ascii_digit())
        || !rest.ends_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let mut digits = [0u8; 15];
    let mut count = 0;
    let mut last_separator: Option<u8> = None;
    for c in rest.bytes() {
        if c.is_ascii_digit() {
            *digits.get_mut(count)? = c;
            count += 1;
            last_separator = None;
        } else if b" -.()".contains(&c) {
            // Two separators in a row only around an area code: "+1 (512) 555".
            if let Some(prev) = last_separator {
                if !((prev == b' ' && c == b'(') || (prev == b')' && c == b' ')) {
                    return None;
                }
            }
            last_separator = Some(c);
        } else {
            return None;
        }
    }
    let number = E164::new(digits.get(..count)?)?;
    let (_, countries) = tables::calling_countries(number.as_str().get(1..)?)?;
    Some((number, countries))
}

/// Names as compared against text lists: ASCII case folded, white space collapsed.
pub fn fold_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().map(|c| c.to_ascii_lowercase()));
    }
    out
}

/// A postal code as postal-code lists compare it: without spaces and hyphens, in capitals.
pub fn postal_code_key(code: &str) -> impl Iterator<Item = u8> + '_ {
    code.bytes()
        .filter(|b| !matches!(b, b' ' | b'-'))
        .map(|b| b.to_ascii_uppercase())
}

/// Seconds since the Unix epoch of `2026-01-31` or `2026-01-31T12:00:00Z` (UTC only).
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t.strip_suffix('Z')?)),
        None => (s, None),
    };
    let mut parts = date.splitn(3, '-');
    let year: i64 = digits(parts.next()?, 4)?;
    let month: i64 = digits(parts.next()?, 2)?;
    let day: i64 = digits(parts.next()?, 2)?;
    if !(1..=12).contains(&month) || !(1..=days_in_month(year, month)).contains(&day) {
        return None;
    }
    let seconds = match time {
        Some(t) => {
            let mut hms = t.splitn(3, ':');
            let h: i64 = digits(hms.next()?, 2)?;
            let m: i64 = digits(hms.next()?, 2)?;
            let sec: i64 = digits(hms.next()?, 2)?;
            if h > 23 || m > 59 || sec > 59 {
                return None;
            }
            h * 3600 + m * 60 + sec
        }
        None => 0,
    };
    Some(days_from_civil(year, month, day) * 86_400 + seconds)
}

fn digits(s: &str, len: usize) -> Option<i64> {
    if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The days of month `m` (1 to 12) of year `y`, Gregorian.
pub(crate) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `192.0.2.0/24` or `2001:db8::/32`; IPv4 networks are kept IPv4-mapped.
pub fn parse_network(s: &str) -> Option<Network> {
    let (addr, prefix) = s.split_once('/')?;
    let prefix: u8 = digits_u8(prefix)?;
    match addr.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) if prefix <= 32 => Some(Network {
            addr: v4.to_ipv6_mapped().octets(),
            prefix: prefix + 96,
        }),
        IpAddr::V6(v6) if prefix <= 128 => Some(Network {
            addr: v6.octets(),
            prefix,
        }),
        _ => None,
    }
}

fn digits_u8(s: &str) -> Option<u8> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

pub fn network_contains(network: &Network, ip: IpAddr) -> bool {
    let octets = match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    };
    let bits = u32::from(network.prefix.min(128));
    let a = u128::from_be_bytes(network.addr);
    let b = u128::from_be_bytes(octets);
    let mask = if bits == 0 {
        0
    } else {
        u128::MAX << (128 - bits)
    };
    a & mask == b & mask
}

/// What a postal code must look like in a country whose format the tables do not know.
pub(crate) fn is_plausible_postal_code(code: &str) -> bool {
    (2..=12).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
}

/// A calendar date written as ISO 8601 does (`1961-03-14`: four-digit year, two-digit month
/// and day), as the number `YYYYMMDD`, if that day exists.
pub fn date_key(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (year, month, day) = (
        digits(s.get(0..4)?, 4)?,
        digits(s.get(5..7)?, 2)?,
        digits(s.get(8..10)?, 2)?,
    );
    if year < 1 || !(1..=12).contains(&month) || !(1..=days_in_month(year, month)).contains(&day) {
        return None;
    }
    u32::try_from(year * 10000 + month * 100 + day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "a@example.com",
            "lena.vogel@example.de",
            "x+tag@sub.example.co.uk",
            "ü@bücher.example",
        ] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a@",
            "@b.c",
            "a@b",
            "a b@c.de",
            "a@@b.de",
            ".a@b.de",
            "a..b@c.de",
            "a@-b.de",
            "a@b.123",
            " a@b.de",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert_eq!(
            phone_number("+49 30 901820")
                .map(|(e164, _)| e164.as_str().to_owned())
                .as_deref(),
            Some("+4930901820")
        );
        assert_eq!(
            phone_number("+1 (512) 555-0142")
                .map(|(e164, _)| e164.as_str().to_owned())
                .as_deref(),
            Some("+15125550142")
        );
        for bad in [
            "4930901820",
            "+",
            "+49",
            "+49  30 901820",
            "+49 30 90182O",
            "+49-",
            " +4930901820",
            "+1234567890123456",
        ] {
            assert_eq!(phone_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-01"), Some(0));
        assert_eq!(parse_timestamp("2000-03-01"), Some(951_868_800));
        assert_eq!(parse_timestamp("2024-02-29T13:19:35Z"), Some(1_709_212_775));
        assert_eq!(parse_timestamp("2024-02-30"), None);
        assert_eq!(parse_timestamp("2024-2-3"), None);
    }

    #[test]
    fn networks() {
        let n = parse_network("192.0.2.0/24").unwrap();
        assert!(network_contains(&n, "192.0.2.77".parse().unwrap()));
        assert!(!network_contains(&n, "192.0.3.1".parse().unwrap()));
        let v6 = parse_network("2001:db8::/32").unwrap();
        assert!(network_contains(&v6, "2001:db8:1::1".parse().unwrap()));
        assert!(!network_contains(&v6, "192.0.2.1".parse().unwrap()));
        assert!(parse_network("192.0.2.0/33").is_none());
        assert!(parse_network("nonsense/8").is_none());
    }

    #[test]
    fn dates_are_days_that_exist_written_as_iso_8601() {
        assert_eq!(date_key("1961-03-14"), Some(19610314));
        assert_eq!(date_key("2024-02-29"), Some(20240229));
        assert_eq!(date_key("2000-02-29"), Some(20000229));
        for bad in [
            "1900-02-29",
            "2023-02-29",
            "1961-04-31",
            "1961-13-01",
            "1961-00-10",
            "1961-01-00",
            "0000-01-01",
            "61-03-14",
            "1961-3-14",
            "1961/03/14",
            "1961-03-14 ",
            "１９６１-03-14",
            "+961-03-14",
            "",
        ] {
            assert_eq!(date_key(bad), None, "{bad}");
        }
    }
}
