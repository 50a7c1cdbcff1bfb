//! `savoir check` and `savoir graph` on helper A's edge-case vault (`tests/fixtures/edge_vault`):
//! every broken note is reported with a file and a line that exist, every note stays in the
//! graph, hidden folders are skipped.

mod common;

use common::{fixture, savoir_on, with_code};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn vault() -> PathBuf {
    fixture("edge_vault")
}

fn report() -> Value {
    let run = savoir_on(&vault(), &["check", "--format", "json"]);
    run.expect_code(1);
    run.json()
}

/// The lines of a note, decoded leniently (one fixture is Latin-1 on purpose).
fn lines_of(file: &str) -> Vec<String> {
    let bytes = std::fs::read(vault().join(file)).unwrap();
    String::from_utf8_lossy(&bytes)
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect()
}

/// Markdown files of the vault outside hidden folders, `/`-separated and relative to it.
fn visible_notes(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.starts_with('.') {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            visible_notes(&entry.path(), &format!("{prefix}{name}/"), out);
        } else if name.ends_with(".md") {
            out.push(format!("{prefix}{name}"));
        }
    }
}

#[test]
fn each_broken_note_is_reported() {
    let report = report();
    for (code, file) in [
        ("yaml-syntax", "Couche cachée.md"),
        ("yaml-syntax", "Dropout.md"),
        ("not-utf8", "Encodage Latin-1.md"),
        ("frontmatter-unclosed", "Frontmatter non fermé.md"),
        ("empty-note", "Note vide.md"),
        ("duplicate-key", "Descente de gradient.md"),
    ] {
        assert!(
            with_code(&report, code).iter().any(|d| d["file"] == file),
            "no {code} for {file}: {report:#}"
        );
    }
    assert_eq!(with_code(&report, "duplicate-key").len(), 3, "{report:#}");
}

#[test]
fn every_diagnostic_points_at_a_line_that_says_what_it_reports() {
    let report = report();
    for d in report["diagnostics"].as_array().unwrap() {
        let file = d["file"].as_str().unwrap();
        let lines = lines_of(file);
        let line = d["line"].as_u64().unwrap() as usize;
        let column = d["column"].as_u64().unwrap() as usize;
        if lines.is_empty() {
            assert_eq!((line, column), (1, 1), "{d}");
            continue;
        }
        let text = lines
            .get(line - 1)
            .unwrap_or_else(|| panic!("no line {line} in {file}: {d}"));
        assert!(
            column <= text.chars().count() + 1,
            "column past the line end: {d}"
        );
        match d["code"].as_str().unwrap() {
            "duplicate-key" => {
                let key = text.split(':').next().unwrap();
                let earlier = lines[..line - 1]
                    .iter()
                    .any(|l| l.starts_with(&format!("{key}:")));
                assert!(earlier, "{key} not written earlier in {file}: {d}");
            }
            "dangling-link" => {
                let message = d["message"].as_str().unwrap();
                let target = message.split('`').nth(1).unwrap().trim_matches(['[', ']']);
                assert!(
                    text.contains(target),
                    "{target:?} not on line {line} of {file}: {d}"
                );
            }
            _ => {}
        }
    }
}

#[test]
fn every_visible_note_is_in_the_graph_and_hidden_ones_are_not() {
    let graph = savoir_on(&vault(), &["graph"]).expect_code(0).json();
    let paths: Vec<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["path"].as_str())
        .collect();
    let mut expected = Vec::new();
    visible_notes(&vault(), "", &mut expected);
    assert!(expected.contains(&"dossier/Note en dossier.md".to_string()));
    let mut sorted_paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    sorted_paths.sort();
    expected.sort();
    assert_eq!(sorted_paths, expected);
    let report = report();
    for d in report["diagnostics"].as_array().unwrap() {
        let file = d["file"].as_str().unwrap();
        assert!(!file.split('/').any(|part| part.starts_with('.')), "{d}");
    }
}

/// Whether the graph has a written edge `source —relation→ target`.
fn written(graph: &Value, source: &str, relation: &str, target: &str) -> bool {
    graph["edges"].as_array().unwrap().iter().any(|e| {
        e["source"] == source
            && e["relation"] == relation
            && e["target"] == target
            && e["inferred"] == false
    })
}

#[test]
fn links_of_every_form_become_edges() {
    let graph = savoir_on(&vault(), &["graph"]).expect_code(0).json();
    // Repeated and namespaced keys: every value kept, `rdfs:subClassOf` is `subClassOf`.
    for (relation, target) in [
        ("hasPart", "taux-d-apprentissage"),
        ("hasPart", "retropropagation"),
        ("hasPart", "normalisation-par-lots"),
        ("subClassOf", "apprentissage-automatique"),
        ("subClassOf", "mathematiques-du-reseau"),
    ] {
        assert!(
            written(&graph, "descente-de-gradient", relation, target),
            "{relation} {target}"
        );
    }
    // Body links: label, heading, block, embed, folder path, escaped pipe in a table.
    for target in [
        "perceptron",
        "reseau-de-neurones",
        "neurone-artificiel",
        "note-en-dossier",
    ] {
        assert!(
            written(&graph, "formes-de-liens", "linksTo", target),
            "{target}"
        );
    }
    // Nothing from code spans or fenced code.
    let stubs: Vec<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["stub"] == true)
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert!(
        !stubs.iter().any(|s| s.to_lowercase().contains("faux lien")),
        "{stubs:?}"
    );
    // A quoted link wrapped over two lines, and `type:` holding a link.
    assert!(written(
        &graph,
        "lien-replie",
        "seeAlso",
        "reseau-de-neurones"
    ));
    assert!(written(
        &graph,
        "lien-replie",
        "isPartOf",
        "apprentissage-automatique"
    ));
    assert!(written(&graph, "type-en-lien", "type", "concept"));
}

#[test]
fn inline_tags_are_listed_but_not_numbers_urls_or_code() {
    let listing = savoir_on(&vault(), &["list", "--tag", "ia", "--format", "json"])
        .expect_code(0)
        .json();
    let titles: Vec<&str> = listing["concepts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"Formes de liens"), "{titles:?}");
    let shown = savoir_on(&vault(), &["show", "Formes de liens", "--format", "json"])
        .expect_code(0)
        .json();
    let tags = shown["tags"].as_array().unwrap();
    assert!(tags.contains(&Value::from("ia/vision")), "{tags:?}");
    for not_a_tag in ["1984", "fragment", "code", "pas-un-tag"] {
        assert!(
            !tags.contains(&Value::from(not_a_tag)),
            "{not_a_tag} in {tags:?}"
        );
    }
}
