//! Optimisers, step for step as `torch.optim`: SGD (with momentum, Nesterov, weight decay), Adam
//! and AdamW.
//!
//! Legend: p parameter, g its gradient, t the step count (from 1), lr the learning rate,
//! buf the momentum buffer, m and v Adam's first and second moments.
//!
//! An optimiser keeps one state per parameter *slot*: the position of the parameter in the order
//! [`Layer::params_mut`] visits them, which is fixed for a model.

use ndarray::IxDyn;

use crate::backend::{AdamUpdate, Backend, BackendResult, Cpu, SgdUpdate};
use crate::layers::Layer;
use crate::scalar::Scalar;

/// Updates parameters from their gradients, on backend `B`.
pub trait Optimizer<T: Scalar, B: Backend = Cpu> {
    /// Starts a step (Adam counts steps for its bias correction).
    fn begin_step(&mut self);

    /// Updates the parameter in `slot` in place from its gradient.
    fn update(
        &mut self,
        backend: &B,
        slot: usize,
        value: &mut B::ParamMut<'_, T>,
        grad: &B::ParamMut<'_, T>,
    ) -> BackendResult<()>;

    /// One optimisation step over every parameter of `model`.
    fn step(&mut self, model: &mut dyn Layer<T, B>) -> BackendResult<()> {
        self.begin_step();
        let backend = model.backend().clone();
        let (mut slot, mut result) = (0, Ok(()));
        model.params_mut(&mut |mut p| {
            if result.is_ok() {
                result = self.update(&backend, slot, &mut p.value, &p.grad);
            }
            slot += 1;
        });
        result
    }
}

/// The state of slot `slot`, created (as zeros shaped like `like`) on first use; true when it
/// was just created.
fn slot_state<'s, T: Scalar, B: Backend>(
    backend: &B,
    states: &'s mut Vec<Option<B::Tensor<T, IxDyn>>>,
    slot: usize,
    like: &B::ParamMut<'_, T>,
) -> BackendResult<(&'s mut B::Tensor<T, IxDyn>, bool)> {
    if states.len() <= slot {
        states.resize(slot + 1, None);
    }
    let fresh = states[slot].is_none();
    if fresh {
        states[slot] = Some(backend.zeros_like_param(like)?);
    }
    Ok((states[slot].as_mut().expect("created above"), fresh))
}

/// Hyper-parameters of [`Sgd`] (PyTorch's names and defaults, lr apart).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdConfig {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor μ (0: plain SGD).
    pub momentum: f64,
    /// Dampening of the gradient added to the buffer.
    pub dampening: f64,
    /// Nesterov momentum (needs momentum > 0 and dampening 0).
    pub nesterov: bool,
    /// L2 penalty added to the gradient: g += wd·p.
    pub weight_decay: f64,
}

impl SgdConfig {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        }
    }

    /// The same with momentum μ.
    pub fn with_momentum(self, momentum: f64) -> Self {
        Self { momentum, ..self }
    }

    /// The same with Nesterov momentum μ.
    pub fn with_nesterov(self, momentum: f64) -> Self {
        Self {
            momentum,
            nesterov: true,
            ..self
        }
    }
}

/// Stochastic gradient descent, as `torch.optim.SGD`:
/// ```text
/// g ← g + wd·p
/// buf ← g (first step), else μ·buf + (1 − dampening)·g
/// g ← g + μ·buf (Nesterov), else buf
/// p ← p − lr·g
/// ```
#[derive(Clone, Debug)]
pub struct Sgd<T: Scalar, B: Backend = Cpu> {
    /// Hyper-parameters; change `lr` freely between steps.
    pub config: SgdConfig,
    /// buf per slot (only with momentum).
    buffers: Vec<Option<B::Tensor<T, IxDyn>>>,
}

impl<T: Scalar, B: Backend> Sgd<T, B> {
    /// An optimiser with `config` and no state yet.
    pub fn new(config: SgdConfig) -> Self {
        Self {
            config,
            buffers: Vec::new(),
        }
    }

    /// The momentum buffer of `slot`, once a step has created it.
    pub fn momentum_buffer(&self, slot: usize) -> Option<&B::Tensor<T, IxDyn>> {
        self.buffers.get(slot)?.as_ref()
    }
}

impl<T: Scalar, B: Backend> Optimizer<T, B> for Sgd<T, B> {
    fn begin_step(&mut self) {}

    fn update(
        &mut self,
        backend: &B,
        slot: usize,
        value: &mut B::ParamMut<'_, T>,
        grad: &B::ParamMut<'_, T>,
    ) -> BackendResult<()> {
        let c = self.config;
        let mut step = SgdUpdate {
            lr: c.lr,
            weight_decay: c.weight_decay,
            momentum: c.momentum,
            dampening: c.dampening,
            nesterov: c.nesterov,
            first: false,
        };
        if c.momentum == 0.0 {
            return backend.sgd_update(&step, value, grad, None);
        }
        let (buf, fresh) = slot_state(backend, &mut self.buffers, slot, grad)?;
        step.first = fresh;
        backend.sgd_update(&step, value, grad, Some(buf))
    }
}

/// Hyper-parameters of [`Adam`] (PyTorch's names and defaults, lr apart).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// β₁, decay of the first moment (default 0.9).
    pub beta1: f64,
    /// β₂, decay of the second moment (default 0.999).
    pub beta2: f64,
    /// ε added to √v̂ (default 1e-8).
    pub eps: f64,
    /// Weight decay: an L2 term in the gradient (Adam) or a decoupled shrink (AdamW).
    pub weight_decay: f64,
    /// AdamW: shrink p ← p·(1 − lr·wd) before the step instead of adding wd·p to g.
    pub decoupled: bool,
}

impl AdamConfig {
    /// Adam with learning rate `lr` and PyTorch's defaults.
    pub fn adam(lr: f64) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: false,
        }
    }

    /// AdamW with learning rate `lr` and decoupled weight decay `weight_decay` (PyTorch's
    /// default 0.01).
    pub fn adamw(lr: f64, weight_decay: f64) -> Self {
        Self {
            weight_decay,
            decoupled: true,
            ..Self::adam(lr)
        }
    }
}

/// Adam and AdamW, as `torch.optim.Adam`/`AdamW`:
/// ```text
/// p ← p·(1 − lr·wd)            (AdamW)      or   g ← g + wd·p   (Adam)
/// m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²
/// p ← p − (lr/(1 − β₁ᵗ)) · m / (√v/√(1 − β₂ᵗ) + ε)
/// ```
#[derive(Clone, Debug)]
pub struct Adam<T: Scalar, B: Backend = Cpu> {
    /// Hyper-parameters; change `lr` freely between steps.
    pub config: AdamConfig,
    /// t, the number of steps begun.
    steps: u32,
    /// m per slot.
    first: Vec<Option<B::Tensor<T, IxDyn>>>,
    /// v per slot.
    second: Vec<Option<B::Tensor<T, IxDyn>>>,
}

impl<T: Scalar, B: Backend> Adam<T, B> {
    /// An optimiser with `config` and no state yet.
    pub fn new(config: AdamConfig) -> Self {
        Self {
            config,
            steps: 0,
            first: Vec::new(),
            second: Vec::new(),
        }
    }

    /// (m, v) of `slot`, once a step has created them.
    pub fn moments(&self, slot: usize) -> Option<[&B::Tensor<T, IxDyn>; 2]> {
        let m = self.first.get(slot)?.as_ref()?;
        let v = self.second.get(slot)?.as_ref()?;
        Some([m, v])
    }
}

impl<T: Scalar, B: Backend> Optimizer<T, B> for Adam<T, B> {
    fn begin_step(&mut self) {
        self.steps += 1;
    }

    fn update(
        &mut self,
        backend: &B,
        slot: usize,
        value: &mut B::ParamMut<'_, T>,
        grad: &B::ParamMut<'_, T>,
    ) -> BackendResult<()> {
        let c = self.config;
        let t = f64::from(self.steps.max(1));
        let step = AdamUpdate {
            step_size: c.lr / (1.0 - c.beta1.powf(t)),
            inv_sqrt_bc2: 1.0 / (1.0 - c.beta2.powf(t)).sqrt(),
            beta1: c.beta1,
            beta2: c.beta2,
            eps: c.eps,
            weight_decay: c.weight_decay,
            decoupled: c.decoupled,
            shrink: 1.0 - c.lr * c.weight_decay,
        };
        let (m, _) = slot_state(backend, &mut self.first, slot, grad)?;
        let (v, _) = slot_state(backend, &mut self.second, slot, grad)?;
        backend.adam_update(&step, value, grad, m, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::Linear;
    use ndarray::array;

    #[test]
    fn sgd_steps_every_parameter_of_a_layer() {
        let mut layer = Linear::from_weights(array![[1.0, 2.0]], array![0.5]).unwrap();
        layer.forward(&array![[1.0, 1.0]]).unwrap();
        layer.backward_params(&array![[1.0]]).unwrap();
        Sgd::new(SgdConfig::new(0.1)).step(&mut layer).unwrap();
        assert_eq!(layer.weight, array![[0.9, 1.9]]);
        assert_eq!(layer.bias, array![0.4]);
    }

    #[test]
    fn first_adam_step_moves_each_weight_by_lr() {
        // With m̂ = g and v̂ = g², the first step is lr·sign(g) (up to ε).
        let mut opt = Adam::<f64>::new(AdamConfig::adam(0.01));
        let mut p = array![1.0, -1.0].into_dyn();
        opt.begin_step();
        let mut g = array![3.0, -0.5].into_dyn();
        opt.update(&Cpu, 0, &mut p.view_mut(), &g.view_mut())
            .unwrap();
        assert!(
            (&p - &array![0.99, -0.99].into_dyn())
                .iter()
                .all(|e| e.abs() < 1e-9)
        );
    }
}
