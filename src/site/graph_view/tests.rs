//! What a reader of the graph views would notice: each concept drawn once with a working
//! relative link, relations told apart, inferred edges lighter, stubs marked, titles shown as
//! text, the same picture on every build.

use super::*;
use crate::graph::test_support::{graph, note};

/// A small vault: a class tree, a part, a see-also, a body link, a stub and a hostile title.
fn vault_graph() -> ConceptGraph {
    graph(vec![
        note("a.md", "Apprentissage")
            .relation("hasPart", "Perceptron")
            .tag("ml"),
        note("b.md", "Perceptron")
            .relation("subClassOf", "Apprentissage")
            .relation("seeAlso", "<script>alert(1)</script>")
            .tag("ml/nn"),
        note("c.md", "<script>alert(1)</script>").body_link("Jamais écrite"),
        note("d.md", "Isolée \"quotes\" & 'apostrophes'"),
    ])
    .1
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// The figure's drawing, without its legend (whose swatches are lines and circles too).
fn drawing(figure: &str) -> &str {
    &figure[..figure.find("</g></g></svg>").expect("a drawing")]
}

#[test]
fn every_concept_is_drawn_once_with_a_relative_link() {
    let g = vault_graph();
    let svg = global_graph_svg(&g, &GraphViewOptions::new(Language::French));
    let node_count = g.nodes().count();
    assert_eq!(node_count, 5, "four notes and one stub");
    assert_eq!(count(&svg, "<a class=\"node"), node_count);
    for (_, node) in g.nodes() {
        let link = format!("href=\"{}.html\"", node.id);
        assert_eq!(count(&svg, &link), 1, "{} in\n{svg}", node.id);
    }
    assert!(!svg.contains("href=\"/"), "no absolute link");
    assert!(
        !svg.contains("://") || !svg.contains("href=\"http"),
        "no remote link"
    );
}

#[test]
fn the_same_graph_gives_the_same_picture() {
    let g = vault_graph();
    let options = GraphViewOptions::new(Language::English);
    assert_eq!(
        global_graph_svg(&g, &options),
        global_graph_svg(&vault_graph(), &options)
    );
    let center = g.resolve("Perceptron").unwrap();
    assert_eq!(
        LocalGraphs::new(&g).around(center, 2).svg(&options),
        LocalGraphs::new(&g).around(center, 2).svg(&options)
    );
}

#[test]
fn relations_are_styled_apart_and_inferred_edges_lighter() {
    let g = vault_graph();
    let svg = global_graph_svg(&g, &GraphViewOptions::new(Language::French));
    let group = |relation: &str| {
        let start = svg
            .find(&format!(
                "<g class=\"relation\" data-relation=\"{relation}\""
            ))
            .unwrap_or_else(|| panic!("no {relation} edge in\n{svg}"));
        let end = start + svg[start..].find('>').unwrap();
        svg[start..end].to_string()
    };
    let stroke = |tag: &str| tag.split("stroke=\"").nth(1).unwrap()[..7].to_string();
    // Apprentissage hasPart Perceptron and Perceptron subClassOf Apprentissage: two written
    // edges of one pair, the first written is drawn; the inferred inverses are not drawn.
    let has_part = group("hasPart");
    let see_also = group("seeAlso");
    let links_to = group("linksTo");
    assert_ne!(stroke(&has_part), stroke(&see_also));
    assert!(see_also.contains("stroke-dasharray=\"6 4\""), "{see_also}");
    assert!(links_to.contains("stroke-dasharray=\"2 3\""), "{links_to}");
    assert!(!svg.contains("relation inferred"), "{svg}");
    assert_eq!(
        count(drawing(&svg), "<line "),
        3,
        "one line per linked pair"
    );
    for relation in ["hasPart", "seeAlso", "linksTo"] {
        assert!(
            svg.contains(&format!("<li data-relation=\"{relation}\">")),
            "legend {relation}"
        );
    }
    assert!(svg.contains("inférée (non écrite)") && svg.contains("pas encore écrite"));
}

#[test]
fn a_written_edge_is_drawn_over_its_inferred_inverse() {
    let g = graph(vec![
        note("a.md", "Tout").relation("hasPart", "Partie"),
        note("b.md", "Partie"),
    ])
    .1;
    let center = g.resolve("Partie").unwrap();
    let svg = LocalGraphs::new(&g)
        .around(center, 1)
        .svg(&GraphViewOptions::new(Language::English));
    assert_eq!(count(drawing(&svg), "<line "), 1);
    // The written edge wins over its inferred inverse (isPartOf).
    assert!(
        svg.contains("<g class=\"relation\" data-relation=\"hasPart\""),
        "{svg}"
    );
    let h = graph(vec![
        note("a.md", "Vu").relation("seeAlso", "Autre"),
        note("b.md", "Autre"),
    ])
    .1;
    let svg = global_graph_svg(&h, &GraphViewOptions::new(Language::English));
    assert_eq!(count(drawing(&svg), "<line "), 1);
    assert!(!svg.contains("relation inferred"));
}

#[test]
fn stubs_are_marked_as_missing() {
    let g = vault_graph();
    let svg = global_graph_svg(&g, &GraphViewOptions::new(Language::English));
    let stub = g.resolve("Jamais écrite").unwrap();
    assert!(g.node(stub).stub);
    let marker = format!("<a class=\"node stub\" href=\"{}.html\"", g.node(stub).id);
    assert!(svg.contains(&marker), "{svg}");
    // Their dashed outline comes from the style sheet, by class.
    let css = include_str!("../../../templates/assets/graph.css");
    assert!(
        css.contains(".node.stub circle { fill: none; stroke: #999999; stroke-dasharray: 2 2; }"),
        "{css}"
    );
}

#[test]
fn titles_stay_text() {
    let g = vault_graph();
    for svg in [
        global_graph_svg(&g, &GraphViewOptions::new(Language::English)),
        LocalGraphs::new(&g)
            .around(g.resolve("Perceptron").unwrap(), 2)
            .svg(&GraphViewOptions::new(Language::English)),
    ] {
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!svg.contains(" style="), "no style attribute (CSP)");
        assert!(!svg.contains(" on"), "no event handler attribute");
    }
    let svg = global_graph_svg(&g, &GraphViewOptions::new(Language::English));
    assert!(svg.contains("Isolée &quot;quotes&quot; &amp; &#39;apostrophes&#39;"));
    assert!(
        svg.contains("data-tag-names=\"[&quot;ml&quot;]\""),
        "the top-level tags, as an escaped JSON list on the figure"
    );
    assert_eq!(
        count(&svg, " data-tags=\"0\""),
        2,
        "ml and ml/nn: both under ml"
    );
}

#[test]
fn each_line_ends_where_the_circles_of_its_two_concepts_are() {
    let g = vault_graph();
    let svg = global_graph_svg(&g, &GraphViewOptions::new(Language::English));
    let attribute = |element: &str, name: &str| -> String {
        let start = element.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        element[start..start + element[start..].find('"').unwrap()].to_string()
    };
    let centres: Vec<(String, String)> = drawing(&svg)
        .split("<circle")
        .skip(1)
        .map(|c| (attribute(c, "cx"), attribute(c, "cy")))
        .collect();
    assert_eq!(centres.len(), 5);
    let lines: Vec<&str> = drawing(&svg).split("<line").skip(1).collect();
    assert_eq!(lines.len(), 3);
    for line in lines {
        for (x, y) in [("x1", "y1"), ("x2", "y2")] {
            let end = (attribute(line, x), attribute(line, y));
            assert_eq!(
                centres.iter().filter(|&c| *c == end).count(),
                1,
                "{end:?} is one concept's centre: {svg}"
            );
        }
    }
}

#[test]
fn a_local_graph_holds_the_neighbourhood_and_marks_its_centre() {
    let g = vault_graph();
    let options = GraphViewOptions::new(Language::French);
    let center = g.resolve("Apprentissage").unwrap();
    let near = LocalGraphs::new(&g).around(center, 1).svg(&options);
    assert!(near.contains("data-graph=\"local\""));
    assert!(near.contains("Voisinage de Apprentissage"));
    assert_eq!(count(&near, "<a class=\"node"), 2, "itself and Perceptron");
    assert_eq!(count(&near, "class=\"node center\""), 1);
    let far = LocalGraphs::new(&g).around(center, 2).svg(&options);
    assert_eq!(
        count(&far, "<a class=\"node"),
        3,
        "and what Perceptron links to"
    );
}

#[test]
fn the_href_rule_is_the_callers() {
    let g = vault_graph();
    let href = |node: &ConceptNode| format!("../concepts/{}.html", node.id);
    let options = GraphViewOptions {
        href: &href,
        ..GraphViewOptions::new(Language::English)
    };
    let svg = global_graph_svg(&g, &options);
    assert_eq!(count(&svg, "href=\"../concepts/"), g.nodes().count());
}

#[test]
fn a_local_graph_of_a_hub_is_capped() {
    let hub = (0..300).fold(note("hub.md", "Hub"), |n, i| {
        n.body_link(&format!("Leaf {i}"))
    });
    let g = graph(vec![hub]).1;
    let svg = LocalGraphs::new(&g)
        .around(g.resolve("Hub").unwrap(), 1)
        .svg(&GraphViewOptions::new(Language::English));
    assert_eq!(count(&svg, "<a class=\"node"), LOCAL_LIMIT);
}

#[test]
fn a_crowded_local_graph_labels_the_centre_and_its_neighbours_first() {
    let near = ["A", "B", "C"];
    let mut notes = vec![
        near.iter()
            .fold(note("centre.md", "Centre"), |n, t| n.body_link(t)),
    ];
    notes.extend(near.iter().map(|t| {
        (0..10).fold(note(&format!("{t}.md"), t), |n, i| {
            n.body_link(&format!("{t} {i}"))
        })
    }));
    let g = graph(notes).1;
    let svg = LocalGraphs::new(&g)
        .around(g.resolve("Centre").unwrap(), 2)
        .svg(&GraphViewOptions::new(Language::English));
    assert_eq!(count(&svg, "<a class=\"node"), 34);
    assert_eq!(
        count(&svg, " minor\""),
        30,
        "the neighbours' neighbours wait: {svg}"
    );
    for title in ["Centre", "A", "B", "C"] {
        let label = format!(">{title}</text>");
        assert!(svg.contains(&label), "{title} is labelled");
    }
    assert!(
        svg.contains("<title>A 0</title>") && !svg.contains(">A 0</text>"),
        "a waiting label is a tooltip until graph.js draws it"
    );
}
