//! The sentence around a link, as plain text: what a backlink shows of the note that links.

use crate::vault::{Note, Span};

/// Longest context shown, in characters (cut at a word, with an ellipsis).
const MAX_CONTEXT: usize = 240;

/// The sentence of `note`'s body in which the link at `span` (a position in the file) is
/// written, with wiki links and emphasis marks reduced to their text; empty when the span is
/// not in the body (a frontmatter relation).
pub(crate) fn link_sentence(note: &Note, span: Span) -> String {
    let Some(index) = span.line.checked_sub(note.body_line) else {
        return String::new();
    };
    let Some(line) = note.body.lines().nth(index) else {
        return String::new();
    };
    let column = line
        .char_indices()
        .nth(span.column.saturating_sub(1))
        .map_or(line.len(), |(at, _)| at);
    let start = sentence_start(line, column);
    let end = sentence_end(line, column);
    let sentence = plain_text(line[start..end].trim_start_matches(['-', '*', '>', '#', ' ']));
    shorten(sentence.trim())
}

/// Byte offset where the sentence holding `at` begins.
fn sentence_start(line: &str, at: usize) -> usize {
    line[..at]
        .rmatch_indices(['.', '!', '?', ';'])
        .find(|(i, _)| line[i + 1..].starts_with(' '))
        .map_or(0, |(i, _)| i + 1)
}

/// Byte offset just after the sentence holding `at` ends.
fn sentence_end(line: &str, at: usize) -> usize {
    let after_link = line[at..].find("]]").map_or(at, |e| at + e + 2);
    line[after_link..]
        .match_indices(['.', '!', '?'])
        .find(|(i, _)| {
            let next = &line[after_link + i + 1..];
            next.is_empty() || next.starts_with(' ')
        })
        .map_or(line.len(), |(i, _)| after_link + i + 1)
}

/// The hover preview of a note: its first paragraph of prose as plain text, shortened.
pub(crate) fn note_preview(note: &Note) -> String {
    let mut paragraph = String::new();
    let mut in_code = false;
    for line in note.body.lines() {
        let line = line.trim();
        if line.starts_with("```") || line.starts_with("~~~") {
            in_code = !in_code;
            continue;
        }
        let skip = in_code
            || line.starts_with(['#', '|', '>', '!', '<', '%'])
            || line.starts_with("$$")
            || line.starts_with("---");
        if line.is_empty() || skip {
            if !paragraph.is_empty() {
                break;
            }
            continue;
        }
        if !paragraph.is_empty() {
            paragraph.push(' ');
        }
        paragraph.push_str(line.trim_start_matches(['-', '*', ' ']));
    }
    shorten(without_block_ids(&plain_text(&paragraph)).trim())
}

/// The text without Obsidian block ids (` ^def` at the end of a line).
fn without_block_ids(text: &str) -> String {
    text.split(' ')
        .filter(|word| {
            !(word.len() > 1
                && word.starts_with('^')
                && word[1..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-'))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `[[T|label]]` → `label`, `[[T]]` → `T`, `**x**` → `x`, `$x$` → `x`.
fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("[[") {
        out.push_str(rest[..open].strip_suffix('!').unwrap_or(&rest[..open]));
        let inner_start = open + 2;
        match rest[inner_start..].find("]]") {
            Some(close) => {
                let inner = &rest[inner_start..inner_start + close];
                let shown = inner.rsplit('|').next().unwrap_or(inner);
                out.push_str(shown.split('#').next().unwrap_or(shown));
                rest = &rest[inner_start + close + 2..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.replace("**", "").replace("__", "").replace('$', "")
}

/// `text` cut to [`MAX_CONTEXT`] characters at a word boundary.
fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_CONTEXT {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX_CONTEXT).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", &cut[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(body: &str) -> Note {
        Note {
            body: body.to_string(),
            body_line: 5,
            ..Note::default()
        }
    }

    #[test]
    fn the_sentence_around_the_link_is_kept() {
        let n = note("Intro.\nUne phrase avant. Le [[MLP|perceptron]] apprend **vite**. Après.\n");
        let at = Span {
            line: 6,
            column: 23,
        };
        assert_eq!(link_sentence(&n, at), "Le perceptron apprend vite.");
    }

    #[test]
    fn a_list_item_loses_its_marker() {
        let n = note("- voir [[A#h]] aussi\n");
        assert_eq!(
            link_sentence(&n, Span { line: 5, column: 8 }),
            "voir A aussi"
        );
    }

    #[test]
    fn the_preview_is_the_first_paragraph_of_prose() {
        let n = note("## Titre\n\nLe **MLP** est un [[Réseau]].\nIl apprend. ^def\n\nSuite.\n");
        assert_eq!(note_preview(&n), "Le MLP est un Réseau. Il apprend.");
        let embed = note("Voir ![[Schéma]] ici.\n");
        assert_eq!(note_preview(&embed), "Voir Schéma ici.");
    }

    #[test]
    fn a_frontmatter_span_has_no_sentence() {
        assert_eq!(link_sentence(&note("x"), Span { line: 2, column: 1 }), "");
    }
}
