//! 2-D max and average pooling over NCHW, kernel k, stride s, zero padding p, floor mode (a last
//! row or column that does not fill a window is dropped), as PyTorch's `max_pool2d`/`avg_pool2d`.
//!
//! Legend: N batch, C channels, H×W input, OH×OW output, (i, j) an output position whose window
//! covers rows i·s − p … i·s − p + k − 1 (and likewise columns).
//!
//! ```text
//! max: y[n, c, i, j] = max over the window of x;     dx gets dy at the arg-max (first one on ties)
//! avg: y[n, c, i, j] = (Σ over the window of x)/k²;   dx gets dy/k² at every window position
//! ```
//! Average pooling counts padded zeros in its k² (PyTorch's `count_include_pad=True`).

use ndarray::Ix4;

use super::ShapeError;
use crate::backend::{Backend, BackendResult, ConvGeometry, Cpu, Shaped, reuse_on};
use crate::scalar::Scalar;

/// Which reduction a pooling window applies: the backend's [`Pooling`] (`Max`, `Avg`).
pub use crate::backend::Pooling as PoolKind;

/// A 2-D pooling layer (no parameters) on backend `B` (the CPU unless said otherwise).
#[derive(Clone, Debug)]
pub struct Pool2d<T: Scalar, B: Backend = Cpu> {
    /// Where the tensors live and the windows are reduced.
    backend: B,
    /// Max or average.
    pub kind: PoolKind,
    /// k, the square window's side.
    pub kernel: usize,
    /// s, the step between windows.
    pub stride: usize,
    /// p, implicit padding on all four sides (max pooling ignores it, average counts zeros).
    pub padding: usize,
    /// The geometry of the latest forward.
    geom: Option<ConvGeometry>,
    /// For max pooling, the flat (h·W + w) input index of each output's maximum: `[N, C, OH, OW]`
    argmax: B::Indices,
    /// y: `[N, C, OH, OW]`
    output: B::Tensor<T, Ix4>,
    /// dx: `[N, C, H, W]`
    grad_input: B::Tensor<T, Ix4>,
}

impl<T: Scalar> Pool2d<T> {
    /// A CPU pooling layer of `kind` with window `kernel`, `stride` and `padding`.
    pub fn new(kind: PoolKind, kernel: usize, stride: usize, padding: usize) -> Self {
        Self::new_on(&Cpu, kind, kernel, stride, padding).expect("the CPU backend does not fail")
    }

    /// CPU max pooling with window `kernel` and `stride`, no padding.
    pub fn max(kernel: usize, stride: usize) -> Self {
        Self::new(PoolKind::Max, kernel, stride, 0)
    }

    /// CPU average pooling with window `kernel` and `stride`, no padding.
    pub fn avg(kernel: usize, stride: usize) -> Self {
        Self::new(PoolKind::Avg, kernel, stride, 0)
    }
}

impl<T: Scalar, B: Backend> Pool2d<T, B> {
    /// A pooling layer on `backend` of `kind` with window `kernel`, `stride` and `padding`.
    pub fn new_on(
        backend: &B,
        kind: PoolKind,
        kernel: usize,
        stride: usize,
        padding: usize,
    ) -> BackendResult<Self> {
        Ok(Self {
            backend: backend.clone(),
            kind,
            kernel,
            stride,
            padding,
            geom: None,
            argmax: backend.upload_indices(&[])?,
            output: backend.zeros(Ix4(0, 0, 0, 0))?,
            grad_input: backend.zeros(Ix4(0, 0, 0, 0))?,
        })
    }

    /// The geometry for an input `[N, C, H, W]`, or an error when the window does not fit or the
    /// padding is more than half the window (PyTorch's rule).
    pub fn geometry(&self, input: [usize; 4]) -> Result<ConvGeometry, ShapeError> {
        let k = self.kernel;
        let fits = 2 * self.padding <= k;
        ConvGeometry::new(input, (k, k), self.stride, self.padding)
            .filter(|_| fits)
            .ok_or_else(|| ShapeError {
                what: format!(
                    "pool2d input for window {k}, stride {}, padding {} (padding at most half the window)",
                    self.stride, self.padding
                ),
                expected: vec![input[0], input[1], k, k],
                got: input.to_vec(),
            })
    }

    /// y `[N, C, OH, OW]` for x `[N, C, H, W]`.
    pub fn forward(&mut self, x: &B::Tensor<T, Ix4>) -> BackendResult<&B::Tensor<T, Ix4>> {
        let s = x.shape();
        let g = self
            .geometry([s[0], s[1], s[2], s[3]])
            .unwrap_or_else(|e| panic!("{e}"));
        let be = &self.backend;
        let y = reuse_on(
            be,
            &mut self.output,
            Ix4(g.batch, g.channels, g.out_h, g.out_w),
        )?;
        be.pool2d(self.kind, x, &g, y, &mut self.argmax)?;
        self.geom = Some(g);
        Ok(&self.output)
    }

    /// dx `[N, C, H, W]` for `dy` `[N, C, OH, OW]`.
    pub fn backward(&mut self, dy: &B::Tensor<T, Ix4>) -> BackendResult<&B::Tensor<T, Ix4>> {
        let g = self.geom.expect("pool2d: backward before forward");
        assert_eq!(dy.shape(), self.output.shape(), "pool2d: grad_output shape");
        let be = &self.backend;
        let dim = Ix4(g.batch, g.channels, g.height, g.width);
        let dx = reuse_on(be, &mut self.grad_input, dim)?;
        be.pool2d_backward(self.kind, dy, &g, &self.argmax, dx)?;
        Ok(&self.grad_input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array4;

    #[test]
    fn odd_sizes_drop_the_last_row_and_column() {
        let x = Array4::from_shape_fn((1, 1, 5, 5), |(_, _, h, w)| (h * 5 + w) as f64);
        let mut max = Pool2d::max(2, 2);
        let y = max.forward(&x).unwrap().to_owned();
        assert_eq!(y.shape(), &[1, 1, 2, 2]);
        assert_eq!(y[[0, 0, 1, 1]], 18.0);
        let mut avg = Pool2d::avg(2, 2);
        assert_eq!(avg.forward(&x).unwrap()[[0, 0, 0, 0]], 3.0);
    }

    #[test]
    fn max_pool_routes_the_gradient_to_the_maximum() {
        let x = Array4::from_shape_vec((1, 1, 2, 2), vec![1.0, 4.0, 3.0, 2.0]).unwrap();
        let mut pool = Pool2d::max(2, 2);
        pool.forward(&x).unwrap();
        let dx = pool
            .backward(&Array4::from_elem((1, 1, 1, 1), 5.0))
            .unwrap();
        assert_eq!(
            dx.iter().copied().collect::<Vec<_>>(),
            vec![0.0, 5.0, 0.0, 0.0]
        );
    }
}
