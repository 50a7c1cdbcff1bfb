//! Layers: each owns its forward and its backward, side by side, readable as the math.
//!
//! # The layer API (what models and optimisers code against)
//!
//! - **Construction.** `Layer::from_weights(...)` takes PyTorch-layout weights (so tests can load
//!   the reference vectors); `Layer::new(..., rng)` draws PyTorch's default initialisation from a
//!   seeded RNG. Weights and their gradients are public fields (`weight`, `grad_weight`, …).
//! - **`forward(&mut self, x)`** computes the output and *caches what backward needs* (the input, or
//!   the output when that is cheaper). It returns a view into a buffer the layer owns and reuses
//!   from call to call when shapes match: copy it (`.to_owned()`) only if you must keep it past the
//!   next call.
//! - **`backward(&mut self, dy)`** takes `dL/dy` for the output of the *latest* forward and returns
//!   `dL/dx` (again a view into a reused buffer). It **adds** the parameter gradients into the
//!   layer's `grad_*` fields, as PyTorch's `.grad` does: call [`Layer::zero_grad`] before each
//!   step. Some layers also offer `backward_params` that skips `dL/dx` (the first layer of a
//!   network does not need it).
//! - **[`Layer::params_mut`]** visits every parameter with its gradient as a [`Param`] (name, value,
//!   gradient, all as dynamic-dimension views), in a fixed order. Optimisers
//!   ([`crate::optim::Optimizer`]) update any layer or model through it; a model made of layers
//!   implements [`Layer`] by visiting its parts with [`Param::prefixed`] names (`fc1.weight`).
//!
//! Shapes are PyTorch's: Linear weight `[out, in]`, images NCHW, sequences batch-first.
//! Forward and backward panic on a shape that contradicts the layer's own sizes: that is a bug in
//! the calling code, not bad user input (inputs from files are checked before they reach a layer).
//!
//! Legend used in the files: N batch, D features, C channels or classes, H×W image sizes.

use std::borrow::Cow;

use ndarray::{Array, ArrayViewMut, Dimension, ShapeBuilder};
use rand::Rng;

use crate::backend::{Backend, BackendError, BackendResult, Cpu};
use crate::scalar::Scalar;

pub mod activation;
pub mod attention;
pub mod capsule;
pub mod conv;
pub mod embedding;
pub mod linear;
pub mod norm;
pub mod pool;
pub mod recurrent;
pub mod transformer;

pub use activation::{Activation, ActivationLayer, LogSoftmax, Softmax};
pub use conv::Conv2d;
pub use embedding::Embedding;
pub use linear::Linear;
pub use norm::LayerNorm;
pub use pool::{Pool2d, PoolKind};

/// One parameter tensor of a layer, with its accumulated gradient, as an optimiser sees it.
#[derive(Debug)]
pub struct Param<'a, T: Scalar, B: Backend = Cpu> {
    /// PyTorch-style name (`weight`, `fc1.bias`, `self_attn.in_proj_weight`).
    pub name: Cow<'static, str>,
    /// The values, updated in place by an optimiser (on the CPU, a dynamic-dimension view).
    pub value: B::ParamMut<'a, T>,
    /// `dL/dvalue`, accumulated by `backward`, same shape as `value`.
    pub grad: B::ParamMut<'a, T>,
}

impl<'a, T: Scalar> Param<'a, T, Cpu> {
    /// A leaf parameter of a CPU layer: `name` with `value` and its gradient `grad`.
    pub fn new<D: Dimension>(
        name: &'static str,
        value: ArrayViewMut<'a, T, D>,
        grad: ArrayViewMut<'a, T, D>,
    ) -> Self {
        Self {
            name: Cow::Borrowed(name),
            value: value.into_dyn(),
            grad: grad.into_dyn(),
        }
    }
}

impl<'a, T: Scalar, B: Backend> Param<'a, T, B> {
    /// A leaf parameter: `name` with the tensors `value` and `grad` of one backend.
    pub fn of<D: Dimension>(
        name: &'static str,
        value: &'a mut B::Tensor<T, D>,
        grad: &'a mut B::Tensor<T, D>,
    ) -> Self {
        Self {
            name: Cow::Borrowed(name),
            value: B::param_mut(value),
            grad: B::param_mut(grad),
        }
    }

    /// The same parameter named `prefix.name`, for a layer inside a model.
    pub fn prefixed(self, prefix: &str) -> Self {
        Self {
            name: Cow::Owned(format!("{prefix}.{}", self.name)),
            ..self
        }
    }
}

/// A parameter tensor and its gradient, as a layer stores them.
pub type WithGrad<'a, T, D, B> = (
    &'a mut <B as Backend>::Tensor<T, D>,
    &'a mut <B as Backend>::Tensor<T, D>,
);

/// Visits the `weight` and `bias` pair every affine layer has (Linear, Conv2d, LayerNorm), in
/// that order, each with its gradient.
pub fn visit_weight_and_bias<T: Scalar, B: Backend, W: Dimension, Bd: Dimension>(
    visit: &mut dyn FnMut(Param<'_, T, B>),
    (weight, grad_weight): WithGrad<'_, T, W, B>,
    (bias, grad_bias): WithGrad<'_, T, Bd, B>,
) {
    visit(Param::of("weight", weight, grad_weight));
    visit(Param::of("bias", bias, grad_bias));
}

/// Anything with trainable parameters on a backend: a layer or a whole model.
pub trait Layer<T: Scalar, B: Backend = Cpu> {
    /// The backend its tensors live on.
    fn backend(&self) -> &B;

    /// Calls `visit` once per parameter, always in the same order.
    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T, B>));

    /// Resets every accumulated gradient to zero.
    fn zero_grad(&mut self) -> BackendResult<()> {
        let backend = self.backend().clone();
        let mut result = Ok(());
        self.params_mut(&mut |mut p| {
            if result.is_ok() {
                result = backend.fill_param(&mut p.grad, T::zero());
            }
        });
        result
    }

    /// The number of scalar parameters (the sum of the sizes [`Layer::params_mut`] visits).
    fn num_params(&self) -> usize;
}

/// Why a layer could not be built: weights of the wrong shape, or a device that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    /// A weight's shape contradicts the layer.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// The backend failed (out of memory, lost device).
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl LayerError {
    /// The shape error of a layer built on the CPU, whose backend never fails.
    pub fn into_cpu_shape_error(self) -> ShapeError {
        match self {
            LayerError::Shape(e) => e,
            LayerError::Backend(e) => unreachable!("the CPU backend does not fail: {e}"),
        }
    }
}

/// Makes `buf` have `shape`, reallocating (to zeros) only when the shape changed, and returns it.
///
/// Layers keep their caches and outputs in such buffers so a training loop allocates nothing
/// per step. The contents are stale when the shape did not change: overwrite them.
pub fn reuse<T: Scalar, D: Dimension>(buf: &mut Array<T, D>, shape: D) -> &mut Array<T, D> {
    if buf.raw_dim() != shape {
        *buf = Array::zeros(shape);
    }
    buf
}

/// A weight or input whose shape contradicts the layer it is given to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: expected shape {expected:?}, got {got:?}")]
pub struct ShapeError {
    /// What was being checked (`linear weight`, `conv2d input`).
    pub what: String,
    /// The shape the layer needs.
    pub expected: Vec<usize>,
    /// The shape it got.
    pub got: Vec<usize>,
}

impl ShapeError {
    /// `Ok` when `got == expected`, else the error naming `what`.
    pub fn check(what: &str, expected: &[usize], got: &[usize]) -> Result<(), ShapeError> {
        if expected == got {
            Ok(())
        } else {
            Err(ShapeError {
                what: what.to_string(),
                expected: expected.to_vec(),
                got: got.to_vec(),
            })
        }
    }
}

/// An array of `shape` drawn uniformly from `[-bound, bound)`: PyTorch's default initialisation of
/// Linear and Conv2d weights and biases uses `bound = 1/√fan_in`.
pub fn uniform<T, Sh, D>(shape: Sh, bound: f64, rng: &mut impl Rng) -> Array<T, D>
where
    T: Scalar,
    Sh: ShapeBuilder<Dim = D>,
    D: Dimension,
{
    Array::from_shape_simple_fn(shape, || {
        T::from_f64((2.0 * rng.random::<f64>() - 1.0) * bound)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2};

    #[test]
    fn prefixed_names_nest() {
        let mut w = Array1::<f64>::zeros(2);
        let mut g = Array1::<f64>::zeros(2);
        let p = Param::new("weight", w.view_mut(), g.view_mut()).prefixed("fc1");
        assert_eq!(p.prefixed("net").name, "net.fc1.weight");
    }

    #[test]
    fn reuse_keeps_the_allocation_when_the_shape_matches() {
        let mut buf = Array2::<f32>::zeros((3, 4));
        let before = buf.as_ptr();
        reuse(&mut buf, ndarray::Ix2(3, 4));
        assert_eq!(buf.as_ptr(), before);
        reuse(&mut buf, ndarray::Ix2(2, 4));
        assert_eq!(buf.dim(), (2, 4));
    }
}
