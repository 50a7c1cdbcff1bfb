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

use ndarray::{Array1, Array2, Array4, ArrayView2, ArrayView4, ArrayViewMut2, Ix2, Ix3, Ix4};
use rand::Rng;

use super::{Layer, Param, ShapeError, reuse, uniform, visit_weight_and_bias};
use crate::backend::{ConvGeometry, host};
use crate::scalar::Scalar;

/// A 2-D convolution with PyTorch's layout: weight `[F, C, kH, kW]`, bias `[F]`, input NCHW.
#[derive(Clone, Debug)]
pub struct Conv2d<T> {
    /// W: `[F, C, kH, kW]`
    pub weight: Array4<T>,
    /// b: `[F]`
    pub bias: Array1<T>,
    /// dL/dW: `[F, C, kH, kW]`, accumulated by `backward`.
    pub grad_weight: Array4<T>,
    /// dL/db: `[F]`, accumulated by `backward`.
    pub grad_bias: Array1<T>,
    /// s, the same on both axes.
    pub stride: usize,
    /// p, zero padding on all four sides.
    pub padding: usize,
    /// The geometry of the latest forward.
    geom: Option<ConvGeometry>,
    /// cols = im2col(x): `[K, P]`
    cols: Array2<T>,
    /// Y = W·cols: `[F, P]`
    out_mat: Array2<T>,
    /// y: `[N, F, OH, OW]`
    output: Array4<T>,
    /// dY, dy regrouped by filter: `[F, P]`
    grad_out_mat: Array2<T>,
    /// dcols = Wᵀ·dY: `[K, P]`
    grad_cols: Array2<T>,
    /// dx: `[N, C, H, W]`
    grad_input: Array4<T>,
}

impl<T: Scalar> Conv2d<T> {
    /// A layer with the given weight `[F, C, kH, kW]`, bias `[F]`, stride and padding.
    pub fn from_weights(
        weight: Array4<T>,
        bias: Array1<T>,
        stride: usize,
        padding: usize,
    ) -> Result<Self, ShapeError> {
        ShapeError::check("conv2d bias", &[weight.shape()[0]], bias.shape())?;
        if stride == 0 {
            return Err(ShapeError {
                what: "conv2d stride (must be at least 1)".into(),
                expected: vec![1],
                got: vec![0],
            });
        }
        // The matrix view W [F, K] needs row-major weights.
        let weight = weight.as_standard_layout().into_owned();
        Ok(Self {
            grad_weight: Array4::zeros(weight.raw_dim()),
            grad_bias: Array1::zeros(bias.raw_dim()),
            weight,
            bias,
            stride,
            padding,
            geom: None,
            cols: Array2::zeros((0, 0)),
            out_mat: Array2::zeros((0, 0)),
            output: Array4::zeros((0, 0, 0, 0)),
            grad_out_mat: Array2::zeros((0, 0)),
            grad_cols: Array2::zeros((0, 0)),
            grad_input: Array4::zeros((0, 0, 0, 0)),
        })
    }

    /// A layer initialised like PyTorch's `nn.Conv2d`: W and b uniform in ±1/√(C·kH·kW).
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel: (usize, usize),
        stride: usize,
        padding: usize,
        rng: &mut impl Rng,
    ) -> Result<Self, ShapeError> {
        let fan_in = in_channels * kernel.0 * kernel.1;
        let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
        let weight = uniform((out_channels, in_channels, kernel.0, kernel.1), bound, rng);
        let bias = uniform(out_channels, bound, rng);
        Self::from_weights(weight, bias, stride, padding)
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
        let d = self.weight.dim();
        [d.0, d.1, d.2, d.3]
    }

    /// y `[N, F, OH, OW]` for x `[N, C, H, W]`; caches im2col(x) for backward.
    pub fn forward(&mut self, x: ArrayView4<'_, T>) -> ArrayView4<'_, T> {
        let (n, _, h, w) = x.dim();
        let g = self
            .geometry([n, x.dim().1, h, w])
            .unwrap_or_else(|e| panic!("{e}"));
        let filters = self.weight_dims()[0];
        let cols = reuse(&mut self.cols, Ix2(g.patch_len(), g.positions())); // cols: [K, P]
        host::im2col(x, &g, cols.view_mut());
        let out_mat = reuse(&mut self.out_mat, Ix2(filters, g.positions())); // Y: [F, P]
        host::gemm(
            T::one(),
            as_matrix(&self.weight),
            false,
            self.cols.view(),
            false,
            T::zero(),
            out_mat.view_mut(),
        );
        // y[n, f, :] = Y[f, n·OH·OW ..] + b[f]
        let y = reuse(&mut self.output, Ix4(n, filters, g.out_h, g.out_w)); // y: [N, F, OH, OW]
        let plane = g.out_h * g.out_w;
        let by_sample = self
            .out_mat
            .view()
            .into_shape_with_order(Ix3(filters, n, plane))
            .expect("fresh buffer")
            .permuted_axes([1, 0, 2]); // [N, F, OH·OW]
        let mut y3 = y
            .view_mut()
            .into_shape_with_order(Ix3(n, filters, plane))
            .expect("fresh buffer");
        y3.assign(&by_sample);
        for mut sample in y3.outer_iter_mut() {
            for (mut row, &b) in sample.outer_iter_mut().zip(&self.bias) {
                row.mapv_inplace(|v| v + b);
            }
        }
        self.geom = Some(g);
        self.output.view()
    }

    /// Adds dW and db for `dy` `[N, F, OH, OW]` and returns dx `[N, C, H, W]`.
    pub fn backward(&mut self, dy: ArrayView4<'_, T>) -> ArrayView4<'_, T> {
        let g = self.geom.expect("conv2d: backward before forward");
        assert_eq!(dy.shape(), self.output.shape(), "conv2d: grad_output shape");
        let filters = self.weight_dims()[0];
        let plane = g.out_h * g.out_w;
        // dY[f, n·OH·OW + q] = dy[n, f, q]: [F, P]
        let dy_mat = reuse(&mut self.grad_out_mat, Ix2(filters, g.positions()));
        dy_mat
            .view_mut()
            .into_shape_with_order(Ix3(filters, g.batch, plane))
            .expect("fresh buffer")
            .assign(
                &dy.as_standard_layout()
                    .view()
                    .into_shape_with_order(Ix3(g.batch, filters, plane))
                    .expect("standard layout")
                    .permuted_axes([1, 0, 2]),
            );
        // dW: [F, K] += dY [F, P] · colsᵀ [P, K]
        let dw = as_matrix_mut(&mut self.grad_weight);
        host::gemm(
            T::one(),
            self.grad_out_mat.view(),
            false,
            self.cols.view(),
            true,
            T::one(),
            dw,
        );
        // db: [F] += row sums of dY
        host::add_column_sums(self.grad_out_mat.t(), self.grad_bias.view_mut());
        // dcols: [K, P] = Wᵀ [K, F] · dY [F, P]
        let dcols = reuse(&mut self.grad_cols, Ix2(g.patch_len(), g.positions()));
        host::gemm(
            T::one(),
            as_matrix(&self.weight),
            true,
            self.grad_out_mat.view(),
            false,
            T::zero(),
            dcols.view_mut(),
        );
        let dx = reuse(
            &mut self.grad_input,
            Ix4(g.batch, g.channels, g.height, g.width),
        );
        dx.fill(T::zero());
        host::col2im(self.grad_cols.view(), &g, dx.view_mut());
        self.grad_input.view()
    }
}

/// A row-major `[F, C, kH, kW]` array seen as the matrix `[F, K]`.
fn as_matrix<T>(w: &Array4<T>) -> ArrayView2<'_, T> {
    let (f, c, kh, kw) = w.dim();
    w.view()
        .into_shape_with_order((f, c * kh * kw))
        .expect("weights are row-major")
}

/// [`as_matrix`], mutable.
fn as_matrix_mut<T>(w: &mut Array4<T>) -> ArrayViewMut2<'_, T> {
    let (f, c, kh, kw) = w.dim();
    w.view_mut()
        .into_shape_with_order((f, c * kh * kw))
        .expect("weights are row-major")
}

impl<T: Scalar> Layer<T> for Conv2d<T> {
    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T>)) {
        visit_weight_and_bias(
            visit,
            (self.weight.view_mut(), self.grad_weight.view_mut()),
            (self.bias.view_mut(), self.grad_bias.view_mut()),
        );
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
        let y = conv.forward(x.view()).to_owned();
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
