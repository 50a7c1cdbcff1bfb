//! Optimiser updates on the GPU (`kernels/optim.wgsl`), step for step as `torch.optim`, with the
//! seam's hyper-parameters ([`SgdUpdate`], [`AdamUpdate`]).

use super::context::Gpu;
use super::error::{GpuError, ensure};
use super::kernels::{Family, Kernel, Params, grid_1d};
use super::tensor::{GpuScalar, GpuTensor};
use crate::backend::{AdamUpdate, SgdUpdate};

fn same_len<T: GpuScalar>(op: &'static str, tensors: &[&GpuTensor<T>]) -> Result<(), GpuError> {
    let n = tensors[0].len();
    ensure(tensors.iter().all(|t| t.len() == n), op, || {
        let lens: Vec<_> = tensors.iter().map(|t| t.len()).collect();
        format!("lengths differ: {lens:?}")
    })
}

impl Gpu {
    /// One SGD update of `p` from `grad`, with its momentum buffer when μ > 0.
    pub fn sgd_step<T: GpuScalar>(
        &self,
        c: &SgdUpdate,
        p: &mut GpuTensor<T>,
        grad: &GpuTensor<T>,
        momentum: Option<&mut GpuTensor<T>>,
    ) -> Result<(), GpuError> {
        let n = p.len();
        match momentum {
            Some(buf) if c.momentum != 0.0 => {
                same_len("sgd_step", &[p, grad, buf])?;
                self.ctx.launch(
                    Kernel::new(Family::Optim, "sgd_momentum"),
                    T::PRECISION,
                    Params::default()
                        .ints(&[n, usize::from(c.first), usize::from(c.nesterov)])
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
        c: &AdamUpdate,
        p: &mut GpuTensor<T>,
        grad: &GpuTensor<T>,
        m: &mut GpuTensor<T>,
        v: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        same_len("adam_step", &[p, grad, m, v])?;
        let reals = [
            c.step_size,
            c.inv_sqrt_bc2,
            c.beta1,
            c.beta2,
            c.eps,
            c.weight_decay,
            c.shrink,
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
