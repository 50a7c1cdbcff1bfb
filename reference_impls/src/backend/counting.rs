//! A test-only backend that counts the ops it is asked to run and hands them to another backend:
//! proof that a model's work goes through the seam (see the tests of `models::mlp`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use ndarray::{Array, ArrayView, Dimension, Ix1, Ix2, Ix4, IxDyn};

use super::{
    AdamUpdate, AttentionMask, Backend, BackendResult, Binary, ConvGeometry, Device, Mat, Pooling,
    SgdUpdate,
};
use crate::layers::Activation;
use crate::scalar::Scalar;

/// `B` with a tally of the ops called, by name.
#[derive(Clone, Debug, Default)]
pub(crate) struct Counting<B> {
    /// The backend that runs the ops.
    inner: B,
    /// Calls per op name, shared by every clone (layers hold clones).
    tally: Arc<Mutex<BTreeMap<&'static str, usize>>>,
}

impl<B: Backend> Counting<B> {
    /// Counts the ops run on `inner`.
    pub(crate) fn new(inner: B) -> Self {
        Self {
            inner,
            tally: Arc::default(),
        }
    }

    /// Calls so far, by op name.
    pub(crate) fn counts(&self) -> BTreeMap<&'static str, usize> {
        self.tally.lock().expect("no panic while counting").clone()
    }

    /// Forgets the calls so far.
    pub(crate) fn reset(&self) {
        self.tally.lock().expect("no panic while counting").clear();
    }

    /// Counts one call of `op` and returns the inner backend to run it.
    fn count(&self, op: &'static str) -> &B {
        *self
            .tally
            .lock()
            .expect("no panic while counting")
            .entry(op)
            .or_default() += 1;
        &self.inner
    }
}

impl<B: Backend> Backend for Counting<B> {
    type Tensor<T: Scalar, D: Dimension> = B::Tensor<T, D>;
    type Indices = B::Indices;
    type ParamMut<'a, T: Scalar> = B::ParamMut<'a, T>;

    fn device(&self) -> Device {
        self.inner.device()
    }

    fn zeros<T: Scalar, D: Dimension>(&self, dim: D) -> BackendResult<B::Tensor<T, D>> {
        self.count("zeros").zeros(dim)
    }

    fn upload<T: Scalar, D: Dimension>(
        &self,
        host: ArrayView<'_, T, D>,
    ) -> BackendResult<B::Tensor<T, D>> {
        self.count("upload").upload(host)
    }

    fn write<T: Scalar, D: Dimension>(
        &self,
        host: ArrayView<'_, T, D>,
        x: &mut B::Tensor<T, D>,
    ) -> BackendResult<()> {
        self.count("write").write(host, x)
    }

    fn download<T: Scalar, D: Dimension>(&self, x: &B::Tensor<T, D>) -> BackendResult<Array<T, D>> {
        self.count("download").download(x)
    }

    fn upload_indices(&self, host: &[usize]) -> BackendResult<B::Indices> {
        self.count("upload_indices").upload_indices(host)
    }

    fn write_indices(&self, host: &[usize], ids: &mut B::Indices) -> BackendResult<()> {
        self.count("write_indices").write_indices(host, ids)
    }

    fn fill<T: Scalar, D: Dimension>(
        &self,
        x: &mut B::Tensor<T, D>,
        value: T,
    ) -> BackendResult<()> {
        self.count("fill").fill(x, value)
    }

    fn param_mut<T: Scalar, D: Dimension>(x: &mut B::Tensor<T, D>) -> B::ParamMut<'_, T> {
        B::param_mut(x)
    }

    fn fill_param<T: Scalar>(&self, x: &mut B::ParamMut<'_, T>, value: T) -> BackendResult<()> {
        self.count("fill_param").fill_param(x, value)
    }

    fn zeros_like_param<T: Scalar>(
        &self,
        x: &B::ParamMut<'_, T>,
    ) -> BackendResult<B::Tensor<T, IxDyn>> {
        self.count("zeros_like_param").zeros_like_param(x)
    }

    fn download_param<T: Scalar>(&self, x: &B::ParamMut<'_, T>) -> BackendResult<Array<T, IxDyn>> {
        self.count("download_param").download_param(x)
    }

    fn gemm<T: Scalar, DA: Dimension, DB: Dimension, DC: Dimension>(
        &self,
        alpha: T,
        a: Mat<&B::Tensor<T, DA>>,
        b: Mat<&B::Tensor<T, DB>>,
        beta: T,
        c: Mat<&mut B::Tensor<T, DC>>,
    ) -> BackendResult<()> {
        self.count("gemm").gemm(alpha, a, b, beta, c)
    }

    fn geam<T: Scalar, DA: Dimension, DC: Dimension>(
        &self,
        alpha: T,
        a: Mat<&B::Tensor<T, DA>>,
        beta: T,
        c: Mat<&mut B::Tensor<T, DC>>,
    ) -> BackendResult<()> {
        self.count("geam").geam(alpha, a, beta, c)
    }

    fn activation<T: Scalar, D: Dimension>(
        &self,
        f: Activation,
        x: &B::Tensor<T, D>,
        y: &mut B::Tensor<T, D>,
    ) -> BackendResult<()> {
        self.count("activation").activation(f, x, y)
    }

    fn activation_backward<T: Scalar, D: Dimension>(
        &self,
        f: Activation,
        x: &B::Tensor<T, D>,
        dy: &B::Tensor<T, D>,
        dx: &mut B::Tensor<T, D>,
    ) -> BackendResult<()> {
        self.count("activation_backward")
            .activation_backward(f, x, dy, dx)
    }

    fn binary<T: Scalar, D: Dimension>(
        &self,
        op: Binary,
        a: &B::Tensor<T, D>,
        b: &B::Tensor<T, D>,
        out: &mut B::Tensor<T, D>,
    ) -> BackendResult<()> {
        self.count("binary").binary(op, a, b, out)
    }

    fn axpby<T: Scalar, D: Dimension>(
        &self,
        alpha: T,
        x: &B::Tensor<T, D>,
        beta: T,
        y: &mut B::Tensor<T, D>,
    ) -> BackendResult<()> {
        self.count("axpby").axpby(alpha, x, beta, y)
    }

    fn add_bias<T: Scalar, D: Dimension>(
        &self,
        bias: &B::Tensor<T, Ix1>,
        inner: usize,
        beta: T,
        out: &mut B::Tensor<T, D>,
    ) -> BackendResult<()> {
        self.count("add_bias").add_bias(bias, inner, beta, out)
    }

    fn add_channel_sums<T: Scalar, D: Dimension>(
        &self,
        x: &B::Tensor<T, D>,
        inner: usize,
        acc: &mut B::Tensor<T, Ix1>,
    ) -> BackendResult<()> {
        self.count("add_channel_sums")
            .add_channel_sums(x, inner, acc)
    }

    fn sum<T: Scalar, D: Dimension>(&self, x: &B::Tensor<T, D>) -> BackendResult<T> {
        self.count("sum").sum(x)
    }

    fn softmax<T: Scalar, D: Dimension>(
        &self,
        x: &B::Tensor<T, D>,
        y: &mut B::Tensor<T, D>,
    ) -> BackendResult<()> {
        self.count("softmax").softmax(x, y)
    }

    fn log_softmax<T: Scalar, D: Dimension>(
        &self,
        x: &B::Tensor<T, D>,
        y: &mut B::Tensor<T, D>,
    ) -> BackendResult<()> {
        self.count("log_softmax").log_softmax(x, y)
    }

    fn softmax_backward<T: Scalar, D: Dimension>(
        &self,
        y: &B::Tensor<T, D>,
        dy: &B::Tensor<T, D>,
        dx: &mut B::Tensor<T, D>,
    ) -> BackendResult<()> {
        self.count("softmax_backward").softmax_backward(y, dy, dx)
    }

    fn log_softmax_backward<T: Scalar, D: Dimension>(
        &self,
        y: &B::Tensor<T, D>,
        dy: &B::Tensor<T, D>,
        dx: &mut B::Tensor<T, D>,
    ) -> BackendResult<()> {
        self.count("log_softmax_backward")
            .log_softmax_backward(y, dy, dx)
    }

    fn mask_fill<T: Scalar, D: Dimension>(
        &self,
        mask: AttentionMask,
        value: T,
        scores: &mut B::Tensor<T, D>,
    ) -> BackendResult<()> {
        self.count("mask_fill").mask_fill(mask, value, scores)
    }

    fn layer_norm<T: Scalar, D: Dimension>(
        &self,
        x: &B::Tensor<T, D>,
        gamma: &B::Tensor<T, Ix1>,
        beta: &B::Tensor<T, Ix1>,
        eps: f64,
        y: &mut B::Tensor<T, D>,
        xhat: &mut B::Tensor<T, D>,
        inv_std: &mut B::Tensor<T, Ix1>,
    ) -> BackendResult<()> {
        self.count("layer_norm")
            .layer_norm(x, gamma, beta, eps, y, xhat, inv_std)
    }

    fn layer_norm_backward<T: Scalar, D: Dimension>(
        &self,
        dy: &B::Tensor<T, D>,
        xhat: &B::Tensor<T, D>,
        inv_std: &B::Tensor<T, Ix1>,
        gamma: &B::Tensor<T, Ix1>,
        dx: &mut B::Tensor<T, D>,
        d_gamma: &mut B::Tensor<T, Ix1>,
        d_beta: &mut B::Tensor<T, Ix1>,
    ) -> BackendResult<()> {
        self.count("layer_norm_backward")
            .layer_norm_backward(dy, xhat, inv_std, gamma, dx, d_gamma, d_beta)
    }

    fn cross_entropy<T: Scalar>(
        &self,
        logits: &B::Tensor<T, Ix2>,
        targets: &B::Indices,
        grad: &mut B::Tensor<T, Ix2>,
    ) -> BackendResult<T> {
        self.count("cross_entropy")
            .cross_entropy(logits, targets, grad)
    }

    fn im2col<T: Scalar>(
        &self,
        x: &B::Tensor<T, Ix4>,
        geom: &ConvGeometry,
        cols: &mut B::Tensor<T, Ix2>,
    ) -> BackendResult<()> {
        self.count("im2col").im2col(x, geom, cols)
    }

    fn col2im<T: Scalar>(
        &self,
        cols: &B::Tensor<T, Ix2>,
        geom: &ConvGeometry,
        dx: &mut B::Tensor<T, Ix4>,
    ) -> BackendResult<()> {
        self.count("col2im").col2im(cols, geom, dx)
    }

    fn pool2d<T: Scalar>(
        &self,
        kind: Pooling,
        x: &B::Tensor<T, Ix4>,
        geom: &ConvGeometry,
        y: &mut B::Tensor<T, Ix4>,
        argmax: &mut B::Indices,
    ) -> BackendResult<()> {
        self.count("pool2d").pool2d(kind, x, geom, y, argmax)
    }

    fn pool2d_backward<T: Scalar>(
        &self,
        kind: Pooling,
        dy: &B::Tensor<T, Ix4>,
        geom: &ConvGeometry,
        argmax: &B::Indices,
        dx: &mut B::Tensor<T, Ix4>,
    ) -> BackendResult<()> {
        self.count("pool2d_backward")
            .pool2d_backward(kind, dy, geom, argmax, dx)
    }

    fn gather_rows<T: Scalar>(
        &self,
        table: &B::Tensor<T, Ix2>,
        ids: &B::Indices,
        out: &mut B::Tensor<T, Ix2>,
    ) -> BackendResult<()> {
        self.count("gather_rows").gather_rows(table, ids, out)
    }

    fn scatter_add_rows<T: Scalar>(
        &self,
        dy: &B::Tensor<T, Ix2>,
        ids: &B::Indices,
        d_table: &mut B::Tensor<T, Ix2>,
    ) -> BackendResult<()> {
        self.count("scatter_add_rows")
            .scatter_add_rows(dy, ids, d_table)
    }

    fn lstm_cell<T: Scalar>(
        &self,
        pre: &mut B::Tensor<T, Ix2>,
        c_prev: &B::Tensor<T, Ix2>,
        c: &mut B::Tensor<T, Ix2>,
        tanh_c: &mut B::Tensor<T, Ix2>,
        h: &mut B::Tensor<T, Ix2>,
    ) -> BackendResult<()> {
        self.count("lstm_cell").lstm_cell(pre, c_prev, c, tanh_c, h)
    }

    fn lstm_cell_backward<T: Scalar>(
        &self,
        gates: &B::Tensor<T, Ix2>,
        c_prev: &B::Tensor<T, Ix2>,
        tanh_c: &B::Tensor<T, Ix2>,
        dh: &B::Tensor<T, Ix2>,
        dc: &mut B::Tensor<T, Ix2>,
        d_pre: &mut B::Tensor<T, Ix2>,
    ) -> BackendResult<()> {
        self.count("lstm_cell_backward")
            .lstm_cell_backward(gates, c_prev, tanh_c, dh, dc, d_pre)
    }

    fn gru_cell<T: Scalar>(
        &self,
        gx: &B::Tensor<T, Ix2>,
        gh: &B::Tensor<T, Ix2>,
        h_prev: &B::Tensor<T, Ix2>,
        gates: &mut B::Tensor<T, Ix2>,
        h: &mut B::Tensor<T, Ix2>,
    ) -> BackendResult<()> {
        self.count("gru_cell").gru_cell(gx, gh, h_prev, gates, h)
    }

    fn gru_cell_backward<T: Scalar>(
        &self,
        gates: &B::Tensor<T, Ix2>,
        gh: &B::Tensor<T, Ix2>,
        h_prev: &B::Tensor<T, Ix2>,
        dh: &mut B::Tensor<T, Ix2>,
        d_gx: &mut B::Tensor<T, Ix2>,
        d_gh: &mut B::Tensor<T, Ix2>,
    ) -> BackendResult<()> {
        self.count("gru_cell_backward")
            .gru_cell_backward(gates, gh, h_prev, dh, d_gx, d_gh)
    }

    fn sgd_update<T: Scalar>(
        &self,
        step: &SgdUpdate,
        value: &mut B::ParamMut<'_, T>,
        grad: &B::ParamMut<'_, T>,
        momentum: Option<&mut B::Tensor<T, IxDyn>>,
    ) -> BackendResult<()> {
        self.count("sgd_update")
            .sgd_update(step, value, grad, momentum)
    }

    fn adam_update<T: Scalar>(
        &self,
        step: &AdamUpdate,
        value: &mut B::ParamMut<'_, T>,
        grad: &B::ParamMut<'_, T>,
        m: &mut B::Tensor<T, IxDyn>,
        v: &mut B::Tensor<T, IxDyn>,
    ) -> BackendResult<()> {
        self.count("adam_update")
            .adam_update(step, value, grad, m, v)
    }
}
