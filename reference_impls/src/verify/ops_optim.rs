//! `verify` handlers for the optimisers: a parameter stepped with the case's gradients.
//!
//! Inputs `param` and `grad_step1`, `grad_step2`, … (as many as the case has, `steps` if given);
//! outputs `param_step{k}` after each step, and the optimiser's state after each step
//! (`momentum_buffer_step{k}`, `exp_avg_step{k}`, `exp_avg_sq_step{k}`), of which the case
//! compares those it lists.

#[cfg(feature = "gpu")]
use super::GpuHandler;
use super::{Case, Handler, Outputs, VerifyError};
use crate::backend::{Backend, Cpu};
use crate::layers::ShapeError;
use crate::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};

pub(super) const HANDLERS: &[Handler] = &[
    ("sgd", |c| sgd(c, &Cpu)),
    ("sgd_momentum", |c| sgd(c, &Cpu)),
    ("adam", |c| adam_family(c, &Cpu, false)),
    ("adamw", |c| adam_family(c, &Cpu, true)),
];

/// The same handlers on the GPU backend (f64 where the adapter has it).
#[cfg(feature = "gpu")]
pub(super) const GPU_HANDLERS: &[GpuHandler] = &[
    ("sgd", |c, gpu| sgd(c, gpu)),
    ("sgd_momentum", |c, gpu| sgd(c, gpu)),
    ("adam", |c, gpu| adam_family(c, gpu, false)),
    ("adamw", |c, gpu| adam_family(c, gpu, true)),
];

/// Steps `param` with every `grad_step{k}` through `optimizer` on `be`, recording the parameter
/// and, through `state`, the optimiser's state after each step (all brought back to the host).
fn run_steps<B: Backend, O: Optimizer<f64, B>>(
    case: &Case,
    be: &B,
    optimizer: &mut O,
    state: impl Fn(&O, usize, &mut Outputs) -> Result<(), VerifyError>,
) -> Result<Outputs, VerifyError> {
    let host_param = case.input("param")?; // p: [..]
    let mut param = be.upload(host_param.view())?;
    let given = (1..)
        .take_while(|k| case.has_input(&format!("grad_step{k}")))
        .count();
    let steps = case.usize_param_or("steps", given)?;
    let mut out = Outputs::new();
    for k in 1..=steps {
        let grad = case.input(&format!("grad_step{k}"))?; // g: [..]
        ShapeError::check(&format!("grad_step{k}"), host_param.shape(), grad.shape())?;
        let mut grad = be.upload(grad.view())?;
        optimizer.begin_step();
        optimizer.update(
            be,
            0,
            &mut B::param_mut(&mut param),
            &B::param_mut(&mut grad),
        )?;
        out.insert(format!("param_step{k}"), be.download(&param)?);
        state(optimizer, k, &mut out)?;
    }
    Ok(out)
}

/// torch.optim.SGD: params `lr`, `momentum` (0), `dampening` (0), `nesterov` (0),
/// `weight_decay` (0).
fn sgd<B: Backend>(case: &Case, be: &B) -> Result<Outputs, VerifyError> {
    let config = SgdConfig {
        lr: case.param("lr")?,
        momentum: case.param_or("momentum", 0.0),
        dampening: case.param_or("dampening", 0.0),
        nesterov: case.flag_or("nesterov", false)?,
        weight_decay: case.param_or("weight_decay", 0.0),
    };
    run_steps(case, be, &mut Sgd::new(config), |opt, k, out| {
        if let Some(buf) = opt.momentum_buffer(0) {
            out.insert(format!("momentum_buffer_step{k}"), be.download(buf)?);
        }
        Ok(())
    })
}

/// torch.optim.Adam or AdamW (`decoupled`): params `lr` (1e-3), `beta1` (0.9), `beta2`
/// (0.999), `eps` (1e-8), `weight_decay` (0 for Adam, 0.01 for AdamW).
fn adam_family<B: Backend>(case: &Case, be: &B, decoupled: bool) -> Result<Outputs, VerifyError> {
    case.require_param("amsgrad", 0.0)?;
    case.require_param("maximize", 0.0)?;
    let defaults = if decoupled {
        AdamConfig::adamw(1e-3, 0.01)
    } else {
        AdamConfig::adam(1e-3)
    };
    let config = AdamConfig {
        lr: case.param_or("lr", defaults.lr),
        beta1: case.param_or("beta1", defaults.beta1),
        beta2: case.param_or("beta2", defaults.beta2),
        eps: case.param_or("eps", defaults.eps),
        weight_decay: case.param_or("weight_decay", defaults.weight_decay),
        decoupled,
    };
    run_steps(case, be, &mut Adam::new(config), |opt, k, out| {
        if let Some([m, v]) = opt.moments(0) {
            out.insert(format!("exp_avg_step{k}"), be.download(m)?);
            out.insert(format!("exp_avg_sq_step{k}"), be.download(v)?);
        }
        Ok(())
    })
}
