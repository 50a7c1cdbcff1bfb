//! Activation functions, each with its value and its derivative, and the layers that apply them.
//!
//! Legend: x input, y output, dy = dL/dy, dx = dL/dx; σ the logistic sigmoid, Φ the standard
//! normal CDF. Element-wise layers keep any shape; softmax and log-softmax work along the last axis.

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI, PI};

use ndarray::{Dimension, Ix2, IxDyn};

use crate::backend::{Backend, BackendResult, Cpu, Shaped, reuse_on};
use crate::scalar::Scalar;

/// An element-wise activation, with PyTorch's conventions at kinks (relu'(0) = 0,
/// leaky_relu'(0) = slope, elu'(0) = alpha).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// σ(x) = 1/(1 + e^(−x)); σ' = σ(1 − σ).
    Sigmoid,
    /// tanh(x); tanh' = 1 − tanh².
    Tanh,
    /// max(0, x); derivative 1 for x > 0, else 0.
    Relu,
    /// x for x > 0, else slope·x.
    LeakyRelu {
        /// The slope for x ≤ 0 (PyTorch's default 0.01).
        negative_slope: f64,
    },
    /// x for x > 0, else α(e^x − 1).
    Elu {
        /// α (PyTorch's default 1).
        alpha: f64,
    },
    /// Exact GELU: x·Φ(x) = ½x(1 + erf(x/√2)); derivative Φ(x) + x·φ(x).
    Gelu,
    /// GELU's tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
    GeluTanh,
    /// SiLU (swish): x·σ(x); derivative σ(x)(1 + x(1 − σ(x))).
    Silu,
    /// Softplus: ln(1 + e^(βx))/β, and x itself where βx > threshold.
    Softplus {
        /// β (PyTorch's default 1).
        beta: f64,
        /// Above this βx the function is taken as linear (PyTorch's default 20).
        threshold: f64,
    },
}

/// √(2/π), the constant inside GELU's tanh approximation.
const SQRT_2_OVER_PI: f64 = FRAC_2_SQRT_PI * FRAC_1_SQRT_2;
/// The cubic coefficient of GELU's tanh approximation.
const GELU_CUBIC: f64 = 0.044_715;

/// σ(x), computed without overflow for large |x|.
pub fn sigmoid<T: Scalar>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

/// ln(1 + e^x), computed without overflow: max(x, 0) + ln(1 + e^(−|x|)).
pub fn softplus<T: Scalar>(x: T) -> T {
    x.max(T::zero()) + (-x.abs()).exp().ln_1p()
}

impl Activation {
    /// Leaky ReLU with PyTorch's default slope 0.01.
    pub const LEAKY_RELU: Activation = Activation::LeakyRelu {
        negative_slope: 0.01,
    };
    /// ELU with α = 1.
    pub const ELU: Activation = Activation::Elu { alpha: 1.0 };
    /// Softplus with β = 1, threshold 20.
    pub const SOFTPLUS: Activation = Activation::Softplus {
        beta: 1.0,
        threshold: 20.0,
    };
    /// Every activation with its default parameters, in the order of the notes.
    pub const ALL: [Activation; 9] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LEAKY_RELU,
        Activation::ELU,
        Activation::Gelu,
        Activation::GeluTanh,
        Activation::Silu,
        Activation::SOFTPLUS,
    ];

    /// The PyTorch-style name (`relu`, `gelu_tanh`, …), also the `verify` op id.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Elu { .. } => "elu",
            Activation::Gelu => "gelu",
            Activation::GeluTanh => "gelu_tanh",
            Activation::Silu => "silu",
            Activation::Softplus { .. } => "softplus",
        }
    }

    /// The activation called `name`, with default parameters.
    pub fn from_name(name: &str) -> Option<Activation> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// f(x).
    // Always inlined: inside a loop over one known variant the match then folds away.
    #[inline(always)]
    pub fn value<T: Scalar>(self, x: T) -> T {
        let zero = T::zero();
        let half = T::from_f64(0.5);
        match self {
            Activation::Sigmoid => sigmoid(x),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(zero),
            Activation::LeakyRelu { negative_slope } => {
                if x > zero {
                    x
                } else {
                    T::from_f64(negative_slope) * x
                }
            }
            Activation::Elu { alpha } => {
                if x > zero {
                    x
                } else {
                    T::from_f64(alpha) * x.exp_m1()
                }
            }
            Activation::Gelu => half * x * (T::one() + (x * T::from_f64(FRAC_1_SQRT_2)).erf()),
            Activation::GeluTanh => half * x * (T::one() + gelu_tanh_inner(x).tanh()),
            Activation::Silu => x * sigmoid(x),
            Activation::Softplus { beta, threshold } => {
                let bx = T::from_f64(beta) * x;
                if bx > T::from_f64(threshold) {
                    x
                } else {
                    softplus(bx) / T::from_f64(beta)
                }
            }
        }
    }

    /// f'(x).
    #[inline(always)]
    pub fn derivative<T: Scalar>(self, x: T) -> T {
        let (zero, one) = (T::zero(), T::one());
        let half = T::from_f64(0.5);
        match self {
            Activation::Sigmoid => {
                let s = sigmoid(x);
                s * (one - s)
            }
            Activation::Tanh => {
                let t = x.tanh();
                one - t * t
            }
            Activation::Relu => {
                if x > zero {
                    one
                } else {
                    zero
                }
            }
            Activation::LeakyRelu { negative_slope } => {
                if x > zero {
                    one
                } else {
                    T::from_f64(negative_slope)
                }
            }
            Activation::Elu { alpha } => {
                if x > zero {
                    one
                } else {
                    T::from_f64(alpha) * x.exp()
                }
            }
            Activation::Gelu => {
                // Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π)
                let cdf = half * (one + (x * T::from_f64(FRAC_1_SQRT_2)).erf());
                let pdf = (-half * x * x).exp() / T::from_f64((2.0 * PI).sqrt());
                cdf + x * pdf
            }
            Activation::GeluTanh => {
                // u = √(2/π)(x + c·x³), y = ½x(1 + tanh u)
                // y' = ½(1 + tanh u) + ½x(1 − tanh² u)·√(2/π)(1 + 3c·x²)
                let t = gelu_tanh_inner(x).tanh();
                let du =
                    T::from_f64(SQRT_2_OVER_PI) * (one + T::from_f64(3.0 * GELU_CUBIC) * x * x);
                half * (one + t) + half * x * (one - t * t) * du
            }
            Activation::Silu => {
                let s = sigmoid(x);
                s * (one + x * (one - s))
            }
            Activation::Softplus { beta, threshold } => {
                let bx = T::from_f64(beta) * x;
                if bx > T::from_f64(threshold) {
                    one
                } else {
                    sigmoid(bx)
                }
            }
        }
    }
}

/// √(2/π)(x + 0.044715x³), the argument of tanh in GELU's approximation.
fn gelu_tanh_inner<T: Scalar>(x: T) -> T {
    T::from_f64(SQRT_2_OVER_PI) * (x + T::from_f64(GELU_CUBIC) * x * x * x)
}

/// Runs `$body` with `$f` bound to the activation `$act`, in one arm per variant, so that inside
/// the body the variant is a compile-time constant: the per-element `match` of
/// [`Activation::value`]/[`Activation::derivative`] folds away and the loop stays tight.
macro_rules! with_variant {
    ($act:expr, $f:ident => $body:expr) => {
        match $act {
            Activation::Sigmoid => {
                let $f = Activation::Sigmoid;
                $body
            }
            Activation::Tanh => {
                let $f = Activation::Tanh;
                $body
            }
            Activation::Relu => {
                let $f = Activation::Relu;
                $body
            }
            Activation::LeakyRelu { negative_slope } => {
                let $f = Activation::LeakyRelu { negative_slope };
                $body
            }
            Activation::Elu { alpha } => {
                let $f = Activation::Elu { alpha };
                $body
            }
            Activation::Gelu => {
                let $f = Activation::Gelu;
                $body
            }
            Activation::GeluTanh => {
                let $f = Activation::GeluTanh;
                $body
            }
            Activation::Silu => {
                let $f = Activation::Silu;
                $body
            }
            Activation::Softplus { beta, threshold } => {
                let $f = Activation::Softplus { beta, threshold };
                $body
            }
        }
    };
}
pub(crate) use with_variant;

/// A layer applying an [`Activation`] element-wise to a tensor of dimension `D` (any shape) on
/// backend `B`; its buffers are reused from call to call.
#[derive(Clone, Debug)]
pub struct ActivationLayer<T: Scalar, D: Dimension = Ix2, B: Backend = Cpu> {
    /// Where the tensors live and the maps run.
    backend: B,
    /// The function applied.
    pub activation: Activation,
    /// x of the latest forward.
    input: B::Tensor<T, D>,
    /// y = f(x).
    output: B::Tensor<T, D>,
    /// dx = dy ⊙ f'(x).
    grad_input: B::Tensor<T, D>,
}

impl<T: Scalar, D: Dimension> ActivationLayer<T, D> {
    /// A CPU layer applying `activation`.
    pub fn new(activation: Activation) -> Self {
        Self::new_on(&Cpu, activation).expect("the CPU backend does not fail")
    }
}

impl<T: Scalar, D: Dimension, B: Backend> ActivationLayer<T, D, B> {
    /// A layer on `backend` applying `activation`.
    pub fn new_on(backend: &B, activation: Activation) -> BackendResult<Self> {
        let empty = || backend.zeros(D::zeros(D::NDIM.unwrap_or(1)));
        Ok(Self {
            backend: backend.clone(),
            activation,
            input: empty()?,
            output: empty()?,
            grad_input: empty()?,
        })
    }

    /// y = f(x), element-wise; caches x.
    pub fn forward(&mut self, x: &B::Tensor<T, D>) -> BackendResult<&B::Tensor<T, D>> {
        let be = &self.backend;
        let dim = dim_of::<D>(x.shape());
        let input = reuse_on(be, &mut self.input, dim.clone())?;
        be.axpby(T::one(), x, T::zero(), input)?;
        let y = reuse_on(be, &mut self.output, dim)?;
        be.activation(self.activation, x, y)?;
        Ok(&self.output)
    }

    /// dx = dy ⊙ f'(x) for the x of the latest forward.
    pub fn backward(&mut self, dy: &B::Tensor<T, D>) -> BackendResult<&B::Tensor<T, D>> {
        assert_eq!(
            dy.shape(),
            self.input.shape(),
            "activation: grad_output shape"
        );
        let be = &self.backend;
        let dx = reuse_on(be, &mut self.grad_input, dim_of::<D>(dy.shape()))?;
        be.activation_backward(self.activation, &self.input, dy, dx)?;
        Ok(&self.grad_input)
    }
}

/// The dimension value of a shape (its length fits `D` by construction).
pub(crate) fn dim_of<D: Dimension>(shape: &[usize]) -> D {
    let mut dim = D::zeros(shape.len());
    dim.slice_mut().copy_from_slice(shape);
    dim
}

/// Softmax along the last axis of a tensor of dimension `D`, as a layer on backend `B`:
/// `y_j = e^(x_j) / Σ_k e^(x_k)`.
#[derive(Clone, Debug)]
pub struct Softmax<T: Scalar, D: Dimension = IxDyn, B: Backend = Cpu> {
    /// Where the tensors live and the rows are normalised.
    backend: B,
    /// y of the latest forward.
    output: B::Tensor<T, D>,
    /// dx of the latest backward.
    grad_input: B::Tensor<T, D>,
}

/// Log-softmax along the last axis of a tensor of dimension `D`, as a layer on backend `B`:
/// `y_j = x_j − log Σ_k e^(x_k)`.
#[derive(Clone, Debug)]
pub struct LogSoftmax<T: Scalar, D: Dimension = IxDyn, B: Backend = Cpu> {
    /// Where the tensors live and the rows are normalised.
    backend: B,
    /// y of the latest forward.
    output: B::Tensor<T, D>,
    /// dx of the latest backward.
    grad_input: B::Tensor<T, D>,
}

/// The shared body of [`Softmax`] and [`LogSoftmax`]: both cache their output and differentiate
/// through it with the backend's row ops.
macro_rules! last_axis_layer {
    ($name:ident, $forward:ident, $backward:ident) => {
        impl<T: Scalar, D: Dimension> Default for $name<T, D> {
            fn default() -> Self {
                Self::new_on(&Cpu).expect("the CPU backend does not fail")
            }
        }

        impl<T: Scalar, D: Dimension> $name<T, D> {
            /// A CPU layer with empty caches.
            pub fn new() -> Self {
                Self::default()
            }
        }

        impl<T: Scalar, D: Dimension, B: Backend> $name<T, D, B> {
            /// A layer on `backend` with empty caches.
            pub fn new_on(backend: &B) -> BackendResult<Self> {
                let empty = || backend.zeros(D::zeros(D::NDIM.unwrap_or(1)));
                Ok(Self {
                    backend: backend.clone(),
                    output: empty()?,
                    grad_input: empty()?,
                })
            }

            /// y along the last axis of x; caches y.
            pub fn forward(&mut self, x: &B::Tensor<T, D>) -> BackendResult<&B::Tensor<T, D>> {
                let be = &self.backend;
                let y = reuse_on(be, &mut self.output, dim_of::<D>(x.shape()))?;
                be.$forward(x, y)?;
                Ok(&self.output)
            }

            /// dx for dy, through the y of the latest forward.
            pub fn backward(&mut self, dy: &B::Tensor<T, D>) -> BackendResult<&B::Tensor<T, D>> {
                assert_eq!(
                    dy.shape(),
                    self.output.shape(),
                    "softmax: grad_output shape"
                );
                let be = &self.backend;
                let dx = reuse_on(be, &mut self.grad_input, dim_of::<D>(dy.shape()))?;
                be.$backward(&self.output, dy, dx)?;
                Ok(&self.grad_input)
            }
        }
    };
}

last_axis_layer!(Softmax, softmax, softmax_backward);
last_axis_layer!(LogSoftmax, log_softmax, log_softmax_backward);

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn names_round_trip() {
        for a in Activation::ALL {
            assert_eq!(Activation::from_name(a.name()), Some(a));
        }
        assert_eq!(Activation::from_name("swish"), None);
    }

    #[test]
    fn kinks_follow_pytorch() {
        assert_eq!(Activation::Relu.derivative(0.0), 0.0);
        assert_eq!(Activation::LEAKY_RELU.derivative(0.0), 0.01);
        assert_eq!(Activation::ELU.derivative(0.0), 1.0);
        assert_eq!(Activation::SOFTPLUS.value(30.0), 30.0);
    }

    #[test]
    fn extreme_inputs_stay_finite() {
        for a in Activation::ALL {
            for x in [-1000.0_f64, 1000.0] {
                assert!(
                    a.value(x).is_finite() && a.derivative(x).is_finite(),
                    "{a:?} at {x}"
                );
            }
        }
    }

    #[test]
    fn softmax_layer_is_stable_and_normalised() {
        let mut layer = Softmax::<f64, Ix2>::new();
        let y = layer
            .forward(&array![[1000.0, 1000.0], [0.0, f64::ln(3.0)]])
            .unwrap()
            .to_owned();
        assert!(
            (&y - &array![[0.5, 0.5], [0.25, 0.75]])
                .iter()
                .all(|e| e.abs() < 1e-15)
        );
        let mut log = LogSoftmax::<f64, Ix2>::new();
        let l = log.forward(&array![[1000.0, 1000.0]]).unwrap().to_owned();
        assert!((l[[0, 0]] + f64::ln(2.0)).abs() < 1e-12);
    }
}
