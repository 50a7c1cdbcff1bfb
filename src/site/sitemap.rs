//! `sitemap.xml`: every page under the absolute base URL the site will be served from.

use super::markdown::escape::{encode_path, escape_html};

/// The sitemap of `pages` (paths from the site root) under `base_url`.
pub(crate) fn sitemap(base_url: &str, pages: &[String]) -> String {
    let base = base_url.trim_end_matches('/');
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for page in pages {
        xml.push_str("  <url><loc>");
        xml.push_str(&escape_html(&format!("{base}/{}", encode_path(page))));
        xml.push_str("</loc></url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::sitemap;

    #[test]
    fn pages_are_listed_under_the_base_url() {
        let xml = sitemap(
            "https://ex.org/cours/",
            &["index.html".into(), "concepts/a&b.html".into()],
        );
        assert!(
            xml.contains("<loc>https://ex.org/cours/index.html</loc>"),
            "{xml}"
        );
        assert!(
            xml.contains("<loc>https://ex.org/cours/concepts/a%26b.html</loc>"),
            "{xml}"
        );
    }
}
