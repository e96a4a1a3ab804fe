//! cipgate's own texts that reach a decision (the messages of the reject reasons), one table
//! per locale. A locale is built in when it has a table here; a policy may declare only
//! built-in locales, and the image validator checks that too.

use crate::decision::RejectReason;

/// The locales cipgate has its own texts in; English, the default, first.
pub const BUILT_IN: &[&str] = &["en", "de"];

/// The message of a reject reason in `locale`, one of [`BUILT_IN`] (English otherwise).
pub(crate) fn reject_message(reason: RejectReason, locale: &str) -> &'static str {
    match locale {
        "de" => de(reason),
        _ => en(reason),
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

    #[test]
    fn every_built_in_locale_has_its_own_text_for_every_reason() {
        for reason in ALL_REJECT_REASONS {
            let texts: Vec<&str> = BUILT_IN.iter().map(|l| reject_message(reason, l)).collect();
            for (i, text) in texts.iter().enumerate() {
                assert!(!text.is_empty(), "{reason:?}");
                assert!(
                    !texts.iter().skip(i + 1).any(|other| other == text),
                    "{reason:?} is not translated: {text}"
                );
            }
        }
    }
}
