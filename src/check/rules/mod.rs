//! The lint rules, one module each. Every rule reads the whole vault and graph and returns
//! its findings; none stops at a broken note, so one never hides another's diagnostics.

mod dangling_link;
mod duplicate_title;
mod invalid_date;
mod inverse_mismatch;
mod relation_cycle;
mod self_reference;
mod slug_collision;
mod unknown_implementation;
mod unknown_key;

use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{ConceptGraph, EdgeOrigin, NodeIndex, Schema};
use crate::vault::{Note, Span, Vault};
use rayon::prelude::*;
use std::sync::Arc;

/// What every rule reads.
pub(super) struct Context<'a> {
    pub(super) vault: &'a Vault,
    pub(super) graph: &'a ConceptGraph,
    pub(super) schema: &'a Schema,
    pub(super) known_implementations: Option<&'a [String]>,
}

type Rule = fn(&Context<'_>) -> Vec<Diagnostic>;

const RULES: [Rule; 9] = [
    duplicate_title::check,
    slug_collision::check,
    relation_cycle::check,
    dangling_link::check,
    inverse_mismatch::check,
    self_reference::check,
    unknown_implementation::check,
    unknown_key::check,
    invalid_date::check,
];

/// Every rule's findings (rules run in parallel; the caller sorts).
pub(super) fn run_all(context: &Context<'_>) -> Vec<Diagnostic> {
    RULES
        .par_iter()
        .flat_map_iter(|rule| rule(context))
        .collect()
}

impl Context<'_> {
    /// The note behind a concept (`None` for a stub).
    fn note(&self, node: NodeIndex) -> Option<&Note> {
        self.graph
            .node(node)
            .note
            .and_then(|i| self.vault.notes.get(i))
    }

    /// How a concept is named in a message: its title, and its file when it has one.
    fn describe(&self, node: NodeIndex) -> String {
        let concept = self.graph.node(node);
        match &concept.path {
            Some(path) => format!("`{}` ({})", concept.title, path.display()),
            None => format!("`{}`", concept.title),
        }
    }

    /// A finding at the place a statement is written.
    fn at_origin(&self, code: Code, origin: EdgeOrigin, message: String) -> Diagnostic {
        let file = self
            .graph
            .node(origin.note)
            .path
            .clone()
            .unwrap_or_default();
        Diagnostic::new(code, file, origin.span.line, origin.span.column, message)
    }
}

/// A finding about a whole note, placed on its `title:` line (or at the top of the file).
fn at_note(code: Code, note: &Note, message: String) -> Diagnostic {
    let span = field_span(note, "title").unwrap_or(Span { line: 1, column: 1 });
    Diagnostic::new(code, note.path.clone(), span.line, span.column, message)
}

fn field_span(note: &Note, key: &str) -> Option<Span> {
    note.fields.iter().find(|f| f.key == key).map(|f| f.span)
}

/// Facts about relations, computed once per distinct relation: the graph shares one `Arc`
/// per relation name, so a pointer comparison finds an edge's entry.
struct PerRelation<'g, T> {
    known: Vec<(&'g Arc<str>, T)>,
}

impl<'g, T: Copy> PerRelation<'g, T> {
    fn new() -> Self {
        PerRelation { known: Vec::new() }
    }

    fn get(&mut self, relation: &'g Arc<str>, compute: impl FnOnce(&str) -> T) -> T {
        if let Some((_, fact)) = self.known.iter().find(|(r, _)| Arc::ptr_eq(r, relation)) {
            return *fact;
        }
        let fact = compute(relation);
        self.known.push((relation, fact));
        fact
    }
}

#[cfg(test)]
pub(super) mod testing {
    use super::*;
    use crate::graph::test_support::NoteBuilder;

    /// The findings of one rule on hand-built notes (built-in schema, no registry).
    pub(crate) fn findings(rule: Rule, notes: Vec<NoteBuilder>) -> Vec<Diagnostic> {
        findings_with(rule, notes, &Schema::builtin(), None)
    }

    /// The findings of one rule with a given schema and implementation registry.
    pub(crate) fn findings_with(
        rule: Rule,
        notes: Vec<NoteBuilder>,
        schema: &Schema,
        known_implementations: Option<&[String]>,
    ) -> Vec<Diagnostic> {
        let vault = crate::graph::test_support::vault(notes);
        let graph = ConceptGraph::build(&vault, schema);
        rule(&Context {
            vault: &vault,
            graph: &graph,
            schema,
            known_implementations,
        })
    }
}
