//! `savoir build`: runs the demos (or reads their cached reports), then writes the static site
//! of the vault atomically into `--out`.

use crate::cli::Outcome;
use crate::cli::args::BuildArgs;
use crate::cli::diagnostics::summary;
use crate::cli::impls;
use crate::cli::output::count;
use crate::cli::workspace::Workspace;
use anyhow::{Context, Result};
use savoir::check::check;
use savoir::config::{self, Language};
use savoir::exec::{DemoOutcome, DemoRequest, ExecOptions, run_demos};
use savoir::site::freshness::{self, BuildReport, InputState};
use savoir::site::{Demo, SiteOptions, build_site};
use savoir::vault::Bodies;
use std::collections::BTreeMap;
use std::hash::Hash;
use std::path::{Path, PathBuf};

/// Where the page cache lives (relative to the current folder, beside the demo reports).
const SITE_CACHE_DIR: &str = ".savoir/site";

/// Builds the site; with `--strict`, any error diagnostic or failed demo makes it exit 1 (the
/// site is written all the same: a broken note or demo never stops the others). When nothing
/// the site is made from changed since the last build, the site is left as it is and that
/// build's report is given again ([`freshness`]).
pub fn run(vault_dir: &Path, config_file: Option<&Path>, args: &BuildArgs) -> Result<Outcome> {
    small_pages();
    let config = config::read(config_file)?;
    let language = match &config {
        Some((file, text)) => config::language(file, text)?,
        None => Language::default(),
    };
    let exec = exec_options(config.as_ref(), args)?;
    let cache_dir = Path::new(SITE_CACHE_DIR);
    // Unreadable vault: the full build below says why.
    let inputs = InputState::take(vault_dir, &report_folders(&exec), &settings(&config, args)).ok();
    if let Some(report) = inputs
        .as_ref()
        .filter(|_| !args.rerun_demos)
        .and_then(|inputs| freshness::unchanged(cache_dir, &args.out, inputs))
    {
        tell(
            "nothing changed since the last build",
            &report,
            &args.out,
            0,
        );
        return Ok(outcome(args, report.errors, 0));
    }

    let ws = Workspace::load(vault_dir, config_file, Bodies::Keep)?;
    let demos = run_concept_demos(&ws, &exec)?;
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
        cache_dir: Some(cache_dir.to_path_buf()),
    };
    // The checks run beside the site (they only count here): much of them on one thread.
    let known = impls::known_ids();
    let (checked, built) = rayon::join(
        || check(&ws.vault, &ws.graph, &ws.schema, Some(&known)),
        || build_site(&ws.vault, &ws.graph, &options),
    );
    let built =
        built.with_context(|| format!("cannot build the site into {}", args.out.display()))?;
    let report = BuildReport {
        pages: built.pages,
        attachments: built.attachments,
        errors: checked.errors,
        warnings: checked.warnings,
    };
    tell("built the site", &report, &args.out, failed_demos);
    // A failed demo is tried again by the next build. (A demo run now wrote its report, which
    // the next build finds among its inputs: that one builds again and shows the cached run.)
    if let Some(inputs) = inputs.filter(|_| failed_demos == 0)
        && let Err(error) = freshness::record(cache_dir, &args.out, &inputs, report)
    {
        eprintln!(
            "warning: cannot record this build in {} ({error}): the next one will read the whole vault again",
            cache_dir.display()
        );
    }
    // The process ends next: freeing the vault, its graph and the diagnostics one allocation
    // at a time would take a tenth of a no-change rebuild of a 10,000-note vault.
    std::mem::forget((ws, checked));
    Ok(outcome(args, report.errors, failed_demos))
}

/// The build's last line: what the site holds, what the checks found, where to open it.
fn tell(done: &str, report: &BuildReport, out: &Path, failed_demos: usize) {
    eprintln!(
        "{done}: {} and {} in {} ({}, {}); open {}",
        count(report.pages, "page"),
        count(report.attachments, "attachment"),
        out.display(),
        summary(report.errors, report.warnings),
        count(failed_demos, "failed demo"),
        out.join("index.html").display()
    );
}

/// Exit 1 with `--strict` when the build found an error or a demo failed.
fn outcome(args: &BuildArgs, errors: usize, failed_demos: usize) -> Outcome {
    if args.strict && (errors > 0 || failed_demos > 0) {
        Outcome::Findings
    } else {
        Outcome::Clean
    }
}

/// Everything besides the vault's files and the demo reports that the site depends on: the
/// options that shape it, the vault's and the output's places, and the configuration text.
fn settings<'a>(config: &'a Option<(PathBuf, String)>, args: &'a BuildArgs) -> impl Hash + 'a {
    let here = std::env::current_dir().ok();
    (
        here,
        &args.out,
        &args.base_url,
        args.no_demos,
        args.device,
        config,
    )
}

/// The folders of the demo reports a build reads (none with `--no-demos`).
fn report_folders(exec: &ExecOptions) -> Vec<PathBuf> {
    match exec.skip {
        true => Vec::new(),
        false => vec![exec.reports_dir()],
    }
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

/// How the demos run: the flags of `build` and the `[demos]` table of the configuration.
fn exec_options(config: Option<&(PathBuf, String)>, args: &BuildArgs) -> Result<ExecOptions> {
    let runner = std::env::current_exe().context("cannot find the savoir program to run demos")?;
    let mut options = ExecOptions::new(runner);
    options.skip = args.no_demos;
    options.rerun = args.rerun_demos;
    options.device = args.device;
    if let Some((file, text)) = config {
        options.apply_config(file, text)?;
    }
    Ok(options)
}

/// The demo of every concept with an `implementation:`, by concept id: run in child
/// processes of this program, or read from the report cache.
fn run_concept_demos(ws: &Workspace, options: &ExecOptions) -> Result<BTreeMap<String, Demo>> {
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
    let outcomes = run_demos(&requests, options);
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
