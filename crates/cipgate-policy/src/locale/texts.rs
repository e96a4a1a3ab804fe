//! cipgate's own texts that reach a person: the messages of the reject reasons and the words
//! of the HTML answer page (`html.rs`), one table per locale. A locale is built in when it has a table here; a policy may declare only
//! built-in locales, and the image validator checks that too.

use crate::decision::RejectReason;

/// The locales cipgate has its own texts in; English, the default, first.
pub const BUILT_IN: &[&str] = &["en", "de"];

// The message of a reject reason lives beside its texts, so that `decision.rs` does not
// depend on this module, which names its reasons.
impl RejectReason {
    /// A message a person (or the developer of the signup form) can act on, in `locale`,
    /// one of [`BUILT_IN`] (English otherwise).
    pub fn message(self, locale: &str) -> &'static str {
        match locale {
            "de" => de(self),
            _ => en(self),
        }
    }
}

/// The words of the HTML page a gateway answers a browser with, around the decision's
/// messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageText {
    /// Title and heading of a denied signup.
    Denied,
    /// Title and heading of an incomplete signup.
    Incomplete,
    /// Title and heading of a request refused for its form (unreadable, too large, encoded).
    Refused,
    /// Title and heading of a signup that was let through (audit mode never shows a page,
    /// but every outcome has words).
    Received,
    /// Before the list of what to fix.
    CorrectThese,
    /// Before the list of reasons a denied signup was refused for.
    Reasons,
    /// Labels the field a message is about.
    Field,
    /// Labels the rule id.
    Rule,
    /// Labels the policy in the footer.
    Policy,
    /// The link back to the form.
    GoBack,
}

#[cfg(test)]
const ALL_PAGE_TEXTS: [PageText; 10] = [
    PageText::Denied,
    PageText::Incomplete,
    PageText::Refused,
    PageText::Received,
    PageText::CorrectThese,
    PageText::Reasons,
    PageText::Field,
    PageText::Rule,
    PageText::Policy,
    PageText::GoBack,
];

/// A word of the HTML page in `locale`, one of [`BUILT_IN`] (English otherwise).
pub(crate) fn page_text(text: PageText, locale: &str) -> &'static str {
    match locale {
        "de" => page_de(text),
        _ => page_en(text),
    }
}

fn page_en(text: PageText) -> &'static str {
    match text {
        PageText::Denied => "Your signup could not be accepted",
        PageText::Incomplete => "Your signup is incomplete",
        PageText::Refused => "Your signup could not be read",
        PageText::Received => "Your signup was received",
        PageText::CorrectThese => "Please correct the following and send the form again:",
        PageText::Reasons => "It was refused for these reasons:",
        PageText::Field => "Field",
        PageText::Rule => "Rule",
        PageText::Policy => "Policy",
        PageText::GoBack => "Go back to the form",
    }
}

fn page_de(text: PageText) -> &'static str {
    match text {
        PageText::Denied => "Ihre Registrierung kann nicht angenommen werden",
        PageText::Incomplete => "Ihre Registrierung ist unvollständig",
        PageText::Refused => "Ihre Registrierung konnte nicht gelesen werden",
        PageText::Received => "Ihre Registrierung ist eingegangen",
        PageText::CorrectThese => {
            "Bitte korrigieren Sie Folgendes und senden Sie das Formular erneut:"
        }
        PageText::Reasons => "Sie wurde aus diesen Gründen abgelehnt:",
        PageText::Field => "Feld",
        PageText::Rule => "Regel",
        PageText::Policy => "Richtlinie",
        PageText::GoBack => "Zurück zum Formular",
    }
}

fn en(reason: RejectReason) -> &'static str {
    match reason {
        RejectReason::NotUtf8 => "The request body is not valid UTF-8.",
        RejectReason::ByteOrderMark => "The request body starts with a byte order mark; send it without one.",
        RejectReason::MalformedJson => "The request body is not well-formed JSON.",
        RejectReason::TrailingData => "The request body has data after the end of the JSON document.",
        RejectReason::DuplicateKey => "The request body has the same key twice in one object; send each field once.",
        RejectReason::TooDeep => "The request body is nested too deeply.",
        RejectReason::TooLarge => "The request body is larger than this endpoint accepts.",
        RejectReason::NonFiniteNumber => "The request body has a number that is too large or not finite.",
        RejectReason::InvalidEscape => "The request body has an invalid escape sequence.",
        RejectReason::MalformedForm => "The form body is not well-formed (bad percent-encoding or key).",
        RejectReason::AmbiguousFormKeys => "The form body has keys that contradict each other (a field sent twice, or as both a value and a group).",
        RejectReason::UnsupportedContentType => "This endpoint does not accept that content type.",
        RejectReason::UnsupportedEncoding => "This endpoint does not accept compressed or encoded request bodies; send the body uncompressed.",
        RejectReason::MissingBody => "The request has no body.",
        RejectReason::QueryNamesField => "The request URL has a query parameter that names a signup field; send signup fields only in the body.",
        RejectReason::QueryString => "This endpoint accepts no query string; send the signup in the body.",
        RejectReason::MalformedQuery => "The request URL's query string is not well-formed (bad percent-encoding).",
    }
}

fn de(reason: RejectReason) -> &'static str {
    match reason {
        RejectReason::NotUtf8 => "Der Inhalt der Anfrage ist kein gültiges UTF-8.",
        RejectReason::ByteOrderMark => "Der Inhalt der Anfrage beginnt mit einer Byte-Order-Mark; senden Sie ihn ohne diese.",
        RejectReason::MalformedJson => "Der Inhalt der Anfrage ist kein wohlgeformtes JSON.",
        RejectReason::TrailingData => "Der Inhalt der Anfrage enthält nach dem Ende des JSON-Dokuments weitere Daten.",
        RejectReason::DuplicateKey => "Der Inhalt der Anfrage enthält in einem Objekt denselben Schlüssel zweimal; senden Sie jedes Feld nur einmal.",
        RejectReason::TooDeep => "Der Inhalt der Anfrage ist zu tief verschachtelt.",
        RejectReason::TooLarge => "Der Inhalt der Anfrage ist größer, als dieser Endpunkt annimmt.",
        RejectReason::NonFiniteNumber => "Der Inhalt der Anfrage enthält eine Zahl, die zu groß oder nicht endlich ist.",
        RejectReason::InvalidEscape => "Der Inhalt der Anfrage enthält eine ungültige Escape-Sequenz.",
        RejectReason::MalformedForm => "Die Formulardaten sind nicht wohlgeformt (fehlerhafte Prozentkodierung oder fehlerhafter Schlüssel).",
        RejectReason::AmbiguousFormKeys => "Die Formulardaten enthalten Schlüssel, die einander widersprechen (ein Feld wurde zweimal gesendet oder zugleich als Wert und als Gruppe).",
        RejectReason::UnsupportedContentType => "Dieser Endpunkt nimmt diesen Inhaltstyp nicht an.",
        RejectReason::UnsupportedEncoding => "Dieser Endpunkt nimmt keine komprimierten oder kodierten Anfrageinhalte an; senden Sie den Inhalt unkomprimiert.",
        RejectReason::MissingBody => "Die Anfrage hat keinen Inhalt.",
        RejectReason::QueryNamesField => "Die URL der Anfrage enthält einen Query-Parameter, der ein Feld der Registrierung benennt; senden Sie die Felder der Registrierung nur im Inhalt der Anfrage.",
        RejectReason::QueryString => "Dieser Endpunkt nimmt keinen Query-String an; senden Sie die Registrierung im Inhalt der Anfrage.",
        RejectReason::MalformedQuery => "Der Query-String der URL ist nicht wohlgeformt (fehlerhafte Prozentkodierung).",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::ALL_REJECT_REASONS;

    /// Each locale has a non-empty text of its own (none left in another language).
    fn assert_translated(what: &str, texts: &[&str]) {
        for (i, text) in texts.iter().enumerate() {
            assert!(!text.is_empty(), "{what}");
            assert!(
                !texts.iter().skip(i + 1).any(|other| other == text),
                "{what} is not translated: {text}"
            );
        }
    }

    #[test]
    fn every_built_in_locale_has_its_own_text_for_every_reason() {
        for reason in ALL_REJECT_REASONS {
            let texts: Vec<&str> = BUILT_IN.iter().map(|l| reason.message(l)).collect();
            assert_translated(&format!("{reason:?}"), &texts);
        }
    }

    #[test]
    fn every_built_in_locale_has_every_text_of_the_page() {
        for text in ALL_PAGE_TEXTS {
            let texts: Vec<&str> = BUILT_IN.iter().map(|l| page_text(text, l)).collect();
            assert_translated(&format!("{text:?}"), &texts);
        }
    }
}
