//! `verify` handlers for Conv2d, max/avg pooling and LayerNorm.
//!
//! Legend: N batch, C channels, F filters, H×W image, OH×OW output image, D normalised features.

use ndarray::{Array1, Ix1, Ix4, IxDyn};

#[cfg(feature = "gpu")]
use super::GpuHandler;
use super::{Case, Handler, Outputs, VerifyError};
use crate::backend::{Backend, Cpu};
use crate::layers::{Conv2d, LayerNorm, Pool2d, PoolKind, ShapeError};

pub(super) const HANDLERS: &[Handler] = &[
    ("conv2d", |c| conv2d(c, &Cpu)),
    ("max_pool2d", |c| pool(c, PoolKind::Max, &Cpu)),
    ("avg_pool2d", |c| pool(c, PoolKind::Avg, &Cpu)),
    ("layer_norm", |c| layer_norm(c, &Cpu)),
];

/// The same handlers on the GPU backend (f64 where the adapter has it).
#[cfg(feature = "gpu")]
pub(super) const GPU_HANDLERS: &[GpuHandler] = &[
    ("conv2d", |c, gpu| conv2d(c, gpu)),
    ("max_pool2d", |c, gpu| pool(c, PoolKind::Max, gpu)),
    ("avg_pool2d", |c, gpu| pool(c, PoolKind::Avg, gpu)),
    ("layer_norm", |c, gpu| layer_norm(c, gpu)),
];

/// `[N, C, H, W]` of a 4-axis array.
fn dims4(shape: &[usize]) -> [usize; 4] {
    [shape[0], shape[1], shape[2], shape[3]]
}

/// `x`, `weight` `[F, C, kH, kW]`, `bias` `[F]` (optional), `grad_output` → `y`, `grad_x`,
/// `grad_weight`, `grad_bias`; params `stride` (1), `padding` (0).
fn conv2d<B: Backend>(case: &Case, be: &B) -> Result<Outputs, VerifyError> {
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
    let mut conv = Conv2d::from_weights_on(be, weight, bias, stride, padding)?;
    conv.geometry(dims4(x.shape()))?;
    let x = be.upload(x.view())?;
    let y = be.download(conv.forward(&x)?)?; // y: [N, F, OH, OW]
    let mut out = Outputs::new();
    if let Some(g) = case.grad_output::<Ix4>(y.shape())? {
        let g = be.upload(g.view())?;
        out.insert("grad_x", be.download(conv.backward(&g)?)?);
        out.insert("grad_weight", be.download(&conv.grad_weight)?);
        if case.has_input("bias") {
            out.insert("grad_bias", be.download(&conv.grad_bias)?);
        }
    }
    out.insert("y", y);
    Ok(out)
}

/// `x`, `grad_output` → `y`, `grad_x` for a pooling of `kind`; params `kernel_size`, `stride`
/// (the kernel size), `padding` (0).
fn pool<B: Backend>(case: &Case, kind: PoolKind, be: &B) -> Result<Outputs, VerifyError> {
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
    let mut layer = Pool2d::new_on(be, kind, kernel, stride, padding)?;
    layer.geometry(dims4(x.shape()))?;
    let x = be.upload(x.view())?;
    let y = be.download(layer.forward(&x)?)?; // y: [N, C, OH, OW]
    let mut out = Outputs::new();
    if let Some(g) = case.grad_output::<Ix4>(y.shape())? {
        let g = be.upload(g.view())?;
        out.insert("grad_x", be.download(layer.backward(&g)?)?);
    }
    out.insert("y", y);
    Ok(out)
}

/// `x` `[.., D]`, `weight`, `bias` `[D]`, `grad_output` → `y`, `grad_x`, `grad_weight`,
/// `grad_bias`; param `eps` (1e-5).
fn layer_norm<B: Backend>(case: &Case, be: &B) -> Result<Outputs, VerifyError> {
    let weight = case.input_nd::<Ix1>("weight")?; // γ: [D]
    let bias = case.input_nd::<Ix1>("bias")?; // β: [D]
    let eps = case.param_or("eps", 1e-5);
    let mut norm = LayerNorm::<f64, IxDyn, B>::from_weights_on(be, weight, bias, eps)?;
    let x = case.input("x")?; // x: [.., D]
    let last = x.shape().last().copied().unwrap_or(0);
    ShapeError::check("layer_norm input's last axis", &[norm.features()], &[last])?;
    let grad_output = case.grad_output::<IxDyn>(x.shape())?;
    let x = be.upload(x.view())?;
    let y = be.download(norm.forward(&x)?)?;
    let mut out = Outputs::new();
    if let Some(g) = grad_output {
        let g = be.upload(g.view())?;
        out.insert("grad_x", be.download(norm.backward(&g)?)?);
        out.insert("grad_weight", be.download(&norm.grad_weight)?);
        out.insert("grad_bias", be.download(&norm.grad_bias)?);
    }
    out.insert("y", y);
    Ok(out)
}
