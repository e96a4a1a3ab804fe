//! The audit record: one JSON line per decision with the client IP and time of access that
//! the rule asks providers to keep, and keyed hashes (never raw values) of email and phone.

use cipgate_policy::decision::{write_list_version, Hit};
use cipgate_policy::ir::ListVersion;
use cipgate_policy::{
    write_json_array, write_json_key, write_json_string, write_json_u64, write_json_u64_padded,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::IpAddr;

/// Fields whose values are recorded as keyed hashes, so that signups can be correlated
/// without the log holding personal data.
pub const HASHED_FIELDS: [&str; 2] = ["customer.email", "customer.phone"];

pub struct AuditRecord<'a> {
    pub event: &'static str,
    pub time: Option<String>,
    pub request_id: Option<&'a str>,
    pub client_ip: Option<IpAddr>,
    pub method: &'a str,
    pub path: &'a str,
    pub mode: &'static str,
    pub outcome: &'static str,
    pub status: u16,
    /// What the filter did: `forwarded` or `blocked`.
    pub action: &'static str,
    pub rules: Vec<&'a str>,
    pub policy_id: &'a str,
    pub policy_version: &'a str,
    pub policy_sha256: &'a str,
    /// The list files the policy was compiled with.
    pub policy_lists: &'a [ListVersion],
    /// The listed parties screening matched, for the reviewer.
    pub hits: Vec<&'a Hit<'a>>,
    pub pii_hashes: PiiHashes,
}

/// Keyed hashes of the personal data in a signup.
pub enum PiiHashes {
    /// No `audit_hash_key` is configured, so nothing is hashed (logged as `"disabled"`).
    Disabled,
    /// Field name to `hmac-sha256:<hex>`; fields absent or not strings are left out.
    Hashes(Vec<(&'static str, String)>),
}

impl PiiHashes {
    /// Hashes the values the policy read (valid ones; phones already in E.164 form).
    pub fn of_values(
        key: &[u8],
        values: impl Iterator<Item = (&'static str, Option<String>)>,
    ) -> PiiHashes {
        PiiHashes::Hashes(
            values
                .filter_map(|(name, value)| Some((name, keyed_hash(key, &normalise(&value?)))))
                .collect(),
        )
    }

    /// For requests refused before decoding (too large, encoded): nothing to hash.
    pub fn none(key: Option<&[u8]>) -> PiiHashes {
        match key {
            Some(_) => PiiHashes::Hashes(Vec::new()),
            None => PiiHashes::Disabled,
        }
    }
}

impl PiiHashes {
    fn write_json(&self, out: &mut String) {
        match self {
            PiiHashes::Disabled => write_json_string(out, "disabled"),
            PiiHashes::Hashes(hashes) => {
                out.push('{');
                for (i, (field, hash)) in hashes.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_key(out, field);
                    write_json_string(out, hash);
                }
                out.push('}');
            }
        }
    }
}

impl AuditRecord<'_> {
    /// One JSON line, members in declaration order, absent values as `null`.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(512);
        let client_ip = self.client_ip.map(ip_text);
        let texts: [(&str, Option<&str>); 8] = [
            ("event", Some(self.event)),
            ("time", self.time.as_deref()),
            ("request_id", self.request_id),
            ("client_ip", client_ip.as_deref()),
            ("method", Some(self.method)),
            ("path", Some(self.path)),
            ("mode", Some(self.mode)),
            ("outcome", Some(self.outcome)),
        ];
        out.push('{');
        for (key, value) in texts {
            member(&mut out, key);
            match value {
                Some(v) => write_json_string(&mut out, v),
                None => out.push_str("null"),
            }
        }
        member(&mut out, "status");
        write_json_u64(&mut out, u64::from(self.status));
        member(&mut out, "action");
        write_json_string(&mut out, self.action);
        member(&mut out, "rules");
        write_json_array(&mut out, &self.rules, |out, rule| {
            write_json_string(out, rule)
        });
        for (key, value) in [
            ("policy_id", self.policy_id),
            ("policy_version", self.policy_version),
            ("policy_sha256", self.policy_sha256),
        ] {
            member(&mut out, key);
            write_json_string(&mut out, value);
        }
        member(&mut out, "policy_lists");
        write_json_array(&mut out, self.policy_lists, write_list_version);
        member(&mut out, "hits");
        write_json_array(&mut out, &self.hits, |out, hit| hit.write_json(out));
        member(&mut out, "pii_hashes");
        self.pii_hashes.write_json(&mut out);
        out.push('}');
        out
    }
}

/// An IPv4 address written without `core::fmt`, which costs more than the rest of the record;
/// IPv6 addresses (with their zero compression) through `Display`.
fn ip_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let mut out = String::with_capacity(15);
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                write_json_u64(&mut out, u64::from(octet));
            }
            out
        }
        IpAddr::V6(v6) => v6.to_string(),
    }
}

/// `,"key":`, or `"key":` for the first member.
fn member(out: &mut String, key: &str) {
    if !out.ends_with('{') {
        out.push(',');
    }
    write_json_key(out, key);
}

/// The case of an email address does not change whom it reaches, so it does not change the
/// hash either. (Phone numbers arrive in E.164 form from the policy.)
fn normalise(value: &str) -> String {
    value.to_ascii_lowercase()
}

fn keyed_hash(key: &[u8], value: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty string would only
    // ever appear if that changed.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(value.as_bytes());
            let digest = mac.finalize().into_bytes();
            let mut out = String::with_capacity(12 + 2 * digest.len());
            out.push_str("hmac-sha256:");
            for b in digest {
                for nibble in [b >> 4, b & 0xf] {
                    // A nibble is always a hex digit; `from_digit` writes lower case.
                    out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
                }
            }
            out
        }
        Err(_) => String::new(),
    }
}

/// RFC 3339 UTC time with milliseconds, from milliseconds since the Unix epoch.
pub fn rfc3339(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    // By hand rather than `format!`: this runs on every request.
    let mut out = String::with_capacity(24);
    for (n, width, after) in [
        (y, 4, '-'),
        (m, 2, '-'),
        (d, 2, 'T'),
        (rem / 3600, 2, ':'),
        (rem % 3600 / 60, 2, ':'),
        (rem % 60, 2, '.'),
        (ms, 3, 'Z'),
    ] {
        push_padded(&mut out, n, width);
        out.push(after);
    }
    out
}

/// Appends `n` in decimal, zero-padded to `width` characters as `format!("{n:0width$}")`
/// pads it (the sign counts towards the width).
fn push_padded(out: &mut String, n: i64, width: usize) {
    if n < 0 {
        out.push('-');
    }
    write_json_u64_padded(
        out,
        n.unsigned_abs(),
        width.saturating_sub(usize::from(n < 0)),
    );
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339(1_798_761_599_999), "2026-12-31T23:59:59.999Z");
        // Years past 9999 and before year 0 come out as `format!("{y:04}")` writes them.
        assert_eq!(rfc3339(253_402_300_800_000), "10000-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(-62_198_755_200_000), "-001-01-01T00:00:00.000Z");
    }

    #[test]
    fn client_addresses_are_written_as_display_writes_them() {
        for ip in [
            "0.0.0.0",
            "192.0.2.1",
            "255.255.255.255",
            "10.0.10.100",
            "2001:db8::1",
            "::ffff:192.0.2.1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(ip_text(ip), ip.to_string());
        }
    }

    #[test]
    fn keyed_hash_is_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            keyed_hash(b"Jefe", "what do ya want for nothing?"),
            "hmac-sha256:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hashes_ignore_the_case_of_emails_and_skip_unread_fields() {
        let key = b"0123456789abcdef";
        let hashes = |email: &str| match PiiHashes::of_values(
            key,
            [
                ("customer.email", Some(email.to_string())),
                ("customer.phone", None),
            ]
            .into_iter(),
        ) {
            PiiHashes::Hashes(h) => h,
            PiiHashes::Disabled => panic!("a key was given"),
        };
        let lower = hashes("dana@example.com");
        assert_eq!(lower, hashes("Dana@Example.COM"));
        assert_eq!(lower.len(), 1);
        assert_eq!(lower[0].0, "customer.email");
        assert_ne!(lower, hashes("other@example.com"));
    }
}
