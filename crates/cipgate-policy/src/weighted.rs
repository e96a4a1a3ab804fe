//! Weighted lists of HTTP content negotiation (`Accept`, `Accept-Language`; RFC 9110 section
//! 12.4.2): elements separated by commas, each with optional parameters and a `q` weight. One
//! reader for both headers, so a weight means the same in each.

/// One element of a weighted list: what it names, whether parameters other than the weight
/// came with it, and its weight in thousandths (1000 without `q`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Element<'a> {
    pub item: &'a str,
    pub has_params: bool,
    pub weight: u16,
}

/// The elements of a weighted list, `None` for an element that does not parse. Empty
/// elements (`de,,en`) are skipped, as RFC 9110 asks of recipients.
pub(crate) fn elements(value: &str) -> impl Iterator<Item = Option<Element<'_>>> {
    value
        .split(',')
        .map(|element| element.trim_matches(OWS))
        .filter(|element| !element.is_empty())
        .map(element)
}

const OWS: [char; 2] = [' ', '\t'];

/// `item`, `item;q=0.5`, `text/html;level=1;q=0.5`: parameters are `name=value`, the weight
/// comes last and once.
fn element(text: &str) -> Option<Element<'_>> {
    let mut parts = text.split(';');
    let item = parts.next()?.trim_end_matches(OWS);
    let mut has_params = false;
    let mut weight = None;
    for param in parts {
        if weight.is_some() {
            return None;
        }
        let (name, value) = param.trim_matches(OWS).split_once('=')?;
        if name.eq_ignore_ascii_case("q") {
            weight = Some(qvalue(value)?);
        } else if is_token(name) && !value.is_empty() {
            has_params = true;
        } else {
            return None;
        }
    }
    Some(Element {
        item,
        has_params,
        weight: weight.unwrap_or(1000),
    })
}

/// `0`, `0.5`, `0.125`, `1`, `1.000`, in thousandths.
fn qvalue(q: &str) -> Option<u16> {
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// An RFC 9110 token: the names of media types, their subtypes and parameters.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn one(value: &str) -> Option<Element<'_>> {
        let mut all = elements(value);
        let first = all.next().flatten();
        assert!(all.next().is_none(), "{value:?} has more than one element");
        first
    }

    #[test]
    fn weights_are_read_in_thousandths() {
        for (value, weight) in [
            ("de", 1000),
            ("de;q=0.9", 900),
            ("de ; Q=0.125", 125),
            ("de;q=0", 0),
            ("de;q=1.000", 1000),
            ("text/html;level=1;q=0.5", 500),
        ] {
            assert_eq!(one(value).map(|e| e.weight), Some(weight), "{value:?}");
        }
    }

    #[test]
    fn parameters_before_the_weight_are_noted() {
        let signed = one("application/signed-exchange;v=b3;q=0.7").unwrap();
        assert_eq!(signed.item, "application/signed-exchange");
        assert!(signed.has_params);
        assert_eq!(signed.weight, 700);
        assert_eq!(one("de;q=0.5").map(|e| e.has_params), Some(false));
    }

    #[test]
    fn malformed_elements_are_none() {
        for bad in [
            "de;q=2",
            "de;q=1.5",
            "de;q=0.1234",
            "de;q=",
            "de;q=0.9;q=0.8",
            "text/html;q=0.5;level=1",
            "de;level",
            "de;=1",
            "de;level=",
            "de;q=x",
        ] {
            assert_eq!(one(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn empty_elements_are_skipped() {
        assert_eq!(elements(" , ,\t").count(), 0);
        assert_eq!(elements("de,,en").count(), 2);
    }
}
