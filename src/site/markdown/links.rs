//! Links and images of a note's body: wiki links become relative links (missing concepts
//! styled as such, `#heading` and `#^block` anchors kept), embeds of notes are inlined,
//! embeds of images become `<img>` (with the `|300` or `|300x200` size), other attachments
//! links; Markdown links keep only safe schemes, and remote images become links, so that no
//! page ever loads anything from elsewhere.

use super::anchors::{block_id, heading_id};
use super::escape::{encode_path, escape_html};
use crate::site::links::{
    LinkContext, Lookup, Target, attachment_href, attachment_path, concept_file,
};
use crate::vault::parse_wikilink;
use pulldown_cmark::{Event, LinkType, Tag, TagEnd};
use std::collections::BTreeSet;
use std::path::Path;

/// Renders the embed of a note (`note`, optional heading, optional block) into HTML, or
/// `None` when it cannot (a cycle, or an unknown section).
pub(crate) type EmbedNote<'e> = dyn FnMut(usize, Option<&str>, Option<&str>) -> Option<String> + 'e;

/// What rewriting links needs besides the events.
pub(crate) struct LinkRewriter<'c, 'e> {
    /// Link resolution.
    pub(crate) ctx: &'c LinkContext<'c>,
    /// The note being rendered (vault-relative path).
    pub(crate) from: &'c Path,
    /// Inlines an embedded note.
    pub(crate) embed: &'e mut EmbedNote<'e>,
    /// Attachments the page references (vault-relative paths).
    pub(crate) attachments: &'c mut BTreeSet<String>,
    /// The questions asked of [`LinkContext`] (what the HTML depends on).
    pub(crate) lookups: &'c mut BTreeSet<Lookup>,
}

impl<'c> LinkRewriter<'c, '_> {
    /// What `target` names, remembering the question.
    fn target(&mut self, target: &str) -> Target<'c> {
        self.lookups.insert(Lookup::Target {
            target: target.to_string(),
            from: self.from.to_string_lossy().into_owned(),
        });
        self.ctx.target(target, self.from)
    }

    /// Rewrites every link and image of `events`.
    pub(crate) fn rewrite(&mut self, events: &mut Vec<Event<'_>>) {
        let input = std::mem::take(events);
        let mut iter = input.into_iter();
        // Closing HTML of each open link: `None` when its start was dropped (unsafe URL).
        let mut link_ends: Vec<Option<&'static str>> = Vec::new();
        while let Some(event) = iter.next() {
            match event {
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    ..
                }) => {
                    let open = if matches!(link_type, LinkType::WikiLink { .. }) {
                        Some(self.wiki_link(&dest_url))
                    } else {
                        self.markdown_link(&dest_url, link_type)
                    };
                    link_ends.push(open.as_ref().map(|_| "</a>"));
                    if let Some(open) = open {
                        events.push(Event::InlineHtml(open.into()));
                    }
                }
                Event::End(TagEnd::Link) => {
                    if let Some(Some(close)) = link_ends.pop() {
                        events.push(Event::InlineHtml(close.into()));
                    }
                }
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    ..
                }) => {
                    let alt = alt_text(&mut iter);
                    let html = if matches!(link_type, LinkType::WikiLink { .. }) {
                        let label = matches!(link_type, LinkType::WikiLink { has_pothole: true })
                            .then_some(alt.as_str());
                        self.wiki_embed(&dest_url, label)
                    } else {
                        self.markdown_image(&dest_url, &alt)
                    };
                    events.push(Event::InlineHtml(html.into()));
                }
                other => events.push(other),
            }
        }
        unwrap_lone_embeds(events);
    }

    /// The opening `<a>` of a `[[wiki link]]`.
    fn wiki_link(&mut self, dest: &str) -> String {
        let link = parse_wikilink(dest);
        let anchor = anchor(link.heading.as_deref(), link.block.as_deref());
        match self.target(&link.target) {
            Target::Concept(node) => {
                let concept = self.ctx.graph.node(node);
                let class = if concept.stub {
                    "internal missing"
                } else {
                    "internal"
                };
                format!(
                    "<a class=\"{class}\" href=\"{}{}\" title=\"{}\">",
                    escape_html(&concept_file(&concept.id)),
                    escape_html(&anchor),
                    self.ctx.preview(node).html
                )
            }
            Target::Attachment(found) => {
                let path = attachment_path(found);
                let open = format!(
                    "<a class=\"attachment\" href=\"{}\">",
                    escape_html(&attachment_href(&path))
                );
                self.attachments.insert(path);
                open
            }
            Target::Nothing => format!("<a class=\"internal\" href=\"{}\">", escape_html(&anchor)),
        }
    }

    /// The opening `<a>` of a Markdown link, or `None` to drop the link (keeping its text)
    /// when its scheme could run something or its target is unknown.
    fn markdown_link(&mut self, dest: &str, link_type: LinkType) -> Option<String> {
        if dest.starts_with('#') {
            return Some(format!("<a href=\"{}\">", escape_html(dest)));
        }
        if let Some(scheme) = scheme(dest) {
            let safe = ["http", "https", "mailto"]
                .iter()
                .any(|s| s.eq_ignore_ascii_case(scheme));
            let class = if link_type == LinkType::Email {
                "email"
            } else {
                "external"
            };
            return safe.then(|| {
                format!(
                    "<a class=\"{class}\" href=\"{}{}\" rel=\"noopener noreferrer\">",
                    if link_type == LinkType::Email {
                        "mailto:"
                    } else {
                        ""
                    },
                    escape_html(dest)
                )
            });
        }
        let (path, fragment) = dest.split_once('#').unwrap_or((dest, ""));
        let path = percent_decode(path);
        let stem = path.strip_suffix(".md").unwrap_or(&path);
        match self.target(stem) {
            Target::Nothing => None,
            _ if fragment.is_empty() => Some(self.wiki_link(stem)),
            _ => Some(self.wiki_link(&format!("{stem}#{}", percent_decode(fragment)))),
        }
    }

    /// The HTML of a `![[embed]]`.
    fn wiki_embed(&mut self, dest: &str, label: Option<&str>) -> String {
        let link = parse_wikilink(dest);
        match self.target(&link.target) {
            Target::Attachment(found) => {
                let path = attachment_path(found);
                let html = if found.is_image() {
                    image_tag(&path, label)
                } else {
                    format!(
                        "<a class=\"attachment\" href=\"{}\">{}</a>",
                        escape_html(&attachment_href(&path)),
                        escape_html(label.unwrap_or(found.file_name()))
                    )
                };
                self.attachments.insert(path);
                html
            }
            Target::Concept(node) => {
                let concept = self.ctx.graph.node(node);
                let href = concept_file(&concept.id);
                let title = label.unwrap_or(&concept.title);
                let inlined = concept.note.and_then(|note| {
                    (self.embed)(note, link.heading.as_deref(), link.block.as_deref())
                });
                match inlined {
                    Some(html) => format!(
                        "<div class=\"embed\"><a class=\"embed-title internal\" href=\"{}{}\">{}</a>{html}</div>",
                        escape_html(&href),
                        escape_html(&anchor(link.heading.as_deref(), link.block.as_deref())),
                        escape_html(title)
                    ),
                    None => format!(
                        "<a class=\"internal{}\" href=\"{}\">{}</a>",
                        if concept.stub { " missing" } else { "" },
                        escape_html(&href),
                        escape_html(title)
                    ),
                }
            }
            Target::Nothing => format!(
                "<span class=\"missing\">{}</span>",
                escape_html(label.unwrap_or(dest))
            ),
        }
    }

    /// The HTML of a Markdown image: local files are copied and shown, remote ones become
    /// links (the page loads nothing from elsewhere).
    fn markdown_image(&mut self, dest: &str, alt: &str) -> String {
        if scheme(dest).is_some() {
            let shown = if alt.is_empty() { dest } else { alt };
            return match self.markdown_link(dest, LinkType::Inline) {
                Some(open) => format!("{open}{}</a>", escape_html(shown)),
                None => escape_html(shown),
            };
        }
        let path = percent_decode(dest);
        self.lookups.insert(Lookup::Attachment {
            target: path.clone(),
            from: self.from.to_string_lossy().into_owned(),
        });
        match self.ctx.attachment(&path, self.from) {
            Some(found) => {
                let path = attachment_path(found);
                let tag = format!(
                    "<img src=\"{}\" alt=\"{}\" loading=\"lazy\">",
                    escape_html(&attachment_href(&path)),
                    escape_html(alt)
                );
                self.attachments.insert(path);
                tag
            }
            None => format!("<span class=\"missing\">{}</span>", escape_html(alt)),
        }
    }
}

/// A paragraph that holds nothing but an embedded note gives way to it (a `<div>` cannot
/// sit inside a `<p>`).
fn unwrap_lone_embeds(events: &mut Vec<Event<'_>>) {
    let mut i = 0;
    while i + 2 < events.len() {
        let lone = matches!(events[i], Event::Start(Tag::Paragraph))
            && matches!(&events[i + 1], Event::InlineHtml(h) if h.starts_with("<div class=\"embed\">"))
            && matches!(events[i + 2], Event::End(TagEnd::Paragraph));
        if lone {
            events.remove(i + 2);
            let Event::InlineHtml(html) = events.remove(i + 1) else {
                unreachable!("matched above")
            };
            events[i] = Event::Html(html);
        }
        i += 1;
    }
}

/// `<img>` of an embedded image; a label `300` or `300x200` sets its size, any other label
/// is its alternative text.
fn image_tag(path: &str, label: Option<&str>) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let size = label.and_then(|l| {
        let (w, h) = l
            .trim()
            .split_once('x')
            .map_or((l.trim(), None), |(w, h)| (w, Some(h)));
        let w: u32 = w.parse().ok()?;
        let h: Option<u32> = match h {
            Some(h) => Some(h.parse().ok()?),
            None => None,
        };
        Some((w, h))
    });
    let alt = if size.is_some() {
        name
    } else {
        label.unwrap_or(name)
    };
    let mut tag = format!(
        "<img src=\"{}\" alt=\"{}\"",
        escape_html(&attachment_href(path)),
        escape_html(alt)
    );
    if let Some((w, h)) = size {
        tag.push_str(&format!(" width=\"{w}\""));
        if let Some(h) = h {
            tag.push_str(&format!(" height=\"{h}\""));
        }
    }
    tag.push_str(" loading=\"lazy\">");
    tag
}

/// `#id` of a heading or block anchor, empty when there is none.
fn anchor(heading: Option<&str>, block: Option<&str>) -> String {
    match (block, heading) {
        (Some(block), _) => format!("#{}", encode_path(&block_id(block))),
        (None, Some(heading)) => format!("#{}", heading_id(heading)),
        (None, None) => String::new(),
    }
}

/// Consumes an image's inner events up to its end and gives them as plain text.
fn alt_text<'a>(events: &mut impl Iterator<Item = Event<'a>>) -> String {
    let mut alt = String::new();
    let mut depth = 0;
    for event in events.by_ref() {
        match event {
            Event::Start(Tag::Image { .. }) => depth += 1,
            Event::End(TagEnd::Image) if depth == 0 => break,
            Event::End(TagEnd::Image) => depth -= 1,
            Event::Text(t) | Event::Code(t) => alt.push_str(&t),
            _ => {}
        }
    }
    alt
}

/// The URL scheme of `dest` (`https`, `javascript`), if it has one.
fn scheme(dest: &str) -> Option<&str> {
    let (scheme, _) = dest.split_once(':')?;
    let valid = scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    // A control character or space before `:` is still a scheme for a browser.
    let sneaky = scheme.trim().len() != scheme.len() || scheme.chars().any(|c| c.is_control());
    (valid || sneaky).then_some(scheme)
}

/// `%20` → ` ` (invalid escapes are kept as written).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_are_recognised_even_when_disguised() {
        assert_eq!(scheme("https://x.org"), Some("https"));
        assert_eq!(scheme("JavaScript:alert(1)"), Some("JavaScript"));
        assert!(scheme("java\tscript:x").is_some());
        assert_eq!(scheme("img/x.png"), None);
        assert_eq!(scheme("Note%20A.md"), None);
    }

    #[test]
    fn image_sizes_come_from_the_label() {
        assert!(image_tag("a.png", Some("300")).contains(r#"width="300""#));
        let both = image_tag("a.png", Some("300x200"));
        assert!(both.contains(r#"width="300" height="200""#), "{both}");
        assert!(image_tag("a.png", Some("un schéma")).contains(r#"alt="un schéma""#));
    }

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(percent_decode("Note%20A.md"), "Note A.md");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
