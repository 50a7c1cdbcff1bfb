//! `savoir check` run as a user would: JSON shape, codes with file and line, text rendering,
//! exit codes.

mod common;

use common::{fixture, savoir_on, with_code};
use serde_json::Value;

fn broken() -> std::path::PathBuf {
    fixture("check/broken_vault")
}

fn broken_report() -> Value {
    let run = savoir_on(&broken(), &["check", "--format", "json"]);
    run.expect_code(1);
    run.json()
}

#[test]
fn json_report_has_the_contract_shape() {
    let report = broken_report();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert!(!diagnostics.is_empty());
    for d in diagnostics {
        for key in [
            "severity", "code", "file", "line", "column", "message", "help",
        ] {
            assert!(d.get(key).is_some(), "missing {key} in {d}");
        }
        assert!(
            matches!(d["severity"].as_str(), Some("error" | "warning")),
            "{d}"
        );
        assert!(d["line"].as_u64().unwrap() >= 1, "{d}");
        assert!(d["column"].as_u64().unwrap() >= 1, "{d}");
    }
    let count = |s: &str| diagnostics.iter().filter(|d| d["severity"] == s).count() as u64;
    assert_eq!(report["errors"].as_u64(), Some(count("error")));
    assert_eq!(report["warnings"].as_u64(), Some(count("warning")));
}

/// (code, severity, file, line) for each broken note of the fixture.
const EXPECTED: &[(&str, &str, &str, u64)] = &[
    ("yaml-syntax", "error", "Yaml cassé.md", 4),
    ("frontmatter-unclosed", "error", "Bloc ouvert.md", 1),
    ("not-utf8", "error", "Latin1.md", 4),
    ("empty-note", "warning", "Vide.md", 1),
    ("duplicate-title", "error", "Doublon un.md", 2),
    ("slug-collision", "warning", "Été.md", 2),
    ("relation-cycle", "error", "Cycle A.md", 3),
    ("dangling-link", "warning", "Lien mort.md", 5),
    ("inverse-mismatch", "warning", "Inverse contredit.md", 3),
    ("self-reference", "warning", "Miroir.md", 3),
    ("unknown-key", "warning", "Clé mal écrite.md", 3),
    ("duplicate-key", "warning", "Clé répétée.md", 4),
    ("invalid-date", "warning", "Date invalide.md", 3),
    (
        "unknown-implementation",
        "warning",
        "Implémentation inconnue.md",
        3,
    ),
];

#[test]
fn every_broken_note_has_its_diagnostic_with_file_and_line() {
    let report = broken_report();
    for &(code, severity, file, line) in EXPECTED {
        let found = with_code(&report, code);
        assert!(
            found
                .iter()
                .any(|d| d["file"] == file && d["line"] == line && d["severity"] == severity),
            "no {severity} {code} at {file}:{line}; got {found:#?}"
        );
    }
}

#[test]
fn healthy_notes_have_no_diagnostic_and_every_note_stays_in_the_graph() {
    let report = broken_report();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    for healthy in ["Racine.md", "Feuille.md", "Tige.md"] {
        let own: Vec<_> = diagnostics
            .iter()
            .filter(|d| d["file"] == healthy)
            .collect();
        assert!(own.is_empty(), "{healthy} should be clean: {own:#?}");
    }
    let graph = savoir_on(&broken(), &["graph"]).expect_code(0).json();
    let paths: Vec<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["path"].as_str())
        .collect();
    for entry in std::fs::read_dir(broken()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            paths.contains(&name.as_str()),
            "{name} missing from the graph: {paths:?}"
        );
    }
    // The broken YAML note keeps its relation.
    let edges = graph["edges"].as_array().unwrap();
    assert!(edges.iter().any(|e| e["source"] == "yaml-casse"
        && e["target"] == "racine"
        && e["relation"] == "subClassOf"));
}

#[test]
fn dangling_link_suggests_the_closest_title() {
    let report = broken_report();
    let dangling = with_code(&report, "dangling-link");
    let d = dangling
        .iter()
        .find(|d| d["file"] == "Lien mort.md")
        .expect("dangling link in Lien mort.md");
    assert_eq!(d["column"], 6);
    assert!(d["help"].as_str().unwrap().contains("Racine"), "{d}");
}

#[test]
fn misspelt_key_suggests_the_known_key() {
    let report = broken_report();
    let d = with_code(&report, "unknown-key");
    assert!(
        d.iter()
            .any(|d| d["help"].as_str().unwrap().contains("subClassOf")),
        "{d:#?}"
    );
}

#[test]
fn text_output_is_rustc_style_with_the_quoted_line_and_a_summary() {
    let run = savoir_on(&broken(), &["check"]);
    run.expect_code(1);
    let text = &run.stdout;
    assert!(text.contains("warning[dangling-link]: "), "{text}");
    assert!(
        text.contains("--> broken_vault/Lien mort.md:5:6\n"),
        "{text}"
    );
    assert!(
        text.contains("5 | voir [[Racin]] pour les détails.\n"),
        "{text}"
    );
    assert!(text.contains("  |      ^\n"), "{text}");
    assert!(text.contains("= help: "), "{text}");
    assert!(text.contains("error[duplicate-title]: "), "{text}");
    let report = broken_report();
    let summary = format!(
        "{} errors, {} warnings\n",
        report["errors"], report["warnings"]
    );
    assert!(
        text.ends_with(&summary),
        "summary {summary:?} not at the end of:\n{text}"
    );
    assert!(
        !text.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn warnings_alone_pass_unless_denied() {
    let vault = fixture("check/warning_vault");
    let run = savoir_on(&vault, &["check", "--format", "json"]);
    run.expect_code(0);
    let report = run.json();
    assert_eq!(report["errors"], 0);
    assert!(report["warnings"].as_u64().unwrap() >= 2, "{report}");
    assert_eq!(with_code(&report, "dangling-link").len(), 2, "{report}");
    savoir_on(&vault, &["check", "--deny-warnings"]).expect_code(1);
}

#[test]
fn a_clean_vault_exits_0() {
    let run = savoir_on(
        &fixture("graph/schema_vault"),
        &["check", "--format", "json"],
    );
    run.expect_code(0);
    let report = run.json();
    assert_eq!(report["diagnostics"], serde_json::json!([]), "{report}");
    let run = savoir_on(
        &fixture("graph/schema_vault"),
        &["check", "--deny-warnings"],
    );
    run.expect_code(0);
    assert_eq!(run.stdout, "0 errors, 0 warnings\n");
}
