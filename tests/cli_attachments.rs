//! Attachments (non-Markdown files) in a vault: links and embeds to them resolve by file name
//! or by path, are never stubs nor dangling links, and stay out of the graph's exports; a link
//! to a file that exists nowhere is a dangling link.

mod common;

use common::{fixture, savoir_on, with_code};
use savoir::vault::{self, Bodies};
use std::path::{Path, PathBuf};

fn vault_dir() -> PathBuf {
    fixture("attachments")
}

#[test]
fn the_vault_lists_its_attachments_and_resolves_them_like_obsidian() {
    let vault = vault::load_with(&vault_dir(), Bodies::Skip).unwrap();
    let paths: Vec<String> = vault
        .attachments
        .iter()
        .map(|a| a.path.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "a/double.png",
            "b/double.png",
            "files/cours.pdf",
            "img/mon schema.png",
            "schema.png"
        ],
        "every non-Markdown file, none from .obsidian"
    );
    let resolve = |target: &str, from: &str| {
        vault
            .resolve_attachment(target, Path::new(from))
            .map(|a| a.path.to_string_lossy().into_owned())
    };
    assert_eq!(
        resolve("cours.pdf", "Cours.md").as_deref(),
        Some("files/cours.pdf")
    );
    assert_eq!(
        resolve("double.png", "b/Note b.md").as_deref(),
        Some("b/double.png")
    );
    assert_eq!(
        resolve("a/double.png", "b/Note b.md").as_deref(),
        Some("a/double.png")
    );
    assert_eq!(
        resolve("img/mon schema.png", "Cours.md").as_deref(),
        Some("img/mon schema.png")
    );
    assert_eq!(resolve("absent.png", "Cours.md"), None);
    let embeds: Vec<_> = vault.notes[1]
        .body_links
        .iter()
        .filter(|l| l.embed)
        .map(|l| l.target.as_str())
        .collect();
    assert!(
        embeds.contains(&"img/mon schema.png"),
        "percent-decoded: {embeds:?}"
    );
}

#[test]
fn only_the_missing_file_is_a_dangling_link() {
    let run = savoir_on(&vault_dir(), &["check", "--format", "json"]);
    run.expect_code(0);
    let report = run.json();
    let dangling = with_code(&report, "dangling-link");
    assert_eq!(dangling.len(), 1, "{report:#}");
    assert_eq!(dangling[0]["file"], "Cours.md");
    assert_eq!(dangling[0]["line"], 13);
    assert!(
        dangling[0]["message"]
            .as_str()
            .unwrap()
            .contains("absent.png"),
        "{}",
        dangling[0]
    );
    assert!(
        dangling[0]["help"]
            .as_str()
            .unwrap()
            .contains("add `absent.png`"),
        "{}",
        dangling[0]
    );
    assert_eq!(report["warnings"], 1);
}

#[test]
fn exports_hold_concepts_only_and_markdown_links_to_notes_are_edges() {
    let run = savoir_on(&vault_dir(), &["graph", "--format", "json"]);
    let graph = run.expect_code(0).json();
    let titles: Vec<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["Autre note", "Cours", "Note b"],
        "no attachment, no stub"
    );
    let cours_links: Vec<&str> = graph["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["source"] == "cours" && e["relation"] == "linksTo")
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        cours_links,
        ["autre-note"],
        "[l'autre note](Autre%20note.md)"
    );
    for format in ["dot", "jsonld", "graphml", "mermaid", "text"] {
        let export = savoir_on(&vault_dir(), &["graph", "--format", format]);
        let text = &export.expect_code(0).stdout;
        for file in [".png", ".pdf", "absent"] {
            assert!(
                !text.contains(file),
                "{format} export mentions {file}:\n{text}"
            );
        }
    }
}
