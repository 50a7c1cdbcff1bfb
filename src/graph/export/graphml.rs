//! GraphML: one `<node>` per concept and one `<edge>` per edge, every attribute declared as
//! a `<key>` and every text escaped.

use super::select;
use crate::graph::filter::RelationFilter;
use crate::graph::model::ConceptGraph;
use std::fmt::Write as _;

const HEADER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">
  <key id="title" for="node" attr.name="title" attr.type="string"/>
  <key id="path" for="node" attr.name="path" attr.type="string"/>
  <key id="stub" for="node" attr.name="stub" attr.type="boolean"/>
  <key id="tags" for="node" attr.name="tags" attr.type="string"/>
  <key id="implementations" for="node" attr.name="implementations" attr.type="string"/>
  <key id="relation" for="edge" attr.name="relation" attr.type="string"/>
  <key id="inferred" for="edge" attr.name="inferred" attr.type="boolean"/>
  <graph id="savoir" edgedefault="directed">
"#;

/// The graph as a GraphML document (list values joined with `, `).
pub fn to_graphml(graph: &ConceptGraph, filter: &RelationFilter) -> String {
    let selection = select(graph, filter);
    let mut out = String::from(HEADER);
    for &n in &selection.nodes {
        let node = graph.node(n);
        let _ = write!(out, "    <node id=\"{}\">", escaped(&node.id));
        data(&mut out, "title", &node.title);
        if let Some(path) = &node.path {
            data(&mut out, "path", &path.to_string_lossy());
        }
        data(&mut out, "stub", if node.stub { "true" } else { "false" });
        data(&mut out, "tags", &node.tags.join(", "));
        data(
            &mut out,
            "implementations",
            &node.implementations.join(", "),
        );
        out.push_str("</node>\n");
    }
    for (i, e) in selection.edges.iter().enumerate() {
        let _ = write!(
            out,
            "    <edge id=\"e{i}\" source=\"{}\" target=\"{}\">",
            escaped(&graph.node(e.source).id),
            escaped(&graph.node(e.target).id)
        );
        data(&mut out, "relation", e.relation());
        data(
            &mut out,
            "inferred",
            if e.edge.inferred { "true" } else { "false" },
        );
        out.push_str("</edge>\n");
    }
    out.push_str("  </graph>\n</graphml>\n");
    out
}

fn data(out: &mut String, key: &str, value: &str) {
    let _ = write!(out, "<data key=\"{key}\">{}</data>", escaped(value));
}

/// Text safe in XML 1.0 content and attributes: markup characters escaped, characters XML
/// forbids (most control characters) dropped.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_support::{graph, note};

    /// Checks that tags nest and close properly and that `&` only starts a known entity:
    /// enough to tell a well-formed document from a broken one for this generator.
    fn assert_well_formed(xml: &str) {
        let body = xml
            .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            .unwrap();
        let mut stack: Vec<String> = Vec::new();
        let mut rest = body;
        while let Some(start) = rest.find('<') {
            let text = &rest[..start];
            assert!(!text.contains('>'), "stray > in {text:?}");
            for (i, _) in text.match_indices('&') {
                let entity = &text[i..];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                        .iter()
                        .any(|e| entity.starts_with(e)),
                    "bad entity in {text:?}"
                );
            }
            let end = rest[start..].find('>').expect("unclosed tag") + start;
            let tag = &rest[start + 1..end];
            assert!(!tag.contains('<'), "< inside tag {tag:?}");
            assert_eq!(
                tag.matches('"').count() % 2,
                0,
                "unbalanced quotes in {tag:?}"
            );
            let name = tag
                .trim_start_matches('/')
                .split([' ', '/'])
                .next()
                .unwrap()
                .to_string();
            if tag.starts_with('/') {
                assert_eq!(
                    stack.pop().as_deref(),
                    Some(name.as_str()),
                    "mismatched </{name}>"
                );
            } else if !tag.ends_with('/') {
                stack.push(name);
            }
            rest = &rest[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
        assert!(rest.trim().is_empty());
    }

    #[test]
    fn escapes_markup_and_is_well_formed() {
        let (_, g) = graph(vec![
            note("a.md", "A <b> & \"c\" 'd'\u{1}")
                .relation("seeAlso", "R&D <x>")
                .tag("a&b"),
        ]);
        let xml = to_graphml(&g, &RelationFilter::all());
        assert_well_formed(&xml);
        assert!(
            xml.contains(
                "<data key=\"title\">A &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;</data>"
            ),
            "{xml}"
        );
        assert!(
            xml.contains("<data key=\"relation\">seeAlso</data><data key=\"inferred\">true</data>")
        );
        assert!(!xml.contains('\u{1}'));
    }

    #[test]
    fn the_checker_rejects_broken_xml() {
        let broken = std::panic::catch_unwind(|| {
            assert_well_formed("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a><b>x & y</b></a>")
        });
        assert!(broken.is_err());
    }
}
