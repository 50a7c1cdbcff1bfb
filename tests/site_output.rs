//! What `savoir build` writes: attachments (only the referenced ones), relative links,
//! data files, the sitemap, the refusal to replace a folder it did not write, and
//! byte-identical output from two builds.

mod common;

use common::{fixture, savoir_on};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn build_into(vault: &str, out: &Path, extra: &[&str]) -> common::Run {
    let mut args = vec!["build", "--no-demos", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    savoir_on(&fixture(&format!("site/{vault}")), &args)
}

/// Every file of a folder, by path relative to it.
fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(root).unwrap().to_path_buf(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn referenced_attachments_are_copied_and_only_those() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    build_into("basic", &out, &[]).expect_code(0);
    let vault = fixture("site/basic");
    for copied in ["files/img/schema.png", "files/cours.pdf"] {
        let original = vault.join(copied.trim_start_matches("files/"));
        assert_eq!(
            fs::read(out.join(copied)).unwrap(),
            fs::read(original).unwrap(),
            "{copied}"
        );
    }
    assert!(
        !out.join("files/unused.png").exists(),
        "unreferenced attachments stay out"
    );
    let page = fs::read_to_string(out.join("concepts/reseau-de-neurones.html")).unwrap();
    assert!(
        page.contains(r#"<img src="../files/img/schema.png" alt="schema.png" width="300""#),
        "{page}"
    );
}

#[test]
fn every_link_is_relative_and_every_page_has_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    build_into("basic", &out, &[]).expect_code(0);
    for (path, bytes) in files(&out) {
        if path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        assert!(
            html.contains("http-equiv=\"Content-Security-Policy\""),
            "{}",
            path.display()
        );
        assert!(
            !html.contains("<script>"),
            "inline script in {}",
            path.display()
        );
        for attr in ["href=\"/", "src=\"/", "src=\"http", "href=\"file:"] {
            assert!(!html.contains(attr), "{attr} in {}", path.display());
        }
    }
    for data in ["graph.json", "graph.jsonld"] {
        let text = fs::read_to_string(out.join(data)).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|e| panic!("{data}: {e}"));
    }
    let assets: Vec<String> = fs::read_dir(out.join("assets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        assets
            .iter()
            .any(|a| a.starts_with("style.") && a.len() > "style.css".len() + 8),
        "fingerprinted style sheet: {assets:?}"
    );
    assert!(
        !out.join("sitemap.xml").exists(),
        "no sitemap without a base URL"
    );
}

#[test]
fn the_sitemap_lists_pages_under_the_base_url() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    build_into("basic", &out, &["--base-url", "https://example.org/cours/"]).expect_code(0);
    let sitemap = fs::read_to_string(out.join("sitemap.xml")).unwrap();
    assert!(
        sitemap.contains("<loc>https://example.org/cours/concepts/modele.html</loc>"),
        "{sitemap}"
    );
    assert!(
        sitemap.contains("<loc>https://example.org/cours/index.html</loc>"),
        "{sitemap}"
    );
}

#[test]
fn two_builds_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    build_into("basic", &a, &[]).expect_code(0);
    build_into("basic", &b, &[]).expect_code(0);
    let (first, second) = (files(&a), files(&b));
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &first {
        assert!(
            second[path] == *bytes,
            "{} differs between builds",
            path.display()
        );
    }
}

#[test]
fn a_folder_it_did_not_write_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("thesis");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("chapter1.tex"), "précieux").unwrap();
    let run = build_into("basic", &out, &[]);
    run.expect_code(2);
    assert!(run.stderr.contains("refusing to replace"), "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(out.join("chapter1.tex")).unwrap(),
        "précieux"
    );
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary folder left"
    );
}

#[test]
fn a_rebuild_replaces_the_previous_site_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    build_into("basic", &out, &[]).expect_code(0);
    fs::write(out.join("concepts/stale.html"), "old page").unwrap();
    build_into("basic", &out, &[]).expect_code(0);
    assert!(!out.join("concepts/stale.html").exists());
    assert!(out.join("index.html").exists());
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary folder left"
    );
}

#[test]
fn pages_speak_the_vault_language() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    build_into("basic", &out, &[]).expect_code(0);
    let home = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(home.contains("<html lang=\"fr\">"), "{home}");
    assert!(
        home.contains("Points d’entrée") && home.contains("Modifiés récemment"),
        "{home}"
    );
    assert!(home.contains("8 avril 2025"), "{home}");
    let stub = fs::read_to_string(out.join("concepts/graphe-de-calcul.html")).unwrap();
    assert!(
        stub.contains("Pas encore écrit") && stub.contains("Référencé par"),
        "{stub}"
    );
    let tag = fs::read_to_string(out.join("tags/ia.html")).unwrap();
    assert!(
        tag.contains("ia/apprentissage"),
        "nested tag listed under its parent: {tag}"
    );
}

#[test]
fn a_rebuild_reuses_what_did_not_change_and_redoes_what_did() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("basic");
    for (rel, bytes) in files(&fixture("site/basic")) {
        fs::create_dir_all(vault.join(&rel).parent().unwrap()).unwrap();
        fs::write(vault.join(&rel), bytes).unwrap();
    }
    let build = || {
        common::savoir_in(
            dir.path(),
            &["--vault", "basic", "build", "--no-demos", "--out", "site"],
        )
        .expect_code(0);
    };
    let inode = |rel: &str| {
        fs::metadata(dir.path().join("site").join(rel))
            .unwrap()
            .ino()
    };
    let watched = [
        "graph.html",
        "search/index.js",
        "concepts/neurone.html",
        "graph.json",
    ];
    build();
    let first = watched.map(inode);
    build();
    assert_eq!(
        watched.map(inode),
        first,
        "nothing changed: every file reused"
    );

    // Modèle is embedded in Réseau de neurones, not in Neurone.
    let note = vault.join("Modèle.md");
    let text = fs::read_to_string(&note).unwrap();
    fs::write(&note, format!("{text}\nUn mot rare : zythogala.\n")).unwrap();
    build();
    let now = watched.map(inode);
    assert_eq!(
        now[0], first[0],
        "the graph did not change: its page is reused"
    );
    assert_ne!(
        now[1], first[1],
        "a body changed: the search index is made again"
    );
    assert_eq!(now[2], first[2], "another note's page is reused");
    let index = files(&dir.path().join("site/search"));
    assert!(
        index
            .values()
            .any(|bytes| String::from_utf8_lossy(bytes).contains("zythogal")),
        "the new word is searchable"
    );

    // A new link changes the graph: its exports are made again.
    let linked = |json: &serde_json::Value| {
        json["edges"].as_array().unwrap().iter().any(|e| {
            e["source"] == "modele" && e["target"] == "neurone" && e["relation"] == "linksTo"
        })
    };
    let read_json = || -> serde_json::Value {
        serde_json::from_slice(&fs::read(dir.path().join("site/graph.json")).unwrap()).unwrap()
    };
    assert!(!linked(&read_json()));
    let text = fs::read_to_string(&note).unwrap();
    fs::write(&note, format!("{text}\nVoir [[Neurone]].\n")).unwrap();
    build();
    assert_ne!(inode("graph.json"), now[3], "the graph changed");
    assert!(linked(&read_json()), "the export holds the new link");

    // The sentence around that link changes, not the link: Neurone's backlink shows it.
    let neurone = || fs::read_to_string(dir.path().join("site/concepts/neurone.html")).unwrap();
    assert!(neurone().contains("Voir Neurone."), "{}", neurone());
    let text = fs::read_to_string(&note).unwrap();
    fs::write(
        &note,
        text.replace("Voir [[Neurone]].", "Relire [[Neurone]] lentement."),
    )
    .unwrap();
    build();
    assert!(
        neurone().contains("Relire Neurone lentement."),
        "{}",
        neurone()
    );

    // A linked note's first sentence changes, nothing else: the page that links to it (here
    // through an inferred relation) shows the new hover preview.
    let perceptron = |sentence: &str| {
        let text = format!("---\ntitle: Perceptron\nsubClassOf: '[[Neurone]]'\n---\n{sentence}\n");
        fs::write(vault.join("Perceptron.md"), text).unwrap();
        build();
        neurone()
    };
    let before = perceptron("Le perceptron somme ses entrées.");
    assert!(
        before.contains("title=\"Le perceptron somme ses entrées.\""),
        "{before}"
    );
    let after = perceptron("Le perceptron apprend par corrections successives.");
    assert!(
        after.contains("title=\"Le perceptron apprend par corrections successives.\""),
        "{after}"
    );
}
