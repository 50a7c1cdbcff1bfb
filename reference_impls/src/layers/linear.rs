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

use ndarray::{Array1, Array2, ArrayView2, Ix2};
use rand::Rng;

use super::{Layer, Param, ShapeError, reuse, uniform, visit_weight_and_bias};
use crate::backend::host;
use crate::scalar::Scalar;

/// A fully connected layer with PyTorch's layout: weight `[out, in]`, bias `[out]`.
#[derive(Clone, Debug)]
pub struct Linear<T> {
    /// W: `[O, I]`
    pub weight: Array2<T>,
    /// b: `[O]`
    pub bias: Array1<T>,
    /// dL/dW: `[O, I]`, accumulated by `backward`.
    pub grad_weight: Array2<T>,
    /// dL/db: `[O]`, accumulated by `backward`.
    pub grad_bias: Array1<T>,
    /// x of the latest forward: `[N, I]`
    input: Array2<T>,
    /// y of the latest forward: `[N, O]`
    output: Array2<T>,
    /// dx of the latest backward: `[N, I]`
    grad_input: Array2<T>,
}

impl<T: Scalar> Linear<T> {
    /// A layer with the given weight `[out, in]` and bias `[out]` (PyTorch's layout).
    pub fn from_weights(weight: Array2<T>, bias: Array1<T>) -> Result<Self, ShapeError> {
        ShapeError::check("linear bias", &[weight.nrows()], bias.shape())?;
        let grad_weight = Array2::zeros(weight.raw_dim());
        let grad_bias = Array1::zeros(bias.raw_dim());
        Ok(Self {
            weight,
            bias,
            grad_weight,
            grad_bias,
            input: Array2::zeros((0, 0)),
            output: Array2::zeros((0, 0)),
            grad_input: Array2::zeros((0, 0)),
        })
    }

    /// A layer initialised like PyTorch's `nn.Linear`: W and b uniform in ±1/√in.
    pub fn new(in_features: usize, out_features: usize, rng: &mut impl Rng) -> Self {
        let bound = 1.0 / (in_features.max(1) as f64).sqrt();
        let weight = uniform((out_features, in_features), bound, rng);
        let bias = uniform(out_features, bound, rng);
        Self::from_weights(weight, bias).expect("bias length matches by construction")
    }

    /// I: the number of input features.
    pub fn in_features(&self) -> usize {
        self.weight.ncols()
    }

    /// O: the number of output features.
    pub fn out_features(&self) -> usize {
        self.weight.nrows()
    }

    /// `y = x Wᵀ + b` for x `[N, I]`; returns y `[N, O]` and caches x for backward.
    pub fn forward(&mut self, x: ArrayView2<'_, T>) -> ArrayView2<'_, T> {
        assert_eq!(x.ncols(), self.in_features(), "linear: input features");
        let out_dim = Ix2(x.nrows(), self.out_features());
        reuse(&mut self.input, x.raw_dim()).assign(&x); // x: [N, I]
        let y = reuse(&mut self.output, out_dim); // y: [N, O]
        // The bias add is fused into the product: y ← b (each row), then y ← x Wᵀ + 1·y.
        y.assign(&self.bias);
        host::gemm(
            T::one(),
            x,
            false,
            self.weight.view(),
            true,
            T::one(),
            y.view_mut(),
        );
        self.output.view()
    }

    /// Adds dW and db for `dy` `[N, O]` without computing dx (for a network's first layer).
    pub fn backward_params(&mut self, dy: ArrayView2<'_, T>) {
        assert_eq!(dy.dim(), self.output.dim(), "linear: grad_output shape");
        // dW: [O, I] += dyᵀ [O, N] · x [N, I]
        host::gemm(
            T::one(),
            dy,
            true,
            self.input.view(),
            false,
            T::one(),
            self.grad_weight.view_mut(),
        );
        // db: [O] += column sums of dy
        host::add_column_sums(dy, self.grad_bias.view_mut());
    }

    /// Adds dW and db for `dy` `[N, O]` and returns dx `[N, I]`.
    pub fn backward(&mut self, dy: ArrayView2<'_, T>) -> ArrayView2<'_, T> {
        self.backward_params(dy);
        let dx = reuse(&mut self.grad_input, self.input.raw_dim()); // dx: [N, I]
        // dx: [N, I] = dy [N, O] · W [O, I]
        host::gemm(
            T::one(),
            dy,
            false,
            self.weight.view(),
            false,
            T::zero(),
            dx.view_mut(),
        );
        self.grad_input.view()
    }
}

impl<T: Scalar> Layer<T> for Linear<T> {
    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T>)) {
        visit_weight_and_bias(
            visit,
            (self.weight.view_mut(), self.grad_weight.view_mut()),
            (self.bias.view_mut(), self.grad_bias.view_mut()),
        );
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
        assert_eq!(layer.forward(x.view()), array![[-0.9, 1.7, -2.7]]);
        let dx = layer.backward(array![[1.0, 0.0, 2.0]].view()).to_owned();
        assert_eq!(dx, array![[1.0, 8.0]]);
        assert_eq!(
            layer.grad_weight,
            array![[1.0, -1.0], [0.0, 0.0], [2.0, -2.0]]
        );
        assert_eq!(layer.grad_bias, array![1.0, 0.0, 2.0]);
        // Gradients accumulate until zero_grad.
        layer.backward_params(array![[1.0, 0.0, 2.0]].view());
        assert_eq!(layer.grad_bias, array![2.0, 0.0, 4.0]);
        layer.zero_grad();
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
