//! `verify` handlers for activations, softmax, Linear, a two-layer MLP with cross-entropy, and
//! the losses.
//!
//! Legend: N samples, I input features, O output features, H hidden units, C classes.

use ndarray::{ArrayD, Ix2, IxDyn};

#[cfg(feature = "gpu")]
use super::GpuHandler;
use super::{Case, Handler, Outputs, VerifyError};
use crate::backend::{Backend, Cpu, Shaped};
use crate::layers::{Activation, ActivationLayer, Linear, LogSoftmax, ShapeError, Softmax};
use crate::loss;

/// The ops of this file that run on the GPU backend (f64 where the adapter has it).
#[cfg(feature = "gpu")]
pub(super) const GPU_HANDLERS: &[GpuHandler] = &[
    ("sigmoid", |c, gpu| activation(c, gpu)),
    ("tanh", |c, gpu| activation(c, gpu)),
    ("relu", |c, gpu| activation(c, gpu)),
    ("leaky_relu", |c, gpu| activation(c, gpu)),
    ("elu", |c, gpu| activation(c, gpu)),
    ("gelu", |c, gpu| activation(c, gpu)),
    ("gelu_tanh", |c, gpu| activation(c, gpu)),
    ("silu", |c, gpu| activation(c, gpu)),
    ("softplus", |c, gpu| activation(c, gpu)),
    ("softmax", |c, gpu| softmax(c, gpu)),
    ("log_softmax", |c, gpu| log_softmax(c, gpu)),
    ("linear", |c, gpu| linear(c, gpu)),
    ("mlp2_cross_entropy", |c, gpu| mlp2_cross_entropy(c, gpu)),
];

pub(super) const HANDLERS: &[Handler] = &[
    ("sigmoid", |c| activation(c, &Cpu)),
    ("tanh", |c| activation(c, &Cpu)),
    ("relu", |c| activation(c, &Cpu)),
    ("leaky_relu", |c| activation(c, &Cpu)),
    ("elu", |c| activation(c, &Cpu)),
    ("gelu", |c| activation(c, &Cpu)),
    ("gelu_tanh", |c| activation(c, &Cpu)),
    ("silu", |c| activation(c, &Cpu)),
    ("softplus", |c| activation(c, &Cpu)),
    ("softmax", |c| softmax(c, &Cpu)),
    ("log_softmax", |c| log_softmax(c, &Cpu)),
    ("linear", |c| linear(c, &Cpu)),
    ("mlp2_cross_entropy", |c| mlp2_cross_entropy(c, &Cpu)),
    ("mse_loss", mse_loss),
    ("bce_with_logits", bce_with_logits),
    ("multi_margin_loss", multi_margin_loss),
];

/// The activation named by the op, with the case's parameters over PyTorch's defaults.
fn activation_of(case: &Case) -> Result<Activation, VerifyError> {
    let unknown = || VerifyError::BadParam {
        name: "op".into(),
        detail: format!("`{}` is not an activation", case.op),
    };
    Ok(match Activation::from_name(&case.op).ok_or_else(unknown)? {
        Activation::LeakyRelu { negative_slope } => Activation::LeakyRelu {
            negative_slope: case.param_or("negative_slope", negative_slope),
        },
        Activation::Elu { alpha } => Activation::Elu {
            alpha: case.param_or("alpha", alpha),
        },
        Activation::Softplus { beta, threshold } => Activation::Softplus {
            beta: case.param_or("beta", beta),
            threshold: case.param_or("threshold", threshold),
        },
        other => other,
    })
}

/// `x` → `y = f(x)`, `dydx = f'(x)` (the backward of dy = 1), and `grad_x` for a `grad_output`.
fn activation<B: Backend>(case: &Case, be: &B) -> Result<Outputs, VerifyError> {
    let x = case.input("x")?; // x: [..]
    let mut layer = ActivationLayer::<f64, IxDyn, B>::new_on(be, activation_of(case)?)?;
    let grad_output = case.grad_output::<IxDyn>(x.shape())?;
    let ones = be.upload(ArrayD::ones(x.raw_dim()).view())?;
    let x = be.upload(x.view())?;
    let mut out = Outputs::new().with("y", be.download(layer.forward(&x)?)?);
    out.insert("dydx", be.download(layer.backward(&ones)?)?);
    if let Some(g) = grad_output {
        let g = be.upload(g.view())?;
        out.insert("grad_x", be.download(layer.backward(&g)?)?);
    }
    Ok(out)
}

/// Fails unless the case's `axis` (if any) is the last axis of an `ndim`-axis input.
fn require_last_axis(case: &Case, ndim: usize) -> Result<(), VerifyError> {
    let axis = case.param_or("axis", -1.0);
    if axis == -1.0 || axis == ndim as f64 - 1.0 {
        Ok(())
    } else {
        Err(VerifyError::BadParam {
            name: "axis".into(),
            detail: format!("only the last axis is implemented, the case asks for {axis}"),
        })
    }
}

/// `x`, `grad_output` → `y` = softmax (or log-softmax) of x along the last axis, `grad_x`.
macro_rules! last_axis_handler {
    ($handler:ident, $layer:ident) => {
        fn $handler<B: Backend>(case: &Case, be: &B) -> Result<Outputs, VerifyError> {
            let x = case.input("x")?; // x: [.., D]
            require_last_axis(case, x.ndim())?;
            let mut layer = $layer::<f64, IxDyn, B>::new_on(be)?;
            let grad_output = case.grad_output::<IxDyn>(x.shape())?;
            let x = be.upload(x.view())?;
            let mut out = Outputs::new().with("y", be.download(layer.forward(&x)?)?);
            if let Some(g) = grad_output {
                let g = be.upload(g.view())?;
                out.insert("grad_x", be.download(layer.backward(&g)?)?);
            }
            Ok(out)
        }
    };
}

last_axis_handler!(softmax, Softmax);
last_axis_handler!(log_softmax, LogSoftmax);

/// A Linear layer on `be` from the case's `weight` and `bias` (zeros when absent, and then no
/// `grad_bias`).
fn linear_from<B: Backend>(
    case: &Case,
    be: &B,
    weight: &str,
    bias: &str,
) -> Result<Linear<f64, B>, VerifyError> {
    let w = case.input_nd::<Ix2>(weight)?; // W: [O, I]
    let b = if case.has_input(bias) {
        case.input_nd(bias)? // b: [O]
    } else {
        ndarray::Array1::zeros(w.nrows())
    };
    Ok(Linear::from_weights_on(be, w, b)?)
}

/// `x` `[.., I]`, `weight`, `bias`, `grad_output` → `y` `[.., O]`, `grad_x`, `grad_weight`,
/// `grad_bias`. Leading axes of x are flattened into rows.
fn linear<B: Backend>(case: &Case, be: &B) -> Result<Outputs, VerifyError> {
    let mut layer = linear_from(case, be, "weight", "bias")?;
    let x = case.input("x")?; // x: [.., I]
    let (inputs, outputs) = (layer.in_features(), layer.out_features());
    let last = x.shape().last().copied().unwrap_or(0);
    ShapeError::check("linear input's last axis", &[inputs], &[last])?;
    let rows = x.len() / inputs.max(1);
    let x2 = x
        .view()
        .into_shape_with_order((rows, inputs))
        .expect("owned row-major"); // [N, I]
    let mut y_shape = x.shape().to_vec();
    *y_shape.last_mut().expect("checked above") = outputs;
    let y = be.download(layer.forward(&be.upload(x2)?)?)?; // y: [N, O]
    let mut out = Outputs::new().with("y", reshaped(y, &y_shape));
    if let Some(g) = case.grad_output::<IxDyn>(&y_shape)? {
        let g2 = g
            .view()
            .into_shape_with_order((rows, outputs))
            .expect("owned row-major");
        let dx = be.download(layer.backward(&be.upload(g2)?)?)?; // dx: [N, I]
        out.insert("grad_x", reshaped(dx, x.shape()));
        out.insert("grad_weight", be.download(&layer.grad_weight)?);
        if case.has_input("bias") {
            out.insert("grad_bias", be.download(&layer.grad_bias)?);
        }
    }
    Ok(out)
}

fn reshaped(a: ndarray::Array2<f64>, shape: &[usize]) -> ArrayD<f64> {
    a.into_shape_with_order(IxDyn(shape))
        .expect("same number of values")
}

/// logits = relu(x W1ᵀ + b1) W2ᵀ + b2, loss = mean cross-entropy against `targets`:
/// `hidden`, `logits`, `loss` and the gradients of the loss for x and the four weights.
fn mlp2_cross_entropy<B: Backend>(case: &Case, be: &B) -> Result<Outputs, VerifyError> {
    case.require_param("reduction_mean", 1.0)?;
    let mut fc1 = linear_from(case, be, "w1", "b1")?; // W1: [H, I]
    let mut fc2 = linear_from(case, be, "w2", "b2")?; // W2: [C, H]
    let mut relu = ActivationLayer::new_on(be, Activation::Relu)?;
    let x = case.input_nd::<Ix2>("x")?; // x: [N, I]
    let targets = case.indices("targets")?; // [N]
    ShapeError::check("x", &[x.nrows(), fc1.in_features()], x.shape())?;
    ShapeError::check(
        "w2",
        &[fc2.out_features(), fc1.out_features()],
        &[fc2.weight.shape()[0], fc2.weight.shape()[1]],
    )?;

    let x = be.upload(x.view())?;
    let z1 = fc1.forward(&x)?; // z1: [N, H]
    let hidden = relu.forward(z1)?; // h: [N, H]
    let mut out = Outputs::new().with("hidden", be.download(hidden)?);
    let logits = fc2.forward(hidden)?; // logits: [N, C]
    out.insert("logits", be.download(logits)?);
    let mut dlogits = be.zeros(Ix2(logits.shape()[0], logits.shape()[1]))?; // [N, C]
    let mut ids = be.upload_indices(&targets)?;
    let loss = loss::softmax_cross_entropy_on(be, logits, &targets, &mut ids, &mut dlogits)?;

    let dh = fc2.backward(&dlogits)?; // dh: [N, H]
    let dz1 = relu.backward(dh)?; // dz1: [N, H]
    let dx = fc1.backward(dz1)?; // dx: [N, I]
    out.insert("grad_x", be.download(dx)?);
    out.insert("grad_w1", be.download(&fc1.grad_weight)?);
    out.insert("grad_b1", be.download(&fc1.grad_bias)?);
    out.insert("grad_w2", be.download(&fc2.grad_weight)?);
    out.insert("grad_b2", be.download(&fc2.grad_bias)?);
    out.insert_scalar("loss", loss);
    Ok(out)
}

/// `input`, `target` → `loss` = mean squared error, `grad_input`, `grad_target`.
fn mse_loss(case: &Case) -> Result<Outputs, VerifyError> {
    case.require_param("reduction_mean", 1.0)?;
    let (x, y) = (case.input("input")?, case.input("target")?);
    let r = loss::mse(x.view(), y.view())?;
    let mut out = Outputs::new()
        .with("grad_target", -&r.grad)
        .with("grad_input", r.grad);
    out.insert_scalar("loss", r.loss);
    Ok(out)
}

/// `input` (logits), `target` → `loss` = mean BCE with logits, `grad_input`, `grad_target`.
fn bce_with_logits(case: &Case) -> Result<Outputs, VerifyError> {
    case.require_param("reduction_mean", 1.0)?;
    let (z, y) = (case.input("input")?, case.input("target")?);
    let (r, grad_target) = loss::bce_with_logits(z.view(), y.view())?;
    let mut out = Outputs::new()
        .with("grad_input", r.grad)
        .with("grad_target", grad_target);
    out.insert_scalar("loss", r.loss);
    Ok(out)
}

/// `input` `[N, C]`, `target` `[N]` → `loss` = mean multi-class hinge (p = 1), `grad_input`.
fn multi_margin_loss(case: &Case) -> Result<Outputs, VerifyError> {
    case.require_param("reduction_mean", 1.0)?;
    case.require_param("p", 1.0)?;
    let x = case.input_nd::<Ix2>("input")?;
    let targets = case.indices("target")?;
    let r = loss::multi_margin(x.view(), &targets, case.param_or("margin", 1.0))?;
    let mut out = Outputs::new().with("grad_input", r.grad);
    out.insert_scalar("loss", r.loss);
    Ok(out)
}
