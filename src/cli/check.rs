//! `savoir check`: lint the vault, print the findings, decide the exit code.

use crate::cli::Outcome;
use crate::cli::args::{CheckArgs, OutputFormat};
use crate::cli::diagnostics::{DiagnosticRenderer, summary};
use crate::cli::output::{self, Palette, paint};
use crate::cli::workspace::Workspace;
use anyhow::Result;
use rayon::prelude::*;
use savoir::check::{CheckReport, check};
use std::io::{self, Write};

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
        OutputFormat::Json => write_report_json(&mut out, &report)?,
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

/// Writes `report` exactly as [`output::write_json`] would, its diagnostics serialised in
/// parallel: a large vault's report runs to megabytes.
fn write_report_json(out: &mut dyn Write, report: &CheckReport) -> io::Result<()> {
    const INDENT: &[u8] = b"\n    ";
    let chunks: Vec<Vec<u8>> = report
        .diagnostics
        .par_chunks(256)
        .map(|chunk| {
            let mut text = Vec::new();
            for diagnostic in chunk {
                // One item at the nesting depth of the array: JSON strings hold no raw newline,
                // so every newline of the item's own pretty form gets the array's indent.
                let item = serde_json::to_vec_pretty(diagnostic).map_err(io::Error::from)?;
                text.extend_from_slice(b",\n    ");
                for line in item.split(|&byte| byte == b'\n') {
                    text.extend_from_slice(line);
                    text.extend_from_slice(INDENT);
                }
                text.truncate(text.len() - INDENT.len());
            }
            Ok(text)
        })
        .collect::<io::Result<_>>()?;
    out.write_all(b"{\n  \"diagnostics\": [")?;
    for (i, chunk) in chunks.iter().enumerate() {
        // Every item starts with `,`, but the first one of the array.
        out.write_all(&chunk[usize::from(i == 0)..])?;
    }
    if !report.diagnostics.is_empty() {
        out.write_all(b"\n  ")?;
    }
    writeln!(
        out,
        "],\n  \"errors\": {},\n  \"warnings\": {}\n}}",
        report.errors, report.warnings
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use savoir::diagnostic::{Code, Diagnostic};

    fn written(report: &CheckReport) -> String {
        let mut out = Vec::new();
        write_report_json(&mut out, report).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_parallel_report_is_the_pretty_json_of_the_report() {
        let many = (0..1000)
            .map(|i| {
                Diagnostic::new(
                    Code::DanglingLink,
                    format!("n{i}.md"),
                    i,
                    1,
                    "a \"quoted\"\nline",
                )
                .with_help("fix it")
            })
            .collect();
        for report in [CheckReport::new(Vec::new()), CheckReport::new(many)] {
            let expected = serde_json::to_string_pretty(&report).unwrap() + "\n";
            assert_eq!(written(&report), expected);
        }
    }
}
