//! `application/x-www-form-urlencoded` bodies, as browsers send HTML forms, read strictly.
//!
//! Keys split on `.` into nested objects (`customer.address.country`), so a form body gives
//! the same [`Value`] tree as the equivalent JSON body. The rules for lists:
//!
//! * a segment made only of ASCII digits is a list index, wherever it appears;
//! * an index must be canonical: no leading zero (`0` itself is fine) and below 1000;
//! * the members of one group are either all indices or none, and indices are exactly
//!   `0..n` (in any order), which makes the group a [`Value::Array`].
//!
//! Anything else (`01`, `1000`, a gap, an index next to a name) is
//! [`RejectReason::AmbiguousFormKeys`]: back ends disagree on what such a body means.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use crate::decision::RejectReason;
use crate::value::Value;

/// Groups up to this many members are searched linearly; larger ones get an index, so a
/// 64 KB form of thousands of fields stays fast.
const LINEAR_LOOKUP: usize = 32;

/// List indices are below this; a larger one is a sparse list no form sends.
const MAX_INDEX: usize = 1000;

pub(super) fn decode(body: &[u8], max_depth: usize) -> Result<Value<'_>, RejectReason> {
    if body.is_empty() {
        return Err(RejectReason::MissingBody);
    }
    let mut root = Group::default();
    let mut names = HashSet::new();
    for pair in body.split(|&b| b == b'&') {
        // Browsers never send an empty pair (`a=1&&b=2`, a trailing `&`) or a name without
        // `=`; parsers disagree on them (skipped, an empty name, a null value), so a body
        // with one was made by hand and is rejected rather than guessed at.
        let eq = pair
            .iter()
            .position(|&b| b == b'=')
            .ok_or(RejectReason::MalformedForm)?;
        let (raw_key, raw_value) = (
            pair.get(..eq).unwrap_or_default(),
            pair.get(eq + 1..).unwrap_or_default(),
        );
        // Browsers percent-encode `=` in names and values: a second raw one is hand-made and
        // splits differently in parsers that take the last `=`.
        if raw_key.is_empty() || raw_value.contains(&b'=') {
            return Err(RejectReason::MalformedForm);
        }
        let key = percent_decode(raw_key)?;
        let value = percent_decode(raw_value)?;
        if !names.insert(back_end_name(&key)) {
            return Err(RejectReason::AmbiguousFormKeys);
        }
        let path: Vec<&str> = key.split('.').collect();
        // `[` and `]` are nesting syntax to PHP, Rails and `qs`: such a back end would read a
        // structure that this decoder sees as one opaque name.
        if path
            .iter()
            .any(|segment| segment.is_empty() || segment.contains(['[', ']']))
        {
            return Err(RejectReason::MalformedForm);
        }
        // Depth counts like JSON: the root object is 1, each further segment one more.
        if path.len() > max_depth {
            return Err(RejectReason::TooDeep);
        }
        // An empty control is sent as `name=`; the evaluator treats null as absent.
        let leaf = if value.is_empty() {
            Value::Null
        } else {
            Value::String(value)
        };
        root.insert(&path, leaf)?;
    }
    root.into_value()
}

/// The field a lenient back end files a name under. ASP.NET Core binds form names
/// case-insensitively (see [`super::folded_key`]); PHP drops leading spaces and turns `.`
/// and spaces into `_`, so `customer.address.country` and `customer_address_country` are one
/// field in `$_POST`. Two names that meet here are one field sent twice to such a back end.
fn back_end_name(key: &str) -> String {
    super::folded_key(key.trim_start_matches(' ')).replace([' ', '.'], "_")
}

/// Decodes `+` and `%XX`, then checks the bytes are UTF-8. Most keys and many values have
/// nothing to decode and are borrowed.
pub(crate) fn percent_decode(raw: &[u8]) -> Result<Cow<'_, str>, RejectReason> {
    if !raw.iter().any(|b| matches!(b, b'+' | b'%' | b';')) {
        return std::str::from_utf8(raw)
            .map(Cow::Borrowed)
            .map_err(|_| RejectReason::NotUtf8);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let high = bytes.next().and_then(|&h| hex_digit(h));
                let low = bytes.next().and_then(|&l| hex_digit(l));
                match (high, low) {
                    (Some(high), Some(low)) => out.push((high << 4) | low),
                    _ => return Err(RejectReason::MalformedForm),
                }
            }
            // HTML 4 allowed `;` between pairs and some parsers still split on it (Python
            // before 3.9.2): `a=1;b=2` would be two fields to them and one here. Browsers
            // always encode it.
            b';' => return Err(RejectReason::MalformedForm),
            _ => out.push(b),
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| RejectReason::NotUtf8)
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

enum Node<'b> {
    Leaf(Value<'b>),
    Group(Group<'b>),
}

/// The members of one object (or list) of the form, in the order of their first key.
#[derive(Default)]
struct Group<'b> {
    members: Vec<(String, Node<'b>)>,
    /// Positions of members by key, once there are more than [`LINEAR_LOOKUP`].
    index: Option<BTreeMap<String, usize>>,
}

impl<'b> Group<'b> {
    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.members.iter().position(|(k, _)| k == key),
        }
    }

    fn push(&mut self, key: String, node: Node<'b>) {
        if let Some(index) = &mut self.index {
            index.insert(key.clone(), self.members.len());
        }
        self.members.push((key, node));
        if self.index.is_none() && self.members.len() > LINEAR_LOOKUP {
            // Inserted one by one: collecting would sort first, and a sort is kilobytes of
            // Wasm (see `crate::sort`).
            let mut index = BTreeMap::new();
            for (i, (k, _)) in self.members.iter().enumerate() {
                index.insert(k.clone(), i);
            }
            self.index = Some(index);
        }
    }

    /// Adds a leaf at `path` below this group. The same key twice, or a key that is both a
    /// value and a group (`a=1&a.b=2`), is ambiguous. Recursion is bounded by the depth
    /// check in [`decode`].
    fn insert(&mut self, path: &[&str], leaf: Value<'b>) -> Result<(), RejectReason> {
        let Some((segment, rest)) = path.split_first() else {
            return Err(RejectReason::MalformedForm);
        };
        match self.position(segment) {
            None => {
                let node = if rest.is_empty() {
                    Node::Leaf(leaf)
                } else {
                    let mut group = Group::default();
                    group.insert(rest, leaf)?;
                    Node::Group(group)
                };
                self.push((*segment).to_owned(), node);
                Ok(())
            }
            Some(i) => match self.members.get_mut(i) {
                Some((_, Node::Group(group))) if !rest.is_empty() => group.insert(rest, leaf),
                _ => Err(RejectReason::AmbiguousFormKeys),
            },
        }
    }

    fn into_value(self) -> Result<Value<'b>, RejectReason> {
        let indices = self
            .members
            .iter()
            .filter(|(key, _)| key.bytes().all(|b| b.is_ascii_digit()))
            .count();
        if indices == 0 {
            return self
                .members
                .into_iter()
                .map(|(key, node)| Ok((Cow::Owned(key), node.into_value()?)))
                .collect::<Result<_, _>>()
                .map(Value::Object);
        }
        if indices != self.members.len() {
            return Err(RejectReason::AmbiguousFormKeys);
        }
        let mut items: Vec<Option<Value>> = vec![None; self.members.len()];
        for (key, node) in self.members {
            // Keys are unique, so n indices each below n fill every slot exactly once.
            let slot = canonical_index(&key)
                .and_then(|i| items.get_mut(i))
                .ok_or(RejectReason::AmbiguousFormKeys)?;
            *slot = Some(node.into_value()?);
        }
        items
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .map(Value::Array)
            .ok_or(RejectReason::AmbiguousFormKeys)
    }
}

impl<'b> Node<'b> {
    fn into_value(self) -> Result<Value<'b>, RejectReason> {
        match self {
            Node::Leaf(value) => Ok(value),
            Node::Group(group) => group.into_value(),
        }
    }
}

/// `0`, `7`, `42`: digits only, no leading zero, below [`MAX_INDEX`].
fn canonical_index(segment: &str) -> Option<usize> {
    if segment.len() > 1 && segment.starts_with('0') {
        return None;
    }
    segment.parse().ok().filter(|&i| i < MAX_INDEX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::tests::{object, string};
    use proptest::prelude::*;

    fn form(text: &str) -> Result<Value<'_>, RejectReason> {
        decode(text.as_bytes(), 8)
    }

    fn assert_rejects(reason: RejectReason, inputs: &[&str]) {
        for input in inputs {
            assert_eq!(form(input), Err(reason), "{input:?}");
        }
    }

    #[test]
    fn nested_keys_build_objects() {
        assert_eq!(
            form("customer.kind=individual&customer.address.country=FR&customer.address.city=Paris&accept=on"),
            Ok(object(&[
                (
                    "customer",
                    object(&[
                        ("kind", string("individual")),
                        (
                            "address",
                            object(&[("country", string("FR")), ("city", string("Paris"))])
                        ),
                    ])
                ),
                ("accept", string("on")),
            ]))
        );
    }

    #[test]
    fn spaces_and_percent_escapes() {
        assert_eq!(
            form("name=Jos%C3%A9+Mar%c3%ada%20Ruiz&plus=1%2B1&pct=100%25&amp=a%26b&eq=a%3Db"),
            Ok(object(&[
                ("name", string("José María Ruiz")),
                ("plus", string("1+1")),
                ("pct", string("100%")),
                ("amp", string("a&b")),
                ("eq", string("a=b")),
            ]))
        );
        // Keys are decoded before they are split, as a back end sees them.
        assert_eq!(
            form("a%2Eb=1&first+name=x"),
            Ok(object(&[
                ("a", object(&[("b", string("1"))])),
                ("first name", string("x")),
            ]))
        );
        // Raw UTF-8 is read as the browser's percent-decoding would read it.
        assert_eq!(
            form("city=İstanbul"),
            Ok(object(&[("city", string("İstanbul"))]))
        );
    }

    #[test]
    fn empty_values_are_null() {
        assert_eq!(
            form("a=&b.c="),
            Ok(object(&[
                ("a", Value::Null),
                ("b", object(&[("c", Value::Null)])),
            ]))
        );
    }

    #[test]
    fn indices_build_lists() {
        assert_eq!(
            form("beneficial_owners.0.legal_name=A&beneficial_owners.1.legal_name=B"),
            Ok(object(&[(
                "beneficial_owners",
                Value::Array(vec![
                    object(&[("legal_name", string("A"))]),
                    object(&[("legal_name", string("B"))]),
                ])
            )]))
        );
        // Order of the pairs does not matter, the indices do.
        assert_eq!(
            form("tags.2=c&tags.0=a&tags.1=b"),
            Ok(object(&[(
                "tags",
                Value::Array(vec![string("a"), string("b"), string("c")])
            )]))
        );
        let items = (0..MAX_INDEX)
            .map(|i| format!("l.{i}=x"))
            .collect::<Vec<_>>()
            .join("&");
        let Ok(Value::Object(members)) = form(&items) else {
            panic!("not decoded");
        };
        assert!(matches!(&members[0].1, Value::Array(list) if list.len() == MAX_INDEX));
    }

    #[test]
    fn ambiguous_keys() {
        assert_rejects(
            RejectReason::AmbiguousFormKeys,
            &[
                "a=1&a=2",
                "a=1&a=1",
                "a=&a=",
                "a=1&a%2Eb=2",
                "a.b=1&a.b=2",
                "a=1&a.b=2",
                "a.b=2&a=1",
                "a.b.c=1&a.b=2",
                // Lists with gaps, bad indices or names among indices.
                "l.1=x",
                "l.0=x&l.2=y",
                "l.0=x&l.01=y",
                "l.00=x",
                "l.01=x&l.0=y",
                "l.1000=x",
                "l.99999999999999999999999=x",
                "l.0=x&l.name=y",
                "l.0=x&l.-1=y",
                "owners.0.name=A&owners.1.name=B&owners.1.name=C",
                "owners.0.name=A&owners.0.name.first=B",
            ],
        );
    }

    #[test]
    fn names_a_lenient_back_end_files_together_are_ambiguous() {
        assert_rejects(
            RejectReason::AmbiguousFormKeys,
            &[
                // ASP.NET Core binds names case-insensitively.
                "customer.address.country=DE&customer.address.Country=IR",
                "a.b=1&A.B=2",
                "kind=x&%E2%84%AAind=y",
                // PHP reads `.` and spaces as `_` and drops leading spaces.
                "customer_address_country=DE&customer.address.country=IR",
                "a.b=1&a+b=2",
                "a=1&+a=2",
                "a=1&a%00b=2",
            ],
        );
        // Names that only share a prefix, or differ otherwise, are still different names.
        assert!(form("a.b=1&a.c=2&ab=3&a_c.d=4").is_ok());
    }

    #[test]
    fn malformed_form() {
        assert_rejects(
            RejectReason::MalformedForm,
            &[
                "a",
                "a=1&b",
                "=1",
                "a=1&=2",
                "a=1&&b=2",
                "a=1&",
                "&a=1",
                "&",
                "a=b=c",
                "a..b=1",
                ".a=1",
                "a.=1",
                "a%2E%2Eb=1",
                "a=%zz",
                "a=%4",
                "a=%4&b=1",
                "a=%",
                "%=1",
                "a=%%41",
                "a=1;b=2",
                "a;b=1",
                "a[b]=1",
                "a%5B0%5D=1",
                "a.b]=1",
            ],
        );
    }

    #[test]
    fn not_utf8() {
        for body in [
            &b"a=%ff"[..],
            b"a=%C3",
            b"%C3%28=1",
            b"a=\xff",
            b"a=%ED%A0%80",
        ] {
            assert_eq!(decode(body, 8), Err(RejectReason::NotUtf8), "{body:?}");
        }
    }

    #[test]
    fn missing_body() {
        assert_eq!(form(""), Err(RejectReason::MissingBody));
    }

    #[test]
    fn depth_is_bounded() {
        // The root object is depth 1, as in JSON: `a.b.c` is three deep.
        assert!(decode(b"a.b.c=1", 3).is_ok());
        assert_eq!(decode(b"a.b.c.d=1", 3), Err(RejectReason::TooDeep));
        assert!(decode(b"l.0.c=1", 3).is_ok());
        assert_eq!(decode(b"l.0.c.d=1", 3), Err(RejectReason::TooDeep));
        assert_eq!(decode(b"a=1", 0), Err(RejectReason::TooDeep));
    }

    #[test]
    fn many_fields() {
        let body = (0..5000)
            .map(|i| format!("f{i}=v"))
            .collect::<Vec<_>>()
            .join("&");
        let Ok(Value::Object(members)) = form(&body) else {
            panic!("not decoded");
        };
        assert_eq!(members.len(), 5000);
        assert_eq!(members[4999].0, "f4999");
        for duplicate in ["f0", "f40", "f4999"] {
            let body = format!("{body}&{duplicate}=w");
            assert_eq!(form(&body), Err(RejectReason::AmbiguousFormKeys));
        }
        assert_eq!(
            form(&format!("{body}&f33.x=1")),
            Err(RejectReason::AmbiguousFormKeys)
        );
    }

    /// Percent-encodes as a browser does: alphanumerics and `*-._` stay, space is `+`.
    fn encode(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    char::from(b).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    /// The pairs a browser would send for a tree of fields.
    fn pairs(prefix: &str, value: &Value, out: &mut Vec<String>) {
        let join = |key: &str| {
            if prefix.is_empty() {
                key.to_owned()
            } else {
                format!("{prefix}.{key}")
            }
        };
        match value {
            Value::Object(members) => {
                for (k, v) in members {
                    pairs(&join(k), v, out);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    pairs(&join(&i.to_string()), v, out);
                }
            }
            Value::String(s) => out.push(format!("{}={}", encode(prefix), encode(s))),
            _ => out.push(format!("{}=", encode(prefix))),
        }
    }

    fn any_tree() -> impl Strategy<Value = Value<'static>> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<String>()
                .prop_filter("empty is null", |s| !s.is_empty())
                .prop_map(|s| Value::String(s.into())),
            "[a-z +&=%.;\u{e9}\u{1f600}]{1,8}".prop_map(|s| Value::String(s.into())),
        ];
        let name = "[a-z_A-Z][a-z_A-Z0-9 \u{e9}-]{0,5}";
        let tree = leaf.prop_recursive(4, 48, 4, move |inner| {
            prop_oneof![
                prop::collection::btree_map(name, inner.clone(), 1..4).prop_map(|m| Value::Object(
                    m.into_iter().map(|(k, v)| (k.into(), v)).collect()
                )),
                prop::collection::vec(inner, 1..4).prop_map(Value::Array),
            ]
        });
        prop::collection::btree_map(name, tree, 1..5)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.into(), v)).collect()))
            .prop_filter(
                "names a lenient back end keeps apart",
                distinct_back_end_names,
            )
    }

    /// Whether no two fields of the tree are one field to PHP or ASP.NET (`a b` and `a_b`,
    /// `A` and `a`): such trees are ambiguous by design.
    fn distinct_back_end_names(tree: &Value) -> bool {
        let mut out = Vec::new();
        pairs("", tree, &mut out);
        let mut seen = HashSet::new();
        out.iter().all(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            seen.insert(back_end_name(&percent_decode(key.as_bytes()).unwrap()))
        })
    }

    fn form_like_bytes() -> impl Strategy<Value = Vec<u8>> {
        let alphabet: Vec<u8> = b"ab01.=&+%2E5Bfc3;[]\xff\xc3\xa9".to_vec();
        prop::collection::vec(prop::sample::select(alphabet), 0..100)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode(&bytes, 8);
        }

        #[test]
        fn form_like_bytes_never_panic(bytes in form_like_bytes()) {
            let _ = decode(&bytes, 4);
        }

        /// What a browser sends for a tree of named controls decodes to that tree.
        #[test]
        fn browser_encoding_round_trips(tree in any_tree()) {
            let mut out = Vec::new();
            pairs("", &tree, &mut out);
            let body = out.join("&");
            prop_assert_eq!(decode(body.as_bytes(), 8), Ok(tree));
        }
    }
}
