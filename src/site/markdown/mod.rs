//! A note's Markdown → safe HTML, in passes over pulldown-cmark's events: comments dropped,
//! heading and block anchors, callouts, highlighted code, MathML, `==marks==`, links and
//! embeds, then the HTML is written and sanitised (ammonia) so that nothing from a note runs.

mod anchors;
mod callouts;
pub(crate) mod comments;
pub(crate) mod escape;
mod highlight;
mod inline;
mod links;
mod math;
mod sanitize;

pub use anchors::TocEntry;
pub(crate) use highlight::{highlight_block as highlight_source, theme_css};

use crate::site::links::{LinkContext, Lookup};
use crate::vault::MARKDOWN_OPTIONS;
use links::LinkRewriter;
use pulldown_cmark::{Event, Options, Parser, html};
use std::collections::BTreeSet;

/// Embeds nested deeper than this are shown as links (a cycle stops earlier).
const MAX_EMBED_DEPTH: usize = 4;

/// Markdown extensions of the site: the vault's (wiki links, math, GFM tables, task lists,
/// strikethrough, footnotes) and heading attributes.
const SITE_OPTIONS: Options = MARKDOWN_OPTIONS.union(Options::ENABLE_HEADING_ATTRIBUTES);

/// A note's body as the site shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderedNote {
    /// Sanitised HTML.
    pub html: String,
    /// The body's headings, for the table of contents.
    pub toc: Vec<TocEntry>,
    /// Vault-relative paths of the attachments the body links or embeds.
    pub attachments: BTreeSet<String>,
    /// What the HTML depends on besides the body itself (see [`Lookup`]).
    pub lookups: BTreeSet<Lookup>,
}

/// What rendering found besides the HTML (embedded notes add to it).
#[derive(Default)]
struct Found {
    attachments: BTreeSet<String>,
    lookups: BTreeSet<Lookup>,
}

/// Renders the body of note `note` (index in the vault) for its concept page.
pub(crate) fn render_note(ctx: &LinkContext<'_>, note: usize) -> RenderedNote {
    let mut found = Found::default();
    let mut toc = Vec::new();
    let html = render_events(ctx, note, &mut vec![note], None, &mut found, &mut toc);
    RenderedNote {
        html: sanitize::sanitize(html),
        toc,
        attachments: found.attachments,
        lookups: found.lookups,
    }
}

/// What part of a note to render.
enum Part {
    /// The section under this heading id.
    Section(String),
    /// The block with this id.
    Block(String),
}

/// The (unsanitised) HTML of note `note`, or of one part of it; `stack` holds the notes
/// being embedded (cycle guard).
fn render_events(
    ctx: &LinkContext<'_>,
    note: usize,
    stack: &mut Vec<usize>,
    part: Option<Part>,
    found: &mut Found,
    toc: &mut Vec<TocEntry>,
) -> String {
    let source = &ctx.vault.notes[note];
    let body = comments::strip_comments(&source.body);
    let mut events: Vec<Event<'_>> = Parser::new_ext(&body, SITE_OPTIONS).collect();
    *toc = anchors::assign_heading_ids(&mut events);
    anchors::assign_block_ids(&mut events);
    if let Some(part) = part {
        let selected = match part {
            Part::Section(id) => anchors::section(events, &id),
            Part::Block(id) => anchors::block(events, &id),
        };
        events = selected.unwrap_or_default();
    }
    callouts::render_callouts(&mut events);
    inline::highlight_code(&mut events);
    inline::math_and_marks(&mut events);
    let mut embedded = Found::default();
    let mut embed = |target: usize, heading: Option<&str>, block: Option<&str>| {
        if stack.contains(&target) || stack.len() > MAX_EMBED_DEPTH {
            return None;
        }
        let part = match (block, heading) {
            (Some(block), _) => Some(Part::Block(anchors::block_id(block))),
            (None, Some(heading)) => Some(Part::Section(anchors::heading_id(heading))),
            (None, None) => None,
        };
        stack.push(target);
        embedded.lookups.insert(Lookup::Body { note: target });
        let html = render_events(ctx, target, stack, part, &mut embedded, &mut Vec::new());
        stack.pop();
        (!html.is_empty()).then_some(html)
    };
    LinkRewriter {
        ctx,
        from: &source.path,
        embed: &mut embed,
        attachments: &mut found.attachments,
        lookups: &mut found.lookups,
    }
    .rewrite(&mut events);
    found.attachments.append(&mut embedded.attachments);
    found.lookups.append(&mut embedded.lookups);
    let mut out = String::with_capacity(body.len() * 3 / 2);
    html::push_html(&mut out, events.into_iter());
    alignment_classes(out)
}

/// Table cell alignment as classes: the page's policy forbids inline styles.
fn alignment_classes(html: String) -> String {
    if !html.contains(" style=\"text-align: ") {
        return html;
    }
    ["left", "center", "right"]
        .into_iter()
        .fold(html, |html, side| {
            html.replace(
                &format!(" style=\"text-align: {side}\""),
                &format!(" class=\"align-{side}\""),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::alignment_classes;

    #[test]
    fn alignment_styles_become_classes() {
        let html = r#"<td style="text-align: right">1</td>"#.to_string();
        assert_eq!(alignment_classes(html), r#"<td class="align-right">1</td>"#);
    }
}
