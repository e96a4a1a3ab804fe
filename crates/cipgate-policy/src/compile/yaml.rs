//! A YAML document as a tree of nodes that remember where they stand in the policy text.
//!
//! Built from the events of `saphyr-parser` rather than a ready-made tree so that duplicate
//! keys are reported (YAML libraries usually keep the last one silently) and so that every
//! node carries a line and column for diagnostics.

use super::diagnostics::{Diagnostic, Position};
use super::error_codes::ErrorCode;
use saphyr_parser::{Event, Parser, ScalarStyle, Span};

#[derive(Debug, Clone)]
pub enum NodeKind {
    /// A scalar and whether it was written plain (unquoted): only plain scalars can be
    /// numbers, booleans or null.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone)]
pub struct Key {
    pub text: String,
    pub at: Position,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    pub at: Position,
}

impl Node {
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar { .. } => "a single value",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }
}

fn position(span: &Span) -> Position {
    Position {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// Parses one YAML document. Anchors, aliases and tags are refused: a policy is read by
/// people who should see every rule written out where it applies.
pub fn parse(source: &str) -> Result<Node, Vec<Diagnostic>> {
    let mut builder = Builder::default();
    for event in Parser::new_from_str(source) {
        match event {
            Ok((event, span)) => builder.event(event, &span)?,
            Err(e) => {
                let m = e.marker();
                return Err(vec![Diagnostic::new(
                    ErrorCode::Yaml,
                    Position {
                        line: m.line(),
                        column: m.col() + 1,
                    },
                    format!("this is not valid YAML: {}", e.info()),
                )]);
            }
        }
    }
    builder.finish()
}

#[derive(Default)]
struct Builder {
    /// Open sequences and mappings; a mapping holds its entries and a pending key.
    stack: Vec<Open>,
    root: Option<Node>,
    documents: usize,
}

enum Open {
    Seq(Position, Vec<Node>),
    Map(Position, Vec<(Key, Node)>, Option<Key>),
}

impl Builder {
    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<(), Vec<Diagnostic>> {
        let at = position(span);
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(vec![Diagnostic::new(
                        ErrorCode::YamlFeature,
                        at,
                        "a policy file holds one YAML document; remove the second `---`",
                    )]);
                }
                Ok(())
            }
            Event::Alias(_) => Err(vec![Diagnostic::new(
                ErrorCode::YamlFeature,
                at,
                "aliases (`*name`) are not supported in policies; write the value out",
            )]),
            Event::Scalar(text, style, anchor, tag) => {
                refuse_anchor_and_tag(anchor, tag.is_some(), at)?;
                let plain = matches!(style, ScalarStyle::Plain);
                self.value(Node {
                    kind: NodeKind::Scalar {
                        text: text.into_owned(),
                        plain,
                    },
                    at,
                })
            }
            Event::SequenceStart(anchor, tag) => {
                refuse_anchor_and_tag(anchor, tag.is_some(), at)?;
                self.stack.push(Open::Seq(at, Vec::new()));
                Ok(())
            }
            Event::MappingStart(anchor, tag) => {
                refuse_anchor_and_tag(anchor, tag.is_some(), at)?;
                self.stack.push(Open::Map(at, Vec::new(), None));
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Open::Seq(at, items)) => self.value(Node {
                    kind: NodeKind::Seq(items),
                    at,
                }),
                _ => Err(vec![Diagnostic::new(
                    ErrorCode::Yaml,
                    at,
                    "unbalanced YAML sequence",
                )]),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Open::Map(at, entries, None)) => self.value(Node {
                    kind: NodeKind::Map(entries),
                    at,
                }),
                _ => Err(vec![Diagnostic::new(
                    ErrorCode::Yaml,
                    at,
                    "unbalanced YAML mapping",
                )]),
            },
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => Ok(()),
        }
    }

    fn value(&mut self, node: Node) -> Result<(), Vec<Diagnostic>> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Open::Seq(_, items)) => {
                items.push(node);
                Ok(())
            }
            Some(Open::Map(_, entries, pending)) => match pending.take() {
                None => {
                    let NodeKind::Scalar { text, .. } = node.kind else {
                        return Err(vec![Diagnostic::new(
                            ErrorCode::YamlFeature,
                            node.at,
                            "mapping keys must be single values, not lists or mappings",
                        )]);
                    };
                    if let Some((first, _)) = entries.iter().find(|(k, _)| k.text == text) {
                        return Err(vec![Diagnostic::new(
                            ErrorCode::DuplicateKey,
                            node.at,
                            format!(
                                "the key `{text}` appears twice in this mapping (first at line {})",
                                first.at.line
                            ),
                        )
                        .with_help(
                            "keep one of them: YAML readers disagree on which one wins",
                        )]);
                    }
                    *pending = Some(Key { text, at: node.at });
                    Ok(())
                }
                Some(key) => {
                    entries.push((key, node));
                    Ok(())
                }
            },
        }
    }

    fn finish(self) -> Result<Node, Vec<Diagnostic>> {
        self.root.ok_or_else(|| {
            vec![Diagnostic::new(
                ErrorCode::EmptyFile,
                Position { line: 1, column: 1 },
                "the policy file is empty",
            )]
        })
    }
}

fn refuse_anchor_and_tag(anchor: usize, tagged: bool, at: Position) -> Result<(), Vec<Diagnostic>> {
    if anchor != 0 {
        return Err(vec![Diagnostic::new(
            ErrorCode::YamlFeature,
            at,
            "anchors (`&name`) are not supported in policies; write the value out",
        )]);
    }
    if tagged {
        return Err(vec![Diagnostic::new(
            ErrorCode::YamlFeature,
            at,
            "YAML tags (`!tag`) are not supported in policies",
        )]);
    }
    Ok(())
}
