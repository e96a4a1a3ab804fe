//! RFC 8259 JSON, strictly: one pass over the bytes, no extensions, and every construct that
//! parsers resolve differently (duplicate keys, lone surrogates, overflowing numbers, a byte
//! order mark, data after the document) is an error.
//!
//! The parser is iterative, with an explicit stack bounded by `max_depth`, so no input can
//! exhaust the native or Wasm stack.

use crate::decision::RejectReason;
use crate::value::Value;
use std::borrow::Cow;

/// Objects up to this many members are checked for duplicate keys pairwise; larger ones are
/// sorted, so a 64 KB object of thousands of short keys stays fast.
const PAIRWISE_DUPLICATE_CHECK: usize = 32;

/// Room for this many members or items when a container opens: most objects of a signup
/// fit, so they allocate once.
const MEMBERS: usize = 8;

pub(super) fn decode(body: &[u8], max_depth: usize) -> Result<Value<'_>, RejectReason> {
    if body.iter().all(|&b| is_whitespace(b)) {
        return Err(RejectReason::MissingBody);
    }
    if body.starts_with(b"\xEF\xBB\xBF") {
        return Err(RejectReason::ByteOrderMark);
    }
    // Validating up front makes every string slice below valid UTF-8 for free, and makes the
    // answer for a body that is both badly encoded and malformed the same in every runtime.
    let text = std::str::from_utf8(body).map_err(|_| RejectReason::NotUtf8)?;
    Parser { text, pos: 0 }.document(max_depth)
}

/// A container being filled.
enum Frame<'a> {
    Array(Vec<Value<'a>>),
    /// Members so far and the key of the member whose value is being parsed.
    Object(Vec<(Cow<'a, str>, Value<'a>)>, Cow<'a, str>),
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(is_whitespace) {
            self.pos += 1;
        }
    }

    /// The next byte that is not whitespace, consumed.
    fn next_token(&mut self) -> Option<u8> {
        self.skip_whitespace();
        let byte = self.peek();
        if byte.is_some() {
            self.pos += 1;
        }
        byte
    }

    fn document(mut self, max_depth: usize) -> Result<Value<'a>, RejectReason> {
        let mut stack: Vec<Frame<'a>> = Vec::new();
        'value: loop {
            let mut value = match self.next_token() {
                Some(b'{') => {
                    if stack.len() >= max_depth {
                        return Err(RejectReason::TooDeep);
                    }
                    match self.next_token() {
                        Some(b'}') => Value::Object(Vec::new()),
                        Some(b'"') => {
                            let key = self.key()?;
                            stack.push(Frame::Object(Vec::with_capacity(MEMBERS), key));
                            continue 'value;
                        }
                        _ => return Err(RejectReason::MalformedJson),
                    }
                }
                Some(b'[') => {
                    if stack.len() >= max_depth {
                        return Err(RejectReason::TooDeep);
                    }
                    self.skip_whitespace();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        Value::Array(Vec::new())
                    } else {
                        stack.push(Frame::Array(Vec::with_capacity(MEMBERS)));
                        continue 'value;
                    }
                }
                Some(b'"') => Value::String(self.string()?),
                Some(b't') => self.literal(b"rue", Value::Bool(true))?,
                Some(b'f') => self.literal(b"alse", Value::Bool(false))?,
                Some(b'n') => self.literal(b"ull", Value::Null)?,
                Some(first @ (b'-' | b'0'..=b'9')) => self.number(first)?,
                _ => return Err(RejectReason::MalformedJson),
            };
            // A value is complete: add it to its container, closing containers as they end.
            // Containers are filled where they lie on the stack.
            loop {
                let closed = match stack.last_mut() {
                    None => {
                        self.skip_whitespace();
                        return if self.pos == self.text.len() {
                            Ok(value)
                        } else {
                            Err(RejectReason::TrailingData)
                        };
                    }
                    Some(Frame::Array(items)) => {
                        items.push(value);
                        match self.next_token() {
                            Some(b',') => continue 'value,
                            Some(b']') => Value::Array(std::mem::take(items)),
                            _ => return Err(RejectReason::MalformedJson),
                        }
                    }
                    Some(Frame::Object(members, key)) => {
                        members.push((std::mem::take(key), value));
                        match self.next_token() {
                            Some(b',') => {
                                if self.next_token() != Some(b'"') {
                                    return Err(RejectReason::MalformedJson);
                                }
                                *key = self.key()?;
                                continue 'value;
                            }
                            Some(b'}') => {
                                check_unique_keys(members)?;
                                Value::Object(std::mem::take(members))
                            }
                            _ => return Err(RejectReason::MalformedJson),
                        }
                    }
                };
                stack.pop();
                value = closed;
            }
        }
    }

    /// An object key (its opening quote consumed) and the colon after it.
    fn key(&mut self) -> Result<Cow<'a, str>, RejectReason> {
        let key = self.string()?;
        if self.next_token() != Some(b':') {
            return Err(RejectReason::MalformedJson);
        }
        Ok(key)
    }

    /// The rest of a string whose opening quote has been consumed, unescaped; borrowed from
    /// the body unless it has escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, RejectReason> {
        let mut out = String::new();
        // Start of the current run of literal characters, copied in one piece.
        let mut run = self.pos;
        loop {
            // Skip the plain characters in one scan; most strings are nothing else.
            self.pos += self
                .text
                .as_bytes()
                .get(self.pos..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&b| b != b'"' && b != b'\\' && b >= 0x20)
                .count();
            match self.peek() {
                None => return Err(RejectReason::MalformedJson),
                Some(b'"') => {
                    let tail = self.slice(run)?;
                    self.pos += 1;
                    // Every escape adds a character, so an empty `out` means there was none.
                    if out.is_empty() {
                        return Ok(Cow::Borrowed(tail));
                    }
                    out.push_str(tail);
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    out.push_str(self.slice(run)?);
                    self.pos += 1;
                    self.escape(&mut out)?;
                    run = self.pos;
                }
                // RFC 8259 §7: control characters must be escaped.
                Some(0..=0x1f) => return Err(RejectReason::MalformedJson),
                Some(_) => self.pos += 1,
            }
        }
    }

    /// The text from `start` to the current position. Both are at ASCII bytes, hence at
    /// character boundaries, so this never fails in practice.
    fn slice(&self, start: usize) -> Result<&'a str, RejectReason> {
        self.text
            .get(start..self.pos)
            .ok_or(RejectReason::MalformedJson)
    }

    /// One escape sequence after its backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), RejectReason> {
        let Some(byte) = self.peek() else {
            return Err(RejectReason::MalformedJson);
        };
        self.pos += 1;
        let c = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode_escape()?,
            _ => return Err(RejectReason::InvalidEscape),
        };
        out.push(c);
        Ok(())
    }

    /// The code point of a `\u` escape (the `\u` consumed), joining a UTF-16 surrogate pair.
    /// A lone surrogate has no code point: decoders replace it, keep it as WTF-8 or fail, so
    /// it is rejected.
    fn unicode_escape(&mut self) -> Result<char, RejectReason> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.text.as_bytes().get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(RejectReason::InvalidEscape);
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(RejectReason::InvalidEscape);
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(RejectReason::InvalidEscape),
            _ => first,
        };
        char::from_u32(code).ok_or(RejectReason::InvalidEscape)
    }

    fn hex4(&mut self) -> Result<u32, RejectReason> {
        let digits = self
            .text
            .as_bytes()
            .get(self.pos..self.pos + 4)
            .ok_or(RejectReason::InvalidEscape)?;
        let value = digits.iter().try_fold(0u32, |acc, &d| {
            char::from(d)
                .to_digit(16)
                .map(|v| (acc << 4) | v)
                .ok_or(RejectReason::InvalidEscape)
        })?;
        self.pos += 4;
        Ok(value)
    }

    /// The rest of `true`, `false` or `null` after its first letter.
    fn literal(&mut self, rest: &[u8], value: Value<'a>) -> Result<Value<'a>, RejectReason> {
        if self.text.as_bytes().get(self.pos..self.pos + rest.len()) != Some(rest) {
            return Err(RejectReason::MalformedJson);
        }
        self.pos += rest.len();
        self.end_of_token()?;
        Ok(value)
    }

    /// A number (its first byte consumed) in the grammar of RFC 8259 §6:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self, first: u8) -> Result<Value<'a>, RejectReason> {
        let start = self.pos - 1;
        let leading = if first == b'-' {
            let digit = self.peek();
            self.pos += 1;
            digit
        } else {
            Some(first)
        };
        match leading {
            // No leading zeros: `01` is octal to some readers and decimal to others.
            Some(b'0') => {
                if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    return Err(RejectReason::MalformedJson);
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(RejectReason::MalformedJson),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.required_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.required_digits()?;
        }
        self.end_of_token()?;
        // The grammar above is a subset of what `f64::from_str` accepts, and it rounds
        // correctly; a literal too large for f64 comes back infinite.
        let number: f64 = self
            .slice(start)?
            .parse()
            .map_err(|_| RejectReason::MalformedJson)?;
        if number.is_finite() {
            Ok(Value::Number(number))
        } else {
            Err(RejectReason::NonFiniteNumber)
        }
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self) -> Result<(), RejectReason> {
        if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
            return Err(RejectReason::MalformedJson);
        }
        self.digits();
        Ok(())
    }

    /// A number or literal must not run into more token characters (`1.2.3`, `truex`, `1x`):
    /// that is a malformed token, not trailing data.
    fn end_of_token(&self) -> Result<(), RejectReason> {
        match self.peek() {
            Some(b) if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-' | b'_') => {
                Err(RejectReason::MalformedJson)
            }
            _ => Ok(()),
        }
    }
}

/// RFC 8259 §2: insignificant whitespace.
fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Two members with one key are read as the first by some parsers and the last by others;
/// keys equal up to case are one key to back ends that bind case-insensitively
/// ([`super::folded_key`]).
fn check_unique_keys(members: &[(Cow<'_, str>, Value<'_>)]) -> Result<(), RejectReason> {
    let small = members.len() <= PAIRWISE_DUPLICATE_CHECK;
    // Keys that fold to themselves (the usual lower-case ASCII ones) compare as they are,
    // with no folded copies made.
    let duplicate = if small && members.iter().all(|(key, _)| super::is_folded(key)) {
        members.iter().enumerate().any(|(i, (key, _))| {
            members
                .iter()
                .take(i)
                .any(|(other, _)| other.as_ref() == key.as_ref())
        })
    } else {
        let mut folded: Vec<Cow<'_, str>> = members
            .iter()
            .map(|(key, _)| super::folded_key(key))
            .collect();
        if small {
            folded
                .iter()
                .enumerate()
                .any(|(i, key)| folded.iter().take(i).any(|other| other == key))
        } else {
            crate::sort::sort_unstable(&mut folded);
            folded
                .windows(2)
                .any(|pair| matches!(pair, [a, b] if a == b))
        }
    };
    if duplicate {
        Err(RejectReason::DuplicateKey)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
