//! The loaded vault, schema and graph every command works on, and concept lookup.

use anyhow::{Context, Result};
use savoir::graph::{ConceptGraph, NodeIndex, Schema};
use savoir::vault::{self, Vault};
use std::path::Path;

/// Everything a command reads: parsed once, in stage order.
pub struct Workspace {
    /// The parsed notes.
    pub vault: Vault,
    /// The relation schema (built-in, extended by the configuration file).
    pub schema: Schema,
    /// The concept graph built from both.
    pub graph: ConceptGraph,
}

impl Workspace {
    /// Loads the vault at `vault_dir` with the schema of `config` (or `./savoir.toml` when
    /// present).
    pub fn load(vault_dir: &Path, config: Option<&Path>) -> Result<Self> {
        let schema = Schema::load(config)?;
        let vault = vault::load(vault_dir)?;
        let graph = ConceptGraph::build(&vault, &schema);
        Ok(Workspace {
            vault,
            schema,
            graph,
        })
    }

    /// The concept a user named (title, alias, file stem or slug, case-insensitively), or an
    /// error that suggests the closest titles.
    pub fn concept(&self, name: &str) -> Result<NodeIndex> {
        self.graph
            .resolve(name)
            .with_context(|| unknown_concept(&self.graph, name))
    }
}

/// "no concept named …" with up to three close titles as a hint.
fn unknown_concept(graph: &ConceptGraph, name: &str) -> String {
    let wanted = name.trim().to_lowercase();
    let wanted = wanted.as_str();
    let mut scored: Vec<(f64, &str)> = graph
        .nodes()
        .filter(|(_, n)| !n.stub)
        .flat_map(|(_, n)| {
            let title = n.title.as_str();
            std::iter::once(title)
                .chain(n.aliases.iter().map(String::as_str))
                .map(move |candidate| (closeness(wanted, &candidate.to_lowercase()), title))
        })
        .filter(|&(score, _)| score >= 0.75)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let mut titles: Vec<&str> = Vec::new();
    for (_, title) in scored {
        if !titles.contains(&title) && titles.len() < 3 {
            titles.push(title);
        }
    }
    let mut message = format!("no concept named \"{}\" in the vault", name.trim());
    if titles.is_empty() {
        message.push_str("\nhelp: `savoir list` shows every concept");
    } else {
        let quoted: Vec<String> = titles.iter().map(|t| format!("\"{t}\"")).collect();
        message.push_str(&format!("\nhelp: did you mean {}?", quoted.join(" or ")));
    }
    message
}

/// How close a candidate is to what was typed, in [0, 1]: a candidate that contains the
/// typed text counts as close.
fn closeness(wanted: &str, candidate: &str) -> f64 {
    if !wanted.is_empty() && candidate.contains(wanted) {
        return 0.9;
    }
    strsim::jaro_winkler(wanted, candidate)
}
