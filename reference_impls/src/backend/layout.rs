//! How an op sees a matrix inside a backend tensor: [`Mat`], a tensor with a [`MatLayout`]
//! (offset, sizes, row stride, transpose, strided batch), as cuBLAS's `gemmStridedBatched` does.
//!
//! Backend tensors are always contiguous and row-major, so a layout is plain arithmetic on the
//! tensor's shape: the last two axes are the matrix, the leading axes a batch; [`Mat::rows`],
//! [`Mat::cols`] pick a block (attention's projections, an LSTM's gates, one time step).

use std::ops::Range;

/// Anything with a row-major shape: every backend tensor.
pub trait Shaped {
    /// The sizes of the axes, outermost first.
    fn shape(&self) -> &[usize];

    /// The number of elements.
    fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// True when the tensor holds no element.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<X: Shaped + ?Sized> Shaped for &X {
    fn shape(&self) -> &[usize] {
        (**self).shape()
    }
}

impl<X: Shaped + ?Sized> Shaped for &mut X {
    fn shape(&self) -> &[usize] {
        (**self).shape()
    }
}

/// Where a batch of matrices lies in a flat row-major buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatLayout {
    /// Index of the first element of the first matrix.
    pub offset: usize,
    /// Rows of each stored matrix (before any transpose).
    pub rows: usize,
    /// Columns of each stored matrix (before any transpose).
    pub cols: usize,
    /// Distance between two rows (≥ `cols`).
    pub row_stride: usize,
    /// Number of matrices.
    pub batch: usize,
    /// Distance between two matrices of the batch.
    pub batch_stride: usize,
    /// The op reads the matrix transposed: `[cols, rows]`.
    pub trans: bool,
}

impl MatLayout {
    /// The whole buffer of `shape` as matrices: the last two axes are the matrix, the others a
    /// batch; a vector is one row.
    pub fn of_shape(shape: &[usize]) -> Self {
        let (rows, cols) = match shape {
            [] => (1, 1),
            [n] => (1, *n),
            [.., r, c] => (*r, *c),
        };
        let batch = shape.iter().rev().skip(2).product();
        Self {
            offset: 0,
            rows,
            cols,
            row_stride: cols,
            batch,
            batch_stride: rows * cols,
            trans: false,
        }
    }

    /// `[rows, cols]` as the op reads it (after the transpose).
    pub fn op_shape(&self) -> (usize, usize) {
        if self.trans {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }
}

/// A tensor (`&B::Tensor` or `&mut B::Tensor`) seen as a batch of matrices.
#[derive(Debug)]
pub struct Mat<R> {
    /// The tensor.
    pub tensor: R,
    /// Where its matrices lie.
    pub layout: MatLayout,
}

impl<R: Shaped> Mat<R> {
    /// The whole tensor: last two axes as the matrix, leading axes as the batch.
    pub fn of(tensor: R) -> Self {
        let layout = MatLayout::of_shape(tensor.shape());
        Self { tensor, layout }
    }

    /// The whole tensor as one `[len/cols, cols]` matrix (a `[B, T, C]` sequence as `[B·T, C]`).
    pub fn flat(tensor: R, cols: usize) -> Self {
        let len = tensor.len();
        let rows = len.checked_div(cols).unwrap_or(0);
        let layout = MatLayout {
            offset: 0,
            rows,
            cols,
            row_stride: cols,
            batch: 1,
            batch_stride: rows * cols,
            trans: false,
        };
        Self { tensor, layout }
    }
}

impl<R> Mat<R> {
    /// The same matrices transposed.
    pub fn t(mut self) -> Self {
        self.layout.trans = !self.layout.trans;
        self
    }

    /// Rows `range` of each stored matrix (attention's q, k, v blocks of `in_proj_weight`).
    pub fn rows(mut self, range: Range<usize>) -> Self {
        let l = &mut self.layout;
        assert!(
            range.end <= l.rows,
            "rows {range:?} of a {}-row matrix",
            l.rows
        );
        l.offset += range.start * l.row_stride;
        l.rows = range.len();
        self
    }

    /// Columns `range` of each stored matrix (an LSTM's gate block, one head of a projection).
    pub fn cols(mut self, range: Range<usize>) -> Self {
        let l = &mut self.layout;
        assert!(
            range.end <= l.cols,
            "columns {range:?} of a {}-column matrix",
            l.cols
        );
        l.offset += range.start;
        l.cols = range.len();
        self
    }

    /// A batch of `count` matrices `stride` elements apart, starting at this one (the heads of
    /// a `[B, T, h·d]` projection: `count = h`, `stride = d`, with a row stride of `h·d`).
    pub fn batched(mut self, count: usize, stride: usize) -> Self {
        self.layout.batch = count;
        self.layout.batch_stride = stride;
        self
    }

    /// Matrix `[rows, cols]` with rows `row_stride` apart, at `offset` (a time step of a
    /// `[B, T, C]` sequence: `rows = B`, `row_stride = T·C`, `offset = t·C`).
    pub fn strided(mut self, offset: usize, rows: usize, cols: usize, row_stride: usize) -> Self {
        self.layout = MatLayout {
            offset,
            rows,
            cols,
            row_stride,
            batch: 1,
            batch_stride: rows * row_stride,
            trans: false,
        };
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_axes_are_the_batch() {
        let l = MatLayout::of_shape(&[2, 3, 4, 5]);
        assert_eq!((l.batch, l.rows, l.cols, l.batch_stride), (6, 4, 5, 20));
        assert_eq!(MatLayout::of_shape(&[7]).op_shape(), (1, 7));
    }
}
