//! Stage 3: lint rules over the vault and its graph.
//!
//! [`check`] gathers every parse diagnostic of the vault and the findings of each rule
//! (`duplicate-title`, `slug-collision`, `relation-cycle`, `dangling-link`, `inverse-mismatch`,
//! `self-reference`, `unknown-implementation`, `unknown-key`, `invalid-date`) into one sorted
//! [`CheckReport`]. Each finding has a file, a line, a column, a message and a `help` fix.

mod report;
mod rules;

pub use report::CheckReport;

use crate::graph::{ConceptGraph, Schema};
use crate::vault::Vault;

/// Lints a vault: its parse diagnostics plus every rule's findings, sorted by file, line and
/// column. `known_implementations` is the registry of implementation ids; with `None` the
/// `unknown-implementation` rule is skipped.
pub fn check(
    vault: &Vault,
    graph: &ConceptGraph,
    schema: &Schema,
    known_implementations: Option<&[String]>,
) -> CheckReport {
    let context = rules::Context {
        vault,
        graph,
        schema,
        known_implementations,
    };
    let mut diagnostics: Vec<_> = vault.diagnostics().cloned().collect();
    diagnostics.extend(rules::run_all(&context));
    CheckReport::new(diagnostics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;
    use crate::vault::parse_note;
    use std::path::Path;

    const SEED: &str = "---
title: Apprentissage profond (Deep Learning)
type: concept
date_creation: '2025-04-08'
date_modification: '2025-04-08'
subClassOf: '[[Techniques de l''intelligence artificielle]]'
hasPart:
- '[[Le perceptron multicouche]]'
isPartOf: '[[Machines à vecteurs de support (SVM)]]'
seeAlso:
- '[[Modèles de diffusion]]'
---
## Généralité

Voir [[Le perceptron multicouche]].
";

    fn vault(files: &[(&str, &str)]) -> Vault {
        let mut notes: Vec<_> = files
            .iter()
            .map(|(path, text)| parse_note(Path::new(path), text.as_bytes()))
            .collect();
        notes.sort_by(|a, b| a.path.cmp(&b.path));
        Vault {
            notes,
            ..Vault::default()
        }
    }

    fn run(vault: &Vault) -> CheckReport {
        let schema = Schema::builtin();
        let graph = ConceptGraph::build(vault, &schema);
        check(vault, &graph, &schema, None)
    }

    #[test]
    fn the_seed_questionable_is_part_of_is_flagged() {
        let v = vault(&[
            ("Apprentissage profond.md", SEED),
            (
                "Techniques de l'intelligence artificielle.md",
                "---\ntitle: Techniques de l'intelligence artificielle\n---\n",
            ),
            (
                "Le perceptron multicouche.md",
                "---\ntitle: Le perceptron multicouche\n---\n",
            ),
            (
                "Modèles de diffusion.md",
                "---\ntitle: Modèles de diffusion\n---\n",
            ),
            (
                "SVM.md",
                "---\ntitle: Machines à vecteurs de support (SVM)\nhasPart:\n- '[[Modèles de diffusion]]'\n---\n",
            ),
        ]);
        let report = run(&v);
        let codes: Vec<Code> = report.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::InverseMismatch], "{:#?}", report.diagnostics);
        let d = &report.diagnostics[0];
        assert_eq!(
            (d.file.to_str(), d.line),
            (Some("Apprentissage profond.md"), 9)
        );
        assert_eq!((report.errors, report.warnings), (0, 1));
    }

    #[test]
    fn a_broken_note_hides_nothing_and_findings_are_sorted() {
        let v = vault(&[
            (
                "b.md",
                "---\ntitle: B\nsubclassof: '[[A]]'\ndate_creation: 2025-13-45\n---\n[[Nulle part]]\n",
            ),
            (
                "a.md",
                "---\ntitle: A\nhasPart: '[[B]]'\n- type: isPartOf\n  target: '[[C]]'\n---\n",
            ),
            ("c.md", "---\ntitle: B\n---\n"),
        ]);
        let report = run(&v);
        let found: Vec<(&str, Code)> = report
            .diagnostics
            .iter()
            .map(|d| (d.file.to_str().unwrap(), d.code))
            .collect();
        assert!(found.contains(&("a.md", Code::YamlSyntax)), "{found:?}");
        for expected in [
            ("b.md", Code::UnknownKey),
            ("b.md", Code::InvalidDate),
            ("b.md", Code::DanglingLink),
            ("c.md", Code::DuplicateTitle),
        ] {
            assert!(
                found.contains(&expected),
                "{expected:?} missing from {found:?}"
            );
        }
        let keys: Vec<_> = report
            .diagnostics
            .iter()
            .map(|d| (&d.file, d.line, d.column))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
        assert!(report.errors >= 2 && report.fails(false));
    }
}
