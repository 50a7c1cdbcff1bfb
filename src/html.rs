//! Escaping text for HTML: one function for the site, its graph views and search snippets.

/// `text` with `& < > " '` escaped: safe inside an element and inside a quoted attribute.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    escape_html_into(&mut out, text);
    out
}

/// Appends `text` to `out` with the five HTML markup characters escaped ([`escape_html`]).
pub fn escape_html_into(out: &mut String, text: &str) {
    let mut plain = 0;
    // The five characters are ASCII: the text between them is copied a run at a time.
    for (i, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[plain..i]);
        out.push_str(entity);
        plain = i + 1;
    }
    out.push_str(&text[plain..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
