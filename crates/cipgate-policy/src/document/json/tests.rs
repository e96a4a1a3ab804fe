use super::*;
use crate::document::tests::{object, string};
use proptest::prelude::*;
use serde_json::Value as J;

fn json(text: &str) -> Result<Value<'_>, RejectReason> {
    decode(text.as_bytes(), 64)
}

fn assert_rejects(reason: RejectReason, inputs: &[&str]) {
    for input in inputs {
        assert_eq!(json(input), Err(reason), "{input:?}");
    }
}

#[test]
fn decodes_every_kind_of_value() {
    let value = json(
        r#" { "s": "x\"\\\/\b\f\n\r\tA", "n": -12.5e2, "t": true, "f": false,
              "z": null, "l": [1, [], {}], "o": {"k": "é"} } "#,
    );
    assert_eq!(
        value,
        Ok(object(&[
            ("s", string("x\"\\/\u{8}\u{c}\n\r\tA")),
            ("n", Value::Number(-1250.0)),
            ("t", Value::Bool(true)),
            ("f", Value::Bool(false)),
            ("z", Value::Null),
            (
                "l",
                Value::Array(vec![
                    Value::Number(1.0),
                    Value::Array(vec![]),
                    Value::Object(vec![]),
                ])
            ),
            ("o", object(&[("k", string("é"))])),
        ]))
    );
}

#[test]
fn top_level_scalars_are_values() {
    assert_eq!(json("\"x\""), Ok(string("x")));
    assert_eq!(json(" 3 "), Ok(Value::Number(3.0)));
    assert_eq!(json("null"), Ok(Value::Null));
    assert_eq!(json("[]"), Ok(Value::Array(vec![])));
}

/// An example signup (foreign-organization-with-owners.json), with non-ASCII text.
const SIGNUP: &str = r#"{
  "customer": {
    "kind": "organization",
    "legal_name": "Atelier Numérique SAS",
    "email": "billing@atelier-numerique.example.fr",
    "phone": "+33 1 84 88 20 00",
    "address": {"line1": "18 rue de la Paix", "city": "Paris", "postal_code": "75002", "country": "FR"}
  },
  "payment": {"method": "bank_account", "institution": "BNP Paribas", "country": "FR", "reference": "FR7630004000031234567890143"},
  "beneficial_owners": [
    {"legal_name": "Claire Martin", "ownership_percent": 60,
     "address": {"line1": "5 avenue Foch", "city": "Lyon", "postal_code": "69006", "country": "FR"}},
    {"legal_name": "Yusuf Demir", "ownership_percent": 40,
     "address": {"line1": "Bağdat Caddesi 210", "city": "İstanbul", "postal_code": "34728", "country": "TR"}}
  ]
}"#;

#[test]
fn example_signup_decodes_as_serde_json_reads_it() {
    let ours = json(SIGNUP).unwrap();
    let theirs: J = serde_json::from_str(SIGNUP).unwrap();
    assert_eq!(normalized(ours.clone()), normalized(from_serde(&theirs)));
    let owners = ours.member("beneficial_owners");
    let Some(Value::Array(owners)) = owners else {
        panic!("{owners:?}");
    };
    assert_eq!(
        owners[1].at_path(&["address", "city"]),
        Some(&string("İstanbul"))
    );
}

#[test]
fn missing_body() {
    assert_rejects(RejectReason::MissingBody, &["", " ", " \t\r\n "]);
}

#[test]
fn byte_order_mark() {
    assert_rejects(RejectReason::ByteOrderMark, &["\u{feff}{}", "\u{feff}"]);
    // Inside a string it is just a character.
    assert_eq!(json("\"\u{feff}\""), Ok(string("\u{feff}")));
}

#[test]
fn not_utf8() {
    for bytes in [
        &b"{\"a\": \"\xff\"}"[..],
        b"{\"a\": \"\xc0\x80\"}",     // overlong NUL
        b"{\"a\": \"\xed\xa0\x80\"}", // a surrogate encoded directly
        b"{\"a\": 1} \xfe",
        b"\xff\xfe{}", // UTF-16 byte order mark
    ] {
        assert_eq!(decode(bytes, 64), Err(RejectReason::NotUtf8), "{bytes:?}");
    }
}

#[test]
fn malformed_json() {
    assert_rejects(
        RejectReason::MalformedJson,
        &[
            "{",
            "}",
            "[1,]",
            "[,1]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "{'a':1}",
            "['a']",
            "{\"a\":1 \"b\":2}",
            "[1 2]",
            "\"unterminated",
            "\"tab\there\"",
            "\"new\nline\"",
            "\"nul\u{0}\"",
            "01",
            "[-01]",
            "+1",
            ".5",
            "1.",
            "1.e5",
            "1e",
            "1e+",
            "-",
            "-a",
            "--1",
            "0x10",
            "1.2.3",
            "NaN",
            "Infinity",
            "-Infinity",
            "[nan]",
            "tru",
            "truex",
            "nul",
            "[True]",
            "/* c */ {}",
            "{\"a\": /* c */ 1}",
            "[1, // c\n 2]",
            "{\"a\":1]",
            "[1}",
            "\\u0061",
        ],
    );
}

#[test]
fn invalid_escape() {
    assert_rejects(
        RejectReason::InvalidEscape,
        &[
            r#""\x41""#,
            r#""\a""#,
            r#""\'""#,
            r#""\U0041""#,
            r#""\u00G1""#,
            r#""\u12""#,
            r#""\ud83d""#,
            r#""\ud83d x""#,
            r#""\ud83d\n""#,
            r#""\ud83d\u0041""#,
            r#""\ud83d\ud83d""#,
            r#""\ude00""#,
            r#""\ude00\ud83d""#,
            r#"{"\udfff": 1}"#,
        ],
    );
}

#[test]
fn unicode_escapes_decode() {
    assert_eq!(json(r#""\ud83d\ude00""#), Ok(string("😀")));
    assert_eq!(json(r#""\uD83D\uDE00""#), Ok(string("😀")));
    assert_eq!(json(r#""\u00e9\u0041\u0000""#), Ok(string("éA\u{0}")));
    assert_eq!(json(r#""\uffff""#), Ok(string("\u{ffff}")));
}

#[test]
fn trailing_data() {
    assert_rejects(
        RejectReason::TrailingData,
        // A comment after the document is data after it, too.
        &[
            "{} {}",
            "{}x",
            "[1]]",
            "\"a\" \"b\"",
            "1 2",
            "{}\u{0}",
            "null,",
            "{} // c",
        ],
    );
    assert_eq!(json("{} \r\n\t"), Ok(Value::Object(vec![])));
}

#[test]
fn depth_is_bounded() {
    let nested = |open: &str, close: &str, n: usize| open.repeat(n) + &close.repeat(n);
    for n in [1, 5] {
        assert!(decode(nested("[", "]", n).as_bytes(), 5).is_ok(), "{n}");
        assert!(decode(nested("{\"a\":", "}", n).as_bytes(), 5).is_err());
    }
    assert_eq!(
        decode(nested("[", "]", 6).as_bytes(), 5),
        Err(RejectReason::TooDeep)
    );
    let mixed = |inner: &str| format!(r#"{{"a": [{{"b": [{inner}]}}]}}"#);
    assert!(decode(mixed("{}").as_bytes(), 5).is_ok());
    assert!(decode(mixed("[1]").as_bytes(), 5).is_ok());
    assert_eq!(
        decode(mixed("[[]]").as_bytes(), 5),
        Err(RejectReason::TooDeep)
    );
    // Empty containers count too, and scalars need no depth at all.
    assert_eq!(decode(b"{}", 0), Err(RejectReason::TooDeep));
    assert_eq!(decode(b"7", 0), Ok(Value::Number(7.0)));
    // A hostile nesting far beyond the limit stops at the limit, whatever follows.
    let hostile = "[".repeat(100_000);
    assert_eq!(decode(hostile.as_bytes(), 64), Err(RejectReason::TooDeep));
}

#[test]
fn numbers() {
    let number = |text: &str| {
        json(text).map(|v| match v {
            Value::Number(n) => n,
            other => panic!("{other:?}"),
        })
    };
    assert_eq!(number("-0").map(f64::is_sign_negative), Ok(true));
    assert_eq!(number("1e-400"), Ok(0.0));
    assert_eq!(number("0.1"), Ok(0.1));
    assert_eq!(number("1E+2"), Ok(100.0));
    assert_eq!(number("-2.5e-3"), Ok(-0.0025));
    assert_eq!(number("9007199254740993"), Ok(9_007_199_254_740_992.0));
    assert_eq!(number("1.7976931348623157e308"), Ok(f64::MAX));
    for text in [
        "1e400",
        "-1e400",
        "1.8e308",
        &format!("1{}", "0".repeat(400)),
    ] {
        assert_eq!(json(text), Err(RejectReason::NonFiniteNumber), "{text}");
    }
    assert_eq!(
        json(r#"{"a": [1e999]}"#),
        Err(RejectReason::NonFiniteNumber)
    );
}

#[test]
fn duplicate_keys_at_any_depth() {
    assert_rejects(
        RejectReason::DuplicateKey,
        &[
            r#"{"a": 1, "a": 1}"#,
            r#"{"a": 1, "b": 2, "a": {}}"#,
            r#"{"a": 1, "\u0061": 2}"#,
            r#"{"é": 1, "\u00e9": 2}"#,
            r#"{"😀": 1, "\ud83d\ude00": 2}"#,
            r#"{"o": {"x": {"y": 1, "y": 2}}}"#,
            r#"{"owners": [{"name": "A"}, {"name": "B", "name": "C"}]}"#,
            r#"[[{"k": 1}], [[{"k": 1, "k": 1}]]]"#,
        ],
    );
    // Equal keys in different objects are fine.
    assert!(json(r#"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}], "c": {"A": 0}}"#).is_ok());
}

#[test]
fn keys_equal_up_to_case_are_duplicates() {
    // Go's encoding/json and ASP.NET Core would read each of these as one field.
    assert_rejects(
        RejectReason::DuplicateKey,
        &[
            r#"{"country": "DE", "Country": "IR"}"#,
            r#"{"Country": "IR", "country": "DE"}"#,
            r#"{"country": "DE", "COUNTRY": "IR"}"#,
            r#"{"country": "DE", "\u0043ountry": "IR"}"#,
            r#"{"customer": {}, "CUSTOMER": {"address": {"country": "IR"}}}"#,
            r#"{"a": {"kind": "x", "\u212aind": "y"}}"#,
            r#"{"customs": 1, "cu\u017ftoms": 2}"#,
            r#"{"stra\u00dfe": 1, "STRASSE": 2}"#,
            r#"{"\u03c3": 1, "\u03c2": 2}"#,
            // C-string back ends end keys at the first NUL.
            r#"{"country": "DE", "country\u0000": "IR"}"#,
            r#"{"country\u0000a": "DE", "country\u0000b": "IR"}"#,
        ],
    );
    // The sorted check of big objects folds too.
    let keys = (0..PAIRWISE_DUPLICATE_CHECK + 5).map(|i| format!("k{i}"));
    let text = object_text(keys.chain(["K3".to_owned()]));
    assert_eq!(json(&text), Err(RejectReason::DuplicateKey));
    // Different keys that only look alike are still different keys.
    assert!(json(r#"{"country": 1, "countr\u0443": 2, "c0untry": 3}"#).is_ok());
}

fn object_text(keys: impl Iterator<Item = String>) -> String {
    let members: Vec<String> = keys
        .enumerate()
        .map(|(i, k)| format!("\"{k}\": {i}"))
        .collect();
    format!("{{{}}}", members.join(","))
}

#[test]
fn big_objects() {
    let keys = || (0..5000).map(|i| format!("field_{i}"));
    let text = object_text(keys());
    let Value::Object(members) = json(&text).unwrap() else {
        panic!("not an object");
    };
    assert_eq!(members.len(), 5000);
    assert_eq!(members[4999].0, "field_4999");
    for duplicate in ["field_0", "field_2500", "field_4999"] {
        let text = object_text(keys().chain([duplicate.to_owned()]));
        assert_eq!(json(&text), Err(RejectReason::DuplicateKey), "{duplicate}");
    }
    // Both sides of the switch from pairwise to sorted checking.
    for n in [PAIRWISE_DUPLICATE_CHECK, PAIRWISE_DUPLICATE_CHECK + 1] {
        let keys = || (0..n).map(|i| format!("k{i}"));
        assert!(json(&object_text(keys())).is_ok(), "{n}");
        let text = object_text(keys().chain(["k0".to_owned()]).skip(1));
        let with_duplicate = object_text(keys().chain(["k1".to_owned()]));
        assert!(json(&text).is_ok(), "{n}");
        assert_eq!(json(&with_duplicate), Err(RejectReason::DuplicateKey));
    }
}

fn from_serde(value: &J) -> Value<'static> {
    match value {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => Value::Number(n.as_f64().unwrap()),
        J::String(s) => Value::String(s.clone().into()),
        J::Array(items) => Value::Array(items.iter().map(from_serde).collect()),
        J::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| (k.clone().into(), from_serde(v)))
                .collect(),
        ),
    }
}

/// The value with every object's members sorted by key.
fn normalized(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(normalized).collect()),
        Value::Object(members) => {
            let mut members: Vec<_> = members
                .into_iter()
                .map(|(k, v)| (k, normalized(v)))
                .collect();
            members.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(members)
        }
        other => other,
    }
}

/// Equality, except that numbers may differ in the last bits: serde_json without its
/// `float_roundtrip` feature reads some decimals a few ulps off (even its own output:
/// `1.0149100625014899e+183` comes back 2 ulps high), where `f64::from_str`, used here,
/// rounds correctly. `agrees_with_serde_json` compares numbers exactly.
fn same_up_to_last_bits(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || (x.to_bits().abs_diff(y.to_bits()) <= 16 && x.signum() == y.signum())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_up_to_last_bits(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, x), (ky, y))| kx == ky && same_up_to_last_bits(x, y))
        }
        _ => a == b,
    }
}

/// Serialises with each object's members in an order picked by `seed`.
fn shuffled_text(value: &J, seed: &mut u64) -> String {
    match value {
        J::Array(items) => {
            let items: Vec<String> = items.iter().map(|v| shuffled_text(v, seed)).collect();
            format!("[{}]", items.join(", "))
        }
        J::Object(members) => {
            let mut members: Vec<(&String, &J)> = members.iter().collect();
            // Fisher-Yates with a small LCG: reproducible from the proptest seed.
            for i in (1..members.len()).rev() {
                *seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let j = (*seed >> 33) as usize % (i + 1);
                members.swap(i, j);
            }
            let members: Vec<String> = members
                .into_iter()
                .map(|(k, v)| {
                    format!(
                        "{} :\n{}",
                        serde_json::to_string(k).unwrap(),
                        shuffled_text(v, seed)
                    )
                })
                .collect();
            format!("{{{}}}", members.join(",\t"))
        }
        scalar => serde_json::to_string(scalar).unwrap(),
    }
}

fn any_json() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(J::from),
        any::<u64>().prop_map(J::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(J::from),
        (-1e6..1e6f64).prop_map(J::from),
        any::<String>().prop_map(J::String),
        "[a-c\\\\\"/\u{0}-\u{1f}\u{7f}-\u{a0}\u{d7ff}\u{e000}\u{fffd}\u{10000}-\u{10010}]{0,6}"
            .prop_map(J::String),
    ];
    leaf.prop_recursive(6, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(J::Array),
            prop::collection::btree_map(prop_oneof!["[a-d]{1,2}", any::<String>()], inner, 0..8)
                // Keys equal up to case are duplicates to the gate (not to serde_json).
                .prop_map(|m| {
                    let mut seen = std::collections::HashSet::new();
                    J::Object(
                        m.into_iter()
                            .filter(|(k, _)| {
                                seen.insert(crate::document::folded_key(k).into_owned())
                            })
                            .collect(),
                    )
                }),
        ]
    })
}

/// Bytes drawn from JSON's own alphabet reach far deeper into the parser than noise.
fn json_like_bytes() -> impl Strategy<Value = Vec<u8>> {
    let alphabet: Vec<u8> =
        b"{}[],:\"\\/ \n0123456789-+.eEtrufalsnubfuUdD8aA\xff\xc3\xa9\xed\xef\xbb\xbf".to_vec();
    prop::collection::vec(prop::sample::select(alphabet), 0..200)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes, 8);
    }

    #[test]
    fn json_like_bytes_never_panic(bytes in json_like_bytes()) {
        let _ = decode(&bytes, 4);
    }

    #[test]
    fn agrees_with_serde_json(value in any_json()) {
        let expected = from_serde(&value);
        let compact = serde_json::to_string(&value).unwrap();
        prop_assert_eq!(decode(compact.as_bytes(), 64), Ok(expected.clone()));
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        prop_assert_eq!(decode(pretty.as_bytes(), 64), Ok(expected));
    }

    #[test]
    fn member_order_does_not_matter(value in any_json(), mut seed in any::<u64>()) {
        let text = shuffled_text(&value, &mut seed);
        let decoded = decode(text.as_bytes(), 64).map(normalized);
        prop_assert_eq!(decoded, Ok(normalized(from_serde(&value))));
    }

    /// Whatever we accept, serde_json accepts as the same value: no input is read one
    /// way by the gate and another way by a serde_json back end.
    #[test]
    fn accepted_input_reads_the_same_in_serde_json(bytes in json_like_bytes()) {
        if let Ok(ours) = decode(&bytes, 64) {
            let theirs: J = serde_json::from_slice(&bytes).unwrap();
            let (ours, theirs) = (normalized(ours), normalized(from_serde(&theirs)));
            prop_assert!(same_up_to_last_bits(&ours, &theirs), "{:?} != {:?}", ours, theirs);
        }
    }

    /// The same, near valid documents: one byte of a serialised value replaced, inserted
    /// or removed, where the interesting disagreements between parsers live.
    #[test]
    fn mutated_documents_read_the_same_in_serde_json(
        value in any_json(),
        at in any::<prop::sample::Index>(),
        byte in prop::sample::select(b"{}[],:\"\\ 0-.eE+u\x00\x1f\xff".to_vec()),
        edit in 0..3u8,
    ) {
        let mut bytes = serde_json::to_vec(&value).unwrap();
        let i = at.index(bytes.len());
        match edit {
            0 => bytes[i] = byte,
            1 => bytes.insert(i, byte),
            _ => { bytes.remove(i); }
        }
        if let Ok(ours) = decode(&bytes, 64) {
            let theirs: J = serde_json::from_slice(&bytes).unwrap();
            let (ours, theirs) = (normalized(ours), normalized(from_serde(&theirs)));
            prop_assert!(same_up_to_last_bits(&ours, &theirs), "{:?} != {:?}", ours, theirs);
        }
    }
}
