//! The site's own static files (style sheet, scripts), compiled into the binary and written
//! under `assets/` with a content hash in their names, so that a browser never keeps a stale
//! copy and two builds of the same vault write the same bytes.

use super::markdown::theme_css;

/// Folder of the assets in the site.
pub const ASSETS_DIR: &str = "assets";

/// The site's style sheet (the code highlighting classes are appended at build time).
const STYLE: &str = include_str!("../../templates/assets/style.css");
/// Theme choice (light/dark, remembered).
const THEME_JS: &str = include_str!("../../templates/assets/theme.js");
/// The search box and results page (reads the index under `search/`).
const SEARCH_JS: &str = include_str!("../../templates/assets/search.js");

/// The fingerprinted paths (from the site root) of the assets pages load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetNames {
    /// Style sheet.
    pub style: String,
    /// Theme script.
    pub theme: String,
    /// Search script.
    pub search: String,
}

/// One asset file: its path from the site root and its bytes.
#[derive(Debug, Clone)]
pub struct Asset {
    /// `assets/style.0123abcd.css`.
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// Every asset with its fingerprinted name, and the names pages refer to.
pub fn assets() -> (Vec<Asset>, AssetNames) {
    let mut style = String::from(STYLE);
    style.push_str("\n/* Code highlighting (syntect): light, then dark. */\n");
    style.push_str(&theme_css(":root[data-theme=\"dark\"]"));
    let style = fingerprinted("style", "css", style.into_bytes());
    let theme = fingerprinted("theme", "js", THEME_JS.as_bytes().to_vec());
    let search = fingerprinted("search", "js", SEARCH_JS.as_bytes().to_vec());
    let names = AssetNames {
        style: style.path.clone(),
        theme: theme.path.clone(),
        search: search.path.clone(),
    };
    (vec![style, theme, search], names)
}

/// `assets/<stem>.<hash>.<ext>` for these bytes.
fn fingerprinted(stem: &str, ext: &str, bytes: Vec<u8>) -> Asset {
    Asset {
        path: format!("{ASSETS_DIR}/{stem}.{}.{ext}", fingerprint(&bytes)),
        bytes,
    }
}

/// A short, stable content hash (64-bit FNV-1a, hex): the same bytes give the same name on
/// every machine and every build.
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_a_stable_content_hash() {
        assert_eq!(fingerprint(b""), "cbf29ce484222325");
        assert_ne!(fingerprint(b"a"), fingerprint(b"b"));
        let (files, names) = assets();
        assert!(names.style.starts_with("assets/style.") && names.style.ends_with(".css"));
        assert_eq!(files.len(), 3);
        let (again, _) = assets();
        assert_eq!(files[0].bytes, again[0].bytes);
    }
}
