//! A loaded compiled policy: the IR read from a validated policy image, its sha256 and its
//! DFA tables, ready to evaluate many requests.

use crate::decision::PolicyRef;
use crate::dfa::Dfa;
pub use crate::image::LoadError;
use crate::image::PostalFormat;
use crate::ir::PolicyIr;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::net::IpAddr;

/// What the gateway knows about a request besides its body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayFacts {
    pub client_ip: Option<IpAddr>,
    /// The client's country as geolocated by a trusted component in front of the filter.
    pub geo_country: Option<String>,
    /// The client's subdivision as an ISO 3166-2 code (`UA-43`), from the same component.
    pub geo_region: Option<String>,
    /// Seconds since the Unix epoch.
    pub time: Option<i64>,
    /// The languages the client asks for: an `Accept-Language` value
    /// (`de-CH, de;q=0.9, en;q=0.5`) or one tag (`de`). The decision's messages are in the
    /// policy's locale that fits best ([`crate::locale::choose`]), else in its default. No
    /// rule reads it: it changes the words of a decision, never its outcome.
    pub accept_language: Option<String>,
}

/// One signup as it reaches a runtime.
#[derive(Debug, Clone, Copy)]
pub struct SignupRequest<'a> {
    pub body: &'a [u8],
    /// The `Content-Type` header, verbatim.
    pub content_type: Option<&'a str>,
    pub facts: &'a GatewayFacts,
}

/// A compiled policy ready for evaluation: a policy image, read and validated.
#[derive(Debug)]
pub struct CompiledPolicy {
    pub(crate) ir: PolicyIr,
    /// The policy's sha256: its image's, or for a browser projection the full policy's.
    pub(crate) sha256: String,
    pub(crate) image_sha256: String,
    /// The policy's patterns as checked DFAs, by pattern index.
    pub(crate) patterns: Vec<Dfa<'static>>,
    /// The postal-code formats as checked DFAs, sorted by country.
    pub(crate) postal_codes: Vec<PostalFormat>,
}

impl CompiledPolicy {
    /// Loads a policy image (`cipgate compile --emit`, or the one inside a module), checking
    /// all of it first: a damaged or inconsistent image is refused, never half-used.
    pub fn load(image: &[u8]) -> Result<CompiledPolicy, LoadError> {
        let decoded = crate::image::decode(image)?;
        let image_sha256 = hex(&Sha256::digest(image));
        Ok(CompiledPolicy {
            sha256: decoded
                .ir
                .meta
                .projection_of
                .map_or_else(|| image_sha256.clone(), |full| hex(&full)),
            image_sha256,
            ir: decoded.ir,
            patterns: decoded.patterns,
            postal_codes: decoded.postal_codes,
        })
    }

    /// Loads the image that `cipgate build` placed in this runtime module.
    pub fn embedded() -> Result<CompiledPolicy, LoadError> {
        CompiledPolicy::load(crate::image::embedded_image().ok_or(LoadError::NoImage)?)
    }

    pub fn id(&self) -> &str {
        &self.ir.meta.id
    }

    pub fn version(&self) -> &str {
        &self.ir.meta.version
    }

    /// The locales the policy's messages are in, its default first.
    pub fn locales(&self) -> &[String] {
        &self.ir.meta.locales
    }

    /// The locale a client asking for `accept_language` gets: its index in
    /// [`CompiledPolicy::locales`] and its tag.
    pub(crate) fn locale(&self, accept_language: Option<&str>) -> (usize, &str) {
        let i = crate::locale::choose(accept_language, &self.ir.meta.locales);
        let tag = self.ir.meta.locales.get(i).map_or("", String::as_str);
        (i, tag)
    }

    /// The policy's sha256, in lower-case hex, as every decision names it: the sha256 of the
    /// policy image (for a browser projection, of the full policy's image).
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The sha256 of the image this policy was loaded from.
    pub fn image_sha256(&self) -> &str {
        &self.image_sha256
    }

    pub fn ir(&self) -> &PolicyIr {
        &self.ir
    }

    pub fn policy_ref(&self) -> PolicyRef<'_> {
        PolicyRef {
            id: Cow::Borrowed(&self.ir.meta.id),
            version: Cow::Borrowed(&self.ir.meta.version),
            sha256: Cow::Borrowed(&self.sha256),
            lists: &self.ir.meta.list_versions,
        }
    }

    /// The largest body the policy accepts; larger ones are rejected with 413.
    pub fn max_body_bytes(&self) -> usize {
        usize::try_from(self.ir.input.max_body_bytes).unwrap_or(usize::MAX)
    }

    /// Every rule id a decision of this policy can name: policy rules, field validity rules
    /// and reject reasons, sorted. Runtimes use it to define one metric per rule up front.
    pub fn rule_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.ir.rules.iter().map(|r| r.id.as_str()).collect();
        ids.extend(self.ir.fields.iter().map(|f| f.invalid.rule.as_str()));
        ids.extend(
            crate::decision::ALL_REJECT_REASONS
                .iter()
                .map(|r| r.rule_id()),
        );
        crate::sort::sort_unstable(&mut ids);
        ids
    }

    /// The index of a top-level field declared by the policy.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.ir
            .fields
            .iter()
            .position(|f| f.name == name && f.list.is_none())
    }
}

impl CompiledPolicy {
    /// Whether `text` matches pattern `i` (an index the validator has checked).
    pub(crate) fn matches(&self, i: usize, text: &str) -> bool {
        self.patterns
            .get(i)
            .is_some_and(|dfa| dfa.is_match(text.as_bytes()))
    }

    /// The postal-code format of `country`, if the tables have one.
    fn postal_format(&self, country: &str) -> Option<&PostalFormat> {
        let key: [u8; 2] = country.as_bytes().try_into().ok()?;
        let i = self
            .postal_codes
            .binary_search_by(|p| p.country.cmp(&key))
            .ok()?;
        self.postal_codes.get(i)
    }

    /// Whether the country has a postal-code format (`uses_postal_code`).
    pub(crate) fn uses_postal_code(&self, country: &str) -> bool {
        self.postal_format(country).is_some()
    }

    /// Whether addresses in the country must have a postal code (`requires_postal_code`).
    pub(crate) fn requires_postal_code(&self, country: &str) -> bool {
        self.postal_format(country).is_some_and(|p| p.required)
    }

    /// Whether `code` is a valid postal code for `country`. Countries without a format
    /// accept any short code of letters, digits, spaces and hyphens.
    pub(crate) fn is_postal_code(&self, country: Option<&str>, code: &str) -> bool {
        let Some(PostalFormat { dfa, .. }) = country.and_then(|c| self.postal_format(c)) else {
            return crate::formats::is_plausible_postal_code(code);
        };
        // The formats match the upper-case form (`SW1A 1AA`); people also type `sw1a 1aa`.
        let mut buffer = [0u8; 16];
        match buffer.get_mut(..code.len()) {
            Some(upper) => {
                upper.copy_from_slice(code.as_bytes());
                upper.make_ascii_uppercase();
                dfa.is_match(upper)
            }
            None => dfa.is_match(code.to_ascii_uppercase().as_bytes()),
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            if let Some(&d) = DIGITS.get(usize::from(nibble)) {
                out.push(char::from(d));
            }
        }
    }
    out
}
