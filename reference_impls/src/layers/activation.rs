//! Activation functions, each with its value and its derivative, and the layers that apply them.
//!
//! Legend: x input, y output, dy = dL/dy, dx = dL/dx; σ the logistic sigmoid, Φ the standard
//! normal CDF. Element-wise layers keep any shape; softmax and log-softmax work along the last axis.

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_SQRT_PI, PI};

use ndarray::{ArrayD, ArrayView, ArrayView1, ArrayViewMut1, Dimension};

use super::reuse;
use crate::backend::host;
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

/// A layer applying an [`Activation`] element-wise to an array of any shape.
///
/// Its buffers are flat row-major vectors, reused from call to call, so the element loops run
/// over contiguous memory whatever the caller's number of axes.
#[derive(Clone, Debug)]
pub struct ActivationLayer<T> {
    /// The function applied.
    pub activation: Activation,
    /// The shape of the latest x.
    shape: Vec<usize>,
    /// x of the latest forward, row-major: `[len]`
    input: Vec<T>,
    /// y = f(x): `[len]`
    output: Vec<T>,
    /// dx = dy ⊙ f'(x): `[len]`
    grad_input: Vec<T>,
}

impl<T: Scalar> ActivationLayer<T> {
    /// A layer applying `activation`.
    pub fn new(activation: Activation) -> Self {
        Self {
            activation,
            shape: Vec::new(),
            input: Vec::new(),
            output: Vec::new(),
            grad_input: Vec::new(),
        }
    }

    /// y = f(x), element-wise; caches x.
    pub fn forward<D: Dimension>(&mut self, x: ArrayView<'_, T, D>) -> ArrayView<'_, T, D> {
        let dim = x.raw_dim();
        self.shape.clear();
        self.shape.extend_from_slice(x.shape());
        copy_row_major(&x, &mut self.input);
        self.output.resize(self.input.len(), T::zero());
        let (x, y) = (
            ArrayView1::from(&self.input),
            ArrayViewMut1::from(&mut self.output),
        );
        with_variant!(self.activation, f => host::map(x, y, |v| f.value(v)));
        ArrayView::from_shape(dim, &self.output).expect("one output per input")
    }

    /// dx = dy ⊙ f'(x) for the x of the latest forward.
    pub fn backward<D: Dimension>(&mut self, dy: ArrayView<'_, T, D>) -> ArrayView<'_, T, D> {
        assert_eq!(dy.shape(), self.shape, "activation: grad_output shape");
        let dim = dy.raw_dim();
        let dy = dy.as_standard_layout(); // a copy only when dy is not row-major
        let dy = ArrayView1::from(dy.as_slice().expect("standard layout"));
        self.grad_input.resize(self.input.len(), T::zero());
        let (x, dx) = (
            ArrayView1::from(&self.input),
            ArrayViewMut1::from(&mut self.grad_input),
        );
        with_variant!(self.activation, f => host::zip_map(x, dy, dx, |v, g| g * f.derivative(v)));
        ArrayView::from_shape(dim, &self.grad_input).expect("one gradient per input")
    }
}

/// Copies `x` into `buf` in row-major order (a plain memory copy when x is row-major).
fn copy_row_major<T: Scalar, D: Dimension>(x: &ArrayView<'_, T, D>, buf: &mut Vec<T>) {
    buf.clear();
    match x.as_slice() {
        Some(slice) => buf.extend_from_slice(slice),
        None => buf.extend(x.iter().copied()),
    }
}

/// Softmax along the last axis, as a layer: `y_j = e^(x_j) / Σ_k e^(x_k)`.
#[derive(Clone, Debug)]
pub struct Softmax<T> {
    /// y of the latest forward (any shape).
    output: ArrayD<T>,
    /// dx of the latest backward.
    grad_input: ArrayD<T>,
}

/// Log-softmax along the last axis, as a layer: `y_j = x_j − log Σ_k e^(x_k)`.
#[derive(Clone, Debug)]
pub struct LogSoftmax<T> {
    /// y of the latest forward (any shape).
    output: ArrayD<T>,
    /// dx of the latest backward.
    grad_input: ArrayD<T>,
}

/// The shared body of [`Softmax`] and [`LogSoftmax`]: both cache their output and differentiate
/// through it.
macro_rules! last_axis_layer {
    ($name:ident, $forward:ident, $backward:ident) => {
        impl<T: Scalar> Default for $name<T> {
            fn default() -> Self {
                Self {
                    output: ArrayD::zeros(vec![0]),
                    grad_input: ArrayD::zeros(vec![0]),
                }
            }
        }

        impl<T: Scalar> $name<T> {
            /// A layer with empty caches.
            pub fn new() -> Self {
                Self::default()
            }

            /// y along the last axis of x; caches y.
            pub fn forward<D: Dimension>(&mut self, x: ArrayView<'_, T, D>) -> ArrayView<'_, T, D> {
                let dim = x.raw_dim();
                let x = x.into_dyn();
                let y = reuse(&mut self.output, x.raw_dim());
                host::$forward(x, y.view_mut());
                shaped(&self.output, dim)
            }

            /// dx for dy, through the y of the latest forward.
            pub fn backward<D: Dimension>(
                &mut self,
                dy: ArrayView<'_, T, D>,
            ) -> ArrayView<'_, T, D> {
                let dim = dy.raw_dim();
                assert_eq!(
                    dy.shape(),
                    self.output.shape(),
                    "softmax: grad_output shape"
                );
                let dx = reuse(&mut self.grad_input, self.output.raw_dim());
                host::$backward(self.output.view(), dy.into_dyn(), dx.view_mut());
                shaped(&self.grad_input, dim)
            }
        }
    };
}

last_axis_layer!(Softmax, softmax_last_axis, softmax_backward_last_axis);
last_axis_layer!(
    LogSoftmax,
    log_softmax_last_axis,
    log_softmax_backward_last_axis
);

/// A dynamic-dimension buffer seen with the caller's static dimension `dim` (same shape).
fn shaped<T, D: Dimension>(buf: &ArrayD<T>, dim: D) -> ArrayView<'_, T, D> {
    buf.view()
        .into_shape_with_order(dim)
        .expect("buffer was shaped like the input")
}

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
        let mut layer = Softmax::<f64>::new();
        let y = layer
            .forward(array![[1000.0, 1000.0], [0.0, f64::ln(3.0)]].view())
            .to_owned();
        assert!(
            (&y - &array![[0.5, 0.5], [0.25, 0.75]])
                .iter()
                .all(|e| e.abs() < 1e-15)
        );
        let mut log = LogSoftmax::<f64>::new();
        let l = log.forward(array![[1000.0, 1000.0]].view()).to_owned();
        assert!((l[[0, 0]] + f64::ln(2.0)).abs() < 1e-12);
    }
}
