//! Graph views drawn at build time: the global graph of every concept and the local graph around
//! one concept, laid out by a force-directed simulation ([`layout`]: Fruchterman–Reingold with a
//! Barnes–Hut quadtree, seeded) and drawn as SVG.
//!
//! Each function returns an HTML fragment, `<figure class="graph-view" data-graph="global|local">`
//! holding the `<svg>` and a `<figcaption class="graph-legend">`:
//! - the figure lists the top-level tags of the concepts drawn (`data-tag-names='["t1","t2"]'`);
//! - nodes are `<a class="node [stub] [center] [minor]" href=… data-tags="0 1">` (positions in
//!   that list) around a circle sized by degree and their name: a label, or for a `minor` one
//!   (whose label waits for zoom) a tooltip that `graph.js` draws the label from; stubs are
//!   dashed outlines;
//! - edges are `<line>`s from one node's centre to another's, written exactly as the circles'
//!   (which is how the script knows their ends), grouped in
//!   `<g class="relation [inferred]" data-relation=…>` that carry the relation's colour
//!   and dash, lighter when inferred; one line per linked pair (a written edge is preferred to its
//!   inferred inverse, a typed relation to a body link);
//! - the legend lists each relation drawn (`<li data-relation=…>`), the inferred and stub styles.
//!
//! `templates/assets/graph.js` adds pan and zoom, neighbour highlighting and the relation and tag
//! toggles; without it the figure is a plain picture with working links. Text from the vault is
//! escaped, and no `style` attribute or script is emitted (the pages' CSP forbids them).

mod layout;
mod neighbours;
mod quadtree;
mod style;
mod svg;

use crate::config::Language;
use crate::graph::{ConceptGraph, ConceptNode};
use neighbours::Neighbours;
use petgraph::graph::NodeIndex;
use std::collections::VecDeque;

/// The most concepts a local graph shows (the closest ones, breadth first): enough for every
/// neighbour of a well-linked note and some of theirs; more is unreadable at page width and
/// weighs on every page (120 made the SVG 66 kB of a 100 kB page in a dense 10,000-note vault).
pub const LOCAL_LIMIT: usize = 48;

/// What every graph view needs besides the graph.
#[derive(Clone, Copy)]
pub struct GraphViewOptions<'a> {
    /// The link of a concept's page, relative to the page the view is on.
    pub href: &'a dyn Fn(&ConceptNode) -> String,
    /// Language of the title and legend.
    pub language: Language,
    /// Seed of the layout: the same graph and seed give the same picture.
    pub seed: u64,
}

impl std::fmt::Debug for GraphViewOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphViewOptions")
            .field("language", &self.language)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl GraphViewOptions<'static> {
    /// Links by [`page_href`], seed 0, labels in `language`.
    pub fn new(language: Language) -> GraphViewOptions<'static> {
        GraphViewOptions {
            href: &page_href,
            language,
            seed: 0,
        }
    }
}

/// The page of a concept from a page at the site's root: `<slug>.html`.
pub fn page_href(node: &ConceptNode) -> String {
    format!("{}.html", node.id)
}

/// Every concept of `graph` and the edges between them.
pub fn global_graph_svg(graph: &ConceptGraph, options: &GraphViewOptions<'_>) -> String {
    let every: Vec<NodeIndex> = graph.nodes().map(|(n, _)| n).collect();
    let edges = svg::drawn_edges(&every, graph.edges().collect());
    svg::figure(graph, &every, &edges, svg::Kind::Global, options)
}

/// A fingerprint of what the global graph and the page around it are drawn from: every
/// concept as drawn and every edge (the page counts and lists the written ones; the edges the
/// figure draws follow from them, so they are not picked out again).
pub fn global_graph_fingerprint(graph: &ConceptGraph) -> u64 {
    let every: Vec<NodeIndex> = graph.nodes().map(|(n, _)| n).collect();
    let edges: Vec<(usize, usize, &str, bool)> = graph
        .edges()
        .map(|e| {
            (
                e.source.index(),
                e.target.index(),
                e.relation(),
                e.edge.inferred,
            )
        })
        .collect();
    crate::site::fingerprint::hash_of(&(svg::drawn_concepts(graph, &every), edges))
}

/// The local graphs of one concept graph: built once per graph, it answers each page's
/// neighbourhood from sorted adjacency lists ([`Neighbours`]).
#[derive(Debug)]
pub struct LocalGraphs<'g> {
    graph: &'g ConceptGraph,
    neighbours: Neighbours,
    /// A hash of what a figure shows of each concept ([`svg::drawn_concepts`]), by node
    /// index: a local graph's fingerprint hashes these instead of the titles and tags of its
    /// few dozen concepts again for every page.
    drawn_hashes: Vec<u64>,
}

impl<'g> LocalGraphs<'g> {
    /// The local graphs of `graph`.
    pub fn new(graph: &'g ConceptGraph) -> LocalGraphs<'g> {
        let every: Vec<NodeIndex> = graph.nodes().map(|(n, _)| n).collect();
        LocalGraphs {
            graph,
            neighbours: Neighbours::new(graph),
            drawn_hashes: svg::drawn_concepts(graph, &every)
                .iter()
                .map(crate::site::fingerprint::hash_of)
                .collect(),
        }
    }

    /// The concepts within `depth` links of `center` (1 or 2; other values are clamped),
    /// whatever the relation or its direction, at most [`LOCAL_LIMIT`] of them, and the edges
    /// between them.
    pub fn around(&self, center: NodeIndex, depth: u8) -> LocalGraph<'g> {
        let selection = self.neighbourhood(center, usize::from(depth.clamp(1, 2)));
        let within = self.neighbours.edges_within(self.graph, &selection);
        let edges = svg::drawn_edges(&selection, within);
        let concepts: Vec<u64> = selection
            .iter()
            .map(|n| self.drawn_hashes[n.index()])
            .collect();
        LocalGraph {
            graph: self.graph,
            center,
            fingerprint: svg::fingerprint(&concepts, &edges),
            edges,
            selection,
        }
    }

    /// `center` and the concepts within `depth` links of it, breadth first, neighbours in
    /// index order, stopping at [`LOCAL_LIMIT`].
    fn neighbourhood(&self, center: NodeIndex, depth: usize) -> Vec<NodeIndex> {
        let mut order = vec![center];
        let mut queue = VecDeque::from([(center, 0)]);
        while let Some((n, d)) = queue.pop_front() {
            if d == depth {
                continue;
            }
            for &m in self.neighbours.of(n) {
                if order.contains(&m) {
                    continue;
                }
                if order.len() == LOCAL_LIMIT {
                    return order;
                }
                order.push(m);
                queue.push_back((m, d + 1));
            }
        }
        order
    }
}

/// The neighbourhood of one concept, ready to be fingerprinted or drawn.
pub struct LocalGraph<'g> {
    graph: &'g ConceptGraph,
    center: NodeIndex,
    selection: Vec<NodeIndex>,
    edges: Vec<svg::Drawn<'g>>,
    fingerprint: u64,
}

impl LocalGraph<'_> {
    /// A fingerprint of what the figure is drawn from: two local graphs with the same
    /// fingerprint, drawn with the same language and seed, give the same figure.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The figure (layout and SVG).
    pub fn svg(&self, options: &GraphViewOptions<'_>) -> String {
        let kind = svg::Kind::Local {
            center: self.center,
        };
        svg::figure(self.graph, &self.selection, &self.edges, kind, options)
    }
}

#[cfg(test)]
mod tests;
