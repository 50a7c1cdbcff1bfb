//! Optimisers, step for step as `torch.optim`: SGD (with momentum, Nesterov, weight decay), Adam
//! and AdamW.
//!
//! Legend: p parameter, g its gradient, t the step count (from 1), lr the learning rate,
//! buf the momentum buffer, m and v Adam's first and second moments.
//!
//! An optimiser keeps one state per parameter *slot*: the position of the parameter in the order
//! [`Layer::params_mut`] visits them, which is fixed for a model.

use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD, Zip};

use crate::layers::Layer;
use crate::scalar::Scalar;

/// Updates parameters from their gradients.
pub trait Optimizer<T: Scalar> {
    /// Starts a step (Adam counts steps for its bias correction).
    fn begin_step(&mut self);

    /// Updates the parameter in `slot` in place from its gradient.
    fn update(&mut self, slot: usize, value: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>);

    /// One optimisation step over every parameter of `model`.
    fn step(&mut self, model: &mut dyn Layer<T>) {
        self.begin_step();
        let mut slot = 0;
        model.params_mut(&mut |p| {
            self.update(slot, p.value, p.grad.view());
            slot += 1;
        });
    }
}

/// The state of slot `slot`, created (as zeros shaped like `like`) on first use.
fn slot_state<'s, T: Scalar>(
    states: &'s mut Vec<Option<ArrayD<T>>>,
    slot: usize,
    like: &ArrayViewD<'_, T>,
) -> (&'s mut ArrayD<T>, bool) {
    if states.len() <= slot {
        states.resize(slot + 1, None);
    }
    let fresh = states[slot].is_none();
    (
        states[slot].get_or_insert_with(|| ArrayD::zeros(like.raw_dim())),
        fresh,
    )
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
pub struct Sgd<T> {
    /// Hyper-parameters; change `lr` freely between steps.
    pub config: SgdConfig,
    /// buf per slot (only with momentum).
    buffers: Vec<Option<ArrayD<T>>>,
}

impl<T: Scalar> Sgd<T> {
    /// An optimiser with `config` and no state yet.
    pub fn new(config: SgdConfig) -> Self {
        Self {
            config,
            buffers: Vec::new(),
        }
    }

    /// The momentum buffer of `slot`, once a step has created it.
    pub fn momentum_buffer(&self, slot: usize) -> Option<ArrayViewD<'_, T>> {
        self.buffers.get(slot)?.as_ref().map(|b| b.view())
    }
}

impl<T: Scalar> Optimizer<T> for Sgd<T> {
    fn begin_step(&mut self) {}

    fn update(&mut self, slot: usize, mut value: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>) {
        let c = self.config;
        let lr = T::from_f64(c.lr);
        let wd = T::from_f64(c.weight_decay);
        if c.momentum == 0.0 {
            // p ← p − lr·(g + wd·p)
            Zip::from(&mut value)
                .and(&grad)
                .for_each(|p, &g| *p -= lr * (g + wd * *p));
            return;
        }
        let mu = T::from_f64(c.momentum);
        let keep = T::one() - T::from_f64(c.dampening);
        let (buf, fresh) = slot_state(&mut self.buffers, slot, &grad);
        Zip::from(&mut value)
            .and(&grad)
            .and(buf)
            .for_each(|p, &g, b| {
                let g = g + wd * *p;
                *b = if fresh { g } else { mu * *b + keep * g };
                let step = if c.nesterov { g + mu * *b } else { *b };
                *p -= lr * step;
            });
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
pub struct Adam<T> {
    /// Hyper-parameters; change `lr` freely between steps.
    pub config: AdamConfig,
    /// t, the number of steps begun.
    steps: u32,
    /// m per slot.
    first: Vec<Option<ArrayD<T>>>,
    /// v per slot.
    second: Vec<Option<ArrayD<T>>>,
}

impl<T: Scalar> Adam<T> {
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
    pub fn moments(&self, slot: usize) -> Option<(ArrayViewD<'_, T>, ArrayViewD<'_, T>)> {
        let m = self.first.get(slot)?.as_ref()?;
        let v = self.second.get(slot)?.as_ref()?;
        Some((m.view(), v.view()))
    }
}

impl<T: Scalar> Optimizer<T> for Adam<T> {
    fn begin_step(&mut self) {
        self.steps += 1;
    }

    fn update(&mut self, slot: usize, mut value: ArrayViewMutD<'_, T>, grad: ArrayViewD<'_, T>) {
        let c = self.config;
        let t = f64::from(self.steps.max(1));
        let step_size = T::from_f64(c.lr / (1.0 - c.beta1.powf(t)));
        let inv_sqrt_bc2 = T::from_f64(1.0 / (1.0 - c.beta2.powf(t)).sqrt());
        let (b1, b2, eps) = (
            T::from_f64(c.beta1),
            T::from_f64(c.beta2),
            T::from_f64(c.eps),
        );
        let (one, wd) = (T::one(), T::from_f64(c.weight_decay));
        let shrink = T::from_f64(1.0 - c.lr * c.weight_decay);
        let (m, _) = slot_state(&mut self.first, slot, &grad);
        let (v, _) = slot_state(&mut self.second, slot, &grad);
        Zip::from(&mut value)
            .and(&grad)
            .and(m)
            .and(v)
            .for_each(|p, &g, m, v| {
                let g = if c.decoupled {
                    *p *= shrink;
                    g
                } else {
                    g + wd * *p
                };
                *m = b1 * *m + (one - b1) * g;
                *v = b2 * *v + (one - b2) * g * g;
                *p -= step_size * *m / (v.sqrt() * inv_sqrt_bc2 + eps);
            });
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
        layer.forward(array![[1.0, 1.0]].view());
        layer.backward_params(array![[1.0]].view());
        Sgd::new(SgdConfig::new(0.1)).step(&mut layer);
        assert_eq!(layer.weight, array![[0.9, 1.9]]);
        assert_eq!(layer.bias, array![0.4]);
    }

    #[test]
    fn first_adam_step_moves_each_weight_by_lr() {
        // With m̂ = g and v̂ = g², the first step is lr·sign(g) (up to ε).
        let mut opt = Adam::<f64>::new(AdamConfig::adam(0.01));
        let mut p = array![1.0, -1.0].into_dyn();
        opt.begin_step();
        opt.update(0, p.view_mut(), array![3.0, -0.5].into_dyn().view());
        assert!(
            (&p - &array![0.99, -0.99].into_dyn())
                .iter()
                .all(|e| e.abs() < 1e-9)
        );
    }
}
