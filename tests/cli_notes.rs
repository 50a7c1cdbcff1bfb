//! The bundled vault `notes/`: it lints clean and every command works on it, run as a user
//! would from the repository root (default `--vault notes`).

mod common;

use common::{repo, savoir_in, with_code};

#[test]
fn bundled_vault_has_no_error_and_no_dangling_link() {
    let run = savoir_in(&repo(), &["check", "--format", "json"]);
    run.expect_code(0);
    let report = run.json();
    assert_eq!(report["errors"], 0, "{report:#}");
    let dangling = with_code(&report, "dangling-link");
    assert!(dangling.is_empty(), "dangling links: {dangling:#?}");
}

#[test]
fn bundled_vault_graph_has_no_stub_and_every_note() {
    let graph = savoir_in(&repo(), &["graph"]).expect_code(0).json();
    let nodes = graph["nodes"].as_array().unwrap();
    let notes = std::fs::read_dir(repo().join("notes"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "md")
        })
        .count();
    assert!(notes >= 15, "the bundled vault has {notes} notes");
    assert_eq!(nodes.iter().filter(|n| n["stub"] == false).count(), notes);
    let stubs: Vec<_> = nodes.iter().filter(|n| n["stub"] == true).collect();
    assert!(stubs.is_empty(), "stubs: {stubs:#?}");
}

#[test]
fn bundled_vault_seed_concept_shows_and_lists() {
    let shown = savoir_in(
        &repo(),
        &[
            "show",
            "apprentissage profond (deep learning)",
            "--format",
            "json",
        ],
    )
    .expect_code(0)
    .json();
    assert_eq!(shown["title"], "Apprentissage profond (Deep Learning)");
    assert!(
        shown["relations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["relation"] == "subClassOf"
                && r["target"]["title"] == "Techniques de l'intelligence artificielle")
    );
    let listing = savoir_in(
        &repo(),
        &["list", "--tag", "deep learning", "--format", "json"],
    )
    .expect_code(0)
    .json();
    assert!(
        listing["concepts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["title"] == "Apprentissage profond (Deep Learning)")
    );
}
