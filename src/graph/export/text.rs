//! The text export: one edge per line, `source —relation→ target`.

use super::super::filter::RelationFilter;
use super::super::model::ConceptGraph;
use std::fmt::Write;

/// One line per edge `filter` keeps, `Adam —subClassOf→ Optimiseur`, inferred edges marked
/// ` (inferred)`. `dim` wraps the arrow and the marker (the CLI dims them on a terminal;
/// pass `str::to_string` for plain text).
///
/// ```
/// use savoir::graph::{ConceptGraph, RelationFilter, Schema, to_text};
/// use savoir::vault::{Vault, parse_note};
/// let notes = vec![parse_note("a.md".as_ref(), b"---\nhasPart: '[[b]]'\n---\n")];
/// let vault = Vault { notes, ..Vault::default() };
/// let graph = ConceptGraph::build(&vault, &Schema::builtin());
/// let text = to_text(&graph, &RelationFilter::all(), &str::to_string);
/// assert_eq!(text, "a —hasPart→ b\nb —isPartOf→ a (inferred)\n");
/// ```
pub fn to_text(
    graph: &ConceptGraph,
    filter: &RelationFilter,
    dim: &dyn Fn(&str) -> String,
) -> String {
    let mut text = String::new();
    for e in graph.filtered_edges(filter) {
        let marker = if e.edge.inferred {
            dim(" (inferred)")
        } else {
            String::new()
        };
        // Writing to a String cannot fail.
        let _ = writeln!(
            text,
            "{} {} {}{marker}",
            graph.node(e.source).title,
            dim(&format!("—{}→", e.relation())),
            graph.node(e.target).title
        );
    }
    text
}
