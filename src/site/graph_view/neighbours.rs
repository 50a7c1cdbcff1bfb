//! An index of the graph's adjacency for drawing many small views of a large graph: each
//! concept's neighbours (either direction) and outgoing edges, sorted, in two flat arrays.
//!
//! petgraph keeps a node's edges in a linked list: walking the edges of a hub that thousands of
//! notes link to, once per page whose local graph holds it, was most of a rebuild. Here a
//! neighbourhood reads a sorted slice, and the edges between a few dozen concepts are found by
//! binary search in a hub's list instead of a walk over all of it; whether a concept is in the
//! selection is one read of a per-thread array of marks.

use crate::graph::{ConceptGraph, EdgeView};
use petgraph::graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use std::cell::RefCell;

thread_local! {
    /// This thread's marks, for the selection it looks at now.
    static MARKS: RefCell<Marks> = RefCell::new(Marks::default());
}

/// For each concept, the round of the last selection it was marked in: a new selection
/// takes the next round, so nothing is cleared between pages.
#[derive(Debug, Default)]
struct Marks {
    round: u32,
    by_node: Vec<u32>,
}

impl Marks {
    /// Starts a round in which exactly `selection` is marked (out of `nodes` concepts).
    fn mark(&mut self, nodes: usize, selection: &[NodeIndex]) {
        if self.by_node.len() < nodes {
            self.by_node.resize(nodes, 0);
        }
        self.round = self.round.wrapping_add(1);
        if self.round == 0 {
            self.by_node.fill(0);
            self.round = 1;
        }
        for n in selection {
            self.by_node[n.index()] = self.round;
        }
    }

    /// Whether `n` is in this round's selection.
    fn has(&self, n: NodeIndex) -> bool {
        self.by_node[n.index()] == self.round
    }
}

/// Sorted neighbours and outgoing edges of every concept of one graph.
#[derive(Debug)]
pub struct Neighbours {
    /// `neighbours[starts[n]..starts[n + 1]]`: the concepts linked to `n` either way.
    neighbour_starts: Vec<usize>,
    neighbours: Vec<NodeIndex>,
    /// `outgoing[starts[n]..starts[n + 1]]`: the edges leaving `n`, by target then edge.
    outgoing_starts: Vec<usize>,
    outgoing: Vec<(NodeIndex, EdgeIndex)>,
}

impl Neighbours {
    /// The index of `graph`.
    pub fn new(graph: &ConceptGraph) -> Neighbours {
        let g = graph.graph();
        let mut outgoing_starts = Vec::with_capacity(g.node_count() + 1);
        let mut outgoing = Vec::with_capacity(g.edge_count());
        let mut neighbour_starts = Vec::with_capacity(g.node_count() + 1);
        let mut neighbours = Vec::with_capacity(2 * g.edge_count());
        let mut around = Vec::new();
        for n in g.node_indices() {
            outgoing_starts.push(outgoing.len());
            let from = outgoing.len();
            outgoing.extend(g.edges(n).map(|e| (e.target(), e.id())));
            outgoing[from..].sort_unstable();

            neighbour_starts.push(neighbours.len());
            around.clear();
            around.extend(g.neighbors_undirected(n).filter(|&m| m != n));
            around.sort_unstable();
            around.dedup();
            neighbours.extend_from_slice(&around);
        }
        outgoing_starts.push(outgoing.len());
        neighbour_starts.push(neighbours.len());
        Neighbours {
            neighbour_starts,
            neighbours,
            outgoing_starts,
            outgoing,
        }
    }

    /// The concepts linked to `n` in either direction, by index, each once, `n` excluded.
    pub fn of(&self, n: NodeIndex) -> &[NodeIndex] {
        &self.neighbours[self.neighbour_starts[n.index()]..self.neighbour_starts[n.index() + 1]]
    }

    /// Every edge from a concept of `selection` to another of it (each edge once, in no
    /// particular order).
    pub fn edges_within<'g>(
        &self,
        graph: &'g ConceptGraph,
        selection: &[NodeIndex],
    ) -> Vec<EdgeView<'g>> {
        let mut sorted = selection.to_vec();
        sorted.sort_unstable();
        MARKS.with_borrow_mut(|marks| marks.mark(graph.graph().node_count(), selection));
        let mut found = Vec::new();
        for &source in selection {
            let out = &self.outgoing
                [self.outgoing_starts[source.index()]..self.outgoing_starts[source.index() + 1]];
            let mut keep = |&(target, id): &(NodeIndex, EdgeIndex)| {
                found.push(EdgeView {
                    id,
                    source,
                    target,
                    edge: &graph.graph()[id],
                });
            };
            // A hub: look each selected concept up in its list rather than walk all of it.
            if out.len() > 4 * sorted.len() {
                for &target in &sorted {
                    let from = out.partition_point(|&(t, _)| t < target);
                    out[from..]
                        .iter()
                        .take_while(|(t, _)| *t == target)
                        .for_each(&mut keep);
                }
            } else {
                MARKS.with_borrow(|marks| {
                    out.iter()
                        .filter(|(t, _)| marks.has(*t))
                        .for_each(&mut keep);
                });
            }
        }
        found
    }
}
