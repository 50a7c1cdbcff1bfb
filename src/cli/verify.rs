//! `savoir verify`: every op of the reference implementations against test vectors.

use crate::cli::Outcome;
use crate::cli::args::{OutputFormat, VerifyArgs};
use crate::cli::output;
use anyhow::{Context, Result, ensure};
use reference_impls::verify::verify_dir;
use std::io::Write;

/// Runs every case of the folder; exits 1 unless every case passed (an unsupported op counts
/// as a failure: it was not verified).
pub fn run(args: &VerifyArgs) -> Result<Outcome> {
    let report = verify_dir(&args.dir, args.device)
        .with_context(|| format!("cannot verify the cases in {}", args.dir.display()))?;
    ensure!(
        !report.cases.is_empty(),
        "no test case (*.json) in {}\nhelp: pass the folder that holds the vectors, e.g. ../shared/refvectors",
        args.dir.display()
    );
    let mut out = output::stdout();
    match args.format {
        OutputFormat::Json => output::write_json(&mut out, &report)?,
        OutputFormat::Text => writeln!(out, "{report}")?,
    }
    out.flush()?;
    Ok(if report.all_passed() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}
