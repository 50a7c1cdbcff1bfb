//! `savoir build`: the static site of the vault, written atomically into `--out`.

use crate::cli::Outcome;
use crate::cli::args::BuildArgs;
use crate::cli::diagnostics::summary;
use crate::cli::impls;
use anyhow::{Context, Result};
use savoir::check::check;
use savoir::config;
use savoir::graph::{ConceptGraph, Schema};
use savoir::site::{SiteOptions, build_site, i18n};
use savoir::vault::{self, Bodies};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the page cache lives (relative to the current folder, beside the demo reports).
const SITE_CACHE_DIR: &str = ".savoir/site";

/// Builds the site; with `--strict`, any error diagnostic makes it exit 1 (the site is
/// written all the same: a broken note never stops the others).
pub fn run(vault_dir: &Path, config_file: Option<&Path>, args: &BuildArgs) -> Result<Outcome> {
    let language = match config::read(config_file)? {
        Some((file, text)) => config::language(&file, &text)?,
        None => config::Language::default(),
    };
    let schema = Schema::load(config_file)?;
    let vault = vault::load_with(vault_dir, Bodies::Keep)?;
    let graph = ConceptGraph::build(&vault, &schema);
    let report = check(&vault, &graph, &schema, Some(&impls::known_ids()));

    let labels = i18n::labels(language);
    let mut demos = BTreeMap::new();
    if args.no_demos {
        for (_, concept) in graph.nodes().filter(|(_, c)| !c.implementations.is_empty()) {
            let skipped = format!("<p class=\"demo-skipped\">{}</p>", labels.demos_skipped);
            demos.insert(concept.id.clone(), skipped);
        }
    }
    let title = vault_dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "savoir".to_string());
    let options = SiteOptions {
        out: args.out.clone(),
        base_url: args.base_url.clone(),
        language,
        title,
        demos,
        cache_dir: Some(PathBuf::from(SITE_CACHE_DIR)),
    };
    let built = build_site(&vault, &graph, &options)
        .with_context(|| format!("cannot build the site into {}", args.out.display()))?;
    eprintln!(
        "built {} pages and copied {} attachments into {} ({}); open {}",
        built.pages,
        built.attachments,
        args.out.display(),
        summary(report.errors, report.warnings),
        args.out.join("index.html").display()
    );
    Ok(if args.strict && report.errors > 0 {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
