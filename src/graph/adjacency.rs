//! Each concept's edges in one direction as a slice of edge indices in insertion order (one flat
//! list cut per node), so that a page's questions about a concept's edges read consecutive
//! memory instead of walking petgraph's linked lists and sorting what they give.

use petgraph::Direction;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};

/// The edges leaving (or reaching) each node, by edge index.
#[derive(Debug, Clone, Default)]
pub(super) struct Adjacency {
    /// `edges[starts[n]..starts[n + 1]]` are node `n`'s.
    starts: Vec<u32>,
    edges: Vec<EdgeIndex>,
}

impl Adjacency {
    /// The edges of every node of `graph` in `direction`, each node's in index order.
    pub(super) fn new<N, E>(graph: &DiGraph<N, E>, direction: Direction) -> Adjacency {
        let end = |e: &petgraph::graph::Edge<E>| match direction {
            Direction::Outgoing => e.source(),
            Direction::Incoming => e.target(),
        };
        let mut starts = vec![0u32; graph.node_count() + 1];
        for edge in graph.raw_edges() {
            starts[end(edge).index() + 1] += 1;
        }
        for n in 1..starts.len() {
            starts[n] += starts[n - 1];
        }
        let mut next: Vec<u32> = starts[..starts.len() - 1].to_vec();
        let mut edges = vec![EdgeIndex::new(0); graph.edge_count()];
        for (i, edge) in graph.raw_edges().iter().enumerate() {
            let slot = &mut next[end(edge).index()];
            edges[*slot as usize] = EdgeIndex::new(i);
            *slot += 1;
        }
        Adjacency { starts, edges }
    }

    /// The edges of `node`, in index order (none for a node the graph does not have).
    pub(super) fn of(&self, node: NodeIndex) -> &[EdgeIndex] {
        match (
            self.starts.get(node.index()),
            self.starts.get(node.index() + 1),
        ) {
            (Some(&start), Some(&end)) => &self.edges[start as usize..end as usize],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_node_gets_its_edges_in_index_order() {
        let mut g: DiGraph<(), ()> = DiGraph::new();
        let [a, b, c] = [g.add_node(()), g.add_node(()), g.add_node(())];
        let ab = g.add_edge(a, b, ());
        let ca = g.add_edge(c, a, ());
        let ac = g.add_edge(a, c, ());
        let out = Adjacency::new(&g, Direction::Outgoing);
        let inc = Adjacency::new(&g, Direction::Incoming);
        assert_eq!(out.of(a), [ab, ac]);
        assert_eq!(out.of(b), []);
        assert_eq!(out.of(c), [ca]);
        assert_eq!(inc.of(a), [ca]);
        assert_eq!(inc.of(c), [ac]);
        assert_eq!(out.of(NodeIndex::new(7)), []);
    }
}
