//! The vault parser on `tests/fixtures/edge_vault`: one note per case real vaults contain
//! (each note's first body line says which), plus properties over arbitrary input.

use savoir::diagnostic::{Code, Severity};
use savoir::vault::{self, Note, Vault};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/edge_vault")
}

fn edge_vault() -> &'static Vault {
    static VAULT: OnceLock<Vault> = OnceLock::new();
    VAULT.get_or_init(|| vault::load(&fixture_root()).expect("the edge vault loads"))
}

fn edge_note(path: &str) -> &'static Note {
    edge_vault()
        .notes
        .iter()
        .find(|note| note.path == Path::new(path))
        .unwrap_or_else(|| panic!("no note {path} in the edge vault"))
}

/// `(relation name, target)` of every relation, in file order.
fn relations(note: &Note) -> Vec<(&str, &str)> {
    note.relations
        .iter()
        .map(|relation| (relation.name.as_str(), relation.link.target.as_str()))
        .collect()
}

fn codes(note: &Note) -> Vec<Code> {
    note.diagnostics
        .iter()
        .map(|diagnostic| diagnostic.code)
        .collect()
}

fn body_targets(note: &Note) -> Vec<&str> {
    note.body_links
        .iter()
        .map(|link| link.target.as_str())
        .collect()
}

#[test]
fn loads_every_note_sorted_and_skips_hidden_files() {
    let paths: Vec<_> = edge_vault()
        .notes
        .iter()
        .map(|note| note.path.to_str().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert_eq!(paths.len(), 24, "{paths:#?}");
    assert!(paths.contains(&"dossier/Note en dossier.md"));
    assert!(
        paths
            .iter()
            .all(|path| !path.contains("/.") && !path.starts_with('.')),
        "{paths:#?}"
    );
    assert!(
        edge_vault()
            .notes
            .iter()
            .all(|note| !note.title.contains("Ne doit pas"))
    );
}

#[test]
fn notes_come_in_path_order_folder_by_folder() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["a-c.md", "a b.md", "a b/y.md", "a/x.md", "A.md", "a/b/z.md"] {
        let path = dir.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "---\ntitle: T\n---\n").unwrap();
    }
    let loaded = vault::load(dir.path()).unwrap();
    let paths: Vec<&Path> = loaded
        .notes
        .iter()
        .map(|note| note.path.as_path())
        .collect();
    let mut by_path = paths.clone();
    by_path.sort();
    assert_eq!(paths, by_path);
    let expected = ["A.md", "a/b/z.md", "a/x.md", "a b/y.md", "a b.md", "a-c.md"];
    assert_eq!(paths, expected.map(Path::new));
}

#[test]
fn a_missing_root_is_an_error_naming_it() {
    let missing = fixture_root().join("absent");
    let error = vault::load(&missing).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("absent") && message.contains("--vault"),
        "{message}"
    );
    let file = fixture_root().join("Perceptron.md");
    assert!(
        vault::load(&file)
            .unwrap_err()
            .to_string()
            .contains("not a folder")
    );
}

#[test]
fn reads_a_valid_note_completely() {
    let note = edge_note("Réseau de neurones.md");
    assert_eq!(note.title, "Réseau de neurones");
    assert_eq!(note.aliases, ["Réseau neuronal", "Neural network"]);
    assert_eq!(note.tags, ["réseaux de neurones", "apprentissage profond"]);
    assert_eq!(note.kind.as_deref(), Some("concept"));
    assert_eq!(note.created.as_ref().unwrap().value, "2025-03-03");
    assert_eq!(note.created.as_ref().unwrap().span.line, 10);
    assert_eq!(
        relations(note),
        [
            ("subClassOf", "Apprentissage automatique"),
            ("hasPart", "Perceptron"),
            ("hasPart", "Couche cachée")
        ]
    );
    assert_eq!(note.relations[1].link.span.line, 14);
    assert_eq!(note.body_line, 17);
    let headings: Vec<_> = note
        .headings
        .iter()
        .map(|h| (h.value.0, h.value.1.as_str(), h.span.line))
        .collect();
    assert_eq!(headings, [(2, "Structure", 19), (3, "Couches", 23)]);
    assert!(note.diagnostics.is_empty(), "{:?}", note.diagnostics);
    let keys: Vec<_> = note
        .fields
        .iter()
        .map(|field| (field.key.as_str(), field.span.line))
        .collect();
    assert_eq!(keys[0], ("title", 2));
    assert_eq!(keys.len(), 8);
}

#[test]
fn aliases_and_tags_may_be_single_strings() {
    let note = edge_note("Apprentissage automatique.md");
    assert_eq!(note.aliases, ["Machine learning"]);
    assert_eq!(note.tags, ["ia", "apprentissage"]);
    assert_eq!(
        edge_note("Perceptron.md").tags,
        ["perceptron", "classification"]
    );
}

#[test]
fn a_plain_title_and_double_quotes_are_links() {
    let note = edge_note("Perceptron.md");
    assert_eq!(
        relations(note),
        [
            ("subClassOf", "Réseau de neurones"),
            ("hasPart", "Neurone artificiel")
        ]
    );
}

#[test]
fn unquoted_links_are_read_from_the_nested_lists_yaml_makes() {
    let note = edge_note("Neurone artificiel.md");
    assert_eq!(
        relations(note),
        [
            ("isPartOf", "Perceptron"),
            ("seeAlso", "Fonction d'activation"),
            ("seeAlso", "Réseau de neurones")
        ]
    );
    assert_eq!(note.relations[2].link.label.as_deref(), Some("réseaux"));
    let field = note
        .fields
        .iter()
        .find(|field| field.key == "isPartOf")
        .unwrap();
    assert_eq!(field.values, ["[[Perceptron]]"]);
    assert!(note.diagnostics.is_empty(), "{:?}", note.diagnostics);
}

#[test]
fn any_key_holding_links_is_a_relation() {
    let note = edge_note("Fonction d'activation.md");
    let names: Vec<_> = note
        .relations
        .iter()
        .map(|relation| relation.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "relatedTo",
            "uses",
            "follows",
            "precedes",
            "depends",
            "differentFrom",
            "sameAs",
            "solves",
            "appliedIn",
            "isDefinedBy"
        ]
    );
    let implementation = note.implementation.as_ref().unwrap();
    assert_eq!(
        (implementation.value.as_str(), implementation.span.line),
        ("activations", 14)
    );
}

#[test]
fn namespaced_keys_are_the_bare_relation() {
    let note = edge_note("Rétropropagation.md");
    let named: Vec<_> = note
        .relations
        .iter()
        .map(|relation| {
            (
                relation.name.as_str(),
                relation.key.as_str(),
                relation.link.target.as_str(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("subClassOf", "rdfs:subClassOf", "Descente de gradient"),
            ("seeAlso", "rdfs:seeAlso", "Fonction d'activation"),
            ("differentFrom", "owl:differentFrom", "Perceptron"),
            ("sameAs", "owl:sameAs", "Backpropagation")
        ]
    );
}

#[test]
fn duplicate_keys_are_reported_and_every_value_kept() {
    let note = edge_note("Descente de gradient.md");
    assert_eq!(
        relations(note),
        [
            ("hasPart", "Taux d'apprentissage"),
            ("subClassOf", "Apprentissage automatique"),
            ("hasPart", "Rétropropagation"),
            ("subClassOf", "Mathématiques du réseau"),
            ("hasPart", "Normalisation par lots")
        ]
    );
    let duplicates: Vec<_> = note
        .diagnostics
        .iter()
        .map(|d| (d.code, d.severity, d.line, d.column))
        .collect();
    assert_eq!(
        duplicates,
        [
            (Code::DuplicateKey, Severity::Warning, 6, 1),
            (Code::DuplicateKey, Severity::Warning, 7, 1),
            (Code::DuplicateKey, Severity::Warning, 8, 1)
        ]
    );
    let first = &note.diagnostics[0];
    assert!(
        first.message.contains("`hasPart`") && first.message.contains("line 4"),
        "{}",
        first.message
    );
    assert!(!first.help.is_empty());
    assert_eq!(first.file, Path::new("Descente de gradient.md"));
}

#[test]
fn invalid_yaml_is_reported_then_read_leniently() {
    let note = edge_note("Couche cachée.md");
    assert_eq!(codes(note), [Code::YamlSyntax]);
    let error = &note.diagnostics[0];
    assert_eq!((error.severity, error.line), (Severity::Error, 5));
    assert!(
        error.message.contains("YAML") && !error.help.is_empty(),
        "{error:?}"
    );
    assert_eq!(note.title, "Couche cachée");
    assert_eq!(note.kind.as_deref(), Some("concept"));
    assert_eq!(
        relations(note),
        [
            ("isPartOf", "Réseau de neurones"),
            ("isPartOf", "Apprentissage automatique"),
            ("seeAlso", "Neurone artificiel")
        ]
    );
    assert_eq!(note.relations[1].link.span.line, 6);
    assert_eq!(body_targets(note), Vec::<&str>::new());
    assert_eq!(note.body_line, 9);
}

#[test]
fn dates_and_yaml_1_1_booleans_keep_their_text() {
    let note = edge_note("Normalisation par lots.md");
    assert_eq!(note.created.as_ref().unwrap().value, "2025-03-20");
    assert_eq!(note.modified.as_ref().unwrap().value, "2025-04-01");
    let value = |key: &str| {
        note.fields
            .iter()
            .find(|field| field.key == key)
            .unwrap()
            .values
            .clone()
    };
    assert_eq!(value("actif"), ["no"]);
    assert_eq!(value("publié"), ["on"]);
    assert_eq!(value("relu"), ["yes"]);
    assert_eq!(value("vérifié"), ["true"]);
    assert!(note.relations.is_empty());
    assert_eq!(
        edge_note("Perceptron.md").created.as_ref().unwrap().value,
        "2025-03-05"
    );
}

#[test]
fn titles_aliases_and_targets_are_trimmed() {
    let note = edge_note("Taux d'apprentissage.md");
    assert_eq!(note.title, "Taux d'apprentissage");
    assert_eq!(note.aliases, ["Pas d'apprentissage"]);
    assert_eq!(
        relations(note),
        [
            ("isPartOf", "Descente de gradient"),
            ("seeAlso", "Rétropropagation")
        ]
    );
    assert_eq!(body_targets(note), ["Descente de gradient"]);
}

#[test]
fn titles_may_contain_a_colon() {
    assert_eq!(
        edge_note("Régularisation.md").title,
        "Régularisation : L1 et L2"
    );
    assert!(edge_note("Régularisation.md").diagnostics.is_empty());
    let unquoted = edge_note("Dropout.md");
    assert_eq!(unquoted.title, "Dropout: une régularisation");
    assert_eq!(codes(unquoted), [Code::YamlSyntax]);
    assert!(
        unquoted.diagnostics[0].help.contains("quote"),
        "{:?}",
        unquoted.diagnostics[0]
    );
    assert_eq!(
        relations(unquoted),
        [("subClassOf", "Régularisation : L1 et L2")]
    );
}

#[test]
fn a_quoted_link_may_wrap_over_two_lines() {
    let note = edge_note("Lien replié.md");
    assert_eq!(
        relations(note),
        [
            ("seeAlso", "Réseau de neurones"),
            ("isPartOf", "Apprentissage automatique")
        ]
    );
    assert!(note.diagnostics.is_empty(), "{:?}", note.diagnostics);
}

#[test]
fn type_holding_a_link_is_both_text_and_relation() {
    let note = edge_note("Type en lien.md");
    assert_eq!(note.kind.as_deref(), Some("Concept"));
    assert_eq!(relations(note), [("type", "Concept")]);
}

#[test]
fn a_heading_needs_a_space_after_its_hashes() {
    let note = edge_note("Titres.md");
    let headings: Vec<_> = note.headings.iter().map(|h| h.value.1.as_str()).collect();
    assert_eq!(headings, ["Vrai titre"]);
    assert!(note.body.contains("##Pas un titre"));
    assert!(note.tags.is_empty(), "{:?}", note.tags);
}

#[test]
fn reads_every_form_of_body_link_and_none_from_code() {
    let note = edge_note("Formes de liens.md");
    let links: Vec<_> = note
        .body_links
        .iter()
        .map(|link| {
            (
                link.target.as_str(),
                link.heading.as_deref(),
                link.block.as_deref(),
                link.label.as_deref(),
                link.embed,
            )
        })
        .collect();
    assert_eq!(
        links,
        [
            ("Perceptron", None, None, None, false),
            ("Perceptron", None, None, Some("le perceptron"), false),
            ("Réseau de neurones", Some("Structure"), None, None, false),
            (
                "Réseau de neurones",
                Some("Structure#Couches"),
                None,
                None,
                false
            ),
            ("", Some("Tableau"), None, None, false),
            ("Perceptron", None, Some("definition"), None, false),
            ("dossier/Note en dossier", None, None, None, false),
            ("Neurone artificiel", None, None, None, true),
            ("Perceptron", None, None, Some("le perceptron"), false),
        ]
    );
    let first = &note.body_links[0].span;
    assert_eq!((first.line, first.column), (7, 8));
    assert_eq!(note.body_links[7].span.line, 9);
    assert_eq!(note.body_links[8].span.line, 15);
    assert!(note.relations.is_empty());
}

#[test]
fn inline_tags_skip_code_urls_numbers_and_headings() {
    assert_eq!(edge_note("Formes de liens.md").tags, ["ia", "ia/vision"]);
    assert_eq!(edge_note("Mathématiques du réseau.md").tags, ["calcul"]);
    assert_eq!(edge_note("Réseau de neurones.md").tags.len(), 2);
}

#[test]
fn math_stays_intact_in_the_body() {
    let note = edge_note("Mathématiques du réseau.md");
    assert!(
        note.body
            .contains("$a*b*c$ et $x_1 + y_2 = z_3$, puis $w_i * x_i$.")
    );
    let html = {
        let parser = pulldown_cmark::Parser::new_ext(&note.body, vault::MARKDOWN_OPTIONS);
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, parser);
        html
    };
    assert!(!html.contains("<em>"), "{html}");
    assert!(html.contains("a*b*c"), "{html}");
}

#[test]
fn a_byte_order_mark_does_not_hide_the_frontmatter() {
    let note = edge_note("Marque d'ordre des octets.md");
    assert_eq!(note.title, "Marque d'ordre des octets");
    assert_eq!(relations(note), [("seeAlso", "Perceptron")]);
    assert!(note.diagnostics.is_empty());
    assert!(!note.body.starts_with('\u{feff}'));
}

#[test]
fn crlf_line_ends_are_read_like_lf() {
    let note = edge_note("Fin de ligne Windows.md");
    assert_eq!(note.title, "Fin de ligne Windows");
    assert_eq!(relations(note), [("seeAlso", "Perceptron")]);
    assert_eq!(body_targets(note), ["Réseau de neurones"]);
    assert_eq!(note.body_links[0].span.line, 9);
    assert!(note.diagnostics.is_empty());
}

#[test]
fn an_unclosed_frontmatter_is_reported_and_nothing_is_lost() {
    let note = edge_note("Frontmatter non fermé.md");
    assert_eq!(codes(note), [Code::FrontmatterUnclosed]);
    assert_eq!(
        (note.diagnostics[0].line, note.diagnostics[0].severity),
        (1, Severity::Error)
    );
    assert_eq!(note.title, "Frontmatter non fermé");
    assert_eq!(relations(note), [("seeAlso", "Perceptron")]);
    assert_eq!(note.body_line, 5);
    assert_eq!(body_targets(note), ["Neurone artificiel"]);
    assert_eq!(note.body_links[0].span.line, 8);
}

#[test]
fn a_file_that_is_not_utf8_is_reported_and_still_read() {
    let note = edge_note("Encodage Latin-1.md");
    assert_eq!(codes(note), [Code::NotUtf8]);
    let error = &note.diagnostics[0];
    assert_eq!(
        (error.line, error.column, error.severity),
        (8, 14, Severity::Error)
    );
    assert_eq!(note.title, "Encodage Latin-1");
    assert_eq!(relations(note), [("seeAlso", "Perceptron")]);
    assert_eq!(body_targets(note), ["Réseau de neurones"]);
}

#[test]
fn an_empty_file_is_a_note_with_a_warning() {
    let note = edge_note("Note vide.md");
    assert_eq!(note.title, "Note vide");
    assert_eq!(codes(note), [Code::EmptyNote]);
    assert_eq!(note.diagnostics[0].severity, Severity::Warning);
}

#[test]
fn only_the_parse_stage_codes_are_raised_here() {
    let raised: Vec<_> = edge_vault().diagnostics().map(|d| d.code).collect();
    assert!(raised.iter().all(|code| matches!(
        code,
        Code::YamlSyntax
            | Code::FrontmatterUnclosed
            | Code::NotUtf8
            | Code::EmptyNote
            | Code::DuplicateKey
    )));
    assert!(
        edge_vault()
            .diagnostics()
            .all(|d| d.line >= 1 && d.column >= 1 && !d.help.is_empty())
    );
}

#[test]
fn frontmatter_is_recognised_only_at_the_very_top() {
    let note = vault::parse_note(Path::new("x.md"), b"\n---\ntitle: Non\n---\nTexte\n");
    assert_eq!(note.title, "x");
    assert!(note.fields.is_empty());
    assert_eq!(note.body_line, 1);
}

#[test]
fn the_frontmatter_tags_come_before_the_inline_ones_without_repeats() {
    let note = vault::parse_note(
        Path::new("t.md"),
        b"---\ntags:\n- IA\n- '#vision'\n---\nTexte #ia #Vision #nouveau #nouveau\n",
    );
    assert_eq!(note.tags, ["IA", "vision", "nouveau"]);
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn yamlish_line() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec![
            "title",
            "tags",
            "hasPart",
            "rdfs:subClassOf",
            "type",
            "aliases",
            "x",
        ]);
        let value = prop::sample::select(vec![
            "",
            "'[[A]]'",
            "[[A|b]]",
            "\"[[B#h]]\"",
            "[a, b]",
            "- '[[C]]'",
            "'ouvert",
            "\"",
            "no",
            "2025-03-20",
            "&a x",
            "*a",
            "{a: b}",
            "|",
            ">-",
            "!!str x",
            "[[",
            "]]",
            "a: b: c",
            "'[[D\n  E]]'",
            "\t",
            "#c",
            "~",
        ]);
        let indent = prop::sample::select(vec!["", "  ", "- ", "  - ", "\t"]);
        (indent, key, value, any::<bool>()).prop_map(|(indent, key, value, as_item)| {
            if as_item {
                format!("{indent}{value}")
            } else {
                format!("{indent}{key}: {value}")
            }
        })
    }

    fn check_invariants(note: &Note) {
        assert!(!note.title.is_empty() || note.path.file_stem().is_none_or(|s| s.is_empty()));
        assert!(note.body_line >= 1);
        for diagnostic in &note.diagnostics {
            assert!(
                diagnostic.line >= 1 && diagnostic.column >= 1,
                "{diagnostic:?}"
            );
        }
        for link in note
            .body_links
            .iter()
            .chain(note.relations.iter().map(|r| &r.link))
        {
            assert!(link.span.line >= 1 && link.span.column >= 1, "{link:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn on_random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            check_invariants(&vault::parse_note(Path::new("aléatoire.md"), &bytes));
        }

        #[test]
        fn on_random_markdown(text in "[-#*_`$\\[\\]|!\\\\ a\n:'\"^>]{0,200}") {
            check_invariants(&vault::parse_note(Path::new("md.md"), text.as_bytes()));
        }

        #[test]
        fn on_random_yaml_frontmatter(
            lines in prop::collection::vec(yamlish_line(), 0..12),
            crlf in any::<bool>(),
            closed in any::<bool>(),
            body in "[a-z \\[\\]#\n]{0,40}",
        ) {
            let newline = if crlf { "\r\n" } else { "\n" };
            let mut text = format!("---{newline}{}{newline}", lines.join(newline));
            if closed {
                text.push_str("---");
                text.push_str(newline);
            }
            text.push_str(&body);
            let note = vault::parse_note(Path::new("yaml.md"), text.as_bytes());
            check_invariants(&note);
            // Links are never lost: a `hasPart: '[[A]]'` line always yields a link to `A`.
            if lines.iter().any(|line| line == "hasPart: '[[A]]'") {
                let as_relation = note.relations.iter().any(|r| r.link.target == "A");
                let in_body = note.body_links.iter().any(|link| link.target == "A");
                let identity_keys = ["title", "aliases", "tags"];
                let in_identity_text = note.fields.iter().any(|field| {
                    identity_keys.contains(&field.key.as_str()) && field.values.iter().any(|v| v.contains("[[A]]"))
                });
                prop_assert!(as_relation || in_body || in_identity_text, "{text:?} → {:?}", note.relations);
            }
        }
    }
}
