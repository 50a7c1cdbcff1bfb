//! Layer normalisation over the last dimension, as PyTorch's `nn.LayerNorm(D)`.
//!
//! Legend: M rows (every leading index flattened), D normalised features, μ and σ² the row's mean
//! and biased variance, r = 1/√(σ² + ε), x̂ = (x − μ)·r, γ weight, β bias.
//!
//! ```text
//! forward:  y = γ ⊙ x̂ + β
//! backward: dγ += Σ_rows dy ⊙ x̂,   dβ += Σ_rows dy
//!           g = dy ⊙ γ
//!           dx = r · (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂))      (means along the row)
//! ```

use ndarray::{Array1, Array2, ArrayView, ArrayView2, Dimension, Ix2};

use super::{Layer, Param, ShapeError, reuse, visit_weight_and_bias};
use crate::backend::{Cpu, host};
use crate::scalar::Scalar;

/// LayerNorm over the last dimension D, with weight γ `[D]`, bias β `[D]` and ε.
#[derive(Clone, Debug)]
pub struct LayerNorm<T> {
    /// γ: `[D]`
    pub weight: Array1<T>,
    /// β: `[D]`
    pub bias: Array1<T>,
    /// dL/dγ: `[D]`, accumulated by `backward`.
    pub grad_weight: Array1<T>,
    /// dL/dβ: `[D]`, accumulated by `backward`.
    pub grad_bias: Array1<T>,
    /// ε inside the square root (PyTorch's default 1e-5).
    pub eps: f64,
    /// x̂ of the latest forward: `[M, D]`
    normalized: Array2<T>,
    /// r = 1/√(σ² + ε) per row: `[M]`
    inv_std: Array1<T>,
    /// y: `[M, D]`
    output: Array2<T>,
    /// dx: `[M, D]`
    grad_input: Array2<T>,
}

impl<T: Scalar> LayerNorm<T> {
    /// A layer with the given γ and β `[D]` and ε.
    pub fn from_weights(weight: Array1<T>, bias: Array1<T>, eps: f64) -> Result<Self, ShapeError> {
        ShapeError::check("layer_norm bias", weight.shape(), bias.shape())?;
        Ok(Self {
            grad_weight: Array1::zeros(weight.raw_dim()),
            grad_bias: Array1::zeros(bias.raw_dim()),
            weight,
            bias,
            eps,
            normalized: Array2::zeros((0, 0)),
            inv_std: Array1::zeros(0),
            output: Array2::zeros((0, 0)),
            grad_input: Array2::zeros((0, 0)),
        })
    }

    /// PyTorch's initialisation: γ = 1, β = 0, ε = 1e-5.
    pub fn new(features: usize) -> Self {
        Self::from_weights(Array1::ones(features), Array1::zeros(features), 1e-5)
            .expect("same length by construction")
    }

    /// D, the normalised size.
    pub fn features(&self) -> usize {
        self.weight.len()
    }

    /// y for x `[…, D]` (same shape); caches x̂ and r.
    pub fn forward<D: Dimension>(&mut self, x: ArrayView<'_, T, D>) -> ArrayView<'_, T, D> {
        let dim = x.raw_dim();
        let x = x.as_standard_layout(); // a copy only when x is not row-major
        let rows = rows_of(x.view(), self.features()); // x: [M, D]
        let xhat = reuse(&mut self.normalized, rows.raw_dim()); // x̂: [M, D]
        let inv_std = reuse(&mut self.inv_std, ndarray::Ix1(rows.nrows())); // r: [M]
        let y = reuse(&mut self.output, rows.raw_dim()); // y: [M, D]
        host::layer_norm(
            rows,
            self.weight.view(),
            self.bias.view(),
            T::from_f64(self.eps),
            y.view_mut(),
            xhat.view_mut(),
            inv_std.view_mut(),
        );
        restore(&self.output, dim)
    }

    /// dx for `dy` `[…, D]`; adds dγ and dβ.
    pub fn backward<D: Dimension>(&mut self, dy: ArrayView<'_, T, D>) -> ArrayView<'_, T, D> {
        let dim = dy.raw_dim();
        let dy = dy.as_standard_layout();
        let dy = rows_of(dy.view(), self.features()); // dy: [M, D]
        assert_eq!(
            dy.dim(),
            self.normalized.dim(),
            "layer_norm: grad_output shape"
        );
        let dx = reuse(&mut self.grad_input, dy.raw_dim()); // dx: [M, D]
        host::layer_norm_backward(
            dy,
            self.normalized.view(),
            self.inv_std.view(),
            self.weight.view(),
            dx.view_mut(),
            self.grad_weight.view_mut(),
            self.grad_bias.view_mut(),
        );
        restore(&self.grad_input, dim)
    }
}

/// A row-major x `[…, D]` seen as rows `[M, D]`.
fn rows_of<T: Scalar, D: Dimension>(x: ArrayView<'_, T, D>, features: usize) -> ArrayView2<'_, T> {
    let last = x.shape().last().copied().unwrap_or(0);
    assert_eq!(last, features, "layer_norm: last dimension");
    let rows = x.len().checked_div(features).unwrap_or(0);
    x.into_shape_with_order(Ix2(rows, features))
        .expect("callers pass a row-major view")
}

/// A `[M, D]` buffer seen with the caller's shape `[…, D]`.
fn restore<T, D: Dimension>(buf: &Array2<T>, dim: D) -> ArrayView<'_, T, D> {
    buf.view()
        .into_shape_with_order(dim)
        .expect("buffer was shaped like the input")
}

impl<T: Scalar> Layer<T> for LayerNorm<T> {
    fn backend(&self) -> &Cpu {
        &Cpu
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T>)) {
        visit_weight_and_bias(
            visit,
            (&mut self.weight, &mut self.grad_weight),
            (&mut self.bias, &mut self.grad_bias),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn rows_come_out_standardised() {
        let mut ln = LayerNorm::<f64>::new(4);
        let y = ln.forward(array![[1.0, 2.0, 3.0, 4.0], [10.0, 10.0, 10.0, 10.0]].view());
        let first = y.row(0);
        assert!(first.sum().abs() < 1e-12);
        assert!((first.mapv(|v| v * v).sum() / 4.0 - 1.25 / (1.25 + 1e-5)).abs() < 1e-12);
        assert_eq!(y.row(1), array![0.0, 0.0, 0.0, 0.0]);
    }
}
