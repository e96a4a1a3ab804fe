//! The decoded signup document: one tree for JSON and form bodies, so that rules never
//! depend on how the body was encoded. Strings and keys borrow from the body where they
//! need no unescaping, so a typical signup decodes with one allocation per object.

use std::borrow::Cow;

/// A value of the signup document after strict decoding.
///
/// Objects keep their members in document order; decoders have already rejected duplicate
/// keys, so a key occurs at most once per object.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'b> {
    Null,
    Bool(bool),
    /// A finite number. Decoders reject NaN, infinities and literals that overflow `f64`.
    Number(f64),
    String(Cow<'b, str>),
    Array(Vec<Value<'b>>),
    Object(Vec<(Cow<'b, str>, Value<'b>)>),
}

impl<'b> Value<'b> {
    /// The member `key` of an object; `None` for other values or a missing key.
    pub fn member(&self, key: &str) -> Option<&Value<'b>> {
        match self {
            Value::Object(members) => members
                .iter()
                .find(|(k, _)| k.as_ref() == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follows a path of object keys; array elements are reached through [`Value::Array`].
    pub fn at_path<'a, S: AsRef<str>>(&'a self, path: &[S]) -> Option<&'a Value<'b>> {
        path.iter().try_fold(self, |v, key| v.member(key.as_ref()))
    }

    /// A short name of the JSON type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "list",
            Value::Object(_) => "object",
        }
    }
}
