//! Obsidian callouts: a block quote whose first line is `[!type]`, `[!type]+` or `[!type]-`
//! and an optional title becomes a coloured box; `+`/`-` make it foldable (open or closed).

use super::escape::escape_html;
use pulldown_cmark::{Event, Tag, TagEnd};

/// What the first line of a block quote says when it opens a callout.
#[derive(Debug, PartialEq, Eq)]
struct Header {
    kind: String,
    fold: Option<bool>,
    title: String,
}

/// Reads `[!type]±? title`.
fn parse_header(line: &str) -> Option<Header> {
    let rest = line.trim_start().strip_prefix("[!")?;
    let (kind, rest) = rest.split_once(']')?;
    let kind = kind.trim().to_lowercase();
    if kind.is_empty() || !kind.chars().all(|c| c.is_alphanumeric() || c == '-') {
        return None;
    }
    let (fold, title) = match rest.chars().next() {
        Some('+') => (Some(true), &rest[1..]),
        Some('-') => (Some(false), &rest[1..]),
        _ => (None, rest),
    };
    Some(Header {
        kind,
        fold,
        title: title.trim().to_string(),
    })
}

/// The title shown when the callout gives none: its type, capitalised.
fn default_title(kind: &str) -> String {
    let mut chars = kind.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Rewrites every callout block quote of `events` (nested ones too) as HTML.
pub(crate) fn render_callouts(events: &mut Vec<Event<'_>>) {
    // For each open block quote: the closing HTML when it is a callout.
    let mut closers: Vec<Option<&'static str>> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::BlockQuote(_)) => {
                let closer = rewrite_opening(events, i);
                closers.push(closer);
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                if let Some(Some(closer)) = closers.pop() {
                    events[i] = Event::Html(closer.into());
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// When the block quote opened at `start` is a callout, replaces its opening and first line
/// with the callout's HTML and gives the HTML that closes it.
fn rewrite_opening(events: &mut Vec<Event<'_>>, start: usize) -> Option<&'static str> {
    if !matches!(events.get(start + 1), Some(Event::Start(Tag::Paragraph))) {
        return None;
    }
    let mut line = String::new();
    let mut end = start + 2;
    while let Some(Event::Text(text)) = events.get(end) {
        line.push_str(text);
        end += 1;
    }
    let header = parse_header(&line)?;
    let title = if header.title.is_empty() {
        default_title(&header.kind)
    } else {
        header.title
    };
    let kind = escape_html(&header.kind);
    let title = escape_html(&title);
    let (open, closer) = match header.fold {
        None => (
            format!(
                "<div class=\"callout callout-{kind}\"><div class=\"callout-title\">{title}</div><div class=\"callout-body\">"
            ),
            "</div></div>\n",
        ),
        Some(expanded) => (
            format!(
                "<details class=\"callout callout-{kind}\"{}><summary class=\"callout-title\">{title}</summary><div class=\"callout-body\">",
                if expanded { " open" } else { "" }
            ),
            "</div></details>\n",
        ),
    };
    match events.get(end) {
        // The title was the whole paragraph: drop it.
        Some(Event::End(TagEnd::Paragraph)) => {
            events.splice(start..=end, [Event::Html(open.into())]);
        }
        // More lines follow the title: they stay a paragraph.
        Some(Event::SoftBreak | Event::HardBreak) => {
            events.splice(
                start..=end,
                [Event::Html(open.into()), Event::Start(Tag::Paragraph)],
            );
        }
        // The title line holds more than text (a link, emphasis): keep it in the body.
        _ => {
            events.splice(start..start + 1, [Event::Html(open.into())]);
            if let Some(Event::Text(first)) = events.get_mut(start + 2) {
                let kept = first.split_once(']').map(|(_, r)| r).unwrap_or("");
                let kept = kept.trim_start_matches(['+', '-']).trim_start();
                *first = kept.to_string().into();
            }
        }
    }
    Some(closer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldown_cmark::{Parser, html};

    fn render(md: &str) -> String {
        let mut events: Vec<Event> = Parser::new(md).collect();
        render_callouts(&mut events);
        let mut out = String::new();
        html::push_html(&mut out, events.into_iter());
        out
    }

    #[test]
    fn a_callout_gets_its_type_and_title() {
        let html = render("> [!warning] Attention\n> Le pas est trop grand.\n");
        assert!(
            html.starts_with(
                r#"<div class="callout callout-warning"><div class="callout-title">Attention</div>"#
            ),
            "{html}"
        );
        assert!(html.contains("<p>Le pas est trop grand.</p>"), "{html}");
        assert!(html.trim_end().ends_with("</div></div>"), "{html}");
    }

    #[test]
    fn folding_callouts_are_details() {
        let closed = render("> [!tip]-\n> caché\n");
        assert!(
            closed.starts_with(r#"<details class="callout callout-tip"><summary class="callout-title">Tip</summary>"#),
            "{closed}"
        );
        let open = render("> [!note]+ Ouvert\n> visible\n");
        assert!(
            open.contains(r#"<details class="callout callout-note" open>"#),
            "{open}"
        );
    }

    #[test]
    fn plain_quotes_and_nested_callouts() {
        assert_eq!(
            render("> citation\n"),
            "<blockquote>\n<p>citation</p>\n</blockquote>\n"
        );
        let nested = render("> [!note]\n> > [!bug] Dedans\n> > x\n");
        assert!(
            nested.contains("callout-note") && nested.contains("callout-bug"),
            "{nested}"
        );
        assert_eq!(nested.matches("</div></div>").count(), 2, "{nested}");
    }

    #[test]
    fn a_title_is_escaped() {
        let html = render("> [!note] 1 < 2 & 3\n");
        assert!(html.contains(">1 &lt; 2 &amp; 3</div>"), "{html}");
    }
}
