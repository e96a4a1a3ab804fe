//! The JSON writer of every runtime: decisions, audit records and policy references are
//! written here, so their bytes do not depend on a serializer's version. Escaping follows
//! RFC 8259 the way serde_json does it (short escapes, `\u00xx` in lower-case hex for other
//! control characters, everything else verbatim), so the wire format did not change when the
//! runtimes stopped linking serde_json.

/// Appends `s` as a JSON string literal.
pub fn write_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut run_start = 0;
    while let Some(at) = next_escaped(bytes, run_start) {
        // Bytes that need escaping are ASCII, so `at` is a character boundary.
        out.push_str(s.get(run_start..at).unwrap_or_default());
        match bytes.get(at).copied().unwrap_or_default() {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            control => {
                out.push_str("\\u00");
                out.push(hex_digit(control >> 4));
                out.push(hex_digit(control));
            }
        }
        run_start = at + 1;
    }
    out.push_str(s.get(run_start..).unwrap_or_default());
    out.push('"');
}

/// The index of the first byte at or after `from` that JSON escapes: a control character,
/// `"` or `\`. Eight bytes at a time while none is there (decision texts and audit records
/// are nearly all plain runs); no byte of a multi-byte UTF-8 character is ever one of them.
fn next_escaped(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let needs_escape = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let rest = bytes.get(from..)?;
    let mut chunks = rest.chunks_exact(8);
    let mut skipped = 0;
    for chunk in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(chunk).map(u64::from_ne_bytes) else {
            break;
        };
        // Whether any byte is below 0x20, or equal to `"` or `\` (zero after the XOR).
        let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let quote = quote.wrapping_sub(ONES) & !quote & HIGHS;
        let backslash = backslash.wrapping_sub(ONES) & !backslash & HIGHS;
        if below_space | quote | backslash != 0 {
            return chunk
                .iter()
                .position(|&b| needs_escape(b))
                .map(|i| from + skipped + i);
        }
        skipped += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| needs_escape(b))
        .map(|i| from + skipped + i)
}

/// The lower-case hex digit of a nibble.
fn hex_digit(nibble: u8) -> char {
    let nibble = nibble & 0xf;
    char::from(if nibble < 10 {
        b'0' + nibble
    } else {
        b'a' + nibble - 10
    })
}

/// Appends `"key":` (a member name and its colon). Keys are the writers' own member names
/// (lower-case words and underscores), never input, so they are copied without the scan.
pub fn write_key(out: &mut String, key: &str) {
    out.reserve(key.len() + 3);
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
}

/// Appends `"key":"value"` members, comma-separated, without braces.
pub fn write_text_members(out: &mut String, members: &[(&str, &str)]) {
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_key(out, key);
        write_str(out, value);
    }
}

/// Appends `[item,item,…]`, each item written by `write`.
pub fn write_array<T>(
    out: &mut String,
    items: impl IntoIterator<Item = T>,
    write: impl Fn(&mut String, T),
) {
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(out, item);
    }
    out.push(']');
}

/// Appends an unsigned integer, without `core::fmt` (this is on every request's path).
pub fn write_u64(out: &mut String, n: u64) {
    write_u64_padded(out, n, 1);
}

/// Appends an unsigned integer with leading zeros to at least `width` digits.
pub fn write_u64_padded(out: &mut String, n: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = n;
    for slot in digits.iter_mut().rev() {
        // A digit is below ten, so the cast keeps it whole.
        *slot = b'0' + (rest % 10) as u8;
        start -= 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let digits = digits.get(start..).unwrap_or_default();
    out.extend(std::iter::repeat_n('0', width.saturating_sub(digits.len())));
    out.extend(digits.iter().map(|&digit| char::from(digit)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    #[test]
    fn escapes_as_serde_json_does() {
        for s in [
            "",
            "plain",
            "quote \" backslash \\ slash /",
            "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}",
            "ünïcödé ✓ 𝄞 \u{2028}\u{2029}",
            "\u{1}a\u{2}",
        ] {
            let mut ours = String::new();
            write_str(&mut ours, s);
            assert_eq!(ours, serde_json::to_string(s).unwrap(), "{s:?}");
        }
        // Every ASCII character, alone and between multi-byte ones.
        for c in '\0'..='\u{80}' {
            for s in [c.to_string(), format!("é{c}✓{c}{c}𝄞")] {
                let mut ours = String::new();
                write_str(&mut ours, &s);
                assert_eq!(ours, serde_json::to_string(&s).unwrap(), "{s:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_escaped_as_serde_json_does(chars in proptest::collection::vec(
            proptest::prop_oneof![
                (0u8..0x80).prop_map(char::from),
                proptest::prelude::any::<char>(),
            ],
            0..40,
        )) {
            let s: String = chars.into_iter().collect();
            let mut ours = String::new();
            write_str(&mut ours, &s);
            proptest::prop_assert_eq!(ours, serde_json::to_string(&s).unwrap());
        }
    }

    #[test]
    fn integers_are_written_in_decimal() {
        for n in [0, 7, 10, 99, 100, 403, 65_535, 1_000_000_007, u64::MAX] {
            let mut ours = String::from("x");
            write_u64(&mut ours, n);
            assert_eq!(ours, format!("x{n}"));
            for width in [0, 1, 2, 3, 4, 25] {
                let mut ours = String::new();
                write_u64_padded(&mut ours, n, width);
                assert_eq!(ours, format!("{n:0width$}"));
            }
        }
    }
}
