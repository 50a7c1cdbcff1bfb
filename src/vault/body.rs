//! The Markdown body, walked once with pulldown-cmark: wiki links, headings and inline tags,
//! each with its file position.

use super::model::{Span, Spanned, WikiLink};
use super::tags::inline_tags;
use super::wikilink::parse_wikilink;
use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};
use std::ops::Range;

/// The Markdown dialect of a vault: Obsidian wiki links, `$math$`, GitHub tables, task lists,
/// strikethrough and footnotes. `##Heading` (no space) stays text, as in CommonMark.
pub const MARKDOWN_OPTIONS: Options = Options::ENABLE_WIKILINKS
    .union(Options::ENABLE_MATH)
    .union(Options::ENABLE_TABLES)
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS)
    .union(Options::ENABLE_FOOTNOTES);

/// What the body holds that later stages need.
#[derive(Debug, Default)]
pub(crate) struct BodyScan {
    /// Wiki links, in order (none from code).
    pub(crate) links: Vec<WikiLink>,
    /// Headings (level, text).
    pub(crate) headings: Vec<Spanned<(u8, String)>>,
    /// Inline tags, in order, possibly repeated.
    pub(crate) tags: Vec<String>,
}

/// Walks `body`, whose first line is file line `body_line`.
pub(crate) fn scan_body(body: &str, body_line: usize) -> BodyScan {
    let mut positions = Positions::new(body, body_line);
    let mut scan = BodyScan::default();
    let mut in_code_block = false;
    let mut link_depth = 0usize;
    let mut heading: Option<(u8, Span, String)> = None;
    for (event, range) in Parser::new_ext(body, MARKDOWN_OPTIONS).into_offset_iter() {
        match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            })
            | Event::Start(Tag::Image {
                link_type,
                dest_url,
                ..
            }) => {
                let link = match link_type {
                    LinkType::WikiLink { .. } => Some(wikilink_at(body, range.clone(), &dest_url)),
                    LinkType::Inline
                    | LinkType::Reference
                    | LinkType::Collapsed
                    | LinkType::Shortcut => {
                        markdown_link(&dest_url, body[range.clone()].starts_with('!'))
                    }
                    _ => None,
                };
                if let Some(mut link) = link {
                    link.span = positions.span(range.start);
                    scan.links.push(link);
                }
                link_depth += 1;
            }
            Event::End(TagEnd::Link | TagEnd::Image) => link_depth = link_depth.saturating_sub(1),
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level as u8, positions.span(range.start), String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, span, text)) = heading.take() {
                    scan.headings.push(Spanned {
                        value: (level, text.trim().to_string()),
                        span,
                    });
                }
            }
            Event::Text(text) => {
                if let Some((_, _, heading_text)) = heading.as_mut() {
                    heading_text.push_str(&text);
                }
                if !in_code_block && link_depth == 0 {
                    let source = body.get(range.clone()).unwrap_or(&text);
                    let before = body.get(..range.start).and_then(|b| b.chars().next_back());
                    inline_tags(source, before, &mut scan.tags);
                }
            }
            Event::Code(text) | Event::InlineMath(text) | Event::DisplayMath(text) => {
                if let Some((_, _, heading_text)) = heading.as_mut() {
                    heading_text.push_str(&text);
                }
            }
            _ => {}
        }
    }
    scan
}

/// The link written at `range` (`[[...]]` or `![[...]]`), read from the source so that a
/// table's `[[A\|B]]` keeps both sides; `dest_url` is the fallback.
fn wikilink_at(body: &str, range: Range<usize>, dest_url: &str) -> WikiLink {
    let source = body.get(range).unwrap_or_default();
    let embed = source.starts_with('!');
    let inner = source
        .trim_start_matches('!')
        .strip_prefix("[[")
        .and_then(|rest| rest.strip_suffix("]]"));
    let mut link = parse_wikilink(inner.unwrap_or(dest_url));
    link.embed = embed;
    link
}

/// The link a Markdown `[text](dest)` or `![alt](dest)` makes when `dest` is a path inside
/// the vault (`Autre%20note.md`, `img/x.png#fragment`), percent-decoded; `None` for a URL
/// (`https:`, `mailto:`), an anchor in the same page (`#titre`) or an empty destination.
fn markdown_link(dest: &str, embed: bool) -> Option<WikiLink> {
    let dest = dest.trim();
    let scheme = dest.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
    });
    if dest.is_empty() || dest.starts_with('#') || scheme {
        return None;
    }
    let (path, fragment) = match dest.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (dest, None),
    };
    let decode = |text: &str| {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .trim()
            .to_string()
    };
    let fragment = fragment.map(decode).filter(|f| !f.is_empty());
    let (heading, block) = match fragment {
        Some(f) => match f.strip_prefix('^') {
            Some(block) => (None, Some(block.to_string())),
            None => (Some(f), None),
        },
        None => (None, None),
    };
    Some(WikiLink {
        target: decode(path),
        heading,
        block,
        label: None,
        embed,
        span: Span::default(),
    })
}

/// Byte offsets of the body → file line and column. Offsets are asked for in increasing
/// order (document order), so a cursor moves forward over the text once.
struct Positions<'a> {
    body: &'a str,
    body_line: usize,
    /// The last offset asked for and its position.
    cursor: (usize, Span),
}

impl<'a> Positions<'a> {
    fn new(body: &'a str, body_line: usize) -> Self {
        Positions {
            body,
            body_line,
            cursor: (
                0,
                Span {
                    line: body_line,
                    column: 1,
                },
            ),
        }
    }

    fn span(&mut self, offset: usize) -> Span {
        if offset < self.cursor.0 {
            self.cursor = (
                0,
                Span {
                    line: self.body_line,
                    column: 1,
                },
            );
        }
        let (from, mut span) = self.cursor;
        let skipped = self.body.get(from..offset).unwrap_or_default();
        let (mut newlines, mut last) = (0, None);
        for at in memchr::memchr_iter(b'\n', skipped.as_bytes()) {
            newlines += 1;
            last = Some(at);
        }
        match last {
            Some(last) => {
                span.line += newlines;
                span.column = skipped[last + 1..].chars().count() + 1;
            }
            None => span.column += skipped.chars().count(),
        }
        self.cursor = (from + skipped.len(), span);
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_file_lines_and_character_columns() {
        let mut positions = Positions::new("ab\né [[x]]\nc\n", 7);
        assert_eq!(positions.span(0), Span { line: 7, column: 1 });
        assert_eq!(positions.span(6), Span { line: 8, column: 3 });
        assert_eq!(positions.span(12), Span { line: 9, column: 1 });
        assert_eq!(positions.span(3), Span { line: 8, column: 1 });
    }

    #[test]
    fn reads_links_headings_and_tags() {
        let body = "# Titre #tête\n\nTexte [[A#h|a]] ![[B]] `[[C]]` #tag [#non](https://u.fr) [[D|#pas]]\n\n| x |\n|---|\n| [[E\\|e]] |\n\n```\n[[F]] #code\n```\n##Pas titre\n";
        let scan = scan_body(body, 3);
        let links: Vec<_> = scan
            .links
            .iter()
            .map(|l| (l.target.as_str(), l.label.as_deref(), l.embed, l.span.line))
            .collect();
        assert_eq!(
            links,
            [
                ("A", Some("a"), false, 5),
                ("B", None, true, 5),
                ("D", Some("#pas"), false, 5),
                ("E", Some("e"), false, 9)
            ]
        );
        assert_eq!(scan.links[0].heading.as_deref(), Some("h"));
        assert_eq!(scan.links[0].span.column, 7);
        let headings: Vec<_> = scan.headings.iter().map(|h| h.value.clone()).collect();
        assert_eq!(headings, [(1, "Titre #tête".to_string())]);
        assert_eq!(scan.tags, ["tête", "tag"]);
    }

    #[test]
    fn markdown_links_inside_the_vault_are_links_urls_are_not() {
        let body = "![](img/mon%20sch%C3%A9ma.png) [cours](files/cours.pdf) [n](Autre%20note.md#Histoire)\n[web](https://x.fr/a.png) [mail](mailto:a@b.fr) [ici](#titre) ![[s.png|300]]\n";
        let links: Vec<_> = scan_body(body, 1)
            .links
            .into_iter()
            .map(|l| (l.target, l.heading, l.embed))
            .collect();
        assert_eq!(
            links,
            [
                ("img/mon schéma.png".to_string(), None, true),
                ("files/cours.pdf".to_string(), None, false),
                (
                    "Autre note.md".to_string(),
                    Some("Histoire".to_string()),
                    false
                ),
                ("s.png".to_string(), None, true),
            ]
        );
    }
}
