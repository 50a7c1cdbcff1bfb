//! Element-wise maps on the GPU (`kernels/elementwise.wgsl`): activations and their backward,
//! unary and binary functions, axpby, fill.

use super::context::Gpu;
use super::error::{GpuError, ensure};
use super::kernels::{Family, Kernel, Params, grid_1d};
use super::tensor::{GpuScalar, GpuTensor};
use crate::layers::Activation;

/// A function applied to each element.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unary {
    /// An activation, with its parameters.
    Activation(Activation),
    /// eˣ.
    Exp,
    /// ln x.
    Log,
    /// scale·x + shift.
    Affine {
        /// The factor.
        scale: f64,
        /// The term added.
        shift: f64,
    },
    /// √x.
    Sqrt,
    /// x².
    Square,
    /// 1/x.
    Recip,
}

impl Unary {
    /// The op code of `elementwise.wgsl` and its two real parameters.
    fn code(self) -> (usize, f64, f64) {
        match self {
            Unary::Activation(a) => match a {
                Activation::Sigmoid => (0, 0.0, 0.0),
                Activation::Tanh => (1, 0.0, 0.0),
                Activation::Relu => (2, 0.0, 0.0),
                Activation::LeakyRelu { negative_slope } => (3, negative_slope, 0.0),
                Activation::Elu { alpha } => (4, alpha, 0.0),
                Activation::Gelu => (5, 0.0, 0.0),
                Activation::GeluTanh => (6, 0.0, 0.0),
                Activation::Silu => (7, 0.0, 0.0),
                Activation::Softplus { beta, threshold } => (8, beta, threshold),
            },
            Unary::Exp => (20, 0.0, 0.0),
            Unary::Log => (21, 0.0, 0.0),
            Unary::Affine { scale, shift } => (22, scale, shift),
            Unary::Sqrt => (23, 0.0, 0.0),
            Unary::Square => (24, 0.0, 0.0),
            Unary::Recip => (25, 0.0, 0.0),
        }
    }
}

/// A function of two elements at one position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Binary {
    /// a·x + b·y.
    Combine {
        /// The factor of x.
        a: f64,
        /// The factor of y.
        b: f64,
    },
    /// x·y.
    Mul,
    /// x/y.
    Div,
    /// max(x, y).
    Max,
    /// min(x, y).
    Min,
}

impl Binary {
    fn code(self) -> (usize, f64, f64) {
        match self {
            Binary::Combine { a, b } => (0, a, b),
            Binary::Mul => (1, 0.0, 0.0),
            Binary::Div => (2, 0.0, 0.0),
            Binary::Max => (3, 0.0, 0.0),
            Binary::Min => (4, 0.0, 0.0),
        }
    }
}

/// Fails unless every tensor has the shape of the first.
fn same_shapes<T: GpuScalar>(op: &'static str, tensors: &[&GpuTensor<T>]) -> Result<(), GpuError> {
    let first = tensors[0].shape();
    ensure(tensors.iter().all(|t| t.shape() == first), op, || {
        let shapes: Vec<_> = tensors.iter().map(|t| t.shape().to_vec()).collect();
        format!("shapes differ: {shapes:?}")
    })
}

fn kernel(entry: &'static str) -> Kernel {
    Kernel::new(Family::Elementwise, entry)
}

impl Gpu {
    /// `out[i] = f(x[i])`.
    pub fn unary<T: GpuScalar>(
        &self,
        f: Unary,
        x: &GpuTensor<T>,
        out: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        same_shapes("unary", &[x, out])?;
        let (op, a, b) = f.code();
        let params = Params::default().ints(&[x.len(), op]).reals(&[a, b]);
        self.ctx.launch(
            kernel("unary"),
            T::PRECISION,
            params,
            &[(1, x.buffer()), (2, out.buffer())],
            grid_1d(x.len()),
        )
    }

    /// `dx[i] = dy[i]·f'(x[i])`: the backward of [`Gpu::unary`] from its input `x`.
    pub fn unary_backward<T: GpuScalar>(
        &self,
        f: Unary,
        x: &GpuTensor<T>,
        dy: &GpuTensor<T>,
        dx: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        same_shapes("unary_backward", &[x, dy, dx])?;
        let (op, a, b) = f.code();
        let params = Params::default().ints(&[x.len(), op]).reals(&[a, b]);
        self.ctx.launch(
            kernel("unary_backward"),
            T::PRECISION,
            params,
            &[(1, x.buffer()), (2, dx.buffer()), (3, dy.buffer())],
            grid_1d(x.len()),
        )
    }

    /// `out[i] = x[i] ⊕ y[i]`.
    pub fn binary<T: GpuScalar>(
        &self,
        f: Binary,
        x: &GpuTensor<T>,
        y: &GpuTensor<T>,
        out: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        same_shapes("binary", &[x, y, out])?;
        let (op, a, b) = f.code();
        let params = Params::default().ints(&[x.len(), op]).reals(&[a, b]);
        self.ctx.launch(
            kernel("binary"),
            T::PRECISION,
            params,
            &[(1, x.buffer()), (2, out.buffer()), (3, y.buffer())],
            grid_1d(x.len()),
        )
    }

    /// `y ← a·x + b·y`, in place.
    pub fn axpby<T: GpuScalar>(
        &self,
        a: f64,
        x: &GpuTensor<T>,
        b: f64,
        y: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        same_shapes("axpby", &[x, y])?;
        let params = Params::default().ints(&[x.len()]).reals(&[a, b]);
        self.ctx.launch(
            kernel("axpby"),
            T::PRECISION,
            params,
            &[(1, x.buffer()), (2, y.buffer())],
            grid_1d(x.len()),
        )
    }

    /// Every element of `t` ← `value`.
    pub fn fill<T: GpuScalar>(&self, t: &mut GpuTensor<T>, value: f64) -> Result<(), GpuError> {
        let params = Params::default().ints(&[t.len()]).reals(&[value]);
        self.ctx.launch(
            kernel("fill"),
            T::PRECISION,
            params,
            &[(2, t.buffer())],
            grid_1d(t.len()),
        )
    }

    /// A tensor of `shape` filled with zeros.
    pub fn zeros<T: GpuScalar>(&self, shape: &[usize]) -> Result<GpuTensor<T>, GpuError> {
        let mut t = self.uninit(shape)?;
        self.fill(&mut t, 0.0)?;
        Ok(t)
    }
}
