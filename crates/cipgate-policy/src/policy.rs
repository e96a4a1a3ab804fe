//! A loaded compiled policy: the compiled form plus what is derived from it once (its
//! sha256 and its regular expressions), ready to evaluate many requests.

use crate::decision::{Decision, PolicyRef, RejectReason};
use crate::formats::PostalCodes;
use crate::ir::{PolicyIr, COMPILED_FORMAT};
use regex::Regex;
use sha2::{Digest, Sha256};
use std::fmt;
use std::net::IpAddr;

/// What the gateway knows about a request besides its body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayFacts {
    pub client_ip: Option<IpAddr>,
    /// The client's country as geolocated by a trusted component in front of the filter.
    pub geo_country: Option<String>,
    /// Seconds since the Unix epoch.
    pub time: Option<i64>,
}

/// One signup as it reaches a runtime.
#[derive(Debug, Clone, Copy)]
pub struct SignupRequest<'a> {
    pub body: &'a [u8],
    /// The `Content-Type` header, verbatim.
    pub content_type: Option<&'a str>,
    pub facts: &'a GatewayFacts,
}

/// A compiled policy ready for evaluation.
#[derive(Debug)]
pub struct CompiledPolicy {
    pub(crate) ir: PolicyIr,
    pub(crate) sha256: String,
    pub(crate) patterns: Vec<Regex>,
    pub(crate) postal_codes: PostalCodes,
}

/// Why a compiled form could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    Malformed(String),
    UnknownFormat(u32),
    BadPattern { index: usize, error: String },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Malformed(e) => write!(f, "the compiled policy is malformed: {e}"),
            LoadError::UnknownFormat(v) => write!(
                f,
                "the compiled policy has format {v}; this runtime reads format {COMPILED_FORMAT}"
            ),
            LoadError::BadPattern { index, error } => {
                write!(
                    f,
                    "pattern {index} of the compiled policy does not compile: {error}"
                )
            }
        }
    }
}

impl std::error::Error for LoadError {}

impl CompiledPolicy {
    /// Loads the compiled form written by the compiler (`cipgate compile --emit`).
    pub fn load(compiled: &[u8]) -> Result<CompiledPolicy, LoadError> {
        let ir: PolicyIr =
            serde_json::from_slice(compiled).map_err(|e| LoadError::Malformed(e.to_string()))?;
        if ir.format != COMPILED_FORMAT {
            return Err(LoadError::UnknownFormat(ir.format));
        }
        let sha256 = hex(&Sha256::digest(compiled));
        CompiledPolicy::from_ir(ir, sha256)
    }

    pub(crate) fn from_ir(ir: PolicyIr, sha256: String) -> Result<CompiledPolicy, LoadError> {
        let patterns = ir
            .patterns
            .iter()
            .enumerate()
            .map(|(index, p)| {
                Regex::new(p).map_err(|e| LoadError::BadPattern {
                    index,
                    error: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CompiledPolicy {
            ir,
            sha256,
            patterns,
            postal_codes: PostalCodes::default(),
        })
    }

    pub fn id(&self) -> &str {
        &self.ir.meta.id
    }

    pub fn version(&self) -> &str {
        &self.ir.meta.version
    }

    /// The sha256 of the compiled form, in lower-case hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    pub fn ir(&self) -> &PolicyIr {
        &self.ir
    }

    pub fn policy_ref(&self) -> PolicyRef {
        PolicyRef {
            id: self.ir.meta.id.clone(),
            version: self.ir.meta.version.clone(),
            sha256: self.sha256.clone(),
        }
    }

    /// The largest body the policy accepts; larger ones are rejected with 413.
    pub fn max_body_bytes(&self) -> usize {
        usize::try_from(self.ir.input.max_body_bytes).unwrap_or(usize::MAX)
    }

    /// Every rule id a decision of this policy can name: policy rules, field validity rules
    /// and reject reasons. Runtimes use it to define one metric per rule up front.
    pub fn rule_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.ir.rules.iter().map(|r| r.id.as_str()).collect();
        ids.extend(self.ir.fields.iter().map(|f| f.invalid.rule.as_str()));
        ids.extend(
            crate::decision::ALL_REJECT_REASONS
                .iter()
                .map(|r| r.rule_id()),
        );
        ids
    }

    /// Decides one signup.
    pub fn evaluate(&self, request: &SignupRequest<'_>) -> Decision {
        crate::eval::evaluate(self, request, &[]).0
    }

    /// Decides one signup and returns, beside the decision, the values of the top-level
    /// fields `read` (indices from [`CompiledPolicy::field_index`]) as the policy read them:
    /// valid values only, phone numbers in E.164 form. Audit records hash these without
    /// decoding the body a second time.
    pub fn evaluate_reading(
        &self,
        request: &SignupRequest<'_>,
        read: &[usize],
    ) -> (Decision, Vec<Option<String>>) {
        crate::eval::evaluate(self, request, read)
    }

    /// The index of a top-level field declared by the policy.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.ir
            .fields
            .iter()
            .position(|f| f.name == name && f.list.is_none())
    }

    /// The decision for a request the runtime refuses before evaluation (a body over the
    /// runtime's limit, a content encoding it cannot read). Rules about gateway facts alone
    /// are still decided, so a restricted client country is still denied.
    pub fn reject(&self, reason: RejectReason, facts: &GatewayFacts) -> Decision {
        crate::eval::reject(self, reason, facts)
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
