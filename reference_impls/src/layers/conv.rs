//! 2-D convolution (PyTorch's cross-correlation: no kernel flip), NCHW, by im2col and one matrix
//! product for the whole batch.
//!
//! Legend: N batch, C input channels, F output channels (filters), H×W input, kH×kW kernel,
//! OH×OW output, s stride, p zero padding, K = C·kH·kW patch length, P = N·OH·OW output positions.
//!
//! Naive reference:
//! ```text
//! forward:  y[n, f, i, j]  = b[f] + Σ_{c, u, v} W[f, c, u, v] · x[n, c, i·s + u − p, j·s + v − p]
//! backward: dW[f, c, u, v] += Σ_{n, i, j} dy[n, f, i, j] · x[n, c, i·s + u − p, j·s + v − p]
//!           db[f]          += Σ_{n, i, j} dy[n, f, i, j]
//!           dx[n, c, i·s + u − p, j·s + v − p] += Σ_f dy[n, f, i, j] · W[f, c, u, v]
//! ```
//! With `cols = im2col(x)` `[K, P]` these are the matrix products
//! `Y = W·cols` `[F, P]`, `dW += dY·colsᵀ`, `dcols = Wᵀ·dY`, `dx = col2im(dcols)`.

use ndarray::{Array1, Array4, Ix1, Ix2, Ix4};
use rand::Rng;

use super::{Layer, LayerError, Param, ShapeError, uniform, visit_weight_and_bias};
use crate::backend::{Backend, BackendResult, ConvGeometry, Cpu, Mat, Shaped, reuse_on};
use crate::scalar::Scalar;

/// A 2-D convolution with PyTorch's layout: weight `[F, C, kH, kW]`, bias `[F]`, input NCHW, on
/// backend `B` (the CPU unless said otherwise).
#[derive(Clone, Debug)]
pub struct Conv2d<T: Scalar, B: Backend = Cpu> {
    /// Where the tensors live and the products run.
    backend: B,
    /// W: `[F, C, kH, kW]`
    pub weight: B::Tensor<T, Ix4>,
    /// b: `[F]`
    pub bias: B::Tensor<T, Ix1>,
    /// dL/dW: `[F, C, kH, kW]`, accumulated by `backward`.
    pub grad_weight: B::Tensor<T, Ix4>,
    /// dL/db: `[F]`, accumulated by `backward`.
    pub grad_bias: B::Tensor<T, Ix1>,
    /// s, the same on both axes.
    pub stride: usize,
    /// p, zero padding on all four sides.
    pub padding: usize,
    /// The geometry of the latest forward.
    geom: Option<ConvGeometry>,
    /// cols = im2col(x): `[K, P]`
    cols: B::Tensor<T, Ix2>,
    /// y: `[N, F, OH, OW]`
    output: B::Tensor<T, Ix4>,
    /// dY, dy regrouped by filter: `[F, P]`
    grad_out_mat: B::Tensor<T, Ix2>,
    /// dcols = Wᵀ·dY: `[K, P]`
    grad_cols: B::Tensor<T, Ix2>,
    /// dx: `[N, C, H, W]`
    grad_input: B::Tensor<T, Ix4>,
}

impl<T: Scalar> Conv2d<T> {
    /// A CPU layer with the given weight `[F, C, kH, kW]`, bias `[F]`, stride and padding.
    pub fn from_weights(
        weight: Array4<T>,
        bias: Array1<T>,
        stride: usize,
        padding: usize,
    ) -> Result<Self, ShapeError> {
        Self::from_weights_on(&Cpu, weight, bias, stride, padding)
            .map_err(LayerError::into_cpu_shape_error)
    }

    /// A CPU layer initialised like PyTorch's `nn.Conv2d`: W and b uniform in ±1/√(C·kH·kW).
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel: (usize, usize),
        stride: usize,
        padding: usize,
        rng: &mut impl Rng,
    ) -> Result<Self, ShapeError> {
        Self::new_on(
            &Cpu,
            (in_channels, out_channels),
            kernel,
            stride,
            padding,
            rng,
        )
        .map_err(LayerError::into_cpu_shape_error)
    }
}

impl<T: Scalar, B: Backend> Conv2d<T, B> {
    /// A layer on `backend` with the given host weight `[F, C, kH, kW]`, bias `[F]`, stride and
    /// padding.
    pub fn from_weights_on(
        backend: &B,
        weight: Array4<T>,
        bias: Array1<T>,
        stride: usize,
        padding: usize,
    ) -> Result<Self, LayerError> {
        ShapeError::check("conv2d bias", &[weight.shape()[0]], bias.shape())?;
        if stride == 0 {
            return Err(ShapeError {
                what: "conv2d stride (must be at least 1)".into(),
                expected: vec![1],
                got: vec![0],
            }
            .into());
        }
        // The backend's tensors are row-major: W is the matrix [F, K].
        let weight = weight.as_standard_layout().into_owned();
        Ok(Self {
            backend: backend.clone(),
            grad_weight: backend.zeros(weight.raw_dim())?,
            grad_bias: backend.zeros(bias.raw_dim())?,
            weight: backend.upload(weight.view())?,
            bias: backend.upload(bias.view())?,
            stride,
            padding,
            geom: None,
            cols: backend.zeros(Ix2(0, 0))?,
            output: backend.zeros(Ix4(0, 0, 0, 0))?,
            grad_out_mat: backend.zeros(Ix2(0, 0))?,
            grad_cols: backend.zeros(Ix2(0, 0))?,
            grad_input: backend.zeros(Ix4(0, 0, 0, 0))?,
        })
    }

    /// A layer on `backend` initialised like PyTorch's `nn.Conv2d`: W and b uniform in
    /// ±1/√(C·kH·kW); `channels` is (C, F).
    pub fn new_on(
        backend: &B,
        (in_channels, out_channels): (usize, usize),
        (kh, kw): (usize, usize),
        stride: usize,
        padding: usize,
        rng: &mut impl Rng,
    ) -> Result<Self, LayerError> {
        let fan_in = in_channels * kh * kw;
        let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
        let weight = uniform((out_channels, in_channels, kh, kw), bound, rng);
        let bias = uniform(out_channels, bound, rng);
        Self::from_weights_on(backend, weight, bias, stride, padding)
    }

    /// The geometry for an input of shape `[N, C, H, W]`, or an error when the channels differ
    /// from the layer's or the padded input is smaller than the kernel.
    pub fn geometry(&self, input: [usize; 4]) -> Result<ConvGeometry, ShapeError> {
        let [_, c, kh, kw] = self.weight_dims();
        ShapeError::check("conv2d input channels", &[c], &[input[1]])?;
        ConvGeometry::new(input, (kh, kw), self.stride, self.padding).ok_or_else(|| ShapeError {
            what: format!(
                "conv2d input (padded by {}) smaller than the {kh}×{kw} kernel",
                self.padding
            ),
            expected: vec![input[0], c, kh, kw],
            got: input.to_vec(),
        })
    }

    /// `[F, C, kH, kW]`.
    fn weight_dims(&self) -> [usize; 4] {
        let d = self.weight.shape();
        [d[0], d[1], d[2], d[3]]
    }

    /// y `[N, F, OH, OW]` for x `[N, C, H, W]`; caches im2col(x) for backward.
    pub fn forward(&mut self, x: &B::Tensor<T, Ix4>) -> BackendResult<&B::Tensor<T, Ix4>> {
        let s = x.shape();
        let g = self
            .geometry([s[0], s[1], s[2], s[3]])
            .unwrap_or_else(|e| panic!("{e}"));
        let (filters, k) = (self.weight_dims()[0], g.patch_len());
        let be = &self.backend;
        let cols = reuse_on(be, &mut self.cols, Ix2(k, g.positions()))?; // cols: [K, P]
        be.im2col(x, &g, cols)?;
        let y = reuse_on(
            be,
            &mut self.output,
            Ix4(g.batch, filters, g.out_h, g.out_w),
        )?;
        // y[n, f, :] = b[f] + (W·cols)[f, n·OH·OW ..]: the bias first, then for each sample n
        // y[n] [F, OH·OW] ← W [F, K] · cols[:, n-th block] [K, OH·OW] + 1·y[n].
        be.add_bias(&self.bias, g.out_h * g.out_w, T::zero(), y)?;
        be.gemm(
            T::one(),
            Mat::flat(&self.weight, k),
            by_sample(Mat::of(&self.cols), &g),
            T::one(),
            by_sample_nchw(Mat::of(y), &g, filters),
        )?;
        self.geom = Some(g);
        Ok(&self.output)
    }

    /// Adds dW and db for `dy` `[N, F, OH, OW]` and returns dx `[N, C, H, W]`.
    pub fn backward(&mut self, dy: &B::Tensor<T, Ix4>) -> BackendResult<&B::Tensor<T, Ix4>> {
        let g = self.geom.expect("conv2d: backward before forward");
        assert_eq!(dy.shape(), self.output.shape(), "conv2d: grad_output shape");
        let (filters, k) = (self.weight_dims()[0], g.patch_len());
        let be = &self.backend;
        // dY[f, n·OH·OW + q] = dy[n, f, q]: [F, P]
        let dy_mat = reuse_on(be, &mut self.grad_out_mat, Ix2(filters, g.positions()))?;
        be.geam(
            T::one(),
            by_sample_nchw(Mat::of(dy), &g, filters),
            T::zero(),
            by_sample(Mat::of(dy_mat), &g),
        )?;
        // dW: [F, K] += dY [F, P] · colsᵀ [P, K]
        be.gemm(
            T::one(),
            Mat::of(&self.grad_out_mat),
            Mat::of(&self.cols).t(),
            T::one(),
            Mat::flat(&mut self.grad_weight, k),
        )?;
        // db: [F] += Σ_{n, q} dy[n, f, q]
        be.add_channel_sums(dy, g.out_h * g.out_w, &mut self.grad_bias)?;
        // dcols: [K, P] = Wᵀ [K, F] · dY [F, P]
        let dcols = reuse_on(be, &mut self.grad_cols, Ix2(k, g.positions()))?;
        be.gemm(
            T::one(),
            Mat::flat(&self.weight, k).t(),
            Mat::of(&self.grad_out_mat),
            T::zero(),
            Mat::of(dcols),
        )?;
        let dim = Ix4(g.batch, g.channels, g.height, g.width);
        let dx = reuse_on(be, &mut self.grad_input, dim)?; // dx: [N, C, H, W]
        be.fill(dx, T::zero())?;
        be.col2im(&self.grad_cols, &g, dx)?;
        Ok(&self.grad_input)
    }
}

/// A `[rows, N·OH·OW]` matrix (cols, dY) seen as N matrices `[rows, OH·OW]`, one per sample.
fn by_sample<R: Shaped>(m: Mat<R>, g: &ConvGeometry) -> Mat<R> {
    let (rows, plane) = (m.layout.rows, g.out_h * g.out_w);
    m.strided(0, rows, plane, g.positions())
        .batched(g.batch, plane)
}

/// An `[N, F, OH, OW]` tensor (y, dy) seen as N matrices `[F, OH·OW]`, one per sample.
fn by_sample_nchw<R: Shaped>(m: Mat<R>, g: &ConvGeometry, filters: usize) -> Mat<R> {
    let plane = g.out_h * g.out_w;
    m.strided(0, filters, plane, plane)
        .batched(g.batch, filters * plane)
}

impl<T: Scalar, B: Backend> Layer<T, B> for Conv2d<T, B> {
    fn backend(&self) -> &B {
        &self.backend
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T, B>)) {
        visit_weight_and_bias(
            visit,
            (&mut self.weight, &mut self.grad_weight),
            (&mut self.bias, &mut self.grad_bias),
        );
    }

    fn num_params(&self) -> usize {
        self.weight.len() + self.bias.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_by_one_kernel_is_a_channel_mix() {
        // A 1×1 convolution multiplies the channel vector of every pixel by W [F, C].
        let weight =
            Array4::from_shape_vec((2, 3, 1, 1), vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0]).unwrap();
        let mut conv = Conv2d::from_weights(weight, Array1::from(vec![0.0, 10.0]), 1, 0).unwrap();
        let x = Array4::from_shape_fn((1, 3, 2, 2), |(_, c, h, w)| (c * 4 + h * 2 + w) as f64);
        let y = conv.forward(&x).unwrap().to_owned();
        assert_eq!(y.shape(), &[1, 2, 2, 2]);
        assert_eq!(y[[0, 0, 1, 1]], 3.0);
        assert_eq!(y[[0, 1, 0, 0]], 10.0 + 0.0 + 4.0 + 8.0);
    }

    #[test]
    fn too_small_an_input_is_reported() {
        let conv = Conv2d::<f64>::from_weights(Array4::zeros((1, 1, 5, 5)), Array1::zeros(1), 1, 0)
            .unwrap();
        assert!(conv.geometry([1, 1, 4, 4]).is_err());
        assert!(conv.geometry([1, 2, 8, 8]).is_err());
        assert_eq!(
            conv.geometry([1, 1, 4, 4]).unwrap_err().got,
            vec![1, 1, 4, 4]
        );
    }
}
