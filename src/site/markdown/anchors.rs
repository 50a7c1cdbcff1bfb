//! Where links land: heading ids (and the table of contents they make), Obsidian block ids
//! (`paragraph ^id`), and cutting out one section for a `![[note#section]]` embed.

use crate::graph::slugify;
use pulldown_cmark::{CowStr, Event, Tag, TagEnd};
use std::collections::HashSet;

/// One heading of a page, for its table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TocEntry {
    /// 1 to 6.
    pub level: u8,
    /// The heading's text.
    pub text: String,
    /// Its element id (`#id` lands on it).
    pub id: String,
}

/// The element id of a heading: what `[[note#Heading]]` links to (the last part of a
/// `h1#h2` path).
pub(crate) fn heading_id(heading: &str) -> String {
    let last = heading.rsplit('#').next().unwrap_or(heading);
    match slugify(last) {
        slug if slug.is_empty() => "section".to_string(),
        slug => slug,
    }
}

/// The element id of a `^block`.
pub(crate) fn block_id(block: &str) -> String {
    format!("^{}", block.trim())
}

/// Gives every heading an id from its text (numbered when repeated) and returns the entries
/// of the table of contents.
pub(crate) fn assign_heading_ids(events: &mut [Event<'_>]) -> Vec<TocEntry> {
    let mut toc = Vec::new();
    let mut taken = HashSet::new();
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { level, .. }) = &events[i] {
            let level = *level as u8;
            let mut text = String::new();
            let mut j = i + 1;
            while j < events.len() && !matches!(events[j], Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) | Event::InlineMath(t) = &events[j] {
                    text.push_str(t);
                }
                j += 1;
            }
            let base = heading_id(&text);
            let mut id = base.clone();
            let mut n = 1;
            while !taken.insert(id.clone()) {
                n += 1;
                id = format!("{base}-{n}");
            }
            if let Event::Start(Tag::Heading { id: slot, .. }) = &mut events[i] {
                *slot = Some(CowStr::from(id.clone()));
            }
            toc.push(TocEntry {
                level,
                text: text.trim().to_string(),
                id,
            });
            i = j;
        }
        i += 1;
    }
    toc
}

/// Turns a trailing ` ^id` of a paragraph or list item into the element's id.
pub(crate) fn assign_block_ids(events: &mut Vec<Event<'_>>) {
    let mut opens: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Paragraph | Tag::Item) => opens.push(i),
            Event::End(end @ (TagEnd::Paragraph | TagEnd::Item)) => {
                let end = *end;
                if let Some(open) = opens.pop()
                    && let Some(id) = take_block_marker(events, open, i)
                {
                    let tag = if end == TagEnd::Paragraph { "p" } else { "li" };
                    events[open] = Event::Html(format!("<{tag} id=\"{}\">", id).into());
                    events[i] = Event::Html(format!("</{tag}>\n").into());
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// Removes the ` ^id` that ends the text just before `end` (inside the element opened at
/// `open`) and gives the id, when there is one.
fn take_block_marker(events: &mut [Event<'_>], open: usize, end: usize) -> Option<String> {
    let last = (open + 1..end).rev().find(|&k| {
        !matches!(
            events[k],
            Event::Start(Tag::List(_)) | Event::End(TagEnd::List(_))
        )
    })?;
    let Event::Text(text) = &events[last] else {
        return None;
    };
    let (before, id) = text.rsplit_once('^')?;
    let valid = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid || !(before.is_empty() || before.ends_with(char::is_whitespace)) {
        return None;
    }
    let id = block_id(id);
    events[last] = Event::Text(before.trim_end().to_string().into());
    Some(crate::site::markdown::escape::escape_html(&id))
}

/// The events of the section under the heading with id `id` (the heading included, up to
/// the next heading of the same or a higher level); `None` when no heading has that id.
pub(crate) fn section<'a>(events: Vec<Event<'a>>, id: &str) -> Option<Vec<Event<'a>>> {
    let start = events.iter().position(
        |e| matches!(e, Event::Start(Tag::Heading { id: Some(h), .. }) if h.as_ref() == id),
    )?;
    let Event::Start(Tag::Heading { level, .. }) = events[start] else {
        return None;
    };
    let end = events[start + 1..]
        .iter()
        .position(|e| matches!(e, Event::Start(Tag::Heading { level: l, .. }) if *l <= level))
        .map_or(events.len(), |p| start + 1 + p);
    Some(events.into_iter().skip(start).take(end - start).collect())
}

/// The events of the paragraph or list item with block id `id` (see [`assign_block_ids`]).
pub(crate) fn block<'a>(events: Vec<Event<'a>>, id: &str) -> Option<Vec<Event<'a>>> {
    let marker = format!(
        " id=\"{}\">",
        crate::site::markdown::escape::escape_html(id)
    );
    let start = events
        .iter()
        .position(|e| matches!(e, Event::Html(h) if h.ends_with(&marker)))?;
    let close = if matches!(&events[start], Event::Html(h) if h.starts_with("<li")) {
        "</li>\n"
    } else {
        "</p>\n"
    };
    let mut depth = 0usize;
    let end = events[start..].iter().position(|e| match e {
        Event::Html(h) if h.starts_with("<p id=") || h.starts_with("<li id=") => {
            depth += 1;
            false
        }
        Event::Html(h) if h.as_ref() == close => {
            depth -= 1;
            depth == 0
        }
        _ => false,
    })?;
    Some(events.into_iter().skip(start).take(end + 1).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldown_cmark::{Parser, html};

    fn render(md: &str) -> (String, Vec<TocEntry>) {
        let mut events: Vec<Event> = Parser::new(md).collect();
        let toc = assign_heading_ids(&mut events);
        assign_block_ids(&mut events);
        let mut out = String::new();
        html::push_html(&mut out, events.into_iter());
        (out, toc)
    }

    #[test]
    fn headings_get_unique_ids_and_a_toc() {
        let (html, toc) = render("# Réseau de neurones\n## Détails\n## Détails\n");
        assert!(html.contains(r#"<h1 id="reseau-de-neurones">"#), "{html}");
        assert!(html.contains(r#"<h2 id="details-2">"#), "{html}");
        assert_eq!(toc.len(), 3);
        assert_eq!(toc[1].text, "Détails");
    }

    #[test]
    fn a_trailing_caret_id_marks_the_block() {
        let (html, _) = render("Une phrase. ^def-1\n\n- item ^i2\n");
        assert!(html.contains(r#"<p id="^def-1">Une phrase.</p>"#), "{html}");
        assert!(html.contains(r#"<li id="^i2">item</li>"#), "{html}");
    }

    #[test]
    fn a_section_stops_at_the_next_heading_of_its_level() {
        let mut events: Vec<Event> = Parser::new("# A\nx\n## B\ny\n### C\nz\n## D\nw\n").collect();
        assign_heading_ids(&mut events);
        let part = section(events, "b").unwrap();
        let mut out = String::new();
        html::push_html(&mut out, part.into_iter());
        assert!(out.contains("y") && out.contains("z"), "{out}");
        assert!(!out.contains("w") && !out.contains(">x<"), "{out}");
    }
}
