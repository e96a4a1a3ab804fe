//! Local replies: a blocked signup is answered with its decision JSON or, for a browser that
//! asks for HTML (a form posted without JavaScript), with the page the core writes from the
//! same decision (`cipgate_policy::html`); a failure of the filter with a fixed JSON 503.
//! Every local reply depends on `Accept` and `Accept-Language` and is never stored by caches.

use crate::profile::{span, Stage};
use crate::{log, OUTCOME_HEADER, POLICY_HEADER};
use cipgate_policy::{html, Decision};
use proxy_wasm::hostcalls;
use proxy_wasm::types::LogLevel;
use std::borrow::Cow;

/// How a client asked to be answered, read from its request headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Answer {
    #[default]
    Json,
    /// A page with a link to `back` (see `html::back_link`).
    Html { back: String },
}

impl Answer {
    /// From the request's `Accept` (its lines joined), `Referer`, `:authority` and `:path`.
    pub fn of_request(
        accept: Option<&str>,
        referer: Option<&str>,
        authority: Option<&str>,
        path: &str,
    ) -> Answer {
        if html::prefers_html(accept) {
            Answer::Html {
                back: html::back_link(referer, authority, path),
            }
        } else {
            Answer::Json
        }
    }
}

/// The headers and body of one local reply.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply<'a> {
    pub headers: Vec<(&'static str, &'a str)>,
    pub body: Cow<'a, str>,
}

const JSON: &str = "application/json";
const HTML: &str = "text/html; charset=utf-8";

/// The reply to a blocked signup: the decision's JSON (`json` when it is written already, for
/// filter state) or the page of the same decision, tagged with its outcome and policy. A page
/// needs no JSON, so none is written for it.
pub fn blocked<'a>(answer: &Answer, decision: &'a Decision, json: Option<&'a str>) -> Reply<'a> {
    let (content_type, body) = match (answer, json) {
        (Answer::Json, Some(json)) => (JSON, Cow::Borrowed(json)),
        (Answer::Json, None) => (
            JSON,
            Cow::Owned(span(Stage::DecisionJson, || decision.to_json())),
        ),
        (Answer::Html { back }, _) => (HTML, Cow::Owned(decision.to_html(back))),
    };
    let mut headers = common(content_type);
    headers.push((OUTCOME_HEADER, decision.outcome.as_str()));
    headers.push((POLICY_HEADER, &decision.policy.sha256));
    Reply { headers, body }
}

/// The reply when the filter itself fails: JSON whatever the client asked for, since the
/// policy (and the locale its texts would need) may be what failed to load.
pub fn filter_failure() -> Reply<'static> {
    Reply {
        headers: common(JSON),
        body: Cow::Borrowed(
            r#"{"error":"filter_failure","status":503,"message":"The signup could not be checked; please try again later."}"#,
        ),
    }
}

fn common(content_type: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("content-type", content_type),
        ("cache-control", "no-store"),
        ("vary", "accept, accept-language"),
    ]
}

/// Sends `reply` with `status` instead of forwarding the request.
pub fn send(status: u32, reply: &Reply) {
    if let Err(s) =
        hostcalls::send_http_response(status, reply.headers.clone(), Some(reply.body.as_bytes()))
    {
        log(
            LogLevel::Error,
            &format!("cipgate: sending the reply failed: {s:?}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cipgate_policy::{Code, Outcome, PolicyRef, Violation};

    const FIREFOX: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    fn denied() -> Decision<'static> {
        let violation = Violation {
            rule: Cow::Borrowed("embargo"),
            field: Some(Cow::Borrowed("customer.address.country")),
            code: Code::Restricted,
            outcome: Outcome::Deny,
            message: Cow::Borrowed("Signups from <this> country are not accepted."),
            citation: Cow::Borrowed("15 CFR 746"),
            hit: None,
        };
        let policy = PolicyRef {
            id: Cow::Borrowed("p"),
            version: Cow::Borrowed("1"),
            sha256: Cow::Borrowed("c0ffee"),
            lists: &[],
        };
        Decision::from_violations(vec![violation], "en", policy)
    }

    fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
        reply
            .headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    #[test]
    fn a_browser_gets_the_page_an_api_client_the_json() {
        let decision = denied();
        let json = decision.to_json();
        let page = Answer::of_request(
            Some(FIREFOX),
            Some("https://example.com/form"),
            Some("example.com"),
            "/signup",
        );
        assert_eq!(
            page,
            Answer::Html {
                back: "https://example.com/form".to_owned()
            }
        );
        let reply = blocked(&page, &decision, None);
        assert_eq!(header(&reply, "content-type"), Some(HTML));
        assert!(reply.body.contains("Signups from &lt;this&gt; country"));
        assert!(reply.body.contains("href=\"https://example.com/form\""));

        for accept in [None, Some("application/json"), Some("*/*")] {
            let answer = Answer::of_request(accept, None, Some("example.com"), "/signup");
            assert_eq!(answer, Answer::Json);
            for written in [Some(json.as_str()), None] {
                let reply = blocked(&answer, &decision, written);
                assert_eq!(header(&reply, "content-type"), Some(JSON));
                assert_eq!(reply.body, json);
            }
        }
    }

    #[test]
    fn every_local_reply_varies_and_is_not_stored() {
        let decision = denied();
        let json = decision.to_json();
        let page = Answer::Html {
            back: "/signup".to_owned(),
        };
        for reply in [
            blocked(&Answer::Json, &decision, None),
            blocked(&page, &decision, None),
            filter_failure(),
        ] {
            assert_eq!(header(&reply, "vary"), Some("accept, accept-language"));
            assert_eq!(header(&reply, "cache-control"), Some("no-store"));
        }
        for answer in [Answer::Json, page] {
            let reply = blocked(&answer, &decision, Some(&json));
            assert_eq!(header(&reply, OUTCOME_HEADER), Some("deny"));
            assert_eq!(header(&reply, POLICY_HEADER), Some("c0ffee"));
        }
    }
}
