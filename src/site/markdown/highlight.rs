//! Code blocks highlighted at build time (syntect) with CSS classes, so that the light and
//! dark themes colour them from the style sheet.

use super::escape::escape_html;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Class prefix of highlighted tokens (`hl-keyword`), kept apart from the site's own classes.
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };

fn syntaxes() -> &'static SyntaxSet {
    static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();
    SYNTAXES.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// The most blocks remembered (a long `savoir serve` session forgets them all past this).
const REMEMBERED_BLOCKS: usize = 20_000;

/// Blocks already highlighted in this process, by language token and code: a snippet that
/// several notes share (or a note embedded in several pages) is highlighted once.
type Highlighted = Mutex<HashMap<(String, String), String>>;

fn highlighted() -> &'static Highlighted {
    static HIGHLIGHTED: OnceLock<Highlighted> = OnceLock::new();
    HIGHLIGHTED.get_or_init(Highlighted::default)
}

/// The HTML of one fenced code block in language `lang` (a name or file extension; unknown
/// ones are shown as plain text).
pub(crate) fn highlight_block(code: &str, lang: &str) -> String {
    let token = lang.split_whitespace().next().unwrap_or("");
    let key = (token.to_string(), code.to_string());
    let known = highlighted()
        .lock()
        .ok()
        .and_then(|done| done.get(&key).cloned());
    if let Some(html) = known {
        return html;
    }
    let html = highlight_fresh(code, token);
    if let Ok(mut done) = highlighted().lock() {
        if done.len() >= REMEMBERED_BLOCKS {
            done.clear();
        }
        done.insert(key, html.clone());
    }
    html
}

/// [`highlight_block`] without the memory of earlier blocks.
fn highlight_fresh(code: &str, token: &str) -> String {
    let set = syntaxes();
    let syntax = set
        .find_syntax_by_token(token)
        .unwrap_or_else(|| set.find_syntax_plain_text());
    let mut generator = ClassedHTMLGenerator::new_with_class_style(syntax, set, CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        if generator
            .parse_html_for_line_which_includes_newline(line)
            .is_err()
        {
            return plain_block(code, token);
        }
    }
    format!(
        "<pre class=\"code\"><code class=\"language-{}\">{}</code></pre>\n",
        escape_html(token),
        generator.finalize()
    )
}

/// A code block without colours (the highlighter gave up on it).
fn plain_block(code: &str, token: &str) -> String {
    format!(
        "<pre class=\"code\"><code class=\"language-{}\">{}</code></pre>\n",
        escape_html(token),
        escape_html(code)
    )
}

/// The style sheet of the highlighting classes: `light` applies by default, `dark` under
/// `dark_scope` (a selector such as `:root[data-theme=dark]`).
pub(crate) fn theme_css(dark_scope: &str) -> String {
    let themes = ThemeSet::load_defaults();
    let css = |name: &str| {
        css_for_theme_with_class_style(&themes.themes[name], CLASS_STYLE)
            .expect("the bundled themes produce CSS")
    };
    let light = css("InspiredGitHub");
    let dark = css("base16-ocean.dark");
    let mut out = light;
    for rule in dark.split_inclusive('}') {
        match rule.split_once('{') {
            Some((selectors, body)) if !selectors.trim().is_empty() => {
                let scoped: Vec<String> = selectors
                    .split(',')
                    .map(|s| format!("{dark_scope} {}", s.trim()))
                    .collect();
                out.push_str(&scoped.join(", "));
                out.push('{');
                out.push_str(body);
            }
            _ => out.push_str(rule),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_code_gets_token_classes() {
        let html = highlight_block("fn main() {}\n", "rust");
        assert!(html.contains("class=\"language-rust\""), "{html}");
        assert!(html.contains("<span class=\"hl-storage hl-type"), "{html}");
    }

    #[test]
    fn unknown_languages_are_escaped_plain_text() {
        let html = highlight_block("<script>x</script>\n", "nope");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
    }

    #[test]
    fn the_dark_theme_is_scoped() {
        let css = theme_css(":root[data-theme=dark]");
        assert!(
            css.contains(":root[data-theme=dark] .hl-"),
            "{}",
            &css[..200]
        );
    }
}
