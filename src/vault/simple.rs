//! Fast, exact reading of the small YAML subset nearly every note is written in.
//!
//! A full YAML parse costs tens of microseconds per note, most of a vault's load time. This
//! reader accepts only lines whose meaning is unambiguous — `key: scalar`, `key:` followed by
//! `- scalar` items, blank and comment lines, with plain, `'single'` or `"double"` (escape-free)
//! scalars on one line — and gives exactly the tree serde-saphyr would (the property test in
//! this module checks it). Anything else returns `None` and goes to the YAML parser.

use super::model::{Span, Spanned};
use super::node::{Entry, Node};
use super::split::{Lines, key_end};

/// Reads `text` (whose first line is file line `first_line`) if it is in the simple subset.
pub(crate) fn read_simple(text: &str, first_line: usize) -> Option<Vec<Entry>> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut items: Vec<Spanned<Node>> = Vec::new();
    let mut item_indent = None;
    let mut accepts_items = false;
    for line in Lines::new(text) {
        let raw = line.text;
        if has_unusual_characters(raw) {
            return None;
        }
        let content = raw.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let number = first_line + line.number - 1;
        let indent = raw.len() - content.len();
        if let Some(item) = content.strip_prefix("- ") {
            if !accepts_items || item_indent.is_some_and(|known| known != indent) {
                return None;
            }
            item_indent = Some(indent);
            let start = raw.len() - item.trim_start().len();
            items.push(spanned_scalar(raw, start, number)?);
            continue;
        }
        if indent > 0 {
            return None;
        }
        let colon = key_end(raw)?;
        let key = &raw[..colon];
        if !is_plain_key(key) {
            return None;
        }
        close_entry(&mut entries, &mut items);
        item_indent = None;
        let value = &raw[colon + 1..];
        let key_span = Span {
            line: number,
            column: 1,
        };
        let value = if value.trim().is_empty() {
            accepts_items = true;
            Spanned {
                value: Node::Null,
                span: Span {
                    line: number,
                    column: colon + 1,
                },
            }
        } else {
            accepts_items = false;
            spanned_scalar(raw, raw.len() - value.trim_start().len(), number)?
        };
        entries.push(Entry {
            key: Spanned {
                value: key.to_string(),
                span: key_span,
            },
            value,
        });
    }
    close_entry(&mut entries, &mut items);
    Some(entries)
}

/// Gives the last entry its list items, if any were read.
fn close_entry(entries: &mut [Entry], items: &mut Vec<Spanned<Node>>) {
    if items.is_empty() {
        return;
    }
    let items = std::mem::take(items);
    if let Some(entry) = entries.last_mut() {
        entry.value = Spanned {
            span: items[0].span,
            value: Node::List(items),
        };
    }
}

/// The scalar starting at byte `start` of `line`, which runs to the end of the line.
fn spanned_scalar(line: &str, start: usize, number: usize) -> Option<Spanned<Node>> {
    let value = scalar(line[start..].trim_end())?;
    Some(Spanned {
        value,
        span: Span {
            line: number,
            column: line[..start].chars().count() + 1,
        },
    })
}

/// One complete scalar in the subset, or `None` when YAML might read it otherwise.
fn scalar(text: &str) -> Option<Node> {
    if let Some(quoted) = text.strip_prefix('\'') {
        return single_quoted(quoted).map(Node::Text);
    }
    if let Some(quoted) = text.strip_prefix('"') {
        let inner = quoted.strip_suffix('"')?;
        return (!inner.contains(['"', '\\'])).then(|| Node::Text(inner.to_string()));
    }
    if !is_plain(text) {
        return None;
    }
    Some(match text {
        "~" | "null" | "Null" | "NULL" => Node::Null,
        _ => Node::Text(text.to_string()),
    })
}

/// The content of `'…'` given what follows the opening quote, if the quote closes exactly at
/// the end (`''` inside is one quote).
fn single_quoted(quoted: &str) -> Option<String> {
    let inner = quoted.strip_suffix('\'')?;
    if !inner.contains('\'') {
        return Some(inner.to_string());
    }
    let paired = inner.split("''").all(|part| !part.contains('\''));
    paired.then(|| inner.replace("''", "'"))
}

/// A plain scalar YAML reads as its own text: no indicator first, no `: ` or ` #` inside.
fn is_plain(text: &str) -> bool {
    let bytes = text.as_bytes();
    let comment_or_mapping = |i: usize| match bytes[i] {
        b':' => bytes.get(i + 1) == Some(&b' '),
        _ => i > 0 && bytes[i - 1] == b' ',
    };
    bytes
        .first()
        .is_some_and(|first| !b"-?:,[]{}#&*!|>'\"%@`".contains(first))
        && !memchr::memchr2_iter(b':', b'#', bytes).any(comment_or_mapping)
        && !text.ends_with(':')
}

fn is_plain_key(key: &str) -> bool {
    is_plain(key) && key.trim() == key && key != "<<"
}

/// Whether `line` holds characters YAML treats specially (control characters, tabs, other
/// line breaks, BOM, non-characters), which this reader leaves to the full parser.
fn has_unusual_characters(line: &str) -> bool {
    // Only these bytes can start such a character; French text rarely has them.
    let suspect = |byte: u8| byte < 0x20 || matches!(byte, 0x7F | 0xC2 | 0xE2 | 0xEF);
    // A fold without early exit: the compiler turns it into vector compares.
    let any_suspect = line
        .bytes()
        .fold(false, |found, byte| found | suspect(byte));
    any_suspect
        && line.chars().any(|c| {
            c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
                )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::yaml::read_mapping;
    use proptest::prelude::*;

    /// Entries without the spans of empty values and lists (only those of keys and scalars are
    /// used, and YAML places the others inconsistently).
    fn comparable(entries: Vec<Entry>) -> Vec<Entry> {
        let entries = entries.into_iter();
        entries
            .map(|entry| Entry {
                key: entry.key,
                value: comparable_node(entry.value),
            })
            .collect()
    }

    fn comparable_node(mut node: Spanned<Node>) -> Spanned<Node> {
        node.value = match node.value {
            Node::Null => {
                node.span = Span::default();
                Node::Null
            }
            Node::List(items) => {
                node.span = Span::default();
                Node::List(items.into_iter().map(comparable_node).collect())
            }
            Node::Map(entries) => Node::Map(comparable(entries)),
            text => text,
        };
        node
    }

    #[test]
    fn reads_the_common_shape_like_yaml() {
        let text = "title: Apprentissage profond (Deep Learning)\ntype: concept\ntags:\n- deep learning\n- IA\ndate_creation: '2025-04-08'\nsubClassOf: '[[Techniques de l''intelligence artificielle]]'\nhasPart:\n  - '[[Le perceptron multicouche]]'\n  - \"[[L'algorithme du gradient]]\"\n# commentaire\nvide:\nrdfs:seeAlso: ~\nn: 1.50\nb: no\n";
        let simple = read_simple(text, 2).expect("in the subset");
        assert_eq!(
            comparable(simple),
            comparable(read_mapping(text, 2).unwrap())
        );
    }

    #[test]
    fn leaves_anything_else_to_yaml() {
        for text in [
            "title: A: B\n",
            "x: [[A]]\n",
            "x: 'a' # c\n",
            "x: \"a\\tb\"\n",
            "x: |\n  bloc\n",
            "x: a\n- b\n",
            "x:\n- a\n  - b\n",
            "x: a\n  suite\n",
            "'k': v\n",
            "x: 'ouvert\n  fermé'\n",
            "x:\ty\n",
        ] {
            assert_eq!(read_simple(text, 2), None, "{text:?}");
        }
    }

    fn line() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec![
            "title",
            "hasPart",
            "rdfs:subClassOf",
            "tags",
            "k",
            "x y",
            "é",
        ]);
        let value = prop::sample::select(vec![
            "",
            " ",
            "a",
            "[[A]]",
            "'[[B]]'",
            "'l''x'",
            "'x",
            "\"y\"",
            "\"a\\\"b\"",
            "no",
            "on",
            "1984",
            "1.50",
            "2025-03-20",
            "~",
            "null",
            "a: b",
            "a #c",
            "#c",
            "x:",
            "-1",
            "- a",
            "'a'b'",
            "\u{85}",
            "?",
            "a]",
            "{a}",
            "\"\"",
            "''",
            "\t",
            "&a",
            "*a",
            "%x",
            "`x`",
            "a,b",
            "\u{2028}",
        ]);
        let indent = prop::sample::select(vec!["", " ", "  ", "    "]);
        prop_oneof![
            4 => (key.clone(), value.clone()).prop_map(|(k, v)| format!("{k}: {v}")),
            2 => key.prop_map(|k| format!("{k}:")),
            4 => (indent.clone(), value.clone()).prop_map(|(i, v)| format!("{i}- {v}")),
            1 => (indent, value).prop_map(|(i, v)| format!("{i}{v}")),
            1 => Just("# commentaire".to_string()),
        ]
    }

    proptest! {
        #[test]
        fn agrees_with_yaml_whenever_it_accepts(lines in prop::collection::vec(line(), 0..8), crlf in any::<bool>()) {
            let text = lines.join(if crlf { "\r\n" } else { "\n" });
            if let Some(simple) = read_simple(&text, 2) {
                let yaml = read_mapping(&text, 2);
                prop_assert!(yaml.is_ok(), "saphyr rejects what the fast reader accepted: {text:?}: {yaml:?}");
                prop_assert_eq!(comparable(simple), comparable(yaml.unwrap()), "{:?}", text);
            }
        }
    }
}
