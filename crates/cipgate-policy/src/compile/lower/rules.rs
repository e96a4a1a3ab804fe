//! Lowering `rules:`: each rule's id, outcome and code, what it requires or when it fires,
//! the field it is about, its message and citation.

use super::super::diagnostics::Position;
use super::super::error_codes::ErrorCode;
use super::super::values::ReadValues;
use super::super::vocabulary::{RULE_CODES, RULE_KEYS, RULE_OUTCOMES};
use super::super::yaml::Node;
use super::{is_identifier, Lowering, Scope};
use crate::decision::{Code, Outcome};
use crate::image::{named_facts_only, reads_facts_only};
use crate::ir::{Cond, FieldType, NamedCond, Predicate, Rule, Subject};
use std::collections::HashMap;

impl Lowering<'_> {
    pub(super) fn rules(&mut self, node: &Node) -> Vec<Rule> {
        let mut rules: Vec<Rule> = Vec::new();
        let mut seen: HashMap<String, Position> = HashMap::new();
        for item in self.sequence(node, "`rules`").unwrap_or_default() {
            let Some(d) = self.mapping(item, "a rule") else {
                continue;
            };
            self.known_keys(d, RULE_KEYS, "a rule");
            let get = |k: &str| d.iter().find(|(key, _)| key.text == k).map(|(_, v)| v);
            let id = match get("id") {
                Some(n) => self.nonblank(n, "the rule `id`"),
                None => {
                    self.error_help(
                        ErrorCode::MissingKey,
                        item.at,
                        "this rule has no `id`",
                        "give every rule a unique id, like `phone-required`",
                    );
                    None
                }
            };
            if let (Some(id), Some(n)) = (&id, get("id")) {
                if let Some(first) = seen.get(id) {
                    self.error_help(
                        ErrorCode::DuplicateName,
                        n.at,
                        format!(
                            "the rule id `{id}` is used twice (first at line {})",
                            first.line
                        ),
                        "rule ids must be unique: decisions and metrics name rules by id",
                    );
                } else if !is_identifier(id) {
                    self.error_help(
                        ErrorCode::BadName,
                        n.at,
                        format!("the rule id `{id}` has characters that are not allowed"),
                        "use lower-case letters, digits, `-` and `.`",
                    );
                } else if id.starts_with("input.") || id.starts_with("document.") {
                    self.error(
                        ErrorCode::BadName,
                        n.at,
                        format!(
                            "rule ids starting with `input.` or `document.` are reserved (`{id}`)"
                        ),
                    );
                } else {
                    seen.insert(id.clone(), n.at);
                }
            }
            let outcome = match get("outcome")
                .and_then(|n| self.text(n, "`outcome`"))
                .as_deref()
            {
                Some(text) => {
                    let at = get("outcome").map_or(item.at, |n| n.at);
                    self.closed_word(text, RULE_OUTCOMES, |o| o.as_str(), at, "outcome")
                }
                None => {
                    self.error_help(
                        ErrorCode::MissingKey,
                        item.at,
                        "this rule has no `outcome`",
                        "add `outcome: deny`, `incomplete` or `review`",
                    );
                    None
                }
            };
            let mut scope = Scope::default();
            let for_each = match get("for_each") {
                Some(n) => {
                    let list = self.field_in_scope(n, &scope);
                    if let Some(l) = list {
                        if !matches!(
                            self.fields.get(l).map(|f| &f.ty),
                            Some(FieldType::List { .. })
                        ) {
                            self.error(
                                ErrorCode::TypeMismatch,
                                n.at,
                                "`for_each` needs a field of `type: list`",
                            );
                        }
                        scope.items_of.push(l);
                    }
                    list
                }
                None => None,
            };
            let require = get("require").and_then(|n| self.field_in_scope(n, &scope));
            let when = get("when").and_then(|n| self.cond(n, &scope));
            let field = match get("field") {
                Some(n) => self.field_in_scope(n, &scope),
                None => {
                    require.or_else(|| when.as_ref().and_then(|w| single_field(w, &self.named)))
                }
            };
            if get("require").is_none() && get("when").is_none() {
                self.error_help(
                    ErrorCode::RuleUnclear,
                    item.at,
                    "this rule has neither `require` nor `when`, so it would fire on every signup",
                    "add `require: FIELD` or a `when:` condition",
                );
            }
            let code = match get("code") {
                Some(n) => {
                    let text = self.text(n, "`code`");
                    text.and_then(|t| {
                        self.closed_word(&t, RULE_CODES, |c| c.as_str(), n.at, "code")
                    })
                }
                None => Some(match (require.is_some(), outcome) {
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
            if field.is_none()
                && !facts_only
                && (get("require").is_some() || get("when").is_some())
                && !self.errors_since_rule(item.at)
            {
                self.error_help(
                    ErrorCode::RuleUnclear,
                    item.at,
                    "say which field this rule is about",
                    "add `field: NAME`: the form shows the message next to that field",
                );
            }
            if let (Some(r), Some(w)) = (require, &when) {
                if requires_present(w, r) {
                    self.error(ErrorCode::NeverTrue, get("when").map_or(item.at, |n| n.at), "this rule can never fire: it requires the field to be absent while `when` requires it to be present");
                }
            }
            let message = match get("message") {
                Some(n) => self.message(n),
                None => {
                    self.error_help(
                        ErrorCode::MissingKey,
                        item.at,
                        "this rule has no `message`",
                        "add the sentence a person sees when the rule fires",
                    );
                    None
                }
            };
            let citation = match get("citation") {
                Some(n) => self.nonblank(n, "`citation`"),
                None => {
                    self.error_help(ErrorCode::MissingKey, item.at, "this rule has no `citation`", "cite the source the rule implements, e.g. `89 FR 5698, Customer Identification Program`");
                    None
                }
            };
            if let (Some(id), Some(outcome), Some(code), Some(message), Some(citation)) =
                (id, outcome, code, message, citation)
            {
                rules.push(Rule {
                    id,
                    outcome,
                    code,
                    for_each,
                    require,
                    field,
                    when,
                    message,
                    citation,
                    facts_only,
                });
            }
        }
        rules
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
