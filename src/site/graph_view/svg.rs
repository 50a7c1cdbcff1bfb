//! Draws a laid-out selection of the graph: a `<figure>` holding the SVG (edges, then nodes as
//! linked circles with labels) and an HTML legend of the relations drawn.
//!
//! Everything the vault wrote (titles, tags, relation names, hrefs) is escaped; styling uses SVG
//! presentation attributes and classes only (no `style` attribute, no script), so the page's
//! Content-Security-Policy holds. `templates/assets/graph.js` reads the `data-*` attributes.

use super::GraphViewOptions;
use super::layout::layout;
use super::style::{self, Stroke, Words};
use crate::graph::{ConceptGraph, EdgeView};
use petgraph::graph::NodeIndex;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Pixels per ideal edge length.
const SCALE: f64 = 48.0;

/// Room around the drawing, in pixels (labels stick out to the right of their circles).
const MARGIN: f64 = 24.0;

/// Which graph is drawn: the global one, or the neighbourhood of a concept.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    /// Every concept.
    Global,
    /// The concepts around `center`.
    Local {
        /// The concept the page is about.
        center: NodeIndex,
    },
}

/// One edge to draw, standing for every edge between its two ends.
struct Drawn<'a> {
    /// Ends, as positions in the selection.
    ends: (usize, usize),
    /// The edge shown.
    edge: EdgeView<'a>,
}

/// The figure for `selection` (concepts, each once) of `graph`.
pub(super) fn figure(
    graph: &ConceptGraph,
    selection: &[NodeIndex],
    kind: Kind,
    options: &GraphViewOptions<'_>,
) -> String {
    let slot: BTreeMap<NodeIndex, usize> =
        selection.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let edges = edges_between(graph, &slot);
    let pairs: Vec<(usize, usize)> = edges.iter().map(|e| e.ends).collect();
    let mut degree = vec![0usize; selection.len()];
    for &(a, b) in &pairs {
        degree[a] += 1;
        degree[b] += 1;
    }
    let positions: Vec<(f64, f64)> = layout(selection.len(), &pairs, options.seed)
        .into_iter()
        .map(|(x, y)| (x * SCALE, y * SCALE))
        .collect();
    let others = added_relations(&edges);
    let words = style::words(options.language);
    let (kind_name, title) = match kind {
        Kind::Global => ("global", words.global_title.to_string()),
        Kind::Local { center } => (
            "local",
            format!("{} {}", words.local_title, graph.node(center).title),
        ),
    };

    let mut out = String::with_capacity(256 * selection.len() + 128 * edges.len() + 1024);
    let _ = write!(
        out,
        "<figure class=\"graph-view\" data-graph=\"{kind_name}\">"
    );
    open_svg(&mut out, &positions, &title);
    out.push_str("<g class=\"viewport\"><g class=\"edges\">");
    for e in &edges {
        draw_edge(&mut out, graph, e, &positions, &others);
    }
    out.push_str("</g><g class=\"nodes\">");
    for (i, &n) in selection.iter().enumerate() {
        let center = matches!(kind, Kind::Local { center } if center == n);
        draw_node(&mut out, graph, n, positions[i], degree[i], center, options);
    }
    out.push_str("</g></g></svg>");
    legend(&mut out, &edges, &others, &words);
    out.push_str("</figure>");
    out
}

/// One edge per pair of selected concepts that any edge links: a written edge before an
/// inferred one, a typed relation before a body link (`linksTo`), then the first in graph order.
fn edges_between<'a>(graph: &'a ConceptGraph, slot: &BTreeMap<NodeIndex, usize>) -> Vec<Drawn<'a>> {
    let mut best: BTreeMap<(usize, usize), (u8, EdgeView<'a>)> = BTreeMap::new();
    for edge in graph.edges() {
        let (Some(&a), Some(&b)) = (slot.get(&edge.source), slot.get(&edge.target)) else {
            continue;
        };
        if a == b {
            continue;
        }
        let rank = 2 * u8::from(edge.edge.inferred) + u8::from(edge.relation() == "linksTo");
        let pair = (a.min(b), a.max(b));
        match best.get(&pair) {
            Some((kept, _)) if *kept <= rank => {}
            _ => {
                best.insert(pair, (rank, edge));
            }
        }
    }
    best.into_values()
        .map(|(_, edge)| Drawn {
            ends: (slot[&edge.source], slot[&edge.target]),
            edge,
        })
        .collect()
}

/// The relations drawn that the default schema does not define, sorted.
fn added_relations<'a>(edges: &[Drawn<'a>]) -> Vec<&'a str> {
    let set: BTreeSet<&str> = edges
        .iter()
        .map(|e| e.edge.relation())
        .filter(|r| !style::is_known(r))
        .collect();
    set.into_iter().collect()
}

/// `<svg …>` with a view box around every position, and its title.
fn open_svg(out: &mut String, positions: &[(f64, f64)], title: &str) {
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for &(x, y) in positions {
        min_x = min_x.min(x);
        min_y = min_y.min(y);
        max_x = max_x.max(x);
        max_y = max_y.max(y);
    }
    let (x0, y0) = (min_x - MARGIN, min_y - MARGIN);
    let (w, h) = (
        max_x - min_x + 2.0 * MARGIN + 120.0,
        max_y - min_y + 2.0 * MARGIN,
    );
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{x0:.1} {y0:.1} {w:.1} {h:.1}\" \
         width=\"{w:.0}\" height=\"{h:.0}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>",
        t = escape(title)
    );
}

fn draw_edge(
    out: &mut String,
    graph: &ConceptGraph,
    drawn: &Drawn<'_>,
    positions: &[(f64, f64)],
    others: &[&str],
) {
    let (a, b) = drawn.ends;
    let relation = drawn.edge.relation();
    let inferred = drawn.edge.edge.inferred;
    let Stroke { colour, dash } = style::stroke(relation, others);
    let _ = write!(
        out,
        "<line class=\"edge{}\" data-relation=\"{}\" data-source=\"{}\" data-target=\"{}\" \
         x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\"",
        if inferred { " inferred" } else { "" },
        escape(relation),
        escape(&graph.node(drawn.edge.source).id),
        escape(&graph.node(drawn.edge.target).id),
        positions[a].0,
        positions[a].1,
        positions[b].0,
        positions[b].1,
    );
    if let Some(dash) = dash {
        let _ = write!(out, " stroke-dasharray=\"{dash}\"");
    }
    if inferred {
        out.push_str(" stroke-opacity=\"0.35\"");
    }
    out.push_str("/>");
}

fn draw_node(
    out: &mut String,
    graph: &ConceptGraph,
    n: NodeIndex,
    (x, y): (f64, f64),
    degree: usize,
    center: bool,
    options: &GraphViewOptions<'_>,
) {
    let node = graph.node(n);
    let radius = (4.0 + 2.0 * (degree as f64).sqrt()).min(18.0) + if center { 4.0 } else { 0.0 };
    let mut classes = String::from("node");
    for (flag, class) in [
        (node.stub, " stub"),
        (center, " center"),
        (degree < 3 && !center, " minor"),
    ] {
        if flag {
            classes.push_str(class);
        }
    }
    let (fill, stroke, dash) = match (node.stub, center) {
        (true, _) => ("none", "#999999", " stroke-dasharray=\"2 2\""),
        (false, true) => ("#e15759", "#ffffff", ""),
        (false, false) => ("#4e79a7", "#ffffff", ""),
    };
    let title = escape(&node.title);
    let _ = write!(
        out,
        "<a class=\"{classes}\" href=\"{}\" data-id=\"{}\" data-tags=\"{}\">\
         <circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{radius:.1}\" fill=\"{fill}\" stroke=\"{stroke}\"{dash}/>\
         <text x=\"{:.1}\" y=\"{:.1}\" fill=\"currentColor\" font-size=\"12\">{title}</text>\
         <title>{title}</title></a>",
        escape(&(options.href)(node)),
        escape(&node.id),
        escape(&node.tags.join(" ")),
        x + radius + 3.0,
        y + 4.0,
    );
}

/// The legend: one entry per relation drawn (a button `graph.js` turns into a toggle), the
/// inferred style and the stub style.
fn legend(out: &mut String, edges: &[Drawn<'_>], others: &[&str], words: &Words) {
    let relations: BTreeSet<&str> = edges.iter().map(|e| e.edge.relation()).collect();
    let _ = write!(
        out,
        "<figcaption class=\"graph-legend\"><span class=\"graph-legend-title\">{}</span><ul>",
        escape(words.relations)
    );
    for relation in &relations {
        let Stroke { colour, dash } = style::stroke(relation, others);
        let dash = dash
            .map(|d| format!(" stroke-dasharray=\"{d}\""))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<li data-relation=\"{r}\"><svg width=\"28\" height=\"10\" aria-hidden=\"true\">\
             <line x1=\"0\" y1=\"5\" x2=\"28\" y2=\"5\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>\
             </svg>{r}</li>",
            r = escape(relation)
        );
    }
    let _ = write!(
        out,
        "<li class=\"graph-legend-note\"><svg width=\"28\" height=\"10\" aria-hidden=\"true\">\
         <line x1=\"0\" y1=\"5\" x2=\"28\" y2=\"5\" stroke=\"#4e79a7\" stroke-width=\"2\" stroke-opacity=\"0.35\"/>\
         </svg>{}</li>\
         <li class=\"graph-legend-note\"><svg width=\"12\" height=\"12\" aria-hidden=\"true\">\
         <circle cx=\"6\" cy=\"6\" r=\"4.5\" fill=\"none\" stroke=\"#999999\" stroke-dasharray=\"2 2\"/>\
         </svg>{}</li></ul></figcaption>",
        escape(words.inferred),
        escape(words.stub)
    );
}

/// `text` safe inside an XML/HTML text node or a double- or single-quoted attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
