//! Row and channel operations on the GPU: bias add, reductions (`kernels/reduce.wgsl`), softmax
//! and log-softmax with their adjoints (`kernels/softmax.wgsl`), layer normalisation
//! (`kernels/layer_norm.wgsl`). A tensor's rows run along its last axis.

use super::context::Gpu;
use super::error::{GpuError, ensure};
use super::kernels::{Family, Kernel, Params, grid_1d, grid_rows};
use super::sequence::GpuIndices;
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
    (t.len().checked_div(cols).unwrap_or(0), cols)
}

impl Gpu {
    /// `out[o, c, i] ← β·out[o, c, i] + bias[c]` over an `[outer, C, inner]` view of `out`
    /// (a linear layer's rows: inner = 1; NCHW: inner = H·W). β = 0 ignores out's contents.
    pub fn bias_add<T: GpuScalar>(
        &self,
        bias: &GpuTensor<T>,
        inner: usize,
        beta: f64,
        out: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let channels = bias.len();
        ensure(
            inner > 0 && out.len().is_multiple_of((channels * inner).max(1)),
            "bias_add",
            || {
                format!(
                    "{channels} channels × {inner} do not divide {:?}",
                    out.shape()
                )
            },
        )?;
        self.ctx.launch(
            Kernel::new(Family::Elementwise, "bias_add"),
            T::PRECISION,
            Params::default()
                .ints(&[out.len(), channels, inner])
                .reals(&[beta]),
            &[(1, bias.buffer()), (2, out.buffer())],
            grid_1d(out.len()),
        )
    }

    /// `acc[c] += Σ x[o, c, i]` over an `[outer, C, inner]` view of `x` (a bias gradient).
    pub fn add_channel_sums<T: GpuScalar>(
        &self,
        x: &GpuTensor<T>,
        inner: usize,
        acc: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let channels = acc.len();
        let block = channels * inner;
        ensure(
            block > 0 && x.len().is_multiple_of(block),
            "add_channel_sums",
            || {
                format!(
                    "{channels} channels × {inner} do not divide {:?}",
                    x.shape()
                )
            },
        )?;
        let params = Params::default().ints(&[x.len() / block, channels, inner]);
        self.ctx.launch(
            Kernel::new(Family::Reduce, "channel_sums"),
            T::PRECISION,
            params,
            &[(1, x.buffer()), (2, acc.buffer())],
            grid_rows(channels),
        )
    }

    /// Σ x, on the host (one value crosses back).
    pub fn sum<T: GpuScalar>(&self, x: &GpuTensor<T>) -> Result<T, GpuError> {
        if x.is_empty() {
            return Ok(T::zero());
        }
        let total = self.uninit::<T>(&[1])?;
        let params = Params::default().ints(&[1, x.len(), 0]);
        self.ctx.launch(
            Kernel::new(Family::Reduce, "row_reduce"),
            T::PRECISION,
            params,
            &[(1, x.buffer()), (2, total.buffer())],
            [1, 1, 1],
        )?;
        Ok(self.download(&total)?[0])
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

    /// Layer normalisation over the last axis: `x̂ = (x − μ)·r`, `r = 1/√(σ² + ε)`,
    /// `y = γ ⊙ x̂ + β`; keeps x̂ and r (one per row) for the backward.
    #[allow(clippy::too_many_arguments)]
    pub fn layer_norm<T: GpuScalar>(
        &self,
        x: &GpuTensor<T>,
        gamma: &GpuTensor<T>,
        beta: &GpuTensor<T>,
        eps: f64,
        y: &mut GpuTensor<T>,
        xhat: &mut GpuTensor<T>,
        inv_std: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (rows, cols) = rows_cols(x);
        let fits = y.shape() == x.shape()
            && xhat.shape() == x.shape()
            && gamma.len() == cols
            && beta.len() == cols
            && inv_std.len() == rows;
        ensure(fits, "layer_norm", || {
            format!(
                "x {:?}, γ {:?}, β {:?}, y {:?}, x̂ {:?}, r {:?} do not fit",
                x.shape(),
                gamma.shape(),
                beta.shape(),
                y.shape(),
                xhat.shape(),
                inv_std.shape()
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
                (5, xhat.buffer()),
                (10, inv_std.buffer()),
            ],
            grid_rows(rows),
        )
    }

    /// The adjoint of [`Gpu::layer_norm`]: `dx = r·(g − mean(g) − x̂·mean(g ⊙ x̂))`, `g = dy ⊙ γ`
    /// (overwritten); `dγ += Σ dy ⊙ x̂`, `dβ += Σ dy`.
    #[allow(clippy::too_many_arguments)]
    pub fn layer_norm_backward<T: GpuScalar>(
        &self,
        dy: &GpuTensor<T>,
        xhat: &GpuTensor<T>,
        inv_std: &GpuTensor<T>,
        gamma: &GpuTensor<T>,
        dx: &mut GpuTensor<T>,
        dgamma: &mut GpuTensor<T>,
        dbeta: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let (rows, cols) = rows_cols(xhat);
        let fits = dy.shape() == xhat.shape()
            && dx.shape() == xhat.shape()
            && gamma.len() == cols
            && dgamma.len() == cols
            && dbeta.len() == cols
            && inv_std.len() == rows;
        ensure(fits, "layer_norm_backward", || {
            format!("x̂ {:?} and its gradients do not fit", xhat.shape())
        })?;
        let params = Params::default().ints(&[rows, cols]);
        self.ctx.launch(
            Kernel::new(Family::LayerNorm, "layer_norm_backward"),
            T::PRECISION,
            params,
            &[
                (2, gamma.buffer()),
                (4, dx.buffer()),
                (6, dy.buffer()),
                (7, xhat.buffer()),
                (11, inv_std.buffer()),
            ],
            grid_rows(rows),
        )?;
        self.ctx.launch(
            Kernel::new(Family::LayerNorm, "layer_norm_params_backward"),
            T::PRECISION,
            params,
            &[
                (6, dy.buffer()),
                (7, xhat.buffer()),
                (8, dgamma.buffer()),
                (9, dbeta.buffer()),
            ],
            grid_1d(cols),
        )
    }

    /// Softmax cross-entropy with class targets (`targets[n] < C`, checked by the caller before
    /// the upload): `grad = (softmax(logits) − onehot)/N`, and the mean loss on the host.
    pub fn cross_entropy<T: GpuScalar>(
        &self,
        logits: &GpuTensor<T>,
        targets: &GpuIndices,
        grad: &mut GpuTensor<T>,
    ) -> Result<T, GpuError> {
        let (rows, cols) = rows_cols(logits);
        let fits = grad.shape() == logits.shape() && targets.len() == rows;
        ensure(fits, "cross_entropy", || {
            format!(
                "logits {:?}, {} targets, grad {:?} do not fit",
                logits.shape(),
                targets.len(),
                grad.shape()
            )
        })?;
        if rows == 0 {
            return Ok(T::zero());
        }
        let losses = self.uninit::<T>(&[rows])?;
        self.ctx.launch(
            Kernel::new(Family::Softmax, "cross_entropy"),
            T::PRECISION,
            Params::default().ints(&[rows, cols]),
            &[
                (1, logits.buffer()),
                (2, grad.buffer()),
                (4, targets.ids.buffer()),
                (5, losses.buffer()),
            ],
            grid_rows(rows),
        )?;
        Ok(self.sum(&losses)? / T::from_usize(rows))
    }
}
