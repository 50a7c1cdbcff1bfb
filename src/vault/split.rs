//! Raw bytes → text, and text → frontmatter block + Markdown body.
//!
//! Nothing here understands YAML or Markdown: this module only decides which lines are which.

use super::wikilink::find_pair;
use std::borrow::Cow;

/// A file's bytes decoded as UTF-8, with where the first invalid byte was, if any.
pub(crate) struct Decoded<'a> {
    /// The text (borrowed when the bytes are UTF-8); bytes that are not UTF-8 read as
    /// Windows-1252 (nothing is dropped).
    pub(crate) text: Cow<'a, str>,
    /// Length of the UTF-8 byte-order mark `text` starts with (0 or 3): the note starts after.
    pub(crate) bom: usize,
    /// 1-based line and column (in characters, after the BOM) of the first byte that is not UTF-8.
    pub(crate) first_invalid: Option<(usize, usize)>,
    /// The bytes start with a UTF-16 byte-order mark.
    pub(crate) looks_utf16: bool,
}

/// Decodes `bytes`, borrowing them when they are valid UTF-8. Bytes that are not are
/// read as Windows-1252 (Latin-1 and its Windows extension), the usual encoding of French
/// text that is not UTF-8, so that `Réseau` written in Latin-1 still reads `Réseau`.
pub(crate) fn decode(bytes: &[u8]) -> Decoded<'_> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let bom = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    // The SIMD validator is several times faster on valid text; the standard one says where
    // invalid text goes wrong.
    let valid = simdutf8::basic::from_utf8(bytes).or_else(|_| std::str::from_utf8(bytes));
    match valid {
        Ok(text) => Decoded {
            text: Cow::Borrowed(text),
            bom,
            first_invalid: None,
            looks_utf16: false,
        },
        Err(error) => {
            let valid_up_to = error.valid_up_to();
            let valid = &bytes[bom..valid_up_to.max(bom)];
            let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
            // `valid` is UTF-8, so its tail after the last newline is too.
            let column = 1 + String::from_utf8_lossy(&valid[line_start..])
                .chars()
                .count();
            Decoded {
                text: Cow::Owned(decode_with_windows_1252_fallback(bytes)),
                bom,
                first_invalid: Some((line, column)),
                looks_utf16: bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF"),
            }
        }
    }
}

/// UTF-8 runs as UTF-8, every other byte as its Windows-1252 character.
fn decode_with_windows_1252_fallback(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 8);
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        text.extend(chunk.invalid().iter().map(|&byte| windows_1252(byte)));
    }
    text
}

/// The Windows-1252 character of one byte (U+FFFD for its five unassigned bytes).
fn windows_1252(byte: u8) -> char {
    const C1: [char; 32] = [
        '€', '\u{FFFD}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{FFFD}', 'Ž',
        '\u{FFFD}', '\u{FFFD}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ',
        '\u{FFFD}', 'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9F => C1[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// The frontmatter lines of a note (without the `---` delimiters).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Block<'a> {
    /// The YAML text.
    pub(crate) text: &'a str,
    /// 1-based file line of the first YAML line.
    pub(crate) first_line: usize,
    /// Whether a closing `---` was found.
    pub(crate) closed: bool,
}

/// A note's text cut into its frontmatter block (if any) and its body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Split<'a> {
    /// The frontmatter, when the very first line is `---`.
    pub(crate) frontmatter: Option<Block<'a>>,
    /// The Markdown after the frontmatter.
    pub(crate) body: &'a str,
    /// Byte offset of `body` in the text.
    pub(crate) body_start: usize,
    /// 1-based file line where `body` starts.
    pub(crate) body_line: usize,
}

/// Cuts `text` into frontmatter and body.
///
/// Frontmatter exists only when the first line is `---`; it ends at the next `---` line.
/// When no closing line exists, the block is taken to end before the first line that cannot
/// belong to YAML (a blank line, a heading, a sentence without `key:`), and the rest is the
/// body: the keys and links written in the block are kept, and no body text is swallowed.
pub(crate) fn split(text: &str) -> Split<'_> {
    let mut lines = Lines::new(text);
    let opens = lines.next().is_some_and(|line| is_delimiter(line.text));
    if !opens {
        return Split {
            frontmatter: None,
            body: text,
            body_start: 0,
            body_line: 1,
        };
    }
    let yaml_start = lines.offset;
    let mut after_opening = lines.clone();
    for line in lines.by_ref() {
        if is_delimiter(line.text) {
            return Split {
                frontmatter: Some(Block {
                    text: &text[yaml_start..line.start],
                    first_line: 2,
                    closed: true,
                }),
                body: &text[lines.offset..],
                body_start: lines.offset,
                body_line: line.number + 1,
            };
        }
    }
    // Unclosed: the block ends before the first line that is not YAML.
    let (body_line, body_start) = after_opening
        .find(|line| !looks_like_yaml(line.text))
        .map_or((lines.number + 1, text.len()), |line| {
            (line.number, line.start)
        });
    Split {
        frontmatter: Some(Block {
            text: &text[yaml_start..body_start],
            first_line: 2,
            closed: false,
        }),
        body: &text[body_start..],
        body_start,
        body_line,
    }
}

fn is_delimiter(line: &str) -> bool {
    line.trim_end() == "---"
}

/// Whether a line may belong to a YAML mapping (used only for an unclosed block).
fn looks_like_yaml(line: &str) -> bool {
    let line = line.trim_end();
    if line.is_empty() {
        return false;
    }
    if line.starts_with([' ', '\t']) || line == "-" || line.starts_with("- ") {
        return true;
    }
    if line.starts_with(['#', '[', '!', '>', '*', '|', '`', '$', '<']) {
        return false;
    }
    key_end(line).is_some()
}

/// Byte index of the `:` ending a `key:` at the start of `line` (followed by a space or
/// nothing), if the line is shaped like a mapping entry.
pub(crate) fn key_end(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let colon = memchr::memchr_iter(b':', bytes)
        .find(|&i| bytes.get(i + 1).is_none_or(u8::is_ascii_whitespace))?;
    let key = &line[..colon];
    (!key.trim().is_empty() && find_pair(key, *b"[[").is_none()).then_some(colon)
}

/// One line of a text, without its line ending (`\n` or `\r\n`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    /// 1-based line number.
    pub(crate) number: usize,
    /// Byte offset of the line's first character.
    pub(crate) start: usize,
    /// The line's text.
    pub(crate) text: &'a str,
}

/// The lines of a text, in order; `offset` is the byte offset just past the last one returned.
#[derive(Clone)]
pub(crate) struct Lines<'a> {
    text: &'a str,
    offset: usize,
    number: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Lines {
            text,
            offset: 0,
            number: 0,
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = &self.text[self.offset..];
        if rest.is_empty() {
            return None;
        }
        let (line, consumed) = match memchr::memchr(b'\n', rest.as_bytes()) {
            Some(end) => (&rest[..end], end + 1),
            None => (rest, rest.len()),
        };
        let start = self.offset;
        self.offset += consumed;
        self.number += 1;
        Some(Line {
            number: self.number,
            start,
            text: line.strip_suffix('\r').unwrap_or(line),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_bom_and_reports_the_first_bad_byte() {
        let decoded = decode(b"\xEF\xBB\xBFabc");
        assert_eq!(
            (&decoded.text[decoded.bom..], decoded.first_invalid),
            ("abc", None)
        );
        let decoded = decode(b"\xEF\xBB\xBFok\n\xC3\xA9t\xE9\n");
        assert_eq!(decoded.first_invalid, Some((2, 3)));
        assert_eq!(&decoded.text[decoded.bom..], "ok\nét\u{e9}\n");
        let decoded = decode(b"l\x92\xE9t\xE9 \x80\x81");
        assert_eq!(decoded.text, "l’été €\u{fffd}");
        assert_eq!(decoded.first_invalid, Some((1, 2)));
        assert!(decode(b"\xFF\xFEa\0").looks_utf16);
    }

    #[test]
    fn splits_a_closed_block() {
        let split = split("---\ntitle: A\n---\nbody\n");
        let block = split.frontmatter.unwrap();
        assert_eq!(
            (block.text, block.first_line, block.closed),
            ("title: A\n", 2, true)
        );
        assert_eq!((split.body, split.body_line), ("body\n", 4));
    }

    #[test]
    fn splits_crlf_and_an_empty_block() {
        let split = split("---\r\ntitle: A\r\n---  \r\nbody\r\n");
        assert_eq!(split.frontmatter.unwrap().text, "title: A\r\n");
        assert_eq!((split.body, split.body_line), ("body\r\n", 4));
        let split = super::split("---\n---\n");
        assert_eq!(split.frontmatter.unwrap().text, "");
        assert_eq!((split.body, split.body_line), ("", 3));
    }

    #[test]
    fn frontmatter_only_at_the_top() {
        let split = split("\n---\ntitle: A\n---\n");
        assert!(split.frontmatter.is_none());
        assert_eq!(split.body_line, 1);
    }

    #[test]
    fn an_unclosed_block_ends_at_the_first_non_yaml_line() {
        let split = split("---\ntitle: A\nhasPart:\n- '[[B]]'\n\n# Titre\ntexte\n");
        let block = split.frontmatter.unwrap();
        assert_eq!(block.text, "title: A\nhasPart:\n- '[[B]]'\n");
        assert!(!block.closed);
        assert_eq!((split.body, split.body_line), ("\n# Titre\ntexte\n", 5));
        let split = super::split("---\ntitle: A");
        assert_eq!(split.frontmatter.unwrap().text, "title: A");
        assert_eq!((split.body, split.body_line), ("", 3));
    }

    #[test]
    fn recognises_key_lines() {
        assert_eq!(key_end("rdfs:subClassOf: x"), Some(15));
        assert_eq!(key_end("title: A: B"), Some(5));
        assert_eq!(key_end("hasPart:"), Some(7));
        assert_eq!(key_end("http://x"), None);
        assert_eq!(key_end(": x"), None);
    }
}
