//! The frontmatter as a small tree of text, lists and mappings, each part with its file
//! position. Both the YAML reader and the lenient line reader produce it, so one
//! interpretation step (`frontmatter.rs`) serves both.

use super::model::{Spanned, WikiLink};
use super::wikilink::{links_in_text, parse_wikilink};

/// A frontmatter value. Scalars keep their text as written (numbers, booleans and dates
/// are not converted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// An empty value (`key:` with nothing after it, `~`, `null`).
    Null,
    /// A scalar, unquoted and unescaped.
    Text(String),
    /// A sequence.
    List(Vec<Spanned<Node>>),
    /// A nested mapping, duplicate keys kept.
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The key as written.
    pub(crate) key: Spanned<String>,
    /// Its value.
    pub(crate) value: Spanned<Node>,
}

impl Node {
    /// The target of an unquoted `[[X]]`, which YAML reads as a list holding a list holding `X`.
    fn unquoted_link_target(&self) -> Option<&Spanned<Node>> {
        let Node::List(outer) = self else {
            return None;
        };
        let [inner] = outer.as_slice() else {
            return None;
        };
        let Node::List(items) = &inner.value else {
            return None;
        };
        match items.as_slice() {
            [item] if matches!(item.value, Node::Text(_)) => Some(item),
            _ => None,
        }
    }

    /// The value as lines of text: one per scalar, `[[X]]` for the unquoted-link shape,
    /// `key: value` for a mapping entry.
    pub(crate) fn texts(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.push_texts(&mut out);
        out
    }

    fn push_texts(&self, out: &mut Vec<String>) {
        if let Some(Node::Text(target)) = self.unquoted_link_target().map(|item| &item.value) {
            out.push(format!("[[{target}]]"));
            return;
        }
        match self {
            Node::Null => {}
            Node::Text(text) => out.push(text.clone()),
            Node::List(items) => items.iter().for_each(|item| item.value.push_texts(out)),
            Node::Map(entries) => out.extend(entries.iter().map(|entry| {
                format!(
                    "{}: {}",
                    entry.key.value,
                    entry.value.value.texts().join(", ")
                )
            })),
        }
    }

    /// The first scalar of the value, if any.
    pub(crate) fn first_text(&self) -> Option<&str> {
        match self {
            Node::Text(text) => Some(text),
            Node::List(items) => items.iter().find_map(|item| item.value.first_text()),
            Node::Null | Node::Map(_) => None,
        }
    }
}

/// Where the links of one value come from: a relation name given inside a mapping item
/// (`- type: isPartOf` / `  target: '[[X]]'`) overrides the key's own name.
pub(crate) struct FoundLink {
    /// The relation key written inside the value, if any (`isPartOf` above).
    pub(crate) inner_key: Option<String>,
    /// The link.
    pub(crate) link: WikiLink,
}

/// Every link in a value, in order. With `plain_is_link`, a scalar without brackets is a
/// link to the title it names (for the known relation keys).
pub(crate) fn links_in(node: &Spanned<Node>, plain_is_link: bool) -> Vec<FoundLink> {
    let mut out = Vec::new();
    collect_links(node, plain_is_link, None, &mut out);
    out
}

fn collect_links(
    node: &Spanned<Node>,
    plain_is_link: bool,
    inner_key: Option<&str>,
    out: &mut Vec<FoundLink>,
) {
    let mut push = |link: WikiLink| {
        out.push(FoundLink {
            inner_key: inner_key.map(str::to_string),
            link,
        })
    };
    if let Some(item) = node.value.unquoted_link_target() {
        if let Node::Text(inner) = &item.value {
            let mut link = parse_wikilink(inner);
            link.span = item.span;
            push(link);
        }
        return;
    }
    match &node.value {
        Node::Null => {}
        Node::Text(text) => {
            let links = links_in_text(text, node.span);
            if links.is_empty() && plain_is_link && !text.trim().is_empty() {
                let mut link = parse_wikilink(text);
                link.span = node.span;
                push(link);
            } else {
                links.into_iter().for_each(push);
            }
        }
        Node::List(items) => {
            for item in items {
                collect_links(item, plain_is_link, inner_key, out);
            }
        }
        Node::Map(entries) => {
            let named = relation_named_in(entries);
            for (index, entry) in entries.iter().enumerate() {
                if named.is_some_and(|(naming, _)| naming == index) {
                    continue;
                }
                let key = named.map(|(_, name)| name).or(inner_key);
                collect_links(&entry.value, false, key, out);
            }
        }
    }
}

/// In a mapping item such as `{type: isPartOf, target: '[[X]]'}`, the entry naming the
/// relation (key `type`, `relation` or `predicate`, a plain value) and that name.
fn relation_named_in(entries: &[Entry]) -> Option<(usize, &str)> {
    entries.iter().enumerate().find_map(|(index, entry)| {
        let naming_key = matches!(entry.key.value.as_str(), "type" | "relation" | "predicate");
        match &entry.value.value {
            Node::Text(name) if naming_key && !name.contains("[[") && !name.trim().is_empty() => {
                Some((index, name.trim()))
            }
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::model::Span;

    fn at(value: Node, line: usize) -> Spanned<Node> {
        Spanned {
            value,
            span: Span { line, column: 1 },
        }
    }

    fn text(value: &str, line: usize) -> Spanned<Node> {
        at(Node::Text(value.to_string()), line)
    }

    fn targets(links: &[FoundLink]) -> Vec<(Option<&str>, &str)> {
        links
            .iter()
            .map(|found| (found.inner_key.as_deref(), found.link.target.as_str()))
            .collect()
    }

    #[test]
    fn reads_the_unquoted_link_shape() {
        let node = at(Node::List(vec![at(Node::List(vec![text("X|x", 3)]), 3)]), 3);
        assert_eq!(node.value.texts(), ["[[X|x]]"]);
        let links = links_in(&node, false);
        assert_eq!(targets(&links), [(None, "X")]);
        assert_eq!(links[0].link.label.as_deref(), Some("x"));
    }

    #[test]
    fn plain_titles_are_links_only_when_asked() {
        let node = at(Node::List(vec![text("A ", 2), text("[[B]]", 3)]), 2);
        assert_eq!(targets(&links_in(&node, true)), [(None, "A"), (None, "B")]);
        assert_eq!(targets(&links_in(&node, false)), [(None, "B")]);
    }

    #[test]
    fn a_mapping_item_names_its_relation() {
        let entry = |key: &str, value: Spanned<Node>| Entry {
            key: Spanned {
                value: key.to_string(),
                span: value.span,
            },
            value,
        };
        let item = at(
            Node::Map(vec![
                entry("type", text("isPartOf", 4)),
                entry("target", text("[[X]]", 5)),
            ]),
            4,
        );
        let links = links_in(&at(Node::List(vec![item]), 4), false);
        assert_eq!(targets(&links), [(Some("isPartOf"), "X")]);
        assert_eq!(links[0].link.span.line, 5);
    }
}
