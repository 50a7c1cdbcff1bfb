//! `savoir list`: the concepts of the vault, optionally those with one tag.

use crate::cli::args::{ListArgs, OutputFormat};
use crate::cli::output::{self, Palette, paint};
use crate::cli::workspace::Workspace;
use anyhow::Result;
use savoir::graph::ConceptNode;
use savoir::view::{has_tag, normalize_tag};
use serde::Serialize;
use std::io::Write;

/// One concept in the JSON of `savoir list`.
#[derive(Serialize)]
struct Listed<'a> {
    id: &'a str,
    title: &'a str,
    path: Option<String>,
    tags: &'a [String],
    implementations: &'a [String],
}

/// The JSON of `savoir list`.
#[derive(Serialize)]
struct Listing<'a> {
    concepts: Vec<Listed<'a>>,
}

/// Prints every written concept (stubs excluded), sorted by title.
pub fn run(ws: &Workspace, args: &ListArgs) -> Result<()> {
    let tag = args.tag.as_deref().map(normalize_tag);
    let mut concepts: Vec<&ConceptNode> = ws
        .graph
        .nodes()
        .map(|(_, n)| n)
        .filter(|n| !n.stub)
        .filter(|n| tag.as_deref().is_none_or(|t| has_tag(n, t)))
        .collect();
    concepts.sort_by_cached_key(|n| (n.title.to_lowercase(), n.id.clone()));
    let mut out = output::stdout();
    match args.format {
        OutputFormat::Json => {
            let listing = Listing {
                concepts: concepts.iter().map(|n| listed(n)).collect(),
            };
            output::write_json(&mut out, &listing)?;
        }
        OutputFormat::Text => {
            let p = Palette::for_stdout();
            let width = concepts
                .iter()
                .map(|n| n.title.chars().count())
                .max()
                .unwrap_or(0);
            for n in &concepts {
                let pad = " ".repeat(width - n.title.chars().count());
                let line = format!(
                    "{}{pad}  {}",
                    paint(p.strong, &n.title),
                    paint(p.dim, n.tags.join(", "))
                );
                writeln!(out, "{}", line.trim_end())?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn listed(n: &ConceptNode) -> Listed<'_> {
    Listed {
        id: &n.id,
        title: &n.title,
        path: n
            .path
            .as_ref()
            .map(|p| p.to_string_lossy().replace('\\', "/")),
        tags: &n.tags,
        implementations: &n.implementations,
    }
}
