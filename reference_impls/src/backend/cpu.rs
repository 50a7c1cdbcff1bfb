//! [`Cpu`]: the seam's ops on host memory. A tensor is an ndarray [`Array`] (always row-major),
//! indices a `Vec<usize>`; the kernels are in [`host`], on plain ndarray views.

use ndarray::parallel::prelude::*;
use ndarray::{
    Array, ArrayBase, ArrayView, ArrayView2, ArrayView3, ArrayViewMut, ArrayViewMut2,
    ArrayViewMut3, ArrayViewMutD, Axis, Data, Dimension, Ix1, Ix2, Ix4, IxDyn, ShapeBuilder,
};

use super::{
    AdamUpdate, AttentionMask, Backend, BackendResult, Binary, ConvGeometry, Device, Mat,
    MatLayout, Pooling, SgdUpdate, Shaped,
};
use crate::layers::{Activation, activation::with_variant};
use crate::scalar::Scalar;

pub mod host;
mod simd;

/// The CPU backend, on ndarray (matrix products through the `gemm` crate, element loops vectorised
/// for AVX2 + FMA or AVX-512 where the CPU has them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cpu;

impl<S: Data, D: Dimension> Shaped for ArrayBase<S, D> {
    fn shape(&self) -> &[usize] {
        ArrayBase::shape(self)
    }
}

/// The row-major elements of a backend tensor.
fn elems<T, D: Dimension>(x: &Array<T, D>) -> &[T] {
    x.as_slice().expect("backend tensors are row-major")
}

/// The row-major elements of a backend tensor, mutably.
fn elems_mut<T, D: Dimension>(x: &mut Array<T, D>) -> &mut [T] {
    x.as_slice_mut().expect("backend tensors are row-major")
}

/// The matrices `[batch, rows, cols]` a layout describes in `data` (transpose not applied).
fn batch_view<'a, T>(data: &'a [T], l: &MatLayout) -> ArrayView3<'a, T> {
    let shape = (l.batch, l.rows, l.cols).strides((l.batch_stride, l.row_stride, 1));
    ArrayView3::from_shape(shape, &data[l.offset..]).expect("layout inside its tensor")
}

/// The mutable matrices `[batch, rows, cols]` a layout describes in `data`.
fn batch_view_mut<'a, T>(data: &'a mut [T], l: &MatLayout) -> ArrayViewMut3<'a, T> {
    let shape = (l.batch, l.rows, l.cols).strides((l.batch_stride, l.row_stride, 1));
    ArrayViewMut3::from_shape(shape, &mut data[l.offset..]).expect("layout inside its tensor")
}

/// Matrix `i` of a batch as the op reads it (transposed when the layout says so); a batch of one
/// is shared by every `i`.
fn op_matrix<'a, T>(m: ArrayView3<'a, T>, l: &MatLayout, i: usize) -> ArrayView2<'a, T> {
    let i = if l.batch == 1 { 0 } else { i };
    let m = m.index_axis_move(Axis(0), i);
    if l.trans { m.reversed_axes() } else { m }
}

/// `x` seen as `[outer, C, inner]` with `C = channels`.
fn channel_view<T, D: Dimension>(
    x: ArrayView<'_, T, D>,
    channels: usize,
    inner: usize,
) -> ArrayView3<'_, T> {
    let outer = x.len() / (channels * inner).max(1);
    x.into_shape_with_order((outer, channels, inner))
        .expect("row-major tensor of [outer, C, inner] elements")
}

impl Backend for Cpu {
    type Tensor<T: Scalar, D: Dimension> = Array<T, D>;
    type Indices = Vec<usize>;
    type ParamMut<'a, T: Scalar> = ArrayViewMutD<'a, T>;

    fn device(&self) -> Device {
        Device::Cpu
    }

    fn zeros<T: Scalar, D: Dimension>(&self, dim: D) -> BackendResult<Array<T, D>> {
        Ok(Array::zeros(dim))
    }

    fn upload<T: Scalar, D: Dimension>(
        &self,
        host: ArrayView<'_, T, D>,
    ) -> BackendResult<Array<T, D>> {
        Ok(host.as_standard_layout().into_owned())
    }

    fn write<T: Scalar, D: Dimension>(
        &self,
        host: ArrayView<'_, T, D>,
        x: &mut Array<T, D>,
    ) -> BackendResult<()> {
        x.assign(&host);
        Ok(())
    }

    fn download<T: Scalar, D: Dimension>(&self, x: &Array<T, D>) -> BackendResult<Array<T, D>> {
        Ok(x.clone())
    }

    fn upload_indices(&self, host: &[usize]) -> BackendResult<Vec<usize>> {
        Ok(host.to_vec())
    }

    fn write_indices(&self, host: &[usize], ids: &mut Vec<usize>) -> BackendResult<()> {
        ids.clear();
        ids.extend_from_slice(host);
        Ok(())
    }

    fn fill<T: Scalar, D: Dimension>(&self, x: &mut Array<T, D>, value: T) -> BackendResult<()> {
        x.fill(value);
        Ok(())
    }

    fn param_mut<T: Scalar, D: Dimension>(x: &mut Array<T, D>) -> ArrayViewMutD<'_, T> {
        x.view_mut().into_dyn()
    }

    fn fill_param<T: Scalar>(&self, x: &mut ArrayViewMutD<'_, T>, value: T) -> BackendResult<()> {
        x.fill(value);
        Ok(())
    }

    fn zeros_like_param<T: Scalar>(
        &self,
        x: &ArrayViewMutD<'_, T>,
    ) -> BackendResult<Array<T, IxDyn>> {
        Ok(Array::zeros(x.raw_dim()))
    }

    fn download_param<T: Scalar>(
        &self,
        x: &ArrayViewMutD<'_, T>,
    ) -> BackendResult<Array<T, IxDyn>> {
        Ok(x.to_owned())
    }

    fn gemm<T: Scalar, DA: Dimension, DB: Dimension, DC: Dimension>(
        &self,
        alpha: T,
        a: Mat<&Array<T, DA>>,
        b: Mat<&Array<T, DB>>,
        beta: T,
        c: Mat<&mut Array<T, DC>>,
    ) -> BackendResult<()> {
        let (la, lb, lc) = (a.layout, b.layout, c.layout);
        assert!(!lc.trans, "gemm: the output is never transposed");
        let av = batch_view(elems(a.tensor), &la);
        let bv = batch_view(elems(b.tensor), &lb);
        let mut cv = batch_view_mut(elems_mut(c.tensor), &lc);
        let product = |i: usize, ci: ArrayViewMut2<'_, T>| {
            host::gemm(
                alpha,
                op_matrix(av, &la, i),
                false,
                op_matrix(bv, &lb, i),
                false,
                beta,
                ci,
            )
        };
        if lc.batch == 1 {
            product(0, cv.index_axis_mut(Axis(0), 0));
        } else {
            // Independent products: one per thread (attention's heads, say).
            cv.axis_iter_mut(Axis(0))
                .into_par_iter()
                .enumerate()
                .for_each(|(i, ci)| product(i, ci));
        }
        Ok(())
    }

    fn geam<T: Scalar, DA: Dimension, DC: Dimension>(
        &self,
        alpha: T,
        a: Mat<&Array<T, DA>>,
        beta: T,
        c: Mat<&mut Array<T, DC>>,
    ) -> BackendResult<()> {
        let (la, lc) = (a.layout, c.layout);
        assert!(!lc.trans, "geam: the output is never transposed");
        let av = batch_view(elems(a.tensor), &la);
        let mut cv = batch_view_mut(elems_mut(c.tensor), &lc);
        for (i, mut ci) in cv.outer_iter_mut().enumerate() {
            let ai = op_matrix(av, &la, i);
            assert_eq!(ai.shape(), ci.shape(), "geam: shapes differ");
            // c is not read when β = 0 (whatever it holds, NaN included, is overwritten).
            let blend = |c: &mut T, &a: &T| {
                *c = if beta == T::zero() {
                    alpha * a
                } else {
                    alpha * a + beta * *c
                };
            };
            for (mut c_row, a_row) in ci.outer_iter_mut().zip(ai.outer_iter()) {
                // Rows with unit stride (a time step of a sequence: rows T·C apart) go through
                // slice loops the compiler vectorises; a transposed `a` element by element.
                match (c_row.as_slice_mut(), a_row.as_slice()) {
                    (Some(c), Some(a)) => c.iter_mut().zip(a).for_each(|(c, a)| blend(c, a)),
                    _ => c_row.zip_mut_with(&a_row, blend),
                }
            }
        }
        Ok(())
    }

    fn activation<T: Scalar, D: Dimension>(
        &self,
        f: Activation,
        x: &Array<T, D>,
        y: &mut Array<T, D>,
    ) -> BackendResult<()> {
        with_variant!(f, f => host::map(x.view(), y.view_mut(), |v| f.value(v)));
        Ok(())
    }

    fn activation_backward<T: Scalar, D: Dimension>(
        &self,
        f: Activation,
        x: &Array<T, D>,
        dy: &Array<T, D>,
        dx: &mut Array<T, D>,
    ) -> BackendResult<()> {
        with_variant!(f, f => host::zip_map(x.view(), dy.view(), dx.view_mut(), |v, g| g * f.derivative(v)));
        Ok(())
    }

    fn binary<T: Scalar, D: Dimension>(
        &self,
        op: Binary,
        a: &Array<T, D>,
        b: &Array<T, D>,
        out: &mut Array<T, D>,
    ) -> BackendResult<()> {
        let (a, b, out) = (a.view(), b.view(), out.view_mut());
        match op {
            Binary::Add => host::zip_map(a, b, out, |u, v| u + v),
            Binary::Sub => host::zip_map(a, b, out, |u, v| u - v),
            Binary::Mul => host::zip_map(a, b, out, |u, v| u * v),
        }
        Ok(())
    }

    fn axpby<T: Scalar, D: Dimension>(
        &self,
        alpha: T,
        x: &Array<T, D>,
        beta: T,
        y: &mut Array<T, D>,
    ) -> BackendResult<()> {
        assert_eq!(x.shape(), y.shape(), "axpby: shapes differ");
        let ys = elems_mut(y);
        for (y, &x) in ys.iter_mut().zip(elems(x)) {
            *y = alpha * x + beta * *y;
        }
        Ok(())
    }

    fn add_bias<T: Scalar, D: Dimension>(
        &self,
        bias: &Array<T, Ix1>,
        inner: usize,
        beta: T,
        out: &mut Array<T, D>,
    ) -> BackendResult<()> {
        let channels = bias.len();
        if let (1, Some(out), Some(bias)) = (inner, out.as_slice_mut(), bias.as_slice()) {
            // Rows of C contiguous elements (a linear layer's [N, C]): one slice per row.
            for row in out.chunks_exact_mut(channels.max(1)) {
                if beta == T::zero() {
                    row.copy_from_slice(bias);
                } else {
                    for (v, &b) in row.iter_mut().zip(bias) {
                        *v = beta * *v + b;
                    }
                }
            }
            return Ok(());
        }
        let outer = out.len() / (channels * inner).max(1);
        let mut view = out
            .view_mut()
            .into_shape_with_order((outer, channels, inner))
            .expect("row-major tensor of [outer, C, inner] elements");
        for mut block in view.outer_iter_mut() {
            for (mut row, &b) in block.outer_iter_mut().zip(bias) {
                if beta == T::zero() {
                    row.fill(b);
                } else {
                    row.mapv_inplace(|v| beta * v + b);
                }
            }
        }
        Ok(())
    }

    fn add_channel_sums<T: Scalar, D: Dimension>(
        &self,
        x: &Array<T, D>,
        inner: usize,
        acc: &mut Array<T, Ix1>,
    ) -> BackendResult<()> {
        let view = channel_view(x.view(), acc.len(), inner);
        if inner == 1 {
            // Row by row so the inner loop runs along contiguous memory.
            let rows = view.index_axis_move(Axis(2), 0);
            host::add_column_sums(rows, acc.view_mut());
        } else {
            for block in view.outer_iter() {
                for (a, row) in acc.iter_mut().zip(block.outer_iter()) {
                    *a += row.sum();
                }
            }
        }
        Ok(())
    }

    fn sum<T: Scalar, D: Dimension>(&self, x: &Array<T, D>) -> BackendResult<T> {
        Ok(x.sum())
    }

    fn softmax<T: Scalar, D: Dimension>(
        &self,
        x: &Array<T, D>,
        y: &mut Array<T, D>,
    ) -> BackendResult<()> {
        host::softmax_last_axis(x.view(), y.view_mut());
        Ok(())
    }

    fn log_softmax<T: Scalar, D: Dimension>(
        &self,
        x: &Array<T, D>,
        y: &mut Array<T, D>,
    ) -> BackendResult<()> {
        host::log_softmax_last_axis(x.view(), y.view_mut());
        Ok(())
    }

    fn softmax_backward<T: Scalar, D: Dimension>(
        &self,
        y: &Array<T, D>,
        dy: &Array<T, D>,
        dx: &mut Array<T, D>,
    ) -> BackendResult<()> {
        host::softmax_backward_last_axis(y.view(), dy.view(), dx.view_mut());
        Ok(())
    }

    fn log_softmax_backward<T: Scalar, D: Dimension>(
        &self,
        y: &Array<T, D>,
        dy: &Array<T, D>,
        dx: &mut Array<T, D>,
    ) -> BackendResult<()> {
        host::log_softmax_backward_last_axis(y.view(), dy.view(), dx.view_mut());
        Ok(())
    }

    fn mask_fill<T: Scalar, D: Dimension>(
        &self,
        mask: AttentionMask,
        value: T,
        scores: &mut Array<T, D>,
    ) -> BackendResult<()> {
        let AttentionMask::Causal = mask;
        let l = MatLayout::of_shape(scores.shape());
        let mut view = batch_view_mut(elems_mut(scores), &l);
        for mut m in view.outer_iter_mut() {
            for ((i, j), s) in m.indexed_iter_mut() {
                if j > i {
                    *s = value;
                }
            }
        }
        Ok(())
    }

    fn layer_norm<T: Scalar, D: Dimension>(
        &self,
        x: &Array<T, D>,
        gamma: &Array<T, Ix1>,
        beta: &Array<T, Ix1>,
        eps: f64,
        y: &mut Array<T, D>,
        xhat: &mut Array<T, D>,
        inv_std: &mut Array<T, Ix1>,
    ) -> BackendResult<()> {
        let features = gamma.len();
        host::layer_norm(
            rows(x.view(), features),
            gamma.view(),
            beta.view(),
            T::from_f64(eps),
            rows_mut(y.view_mut(), features),
            rows_mut(xhat.view_mut(), features),
            inv_std.view_mut(),
        );
        Ok(())
    }

    fn layer_norm_backward<T: Scalar, D: Dimension>(
        &self,
        dy: &Array<T, D>,
        xhat: &Array<T, D>,
        inv_std: &Array<T, Ix1>,
        gamma: &Array<T, Ix1>,
        dx: &mut Array<T, D>,
        d_gamma: &mut Array<T, Ix1>,
        d_beta: &mut Array<T, Ix1>,
    ) -> BackendResult<()> {
        let features = gamma.len();
        host::layer_norm_backward(
            rows(dy.view(), features),
            rows(xhat.view(), features),
            inv_std.view(),
            gamma.view(),
            rows_mut(dx.view_mut(), features),
            d_gamma.view_mut(),
            d_beta.view_mut(),
        );
        Ok(())
    }

    fn cross_entropy<T: Scalar>(
        &self,
        logits: &Array<T, Ix2>,
        targets: &Vec<usize>,
        grad: &mut Array<T, Ix2>,
    ) -> BackendResult<T> {
        Ok(host::cross_entropy(logits.view(), targets, grad.view_mut()))
    }

    fn im2col<T: Scalar>(
        &self,
        x: &Array<T, Ix4>,
        geom: &ConvGeometry,
        cols: &mut Array<T, Ix2>,
    ) -> BackendResult<()> {
        host::im2col(x.view(), geom, cols.view_mut());
        Ok(())
    }

    fn col2im<T: Scalar>(
        &self,
        cols: &Array<T, Ix2>,
        geom: &ConvGeometry,
        dx: &mut Array<T, Ix4>,
    ) -> BackendResult<()> {
        host::col2im(cols.view(), geom, dx.view_mut());
        Ok(())
    }

    fn pool2d<T: Scalar>(
        &self,
        kind: Pooling,
        x: &Array<T, Ix4>,
        geom: &ConvGeometry,
        y: &mut Array<T, Ix4>,
        argmax: &mut Vec<usize>,
    ) -> BackendResult<()> {
        host::pool2d(kind, x.view(), geom, y.view_mut(), argmax);
        Ok(())
    }

    fn pool2d_backward<T: Scalar>(
        &self,
        kind: Pooling,
        dy: &Array<T, Ix4>,
        geom: &ConvGeometry,
        argmax: &Vec<usize>,
        dx: &mut Array<T, Ix4>,
    ) -> BackendResult<()> {
        host::pool2d_backward(kind, dy.view(), geom, argmax, dx.view_mut());
        Ok(())
    }

    fn gather_rows<T: Scalar>(
        &self,
        table: &Array<T, Ix2>,
        ids: &Vec<usize>,
        out: &mut Array<T, Ix2>,
    ) -> BackendResult<()> {
        for (mut row, &id) in out.rows_mut().into_iter().zip(ids) {
            row.assign(&table.row(id));
        }
        Ok(())
    }

    fn scatter_add_rows<T: Scalar>(
        &self,
        dy: &Array<T, Ix2>,
        ids: &Vec<usize>,
        d_table: &mut Array<T, Ix2>,
    ) -> BackendResult<()> {
        for (row, &id) in dy.rows().into_iter().zip(ids) {
            let mut acc = d_table.row_mut(id);
            acc += &row;
        }
        Ok(())
    }

    fn lstm_cell<T: Scalar>(
        &self,
        pre: &mut Array<T, Ix2>,
        c_prev: &Array<T, Ix2>,
        c: &mut Array<T, Ix2>,
        tanh_c: &mut Array<T, Ix2>,
        h: &mut Array<T, Ix2>,
    ) -> BackendResult<()> {
        host::lstm_cell(
            pre.view_mut(),
            c_prev.view(),
            c.view_mut(),
            tanh_c.view_mut(),
            h.view_mut(),
        );
        Ok(())
    }

    fn lstm_cell_backward<T: Scalar>(
        &self,
        gates: &Array<T, Ix2>,
        c_prev: &Array<T, Ix2>,
        tanh_c: &Array<T, Ix2>,
        dh: &Array<T, Ix2>,
        dc: &mut Array<T, Ix2>,
        d_pre: &mut Array<T, Ix2>,
    ) -> BackendResult<()> {
        host::lstm_cell_backward(
            gates.view(),
            c_prev.view(),
            tanh_c.view(),
            dh.view(),
            dc.view_mut(),
            d_pre.view_mut(),
        );
        Ok(())
    }

    fn gru_cell<T: Scalar>(
        &self,
        gx: &Array<T, Ix2>,
        gh: &Array<T, Ix2>,
        h_prev: &Array<T, Ix2>,
        gates: &mut Array<T, Ix2>,
        h: &mut Array<T, Ix2>,
    ) -> BackendResult<()> {
        host::gru_cell(
            gx.view(),
            gh.view(),
            h_prev.view(),
            gates.view_mut(),
            h.view_mut(),
        );
        Ok(())
    }

    fn gru_cell_backward<T: Scalar>(
        &self,
        gates: &Array<T, Ix2>,
        gh: &Array<T, Ix2>,
        h_prev: &Array<T, Ix2>,
        dh: &mut Array<T, Ix2>,
        d_gx: &mut Array<T, Ix2>,
        d_gh: &mut Array<T, Ix2>,
    ) -> BackendResult<()> {
        host::gru_cell_backward(
            gates.view(),
            gh.view(),
            h_prev.view(),
            dh.view_mut(),
            d_gx.view_mut(),
            d_gh.view_mut(),
        );
        Ok(())
    }

    fn sgd_update<T: Scalar>(
        &self,
        step: &SgdUpdate,
        value: &mut ArrayViewMutD<'_, T>,
        grad: &ArrayViewMutD<'_, T>,
        momentum: Option<&mut Array<T, IxDyn>>,
    ) -> BackendResult<()> {
        host::sgd_update(
            step,
            value.view_mut(),
            grad.view(),
            momentum.map(|m| m.view_mut()),
        );
        Ok(())
    }

    fn adam_update<T: Scalar>(
        &self,
        step: &AdamUpdate,
        value: &mut ArrayViewMutD<'_, T>,
        grad: &ArrayViewMutD<'_, T>,
        m: &mut Array<T, IxDyn>,
        v: &mut Array<T, IxDyn>,
    ) -> BackendResult<()> {
        host::adam_update(
            step,
            value.view_mut(),
            grad.view(),
            m.view_mut(),
            v.view_mut(),
        );
        Ok(())
    }
}

/// A row-major `[…, D]` tensor as rows `[M, D]`.
fn rows<T, D: Dimension>(x: ArrayView<'_, T, D>, features: usize) -> ArrayView2<'_, T> {
    let m = x.len().checked_div(features).unwrap_or(0);
    x.into_shape_with_order((m, features))
        .expect("row-major tensor whose last axis is the features")
}

/// A row-major `[…, D]` tensor as rows `[M, D]`, mutably.
fn rows_mut<T, D: Dimension>(x: ArrayViewMut<'_, T, D>, features: usize) -> ArrayViewMut2<'_, T> {
    let m = x.len().checked_div(features).unwrap_or(0);
    x.into_shape_with_order((m, features))
        .expect("row-major tensor whose last axis is the features")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, Array3, array};

    #[test]
    fn gemm_reads_blocks_transposes_and_batches() {
        let cpu = Cpu;
        let w = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]; // two stacked [2, 2] blocks
        let x = array![[1.0, -1.0]];
        let mut y = Array2::<f64>::ones((1, 2));
        // y ← x · W[2..4]ᵀ + y
        let block = Mat::of(&w).rows(2..4).t();
        cpu.gemm(1.0, Mat::of(&x), block, 1.0, Mat::of(&mut y))
            .unwrap();
        assert_eq!(y, x.dot(&w.slice(ndarray::s![2..4, ..]).t()) + 1.0);
        // A batch of two products sharing one right-hand matrix.
        let a = Array3::from_shape_fn((2, 2, 3), |(b, i, j)| (b * 6 + i * 3 + j) as f64);
        let b = Array2::from_shape_fn((3, 2), |(i, j)| (i + j) as f64);
        let mut c = Array3::<f64>::zeros((2, 2, 2));
        cpu.gemm(1.0, Mat::of(&a), Mat::of(&b), 0.0, Mat::of(&mut c))
            .unwrap();
        for k in 0..2 {
            let ak = a.index_axis(Axis(0), k);
            assert_eq!(c.index_axis(Axis(0), k), ak.dot(&b));
        }
    }

    #[test]
    fn geam_copies_a_time_step_out_of_a_sequence() {
        // x [B=2, T=3, C=2]; step t = 1 as [B, C]
        let x = Array3::from_shape_fn((2, 3, 2), |(b, t, c)| (b * 100 + t * 10 + c) as f64);
        let mut step = Array2::<f64>::zeros((2, 2));
        let view = Mat::of(&x).strided(2, 2, 2, 6);
        Cpu.geam(1.0, view, 0.0, Mat::of(&mut step)).unwrap();
        assert_eq!(step, array![[10.0, 11.0], [110.0, 111.0]]);
    }

    #[test]
    fn bias_and_channel_sums_are_adjoint() {
        // ⟨add_bias(b), y⟩ = ⟨b, channel_sums(y)⟩ on a [N=2, C=3, inner=2] tensor.
        let bias = array![1.0, 2.0, 3.0];
        let mut out = ndarray::Array3::<f64>::zeros((2, 3, 2));
        Cpu.add_bias(&bias, 2, 0.0, &mut out).unwrap();
        let probe = ndarray::Array3::from_shape_fn((2, 3, 2), |(n, c, i)| (n + 2 * c + i) as f64);
        let mut sums = Array::zeros(3);
        Cpu.add_channel_sums(&probe, 2, &mut sums).unwrap();
        assert_eq!((&out * &probe).sum(), bias.dot(&sums));
    }
}
