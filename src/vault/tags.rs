//! Tags: inline `#tags` in body text, and the `tags:` frontmatter values.

/// Appends the inline tags of `text` to `out`. `before` is the character just before `text`
/// in the source (`None` at the start of the body).
///
/// A tag is `#` at the start or after white space, followed by letters, digits, `_`, `-` and
/// `/` (nested tags), with at least one letter: `#1984` and `#2025-03` are not tags, nor is
/// the `#frag` of a URL, `C#`, or `##Heading`.
pub(crate) fn inline_tags(text: &str, before: Option<char>, out: &mut Vec<String>) {
    for index in memchr::memchr_iter(b'#', text.as_bytes()) {
        let previous = match index {
            0 => before,
            _ => text[..index].chars().next_back(),
        };
        if !previous.is_none_or(char::is_whitespace) {
            continue;
        }
        let rest = &text[index + 1..];
        let end = rest.find(|c| !is_tag_char(c)).unwrap_or(rest.len());
        let tag = rest[..end].trim_end_matches('/');
        if tag.chars().any(char::is_alphabetic) {
            out.push(tag.to_string());
        }
    }
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '/')
}

/// The tags written in one `tags:` value: `a, b` and `#a #b` give two tags; a leading `#` is
/// dropped; a tag with spaces (`deep learning`) is kept whole.
pub(crate) fn frontmatter_tags(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split(',')
        .flat_map(|part| {
            let part = part.trim();
            let hash_words = part.contains(char::is_whitespace)
                && part.split_whitespace().all(|word| word.starts_with('#'));
            let whole = (!hash_words).then_some(part);
            whole
                .into_iter()
                .chain(part.split_whitespace().filter(move |_| hash_words))
        })
        .map(|tag| tag.trim_start_matches('#').trim())
        .filter(|tag| !tag.is_empty())
        .map(str::to_string)
}

/// Appends `tags` to `into`, skipping tags already present (case-insensitively).
pub(crate) fn merge_tags(into: &mut Vec<String>, tags: impl IntoIterator<Item = String>) {
    for tag in tags {
        if !into.iter().any(|known| same_ignoring_case(known, &tag)) {
            into.push(tag);
        }
    }
}

fn same_ignoring_case(a: &str, b: &str) -> bool {
    let (first_a, first_b) = (a.bytes().next(), b.bytes().next());
    if let (Some(x), Some(y)) = (first_a, first_b)
        && x.is_ascii()
        && y.is_ascii()
        && !x.eq_ignore_ascii_case(&y)
    {
        return false;
    }
    a.eq_ignore_ascii_case(b)
        || (!a.is_ascii() || !b.is_ascii())
            && a.chars()
                .flat_map(char::to_lowercase)
                .eq(b.chars().flat_map(char::to_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags_of(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        inline_tags(text, None, &mut out);
        out
    }

    #[test]
    fn finds_inline_tags() {
        assert_eq!(
            tags_of("#début et #nested/tag, (#x) #1984 #2025-03 #a1"),
            ["début", "nested/tag", "a1"]
        );
        assert_eq!(
            tags_of("http://x.org/p#frag C# ##Titre a#b #"),
            Vec::<String>::new()
        );
        assert_eq!(tags_of("#fin/"), ["fin"]);
        let mut out = Vec::new();
        inline_tags("#collé", Some('x'), &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn reads_frontmatter_tag_values() {
        let tags = |value: &str| frontmatter_tags(value).collect::<Vec<_>>();
        assert_eq!(tags("#ia, deep learning"), ["ia", "deep learning"]);
        assert_eq!(tags("#a #b"), ["a", "b"]);
        assert_eq!(tags(" # "), Vec::<String>::new());
    }

    #[test]
    fn merges_without_duplicates() {
        let mut tags = vec!["IA".to_string()];
        merge_tags(
            &mut tags,
            ["ia", "ml", "ML", "Élève", "élève"].map(String::from),
        );
        assert_eq!(tags, ["IA", "ml", "Élève"]);
    }
}
