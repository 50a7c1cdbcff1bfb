//! The last step of every note's HTML: an allow-list (ammonia) that keeps formatting, MathML
//! and classes, and drops everything that could run (scripts, event handlers, `javascript:`
//! URLs, `<svg>`, forms, frames, inline styles).

use ammonia::Builder;
use std::collections::HashSet;
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
const MATHML_ATTRIBUTES: [&str; 22] = [
    "display",
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
            .add_tag_attributes("a", ["title"])
            .add_tag_attributes("ol", ["start"])
            .add_tag_attributes("td", ["align"])
            .add_tag_attributes("th", ["align"])
            .add_tag_attributes("annotation", ["encoding"])
            .url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("noopener noreferrer"));
        for tag in MATHML_TAGS {
            builder.add_tag_attributes(tag, MATHML_ATTRIBUTES);
        }
        builder
    })
}

/// `html` with everything that could run removed.
pub(crate) fn sanitize(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn scripts_handlers_and_javascript_urls_are_removed() {
        let html = sanitize(
            r#"<p onclick="x()">a<script>alert(1)</script><img src="x.png" onerror="alert(2)"><a href="javascript:alert(3)">l</a><svg onload="alert(4)"></svg></p>"#,
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
        assert_eq!(sanitize(math), math);
        let callout = r#"<details class="callout" open=""><summary>t</summary></details>"#;
        assert_eq!(sanitize(callout), callout);
    }
}
