//! Checking a condition's syntax tree: names resolved (fields in scope, lists, named
//! conditions, each named condition checked at each use, in its scope), and each test's value
//! type-checked against what its subject holds; then its compiled form.

use super::super::codes;
use super::super::diagnostics::{closest, declared, Position};
use super::super::error_codes::ErrorCode;
use super::super::syntax::{CondSyntax, Name, SubjectSyntax, TestSyntax, TestValue};
use super::super::values::{not_a_number, not_single, Report};
use super::super::vocabulary::{ScreeningWord, SubjectWord, TestWord};
use super::{Checker, Scope};
use crate::formats;
use crate::image::reads_elements;
use crate::ir::{
    CompareOp, Cond, Fact, FieldType, Format, ListKind, NamedCond, Predicate, Scalar, Subject,
};

/// What a value in a condition is, for type checks.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Text(Option<Format>),
    Bool,
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    Enum(Vec<String>),
    List,
    Country,
    /// A set of countries (the calling country of a phone number can be shared).
    Countries,
    Ip,
    Time,
}

impl Kind {
    pub(super) fn describe(&self) -> &'static str {
        match self {
            Kind::Text(Some(Format::Country)) | Kind::Country => "a country code",
            Kind::Countries => "the countries of a calling code",
            Kind::Text(Some(Format::Subdivision)) => "a subdivision code",
            Kind::Text(Some(Format::Phone)) => "a telephone number",
            Kind::Text(Some(Format::Email)) => "an email address",
            Kind::Text(Some(Format::Date)) => "a date",
            Kind::Text(_) => "text",
            Kind::Bool => "a yes/no value",
            Kind::Number { .. } => "a number",
            Kind::Enum(_) => "one of fixed values",
            Kind::List => "a list",
            Kind::Ip => "an IP address",
            Kind::Time => "a time",
        }
    }

    pub(super) fn is_country(&self) -> bool {
        matches!(
            self,
            Kind::Country | Kind::Countries | Kind::Text(Some(Format::Country))
        )
    }

    pub(super) fn is_text(&self) -> bool {
        matches!(self, Kind::Text(_) | Kind::Enum(_) | Kind::Country)
    }
}

impl Checker<'_> {
    /// The condition `syntax`, checked in `scope`.
    pub(super) fn cond(&mut self, syntax: &CondSyntax, scope: &Scope) -> Option<Cond> {
        match syntax {
            CondSyntax::All { items, at } => {
                let conds = self.check_all(items, scope)?;
                self.check_contradiction(&conds, *at);
                Some(Cond::All(conds))
            }
            CondSyntax::Any(items) => Some(Cond::Any(self.check_all(items, scope)?)),
            CondSyntax::Not(inner) => Some(Cond::Not(Box::new(self.cond(inner, scope)?))),
            CondSyntax::Named(name) => self.named_condition(name, scope),
            CondSyntax::Item { every, list, cond } => {
                let list_field = self.field_in_scope(list, scope)?;
                if !matches!(
                    self.fields.get(list_field).map(|f| &f.ty),
                    Some(FieldType::List { .. })
                ) {
                    let key = if *every { "every_item" } else { "any_item" };
                    self.error(
                        ErrorCode::TypeMismatch,
                        list.at,
                        format!("`{key}` needs a field of `type: list`"),
                    );
                    return None;
                }
                // The evaluator reads each element of the list in place of any outer
                // element, so only this list's fields are in scope inside.
                let inner_scope = Scope {
                    items_of: vec![list_field],
                };
                let cond = Box::new(self.cond(cond, &inner_scope)?);
                Some(if *every {
                    Cond::EveryItem {
                        list: list_field,
                        cond,
                    }
                } else {
                    Cond::AnyItem {
                        list: list_field,
                        cond,
                    }
                })
            }
            CondSyntax::Test(test) => self.check_test(test, scope),
        }
    }

    /// Every branch of `all` / `any`, each checked (so that each reports its errors).
    fn check_all(&mut self, items: &[CondSyntax], scope: &Scope) -> Option<Vec<Cond>> {
        let conds: Vec<Cond> = items.iter().filter_map(|c| self.cond(c, scope)).collect();
        (conds.len() == items.len()).then_some(conds)
    }

    fn check_test(&mut self, test: &TestSyntax, scope: &Scope) -> Option<Cond> {
        let (subject, kind) = self.subject(&test.subject, scope)?;
        let mut predicate = self.predicate(test, &kind, scope)?;
        for extra in &test.screening {
            let Predicate::Screened {
                country,
                date_of_birth,
                ..
            } = &mut predicate
            else {
                self.error_help(
                    ErrorCode::TypeMismatch,
                    extra.at,
                    format!("`{}` goes only with `in_list` on a names list", extra.key),
                    "it names the applicant's field that a listed party may share",
                );
                return None;
            };
            match extra.word {
                ScreeningWord::Country => {
                    *country = Some(self.screened_country(&extra.field, scope)?);
                }
                ScreeningWord::DateOfBirth => {
                    *date_of_birth = Some(self.screened_date_of_birth(&extra.field, scope)?);
                }
            }
        }
        Some(Cond::Test { subject, predicate })
    }

    fn named_condition(&mut self, name: &Name, scope: &Scope) -> Option<Cond> {
        let (at, name) = (name.at, &name.text);
        if self.expanding.contains(name) {
            self.error(
                ErrorCode::Cycle,
                at,
                format!("the condition `{name}` refers to itself"),
            );
            return None;
        }
        let Some(def) = self.conditions.get(name).cloned() else {
            // Named conditions have no declaration number here: alphabetical order keeps the
            // hint the same on every run.
            let mut names: Vec<&str> = self.conditions.keys().map(String::as_str).collect();
            names.sort_unstable();
            let hint = closest(name, names).map(str::to_string);
            self.error_help(
                ErrorCode::UnknownName,
                at,
                format!("unknown condition `{name}`"),
                hint.map_or("define it under `conditions:`".to_string(), |h| {
                    format!("did you mean `{h}`?")
                }),
            );
            return None;
        };
        // Its shape errors are reported where it is defined.
        let def = def?;
        // Checked at every use, so that each use is checked in its own scope; the result does
        // not depend on the scope, so the first one is kept.
        self.expanding.push(name.clone());
        let before = self.errors.len();
        let cond = self.cond(&def, scope);
        self.expanding.pop();
        if self.errors.len() > before {
            return None;
        }
        if let Some(i) = self.named.iter().position(|n| n.name == *name) {
            return Some(Cond::Named(i));
        }
        let cond = cond?;
        let reads_elements = reads_elements(&cond, &self.fields, &self.named);
        self.named.push(NamedCond {
            name: name.clone(),
            cond,
            reads_elements,
        });
        Some(Cond::Named(self.named.len() - 1))
    }

    fn subject(&mut self, subject: &SubjectSyntax, scope: &Scope) -> Option<(Subject, Kind)> {
        let (word, name) = match subject {
            SubjectSyntax::Fact(fact) => {
                let kind = match fact {
                    Fact::ClientIp => Kind::Ip,
                    Fact::GeoCountry => Kind::Country,
                    Fact::GeoRegion => Kind::Text(Some(Format::Subdivision)),
                    Fact::Time => Kind::Time,
                };
                return Some((Subject::Fact(*fact), kind));
            }
            SubjectSyntax::Field(word, name) => (word, name),
        };
        let f = self.field_in_scope(name, scope)?;
        let format = self.fields.get(f).and_then(|x| x.format.clone());
        match word {
            SubjectWord::CallingCountry => {
                if format != Some(Format::Phone) {
                    self.error(
                        ErrorCode::TypeMismatch,
                        name.at,
                        "`calling_country` needs a field with `format: phone`",
                    );
                    return None;
                }
                Some((Subject::CallingCountry(f), Kind::Countries))
            }
            SubjectWord::SubdivisionCountry => {
                if format != Some(Format::Subdivision) {
                    self.error(
                        ErrorCode::TypeMismatch,
                        name.at,
                        "`subdivision_country` needs a field with `format: subdivision`",
                    );
                    return None;
                }
                Some((Subject::SubdivisionCountry(f), Kind::Country))
            }
            SubjectWord::Field | SubjectWord::Fact => Some((Subject::Field(f), self.field_kind(f))),
        }
    }

    pub(super) fn field_kind(&self, f: usize) -> Kind {
        match self.fields.get(f).map(|x| (&x.ty, &x.format)) {
            Some((FieldType::Boolean, _)) => Kind::Bool,
            Some((FieldType::Number { min, max }, _)) => Kind::Number {
                min: *min,
                max: *max,
            },
            Some((FieldType::Enum(values), _)) => Kind::Enum(values.clone()),
            Some((FieldType::List { .. }, _)) => Kind::List,
            Some((FieldType::String, format)) => Kind::Text(format.clone()),
            None => Kind::Text(None),
        }
    }

    fn predicate(&mut self, test: &TestSyntax, kind: &Kind, scope: &Scope) -> Option<Predicate> {
        let at = test.at;
        let mismatch = |l: &mut Checker, what: &str| {
            l.error(
                ErrorCode::TypeMismatch,
                at,
                format!(
                    "`{}` cannot test {}: {what}",
                    test.test_key,
                    kind.describe()
                ),
            );
        };
        match (test.test, &test.value) {
            (TestWord::Present, TestValue::Bool(b)) => Some(Predicate::Present(*b)),
            (TestWord::Equals, TestValue::Scalar(s)) => {
                self.check_scalar(s, kind, at)?;
                Some(Predicate::Equals(s.clone()))
            }
            (TestWord::In, TestValue::Scalars(values)) => {
                for (s, item_at) in values {
                    self.check_scalar(s, kind, *item_at)?;
                }
                Some(Predicate::In(
                    values.iter().map(|(s, _)| s.clone()).collect(),
                ))
            }
            (TestWord::InList, TestValue::Name(name)) => self.in_list(name, kind),
            (TestWord::Matches, TestValue::Pattern(text)) => {
                if !matches!(kind, Kind::Text(_) | Kind::Enum(_) | Kind::Country) {
                    mismatch(self, "patterns match text");
                    return None;
                }
                Some(Predicate::Matches(self.pattern(text, at)?))
            }
            (
                TestWord::LessThan | TestWord::AtMost | TestWord::GreaterThan | TestWord::AtLeast,
                TestValue::Bound(bound),
            ) => {
                let op = match test.test {
                    TestWord::LessThan => CompareOp::Lt,
                    TestWord::AtMost => CompareOp::Lte,
                    TestWord::GreaterThan => CompareOp::Gt,
                    _ => CompareOp::Gte,
                };
                let bound = match kind {
                    Kind::Number { min, max } => {
                        let Some(n) = bound.number else {
                            self.report(not_a_number(bound.at, &format!("`{}`", test.test_key)));
                            return None;
                        };
                        let never = match op {
                            CompareOp::Lt => min.is_some_and(|m| n <= m),
                            CompareOp::Lte => min.is_some_and(|m| n < m),
                            CompareOp::Gt => max.is_some_and(|m| n >= m),
                            CompareOp::Gte => max.is_some_and(|m| n > m),
                        };
                        if never {
                            self.error(ErrorCode::NeverTrue, at, format!("this condition can never be true: the field only takes values from {} to {}", min.map_or("any".into(), |m| m.to_string()), max.map_or("any".into(), |m| m.to_string())));
                            return None;
                        }
                        n
                    }
                    Kind::Time => {
                        let text = match &bound.text {
                            Ok(text) => text,
                            Err(shape) => {
                                self.report(not_single(bound.at, "a date", shape));
                                return None;
                            }
                        };
                        match formats::parse_timestamp(text) {
                            Some(t) => t as f64,
                            None => {
                                self.error_help(
                                    ErrorCode::BadValue,
                                    at,
                                    format!("`{text}` is not a date"),
                                    "write dates as 2026-01-31 or 2026-01-31T12:00:00Z",
                                );
                                return None;
                            }
                        }
                    }
                    _ => {
                        mismatch(self, "comparisons apply to numbers and the time");
                        return None;
                    }
                };
                Some(Predicate::Compare(op, bound))
            }
            (TestWord::SameAs | TestWord::DiffersFrom, TestValue::Name(name)) => {
                let other = self.field_in_scope(name, scope)?;
                let other_kind = self.field_kind(other);
                let compatible = (kind.is_country() && other_kind.is_country())
                    || (kind.is_text()
                        && other_kind.is_text()
                        && !kind.is_country()
                        && !other_kind.is_country())
                    || (*kind == other_kind);
                if !compatible {
                    mismatch(
                        self,
                        &format!("the other field holds {}", other_kind.describe()),
                    );
                    return None;
                }
                let subject = Subject::Field(other);
                Some(if test.test == TestWord::SameAs {
                    Predicate::SameAs(subject)
                } else {
                    Predicate::DiffersFrom(subject)
                })
            }
            (TestWord::InNetworks, TestValue::Networks(networks)) => {
                if *kind != Kind::Ip {
                    mismatch(self, "networks contain IP addresses");
                    return None;
                }
                Some(Predicate::InNetworks(networks.clone()))
            }
            (TestWord::UsesPostalCode | TestWord::RequiresPostalCode, TestValue::Bool(b)) => {
                if !kind.is_country() {
                    mismatch(self, "it applies to country codes");
                    return None;
                }
                Some(if test.test == TestWord::RequiresPostalCode {
                    Predicate::RequiresPostalCode(*b)
                } else {
                    Predicate::UsesPostalCode(*b)
                })
            }
            // The shape pass gives each test its value's shape; any other pair is a bug there,
            // reported rather than a panic.
            _ => {
                self.error(
                    ErrorCode::Internal,
                    at,
                    "internal error: a test and its value do not fit together",
                );
                None
            }
        }
    }

    /// `in_list: NAME`: the list, which must hold what the subject is.
    fn in_list(&mut self, name: &Name, kind: &Kind) -> Option<Predicate> {
        let (at, name) = (name.at, &name.text);
        if self.unreadable_lists.contains(name) {
            return None;
        }
        let Some(&list) = self.list_index.get(name) else {
            let hint = closest(name, declared(&self.list_index)).map(str::to_string);
            self.error_help(
                ErrorCode::UnknownName,
                at,
                format!("unknown list `{name}`"),
                hint.map_or("define it under `lists:`".to_string(), |h| {
                    format!("did you mean `{h}`?")
                }),
            );
            return None;
        };
        let list_kind = self.lists.get(list).map(|l| l.kind);
        let fits = match list_kind {
            Some(ListKind::Country) => kind.is_country(),
            Some(ListKind::Subdivision) => *kind == Kind::Text(Some(Format::Subdivision)),
            Some(ListKind::Text) => kind.is_text(),
            Some(ListKind::PostalCode) => {
                matches!(kind, Kind::Text(Some(Format::PostalCode { .. })))
            }
            Some(ListKind::PhoneNumber) => *kind == Kind::Text(Some(Format::Phone)),
            Some(ListKind::Names) => {
                matches!(kind, Kind::Text(None | Some(Format::Pattern(_))))
            }
            None => false,
        };
        if !fits {
            self.error(
                ErrorCode::TypeMismatch,
                at,
                format!(
                    "`in_list` cannot test {}: `{name}` is a list of {}",
                    kind.describe(),
                    match list_kind {
                        Some(ListKind::Country) => "country codes",
                        Some(ListKind::Subdivision) => "subdivision codes",
                        Some(ListKind::PostalCode) =>
                            "postal codes (test a `format: postal_code` field)",
                        Some(ListKind::PhoneNumber) =>
                            "telephone number prefixes (test a `format: phone` field)",
                        Some(ListKind::Names) =>
                            "names (test a text field without a format, such as a legal name)",
                        _ => "names",
                    }
                ),
            );
            return None;
        }
        if self.lists.get(list).is_some_and(|l| l.entries.is_empty()) {
            self.error(
                ErrorCode::NeverTrue,
                at,
                format!("this condition can never be true: the list `{name}` is empty"),
            );
            return None;
        }
        Some(match list_kind {
            Some(ListKind::Names) => Predicate::Screened {
                list,
                country: None,
                date_of_birth: None,
            },
            _ => Predicate::InList(list),
        })
    }

    /// Checks a literal against what the subject can hold; a literal it can never equal makes
    /// the condition never true, which is an error rather than a silent dead rule.
    pub(super) fn check_scalar(&mut self, s: &Scalar, kind: &Kind, at: Position) -> Option<()> {
        let ok = match (kind, s) {
            (Kind::Bool, Scalar::Bool(_)) => true,
            (Kind::Number { .. }, Scalar::Number(_)) => true,
            (Kind::Enum(values), Scalar::String(v)) => {
                if !values.contains(v) {
                    self.error_help(ErrorCode::NeverTrue, at, format!("this condition can never be true: `{v}` is not one of the field's values"), format!("the values are: {}", values.join(", ")));
                    return None;
                }
                true
            }
            (k, Scalar::String(v)) if k.is_country() => return self.checked(codes::country(v, at)),
            (Kind::Text(Some(Format::Subdivision)), Scalar::String(v)) => {
                return self.checked(codes::subdivision(v, at))
            }
            (Kind::Text(_), Scalar::String(_)) => true,
            _ => false,
        };
        if !ok {
            let given = match s {
                Scalar::Bool(_) => "true/false",
                Scalar::Number(_) => "a number",
                Scalar::String(_) => "text",
            };
            self.error(
                ErrorCode::TypeMismatch,
                at,
                format!(
                    "type mismatch: the subject is {}, the value is {given}",
                    kind.describe()
                ),
            );
            return None;
        }
        Some(())
    }

    /// Reports `all` branches that test the same subject for two different exact values.
    pub(super) fn check_contradiction(&mut self, conds: &[Cond], at: Position) {
        for (i, a) in conds.iter().enumerate() {
            for b in conds.iter().skip(i + 1) {
                if let (
                    Cond::Test {
                        subject: sa,
                        predicate: Predicate::Equals(va),
                    },
                    Cond::Test {
                        subject: sb,
                        predicate: Predicate::Equals(vb),
                    },
                ) = (a, b)
                {
                    if sa == sb && va != vb && !matches!(sa, Subject::CallingCountry(_)) {
                        self.error(ErrorCode::NeverTrue, at, "this condition can never be true: `all` asks for one value to equal two different values");
                    }
                }
            }
        }
    }
}
