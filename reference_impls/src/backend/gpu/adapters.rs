//! The GPU adapters of this machine, and which one a `--device` name selects.

use super::error::GpuError;
use crate::backend::{Device, GpuChoice};

/// PCI vendor id of NVIDIA.
const NVIDIA: u32 = 0x10de;

/// One adapter, as `savoir devices` lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AdapterSummary {
    /// Its index in enumeration order (`gpu:N`).
    pub index: usize,
    /// The driver's name for it ("NVIDIA H200", "llvmpipe (LLVM 15.0.6, 256 bits)").
    pub name: String,
    /// The graphics API it is reached through (`vulkan`, `metal`, `dx12`).
    pub backend: String,
    /// `discrete`, `integrated`, `virtual`, `cpu` (a software rasteriser) or `other`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether its kernels can compute in f64 (`SHADER_F64`).
    pub f64: bool,
    /// Whether it is an NVIDIA GPU (what `--device cuda` selects).
    #[serde(skip)]
    pub nvidia: bool,
}

impl AdapterSummary {
    fn of(index: usize, adapter: &wgpu::Adapter) -> Self {
        let info = adapter.get_info();
        let kind = match info.device_type {
            wgpu::DeviceType::DiscreteGpu => "discrete",
            wgpu::DeviceType::IntegratedGpu => "integrated",
            wgpu::DeviceType::VirtualGpu => "virtual",
            wgpu::DeviceType::Cpu => "cpu",
            wgpu::DeviceType::Other => "other",
        };
        Self {
            index,
            name: info.name,
            backend: info.backend.to_str().to_string(),
            kind: kind.to_string(),
            f64: adapter.features().contains(wgpu::Features::SHADER_F64),
            nvidia: info.vendor == NVIDIA,
        }
    }

    /// Preference of the default `gpu`: discrete, then integrated, then virtual, then the rest.
    fn rank(&self) -> u8 {
        match self.kind.as_str() {
            "discrete" => 0,
            "integrated" => 1,
            "virtual" => 2,
            "other" => 3,
            _ => 4,
        }
    }
}

/// The wgpu instance every adapter comes from: all native backends, no display.
pub(crate) fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle())
}

/// Every adapter of `instance`, in enumeration order.
pub(crate) fn enumerate(instance: &wgpu::Instance) -> Vec<wgpu::Adapter> {
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
}

/// The adapters of this machine, for `savoir devices` (empty when there is none).
pub fn list_adapters() -> Vec<AdapterSummary> {
    enumerate(&instance())
        .iter()
        .enumerate()
        .map(|(i, a)| AdapterSummary::of(i, a))
        .collect()
}

/// The adapter `choice` selects among `adapters`, with its summary.
pub(crate) fn select(
    adapters: Vec<wgpu::Adapter>,
    choice: GpuChoice,
) -> Result<(wgpu::Adapter, AdapterSummary), GpuError> {
    let summaries: Vec<AdapterSummary> = adapters
        .iter()
        .enumerate()
        .map(|(i, a)| AdapterSummary::of(i, a))
        .collect();
    let index = pick(&summaries, choice)?;
    let summary = summaries[index].clone();
    let adapter = adapters
        .into_iter()
        .nth(index)
        .expect("index from the same list");
    Ok((adapter, summary))
}

/// The index in `adapters` that `choice` selects: the first of the best rank, adapter N, or the
/// first NVIDIA one.
pub fn pick(adapters: &[AdapterSummary], choice: GpuChoice) -> Result<usize, GpuError> {
    if adapters.is_empty() {
        return Err(GpuError::NoAdapter {
            requested: Device::Gpu(choice).to_string(),
        });
    }
    match choice {
        GpuChoice::Preferred => Ok(adapters
            .iter()
            .min_by_key(|a| (a.rank(), a.index))
            .map(|a| a.index)
            .expect("not empty")),
        GpuChoice::Index(index) if index < adapters.len() => Ok(index),
        GpuChoice::Index(index) => Err(GpuError::NoSuchAdapter {
            index,
            count: adapters.len(),
        }),
        GpuChoice::Nvidia => adapters
            .iter()
            .find(|a| a.nvidia)
            .map(|a| a.index)
            .ok_or(GpuError::NoNvidia),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(index: usize, kind: &str, nvidia: bool) -> AdapterSummary {
        AdapterSummary {
            index,
            name: format!("adapter {index}"),
            backend: "vulkan".into(),
            kind: kind.into(),
            f64: true,
            nvidia,
        }
    }

    #[test]
    fn best_prefers_discrete_then_integrated_then_software() {
        let all = [
            adapter(0, "cpu", false),
            adapter(1, "integrated", false),
            adapter(2, "discrete", true),
        ];
        assert_eq!(pick(&all, GpuChoice::Preferred), Ok(2));
        assert_eq!(pick(&all[..2], GpuChoice::Preferred), Ok(1));
        assert_eq!(pick(&all[..1], GpuChoice::Preferred), Ok(0));
        assert_eq!(pick(&all, GpuChoice::Nvidia), Ok(2));
        assert_eq!(pick(&all[..2], GpuChoice::Nvidia), Err(GpuError::NoNvidia));
        assert_eq!(
            pick(&all, GpuChoice::Index(3)),
            Err(GpuError::NoSuchAdapter { index: 3, count: 3 })
        );
        let none = pick(&[], GpuChoice::Preferred).unwrap_err().to_string();
        assert!(none.contains("no GPU adapter found for `gpu`"), "{none}");
    }
}
