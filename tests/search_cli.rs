//! `savoir search` end to end: the JSON shape, filters, typos, bad syntax, and the index in
//! `.savoir/index/` kept up to date note by note (and rebuilt when of an older schema).

mod common;

use common::{Run, savoir_in};
use std::path::{Path, PathBuf};

/// A copy of the bundled vault and a French `savoir.toml` in a temporary work folder.
struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes");
        std::fs::create_dir(&notes).unwrap();
        for entry in std::fs::read_dir(common::repo().join("notes")).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, notes.join(path.file_name().unwrap())).unwrap();
        }
        std::fs::write(dir.path().join("savoir.toml"), "language = \"fr\"\n").unwrap();
        Work { dir }
    }

    fn note(&self, name: &str) -> PathBuf {
        self.dir.path().join("notes").join(name)
    }

    fn search(&self, args: &[&str]) -> Run {
        let mut all = vec!["search"];
        all.extend_from_slice(args);
        savoir_in(self.dir.path(), &all)
    }

    fn ids(&self, query: &str) -> Vec<String> {
        let run = self.search(&[query, "--format", "json"]);
        run.expect_code(0);
        run.json()["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|hit| hit["id"].as_str().unwrap().to_string())
            .collect()
    }

    fn index_dir(&self) -> PathBuf {
        self.dir.path().join(".savoir/index")
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn json_hits_have_the_contract_fields_and_highlighted_snippets() {
    let work = Work::new();
    let run = work.search(&["réseaux récurrents", "--format", "json", "--limit", "3"]);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(json["query"], "réseaux récurrents");
    let hits = json["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    let first = &hits[0];
    assert_eq!(first["id"], "reseaux-de-neurones-recurrents-rnn");
    assert_eq!(first["title"], "Réseaux de neurones récurrents (RNN)");
    assert!(first["score"].as_f64().unwrap() > 0.0);
    assert!(
        first["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "séquences")
    );
    let snippet = first["snippet"].as_str().unwrap();
    assert!(snippet.contains("<b>"), "{snippet}");
    assert!(run.stderr.contains("indexed 21 notes"), "{}", run.stderr);
}

#[test]
fn text_output_lists_title_id_tags_and_snippet_without_escape_codes_off_a_terminal() {
    let work = Work::new();
    let run = work.search(&["backpropagation", "--limit", "1"]);
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with(" 1. Rétropropagation du gradient  retropropagation-du-gradient  "),
        "{}",
        run.stdout
    );
    assert!(lines[1].contains("optimisation"), "{}", run.stdout);
    assert!(!run.stdout.contains('\u{1b}'));
}

#[test]
fn an_english_alias_finds_the_french_concept_and_typos_are_forgiven() {
    let work = Work::new();
    assert_eq!(
        work.ids("backpropagation")[0],
        "retropropagation-du-gradient"
    );
    assert_eq!(work.ids("gradient descent")[0], "l-algorithme-du-gradient");
    let typo = work.ids("tranformer");
    assert!(
        typo[..2].contains(&"transformers-et-attention-en-nlp".to_string()),
        "{typo:?}"
    );
    assert_eq!(
        work.ids("reseaux de neurones recurents")[0],
        "reseaux-de-neurones-recurrents-rnn"
    );
}

#[test]
fn query_syntax_phrases_required_excluded_and_fields_work() {
    let work = Work::new();
    let phrase = work.ids("\"descente de gradient stochastique\"");
    assert_eq!(phrase[0], "l-algorithme-du-gradient");
    let without = work.ids("gradient -rétropropagation");
    assert!(!without.contains(&"retropropagation-du-gradient".to_string()));
    let title_only = work.ids("title:gradient");
    assert_eq!(title_only.len(), 2, "{title_only:?}");
    let required = work.ids("+lstm gradient");
    assert!(required.contains(&"long-short-term-memory-lstm".to_string()));
    assert!(
        !required.contains(&"l-algorithme-du-gradient".to_string()),
        "{required:?}"
    );
}

#[test]
fn tag_and_relation_filters_narrow_the_hits() {
    let work = Work::new();
    let run = work.search(&["gradient", "--tag", "Séquences", "--format", "json"]);
    let ids: Vec<String> = run.json()["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!ids.is_empty());
    for id in &ids {
        assert!(
            [
                "reseaux-de-neurones-recurrents-rnn",
                "long-short-term-memory-lstm",
                "gated-recurrent-unit-gru"
            ]
            .contains(&id.as_str()),
            "{ids:?}"
        );
    }
    let run = work.search(&["portes", "--relation", "subClassOf:RNN", "--format", "json"]);
    let ids: Vec<&str> = run.json()["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .map(|s| if s.starts_with("long") { "lstm" } else { "gru" })
        .collect();
    assert_eq!(ids.len(), 2, "{}", run.stdout);
}

#[test]
fn a_bad_query_gives_one_clear_error_line_and_exit_2() {
    let work = Work::new();
    let run = work.search(&["nosuchfield:gradient"]);
    run.expect_code(2);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    assert!(
        errors[0].starts_with("error: cannot read the query `nosuchfield:gradient`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("help:"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked") && !run.stderr.contains("Backtrace"));
    let bad_relation = work.search(&["x", "--relation", "subClassOf"]);
    bad_relation.expect_code(2);
    assert!(
        bad_relation.stderr.contains("RELATION:TARGET"),
        "{}",
        bad_relation.stderr
    );
}

#[test]
fn no_hit_says_so_and_suggests_the_closest_titles() {
    let work = Work::new();
    let run = work.search(&["zzzqqq wwwxxx"]);
    run.expect_code(0);
    assert!(
        run.stdout
            .starts_with("no concept matches \"zzzqqq wwwxxx\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("help: closest titles: \""),
        "{}",
        run.stdout
    );
    let json = work.search(&["zzzqqq wwwxxx", "--format", "json"]).json();
    assert_eq!(json["hits"].as_array().unwrap().len(), 0);
    assert_eq!(json["suggestions"].as_array().unwrap().len(), 3);
}

#[test]
fn only_changed_added_or_deleted_notes_are_reindexed() {
    let work = Work::new();
    assert!(
        work.search(&["gradient"])
            .stderr
            .contains("indexed 21 notes")
    );
    // Unchanged vault: nothing to do, nothing said.
    let quiet = work.search(&["gradient"]);
    assert_eq!(quiet.stderr, "", "{}", quiet.stderr);

    // Same content, new modification time: still nothing to re-index.
    let svm = work.note("Machines à vecteurs de support (SVM).md");
    let text = std::fs::read_to_string(&svm).unwrap();
    write(&svm, &text);
    assert_eq!(work.search(&["gradient"]).stderr, "");

    // One note edited: only it is re-indexed, and its new words are found.
    write(
        &svm,
        &text.replace(
            "## Généralité",
            "## Généralité\n\nLe mot zorglubisme est nouveau.",
        ),
    );
    let run = work.search(&["zorglubisme", "--format", "json"]);
    assert!(
        run.stderr.contains("1 note re-indexed, 0 notes removed"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.json()["hits"][0]["id"],
        "machines-a-vecteurs-de-support-svm"
    );

    // One note added, one deleted.
    write(
        &work.note("Nouvelle.md"),
        "---\ntitle: Nouvelle notion\n---\nUn texte sur le zorglubisme.\n",
    );
    std::fs::remove_file(work.note("Modèles de diffusion.md")).unwrap();
    let run = work.search(&["zorglubisme", "--format", "json"]);
    assert!(
        run.stderr.contains("1 note re-indexed, 1 note removed"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["hits"].as_array().unwrap().len(), 2);
    assert!(
        !work
            .ids("diffusion")
            .contains(&"modeles-de-diffusion".to_string())
    );
}

#[test]
fn an_index_of_an_older_schema_or_another_vault_is_rebuilt() {
    let work = Work::new();
    work.search(&["gradient"]).expect_code(0);
    let stamp = work.index_dir().join("savoir-index");
    let text = std::fs::read_to_string(&stamp).unwrap();
    assert!(text.starts_with("schema "), "{text}");
    write(&stamp, &text.replacen("schema ", "schema 0", 1));
    let run = work.search(&["gradient", "--format", "json"]);
    assert!(run.stderr.contains("indexed 21 notes"), "{}", run.stderr);
    assert_eq!(run.json()["hits"][0]["id"], "l-algorithme-du-gradient");
    // A damaged index is rebuilt too.
    for entry in std::fs::read_dir(work.index_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == "meta.json" {
            write(&path, "{ not json");
        }
    }
    let run = work.search(&["gradient"]);
    run.expect_code(0);
    assert!(run.stderr.contains("indexed 21 notes"), "{}", run.stderr);
}

#[test]
fn concurrent_searches_never_fail_or_corrupt_the_index() {
    let work = Work::new();
    let svm = work.note("Machines à vecteurs de support (SVM).md");
    let text = std::fs::read_to_string(&svm).unwrap();
    for round in 0..6 {
        write(&svm, &format!("{text}\nmot{round}zz\n"));
        let runs: Vec<Run> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..6)
                .map(|_| scope.spawn(|| work.search(&["gradient", "--format", "json"])))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for run in &runs {
            run.expect_code(0);
            assert_eq!(run.json()["hits"][0]["id"], "l-algorithme-du-gradient");
        }
    }
    assert_eq!(work.search(&["gradient"]).stderr, "");
}
