//! `savoir show`: one concept with its metadata, relations (explicit and inferred) and backlinks.

use crate::cli::args::{OutputFormat, ShowArgs};
use crate::cli::output::{self, Palette, paint};
use crate::cli::workspace::Workspace;
use anyhow::Result;
use savoir::graph::{ConceptGraph, ConceptNode, NodeIndex};
use savoir::vault::Note;
use serde::Serialize;
use std::io::Write;

/// Frontmatter keys `show` prints in their own place; any other key that is not a relation
/// is listed under "other fields".
const KNOWN_KEYS: [&str; 7] = [
    "title",
    "aliases",
    "tags",
    "type",
    "implementation",
    "date_creation",
    "date_modification",
];

/// A concept as a reference inside another one's record.
#[derive(Serialize)]
struct ConceptRef<'a> {
    id: &'a str,
    title: &'a str,
    stub: bool,
}

impl<'a> ConceptRef<'a> {
    fn new(node: &'a ConceptNode) -> Self {
        ConceptRef {
            id: &node.id,
            title: &node.title,
            stub: node.stub,
        }
    }
}

/// One relation leaving the concept.
#[derive(Serialize)]
struct RelationOut<'a> {
    relation: &'a str,
    target: ConceptRef<'a>,
    inferred: bool,
}

/// The JSON of `savoir show`.
#[derive(Serialize)]
struct Shown<'a> {
    id: &'a str,
    title: &'a str,
    path: Option<String>,
    stub: bool,
    aliases: &'a [String],
    tags: &'a [String],
    #[serde(rename = "type")]
    kind: Option<&'a str>,
    implementations: &'a [String],
    created: Option<&'a str>,
    modified: Option<&'a str>,
    relations: Vec<RelationOut<'a>>,
    backlinks: Vec<ConceptRef<'a>>,
    fields: Vec<FieldOut<'a>>,
}

/// A frontmatter key that is neither shown elsewhere nor a relation.
#[derive(Serialize)]
struct FieldOut<'a> {
    key: &'a str,
    values: &'a [String],
}

/// Prints one concept.
pub fn run(ws: &Workspace, args: &ShowArgs) -> Result<()> {
    let node = ws.concept(&args.concept)?;
    let note = ws.graph.node(node).note.map(|i| &ws.vault.notes[i]);
    let shown = describe(&ws.graph, node, note);
    let mut out = output::stdout();
    match args.format {
        OutputFormat::Json => output::write_json(&mut out, &shown)?,
        OutputFormat::Text => write_text(&mut out, &shown, ws, Palette::for_stdout())?,
    }
    out.flush()?;
    Ok(())
}

fn describe<'a>(graph: &'a ConceptGraph, node: NodeIndex, note: Option<&'a Note>) -> Shown<'a> {
    let concept = graph.node(node);
    let relations = graph
        .outgoing(node)
        .into_iter()
        .map(|e| RelationOut {
            relation: &e.edge.relation,
            target: ConceptRef::new(graph.node(e.target)),
            inferred: e.edge.inferred,
        })
        .collect();
    let backlinks = graph
        .backlinks(node)
        .into_iter()
        .map(|n| ConceptRef::new(graph.node(n)))
        .collect();
    Shown {
        id: &concept.id,
        title: &concept.title,
        path: concept
            .path
            .as_ref()
            .map(|p| p.to_string_lossy().replace('\\', "/")),
        stub: concept.stub,
        aliases: &concept.aliases,
        tags: &concept.tags,
        kind: note.and_then(|n| n.kind.as_deref()),
        implementations: &concept.implementations,
        created: note
            .and_then(|n| n.created.as_ref())
            .map(|d| d.value.as_str()),
        modified: note
            .and_then(|n| n.modified.as_ref())
            .map(|d| d.value.as_str()),
        relations,
        backlinks,
        fields: note.map(other_fields).unwrap_or_default(),
    }
}

/// Frontmatter keys that are neither shown elsewhere nor relations.
fn other_fields(note: &Note) -> Vec<FieldOut<'_>> {
    note.fields
        .iter()
        .filter(|f| !KNOWN_KEYS.contains(&f.key.as_str()))
        .filter(|f| !note.relations.iter().any(|r| r.key == f.key))
        .map(|f| FieldOut {
            key: &f.key,
            values: &f.values,
        })
        .collect()
}

fn write_text(out: &mut dyn Write, c: &Shown<'_>, ws: &Workspace, p: Palette) -> Result<()> {
    writeln!(out, "{}", paint(p.strong, c.title))?;
    let label = |name: &str| paint(p.dim, format_args!("{name:<15}"));
    match &c.path {
        Some(path) => writeln!(
            out,
            "{}{}",
            label("path"),
            ws.vault.root.join(path).display()
        )?,
        None => writeln!(out, "{}not written yet (stub)", label("path"))?,
    }
    writeln!(out, "{}{}", label("id"), c.id)?;
    let lists = [
        ("aliases", c.aliases),
        ("tags", c.tags),
        ("implementation", c.implementations),
    ];
    for (name, values) in lists {
        if !values.is_empty() {
            writeln!(out, "{}{}", label(name), values.join(", "))?;
        }
    }
    let scalars = [
        ("type", c.kind),
        ("created", c.created),
        ("modified", c.modified),
    ];
    for (name, value) in scalars {
        if let Some(value) = value {
            writeln!(out, "{}{value}", label(name))?;
        }
    }
    for field in &c.fields {
        writeln!(out, "{}{}", label(field.key), field.values.join(", "))?;
    }
    let explicit: Vec<_> = c.relations.iter().filter(|r| !r.inferred).collect();
    let inferred: Vec<_> = c.relations.iter().filter(|r| r.inferred).collect();
    write_relations(out, "relations", &explicit, p)?;
    write_relations(out, "inferred relations", &inferred, p)?;
    if !c.backlinks.is_empty() {
        writeln!(out, "\n{}", paint(p.strong, "backlinks"))?;
        for b in &c.backlinks {
            writeln!(out, "  {}", concept_label(b, p))?;
        }
    }
    Ok(())
}

fn write_relations(
    out: &mut dyn Write,
    heading: &str,
    relations: &[&RelationOut<'_>],
    p: Palette,
) -> Result<()> {
    if relations.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{}", paint(p.strong, heading))?;
    let width = relations
        .iter()
        .map(|r| r.relation.len())
        .max()
        .unwrap_or(0);
    for r in relations {
        let marker = if r.inferred {
            paint(p.dim, " (inferred)")
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {:<width$} → {}{marker}",
            r.relation,
            concept_label(&r.target, p)
        )?;
    }
    Ok(())
}

fn concept_label(c: &ConceptRef<'_>, p: Palette) -> String {
    if c.stub {
        format!("{} {}", c.title, paint(p.dim, "(stub)"))
    } else {
        c.title.to_string()
    }
}
