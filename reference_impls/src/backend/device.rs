//! [`Device`]: where a run should go, as named on the command line (`cpu`, `gpu`, `gpu:N`,
//! `cuda`) and in reports.

use std::fmt;
use std::str::FromStr;

/// Which GPU adapter `gpu` means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum GpuChoice {
    /// `gpu`: the best adapter found (discrete, then integrated, then software).
    #[default]
    Preferred,
    /// `gpu:N`: adapter N in the order `savoir devices` lists them.
    Index(usize),
    /// `cuda`: the first NVIDIA adapter.
    Nvidia,
}

/// Where a computation runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    /// The CPU, through ndarray.
    #[default]
    Cpu,
    /// A GPU adapter, through wgpu.
    Gpu(GpuChoice),
}

/// Why a device cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The name is not a device.
    #[error("unknown device `{0}`: expected `cpu`, `gpu`, `gpu:N` or `cuda`")]
    Unknown(String),
    /// A GPU was asked for where only the CPU runs yet: `verify`, and builds without the
    /// `gpu` feature (the backend's kernels are tested on their own:
    /// `cargo test -p reference_impls --test gpu_backend`).
    #[error(
        "`{0}`: this command does not run on the GPU backend yet (its kernels are built and tested; `savoir run mlp|cnn|activations --device gpu` runs on it); run with --device cpu"
    )]
    GpuUnavailable(Device),
    /// The GPU backend could not open the device (no adapter, lost device…): its message.
    #[error("{0}")]
    GpuOpen(String),
}

impl Device {
    /// `gpu`: the preferred GPU adapter.
    pub const GPU: Device = Device::Gpu(GpuChoice::Preferred);

    /// Whether `self` and `other` are the same kind of device (the CPU, or a GPU adapter).
    pub fn same_kind(self, other: Device) -> bool {
        std::mem::discriminant(&self) == std::mem::discriminant(&other)
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Gpu(GpuChoice::Preferred) => f.write_str("gpu"),
            Device::Gpu(GpuChoice::Index(n)) => write!(f, "gpu:{n}"),
            Device::Gpu(GpuChoice::Nvidia) => f.write_str("cuda"),
        }
    }
}

impl FromStr for Device {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_ascii_lowercase();
        let unknown = || DeviceError::Unknown(s.to_string());
        match name.as_str() {
            "cpu" => Ok(Device::Cpu),
            "gpu" => Ok(Device::GPU),
            "cuda" => Ok(Device::Gpu(GpuChoice::Nvidia)),
            _ => {
                let index = name.strip_prefix("gpu:").ok_or_else(unknown)?;
                let index = index.parse().map_err(|_| unknown())?;
                Ok(Device::Gpu(GpuChoice::Index(index)))
            }
        }
    }
}

impl serde::Serialize for Device {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Device {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_json() {
        for name in ["cpu", "gpu", "gpu:1", "cuda"] {
            let device: Device = name.parse().unwrap();
            assert_eq!(device.to_string(), name);
            let json = serde_json::to_string(&device).unwrap();
            assert_eq!(serde_json::from_str::<Device>(&json).unwrap(), device);
        }
        assert_eq!("CPU".parse::<Device>(), Ok(Device::Cpu));
    }

    #[test]
    fn unknown_and_unbuilt_devices_are_explained() {
        for bad in ["tpu", "gpu:x", "gpu:"] {
            let err = bad.parse::<Device>().unwrap_err().to_string();
            assert!(err.contains("`cpu`, `gpu`, `gpu:N` or `cuda`"), "{err}");
        }
        let err = DeviceError::GpuUnavailable(Device::GPU).to_string();
        assert!(
            err.contains("does not run on the GPU backend yet") && err.contains("--device cpu"),
            "{err}"
        );
    }
}
