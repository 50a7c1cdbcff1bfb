//! The last step of every note's HTML: an allow-list (ammonia) that keeps formatting, MathML
//! and classes, and drops everything that could run (scripts, event handlers, `javascript:`
//! URLs, `<svg>`, forms, frames, inline styles).
//!
//! Most notes hold no raw HTML, and what the renderer writes for them passes the allow-list
//! untouched; parsing it into a DOM and writing it back (ammonia) was a fifth of the time a
//! concept page took. So the HTML is first read by [`AllowList::admits`], a strict one-pass
//! check of the same allow-list: only the tags and attributes ammonia keeps, every attribute
//! double-quoted, URLs relative or of an allowed scheme, no comment or other markup. What it
//! admits is kept as it is; anything else (a note's own `<span>`, or anything unexpected) goes
//! through ammonia. The check is lexical and sound for that reason: the browser creates no
//! element and no attribute that is not written in the text, and every one written is allowed.

use ammonia::Builder;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// MathML elements math-core writes.
const MATHML_TAGS: [&str; 27] = [
    "math",
    "mrow",
    "mi",
    "mn",
    "mo",
    "ms",
    "mtext",
    "mspace",
    "msup",
    "msub",
    "msubsup",
    "mfrac",
    "msqrt",
    "mroot",
    "munder",
    "mover",
    "munderover",
    "mtable",
    "mtr",
    "mtd",
    "mstyle",
    "mpadded",
    "mphantom",
    "menclose",
    "mmultiscripts",
    "mprescripts",
    "semantics",
];

/// Presentation attributes of MathML (none of them can run anything).
const MATHML_ATTRIBUTES: [&str; 23] = [
    "display",
    "form",
    "mathvariant",
    "stretchy",
    "fence",
    "separator",
    "lspace",
    "rspace",
    "accent",
    "accentunder",
    "displaystyle",
    "scriptlevel",
    "columnalign",
    "rowspacing",
    "columnspacing",
    "width",
    "height",
    "depth",
    "voffset",
    "minsize",
    "maxsize",
    "movablelimits",
    "symmetric",
];

/// Elements the renderer itself writes besides ammonia's defaults.
const SITE_TAGS: [&str; 6] = ["details", "summary", "mark", "input", "annotation", "nav"];

fn sanitizer() -> &'static Builder<'static> {
    static SANITIZER: OnceLock<Builder<'static>> = OnceLock::new();
    SANITIZER.get_or_init(|| {
        let mut builder = Builder::default();
        builder
            .add_tags(MATHML_TAGS)
            .add_tags(SITE_TAGS)
            .add_generic_attributes(["class", "id"])
            .add_tag_attributes("details", ["open"])
            .add_tag_attributes("input", ["type", "checked", "disabled"])
            .add_tag_attributes("img", ["width", "height", "loading"])
            .add_tag_attributes("a", ["title", "rel"])
            .add_tag_attributes("ol", ["start"])
            .add_tag_attributes("td", ["align"])
            .add_tag_attributes("th", ["align"])
            .add_tag_attributes("annotation", ["encoding"])
            .url_schemes(HashSet::from(["http", "https", "mailto"]))
            // External links carry their own `rel` (links.rs); internal ones need none.
            .link_rel(None);
        for tag in MATHML_TAGS {
            builder.add_tag_attributes(tag, MATHML_ATTRIBUTES);
        }
        builder
    })
}

/// `html` with everything that could run removed: as it is when the allow-list admits it
/// whole, else cleaned by ammonia.
pub(crate) fn sanitize(html: String) -> String {
    if allow_list().admits(&html) {
        html
    } else {
        sanitizer().clean(&html).to_string()
    }
}

/// Elements whose content the browser reads as raw text (the tokenizer changes state there):
/// never admitted as they are, whatever the allow-list says.
const RAW_TEXT_TAGS: [&str; 11] = [
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
    "template",
];

/// The sanitizer's allow-list, as sets to look tags and attributes up in.
struct AllowList {
    tags: HashSet<&'static str>,
    generic_attributes: HashSet<&'static str>,
    tag_attributes: HashMap<&'static str, HashSet<&'static str>>,
    url_schemes: HashSet<&'static str>,
}

fn allow_list() -> &'static AllowList {
    static ALLOW_LIST: OnceLock<AllowList> = OnceLock::new();
    ALLOW_LIST.get_or_init(|| {
        let builder = sanitizer();
        let mut tags = builder.clone_tags();
        tags.retain(|tag| !RAW_TEXT_TAGS.contains(tag));
        AllowList {
            tags,
            generic_attributes: builder.clone_generic_attributes(),
            tag_attributes: builder.clone_tag_attributes(),
            url_schemes: builder.clone_url_schemes(),
        }
    })
}

impl AllowList {
    /// Whether `html` is only text and allowed tags with allowed, double-quoted attributes
    /// whose URLs are safe: what ammonia would keep whole.
    fn admits(&self, html: &str) -> bool {
        let bytes = html.as_bytes();
        let mut at = 0;
        while let Some(offset) = memchr::memchr(b'<', &bytes[at..]) {
            at += offset + 1;
            match self.tag_end(html, at) {
                Some(end) => at = end,
                None => return false,
            }
        }
        true
    }

    /// Where the tag starting at `at` (after its `<`) ends, if it is an allowed one.
    fn tag_end(&self, html: &str, mut at: usize) -> Option<usize> {
        let bytes = html.as_bytes();
        let closing = bytes.get(at) == Some(&b'/');
        at += usize::from(closing);
        let name = name_at(html, at, |b| b.is_ascii_lowercase() || b.is_ascii_digit())?;
        if !self.tags.contains(name) {
            return None;
        }
        at += name.len();
        loop {
            while bytes.get(at).is_some_and(|b| matches!(b, b' ' | b'\n')) {
                at += 1;
            }
            match bytes.get(at)? {
                b'>' => return Some(at + 1),
                b'/' if !closing && bytes.get(at + 1) == Some(&b'>') => return Some(at + 2),
                _ if closing => return None,
                _ => {}
            }
            let attribute = name_at(html, at, |b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
            })?;
            let allowed = self.generic_attributes.contains(attribute)
                || self
                    .tag_attributes
                    .get(name)
                    .is_some_and(|set| set.contains(attribute));
            at += attribute.len();
            if !allowed || bytes.get(at..at + 2) != Some(b"=\"") {
                return None;
            }
            at += 2;
            let length = memchr::memchr(b'"', &bytes[at..])?;
            let value = &html[at..at + length];
            if value.contains('<') || (is_url_attribute(attribute) && !self.safe_url(value)) {
                return None;
            }
            at += length + 1;
        }
    }

    /// Whether a URL (as written in an attribute) is relative, or absolute with an allowed
    /// scheme: no character references but `&amp;` (they could spell a scheme), no blank or
    /// control character (browsers drop them from schemes).
    fn safe_url(&self, value: &str) -> bool {
        if value.bytes().any(|b| b <= b' ' || b == 0x7f)
            || value
                .match_indices('&')
                .any(|(i, _)| !value[i..].starts_with("&amp;"))
        {
            return false;
        }
        match value.find([':', '/', '?', '#']) {
            Some(i) if value.as_bytes()[i] == b':' => self
                .url_schemes
                .iter()
                .any(|scheme| scheme.eq_ignore_ascii_case(&value[..i])),
            _ => true,
        }
    }
}

/// The name made of the bytes that `allowed` accepts starting at `at` (at least one, the first
/// a letter).
fn name_at(html: &str, at: usize, allowed: impl Fn(u8) -> bool) -> Option<&str> {
    let rest = html.as_bytes().get(at..)?;
    if !rest.first()?.is_ascii_alphabetic() {
        return None;
    }
    let length = rest.iter().position(|&b| !allowed(b)).unwrap_or(rest.len());
    Some(&html[at..at + length])
}

/// The attributes that hold a URL, on any element (as ammonia checks them).
fn is_url_attribute(attribute: &str) -> bool {
    matches!(
        attribute,
        "href" | "src" | "cite" | "action" | "data" | "formaction" | "ping" | "poster"
    )
}

#[cfg(test)]
mod tests {
    use super::{allow_list, sanitize, sanitizer};

    #[test]
    fn scripts_handlers_and_javascript_urls_are_removed() {
        let html = sanitize(
            r#"<p onclick="x()">a<script>alert(1)</script><img src="x.png" onerror="alert(2)"><a href="javascript:alert(3)">l</a><svg onload="alert(4)"></svg></p>"#.to_string(),
        );
        for bad in [
            "script",
            "onclick",
            "onerror",
            "javascript",
            "svg",
            "onload",
        ] {
            assert!(!html.contains(bad), "{bad} survived: {html}");
        }
        assert!(html.contains(r#"<img src="x.png">"#), "{html}");
    }

    #[test]
    fn mathml_and_classes_are_kept() {
        let math = r#"<math display="block"><mfrac><mn>1</mn><mi>x</mi></mfrac></math>"#;
        assert_eq!(sanitize(math.to_string()), math);
        let callout = r#"<details class="callout" open=""><summary>t</summary></details>"#;
        assert_eq!(sanitize(callout.to_string()), callout);
    }

    #[test]
    fn what_the_renderer_writes_is_admitted_as_it_is() {
        for html in [
            "<p>a &lt; b &amp; c</p>\n<h2 id=\"x\">T</h2>",
            r#"<a class="internal" href="neurone.html#r%C3%B4le" title="Un &quot;neurone&quot;">n</a>"#,
            r#"<a class="external" href="https://example.org/?a=1&amp;b=2" rel="noopener noreferrer">e</a>"#,
            r#"<ul><li><input disabled="" type="checkbox" checked=""/> fait</li></ul><hr />"#,
            r#"<img src="../files/schema.png" alt="schéma" width="300">"#,
            r##"<sup class="footnote-reference"><a href="#1">1</a></sup>"##,
            r#"<a href="mailto:a@b.fr">a@b.fr</a>"#,
        ] {
            assert!(allow_list().admits(html), "{html}");
            assert_eq!(sanitize(html.to_string()), html);
        }
    }

    #[test]
    fn anything_that_could_run_or_surprise_goes_through_ammonia() {
        for html in [
            r#"<p onclick="x()">a</p>"#,
            "<script>alert(1)</script>",
            r#"<a href="javascript:alert(1)">x</a>"#,
            r#"<a href="JavaScript:alert(1)">x</a>"#,
            r#"<a href="java&#115;cript:alert(1)">x</a>"#,
            r#"<a href="javascript&#58;alert(1)">x</a>"#,
            "<a href=\"java\tscript:alert(1)\">x</a>",
            r#"<a href=" javascript:alert(1)">x</a>"#,
            r#"<a href="data:text/html,x">x</a>"#,
            r#"<img src=x onerror=alert(1)>"#,
            r#"<img src='x.png'>"#,
            "<!-- <img src=x onerror=alert(1)> -->",
            "<![CDATA[x]]>",
            r#"<svg onload="alert(1)"></svg>"#,
            r#"<p style="color: red">x</p>"#,
            "<P>x</P>",
            r#"<p title="a<b">x</p>"#,
            r#"<math><mi xlink:href="javascript:alert(1)">x</mi></math>"#,
            "<title>x</title><textarea>x</textarea>",
            "<p>unfinished <a href=\"x\"",
        ] {
            assert!(!allow_list().admits(html), "admitted: {html}");
        }
    }

    #[test]
    fn ammonia_keeps_every_tag_and_attribute_of_what_is_admitted() {
        let vault = crate::vault::load_with(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("notes"),
            crate::vault::Bodies::Keep,
        )
        .unwrap();
        let graph = crate::graph::ConceptGraph::build(&vault, &crate::graph::Schema::builtin());
        let previews = vec![crate::site::links::Preview::default(); graph.nodes().count()];
        let ctx = crate::site::links::LinkContext {
            vault: &vault,
            graph: &graph,
            previews: &previews,
        };
        // Opening tags and attributes (ammonia writes `<mspace/>` as `<mspace></mspace>`).
        let count = |html: &str| {
            let opening = html.matches('<').count() - html.matches("</").count();
            (opening, html.matches("=\"").count())
        };
        for note in 0..vault.notes.len() {
            let html = super::super::render_events(
                &ctx,
                note,
                &mut vec![note],
                None,
                &mut Default::default(),
                &mut Vec::new(),
            );
            assert!(
                allow_list().admits(&html),
                "{}: the renderer wrote something the allow-list refuses",
                vault.notes[note].path.display()
            );
            let cleaned = sanitizer().clean(&html).to_string();
            assert_eq!(
                count(&cleaned),
                count(&html),
                "{}",
                vault.notes[note].path.display()
            );
        }
    }
}
