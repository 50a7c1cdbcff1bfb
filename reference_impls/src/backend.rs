//! The `Backend` seam: the operations a GPU would run, separated from the math that calls them.
//!
//! Layers never multiply matrices or loop over big arrays themselves for the heavy work: they call a
//! [`Backend`] (matrix products, element-wise maps, reductions, softmax, im2col/col2im). Today the
//! only backend is [`Cpu`], on ndarray (matrix products through `matrixmultiply`, multi-threaded
//! when `MATMUL_NUM_THREADS` allows). The CUDA backend is a later issue (feature `cuda`); a
//! [`Device`] names where a run should go, and [`Device::ensure_available`] says clearly when this
//! build cannot go there.
//!
//! Legend: N batch, C channels, H×W image, kH×kW kernel, OH×OW output image, M×K·K×P matrix shapes.

use std::fmt;
use std::str::FromStr;

use ndarray::{
    ArrayView, ArrayView2, ArrayView4, ArrayViewMut, ArrayViewMut1, ArrayViewMut2, ArrayViewMut4,
    Axis, Dimension, Zip, linalg::general_mat_mul, s,
};

use crate::scalar::Scalar;

#[cfg(feature = "gpu")]
pub mod gpu;

/// Where a computation runs.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// The CPU, through ndarray.
    #[default]
    Cpu,
    /// An NVIDIA GPU (needs a build with the `cuda` feature; not in this build).
    Cuda,
}

/// Why a device cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The name is neither `cpu` nor `cuda`.
    #[error("unknown device `{0}`: expected `cpu` or `cuda`")]
    Unknown(String),
    /// CUDA was asked for but this build has no CUDA backend.
    #[error(
        "this build has no CUDA support; rebuild with --features cuda on a machine with an NVIDIA driver"
    )]
    CudaUnavailable,
}

impl Device {
    /// Every device, in display order.
    pub const ALL: [Device; 2] = [Device::Cpu, Device::Cuda];

    /// The name used on the command line and in reports (`cpu`, `cuda`).
    pub fn name(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
        }
    }

    /// Succeeds when this build can run on the device, else says why not.
    pub fn ensure_available(self) -> Result<(), DeviceError> {
        match self {
            Device::Cpu => Ok(()),
            Device::Cuda => Err(DeviceError::CudaUnavailable),
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Device {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cpu" => Ok(Device::Cpu),
            "cuda" | "gpu" => Ok(Device::Cuda),
            _ => Err(DeviceError::Unknown(s.to_string())),
        }
    }
}

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

/// The operations a GPU would run. Every method writes into an output the caller owns, so a
/// training loop allocates nothing per step.
pub trait Backend {
    /// General matrix product `c ← α·op(a)·op(b) + β·c`, where `op(m)` is `mᵀ` when the matching
    /// `trans_*` flag is set. Shapes: op(a) `[M, K]`, op(b) `[K, P]`, c `[M, P]`.
    #[allow(clippy::too_many_arguments)]
    fn gemm<T: Scalar>(
        &self,
        alpha: T,
        a: ArrayView2<'_, T>,
        trans_a: bool,
        b: ArrayView2<'_, T>,
        trans_b: bool,
        beta: T,
        c: ArrayViewMut2<'_, T>,
    );

    /// Element-wise `out[i] = f(x[i])`; `x` and `out` have one shape.
    fn map<T: Scalar, D: Dimension, F: Fn(T) -> T>(
        &self,
        x: ArrayView<'_, T, D>,
        out: ArrayViewMut<'_, T, D>,
        f: F,
    );

    /// Element-wise `out[i] = f(a[i], b[i])`; the three arrays have one shape.
    fn zip_map<T: Scalar, D: Dimension, F: Fn(T, T) -> T>(
        &self,
        a: ArrayView<'_, T, D>,
        b: ArrayView<'_, T, D>,
        out: ArrayViewMut<'_, T, D>,
        f: F,
    );

    /// Column sums accumulated: `acc[j] += Σ_i x[i, j]` (the bias gradient of a linear layer).
    fn add_column_sums<T: Scalar>(&self, x: ArrayView2<'_, T>, acc: ArrayViewMut1<'_, T>);

    /// Softmax along the last axis: `out = exp(x − max) / Σ exp(x − max)`, row by row.
    fn softmax_last_axis<T: Scalar, D: Dimension>(
        &self,
        x: ArrayView<'_, T, D>,
        out: ArrayViewMut<'_, T, D>,
    );

    /// Log-softmax along the last axis: `out = x − max − log Σ exp(x − max)`, row by row.
    fn log_softmax_last_axis<T: Scalar, D: Dimension>(
        &self,
        x: ArrayView<'_, T, D>,
        out: ArrayViewMut<'_, T, D>,
    );

    /// The adjoint of softmax along the last axis, from its output `y`:
    /// `dx = y ⊙ (dy − Σ_j dy_j·y_j)`, row by row.
    fn softmax_backward_last_axis<T: Scalar, D: Dimension>(
        &self,
        y: ArrayView<'_, T, D>,
        dy: ArrayView<'_, T, D>,
        dx: ArrayViewMut<'_, T, D>,
    );

    /// The adjoint of log-softmax along the last axis, from its output `y`:
    /// `dx = dy − exp(y)·Σ_j dy_j`, row by row.
    fn log_softmax_backward_last_axis<T: Scalar, D: Dimension>(
        &self,
        y: ArrayView<'_, T, D>,
        dy: ArrayView<'_, T, D>,
        dx: ArrayViewMut<'_, T, D>,
    );

    /// Unfolds the patches of `x` `[N, C, H, W]` into `cols` `[C·kH·kW, N·OH·OW]`: column
    /// `(n, oh, ow)` holds the window that output position sees (zeros in the padding).
    fn im2col<T: Scalar>(
        &self,
        x: ArrayView4<'_, T>,
        geom: &ConvGeometry,
        cols: ArrayViewMut2<'_, T>,
    );

    /// The adjoint of [`Backend::im2col`]: adds every entry of `cols` `[C·kH·kW, N·OH·OW]` back
    /// into the input position it came from, `dx` `[N, C, H, W]` (accumulated, not overwritten).
    fn col2im<T: Scalar>(
        &self,
        cols: ArrayView2<'_, T>,
        geom: &ConvGeometry,
        dx: ArrayViewMut4<'_, T>,
    );
}

/// The CPU backend, on ndarray.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cpu;

impl Backend for Cpu {
    fn gemm<T: Scalar>(
        &self,
        alpha: T,
        a: ArrayView2<'_, T>,
        trans_a: bool,
        b: ArrayView2<'_, T>,
        trans_b: bool,
        beta: T,
        mut c: ArrayViewMut2<'_, T>,
    ) {
        // Naive: c[m, p] = β·c[m, p] + α·Σ_k op(a)[m, k]·op(b)[k, p].
        // A transposed view is free (strides swap); matrixmultiply handles either layout.
        let a = if trans_a { a.reversed_axes() } else { a };
        let b = if trans_b { b.reversed_axes() } else { b };
        general_mat_mul(alpha, &a, &b, beta, &mut c);
    }

    // The element loops run over plain slices when the arrays are row-major: a loop the
    // compiler inlines into the caller and vectorises (through ndarray's general iteration it
    // stays a call per element).
    #[inline]
    fn map<T: Scalar, D: Dimension, F: Fn(T) -> T>(
        &self,
        x: ArrayView<'_, T, D>,
        mut out: ArrayViewMut<'_, T, D>,
        f: F,
    ) {
        assert_eq!(x.shape(), out.shape(), "map: shapes differ");
        match (x.as_slice(), out.as_slice_mut()) {
            (Some(xs), Some(os)) => os.iter_mut().zip(xs).for_each(|(o, &v)| *o = f(v)),
            _ => out.zip_mut_with(&x, |o, &v| *o = f(v)),
        }
    }

    #[inline]
    fn zip_map<T: Scalar, D: Dimension, F: Fn(T, T) -> T>(
        &self,
        a: ArrayView<'_, T, D>,
        b: ArrayView<'_, T, D>,
        mut out: ArrayViewMut<'_, T, D>,
        f: F,
    ) {
        assert!(
            a.shape() == b.shape() && a.shape() == out.shape(),
            "zip_map: shapes differ"
        );
        match (a.as_slice(), b.as_slice(), out.as_slice_mut()) {
            (Some(us), Some(vs), Some(os)) => {
                for ((o, &u), &v) in os.iter_mut().zip(us).zip(vs) {
                    *o = f(u, v);
                }
            }
            _ => Zip::from(out)
                .and(&a)
                .and(&b)
                .for_each(|o, &u, &v| *o = f(u, v)),
        }
    }

    fn add_column_sums<T: Scalar>(&self, x: ArrayView2<'_, T>, mut acc: ArrayViewMut1<'_, T>) {
        // acc[j] += Σ_i x[i, j], row by row so the inner loop runs along contiguous memory.
        for row in x.rows() {
            acc.zip_mut_with(&row, |a, &v| *a += v);
        }
    }

    fn softmax_last_axis<T: Scalar, D: Dimension>(
        &self,
        x: ArrayView<'_, T, D>,
        mut out: ArrayViewMut<'_, T, D>,
    ) {
        let last = Axis(x.ndim() - 1);
        Zip::from(x.lanes(last))
            .and(out.lanes_mut(last))
            .for_each(|row, mut y| {
                let max = row.fold(T::neg_infinity(), |m, &v| m.max(v));
                let mut total = T::zero();
                y.zip_mut_with(&row, |o, &v| {
                    *o = (v - max).exp();
                    total += *o;
                });
                let inv = T::one() / total;
                y.mapv_inplace(|e| e * inv);
            });
    }

    fn log_softmax_last_axis<T: Scalar, D: Dimension>(
        &self,
        x: ArrayView<'_, T, D>,
        mut out: ArrayViewMut<'_, T, D>,
    ) {
        let last = Axis(x.ndim() - 1);
        Zip::from(x.lanes(last))
            .and(out.lanes_mut(last))
            .for_each(|row, mut y| {
                let max = row.fold(T::neg_infinity(), |m, &v| m.max(v));
                let log_total = row.fold(T::zero(), |t, &v| t + (v - max).exp()).ln();
                y.zip_mut_with(&row, |o, &v| *o = v - max - log_total);
            });
    }

    fn softmax_backward_last_axis<T: Scalar, D: Dimension>(
        &self,
        y: ArrayView<'_, T, D>,
        dy: ArrayView<'_, T, D>,
        mut dx: ArrayViewMut<'_, T, D>,
    ) {
        let last = Axis(y.ndim() - 1);
        Zip::from(y.lanes(last))
            .and(dy.lanes(last))
            .and(dx.lanes_mut(last))
            .for_each(|y, dy, mut dx| {
                let dot = y.dot(&dy);
                Zip::from(&mut dx)
                    .and(&y)
                    .and(&dy)
                    .for_each(|d, &p, &g| *d = p * (g - dot));
            });
    }

    fn log_softmax_backward_last_axis<T: Scalar, D: Dimension>(
        &self,
        y: ArrayView<'_, T, D>,
        dy: ArrayView<'_, T, D>,
        mut dx: ArrayViewMut<'_, T, D>,
    ) {
        let last = Axis(y.ndim() - 1);
        Zip::from(y.lanes(last))
            .and(dy.lanes(last))
            .and(dx.lanes_mut(last))
            .for_each(|y, dy, mut dx| {
                let total = dy.sum();
                Zip::from(&mut dx)
                    .and(&y)
                    .and(&dy)
                    .for_each(|d, &l, &g| *d = g - l.exp() * total);
            });
    }

    fn im2col<T: Scalar>(
        &self,
        x: ArrayView4<'_, T>,
        g: &ConvGeometry,
        mut cols: ArrayViewMut2<'_, T>,
    ) {
        // cols[(c, ki, kj), (n, oh, ow)] = x[n, c, oh·s + ki − p, ow·s + kj − p] (0 outside).
        let plane = g.out_h * g.out_w;
        for c in 0..g.channels {
            for ki in 0..g.kernel_h {
                for kj in 0..g.kernel_w {
                    let row = (c * g.kernel_h + ki) * g.kernel_w + kj;
                    let mut dst = cols.row_mut(row);
                    for n in 0..g.batch {
                        let src = x.slice(s![n, c, .., ..]);
                        for oh in 0..g.out_h {
                            let base = n * plane + oh * g.out_w;
                            match g.input_row(oh, ki) {
                                None => dst.slice_mut(s![base..base + g.out_w]).fill(T::zero()),
                                Some(r) => {
                                    for ow in 0..g.out_w {
                                        dst[base + ow] =
                                            g.input_col(ow, kj).map_or(T::zero(), |q| src[[r, q]]);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    fn col2im<T: Scalar>(
        &self,
        cols: ArrayView2<'_, T>,
        g: &ConvGeometry,
        mut dx: ArrayViewMut4<'_, T>,
    ) {
        // dx[n, c, oh·s + ki − p, ow·s + kj − p] += cols[(c, ki, kj), (n, oh, ow)].
        let plane = g.out_h * g.out_w;
        for c in 0..g.channels {
            for ki in 0..g.kernel_h {
                for kj in 0..g.kernel_w {
                    let row = (c * g.kernel_h + ki) * g.kernel_w + kj;
                    let src = cols.row(row);
                    for n in 0..g.batch {
                        let mut dst = dx.slice_mut(s![n, c, .., ..]);
                        for oh in 0..g.out_h {
                            let Some(r) = g.input_row(oh, ki) else {
                                continue;
                            };
                            for ow in 0..g.out_w {
                                if let Some(q) = g.input_col(ow, kj) {
                                    dst[[r, q]] += src[n * plane + oh * g.out_w + ow];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, Array4, array};

    #[test]
    fn device_parses_and_explains_missing_cuda() {
        assert_eq!("CPU".parse::<Device>(), Ok(Device::Cpu));
        assert_eq!(Device::Cuda.to_string(), "cuda");
        let err = Device::Cuda.ensure_available().unwrap_err().to_string();
        assert!(err.contains("--features cuda"), "{err}");
        assert!(
            "tpu"
                .parse::<Device>()
                .unwrap_err()
                .to_string()
                .contains("`cpu` or `cuda`")
        );
    }

    #[test]
    fn gemm_honours_transpose_flags_and_beta() {
        let a = array![[1.0, 2.0], [3.0, 4.0]];
        let b = array![[5.0, 6.0], [7.0, 8.0]];
        let mut c = Array2::<f64>::ones((2, 2));
        // c = aᵀ·b + 1·c
        Cpu.gemm(1.0, a.view(), true, b.view(), false, 1.0, c.view_mut());
        assert_eq!(c, a.t().dot(&b) + 1.0);
        Cpu.gemm(2.0, a.view(), false, b.view(), true, 0.0, c.view_mut());
        assert_eq!(c, a.dot(&b.t()) * 2.0);
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for every x, c: checked on ramps with padding and stride.
        let g = ConvGeometry::new([2, 2, 5, 4], (3, 2), 2, 1).unwrap();
        let x = Array4::from_shape_fn((2, 2, 5, 4), |(n, c, h, w)| {
            (n * 40 + c * 20 + h * 4 + w) as f64
        });
        let probe = Array2::from_shape_fn((g.patch_len(), g.positions()), |(i, j)| {
            (i * 7 + j) as f64 % 5.0
        });
        let mut cols = Array2::zeros((g.patch_len(), g.positions()));
        Cpu.im2col(x.view(), &g, cols.view_mut());
        let mut back = Array4::zeros((2, 2, 5, 4));
        Cpu.col2im(probe.view(), &g, back.view_mut());
        assert_eq!((&cols * &probe).sum(), (&x * &back).sum());
    }
}
