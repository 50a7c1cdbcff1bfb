//! Escaping for HTML: text and attributes (re-exported from [`crate::html`]) and URL paths.

use std::fmt::Write;

pub(crate) use crate::html::escape_html;

/// A vault-relative path as a URL path: each segment percent-encoded, `/` kept.
pub(crate) fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded_per_byte() {
        assert_eq!(encode_path("img/schéma 1.png"), "img/sch%C3%A9ma%201.png");
    }
}
