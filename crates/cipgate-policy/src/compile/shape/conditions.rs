//! Shaping a condition: no subject or two tests, a combinator that does not stand alone, a
//! value of the wrong shape for its test, a fact outside the vocabulary. Names stay
//! unresolved and values untyped: what the subject holds is known in `check/conditions.rs`.

use super::super::error_codes::ErrorCode;
use super::super::syntax::{
    Bound, CondSyntax, Name, ScreeningSyntax, SubjectSyntax, TestSyntax, TestValue,
};
use super::super::values::{self, ReadValues, Report};
use super::super::vocabulary::{
    names, word, CombinatorWord, SubjectWord, TestWord, COMBINATORS, ELEMENT_KEY, FACTS, SCREENING,
    SUBJECTS, TESTS,
};
use super::super::yaml::{Node, NodeKind};
use super::Shape;
use crate::formats;

impl Shape {
    /// The syntax tree of the condition `node`, or `None` once its errors are reported.
    pub(super) fn cond(&mut self, node: &Node) -> Option<CondSyntax> {
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
                TestValue::Bound(Bound {
                    at: value.at,
                    number: values::number(value),
                    text: match &value.kind {
                        NodeKind::Scalar { text, .. } => Ok(text.clone()),
                        _ => Err(value.describe()),
                    },
                })
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

    pub(super) fn name(&mut self, node: &Node, what: &str) -> Option<Name> {
        Some(Name {
            text: self.text(node, what)?,
            at: node.at,
        })
    }
}
