//! Reading an image: header and checksum, then each section into the IR. Every read is
//! bounds-checked and every enum tag checked; references between parts are checked by
//! [`super::validate`] once the whole image is read.

use super::{LoadError, Section, FORMAT, HEADER_LEN, MAGIC, MAX_CONDITION_DEPTH};
use crate::decision::{Code, Outcome};
use crate::dfa::Dfa;
use crate::ir::{
    BodyFormat, CompareOp, Cond, EntryValue, Fact, Field, FieldType, Format, Input, ListEntry,
    ListKind, ListVersion, Localized, Meta, NameIndex, NamedCond, NamedList, Network, Party,
    PolicyIr, Predicate, Rule, RuleText, Scalar, Screening, Subject,
};
use crate::screening::index;
use sha2::{Digest, Sha256};

/// An image read and checked: the IR, the DFA tables of its patterns (by pattern index) and
/// of the postal-code formats (sorted by country).
#[derive(Debug)]
pub(crate) struct Decoded {
    pub ir: PolicyIr,
    pub patterns: Vec<Dfa<'static>>,
    pub postal_codes: Vec<PostalFormat>,
}

/// A country's postal-code format, as section 9 carries it.
#[derive(Debug)]
pub(crate) struct PostalFormat {
    pub country: [u8; 2],
    /// Whether an address in the country must have a postal code.
    pub required: bool,
    pub dfa: Dfa<'static>,
}

pub(crate) fn decode(image: &[u8]) -> Result<Decoded, LoadError> {
    let header = image.get(..HEADER_LEN).ok_or(LoadError::NotAnImage)?;
    let (magic, rest) = header.split_at(8);
    if magic != MAGIC {
        return Err(LoadError::NotAnImage);
    }
    let (format, rest) = rest.split_at(4);
    let (length, checksum) = rest.split_at(4);
    let format = u32::from_le_bytes(array(format)?);
    if format != FORMAT {
        return Err(LoadError::UnknownFormat(format));
    }
    let declared = u32::from_le_bytes(array(length)?);
    if usize::try_from(declared).ok() != Some(image.len()) {
        return Err(LoadError::Length {
            declared: u64::from(declared),
            actual: image.len(),
        });
    }
    let body = image.get(HEADER_LEN..).unwrap_or_default();
    if Sha256::digest(body).as_slice() != checksum {
        return Err(LoadError::Checksum);
    }

    let mut sections = Sections { rest: body };
    let strings = strings(&mut sections.next(Section::Strings)?)?;
    let mut r = sections.next(Section::Meta)?;
    let meta = Meta {
        id: r.string(&strings)?,
        version: r.string(&strings)?,
        title: r.string(&strings)?,
        description: r.string(&strings)?,
        source: r.string(&strings)?,
        locales: r.list(|r| r.string(&strings))?,
        projection_of: if r.bool()? {
            Some(array(r.take(32)?)?)
        } else {
            None
        },
        list_versions: r.list(|r| {
            Ok(ListVersion {
                list: r.string(&strings)?,
                sha256: r.string(&strings)?,
                entries: r.var()?,
                published: r.option_string(&strings)?,
            })
        })?,
    };
    r.end()?;
    let mut r = sections.next(Section::Input)?;
    let input = Input {
        content_types: r.list(|r| {
            Ok(match r.u8()? {
                0 => BodyFormat::Json,
                1 => BodyFormat::Form,
                _ => return Err(r.bad("unknown content type")),
            })
        })?,
        max_body_bytes: r.var()?,
        max_depth: r.var()?,
    };
    r.end()?;
    let mut r = sections.next(Section::Fields)?;
    let fields = r.list(|r| field(r, &strings))?;
    r.end()?;
    let mut r = sections.next(Section::Lists)?;
    let lists = r.list(|r| {
        Ok(NamedList {
            name: r.string(&strings)?,
            kind: match r.u8()? {
                0 => ListKind::Country,
                1 => ListKind::Subdivision,
                2 => ListKind::Text,
                3 => ListKind::PostalCode,
                4 => ListKind::PhoneNumber,
                5 => ListKind::Names,
                _ => return Err(r.bad("unknown list kind")),
            },
            private: r.bool()?,
            entries: r.list(|r| list_entry(r, &strings))?,
            screening: if r.bool()? {
                Some(Screening {
                    hit_score: score(r.var()?).ok_or_else(|| r.bad("score over 1000"))?,
                    deny_score: r.option_score()?,
                    deny_score_with_country: r.option_score()?,
                    deny_score_with_date_of_birth: r.option_score()?,
                    index: {
                        let postings = r.list(|r| r.list(|r| Ok((r.var()?, r.var()?))))?;
                        let variants = r.list(|r| Ok((r.u32()?, r.var()?)))?;
                        NameIndex {
                            directory: index::directory(&variants),
                            postings,
                            variants,
                        }
                    },
                })
            } else {
                None
            },
        })
    })?;
    r.end()?;
    let mut r = sections.next(Section::Patterns)?;
    let (patterns, tables): (Vec<String>, Vec<Dfa<'static>>) = r
        .list(|r| Ok((r.string(&strings)?, r.dfa()?)))?
        .into_iter()
        .unzip();
    r.end()?;
    let mut r = sections.next(Section::Conditions)?;
    let conditions = r.list(|r| {
        Ok(NamedCond {
            name: r.string(&strings)?,
            reads_elements: r.bool()?,
            cond: cond(r, &strings, 0)?,
        })
    })?;
    r.end()?;
    let mut r = sections.next(Section::Rules)?;
    let rules = r.list(|r| rule(r, &strings))?;
    r.end()?;
    let mut r = sections.next(Section::PostalCodes)?;
    let postal_codes = r.list(|r| {
        let country = r.take(2)?;
        Ok(PostalFormat {
            country: array(country).map_err(|_| r.bad("short country"))?,
            required: r.bool()?,
            dfa: r.dfa()?,
        })
    })?;
    r.end()?;
    if !sections.rest.is_empty() {
        return Err(LoadError::Malformed {
            section: Section::PostalCodes.name(),
            reason: "data after the last section".into(),
        });
    }
    let ir = PolicyIr {
        meta,
        input,
        fields,
        lists,
        patterns,
        conditions,
        rules,
    };
    let countries: Vec<[u8; 2]> = postal_codes.iter().map(|p| p.country).collect();
    super::validate::validate(&ir, &countries).map_err(LoadError::Invalid)?;
    Ok(Decoded {
        ir,
        patterns: tables,
        postal_codes,
    })
}

fn array<const N: usize>(bytes: &[u8]) -> Result<[u8; N], LoadError> {
    bytes.try_into().map_err(|_| LoadError::NotAnImage)
}

struct Sections<'a> {
    rest: &'a [u8],
}

impl<'a> Sections<'a> {
    /// The next section, which must be `want`.
    fn next(&mut self, want: Section) -> Result<Reader<'a>, LoadError> {
        let mut r = Reader {
            bytes: self.rest,
            pos: 0,
            section: want,
        };
        if r.u8()? != want as u8 {
            return Err(r.bad("section missing or out of order"));
        }
        let len = r.u32()?;
        let payload = r.take(usize::try_from(len).map_err(|_| r.bad("section too long"))?)?;
        self.rest = r.bytes.get(r.pos..).unwrap_or_default();
        Ok(Reader {
            bytes: payload,
            pos: 0,
            section: want,
        })
    }
}

/// A cursor over one section's payload.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    section: Section,
}

impl<'a> Reader<'a> {
    fn bad(&self, reason: &str) -> LoadError {
        LoadError::Malformed {
            section: self.section.name(),
            reason: format!("{reason} (at byte {})", self.pos),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], LoadError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or_else(|| self.bad("too long"))?;
        let bytes = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| self.bad("truncated"))?;
        self.pos = end;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8, LoadError> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
    }

    fn bool(&mut self) -> Result<bool, LoadError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.bad("not a boolean")),
        }
    }

    fn u32(&mut self) -> Result<u32, LoadError> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes(array(bytes)?))
    }

    /// Unsigned LEB128, at most 32 bits, in its shortest form (one encoding per number, so
    /// one image per policy).
    fn var(&mut self) -> Result<u32, LoadError> {
        let mut value: u32 = 0;
        for i in 0..5u32 {
            let byte = self.u8()?;
            let bits = u32::from(byte & 0x7f);
            if i == 4 && bits > 0x0f {
                return Err(self.bad("number over 32 bits"));
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                if i > 0 && byte == 0 {
                    return Err(self.bad("number not in its shortest form"));
                }
                return Ok(value);
            }
        }
        Err(self.bad("number over 32 bits"))
    }

    fn index(&mut self) -> Result<usize, LoadError> {
        usize::try_from(self.var()?).map_err(|_| self.bad("index out of range"))
    }

    /// `None` as 0, `Some(i)` as i + 1.
    fn option(&mut self) -> Result<Option<usize>, LoadError> {
        Ok(self.index()?.checked_sub(1))
    }

    fn option_score(&mut self) -> Result<Option<u16>, LoadError> {
        match self.option()? {
            Some(n) => {
                let s = u32::try_from(n).ok().and_then(score);
                s.map(Some).ok_or_else(|| self.bad("score over 1000"))
            }
            None => Ok(None),
        }
    }

    fn option_string(&mut self, strings: &[String]) -> Result<Option<String>, LoadError> {
        Ok(if self.bool()? {
            Some(self.string(strings)?)
        } else {
            None
        })
    }

    fn f64(&mut self) -> Result<f64, LoadError> {
        let n = f64::from_le_bytes(array(self.take(8)?)?);
        if n.is_finite() {
            Ok(n)
        } else {
            Err(self.bad("number not finite"))
        }
    }

    fn string(&mut self, strings: &[String]) -> Result<String, LoadError> {
        let i = self.index()?;
        strings
            .get(i)
            .cloned()
            .ok_or_else(|| self.bad("string index out of range"))
    }

    /// A count, then that many items. The count is checked against the bytes left (every
    /// item takes at least one), so a damaged count cannot make the loader allocate much.
    fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, LoadError>,
    ) -> Result<Vec<T>, LoadError> {
        let n = self.index()?;
        if n > self.bytes.len().saturating_sub(self.pos) {
            return Err(self.bad("count larger than the section"));
        }
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(item(self)?);
        }
        Ok(items)
    }

    /// A DFA table, checked in full.
    fn dfa(&mut self) -> Result<Dfa<'static>, LoadError> {
        let len = self.index()?;
        let table = self.take(len)?;
        Dfa::parse(table)
            .map(Dfa::into_owned)
            .map_err(|e| self.bad(&e.to_string()))
    }

    fn end(&self) -> Result<(), LoadError> {
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(self.bad("data after the section's last item"))
        }
    }
}

fn strings(r: &mut Reader<'_>) -> Result<Vec<String>, LoadError> {
    let strings = r.list(|r| {
        let len = r.index()?;
        let bytes = r.take(len)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| r.bad("string not UTF-8"))
    })?;
    r.end()?;
    Ok(strings)
}

fn field(r: &mut Reader<'_>, strings: &[String]) -> Result<Field, LoadError> {
    Ok(Field {
        name: r.string(strings)?,
        json: r.list(|r| r.string(strings))?,
        form: r.list(|r| r.string(strings))?,
        ty: match r.u8()? {
            0 => FieldType::String,
            1 => FieldType::Boolean,
            2 => {
                let flags = r.u8()?;
                if flags > 3 {
                    return Err(r.bad("unknown number bounds"));
                }
                let min = if flags & 1 != 0 { Some(r.f64()?) } else { None };
                let max = if flags & 2 != 0 { Some(r.f64()?) } else { None };
                FieldType::Number { min, max }
            }
            3 => FieldType::Enum(r.list(|r| r.string(strings))?),
            4 => FieldType::List {
                max_items: r.var()?,
            },
            _ => return Err(r.bad("unknown field type")),
        },
        format: match r.u8()? {
            0 => None,
            1 => Some(Format::Email),
            2 => Some(Format::Phone),
            3 => Some(Format::Country),
            4 => Some(Format::Subdivision),
            5 => Some(Format::PostalCode {
                country: r.index()?,
            }),
            6 => Some(Format::Pattern(r.index()?)),
            7 => Some(Format::Date),
            _ => return Err(r.bad("unknown format")),
        },
        list: r.option()?,
        invalid: RuleText {
            rule: r.string(strings)?,
            message: localized(r, strings)?,
            citation: r.string(strings)?,
        },
    })
}

fn rule(r: &mut Reader<'_>, strings: &[String]) -> Result<Rule, LoadError> {
    let id = r.string(strings)?;
    let outcome = outcome(r.u8()?).ok_or_else(|| r.bad("unknown outcome"))?;
    let code = code(r.u8()?).ok_or_else(|| r.bad("unknown code"))?;
    let for_each = r.option()?;
    let require = r.option()?;
    let field = r.option()?;
    let when = if r.bool()? {
        Some(cond(r, strings, 0)?)
    } else {
        None
    };
    Ok(Rule {
        id,
        outcome,
        code,
        for_each,
        require,
        field,
        when,
        message: localized(r, strings)?,
        citation: r.string(strings)?,
        facts_only: r.bool()?,
    })
}

fn list_entry(r: &mut Reader<'_>, strings: &[String]) -> Result<ListEntry, LoadError> {
    let value = match r.u8()? {
        0 => EntryValue::Exact(r.string(strings)?),
        1 => EntryValue::PostalCodes {
            country: r.string(strings)?,
            first: r.string(strings)?,
            last: r.string(strings)?,
        },
        2 => EntryValue::PhonePrefix(r.string(strings)?),
        3 => EntryValue::Party(Party {
            id: r.string(strings)?,
            names: r.list(|r| r.string(strings))?,
            tokens: r.list(|r| r.list(|r| r.string(strings)))?,
            countries: r.list(|r| r.string(strings))?,
            dates_of_birth: r.list(|r| Ok((r.var()?, r.var()?)))?,
        }),
        _ => return Err(r.bad("unknown list entry kind")),
    };
    let reason = r.string(strings)?;
    let citation = r.string(strings)?;
    let outcome = match r.u8()? {
        0 => None,
        tag => Some(outcome(tag - 1).ok_or_else(|| r.bad("unknown outcome"))?),
    };
    let message = if r.bool()? {
        Some(localized(r, strings)?)
    } else {
        None
    };
    let mut time = || -> Result<Option<i64>, LoadError> {
        Ok(if r.bool()? {
            Some(i64::from_le_bytes(array(r.take(8)?)?))
        } else {
            None
        })
    };
    Ok(ListEntry {
        value,
        reason,
        citation,
        outcome,
        message,
        effective: time()?,
        expires: time()?,
    })
}

/// A text in every locale; the validator checks that there is one per locale.
fn localized(r: &mut Reader<'_>, strings: &[String]) -> Result<Localized, LoadError> {
    Ok(Localized(r.list(|r| r.string(strings))?))
}

/// A score in thousandths.
fn score(n: u32) -> Option<u16> {
    u16::try_from(n).ok().filter(|s| *s <= 1000)
}

pub(super) fn outcome(tag: u8) -> Option<Outcome> {
    Outcome::ALL.get(usize::from(tag)).copied()
}

pub(super) fn code(tag: u8) -> Option<Code> {
    Code::ALL.get(usize::from(tag)).copied()
}

fn cond(r: &mut Reader<'_>, strings: &[String], depth: usize) -> Result<Cond, LoadError> {
    if depth >= MAX_CONDITION_DEPTH {
        return Err(r.bad("conditions nested too deeply"));
    }
    let inner = |r: &mut Reader<'_>| cond(r, strings, depth + 1).map(Box::new);
    Ok(match r.u8()? {
        0 => Cond::All(r.list(|r| cond(r, strings, depth + 1))?),
        1 => Cond::Any(r.list(|r| cond(r, strings, depth + 1))?),
        2 => Cond::Not(inner(r)?),
        3 => Cond::Named(r.index()?),
        4 => Cond::AnyItem {
            list: r.index()?,
            cond: inner(r)?,
        },
        5 => Cond::EveryItem {
            list: r.index()?,
            cond: inner(r)?,
        },
        6 => Cond::Test {
            subject: subject(r)?,
            predicate: predicate(r, strings)?,
        },
        _ => return Err(r.bad("unknown condition")),
    })
}

fn subject(r: &mut Reader<'_>) -> Result<Subject, LoadError> {
    Ok(match r.u8()? {
        0 => Subject::Field(r.index()?),
        1 => Subject::CallingCountry(r.index()?),
        2 => Subject::SubdivisionCountry(r.index()?),
        3 => Subject::Fact(match r.u8()? {
            0 => Fact::ClientIp,
            1 => Fact::GeoCountry,
            2 => Fact::Time,
            3 => Fact::GeoRegion,
            _ => return Err(r.bad("unknown gateway fact")),
        }),
        _ => return Err(r.bad("unknown subject")),
    })
}

fn predicate(r: &mut Reader<'_>, strings: &[String]) -> Result<Predicate, LoadError> {
    Ok(match r.u8()? {
        0 => Predicate::Present(r.bool()?),
        1 => Predicate::Equals(scalar(r, strings)?),
        2 => Predicate::In(r.list(|r| scalar(r, strings))?),
        3 => Predicate::InList(r.index()?),
        4 => Predicate::Matches(r.index()?),
        5 => {
            let op = match r.u8()? {
                0 => CompareOp::Lt,
                1 => CompareOp::Lte,
                2 => CompareOp::Gt,
                3 => CompareOp::Gte,
                _ => return Err(r.bad("unknown comparison")),
            };
            Predicate::Compare(op, r.f64()?)
        }
        6 => Predicate::SameAs(subject(r)?),
        7 => Predicate::DiffersFrom(subject(r)?),
        8 => Predicate::InNetworks(r.list(|r| {
            Ok(Network {
                addr: array(r.take(16)?)?,
                prefix: r.u8()?,
            })
        })?),
        9 => Predicate::UsesPostalCode(r.bool()?),
        10 => Predicate::RequiresPostalCode(r.bool()?),
        11 => Predicate::Screened {
            list: r.index()?,
            country: r.option()?,
            date_of_birth: r.option()?,
        },
        _ => return Err(r.bad("unknown predicate")),
    })
}

fn scalar(r: &mut Reader<'_>, strings: &[String]) -> Result<Scalar, LoadError> {
    Ok(match r.u8()? {
        0 => Scalar::Bool(false),
        1 => Scalar::Bool(true),
        2 => Scalar::Number(r.f64()?),
        3 => Scalar::String(r.string(strings)?),
        _ => return Err(r.bad("unknown value")),
    })
}
