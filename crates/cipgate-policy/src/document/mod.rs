//! Strict decoders for signup bodies: JSON (RFC 8259) and HTML form encoding, into one
//! [`Value`] tree. Anything that two parsers could read differently is rejected, never
//! skipped: a gateway and a backend that disagree on a value is a bypass.

mod form;
mod json;

pub(crate) use form::percent_decode;

use crate::decision::RejectReason;
use crate::ir::BodyFormat;
use crate::value::Value;
use std::borrow::Cow;

/// Bounds on a body, from the policy's `input` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest body accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of objects and lists; a top-level object is depth 1.
    pub max_depth: usize,
}

/// Parses a Content-Type header value and checks it is one of `accepted`.
///
/// `application/json` and `application/x-www-form-urlencoded`, type/subtype
/// case-insensitive, optional whitespace around `;`; the only parameter allowed is `charset`
/// with value `utf-8` (case-insensitive, may be quoted), at most once. Any other parameter,
/// another charset, a missing header, multipart, `text/plain`, `+json` suffixes etc. give
/// [`RejectReason::UnsupportedContentType`].
pub fn body_format(
    content_type: Option<&str>,
    accepted: &[BodyFormat],
) -> Result<BodyFormat, RejectReason> {
    let unsupported = RejectReason::UnsupportedContentType;
    let mut parts = content_type.ok_or(unsupported)?.split(';');
    let media_type = parts.next().unwrap_or_default().trim_matches(is_ows);
    let format = if media_type.eq_ignore_ascii_case("application/json") {
        BodyFormat::Json
    } else if media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        BodyFormat::Form
    } else {
        return Err(unsupported);
    };
    let mut charset_seen = false;
    for parameter in parts {
        let parameter = parameter.trim_matches(is_ows);
        // RFC 9110 allows empty parameters (`application/json;`); they say nothing.
        if parameter.is_empty() {
            continue;
        }
        // No whitespace around `=` (RFC 9110), so `charset = utf-8` is not a charset.
        let (name, value) = parameter.split_once('=').ok_or(unsupported)?;
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        // A second charset, even an equal one, is a header nobody should send: reject it
        // rather than guess which one a backend honours.
        if charset_seen
            || !name.eq_ignore_ascii_case("charset")
            || !value.eq_ignore_ascii_case("utf-8")
        {
            return Err(unsupported);
        }
        charset_seen = true;
    }
    if accepted.contains(&format) {
        Ok(format)
    } else {
        Err(unsupported)
    }
}

/// Decodes a body of the given format, or says why it cannot be judged safely.
///
/// The size limit is checked before anything else, so an oversized body is never parsed.
pub fn decode<'b>(
    body: &'b [u8],
    format: BodyFormat,
    limits: &Limits,
) -> Result<Value<'b>, RejectReason> {
    if body.len() > limits.max_bytes {
        return Err(RejectReason::TooLarge);
    }
    match format {
        BodyFormat::Json => json::decode(body, limits.max_depth),
        BodyFormat::Form => form::decode(body, limits.max_depth),
    }
}

/// A key as the most lenient back ends match it. Go's `encoding/json` matches keys to
/// fields with Unicode case folding (`Country`, `COUNTRY` and `country` are one field, and
/// so are `kind` and `\u{212a}ind` with a Kelvin sign) and keeps the last value; ASP.NET Core
/// binds case-insensitively too. Keys that fold alike are one field to such a back end, so
/// the decoders treat them as duplicates: otherwise `{"country":"DE","Country":"IR"}` would
/// read DE here and IR there. Back ends that keep keys as C strings end them at the first
/// NUL, so `country\u0000x` is `country` to them, and here.
pub(crate) fn folded_key(key: &str) -> Cow<'_, str> {
    let key = key.split('\0').next().unwrap_or_default();
    if is_folded(key) {
        return Cow::Borrowed(key);
    }
    // Lower, upper, lower: maps every member of a case-folding orbit (`ẞ`/`ß`/`ss`,
    // `ſ`/`s`, `K`/`k`, `ς`/`σ`) to one string. It may join more than simple folding does;
    // a signup never needs two keys that differ only so.
    Cow::Owned(
        key.chars()
            .flat_map(char::to_lowercase)
            .flat_map(char::to_uppercase)
            .flat_map(char::to_lowercase)
            .collect(),
    )
}

/// Whether [`folded_key`] gives `key` back as it is: ASCII without capitals or NUL, what
/// almost every key is, so callers can compare such keys without folding them.
pub(crate) fn is_folded(key: &str) -> bool {
    key.bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase() && b != 0)
}

/// Optional whitespace of HTTP (RFC 9110): space and horizontal tab.
fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: [BodyFormat; 2] = [BodyFormat::Json, BodyFormat::Form];

    fn format(content_type: &str) -> Result<BodyFormat, RejectReason> {
        body_format(Some(content_type), &BOTH)
    }

    /// A string value, for the decoders' tests.
    pub(super) fn string(s: &str) -> Value<'static> {
        Value::String(s.to_owned().into())
    }

    /// An object value of these members, in this order.
    pub(super) fn object(members: &[(&str, Value<'static>)]) -> Value<'static> {
        Value::Object(
            members
                .iter()
                .map(|(k, v)| ((*k).to_owned().into(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn json_content_types_accepted() {
        for ct in [
            "application/json",
            "Application/JSON",
            "application/json; charset=UTF-8",
            "application/json;charset=utf-8",
            "application/json ;\tcharset=\"utf-8\"",
            "application/json;",
        ] {
            assert_eq!(format(ct), Ok(BodyFormat::Json), "{ct}");
        }
    }

    #[test]
    fn form_content_types_accepted() {
        for ct in [
            "application/x-www-form-urlencoded",
            "application/X-WWW-Form-Urlencoded; charset=utf-8",
        ] {
            assert_eq!(format(ct), Ok(BodyFormat::Form), "{ct}");
        }
    }

    #[test]
    fn other_content_types_rejected() {
        for ct in [
            "application/json; charset=latin1",
            "application/json; charset=utf8",
            "application/json;foo=bar",
            "application/json; charset=utf-8; charset=utf-8",
            "application/json; charset = utf-8",
            "application/json; charset=\"utf-8",
            "application/json; charset",
            "multipart/form-data; boundary=x",
            "text/plain",
            "application/merge-patch+json",
            "application/json, text/plain",
            "application / json",
            "application/jsonx",
            "",
        ] {
            assert_eq!(
                format(ct),
                Err(RejectReason::UnsupportedContentType),
                "{ct}"
            );
        }
        assert_eq!(
            body_format(None, &BOTH),
            Err(RejectReason::UnsupportedContentType)
        );
    }

    #[test]
    fn only_accepted_formats_pass() {
        assert_eq!(
            body_format(Some("application/json"), &[BodyFormat::Form]),
            Err(RejectReason::UnsupportedContentType)
        );
        assert_eq!(
            body_format(
                Some("application/x-www-form-urlencoded"),
                &[BodyFormat::Json]
            ),
            Err(RejectReason::UnsupportedContentType)
        );
        assert_eq!(
            body_format(Some("application/json"), &[BodyFormat::Json]),
            Ok(BodyFormat::Json)
        );
    }

    #[test]
    fn size_is_checked_before_parsing() {
        let limits = Limits {
            max_bytes: 8,
            max_depth: 4,
        };
        // Nine bytes of garbage: the size decides, not the syntax.
        for format in BOTH {
            assert_eq!(
                decode(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff", format, &limits),
                Err(RejectReason::TooLarge)
            );
        }
        assert_eq!(
            decode(b"{\"a\":123}", BodyFormat::Json, &limits),
            Err(RejectReason::TooLarge)
        );
        assert!(decode(b"{\"a\":12}", BodyFormat::Json, &limits).is_ok());
        assert!(decode(b"a=123456", BodyFormat::Form, &limits).is_ok());
    }
}
