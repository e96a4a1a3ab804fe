//! Checking `rules:`: the fields a rule iterates, requires and is about resolved in its
//! scope, its condition checked, its default code; then its compiled form.

use super::super::diagnostics::Position;
use super::super::error_codes::ErrorCode;
use super::super::syntax::RuleSyntax;
use super::super::values::Report;
use super::{Checker, Scope};
use crate::compile::emit;
use crate::decision::{Code, Outcome};
use crate::image::{named_facts_only, reads_facts_only};
use crate::ir::{Cond, FieldType, NamedCond, Predicate, Rule, Subject};

impl Checker<'_> {
    pub(super) fn rules(&mut self, rules: &[RuleSyntax]) -> Vec<Rule> {
        rules.iter().filter_map(|r| self.rule(r)).collect()
    }

    /// A rule's shape errors are reported with its checks, in the order of the rule's parts
    /// (see `RuleSyntax::errors`).
    fn rule(&mut self, r: &RuleSyntax) -> Option<Rule> {
        self.errors.extend(r.errors.iter().cloned());
        let mut scope = Scope::default();
        let for_each = r.for_each.as_ref().and_then(|name| {
            let list = self.field_in_scope(name, &scope)?;
            if !matches!(
                self.fields.get(list).map(|f| &f.ty),
                Some(FieldType::List { .. })
            ) {
                self.error(
                    ErrorCode::TypeMismatch,
                    name.at,
                    "`for_each` needs a field of `type: list`",
                );
            }
            scope.items_of.push(list);
            Some(list)
        });
        let require = r
            .require
            .as_ref()
            .and_then(|n| self.field_in_scope(n, &scope));
        let when = r.when.as_ref().and_then(|c| self.cond(c, &scope));
        let field = match &r.field {
            Some(name) => name.as_ref().and_then(|n| self.field_in_scope(n, &scope)),
            None => require.or_else(|| when.as_ref().and_then(|w| single_field(w, &self.named))),
        };
        let code = match r.code {
            Some(code) => code,
            None => Some(match (require.is_some(), r.outcome) {
                (true, _) => Code::Missing,
                (false, Some(Outcome::Deny)) => Code::Restricted,
                (false, Some(Outcome::Review)) => Code::Flagged,
                _ => Code::Inconsistent,
            }),
        };
        let facts_only = require.is_none()
            && for_each.is_none()
            && when
                .as_ref()
                .is_some_and(|w| reads_facts_only(w, &named_facts_only(&self.named)));
        if field.is_none() && !facts_only && r.tests && !self.errors_since_rule(r.at) {
            self.error_help(
                ErrorCode::RuleUnclear,
                r.at,
                "say which field this rule is about",
                "add `field: NAME`: the form shows the message next to that field",
            );
        }
        if let (Some(f), Some(w)) = (require, &when) {
            if requires_present(w, f) {
                self.error(ErrorCode::NeverTrue, r.when_at, "this rule can never fire: it requires the field to be absent while `when` requires it to be present");
            }
        }
        self.errors.extend(r.text_errors.iter().cloned());
        Some(Rule {
            id: r.id.clone()?,
            outcome: r.outcome?,
            code: code?,
            for_each,
            require,
            field,
            when,
            message: emit::localized(r.message.as_ref()?),
            citation: r.citation.clone()?,
            facts_only,
        })
    }

    /// Whether an error was already reported inside the rule starting at `at`, so that a
    /// follow-on complaint would only repeat it.
    pub(super) fn errors_since_rule(&self, at: Position) -> bool {
        self.errors.iter().any(|e| e.at >= at)
    }
}

/// The field of a condition that tests a single field, to name in its violations.
fn single_field(cond: &Cond, named: &[NamedCond]) -> Option<usize> {
    match cond {
        Cond::Named(i) => named.get(*i).and_then(|n| single_field(&n.cond, named)),
        Cond::Test {
            subject: Subject::Field(f) | Subject::CallingCountry(f) | Subject::SubdivisionCountry(f),
            ..
        } => Some(*f),
        _ => None,
    }
}

/// Whether `cond` can only hold when field `f` is present (a top-level `present: true` test
/// of it, possibly under `all`).
fn requires_present(cond: &Cond, f: usize) -> bool {
    match cond {
        Cond::All(cs) => cs.iter().any(|c| requires_present(c, f)),
        Cond::Test {
            subject: Subject::Field(g),
            predicate: Predicate::Present(true),
        } => *g == f,
        _ => false,
    }
}
