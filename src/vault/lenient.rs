//! Lenient, line-by-line reading of a frontmatter block that is not valid YAML (or not
//! closed), so that the title, every key and every link survive.
//!
//! It understands what hand-written frontmatter contains: `key: value` lines (the value may
//! hold `:`), `- item` lists, `- key: value` list items continued by indented `key: value`
//! lines, quoted values (also wrapped over several lines), `[a, b]` lists and `# comments`.
//! Anything else indented continues the previous value. Items written before any key are
//! kept under the key `linksTo`.

use super::model::{Span, Spanned};
use super::node::{Entry, Node};
use super::split::{Lines, key_end};

/// The key given to list items found before any key.
const ORPHAN_KEY: &str = "linksTo";

/// Reads `text` (whose first line is file line `first_line`) as leniently as possible.
pub(crate) fn read_leniently(text: &str, first_line: usize) -> Vec<Entry> {
    let mut reader = Reader::default();
    for line in logical_lines(text) {
        reader.line(&line, first_line + line.number - 1);
    }
    reader.finish()
}

/// One line of the block after joining the lines that continue it.
struct Logical {
    /// 1-based line number inside the block.
    number: usize,
    /// The line as written (indentation included), continuation lines appended after a space.
    text: String,
}

impl Logical {
    fn indent(&self) -> usize {
        self.text.len() - self.text.trim_start().len()
    }

    /// The text after the indentation and an optional list dash.
    fn item(&self) -> Option<&str> {
        let content = self.text.trim_start();
        match content.strip_prefix('-') {
            Some(rest) if rest.is_empty() || rest.starts_with([' ', '\t']) => Some(rest),
            _ => None,
        }
    }

    /// The value part of the line: after `key:` or after `- `.
    fn value_part(&self) -> &str {
        let content = self.item().unwrap_or(self.text.trim_start());
        match mapping_colon(content) {
            Some(colon) => &content[colon + 1..],
            None => content,
        }
        .trim()
    }
}

/// Joins wrapped quoted values and indented plain continuations to the line they continue.
fn logical_lines(text: &str) -> Vec<Logical> {
    let mut logical: Vec<Logical> = Vec::new();
    for line in Lines::new(text) {
        let content = line.text.trim();
        let indented = line.text.starts_with([' ', '\t']);
        let top_level_key = !indented && mapping_colon(line.text).is_some();
        let is_comment = content.starts_with('#');
        if let Some(previous) = logical.last_mut() {
            let in_open_quote = opens_unclosed_quote(previous.value_part());
            let continues = indented
                && !content.is_empty()
                && !is_comment
                && !content.starts_with("- ")
                && content != "-"
                && mapping_colon(content).is_none();
            if (in_open_quote && !top_level_key && !content.is_empty()) || continues {
                previous.text.push(' ');
                previous.text.push_str(content);
                continue;
            }
        }
        if content.is_empty() || is_comment {
            continue;
        }
        logical.push(Logical {
            number: line.number,
            text: line.text.trim_end().to_string(),
        });
    }
    logical
}

/// Builds entries from logical lines.
#[derive(Default)]
struct Reader {
    entries: Vec<Entry>,
    /// Values of the entry being read (a scalar, then list items).
    parts: Vec<Spanned<Node>>,
    /// Indentation of the `- key: value` item being continued, if any.
    item_indent: Option<usize>,
}

impl Reader {
    fn line(&mut self, line: &Logical, number: usize) {
        let indent = line.indent();
        if let Some(rest) = line.item() {
            self.item(line, rest, number, indent);
        } else if indent == 0 {
            self.top_level(line, number);
        } else {
            self.nested(line, number, indent);
        }
    }

    fn top_level(&mut self, line: &Logical, number: usize) {
        let text = line.text.as_str();
        let Some(colon) = mapping_colon(text) else {
            // A stray scalar at the top: keep it (and its links) as an item.
            self.start_orphan_if_needed(number);
            self.parts.push(scalar(text, text, 0, number));
            return;
        };
        self.close_entry();
        let key = unquote_key(&text[..colon]);
        self.entries.push(Entry {
            key: Spanned {
                value: key,
                span: Span {
                    line: number,
                    column: 1,
                },
            },
            value: Spanned {
                value: Node::Null,
                span: Span {
                    line: number,
                    column: column_of(text, colon) + 1,
                },
            },
        });
        let value_start = colon + 1;
        if !text[value_start..].trim().is_empty() {
            self.parts
                .push(scalar(text, &text[value_start..], value_start, number));
        }
    }

    fn item(&mut self, line: &Logical, rest: &str, number: usize, indent: usize) {
        self.start_orphan_if_needed(number);
        let text = line.text.as_str();
        let rest_start = text.len() - rest.len();
        let content = rest.trim_start();
        let content_start = text.len() - content.len();
        match mapping_colon(content) {
            Some(colon) => {
                let entry = nested_entry(text, content_start, colon, number);
                self.parts.push(Spanned {
                    span: entry.key.span,
                    value: Node::Map(vec![entry]),
                });
                self.item_indent = Some(indent);
            }
            None => {
                self.parts.push(scalar(text, rest, rest_start, number));
                self.item_indent = None;
            }
        }
    }

    fn nested(&mut self, line: &Logical, number: usize, indent: usize) {
        self.start_orphan_if_needed(number);
        let text = line.text.as_str();
        let Some(colon) = mapping_colon(text.trim_start()) else {
            self.parts.push(scalar(text, text, 0, number));
            return;
        };
        let entry = nested_entry(text, indent, colon, number);
        let continues_item = self.item_indent.is_some_and(|item| indent > item);
        match self.parts.last_mut() {
            Some(Spanned {
                value: Node::Map(entries),
                ..
            }) if continues_item || self.item_indent.is_none() => entries.push(entry),
            _ => self.parts.push(Spanned {
                span: entry.key.span,
                value: Node::Map(vec![entry]),
            }),
        }
    }

    fn start_orphan_if_needed(&mut self, number: usize) {
        if self.entries.is_empty() {
            let span = Span {
                line: number,
                column: 1,
            };
            self.entries.push(Entry {
                key: Spanned {
                    value: ORPHAN_KEY.to_string(),
                    span,
                },
                value: Spanned {
                    value: Node::Null,
                    span,
                },
            });
        }
    }

    /// Gives the entry being read its value: one scalar alone, else a list of every part.
    fn close_entry(&mut self) {
        self.item_indent = None;
        let mut parts = std::mem::take(&mut self.parts);
        let Some(entry) = self.entries.last_mut() else {
            return;
        };
        entry.value = match parts.len() {
            0 => return,
            1 if matches!(parts[0].value, Node::Text(_) | Node::Null) => parts.remove(0),
            _ => Spanned {
                span: parts[0].span,
                value: Node::List(parts),
            },
        };
    }

    fn finish(mut self) -> Vec<Entry> {
        self.close_entry();
        self.entries
    }
}

/// `key: value` written at byte `key_start` of `text`, its colon at `key_start + colon`.
fn nested_entry(text: &str, key_start: usize, colon: usize, number: usize) -> Entry {
    let value_start = key_start + colon + 1;
    let key_span = Span {
        line: number,
        column: column_of(text, key_start),
    };
    let value = if text[value_start..].trim().is_empty() {
        Spanned {
            value: Node::Null,
            span: key_span,
        }
    } else {
        scalar(text, &text[value_start..], value_start, number)
    };
    Entry {
        key: Spanned {
            value: unquote_key(&text[key_start..key_start + colon]),
            span: key_span,
        },
        value,
    }
}

/// A scalar value `raw` written at byte `start` of the line `line`.
fn scalar(line: &str, raw: &str, start: usize, number: usize) -> Spanned<Node> {
    let leading = raw.len() - raw.trim_start().len();
    let span = Span {
        line: number,
        column: column_of(line, (start + leading).min(line.len())),
    };
    Spanned {
        value: parse_scalar(raw.trim(), span),
        span,
    }
}

/// 1-based character column of byte `offset` in `line`.
fn column_of(line: &str, offset: usize) -> usize {
    line.get(..offset)
        .map_or(1, |before| before.chars().count() + 1)
}

/// A value as YAML would roughly read it: quotes removed, `[a, b]` split (its items get
/// `span`), comments dropped.
fn parse_scalar(raw: &str, span: Span) -> Node {
    if let Some(inner) = raw.strip_prefix('\'') {
        return Node::Text(single_quoted(inner));
    }
    if let Some(inner) = raw.strip_prefix('"') {
        return Node::Text(double_quoted(inner));
    }
    if raw.starts_with('[') && !raw.starts_with("[[") {
        let inner = raw.trim_start_matches('[');
        let inner = inner.rsplit_once(']').map_or(inner, |(inner, _)| inner);
        let items = inner
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| Spanned {
                value: parse_scalar(item, span),
                span,
            })
            .collect();
        return Node::List(items);
    }
    let text = if raw.contains("[[") {
        raw
    } else {
        raw.split_once(" #")
            .map_or(raw, |(text, _)| text)
            .trim_end()
    };
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Node::Null,
        _ => Node::Text(text.to_string()),
    }
}

/// The content of a single-quoted scalar after its opening quote (`''` is one quote).
fn single_quoted(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
            } else {
                break;
            }
        }
        out.push(c);
    }
    out
}

/// The content of a double-quoted scalar after its opening quote (common escapes only).
fn double_quoted(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            },
            _ => out.push(c),
        }
    }
    out
}

/// Whether `value` starts a quoted scalar that does not end on this text.
fn opens_unclosed_quote(value: &str) -> bool {
    if let Some(inner) = value.strip_prefix('\'') {
        return !inner.replace("''", "").contains('\'');
    }
    if let Some(inner) = value.strip_prefix('"') {
        return !inner.replace("\\\\", "").replace("\\\"", "").contains('"');
    }
    false
}

/// Byte index of the colon ending the key of a `key: value` line: a quoted key (`'a b': c`)
/// must close before it, and a quoted scalar holding `: ` (`'a: b'`) is no key at all.
fn mapping_colon(text: &str) -> Option<usize> {
    let colon = key_end(text)?;
    match text.chars().next() {
        Some(quote @ ('\'' | '"')) => {
            (colon > 1 && text[..colon].ends_with(quote)).then_some(colon)
        }
        _ => Some(colon),
    }
}

fn unquote_key(key: &str) -> String {
    let key = key.trim();
    match parse_scalar(key, Span::default()) {
        Node::Text(text) => text,
        _ => key.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(entries: &[Entry]) -> Vec<(String, usize, Vec<String>)> {
        entries
            .iter()
            .map(|e| (e.key.value.clone(), e.key.span.line, e.value.value.texts()))
            .collect()
    }

    fn owned(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn reads_keys_lists_and_a_stray_list() {
        let text = "title: Réseaux: une intro\nisPartOf: '[[A]]'\n- type: isPartOf\n  target: '[[X]]'\nhasPart:\n- '[[B]]'\n- [[C]]\n";
        assert_eq!(
            summary(&read_leniently(text, 2)),
            [
                ("title".to_string(), 2, owned(&["Réseaux: une intro"])),
                (
                    "isPartOf".to_string(),
                    3,
                    owned(&["[[A]]", "type: isPartOf", "target: [[X]]"])
                ),
                ("hasPart".to_string(), 6, owned(&["[[B]]", "[[C]]"])),
            ]
        );
    }

    #[test]
    fn a_list_item_mapping_keeps_its_lines_together() {
        let entries = read_leniently(
            "rel:\n- type: uses\n  target: '[[X]]'\n- type: solves\n  target: '[[Y]]'\n",
            2,
        );
        let Node::List(items) = &entries[0].value.value else {
            panic!("expected a list, got {:?}", entries[0].value);
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[1].value.texts(), ["type: solves", "target: [[Y]]"]);
    }

    #[test]
    fn joins_wrapped_quotes_and_plain_continuations() {
        let text = "seeAlso: '[[Réseaux de\n  neurones]]'\ntitle: \"Un \\\"titre\\\"\"\nnote: un texte\n  qui continue # et un commentaire\n";
        assert_eq!(
            summary(&read_leniently(text, 5)),
            [
                (
                    "seeAlso".to_string(),
                    5,
                    owned(&["[[Réseaux de neurones]]"])
                ),
                ("title".to_string(), 7, owned(&["Un \"titre\""])),
                ("note".to_string(), 8, owned(&["un texte qui continue"])),
            ]
        );
    }

    #[test]
    fn keeps_items_before_any_key_and_flow_lists() {
        let text = "- '[[Orphelin]]'\ntags: [a, 'b c']\n'odd key': 'l''apostrophe'\n'a: b'\n";
        assert_eq!(
            summary(&read_leniently(text, 2)),
            [
                (ORPHAN_KEY.to_string(), 2, owned(&["[[Orphelin]]"])),
                ("tags".to_string(), 3, owned(&["a", "b c"])),
                ("odd key".to_string(), 4, owned(&["l'apostrophe", "a: b"])),
            ]
        );
    }

    #[test]
    fn flow_list_items_are_placed_on_their_line() {
        let entries = read_leniently("hasPart: [a, b]\n- title: \n", 2);
        let Node::List(parts) = &entries[0].value.value else {
            panic!("expected a list, got {:?}", entries[0].value);
        };
        let Node::List(items) = &parts[0].value else {
            panic!("expected the flow list first, got {:?}", parts[0]);
        };
        assert!(items.iter().all(|item| item.span
            == Span {
                line: 2,
                column: 10
            }));
    }

    #[test]
    fn value_columns_point_at_the_value() {
        let entries = read_leniently("a:  '[[X]]'\n", 2);
        assert_eq!(entries[0].value.span, Span { line: 2, column: 5 });
    }
}
