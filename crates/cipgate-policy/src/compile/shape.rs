//! The shape pass for conditions: a condition's YAML to its syntax tree (`syntax.rs`), with
//! every error of form reported (not a mapping, an unknown key, no subject or two tests, a
//! value of the wrong shape, a word outside its vocabulary). Names stay unresolved: the
//! checks that know the fields, lists and named conditions come after (`lower/conditions.rs`).

use super::diagnostics::Diagnostic;
use super::error_codes::ErrorCode;
use super::syntax::{CondSyntax, Name, ScreeningSyntax, SubjectSyntax, TestSyntax, TestValue};
use super::values::ReadValues;
use super::vocabulary::{
    names, word, CombinatorWord, SubjectWord, TestWord, COMBINATORS, ELEMENT_KEY, FACTS, SCREENING,
    SUBJECTS, TESTS,
};
use super::yaml::Node;
use crate::formats;

/// The syntax tree of the condition `node`, or `None` once its errors are in `errors`.
pub(super) fn condition(node: &Node, errors: &mut Vec<Diagnostic>) -> Option<CondSyntax> {
    Shape { errors }.cond(node)
}

struct Shape<'e> {
    errors: &'e mut Vec<Diagnostic>,
}

impl ReadValues for Shape<'_> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.errors.push(diagnostic);
    }
}

impl Shape<'_> {
    fn cond(&mut self, node: &Node) -> Option<CondSyntax> {
        let entries = self.mapping(node, "a condition")?;
        let combinator = entries
            .iter()
            .find_map(|(k, v)| word(COMBINATORS, &k.text).map(|w| (k, w, v)));
        let Some((key, combinator, value)) = combinator else {
            return self.test(node).map(CondSyntax::Test);
        };
        let over_items =
            |w: CombinatorWord| matches!(w, CombinatorWord::AnyItem | CombinatorWord::EveryItem);
        let item = over_items(combinator);
        // The keys that may stand beside this one: the other combinators of its kind, for a
        // clearer hint than "unknown key", and `where` for the element conditions.
        let mut expected: Vec<&str> = COMBINATORS
            .iter()
            .filter(|(_, w)| over_items(*w) == item)
            .map(|(name, _)| *name)
            .collect();
        if item {
            expected.push(ELEMENT_KEY);
        }
        self.known_keys(
            entries,
            &expected,
            &format!("a condition with `{}`", key.text),
        );
        if entries.len() > 1 && !item {
            self.error_help(
                ErrorCode::ConditionForm,
                node.at,
                format!("`{}` must stand alone in its condition", key.text),
                "wrap several conditions in `all:` or `any:`",
            );
            return None;
        }
        match combinator {
            CombinatorWord::All | CombinatorWord::Any => {
                let items = self.sequence(value, &format!("`{}`", key.text))?;
                if items.is_empty() {
                    self.error(
                        ErrorCode::Empty,
                        value.at,
                        format!("`{}` needs at least one condition", key.text),
                    );
                    return None;
                }
                let conds: Vec<CondSyntax> = items.iter().filter_map(|c| self.cond(c)).collect();
                if conds.len() != items.len() {
                    return None;
                }
                Some(if combinator == CombinatorWord::All {
                    CondSyntax::All {
                        items: conds,
                        at: value.at,
                    }
                } else {
                    CondSyntax::Any(conds)
                })
            }
            CombinatorWord::Not => Some(CondSyntax::Not(Box::new(self.cond(value)?))),
            CombinatorWord::Condition => {
                Some(CondSyntax::Named(self.name(value, "a condition name")?))
            }
            CombinatorWord::AnyItem | CombinatorWord::EveryItem => {
                let list = self.name(value, "a field name")?;
                let Some((_, inner)) = entries.iter().find(|(k, _)| k.text == ELEMENT_KEY) else {
                    self.error_help(
                        ErrorCode::ConditionForm,
                        node.at,
                        format!("`{}` needs a `where:` condition", key.text),
                        "say what each element must satisfy",
                    );
                    return None;
                };
                Some(CondSyntax::Item {
                    every: combinator == CombinatorWord::EveryItem,
                    list,
                    cond: Box::new(self.cond(inner)?),
                })
            }
        }
    }

    /// A subject and one test of it.
    fn test(&mut self, node: &Node) -> Option<TestSyntax> {
        let entries = self.mapping(node, "a condition")?;
        let mut allowed = names(SUBJECTS);
        allowed.extend(names(TESTS));
        allowed.extend(names(SCREENING));
        // Never found here (a combinator makes the condition one), but suggested for a
        // misspelt one.
        allowed.extend(names(COMBINATORS));
        allowed.push(ELEMENT_KEY);
        self.known_keys(entries, &allowed, "a condition");
        let subjects: Vec<(SubjectWord, &Node)> = entries
            .iter()
            .filter_map(|(k, v)| word(SUBJECTS, &k.text).map(|w| (w, v)))
            .collect();
        let tests: Vec<(&'static str, TestWord, &Node)> = entries
            .iter()
            .filter_map(|(k, v)| {
                TESTS
                    .iter()
                    .find(|(name, _)| *name == k.text)
                    .map(|(name, w)| (*name, *w, v))
            })
            .collect();
        let [(subject, subject_value)] = subjects.as_slice() else {
            self.error_help(ErrorCode::ConditionForm, node.at, "a condition needs exactly one subject", "start it with `field:`, `fact:`, `calling_country:` or `subdivision_country:` (or use all/any/not/condition)");
            return None;
        };
        let [(test_key, test, value)] = tests.as_slice() else {
            self.error_help(
                ErrorCode::ConditionForm,
                node.at,
                "a condition needs exactly one test",
                format!("the tests are: {}", names(TESTS).join(", ")),
            );
            return None;
        };
        let subject = match subject {
            SubjectWord::Fact => {
                let text = self.text(subject_value, "a fact")?;
                let Some(fact) = word(FACTS, &text) else {
                    self.unknown_word(
                        subject_value.at,
                        format!("unknown fact `{text}`"),
                        &text,
                        &names(FACTS),
                        || format!("the gateway facts are {}", names(FACTS).join(", ")),
                    );
                    return None;
                };
                SubjectSyntax::Fact(fact)
            }
            w => SubjectSyntax::Field(*w, self.name(subject_value, "a field name")?),
        };
        let value_at = value.at;
        let value = self.test_value(*test, test_key, value)?;
        let mut screening = Vec::new();
        for (key, v) in entries {
            if let Some((name, w)) = SCREENING.iter().find(|(name, _)| *name == key.text) {
                screening.push(ScreeningSyntax {
                    word: *w,
                    key: name,
                    at: key.at,
                    field: self.name(v, "a field name")?,
                });
            }
        }
        Some(TestSyntax {
            subject,
            test: *test,
            test_key,
            at: value_at,
            value,
            screening,
        })
    }

    fn test_value(&mut self, test: TestWord, key: &str, value: &Node) -> Option<TestValue> {
        Some(match test {
            TestWord::Present | TestWord::UsesPostalCode | TestWord::RequiresPostalCode => {
                TestValue::Bool(self.boolean(value, &format!("`{key}`"))?)
            }
            TestWord::Equals => TestValue::Scalar(self.scalar(value)?),
            TestWord::In => {
                let items = self.sequence(value, "`in`")?;
                if items.is_empty() {
                    self.error(
                        ErrorCode::NeverTrue,
                        value.at,
                        "this condition can never be true: `in` has no values",
                    );
                    return None;
                }
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    values.push((self.scalar(item)?, item.at));
                }
                TestValue::Scalars(values)
            }
            TestWord::InList => TestValue::Name(self.name(value, "a list name")?),
            TestWord::SameAs | TestWord::DiffersFrom => {
                TestValue::Name(self.name(value, "a field name")?)
            }
            TestWord::Matches => TestValue::Pattern(self.text(value, "a pattern")?),
            TestWord::LessThan | TestWord::AtMost | TestWord::GreaterThan | TestWord::AtLeast => {
                TestValue::Bound(value.clone())
            }
            TestWord::InNetworks => {
                let mut networks = Vec::new();
                for item in self.sequence(value, "`in_networks`")? {
                    let text = self.text(item, "a network")?;
                    match formats::parse_network(&text) {
                        Some(n) => networks.push(n),
                        None => self.error_help(
                            ErrorCode::BadValue,
                            item.at,
                            format!("`{text}` is not a network"),
                            "write networks in CIDR form, like 192.0.2.0/24 or 2001:db8::/32",
                        ),
                    }
                }
                TestValue::Networks(networks)
            }
        })
    }

    fn name(&mut self, node: &Node, what: &str) -> Option<Name> {
        Some(Name {
            text: self.text(node, what)?,
            at: node.at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::diagnostics::Diagnostic;
    use super::super::syntax::{CondSyntax, SubjectSyntax, TestValue};
    use super::super::vocabulary::{SubjectWord, TestWord};
    use super::super::yaml;
    use crate::ir::{Fact, Scalar};

    fn shape(text: &str) -> (Option<CondSyntax>, Vec<Diagnostic>) {
        let node = yaml::parse(text).unwrap();
        let mut errors = Vec::new();
        let syntax = super::condition(&node, &mut errors);
        (syntax, errors)
    }

    #[test]
    fn keywords_become_words_and_names_stay_unresolved() {
        // No field is declared: resolving names is the next pass's job.
        let (syntax, errors) =
            shape("all:\n  - {field: nowhere.declared, equals: 3}\n  - {fact: geo_country, in: [IR, KP]}\n");
        assert!(errors.is_empty(), "{errors:?}");
        let Some(CondSyntax::All { items, at }) = syntax else {
            panic!("not `all`: {syntax:?}");
        };
        assert_eq!((at.line, at.column), (2, 3));
        let [CondSyntax::Test(first), CondSyntax::Test(second)] = items.as_slice() else {
            panic!("{items:?}");
        };
        let SubjectSyntax::Field(SubjectWord::Field, name) = &first.subject else {
            panic!("{:?}", first.subject);
        };
        assert_eq!(name.text, "nowhere.declared");
        assert_eq!(first.test, TestWord::Equals);
        assert!(matches!(first.value, TestValue::Scalar(Scalar::Number(n)) if n == 3.0));
        assert!(matches!(
            second.subject,
            SubjectSyntax::Fact(Fact::GeoCountry)
        ));
        assert!(matches!(&second.value, TestValue::Scalars(v) if v.len() == 2));
    }

    #[test]
    fn errors_of_form_are_reported_with_the_closest_word() {
        let (syntax, errors) = shape("fact: geo_contry\nequals: IR\n");
        assert!(syntax.is_none());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].message, "unknown fact `geo_contry`");
        assert_eq!(
            errors[0].help.as_deref(),
            Some("did you mean `geo_country`?")
        );

        let (_, errors) = shape("field: a\npresent: maybe\n");
        assert_eq!(errors[0].message, "`present` must be true or false");

        let (_, errors) = shape("field: a\nequals: 1\nin: [1]\n");
        assert_eq!(errors[0].message, "a condition needs exactly one test");

        let (_, errors) = shape("any_item: owners\n");
        assert_eq!(errors[0].message, "`any_item` needs a `where:` condition");

        let (_, errors) = shape("not: {field: a, present: true}\nany: []\n");
        assert_eq!(errors[0].message, "`not` must stand alone in its condition");
    }
}
