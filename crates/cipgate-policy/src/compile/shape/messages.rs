//! Shaping `locales:` and every `message:`: a message is one text when the policy has one
//! locale, else a mapping with exactly the policy's locales (`{en: ..., de: ...}`). The
//! locales come first in the file's reading, so a message's shape can depend on them.

use super::super::error_codes::ErrorCode;
use super::super::syntax::Message;
use super::super::values::{ReadValues, Report};
use super::super::yaml::{Node, NodeKind};
use super::Shape;
use crate::locale;

impl Shape {
    /// The policy's locales, default first; `[en]` when it declares none.
    pub(super) fn locales(&mut self, node: Option<&Node>) -> Vec<String> {
        let Some(node) = node else {
            return vec![locale::DEFAULT.to_string()];
        };
        let mut locales: Vec<String> = Vec::new();
        for item in self.sequence(node, "`locales`").unwrap_or_default() {
            let Some(tag) = self.text(item, "a locale") else {
                continue;
            };
            let built_in = locale::BUILT_IN.join(", ");
            let meant = hint(&tag, locale::BUILT_IN.iter().copied());
            let help = |otherwise: String| match meant {
                Some(h) => format!("did you mean `{h}`?"),
                None => otherwise,
            };
            if locales.contains(&tag) {
                self.error(
                    ErrorCode::Locale,
                    item.at,
                    format!("the locale `{tag}` is listed twice"),
                );
                continue;
            } else if !locale::is_tag(&tag) {
                self.error_help(ErrorCode::Locale,
                    item.at,
                    format!("`{tag}` is not a locale: a locale is a language subtag of two or three lower-case letters"),
                    help(format!("write the language alone, in lower case: one of {built_in}")),
                );
            } else if !locale::is_built_in(&tag) {
                self.error_help(ErrorCode::Locale,
                    item.at,
                    format!("cipgate has no texts of its own in `{tag}`, so a decision in it would give request errors in another language"),
                    help(format!("the locales cipgate answers in are {built_in}")),
                );
            }
            // The locale meant, so that messages are checked against it rather than refused
            // once more for the same mistake.
            locales.push(meant.map_or(tag, str::to_string));
        }
        if locales.is_empty() {
            self.error_help(
                ErrorCode::Locale,
                node.at,
                "`locales` names no locale",
                "list the locales messages are given in, the default first: `locales: [en, de]`",
            );
            locales.push(locale::DEFAULT.to_string());
        }
        locales
    }

    /// A `message:`: one text for a policy with one locale, else one per locale.
    pub(super) fn message(&mut self, node: &Node) -> Option<Message> {
        let locales = self.locales.clone();
        let entries = match &node.kind {
            NodeKind::Scalar { .. } if locales.len() == 1 => {
                return Some(Message(vec![self.nonblank(node, "`message`")?]));
            }
            NodeKind::Scalar { .. } => {
                let each: Vec<String> = locales.iter().map(|l| format!("{l}: ...")).collect();
                self.error_help(
                    ErrorCode::Locale,
                    node.at,
                    format!(
                        "this message is in one language, but the policy's locales are {}",
                        locales.join(", ")
                    ),
                    format!("give it in each: `message: {{{}}}`", each.join(", ")),
                );
                return None;
            }
            NodeKind::Map(entries) => entries,
            NodeKind::Seq(_) => {
                self.error_help(
                    ErrorCode::WrongShape,
                    node.at,
                    "`message` must be a text, or a mapping of locales to texts",
                    format!("write `message: {{{}: ...}}`", locales.join(": ..., ")),
                );
                return None;
            }
        };
        let mut complete = true;
        for (key, _) in entries {
            if !locales.contains(&key.text) {
                complete = false;
                let help = match hint(&key.text, locales.iter().map(String::as_str)) {
                    Some(h) => format!("did you mean `{h}`?"),
                    None => format!(
                        "the policy's locales are {}; add `{}` to `locales:` to give messages in it",
                        locales.join(", "),
                        key.text
                    ),
                };
                self.error_help(
                    ErrorCode::Locale,
                    key.at,
                    format!("`{}` is not one of the policy's locales", key.text),
                    help,
                );
            }
        }
        let mut texts = Vec::with_capacity(locales.len());
        for tag in &locales {
            match entries.iter().find(|(key, _)| key.text == *tag) {
                Some((_, text)) => match self.nonblank(text, &format!("the `{tag}` message")) {
                    Some(text) => texts.push(text),
                    None => complete = false,
                },
                None => {
                    complete = false;
                    self.error_help(ErrorCode::Message,
                        node.at,
                        format!("this message has no `{tag}` text"),
                        format!("add `{tag}: ...`: every message is given in each of the policy's locales"),
                    );
                }
            }
        }
        complete.then_some(Message(texts))
    }
}

/// The locale someone meant by `word`: the same letters in another case or order (`DE`,
/// `ed`), or the language of a tag with a region (`de-CH`, `de_DE`). Edit distance would
/// match any two-letter code to any other.
fn hint<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let language = lower.split(['-', '_']).next().unwrap_or_default();
    let mut letters: Vec<char> = lower.chars().collect();
    letters.sort_unstable();
    candidates.into_iter().find(|c| {
        let mut theirs: Vec<char> = c.chars().collect();
        theirs.sort_unstable();
        *c != word && (language == *c || theirs == letters)
    })
}
