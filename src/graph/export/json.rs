//! The JSON of the CLI contract: `{"nodes":[{"id","title","path","stub","tags",
//! "implementations"}],"edges":[{"source","target","relation","inferred"}]}` (plus `aliases`).

use super::select;
use crate::graph::filter::RelationFilter;
use crate::graph::model::ConceptGraph;
use serde_json::{Value, json};

/// The graph as the contract's JSON value.
pub fn to_json(graph: &ConceptGraph, filter: &RelationFilter) -> Value {
    let selection = select(graph, filter);
    let nodes: Vec<Value> = selection
        .nodes
        .iter()
        .map(|&n| {
            let node = graph.node(n);
            json!({
                "id": node.id,
                "title": node.title,
                "path": node.path.as_ref().map(|p| p.to_string_lossy()),
                "stub": node.stub,
                "tags": node.tags,
                "implementations": node.implementations,
                "aliases": node.aliases,
            })
        })
        .collect();
    let edges: Vec<Value> = selection
        .edges
        .iter()
        .map(|e| {
            json!({
                "source": graph.node(e.source).id,
                "target": graph.node(e.target).id,
                "relation": e.relation(),
                "inferred": e.edge.inferred,
            })
        })
        .collect();
    json!({ "nodes": nodes, "edges": edges })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_support::{graph, note};

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
