//! The concept graph's data: nodes, typed edges, and what resolution found along the way.

use super::adjacency::Adjacency;
use crate::vault::Span;
use foldhash::HashMap;
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use std::path::PathBuf;
use std::sync::Arc;

/// One concept: a note, or a stub standing for a link target no note matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConceptNode {
    /// The unique slug (`apprentissage-profond`), used as the id in every export.
    pub id: String,
    /// The note's title, or the link target as first written for a stub.
    pub title: String,
    /// The note's path relative to the vault root (`/`-separated); `None` for a stub.
    pub path: Option<PathBuf>,
    /// `true` for a concept no note describes yet.
    pub stub: bool,
    /// The note's tags.
    pub tags: Vec<String>,
    /// The note's aliases.
    pub aliases: Vec<String>,
    /// Ids of the reference implementations the note names (`implementation:`).
    pub implementations: Vec<String>,
    /// Index of the note in [`Vault::notes`](crate::vault::Vault::notes); `None` for a stub.
    pub note: Option<usize>,
}

/// Where the statement behind an edge is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EdgeOrigin {
    /// The note that wrote it (for an inferred edge: the note that wrote the edge it comes from).
    pub note: NodeIndex,
    /// Where the link is written in that note's file.
    pub span: Span,
}

/// One typed edge.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConceptEdge {
    /// The relation (`subClassOf`, `hasPart`, `linksTo`, …).
    pub relation: Arc<str>,
    /// `true` when no note wrote this edge: the schema inferred it (an inverse, or the other
    /// direction of a symmetric relation).
    pub inferred: bool,
    /// Where the statement is written.
    pub origin: EdgeOrigin,
}

/// An edge together with its end points, as the queries return it.
#[derive(Debug, Clone, Copy)]
pub struct EdgeView<'a> {
    /// The edge's index in [`ConceptGraph::graph`].
    pub id: EdgeIndex,
    /// The concept the relation goes from.
    pub source: NodeIndex,
    /// The concept the relation goes to.
    pub target: NodeIndex,
    /// The edge's data.
    pub edge: &'a ConceptEdge,
}

impl<'a> EdgeView<'a> {
    /// The relation name.
    pub fn relation(&self) -> &'a str {
        &self.edge.relation
    }
}

/// One occurrence of a link whose target matches no note (it resolves to a stub).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DanglingLink {
    /// The note and place where the link is written.
    pub origin: EdgeOrigin,
    /// The relation of the link (`linksTo` for a body link).
    pub relation: Arc<str>,
    /// The stub the link resolves to.
    pub target: NodeIndex,
    /// The target as written (trimmed).
    pub written: String,
}

/// One occurrence of a link to a file (`[[schema.png]]`, `![](img/x.png)`) that is neither a
/// note nor an attachment of the vault. It makes no stub: files are not concepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingFile {
    /// The note and place where the link is written.
    pub origin: EdgeOrigin,
    /// The target as written (trimmed, percent-decoded).
    pub written: String,
}

/// A note whose title another note (earlier in path order) already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuplicateTitle {
    /// The later note.
    pub node: NodeIndex,
    /// The first note with that title: where links to the title go.
    pub resolves_to: NodeIndex,
}

/// A concept whose natural slug was taken, so it got a numbered one (its `id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlugCollision {
    /// The concept with the numbered slug.
    pub node: NodeIndex,
    /// The slug it would have had.
    pub wanted: String,
    /// The concept that holds that slug.
    pub owner: NodeIndex,
}

/// The vault as a typed concept graph (petgraph), with the name index links resolve against.
///
/// Built once by [`ConceptGraph::build`]; node `i` is note `i` of the vault, stubs follow.
#[derive(Debug, Clone)]
pub struct ConceptGraph {
    pub(super) graph: DiGraph<ConceptNode, ConceptEdge>,
    /// Each concept's outgoing edges, in insertion order.
    pub(super) outgoing: Adjacency,
    /// Each concept's incoming edges, in insertion order.
    pub(super) incoming: Adjacency,
    /// Normalised title, alias, stem, folder path or stub name → concept.
    pub(super) names: HashMap<String, NodeIndex>,
    /// Slug → concept.
    pub(super) slugs: HashMap<String, NodeIndex>,
    /// The relations that merge identity (`sameAs`).
    pub(super) identity: Vec<Arc<str>>,
    /// Per note, the range of edge indices of the edges it wrote.
    pub(super) written: Vec<(u32, u32)>,
    /// Every link occurrence that resolved to a stub, in note and file order.
    pub(super) dangling: Vec<DanglingLink>,
    /// Every link to a file the vault does not have, in note and file order.
    pub(super) missing_files: Vec<MissingFile>,
    pub(super) duplicate_titles: Vec<DuplicateTitle>,
    pub(super) slug_collisions: Vec<SlugCollision>,
}
