//! What can go wrong on a GPU, as values: every failure names the device and says what to do.

/// Why a GPU operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GpuError {
    /// No adapter at all (no GPU driver, and no software Vulkan device such as lavapipe).
    #[error(
        "no GPU adapter found for `{requested}`: install a Vulkan, Metal or DX12 driver (on Debian, `apt-get install mesa-vulkan-drivers` gives a software one), or use --device cpu"
    )]
    NoAdapter {
        /// What the user asked for (`gpu`, `gpu:1`, `cuda`).
        requested: String,
    },
    /// `gpu:N` names an adapter that does not exist.
    #[error("no GPU adapter {index}: this machine has {count} (see `savoir devices`)")]
    NoSuchAdapter {
        /// The index asked for.
        index: usize,
        /// How many adapters there are.
        count: usize,
    },
    /// `cuda` was asked for and no adapter is an NVIDIA one.
    #[error("no NVIDIA adapter for `cuda` (see `savoir devices`; `--device gpu` takes any GPU)")]
    NoNvidia,
    /// The adapter refused to open a device.
    #[error("cannot open GPU device {adapter}: {reason}")]
    Open {
        /// The adapter's name.
        adapter: String,
        /// What the driver said.
        reason: String,
    },
    /// The device was lost (driver reset, GPU removed, or a kernel ran too long).
    #[error("GPU device {adapter} was lost: {reason}; rerun, or use --device cpu")]
    Lost {
        /// The adapter's name.
        adapter: String,
        /// What the driver said.
        reason: String,
    },
    /// A buffer did not fit in the device's memory.
    #[error(
        "GPU device {adapter} is out of memory for a buffer of {bytes} bytes; use smaller shapes or --device cpu"
    )]
    OutOfMemory {
        /// The adapter's name.
        adapter: String,
        /// The size of the buffer that failed.
        bytes: u64,
    },
    /// f64 kernels were asked for on an adapter without `SHADER_F64`.
    #[error("GPU device {adapter} has no 64-bit float support (SHADER_F64); compute in f32 there")]
    NoF64 {
        /// The adapter's name.
        adapter: String,
    },
    /// wgpu rejected a command: a bug in this backend, reported rather than panicking.
    #[error("GPU device {adapter} rejected `{kernel}`: {message}")]
    Rejected {
        /// The adapter's name.
        adapter: String,
        /// The kernel or operation that failed.
        kernel: String,
        /// wgpu's message (first line).
        message: String,
    },
    /// The arguments of an operation do not fit together (a caller's bug).
    #[error("GPU {op}: {detail}")]
    Shape {
        /// The operation.
        op: &'static str,
        /// What does not fit.
        detail: String,
    },
}

/// Fails with [`GpuError::Shape`] unless `ok`.
pub(crate) fn ensure(
    ok: bool,
    op: &'static str,
    detail: impl FnOnce() -> String,
) -> Result<(), GpuError> {
    if ok {
        Ok(())
    } else {
        Err(GpuError::Shape {
            op,
            detail: detail(),
        })
    }
}
