//! The sentence around a link, for backlinks ("mentioned in …: the sentence").

/// How many characters of context are kept on each side of the link at most.
const MAX_SIDE: usize = 160;

/// The sentence of `body` that holds the byte offset `at` (the start of a link), as Markdown
/// on one line: cut at the sentence ends (`.`, `!`, `?`, `…` before a space), never beyond
/// the paragraph, list item, heading or quote line that holds it; list, heading and quote
/// markers dropped, line breaks turned into spaces, and at most about 160 characters on each
/// side of the link (cut with `…`).
///
/// ```
/// let body = "# Titre\n\nUne phrase. Puis [[Adam]] est\ncité ici. Autre.\n\n- item [[B]]\n";
/// let at = body.find("[[Adam").unwrap();
/// assert_eq!(savoir::view::sentence_around(body, at), "Puis [[Adam]] est cité ici.");
/// let at = body.find("[[B").unwrap();
/// assert_eq!(savoir::view::sentence_around(body, at), "item [[B]]");
/// ```
pub fn sentence_around(body: &str, at: usize) -> String {
    let at = floor_boundary(body, at.min(body.len()));
    let (block_start, block_end) = block_around(body, at);
    let link_end = body[at..block_end]
        .find("]]")
        .or_else(|| body[at..block_end].find(')'))
        .map_or(at, |end| at + end + 1);
    let before = &body[block_start..at];
    let start = sentence_ends(before)
        .last()
        .map_or(block_start, |end| block_start + end);
    let after = &body[link_end..block_end];
    let end = sentence_ends(after)
        .next()
        .map_or(block_end, |end| link_end + end);
    let head = clip_start(body[start..at].trim_start(), MAX_SIDE);
    let tail = clip_end(&body[at..end], MAX_SIDE + (link_end - at));
    one_line(&format!("{head}{tail}"))
}

/// The paragraph, list item, heading or quote line around `at`, as a byte range.
fn block_around(body: &str, at: usize) -> (usize, usize) {
    let line_start = |offset: usize| body[..offset].rfind('\n').map_or(0, |i| i + 1);
    let mut start = line_start(at);
    // Back over the lines of the same paragraph.
    while start > 0 && !starts_block(line_of(body, start)) {
        let previous = line_start(start - 1);
        let line = line_of(body, previous);
        if line.trim().is_empty() {
            break;
        }
        start = previous;
        if starts_block(line) {
            break;
        }
    }
    let mut end = body[at..].find('\n').map_or(body.len(), |i| at + i);
    // Forward over the lines that continue it.
    while end < body.len() {
        let next = end + 1;
        let line = line_of(body, next);
        if line.trim().is_empty() || starts_block(line) {
            break;
        }
        end = next + line.len();
    }
    let text = &body[start..end];
    let marker = text.len() - strip_marker(text).len();
    (start + marker, end)
}

/// The line that starts at byte `start` (without its newline).
fn line_of(body: &str, start: usize) -> &str {
    let rest = &body[start..];
    &rest[..rest.find('\n').unwrap_or(rest.len())]
}

/// Whether a line opens a block of its own: a heading, a list item or a quote line.
fn starts_block(line: &str) -> bool {
    strip_marker(line).len() != line.trim_start().len()
}

/// `line` without its leading heading (`#`), quote (`>`) or list (`-`, `*`, `+`, `1.`,
/// `- [ ]`) markers.
fn strip_marker(line: &str) -> &str {
    let mut rest = line.trim_start();
    loop {
        let trimmed = if let Some(r) = rest.strip_prefix('>') {
            r
        } else if rest.starts_with('#') {
            let r = rest.trim_start_matches('#');
            if !r.starts_with(' ') {
                return rest;
            }
            r
        } else if let Some(r) = ["- ", "* ", "+ "].iter().find_map(|m| rest.strip_prefix(m)) {
            r
        } else {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            match rest[digits..]
                .strip_prefix(". ")
                .or(rest[digits..].strip_prefix(") "))
            {
                Some(r) if digits > 0 => r,
                _ => {
                    let task = ["[ ] ", "[x] ", "[X] "]
                        .iter()
                        .find_map(|m| rest.strip_prefix(m));
                    match task {
                        Some(r) => r,
                        None => return rest,
                    }
                }
            }
        };
        rest = trimmed.trim_start();
    }
}

/// Byte offsets just after each sentence end of `text` (a `.`, `!`, `?` or `…`, with any
/// closing quotes or brackets, followed by white space).
fn sentence_ends(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.char_indices().filter_map(move |(i, c)| {
        if !matches!(c, '.' | '!' | '?' | '…') {
            return None;
        }
        let after = i + c.len_utf8();
        let rest = &text[after..];
        let closing = rest.len() - rest.trim_start_matches(['"', '»', ')', '*', '_']).len();
        let next = rest[closing..].chars().next();
        next.is_some_and(char::is_whitespace)
            .then_some(after + closing)
    })
}

/// The last `max` characters of `text`, after a `…` when cut (at a space when one is near).
fn clip_start(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let cut = text.char_indices().nth(count - max).map_or(0, |(i, _)| i);
    let cut = text[cut..].find(' ').map_or(cut, |space| cut + space + 1);
    format!("…{}", &text[cut..])
}

/// The first `max` characters of `text`, then `…` when cut (at a space when one is near).
fn clip_end(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.trim_end().to_string(),
        Some((cut, _)) => {
            let cut = text[..cut].rfind(' ').unwrap_or(cut);
            format!("{}…", text[..cut].trim_end())
        }
    }
}

/// `text` with every run of white space (line breaks included) turned into one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn around(body: &str, link: &str) -> String {
        sentence_around(body, body.find(link).unwrap())
    }

    #[test]
    fn cuts_at_sentence_ends_inside_the_paragraph() {
        let body =
            "Premier paragraphe.\n\nIl dit « oui ». Voir [[A]], puis\n[[B]] ! Fin?\nSuite.\n";
        assert_eq!(around(body, "[[A"), "Voir [[A]], puis [[B]] !");
        assert_eq!(around(body, "[[B"), "Voir [[A]], puis [[B]] !");
        assert_eq!(around("[[A]]", "[[A"), "[[A]]");
        assert_eq!(
            around("Version 1.2 de [[A]].", "[[A"),
            "Version 1.2 de [[A]]."
        );
    }

    #[test]
    fn stays_in_its_list_item_heading_or_quote() {
        let body = "Intro :\n- un [[A]]\n- deux [[B]]\n  suite\n## Titre [[C]]\n> [!note] citée [[D]]\n1. [ ] tâche [[E]]\n";
        assert_eq!(around(body, "[[A"), "un [[A]]");
        assert_eq!(around(body, "[[B"), "deux [[B]] suite");
        assert_eq!(around(body, "[[C"), "Titre [[C]]");
        assert_eq!(around(body, "[[D"), "[!note] citée [[D]]");
        assert_eq!(around(body, "[[E"), "tâche [[E]]");
    }

    #[test]
    fn long_sentences_are_clipped_around_the_link() {
        let long = "mot ".repeat(100);
        let body = format!("{long}[[A]] {long}.");
        let sentence = around(&body, "[[A");
        assert!(
            sentence.starts_with('…') && sentence.ends_with('…'),
            "{sentence}"
        );
        assert!(sentence.contains("mot [[A]] mot"));
        assert!(sentence.chars().count() < 340, "{}", sentence.len());
    }
}
