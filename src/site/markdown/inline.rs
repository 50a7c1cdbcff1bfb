//! Rewrites of single events: fenced code → highlighted HTML, math → MathML, and
//! `==highlight==` → `<mark>`.

use super::{highlight, math};
use pulldown_cmark::{CodeBlockKind, CowStr, Event, Tag, TagEnd};

/// Replaces every code block (its start, text and end) by its highlighted HTML.
pub(crate) fn highlight_code(events: &mut Vec<Event<'_>>) {
    let mut out = Vec::with_capacity(events.len());
    let mut code: Option<(String, String)> = None;
    for event in events.drain(..) {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(lang) => lang.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((lang, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((lang, text)) = code.take() {
                    out.push(Event::Html(highlight::highlight_block(&text, &lang).into()));
                }
            }
            Event::Text(text) if code.is_some() => {
                if let Some((_, buffer)) = code.as_mut() {
                    buffer.push_str(&text);
                }
            }
            other => out.push(other),
        }
    }
    *events = out;
}

/// Replaces math events by MathML and splits `==marked==` text into `<mark>` elements.
pub(crate) fn math_and_marks(events: &mut Vec<Event<'_>>) {
    let mut out = Vec::with_capacity(events.len());
    for event in events.drain(..) {
        match event {
            Event::InlineMath(latex) => {
                out.push(Event::InlineHtml(math::to_mathml(&latex, false).into()))
            }
            Event::DisplayMath(latex) => {
                out.push(Event::InlineHtml(math::to_mathml(&latex, true).into()))
            }
            Event::Text(text) if text.matches("==").count() >= 2 => split_marks(text, &mut out),
            other => out.push(other),
        }
    }
    *events = out;
}

/// `a ==b== c` → text, `<mark>`, text, `</mark>`, text (an unpaired `==` stays as written).
fn split_marks<'a>(text: CowStr<'a>, out: &mut Vec<Event<'a>>) {
    let parts: Vec<&str> = text.split("==").collect();
    let pairs = (parts.len() - 1) / 2;
    let mut marked = false;
    for (k, part) in parts.iter().enumerate() {
        if k > 0 {
            if k <= pairs * 2 {
                out.push(Event::InlineHtml(
                    if marked { "</mark>" } else { "<mark>" }.into(),
                ));
                marked = !marked;
            } else {
                out.push(Event::Text("==".into()));
            }
        }
        if !part.is_empty() {
            out.push(Event::Text(part.to_string().into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldown_cmark::{Options, Parser, html};

    fn render(md: &str) -> String {
        let mut events: Vec<Event> = Parser::new_ext(md, Options::ENABLE_MATH).collect();
        highlight_code(&mut events);
        math_and_marks(&mut events);
        let mut out = String::new();
        html::push_html(&mut out, events.into_iter());
        out
    }

    #[test]
    fn marks_pair_up_and_a_lone_one_stays() {
        assert_eq!(render("a ==b== c\n"), "<p>a <mark>b</mark> c</p>\n");
        assert_eq!(render("==x== y ==\n"), "<p><mark>x</mark> y ==</p>\n");
    }

    #[test]
    fn math_and_code_are_rendered() {
        let html = render("$x^2$ and\n\n```python\nx = 1\n```\n");
        assert!(html.contains("<msup>"), "{html}");
        assert!(html.contains("language-python"), "{html}");
    }
}
