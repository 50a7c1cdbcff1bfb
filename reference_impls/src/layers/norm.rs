//! Layer normalisation over the last dimension, as PyTorch's `nn.LayerNorm(F)`.
//!
//! Legend: M rows (every leading index flattened), F normalised features, μ and σ² the row's mean
//! and biased variance, r = 1/√(σ² + ε), x̂ = (x − μ)·r, γ weight, β bias.
//!
//! ```text
//! forward:  y = γ ⊙ x̂ + β
//! backward: dγ += Σ_rows dy ⊙ x̂,   dβ += Σ_rows dy
//!           g = dy ⊙ γ
//!           dx = r · (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂))      (means along the row)
//! ```

use ndarray::{Array1, Dimension, Ix1, Ix2};

use super::activation::dim_of;
use super::{Layer, LayerError, Param, ShapeError, visit_weight_and_bias};
use crate::backend::{Backend, BackendResult, Cpu, Shaped, reuse_on};
use crate::scalar::Scalar;

/// LayerNorm over the last dimension F of tensors of dimension `D` (rows `[M, F]`, or any
/// leading axes), with weight γ `[F]`, bias β `[F]` and ε, on backend `B`.
#[derive(Clone, Debug)]
pub struct LayerNorm<T: Scalar, D: Dimension = Ix2, B: Backend = Cpu> {
    /// Where the tensors live and the rows are normalised.
    backend: B,
    /// γ: `[F]`
    pub weight: B::Tensor<T, Ix1>,
    /// β: `[F]`
    pub bias: B::Tensor<T, Ix1>,
    /// dL/dγ: `[F]`, accumulated by `backward`.
    pub grad_weight: B::Tensor<T, Ix1>,
    /// dL/dβ: `[F]`, accumulated by `backward`.
    pub grad_bias: B::Tensor<T, Ix1>,
    /// ε inside the square root (PyTorch's default 1e-5).
    pub eps: f64,
    /// x̂ of the latest forward: `[…, F]`
    normalized: B::Tensor<T, D>,
    /// r = 1/√(σ² + ε) per row: `[M]`
    inv_std: B::Tensor<T, Ix1>,
    /// y: `[…, F]`
    output: B::Tensor<T, D>,
    /// dx: `[…, F]`
    grad_input: B::Tensor<T, D>,
}

impl<T: Scalar, D: Dimension> LayerNorm<T, D> {
    /// A CPU layer with the given γ and β `[F]` and ε.
    pub fn from_weights(weight: Array1<T>, bias: Array1<T>, eps: f64) -> Result<Self, ShapeError> {
        Self::from_weights_on(&Cpu, weight, bias, eps).map_err(LayerError::into_cpu_shape_error)
    }

    /// A CPU layer with PyTorch's initialisation: γ = 1, β = 0, ε = 1e-5.
    pub fn new(features: usize) -> Self {
        Self::new_on(&Cpu, features).expect("the CPU backend does not fail")
    }
}

impl<T: Scalar, D: Dimension, B: Backend> LayerNorm<T, D, B> {
    /// A layer on `backend` with the given host γ and β `[F]` and ε.
    pub fn from_weights_on(
        backend: &B,
        weight: Array1<T>,
        bias: Array1<T>,
        eps: f64,
    ) -> Result<Self, LayerError> {
        ShapeError::check("layer_norm bias", weight.shape(), bias.shape())?;
        let empty = || backend.zeros(D::zeros(D::NDIM.unwrap_or(1)));
        Ok(Self {
            backend: backend.clone(),
            grad_weight: backend.zeros(weight.raw_dim())?,
            grad_bias: backend.zeros(bias.raw_dim())?,
            weight: backend.upload(weight.view())?,
            bias: backend.upload(bias.view())?,
            eps,
            normalized: empty()?,
            inv_std: backend.zeros(Ix1(0))?,
            output: empty()?,
            grad_input: empty()?,
        })
    }

    /// A layer on `backend` with PyTorch's initialisation: γ = 1, β = 0, ε = 1e-5.
    pub fn new_on(backend: &B, features: usize) -> BackendResult<Self> {
        Self::from_weights_on(
            backend,
            Array1::ones(features),
            Array1::zeros(features),
            1e-5,
        )
        .map_err(|e| match e {
            LayerError::Backend(e) => e,
            LayerError::Shape(e) => unreachable!("same length by construction: {e}"),
        })
    }

    /// F, the normalised size.
    pub fn features(&self) -> usize {
        self.weight.len()
    }

    /// y for x `[…, F]` (same shape); caches x̂ and r.
    pub fn forward(&mut self, x: &B::Tensor<T, D>) -> BackendResult<&B::Tensor<T, D>> {
        let features = self.features();
        let last = x.shape().last().copied().unwrap_or(0);
        assert_eq!(last, features, "layer_norm: last dimension");
        let rows = x.len().checked_div(features).unwrap_or(0); // M
        let be = &self.backend;
        let dim: D = dim_of(x.shape());
        let xhat = reuse_on(be, &mut self.normalized, dim.clone())?; // x̂: [M, F]
        let inv_std = reuse_on(be, &mut self.inv_std, Ix1(rows))?; // r: [M]
        let y = reuse_on(be, &mut self.output, dim)?; // y: [M, F]
        be.layer_norm(x, &self.weight, &self.bias, self.eps, y, xhat, inv_std)?;
        Ok(&self.output)
    }

    /// dx for `dy` `[…, F]`; adds dγ and dβ.
    pub fn backward(&mut self, dy: &B::Tensor<T, D>) -> BackendResult<&B::Tensor<T, D>> {
        assert_eq!(
            dy.shape(),
            self.normalized.shape(),
            "layer_norm: grad_output shape"
        );
        let be = &self.backend;
        let dx = reuse_on(be, &mut self.grad_input, dim_of(dy.shape()))?; // dx: [M, F]
        be.layer_norm_backward(
            dy,
            &self.normalized,
            &self.inv_std,
            &self.weight,
            dx,
            &mut self.grad_weight,
            &mut self.grad_bias,
        )?;
        Ok(&self.grad_input)
    }
}

impl<T: Scalar, D: Dimension, B: Backend> Layer<T, B> for LayerNorm<T, D, B> {
    fn backend(&self) -> &B {
        &self.backend
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T, B>)) {
        visit_weight_and_bias(
            visit,
            (&mut self.weight, &mut self.grad_weight),
            (&mut self.bias, &mut self.grad_bias),
        );
    }

    fn num_params(&self) -> usize {
        self.weight.len() + self.bias.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn rows_come_out_standardised() {
        let mut ln = LayerNorm::<f64>::new(4);
        let x = array![[1.0, 2.0, 3.0, 4.0], [10.0, 10.0, 10.0, 10.0]];
        let y = ln.forward(&x).unwrap();
        let first = y.row(0);
        assert!(first.sum().abs() < 1e-12);
        assert!((first.mapv(|v| v * v).sum() / 4.0 - 1.25 / (1.25 + 1e-5)).abs() < 1e-12);
        assert_eq!(y.row(1), array![0.0, 0.0, 0.0, 0.0]);
    }
}
