//! The `Backend` seam: the operations layers need, separated from where they run.
//!
//! A [`Backend`] owns its tensor storage (the associated type [`Backend::Tensor`], as candle's
//! `BackendStorage`): host arrays on the CPU, device buffers on a GPU. Layers, losses, optimisers
//! and models hold `B::Tensor`s and call the backend's ops on them (matrix products, element-wise
//! maps and their backward, bias add, row softmax, layer norm, reductions, im2col/col2im, pooling,
//! embedding gather/scatter, recurrent cell steps, attention masking, optimiser updates); data
//! crosses between host and device only at the edges ([`Backend::upload`], [`Backend::download`]).
//!
//! Every op returns a `Result`: a device can run out of memory or be lost. Every op writes into
//! an output the caller owns, so a training loop allocates nothing per step after the first.
//! Scalars are generic ([`Scalar`]: `f32` to train, `f64` for `verify` and gradient checks); a
//! backend without `f64` answers [`BackendError::Unsupported`].
//!
//! Backends: [`Cpu`] (ndarray and a pure-Rust GEMM) always; the GPU backend (wgpu) lives in
//! `backend/gpu/`. A [`Device`] names where a run should go; a model or op not yet on the
//! GPU backend answers [`DeviceError::GpuUnavailable`], which says to run it on the CPU.
//!
//! Legend: N batch, C channels, H×W image, kH×kW kernel, OH×OW output image, M×K·K×P matrix shapes.

use std::fmt;
use std::ops::Range;

use ndarray::{Array, ArrayView, Dimension, Ix1, Ix2, Ix4, IxDyn};

use crate::layers::Activation;
use crate::scalar::Scalar;

#[cfg(test)]
pub(crate) mod counting;
mod cpu;
mod device;
#[cfg(feature = "gpu")]
pub mod gpu;
mod layout;

pub use cpu::{Cpu, host};
pub use device::{Device, DeviceError, GpuChoice};
pub use layout::{Mat, MatLayout, Shaped};

/// The geometry of a 2-D convolution or pooling window over an NCHW batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    /// N: batch size.
    pub batch: usize,
    /// C: input channels.
    pub channels: usize,
    /// H: input height.
    pub height: usize,
    /// W: input width.
    pub width: usize,
    /// kH: kernel height.
    pub kernel_h: usize,
    /// kW: kernel width.
    pub kernel_w: usize,
    /// Stride, the same on both axes.
    pub stride: usize,
    /// Zero padding, the same on all four sides.
    pub padding: usize,
    /// OH = ⌊(H + 2p − kH)/s⌋ + 1.
    pub out_h: usize,
    /// OW = ⌊(W + 2p − kW)/s⌋ + 1.
    pub out_w: usize,
}

impl ConvGeometry {
    /// The geometry for input `[N, C, H, W]`, a `kH×kW` window, `stride` and `padding`, or `None`
    /// when the stride is 0 or the (padded) input is smaller than the window.
    pub fn new(
        input: [usize; 4],
        kernel: (usize, usize),
        stride: usize,
        padding: usize,
    ) -> Option<Self> {
        let [batch, channels, height, width] = input;
        let (kernel_h, kernel_w) = kernel;
        if stride == 0 || kernel_h == 0 || kernel_w == 0 {
            return None;
        }
        let out =
            |size: usize, k: usize| (size + 2 * padding).checked_sub(k).map(|d| d / stride + 1);
        Some(Self {
            batch,
            channels,
            height,
            width,
            kernel_h,
            kernel_w,
            stride,
            padding,
            out_h: out(height, kernel_h)?,
            out_w: out(width, kernel_w)?,
        })
    }

    /// Rows of the im2col matrix: C·kH·kW (one per input channel and kernel offset).
    pub fn patch_len(&self) -> usize {
        self.channels * self.kernel_h * self.kernel_w
    }

    /// Columns of the im2col matrix: N·OH·OW (one per output position).
    pub fn positions(&self) -> usize {
        self.batch * self.out_h * self.out_w
    }

    /// The input row for output row `oh` and kernel row `ki`, or `None` in the zero padding.
    fn input_row(&self, oh: usize, ki: usize) -> Option<usize> {
        (oh * self.stride + ki)
            .checked_sub(self.padding)
            .filter(|&r| r < self.height)
    }

    /// The input column for output column `ow` and kernel column `kj`, or `None` in the padding.
    fn input_col(&self, ow: usize, kj: usize) -> Option<usize> {
        (ow * self.stride + kj)
            .checked_sub(self.padding)
            .filter(|&c| c < self.width)
    }
}

/// Why a backend op failed: the device, not the math (a shape that contradicts the layer is a
/// bug and panics).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The device could not hold a buffer of this size.
    #[error("out of device memory allocating {bytes} bytes on {device}")]
    OutOfMemory {
        /// The device.
        device: Device,
        /// The size asked for.
        bytes: u64,
    },
    /// The device went away (driver reset, unplugged, timed out).
    #[error("device {device} was lost: {reason}")]
    DeviceLost {
        /// The device.
        device: Device,
        /// What the driver said.
        reason: String,
    },
    /// The device cannot run this op with this scalar type (`f64` on a GPU without it, say).
    #[error("{device} cannot run `{op}`: {reason}")]
    Unsupported {
        /// The device.
        device: Device,
        /// The op.
        op: &'static str,
        /// Why not.
        reason: String,
    },
}

/// The element-wise binary ops of [`Backend::binary`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    /// `a + b`
    Add,
    /// `a − b`
    Sub,
    /// `a ⊙ b`
    Mul,
}

/// One SGD update, with the hyper-parameters already as `f64` (see [`crate::optim::Sgd`]):
/// `g ← g + wd·p; buf ← g (first) or μ·buf + (1 − dampening)·g; p ← p − lr·(Nesterov ? g + μ·buf : buf)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdUpdate {
    /// lr
    pub lr: f64,
    /// wd
    pub weight_decay: f64,
    /// μ (0: plain SGD, no buffer)
    pub momentum: f64,
    /// dampening
    pub dampening: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
    /// The buffer is fresh (first step): buf ← g.
    pub first: bool,
}

/// One Adam or AdamW update at step t, with the bias corrections already folded in
/// (see [`crate::optim::Adam`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamUpdate {
    /// lr/(1 − β₁ᵗ)
    pub step_size: f64,
    /// 1/√(1 − β₂ᵗ)
    pub inv_sqrt_bc2: f64,
    /// β₁
    pub beta1: f64,
    /// β₂
    pub beta2: f64,
    /// ε
    pub eps: f64,
    /// wd (an L2 term in g for Adam)
    pub weight_decay: f64,
    /// AdamW: p ← p·(1 − lr·wd) first, instead of the L2 term.
    pub decoupled: bool,
    /// 1 − lr·wd (AdamW's shrink)
    pub shrink: f64,
}

/// The causal mask of self-attention, or none: what [`Backend::mask_fill`] hides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttentionMask {
    /// Key j is hidden from query i when j > i (scores `[…, T, S]`).
    Causal,
}

/// The pooling of [`Backend::pool2d`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pooling {
    /// The maximum of the window (NaN wins, as PyTorch); remembers where it was.
    Max,
    /// The mean over the full window (padding counts as zeros, `count_include_pad`).
    Avg,
}

/// What a backend op returns: its value, or why the device failed.
pub type BackendResult<T> = Result<T, BackendError>;

/// The operations layers need, on storage the backend owns.
///
/// Tensors are contiguous and row-major (shape `D`, the dimension type of ndarray). Ops take
/// their inputs by `&` and write into outputs the caller allocated (by `&mut`, already of the
/// right shape: [`Backend::zeros`] once, then reused step after step). Shapes that contradict each
/// other are caller bugs and panic; device failures are `Err`.
pub trait Backend: Clone + fmt::Debug + Send + Sync + 'static {
    /// An n-dimensional array of `T` with dimension `D`, in this backend's memory.
    type Tensor<T: Scalar, D: Dimension>: Shaped + Clone + fmt::Debug + Send + Sync;
    /// A list of indices (class targets, token ids, max-pool positions) in this backend's memory.
    type Indices: Clone + fmt::Debug + Send + Sync;
    /// A parameter or its gradient as an optimiser sees it: a mutable borrow of a tensor with
    /// its dimension erased (see [`crate::layers::Param`]).
    type ParamMut<'a, T: Scalar>: Shaped + fmt::Debug;

    /// The device this backend runs on.
    fn device(&self) -> Device;

    // ---- memory, and the host ↔ device edges --------------------------------------------

    /// A tensor of zeros of shape `dim`.
    fn zeros<T: Scalar, D: Dimension>(&self, dim: D) -> BackendResult<Self::Tensor<T, D>>;
    /// A tensor holding a copy of host data.
    fn upload<T: Scalar, D: Dimension>(
        &self,
        host: ArrayView<'_, T, D>,
    ) -> BackendResult<Self::Tensor<T, D>>;
    /// Overwrites `x` with host data of the same shape (no allocation).
    fn write<T: Scalar, D: Dimension>(
        &self,
        host: ArrayView<'_, T, D>,
        x: &mut Self::Tensor<T, D>,
    ) -> BackendResult<()>;
    /// A host copy of `x`.
    fn download<T: Scalar, D: Dimension>(
        &self,
        x: &Self::Tensor<T, D>,
    ) -> BackendResult<Array<T, D>>;
    /// Indices in backend memory.
    fn upload_indices(&self, host: &[usize]) -> BackendResult<Self::Indices>;
    /// Overwrites `ids` with `host` (reallocating only when the length changed).
    fn write_indices(&self, host: &[usize], ids: &mut Self::Indices) -> BackendResult<()>;
    /// `x[i] = value` everywhere.
    fn fill<T: Scalar, D: Dimension>(
        &self,
        x: &mut Self::Tensor<T, D>,
        value: T,
    ) -> BackendResult<()>;

    // ---- parameters, dimension erased (what optimisers see) -----------------------------

    /// A parameter tensor as an optimiser sees it.
    fn param_mut<T: Scalar, D: Dimension>(x: &mut Self::Tensor<T, D>) -> Self::ParamMut<'_, T>;
    /// `x[i] = value` on a parameter or gradient (zeroing gradients).
    fn fill_param<T: Scalar>(&self, x: &mut Self::ParamMut<'_, T>, value: T) -> BackendResult<()>;
    /// Zeros shaped like a parameter (an optimiser's state).
    fn zeros_like_param<T: Scalar>(
        &self,
        x: &Self::ParamMut<'_, T>,
    ) -> BackendResult<Self::Tensor<T, IxDyn>>;
    /// A host copy of a parameter or gradient (gradient checks, reports).
    fn download_param<T: Scalar>(
        &self,
        x: &Self::ParamMut<'_, T>,
    ) -> BackendResult<Array<T, IxDyn>>;

    // ---- matrix products -----------------------------------------------------------------

    /// `c ← α·op(a)·op(b) + β·c` for each matrix of the batch (op = the layout's transpose).
    /// Shapes: op(a) `[M, K]`, op(b) `[K, P]`, c `[M, P]`; `a` or `b` may have a batch of 1,
    /// shared by every matrix of `c` (a weight applied to each batch).
    fn gemm<T: Scalar, DA: Dimension, DB: Dimension, DC: Dimension>(
        &self,
        alpha: T,
        a: Mat<&Self::Tensor<T, DA>>,
        b: Mat<&Self::Tensor<T, DB>>,
        beta: T,
        c: Mat<&mut Self::Tensor<T, DC>>,
    ) -> BackendResult<()>;
    /// `c ← α·op(a) + β·c` for each matrix (copy a block: α = 1, β = 0; accumulate: β = 1).
    fn geam<T: Scalar, DA: Dimension, DC: Dimension>(
        &self,
        alpha: T,
        a: Mat<&Self::Tensor<T, DA>>,
        beta: T,
        c: Mat<&mut Self::Tensor<T, DC>>,
    ) -> BackendResult<()>;

    // ---- element-wise ----------------------------------------------------------------------

    /// `y = f(x)` element-wise.
    fn activation<T: Scalar, D: Dimension>(
        &self,
        f: Activation,
        x: &Self::Tensor<T, D>,
        y: &mut Self::Tensor<T, D>,
    ) -> BackendResult<()>;
    /// `dx = dy ⊙ f'(x)` element-wise.
    fn activation_backward<T: Scalar, D: Dimension>(
        &self,
        f: Activation,
        x: &Self::Tensor<T, D>,
        dy: &Self::Tensor<T, D>,
        dx: &mut Self::Tensor<T, D>,
    ) -> BackendResult<()>;
    /// `out = a ∘ b` element-wise.
    fn binary<T: Scalar, D: Dimension>(
        &self,
        op: Binary,
        a: &Self::Tensor<T, D>,
        b: &Self::Tensor<T, D>,
        out: &mut Self::Tensor<T, D>,
    ) -> BackendResult<()>;
    /// `y ← α·x + β·y` element-wise (scale: x = y is not allowed; use β alone with α = 0).
    fn axpby<T: Scalar, D: Dimension>(
        &self,
        alpha: T,
        x: &Self::Tensor<T, D>,
        beta: T,
        y: &mut Self::Tensor<T, D>,
    ) -> BackendResult<()>;
    /// Bias add broadcast over a `[outer, C, inner]` view of `out`:
    /// `out[o, c, i] ← β·out[o, c, i] + bias[c]` (Linear: inner = 1; Conv2d: inner = OH·OW).
    fn add_bias<T: Scalar, D: Dimension>(
        &self,
        bias: &Self::Tensor<T, Ix1>,
        inner: usize,
        beta: T,
        out: &mut Self::Tensor<T, D>,
    ) -> BackendResult<()>;

    // ---- reductions ----------------------------------------------------------------------

    /// The bias gradient: `acc[c] += Σ_{o,i} x[o, c, i]` over a `[outer, C, inner]` view of `x`.
    fn add_channel_sums<T: Scalar, D: Dimension>(
        &self,
        x: &Self::Tensor<T, D>,
        inner: usize,
        acc: &mut Self::Tensor<T, Ix1>,
    ) -> BackendResult<()>;
    /// `Σ_i x[i]`, brought back to the host.
    fn sum<T: Scalar, D: Dimension>(&self, x: &Self::Tensor<T, D>) -> BackendResult<T>;

    // ---- rows: softmax, masking, normalisation, loss ---------------------------------------

    /// Softmax along the last axis.
    fn softmax<T: Scalar, D: Dimension>(
        &self,
        x: &Self::Tensor<T, D>,
        y: &mut Self::Tensor<T, D>,
    ) -> BackendResult<()>;
    /// Log-softmax along the last axis.
    fn log_softmax<T: Scalar, D: Dimension>(
        &self,
        x: &Self::Tensor<T, D>,
        y: &mut Self::Tensor<T, D>,
    ) -> BackendResult<()>;
    /// The adjoint of softmax from its output: `dx = y ⊙ (dy − Σ_j dy_j·y_j)`, row by row.
    fn softmax_backward<T: Scalar, D: Dimension>(
        &self,
        y: &Self::Tensor<T, D>,
        dy: &Self::Tensor<T, D>,
        dx: &mut Self::Tensor<T, D>,
    ) -> BackendResult<()>;
    /// The adjoint of log-softmax from its output: `dx = dy − exp(y)·Σ_j dy_j`, row by row.
    fn log_softmax_backward<T: Scalar, D: Dimension>(
        &self,
        y: &Self::Tensor<T, D>,
        dy: &Self::Tensor<T, D>,
        dx: &mut Self::Tensor<T, D>,
    ) -> BackendResult<()>;
    /// Sets the masked scores `[…, T, S]` to `value` (−∞ before a softmax).
    fn mask_fill<T: Scalar, D: Dimension>(
        &self,
        mask: AttentionMask,
        value: T,
        scores: &mut Self::Tensor<T, D>,
    ) -> BackendResult<()>;
    /// Layer norm over the last axis of x `[M, D]` (any leading axes):
    /// `x̂ = (x − mean)·r`, `r = 1/√(var + eps)`, `y = γ ⊙ x̂ + β`; keeps x̂ and r for backward.
    #[allow(clippy::too_many_arguments)]
    fn layer_norm<T: Scalar, D: Dimension>(
        &self,
        x: &Self::Tensor<T, D>,
        gamma: &Self::Tensor<T, Ix1>,
        beta: &Self::Tensor<T, Ix1>,
        eps: f64,
        y: &mut Self::Tensor<T, D>,
        xhat: &mut Self::Tensor<T, D>,
        inv_std: &mut Self::Tensor<T, Ix1>,
    ) -> BackendResult<()>;
    /// The adjoint of [`Backend::layer_norm`]: `dx = r·(g − mean(g) − x̂·mean(g ⊙ x̂))` with
    /// `g = dy ⊙ γ`; adds `dγ += Σ dy ⊙ x̂`, `dβ += Σ dy`.
    #[allow(clippy::too_many_arguments)]
    fn layer_norm_backward<T: Scalar, D: Dimension>(
        &self,
        dy: &Self::Tensor<T, D>,
        xhat: &Self::Tensor<T, D>,
        inv_std: &Self::Tensor<T, Ix1>,
        gamma: &Self::Tensor<T, Ix1>,
        dx: &mut Self::Tensor<T, D>,
        d_gamma: &mut Self::Tensor<T, Ix1>,
        d_beta: &mut Self::Tensor<T, Ix1>,
    ) -> BackendResult<()>;
    /// Softmax cross-entropy with class targets, `mean_n(−log softmax(z_n)[y_n])`: writes
    /// `dz = (softmax(z) − onehot(y))/N` and returns the loss. Targets are in range (checked on
    /// the host before upload).
    fn cross_entropy<T: Scalar>(
        &self,
        logits: &Self::Tensor<T, Ix2>,
        targets: &Self::Indices,
        grad: &mut Self::Tensor<T, Ix2>,
    ) -> BackendResult<T>;

    // ---- convolution and pooling -------------------------------------------------------------

    /// Unfolds the patches of `x` `[N, C, H, W]` into `cols` `[C·kH·kW, N·OH·OW]` (zeros in the
    /// padding).
    fn im2col<T: Scalar>(
        &self,
        x: &Self::Tensor<T, Ix4>,
        geom: &ConvGeometry,
        cols: &mut Self::Tensor<T, Ix2>,
    ) -> BackendResult<()>;
    /// The adjoint of im2col, accumulated into `dx` `[N, C, H, W]`.
    fn col2im<T: Scalar>(
        &self,
        cols: &Self::Tensor<T, Ix2>,
        geom: &ConvGeometry,
        dx: &mut Self::Tensor<T, Ix4>,
    ) -> BackendResult<()>;
    /// Pooling `x` `[N, C, H, W]` → `y` `[N, C, OH, OW]`; max pooling records in `argmax` the flat
    /// `h·W + w` position of each maximum.
    fn pool2d<T: Scalar>(
        &self,
        kind: Pooling,
        x: &Self::Tensor<T, Ix4>,
        geom: &ConvGeometry,
        y: &mut Self::Tensor<T, Ix4>,
        argmax: &mut Self::Indices,
    ) -> BackendResult<()>;
    /// The adjoint of [`Backend::pool2d`]: overwrites `dx` `[N, C, H, W]`.
    fn pool2d_backward<T: Scalar>(
        &self,
        kind: Pooling,
        dy: &Self::Tensor<T, Ix4>,
        geom: &ConvGeometry,
        argmax: &Self::Indices,
        dx: &mut Self::Tensor<T, Ix4>,
    ) -> BackendResult<()>;

    // ---- embedding ---------------------------------------------------------------------------

    /// `out[l] = table[ids[l]]`: out `[L, D]` from table `[V, D]` (ids in range).
    fn gather_rows<T: Scalar>(
        &self,
        table: &Self::Tensor<T, Ix2>,
        ids: &Self::Indices,
        out: &mut Self::Tensor<T, Ix2>,
    ) -> BackendResult<()>;
    /// `d_table[ids[l]] += dy[l]`: the adjoint of [`Backend::gather_rows`].
    fn scatter_add_rows<T: Scalar>(
        &self,
        dy: &Self::Tensor<T, Ix2>,
        ids: &Self::Indices,
        d_table: &mut Self::Tensor<T, Ix2>,
    ) -> BackendResult<()>;

    // ---- recurrent cell steps ----------------------------------------------------------------

    /// One LSTM step from pre-activations `pre` `[B, 4H]` (blocks i, f, g, o, overwritten with
    /// the activated gates σ, σ, tanh, σ) and the previous cell `c_prev` `[B, H]`:
    /// `c = f ⊙ c_prev + i ⊙ g`, `tanh_c = tanh(c)`, `h = o ⊙ tanh_c`.
    fn lstm_cell<T: Scalar>(
        &self,
        pre: &mut Self::Tensor<T, Ix2>,
        c_prev: &Self::Tensor<T, Ix2>,
        c: &mut Self::Tensor<T, Ix2>,
        tanh_c: &mut Self::Tensor<T, Ix2>,
        h: &mut Self::Tensor<T, Ix2>,
    ) -> BackendResult<()>;
    /// The adjoint of one LSTM step: from the activated `gates`, `c_prev`, `tanh_c`, and
    /// dL/dh, dL/dc of the step's outputs, writes dL/d(pre-activations) `d_pre` `[B, 4H]` and
    /// overwrites `dc` with dL/dc_prev.
    #[allow(clippy::too_many_arguments)]
    fn lstm_cell_backward<T: Scalar>(
        &self,
        gates: &Self::Tensor<T, Ix2>,
        c_prev: &Self::Tensor<T, Ix2>,
        tanh_c: &Self::Tensor<T, Ix2>,
        dh: &Self::Tensor<T, Ix2>,
        dc: &mut Self::Tensor<T, Ix2>,
        d_pre: &mut Self::Tensor<T, Ix2>,
    ) -> BackendResult<()>;
    /// One GRU step from gx, gh `[B, 3H]` (blocks r, z, n) and `h_prev` `[B, H]`: writes the
    /// activated gates r, z, n into `gates` `[B, 3H]` and `h = (1 − z) ⊙ n + z ⊙ h_prev`, with
    /// `n = tanh(gx_n + r ⊙ gh_n)`.
    fn gru_cell<T: Scalar>(
        &self,
        gx: &Self::Tensor<T, Ix2>,
        gh: &Self::Tensor<T, Ix2>,
        h_prev: &Self::Tensor<T, Ix2>,
        gates: &mut Self::Tensor<T, Ix2>,
        h: &mut Self::Tensor<T, Ix2>,
    ) -> BackendResult<()>;
    /// The adjoint of one GRU step: writes dL/dgx, dL/dgh `[B, 3H]` and overwrites `dh` (dL/dh
    /// of the step's output) with its part of dL/dh_prev (`dh ⊙ z`).
    #[allow(clippy::too_many_arguments)]
    fn gru_cell_backward<T: Scalar>(
        &self,
        gates: &Self::Tensor<T, Ix2>,
        gh: &Self::Tensor<T, Ix2>,
        h_prev: &Self::Tensor<T, Ix2>,
        dh: &mut Self::Tensor<T, Ix2>,
        d_gx: &mut Self::Tensor<T, Ix2>,
        d_gh: &mut Self::Tensor<T, Ix2>,
    ) -> BackendResult<()>;

    // ---- optimiser updates ---------------------------------------------------------------

    /// One SGD step on a parameter, with its momentum buffer when μ > 0.
    fn sgd_update<T: Scalar>(
        &self,
        step: &SgdUpdate,
        value: &mut Self::ParamMut<'_, T>,
        grad: &Self::ParamMut<'_, T>,
        momentum: Option<&mut Self::Tensor<T, IxDyn>>,
    ) -> BackendResult<()>;
    /// One Adam/AdamW step on a parameter with its moments m and v.
    fn adam_update<T: Scalar>(
        &self,
        step: &AdamUpdate,
        value: &mut Self::ParamMut<'_, T>,
        grad: &Self::ParamMut<'_, T>,
        m: &mut Self::Tensor<T, IxDyn>,
        v: &mut Self::Tensor<T, IxDyn>,
    ) -> BackendResult<()>;
}

/// Makes `buf` a tensor of shape `dim` on `backend`, allocating (zeros) only when the shape
/// changed, and returns it: layers keep their caches in such buffers so a step allocates nothing.
/// The contents are stale when the shape did not change: overwrite them.
pub fn reuse_on<'a, B: Backend, T: Scalar, D: Dimension>(
    backend: &B,
    buf: &'a mut B::Tensor<T, D>,
    dim: D,
) -> BackendResult<&'a mut B::Tensor<T, D>> {
    if buf.shape() != dim.slice() {
        *buf = backend.zeros(dim)?;
    }
    Ok(buf)
}

/// Copies `x` into `buf` reshaped to `dim` (the same elements in the same row-major order: a
/// flatten or unflatten between layers), allocating only when the shape changed; returns it.
pub fn reshape_on<'a, B: Backend, T: Scalar, DX: Dimension, D: Dimension>(
    backend: &B,
    x: &B::Tensor<T, DX>,
    buf: &'a mut B::Tensor<T, D>,
    dim: D,
) -> BackendResult<&'a mut B::Tensor<T, D>> {
    assert_eq!(
        x.len(),
        dim.size(),
        "a reshape keeps the number of elements"
    );
    let cols = dim.slice().last().copied().unwrap_or(1);
    let out = reuse_on(backend, buf, dim)?;
    backend.geam(
        T::one(),
        Mat::flat(x, cols),
        T::zero(),
        Mat::flat(&mut *out, cols),
    )?;
    Ok(out)
}

/// The row range of block `k` of `size` rows (gate k of a stacked weight, head k).
pub fn block(k: usize, size: usize) -> Range<usize> {
    k * size..(k + 1) * size
}
