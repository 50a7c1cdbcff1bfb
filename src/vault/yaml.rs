//! Strict reading of a frontmatter block with serde-saphyr into a [`Node`] tree.
//!
//! Options: `strict_booleans` (YAML 1.1 `no`/`on`/`yes` stay text) and duplicate keys passed
//! through to our own visitor, which keeps every entry with its position.

use super::model::{Span, Spanned};
use super::node::{Entry, Node};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DefaultMessageFormatter, DuplicateKeyPolicy, Location, MessageFormatter};
use std::fmt;

/// Why a block could not be read strictly, at a file position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    /// 1-based file line.
    pub(crate) line: usize,
    /// 1-based column.
    pub(crate) column: usize,
    /// The parser's explanation.
    pub(crate) message: String,
}

/// Reads `text` (whose first line is file line `first_line`) as a YAML mapping.
pub(crate) fn read_mapping(text: &str, first_line: usize) -> Result<Vec<Entry>, YamlError> {
    let options = serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
    };
    let positions = Positions { text, first_line };
    match serde_saphyr::from_str_with_options::<Option<serde_saphyr::Spanned<Raw>>>(text, options) {
        Ok(None) => Ok(Vec::new()),
        Ok(Some(root)) => match root.value {
            Raw::Map(entries) => Ok(positions.entries(entries)),
            Raw::Null => Ok(Vec::new()),
            _ => Err(YamlError {
                line: positions.span(&root.referenced).line,
                column: 1,
                message: "the frontmatter is not a mapping of `key: value` lines".to_string(),
            }),
        },
        Err(error) => {
            let span = error.location().map_or(
                Span {
                    line: first_line,
                    column: 1,
                },
                |at| positions.span(&at),
            );
            let message = DefaultMessageFormatter
                .format_message(&error)
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            Err(YamlError {
                line: span.line,
                column: span.column,
                message,
            })
        }
    }
}

/// What saphyr hands over, before positions are turned into file spans.
enum Raw {
    Null,
    /// A string scalar (quoted or plain).
    Str(String),
    /// A number or boolean: its text is taken back from the source.
    Typed,
    Seq(Vec<serde_saphyr::Spanned<Raw>>),
    Map(Vec<(serde_saphyr::Spanned<String>, serde_saphyr::Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Raw, E> {
        Ok(Raw::Typed)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Raw, E> {
        Ok(Raw::Typed)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Raw, E> {
        Ok(Raw::Typed)
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Raw, E> {
        Ok(Raw::Typed)
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Raw, E> {
        Ok(Raw::Typed)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Raw, E> {
        Ok(Raw::Typed)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Raw, E> {
        Ok(Raw::Str(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Raw, E> {
        Ok(Raw::Str(value))
    }

    fn visit_bytes<E: de::Error>(self, value: &[u8]) -> Result<Raw, E> {
        Ok(Raw::Str(String::from_utf8_lossy(value).into_owned()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Raw, D::Error> {
        Raw::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        Ok(Raw::Map(entries))
    }
}

/// Turns saphyr locations (relative to the block) into file spans and raw values into nodes.
struct Positions<'a> {
    text: &'a str,
    first_line: usize,
}

impl Positions<'_> {
    fn span(&self, location: &Location) -> Span {
        let line = usize::try_from(location.line()).unwrap_or(0).max(1);
        let column = usize::try_from(location.column()).unwrap_or(0).max(1);
        Span {
            line: self.first_line + line - 1,
            column,
        }
    }

    fn entries(
        &self,
        raw: Vec<(serde_saphyr::Spanned<String>, serde_saphyr::Spanned<Raw>)>,
    ) -> Vec<Entry> {
        raw.into_iter()
            .map(|(key, value)| Entry {
                key: Spanned {
                    span: self.span(&key.referenced),
                    value: key.value,
                },
                value: self.node(value),
            })
            .collect()
    }

    fn node(&self, raw: serde_saphyr::Spanned<Raw>) -> Spanned<Node> {
        let span = self.span(&raw.referenced);
        let value = match raw.value {
            Raw::Null => Node::Null,
            Raw::Str(text) => Node::Text(text),
            Raw::Typed => Node::Text(self.source_text(&raw.referenced)),
            Raw::Seq(items) => Node::List(items.into_iter().map(|item| self.node(item)).collect()),
            Raw::Map(entries) => Node::Map(self.entries(entries)),
        };
        Spanned { value, span }
    }

    /// The scalar exactly as written (`1.50` stays `1.50`, `TRUE` stays `TRUE`).
    fn source_text(&self, location: &Location) -> String {
        let span = location.span();
        let start = span
            .byte_offset()
            .and_then(|start| usize::try_from(start).ok());
        let len = span.byte_len().and_then(|len| usize::try_from(len).ok());
        start
            .zip(len)
            .and_then(|(start, len)| self.text.get(start..start.checked_add(len)?))
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(entries: &[Entry]) -> Vec<(String, usize, Vec<String>)> {
        entries
            .iter()
            .map(|e| (e.key.value.clone(), e.key.span.line, e.value.value.texts()))
            .collect()
    }

    #[test]
    fn keeps_scalars_as_written_and_every_duplicate() {
        let yaml = "d: 2025-03-20\nb: no\nc: on\nn: 1.50\nt: TRUE\nk: x\nk:\n- y\n";
        let entries = read_mapping(yaml, 2).unwrap();
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            texts(&entries),
            [
                ("d".to_string(), 2, strings(&["2025-03-20"])),
                ("b".to_string(), 3, strings(&["no"])),
                ("c".to_string(), 4, strings(&["on"])),
                ("n".to_string(), 5, strings(&["1.50"])),
                ("t".to_string(), 6, strings(&["TRUE"])),
                ("k".to_string(), 7, strings(&["x"])),
                ("k".to_string(), 8, strings(&["y"])),
            ]
        );
        assert_eq!(entries[0].value.span, Span { line: 2, column: 4 });
    }

    #[test]
    fn reports_errors_at_file_lines() {
        let error = read_mapping("title: A\nx: '[[B]]'\n- type: y\n", 2).unwrap_err();
        assert_eq!(error.line, 4);
        assert!(!error.message.is_empty());
        let error = read_mapping("- a\n- b\n", 2).unwrap_err();
        assert_eq!((error.line, error.column), (2, 1));
        assert_eq!(read_mapping("", 2).unwrap(), []);
        assert_eq!(read_mapping("# only a comment\n", 2).unwrap(), []);
    }
}
