//! `verify` handlers for Conv2d, max/avg pooling and LayerNorm.
//!
//! Legend: N batch, C channels, F filters, H×W image, OH×OW output image, D normalised features.

use ndarray::{Array1, Ix1, Ix4, IxDyn};

use super::{Case, Handler, Outputs, VerifyError};
use crate::layers::{Conv2d, LayerNorm, Pool2d, PoolKind, ShapeError};

pub(super) const HANDLERS: &[Handler] = &[
    ("conv2d", conv2d),
    ("max_pool2d", max_pool2d),
    ("avg_pool2d", avg_pool2d),
    ("layer_norm", layer_norm),
];

/// `[N, C, H, W]` of a 4-axis array.
fn dims4(shape: &[usize]) -> [usize; 4] {
    [shape[0], shape[1], shape[2], shape[3]]
}

/// `x`, `weight` `[F, C, kH, kW]`, `bias` `[F]` (optional), `grad_output` → `y`, `grad_x`,
/// `grad_weight`, `grad_bias`; params `stride` (1), `padding` (0).
fn conv2d(case: &Case) -> Result<Outputs, VerifyError> {
    case.require_param("dilation", 1.0)?;
    case.require_param("groups", 1.0)?;
    let x = case.input_nd::<Ix4>("x")?; // x: [N, C, H, W]
    let weight = case.input_nd::<Ix4>("weight")?; // W: [F, C, kH, kW]
    let bias = if case.has_input("bias") {
        case.input_nd::<Ix1>("bias")?
    } else {
        Array1::zeros(weight.shape()[0])
    };
    let stride = case.usize_param_or("stride", 1)?;
    let padding = case.usize_param_or("padding", 0)?;
    let mut conv = Conv2d::from_weights(weight, bias, stride, padding)?;
    conv.geometry(dims4(x.shape()))?;
    let y = conv.forward(&x)?.to_owned(); // y: [N, F, OH, OW]
    let mut out = Outputs::new();
    if let Some(g) = case.grad_output::<Ix4>(y.shape())? {
        out.insert("grad_x", conv.backward(&g)?.to_owned());
        out.insert("grad_weight", conv.grad_weight.clone());
        if case.has_input("bias") {
            out.insert("grad_bias", conv.grad_bias.clone());
        }
    }
    out.insert("y", y);
    Ok(out)
}

/// `x`, `grad_output` → `y`, `grad_x` for a pooling of `kind`; params `kernel_size`, `stride`
/// (the kernel size), `padding` (0).
fn pool(case: &Case, kind: PoolKind) -> Result<Outputs, VerifyError> {
    case.require_param("dilation", 1.0)?;
    case.require_param("ceil_mode", 0.0)?;
    let kernel = case.usize_param("kernel_size")?;
    if kernel == 0 {
        return Err(VerifyError::BadParam {
            name: "kernel_size".into(),
            detail: "must be at least 1".into(),
        });
    }
    let stride = case.usize_param_or("stride", kernel)?;
    let padding = case.usize_param_or("padding", 0)?;
    let x = case.input_nd::<Ix4>("x")?; // x: [N, C, H, W]
    let mut layer = Pool2d::new(kind, kernel, stride, padding);
    layer.geometry(dims4(x.shape()))?;
    let y = layer.forward(&x)?.to_owned(); // y: [N, C, OH, OW]
    let mut out = Outputs::new();
    if let Some(g) = case.grad_output::<Ix4>(y.shape())? {
        out.insert("grad_x", layer.backward(&g)?.to_owned());
    }
    out.insert("y", y);
    Ok(out)
}

fn max_pool2d(case: &Case) -> Result<Outputs, VerifyError> {
    pool(case, PoolKind::Max)
}

fn avg_pool2d(case: &Case) -> Result<Outputs, VerifyError> {
    pool(case, PoolKind::Avg)
}

/// `x` `[.., D]`, `weight`, `bias` `[D]`, `grad_output` → `y`, `grad_x`, `grad_weight`,
/// `grad_bias`; param `eps` (1e-5).
fn layer_norm(case: &Case) -> Result<Outputs, VerifyError> {
    let weight = case.input_nd::<Ix1>("weight")?; // γ: [D]
    let bias = case.input_nd::<Ix1>("bias")?; // β: [D]
    let mut norm = LayerNorm::from_weights(weight, bias, case.param_or("eps", 1e-5))?;
    let x = case.input("x")?; // x: [.., D]
    let last = x.shape().last().copied().unwrap_or(0);
    ShapeError::check("layer_norm input's last axis", &[norm.features()], &[last])?;
    let y = norm.forward(&x)?.to_owned();
    let mut out = Outputs::new();
    if let Some(g) = case.grad_output::<IxDyn>(x.shape())? {
        out.insert("grad_x", norm.backward(&g)?.to_owned());
        out.insert("grad_weight", norm.grad_weight.clone());
        out.insert("grad_bias", norm.grad_bias.clone());
    }
    out.insert("y", y);
    Ok(out)
}
