//! `savoir show`: one concept with its metadata, relations (explicit and inferred) and backlinks.

use crate::cli::args::{OutputFormat, ShowArgs};
use crate::cli::output::{self, Palette, paint};
use crate::cli::workspace::Workspace;
use anyhow::Result;
use savoir::view::{ConceptRef, ConceptView, RelationView, Views};
use std::io::Write;

/// Prints one concept.
pub fn run(ws: &Workspace, args: &ShowArgs) -> Result<()> {
    let node = ws.concept(&args.concept)?;
    let shown = Views::new(&ws.vault, &ws.graph).concept(node);
    let mut out = output::stdout();
    match args.format {
        OutputFormat::Json => output::write_json(&mut out, &shown)?,
        OutputFormat::Text => write_text(&mut out, &shown, ws, Palette::for_stdout())?,
    }
    out.flush()?;
    Ok(())
}

fn write_text(out: &mut dyn Write, c: &ConceptView<'_>, ws: &Workspace, p: Palette) -> Result<()> {
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
        ("created", c.created.map(|d| d.written)),
        ("modified", c.modified.map(|d| d.written)),
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
            writeln!(out, "  {}", concept_label(&b.source, p))?;
        }
    }
    Ok(())
}

fn write_relations(
    out: &mut dyn Write,
    heading: &str,
    relations: &[&RelationView<'_>],
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
