//! The seam's [`Backend`] on the GPU: tensors in device buffers, every op one or two kernel
//! launches, host transfers only in `upload`, `write`, `download` and the ops that return a
//! number to the host (`sum`, `cross_entropy`).
//!
//! The trait is generic over any [`Scalar`]; the kernels exist for f32 and f64. Each op looks at
//! `T` once ([`precision_of`]) and runs the kernel of that width on the same buffers, viewed with
//! their concrete element type; any other `T` is [`BackendError::Unsupported`].

use std::any::TypeId;
use std::marker::PhantomData;

use ndarray::{Array, ArrayView, Dimension, Ix1, Ix2, Ix4, IxDyn};

use super::context::Gpu;
use super::elementwise::{Binary as GpuBinary, Unary};
use super::error::GpuError;
use super::gemm::GemmLayout;
use super::sequence::GpuIndices;
use super::tensor::{GpuScalar, GpuTensor};
use crate::backend::{
    AdamUpdate, AttentionMask, Backend, BackendError, BackendResult, Binary, ConvGeometry, Device,
    Mat, Pooling, SgdUpdate, Shaped,
};
use crate::layers::Activation;
use crate::scalar::Scalar;

/// A tensor of the GPU backend: a device buffer of `T` with dimension type `D`.
#[repr(transparent)]
pub struct GpuArray<T, D> {
    tensor: GpuTensor<T>,
    _dim: PhantomData<D>,
}

impl<T, D> std::fmt::Debug for GpuArray<T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.tensor.fmt(f)
    }
}

impl<T, D> Shaped for GpuArray<T, D> {
    fn shape(&self) -> &[usize] {
        self.tensor.shape()
    }
}

impl<T, D> Clone for GpuArray<T, D> {
    /// A copy on the device (see [`GpuTensor`]'s `Clone`).
    fn clone(&self) -> Self {
        Self {
            tensor: self.tensor.clone(),
            _dim: PhantomData,
        }
    }
}

/// The kernels' width for `T`, if there are kernels for it.
fn precision_of<T: 'static>() -> Option<super::Precision> {
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        Some(super::Precision::F32)
    } else if TypeId::of::<T>() == TypeId::of::<f64>() {
        Some(super::Precision::F64)
    } else {
        None
    }
}

impl<T: 'static, D> GpuArray<T, D> {
    /// The tensor with its concrete element type `S` (which `T` is: checked).
    fn typed<S: GpuScalar>(&self) -> &GpuTensor<S> {
        assert_eq!(
            TypeId::of::<T>(),
            TypeId::of::<S>(),
            "GPU tensor element type"
        );
        self.tensor.cast()
    }

    fn typed_mut<S: GpuScalar>(&mut self) -> &mut GpuTensor<S> {
        assert_eq!(
            TypeId::of::<T>(),
            TypeId::of::<S>(),
            "GPU tensor element type"
        );
        self.tensor.cast_mut()
    }

    /// A tensor of the concrete type `S` (which `T` is: checked) as a tensor of `T`.
    fn from_typed<S: GpuScalar>(tensor: GpuTensor<S>) -> Self {
        assert_eq!(
            TypeId::of::<T>(),
            TypeId::of::<S>(),
            "GPU tensor element type"
        );
        let tensor = std::mem::ManuallyDrop::new(tensor);
        // SAFETY: `GpuTensor<_>` is `repr(transparent)` over one buffer whatever its marker
        // type, and the original is not dropped (ManuallyDrop): ownership moves to the copy.
        let tensor =
            unsafe { std::ptr::read((&*tensor as *const GpuTensor<S>).cast::<GpuTensor<T>>()) };
        Self {
            tensor,
            _dim: PhantomData,
        }
    }

    /// The same tensor with its dimension type erased (what optimisers see).
    fn erased_mut(&mut self) -> &mut GpuArray<T, IxDyn> {
        // SAFETY: `GpuArray<T, _>` is `repr(transparent)` over `GpuTensor<T>` whatever `D` is.
        unsafe { &mut *(self as *mut Self).cast::<GpuArray<T, IxDyn>>() }
    }
}

/// Runs `$body` with `$S` the concrete scalar type that `$T` is (f32 or f64).
macro_rules! with_scalar {
    ($gpu:expr, $T:ty, $op:literal, $S:ident => $body:expr) => {
        match precision_of::<$T>() {
            Some(super::Precision::F32) => {
                type $S = f32;
                $body
            }
            Some(super::Precision::F64) => {
                type $S = f64;
                $body
            }
            None => Err(BackendError::Unsupported {
                device: $gpu.device(),
                op: $op,
                reason: "GPU kernels exist for f32 and f64 only".into(),
            }),
        }
    };
}

impl Gpu {
    /// A [`GpuError`] as the seam's error.
    fn seam_error(&self, error: GpuError) -> BackendError {
        let device = Device::Gpu(self.ctx.choice);
        match error {
            GpuError::OutOfMemory { bytes, .. } => BackendError::OutOfMemory { device, bytes },
            GpuError::Lost { reason, .. } => BackendError::DeviceLost { device, reason },
            other => BackendError::Unsupported {
                device,
                op: "gpu",
                reason: other.to_string(),
            },
        }
    }

    /// `result` with its error as the seam's.
    fn seam<R>(&self, result: Result<R, GpuError>) -> BackendResult<R> {
        result.map_err(|e| self.seam_error(e))
    }

    /// Host values of any scalar as `S` (exact: `T` is `S`).
    fn host_as<T: Scalar, S: GpuScalar, D: Dimension>(host: &ArrayView<'_, T, D>) -> Vec<S> {
        host.iter().map(|v| S::from_f64(v.as_f64())).collect()
    }
}

impl Backend for Gpu {
    type Tensor<T: Scalar, D: Dimension> = GpuArray<T, D>;
    type Indices = GpuIndices;
    type ParamMut<'a, T: Scalar> = &'a mut GpuArray<T, IxDyn>;

    fn device(&self) -> Device {
        Device::Gpu(self.ctx.choice)
    }

    fn zeros<T: Scalar, D: Dimension>(&self, dim: D) -> BackendResult<GpuArray<T, D>> {
        with_scalar!(self, T, "zeros", S => {
            let t = self.seam(self.zeros::<S>(dim.slice()))?;
            Ok(GpuArray::from_typed(t))
        })
    }

    fn upload<T: Scalar, D: Dimension>(
        &self,
        host: ArrayView<'_, T, D>,
    ) -> BackendResult<GpuArray<T, D>> {
        with_scalar!(self, T, "upload", S => {
            let data = Self::host_as::<T, S, D>(&host);
            let t = self.seam(self.upload::<S>(&data, host.shape()))?;
            Ok(GpuArray::from_typed(t))
        })
    }

    fn write<T: Scalar, D: Dimension>(
        &self,
        host: ArrayView<'_, T, D>,
        x: &mut GpuArray<T, D>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "write", S => {
            let data = Self::host_as::<T, S, D>(&host);
            self.seam(Gpu::write(self, x.typed::<S>(), &data))
        })
    }

    fn download<T: Scalar, D: Dimension>(&self, x: &GpuArray<T, D>) -> BackendResult<Array<T, D>> {
        with_scalar!(self, T, "download", S => {
            let data = self.seam(Gpu::download(self, x.typed::<S>()))?;
            let values: Vec<T> = data.into_iter().map(|v| T::from_f64(v.as_f64())).collect();
            let dim = D::from_dimension(&IxDyn(x.shape())).expect("a tensor's shape fits its D");
            Ok(Array::from_shape_vec(dim, values).expect("as many values as the shape holds"))
        })
    }

    fn upload_indices(&self, host: &[usize]) -> BackendResult<GpuIndices> {
        self.seam(Gpu::upload_indices(self, host))
    }

    fn write_indices(&self, host: &[usize], ids: &mut GpuIndices) -> BackendResult<()> {
        *ids = self.seam(Gpu::upload_indices(self, host))?;
        Ok(())
    }

    fn fill<T: Scalar, D: Dimension>(&self, x: &mut GpuArray<T, D>, value: T) -> BackendResult<()> {
        with_scalar!(self, T, "fill", S => self.seam(Gpu::fill(self, x.typed_mut::<S>(), value.as_f64())))
    }

    fn param_mut<T: Scalar, D: Dimension>(x: &mut GpuArray<T, D>) -> &mut GpuArray<T, IxDyn> {
        x.erased_mut()
    }

    fn fill_param<T: Scalar>(
        &self,
        x: &mut &mut GpuArray<T, IxDyn>,
        value: T,
    ) -> BackendResult<()> {
        Backend::fill(self, &mut **x, value)
    }

    fn zeros_like_param<T: Scalar>(
        &self,
        x: &&mut GpuArray<T, IxDyn>,
    ) -> BackendResult<GpuArray<T, IxDyn>> {
        Backend::zeros(self, IxDyn(x.shape()))
    }

    fn download_param<T: Scalar>(
        &self,
        x: &&mut GpuArray<T, IxDyn>,
    ) -> BackendResult<Array<T, IxDyn>> {
        Backend::download(self, &**x)
    }

    fn gemm<T: Scalar, DA: Dimension, DB: Dimension, DC: Dimension>(
        &self,
        alpha: T,
        a: Mat<&GpuArray<T, DA>>,
        b: Mat<&GpuArray<T, DB>>,
        beta: T,
        c: Mat<&mut GpuArray<T, DC>>,
    ) -> BackendResult<()> {
        assert!(!c.layout.trans, "gemm: the output is never transposed");
        let layout = GemmLayout::of_mats(&a.layout, &b.layout, &c.layout);
        with_scalar!(self, T, "gemm", S => self.seam(self.gemm_strided(
            S::from_f64(alpha.as_f64()),
            a.tensor.typed::<S>(),
            b.tensor.typed::<S>(),
            S::from_f64(beta.as_f64()),
            c.tensor.typed_mut::<S>(),
            &layout,
        )))
    }

    fn geam<T: Scalar, DA: Dimension, DC: Dimension>(
        &self,
        alpha: T,
        a: Mat<&GpuArray<T, DA>>,
        beta: T,
        c: Mat<&mut GpuArray<T, DC>>,
    ) -> BackendResult<()> {
        assert!(!c.layout.trans, "geam: the output is never transposed");
        let layout = GemmLayout::of_mats(&a.layout, &a.layout, &c.layout);
        with_scalar!(self, T, "geam", S => self.seam(self.geam_strided(
            S::from_f64(alpha.as_f64()),
            a.tensor.typed::<S>(),
            S::from_f64(beta.as_f64()),
            c.tensor.typed_mut::<S>(),
            &GemmLayout { m: c.layout.rows, n: c.layout.cols, ..layout },
        )))
    }

    fn activation<T: Scalar, D: Dimension>(
        &self,
        f: Activation,
        x: &GpuArray<T, D>,
        y: &mut GpuArray<T, D>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "activation", S => self.seam(self.unary(Unary::Activation(f), x.typed::<S>(), y.typed_mut::<S>())))
    }

    fn activation_backward<T: Scalar, D: Dimension>(
        &self,
        f: Activation,
        x: &GpuArray<T, D>,
        dy: &GpuArray<T, D>,
        dx: &mut GpuArray<T, D>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "activation_backward", S => self.seam(self.unary_backward(
            Unary::Activation(f),
            x.typed::<S>(),
            dy.typed::<S>(),
            dx.typed_mut::<S>(),
        )))
    }

    fn binary<T: Scalar, D: Dimension>(
        &self,
        op: Binary,
        a: &GpuArray<T, D>,
        b: &GpuArray<T, D>,
        out: &mut GpuArray<T, D>,
    ) -> BackendResult<()> {
        let op = match op {
            Binary::Add => GpuBinary::Combine { a: 1.0, b: 1.0 },
            Binary::Sub => GpuBinary::Combine { a: 1.0, b: -1.0 },
            Binary::Mul => GpuBinary::Mul,
        };
        with_scalar!(self, T, "binary", S => self.seam(Gpu::binary(self, op, a.typed::<S>(), b.typed::<S>(), out.typed_mut::<S>())))
    }

    fn axpby<T: Scalar, D: Dimension>(
        &self,
        alpha: T,
        x: &GpuArray<T, D>,
        beta: T,
        y: &mut GpuArray<T, D>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "axpby", S => self.seam(Gpu::axpby(self, alpha.as_f64(), x.typed::<S>(), beta.as_f64(), y.typed_mut::<S>())))
    }

    fn add_bias<T: Scalar, D: Dimension>(
        &self,
        bias: &GpuArray<T, Ix1>,
        inner: usize,
        beta: T,
        out: &mut GpuArray<T, D>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "add_bias", S => self.seam(self.bias_add(bias.typed::<S>(), inner, beta.as_f64(), out.typed_mut::<S>())))
    }

    fn add_channel_sums<T: Scalar, D: Dimension>(
        &self,
        x: &GpuArray<T, D>,
        inner: usize,
        acc: &mut GpuArray<T, Ix1>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "add_channel_sums", S => self.seam(Gpu::add_channel_sums(self, x.typed::<S>(), inner, acc.typed_mut::<S>())))
    }

    fn sum<T: Scalar, D: Dimension>(&self, x: &GpuArray<T, D>) -> BackendResult<T> {
        with_scalar!(self, T, "sum", S => {
            let total = self.seam(Gpu::sum(self, x.typed::<S>()))?;
            Ok(T::from_f64(total.as_f64()))
        })
    }

    fn softmax<T: Scalar, D: Dimension>(
        &self,
        x: &GpuArray<T, D>,
        y: &mut GpuArray<T, D>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "softmax", S => self.seam(Gpu::softmax(self, x.typed::<S>(), y.typed_mut::<S>())))
    }

    fn log_softmax<T: Scalar, D: Dimension>(
        &self,
        x: &GpuArray<T, D>,
        y: &mut GpuArray<T, D>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "log_softmax", S => self.seam(Gpu::log_softmax(self, x.typed::<S>(), y.typed_mut::<S>())))
    }

    fn softmax_backward<T: Scalar, D: Dimension>(
        &self,
        y: &GpuArray<T, D>,
        dy: &GpuArray<T, D>,
        dx: &mut GpuArray<T, D>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "softmax_backward", S => self.seam(Gpu::softmax_backward(self, y.typed::<S>(), dy.typed::<S>(), dx.typed_mut::<S>())))
    }

    fn log_softmax_backward<T: Scalar, D: Dimension>(
        &self,
        y: &GpuArray<T, D>,
        dy: &GpuArray<T, D>,
        dx: &mut GpuArray<T, D>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "log_softmax_backward", S => self.seam(Gpu::log_softmax_backward(self, y.typed::<S>(), dy.typed::<S>(), dx.typed_mut::<S>())))
    }

    fn mask_fill<T: Scalar, D: Dimension>(
        &self,
        mask: AttentionMask,
        value: T,
        scores: &mut GpuArray<T, D>,
    ) -> BackendResult<()> {
        let AttentionMask::Causal = mask;
        with_scalar!(self, T, "mask_fill", S => self.seam(self.mask_causal(scores.typed_mut::<S>(), value.as_f64())))
    }

    fn layer_norm<T: Scalar, D: Dimension>(
        &self,
        x: &GpuArray<T, D>,
        gamma: &GpuArray<T, Ix1>,
        beta: &GpuArray<T, Ix1>,
        eps: f64,
        y: &mut GpuArray<T, D>,
        xhat: &mut GpuArray<T, D>,
        inv_std: &mut GpuArray<T, Ix1>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "layer_norm", S => self.seam(Gpu::layer_norm(
            self,
            x.typed::<S>(),
            gamma.typed::<S>(),
            beta.typed::<S>(),
            eps,
            y.typed_mut::<S>(),
            xhat.typed_mut::<S>(),
            inv_std.typed_mut::<S>(),
        )))
    }

    fn layer_norm_backward<T: Scalar, D: Dimension>(
        &self,
        dy: &GpuArray<T, D>,
        xhat: &GpuArray<T, D>,
        inv_std: &GpuArray<T, Ix1>,
        gamma: &GpuArray<T, Ix1>,
        dx: &mut GpuArray<T, D>,
        d_gamma: &mut GpuArray<T, Ix1>,
        d_beta: &mut GpuArray<T, Ix1>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "layer_norm_backward", S => self.seam(Gpu::layer_norm_backward(
            self,
            dy.typed::<S>(),
            xhat.typed::<S>(),
            inv_std.typed::<S>(),
            gamma.typed::<S>(),
            dx.typed_mut::<S>(),
            d_gamma.typed_mut::<S>(),
            d_beta.typed_mut::<S>(),
        )))
    }

    fn cross_entropy<T: Scalar>(
        &self,
        logits: &GpuArray<T, Ix2>,
        targets: &GpuIndices,
        grad: &mut GpuArray<T, Ix2>,
    ) -> BackendResult<T> {
        with_scalar!(self, T, "cross_entropy", S => {
            let loss = self.seam(Gpu::cross_entropy(self, logits.typed::<S>(), targets, grad.typed_mut::<S>()))?;
            Ok(T::from_f64(loss.as_f64()))
        })
    }

    fn im2col<T: Scalar>(
        &self,
        x: &GpuArray<T, Ix4>,
        geom: &ConvGeometry,
        cols: &mut GpuArray<T, Ix2>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "im2col", S => self.seam(Gpu::im2col(self, x.typed::<S>(), geom, cols.typed_mut::<S>())))
    }

    fn col2im<T: Scalar>(
        &self,
        cols: &GpuArray<T, Ix2>,
        geom: &ConvGeometry,
        dx: &mut GpuArray<T, Ix4>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "col2im", S => self.seam(Gpu::col2im(self, cols.typed::<S>(), geom, dx.typed_mut::<S>())))
    }

    fn pool2d<T: Scalar>(
        &self,
        kind: Pooling,
        x: &GpuArray<T, Ix4>,
        geom: &ConvGeometry,
        y: &mut GpuArray<T, Ix4>,
        argmax: &mut GpuIndices,
    ) -> BackendResult<()> {
        if argmax.len() != y.len() {
            *argmax = self.seam(self.indices_for_output(y.len()))?;
        }
        let out = [geom.batch, geom.channels, geom.out_h, geom.out_w];
        self.seam(argmax.ids.reshape(&out))?;
        with_scalar!(self, T, "pool2d", S => self.seam(self.pool(kind, x.typed::<S>(), geom, y.typed_mut::<S>(), &mut argmax.ids)))
    }

    fn pool2d_backward<T: Scalar>(
        &self,
        kind: Pooling,
        dy: &GpuArray<T, Ix4>,
        geom: &ConvGeometry,
        argmax: &GpuIndices,
        dx: &mut GpuArray<T, Ix4>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "pool2d_backward", S => self.seam(self.pool_backward(kind, dy.typed::<S>(), &argmax.ids, geom, dx.typed_mut::<S>())))
    }

    fn gather_rows<T: Scalar>(
        &self,
        table: &GpuArray<T, Ix2>,
        ids: &GpuIndices,
        out: &mut GpuArray<T, Ix2>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "gather_rows", S => self.seam(self.embedding(table.typed::<S>(), ids, out.typed_mut::<S>())))
    }

    fn scatter_add_rows<T: Scalar>(
        &self,
        dy: &GpuArray<T, Ix2>,
        ids: &GpuIndices,
        d_table: &mut GpuArray<T, Ix2>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "scatter_add_rows", S => self.seam(self.embedding_backward(dy.typed::<S>(), ids, d_table.typed_mut::<S>())))
    }

    fn lstm_cell<T: Scalar>(
        &self,
        pre: &mut GpuArray<T, Ix2>,
        c_prev: &GpuArray<T, Ix2>,
        c: &mut GpuArray<T, Ix2>,
        tanh_c: &mut GpuArray<T, Ix2>,
        h: &mut GpuArray<T, Ix2>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "lstm_cell", S => self.seam(Gpu::lstm_cell(
            self,
            pre.typed_mut::<S>(),
            c_prev.typed::<S>(),
            c.typed_mut::<S>(),
            tanh_c.typed_mut::<S>(),
            h.typed_mut::<S>(),
        )))
    }

    fn lstm_cell_backward<T: Scalar>(
        &self,
        gates: &GpuArray<T, Ix2>,
        c_prev: &GpuArray<T, Ix2>,
        tanh_c: &GpuArray<T, Ix2>,
        dh: &GpuArray<T, Ix2>,
        dc: &mut GpuArray<T, Ix2>,
        d_pre: &mut GpuArray<T, Ix2>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "lstm_cell_backward", S => self.seam(Gpu::lstm_cell_backward(
            self,
            gates.typed::<S>(),
            c_prev.typed::<S>(),
            tanh_c.typed::<S>(),
            dh.typed::<S>(),
            dc.typed_mut::<S>(),
            d_pre.typed_mut::<S>(),
        )))
    }

    fn gru_cell<T: Scalar>(
        &self,
        gx: &GpuArray<T, Ix2>,
        gh: &GpuArray<T, Ix2>,
        h_prev: &GpuArray<T, Ix2>,
        gates: &mut GpuArray<T, Ix2>,
        h: &mut GpuArray<T, Ix2>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "gru_cell", S => self.seam(Gpu::gru_cell(
            self,
            gx.typed::<S>(),
            gh.typed::<S>(),
            h_prev.typed::<S>(),
            gates.typed_mut::<S>(),
            h.typed_mut::<S>(),
        )))
    }

    fn gru_cell_backward<T: Scalar>(
        &self,
        gates: &GpuArray<T, Ix2>,
        gh: &GpuArray<T, Ix2>,
        h_prev: &GpuArray<T, Ix2>,
        dh: &mut GpuArray<T, Ix2>,
        d_gx: &mut GpuArray<T, Ix2>,
        d_gh: &mut GpuArray<T, Ix2>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "gru_cell_backward", S => self.seam(Gpu::gru_cell_backward(
            self,
            gates.typed::<S>(),
            gh.typed::<S>(),
            h_prev.typed::<S>(),
            dh.typed_mut::<S>(),
            d_gx.typed_mut::<S>(),
            d_gh.typed_mut::<S>(),
        )))
    }

    fn sgd_update<T: Scalar>(
        &self,
        step: &SgdUpdate,
        value: &mut &mut GpuArray<T, IxDyn>,
        grad: &&mut GpuArray<T, IxDyn>,
        momentum: Option<&mut GpuArray<T, IxDyn>>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "sgd_update", S => self.seam(self.sgd_step(
            step,
            value.typed_mut::<S>(),
            grad.typed::<S>(),
            momentum.map(|m| m.typed_mut::<S>()),
        )))
    }

    fn adam_update<T: Scalar>(
        &self,
        step: &AdamUpdate,
        value: &mut &mut GpuArray<T, IxDyn>,
        grad: &&mut GpuArray<T, IxDyn>,
        m: &mut GpuArray<T, IxDyn>,
        v: &mut GpuArray<T, IxDyn>,
    ) -> BackendResult<()> {
        with_scalar!(self, T, "adam_update", S => self.seam(self.adam_step(
            step,
            value.typed_mut::<S>(),
            grad.typed::<S>(),
            m.typed_mut::<S>(),
            v.typed_mut::<S>(),
        )))
    }
}
