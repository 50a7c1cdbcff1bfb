//! Optimiser updates on the GPU (`kernels/optim.wgsl`), step for step as `torch.optim`.

use super::context::Gpu;
use super::error::{GpuError, ensure};
use super::kernels::{Family, Kernel, Params, grid_1d};
use super::tensor::{GpuScalar, GpuTensor};

/// SGD's hyper-parameters (PyTorch's names).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdStep {
    /// Learning rate.
    pub lr: f64,
    /// Momentum μ (0: plain SGD).
    pub momentum: f64,
    /// Dampening of the momentum.
    pub dampening: f64,
    /// L2 penalty added to the gradient.
    pub weight_decay: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
}

/// Adam's hyper-parameters and step count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamStep {
    /// Learning rate.
    pub lr: f64,
    /// β₁, β₂.
    pub betas: (f64, f64),
    /// ε.
    pub eps: f64,
    /// Weight decay: added to the gradient (Adam) or shrinking the weights (AdamW).
    pub weight_decay: f64,
    /// AdamW's decoupled weight decay.
    pub decoupled: bool,
    /// The step number t, from 1 (for the bias corrections).
    pub t: u32,
}

fn same_len<T: GpuScalar>(op: &'static str, tensors: &[&GpuTensor<T>]) -> Result<(), GpuError> {
    let n = tensors[0].len();
    ensure(tensors.iter().all(|t| t.len() == n), op, || {
        let lens: Vec<_> = tensors.iter().map(|t| t.len()).collect();
        format!("lengths differ: {lens:?}")
    })
}

impl Gpu {
    /// One SGD update of `p` from `grad`; `momentum_buffer` is needed when momentum > 0 and
    /// `first` says it holds nothing yet.
    pub fn sgd_step<T: GpuScalar>(
        &self,
        c: &SgdStep,
        p: &mut GpuTensor<T>,
        grad: &GpuTensor<T>,
        momentum_buffer: Option<(&mut GpuTensor<T>, bool)>,
    ) -> Result<(), GpuError> {
        let n = p.len();
        match momentum_buffer {
            Some((buf, first)) if c.momentum != 0.0 => {
                same_len("sgd_step", &[p, grad, buf])?;
                self.ctx.launch(
                    Kernel::new(Family::Optim, "sgd_momentum"),
                    T::PRECISION,
                    Params::default()
                        .ints(&[n, usize::from(first), usize::from(c.nesterov)])
                        .reals(&[c.lr, c.weight_decay, c.momentum, c.dampening]),
                    &[(1, p.buffer()), (2, grad.buffer()), (3, buf.buffer())],
                    grid_1d(n),
                )
            }
            None if c.momentum != 0.0 => Err(GpuError::Shape {
                op: "sgd_step",
                detail: "momentum needs a momentum buffer".into(),
            }),
            _ => {
                same_len("sgd_step", &[p, grad])?;
                self.ctx.launch(
                    Kernel::new(Family::Optim, "sgd"),
                    T::PRECISION,
                    Params::default().ints(&[n]).reals(&[c.lr, c.weight_decay]),
                    &[(1, p.buffer()), (2, grad.buffer())],
                    grid_1d(n),
                )
            }
        }
    }

    /// One Adam/AdamW update of `p` from `grad` and its moments `m`, `v`.
    pub fn adam_step<T: GpuScalar>(
        &self,
        c: &AdamStep,
        p: &mut GpuTensor<T>,
        grad: &GpuTensor<T>,
        m: &mut GpuTensor<T>,
        v: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        same_len("adam_step", &[p, grad, m, v])?;
        let t = f64::from(c.t.max(1));
        let (b1, b2) = c.betas;
        let reals = [
            c.lr / (1.0 - b1.powf(t)),
            1.0 / (1.0 - b2.powf(t)).sqrt(),
            b1,
            b2,
            c.eps,
            c.weight_decay,
            1.0 - c.lr * c.weight_decay,
        ];
        let n = p.len();
        self.ctx.launch(
            Kernel::new(Family::Optim, "adam"),
            T::PRECISION,
            Params::default()
                .ints(&[n, usize::from(c.decoupled)])
                .reals(&reals),
            &[
                (1, p.buffer()),
                (2, grad.buffer()),
                (4, m.buffer()),
                (5, v.buffer()),
            ],
            grid_1d(n),
        )
    }
}
