//! `verify`: runs reference test vectors (PyTorch, float64) against these implementations.
//!
//! Each `*.json` file of a directory is one [`Case`] (format: `../shared/refvectors/README.md`).
//! Its `op` selects a handler from a table of `(op id, fn(&Case) -> Result<Outputs, _>)`; the
//! handler takes every shape and parameter from the case, runs the op in `f64` and returns its
//! outputs by name. Every expected output (values and `grad_*`) is then compared element-wise
//! with `|got − ref| ≤ atol + rtol·|ref|`.
//!
//! Gradient convention: for a case with an input `grad_output` G, the scalar is
//! `L = Σ output ⊙ G`, so a backward is fed `dy = G`; a loss case differentiates the loss itself.
//!
//! On `--device gpu` the cases run on the GPU backend through the same layer code, in `f64` where
//! the adapter has it (else each case fails saying so); the few ops the models compute on the
//! host on every device ([`HOST_OPS`]) are checked on the host, and their detail says so; any
//! other op without a GPU handler ([`gpu_supported_ops`]) is `unsupported` there, never
//! silently run on the CPU.
//!
//! Nothing aborts the run but an unreadable directory or an unavailable device: a malformed file
//! is a failed case naming the file, an op without a handler is `unsupported`, and a handler that
//! panics fails its case with the panic message.

mod case;
mod ops_basic;
mod ops_conv;
mod ops_optim;
mod ops_sequence;
mod report;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

pub use case::{Case, Outputs, Tensor, Tolerance};
pub use report::{CaseOutcome, CaseResult, VerifyReport};

#[cfg(feature = "gpu")]
use crate::backend::gpu::Gpu;
use crate::backend::{Device, DeviceError};
use crate::layers::ShapeError;
use crate::layers::embedding::TokenOutOfRange;
use crate::loss::LossError;

/// Why a run, a case file or a handler failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The device cannot be used by this build.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The vectors directory cannot be listed.
    #[error("cannot read the vectors directory {}: {source}", dir.display())]
    ReadDir {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A case file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A case file is not valid case JSON.
    #[error("{} is not a test-vector case ({source}); see the format in refvectors/README.md", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parse error, with line and column.
        source: serde_json::Error,
    },
    /// The op needs an input the case does not have.
    #[error("missing input `{name}` (the case has: {})", available.join(", "))]
    MissingInput {
        /// The input's name.
        name: String,
        /// The inputs the case has.
        available: Vec<String>,
    },
    /// The op needs a parameter the case does not have.
    #[error("missing parameter `{name}` (the case has: {})", available.join(", "))]
    MissingParam {
        /// The parameter's name.
        name: String,
        /// The parameters the case has.
        available: Vec<String>,
    },
    /// An input's data does not fit its shape or its role.
    #[error("input `{name}`: {detail}")]
    BadTensor {
        /// The input's name.
        name: String,
        /// What is wrong.
        detail: String,
    },
    /// A parameter has a value this implementation cannot use.
    #[error("parameter `{name}`: {detail}")]
    BadParam {
        /// The parameter's name.
        name: String,
        /// What is wrong.
        detail: String,
    },
    /// Inputs whose shapes do not fit together.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// Targets that do not fit the logits.
    #[error(transparent)]
    Loss(#[from] LossError),
    /// The backend failed (out of memory, lost device).
    #[error(transparent)]
    Backend(#[from] crate::backend::BackendError),
    /// Token ids outside an embedding's vocabulary.
    #[error(transparent)]
    Token(#[from] TokenOutOfRange),
}

impl From<crate::layers::LayerError> for VerifyError {
    fn from(e: crate::layers::LayerError) -> Self {
        match e {
            crate::layers::LayerError::Shape(e) => e.into(),
            crate::layers::LayerError::Backend(e) => e.into(),
        }
    }
}

/// A handler: runs one op on a case and returns its outputs by name.
pub type HandlerFn = fn(&Case) -> Result<Outputs, VerifyError>;

/// An entry of the dispatch table: `(op id, handler)`.
pub type Handler = (&'static str, HandlerFn);

/// A handler on the GPU backend.
#[cfg(feature = "gpu")]
pub type GpuHandlerFn = fn(&Case, &Gpu) -> Result<Outputs, VerifyError>;

/// An entry of the GPU dispatch table: `(op id, handler)`.
#[cfg(feature = "gpu")]
pub type GpuHandler = (&'static str, GpuHandlerFn);

/// The ops that run on the GPU backend, one table per file of ops.
#[cfg(feature = "gpu")]
const GPU_TABLES: [&[GpuHandler]; 4] = [
    ops_basic::GPU_HANDLERS,
    ops_conv::GPU_HANDLERS,
    ops_optim::GPU_HANDLERS,
    ops_sequence::GPU_HANDLERS,
];

/// Where `verify` runs the cases: the CPU, or an opened GPU.
#[derive(Debug)]
#[non_exhaustive]
pub enum Target {
    /// The CPU backend.
    Cpu,
    /// The GPU backend on an opened adapter.
    #[cfg(feature = "gpu")]
    Gpu(Box<Gpu>),
}

impl Target {
    /// Opens `device` (a one-line error naming it when it cannot be used).
    pub fn open(device: Device) -> Result<Self, VerifyError> {
        match device {
            Device::Cpu => Ok(Target::Cpu),
            #[cfg(feature = "gpu")]
            Device::Gpu(choice) => Gpu::open(choice)
                .map(|gpu| Target::Gpu(Box::new(gpu)))
                .map_err(|e| DeviceError::GpuOpen(e.to_string()).into()),
            #[cfg(not(feature = "gpu"))]
            Device::Gpu(_) => Err(DeviceError::GpuUnavailable(device).into()),
        }
    }
}

/// Ops the models compute on the host on every device, so `verify --device gpu` checks them
/// there, saying so: the losses of the 2-D models (GAN, DDPM, whose few values come back to the
/// CPU each step), the DDPM noise schedule (a table of scalars), and the losses of the CPU-only
/// SVM. Everything else runs on the GPU backend or is `unsupported`.
pub const HOST_OPS: &[&str] = &[
    "bce_with_logits",
    "ddpm_linear_schedule",
    "ddpm_q_sample",
    "gan_d_loss_bce",
    "gan_g_loss_nonsaturating",
    "mse_loss",
    "multi_margin_loss",
];

/// What a GPU run appends to the detail of a case it checked on the host ([`HOST_OPS`]).
pub const HOST_NOTE: &str = "host op: the models compute it on the CPU on every device";

/// Every op id `verify --device gpu` runs, sorted.
pub fn gpu_supported_ops() -> Vec<&'static str> {
    #[cfg(feature = "gpu")]
    let mut ops: Vec<_> = GPU_TABLES
        .iter()
        .flat_map(|t| t.iter().map(|(id, _)| *id))
        .collect();
    #[cfg(not(feature = "gpu"))]
    let mut ops = Vec::new();
    ops.sort_unstable();
    ops
}

/// Every handler table, one per file of ops.
const TABLES: [&[Handler]; 4] = [
    ops_basic::HANDLERS,
    ops_conv::HANDLERS,
    ops_optim::HANDLERS,
    ops_sequence::HANDLERS,
];

/// The handler for `op`, if any.
pub fn handler(op: &str) -> Option<HandlerFn> {
    TABLES
        .iter()
        .flat_map(|table| table.iter())
        .find(|(id, _)| *id == op)
        .map(|&(_, run)| run)
}

/// The GPU handler for `op`, if any.
#[cfg(feature = "gpu")]
fn gpu_handler(op: &str) -> Option<GpuHandlerFn> {
    GPU_TABLES
        .iter()
        .flat_map(|table| table.iter())
        .find(|(id, _)| *id == op)
        .map(|&(_, run)| run)
}

/// Every op id `verify` knows, sorted.
pub fn supported_ops() -> Vec<&'static str> {
    let mut ops: Vec<_> = TABLES
        .iter()
        .flat_map(|t| t.iter().map(|(id, _)| *id))
        .collect();
    ops.sort_unstable();
    ops
}

/// Checks every `*.json` case of `dir` (in file-name order) on `device`.
///
/// Fails only when the device is unavailable or the directory cannot be listed; any problem
/// with one case is recorded in that case's result.
pub fn verify_dir(dir: &Path, device: Device) -> Result<VerifyReport, VerifyError> {
    let target = Target::open(device)?;
    let read_dir = |source| VerifyError::ReadDir {
        dir: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_dir)? {
        let path = entry.map_err(read_dir)?.path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(VerifyReport::from_cases(
        files
            .iter()
            .map(|path| verify_file(path, &target))
            .collect(),
    ))
}

/// Checks one case file on `target`; an unreadable or malformed file is a failed result naming
/// it.
pub fn verify_file(path: &Path, target: &Target) -> CaseResult {
    match Case::load(path) {
        Ok(case) => verify_case_on(&case, target),
        Err(err) => CaseResult::failed(
            file_stem(path),
            String::new(),
            format!("{}: {err}", file_name(path)),
        ),
    }
}

/// Runs one case on the CPU and compares its outputs.
pub fn verify_case(case: &Case) -> CaseResult {
    verify_case_on(case, &Target::Cpu)
}

/// A handler bound to its target: what [`verify_case_on`] runs.
type BoundHandler<'a> = Box<dyn Fn(&Case) -> Result<Outputs, VerifyError> + 'a>;

/// Runs one case on `target` and compares its outputs.
pub fn verify_case_on(case: &Case, target: &Target) -> CaseResult {
    let run: BoundHandler<'_> = match target {
        Target::Cpu => match handler(&case.op) {
            Some(run) => Box::new(run),
            None => {
                return CaseResult::unsupported(
                    &case.case,
                    &case.op,
                    format!("no implementation for op `{}` in this build", case.op),
                );
            }
        },
        #[cfg(feature = "gpu")]
        Target::Gpu(gpu) => match gpu_handler(&case.op) {
            Some(run) => Box::new(move |case| run(case, gpu)),
            None if HOST_OPS.contains(&case.op.as_str()) => {
                let mut result = verify_case_on(case, &Target::Cpu);
                result.detail = format!("{} ({HOST_NOTE})", result.detail);
                return result;
            }
            None => {
                return CaseResult::unsupported(
                    &case.case,
                    &case.op,
                    format!(
                        "op `{}` does not run on the GPU backend yet (run it with --device cpu)",
                        case.op
                    ),
                );
            }
        },
    };
    let where_ = if case.path.as_os_str().is_empty() {
        String::new()
    } else {
        format!("{}: ", file_name(&case.path))
    };
    match catch_unwind(AssertUnwindSafe(|| run(case))) {
        Ok(Ok(outputs)) => report::compare(case, &outputs),
        Ok(Err(err)) => CaseResult::failed(&case.case, &case.op, format!("{where_}{err}")),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown panic");
            CaseResult::failed(
                &case.case,
                &case.op,
                format!("{where_}the implementation panicked: {message}"),
            )
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn file_stem(path: &Path) -> String {
    path.file_stem().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
