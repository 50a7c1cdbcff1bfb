//! Fully connected layer: `y = x Wᵀ + b`.
//!
//! Legend: N batch, I input features (`in`), O output features (`out`).
//!
//! Naive reference (what the matrix products compute):
//! ```text
//! forward:  y[n, o]  = b[o] + Σ_i x[n, i] · W[o, i]
//! backward: dW[o, i] += Σ_n dy[n, o] · x[n, i]      (dW += dyᵀ x)
//!           db[o]    += Σ_n dy[n, o]
//!           dx[n, i]  = Σ_o dy[n, o] · W[o, i]      (dx = dy W)
//! ```

use ndarray::{Array1, Array2, Ix1, Ix2};
use rand::Rng;

use super::{Layer, LayerError, Param, ShapeError, uniform, visit_weight_and_bias};
use crate::backend::{Backend, BackendResult, Cpu, Mat, Shaped, reuse_on};
use crate::scalar::Scalar;

/// A fully connected layer with PyTorch's layout: weight `[out, in]`, bias `[out]`, on backend
/// `B` (the CPU unless said otherwise).
#[derive(Clone, Debug)]
pub struct Linear<T: Scalar, B: Backend = Cpu> {
    /// Where the tensors live and the products run.
    backend: B,
    /// W: `[O, I]`
    pub weight: B::Tensor<T, Ix2>,
    /// b: `[O]`
    pub bias: B::Tensor<T, Ix1>,
    /// dL/dW: `[O, I]`, accumulated by `backward`.
    pub grad_weight: B::Tensor<T, Ix2>,
    /// dL/db: `[O]`, accumulated by `backward`.
    pub grad_bias: B::Tensor<T, Ix1>,
    /// x of the latest forward: `[N, I]`
    input: B::Tensor<T, Ix2>,
    /// y of the latest forward: `[N, O]`
    output: B::Tensor<T, Ix2>,
    /// dx of the latest backward: `[N, I]`
    grad_input: B::Tensor<T, Ix2>,
}

impl<T: Scalar> Linear<T> {
    /// A CPU layer with the given weight `[out, in]` and bias `[out]` (PyTorch's layout).
    pub fn from_weights(weight: Array2<T>, bias: Array1<T>) -> Result<Self, ShapeError> {
        Self::from_weights_on(&Cpu, weight, bias).map_err(|e| match e {
            LayerError::Shape(e) => e,
            LayerError::Backend(e) => unreachable!("the CPU backend does not fail: {e}"),
        })
    }

    /// A CPU layer initialised like PyTorch's `nn.Linear`: W and b uniform in ±1/√in.
    pub fn new(in_features: usize, out_features: usize, rng: &mut impl Rng) -> Self {
        Self::new_on(&Cpu, in_features, out_features, rng).expect("the CPU backend does not fail")
    }
}

impl<T: Scalar, B: Backend> Linear<T, B> {
    /// A layer on `backend` with the given host weight `[out, in]` and bias `[out]`.
    pub fn from_weights_on(
        backend: &B,
        weight: Array2<T>,
        bias: Array1<T>,
    ) -> Result<Self, LayerError> {
        ShapeError::check("linear bias", &[weight.nrows()], bias.shape())?;
        Ok(Self {
            backend: backend.clone(),
            grad_weight: backend.zeros(weight.raw_dim())?,
            grad_bias: backend.zeros(bias.raw_dim())?,
            weight: backend.upload(weight.view())?,
            bias: backend.upload(bias.view())?,
            input: backend.zeros(Ix2(0, 0))?,
            output: backend.zeros(Ix2(0, 0))?,
            grad_input: backend.zeros(Ix2(0, 0))?,
        })
    }

    /// A layer on `backend` initialised like PyTorch's `nn.Linear`: W and b uniform in ±1/√in.
    pub fn new_on(
        backend: &B,
        in_features: usize,
        out_features: usize,
        rng: &mut impl Rng,
    ) -> BackendResult<Self> {
        let bound = 1.0 / (in_features.max(1) as f64).sqrt();
        let weight = uniform((out_features, in_features), bound, rng);
        let bias = uniform(out_features, bound, rng);
        Self::from_weights_on(backend, weight, bias).map_err(|e| match e {
            LayerError::Backend(e) => e,
            LayerError::Shape(e) => unreachable!("bias length matches by construction: {e}"),
        })
    }

    /// I: the number of input features.
    pub fn in_features(&self) -> usize {
        self.weight.shape()[1]
    }

    /// O: the number of output features.
    pub fn out_features(&self) -> usize {
        self.weight.shape()[0]
    }

    /// y `[N, O]` of the latest forward.
    pub fn output(&self) -> &B::Tensor<T, Ix2> {
        &self.output
    }

    /// `y = x Wᵀ + b` for x `[N, I]`; returns y `[N, O]` and caches x for backward.
    pub fn forward(&mut self, x: &B::Tensor<T, Ix2>) -> BackendResult<&B::Tensor<T, Ix2>> {
        let (n, i, o) = (x.shape()[0], self.in_features(), self.out_features());
        assert_eq!(x.shape()[1], i, "linear: input features");
        let be = &self.backend;
        let input = reuse_on(be, &mut self.input, Ix2(n, i))?; // x: [N, I]
        be.geam(T::one(), Mat::of(x), T::zero(), Mat::of(input))?;
        let y = reuse_on(be, &mut self.output, Ix2(n, o))?; // y: [N, O]
        // The bias add is fused into the product: y ← b (each row), then y ← x Wᵀ + 1·y.
        be.add_bias(&self.bias, 1, T::zero(), y)?;
        be.gemm(
            T::one(),
            Mat::of(x),
            Mat::of(&self.weight).t(),
            T::one(),
            Mat::of(y),
        )?;
        Ok(&self.output)
    }

    /// Adds dW and db for `dy` `[N, O]` without computing dx (for a network's first layer).
    pub fn backward_params(&mut self, dy: &B::Tensor<T, Ix2>) -> BackendResult<()> {
        assert_eq!(dy.shape(), self.output.shape(), "linear: grad_output shape");
        let be = &self.backend;
        // dW: [O, I] += dyᵀ [O, N] · x [N, I]
        let dw = Mat::of(&mut self.grad_weight);
        be.gemm(
            T::one(),
            Mat::of(dy).t(),
            Mat::of(&self.input),
            T::one(),
            dw,
        )?;
        // db: [O] += column sums of dy
        be.add_channel_sums(dy, 1, &mut self.grad_bias)
    }

    /// Adds dW and db for `dy` `[N, O]` and returns dx `[N, I]`.
    pub fn backward(&mut self, dy: &B::Tensor<T, Ix2>) -> BackendResult<&B::Tensor<T, Ix2>> {
        self.backward_params(dy)?;
        let be = &self.backend;
        let dim = Ix2(self.input.shape()[0], self.in_features());
        let dx = reuse_on(be, &mut self.grad_input, dim)?; // dx: [N, I]
        // dx: [N, I] = dy [N, O] · W [O, I]
        be.gemm(
            T::one(),
            Mat::of(dy),
            Mat::of(&self.weight),
            T::zero(),
            Mat::of(dx),
        )?;
        Ok(&self.grad_input)
    }
}

impl<T: Scalar, B: Backend> Layer<T, B> for Linear<T, B> {
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
    use rand::SeedableRng;

    #[test]
    fn forward_and_backward_match_the_naive_formulas() {
        let mut layer = Linear::from_weights(
            array![[1.0, 2.0], [0.5, -1.0], [0.0, 3.0]],
            array![0.1, 0.2, 0.3],
        )
        .unwrap();
        let x = array![[1.0, -1.0]];
        assert_eq!(layer.forward(&x).unwrap(), array![[-0.9, 1.7, -2.7]]);
        let dx = layer.backward(&array![[1.0, 0.0, 2.0]]).unwrap().to_owned();
        assert_eq!(dx, array![[1.0, 8.0]]);
        assert_eq!(
            layer.grad_weight,
            array![[1.0, -1.0], [0.0, 0.0], [2.0, -2.0]]
        );
        assert_eq!(layer.grad_bias, array![1.0, 0.0, 2.0]);
        // Gradients accumulate until zero_grad.
        layer.backward_params(&array![[1.0, 0.0, 2.0]]).unwrap();
        assert_eq!(layer.grad_bias, array![2.0, 0.0, 4.0]);
        layer.zero_grad().unwrap();
        assert_eq!(layer.grad_bias, array![0.0, 0.0, 0.0]);
    }

    #[test]
    fn seeded_init_is_deterministic_and_bounded() {
        let make = || Linear::<f32>::new(16, 4, &mut rand_chacha::ChaCha8Rng::seed_from_u64(3));
        let (a, b) = (make(), make());
        assert_eq!(a.weight, b.weight);
        assert!(a.weight.iter().all(|w| w.abs() <= 0.25));
        assert_eq!(make().num_params(), 16 * 4 + 4);
    }

    #[test]
    fn mismatched_bias_is_an_error() {
        let err = Linear::from_weights(Array2::<f64>::zeros((3, 2)), Array1::zeros(2)).unwrap_err();
        assert_eq!(err.expected, vec![3]);
    }
}
