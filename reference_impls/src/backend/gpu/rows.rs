//! Row and channel operations on the GPU: bias add, reductions (`kernels/reduce.wgsl`), softmax
//! and log-softmax with their adjoints (`kernels/softmax.wgsl`), layer normalisation
//! (`kernels/layer_norm.wgsl`). A tensor's rows run along its last axis.

use super::context::Gpu;
use super::error::{GpuError, ensure};
use super::kernels::{Family, Kernel, Params, grid_1d, grid_rows};
use super::tensor::{GpuScalar, GpuTensor};

/// A reduction of each row to one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowReduction {
    /// Σ x.
    Sum,
    /// max x.
    Max,
    /// Σ x².
    SumOfSquares,
}

/// (rows, cols) of a tensor whose rows run along its last axis (a scalar is one row of one).
fn rows_cols<T: GpuScalar>(t: &GpuTensor<T>) -> (usize, usize) {
    let cols = t.shape().last().copied().unwrap_or(1);
    (if cols == 0 { 0 } else { t.len() / cols }, cols)
}

/// (outer, inner) around the axis `axis` of length `channels` of `t`.
fn around_axis<T: GpuScalar>(
    op: &'static str,
    t: &GpuTensor<T>,
    axis: usize,
    channels: usize,
) -> Result<(usize, usize), GpuError> {
    let shape = t.shape();
    ensure(axis < shape.len() && shape[axis] == channels, op, || {
        format!("{channels} channels do not match axis {axis} of {shape:?}")
    })?;
    Ok((
        shape[..axis].iter().product(),
        shape[axis + 1..].iter().product(),
    ))
}

impl Gpu {
    /// `x[.., c, ..] += bias[c]` along `axis` (the last axis of a linear layer's output, axis 1 of
    /// NCHW).
    pub fn bias_add<T: GpuScalar>(
        &self,
        x: &mut GpuTensor<T>,
        bias: &GpuTensor<T>,
        axis: usize,
    ) -> Result<(), GpuError> {
        let (_, inner) = around_axis("bias_add", x, axis, bias.len())?;
        let params = Params::default().ints(&[x.len(), bias.len(), inner]);
        self.ctx.launch(
            Kernel::new(Family::Elementwise, "bias_add"),
            T::PRECISION,
            params,
            &[(1, bias.buffer()), (2, x.buffer())],
            grid_1d(x.len()),
        )
    }

    /// `acc[c] += Σ x[.., c, ..]` over every axis but `axis` (a bias gradient).
    pub fn add_channel_sums<T: GpuScalar>(
        &self,
        x: &GpuTensor<T>,
        axis: usize,
        acc: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (outer, inner) = around_axis("add_channel_sums", x, axis, acc.len())?;
        let params = Params::default().ints(&[outer, acc.len(), inner]);
        self.ctx.launch(
            Kernel::new(Family::Reduce, "channel_sums"),
            T::PRECISION,
            params,
            &[(1, x.buffer()), (2, acc.buffer())],
            grid_rows(acc.len()),
        )
    }

    /// `out[r] = reduction of row r of x`; out holds one value per row.
    pub fn reduce_rows<T: GpuScalar>(
        &self,
        how: RowReduction,
        x: &GpuTensor<T>,
        out: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (rows, cols) = rows_cols(x);
        ensure(out.len() == rows, "reduce_rows", || {
            format!("{} outputs for {rows} rows", out.len())
        })?;
        let op = match how {
            RowReduction::Sum => 0,
            RowReduction::Max => 1,
            RowReduction::SumOfSquares => 2,
        };
        let params = Params::default().ints(&[rows, cols, op]);
        self.ctx.launch(
            Kernel::new(Family::Reduce, "row_reduce"),
            T::PRECISION,
            params,
            &[(1, x.buffer()), (2, out.buffer())],
            grid_rows(rows),
        )
    }

    fn softmax_family<T: GpuScalar>(
        &self,
        entry: &'static str,
        x: &GpuTensor<T>,
        dy: Option<&GpuTensor<T>>,
        out: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let same = x.shape() == out.shape() && dy.is_none_or(|d| d.shape() == x.shape());
        ensure(same, entry, || {
            format!("shapes differ: {:?}, {:?}", x.shape(), out.shape())
        })?;
        let (rows, cols) = rows_cols(x);
        let mut buffers = vec![(1, x.buffer()), (2, out.buffer())];
        buffers.extend(dy.map(|d| (3, d.buffer())));
        self.ctx.launch(
            Kernel::new(Family::Softmax, entry),
            T::PRECISION,
            Params::default().ints(&[rows, cols]),
            &buffers,
            grid_rows(rows),
        )
    }

    /// Softmax along the last axis.
    pub fn softmax<T: GpuScalar>(
        &self,
        x: &GpuTensor<T>,
        out: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        self.softmax_family("softmax", x, None, out)
    }

    /// Log-softmax along the last axis.
    pub fn log_softmax<T: GpuScalar>(
        &self,
        x: &GpuTensor<T>,
        out: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        self.softmax_family("log_softmax", x, None, out)
    }

    /// The adjoint of softmax from its output `y`: `dx = y ⊙ (dy − Σ dy ⊙ y)` row by row.
    pub fn softmax_backward<T: GpuScalar>(
        &self,
        y: &GpuTensor<T>,
        dy: &GpuTensor<T>,
        dx: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        self.softmax_family("softmax_backward", y, Some(dy), dx)
    }

    /// The adjoint of log-softmax from its output `y`: `dx = dy − exp(y)·Σ dy` row by row.
    pub fn log_softmax_backward<T: GpuScalar>(
        &self,
        y: &GpuTensor<T>,
        dy: &GpuTensor<T>,
        dx: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        self.softmax_family("log_softmax_backward", y, Some(dy), dx)
    }

    /// Layer normalisation over the last axis: `y = (x − μ)/√(σ² + ε)·γ + β`; `stats` `[rows, 2]`
    /// receives (μ, 1/√(σ² + ε)) of each row for the backward.
    pub fn layer_norm<T: GpuScalar>(
        &self,
        x: &GpuTensor<T>,
        gamma: &GpuTensor<T>,
        beta: &GpuTensor<T>,
        eps: f64,
        y: &mut GpuTensor<T>,
        stats: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (rows, cols) = rows_cols(x);
        let fits = y.shape() == x.shape()
            && gamma.len() == cols
            && beta.len() == cols
            && stats.len() == 2 * rows;
        ensure(fits, "layer_norm", || {
            format!(
                "x {:?}, γ {:?}, β {:?}, y {:?}, stats {:?} do not fit",
                x.shape(),
                gamma.shape(),
                beta.shape(),
                y.shape(),
                stats.shape()
            )
        })?;
        self.ctx.launch(
            Kernel::new(Family::LayerNorm, "layer_norm"),
            T::PRECISION,
            Params::default().ints(&[rows, cols]).reals(&[eps]),
            &[
                (1, x.buffer()),
                (2, gamma.buffer()),
                (3, beta.buffer()),
                (4, y.buffer()),
                (5, stats.buffer()),
            ],
            grid_rows(rows),
        )
    }

    /// The adjoint of [`Gpu::layer_norm`]: `dx` (overwritten), and `dγ`, `dβ` (accumulated).
    #[allow(clippy::too_many_arguments)]
    pub fn layer_norm_backward<T: GpuScalar>(
        &self,
        x: &GpuTensor<T>,
        gamma: &GpuTensor<T>,
        stats: &GpuTensor<T>,
        dy: &GpuTensor<T>,
        dx: &mut GpuTensor<T>,
        dgamma: &mut GpuTensor<T>,
        dbeta: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (rows, cols) = rows_cols(x);
        let fits = dy.shape() == x.shape()
            && dx.shape() == x.shape()
            && gamma.len() == cols
            && dgamma.len() == cols
            && dbeta.len() == cols
            && stats.len() == 2 * rows;
        ensure(fits, "layer_norm_backward", || {
            format!("x {:?} and its gradients do not fit", x.shape())
        })?;
        let params = Params::default().ints(&[rows, cols]);
        self.ctx.launch(
            Kernel::new(Family::LayerNorm, "layer_norm_backward"),
            T::PRECISION,
            params,
            &[
                (1, x.buffer()),
                (2, gamma.buffer()),
                (4, dx.buffer()),
                (6, dy.buffer()),
                (7, stats.buffer()),
            ],
            grid_rows(rows),
        )?;
        self.ctx.launch(
            Kernel::new(Family::LayerNorm, "layer_norm_params_backward"),
            T::PRECISION,
            params,
            &[
                (1, x.buffer()),
                (6, dy.buffer()),
                (7, stats.buffer()),
                (8, dgamma.buffer()),
                (9, dbeta.buffer()),
            ],
            grid_1d(cols),
        )
    }
}
