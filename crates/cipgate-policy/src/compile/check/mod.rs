//! The check pass: names resolved (fields in scope, lists, named conditions), types checked,
//! list files read through [`ListFiles`], on the syntax tree (`syntax/`), never on YAML.
//! Checking a part and making its compiled form (`crate::ir`) are one traversal: the
//! compiled form is the resolved indices the checks find, and a second walk would repeat
//! every lookup. The policy is then put together by `emit.rs`.

mod conditions;
mod fields;
mod lists;
mod rules;
#[cfg(test)]
mod tests;

use super::diagnostics::Diagnostic;
use super::syntax::{CondSyntax, PolicySyntax};
use super::values::Report;
use super::ListFiles;
use crate::ir::{Field, ListVersion, NamedCond, NamedList, Rule};
use std::collections::HashMap;

/// The checked policy, in its compiled form but for the meta and input, which need no check.
pub(super) struct Checked {
    /// The shape errors given, and the check's.
    pub errors: Vec<Diagnostic>,
    pub fields: Vec<Field>,
    pub lists: Vec<NamedList>,
    pub list_versions: Vec<ListVersion>,
    pub patterns: Vec<String>,
    pub named: Vec<NamedCond>,
    pub rules: Vec<Rule>,
}

/// Checks `policy`, whose shape errors (outside its rules) are `errors`.
pub(super) fn policy(
    policy: &PolicySyntax,
    errors: Vec<Diagnostic>,
    files: &dyn ListFiles,
) -> Checked {
    let mut c = Checker {
        errors,
        fields: Vec::new(),
        field_index: HashMap::new(),
        lists: Vec::new(),
        list_index: HashMap::new(),
        list_versions: Vec::new(),
        unreadable_lists: Vec::new(),
        patterns: Vec::new(),
        conditions: policy.conditions.iter().cloned().collect(),
        named: Vec::new(),
        expanding: Vec::new(),
        files,
    };
    if let Some(input) = &policy.input {
        c.declare_fields(&input.fields, None);
    }
    c.lists(&policy.lists);
    let rules = c.rules(&policy.rules);
    Checked {
        errors: c.errors,
        fields: c.fields,
        lists: c.lists,
        list_versions: c.list_versions,
        patterns: c.patterns,
        named: c.named,
        rules,
    }
}

struct Checker<'f> {
    errors: Vec<Diagnostic>,
    fields: Vec<Field>,
    field_index: HashMap<String, usize>,
    lists: Vec<NamedList>,
    list_index: HashMap<String, usize>,
    list_versions: Vec<ListVersion>,
    /// Lists whose errors are reported already: tests of them add none.
    unreadable_lists: Vec<String>,
    patterns: Vec<String>,
    /// The named conditions as the shape pass read them (`None`: reported already).
    conditions: HashMap<String, Option<CondSyntax>>,
    named: Vec<NamedCond>,
    /// Named conditions being expanded, to report cycles.
    expanding: Vec<String>,
    files: &'f dyn ListFiles,
}

/// Which list elements field names may refer to at a point of a rule.
#[derive(Debug, Clone, Default)]
struct Scope {
    items_of: Vec<usize>,
}

impl Report for Checker<'_> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.errors.push(diagnostic);
    }
}
