//! The answer a person reads: a browser that posts the signup form without JavaScript asks for
//! HTML, and the gateway answers with a small page listing the decision's messages in its
//! locale, with a link back to the form. The decision and its status are the same as in JSON;
//! only the words around the messages are added. No scripts, no external resources.

use crate::decision::{Decision, Outcome, Violation};
use crate::locale::{page_text, PageText};
use crate::weighted::{self, is_token};

/// Whether a client that sent `accept` (an `Accept` value, several lines joined with `, `)
/// ranks `text/html` above `application/json` (RFC 9110 section 12.5.1): the most specific
/// range that matches a type gives its weight. Ties, no header, `*/*` alone and a value that
/// does not parse all get JSON, which is what API clients are written against.
pub fn prefers_html(accept: Option<&str>) -> bool {
    let Some(accept) = accept else {
        return false;
    };
    let mut html = Preference::default();
    let mut json = Preference::default();
    for element in weighted::elements(accept) {
        let Some(element) = element else {
            return false;
        };
        let Some((kind, subtype)) = element.item.split_once('/') else {
            return false;
        };
        let wildcard_type = kind == "*";
        if !is_token(kind) || !is_token(subtype) || (wildcard_type && subtype != "*") {
            return false;
        }
        html.consider(kind, subtype, "text", "html", element.weight);
        json.consider(kind, subtype, "application", "json", element.weight);
    }
    html.weight() > json.weight()
}

/// The weight a client gives one media type: from the most specific range naming it (2 for
/// `type/subtype`, 1 for `type/*`, 0 for `*/*`), the highest weight at that specificity.
#[derive(Debug, Default, Clone, Copy)]
struct Preference(Option<(u8, u16)>);

impl Preference {
    fn consider(&mut self, kind: &str, subtype: &str, of_kind: &str, of_subtype: &str, w: u16) {
        let specificity = match (kind, subtype) {
            ("*", "*") => 0,
            (k, "*") if k.eq_ignore_ascii_case(of_kind) => 1,
            (k, s) if k.eq_ignore_ascii_case(of_kind) && s.eq_ignore_ascii_case(of_subtype) => 2,
            _ => return,
        };
        if self.0.is_none_or(|best| (specificity, w) > best) {
            self.0 = Some((specificity, w));
        }
    }

    fn weight(self) -> u16 {
        self.0.map_or(0, |(_, weight)| weight)
    }
}

/// Where the page's link back points: the `Referer` when it is a page of the same origin
/// (`http` or `https`, exactly the request's own `Host` / `:authority`),
/// otherwise the request's own path without its query. Never another origin, never a
/// script, never a scheme-relative `//host` path: the link must not become an open redirect.
pub fn back_link(referer: Option<&str>, host: Option<&str>, path: &str) -> String {
    if let (Some(referer), Some(host)) = (referer, host) {
        if is_same_origin(referer, host) {
            return referer.to_owned();
        }
    }
    let path = path.split(['?', '#']).next().unwrap_or_default();
    if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') {
        path.to_owned()
    } else {
        "/".to_owned()
    }
}

fn is_same_origin(referer: &str, host: &str) -> bool {
    let Some((scheme, rest)) = referer.split_once("://") else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return false;
    }
    // The whole authority must be the request's: `user@host` or `host.evil.example` is not.
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && authority.eq_ignore_ascii_case(host)
}

/// Minimal, legible, no external resource (a Content-Security-Policy may forbid them).
const STYLE: &str = "body{font-family:system-ui,sans-serif;line-height:1.5;max-width:40rem;\
margin:2rem auto;padding:0 1rem;color:#1a1a1a;background:#fff}li{margin-bottom:.75rem}\
small{color:#555}footer{overflow-wrap:anywhere}";

impl Decision<'_> {
    /// The decision as a complete HTML5 page in its locale: a heading for its outcome, every
    /// violation's message (with the field it names and its rule id), the policy's sha256 and
    /// a link to `back` (see [`back_link`]). Every text is escaped.
    pub fn to_html(&self, back: &str) -> String {
        let text = |t: PageText| page_text(t, self.locale);
        let heading = text(match self.outcome {
            Outcome::Deny => PageText::Denied,
            Outcome::Incomplete => PageText::Incomplete,
            Outcome::Reject => PageText::Refused,
            Outcome::Allow | Outcome::Review => PageText::Received,
        });
        let lead = text(match self.outcome {
            Outcome::Incomplete | Outcome::Reject => PageText::CorrectThese,
            Outcome::Deny | Outcome::Allow | Outcome::Review => PageText::Reasons,
        });
        let mut out = String::with_capacity(1024 + 320 * self.violations.len());
        out.push_str("<!DOCTYPE html>\n<html lang=\"");
        escape(&mut out, self.locale);
        out.push_str("\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        out.push_str("<title>");
        escape(&mut out, heading);
        out.push_str("</title>\n<style>");
        out.push_str(STYLE);
        out.push_str("</style>\n</head>\n<body>\n<main>\n<h1>");
        escape(&mut out, heading);
        out.push_str("</h1>\n");
        if !self.violations.is_empty() {
            out.push_str("<p>");
            escape(&mut out, lead);
            out.push_str("</p>\n<ul>\n");
            for violation in &self.violations {
                write_violation(&mut out, violation, &text);
            }
            out.push_str("</ul>\n");
        }
        out.push_str("<p><a href=\"");
        escape(&mut out, back);
        out.push_str("\">");
        escape(&mut out, text(PageText::GoBack));
        out.push_str("</a></p>\n</main>\n<footer><small>");
        escape(&mut out, text(PageText::Policy));
        out.push_str(": ");
        for (i, part) in [
            self.policy.id.as_ref(),
            self.policy.version.as_ref(),
            "sha256",
            self.policy.sha256.as_ref(),
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                out.push(' ');
            }
            escape(&mut out, part);
        }
        out.push_str("</small></footer>\n</body>\n</html>\n");
        out
    }
}

fn write_violation(out: &mut String, v: &Violation, text: &dyn Fn(PageText) -> &'static str) {
    out.push_str("<li>");
    escape(out, &v.message);
    out.push_str("<br><small>");
    if let Some(field) = &v.field {
        escape(out, text(PageText::Field));
        out.push_str(": <code>");
        escape(out, field);
        out.push_str("</code>; ");
    }
    escape(out, text(PageText::Rule));
    out.push_str(": <code>");
    escape(out, &v.rule);
    out.push_str("</code></small></li>\n");
}

/// Appends `s` with the five characters that can end text or an attribute value escaped.
fn escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{Code, PolicyRef, RejectReason, REJECT_CITATION};
    use std::borrow::Cow;

    const CHROMIUM: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,\
image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
    const FIREFOX: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    #[test]
    fn browsers_navigating_get_html() {
        for accept in [
            CHROMIUM,
            FIREFOX,
            "text/html",
            "TEXT/HTML",
            "text/*, application/json;q=0.5",
            "text/html;level=1;q=0.9, */*;q=0.1",
        ] {
            assert!(prefers_html(Some(accept)), "{accept:?}");
        }
    }

    #[test]
    fn api_clients_keep_json() {
        for accept in [
            "application/json",
            "*/*",
            "text/html, application/json",
            "text/html;q=0.1, application/json",
            "text/html;q=0.5, application/*",
            "application/xhtml+xml",
            "text/html;q=0, */*",
            "",
        ] {
            assert!(!prefers_html(Some(accept)), "{accept:?}");
        }
        assert!(!prefers_html(None));
    }

    #[test]
    fn a_value_that_does_not_parse_gets_json() {
        for bad in [
            "text/html;q=2",
            "text/html;q=0.9;q=0.8",
            "text/html, json",
            "text/html, */html",
            "text/html, te xt/plain",
            "text/html;level",
            "text/html, application/json;q=x",
            "text/html\u{0}",
        ] {
            assert!(!prefers_html(Some(bad)), "{bad:?}");
        }
    }

    #[test]
    fn the_link_back_is_a_same_origin_referer_or_the_request_path() {
        let host = Some("signup.example.com");
        let back = |referer: &str| back_link(Some(referer), host, "/signup?x=1");
        for same in [
            "https://signup.example.com/form?plan=small",
            "http://signup.example.com/",
            "HTTPS://Signup.Example.com/form#top",
            "https://signup.example.com",
        ] {
            assert_eq!(back(same), same);
        }
        for other in [
            "https://evil.example.net/form",
            "https://signup.example.com.evil.net/form",
            "https://signup.example.com@evil.net/form",
            "https://signup.example.com:8443/form",
            "javascript:alert(1)//signup.example.com",
            "javascript://signup.example.com/%0aalert(1)",
            "data://signup.example.com/",
            "//signup.example.com/form",
            "/form",
            "https://signup.example.com\\@evil.net/",
            "",
        ] {
            assert_eq!(back(other), "/signup", "{other:?}");
        }
        assert_eq!(back_link(None, host, "/signup"), "/signup");
        assert_eq!(back_link(Some("https://x/"), None, "/signup"), "/signup");
        assert_eq!(back_link(Some("https:///form"), Some(""), "/s"), "/s");
    }

    #[test]
    fn the_request_path_never_leaves_the_origin() {
        for (path, back) in [
            ("/signup", "/signup"),
            ("/a/b?c=d#e", "/a/b"),
            ("//evil.example.net/x", "/"),
            ("/\\evil.example.net/x", "/"),
            ("https://evil.example.net/", "/"),
            ("", "/"),
            ("*", "/"),
        ] {
            assert_eq!(back_link(None, Some("h"), path), back, "{path:?}");
        }
    }

    fn decision<'p>(locale: &'p str, violations: Vec<Violation<'p>>) -> Decision<'p> {
        let policy = PolicyRef {
            id: Cow::Borrowed("us-iaas-cip"),
            version: Cow::Borrowed("2026.12.5"),
            sha256: Cow::Borrowed("ab12"),
            lists: &[],
        };
        Decision::from_violations(violations, locale, policy)
    }

    fn violation<'p>(
        rule: &'p str,
        field: Option<&'p str>,
        outcome: Outcome,
        message: &'p str,
    ) -> Violation<'p> {
        Violation {
            rule: Cow::Borrowed(rule),
            field: field.map(Cow::Borrowed),
            code: Code::Missing,
            outcome,
            message: Cow::Borrowed(message),
            citation: Cow::Borrowed("89 FR 5698"),
            hit: None,
        }
    }

    #[test]
    fn the_page_lists_every_message_with_its_field_and_rule() {
        let page = decision(
            "en",
            vec![
                violation(
                    "phone-required",
                    Some("customer.phone"),
                    Outcome::Incomplete,
                    "Enter a telephone number.",
                ),
                violation("ip-required", None, Outcome::Incomplete, "No address."),
            ],
        )
        .to_html("/signup");
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(page.contains("<meta charset=\"utf-8\">"));
        assert!(page.contains("<meta name=\"viewport\""));
        assert!(page.contains("<title>Your signup is incomplete</title>"));
        assert!(page.contains("<h1>Your signup is incomplete</h1>"));
        assert!(page.contains(
            "<li>Enter a telephone number.<br><small>Field: <code>customer.phone</code>; \
             Rule: <code>phone-required</code></small></li>"
        ));
        assert!(page.contains("<li>No address.<br><small>Rule: <code>ip-required</code>"));
        assert!(page.contains("<a href=\"/signup\">Go back to the form</a>"));
        assert!(page.contains("<footer><small>Policy: us-iaas-cip 2026.12.5 sha256 ab12"));
        assert!(page.ends_with("</html>\n"));
        assert!(!page.contains("<script") && !page.contains("src=") && !page.contains("@import"));
    }

    #[test]
    fn every_text_is_escaped() {
        let message = "<script>alert('x')</script> & \"more\"";
        let page = decision(
            "en",
            vec![violation("r<1>", Some("f\"x"), Outcome::Deny, message)],
        )
        .to_html("/back\"><script>x</script>");
        assert!(!page.contains("<script"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;")
        );
        assert!(page.contains("<code>r&lt;1&gt;</code>"));
        assert!(page.contains("<code>f&quot;x</code>"));
        assert!(page.contains("href=\"/back&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""));
        assert!(page.contains("<h1>Your signup could not be accepted</h1>"));
        assert!(page.contains("<p>It was refused for these reasons:</p>"));
    }

    #[test]
    fn a_german_decision_gets_a_german_page() {
        let reason = RejectReason::MalformedForm;
        let rejected = Violation {
            rule: Cow::Borrowed(reason.rule_id()),
            field: None,
            code: Code::Rejected,
            outcome: Outcome::Reject,
            message: Cow::Borrowed(reason.message("de")),
            citation: Cow::Borrowed(REJECT_CITATION),
            hit: None,
        };
        let page = decision("de", vec![rejected]).to_html("/anmeldung");
        assert!(page.contains("<html lang=\"de\">"));
        assert!(page.contains("<h1>Ihre Registrierung konnte nicht gelesen werden</h1>"));
        assert!(page.contains("Bitte korrigieren Sie Folgendes"));
        assert!(page.contains(reason.message("de")));
        assert!(page.contains("Regel: <code>document.malformed-form</code>"));
        assert!(page.contains(">Zurück zum Formular</a>"));
        assert!(page.contains("Richtlinie: us-iaas-cip"));
        assert!(!page.contains("Go back") && !page.contains("Rule:"));
    }
}
