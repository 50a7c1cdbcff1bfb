//! Exports of the concept graph: JSON (the CLI contract), JSON-LD, DOT, GraphML, Mermaid and
//! plain text.
//!
//! Every export takes a [`RelationFilter`]: with no filter it holds every concept and edge;
//! with one it holds the kept edges and the concepts they touch.

mod dot;
mod graphml;
mod json;
mod jsonld;
mod mermaid;
mod text;

pub use dot::to_dot;
pub use graphml::to_graphml;
pub use json::{GraphJson, json_document};
pub use jsonld::{CONCEPT_NAMESPACE, JsonLd, VOCAB_NAMESPACE, to_jsonld};
pub use mermaid::to_mermaid;
pub use text::to_text;

use super::filter::RelationFilter;
use super::model::{ConceptGraph, EdgeView};
use petgraph::graph::NodeIndex;
use std::fmt;
use std::str::FromStr;

/// An export format of `savoir graph --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GraphFormat {
    /// The JSON of the CLI contract (`{"nodes":[…],"edges":[…]}`).
    Json,
    /// JSON-LD with RDFS, OWL, Dublin Core and schema.org terms.
    JsonLd,
    /// Graphviz DOT.
    Dot,
    /// GraphML (XML).
    GraphMl,
    /// A Mermaid `graph LR` flowchart.
    Mermaid,
}

impl GraphFormat {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [GraphFormat; 5] = [
        GraphFormat::Json,
        GraphFormat::Dot,
        GraphFormat::JsonLd,
        GraphFormat::GraphMl,
        GraphFormat::Mermaid,
    ];

    /// The name used on the command line (`json`, `jsonld`, `dot`, `graphml`, `mermaid`).
    pub fn name(self) -> &'static str {
        match self {
            GraphFormat::Json => "json",
            GraphFormat::JsonLd => "jsonld",
            GraphFormat::Dot => "dot",
            GraphFormat::GraphMl => "graphml",
            GraphFormat::Mermaid => "mermaid",
        }
    }
}

impl fmt::Display for GraphFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that is none of [`GraphFormat::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown graph format `{0}`\nhelp: use one of json, dot, jsonld, graphml, mermaid")]
pub struct UnknownFormat(pub String);

impl FromStr for GraphFormat {
    type Err = UnknownFormat;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        GraphFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| UnknownFormat(name.to_string()))
    }
}

/// The graph in `format`, keeping the relations `filter` allows.
pub fn export(graph: &ConceptGraph, format: GraphFormat, filter: &RelationFilter) -> String {
    match format {
        GraphFormat::Json => pretty(&json_document(graph, filter)),
        GraphFormat::JsonLd => pretty(&to_jsonld(graph, filter)),
        GraphFormat::Dot => to_dot(graph, filter),
        GraphFormat::GraphMl => to_graphml(graph, filter),
        GraphFormat::Mermaid => to_mermaid(graph, filter),
    }
}

fn pretty(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// The concepts and edges an export holds.
struct Selection<'a> {
    nodes: Vec<NodeIndex>,
    edges: Vec<EdgeView<'a>>,
}

fn select<'a>(graph: &'a ConceptGraph, filter: &'a RelationFilter) -> Selection<'a> {
    let edges: Vec<EdgeView<'a>> = graph.filtered_edges(filter).collect();
    let nodes = if filter.is_all() {
        graph.graph().node_indices().collect()
    } else {
        let mut touched = vec![false; graph.graph().node_count()];
        for e in &edges {
            touched[e.source.index()] = true;
            touched[e.target.index()] = true;
        }
        graph
            .graph()
            .node_indices()
            .filter(|n| touched[n.index()])
            .collect()
    };
    Selection { nodes, edges }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for format in GraphFormat::ALL {
            assert_eq!(format.name().parse::<GraphFormat>(), Ok(format));
        }
        assert_eq!("JSONLD".parse::<GraphFormat>(), Ok(GraphFormat::JsonLd));
        let err = "svg".parse::<GraphFormat>().unwrap_err();
        assert!(err.to_string().contains("mermaid"));
    }
}
