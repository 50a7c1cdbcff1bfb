//! The command line, as clap types: what the user may type, nothing more.

use clap::{Args, Parser, Subcommand, ValueEnum};
use reference_impls::Device;
use std::path::PathBuf;

/// Turns a vault of concept notes into a typed knowledge graph.
#[derive(Debug, Parser)]
#[command(name = "savoir", version, about, propagate_version = true)]
pub struct Cli {
    /// Folder of the vault (Markdown notes).
    #[arg(long, global = true, value_name = "DIR", default_value = "notes")]
    pub vault: PathBuf,

    /// Relation schema and settings [default: ./savoir.toml when present].
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint the vault; exit 1 on any error (or warning with --deny-warnings).
    Check(CheckArgs),
    /// One concept: metadata, explicit and inferred relations, backlinks.
    Show(ShowArgs),
    /// The concepts of the vault.
    List(ListArgs),
    /// Export the graph, or the shortest path between two concepts.
    Graph(GraphArgs),
    /// Search the concepts (French-aware: accents, plurals, elisions, typos).
    Search(SearchArgs),
    /// Registered reference implementations, their parameters and devices.
    Impls(ImplsArgs),
    /// Run the reference implementation of a concept (or an implementation id), print its report.
    Run(RunArgs),
    /// Check every op of the reference implementations against test vectors.
    Verify(VerifyArgs),
    /// The compute devices found: the CPU and each GPU adapter.
    Devices(DevicesArgs),
    /// Build the static site (open `site/index.html`).
    Build(BuildArgs),
}

/// How a data-printing command writes its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable, coloured on a terminal.
    #[default]
    Text,
    /// Machine-readable, on stdout alone.
    Json,
}

/// `savoir check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `savoir show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A title, alias, file stem or slug (case-insensitive).
    pub concept: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `savoir list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only concepts with this tag (case-insensitive; `a` also matches `a/b`).
    #[arg(long, value_name = "T")]
    pub tag: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// The export formats of `savoir graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum GraphFormat {
    /// Nodes and edges as JSON (the contract shape).
    #[default]
    Json,
    /// Graphviz.
    Dot,
    /// JSON-LD with RDFS, Dublin Core and schema.org vocabularies.
    Jsonld,
    /// GraphML (XML).
    Graphml,
    /// Mermaid flowchart.
    Mermaid,
    /// Plain text: one edge per line (`A —relation→ B`), or the path.
    Text,
}

/// `savoir graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Export format (a --from/--to path is printed as text or json).
    #[arg(long, value_enum, default_value_t)]
    pub format: GraphFormat,
    /// Keep only edges of this relation (repeatable).
    #[arg(long = "relation", value_name = "R")]
    pub relations: Vec<String>,
    /// Start of a shortest path.
    #[arg(long, value_name = "A", requires = "to")]
    pub from: Option<String>,
    /// End of a shortest path.
    #[arg(long, value_name = "B", requires = "from")]
    pub to: Option<String>,
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `savoir search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words, "a phrase", +required, -excluded, field:word (title, aliases, tags, headings, body).
    pub query: String,
    /// How many hits at most.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub limit: usize,
    /// Only concepts with this tag (case-insensitive; `a` also matches `a/b`).
    #[arg(long, value_name = "T")]
    pub tag: Option<String>,
    /// Only concepts that write this relation to this concept (`subClassOf:RNN`).
    #[arg(long, value_name = "R:TARGET")]
    pub relation: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `savoir impls`.
#[derive(Debug, Args)]
pub struct ImplsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `savoir devices`.
#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `savoir run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// An implementation id (`savoir impls`) or a concept whose `implementation:` names one.
    #[arg(value_name = "CONCEPT|IMPL_ID")]
    pub target: String,
    /// Where to run: `cpu`, `gpu`, `gpu:N` (adapter N of `savoir devices`) or `cuda`.
    #[arg(long, default_value = "cpu")]
    pub device: Device,
    /// Seed of every random choice (same seed and device, same report).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Set a parameter (repeatable); `savoir impls` lists them.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Also write report.json and SVG plots into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `savoir verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Folder of test-vector cases (`*.json`).
    #[arg(value_name = "VECTORS_DIR")]
    pub dir: PathBuf,
    /// Where to run: `cpu`, `gpu`, `gpu:N` (adapter N of `savoir devices`) or `cuda`.
    #[arg(long, default_value = "cpu")]
    pub device: Device,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `savoir build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Folder the site is written to (replaced as a whole; never a folder it did not write).
    #[arg(long, value_name = "DIR", default_value = "site")]
    pub out: PathBuf,
    /// Do not run the demos (pages say so).
    #[arg(long, conflicts_with = "rerun_demos")]
    pub no_demos: bool,
    /// Run every demo again, ignoring cached reports.
    #[arg(long)]
    pub rerun_demos: bool,
    /// Exit 1 on any error diagnostic or failed demo.
    #[arg(long)]
    pub strict: bool,
    /// Absolute URL the site is served from (writes sitemap.xml).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Where the demos run: `cpu`, `gpu`, `gpu:N` or `cuda`.
    #[arg(long, default_value = "cpu")]
    pub device: Device,
}
