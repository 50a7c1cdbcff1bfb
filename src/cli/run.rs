//! `savoir run`: run the reference implementation of a concept (or an implementation id), print
//! its report, optionally write `report.json` and SVG plots.

use crate::cli::Outcome;
use crate::cli::args::{OutputFormat, RunArgs};
use crate::cli::output::{self, Palette, paint};
use crate::cli::progress::Bar;
use crate::cli::suggest;
use crate::cli::workspace::Workspace;
use anyhow::{Context, Result, anyhow, bail};
use reference_impls::implementation::Progress;
use reference_impls::plot::write_outputs;
use reference_impls::registry;
use reference_impls::report::Report;
use savoir::vault::Bodies;
use std::io::Write;
use std::path::Path;

/// What `savoir run` was asked to run.
struct Target {
    /// The implementation id.
    id: String,
    /// The vault concept it was reached through, if any.
    concept: Option<String>,
}

/// Runs one implementation; exits 1 when one of the report's checks failed.
pub fn run(vault: &Path, config: Option<&Path>, args: &RunArgs) -> Result<Outcome> {
    let target = target(vault, config, &args.target)?;
    let sets = args
        .sets
        .iter()
        .map(|s| reference_impls::params::parse_set(s))
        .collect::<Result<Vec<_>, _>>()?;
    let bar = Bar::default();
    let result = registry::run(&target.id, &sets, args.device, args.seed, &bar);
    bar.finish();
    let mut report = result.with_context(|| format!("run of `{}` failed", target.id))?;
    if target.concept.is_some() {
        report.concept = target.concept;
    }
    if let Some(dir) = &args.out {
        let written = write_outputs(&report, dir)
            .with_context(|| format!("cannot write the report into {}", dir.display()))?;
        for path in written {
            eprintln!("wrote {}", path.display());
        }
    }
    let mut out = output::stdout();
    match args.format {
        OutputFormat::Json => output::write_json(&mut out, &report)?,
        OutputFormat::Text => write_text(&mut out, &report, Palette::for_stdout())?,
    }
    out.flush()?;
    Ok(if report.all_checks_passed() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

/// An implementation id as is; anything else is a concept of the vault, whose
/// `implementation:` key names the id.
fn target(vault: &Path, config: Option<&Path>, name: &str) -> Result<Target> {
    if let Some(imp) = registry::find(name) {
        return Ok(Target {
            id: imp.id().to_string(),
            concept: None,
        });
    }
    let ids: Vec<&str> = registry::implementations().iter().map(|i| i.id()).collect();
    let ws = Workspace::load(vault, config, Bodies::Skip).with_context(|| {
        format!(
            "`{name}` is no implementation id ({}), and the vault that could name it as a concept cannot be read",
            ids.join(", ")
        )
    })?;
    let node = ws.concept(name).map_err(|_| {
        let titles = ws
            .graph
            .nodes()
            .filter(|(_, n)| !n.implementations.is_empty())
            .map(|(_, n)| n.title.as_str());
        let candidates: Vec<&str> = ids.iter().copied().chain(titles).collect();
        anyhow!(
            "no implementation id or concept named \"{}\"\n{}",
            name.trim(),
            suggest::help_line(
                name,
                candidates,
                "`savoir impls` lists the implementation ids"
            )
        )
    })?;
    let concept = ws.graph.node(node);
    match concept.implementations.as_slice() {
        [id] => Ok(Target {
            id: id.clone(),
            concept: Some(concept.title.clone()),
        }),
        [] => bail!(
            "\"{}\" has no implementation\nhelp: add `implementation: <id>` to its frontmatter; `savoir impls` lists the ids",
            concept.title
        ),
        several => bail!(
            "\"{}\" names several implementations ({})\nhelp: run one of them by id, e.g. `savoir run {}`",
            concept.title,
            several.join(", "),
            several[0]
        ),
    }
}

fn write_text(out: &mut dyn Write, report: &Report, p: Palette) -> Result<()> {
    let concept = report
        .concept
        .as_deref()
        .map(|c| format!(" — {c}"))
        .unwrap_or_default();
    writeln!(out, "{}{concept}", paint(p.strong, &report.implementation))?;
    writeln!(
        out,
        "{}",
        paint(
            p.dim,
            format_args!(
                "device {}, seed {}, {:.1} s",
                report.device,
                report.seed,
                report.duration_ms as f64 / 1000.0
            )
        )
    )?;
    let params = report
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_string()));
    write_table(out, "parameters", params, p)?;
    let metrics = report
        .metrics
        .iter()
        .map(|(k, v)| (k.as_str(), format_metric(*v)));
    write_table(out, "metrics", metrics, p)?;
    if !report.series.is_empty() {
        let series = report
            .series
            .iter()
            .map(|s| (s.name.as_str(), format!("{} points", s.y.len())));
        write_table(out, "series", series, p)?;
    }
    for (name, text) in &report.texts {
        writeln!(out, "\n{}\n{text}", paint(p.strong, name))?;
    }
    if !report.checks.is_empty() {
        writeln!(out, "\n{}", paint(p.strong, "checks"))?;
        for check in &report.checks {
            let mark = if check.passed {
                paint(p.help, "pass")
            } else {
                paint(p.error, "FAIL")
            };
            writeln!(out, "  {mark}  {}: {}", check.name, check.detail)?;
        }
    }
    let failed = report.failed_checks().len();
    let summary = format!(
        "{} passed, {} failed",
        output::count(report.checks.len() - failed, "check"),
        failed
    );
    let style = if failed > 0 { p.error } else { p.strong };
    writeln!(out, "\n{}", paint(style, summary))?;
    Ok(())
}

fn write_table<'a>(
    out: &mut dyn Write,
    heading: &str,
    rows: impl Iterator<Item = (&'a str, String)>,
    p: Palette,
) -> Result<()> {
    let rows: Vec<_> = rows.collect();
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{}", paint(p.strong, heading))?;
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (key, value) in rows {
        writeln!(out, "  {key:<width$}  {value}")?;
    }
    Ok(())
}

/// A metric with as many digits as it needs: integers as integers, others to 4 significant
/// digits.
fn format_metric(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e6) {
        format!("{v:.4e}")
    } else {
        format!("{v:.4}")
    }
}
