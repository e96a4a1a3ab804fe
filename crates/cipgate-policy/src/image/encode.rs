//! Writing an image from the IR: the mirror of [`super::decode`]. Patterns and postal-code
//! formats are compiled to DFAs here, so runtimes carry search code only.

use super::{Section, FORMAT, HEADER_LEN, MAGIC, MAX_CONDITION_DEPTH};
use crate::decision::{Code, Outcome};
use crate::dfa::build::build_dfa;
use crate::ir::{
    BodyFormat, CompareOp, Cond, EntryValue, Fact, Field, FieldType, Format, ListEntry, ListKind,
    Localized, PolicyIr, Predicate, Rule, Scalar, Subject,
};
use crate::tables::{self, PostalCode};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The image of `ir`, or why none can be written (a pattern no DFA can express, a policy
/// too large for the format). The IR is validated first, as runtimes will validate it.
pub(crate) fn encode(ir: &PolicyIr) -> Result<Vec<u8>, String> {
    let postal_codes = if super::validate::reads_postal_codes(ir) {
        postal_code_tables()?
    } else {
        Vec::new()
    };
    let countries: Vec<[u8; 2]> = postal_codes.iter().map(|p| p.country).collect();
    super::validate::validate(ir, &countries)?;

    let mut w = Writer::default();
    let meta = &ir.meta;
    for s in [
        &meta.id,
        &meta.version,
        &meta.title,
        &meta.description,
        &meta.source,
    ] {
        w.string(s);
    }
    w.list(&meta.locales, |w, l| w.string(l));
    match &ir.meta.projection_of {
        Some(sha256) => {
            w.bool(true);
            w.out.extend_from_slice(sha256);
        }
        None => w.bool(false),
    }
    w.list(&ir.meta.list_versions, |w, v| {
        w.string(&v.list);
        w.string(&v.sha256);
        w.var(v.entries);
        option_string(w, v.published.as_deref());
    });
    let meta = w.finish();
    w.list(&ir.input.content_types, |w, f| {
        w.u8(match f {
            BodyFormat::Json => 0,
            BodyFormat::Form => 1,
        })
    });
    w.var(ir.input.max_body_bytes);
    w.var(ir.input.max_depth);
    let input = w.finish();
    w.list(&ir.fields, field);
    let fields = w.finish();
    w.list(&ir.lists, |w, list| {
        w.string(&list.name);
        w.u8(match list.kind {
            ListKind::Country => 0,
            ListKind::Subdivision => 1,
            ListKind::Text => 2,
            ListKind::PostalCode => 3,
            ListKind::PhoneNumber => 4,
            ListKind::Names => 5,
        });
        w.bool(list.private);
        w.list(&list.entries, list_entry);
        match &list.screening {
            Some(s) => {
                w.bool(true);
                w.var(u32::from(s.hit_score));
                for score in [
                    s.deny_score,
                    s.deny_score_with_country,
                    s.deny_score_with_date_of_birth,
                ] {
                    w.option(score.map(usize::from));
                }
                w.list(&s.index.postings, |w, names| {
                    w.list(names, |w, (e, n)| {
                        w.var(*e);
                        w.var(*n);
                    })
                });
                w.list(&s.index.variants, |w, (hash, token)| {
                    w.out.extend_from_slice(&hash.to_le_bytes());
                    w.var(*token);
                });
            }
            None => w.bool(false),
        }
    });
    let lists = w.finish();
    let tables = ir
        .patterns
        .iter()
        .map(|p| build_dfa(p).map_err(|e| format!("the pattern `{p}`: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    w.list(
        &ir.patterns.iter().zip(&tables).collect::<Vec<_>>(),
        |w, (p, t)| {
            w.string(p);
            w.bytes(t);
        },
    );
    let patterns = w.finish();
    let mut deep = false;
    w.list(&ir.conditions, |w, c| {
        w.string(&c.name);
        w.bool(c.reads_elements);
        deep |= !cond(w, &c.cond, 0);
    });
    let conditions = w.finish();
    w.list(&ir.rules, |w, r| deep |= !rule(w, r));
    let rules = w.finish();
    if deep {
        return Err(format!(
            "conditions are nested more than {MAX_CONDITION_DEPTH} deep; name some of them"
        ));
    }
    w.list(&postal_codes, |w, format| {
        w.out.extend_from_slice(&format.country);
        w.bool(format.required);
        w.bytes(&format.dfa);
    });
    let postal = w.finish();

    let mut body = Vec::new();
    let mut strings = Writer::default();
    strings.var(len32(w.strings.len())?);
    for s in &w.strings {
        strings.bytes(s.as_bytes());
    }
    for (section, payload) in [
        (Section::Strings, strings.out),
        (Section::Meta, meta),
        (Section::Input, input),
        (Section::Fields, fields),
        (Section::Lists, lists),
        (Section::Patterns, patterns),
        (Section::Conditions, conditions),
        (Section::Rules, rules),
        (Section::PostalCodes, postal),
    ] {
        body.push(section as u8);
        body.extend_from_slice(&len32(payload.len())?.to_le_bytes());
        body.extend_from_slice(&payload);
    }
    let mut image = Vec::with_capacity(HEADER_LEN + body.len());
    image.extend_from_slice(MAGIC);
    image.extend_from_slice(&FORMAT.to_le_bytes());
    image.extend_from_slice(&len32(HEADER_LEN + body.len())?.to_le_bytes());
    image.extend_from_slice(&Sha256::digest(&body));
    image.extend_from_slice(&body);
    Ok(image)
}

fn len32(n: usize) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| "the policy is too large for an image (4 GiB)".to_string())
}

/// A country's postal-code format: the country code, whether its addresses must have a
/// postal code, and the DFA table.
struct PostalFormat {
    country: [u8; 2],
    required: bool,
    dfa: Vec<u8>,
}

/// Every country's postal-code format as a DFA, sorted by country.
fn postal_code_tables() -> Result<Vec<PostalFormat>, String> {
    let mut tables = Vec::new();
    for country in tables::COUNTRY_CODES {
        if let PostalCode::Pattern(p) = tables::postal_code(country) {
            let code: [u8; 2] = country
                .as_bytes()
                .try_into()
                .map_err(|_| format!("country code {country} is not two letters"))?;
            let dfa = build_dfa(p).map_err(|e| format!("postal codes of {country}: {e}"))?;
            tables.push(PostalFormat {
                country: code,
                required: tables::postal_code_required(country),
                dfa,
            });
        }
    }
    Ok(tables)
}

/// A section being written, and the string table shared by all sections.
#[derive(Default)]
struct Writer {
    out: Vec<u8>,
    strings: Vec<String>,
    index: HashMap<String, u32>,
}

impl Writer {
    /// The section written so far; the next one starts empty.
    fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    fn u8(&mut self, b: u8) {
        self.out.push(b);
    }

    fn bool(&mut self, b: bool) {
        self.out.push(u8::from(b));
    }

    fn var(&mut self, mut n: u32) {
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.out.push(low);
                return;
            }
            self.out.push(low | 0x80);
        }
    }

    fn index(&mut self, i: usize) {
        // Indices come from vectors the size checks above have bounded.
        self.var(u32::try_from(i).unwrap_or(u32::MAX));
    }

    fn option(&mut self, i: Option<usize>) {
        self.index(i.map_or(0, |i| i + 1));
    }

    fn f64(&mut self, n: f64) {
        self.out.extend_from_slice(&n.to_le_bytes());
    }

    fn bytes(&mut self, b: &[u8]) {
        self.index(b.len());
        self.out.extend_from_slice(b);
    }

    fn string(&mut self, s: &str) {
        let next = u32::try_from(self.strings.len()).unwrap_or(u32::MAX);
        let i = *self.index.entry(s.to_string()).or_insert_with(|| next);
        if i == next {
            self.strings.push(s.to_string());
        }
        self.var(i);
    }

    fn list<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        self.index(items.len());
        for i in items {
            item(self, i);
        }
    }
}

fn field(w: &mut Writer, f: &Field) {
    w.string(&f.name);
    w.list(&f.json, |w, s| w.string(s));
    w.list(&f.form, |w, s| w.string(s));
    match &f.ty {
        FieldType::String => w.u8(0),
        FieldType::Boolean => w.u8(1),
        FieldType::Number { min, max } => {
            w.u8(2);
            w.u8(u8::from(min.is_some()) | u8::from(max.is_some()) << 1);
            for bound in [min, max].into_iter().flatten() {
                w.f64(*bound);
            }
        }
        FieldType::Enum(values) => {
            w.u8(3);
            w.list(values, |w, s| w.string(s));
        }
        FieldType::List { max_items } => {
            w.u8(4);
            w.var(*max_items);
        }
    }
    match &f.format {
        None => w.u8(0),
        Some(Format::Email) => w.u8(1),
        Some(Format::Phone) => w.u8(2),
        Some(Format::Country) => w.u8(3),
        Some(Format::Subdivision) => w.u8(4),
        Some(Format::PostalCode { country }) => {
            w.u8(5);
            w.index(*country);
        }
        Some(Format::Pattern(p)) => {
            w.u8(6);
            w.index(*p);
        }
        Some(Format::Date) => w.u8(7),
    }
    w.option(f.list);
    w.string(&f.invalid.rule);
    localized(w, &f.invalid.message);
    w.string(&f.invalid.citation);
}

/// Writes a rule; false when its condition is nested too deeply.
fn rule(w: &mut Writer, r: &Rule) -> bool {
    w.string(&r.id);
    w.u8(tag(&Outcome::ALL, &r.outcome));
    w.u8(tag(&Code::ALL, &r.code));
    w.option(r.for_each);
    w.option(r.require);
    w.option(r.field);
    let fits = match &r.when {
        Some(c) => {
            w.bool(true);
            cond(w, c, 0)
        }
        None => {
            w.bool(false);
            true
        }
    };
    localized(w, &r.message);
    w.string(&r.citation);
    w.bool(r.facts_only);
    fits
}

/// Writes a condition; false when it is nested deeper than runtimes read.
fn cond(w: &mut Writer, c: &Cond, depth: usize) -> bool {
    let mut fits = depth < MAX_CONDITION_DEPTH;
    match c {
        Cond::All(cs) | Cond::Any(cs) => {
            w.u8(if matches!(c, Cond::All(_)) { 0 } else { 1 });
            w.list(cs, |w, c| fits &= cond(w, c, depth + 1));
        }
        Cond::Not(c) => {
            w.u8(2);
            fits &= cond(w, c, depth + 1);
        }
        Cond::Named(i) => {
            w.u8(3);
            w.index(*i);
        }
        Cond::AnyItem { list, cond: inner } | Cond::EveryItem { list, cond: inner } => {
            w.u8(if matches!(c, Cond::AnyItem { .. }) {
                4
            } else {
                5
            });
            w.index(*list);
            fits &= cond(w, inner, depth + 1);
        }
        Cond::Test {
            subject: s,
            predicate,
        } => {
            w.u8(6);
            subject(w, s);
            match predicate {
                Predicate::Present(b) => {
                    w.u8(0);
                    w.bool(*b);
                }
                Predicate::Equals(s) => {
                    w.u8(1);
                    scalar(w, s);
                }
                Predicate::In(values) => {
                    w.u8(2);
                    w.list(values, scalar);
                }
                Predicate::InList(l) => {
                    w.u8(3);
                    w.index(*l);
                }
                Predicate::Matches(p) => {
                    w.u8(4);
                    w.index(*p);
                }
                Predicate::Compare(op, bound) => {
                    w.u8(5);
                    w.u8(match op {
                        CompareOp::Lt => 0,
                        CompareOp::Lte => 1,
                        CompareOp::Gt => 2,
                        CompareOp::Gte => 3,
                    });
                    w.f64(*bound);
                }
                Predicate::SameAs(o) => {
                    w.u8(6);
                    subject(w, o);
                }
                Predicate::DiffersFrom(o) => {
                    w.u8(7);
                    subject(w, o);
                }
                Predicate::InNetworks(networks) => {
                    w.u8(8);
                    w.list(networks, |w, n| {
                        w.out.extend_from_slice(&n.addr);
                        w.u8(n.prefix);
                    });
                }
                Predicate::UsesPostalCode(b) => {
                    w.u8(9);
                    w.bool(*b);
                }
                Predicate::RequiresPostalCode(b) => {
                    w.u8(10);
                    w.bool(*b);
                }
                Predicate::Screened {
                    list,
                    country,
                    date_of_birth,
                } => {
                    w.u8(11);
                    w.index(*list);
                    w.option(*country);
                    w.option(*date_of_birth);
                }
            }
        }
    }
    fits
}

/// An enum's tag: its position in the enum's `ALL`, as the decoder reads it.
fn tag<T: PartialEq>(all: &[T], value: &T) -> u8 {
    all.iter()
        .position(|v| v == value)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(u8::MAX)
}

fn subject(w: &mut Writer, s: &Subject) {
    match s {
        Subject::Field(f) => {
            w.u8(0);
            w.index(*f);
        }
        Subject::CallingCountry(f) => {
            w.u8(1);
            w.index(*f);
        }
        Subject::SubdivisionCountry(f) => {
            w.u8(2);
            w.index(*f);
        }
        Subject::Fact(fact) => {
            w.u8(3);
            w.u8(match fact {
                Fact::ClientIp => 0,
                Fact::GeoCountry => 1,
                Fact::Time => 2,
                Fact::GeoRegion => 3,
            });
        }
    }
}

fn list_entry(w: &mut Writer, e: &ListEntry) {
    match &e.value {
        EntryValue::Exact(v) => {
            w.u8(0);
            w.string(v);
        }
        EntryValue::PostalCodes {
            country,
            first,
            last,
        } => {
            w.u8(1);
            w.string(country);
            w.string(first);
            w.string(last);
        }
        EntryValue::PhonePrefix(digits) => {
            w.u8(2);
            w.string(digits);
        }
        EntryValue::Party(party) => {
            w.u8(3);
            w.string(&party.id);
            w.list(&party.names, |w, n| w.string(n));
            w.list(&party.tokens, |w, tokens| {
                w.list(tokens, |w, t| w.string(t))
            });
            w.list(&party.countries, |w, c| w.string(c));
            w.list(&party.dates_of_birth, |w, (first, last)| {
                w.var(*first);
                w.var(*last);
            });
        }
    }
    w.string(&e.reason);
    w.string(&e.citation);
    // Options as 0 for none, else the value's tag plus one.
    w.u8(e
        .outcome
        .map_or(0, |o| tag(&Outcome::ALL, &o).saturating_add(1)));
    match &e.message {
        Some(m) => {
            w.bool(true);
            localized(w, m);
        }
        None => w.bool(false),
    }
    for time in [e.effective, e.expires] {
        match time {
            Some(t) => {
                w.bool(true);
                w.out.extend_from_slice(&t.to_le_bytes());
            }
            None => w.bool(false),
        }
    }
}

/// A text in every locale: the count, then each in the order of the policy's locales.
fn localized(w: &mut Writer, text: &Localized) {
    w.list(&text.0, |w, s| w.string(s));
}

fn option_string(w: &mut Writer, s: Option<&str>) {
    match s {
        Some(s) => {
            w.bool(true);
            w.string(s);
        }
        None => w.bool(false),
    }
}

fn scalar(w: &mut Writer, s: &Scalar) {
    match s {
        Scalar::Bool(false) => w.u8(0),
        Scalar::Bool(true) => w.u8(1),
        Scalar::Number(n) => {
            w.u8(2);
            w.f64(*n);
        }
        Scalar::String(s) => {
            w.u8(3);
            w.string(s);
        }
    }
}
