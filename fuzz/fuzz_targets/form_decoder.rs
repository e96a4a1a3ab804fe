//! Arbitrary bytes into the strict form decoder: a value tree or a reject reason, never a
//! panic. A body it accepts must decode to the same tree again, and every key path in it must
//! come from the body's own `name=value` pairs (nothing invented, nothing dropped).

#![no_main]

use cipgate_policy::document::{decode, Limits};
use cipgate_policy::ir::BodyFormat;
use cipgate_policy::value::Value;
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    max_bytes: 64 * 1024,
    max_depth: 8,
};

/// Leaves of the tree (strings and nulls), counted.
fn leaves(value: &Value<'_>) -> usize {
    match value {
        Value::Object(members) => members.iter().map(|(_, v)| leaves(v)).sum(),
        Value::Array(items) => items.iter().map(leaves).sum(),
        Value::Null | Value::String(_) => 1,
        Value::Bool(_) | Value::Number(_) => panic!("a form decoded to a typed value: {value:?}"),
    }
}

fuzz_target!(|body: &[u8]| {
    let Ok(value) = decode(body, BodyFormat::Form, &LIMITS) else {
        return;
    };
    // A group of names, or of list indices only (`0=a&1=b`).
    assert!(
        matches!(value, Value::Object(_) | Value::Array(_)),
        "{value:?}"
    );
    // Every pair is one leaf: no pair skipped, merged or invented.
    assert_eq!(
        leaves(&value),
        body.split(|&b| b == b'&').count(),
        "{value:?}"
    );
    assert_eq!(decode(body, BodyFormat::Form, &LIMITS), Ok(value));
});
