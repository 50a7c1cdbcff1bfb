//! `$…$` and `$$…$$` → MathML at build time (math-core): pages need no script to show math.

use super::escape::escape_html;
use math_core::{LatexToMathML, MathCoreConfig, MathDisplay};
use std::sync::OnceLock;

/// One converter for the whole build (its configuration is parsed once).
fn converter() -> &'static LatexToMathML {
    static CONVERTER: OnceLock<LatexToMathML> = OnceLock::new();
    CONVERTER.get_or_init(|| {
        LatexToMathML::new(MathCoreConfig::default()).expect("the default configuration is valid")
    })
}

/// The MathML of one formula; LaTeX that does not parse is shown as code with the reason in
/// its title, so that one bad formula never hides the page.
pub(crate) fn to_mathml(latex: &str, block: bool) -> String {
    let display = if block {
        MathDisplay::Block
    } else {
        MathDisplay::Inline
    };
    match converter().convert_with_local_state(latex, display) {
        Ok(result) => result.mathml,
        Err(err) => format!(
            "<code class=\"math-error\" title=\"{}\">{}</code>",
            escape_html(&err.error_message()),
            escape_html(latex)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::to_mathml;

    #[test]
    fn formulas_become_mathml() {
        let inline = to_mathml(r"h = \sigma(Wx + b)", false);
        assert!(inline.starts_with("<math"), "{inline}");
        assert!(inline.contains("<mi>σ</mi>"), "{inline}");
        let block = to_mathml(r"\frac{1}{2}", true);
        assert!(block.contains("display=\"block\""), "{block}");
        assert!(block.contains("<mfrac>"), "{block}");
    }

    #[test]
    fn broken_latex_is_shown_as_escaped_code() {
        let html = to_mathml(r"\frac{<b>", false);
        assert!(html.starts_with("<code class=\"math-error\""), "{html}");
        assert!(html.contains("&lt;b&gt;"), "{html}");
    }
}
