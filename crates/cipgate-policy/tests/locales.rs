//! Messages in several locales: what the compiler accepts and refuses (each mistake at its
//! place), which locale a decision is in, and that only its words change with the locale.

#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

mod common;

use cipgate_policy::{GatewayFacts, Outcome, RejectReason};
use common::*;

/// A policy with `locales` (the YAML after `locales:`, or none) and one rule whose message
/// is `message`.
fn with_locales(locales: Option<&str>, message: &str) -> String {
    let locales = locales.map_or(String::new(), |l| format!("locales: {l}\n"));
    policy_text(&format!(
        "{locales}input:
  fields:
    customer.email:
      type: string
      format: email
      message: {message}
rules:
  - id: email-required
    outcome: incomplete
    require: customer.email
    message: {message}
    citation: test citation
"
    ))
}

const EN_DE: &str = "{en: Enter an email address., de: Geben Sie eine E-Mail-Adresse ein.}";

fn asking(accept_language: &str) -> GatewayFacts {
    GatewayFacts {
        accept_language: Some(accept_language.to_string()),
        ..GatewayFacts::default()
    }
}

#[test]
fn a_policy_without_locales_is_in_english_and_takes_plain_messages() {
    let p = compile_text(&with_locales(None, "Enter an email address."));
    assert_eq!(p.locales(), ["en"]);
    let d = json_facts(&p, "{}", &asking("de"));
    assert_eq!(d.locale, "en");
    assert_eq!(d.violations[0].message, "Enter an email address.");
    assert!(d.to_json().starts_with(
        r#"{"outcome":"incomplete","status":422,"locale":"en","violations":[{"rule":"email-required""#
    ));
}

#[test]
fn decisions_are_in_the_locale_asked_for_else_the_default() {
    let p = compile_text(&with_locales(Some("[en, de]"), EN_DE));
    for (asked, locale, message) in [
        (
            "de-DE,de;q=0.9,en;q=0.5",
            "de",
            "Geben Sie eine E-Mail-Adresse ein.",
        ),
        ("de-CH", "de", "Geben Sie eine E-Mail-Adresse ein."),
        ("fr-FR, fr;q=0.9", "en", "Enter an email address."),
        ("en-US,en;q=0.9", "en", "Enter an email address."),
        ("de;q=2", "en", "Enter an email address."),
    ] {
        let d = json_facts(&p, "{}", &asking(asked));
        assert_eq!(
            (d.locale, d.violations[0].message.as_ref()),
            (locale, message),
            "{asked}"
        );
    }
    assert_eq!(json(&p, "{}").locale, "en");
    // Invalid fields are reported in the locale too.
    let d = json_facts(&p, r#"{"customer": {"email": "nope"}}"#, &asking("de"));
    assert_eq!(
        fired(&d),
        [v("input.customer.email", Some("customer.email"))]
    );
    assert_eq!(
        d.violations[0].message,
        "Geben Sie eine E-Mail-Adresse ein."
    );
}

#[test]
fn the_default_is_the_first_locale() {
    let p = compile_text(&with_locales(Some("[de, en]"), EN_DE));
    assert_eq!(json(&p, "{}").locale, "de");
    assert_eq!(json_facts(&p, "{}", &asking("en")).locale, "en");
}

#[test]
fn reject_reasons_are_in_the_decision_s_locale() {
    let p = compile_text(&with_locales(Some("[en, de]"), EN_DE));
    let d = eval(&p, Some(JSON), b"{", &asking("de"));
    assert_outcome(&d, Outcome::Reject, 400);
    assert_eq!(d.locale, "de");
    assert_eq!(
        d.violations[0].message,
        "Der Inhalt der Anfrage ist kein wohlgeformtes JSON."
    );
    let d = p.reject(RejectReason::TooLarge, &asking("de"));
    assert_eq!(d.locale, "de");
    assert_eq!(
        d.violations[0].message,
        RejectReason::TooLarge.message("de")
    );
    assert_ne!(
        RejectReason::TooLarge.message("de"),
        RejectReason::TooLarge.message("en")
    );
}

#[test]
fn the_default_policy_gives_every_message_in_english_and_german() {
    let p = default_policy();
    assert_eq!(p.locales(), ["en", "de"]);
    let ir = p.ir();
    let messages = ir
        .fields
        .iter()
        .map(|f| (f.invalid.rule.as_str(), &f.invalid.message))
        .chain(ir.rules.iter().map(|r| (r.id.as_str(), &r.message)))
        .chain(ir.lists.iter().flat_map(|l| {
            l.entries
                .iter()
                .filter_map(|e| Some((l.name.as_str(), e.message.as_ref()?)))
        }));
    let mut count = 0;
    for (rule, message) in messages {
        let (en, de) = (message.get(0), message.get(1));
        assert!(!de.is_empty() && de != en, "{rule}: not translated: {en}");
        count += 1;
    }
    assert!(count > 60, "{count} messages");
}

#[test]
fn the_locale_changes_words_only() {
    let p = default_policy();
    for (name, body) in examples() {
        let en = json_facts(&p, &body, &asking("en"));
        let de = json_facts(&p, &body, &asking("de"));
        assert_eq!((en.outcome, en.status), (de.outcome, de.status), "{name}");
        assert_eq!(en.violations.len(), de.violations.len(), "{name}");
        for (e, d) in en.violations.iter().zip(&de.violations) {
            assert_eq!(
                (&e.rule, &e.field, e.code, e.outcome, &e.citation, &e.hit),
                (&d.rule, &d.field, d.code, d.outcome, &d.citation, &d.hit),
                "{name}"
            );
        }
        assert_eq!(en.policy, de.policy);
    }
}

#[test]
fn a_message_missing_a_locale_is_an_error_at_the_message() {
    let text = with_locales(
        Some("[en, de]"),
        "{en: Enter an email address., de: Geben Sie eine E-Mail-Adresse ein.}",
    )
    .replacen(
        "{en: Enter an email address., de: Geben Sie eine E-Mail-Adresse ein.}",
        "{en: Enter an email address.}",
        1,
    );
    let d = diagnostics_of(&text);
    let item = &d.items[0];
    assert_eq!(d.items.len(), 1, "{d}");
    assert!(item.message.contains("has no `de` text"), "{d}");
    assert!(
        item.help.as_deref().unwrap().contains("add `de: ...`"),
        "{d}"
    );
    let line = text
        .lines()
        .position(|l| l.contains("{en: Enter an email address.}"))
        .unwrap();
    assert_eq!(item.at.line, line + 1);
    assert_eq!(item.at.column, 16);
}

#[test]
fn a_message_in_a_locale_the_policy_lacks_gets_a_suggestion() {
    let d = diagnostics_of(&with_locales(
        Some("[en, de]"),
        "{en: Enter an email address., ed: Geben Sie eine E-Mail-Adresse ein.}",
    ));
    let extra = d
        .items
        .iter()
        .find(|i| {
            i.message
                .contains("`ed` is not one of the policy's locales")
        })
        .unwrap_or_else(|| panic!("{d}"));
    assert_eq!(extra.help.as_deref(), Some("did you mean `de`?"));
    assert!(
        d.items
            .iter()
            .any(|i| i.message.contains("has no `de` text")),
        "{d}"
    );

    let d = diagnostics_of(&with_locales(
        Some("[en, de]"),
        "{en: Enter an email address., de: Geben Sie eine E-Mail-Adresse ein., fr: Saisissez une adresse.}",
    ));
    assert!(
        d.items
            .iter()
            .all(|i| i.message.contains("`fr` is not one")),
        "{d}"
    );
    assert!(d.items[0]
        .help
        .as_deref()
        .unwrap()
        .contains("add `fr` to `locales:`"));
}

#[test]
fn a_plain_message_in_a_policy_with_several_locales_is_an_error() {
    let d = diagnostics_of(&with_locales(Some("[en, de]"), "Enter an email address."));
    assert_eq!(d.items.len(), 2, "{d}");
    assert!(d.items[0]
        .message
        .contains("in one language, but the policy's locales are en, de"));
    assert_eq!(
        d.items[0].help.as_deref(),
        Some("give it in each: `message: {en: ..., de: ...}`")
    );
}

#[test]
fn locales_must_be_built_in_tags_listed_once() {
    for (locales, message, help) in [
        (
            "[en, fr]",
            "cipgate has no texts of its own in `fr`",
            "the locales cipgate answers in are en, de",
        ),
        ("[en, DE]", "`DE` is not a locale", "did you mean `de`?"),
        (
            "[en, de-CH]",
            "`de-CH` is not a locale",
            "did you mean `de`?",
        ),
        (
            "[en, deu]",
            "cipgate has no texts of its own in `deu`",
            "the locales cipgate answers in are en, de",
        ),
        ("[en, en]", "the locale `en` is listed twice", ""),
        ("[]", "`locales` names no locale", "`locales: [en, de]`"),
        ("en", "`locales` must be a list", ""),
    ] {
        let d = diagnostics_of(&with_locales(
            Some(locales),
            "{en: Enter an email address.}",
        ));
        let item = d
            .items
            .iter()
            .find(|i| i.message.contains(message))
            .unwrap_or_else(|| panic!("{locales}: {d}"));
        assert!(
            item.help.as_deref().unwrap_or_default().contains(help),
            "{locales}: {d}"
        );
        assert_eq!(item.at.line, 6, "{locales}: {d}");
    }
}
