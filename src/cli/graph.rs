//! `savoir graph`: an export of the concept graph, or the shortest path between two concepts.

use crate::cli::Outcome;
use crate::cli::args::{GraphArgs, GraphFormat};
use crate::cli::output::{self, Palette, paint};
use crate::cli::workspace::Workspace;
use anyhow::{Result, bail};
use savoir::graph::{
    ConceptGraph, EdgeView, GraphFormat as ExportFormat, NodeIndex, RelationFilter, export, to_text,
};
use serde::Serialize;
use std::io::Write;

/// Writes the export (or the path) to `-o FILE` or stdout; a missing path exits 1.
pub fn run(ws: &Workspace, args: &GraphArgs) -> Result<Outcome> {
    let path_format = match (args.from.is_some(), args.format) {
        (false, _) => None,
        (true, GraphFormat::Json) => Some(PathFormat::Json),
        (true, GraphFormat::Text) => Some(PathFormat::Text),
        (true, other) => bail!(
            "a path is printed as text or json, not {}\nhelp: use `--format text` or `--format json` with --from/--to",
            export_format(other).map_or("text", ExportFormat::name)
        ),
    };
    let filter = RelationFilter::only(&args.relations);
    let mut out = output::file_or_stdout(args.output.as_deref())?;
    // Colour only what goes to a terminal.
    let palette = if args.output.is_some() {
        Palette::default()
    } else {
        Palette::for_stdout()
    };
    let outcome = match (&args.from, &args.to, path_format) {
        (Some(from), Some(to), Some(format)) => {
            let from = ws.concept(from)?;
            let to = ws.concept(to)?;
            write_path(&mut out, &ws.graph, (from, to), &filter, format, palette)?
        }
        _ => {
            match export_format(args.format) {
                Some(format) => out.write_all(export(&ws.graph, format, &filter).as_bytes())?,
                None => {
                    let dim = |text: &str| paint(palette.dim, text);
                    out.write_all(to_text(&ws.graph, &filter, &dim).as_bytes())?
                }
            }
            Outcome::Clean
        }
    };
    out.flush()?;
    Ok(outcome)
}

fn export_format(format: GraphFormat) -> Option<ExportFormat> {
    Some(match format {
        GraphFormat::Json => ExportFormat::Json,
        GraphFormat::Dot => ExportFormat::Dot,
        GraphFormat::Jsonld => ExportFormat::JsonLd,
        GraphFormat::Graphml => ExportFormat::GraphMl,
        GraphFormat::Mermaid => ExportFormat::Mermaid,
        GraphFormat::Text => return None,
    })
}

/// A concept at one end of a path or on it.
#[derive(Serialize)]
struct Stop<'a> {
    id: &'a str,
    title: &'a str,
}

/// One edge walked along a path, as the graph stores it (`forward: false` when walked from
/// its target to its source).
#[derive(Serialize)]
struct Step<'a> {
    source: &'a str,
    target: &'a str,
    relation: &'a str,
    inferred: bool,
    forward: bool,
}

/// The JSON of `savoir graph --from A --to B`; `path` and `steps` are null when there is none.
#[derive(Serialize)]
struct PathOut<'a> {
    from: Stop<'a>,
    to: Stop<'a>,
    found: bool,
    path: Option<Vec<Stop<'a>>>,
    steps: Option<Vec<Step<'a>>>,
}

fn stop(graph: &ConceptGraph, n: NodeIndex) -> Stop<'_> {
    let node = graph.node(n);
    Stop {
        id: &node.id,
        title: &node.title,
    }
}

/// How a path is printed.
#[derive(Clone, Copy)]
enum PathFormat {
    Text,
    Json,
}

fn write_path(
    out: &mut dyn Write,
    graph: &ConceptGraph,
    (from, to): (NodeIndex, NodeIndex),
    filter: &RelationFilter,
    format: PathFormat,
    p: Palette,
) -> Result<Outcome> {
    let steps = graph.shortest_path(from, to, filter);
    let walked = steps.as_deref().map(|steps| walk(from, steps));
    match format {
        PathFormat::Json => {
            let path_out = PathOut {
                from: stop(graph, from),
                to: stop(graph, to),
                found: walked.is_some(),
                path: walked.as_ref().map(|w| {
                    std::iter::once(from)
                        .chain(w.iter().map(|(_, next, _)| *next))
                        .map(|n| stop(graph, n))
                        .collect()
                }),
                steps: walked.as_ref().map(|w| {
                    w.iter()
                        .map(|(e, _, forward)| Step {
                            source: &graph.node(e.source).id,
                            target: &graph.node(e.target).id,
                            relation: e.relation(),
                            inferred: e.edge.inferred,
                            forward: *forward,
                        })
                        .collect()
                }),
            };
            output::write_json(out, &path_out)?;
        }
        PathFormat::Text => match &walked {
            Some(walked) => {
                let mut line = graph.node(from).title.clone();
                for (e, next, forward) in walked {
                    let arrow = if *forward {
                        format!("—{}→", e.relation())
                    } else {
                        format!("←{}—", e.relation())
                    };
                    line.push_str(&format!(
                        " {} {}",
                        paint(p.dim, arrow),
                        graph.node(*next).title
                    ));
                }
                writeln!(out, "{line}")?;
            }
            None => writeln!(
                out,
                "no path between \"{}\" and \"{}\"",
                graph.node(from).title,
                graph.node(to).title
            )?,
        },
    }
    Ok(if walked.is_some() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

/// Each step with the concept it reaches and whether it was walked in the edge's direction.
fn walk<'a>(from: NodeIndex, steps: &[EdgeView<'a>]) -> Vec<(EdgeView<'a>, NodeIndex, bool)> {
    let mut current = from;
    steps
        .iter()
        .map(|e| {
            let forward = e.source == current;
            current = if forward { e.target } else { e.source };
            (*e, current, forward)
        })
        .collect()
}
