//! Stage 2: notes → concept graph.
//!
//! [`ConceptGraph::build`] resolves every link of a [`Vault`](crate::vault::Vault) against
//! titles, aliases, file stems and folder paths (see [`normalize_name`]), gives each concept a
//! unique [`slugify`]d id, adds one stub per unresolved target, one typed edge per written
//! relation (body links as [`LINKS_TO`]) and the edges the [`Schema`] infers. Queries
//! (neighbours, backlinks, ancestors, shortest path) and exports ([`export`]) read it.

mod adjacency;
mod build;
mod export;
mod filter;
mod model;
mod names;
mod query;
mod schema;
#[cfg(test)]
pub(crate) mod test_support;

pub use export::{
    CONCEPT_NAMESPACE, GraphFormat, GraphJson, JsonLd, UnknownFormat, VOCAB_NAMESPACE, export,
    json_document, to_dot, to_graphml, to_jsonld, to_mermaid, to_text,
};
pub use filter::RelationFilter;
pub use model::{
    ConceptEdge, ConceptGraph, ConceptNode, DanglingLink, DuplicateTitle, EdgeOrigin, EdgeView,
    MissingFile, SlugCollision,
};
pub use names::{normalize_name, slugify};
pub use petgraph::graph::{EdgeIndex, NodeIndex};
pub use schema::{CONFIG_FILE, LINKS_TO, RelationSpec, Schema, SchemaError};
