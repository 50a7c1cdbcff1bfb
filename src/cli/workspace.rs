//! The loaded vault, schema and graph every command works on, and concept lookup.

use crate::cli::suggest;
use anyhow::{Context, Result};
use savoir::graph::{ConceptGraph, NodeIndex, Schema};
use savoir::vault::{self, Bodies, Vault};
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
    /// present), keeping the notes' bodies or not: [`Bodies::Keep`] for what renders pages
    /// (`build`), [`Bodies::Skip`] for the rest (`check` on 10,000 notes stays fast).
    pub fn load(vault_dir: &Path, config: Option<&Path>, bodies: Bodies) -> Result<Self> {
        let schema = Schema::load(config)?;
        let vault = vault::load_with(vault_dir, bodies)?;
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

/// "no concept named …" with up to three close titles or aliases as a hint.
fn unknown_concept(graph: &ConceptGraph, name: &str) -> String {
    let names = graph
        .nodes()
        .filter(|(_, n)| !n.stub)
        .flat_map(|(_, n)| std::iter::once(&n.title).chain(&n.aliases))
        .map(String::as_str);
    format!(
        "no concept named \"{}\" in the vault\n{}",
        name.trim(),
        suggest::help_line(name, names, "`savoir list` shows every concept")
    )
}
