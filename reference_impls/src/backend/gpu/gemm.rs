//! Matrix products on the GPU (`kernels/gemm.wgsl`).

use super::context::Gpu;
use super::error::{GpuError, ensure};
use super::kernels::{Family, Kernel, Params};
use super::tensor::{GpuScalar, GpuTensor};
use crate::backend::MatLayout;

const GEMM: Kernel = Kernel::new(Family::Gemm, "gemm");
const GEAM: Kernel = Kernel::new(Family::Gemm, "geam");

/// The layout of a batched product `c ← α·op(a)·op(b) + β·c` over flat buffers: matrix `z` of
/// the batch starts at `offset + z·stride` in each buffer; `ld*` are stored row lengths.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GemmLayout {
    /// Rows of op(a) and c.
    pub m: usize,
    /// Columns of op(b) and c.
    pub n: usize,
    /// Columns of op(a), rows of op(b).
    pub k: usize,
    /// Matrices in the batch.
    pub batch: usize,
    /// op(a) = aᵀ (a stored `[K, M]`).
    pub trans_a: bool,
    /// op(b) = bᵀ (b stored `[N, K]`).
    pub trans_b: bool,
    /// Row lengths of a, b, c as stored.
    pub ld: [usize; 3],
    /// Elements between consecutive matrices of a, b, c (0 broadcasts one matrix).
    pub stride: [usize; 3],
    /// Element offsets of the first matrix in a, b, c.
    pub offset: [usize; 3],
}

impl GemmLayout {
    /// The layout of dense row-major operands: a `[batch?, M, K]` (or `[.., K, M]` transposed),
    /// b `[batch?, K, N]` (or `[.., N, K]`), where a 2-D operand is shared by the whole batch.
    pub fn dense(a: &[usize], trans_a: bool, b: &[usize], trans_b: bool) -> Option<Self> {
        let split = |shape: &[usize]| match *shape {
            [r, c] => Some((None, r, c)),
            [z, r, c] => Some((Some(z), r, c)),
            _ => None,
        };
        let (za, ra, ca) = split(a)?;
        let (zb, rb, cb) = split(b)?;
        let (m, k) = if trans_a { (ca, ra) } else { (ra, ca) };
        let (kb, n) = if trans_b { (cb, rb) } else { (rb, cb) };
        if k != kb || (za.is_some() && zb.is_some() && za != zb) {
            return None;
        }
        let batch = za.or(zb).unwrap_or(1);
        let stride_of = |z: Option<usize>, size: usize| if z.is_some() { size } else { 0 };
        Some(Self {
            m,
            n,
            k,
            batch,
            trans_a,
            trans_b,
            ld: [ca, cb, n],
            stride: [stride_of(za, ra * ca), stride_of(zb, rb * cb), m * n],
            offset: [0; 3],
        })
    }

    /// The layout of the seam's `c ← α·op(a)·op(b) + β·c` on [`MatLayout`]s: c's batch, a
    /// batch of 1 in a or b shared by every matrix of c.
    pub fn of_mats(a: &MatLayout, b: &MatLayout, c: &MatLayout) -> Self {
        let stride = |l: &MatLayout| if l.batch == 1 { 0 } else { l.batch_stride };
        let (m, k) = a.op_shape();
        Self {
            m,
            n: c.cols,
            k,
            batch: c.batch,
            trans_a: a.trans,
            trans_b: b.trans,
            ld: [a.row_stride, b.row_stride, c.row_stride],
            stride: [stride(a), stride(b), c.batch_stride],
            offset: [a.offset, b.offset, c.offset],
        }
    }

    /// The shape of c: `[M, N]`, or `[batch, M, N]` when an operand is batched.
    pub fn output_shape(&self, batched: bool) -> Vec<usize> {
        if batched {
            vec![self.batch, self.m, self.n]
        } else {
            vec![self.m, self.n]
        }
    }

    /// One past the last element each operand reads (a, b, c).
    fn extents(&self) -> [usize; 3] {
        let last = |stride: usize, rows: usize, ld: usize, cols: usize, offset: usize| {
            if rows == 0 || cols == 0 || self.batch == 0 {
                0
            } else {
                offset + (self.batch - 1) * stride + (rows - 1) * ld + cols
            }
        };
        let (ra, ca) = if self.trans_a {
            (self.k, self.m)
        } else {
            (self.m, self.k)
        };
        let (rb, cb) = if self.trans_b {
            (self.n, self.k)
        } else {
            (self.k, self.n)
        };
        [
            last(self.stride[0], ra, self.ld[0], ca, self.offset[0]),
            last(self.stride[1], rb, self.ld[1], cb, self.offset[1]),
            last(self.stride[2], self.m, self.ld[2], self.n, self.offset[2]),
        ]
    }
}

impl Gpu {
    /// `c ← α·op(a)·op(b) + β·c` for dense row-major operands (see [`GemmLayout::dense`]); c has
    /// the shape of the product. With β = 0, c's previous contents are ignored.
    #[allow(clippy::too_many_arguments)]
    pub fn gemm<T: GpuScalar>(
        &self,
        alpha: T,
        a: &GpuTensor<T>,
        trans_a: bool,
        b: &GpuTensor<T>,
        trans_b: bool,
        beta: T,
        c: &mut GpuTensor<T>,
    ) -> Result<(), GpuError> {
        let layout = GemmLayout::dense(a.shape(), trans_a, b.shape(), trans_b);
        let batched = a.shape().len() == 3 || b.shape().len() == 3;
        let fits = layout.is_some_and(|l| c.shape() == l.output_shape(batched).as_slice());
        ensure(fits, "gemm", || {
            format!(
                "a {:?}{}, b {:?}{}, c {:?} do not make a product",
                a.shape(),
                if trans_a { "ᵀ" } else { "" },
                b.shape(),
                if trans_b { "ᵀ" } else { "" },
                c.shape()
            )
        })?;
        self.gemm_strided(alpha, a, b, beta, c, &layout.expect("checked"))
    }

    /// `c ← α·op(a)·op(b) + β·c` over any [`GemmLayout`] (views at offsets, strided batches).
    pub fn gemm_strided<T: GpuScalar>(
        &self,
        alpha: T,
        a: &GpuTensor<T>,
        b: &GpuTensor<T>,
        beta: T,
        c: &mut GpuTensor<T>,
        l: &GemmLayout,
    ) -> Result<(), GpuError> {
        let [ea, eb, ec] = l.extents();
        ensure(
            ea <= a.len() && eb <= b.len() && ec <= c.len(),
            "gemm",
            || {
                format!(
                    "{l:?} reads past a ({}), b ({}) or c ({})",
                    a.len(),
                    b.len(),
                    c.len()
                )
            },
        )?;
        if l.m == 0 || l.n == 0 || l.batch == 0 {
            return Ok(());
        }
        let params = Params::default()
            .ints(&[
                l.m,
                l.n,
                l.k,
                l.ld[0],
                l.ld[1],
                l.ld[2],
                usize::from(l.trans_a),
                usize::from(l.trans_b),
                l.stride[0],
                l.stride[1],
                l.stride[2],
                l.offset[0],
                l.offset[1],
                l.offset[2],
            ])
            .reals(&[alpha.as_f64(), beta.as_f64()]);
        let groups = [
            l.n.div_ceil(64) as u32,
            l.m.div_ceil(64) as u32,
            l.batch as u32,
        ];
        self.ctx.launch(
            GEMM,
            T::PRECISION,
            params,
            &[(1, a.buffer()), (2, b.buffer()), (3, c.buffer())],
            groups,
        )
    }

    /// `c ← α·op(a) + β·c` for each matrix of a batch (copy a block, accumulate, transpose):
    /// op(a) and c are M×N (`l.k` is ignored); a is read as `l.trans_a`, `l.ld[0]`,
    /// `l.stride[0]`, `l.offset[0]`, c as `l.ld[2]`, `l.stride[2]`, `l.offset[2]`.
    pub fn geam_strided<T: GpuScalar>(
        &self,
        alpha: T,
        a: &GpuTensor<T>,
        beta: T,
        c: &mut GpuTensor<T>,
        l: &GemmLayout,
    ) -> Result<(), GpuError> {
        let [ea, _, ec] = GemmLayout { k: l.n, ..*l }.extents();
        ensure(ea <= a.len() && ec <= c.len(), "geam", || {
            format!("{l:?} reads past a ({}) or c ({})", a.len(), c.len())
        })?;
        let count = l.m * l.n * l.batch;
        let params = Params::default()
            .ints(&[
                l.m,
                l.n,
                0,
                l.ld[0],
                0,
                l.ld[2],
                usize::from(l.trans_a),
                0,
                l.stride[0],
                0,
                l.stride[2],
                l.offset[0],
                0,
                l.offset[2],
                l.batch,
            ])
            .reals(&[alpha.as_f64(), beta.as_f64()]);
        self.ctx.launch(
            GEAM,
            T::PRECISION,
            params,
            &[(1, a.buffer()), (3, c.buffer())],
            super::kernels::grid_1d(count),
        )
    }
}
