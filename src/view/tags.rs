//! Tags as pages and filters see them: nested (`bio/zoologie` is under `bio`) and compared
//! without case or a leading `#`.

use crate::graph::{ConceptGraph, ConceptNode, NodeIndex};
use std::collections::BTreeMap;

/// A tag as compared: no leading `#`, no surrounding `/` or space, lower case.
///
/// ```
/// assert_eq!(savoir::view::normalize_tag(" #Bio/Zoologie/ "), "bio/zoologie");
/// ```
pub fn normalize_tag(tag: &str) -> String {
    tag.trim()
        .trim_start_matches('#')
        .trim_matches('/')
        .to_lowercase()
}

/// Whether the concept has the tag `normalized` (see [`normalize_tag`]) or a tag nested
/// under it (`bio` matches `bio/zoologie`, not `biologie`).
pub fn has_tag(node: &ConceptNode, normalized: &str) -> bool {
    node.tags
        .iter()
        .any(|t| is_under(&normalize_tag(t), normalized))
}

/// Whether the normalised tag `tag` is `parent` or nested under it.
fn is_under(tag: &str, parent: &str) -> bool {
    tag.strip_prefix(parent)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// One tag of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagEntry {
    /// The normalised path (`bio/zoologie`): the tag's key.
    pub path: String,
    /// The path as first written by a note (`Bio/Zoologie`), or the normalised path for a
    /// parent no note wrote on its own.
    pub written: String,
    /// The concepts tagged exactly with it, in graph order (notes in path order).
    pub concepts: Vec<NodeIndex>,
}

impl TagEntry {
    /// The last segment as written (`Zoologie` for `Bio/Zoologie`).
    pub fn name(&self) -> &str {
        self.written.rsplit('/').next().unwrap_or(&self.written)
    }

    /// How deep it is nested: 0 for a top-level tag.
    pub fn depth(&self) -> usize {
        self.path.matches('/').count()
    }
}

/// Every tag of the written concepts, nested: a tag `a/b/c` also makes `a` and `a/b` exist.
#[derive(Debug, Clone, Default)]
pub struct TagTree {
    entries: BTreeMap<String, TagEntry>,
}

impl TagTree {
    /// The tags of every written concept of `graph` (stubs have none).
    pub fn new(graph: &ConceptGraph) -> Self {
        let mut entries: BTreeMap<String, TagEntry> = BTreeMap::new();
        for (index, node) in graph.nodes().filter(|(_, n)| !n.stub) {
            for tag in &node.tags {
                let path = normalize_tag(tag);
                if path.is_empty() {
                    continue;
                }
                let written = tag.trim().trim_start_matches('#').trim_matches('/');
                let segments: Vec<&str> = written.split('/').collect();
                for depth in 1..=segments.len() {
                    let prefix = segments[..depth].join("/");
                    let entry = entries
                        .entry(normalize_tag(&prefix))
                        .or_insert_with(|| TagEntry {
                            path: normalize_tag(&prefix),
                            written: prefix,
                            concepts: Vec::new(),
                        });
                    if depth == segments.len() && entry.concepts.last() != Some(&index) {
                        entry.concepts.push(index);
                    }
                }
            }
        }
        TagTree { entries }
    }

    /// Every tag, parents before their children, in order of their normalised paths.
    pub fn tags(&self) -> impl Iterator<Item = &TagEntry> {
        self.entries.values()
    }

    /// The tag with this name (normalised first, see [`normalize_tag`]).
    pub fn get(&self, tag: &str) -> Option<&TagEntry> {
        self.entries.get(&normalize_tag(tag))
    }

    /// The top-level tags.
    pub fn roots(&self) -> impl Iterator<Item = &TagEntry> {
        self.tags().filter(|t| t.depth() == 0)
    }

    /// The tags one level under `tag`.
    pub fn children<'t>(&'t self, tag: &TagEntry) -> impl Iterator<Item = &'t TagEntry> {
        let depth = tag.depth() + 1;
        let prefix = format!("{}/", tag.path);
        self.entries
            .range(prefix.clone()..)
            .map(|(_, entry)| entry)
            .take_while(move |entry| entry.path.starts_with(&prefix))
            .filter(move |entry| entry.depth() == depth)
    }

    /// The concepts tagged with `tag` or a tag nested under it, each once, in graph order.
    pub fn concepts_under(&self, tag: &TagEntry) -> Vec<NodeIndex> {
        let prefix = format!("{}/", tag.path);
        let mut found: Vec<NodeIndex> = tag.concepts.clone();
        found.extend(
            self.entries
                .range(prefix.clone()..)
                .take_while(|(path, _)| path.starts_with(&prefix))
                .flat_map(|(_, entry)| entry.concepts.iter().copied()),
        );
        found.sort();
        found.dedup();
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_support::{graph, note};

    #[test]
    fn tags_match_case_insensitively_and_by_parent() {
        let (_, g) = graph(vec![
            note("a.md", "X")
                .tag("Deep Learning")
                .tag("bio/zoologie/mammifères"),
        ]);
        let node = g.node(g.resolve("X").unwrap());
        assert!(has_tag(node, &normalize_tag("deep learning")));
        assert!(has_tag(node, &normalize_tag("#BIO")));
        assert!(has_tag(node, &normalize_tag("bio/zoologie")));
        assert!(!has_tag(node, &normalize_tag("bi")));
        assert!(!has_tag(node, &normalize_tag("zoologie")));
    }

    #[test]
    fn the_tree_nests_tags_and_gathers_concepts_under_parents() {
        let (_, g) = graph(vec![
            note("a.md", "A").tag("Bio/Zoologie").tag("ia"),
            note("b.md", "B").tag("bio"),
            note("c.md", "C").tag("bio/botanique").tag("bio/zoologie"),
            note("d.md", "D").tag("biologie"),
        ]);
        let tree = TagTree::new(&g);
        let paths: Vec<&str> = tree.tags().map(|t| t.path.as_str()).collect();
        assert_eq!(
            paths,
            ["bio", "bio/botanique", "bio/zoologie", "biologie", "ia"]
        );
        let roots: Vec<&str> = tree.roots().map(|t| t.written.as_str()).collect();
        assert_eq!(roots, ["Bio", "biologie", "ia"]);
        let bio = tree.get("#BIO").unwrap();
        let children: Vec<&str> = tree.children(bio).map(TagEntry::name).collect();
        assert_eq!(children, ["botanique", "Zoologie"]);
        let titles = |nodes: Vec<NodeIndex>| -> Vec<String> {
            nodes.into_iter().map(|n| g.node(n).title.clone()).collect()
        };
        assert_eq!(titles(bio.concepts.clone()), ["B"]);
        assert_eq!(titles(tree.concepts_under(bio)), ["A", "B", "C"]);
        let zoo = tree.get("bio/zoologie").unwrap();
        assert_eq!(titles(tree.concepts_under(zoo)), ["A", "C"]);
    }
}
