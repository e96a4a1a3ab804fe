//! The validator: every reference in the IR resolves, every list element is read only where
//! that element is in scope, every test fits its subject's type, and the flags the compiler
//! derived (`reads_elements`, `facts_only`) are what they must be. The compiler runs it before
//! writing an image and every runtime after reading one, so the evaluator can follow indices
//! without fallbacks that would quietly turn a deny rule off.

mod flags;
mod lists;

#[cfg(feature = "compiler")]
pub(crate) use flags::{named_facts_only, reads_elements};
pub(crate) use flags::{reads_facts_only, reads_postal_codes};

use crate::ir::{
    Cond, Fact, Field, FieldType, Format, ListKind, Localized, NamedCond, PolicyIr, Predicate,
    Rule, Scalar, Subject,
};
use crate::locale;
use crate::tables;
use lists::{list_entry, screening};

type Check = Result<(), String>;

/// `postal_codes`: the countries whose postal-code formats the image carries.
pub(crate) fn validate(ir: &PolicyIr, postal_codes: &[[u8; 2]]) -> Check {
    let mut v = Validator {
        ir,
        named_scopes: Vec::new(),
        named_facts_only: Vec::new(),
    };
    if ir.meta.id.is_empty() || ir.meta.version.is_empty() {
        return Err("the policy has no id or version".into());
    }
    let locales = &ir.meta.locales;
    if locales.is_empty()
        || locales.iter().enumerate().any(|(i, l)| {
            !locale::is_tag(l)
                || !locale::is_built_in(l)
                || locales.get(..i).is_some_and(|s| s.contains(l))
        })
    {
        return Err(format!(
            "the locales {locales:?} are empty, repeated, or not among cipgate's own ({})",
            locale::BUILT_IN.join(", ")
        ));
    }
    let input = &ir.input;
    if input.content_types.is_empty()
        || input
            .content_types
            .iter()
            .enumerate()
            .any(|(i, c)| input.content_types.get(..i).is_some_and(|s| s.contains(c)))
    {
        return Err("the accepted content types are empty or repeated".into());
    }
    if input.max_body_bytes == 0 || input.max_depth == 0 {
        return Err("the body limits are zero".into());
    }
    for (i, field) in ir.fields.iter().enumerate() {
        v.field(i, field)
            .map_err(|e| format!("field {i} (`{}`): {e}", field.name))?;
    }
    for list in &ir.lists {
        list.entries
            .iter()
            .try_for_each(|e| list_entry(list.kind, e, locales.len()))
            .and_then(|()| screening(list))
            .map_err(|e| format!("list `{}`: {e}", list.name))?;
    }
    if ir
        .meta
        .list_versions
        .iter()
        .any(|v| v.sha256.len() != 64 || !v.sha256.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err("a list version's sha256 is not 64 hex digits".into());
    }
    // In order: a named condition may refer only to those before it, whose facts are known.
    for (i, named) in ir.conditions.iter().enumerate() {
        let scope = v
            .named(named)
            .map_err(|e| format!("condition {i} (`{}`): {e}", named.name))?;
        v.named_scopes.push(scope);
        let facts_only = reads_facts_only(&named.cond, &v.named_facts_only);
        v.named_facts_only.push(facts_only);
    }
    for rule in &ir.rules {
        v.rule(rule)
            .map_err(|e| format!("rule `{}`: {e}", rule.id))?;
    }
    if postal_codes
        .iter()
        .zip(postal_codes.iter().skip(1))
        .any(|(a, b)| a >= b)
        || postal_codes
            .iter()
            .any(|c| std::str::from_utf8(c).map_or(true, |c| !tables::is_country(c)))
    {
        return Err("the postal-code formats are not one per known country, in order".into());
    }
    if postal_codes.is_empty() && reads_postal_codes(ir) {
        return Err(
            "the policy reads postal codes but the image has no postal-code formats".into(),
        );
    }
    Ok(())
}

/// What a subject holds, for checking the tests applied to it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind<'a> {
    Text(Option<&'a Format>),
    Bool,
    Number,
    Enum(&'a [String]),
    List,
    /// A country code that is not a field's own value (the country of a subdivision, the
    /// geolocated country).
    Country,
    Countries,
    Ip,
    Time,
}

impl Kind<'_> {
    fn describe(self) -> &'static str {
        match self {
            Kind::Text(_) => "text",
            Kind::Bool => "a yes/no value",
            Kind::Number => "a number",
            Kind::Enum(_) => "one of fixed values",
            Kind::List => "a list",
            Kind::Country => "a country code",
            Kind::Countries => "the countries of a calling code",
            Kind::Ip => "an IP address",
            Kind::Time => "the time",
        }
    }

    fn is_country(self) -> bool {
        matches!(
            self,
            Kind::Country | Kind::Countries | Kind::Text(Some(Format::Country))
        )
    }

    fn is_text(self) -> bool {
        matches!(self, Kind::Text(_) | Kind::Enum(_) | Kind::Country)
    }
}

struct Validator<'a> {
    ir: &'a PolicyIr,
    /// For each named condition checked so far, the list whose elements it reads.
    named_scopes: Vec<Option<usize>>,
    /// For each named condition checked so far, whether it reads gateway facts only.
    named_facts_only: Vec<bool>,
}

impl<'a> Validator<'a> {
    fn field_at(&self, f: usize) -> Result<&'a Field, String> {
        self.ir
            .fields
            .get(f)
            .ok_or_else(|| format!("field {f} does not exist"))
    }

    fn field(&self, i: usize, field: &Field) -> Check {
        if field.name.is_empty() || field.json.is_empty() || field.form.is_empty() {
            return Err("no name or no path".into());
        }
        if let Some(l) = field.list {
            let list = self.field_at(l)?;
            if l == i || !matches!(list.ty, FieldType::List { .. }) || list.list.is_some() {
                return Err(format!("its list {l} is not a top-level list field"));
            }
        }
        match &field.ty {
            FieldType::Number { min, max } => {
                if let (Some(min), Some(max)) = (min, max) {
                    if min > max {
                        return Err("its minimum is above its maximum".into());
                    }
                }
            }
            FieldType::Enum(values) if values.is_empty() => return Err("no values".into()),
            FieldType::List { .. } if field.list.is_some() => {
                return Err("a list inside a list".into())
            }
            _ => {}
        }
        if field.format.is_some() && field.ty != FieldType::String {
            return Err("a format on a field that is not text".into());
        }
        match &field.format {
            Some(Format::PostalCode { country }) => {
                let c = self.field_at(*country)?;
                if c.format != Some(Format::Country) || (c.list.is_some() && c.list != field.list) {
                    return Err(format!(
                        "its country field {country} is not a country in scope"
                    ));
                }
            }
            Some(Format::Pattern(p)) if *p >= self.ir.patterns.len() => {
                return Err(format!("pattern {p} does not exist"));
            }
            _ => {}
        }
        let text = &field.invalid;
        if text.rule.is_empty() || text.citation.is_empty() {
            return Err("its validity rule has no id or citation".into());
        }
        localized(&text.message, self.ir.meta.locales.len())
    }

    /// Checks a named condition and returns the list whose elements it reads. It may refer only
    /// to conditions before it (so none refers to itself), and its `reads_elements` must say
    /// whether it reads element fields.
    fn named(&self, named: &NamedCond) -> Result<Option<usize>, String> {
        let scope = self.element_list(&named.cond)?;
        self.cond(&named.cond, scope)?;
        if named.reads_elements != scope.is_some() {
            return Err("`reads_elements` is wrong".into());
        }
        Ok(scope)
    }

    /// The list whose element fields `cond` reads outside `any_item`/`every_item`: at most one.
    fn element_list(&self, cond: &Cond) -> Result<Option<usize>, String> {
        let mut found = None;
        let mut note = |l: Option<usize>| -> Check {
            match (found, l) {
                (_, None) => Ok(()),
                (None, l) => {
                    found = l;
                    Ok(())
                }
                (Some(a), Some(b)) if a == b => Ok(()),
                _ => Err("reads elements of two lists at once".into()),
            }
        };
        match cond {
            Cond::All(cs) | Cond::Any(cs) => {
                for c in cs {
                    note(self.element_list(c)?)?;
                }
            }
            Cond::Not(c) => note(self.element_list(c)?)?,
            Cond::Named(j) => match self.named_scopes.get(*j) {
                Some(l) => note(*l)?,
                None => return Err(format!("refers to condition {j}, not defined before it")),
            },
            Cond::AnyItem { .. } | Cond::EveryItem { .. } => {}
            Cond::Test { subject, predicate } => {
                note(self.subject_list(subject)?)?;
                if let Predicate::SameAs(o) | Predicate::DiffersFrom(o) = predicate {
                    note(self.subject_list(o)?)?;
                }
            }
        }
        Ok(found)
    }

    fn subject_list(&self, s: &Subject) -> Result<Option<usize>, String> {
        match s {
            Subject::Field(f) | Subject::CallingCountry(f) | Subject::SubdivisionCountry(f) => {
                Ok(self.field_at(*f)?.list)
            }
            Subject::Fact(_) => Ok(None),
        }
    }

    fn rule(&self, rule: &Rule) -> Check {
        if rule.id.is_empty() || rule.citation.is_empty() {
            return Err("no id or citation".into());
        }
        localized(&rule.message, self.ir.meta.locales.len())?;
        if let Some(l) = rule.for_each {
            let list = self.field_at(l)?;
            if !matches!(list.ty, FieldType::List { .. }) || list.list.is_some() {
                return Err(format!("`for_each` names field {l}, not a top-level list"));
            }
        }
        for f in [rule.require, rule.field].into_iter().flatten() {
            self.in_scope(f, rule.for_each)?;
        }
        match &rule.when {
            Some(c) => self.cond(c, rule.for_each)?,
            None if rule.require.is_none() => return Err("neither `require` nor `when`".into()),
            None => {}
        }
        let facts_only = rule.require.is_none()
            && rule.for_each.is_none()
            && rule
                .when
                .as_ref()
                .is_some_and(|w| reads_facts_only(w, &self.named_facts_only));
        if rule.facts_only != facts_only {
            return Err("`facts_only` is wrong".into());
        }
        Ok(())
    }

    /// Field `f` can be read where the elements of `scope` (if any) are in scope.
    fn in_scope(&self, f: usize, scope: Option<usize>) -> Check {
        match self.field_at(f)?.list {
            Some(l) if scope != Some(l) => Err(format!(
                "field {f} belongs to elements of list {l}, not in scope"
            )),
            _ => Ok(()),
        }
    }

    /// Named conditions are checked in order, so only those before the one being checked
    /// are known and may be referred to.
    fn cond(&self, cond: &Cond, scope: Option<usize>) -> Check {
        match cond {
            Cond::All(cs) | Cond::Any(cs) => {
                if cs.is_empty() {
                    return Err("an empty `all` or `any`".into());
                }
                cs.iter().try_for_each(|c| self.cond(c, scope))
            }
            Cond::Not(c) => self.cond(c, scope),
            Cond::Named(j) => match self.named_scopes.get(*j) {
                None => Err(format!("refers to condition {j}, not defined before it")),
                Some(Some(l)) if scope != Some(*l) => Err(format!(
                    "condition {j} reads elements of list {l}, not in scope"
                )),
                Some(_) => Ok(()),
            },
            Cond::AnyItem { list, cond } | Cond::EveryItem { list, cond } => {
                let field = self.field_at(*list)?;
                if !matches!(field.ty, FieldType::List { .. }) || field.list.is_some() {
                    return Err(format!("field {list} is not a top-level list"));
                }
                // Inside, the element of `list` replaces any outer element.
                self.cond(cond, Some(*list))
            }
            Cond::Test { subject, predicate } => {
                let kind = self.subject(subject, scope)?;
                self.predicate(kind, predicate, scope)
            }
        }
    }

    fn subject(&self, s: &Subject, scope: Option<usize>) -> Result<Kind<'a>, String> {
        match s {
            Subject::Field(f) => {
                self.in_scope(*f, scope)?;
                let field = self.field_at(*f)?;
                Ok(match &field.ty {
                    FieldType::String => Kind::Text(field.format.as_ref()),
                    FieldType::Boolean => Kind::Bool,
                    FieldType::Number { .. } => Kind::Number,
                    FieldType::Enum(values) => Kind::Enum(values),
                    FieldType::List { .. } => Kind::List,
                })
            }
            Subject::CallingCountry(f) | Subject::SubdivisionCountry(f) => {
                self.in_scope(*f, scope)?;
                let (wanted, name) = match s {
                    Subject::CallingCountry(_) => (Format::Phone, "phone"),
                    _ => (Format::Subdivision, "subdivision"),
                };
                if self.field_at(*f)?.format.as_ref() != Some(&wanted) {
                    return Err(format!("field {f} is not a {name} field"));
                }
                Ok(match s {
                    Subject::CallingCountry(_) => Kind::Countries,
                    _ => Kind::Country,
                })
            }
            Subject::Fact(Fact::ClientIp) => Ok(Kind::Ip),
            Subject::Fact(Fact::GeoCountry) => Ok(Kind::Country),
            Subject::Fact(Fact::GeoRegion) => Ok(Kind::Text(Some(&Format::Subdivision))),
            Subject::Fact(Fact::Time) => Ok(Kind::Time),
        }
    }

    fn predicate(&self, kind: Kind<'a>, p: &Predicate, scope: Option<usize>) -> Check {
        let fits = match p {
            Predicate::Present(_) => true,
            Predicate::Equals(s) => scalar_fits(kind, s),
            Predicate::In(values) => {
                !values.is_empty() && values.iter().all(|s| scalar_fits(kind, s))
            }
            Predicate::InList(l) => {
                let list = self
                    .ir
                    .lists
                    .get(*l)
                    .ok_or_else(|| format!("list {l} does not exist"))?;
                !list.entries.is_empty()
                    && match list.kind {
                        ListKind::Country => kind.is_country(),
                        ListKind::Subdivision => kind == Kind::Text(Some(&Format::Subdivision)),
                        ListKind::Text => kind.is_text(),
                        ListKind::PostalCode => {
                            matches!(kind, Kind::Text(Some(Format::PostalCode { .. })))
                        }
                        ListKind::PhoneNumber => kind == Kind::Text(Some(&Format::Phone)),
                        // Names lists are screened (`Screened`), never compared exactly.
                        ListKind::Names => false,
                    }
            }
            Predicate::Screened {
                list,
                country,
                date_of_birth,
            } => {
                let list = self
                    .ir
                    .lists
                    .get(*list)
                    .ok_or_else(|| format!("list {list} does not exist"))?;
                let country_fits = match country {
                    Some(f) => self.subject(&Subject::Field(*f), scope)?.is_country(),
                    None => true,
                };
                let date_fits = match date_of_birth {
                    Some(f) => {
                        self.subject(&Subject::Field(*f), scope)? == Kind::Text(Some(&Format::Date))
                    }
                    None => true,
                };
                list.kind == ListKind::Names
                    && !list.entries.is_empty()
                    && kind.is_text()
                    && !kind.is_country()
                    && country_fits
                    && date_fits
            }
            Predicate::Matches(i) => *i < self.ir.patterns.len() && kind.is_text(),
            Predicate::Compare(_, _) => matches!(kind, Kind::Number | Kind::Time),
            Predicate::SameAs(o) | Predicate::DiffersFrom(o) => {
                let other = self.subject(o, scope)?;
                (kind.is_country() && other.is_country())
                    || (kind.is_text()
                        && other.is_text()
                        && !kind.is_country()
                        && !other.is_country())
                    || matches!(
                        (kind, other),
                        (Kind::Bool, Kind::Bool)
                            | (Kind::Number, Kind::Number)
                            | (Kind::Ip, Kind::Ip)
                    )
            }
            Predicate::InNetworks(networks) => {
                kind == Kind::Ip && networks.iter().all(|n| n.prefix <= 128)
            }
            Predicate::UsesPostalCode(_) | Predicate::RequiresPostalCode(_) => kind.is_country(),
        };
        if fits {
            Ok(())
        } else {
            Err(format!(
                "a `{}` test that does not fit its subject ({})",
                predicate_name(p),
                kind.describe()
            ))
        }
    }
}

/// A message is given once in each of the policy's `locales`, none of them empty: a decision
/// is never half in one language, nor without words.
fn localized(text: &Localized, locales: usize) -> Check {
    if text.0.len() != locales || text.0.iter().any(String::is_empty) {
        return Err(format!(
            "a message has {} texts for the policy's {locales} locales, or an empty one",
            text.0.len()
        ));
    }
    Ok(())
}

/// The policy-language keyword of a test, for messages.
fn predicate_name(p: &Predicate) -> &'static str {
    match p {
        Predicate::Present(_) => "present",
        Predicate::Equals(_) => "equals",
        Predicate::In(_) => "in",
        Predicate::InList(_) => "in_list",
        Predicate::Matches(_) => "matches",
        Predicate::Compare(..) => "comparison",
        Predicate::SameAs(_) => "same_as",
        Predicate::DiffersFrom(_) => "differs_from",
        Predicate::InNetworks(_) => "in_networks",
        Predicate::UsesPostalCode(_) => "uses_postal_code",
        Predicate::RequiresPostalCode(_) => "requires_postal_code",
        Predicate::Screened { .. } => "in_list",
    }
}

fn scalar_fits(kind: Kind<'_>, s: &Scalar) -> bool {
    match (kind, s) {
        (Kind::Bool, Scalar::Bool(_)) | (Kind::Number, Scalar::Number(_)) => true,
        (Kind::Enum(values), Scalar::String(v)) => values.contains(v),
        (k, Scalar::String(v)) if k.is_country() => tables::is_country(v),
        (Kind::Text(Some(Format::Subdivision)), Scalar::String(v)) => tables::is_subdivision(v),
        (Kind::Text(_), Scalar::String(_)) => true,
        _ => false,
    }
}
