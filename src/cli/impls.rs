//! `savoir impls`: the registered reference implementations, their parameters and devices.

use crate::cli::args::{ImplsArgs, OutputFormat};
use crate::cli::output::{self, Palette, paint};
use anyhow::Result;
use reference_impls::Device;
use reference_impls::implementation::Implementation;
use reference_impls::params::ParamSpec;
use reference_impls::registry;
use serde::Serialize;
use std::io::Write;

/// One implementation in the JSON of `savoir impls`.
#[derive(Serialize)]
struct Listed {
    id: &'static str,
    title: &'static str,
    description: &'static str,
    concept: Option<&'static str>,
    devices: &'static [Device],
    params: Vec<ParamSpec>,
}

/// The JSON of `savoir impls`.
#[derive(Serialize)]
struct Listing {
    implementations: Vec<Listed>,
}

/// Every registered implementation's id, for the `unknown-implementation` lint.
pub fn known_ids() -> Vec<String> {
    registry::implementations()
        .iter()
        .map(|i| i.id().to_string())
        .collect()
}

/// Prints the registry.
pub fn run(args: &ImplsArgs) -> Result<()> {
    let listing = Listing {
        implementations: registry::implementations()
            .iter()
            .map(|&i| listed(i))
            .collect(),
    };
    let mut out = output::stdout();
    match args.format {
        OutputFormat::Json => output::write_json(&mut out, &listing)?,
        OutputFormat::Text => write_text(&mut out, &listing, Palette::for_stdout())?,
    }
    out.flush()?;
    Ok(())
}

fn listed(i: &dyn Implementation) -> Listed {
    Listed {
        id: i.id(),
        title: i.title(),
        description: i.description(),
        concept: i.concept(),
        devices: i.devices(),
        params: i.params(),
    }
}

fn write_text(out: &mut dyn Write, listing: &Listing, p: Palette) -> Result<()> {
    for (n, i) in listing.implementations.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        let devices: Vec<String> = i.devices.iter().map(Device::to_string).collect();
        writeln!(
            out,
            "{}  {}  {}",
            paint(p.strong, i.id),
            i.title,
            paint(p.dim, format_args!("[{}]", devices.join(", ")))
        )?;
        writeln!(out, "  {}", i.description)?;
        if let Some(concept) = i.concept {
            writeln!(out, "  {} {concept}", paint(p.dim, "concept:"))?;
        }
        for spec in &i.params {
            // An empty default (a path left out) has nothing to show after "default".
            let default = match spec.default.to_string().is_empty() {
                true => String::new(),
                false => format!(", default {}", spec.default),
            };
            writeln!(
                out,
                "  --set {}=…  {}{default}: {}",
                paint(p.help, spec.name),
                spec.kind,
                spec.description
            )?;
        }
    }
    Ok(())
}
