//! Tensors in GPU memory: a buffer, its shape, and the transfers between it and the host.

use std::marker::PhantomData;
use std::sync::Arc;

use super::context::{Context, Gpu};
use super::error::{GpuError, ensure};
use super::kernels::Precision;
use crate::scalar::Scalar;

/// A type a GPU buffer can hold: a plain value of 4 or 8 bytes.
pub trait Element: bytemuck::Pod + Send + Sync + 'static {}

impl Element for f32 {}
impl Element for f64 {}
impl Element for u32 {}

/// A float the kernels compute in: `f32`, or `f64` on adapters with `SHADER_F64`.
pub trait GpuScalar: Scalar + Element {
    /// The kernels' precision for this type.
    const PRECISION: Precision;
}

impl GpuScalar for f32 {
    const PRECISION: Precision = Precision::F32;
}

impl GpuScalar for f64 {
    const PRECISION: Precision = Precision::F64;
}

/// A buffer of the device with the shape it holds; it goes back to the device's pool when dropped.
pub(crate) struct Raw {
    buffer: Option<wgpu::Buffer>,
    shape: Vec<usize>,
    ctx: Arc<Context>,
}

impl Drop for Raw {
    fn drop(&mut self) {
        if let Some(buffer) = self.buffer.take() {
            self.ctx.recycle(buffer);
        }
    }
}

/// A row-major tensor of `E` in GPU memory.
///
/// `repr(transparent)` over an untyped buffer: the element type is only a marker, so that
/// [`GpuTensor::cast`] can view a tensor of a generic scalar as the f32 or f64 tensor it is.
#[repr(transparent)]
pub struct GpuTensor<E> {
    raw: Raw,
    _element: PhantomData<E>,
}

impl<E> Clone for GpuTensor<E> {
    /// A copy in a new device buffer. `Clone` cannot fail, so a device that cannot hold the copy
    /// panics here with the device's message; use [`Gpu::duplicate`] to get the error instead
    /// (training steps copy nothing).
    fn clone(&self) -> Self {
        self.duplicate()
            .unwrap_or_else(|e| panic!("copying a GPU tensor: {e}"))
    }
}

impl<E> std::fmt::Debug for GpuTensor<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuTensor")
            .field("shape", &self.shape())
            .finish()
    }
}

impl<E> GpuTensor<E> {
    /// Its shape.
    pub fn shape(&self) -> &[usize] {
        &self.raw.shape
    }

    /// Its number of elements.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// Whether it has no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same data under another shape with as many elements.
    pub fn reshape(&mut self, shape: &[usize]) -> Result<(), GpuError> {
        let len = self.len();
        ensure(shape.iter().product::<usize>() == len, "reshape", || {
            format!("{shape:?} has not the {len} elements of {:?}", self.shape())
        })?;
        self.raw.shape = shape.to_vec();
        Ok(())
    }

    pub(crate) fn buffer(&self) -> &wgpu::Buffer {
        self.raw
            .buffer
            .as_ref()
            .expect("a live tensor owns its buffer")
    }

    /// A copy in a new buffer of the same device.
    fn duplicate(&self) -> Result<GpuTensor<E>, GpuError> {
        let ctx = &self.raw.ctx;
        let bytes = self.buffer().size();
        let buffer = ctx.buffer(bytes)?;
        ctx.copy(self.buffer(), &buffer, bytes)?;
        Ok(GpuTensor {
            raw: Raw {
                buffer: Some(buffer),
                shape: self.raw.shape.clone(),
                ctx: Arc::clone(ctx),
            },
            _element: PhantomData,
        })
    }

    /// The same tensor seen with element type `F`; the caller checks that `F` is the type the
    /// buffer holds (the generic backend does, by `TypeId`).
    pub(crate) fn cast<F>(&self) -> &GpuTensor<F> {
        // SAFETY: `GpuTensor<_>` is `repr(transparent)` over `Raw` whatever its marker type.
        unsafe { &*(self as *const Self).cast::<GpuTensor<F>>() }
    }

    /// [`GpuTensor::cast`] for a mutable borrow.
    pub(crate) fn cast_mut<F>(&mut self) -> &mut GpuTensor<F> {
        // SAFETY: as in `cast`.
        unsafe { &mut *(self as *mut Self).cast::<GpuTensor<F>>() }
    }
}

/// Bytes a buffer of `len` elements of `E` takes (never 0: wgpu cannot bind an empty buffer).
fn bytes_for<E: Element>(len: usize) -> u64 {
    (len.max(1) * std::mem::size_of::<E>()) as u64
}

impl Gpu {
    /// A tensor of `shape` whose contents are unspecified (for outputs every element of which a
    /// kernel writes).
    pub fn uninit<E: Element>(&self, shape: &[usize]) -> Result<GpuTensor<E>, GpuError> {
        let len: usize = shape.iter().product();
        ensure(u32::try_from(len).is_ok(), "alloc", || {
            format!("{shape:?} has more than 2³² elements")
        })?;
        Ok(GpuTensor {
            raw: Raw {
                buffer: Some(self.ctx.buffer(bytes_for::<E>(len))?),
                shape: shape.to_vec(),
                ctx: Arc::clone(&self.ctx),
            },
            _element: PhantomData,
        })
    }

    /// A copy of `data` (row-major, `shape`) in GPU memory.
    pub fn upload<E: Element>(
        &self,
        data: &[E],
        shape: &[usize],
    ) -> Result<GpuTensor<E>, GpuError> {
        ensure(
            shape.iter().product::<usize>() == data.len(),
            "upload",
            || format!("{} values for shape {shape:?}", data.len()),
        )?;
        let tensor = self.uninit(shape)?;
        self.write(&tensor, data)?;
        Ok(tensor)
    }

    /// Overwrites `tensor` with `data` (as many elements).
    pub fn write<E: Element>(&self, tensor: &GpuTensor<E>, data: &[E]) -> Result<(), GpuError> {
        ensure(data.len() == tensor.len(), "write", || {
            format!("{} values for shape {:?}", data.len(), tensor.shape())
        })?;
        if data.is_empty() {
            return Ok(());
        }
        self.ctx.write(tensor.buffer(), bytemuck::cast_slice(data))
    }

    /// A copy of `tensor` in a new buffer.
    pub fn duplicate<E>(&self, tensor: &GpuTensor<E>) -> Result<GpuTensor<E>, GpuError> {
        tensor.duplicate()
    }

    /// The tensor's values on the host, after every launch recorded so far has run.
    pub fn download<E: Element>(&self, tensor: &GpuTensor<E>) -> Result<Vec<E>, GpuError> {
        if tensor.is_empty() {
            return Ok(Vec::new());
        }
        let bytes = self.ctx.read(
            tensor.buffer(),
            (tensor.len() * std::mem::size_of::<E>()) as u64,
        )?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }
}
