//! `relation-cycle`: concepts that reach themselves along one relation (`A subClassOf B`,
//! `B subClassOf A`). An error on a transitive relation (it would make a concept its own
//! ancestor), a warning on any other. Checked: every relation some note writes, except
//! symmetric ones (they loop by definition) and body links (`linksTo`). Inferred inverse edges
//! count (`A isPartOf B` plus `A hasPart B` is a `hasPart` cycle), and a cycle is reported
//! once per inverse pair (under the relation its notes wrote), as one diagnostic per strongly
//! connected component, naming one cycle through it and placed where its first written
//! statement is.

use super::{Context, PerRelation};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::graph::{EdgeOrigin, EdgeView, LINKS_TO, NodeIndex};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;
use std::collections::VecDeque;

/// How many statements the help lists.
const SHOWN_STATEMENTS: usize = 6;

pub(super) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let schema = context.schema;
    let mut slots = PerRelation::new();
    let mut checked: Vec<Checked<'_>> = Vec::new();
    for e in context.graph.edges() {
        let slot = slots.get(&e.edge.relation, |name| {
            if name == LINKS_TO || schema.is_symmetric(name) {
                return None;
            }
            checked.push(Checked {
                relation: &e.edge.relation,
                written: 0,
                pairs: Vec::new(),
            });
            Some(checked.len() - 1)
        });
        if let Some(slot) = slot {
            let entry = &mut checked[slot];
            entry.written += usize::from(!e.edge.inferred);
            entry
                .pairs
                .push((e.source.index() as u32, e.target.index() as u32));
        }
    }
    checked.retain(|c| c.written > 0);
    checked.sort_by(|a, b| b.written.cmp(&a.written).then(a.relation.cmp(b.relation)));
    let mut reported: HashSet<(&str, Vec<NodeIndex>)> = HashSet::new();
    let mut found = Vec::new();
    for checked in &checked {
        let relation: &str = checked.relation;
        let pair = match schema.inverse(relation) {
            Some(inverse) if inverse < relation => inverse,
            _ => relation,
        };
        let graph: DiGraph<(), ()> = DiGraph::from_edges(&checked.pairs);
        for mut component in tarjan_scc(&graph) {
            if component.len() < 2 {
                continue;
            }
            component.sort();
            let Some(cycle) = cycle_through(&graph, component[0], &component) else {
                continue;
            };
            let steps = steps_of(context, relation, &cycle);
            // A cycle made only of inferred edges is reported under the inverse, as written.
            let Some(first_written) = steps.iter().find(|e| !e.edge.inferred) else {
                continue;
            };
            let at = first_written.edge.origin;
            let size = component.len();
            if reported.insert((pair, component)) {
                found.push(diagnostic(context, relation, &cycle, &steps, size, at));
            }
        }
    }
    found
}

/// One checked relation's edges.
struct Checked<'g> {
    relation: &'g std::sync::Arc<str>,
    written: usize,
    pairs: Vec<(u32, u32)>,
}

/// The graph's edges along `cycle`.
fn steps_of<'g>(context: &Context<'g>, relation: &str, cycle: &[NodeIndex]) -> Vec<EdgeView<'g>> {
    cycle
        .windows(2)
        .filter_map(|pair| {
            context
                .graph
                .outgoing(pair[0])
                .into_iter()
                .find(|e| e.target == pair[1] && e.relation() == relation)
        })
        .collect()
}

/// The shortest cycle from `start` back to itself inside `component` (breadth-first).
fn cycle_through(
    graph: &DiGraph<(), ()>,
    start: NodeIndex<u32>,
    component: &[NodeIndex<u32>],
) -> Option<Vec<NodeIndex>> {
    let inside: HashSet<NodeIndex> = component.iter().copied().collect();
    let mut came_from: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(current) = queue.pop_front() {
        let mut next: Vec<NodeIndex> = graph.neighbors(current).collect();
        next.sort();
        for n in next {
            if n == start {
                let mut cycle = vec![current];
                while let Some(&previous) = came_from.get(cycle.last()?) {
                    cycle.push(previous);
                }
                cycle.reverse();
                cycle.push(start);
                return Some(cycle);
            }
            if inside.contains(&n) && !came_from.contains_key(&n) {
                came_from.insert(n, current);
                queue.push_back(n);
            }
        }
    }
    None
}

fn diagnostic(
    context: &Context<'_>,
    relation: &str,
    cycle: &[NodeIndex],
    steps: &[EdgeView<'_>],
    component_size: usize,
    at: EdgeOrigin,
) -> Diagnostic {
    let graph = context.graph;
    let names: Vec<String> = cycle
        .iter()
        .map(|&n| format!("`{}`", graph.node(n).title))
        .collect();
    let transitive = context.schema.is_transitive(relation);
    let mut message = format!("`{relation}` cycle: {}", names.join(" → "));
    if transitive {
        message.push_str(&format!(
            " (`{relation}` is transitive, so {} would be its own `{relation}`)",
            names[0]
        ));
    }
    if component_size > cycle.len() - 1 {
        message.push_str(&format!(
            "; {component_size} concepts are caught in `{relation}` cycles with it"
        ));
    }
    let statements: Vec<String> = steps
        .iter()
        .take(SHOWN_STATEMENTS)
        .map(|e| {
            let origin = e.edge.origin;
            let file = graph.node(origin.note).path.clone().unwrap_or_default();
            let written = if e.edge.inferred {
                " (as its inverse)"
            } else {
                ""
            };
            format!("{}:{}{written}", file.display(), origin.span.line)
        })
        .collect();
    let help = format!(
        "remove or reverse one of the statements of this cycle: {}",
        statements.join(", ")
    );
    let severity = if transitive {
        Severity::Error
    } else {
        Severity::Warning
    };
    context
        .at_origin(Code::RelationCycle, at, message)
        .with_help(help)
        .with_severity(severity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::rules::testing::findings;
    use crate::graph::test_support::note;

    #[test]
    fn a_transitive_cycle_is_an_error_naming_the_cycle() {
        let found = findings(
            check,
            vec![
                note("a.md", "A").relation("subClassOf", "B"),
                note("b.md", "B").relation("subClassOf", "C"),
                note("c.md", "C").relation("subClassOf", "A"),
            ],
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let d = &found[0];
        assert_eq!(d.severity, Severity::Error);
        assert!(
            d.message
                .starts_with("`subClassOf` cycle: `A` → `B` → `C` → `A`"),
            "{}",
            d.message
        );
        assert_eq!((d.file.to_str(), d.line), (Some("a.md"), 3));
        assert!(d.help.contains("a.md:3, b.md:3, c.md:3"), "{}", d.help);
    }

    #[test]
    fn a_cycle_through_an_inverse_is_reported_once_as_a_warning() {
        let found = findings(
            check,
            vec![
                note("a.md", "A").relation("hasPart", "B"),
                note("b.md", "B").relation("hasPart", "A"),
                note("c.md", "C").relation("isPartOf", "D"),
                note("d.md", "D").relation("isPartOf", "C"),
            ],
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|d| d.severity == Severity::Warning));
    }

    #[test]
    fn silent_on_trees_symmetric_relations_and_body_links() {
        let found = findings(
            check,
            vec![
                note("a.md", "A")
                    .relation("subClassOf", "B")
                    .relation("seeAlso", "B")
                    .body_link("B"),
                note("b.md", "B").relation("seeAlso", "A").body_link("A"),
                note("c.md", "C")
                    .relation("subClassOf", "B")
                    .relation("hasPart", "A"),
            ],
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
