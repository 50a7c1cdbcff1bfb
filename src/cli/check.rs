//! `savoir check`: lint the vault, print the findings, decide the exit code.

use crate::cli::Outcome;
use crate::cli::args::{CheckArgs, OutputFormat};
use crate::cli::diagnostics::{DiagnosticRenderer, summary};
use crate::cli::output::{self, Palette, paint};
use crate::cli::workspace::Workspace;
use anyhow::Result;
use savoir::check::check;
use std::io::Write;

/// Runs the linter; findings are the result, so only errors (or warnings with
/// `--deny-warnings`) make it exit 1.
pub fn run(
    ws: &Workspace,
    args: &CheckArgs,
    implementations: Option<&[String]>,
) -> Result<Outcome> {
    let report = check(&ws.vault, &ws.graph, &ws.schema, implementations);
    let mut out = output::stdout();
    match args.format {
        OutputFormat::Json => output::write_json(&mut out, &report)?,
        OutputFormat::Text => {
            let palette = Palette::for_stdout();
            let mut renderer = DiagnosticRenderer::new(&ws.vault.root, palette);
            for diagnostic in &report.diagnostics {
                renderer.render(&mut out, diagnostic)?;
            }
            let style = if report.errors > 0 {
                palette.error
            } else if report.warnings > 0 {
                palette.warning
            } else {
                palette.strong
            };
            writeln!(
                out,
                "{}",
                paint(style, summary(report.errors, report.warnings))
            )?;
        }
    }
    out.flush()?;
    Ok(if report.fails(args.deny_warnings) {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
