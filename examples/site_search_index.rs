//! Writes the static site's search index of a vault, as `savoir build` does, without the rest
//! of the site: what `bench/search_bench.sh` measures.
//!
//! Usage: `cargo run --release --example site_search_index -- VAULT OUT_DIR [fr|en]`

use savoir::config::Language;
use savoir::graph::{ConceptGraph, Schema};
use savoir::search::{site_index, store};
use savoir::vault::{self, Bodies};
use std::path::PathBuf;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: site_search_index VAULT OUT_DIR [fr|en]";
    let vault_dir = PathBuf::from(args.next().ok_or_else(|| anyhow::anyhow!(usage))?);
    let out = PathBuf::from(args.next().ok_or_else(|| anyhow::anyhow!(usage))?);
    let language = match args.next().as_deref() {
        Some("en") => Language::English,
        _ => Language::French,
    };
    let start = Instant::now();
    let vault = vault::load_with(&vault_dir, Bodies::Keep)?;
    let graph = ConceptGraph::build(&vault, &Schema::builtin());
    let docs = store::documents(&vault, &graph, |_| true);
    let files = site_index::write(&docs, language, &out, &|doc| format!("{}.html", doc.id))?;
    eprintln!(
        "wrote {} files for {} notes in {:.2} s",
        files.len(),
        docs.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
