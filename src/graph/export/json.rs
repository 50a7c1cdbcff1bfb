//! The JSON of the CLI contract: `{"nodes":[{"id","title","path","stub","tags",
//! "implementations"}],"edges":[{"source","target","relation","inferred"}]}` (plus `aliases`).

use super::select;
use crate::graph::filter::RelationFilter;
use crate::graph::model::ConceptGraph;
use serde::Serialize;
use std::borrow::Cow;

/// The contract's JSON document, serialised straight from the graph (no intermediate value
/// tree); fields in alphabetical order, as the format has always listed them.
#[derive(Serialize)]
pub struct GraphJson<'a> {
    edges: Vec<EdgeJson<'a>>,
    nodes: Vec<NodeJson<'a>>,
}

#[derive(Serialize)]
struct NodeJson<'a> {
    aliases: &'a [String],
    id: &'a str,
    implementations: &'a [String],
    path: Option<Cow<'a, str>>,
    stub: bool,
    tags: &'a [String],
    title: &'a str,
}

#[derive(Serialize)]
struct EdgeJson<'a> {
    inferred: bool,
    relation: &'a str,
    source: &'a str,
    target: &'a str,
}

/// The graph as the contract's JSON document.
pub fn json_document<'a>(graph: &'a ConceptGraph, filter: &'a RelationFilter) -> GraphJson<'a> {
    let selection = select(graph, filter);
    let nodes = selection
        .nodes
        .iter()
        .map(|&n| {
            let node = graph.node(n);
            NodeJson {
                aliases: &node.aliases,
                id: &node.id,
                implementations: &node.implementations,
                path: node.path.as_ref().map(|p| p.to_string_lossy()),
                stub: node.stub,
                tags: &node.tags,
                title: &node.title,
            }
        })
        .collect();
    let edges = selection
        .edges
        .iter()
        .map(|e| EdgeJson {
            inferred: e.edge.inferred,
            relation: e.relation(),
            source: &graph.node(e.source).id,
            target: &graph.node(e.target).id,
        })
        .collect();
    GraphJson { edges, nodes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_support::{graph, note};
    use serde_json::{Value, json};

    fn to_json(graph: &ConceptGraph, filter: &RelationFilter) -> Value {
        serde_json::to_value(json_document(graph, filter)).unwrap()
    }

    #[test]
    fn shape_matches_the_contract() {
        let (_, g) = graph(vec![
            note("a.md", "Alpha")
                .relation("hasPart", "Beta")
                .tag("t")
                .implementation("mlp"),
            note("b.md", "Beta"),
            note("c.md", "Gamma").body_link("Missing"),
        ]);
        let value = to_json(&g, &RelationFilter::all());
        let node = &value["nodes"][0];
        let keys: Vec<&str> = node
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for key in ["id", "title", "path", "stub", "tags", "implementations"] {
            assert!(keys.contains(&key), "missing {key} in {node}");
        }
        assert_eq!(node["id"], "alpha");
        assert_eq!(node["path"], "a.md");
        assert_eq!(node["stub"], false);
        assert_eq!(node["tags"], json!(["t"]));
        assert_eq!(node["implementations"], json!(["mlp"]));
        let stub = value["nodes"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(stub["path"], Value::Null);
        assert_eq!(stub["stub"], true);
        let edges = value["edges"].as_array().unwrap();
        assert!(edges.contains(
            &json!({"source":"alpha","target":"beta","relation":"hasPart","inferred":false})
        ));
        assert!(edges.contains(
            &json!({"source":"beta","target":"alpha","relation":"isPartOf","inferred":true})
        ));
        assert!(edges.contains(
            &json!({"source":"gamma","target":"missing","relation":"linksTo","inferred":false})
        ));
    }

    #[test]
    fn relation_filter_keeps_listed_edges_and_their_concepts() {
        let (_, g) = graph(vec![
            note("a.md", "Alpha")
                .relation("hasPart", "Beta")
                .body_link("Gamma"),
            note("b.md", "Beta"),
            note("c.md", "Gamma"),
        ]);
        let value = to_json(&g, &RelationFilter::only(["linksTo"]));
        assert_eq!(value["edges"].as_array().unwrap().len(), 1);
        let ids: Vec<&str> = value["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["alpha", "gamma"]);
    }
}
