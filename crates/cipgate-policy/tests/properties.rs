//! Properties of the evaluator over generated input: no panic and a well-formed decision for
//! any bytes; the same decision bytes for the same input, across separately compiled and
//! reloaded copies of the policy; and key order never changes a decision.

// Helpers outside `#[test]` functions fail the test by panicking, like the tests themselves.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

mod common;

use cipgate_policy::{compile, Compiled, CompiledPolicy, Decision, GatewayFacts};
use common::*;
use proptest::prelude::*;
use std::sync::OnceLock;

/// The default policy compiled twice, and loaded once more from its compiled form.
struct Copies {
    first: Compiled,
    second: Compiled,
    loaded: CompiledPolicy,
}

fn copies() -> &'static Copies {
    static COPIES: OnceLock<Copies> = OnceLock::new();
    COPIES.get_or_init(|| {
        let path = crate_dir().join("../../policies/us-iaas-cip.yaml");
        let text = std::fs::read_to_string(path).expect("default policy");
        let first = compile("us-iaas-cip.yaml", &text).expect("compiles");
        let second = compile("us-iaas-cip.yaml", &text).expect("compiles");
        let loaded = CompiledPolicy::load(&first.bytes).expect("loads");
        Copies {
            first,
            second,
            loaded,
        }
    })
}

const CONTENT_TYPES: [Option<&str>; 6] = [
    Some(JSON),
    Some(FORM),
    Some("application/json; charset=utf-8"),
    Some("Application/X-WWW-Form-Urlencoded"),
    Some("text/plain"),
    None,
];

/// Checks the decision's JSON against the documented shape and against the decision itself.
fn assert_well_formed(policy: &CompiledPolicy, d: &Decision) -> Result<(), TestCaseError> {
    let text = d.to_json();
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| TestCaseError::fail(format!("not JSON: {e}: {text}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| TestCaseError::fail("not an object"))?;
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    prop_assert_eq!(
        keys,
        vec!["locale", "outcome", "policy", "status", "violations"]
    );
    let locale = value["locale"].as_str().unwrap_or_default();
    prop_assert!(
        policy.locales().iter().any(|l| l == locale),
        "locale {}",
        locale
    );
    let order = ["allow", "review", "incomplete", "reject", "deny"];
    let outcome = value["outcome"].as_str().unwrap_or_default();
    prop_assert!(order.contains(&outcome), "outcome {}", outcome);
    let status = value["status"].as_u64().unwrap_or_default();
    let statuses: &[u64] = match outcome {
        "allow" | "review" => &[200],
        "incomplete" => &[422],
        "deny" => &[403],
        _ => &[400, 413, 415],
    };
    prop_assert!(
        statuses.contains(&status),
        "{} with status {}",
        outcome,
        status
    );
    let violations = value["violations"].as_array().cloned().unwrap_or_default();
    let mut strongest = 0;
    for v in &violations {
        for key in ["rule", "code", "outcome", "message", "citation"] {
            prop_assert!(
                v[key].as_str().is_some_and(|s| !s.is_empty()),
                "{} in {}",
                key,
                text
            );
        }
        if let Some(field) = v.get("field") {
            prop_assert!(
                field.as_str().is_some_and(|s| !s.is_empty()),
                "field in {}",
                text
            );
        }
        let rank = order
            .iter()
            .position(|o| Some(*o) == v["outcome"].as_str())
            .ok_or_else(|| TestCaseError::fail(format!("violation outcome in {text}")))?;
        strongest = strongest.max(rank);
    }
    prop_assert_eq!(outcome, order[strongest], "{}", text);
    prop_assert_eq!(violations.is_empty(), outcome == "allow");
    prop_assert_eq!(value["policy"]["sha256"].as_str(), Some(policy.sha256()));
    prop_assert_eq!(value["policy"]["id"].as_str(), Some(policy.id()));
    Ok(())
}

fn decide(policy: &CompiledPolicy, ct: Option<&str>, body: &[u8], facts: &GatewayFacts) -> String {
    eval(policy, ct, body, facts).to_json()
}

// --- generated signups ------------------------------------------------------------------------

/// A document with members in a chosen order (serde_json's map would sort them).
#[derive(Debug, Clone)]
enum Doc {
    Null,
    Bool(bool),
    Int(i64),
    Str(&'static str),
    Arr(Vec<Doc>),
    Obj(Vec<(&'static str, Doc)>),
}

/// Reads the generated choices one at a time; past the end every choice is 0. The first
/// choice sets how noisy the document is: from all-valid (the first value of every pool,
/// which together make a complete, allowed signup) to half of the values changed.
struct Choices<'a> {
    values: &'a [u16],
    next: usize,
    /// A value deviates from the first of its pool when its choice % 16 is below this.
    noise: usize,
}

impl<'a> Choices<'a> {
    fn new(values: &'a [u16]) -> Self {
        let mut c = Choices {
            values,
            next: 0,
            noise: 0,
        };
        c.noise = [0, 2, 4, 8][c.take() % 4];
        c
    }

    fn take(&mut self) -> usize {
        let value = self.values.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        usize::from(value)
    }

    fn deviation(&mut self) -> Option<usize> {
        let c = self.take();
        (c % 16 < self.noise).then_some(c / 16)
    }

    /// A value of `pool`, or `None` when the member is left out.
    fn pick(&mut self, pool: &[Doc]) -> Option<Doc> {
        match self.deviation() {
            None => pool.first().cloned(),
            Some(d) if d % 6 == 0 => None,
            Some(d) => pool.get(d % pool.len()).cloned(),
        }
    }

    fn object(&mut self, members: Vec<(&'static str, Option<Doc>)>) -> Option<Doc> {
        if self.deviation().is_some_and(|d| d % 4 == 0) {
            return None;
        }
        Some(Doc::Obj(
            members
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
        ))
    }
}

fn strs(values: &[&'static str]) -> Vec<Doc> {
    values.iter().map(|s| Doc::Str(s)).collect()
}

/// A signup of the canonical shape, mostly valid, with values the policy treats specially.
fn signup(choices: &[u16]) -> Doc {
    let mut c = Choices::new(choices);
    let countries = {
        let mut v = strs(&[
            "DE", "DE", "FR", "US", "RU", "UA", "IR", "CU", "KP", "SG", "ir", " CU ", "ＣＵ", "",
            "XX",
        ]);
        v.extend([Doc::Null, Doc::Int(276)]);
        v
    };
    let regions = strs(&[
        "DE-BE", "US-TX", "UA-43", "UA-40", "UA-14", "UA-09", "FR-IDF", "ua-43", "DE-XX",
    ]);
    let postals = strs(&[
        "10178", "78701", "295000", "299999", "75002", "048616", "SW1A 1AA", "1017", "",
    ]);
    let phones = strs(&[
        "+49 30 901820",
        "+1 512 555 0142",
        "+33 1 84 88 20 00",
        "+98 21 1234 5678",
        "+850 2 381 2222",
        "+7 365 255 1234",
        "+7 495 123 4567",
        "+65 6123 4567",
        "030 901820",
        "+49  30",
    ]);
    let names = strs(&[
        "Lena Vogel",
        "Atelier SAS",
        "example restricted PARTY ltd",
        "   ",
        "Ünal Öztürk",
    ]);
    let emails = strs(&[
        "lena.vogel@example.de",
        "ops@example.sg",
        "not-an-email",
        "a b@c.de",
    ]);
    let bools = vec![
        Doc::Bool(false),
        Doc::Bool(true),
        Doc::Str("true"),
        Doc::Null,
    ];
    let kinds = strs(&["individual", "organization", "organization", "person"]);
    let methods = strs(&[
        "card",
        "bank_account",
        "wallet",
        "invoice",
        "crypto",
        "cash",
    ]);
    let texts = strs(&[
        "Commerzbank AG",
        "DBS Bank",
        "5355********1208",
        "CIP-2026-1",
        " ",
    ]);
    let percents = vec![
        Doc::Int(25),
        Doc::Int(0),
        Doc::Int(60),
        Doc::Int(100),
        Doc::Int(101),
        Doc::Str("50"),
    ];

    let cities = strs(&["Berlin", "Austin", "Paris", "Simferopol"]);
    let address = |c: &mut Choices| {
        let line1 = c.pick(&texts);
        let line2 = c.pick(&[Doc::Null, Doc::Str("Apt 4")]);
        let city = c.pick(&cities);
        let region = c.pick(&regions);
        let postal_code = c.pick(&postals);
        let country = c.pick(&countries);
        c.object(vec![
            ("line1", line1),
            ("line2", line2),
            ("city", city),
            ("region", region),
            ("postal_code", postal_code),
            ("country", country),
        ])
    };
    let customer = {
        let kind = c.pick(&kinds);
        let legal_name = c.pick(&names);
        let us_person = c.pick(&bools);
        let email = c.pick(&emails);
        let phone = c.pick(&phones);
        let addr = address(&mut c);
        c.object(vec![
            ("kind", kind),
            ("legal_name", legal_name),
            ("us_person", us_person),
            ("email", email),
            ("phone", phone),
            ("address", addr),
        ])
    };
    let payment = {
        let method = c.pick(&methods);
        let institution = c.pick(&texts);
        let country = c.pick(&countries);
        let reference = c.pick(&texts);
        c.object(vec![
            ("method", method),
            ("institution", institution),
            ("country", country),
            ("reference", reference),
        ])
    };
    let owners = (0..c.take() % 4)
        .filter_map(|_| {
            let legal_name = c.pick(&names);
            let percent = c.pick(&percents);
            let addr = address(&mut c);
            c.object(vec![
                ("legal_name", legal_name),
                ("ownership_percent", percent),
                ("address", addr),
            ])
        })
        .collect::<Vec<_>>();
    let reseller = {
        let is_reseller = c.pick(&bools);
        let cip = c.pick(&texts);
        c.object(vec![("is_reseller", is_reseller), ("cip_reference", cip)])
    };
    let mut top = vec![("customer", customer), ("payment", payment)];
    if !owners.is_empty() {
        top.push(("beneficial_owners", Some(Doc::Arr(owners))));
    }
    top.push(("reseller", reseller));
    top.push(("password", Some(Doc::Str("hunter2"))));
    Doc::Obj(top.into_iter().filter_map(|(k, v)| Some((k, v?))).collect())
}

/// A small deterministic shuffle (xorshift), so that a failing order can be replayed.
fn shuffle<T>(items: &mut [T], seed: &mut u64) {
    for i in (1..items.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        let j = usize::try_from(*seed % (i as u64 + 1)).unwrap_or(0);
        items.swap(i, j);
    }
}

/// JSON text of `doc`, object members shuffled when `seed` is given.
fn to_json(doc: &Doc, seed: &mut Option<u64>) -> String {
    match doc {
        Doc::Null => "null".to_string(),
        Doc::Bool(b) => b.to_string(),
        Doc::Int(n) => n.to_string(),
        Doc::Str(s) => serde_json::Value::from(*s).to_string(),
        Doc::Arr(items) => {
            let items: Vec<String> = items.iter().map(|i| to_json(i, seed)).collect();
            format!("[{}]", items.join(","))
        }
        Doc::Obj(members) => {
            let mut members: Vec<&(&str, Doc)> = members.iter().collect();
            if let Some(s) = seed {
                shuffle(&mut members, s);
            }
            let members: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{}:{}", serde_json::Value::from(*k), to_json(v, seed)))
                .collect();
            format!("{{{}}}", members.join(","))
        }
    }
}

/// The form body of `doc`, its pairs shuffled when `seed` is given.
fn to_form(doc: &Doc, seed: Option<u64>) -> String {
    let value: serde_json::Value =
        serde_json::from_str(&to_json(doc, &mut None)).expect("generated JSON");
    let mut pairs = Vec::new();
    flatten(&value, String::new(), &mut pairs);
    if let Some(mut s) = seed {
        shuffle(&mut pairs, &mut s);
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn facts_strategy() -> impl Strategy<Value = GatewayFacts> {
    (
        prop::option::of(prop::sample::select(vec!["DE", "US", "CU", "IR", "cu", ""])),
        prop::option::of(prop::sample::select(vec![
            "UA-43", "UA-14", "DE-BE", "ua-43", "43",
        ])),
        prop::option::of(any::<[u8; 4]>()),
        prop::option::of(0i64..4_000_000_000),
        prop::option::of(prop::sample::select(vec![
            "de",
            "de-CH, en;q=0.5",
            "fr",
            "*",
            "en;q=0, de",
            "de;q=2",
            "",
        ])),
    )
        .prop_map(|(geo, region, ip, time, accept_language)| GatewayFacts {
            geo_country: geo.map(str::to_string),
            geo_region: region.map(str::to_string),
            client_ip: ip.map(std::net::IpAddr::from),
            time,
            accept_language: accept_language.map(str::to_string),
        })
}

/// A generated signup as a form or JSON body, with its content type.
fn generated_body(choices: &[u16], form_body: bool) -> (&'static str, String) {
    let doc = signup(choices);
    if form_body {
        (FORM, to_form(&doc, None))
    } else {
        (JSON, to_json(&doc, &mut None))
    }
}

fn choices() -> impl Strategy<Value = Vec<u16>> {
    prop::collection::vec(any::<u16>(), 0..120)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_decide_well_formed(
        body in prop::collection::vec(any::<u8>(), 0..600),
        ct in prop::sample::select(CONTENT_TYPES.to_vec()),
        facts in facts_strategy(),
    ) {
        let c = copies();
        let d = eval(&c.first.policy, ct, &body, &facts);
        assert_well_formed(&c.first.policy, &d)?;
        prop_assert_eq!(d.to_json(), decide(&c.first.policy, ct, &body, &facts));
    }

    #[test]
    fn mutated_signups_never_panic_and_decide_well_formed(
        choices in choices(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..6),
        form_body in any::<bool>(),
        facts in facts_strategy(),
    ) {
        let c = copies();
        let doc = signup(&choices);
        let (ct, text) = if form_body { (FORM, to_form(&doc, None)) } else { (JSON, to_json(&doc, &mut None)) };
        let mut body = text.into_bytes();
        for (at, byte, kind) in edits {
            let i = at.index(body.len() + 1);
            match kind {
                0 => body.insert(i, byte),
                1 if i < body.len() => { body.remove(i); }
                _ if i < body.len() => body[i] = byte,
                _ => body.push(byte),
            }
        }
        let d = eval(&c.first.policy, Some(ct), &body, &facts);
        assert_well_formed(&c.first.policy, &d)?;
    }

    #[test]
    fn form_like_text_never_panics(
        body in "[a-z0-9._=&%+;\\[\\]]{0,80}",
        facts in facts_strategy(),
    ) {
        let c = copies();
        let d = eval(&c.first.policy, Some(FORM), body.as_bytes(), &facts);
        assert_well_formed(&c.first.policy, &d)?;
    }

    #[test]
    fn evaluation_is_deterministic_across_compiled_and_loaded_copies(
        choices in choices(),
        form_body in any::<bool>(),
        facts in facts_strategy(),
    ) {
        let c = copies();
        let (ct, body) = generated_body(&choices, form_body);
        let expected = decide(&c.first.policy, Some(ct), body.as_bytes(), &facts);
        assert_well_formed(&c.first.policy, &eval(&c.first.policy, Some(ct), body.as_bytes(), &facts))?;
        prop_assert_eq!(&decide(&c.first.policy, Some(ct), body.as_bytes(), &facts), &expected);
        prop_assert_eq!(&decide(&c.second.policy, Some(ct), body.as_bytes(), &facts), &expected);
        prop_assert_eq!(&decide(&c.loaded, Some(ct), body.as_bytes(), &facts), &expected);
    }

    #[test]
    fn the_locale_changes_the_messages_only(
        choices in choices(),
        form_body in any::<bool>(),
        facts in facts_strategy(),
    ) {
        let c = copies();
        let (ct, body) = generated_body(&choices, form_body);
        let in_locale = |tag: &str| {
            let facts = GatewayFacts { accept_language: Some(tag.to_string()), ..facts.clone() };
            let mut d = eval(&c.first.policy, Some(ct), body.as_bytes(), &facts);
            let messages: Vec<String> = d.violations.iter_mut().map(|v| std::mem::take(&mut v.message).into_owned()).collect();
            (d.locale.to_string(), messages, d.to_json().replace(&format!("\"locale\":\"{}\"", d.locale), ""))
        };
        let (en, en_messages, en_rest) = in_locale("en");
        let (de, de_messages, de_rest) = in_locale("de");
        prop_assert_eq!((en.as_str(), de.as_str()), ("en", "de"));
        // Rule ids, fields, codes, outcomes, citations and hits do not change with the locale.
        prop_assert_eq!(en_rest, de_rest);
        prop_assert_eq!(en_messages.len(), de_messages.len());
        for (en, de) in en_messages.iter().zip(&de_messages) {
            prop_assert!(!de.is_empty() && en != de, "not translated: {}", en);
        }
    }

    #[test]
    fn key_order_does_not_change_the_decision(
        choices in choices(),
        seed in 1u64..,
        facts in facts_strategy(),
    ) {
        let c = copies();
        let doc = signup(&choices);
        let policy = &c.first.policy;
        let canonical = to_json(&doc, &mut None);
        let shuffled = to_json(&doc, &mut Some(seed));
        prop_assert_eq!(
            decide(policy, Some(JSON), shuffled.as_bytes(), &facts),
            decide(policy, Some(JSON), canonical.as_bytes(), &facts),
            "{} vs {}", canonical, shuffled
        );
        let form_canonical = to_form(&doc, None);
        let form_shuffled = to_form(&doc, Some(seed));
        prop_assert_eq!(
            decide(policy, Some(FORM), form_shuffled.as_bytes(), &facts),
            decide(policy, Some(FORM), form_canonical.as_bytes(), &facts),
            "{} vs {}", form_canonical, form_shuffled
        );
    }
}

#[test]
fn the_policy_image_round_trips() {
    let c = copies();
    assert_eq!(c.loaded.sha256(), c.first.policy.sha256());
    assert_eq!(c.second.bytes, c.first.bytes);
    assert_eq!(c.loaded.ir(), c.first.policy.ir());
    assert_eq!(c.loaded.rule_ids(), c.first.policy.rule_ids());
    // Loading is strict: a changed byte is refused (the image's checksum), a truncated image
    // and anything but an image do not load, nor an image of another format.
    let image = &c.first.bytes;
    let at = image
        .windows(4)
        .position(|w| w == b"Cuba")
        .expect("a list entry");
    let mut changed = image.clone();
    changed[at] = b'c';
    assert_eq!(
        CompiledPolicy::load(&changed).unwrap_err(),
        cipgate_policy::LoadError::Checksum
    );
    assert!(CompiledPolicy::load(&image[..image.len() / 2]).is_err());
    assert!(CompiledPolicy::load(b"{}").is_err());
    let mut other_format = image.clone();
    other_format[8] = 99;
    assert!(matches!(
        CompiledPolicy::load(&other_format),
        Err(cipgate_policy::LoadError::UnknownFormat(99))
    ));
}

#[test]
fn generated_signups_reach_every_outcome_but_reject() {
    // The generator must exercise the policy, not only its input checks.
    let c = copies();
    let mut seen = std::collections::BTreeSet::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..2000 {
        let mut choices = vec![0u16; 120];
        for x in &mut choices {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *x = (seed >> 32) as u16;
        }
        let d = json(&c.first.policy, &to_json(&signup(&choices), &mut None));
        seen.insert(d.outcome.as_str());
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        vec!["allow", "deny", "incomplete", "review"]
    );
}
