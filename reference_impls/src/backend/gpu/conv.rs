//! Convolution (im2col + GEMM) and pooling on the GPU (`kernels/conv.wgsl`, `kernels/pool.wgsl`).

use super::context::Gpu;
use super::error::{GpuError, ensure};
use super::kernels::{Family, Kernel, Params, grid_1d};
use super::tensor::{GpuScalar, GpuTensor};
use crate::backend::{ConvGeometry, Pooling};

fn geometry_params(g: &ConvGeometry) -> Params {
    Params::default().ints(&[
        g.batch, g.channels, g.height, g.width, g.kernel_h, g.kernel_w, g.stride, g.padding,
        g.out_h, g.out_w,
    ])
}

/// Fails unless `t` has `shape`.
fn expect_shape<T: GpuScalar>(
    op: &'static str,
    what: &str,
    t: &GpuTensor<T>,
    shape: &[usize],
) -> Result<(), GpuError> {
    ensure(t.shape() == shape, op, || {
        format!("{what} is {:?}, expected {shape:?}", t.shape())
    })
}

impl Gpu {
    /// Unfolds the patches of x `[N, C, H, W]` into cols `[C·kH·kW, N·OH·OW]`.
    pub fn im2col<T: GpuScalar>(
        &self,
        x: &GpuTensor<T>,
        g: &ConvGeometry,
        cols: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        expect_shape("im2col", "x", x, &[g.batch, g.channels, g.height, g.width])?;
        expect_shape("im2col", "cols", cols, &[g.patch_len(), g.positions()])?;
        self.ctx.launch(
            Kernel::new(Family::Conv, "im2col"),
            T::PRECISION,
            geometry_params(g),
            &[(1, x.buffer()), (2, cols.buffer())],
            grid_1d(cols.len()),
        )
    }

    /// The adjoint of [`Gpu::im2col`]: adds cols back into dx `[N, C, H, W]` (accumulated).
    pub fn col2im<T: GpuScalar>(
        &self,
        cols: &GpuTensor<T>,
        g: &ConvGeometry,
        dx: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        expect_shape("col2im", "cols", cols, &[g.patch_len(), g.positions()])?;
        expect_shape(
            "col2im",
            "dx",
            dx,
            &[g.batch, g.channels, g.height, g.width],
        )?;
        self.ctx.launch(
            Kernel::new(Family::Conv, "col2im"),
            T::PRECISION,
            geometry_params(g),
            &[(1, cols.buffer()), (2, dx.buffer())],
            grid_1d(dx.len()),
        )
    }

    /// Pools x `[N, C, H, W]` into y `[N, C, OH, OW]` (the geometry's kernel, stride and
    /// padding); for max pooling, `argmax` `[N, C, OH, OW]` receives each maximum's h·W + w.
    pub fn pool<T: GpuScalar>(
        &self,
        how: Pooling,
        x: &GpuTensor<T>,
        g: &ConvGeometry,
        y: &mut GpuTensor<T>,
        argmax: &mut GpuTensor<u32>,
    ) -> Result<(), GpuError> {
        let out = [g.batch, g.channels, g.out_h, g.out_w];
        expect_shape("pool", "x", x, &[g.batch, g.channels, g.height, g.width])?;
        expect_shape("pool", "y", y, &out)?;
        let mut buffers = vec![(1, x.buffer()), (2, y.buffer())];
        let entry = match how {
            Pooling::Max => {
                ensure(argmax.shape() == out, "pool", || {
                    format!("argmax is {:?}, expected {out:?}", argmax.shape())
                })?;
                buffers.push((3, argmax.buffer()));
                "max_pool"
            }
            Pooling::Avg => "avg_pool",
        };
        self.ctx.launch(
            Kernel::new(Family::Pool, entry),
            T::PRECISION,
            geometry_params(g),
            &buffers,
            grid_1d(y.len()),
        )
    }

    /// The adjoint of [`Gpu::pool`]: dx `[N, C, H, W]` (overwritten) from dy `[N, C, OH, OW]`.
    pub fn pool_backward<T: GpuScalar>(
        &self,
        how: Pooling,
        dy: &GpuTensor<T>,
        argmax: &GpuTensor<u32>,
        g: &ConvGeometry,
        dx: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let out = [g.batch, g.channels, g.out_h, g.out_w];
        expect_shape("pool_backward", "dy", dy, &out)?;
        expect_shape(
            "pool_backward",
            "dx",
            dx,
            &[g.batch, g.channels, g.height, g.width],
        )?;
        let is_max = how == Pooling::Max;
        // The kernel reads argmax only for max pooling, but binds it always.
        let buffers = [(1, dy.buffer()), (2, dx.buffer()), (4, argmax.buffer())];
        let mut params = geometry_params(g);
        params.set_int(10, usize::from(is_max));
        self.ctx.launch(
            Kernel::new(Family::Pool, "pool_backward"),
            T::PRECISION,
            params,
            &buffers,
            grid_1d(dx.len()),
        )
    }
}
