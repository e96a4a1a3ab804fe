//! The query string of a signup request. Back ends that bind fields from the query string as
//! well as from the body (Rails `params`, PHP `$_REQUEST`, Spring's `@RequestParam`) can be
//! handed a field the gate never saw: `POST /signup?customer.address.country=IR` with an
//! allowed body. So a query parameter whose name is a policy field, in any spelling such a
//! back end accepts, refuses the request before its body is read.

use crate::decision::RejectReason;
use crate::document::{folded_key, percent_decode};
use crate::policy::CompiledPolicy;

/// What the gateway accepts in the query string of a route it guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryStrings {
    /// Parameters that name no policy field pass; the back end may need them (`?lang=de`).
    RefusePolicyFields,
    /// Any query string is refused: for back ends that take nothing from the URL.
    RefuseAll,
}

impl CompiledPolicy {
    /// Checks `query`, the part of the request target after `?` (empty when there is none).
    ///
    /// A parameter names a field when its name, read as the lenient back ends read it (case
    /// folded; `.`, `_`, spaces and brackets all separating words; list indices dropped), is
    /// the field's name or path, a part of it (`customer` alone names the whole object) or
    /// goes below it. Names that cannot be decoded are refused too: what a back end makes of
    /// them is anybody's guess.
    pub fn check_query(&self, query: &str, mode: QueryStrings) -> Result<(), RejectReason> {
        if query.is_empty() {
            return Ok(());
        }
        if mode == QueryStrings::RefuseAll {
            return Err(RejectReason::QueryString);
        }
        // The fields' paths as words, made once per query, and only if a parameter has a name.
        let mut paths: Option<Vec<Vec<String>>> = None;
        // Some parsers split parameters on `;` as well as `&`: split on both.
        for parameter in query.split(['&', ';']) {
            let name = parameter.split('=').next().unwrap_or_default();
            let name = percent_decode(name.as_bytes()).map_err(|_| RejectReason::MalformedQuery)?;
            let words = words(&name);
            if words.is_empty() {
                continue;
            }
            let paths = paths.get_or_insert_with(|| field_paths(self));
            if paths
                .iter()
                .any(|path| path.starts_with(&words) || words.starts_with(path))
            {
                return Err(RejectReason::QueryNamesField);
            }
        }
        Ok(())
    }
}

/// Every field's name, JSON path and form path (from the root, through its list), as words.
fn field_paths(policy: &CompiledPolicy) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for field in &policy.ir.fields {
        let list = field.list.and_then(|l| policy.ir.fields.get(l));
        let joined = |parent: &[String], own: &[String]| {
            parent
                .iter()
                .chain(own)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(".")
        };
        paths.push(words(&field.name));
        paths.push(words(&joined(list.map_or(&[], |l| &l.json), &field.json)));
        paths.push(words(&joined(list.map_or(&[], |l| &l.form), &field.form)));
    }
    paths
}

/// A name as the most lenient back ends match it: case folded ([`folded_key`]), split into
/// words at `.`, `_`, spaces and brackets (PHP turns `.` and spaces into `_`; Rails and PHP
/// nest on brackets), list indices and empty words dropped.
fn words(name: &str) -> Vec<String> {
    folded_key(name)
        .split(['.', '_', ' ', '[', ']'])
        .filter(|w| !w.is_empty() && !w.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
        .collect()
}

#[cfg(all(test, feature = "compiler"))]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    /// Compiled once: the property test asks it hundreds of times.
    fn policy() -> &'static CompiledPolicy {
        static POLICY: std::sync::OnceLock<CompiledPolicy> = std::sync::OnceLock::new();
        POLICY.get_or_init(|| {
            let source = include_str!("../../../policies/us-iaas-cip.yaml");
            crate::compile("us-iaas-cip.yaml", source)
                .expect("the default policy compiles")
                .policy
        })
    }

    #[test]
    fn parameters_that_name_a_field_are_refused_in_every_spelling() {
        let p = policy();
        for query in [
            "customer.address.country=IR",
            "customer[address][country]=IR",
            "Customer.Address.COUNTRY=IR",
            "customer_address_country=IR",
            "customer%5Baddress%5D%5Bcountry%5D=IR",
            "customer+address+country=IR",
            "lang=de&customer.email=x@example.com",
            "lang=de;customer.email=x@example.com",
            "beneficial_owners[0][address][country]=IR",
            "beneficial_owners.3.legal_name=x",
            "customer=x",
            "customer[address]=x",
            "customer.address.country.extra=x",
            "payment.country",
            "customer.address.country\u{0}x=IR",
        ] {
            let query = query.replace('\u{0}', "%00");
            assert_eq!(
                p.check_query(&query, QueryStrings::RefusePolicyFields),
                Err(RejectReason::QueryNamesField),
                "{query}"
            );
        }
    }

    #[test]
    fn other_parameters_pass_unless_every_query_string_is_refused() {
        let p = policy();
        for query in [
            "",
            "lang=de",
            "utm_source=mail&utm_campaign=x",
            "country=DE",
            "addr=1",
            "=x",
            "&&",
        ] {
            assert_eq!(
                p.check_query(query, QueryStrings::RefusePolicyFields),
                Ok(()),
                "{query}"
            );
        }
        assert_eq!(p.check_query("", QueryStrings::RefuseAll), Ok(()));
        assert_eq!(
            p.check_query("lang=de", QueryStrings::RefuseAll),
            Err(RejectReason::QueryString)
        );
    }

    proptest::proptest! {
        #[test]
        fn any_query_is_answered_without_panic(query in "\\PC{0,40}|[a-z_.%\\[\\]=&;+0-9A-F]{0,40}") {
            let p = policy();
            let answer = p.check_query(&query, QueryStrings::RefusePolicyFields);
            // A refusal is one of the query reasons; the strict mode refuses whatever is there.
            proptest::prop_assert!(matches!(
                answer,
                Ok(()) | Err(RejectReason::QueryNamesField | RejectReason::MalformedQuery)
            ));
            proptest::prop_assert_eq!(
                p.check_query(&query, QueryStrings::RefuseAll).is_ok(),
                query.is_empty()
            );
        }
    }

    #[test]
    fn names_that_do_not_decode_are_refused() {
        let p = policy();
        for query in ["a%zz=1", "%ff=1", "lang=de&x%2=1"] {
            assert_eq!(
                p.check_query(query, QueryStrings::RefusePolicyFields),
                Err(RejectReason::MalformedQuery),
                "{query}"
            );
        }
    }
}
