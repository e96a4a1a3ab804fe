//! The examples of `docs/policy-language.md` compile: every ```yaml block that starts with
//! `cipgate: 1` is a full policy.

// Helpers outside `#[test]` functions fail the test by panicking, like the tests themselves.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

mod common;

use cipgate_policy::{compile, CompiledPolicy, Outcome};
use common::*;

/// The ```yaml blocks of the language guide that are full policies.
fn full_policies() -> Vec<String> {
    let path = crate_dir().join("../../docs/policy-language.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match current.as_mut() {
            None if line.trim_end() == "```yaml" => current = Some(String::new()),
            None => {}
            Some(block) if line.trim_end() == "```" => {
                if block.starts_with("cipgate: 1\n") {
                    blocks.push(block.clone());
                }
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    assert!(
        current.is_none(),
        "an unclosed code block in {}",
        path.display()
    );
    blocks
}

fn compiled(block: &str) -> CompiledPolicy {
    match compile("policy-language.md", block) {
        Ok(c) => c.policy,
        Err(d) => panic!("a policy of the language guide does not compile:\n{d}\n{block}"),
    }
}

#[test]
fn every_full_policy_in_the_guide_compiles() {
    let blocks = full_policies();
    assert!(
        blocks.len() >= 4,
        "only {} full policies found",
        blocks.len()
    );
    for block in &blocks {
        compiled(block);
    }
}

#[test]
fn the_first_policy_decides_as_the_guide_says() {
    let blocks = full_policies();
    let first = blocks
        .iter()
        .find(|b| b.contains("\nid: first-policy\n"))
        .expect("the first policy");
    let p = compiled(first);
    let d = json(&p, r#"{"customer": {"address": {"country": "CU"}}}"#);
    assert_outcome(&d, Outcome::Deny, 403);
    assert_eq!(d.rule_ids(), vec!["email-required", "country-restricted"]);
    assert_eq!(d.violations[1].citation, "31 CFR part 515");
}

#[test]
fn the_remapped_policy_reads_the_documented_shape() {
    let blocks = full_policies();
    let remapped = blocks
        .iter()
        .find(|b| b.contains("\nid: remapped\n"))
        .expect("the remapped policy");
    let p = compiled(remapped);
    assert_allow(&json(
        &p,
        r#"{"contact": {"telephone": "+49 30 901820", "address": {"cc": "DE"}}}"#,
    ));
    let d = json(&p, r#"{"contact": {"address": {"cc": "DE"}}}"#);
    assert_eq!(fired(&d), vec![v("phone-required", Some("customer.phone"))]);
}
