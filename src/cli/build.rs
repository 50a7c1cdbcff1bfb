//! `savoir build`: runs the demos (or reads their cached reports), then writes the static site
//! of the vault atomically into `--out`.

use crate::cli::Outcome;
use crate::cli::args::BuildArgs;
use crate::cli::diagnostics::summary;
use crate::cli::impls;
use crate::cli::workspace::Workspace;
use anyhow::{Context, Result};
use savoir::check::check;
use savoir::config::{self, Language};
use savoir::exec::{DemoOutcome, DemoRequest, ExecOptions, run_demos};
use savoir::site::{Demo, SiteOptions, build_site};
use savoir::vault::Bodies;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the page cache lives (relative to the current folder, beside the demo reports).
const SITE_CACHE_DIR: &str = ".savoir/site";

/// Builds the site; with `--strict`, any error diagnostic or failed demo makes it exit 1 (the
/// site is written all the same: a broken note or demo never stops the others).
pub fn run(vault_dir: &Path, config_file: Option<&Path>, args: &BuildArgs) -> Result<Outcome> {
    small_pages();
    let config = config::read(config_file)?;
    let language = match &config {
        Some((file, text)) => config::language(file, text)?,
        None => Language::default(),
    };
    let ws = Workspace::load(vault_dir, config_file, Bodies::Keep)?;
    let demos = run_concept_demos(&ws, config.as_ref(), args)?;
    let failed_demos = demos
        .values()
        .filter(|d| matches!(d.outcome, DemoOutcome::Failed { .. }))
        .count();

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
    // The checks run beside the site (they only count here): much of them on one thread.
    let known = impls::known_ids();
    let (report, built) = rayon::join(
        || check(&ws.vault, &ws.graph, &ws.schema, Some(&known)),
        || build_site(&ws.vault, &ws.graph, &options),
    );
    let built =
        built.with_context(|| format!("cannot build the site into {}", args.out.display()))?;
    eprintln!(
        "built {} pages and copied {} attachments into {} ({}, {failed_demos} failed demos); open {}",
        built.pages,
        built.attachments,
        args.out.display(),
        summary(report.errors, report.warnings),
        args.out.join("index.html").display()
    );
    let failed = report.errors > 0 || failed_demos > 0;
    // The process ends next: freeing the vault, its graph and the diagnostics one allocation
    // at a time would take a tenth of a no-change rebuild of a 10,000-note vault.
    std::mem::forget((ws, report));
    Ok(if args.strict && failed {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// Asks Linux not to back this process's memory with transparent huge pages (mimalloc asks for
/// them): a build touches a few hundred megabytes once, mostly for small objects, and zeroing
/// 2 MiB pages it only partly uses cost more than it saved (10,000-note vault, six alternated
/// pairs: a no-change rebuild's CPU 1.82 s -> 1.54 s, a cold build's 6.61 s -> 6.42 s). Only the
/// build asks: the models' demos run in child processes, which inherit it, and their matrices
/// are small; `savoir run` and the benchmarks keep huge pages.
fn small_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with integer arguments only; it fails harmlessly on a kernel without it.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// The demo of every concept with an `implementation:`, by concept id: run in child
/// processes of this program, or read from the report cache.
fn run_concept_demos(
    ws: &Workspace,
    config: Option<&(PathBuf, String)>,
    args: &BuildArgs,
) -> Result<BTreeMap<String, Demo>> {
    let concepts: Vec<(&str, &str, &str)> = ws
        .graph
        .nodes()
        .flat_map(|(_, c)| {
            c.implementations
                .first()
                .map(|imp| (c.id.as_str(), c.title.as_str(), imp.as_str()))
        })
        .collect();
    let requests: Vec<DemoRequest> = concepts
        .iter()
        .map(|(_, title, imp)| DemoRequest {
            impl_id: imp.to_string(),
            concept: title.to_string(),
        })
        .collect();
    let runner = std::env::current_exe().context("cannot find the savoir program to run demos")?;
    let mut options = ExecOptions::new(runner);
    options.skip = args.no_demos;
    options.rerun = args.rerun_demos;
    options.device = args.device;
    if let Some((file, text)) = config {
        options.apply_config(file, text)?;
    }
    let outcomes = run_demos(&requests, &options);
    Ok(concepts
        .into_iter()
        .zip(outcomes)
        .map(|((id, _, imp), outcome)| {
            let demo = Demo {
                impl_id: imp.to_string(),
                outcome,
            };
            (id.to_string(), demo)
        })
        .collect())
}
