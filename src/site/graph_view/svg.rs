//! Draws a laid-out selection of the graph: a `<figure>` holding the SVG (edges, then nodes as
//! linked circles with labels) and an HTML legend of the relations drawn.
//!
//! Everything the vault wrote (titles, tags, relation names, hrefs) is escaped; styling uses SVG
//! presentation attributes for edges and classes for nodes (their colours and label font are in
//! `templates/assets/graph.css`, not repeated on each node); no `style` attribute, no script, so
//! the page's Content-Security-Policy holds. `templates/assets/graph.js` reads the `data-*` attributes.

use super::GraphViewOptions;
use super::layout::layout;
use super::style::{self, Stroke, Words};
use crate::graph::{ConceptGraph, EdgeView};
use crate::html::{escape_html as escape, escape_html_into as escape_into};
use petgraph::graph::NodeIndex;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Pixels per ideal edge length.
const SCALE: f64 = 72.0;

/// Room around the drawing, in pixels.
const MARGIN: f64 = 12.0;

/// Font size of the labels, in pixels (the style sheet sets it; the layout leaves room for it).
const FONT: f64 = 11.0;

/// Above this many concepts, only the best linked ones are labelled until the reader zooms in.
const ALL_LABELS_UP_TO: usize = 60;

/// Above this many concepts in a local graph, only the centre and its direct neighbours are
/// labelled until the reader zooms in (48 labels overlap at page width).
const ALL_LOCAL_LABELS_UP_TO: usize = 16;

/// The share of concepts labelled at first sight in a graph larger than [`ALL_LABELS_UP_TO`].
const LABELLED_SHARE: f64 = 0.15;

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
pub(super) struct Drawn<'a> {
    /// Ends, as positions in the selection.
    ends: (usize, usize),
    /// The edge shown.
    edge: EdgeView<'a>,
}

/// A fingerprint of everything [`figure`] draws a selection from besides the options: the
/// hashes of its concepts as drawn (id, title, state, tags: [`drawn_concepts`], in selection
/// order) and the `edges` drawn between them. Cheap next to the layout, so a page whose
/// figure would come out the same need not draw it again.
pub(super) fn fingerprint(concepts: &[u64], edges: &[Drawn<'_>]) -> u64 {
    let edges: Vec<((usize, usize), &str, bool)> = edges
        .iter()
        .map(|e| (e.ends, e.edge.relation(), e.edge.edge.inferred))
        .collect();
    crate::site::fingerprint::hash_of(&(concepts, edges))
}

/// What a figure shows of each concept of `selection`: id, title, state and tags.
pub(super) fn drawn_concepts<'g>(
    graph: &'g ConceptGraph,
    selection: &[NodeIndex],
) -> Vec<(&'g str, &'g str, bool, &'g [String])> {
    selection
        .iter()
        .map(|&n| {
            let c = graph.node(n);
            (c.id.as_str(), c.title.as_str(), c.stub, c.tags.as_slice())
        })
        .collect()
}

/// The figure for `selection` (concepts, each once) of `graph` and the `edges` drawn between
/// them ([`drawn_edges`]).
pub(super) fn figure(
    graph: &ConceptGraph,
    selection: &[NodeIndex],
    edges: &[Drawn<'_>],
    kind: Kind,
    options: &GraphViewOptions<'_>,
) -> String {
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
    let minor = minor_labels(selection, &pairs, &degree, kind);
    let marks = marks(graph, selection, &degree, &positions, &minor, kind);
    let others = added_relations(edges);
    let words = style::words(options.language);
    let (kind_name, title) = match kind {
        Kind::Global => ("global", words.global_title.to_string()),
        Kind::Local { center } => (
            "local",
            format!("{} {}", words.local_title, graph.node(center).title),
        ),
    };

    let tags = TopTags::new(graph, selection);

    let mut out = String::with_capacity(160 * selection.len() + 64 * edges.len() + 1024);
    let _ = write!(
        out,
        "<figure class=\"graph-view\" data-graph=\"{kind_name}\""
    );
    if !tags.names.is_empty() {
        let names = serde_json::to_string(&tags.names).expect("tags serialise");
        let _ = write!(out, " data-tag-names=\"{}\"", escape(&names));
    }
    out.push('>');
    open_svg(&mut out, &marks, &title);
    out.push_str("<g class=\"viewport\"><g class=\"edges\">");
    draw_edges(&mut out, edges, &positions, &others);
    out.push_str("</g><g class=\"nodes\">");
    for (&n, mark) in selection.iter().zip(&marks) {
        draw_node(&mut out, graph, n, mark, &tags, options);
    }
    out.push_str("</g></g></svg>");
    legend(&mut out, edges, &others, &words);
    out.push_str("</figure>");
    out
}

/// One edge per pair of selected concepts that any of `edges` (the edges within the
/// selection) links: a written edge before an inferred one, a typed relation before a body
/// link (`linksTo`), then the first added to the graph.
pub(super) fn drawn_edges<'a>(selection: &[NodeIndex], edges: Vec<EdgeView<'a>>) -> Vec<Drawn<'a>> {
    // Each concept's place in the selection, found by binary search (a few dozen concepts).
    let mut places: Vec<(NodeIndex, usize)> =
        selection.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    places.sort_unstable();
    let slot = |n: NodeIndex| places[places.partition_point(|&(m, _)| m < n)].1;
    let mut ranked: Vec<_> = edges
        .into_iter()
        .filter_map(|edge| {
            let ends = (slot(edge.source), slot(edge.target));
            let rank = (
                2 * u8::from(edge.edge.inferred) + u8::from(edge.relation() == "linksTo"),
                edge.id,
            );
            let pair = (ends.0.min(ends.1), ends.0.max(ends.1));
            (ends.0 != ends.1).then_some((pair, rank, Drawn { ends, edge }))
        })
        .collect();
    // By pair, the best ranked first; then the first of each pair is kept.
    ranked.sort_unstable_by_key(|&(pair, rank, _)| (pair, rank));
    ranked.dedup_by_key(|&mut (pair, ..)| pair);
    ranked.into_iter().map(|(.., drawn)| drawn).collect()
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

/// How one concept is drawn.
struct Mark {
    /// Centre.
    x: f64,
    /// Centre.
    y: f64,
    /// Radius of its circle (grows with its degree).
    radius: f64,
    /// The concept the local graph is about.
    center: bool,
    /// Its label waits for the reader to zoom in.
    minor: bool,
    /// Half the estimated width of its label.
    half_label: f64,
}

/// Which labels wait for the reader to zoom in (the tooltip still names the concept): in a
/// large global graph, all but the best linked concepts'; in a local graph of more than
/// [`ALL_LOCAL_LABELS_UP_TO`] concepts, all but the centre's and its direct neighbours'.
fn minor_labels(
    selection: &[NodeIndex],
    pairs: &[(usize, usize)],
    degree: &[usize],
    kind: Kind,
) -> Vec<bool> {
    match kind {
        Kind::Local { center } => {
            let mut minor = vec![selection.len() > ALL_LOCAL_LABELS_UP_TO; selection.len()];
            if let Some(c) = selection.iter().position(|&n| n == center) {
                minor[c] = false;
                for &(a, b) in pairs {
                    match (a == c, b == c) {
                        (true, _) => minor[b] = false,
                        (_, true) => minor[a] = false,
                        _ => {}
                    }
                }
            }
            minor
        }
        Kind::Global if selection.len() <= ALL_LABELS_UP_TO => vec![false; selection.len()],
        Kind::Global => {
            let mut sorted = degree.to_vec();
            sorted.sort_unstable();
            let label_from = sorted[((1.0 - LABELLED_SHARE) * sorted.len() as f64) as usize];
            degree.iter().map(|&d| d < label_from).collect()
        }
    }
}

/// The marks of the selected concepts: circles from 4 to 12 pixels by the square root of the
/// degree relative to the largest.
fn marks(
    graph: &ConceptGraph,
    selection: &[NodeIndex],
    degree: &[usize],
    positions: &[(f64, f64)],
    minor: &[bool],
    kind: Kind,
) -> Vec<Mark> {
    let max_degree = degree.iter().copied().max().unwrap_or(0).max(1) as f64;
    selection
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let center = matches!(kind, Kind::Local { center } if center == n);
            let chars = graph.node(n).title.chars().count() as f64;
            Mark {
                x: positions[i].0,
                y: positions[i].1,
                radius: 4.0
                    + 8.0 * (degree[i] as f64 / max_degree).sqrt()
                    + if center { 3.0 } else { 0.0 },
                center,
                minor: minor[i],
                half_label: 0.28 * FONT * chars,
            }
        })
        .collect()
}

/// `<svg …>` with a view box around every circle and label, and its title.
fn open_svg(out: &mut String, marks: &[Mark], title: &str) {
    let (mut min_x, mut min_y, mut max_x, mut max_y) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for m in marks {
        let half_width = m.radius.max(m.half_label);
        min_x = min_x.min(m.x - half_width);
        max_x = max_x.max(m.x + half_width);
        min_y = min_y.min(m.y - m.radius);
        max_y = max_y.max(m.y + m.radius + FONT + 4.0);
    }
    let (x0, y0) = (min_x - MARGIN, min_y - MARGIN);
    let (w, h) = (max_x - min_x + 2.0 * MARGIN, max_y - min_y + 2.0 * MARGIN);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{x0:.1} {y0:.1} {w:.1} {h:.1}\" \
         width=\"{w:.0}\" height=\"{h:.0}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>",
        t = escape(title)
    );
}

/// The edges, grouped by relation and by written or inferred: each group carries the stroke its
/// lines inherit. A line's ends are written as its nodes' centres are ([`push_tenths`]), which is how
/// `graph.js` finds the two nodes it joins.
fn draw_edges(out: &mut String, edges: &[Drawn<'_>], positions: &[(f64, f64)], others: &[&str]) {
    let mut groups: BTreeMap<(bool, &str), Vec<&Drawn<'_>>> = BTreeMap::new();
    for e in edges {
        groups
            .entry((e.edge.edge.inferred, e.edge.relation()))
            .or_default()
            .push(e);
    }
    for ((inferred, relation), lines) in groups {
        let Stroke { colour, dash } = style::stroke(relation, others);
        let _ = write!(
            out,
            "<g class=\"relation{}\" data-relation=\"{}\" stroke=\"{colour}\"",
            if inferred { " inferred" } else { "" },
            escape(relation),
        );
        if let Some(dash) = dash {
            let _ = write!(out, " stroke-dasharray=\"{dash}\"");
        }
        if inferred {
            out.push_str(" stroke-opacity=\"0.35\"");
        }
        out.push('>');
        for line in lines {
            let (a, b) = line.ends;
            let ((x1, y1), (x2, y2)) = (positions[a], positions[b]);
            for (attribute, value) in [
                ("<line x1", x1),
                ("\" y1", y1),
                ("\" x2", x2),
                ("\" y2", y2),
            ] {
                out.push_str(attribute);
                out.push_str("=\"");
                push_tenths(out, value);
            }
            out.push_str("\"/>");
        }
        out.push_str("</g>");
    }
}

/// The top-level tags of the concepts drawn (`ml` for `ml/nn`), sorted, each once: the figure
/// lists them and each node names its own by position, which is all the tag toggles need.
struct TopTags<'g> {
    /// The tags, sorted.
    names: Vec<&'g str>,
}

impl<'g> TopTags<'g> {
    fn new(graph: &'g ConceptGraph, selection: &[NodeIndex]) -> TopTags<'g> {
        let names: BTreeSet<&str> = selection
            .iter()
            .flat_map(|&n| graph.node(n).tags.iter().map(|t| top_tag(t)))
            .collect();
        TopTags {
            names: names.into_iter().collect(),
        }
    }

    /// The positions in [`TopTags::names`] of `tags`' top-level tags, each once, ascending.
    fn positions(&self, tags: &[String]) -> Vec<usize> {
        let mut positions: Vec<usize> = tags
            .iter()
            .filter_map(|t| self.names.binary_search(&top_tag(t)).ok())
            .collect();
        positions.sort_unstable();
        positions.dedup();
        positions
    }
}

/// The part of a tag before its first `/`.
fn top_tag(tag: &str) -> &str {
    tag.split('/').next().unwrap_or(tag)
}

/// A node: its link, the positions of its top-level tags, its circle, and its name once: a
/// label, or a tooltip when the label waits for the reader to zoom in (`graph.js` then draws the
/// label from it).
fn draw_node(
    out: &mut String,
    graph: &ConceptGraph,
    n: NodeIndex,
    mark: &Mark,
    tags: &TopTags<'_>,
    options: &GraphViewOptions<'_>,
) {
    let node = graph.node(n);
    out.push_str("<a class=\"node");
    for (flag, class) in [
        (node.stub, " stub"),
        (mark.center, " center"),
        (mark.minor, " minor"),
    ] {
        if flag {
            out.push_str(class);
        }
    }
    out.push_str("\" href=\"");
    escape_into(out, &(options.href)(node));
    out.push('"');
    let positions = tags.positions(&node.tags);
    for (i, &position) in positions.iter().enumerate() {
        out.push_str(if i == 0 { " data-tags=\"" } else { " " });
        push_integer(out, position as u64);
    }
    if !positions.is_empty() {
        out.push('"');
    }
    let Mark { x, y, radius, .. } = *mark;
    for (attribute, value) in [("><circle cx", x), ("\" cy", y), ("\" r", radius)] {
        out.push_str(attribute);
        out.push_str("=\"");
        push_tenths(out, value);
    }
    out.push_str("\"/>");
    if mark.minor {
        out.push_str("<title>");
        escape_into(out, &node.title);
        out.push_str("</title></a>");
    } else {
        out.push_str("<text x=\"");
        push_tenths(out, x);
        out.push_str("\" y=\"");
        push_tenths(out, y + radius + FONT);
        out.push_str("\">");
        escape_into(out, &node.title);
        out.push_str("</text></a>");
    }
}

/// Writes a coordinate with one decimal (`-104.6`) by integer arithmetic: a figure holds
/// thousands of them, and the float formatter's exact rounding costs more than the layout of a
/// local graph.
fn push_tenths(out: &mut String, value: f64) {
    let tenths = (value * 10.0).round() as i64;
    if tenths < 0 {
        out.push('-');
    }
    let tenths = tenths.unsigned_abs();
    push_integer(out, tenths / 10);
    out.push('.');
    push_integer(out, tenths % 10);
}

/// Writes `n` in decimal, without going through `std::fmt`.
fn push_integer(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[start..]).expect("ASCII digits"));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{ConceptEdge, EdgeIndex, EdgeOrigin};
    use crate::vault::Span;

    #[test]
    fn coordinates_are_written_to_the_tenth() {
        let written: Vec<String> = [-104.64, 45.66, 0.0, -0.04, 3.0, 1234.95, 0.26, -0.26]
            .map(|x| {
                let mut out = String::new();
                push_tenths(&mut out, x);
                out
            })
            .into();
        assert_eq!(
            written,
            [
                "-104.6", "45.7", "0.0", "0.0", "3.0", "1235.0", "0.3", "-0.3"
            ]
        );
    }

    #[test]
    fn an_inferred_edge_is_drawn_lighter_in_its_own_group() {
        let edge = |relation: &str, inferred: bool| ConceptEdge {
            relation: relation.into(),
            inferred,
            origin: EdgeOrigin {
                note: NodeIndex::new(0),
                span: Span { line: 1, column: 1 },
            },
        };
        let (written, inferred) = (edge("hasPart", false), edge("isPartOf", true));
        let view = |e: &'static str, edge| EdgeView {
            id: EdgeIndex::new(0),
            source: NodeIndex::new(usize::from(e == "b")),
            target: NodeIndex::new(usize::from(e == "a")),
            edge,
        };
        let drawn = [
            Drawn {
                ends: (0, 1),
                edge: view("a", &written),
            },
            Drawn {
                ends: (1, 2),
                edge: view("b", &inferred),
            },
        ];
        let mut out = String::new();
        draw_edges(&mut out, &drawn, &[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)], &[]);
        assert!(out.starts_with(
            "<g class=\"relation\" data-relation=\"hasPart\" stroke=\"#59a14f\"><line x1=\"0.0\" y1=\"0.0\" x2=\"1.0\""
        ), "{out}");
        assert!(
            out.contains(
                "<g class=\"relation inferred\" data-relation=\"isPartOf\" stroke=\"#59a14f\" \
             stroke-dasharray=\"8 3\" stroke-opacity=\"0.35\"><line x1=\"1.0\" y1=\"0.0\" x2=\"2.0\""
            ),
            "{out}"
        );
    }
}
