//! Shaping `rules:`: each rule's id (well-formed, unique, not reserved), outcome and code,
//! what it requires or when it fires, the field it is about, its message and citation.

use super::super::diagnostics::Position;
use super::super::error_codes::ErrorCode;
use super::super::syntax::RuleSyntax;
use super::super::values::{ReadValues, Report};
use super::super::vocabulary::{RULE_CODES, RULE_KEYS, RULE_OUTCOMES};
use super::super::yaml::Node;
use super::{get, is_identifier, Shape};
use std::collections::HashMap;

impl Shape {
    pub(super) fn rules(&mut self, node: &Node) -> Vec<RuleSyntax> {
        let mut rules = Vec::new();
        let mut seen: HashMap<String, Position> = HashMap::new();
        for item in self.sequence(node, "`rules`").unwrap_or_default() {
            let Some(d) = self.mapping(item, "a rule") else {
                continue;
            };
            // A rule's errors go with it (see `RuleSyntax::errors`).
            let outside = std::mem::take(&mut self.errors);
            let mut rule = self.rule(item, d, &mut seen);
            rule.errors = std::mem::replace(&mut self.errors, outside);
            rules.push(rule);
        }
        rules
    }

    fn rule(
        &mut self,
        item: &Node,
        d: &[(super::super::yaml::Key, Node)],
        seen: &mut HashMap<String, Position>,
    ) -> RuleSyntax {
        self.known_keys(d, RULE_KEYS, "a rule");
        let id = match get(d, "id") {
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
        if let (Some(id), Some(n)) = (&id, get(d, "id")) {
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
                    format!("rule ids starting with `input.` or `document.` are reserved (`{id}`)"),
                );
            } else {
                seen.insert(id.clone(), n.at);
            }
        }
        let outcome = match get(d, "outcome")
            .and_then(|n| self.text(n, "`outcome`"))
            .as_deref()
        {
            Some(text) => {
                let at = get(d, "outcome").map_or(item.at, |n| n.at);
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
        let for_each = get(d, "for_each").and_then(|n| self.name(n, "a field name"));
        let require = get(d, "require").and_then(|n| self.name(n, "a field name"));
        let when = get(d, "when").and_then(|n| self.cond(n));
        let field = get(d, "field").map(|n| self.name(n, "a field name"));
        let tests = get(d, "require").is_some() || get(d, "when").is_some();
        if !tests {
            self.error_help(
                ErrorCode::RuleUnclear,
                item.at,
                "this rule has neither `require` nor `when`, so it would fire on every signup",
                "add `require: FIELD` or a `when:` condition",
            );
        }
        let code = get(d, "code").map(|n| {
            let text = self.text(n, "`code`");
            text.and_then(|t| self.closed_word(&t, RULE_CODES, |c| c.as_str(), n.at, "code"))
        });
        // The message and citation are read after the checks of the rule's other parts.
        let outside = std::mem::take(&mut self.errors);
        let message = match get(d, "message") {
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
        let citation = match get(d, "citation") {
            Some(n) => self.nonblank(n, "`citation`"),
            None => {
                self.error_help(
                    ErrorCode::MissingKey,
                    item.at,
                    "this rule has no `citation`",
                    "cite the source the rule implements, e.g. `89 FR 5698, Customer Identification Program`",
                );
                None
            }
        };
        let text_errors = std::mem::replace(&mut self.errors, outside);
        RuleSyntax {
            at: item.at,
            id,
            outcome,
            code,
            for_each,
            require,
            when,
            when_at: get(d, "when").map_or(item.at, |n| n.at),
            field,
            tests,
            message,
            citation,
            errors: Vec::new(),
            text_errors,
        }
    }
}
