//! A small RFC 4180 reader that keeps where every field starts, so that each error in a list
//! file can name its line and column: quoted fields, doubled quotes, CRLF, LF or a lone CR,
//! line breaks inside quotes, and the DOS end-of-file mark (0x1A) that ends OFAC's files.

/// A place in the text: 1-based line, and 1-based column in characters.
#[derive(Debug, Clone, Copy)]
pub(super) struct Spot {
    pub(super) line: usize,
    pub(super) column: usize,
}

#[derive(Debug)]
pub(super) struct Field {
    /// The value, quotes removed and doubled quotes undone.
    pub(super) text: String,
    pub(super) at: Spot,
}

#[derive(Debug)]
pub(super) struct Record {
    pub(super) fields: Vec<Field>,
    pub(super) start: Spot,
    /// Just past the last field: where a missing field would have started.
    pub(super) end: Spot,
}

#[derive(Debug)]
pub(super) struct Parsed {
    pub(super) records: Vec<Record>,
    pub(super) errors: Vec<(Spot, String)>,
}

/// Splits `text` into records. Blank lines are skipped; malformed quoting is reported and the
/// field is kept as far as it could be read.
pub(super) fn parse(text: &str) -> Parsed {
    let mut cursor = Cursor::new(text);
    let mut parsed = Parsed {
        records: Vec::new(),
        errors: Vec::new(),
    };
    while !cursor.rest.is_empty() {
        if matches!(cursor.rest, "\u{1a}" | "\u{1a}\n" | "\u{1a}\r\n") {
            break;
        }
        if matches!(cursor.peek(), Some('\r' | '\n')) {
            cursor.end_line();
            continue;
        }
        let start = cursor.at;
        let mut fields = Vec::new();
        loop {
            // An unclosed quote took the rest of the file: no record to check.
            let Some(field) = field(&mut cursor, &mut parsed.errors) else {
                return parsed;
            };
            fields.push(field);
            if cursor.peek() != Some(',') {
                break;
            }
            cursor.bump();
        }
        parsed.records.push(Record {
            fields,
            start,
            end: cursor.at,
        });
        cursor.end_line();
    }
    parsed
}

/// The spots of the given byte offsets into `text`, which must be ascending.
pub(super) fn spots(text: &str, offsets: &[usize]) -> Vec<Spot> {
    let mut cursor = Cursor::new(text);
    offsets
        .iter()
        .map(|&offset| {
            while text.len() - cursor.rest.len() < offset && cursor.bump().is_some() {}
            cursor.at
        })
        .collect()
}

fn field(cursor: &mut Cursor, errors: &mut Vec<(Spot, String)>) -> Option<Field> {
    let at = cursor.at;
    let mut text = String::new();
    if cursor.peek() != Some('"') {
        if let Some(quote) = unquoted(cursor, &mut text) {
            errors.push((
                quote,
                "a quote inside an unquoted field; quote the whole field and double the quote"
                    .to_string(),
            ));
        }
        return Some(Field { text, at });
    }
    cursor.bump();
    loop {
        match cursor.bump() {
            None => {
                errors.push((
                    at,
                    "this field opens a quote that is never closed".to_string(),
                ));
                return None;
            }
            Some('"') if cursor.peek() == Some('"') => {
                cursor.bump();
                text.push('"');
            }
            Some('"') => break,
            Some(c) => text.push(c),
        }
    }
    if !cursor.at_field_end() {
        errors.push((
            cursor.at,
            "text after the closing quote of a field; quote the whole field and double any \
             quote inside it"
                .to_string(),
        ));
        unquoted(cursor, &mut text);
    }
    Some(Field { text, at })
}

/// Reads up to the end of the field; gives where its first quote is, if it has one.
fn unquoted(cursor: &mut Cursor, text: &mut String) -> Option<Spot> {
    let mut quote = None;
    while !cursor.at_field_end() {
        let at = cursor.at;
        let Some(c) = cursor.bump() else { break };
        if c == '"' && quote.is_none() {
            quote = Some(at);
        }
        text.push(c);
    }
    quote
}

struct Cursor<'a> {
    rest: &'a str,
    at: Spot,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Cursor<'a> {
        Cursor {
            rest: text,
            at: Spot { line: 1, column: 1 },
        }
    }

    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let mut chars = self.rest.chars();
        let c = chars.next()?;
        self.rest = chars.as_str();
        // In CRLF the LF ends the line; a CR alone ends it too.
        if c == '\n' || (c == '\r' && self.peek() != Some('\n')) {
            self.at.line += 1;
            self.at.column = 1;
        } else {
            self.at.column += 1;
        }
        Some(c)
    }

    fn at_field_end(&self) -> bool {
        matches!(self.peek(), None | Some(',' | '\r' | '\n'))
    }

    fn end_line(&mut self) {
        if self.peek() == Some('\r') {
            self.bump();
        }
        if self.peek() == Some('\n') {
            self.bump();
        }
    }
}
