//! The decision: the one JSON shape that every runtime emits byte for byte.

// The outcomes and codes of rules are the policy's words; a decision reports them.
use crate::ir::ListVersion;
pub use crate::ir::{Code, Outcome};
use crate::json_text::{write_array, write_key, write_str, write_text_members, write_u64};
use serde::Serialize;
use std::borrow::Cow;

/// Why a document cannot be judged safely. Each reason has a fixed HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    NotUtf8,
    ByteOrderMark,
    MalformedJson,
    TrailingData,
    DuplicateKey,
    TooDeep,
    TooLarge,
    NonFiniteNumber,
    InvalidEscape,
    MalformedForm,
    AmbiguousFormKeys,
    UnsupportedContentType,
    UnsupportedEncoding,
    MissingBody,
    /// A query parameter names a policy field (see [`crate::query`]).
    QueryNamesField,
    /// The gateway refuses every query string on the route.
    QueryString,
    /// A query parameter's name does not decode.
    MalformedQuery,
}

impl RejectReason {
    /// The rule id under which the reason appears in a decision.
    pub fn rule_id(self) -> &'static str {
        match self {
            RejectReason::NotUtf8 => "document.not-utf8",
            RejectReason::ByteOrderMark => "document.byte-order-mark",
            RejectReason::MalformedJson => "document.malformed-json",
            RejectReason::TrailingData => "document.trailing-data",
            RejectReason::DuplicateKey => "document.duplicate-key",
            RejectReason::TooDeep => "document.too-deep",
            RejectReason::TooLarge => "document.too-large",
            RejectReason::NonFiniteNumber => "document.non-finite-number",
            RejectReason::InvalidEscape => "document.invalid-escape",
            RejectReason::MalformedForm => "document.malformed-form",
            RejectReason::AmbiguousFormKeys => "document.ambiguous-form-keys",
            RejectReason::UnsupportedContentType => "document.unsupported-content-type",
            RejectReason::UnsupportedEncoding => "document.unsupported-content-encoding",
            RejectReason::MissingBody => "document.missing-body",
            RejectReason::QueryNamesField => "request.query-names-field",
            RejectReason::QueryString => "request.query-string",
            RejectReason::MalformedQuery => "request.malformed-query",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            RejectReason::TooLarge => 413,
            RejectReason::UnsupportedContentType | RejectReason::UnsupportedEncoding => 415,
            _ => 400,
        }
    }
}

/// Citation given for reject reasons: they come from the gateway's own safety rules.
pub const REJECT_CITATION: &str =
    "cipgate: ambiguous or unreadable input is rejected, never skipped (docs/security.md)";

/// One failed rule, as shown to a person and recorded for audit. Its texts borrow from the
/// policy that decided (`'p`), so deciding copies none of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation<'p> {
    pub rule: Cow<'p, str>,
    /// The field the rule is about, as a dotted path with list indices
    /// (`beneficial_owners.1.address.country`); absent for rules about gateway facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<Cow<'p, str>>,
    pub code: Code,
    pub outcome: Outcome,
    pub message: Cow<'p, str>,
    pub citation: Cow<'p, str>,
    /// The listed party a screened name matched, for rules on names lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hit: Option<Hit<'p>>,
}

/// A name that screening matched to a listed party: which list and entry, the listed name,
/// the listed name or alias that matched, and how well.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit<'p> {
    pub list: &'p str,
    pub entry: &'p str,
    pub listed_name: &'p str,
    pub matched_name: &'p str,
    #[serde(serialize_with = "score_as_fraction")]
    pub score: u16,
}

/// Scores are kept in thousandths and shown as fractions (0.92): integer arithmetic gives
/// every runtime the same score, and the text is serde_json's for the same fraction.
fn score_as_fraction<S: serde::Serializer>(score: &u16, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(f64::from(*score) / 1000.0)
}

impl Hit<'_> {
    /// `{"list":…,"entry":…,"listed_name":…,"matched_name":…,"score":0.93}`, as in decisions.
    pub fn write_json(&self, out: &mut String) {
        out.push('{');
        write_text_members(
            out,
            &[
                ("list", self.list),
                ("entry", self.entry),
                ("listed_name", self.listed_name),
                ("matched_name", self.matched_name),
            ],
        );
        out.push(',');
        write_key(out, "score");
        write_fraction(out, self.score);
        out.push('}');
    }
}

/// Thousandths as the shortest decimal fraction, as serde_json writes an f64: `0.92`, `1.0`.
fn write_fraction(out: &mut String, thousandths: u16) {
    write_u64(out, u64::from(thousandths / 1000));
    out.push('.');
    let part = thousandths % 1000;
    let digits = [part / 100, part / 10 % 10, part % 10];
    let shown = digits
        .iter()
        .rposition(|d| *d != 0)
        .map_or(1, |last| last + 1);
    for d in digits.iter().take(shown) {
        write_u64(out, u64::from(*d));
    }
}

impl Violation<'_> {
    fn write_json(&self, out: &mut String) {
        out.push('{');
        write_key(out, "rule");
        write_str(out, &self.rule);
        if let Some(field) = &self.field {
            out.push(',');
            write_key(out, "field");
            write_str(out, field);
        }
        for (key, value) in [
            ("code", self.code.as_str()),
            ("outcome", self.outcome.as_str()),
            ("message", &self.message),
            ("citation", &self.citation),
        ] {
            out.push(',');
            write_key(out, key);
            write_str(out, value);
        }
        if let Some(hit) = &self.hit {
            out.push(',');
            write_key(out, "hit");
            hit.write_json(out);
        }
        out.push('}');
    }
}

/// Which compiled policy made a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyRef<'p> {
    pub id: Cow<'p, str>,
    pub version: Cow<'p, str>,
    pub sha256: Cow<'p, str>,
    /// The versions of the list files the policy was compiled with.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub lists: &'p [ListVersion],
}

impl PolicyRef<'_> {
    /// `{"id":…,"version":…,"sha256":…}`, the `policy` member of every decision.
    pub fn write_json(&self, out: &mut String) {
        out.push('{');
        write_text_members(
            out,
            &[
                ("id", &self.id),
                ("version", &self.version),
                ("sha256", &self.sha256),
            ],
        );
        if !self.lists.is_empty() {
            out.push(',');
            write_key(out, "lists");
            write_array(out, self.lists, write_list_version);
        }
        out.push('}');
    }

    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(128);
        self.write_json(&mut out);
        out
    }
}

/// The result of evaluating one signup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision<'p> {
    pub outcome: Outcome,
    pub status: u16,
    /// The locale every message of the decision is in (one of the policy's).
    pub locale: &'p str,
    pub violations: Vec<Violation<'p>>,
    pub policy: PolicyRef<'p>,
}

impl<'p> Decision<'p> {
    /// Builds a decision from its violations, whose messages are in `locale`; outcome and
    /// status follow from them.
    pub fn from_violations(
        violations: Vec<Violation<'p>>,
        locale: &'p str,
        policy: PolicyRef<'p>,
    ) -> Decision<'p> {
        let outcome = violations
            .iter()
            .map(|v| v.outcome)
            .max()
            .unwrap_or(Outcome::Allow);
        let status = match outcome {
            Outcome::Allow | Outcome::Review => 200,
            Outcome::Incomplete => 422,
            Outcome::Deny => 403,
            Outcome::Reject => violations
                .iter()
                .find_map(|v| reject_status(&v.rule))
                .unwrap_or(400),
        };
        Decision {
            outcome,
            status,
            locale,
            violations,
            policy,
        }
    }

    /// The canonical JSON text. Every runtime emits exactly these bytes; the snapshot tests
    /// in `tests/decisions.rs` pin them.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(256 + 320 * self.violations.len());
        out.push('{');
        write_key(&mut out, "outcome");
        write_str(&mut out, self.outcome.as_str());
        out.push(',');
        write_key(&mut out, "status");
        write_u64(&mut out, u64::from(self.status));
        out.push(',');
        write_key(&mut out, "locale");
        write_str(&mut out, self.locale);
        out.push(',');
        write_key(&mut out, "violations");
        write_array(&mut out, &self.violations, |out, v| v.write_json(out));
        out.push(',');
        write_key(&mut out, "policy");
        self.policy.write_json(&mut out);
        out.push('}');
        out
    }

    /// The ids of the rules that fired, in decision order, without repeats.
    pub fn rule_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for v in &self.violations {
            if !ids.contains(&v.rule.as_ref()) {
                ids.push(&v.rule);
            }
        }
        ids
    }
}

/// `{"list":…,"sha256":…,"entries":…}`, as in a decision's `policy.lists`.
pub fn write_list_version(out: &mut String, v: &ListVersion) {
    out.push('{');
    write_text_members(out, &[("list", &v.list), ("sha256", &v.sha256)]);
    out.push(',');
    write_key(out, "entries");
    write_u64(out, u64::from(v.entries));
    if let Some(published) = &v.published {
        out.push(',');
        write_key(out, "published");
        write_str(out, published);
    }
    out.push('}');
}

fn reject_status(rule: &str) -> Option<u16> {
    ALL_REJECT_REASONS
        .iter()
        .find(|r| r.rule_id() == rule)
        .map(|r| r.status())
}

pub(crate) const ALL_REJECT_REASONS: [RejectReason; 17] = [
    RejectReason::NotUtf8,
    RejectReason::ByteOrderMark,
    RejectReason::MalformedJson,
    RejectReason::TrailingData,
    RejectReason::DuplicateKey,
    RejectReason::TooDeep,
    RejectReason::TooLarge,
    RejectReason::NonFiniteNumber,
    RejectReason::InvalidEscape,
    RejectReason::MalformedForm,
    RejectReason::AmbiguousFormKeys,
    RejectReason::UnsupportedContentType,
    RejectReason::UnsupportedEncoding,
    RejectReason::MissingBody,
    RejectReason::QueryNamesField,
    RejectReason::QueryString,
    RejectReason::MalformedQuery,
];
