//! What a runnable implementation is ([`Implementation`], [`RunOnBackend`]), how it reports
//! progress ([`Progress`]) and why a run fails ([`RunError`]).

use crate::backend::{Backend, BackendError, Cpu, Device, DeviceError};
use crate::data::DataError;
use crate::loss::LossError;
use crate::params::{Config, ParamError, ParamSpec};
use crate::report::Report;

/// A runnable reference implementation (a model, an experiment) of a concept of the vault.
pub trait Implementation: Sync {
    /// Stable identifier, used on the command line and in a note's `implementation:` key.
    fn id(&self) -> &'static str;

    /// Human title (French, like the vault).
    fn title(&self) -> &'static str;

    /// What the run shows, in a sentence or two.
    fn description(&self) -> &'static str;

    /// Title of the vault concept this implements, if any (used when a run is asked for by id).
    fn concept(&self) -> Option<&'static str> {
        None
    }

    /// The file that defines it, as `file!()` names it there (the site shows that file beside the
    /// demo); `None` when the model does not say. Override with `Some(file!())`.
    fn source_file(&self) -> Option<&'static str> {
        None
    }

    /// The parameters `--set` accepts, with defaults and ranges.
    fn params(&self) -> Vec<ParamSpec>;

    /// Devices it runs on.
    fn devices(&self) -> &'static [Device] {
        &[Device::Cpu]
    }

    /// Runs it with validated parameters; same `cfg`, `device` and `seed` give the same report.
    /// Call it through [`run`], which validates the device and fills `concept` and `duration_ms`.
    fn run(
        &self,
        cfg: &Config,
        device: Device,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError>;
}

/// A run written once against the [`Backend`] seam: [`run_on_device`] opens the device a run
/// asks for and calls it with that device's backend.
pub trait RunOnBackend {
    /// The run on `backend` (what [`Implementation::run`] does once the device is open).
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError>;
}

/// The [`Implementation::devices`] and [`Implementation::run`] of a model written once against
/// the [`Backend`] seam ([`RunOnBackend`]): it runs on the CPU and on the GPU, through
/// [`run_on_device`]. Use it inside `impl Implementation for …`.
#[macro_export]
macro_rules! on_every_device {
    () => {
        fn devices(&self) -> &'static [$crate::backend::Device] {
            &[$crate::backend::Device::Cpu, $crate::backend::Device::GPU]
        }

        fn run(
            &self,
            cfg: &$crate::params::Config,
            device: $crate::backend::Device,
            seed: u64,
            progress: &dyn $crate::implementation::Progress,
        ) -> Result<$crate::report::Report, $crate::implementation::RunError> {
            $crate::implementation::run_on_device(self, cfg, device, seed, progress)
        }
    };
}

/// Runs `model` on the backend of `device`: the CPU, or the GPU adapter it names (an error naming
/// the device when none can be opened, or when this build has no GPU support).
pub fn run_on_device(
    model: &impl RunOnBackend,
    cfg: &Config,
    device: Device,
    seed: u64,
    progress: &dyn Progress,
) -> Result<Report, RunError> {
    match device {
        Device::Cpu => model.run_on(&Cpu, cfg, seed, progress),
        #[cfg(feature = "gpu")]
        Device::Gpu(choice) => {
            let gpu = crate::backend::gpu::Gpu::open(choice)
                .map_err(|e| RunError::Device(DeviceError::GpuOpen(e.to_string())))?;
            model.run_on(&gpu, cfg, seed, progress)
        }
        #[cfg(not(feature = "gpu"))]
        Device::Gpu(_) => Err(RunError::Device(DeviceError::GpuUnavailable(device))),
    }
}

/// Receives progress of a long run (the CLI shows it as a progress bar on stderr).
pub trait Progress {
    /// A phase of `total` units of work, named `label`, begins.
    fn start(&self, total: u64, label: &str);
    /// `n` more units of the current phase are done.
    fn advance(&self, n: u64);
    /// The current phase is over.
    fn finish(&self);
}

/// A [`Progress`] that ignores everything (tests, library use).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _total: u64, _label: &str) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
}

/// Why a run could not be set up or did not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// No implementation has this id.
    #[error("unknown implementation `{id}`; registered implementations: {known}")]
    UnknownImplementation {
        /// The id asked for.
        id: String,
        /// The registered ids, comma-separated.
        known: String,
    },
    /// A `--set` setting was malformed, unknown or invalid.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The device is not usable in this build.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The implementation does not run on the device.
    #[error("`{id}` does not run on {device}; it runs on: {supported}")]
    UnsupportedDevice {
        /// The implementation.
        id: String,
        /// The device asked for.
        device: Device,
        /// The devices it supports, comma-separated.
        supported: String,
    },
    /// A data set could not be loaded.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The device failed during the run (out of memory, lost device).
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// A loss could not be computed (targets that do not fit the outputs, or a device failure).
    #[error(transparent)]
    Loss(#[from] LossError),
    /// The run itself failed (diverged, inconsistent parameters…); the message says why.
    #[error("{0}")]
    Failed(String),
}
