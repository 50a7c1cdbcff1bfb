//! `savoir graph`: every export format, the relation filter, the schema extension, paths.

mod common;

use common::{fixture, node, savoir_in, savoir_on};
use serde_json::{Value, json};

fn vault() -> std::path::PathBuf {
    fixture("graph/schema_vault")
}

/// `savoir graph args…` inside the vault, so its `savoir.toml` applies.
fn graph(args: &[&str]) -> common::Run {
    let mut all = vec!["--vault", ".", "graph"];
    all.extend_from_slice(args);
    savoir_in(&vault(), &all)
}

fn edges(graph: &Value) -> &Vec<Value> {
    graph["edges"].as_array().expect("edges is an array")
}

fn has_edge(graph: &Value, source: &str, relation: &str, target: &str, inferred: bool) -> bool {
    edges(graph).contains(&json!({
        "source": source, "target": target, "relation": relation, "inferred": inferred
    }))
}

#[test]
fn json_export_has_the_contract_shape() {
    let g = graph(&[]).expect_code(0).json();
    let adam = node(&g, "adam").expect("node adam");
    assert_eq!(adam["title"], "Adam");
    assert_eq!(adam["path"], "Adam.md");
    assert_eq!(adam["stub"], false);
    assert_eq!(adam["tags"], json!(["optimisation/adaptatif"]));
    assert_eq!(adam["implementations"], json!([]));
    assert_eq!(g["nodes"].as_array().unwrap().len(), 6);
    assert!(has_edge(&g, "adam", "subClassOf", "optimiseur", false));
    assert!(has_edge(&g, "optimiseur", "hasSubClass", "adam", true));
    assert!(has_edge(&g, "adam", "linksTo", "moment", false));
}

#[test]
fn the_config_file_extends_the_schema() {
    let with = graph(&[]).expect_code(0).json();
    assert!(has_edge(&with, "moyenne-mobile", "usedBy", "adam", true));
    assert!(has_edge(&with, "moment", "isDependencyOf", "adam", true));
    assert!(has_edge(&with, "sgd", "contrasts", "adam", true));
    // Run from elsewhere, the vault's savoir.toml is not read: only the written edges remain.
    let without = savoir_on(&vault(), &["graph"]).expect_code(0).json();
    assert!(has_edge(&without, "adam", "uses", "moyenne-mobile", false));
    assert!(!edges(&without).iter().any(|e| e["relation"] == "usedBy"));
    // An explicit --config works from anywhere.
    let config = vault().join("savoir.toml");
    let explicit = savoir_on(&vault(), &["--config", config.to_str().unwrap(), "graph"])
        .expect_code(0)
        .json();
    assert_eq!(explicit, with);
}

#[test]
fn relation_filter_keeps_only_those_edges() {
    let g = graph(&["--relation", "subClassOf", "--relation", "rdfs:seeAlso"])
        .expect_code(0)
        .json();
    assert!(!edges(&g).is_empty());
    assert!(
        edges(&g).iter().all(|e| e["relation"] == "subClassOf"),
        "{g}"
    );
    // Moyenne mobile has no subClassOf edge, so it is left out.
    assert!(node(&g, "moyenne-mobile").is_none());
}

#[test]
fn dot_export() {
    let run = graph(&["--format", "dot"]);
    run.expect_code(0);
    assert!(run.stdout.starts_with("digraph"), "{}", run.stdout);
    assert!(run.stdout.contains("subClassOf"));
}

#[test]
fn graphml_export_is_xml() {
    let run = graph(&["--format", "graphml"]);
    run.expect_code(0);
    let xml = run.stdout.trim_start();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains("<graphml") && xml.trim_end().ends_with("</graphml>"),
        "{xml}"
    );
    assert!(xml.contains("subClassOf"));
}

#[test]
fn jsonld_export_uses_rdf_vocabularies() {
    let doc = graph(&["--format", "jsonld"]).expect_code(0).json();
    assert!(doc.get("@context").is_some(), "{doc}");
    let text = doc.to_string();
    assert!(text.contains("rdfs:subClassOf"), "{text}");
}

#[test]
fn mermaid_export() {
    let run = graph(&["--format", "mermaid"]);
    run.expect_code(0);
    assert!(run.stdout.starts_with("graph"), "{}", run.stdout);
}

#[test]
fn output_file_holds_the_export_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("graph.dot");
    let run = graph(&["--format", "dot", "-o", file.to_str().unwrap()]);
    run.expect_code(0);
    assert!(run.stdout.is_empty());
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written, graph(&["--format", "dot"]).stdout);
}

#[test]
fn path_between_two_concepts_as_text() {
    let run = graph(&[
        "--from",
        "AdamW",
        "--to",
        "moyenne mobile",
        "--relation",
        "dependsOn",
        "--format",
        "text",
    ]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "AdamW —dependsOn→ Adam —dependsOn→ Moment —dependsOn→ Moyenne mobile\n"
    );
}

#[test]
fn path_walked_against_an_edge_is_marked() {
    let run = graph(&[
        "--from",
        "Optimiseur",
        "--to",
        "AdamW",
        "--relation",
        "subClassOf",
        "--format",
        "text",
    ]);
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "Optimiseur ←subClassOf— Adam ←subClassOf— AdamW\n"
    );
}

#[test]
fn path_as_json() {
    let p = graph(&[
        "--from",
        "AdamW",
        "--to",
        "Optimiseur",
        "--relation",
        "subClassOf",
    ])
    .expect_code(0)
    .json();
    assert_eq!(p["found"], true);
    let ids: Vec<&str> = p["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["adamw", "adam", "optimiseur"]);
    assert_eq!(
        p["steps"][0],
        json!({"source":"adamw","target":"adam","relation":"subClassOf","inferred":false,"forward":true})
    );
}

#[test]
fn no_path_exits_1() {
    let run = graph(&[
        "--from",
        "SGD",
        "--to",
        "Moment",
        "--relation",
        "subClassOf",
        "--format",
        "json",
    ]);
    run.expect_code(1);
    let p = run.json();
    assert_eq!(p["found"], false);
    assert_eq!(p["path"], Value::Null);
    let run = graph(&[
        "--from",
        "SGD",
        "--to",
        "Moment",
        "--relation",
        "uses",
        "--format",
        "text",
    ]);
    run.expect_code(1);
    assert_eq!(run.stdout, "no path between \"SGD\" and \"Moment\"\n");
}

#[test]
fn text_export_is_one_edge_per_line() {
    let run = graph(&["--format", "text", "--relation", "subClassOf"]);
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "Adam —subClassOf→ Optimiseur",
            "AdamW —subClassOf→ Adam",
            "SGD —subClassOf→ Optimiseur"
        ]
    );
}
