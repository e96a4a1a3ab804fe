//! The evaluator: decodes the body strictly, reads each declared field once, then decides
//! every rule and lists every violation.

mod conditions;
mod lists;
mod screening;
mod signup;

use crate::decision::{Code, Decision, Outcome, RejectReason, Violation, REJECT_CITATION};
use crate::document::{self, Limits};
use crate::policy::{CompiledPolicy, GatewayFacts, SignupRequest};
use conditions::Ctx;
use signup::{Signup, Slot};
use std::borrow::Cow;

// The deciding methods live beside the evaluator, so that `policy.rs` (the loaded policy) does
// not depend on this module, which reads it.
impl CompiledPolicy {
    /// Decides one signup.
    pub fn evaluate(&self, request: &SignupRequest<'_>) -> Decision<'_> {
        evaluate(self, request, &[]).0
    }

    /// Decides one signup and returns, beside the decision, the values of the top-level
    /// fields `read` (indices from [`CompiledPolicy::field_index`]) as the policy read them:
    /// valid values only, phone numbers in E.164 form. Audit records hash these without
    /// decoding the body a second time.
    pub fn evaluate_reading(
        &self,
        request: &SignupRequest<'_>,
        read: &[usize],
    ) -> (Decision<'_>, Vec<Option<String>>) {
        evaluate(self, request, read)
    }

    /// The decision for a request the runtime refuses before evaluation (a body over the
    /// runtime's limit, a content encoding it cannot read). Rules about gateway facts alone
    /// are still decided, so a restricted client country is still denied.
    pub fn reject(&self, reason: RejectReason, facts: &GatewayFacts) -> Decision<'_> {
        reject(self, reason, facts)
    }
}

/// Decides a signup; also returns the values of the top-level fields `read` as the policy
/// read them (valid values only, phone numbers in E.164 form), `None` for the others.
fn evaluate<'p>(
    policy: &'p CompiledPolicy,
    request: &SignupRequest<'_>,
    read: &[usize],
) -> (Decision<'p>, Vec<Option<String>>) {
    let unread = || vec![None; read.len()];
    let input = &policy.ir.input;
    let format = match document::body_format(request.content_type, &input.content_types) {
        Ok(f) => f,
        Err(reason) => return (reject(policy, reason, request.facts), unread()),
    };
    let limits = Limits {
        max_bytes: policy.max_body_bytes(),
        max_depth: usize::try_from(input.max_depth).unwrap_or(usize::MAX),
    };
    let document = match document::decode(request.body, format, &limits) {
        Ok(v) => v,
        Err(reason) => return (reject(policy, reason, request.facts), unread()),
    };
    let (locale, tag) = policy.locale(request.facts.accept_language.as_deref());
    let signup = Signup::read(policy, &document, format);
    let mut violations = Vec::new();
    signup.invalid_fields(locale, &mut violations);
    let ctx = Ctx::new(policy, &signup, request.facts, locale);
    for rule in &policy.ir.rules {
        ctx.rule(rule, &mut violations);
    }
    let values = read
        .iter()
        .map(|&f| match signup.slot(f, None) {
            Slot::Valid(value) => value.text().map(str::to_string),
            _ => None,
        })
        .collect();
    (
        Decision::from_violations(violations, tag, policy.policy_ref()),
        values,
    )
}

fn reject<'p>(
    policy: &'p CompiledPolicy,
    reason: RejectReason,
    facts: &GatewayFacts,
) -> Decision<'p> {
    let (locale, tag) = policy.locale(facts.accept_language.as_deref());
    let mut violations = vec![Violation {
        rule: Cow::Borrowed(reason.rule_id()),
        field: None,
        code: Code::Rejected,
        outcome: Outcome::Reject,
        message: Cow::Borrowed(reason.message(tag)),
        citation: Cow::Borrowed(REJECT_CITATION),
        hit: None,
    }];
    let empty = Signup::empty(policy);
    let ctx = Ctx::new(policy, &empty, facts, locale);
    for rule in policy.ir.rules.iter().filter(|r| r.facts_only) {
        ctx.rule(rule, &mut violations);
    }
    Decision::from_violations(violations, tag, policy.policy_ref())
}
