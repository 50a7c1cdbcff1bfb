//! Questions asked of a built graph: lookup, neighbours, backlinks, closures, paths.

use super::build::lookup;
use super::filter::RelationFilter;
use super::model::{
    ConceptEdge, ConceptGraph, ConceptNode, DanglingLink, DuplicateTitle, EdgeView, MissingFile,
    SlugCollision,
};
use super::names::normalize_name;
use petgraph::Direction;
use petgraph::graph::{DiGraph, EdgeIndex, EdgeReference, NodeIndex};
use petgraph::visit::EdgeRef;
use std::collections::{HashMap, VecDeque};

fn view(e: EdgeReference<'_, ConceptEdge>) -> EdgeView<'_> {
    EdgeView {
        id: e.id(),
        source: e.source(),
        target: e.target(),
        edge: e.weight(),
    }
}

impl ConceptGraph {
    /// The underlying petgraph graph (node `i` is note `i` of the vault; stubs follow).
    pub fn graph(&self) -> &DiGraph<ConceptNode, ConceptEdge> {
        &self.graph
    }

    /// One concept.
    ///
    /// # Panics
    /// When `node` does not come from this graph.
    pub fn node(&self, node: NodeIndex) -> &ConceptNode {
        &self.graph[node]
    }

    /// Every concept, notes first (in path order), then stubs.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeIndex, &ConceptNode)> {
        self.graph.node_indices().map(move |n| (n, &self.graph[n]))
    }

    /// Every edge, written ones first (in note and file order), then inferred ones.
    pub fn edges(&self) -> impl Iterator<Item = EdgeView<'_>> {
        self.graph.edge_references().map(view)
    }

    /// The edges the note of `node` wrote, in file order (frontmatter, then body); none for
    /// a stub.
    pub fn written_edges(&self, node: NodeIndex) -> impl Iterator<Item = EdgeView<'_>> {
        let (first, last) = self.written.get(node.index()).copied().unwrap_or((0, 0));
        (first..last).map(move |i| self.edge_view(EdgeIndex::new(i as usize)))
    }

    /// Every link occurrence (frontmatter or body) that resolved to a stub, in note and
    /// file order.
    pub fn dangling_links(&self) -> &[DanglingLink] {
        &self.dangling
    }

    /// Every link occurrence to a file (`schema.png`) that is neither a note nor an
    /// attachment of the vault, in note and file order. Links to attachments that exist
    /// make no edge and appear nowhere in the graph.
    pub fn missing_files(&self) -> &[MissingFile] {
        &self.missing_files
    }

    /// The edges whose relation `filter` keeps.
    pub fn filtered_edges<'a>(
        &'a self,
        filter: &'a RelationFilter,
    ) -> impl Iterator<Item = EdgeView<'a>> + 'a {
        self.edges().filter(move |e| filter.allows(e.relation()))
    }

    /// The concept of note `index` of the vault the graph was built from.
    pub fn note_node(&self, index: usize) -> NodeIndex {
        NodeIndex::new(index)
    }

    /// The concept with this slug.
    pub fn by_id(&self, slug: &str) -> Option<NodeIndex> {
        self.slugs.get(slug).copied()
    }

    /// The concept a user's argument names: a title, alias, file stem, folder path or slug,
    /// case-insensitively (and NFC-, apostrophe- and space-insensitively, like links).
    /// A stub that is `sameAs` a note resolves to that note.
    pub fn resolve(&self, name: &str) -> Option<NodeIndex> {
        let found = self
            .lookup(name)
            .or_else(|| self.by_id(&name.trim().to_lowercase()))?;
        if !self.graph[found].stub {
            return Some(found);
        }
        let group = self.identity_group(found);
        Some(
            group
                .into_iter()
                .find(|&n| !self.graph[n].stub)
                .unwrap_or(found),
        )
    }

    /// What a link target as written resolves to: a note, or the stub standing for it.
    /// `None` for an empty target (a same-note `[[#heading]]` link) or a target the vault
    /// never wrote and no note matches.
    pub fn resolve_link(&self, target: &str) -> Option<NodeIndex> {
        self.lookup(target)
    }

    fn lookup(&self, name: &str) -> Option<NodeIndex> {
        lookup(&self.names, &normalize_name(name))
    }

    /// The concepts merged with `node` by an identity relation (`sameAs`), in either
    /// direction and transitively; `node` included, in index order (notes before stubs).
    pub fn identity_group(&self, node: NodeIndex) -> Vec<NodeIndex> {
        let mut group = self.closure(node, &[Direction::Outgoing, Direction::Incoming], |r| {
            self.identity.iter().any(|i| &**i == r)
        });
        group.push(node);
        group.sort();
        group
    }

    /// Edges leaving `node` (written and inferred), in insertion order.
    pub fn outgoing(&self, node: NodeIndex) -> Vec<EdgeView<'_>> {
        self.edges_at(node, Direction::Outgoing)
    }

    /// Edges arriving at `node` (written and inferred), in insertion order.
    pub fn incoming(&self, node: NodeIndex) -> Vec<EdgeView<'_>> {
        self.edges_at(node, Direction::Incoming)
    }

    fn edges_at(&self, node: NodeIndex, direction: Direction) -> Vec<EdgeView<'_>> {
        self.edge_views(node, direction).collect()
    }

    /// The edges at `node` in `direction`, in insertion order, one at a time.
    fn edge_views(
        &self,
        node: NodeIndex,
        direction: Direction,
    ) -> impl Iterator<Item = EdgeView<'_>> {
        let adjacency = match direction {
            Direction::Outgoing => &self.outgoing,
            Direction::Incoming => &self.incoming,
        };
        adjacency.of(node).iter().map(|&id| self.edge_view(id))
    }

    /// The edge `id` with its ends.
    fn edge_view(&self, id: EdgeIndex) -> EdgeView<'_> {
        let edge = &self.graph.raw_edges()[id.index()];
        EdgeView {
            id,
            source: edge.source(),
            target: edge.target(),
            edge: &edge.weight,
        }
    }

    /// The notes that link to `node` by a written statement of any relation (body links and
    /// frontmatter), each once, in path order; `node` itself excluded.
    pub fn backlinks(&self, node: NodeIndex) -> Vec<NodeIndex> {
        let mut sources: Vec<NodeIndex> = self
            .incoming
            .of(node)
            .iter()
            .map(|&id| self.edge_view(id))
            .filter(|e| !e.edge.inferred && e.source != node)
            .map(|e| e.source)
            .collect();
        sources.sort();
        sources.dedup();
        sources
    }

    /// Everything `node` reaches by following `relation` forwards, transitively (for
    /// `subClassOf`: every superclass), nearest first; cycle-safe, `node` excluded.
    pub fn ancestors(&self, node: NodeIndex, relation: &str) -> Vec<NodeIndex> {
        self.closure(node, &[Direction::Outgoing], |r| r == relation)
    }

    /// Everything that reaches `node` by following `relation` forwards, transitively (for
    /// `subClassOf`: every subclass), nearest first; cycle-safe, `node` excluded.
    pub fn descendants(&self, node: NodeIndex, relation: &str) -> Vec<NodeIndex> {
        self.closure(node, &[Direction::Incoming], |r| r == relation)
    }

    /// The chain of first parents above `node` by `relation` (for `subClassOf`: its first
    /// superclass, that one's first superclass, …), nearest first, up to a concept with no
    /// such edge; a concept already on the chain (a cycle) ends it. "First" is the first
    /// such edge in insertion order: a written one before an inferred one.
    pub fn first_parent_chain(&self, node: NodeIndex, relation: &str) -> Vec<NodeIndex> {
        let mut chain = Vec::new();
        let mut current = node;
        while let Some(parent) = self
            .edge_views(current, Direction::Outgoing)
            .find(|e| e.relation() == relation)
            .map(|e| e.target)
        {
            if parent == node || chain.contains(&parent) {
                break;
            }
            chain.push(parent);
            current = parent;
        }
        chain
    }

    /// Breadth-first closure from `start` over edges whose relation `keep` accepts, each
    /// concept's edges taken in insertion order.
    fn closure(
        &self,
        start: NodeIndex,
        directions: &[Direction],
        keep: impl Fn(&str) -> bool,
    ) -> Vec<NodeIndex> {
        let mut seen = vec![false; self.graph.node_count()];
        seen[start.index()] = true;
        let mut order = Vec::new();
        let mut queue = VecDeque::from([start]);
        while let Some(current) = queue.pop_front() {
            for &direction in directions {
                for e in self.edges_at(current, direction) {
                    let next = if direction == Direction::Outgoing {
                        e.target
                    } else {
                        e.source
                    };
                    if keep(e.relation()) && !seen[next.index()] {
                        seen[next.index()] = true;
                        order.push(next);
                        queue.push_back(next);
                    }
                }
            }
        }
        order
    }

    /// The shortest chain of edges between two concepts (breadth-first), or `None` when
    /// they are not connected.
    ///
    /// It follows every edge `filter` keeps, written or inferred, in either direction:
    /// from a concept it tries the edges leaving it first, then those arriving at it, so a
    /// path reads forwards wherever an equally short one exists. Each step is returned as the
    /// edge is stored: a step walked backwards has its `target` where the walk came from.
    /// From a concept to itself the path is empty.
    pub fn shortest_path(
        &self,
        from: NodeIndex,
        to: NodeIndex,
        filter: &RelationFilter,
    ) -> Option<Vec<EdgeView<'_>>> {
        let mut came_by: HashMap<NodeIndex, EdgeIndex> = HashMap::new();
        let mut queue = VecDeque::from([from]);
        let mut reached = from == to;
        'search: while let Some(current) = queue.pop_front() {
            for direction in [Direction::Outgoing, Direction::Incoming] {
                for e in self.edges_at(current, direction) {
                    let next = if direction == Direction::Outgoing {
                        e.target
                    } else {
                        e.source
                    };
                    if next == from || came_by.contains_key(&next) || !filter.allows(e.relation()) {
                        continue;
                    }
                    came_by.insert(next, e.id);
                    if next == to {
                        reached = true;
                        break 'search;
                    }
                    queue.push_back(next);
                }
            }
        }
        if !reached {
            return None;
        }
        let mut steps = Vec::new();
        let mut current = to;
        while current != from {
            let id = came_by[&current];
            let (source, target) = self.graph.edge_endpoints(id)?;
            steps.push(EdgeView {
                id,
                source,
                target,
                edge: &self.graph[id],
            });
            current = if source == current { target } else { source };
        }
        steps.reverse();
        Some(steps)
    }

    /// Notes whose title an earlier note already has (the linter reports them).
    pub fn duplicate_titles(&self) -> &[DuplicateTitle] {
        &self.duplicate_titles
    }

    /// Concepts whose natural slug was taken (the linter reports the notes among them).
    pub fn slug_collisions(&self) -> &[SlugCollision] {
        &self.slug_collisions
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::LINKS_TO;
    use crate::graph::test_support::{graph, note};

    fn titles(g: &ConceptGraph, nodes: &[NodeIndex]) -> Vec<String> {
        nodes.iter().map(|&n| g.node(n).title.clone()).collect()
    }

    #[test]
    fn ancestors_and_descendants_follow_a_transitive_relation_through_cycles() {
        let (_, g) = graph(vec![
            note("a.md", "A").relation("subClassOf", "B"),
            note("b.md", "B").relation("subClassOf", "C"),
            note("c.md", "C").relation("subClassOf", "A"),
            note("d.md", "D")
                .relation("subClassOf", "B")
                .relation("hasPart", "A"),
        ]);
        let a = g.resolve("A").unwrap();
        assert_eq!(titles(&g, &g.ancestors(a, "subClassOf")), ["B", "C"]);
        let b = g.resolve("B").unwrap();
        assert_eq!(titles(&g, &g.descendants(b, "subClassOf")), ["A", "D", "C"]);
        let d = g.resolve("D").unwrap();
        assert_eq!(titles(&g, &g.ancestors(d, "subClassOf")), ["B", "C", "A"]);
        assert!(g.ancestors(d, "seeAlso").is_empty());
    }

    #[test]
    fn neighbours_and_backlinks() {
        let (_, g) = graph(vec![
            note("a.md", "A").relation("hasPart", "B").body_link("C"),
            note("b.md", "B").body_link("A"),
            note("c.md", "C").relation("seeAlso", "A"),
        ]);
        let a = g.resolve("A").unwrap();
        let out: Vec<(&str, bool)> = g
            .outgoing(a)
            .iter()
            .map(|e| (e.relation(), e.edge.inferred))
            .collect();
        assert_eq!(
            out,
            [("hasPart", false), (LINKS_TO, false), ("seeAlso", true)]
        );
        let incoming: Vec<(String, &str)> = g
            .incoming(a)
            .iter()
            .map(|e| (g.node(e.source).title.clone(), e.relation()))
            .collect();
        assert_eq!(
            incoming,
            [
                ("B".to_string(), LINKS_TO),
                ("C".to_string(), "seeAlso"),
                ("B".to_string(), "isPartOf")
            ]
        );
        assert_eq!(titles(&g, &g.backlinks(a)), ["B", "C"]);
        let written: Vec<&str> = g.written_edges(a).map(|e| e.relation()).collect();
        assert_eq!(
            written,
            ["hasPart", LINKS_TO],
            "file order, nothing inferred"
        );
        assert_eq!(g.written_edges(g.resolve("C").unwrap()).count(), 1);
    }

    #[test]
    fn shortest_path_prefers_forward_edges_and_respects_the_filter() {
        let (_, g) = graph(vec![
            note("a.md", "A").relation("subClassOf", "B").body_link("D"),
            note("b.md", "B").relation("subClassOf", "C"),
            note("c.md", "C"),
            note("d.md", "D").body_link("C"),
            note("e.md", "E").body_link("A"),
        ]);
        let (a, c, e) = (
            g.resolve("A").unwrap(),
            g.resolve("C").unwrap(),
            g.resolve("E").unwrap(),
        );
        let path = g.shortest_path(a, c, &RelationFilter::all()).unwrap();
        assert_eq!(path.len(), 2);
        let only = RelationFilter::only(["subClassOf"]);
        let path = g.shortest_path(a, c, &only).unwrap();
        let steps: Vec<&str> = path.iter().map(|s| s.relation()).collect();
        assert_eq!(steps, ["subClassOf", "subClassOf"]);
        assert_eq!((path[0].source, path[1].target), (a, c));
        let back = g.shortest_path(a, e, &RelationFilter::all()).unwrap();
        assert_eq!((back[0].source, back[0].target), (e, a), "walked backwards");
        assert!(
            g.shortest_path(a, a, &RelationFilter::all())
                .unwrap()
                .is_empty()
        );
        assert!(g.shortest_path(a, e, &only).is_none());
    }
}
