//! `savoir list`: the concepts of the vault, optionally those with one tag.

use crate::cli::args::{ListArgs, OutputFormat};
use crate::cli::output::{self, Palette, paint};
use crate::cli::workspace::Workspace;
use anyhow::Result;
use savoir::graph::ConceptNode;
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

/// A tag as compared: no leading `#`, no surrounding `/` or space, lower case.
fn normalize_tag(tag: &str) -> String {
    tag.trim()
        .trim_start_matches('#')
        .trim_matches('/')
        .to_lowercase()
}

/// Whether the concept has `tag` or a tag nested under it (`a` matches `a/b`).
fn has_tag(node: &ConceptNode, tag: &str) -> bool {
    node.tags.iter().any(|t| {
        let t = normalize_tag(t);
        t == tag
            || t.strip_prefix(tag)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tagged(tags: &[&str]) -> ConceptNode {
        ConceptNode {
            id: "x".into(),
            title: "X".into(),
            path: None,
            stub: false,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            aliases: Vec::new(),
            implementations: Vec::new(),
            note: None,
        }
    }

    #[test]
    fn tags_match_case_insensitively_and_by_parent() {
        let node = tagged(&["Deep Learning", "bio/zoologie/mammifères"]);
        assert!(has_tag(&node, &normalize_tag("deep learning")));
        assert!(has_tag(&node, &normalize_tag("#BIO")));
        assert!(has_tag(&node, &normalize_tag("bio/zoologie")));
        assert!(!has_tag(&node, &normalize_tag("bi")));
        assert!(!has_tag(&node, &normalize_tag("zoologie")));
    }
}
