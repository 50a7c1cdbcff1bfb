//! `[[wiki link]]` syntax: splitting one link into its parts, finding links in free text,
//! and the bare name of a (possibly namespaced) relation key.

use super::model::{Span, WikiLink};

/// Splits the text between `[[` and `]]` into target, heading, block id and label.
///
/// Handles `T`, `T|label`, `T#heading`, `T#h1#h2` (heading kept as `h1#h2`), `#heading`
/// (same note: empty target), `T#^block`, `T#heading#^block`, `folder/T`, and the table
/// escape `T\|label`. Target, heading, block and label are trimmed; empty parts become
/// `None`. The returned link is not an embed and has a default span: the caller sets both.
///
/// ```
/// let link = savoir::vault::parse_wikilink("Réseau de neurones#Histoire|voir ici");
/// assert_eq!(link.target, "Réseau de neurones");
/// assert_eq!(link.heading.as_deref(), Some("Histoire"));
/// assert_eq!(link.label.as_deref(), Some("voir ici"));
/// ```
pub fn parse_wikilink(inner: &str) -> WikiLink {
    if memchr::memchr2(b'|', b'#', inner.as_bytes()).is_none() {
        // The common case: a bare target.
        return WikiLink {
            target: inner.trim().to_string(),
            ..WikiLink::default()
        };
    }
    let (reference, label) = match inner.split_once('|') {
        // In a table cell the pipe is written `\|`; the backslash belongs to neither side.
        Some((reference, label)) => (
            reference.strip_suffix('\\').unwrap_or(reference),
            Some(label),
        ),
        None => (inner, None),
    };
    let (target, anchor) = match reference.split_once('#') {
        Some((target, anchor)) => (target, Some(anchor)),
        None => (reference, None),
    };
    let (heading, block) = match anchor {
        Some(anchor) => match anchor.strip_prefix('^') {
            Some(block) => (None, Some(block)),
            None => match find_pair(anchor, *b"#^") {
                Some(at) => (Some(&anchor[..at]), Some(&anchor[at + 2..])),
                None => (Some(anchor), None),
            },
        },
        None => (None, None),
    };
    WikiLink {
        target: target.trim().to_string(),
        heading: non_empty(heading),
        block: non_empty(block),
        label: non_empty(label),
        embed: false,
        span: Span::default(),
    }
}

/// The bare relation name of a frontmatter key: the part after the last `:` of a namespaced
/// key (`rdfs:subClassOf` → `subClassOf`, `owl:sameAs` → `sameAs`), else the key itself.
///
/// ```
/// assert_eq!(savoir::vault::relation_name("rdfs:subClassOf"), "subClassOf");
/// assert_eq!(savoir::vault::relation_name("hasPart"), "hasPart");
/// ```
pub fn relation_name(key: &str) -> &str {
    let key = key.trim();
    match key.rsplit_once(':') {
        Some((_, name)) if !name.trim().is_empty() => name.trim(),
        _ => key,
    }
}

/// Every `[[...]]` / `![[...]]` written in `text`, in order, each with `span` as its span.
pub(crate) fn links_in_text(text: &str, span: Span) -> Vec<WikiLink> {
    let mut links = Vec::new();
    let mut rest = text;
    while let Some(open) = find_pair(rest, *b"[[") {
        let after_open = &rest[open + 2..];
        let Some(close) = find_pair(after_open, *b"]]") else {
            break;
        };
        // `[[a [[b]]`: the link is the innermost one.
        let before_close = &after_open.as_bytes()[..close];
        let nested = memchr::memrchr_iter(b'[', before_close)
            .find(|&i| i > 0 && before_close[i - 1] == b'[')
            .map(|i| i - 1);
        let start = nested.map_or(open, |nested| open + 2 + nested);
        let inner = &rest[start + 2..open + 2 + close];
        let embed = rest[..start].ends_with('!');
        let mut link = parse_wikilink(inner);
        if !link.target.is_empty() || link.heading.is_some() || link.block.is_some() {
            link.embed = embed;
            link.span = span;
            links.push(link);
        }
        rest = &after_open[close + 2..];
    }
    links
}

/// Byte index of the first occurrence of the two ASCII bytes `pair` (`[[`, `]]`, `#^`) in
/// `text`.
pub(crate) fn find_pair(text: &str, pair: [u8; 2]) -> Option<usize> {
    let bytes = text.as_bytes();
    memchr::memchr_iter(pair[0], bytes).find(|&i| bytes.get(i + 1) == Some(&pair[1]))
}

fn non_empty(part: Option<&str>) -> Option<String> {
    part.map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(inner: &str) -> (String, Option<String>, Option<String>, Option<String>) {
        let link = parse_wikilink(inner);
        (link.target, link.heading, link.block, link.label)
    }

    fn some(text: &str) -> Option<String> {
        Some(text.to_string())
    }

    #[test]
    fn splits_every_form() {
        assert_eq!(parts("T"), ("T".into(), None, None, None));
        assert_eq!(
            parts(" T  |  label "),
            ("T".into(), None, None, some("label"))
        );
        assert_eq!(parts("T#h"), ("T".into(), some("h"), None, None));
        assert_eq!(parts("T#h1#h2"), ("T".into(), some("h1#h2"), None, None));
        assert_eq!(parts("#heading"), ("".into(), some("heading"), None, None));
        assert_eq!(parts("T#^block"), ("T".into(), None, some("block"), None));
        assert_eq!(
            parts("T#h#^b|l"),
            ("T".into(), some("h"), some("b"), some("l"))
        );
        assert_eq!(parts("folder/T"), ("folder/T".into(), None, None, None));
        assert_eq!(parts("A\\|B"), ("A".into(), None, None, some("B")));
        assert_eq!(parts("T|"), ("T".into(), None, None, None));
        assert_eq!(parts("T#"), ("T".into(), None, None, None));
    }

    #[test]
    fn strips_namespaces_from_relation_keys() {
        assert_eq!(relation_name("rdfs:subClassOf"), "subClassOf");
        assert_eq!(relation_name("owl:differentFrom"), "differentFrom");
        assert_eq!(relation_name("a:b:seeAlso"), "seeAlso");
        assert_eq!(relation_name("uses"), "uses");
        assert_eq!(relation_name("odd:"), "odd:");
    }

    #[test]
    fn finds_links_in_text() {
        let links = links_in_text("voir [[A]] et ![[B|b]], [[C", Span::default());
        let targets: Vec<_> = links.iter().map(|l| (l.target.as_str(), l.embed)).collect();
        assert_eq!(targets, [("A", false), ("B", true)]);
        assert!(links_in_text("[[]] [[ ]]", Span::default()).is_empty());
        assert_eq!(links_in_text("[[a [[b]]", Span::default())[0].target, "b");
    }
}
