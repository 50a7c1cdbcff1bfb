//! `inverse-mismatch` (warning): one note states a relation, the other note states the
//! inverse relation for itself, and leaves the first out.
//!
//! Precisely: for a written edge `A r B` where `r` has a declared inverse `r'` (distinct from
//! `r`, so not a symmetric relation), `B` is a note, `B ≠ A`, and `B` writes at least one
//! `r'` value of its own, but none of `B`'s `r'` values resolves to `A`. Example: `A` says
//! `isPartOf: [[B]]` while `B` lists `hasPart: [[X]], [[Y]]` without `A`: one of the two notes
//! is wrong or incomplete. When `B` writes no `r'` at all nothing is flagged: the inverse is
//! simply inferred.

use super::Context;
use super::PerRelation;
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::EdgeView;
use rayon::prelude::*;

pub(super) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let graph = context.graph;
    // The longest rule on large vaults: its notes are checked in parallel too.
    (0..context.vault.notes.len())
        .into_par_iter()
        .map_init(PerRelation::new, |inverses, note| {
            let mut found = Vec::new();
            for e in graph.written_edges(graph.note_node(note)) {
                let Some(inverse) = inverses.get(&e.edge.relation, |r| {
                    context.schema.inverse(r).filter(|i| *i != r)
                }) else {
                    continue;
                };
                if e.source == e.target || graph.node(e.target).stub {
                    continue;
                }
                let mut listed = graph
                    .written_edges(e.target)
                    .filter(|back| back.relation() == inverse)
                    .peekable();
                if listed.peek().is_none() {
                    continue;
                }
                let (count, names_source) = listed.fold((0, false), |(n, found), back| {
                    (n + 1, found || back.target == e.source)
                });
                if !names_source {
                    found.push(diagnostic(context, &e, inverse, count));
                }
            }
            found
        })
        .flatten_iter()
        .collect()
}

fn diagnostic(context: &Context<'_>, e: &EdgeView<'_>, inverse: &str, listed: usize) -> Diagnostic {
    let graph = context.graph;
    let (source, target) = (graph.node(e.source), graph.node(e.target));
    let relation = e.relation();
    let target_file = target
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let message = format!(
        "`{}` says it `{relation}` `{}`, but `{}` ({target_file}) lists {listed} `{inverse}` value{} without `{}`",
        source.title,
        target.title,
        target.title,
        if listed == 1 { "" } else { "s" },
        source.title
    );
    let help = format!(
        "if it is true, add `[[{}]]` to `{inverse}` in {target_file}; otherwise remove this `{relation}`",
        source.title
    );
    context
        .at_origin(Code::InverseMismatch, e.edge.origin, message)
        .with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::rules::testing::findings;
    use crate::graph::test_support::note;

    #[test]
    fn fires_when_the_target_lists_its_inverse_without_the_source() {
        let found = findings(
            check,
            vec![
                note("dl.md", "Apprentissage profond")
                    .relation("isPartOf", "Machines à vecteurs de support (SVM)"),
                note("svm.md", "Machines à vecteurs de support (SVM)").relation("hasPart", "Noyau"),
                note("noyau.md", "Noyau"),
            ],
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let d = &found[0];
        assert_eq!((d.file.to_str(), d.line), (Some("dl.md"), 3));
        assert!(
            d.message
                .contains("lists 1 `hasPart` value without `Apprentissage profond`"),
            "{}",
            d.message
        );
        assert!(
            d.help
                .contains("add `[[Apprentissage profond]]` to `hasPart` in svm.md"),
            "{}",
            d.help
        );
    }

    #[test]
    fn silent_when_consistent_or_one_sided() {
        let found = findings(
            check,
            vec![
                note("a.md", "A")
                    .relation("isPartOf", "B")
                    .relation("seeAlso", "C"),
                note("b.md", "B").relation("hasPart", "A"),
                note("c.md", "C")
                    .relation("isPartOf", "D")
                    .relation("seeAlso", "B"),
                note("d.md", "D"),
            ],
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
