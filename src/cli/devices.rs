//! `savoir devices`: where reference implementations can run: the CPU, and each GPU adapter.

use crate::cli::args::{DevicesArgs, OutputFormat};
use crate::cli::output::{self, Palette, paint};
use anyhow::Result;
use reference_impls::backend::GpuChoice;
use reference_impls::backend::gpu::{self, AdapterSummary};
use serde::Serialize;
use std::io::Write;

/// One device in the JSON of `savoir devices`.
#[derive(Serialize)]
struct Listed {
    /// What `--device` takes: `cpu` or `gpu:N`.
    id: String,
    name: String,
    backend: String,
    #[serde(rename = "type")]
    kind: String,
    f64: bool,
    /// Whether plain `--device gpu` selects it.
    default_gpu: bool,
}

/// The JSON of `savoir devices`.
#[derive(Serialize)]
struct Listing {
    devices: Vec<Listed>,
}

/// Lists the devices.
pub fn run(args: &DevicesArgs) -> Result<()> {
    let adapters = gpu::list_adapters();
    let best = gpu::pick(&adapters, GpuChoice::Preferred).ok();
    let cpu = Listed {
        id: "cpu".into(),
        name: "CPU (ndarray)".into(),
        backend: "native".into(),
        kind: "cpu".into(),
        f64: true,
        default_gpu: false,
    };
    let listing = Listing {
        devices: std::iter::once(cpu)
            .chain(adapters.into_iter().map(|a| listed(a, best)))
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

fn listed(a: AdapterSummary, best: Option<usize>) -> Listed {
    Listed {
        id: format!("gpu:{}", a.index),
        default_gpu: best == Some(a.index),
        name: a.name,
        backend: a.backend,
        kind: a.kind,
        f64: a.f64,
    }
}

fn write_text(out: &mut dyn Write, listing: &Listing, p: Palette) -> Result<()> {
    for d in &listing.devices {
        let precision = if d.f64 { "f32, f64" } else { "f32" };
        let default = if d.default_gpu {
            "  (--device gpu)"
        } else {
            ""
        };
        writeln!(
            out,
            "{:<7} {}  {}{}",
            paint(p.strong, &d.id),
            d.name,
            paint(
                p.dim,
                format_args!("[{}, {}, {precision}]", d.backend, d.kind)
            ),
            paint(p.help, default)
        )?;
    }
    if listing.devices.len() == 1 {
        writeln!(
            out,
            "{}",
            paint(
                p.dim,
                "no GPU adapter: install a Vulkan, Metal or DX12 driver (Debian: mesa-vulkan-drivers)"
            )
        )?;
    }
    Ok(())
}
