//! Graphviz DOT: concepts as boxes (stubs dashed), edges labelled by relation (inferred
//! ones dashed).

use super::select;
use crate::graph::filter::RelationFilter;
use crate::graph::model::ConceptGraph;
use std::fmt::Write as _;

/// The graph as a DOT `digraph`.
pub fn to_dot(graph: &ConceptGraph, filter: &RelationFilter) -> String {
    let selection = select(graph, filter);
    let mut out = String::from("digraph savoir {\n  rankdir=LR;\n  node [shape=box];\n");
    for &n in &selection.nodes {
        let node = graph.node(n);
        let style = if node.stub { ", style=dashed" } else { "" };
        let _ = writeln!(
            out,
            "  \"{}\" [label=\"{}\"{style}];",
            quoted(&node.id),
            quoted(&node.title)
        );
    }
    for e in &selection.edges {
        let style = if e.edge.inferred {
            ", style=dashed"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{}\" [label=\"{}\"{style}];",
            quoted(&graph.node(e.source).id),
            quoted(&graph.node(e.target).id),
            quoted(e.relation())
        );
    }
    out.push_str("}\n");
    out
}

/// Text safe inside a DOT double-quoted string.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_support::{graph, note};

    #[test]
    fn escapes_quotes_and_marks_inferred_edges() {
        let (_, g) = graph(vec![
            note("a.md", "Le \"vrai\" \\ test").relation("hasPart", "Beta"),
            note("b.md", "Beta"),
        ]);
        let dot = to_dot(&g, &RelationFilter::all());
        assert!(dot.starts_with("digraph savoir {"));
        assert!(dot.contains(r#"[label="Le \"vrai\" \\ test"]"#), "{dot}");
        assert!(
            dot.contains(r#""le-vrai-test" -> "beta" [label="hasPart"];"#),
            "{dot}"
        );
        assert!(
            dot.contains(r#""beta" -> "le-vrai-test" [label="isPartOf", style=dashed];"#),
            "{dot}"
        );
        assert!(dot.trim_end().ends_with('}'));
    }
}
