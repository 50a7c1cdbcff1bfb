//! Plain text from a note for the pages: a backlink's sentence, a concept's hover preview.

use crate::vault::Note;

/// Longest context shown, in characters (cut at a word, with an ellipsis).
const MAX_CONTEXT: usize = 240;

/// A backlink's sentence (Markdown on one line, [`sentence_around`](crate::view::sentence_around))
/// as plain text: wiki links and emphasis marks reduced to their text, shortened.
pub(crate) fn plain_sentence(markdown: &str) -> String {
    shorten(plain_text(markdown).trim())
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
                // A link cut by shortening: its label (or target) up to the cut.
                let inner = &rest[inner_start..];
                out.push_str(inner.rsplit('|').next().unwrap_or(inner));
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
    fn a_sentence_loses_its_link_and_emphasis_marks() {
        assert_eq!(
            plain_sentence("Le [[MLP|perceptron]] apprend **vite** ($x$)."),
            "Le perceptron apprend vite (x)."
        );
        assert_eq!(plain_sentence("voir [[A#h]] aussi"), "voir A aussi");
        assert_eq!(
            plain_sentence("les [[Modèles|modèles de…"),
            "les modèles de…"
        );
    }

    #[test]
    fn the_preview_is_the_first_paragraph_of_prose() {
        let n = note("## Titre\n\nLe **MLP** est un [[Réseau]].\nIl apprend. ^def\n\nSuite.\n");
        assert_eq!(note_preview(&n), "Le MLP est un Réseau. Il apprend.");
        let embed = note("Voir ![[Schéma]] ici.\n");
        assert_eq!(note_preview(&embed), "Voir Schéma ici.");
    }
}
