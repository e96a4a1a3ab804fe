//! The image round-trips the IR, refuses damage in every section, and its validator refuses
//! every kind of reference the evaluator would otherwise have to guess about.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::decision::Outcome;
use crate::ir::{Cond, Format, PolicyIr, Predicate, Subject};
use sha2::{Digest, Sha256};

fn default_ir() -> PolicyIr {
    let source = include_str!("../../../../policies/us-iaas-cip.yaml");
    crate::compile("us-iaas-cip.yaml", source)
        .unwrap()
        .policy
        .ir()
        .clone()
}

fn image_of(ir: &PolicyIr) -> Vec<u8> {
    encode(ir).unwrap()
}

/// Rewrites the header's checksum after a deliberate change to the body, so the change
/// reaches the section readers and the validator.
fn reseal(image: &mut [u8]) {
    let digest = Sha256::digest(&image[HEADER_LEN..]);
    image[16..48].copy_from_slice(&digest);
}

/// The byte ranges of the sections' payloads, in file order.
fn sections(image: &[u8]) -> Vec<(Section, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut at = HEADER_LEN;
    for section in Section::ALL {
        assert_eq!(image[at], section as u8);
        let len = u32::from_le_bytes(image[at + 1..at + 5].try_into().unwrap()) as usize;
        out.push((section, at + 5..at + 5 + len));
        at += 5 + len;
    }
    assert_eq!(at, image.len());
    out
}

#[test]
fn the_default_policy_round_trips() {
    let ir = default_ir();
    let image = image_of(&ir);
    let decoded = decode(&image).unwrap();
    assert_eq!(decoded.ir, ir);
    assert_eq!(decoded.patterns.len(), ir.patterns.len());
    assert!(
        decoded.postal_codes.len() > 100,
        "postal formats travel with the policy"
    );
    // One image per policy: encoding again gives the same bytes.
    assert_eq!(image_of(&decoded.ir), image);
}

#[test]
fn damage_anywhere_is_refused_by_the_checksum() {
    let image = image_of(&default_ir());
    for (section, range) in sections(&image) {
        for at in [
            range.start,
            (range.start + range.end) / 2,
            range.end.saturating_sub(1),
        ] {
            if range.is_empty() {
                continue;
            }
            let mut damaged = image.clone();
            damaged[at] ^= 0x41;
            assert_eq!(
                decode(&damaged).unwrap_err(),
                LoadError::Checksum,
                "{section:?} at {at}"
            );
        }
    }
}

#[test]
fn header_damage_is_refused() {
    let image = image_of(&default_ir());
    let mut bad_magic = image.clone();
    bad_magic[0] = b'X';
    assert_eq!(decode(&bad_magic).unwrap_err(), LoadError::NotAnImage);
    // Another format, older or newer, is refused.
    for other in [FORMAT - 1, FORMAT + 1] {
        let mut changed = image.clone();
        changed[8..12].copy_from_slice(&other.to_le_bytes());
        assert_eq!(
            decode(&changed).unwrap_err(),
            LoadError::UnknownFormat(other)
        );
    }
    assert!(matches!(
        decode(&image[..image.len() - 1]).unwrap_err(),
        LoadError::Length { .. }
    ));
    assert_eq!(
        decode(b"{\"format\":1}").unwrap_err(),
        LoadError::NotAnImage
    );
    assert_eq!(decode(&[]).unwrap_err(), LoadError::NotAnImage);
}

#[test]
fn resealed_damage_in_each_section_is_refused_or_harmless() {
    // With the checksum rewritten, damage reaches the readers and the validator. Every
    // single-byte change in every section must be refused, or load into a policy that
    // passes validation (a changed message, say): never a panic.
    let image = image_of(&default_ir());
    for (section, range) in sections(&image) {
        let mut refused = 0;
        for at in range.clone().step_by(7) {
            for flip in [0x01, 0x80, 0xff] {
                let mut damaged = image.clone();
                damaged[at] ^= flip;
                reseal(&mut damaged);
                if decode(&damaged).is_err() {
                    refused += 1;
                }
            }
        }
        assert!(
            refused > 0 || range.is_empty(),
            "{section:?}: nothing refused"
        );
    }
}

#[test]
fn truncated_sections_are_refused() {
    let image = image_of(&default_ir());
    for (section, range) in sections(&image) {
        if range.is_empty() {
            continue;
        }
        // Shorten the payload by one byte and say so in the section header.
        let mut damaged = image.clone();
        damaged.remove(range.end - 1);
        let len = (range.len() - 1) as u32;
        damaged[range.start - 4..range.start].copy_from_slice(&len.to_le_bytes());
        let total = damaged.len() as u32;
        damaged[12..16].copy_from_slice(&total.to_le_bytes());
        reseal(&mut damaged);
        assert!(
            matches!(
                decode(&damaged),
                Err(LoadError::Malformed { .. } | LoadError::Invalid(_))
            ),
            "{section:?}"
        );
    }
}

/// Every mutation the validator must refuse, each with a description.
#[test]
fn the_validator_refuses_what_the_evaluator_cannot_follow() {
    let ir = default_ir();
    let owner_field = ir.fields.iter().position(|f| f.list.is_some()).unwrap();
    let list_field = ir.fields[owner_field].list.unwrap();
    let top_field = ir
        .fields
        .iter()
        .position(|f| f.list.is_none() && f.format.is_some())
        .unwrap();
    let top_rule = ir
        .rules
        .iter()
        .position(|r| r.for_each.is_none() && r.require.is_some())
        .unwrap();
    let named_rule = ir
        .rules
        .iter()
        .position(|r| matches!(r.when, Some(Cond::Named(_))))
        .unwrap();
    let facts_rule = ir.rules.iter().position(|r| r.facts_only).unwrap();
    let test_rule = |ir: &PolicyIr| {
        ir.rules
            .iter()
            .position(|r| matches!(r.when, Some(Cond::Test { .. })))
            .unwrap()
    };

    type Mutation = Box<dyn Fn(&mut PolicyIr)>;
    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "rule field out of range",
            Box::new(move |ir| ir.rules[top_rule].field = Some(9999)),
        ),
        (
            "required field out of range",
            Box::new(move |ir| ir.rules[top_rule].require = Some(9999)),
        ),
        (
            "element field read outside its list",
            Box::new(move |ir| ir.rules[top_rule].require = Some(owner_field)),
        ),
        (
            "for_each over a non-list",
            Box::new(move |ir| ir.rules[top_rule].for_each = Some(top_field)),
        ),
        (
            "named condition out of range",
            Box::new(move |ir| ir.rules[named_rule].when = Some(Cond::Named(9999))),
        ),
        (
            "named condition refers to itself",
            Box::new(|ir| {
                let last = ir.conditions.len() - 1;
                ir.conditions[last].cond = Cond::Named(last);
            }),
        ),
        (
            "facts_only flag wrong",
            Box::new(move |ir| ir.rules[facts_rule].facts_only = false),
        ),
        (
            "reads_elements flag wrong",
            Box::new(|ir| {
                ir.conditions[0].reads_elements = !ir.conditions[0].reads_elements;
            }),
        ),
        (
            "list out of range",
            Box::new(move |ir| {
                let r = test_rule(ir);
                ir.rules[r].when = Some(Cond::Test {
                    subject: Subject::Field(top_field),
                    predicate: Predicate::InList(9999),
                });
            }),
        ),
        (
            "pattern out of range",
            Box::new(move |ir| {
                let r = test_rule(ir);
                ir.rules[r].when = Some(Cond::Test {
                    subject: Subject::Field(top_field),
                    predicate: Predicate::Matches(9999),
                });
            }),
        ),
        (
            "a test that does not fit its subject",
            Box::new(move |ir| {
                let r = test_rule(ir);
                ir.rules[r].when = Some(Cond::Test {
                    subject: Subject::Field(top_field),
                    predicate: Predicate::InNetworks(vec![]),
                });
            }),
        ),
        (
            "any_item over a non-list",
            Box::new(move |ir| {
                let r = test_rule(ir);
                ir.rules[r].when = Some(Cond::AnyItem {
                    list: top_field,
                    cond: Box::new(Cond::Test {
                        subject: Subject::Field(owner_field),
                        predicate: Predicate::Present(true),
                    }),
                });
            }),
        ),
        (
            "field list is not a list",
            Box::new(move |ir| ir.fields[owner_field].list = Some(top_field)),
        ),
        (
            "postal format with a country field that is not a country",
            Box::new(|ir| {
                let p = ir
                    .fields
                    .iter()
                    .position(|f| matches!(f.format, Some(Format::PostalCode { .. })))
                    .unwrap();
                ir.fields[p].format = Some(Format::PostalCode { country: p });
            }),
        ),
        (
            "empty all",
            Box::new(move |ir| ir.rules[top_rule].when = Some(Cond::All(vec![]))),
        ),
        (
            "unknown country in a country list",
            Box::new(|ir| {
                let l = ir
                    .lists
                    .iter()
                    .position(|l| l.kind == crate::ir::ListKind::Country)
                    .unwrap();
                ir.lists[l].entries[0].value = crate::ir::EntryValue::Exact("XX".into());
            }),
        ),
        (
            "a phone prefix in a country list",
            Box::new(|ir| {
                let l = country_list(ir);
                ir.lists[l].entries[0].value = crate::ir::EntryValue::PhonePrefix("7978".into());
            }),
        ),
        (
            "a list entry whose outcome is incomplete",
            Box::new(|ir| {
                let l = country_list(ir);
                ir.lists[l].entries[0].outcome = Some(Outcome::Incomplete);
            }),
        ),
        (
            "a list entry that expires before it takes effect",
            Box::new(|ir| {
                let l = country_list(ir);
                ir.lists[l].entries[0].effective = Some(2_000_000_000);
                ir.lists[l].entries[0].expires = Some(1_000_000_000);
            }),
        ),
        (
            "a postal-code range that ends before it starts",
            Box::new(|ir| {
                let l = ir
                    .lists
                    .iter()
                    .position(|l| l.kind == crate::ir::ListKind::PostalCode)
                    .unwrap();
                ir.lists[l].entries[0].value = crate::ir::EntryValue::PostalCodes {
                    country: "UA".into(),
                    first: "98".into(),
                    last: "95".into(),
                };
            }),
        ),
        (
            "a list of lists",
            Box::new(move |ir| ir.fields[list_field].list = Some(list_field)),
        ),
        (
            "a rule's message without its German text",
            Box::new(move |ir| {
                ir.rules[top_rule].message.0.pop();
            }),
        ),
        (
            "a field's message in a third locale",
            Box::new(move |ir| ir.fields[top_field].invalid.message.0.push("Texte".into())),
        ),
        (
            "an entry's message with an empty text",
            Box::new(|ir| {
                let entry = ir
                    .lists
                    .iter_mut()
                    .flat_map(|l| &mut l.entries)
                    .find(|e| e.message.is_some())
                    .unwrap();
                entry.message.as_mut().unwrap().0[1].clear();
            }),
        ),
        ("no locale", Box::new(|ir| ir.meta.locales.clear())),
        (
            "a locale cipgate has no texts in",
            Box::new(|ir| ir.meta.locales[1] = "fr".into()),
        ),
        (
            "a locale twice",
            Box::new(|ir| ir.meta.locales[1] = "en".into()),
        ),
        (
            "a locale that is not a tag",
            Box::new(|ir| ir.meta.locales[1] = "DE".into()),
        ),
    ];
    fn country_list(ir: &PolicyIr) -> usize {
        ir.lists
            .iter()
            .position(|l| l.kind == crate::ir::ListKind::Country)
            .unwrap()
    }
    for (what, mutate) in mutations {
        let mut bad = ir.clone();
        mutate(&mut bad);
        assert!(bad != ir, "{what}: the mutation changed nothing");
        let postal: Vec<[u8; 2]> = decode(&image_of(&ir))
            .unwrap()
            .postal_codes
            .iter()
            .map(|p| p.country)
            .collect();
        assert!(
            validate::validate(&bad, &postal).is_err(),
            "{what}: accepted"
        );
    }
}

#[test]
fn postal_formats_cannot_be_dropped_from_a_policy_that_reads_them() {
    let ir = default_ir();
    assert!(validate::validate(&ir, &[]).is_err());
}
