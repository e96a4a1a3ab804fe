//! Emission: the compiled form (`crate::ir`) of a checked policy. The check pass makes the
//! parts that need its lookups (fields, conditions, rules) as it checks them; here are the
//! parts made from the syntax alone, and the policy put together.

use super::check::Checked;
use super::syntax::{EntrySyntax, Message, PolicySyntax, ScoresSyntax};
use crate::ir::{EntryValue, Input, ListEntry, Localized, Meta, PolicyIr, Screening};
use crate::screening::index;

/// The policy, or `None` if a part it must have is missing (reported).
pub(super) fn policy(syntax: PolicySyntax, checked: Checked) -> Option<PolicyIr> {
    let input = syntax.input?;
    Some(PolicyIr {
        meta: Meta {
            id: syntax.id?,
            version: syntax.version?,
            title: syntax.title?,
            description: syntax.description,
            source: syntax.source?,
            locales: syntax.locales,
            projection_of: None,
            list_versions: checked.list_versions,
        },
        input: Input {
            content_types: input.content_types,
            max_body_bytes: input.max_body_bytes,
            max_depth: input.max_depth,
        },
        fields: checked.fields,
        lists: checked.lists,
        patterns: checked.patterns,
        conditions: checked.named,
        rules: checked.rules,
    })
}

pub(super) fn localized(message: &Message) -> Localized {
    Localized(message.0.clone())
}

pub(super) fn entry(entry: &EntrySyntax) -> ListEntry {
    ListEntry {
        value: entry.value.clone(),
        reason: entry.reason.clone(),
        citation: entry.citation.clone(),
        outcome: entry.outcome,
        message: entry.message.as_ref().map(localized),
        effective: entry.effective,
        expires: entry.expires,
    }
}

/// A names list's scores, and the index of its entries' names.
pub(super) fn screening(scores: &ScoresSyntax, entries: &[ListEntry]) -> Screening {
    let names: Vec<&[Vec<String>]> = entries
        .iter()
        .map(|e| match &e.value {
            EntryValue::Party(p) => p.tokens.as_slice(),
            _ => &[],
        })
        .collect();
    Screening {
        hit_score: scores.hit_score,
        deny_score: scores.deny_score,
        deny_score_with_country: scores.deny_score_with_country,
        deny_score_with_date_of_birth: scores.deny_score_with_date_of_birth,
        index: index::build(&names),
    }
}
