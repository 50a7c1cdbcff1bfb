//! The HTML of fixture notes, compared with reviewed snapshots in `tests/snapshots/`.
//! After a deliberate change, `UPDATE_SNAPSHOTS=1 cargo test --test site_render` rewrites
//! them; review the diff before committing.

mod common;

use common::{fixture, repo, savoir_on};
use std::fs;
use std::path::{Path, PathBuf};

/// Builds a fixture vault of `tests/fixtures/site/` into a temporary folder.
fn build(vault: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    savoir_on(
        &fixture(&format!("site/{vault}")),
        &["build", "--no-demos", "--out", out.to_str().unwrap()],
    )
    .expect_code(0);
    (dir, out)
}

/// The `<main>` element of a page: what the note and its graph decide (the header and the
/// asset names around it are the same on every page).
fn main_of(page: &Path) -> String {
    let html = fs::read_to_string(page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
    let start = html.find("<main").expect("a <main> element");
    let end = html.find("</main>").expect("a </main> end") + "</main>".len();
    html[start..end].to_string()
}

/// Compares `actual` with the snapshot `name`, or writes it when `UPDATE_SNAPSHOTS` is set.
fn assert_snapshot(name: &str, actual: &str) {
    let path = repo().join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with UPDATE_SNAPSHOTS=1 and review it",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from its snapshot from line {}:\n expected: {:?}\n   actual: {:?}\n(UPDATE_SNAPSHOTS=1 rewrites it)",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

#[test]
fn concept_pages_match_their_snapshots() {
    let (_dir, site) = build("basic");
    for (page, snapshot) in [
        (
            "concepts/reseau-de-neurones.html",
            "reseau-de-neurones.html",
        ),
        ("concepts/modele.html", "modele.html"),
        (
            "concepts/graphe-de-calcul.html",
            "stub-graphe-de-calcul.html",
        ),
    ] {
        assert_snapshot(snapshot, &main_of(&site.join(page)));
    }
}

#[test]
fn the_xss_vault_page_matches_its_snapshot() {
    let (_dir, site) = build("xss");
    let page = fs::read_dir(site.join("concepts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap() != "cible.html" && !main_of(p).contains("stub-notice"))
        .expect("the attack page");
    assert_snapshot("xss-attaque.html", &main_of(&page));
}

#[test]
fn every_markdown_feature_is_rendered() {
    let (_dir, site) = build("basic");
    let html = main_of(&site.join("concepts/reseau-de-neurones.html"));
    let expect = [
        ("table", "<table>"),
        (
            "right-aligned cell",
            "<th class=\"align-right\">Taille</th>",
        ),
        ("task list", "type=\"checkbox\""),
        ("strikethrough", "<del>ancien</del>"),
        ("highlight", "<mark>important</mark>"),
        ("footnote", "class=\"footnote-definition\""),
        ("callout", "class=\"callout callout-warning\""),
        ("folded callout", "<details class=\"callout callout-tip\">"),
        ("inline math", "<math><mi>h</mi>"),
        ("display math", "<math display=\"block\">"),
        ("highlighted code", "hl-storage hl-type"),
        ("heading anchor", "<h2 id=\"formules\">"),
        ("toc", "href=\"#mise-en-forme\""),
        ("link to a heading", "href=\"modele.html#definition\""),
        ("link to a block", "href=\"modele.html#%5Edef\""),
        ("missing concept", "class=\"internal missing\""),
        ("sized image", "width=\"300\""),
        ("sized image by path", "width=\"120\" height=\"60\""),
        ("attachment link", "href=\"../files/cours.pdf\""),
        (
            "remote image as a link",
            "href=\"https://example.org/x.png\"",
        ),
        ("embedded section", "Un neurone calcule une somme pondérée"),
        ("hover preview", "title=\"Un neurone calcule"),
        ("breadcrumb", "class=\"breadcrumb\""),
        ("inferred relation", "class=\"inferred\""),
        ("unknown key", "<th scope=\"row\">niveau</th>"),
        ("French date", "8 avril 2025"),
    ];
    for (what, needle) in expect {
        assert!(html.contains(needle), "{what}: no {needle:?} in\n{html}");
    }
    for gone in [
        "brouillon caché",
        "==important==",
        "https://example.org/x.png\" alt",
    ] {
        assert!(!html.contains(gone), "{gone:?} should not be on the page");
    }
    // The embedded section stops before the next heading of the embedded note.
    assert!(!html.contains("Rosenblatt"), "the embed took too much");
}

#[test]
fn embeds_that_loop_stop() {
    let (_dir, site) = build("basic");
    // Modèle embeds Réseau de neurones, which embeds a section of Neurone and Modèle
    // again: that last one is a link, not a third embed.
    let html = main_of(&site.join("concepts/modele.html"));
    assert_eq!(html.matches("class=\"embed\"").count(), 2, "{html}");
}
