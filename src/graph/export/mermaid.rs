//! Mermaid `graph LR`: node ids `n0`, `n1`, … (always valid), labels quoted with Mermaid's
//! entity codes for the characters that would break the syntax; stubs and inferred edges
//! dashed.

use super::select;
use crate::graph::filter::RelationFilter;
use crate::graph::model::ConceptGraph;
use std::fmt::Write as _;

/// The graph as a Mermaid flowchart.
pub fn to_mermaid(graph: &ConceptGraph, filter: &RelationFilter) -> String {
    let selection = select(graph, filter);
    let mut out = String::from("graph LR\n");
    for &n in &selection.nodes {
        let node = graph.node(n);
        let class = if node.stub { ":::stub" } else { "" };
        let _ = writeln!(out, "  n{}[\"{}\"]{class}", n.index(), label(&node.title));
    }
    for e in &selection.edges {
        let arrow = if e.edge.inferred { "-.->" } else { "-->" };
        let _ = writeln!(
            out,
            "  n{} {arrow}|\"{}\"| n{}",
            e.source.index(),
            label(e.relation()),
            e.target.index()
        );
    }
    out.push_str("  classDef stub stroke-dasharray: 5 5\n");
    out
}

/// Text safe inside a quoted Mermaid label.
fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
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
    fn uses_safe_ids_and_escaped_labels() {
        let (_, g) = graph(vec![
            note("a.md", "C# \"rapide\" <3 | end").relation("subClassOf", "Beta"),
            note("b.md", "Beta"),
        ]);
        let text = to_mermaid(&g, &RelationFilter::all());
        assert!(text.starts_with("graph LR\n"));
        assert!(
            text.contains("  n0[\"C#35; #quot;rapide#quot; #lt;3 #124; end\"]\n"),
            "{text}"
        );
        assert!(text.contains("  n0 -->|\"subClassOf\"| n1\n"), "{text}");
        assert!(text.contains("  n1 -.->|\"hasSubClass\"| n0\n"), "{text}");
    }
}
