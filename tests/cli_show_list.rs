//! `savoir show` and `savoir list` on a small vault with a schema extension.

mod common;

use common::{fixture, savoir_in, savoir_on};
use serde_json::{Value, json};

fn vault() -> std::path::PathBuf {
    fixture("graph/schema_vault")
}

/// `savoir show` run inside the vault, so its `savoir.toml` applies.
fn show(args: &[&str]) -> common::Run {
    let mut all = vec!["--vault", ".", "show"];
    all.extend_from_slice(args);
    savoir_in(&vault(), &all)
}

fn relation<'a>(shown: &'a Value, relation: &str, target: &str) -> Option<&'a Value> {
    shown["relations"]
        .as_array()?
        .iter()
        .find(|r| r["relation"] == relation && r["target"]["id"] == target)
}

#[test]
fn show_json_has_metadata_explicit_and_inferred_relations_and_backlinks() {
    let shown = show(&["adam", "--format", "json"]).expect_code(0).json();
    assert_eq!(shown["id"], "adam");
    assert_eq!(shown["title"], "Adam");
    assert_eq!(shown["path"], "Adam.md");
    assert_eq!(shown["tags"], json!(["optimisation/adaptatif"]));
    let sub = relation(&shown, "subClassOf", "optimiseur").expect("subClassOf Optimiseur");
    assert_eq!(sub["inferred"], false);
    // Inferred from AdamW's `subClassOf: [[Adam]]` and from the extended schema.
    assert_eq!(
        relation(&shown, "hasSubClass", "adamw").unwrap()["inferred"],
        true
    );
    assert_eq!(
        relation(&shown, "isDependencyOf", "adamw").unwrap()["inferred"],
        true
    );
    assert_eq!(
        relation(&shown, "uses", "moyenne-mobile").unwrap()["inferred"],
        false
    );
    let backlinks: Vec<&str> = shown["backlinks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(backlinks, ["adamw"]);
}

#[test]
fn show_finds_a_concept_by_alias_stem_or_slug_case_insensitively() {
    for name in ["optimizer", "OPTIMISEUR", "Optimiseur.md", "optimiseur"] {
        let shown = show(&[name, "--format", "json"]).expect_code(0).json();
        assert_eq!(shown["id"], "optimiseur", "{name}");
    }
    let shown = show(&["descente de gradient stochastique", "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(shown["id"], "sgd");
}

#[test]
fn show_text_lists_sections_and_marks_inferred_relations() {
    let run = show(&["Adam"]);
    run.expect_code(0);
    let text = &run.stdout;
    assert!(text.starts_with("Adam\n"), "{text}");
    assert!(text.contains("Adam.md"), "{text}");
    assert!(text.contains("optimisation/adaptatif"), "{text}");
    let explicit = text.find("\nrelations\n").expect("relations section");
    let inferred = text
        .find("\ninferred relations\n")
        .expect("inferred section");
    let backlinks = text.find("\nbacklinks\n").expect("backlinks section");
    assert!(explicit < inferred && inferred < backlinks, "{text}");
    let has_line = |section: &str, relation: &str, rest: &str| {
        section
            .lines()
            .any(|l| l.trim_start().starts_with(relation) && l.ends_with(rest))
    };
    assert!(
        has_line(
            &text[inferred..backlinks],
            "hasSubClass ",
            "→ AdamW (inferred)"
        ),
        "{text}"
    );
    assert!(
        has_line(&text[explicit..inferred], "subClassOf ", "→ Optimiseur"),
        "{text}"
    );
}

#[test]
fn show_a_stub() {
    let vault = fixture("check/broken_vault");
    let shown = savoir_on(&vault, &["show", "Racin", "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(shown["stub"], true);
    assert_eq!(shown["path"], Value::Null);
    assert_eq!(shown["backlinks"][0]["title"], "Lien mort");
}

fn listed_titles(args: &[&str]) -> Vec<String> {
    let mut all = vec!["list", "--format", "json"];
    all.extend_from_slice(args);
    let listing = savoir_on(&vault(), &all).expect_code(0).json();
    listing["concepts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn list_gives_every_note_sorted_by_title() {
    assert_eq!(
        listed_titles(&[]),
        [
            "Adam",
            "AdamW",
            "Moment",
            "Moyenne mobile",
            "Optimiseur",
            "SGD"
        ]
    );
}

#[test]
fn list_tag_matches_case_insensitively_and_nested_tags() {
    assert_eq!(
        listed_titles(&["--tag", "OPTIMISATION"]),
        ["Adam", "AdamW", "Moment", "Optimiseur", "SGD"]
    );
    assert_eq!(
        listed_titles(&["--tag", "optimisation/adaptatif"]),
        ["Adam", "AdamW"]
    );
    assert_eq!(
        listed_titles(&["--tag", "#statistiques"]),
        ["Moyenne mobile"]
    );
    assert!(listed_titles(&["--tag", "optim"]).is_empty());
}

#[test]
fn list_text_is_one_concept_per_line_with_its_tags() {
    let run = savoir_on(&vault(), &["list", "--tag", "statistiques"]);
    run.expect_code(0);
    assert_eq!(run.stdout, "Moyenne mobile  statistiques\n");
    let run = savoir_on(&vault(), &["list"]);
    assert_eq!(run.stdout.lines().count(), 6);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("SGD ") && l.ends_with("optimisation"))
    );
}
