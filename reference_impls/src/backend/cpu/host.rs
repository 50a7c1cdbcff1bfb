//! The CPU kernels on host ndarray views: what [`super::Cpu`] runs for each op of the seam.
//!
//! Legend: N batch, C channels, H×W image, kH×kW kernel, OH×OW output image, M×K·K×P matrix shapes.

use ndarray::{
    ArrayView, ArrayView1, ArrayView2, ArrayView4, ArrayViewD, ArrayViewMut, ArrayViewMut1,
    ArrayViewMut2, ArrayViewMut4, ArrayViewMutD, Axis, Dimension, Zip, s,
};

use super::simd::{self, vectorised};
use crate::backend::{AdamUpdate, ConvGeometry, Pooling, SgdUpdate};
use crate::scalar::Scalar;

/// Multiply-adds (M·K·P) from which a product is split across the rayon pool: below, waking the
/// threads costs more than it saves (measured on 2 cores: the MLP step's 128×784·784×256 ran at
/// 120,000 samples/s split in two and 153,000 on one thread).
const PARALLEL_GEMM_WORK: usize = 1 << 26;

/// General matrix product `c ← α·op(a)·op(b) + β·c`, where `op(m)` is `mᵀ` when the matching
/// `trans_*` flag is set. Shapes: op(a) `[M, K]`, op(b) `[K, P]`, c `[M, P]`.
///
/// Runs on the `gemm` crate's kernels (AVX-512 or AVX2/FMA, picked at run time), on the rayon
/// pool when it has more than one thread and the product is large enough to split.
#[allow(clippy::too_many_arguments)]
pub fn gemm<T: Scalar>(
    alpha: T,
    a: ArrayView2<'_, T>,
    trans_a: bool,
    b: ArrayView2<'_, T>,
    trans_b: bool,
    beta: T,
    mut c: ArrayViewMut2<'_, T>,
) {
    // A transposed view is free: its strides swap, and the kernels take any strides.
    let a = if trans_a { a.reversed_axes() } else { a };
    let b = if trans_b { b.reversed_axes() } else { b };
    let ((m, k), (k_b, p)) = (a.dim(), b.dim());
    assert!(
        k == k_b && c.dim() == (m, p),
        "gemm: [{m}, {k}]·[{k_b}, {p}] into {:?}",
        c.dim()
    );
    let threads = rayon::current_num_threads();
    let parallelism = if threads > 1 && m * k * p >= PARALLEL_GEMM_WORK {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    let (sa, sb) = (a.strides(), b.strides());
    let (c_rs, c_cs) = (c.strides()[0], c.strides()[1]);
    // SAFETY: every pointer and stride describes a live view of the asserted shape, and `c`
    // is borrowed mutably, so it overlaps neither input. `gemm` computes
    // dst ← α_dst·dst + β_prod·lhs·rhs, reading dst only when asked: ours is β·c + α·a·b.
    unsafe {
        gemm::gemm(
            m,
            p,
            k,
            c.as_mut_ptr(),
            c_cs,
            c_rs,
            beta != T::zero(),
            a.as_ptr(),
            sa[1],
            sa[0],
            b.as_ptr(),
            sb[1],
            sb[0],
            beta,
            alpha,
            false,
            false,
            false,
            parallelism,
        );
    }
}

// The element loops run over plain slices when the arrays are row-major: a loop the
// compiler inlines into the caller and vectorises (through ndarray's general iteration it
// stays a call per element).
/// Element-wise `out[i] = f(x[i])`; `x` and `out` have one shape.
#[inline]
pub fn map<T: Scalar, D: Dimension, F: Fn(T) -> T>(
    x: ArrayView<'_, T, D>,
    mut out: ArrayViewMut<'_, T, D>,
    f: F,
) {
    assert_eq!(x.shape(), out.shape(), "map: shapes differ");
    match (x.as_slice(), out.as_slice_mut()) {
        (Some(xs), Some(os)) => os.iter_mut().zip(xs).for_each(|(o, &v)| *o = f(v)),
        _ => out.zip_mut_with(&x, |o, &v| *o = f(v)),
    }
}

/// Element-wise `out[i] = f(a[i], b[i])`; the three arrays have one shape.
#[inline]
pub fn zip_map<T: Scalar, D: Dimension, F: Fn(T, T) -> T>(
    a: ArrayView<'_, T, D>,
    b: ArrayView<'_, T, D>,
    mut out: ArrayViewMut<'_, T, D>,
    f: F,
) {
    assert!(
        a.shape() == b.shape() && a.shape() == out.shape(),
        "zip_map: shapes differ"
    );
    match (a.as_slice(), b.as_slice(), out.as_slice_mut()) {
        (Some(us), Some(vs), Some(os)) => {
            for ((o, &u), &v) in os.iter_mut().zip(us).zip(vs) {
                *o = f(u, v);
            }
        }
        _ => Zip::from(out)
            .and(&a)
            .and(&b)
            .for_each(|o, &u, &v| *o = f(u, v)),
    }
}

/// Column sums accumulated: `acc[j] += Σ_i x[i, j]` (the bias gradient of a linear layer).
pub fn add_column_sums<T: Scalar>(x: ArrayView2<'_, T>, mut acc: ArrayViewMut1<'_, T>) {
    // acc[j] += Σ_i x[i, j], row by row so the inner loop runs along contiguous memory.
    for row in x.rows() {
        acc.zip_mut_with(&row, |a, &v| *a += v);
    }
}

vectorised! {
    /// Softmax along the last axis: `out = exp(x − max) / Σ exp(x − max)`, row by row.
    pub fn softmax_last_axis<T: Scalar, D: Dimension>(
        x: ArrayView<'_, T, D>,
        out: ArrayViewMut<'_, T, D>,
    ) {
        simd::each_row(x.view(), x.view(), out, |x, _, y| {
            let total = simd::exp_shifted(x, simd::max(x), y);
            let inv = T::one() / total;
            y.iter_mut().for_each(|e| *e *= inv);
        });
    }
}

vectorised! {
    /// Log-softmax along the last axis: `out = x − max − log Σ exp(x − max)`, row by row.
    pub fn log_softmax_last_axis<T: Scalar, D: Dimension>(
        x: ArrayView<'_, T, D>,
        out: ArrayViewMut<'_, T, D>,
    ) {
        simd::each_row(x.view(), x.view(), out, |x, _, y| {
            let max = simd::max(x);
            let shift = max + simd::exp_shifted(x, max, y).ln(); // y is scratch here
            for (o, &v) in y.iter_mut().zip(x) {
                *o = v - shift;
            }
        });
    }
}

vectorised! {
    /// The adjoint of softmax along the last axis, from its output `y`:
    /// `dx = y ⊙ (dy − Σ_j dy_j·y_j)`, row by row.
    pub fn softmax_backward_last_axis<T: Scalar, D: Dimension>(
        y: ArrayView<'_, T, D>,
        dy: ArrayView<'_, T, D>,
        dx: ArrayViewMut<'_, T, D>,
    ) {
        simd::each_row(y, dy, dx, |y, dy, dx| {
            let dot = simd::dot(y, dy);
            for ((d, &p), &g) in dx.iter_mut().zip(y).zip(dy) {
                *d = p * (g - dot);
            }
        });
    }
}

vectorised! {
    /// The adjoint of log-softmax along the last axis, from its output `y`:
    /// `dx = dy − exp(y)·Σ_j dy_j`, row by row.
    pub fn log_softmax_backward_last_axis<T: Scalar, D: Dimension>(
        y: ArrayView<'_, T, D>,
        dy: ArrayView<'_, T, D>,
        dx: ArrayViewMut<'_, T, D>,
    ) {
        simd::each_row(y, dy, dx, |l, dy, dx| {
            let total = simd::sum(dy);
            for ((d, &l), &g) in dx.iter_mut().zip(l).zip(dy) {
                *d = g - l.fast_exp() * total;
            }
        });
    }
}

/// Unfolds the patches of `x` `[N, C, H, W]` into `cols` `[C·kH·kW, N·OH·OW]`: column
/// `(n, oh, ow)` holds the window that output position sees (zeros in the padding).
pub fn im2col<T: Scalar>(x: ArrayView4<'_, T>, g: &ConvGeometry, mut cols: ArrayViewMut2<'_, T>) {
    // cols[(c, ki, kj), (n, oh, ow)] = x[n, c, oh·s + ki − p, ow·s + kj − p] (0 outside).
    let plane = g.out_h * g.out_w;
    for c in 0..g.channels {
        for ki in 0..g.kernel_h {
            for kj in 0..g.kernel_w {
                let row = (c * g.kernel_h + ki) * g.kernel_w + kj;
                let mut dst = cols.row_mut(row);
                for n in 0..g.batch {
                    let src = x.slice(s![n, c, .., ..]);
                    for oh in 0..g.out_h {
                        let base = n * plane + oh * g.out_w;
                        match g.input_row(oh, ki) {
                            None => dst.slice_mut(s![base..base + g.out_w]).fill(T::zero()),
                            Some(r) => {
                                for ow in 0..g.out_w {
                                    dst[base + ow] =
                                        g.input_col(ow, kj).map_or(T::zero(), |q| src[[r, q]]);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds every entry of `cols` `[C·kH·kW, N·OH·OW]` back
/// into the input position it came from, `dx` `[N, C, H, W]` (accumulated, not overwritten).
pub fn col2im<T: Scalar>(cols: ArrayView2<'_, T>, g: &ConvGeometry, mut dx: ArrayViewMut4<'_, T>) {
    // dx[n, c, oh·s + ki − p, ow·s + kj − p] += cols[(c, ki, kj), (n, oh, ow)].
    let plane = g.out_h * g.out_w;
    for c in 0..g.channels {
        for ki in 0..g.kernel_h {
            for kj in 0..g.kernel_w {
                let row = (c * g.kernel_h + ki) * g.kernel_w + kj;
                let src = cols.row(row);
                for n in 0..g.batch {
                    let mut dst = dx.slice_mut(s![n, c, .., ..]);
                    for oh in 0..g.out_h {
                        let Some(r) = g.input_row(oh, ki) else {
                            continue;
                        };
                        for ow in 0..g.out_w {
                            if let Some(q) = g.input_col(ow, kj) {
                                dst[[r, q]] += src[n * plane + oh * g.out_w + ow];
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Layer norm of rows x `[M, D]`: `x̂ = (x − mean)·r`, `r = 1/√(var + eps)`, `y = γ ⊙ x̂ + β`.
pub fn layer_norm<T: Scalar>(
    x: ArrayView2<'_, T>,
    gamma: ArrayView1<'_, T>,
    beta: ArrayView1<'_, T>,
    eps: T,
    mut y: ArrayViewMut2<'_, T>,
    mut xhat: ArrayViewMut2<'_, T>,
    inv_std: ArrayViewMut1<'_, T>,
) {
    let d = T::from_usize(x.ncols());
    Zip::from(x.rows())
        .and(xhat.rows_mut())
        .and(inv_std)
        .for_each(|x, mut xhat, r| {
            let mean = x.sum() / d;
            let var = x.fold(T::zero(), |acc, &v| acc + (v - mean) * (v - mean)) / d;
            *r = T::one() / (var + eps).sqrt();
            let r = *r;
            xhat.zip_mut_with(&x, |h, &v| *h = (v - mean) * r);
        });
    Zip::from(y.rows_mut())
        .and(xhat.rows())
        .for_each(|mut y, xhat| {
            Zip::from(&mut y)
                .and(&xhat)
                .and(&gamma)
                .and(&beta)
                .for_each(|y, &h, &g, &b| *y = g * h + b);
        });
}

/// The adjoint of [`layer_norm`]: `dx = r·(g − mean(g) − x̂·mean(g ⊙ x̂))`, `g = dy ⊙ γ`;
/// `dγ += Σ_rows dy ⊙ x̂`, `dβ += Σ_rows dy`.
pub fn layer_norm_backward<T: Scalar>(
    dy: ArrayView2<'_, T>,
    xhat: ArrayView2<'_, T>,
    inv_std: ArrayView1<'_, T>,
    gamma: ArrayView1<'_, T>,
    mut dx: ArrayViewMut2<'_, T>,
    mut d_gamma: ArrayViewMut1<'_, T>,
    mut d_beta: ArrayViewMut1<'_, T>,
) {
    let d = T::from_usize(dy.ncols());
    d_gamma += &(&dy * &xhat).sum_axis(Axis(0));
    d_beta += &dy.sum_axis(Axis(0));
    Zip::from(dx.rows_mut())
        .and(dy.rows())
        .and(xhat.rows())
        .and(&inv_std)
        .for_each(|mut dx, dy, xhat, &r| {
            let (mut mean_g, mut mean_gx) = (T::zero(), T::zero());
            Zip::from(&dy)
                .and(&xhat)
                .and(&gamma)
                .for_each(|&gy, &h, &w| {
                    mean_g += gy * w;
                    mean_gx += gy * w * h;
                });
            mean_g /= d;
            mean_gx /= d;
            Zip::from(&mut dx)
                .and(&dy)
                .and(&xhat)
                .and(&gamma)
                .for_each(|dx, &gy, &h, &w| *dx = r * (gy * w - mean_g - h * mean_gx));
        });
}

vectorised! {
    /// Softmax cross-entropy with class targets (in range): writes
    /// `dz = (softmax(z) − onehot(y))/N` into `grad` `[N, C]` and returns
    /// `mean_n(−log softmax(z_n)[y_n])`.
    pub fn cross_entropy<T: Scalar>(
        logits: ArrayView2<'_, T>,
        targets: &[usize],
        grad: ArrayViewMut2<'_, T>,
    ) -> T {
        let n = logits.nrows();
        let inv_n = T::one() / T::from_usize(n.max(1));
        let (mut total, mut targets) = (T::zero(), targets.iter());
        // Per row: m = max z, s = Σ e^(z−m); loss = log s + m − z_y; grad = (e^(z−m)/s − [j=y])/N.
        simd::each_row(logits.view(), logits, grad, |z, _, g| {
            let y = *targets.next().expect("one target per row");
            let max = simd::max(z);
            let sum = simd::exp_shifted(z, max, g);
            total += sum.ln() + max - z[y];
            let scale = inv_n / sum;
            g.iter_mut().for_each(|e| *e *= scale);
            g[y] -= inv_n;
        });
        total * inv_n
    }
}

/// The in-bounds input positions (row, column) of the window of output (i, j).
fn window_positions(g: &ConvGeometry, i: usize, j: usize) -> impl Iterator<Item = (usize, usize)> {
    let (top, left) = (i * g.stride, j * g.stride);
    let (pad, height, width) = (g.padding, g.height, g.width);
    (0..g.kernel_h).flat_map(move |u| {
        (0..g.kernel_w).filter_map(move |v| {
            let r = (top + u).checked_sub(pad).filter(|&r| r < height)?;
            let q = (left + v).checked_sub(pad).filter(|&q| q < width)?;
            Some((r, q))
        })
    })
}

/// Max or average pooling of x `[N, C, H, W]` into y `[N, C, OH, OW]`; max pooling records the
/// flat `h·W + w` position of each maximum in `argmax` (NaN wins, as PyTorch).
pub fn pool2d<T: Scalar>(
    kind: Pooling,
    x: ArrayView4<'_, T>,
    g: &ConvGeometry,
    mut y: ArrayViewMut4<'_, T>,
    argmax: &mut Vec<usize>,
) {
    argmax.clear();
    let inv_area = T::one() / T::from_usize(g.kernel_h * g.kernel_w);
    for ((ni, ci, i, j), out) in y.indexed_iter_mut() {
        let plane = x.slice(s![ni, ci, .., ..]);
        let window = window_positions(g, i, j);
        *out = match kind {
            Pooling::Max => {
                let (best, at) = window.map(|(r, q)| (plane[[r, q]], r * g.width + q)).fold(
                    (T::neg_infinity(), 0),
                    |(m, a), (v, k)| {
                        if v > m || v.is_nan() { (v, k) } else { (m, a) }
                    },
                );
                argmax.push(at);
                best
            }
            Pooling::Avg => window.map(|(r, q)| plane[[r, q]]).sum::<T>() * inv_area,
        };
    }
}

/// The adjoint of [`pool2d`]: overwrites dx `[N, C, H, W]` from dy `[N, C, OH, OW]`.
pub fn pool2d_backward<T: Scalar>(
    kind: Pooling,
    dy: ArrayView4<'_, T>,
    g: &ConvGeometry,
    argmax: &[usize],
    mut dx: ArrayViewMut4<'_, T>,
) {
    dx.fill(T::zero());
    let inv_area = T::one() / T::from_usize(g.kernel_h * g.kernel_w);
    for (flat, ((ni, ci, i, j), &d)) in dy.indexed_iter().enumerate() {
        let mut plane = dx.slice_mut(s![ni, ci, .., ..]);
        match kind {
            Pooling::Max => {
                let at = argmax[flat];
                plane[[at / g.width, at % g.width]] += d;
            }
            Pooling::Avg => {
                for (r, q) in window_positions(g, i, j) {
                    plane[[r, q]] += d * inv_area;
                }
            }
        }
    }
}

/// Row `b` of a row-major matrix as a slice.
#[inline(always)]
fn row<'a, T>(m: &'a ArrayView2<'_, T>, b: usize) -> &'a [T] {
    let start = b * m.ncols();
    &m.as_slice().expect("row-major cell tensors")[start..start + m.ncols()]
}

/// Row `b` of a row-major matrix as a mutable slice.
#[inline(always)]
fn row_mut<'a, T>(m: &'a mut ArrayViewMut2<'_, T>, b: usize) -> &'a mut [T] {
    let (start, width) = (b * m.ncols(), m.ncols());
    &mut m.as_slice_mut().expect("row-major cell tensors")[start..start + width]
}

/// The `K` consecutive blocks of `n` values at the start of `row` (one sample's gates).
#[inline(always)]
fn blocks<T, const K: usize>(row: &[T], n: usize) -> [&[T]; K] {
    std::array::from_fn(|k| &row[k * n..(k + 1) * n])
}

/// [`blocks`], mutable.
#[inline(always)]
fn blocks_mut<T, const K: usize>(row: &mut [T], n: usize) -> [&mut [T]; K] {
    let mut rest = row;
    std::array::from_fn(|_| {
        let (block, tail) = std::mem::take(&mut rest).split_at_mut(n);
        rest = tail;
        block
    })
}

vectorised! {
    /// One LSTM step (see [`crate::backend::Backend::lstm_cell`]): gates i, f, g, o in `pre`
    /// `[B, 4H]`, activated in place.
    pub fn lstm_cell<T: Scalar>(
        pre: ArrayViewMut2<'_, T>,
        c_prev: ArrayView2<'_, T>,
        c: ArrayViewMut2<'_, T>,
        tanh_c: ArrayViewMut2<'_, T>,
        h: ArrayViewMut2<'_, T>,
    ) {
        let (mut pre, mut c, mut tanh_c, mut h) = (pre, c, tanh_c, h);
        let n = c_prev.ncols();
        for b in 0..pre.nrows() {
            let (gates, cp) = (row_mut(&mut pre, b), row(&c_prev, b));
            let (c, t, h) = (row_mut(&mut c, b), row_mut(&mut tanh_c, b), row_mut(&mut h, b));
            // One pass per formula, each over a few slices: loops the compiler vectorises.
            let (i_f, rest) = gates.split_at_mut(2 * n);
            let (g, o) = rest.split_at_mut(n);
            i_f.iter_mut().for_each(|v| *v = simd::sigmoid(*v)); // gates i, f = σ(·)
            o.iter_mut().for_each(|v| *v = simd::sigmoid(*v)); // gate o = σ(·)
            g.iter_mut().for_each(|v| *v = simd::tanh(*v)); // candidate g = tanh(·)
            let (i, f) = i_f.split_at(n);
            for ((c, &cp), ((&i, &f), &g)) in c.iter_mut().zip(cp).zip(i.iter().zip(f).zip(&*g)) {
                *c = f * cp + i * g; // c' = f ⊙ c + i ⊙ g
            }
            for (t, &c) in t.iter_mut().zip(&*c) {
                *t = simd::tanh(c);
            }
            for ((h, &o), &t) in h.iter_mut().zip(&*o).zip(&*t) {
                *h = o * t; // h' = o ⊙ tanh(c')
            }
        }
    }
}

vectorised! {
    /// The adjoint of [`lstm_cell`]: d_pre `[B, 4H]` from dh and dc (dc is overwritten with
    /// dL/dc_prev = dc_total ⊙ f).
    pub fn lstm_cell_backward<T: Scalar>(
        gates: ArrayView2<'_, T>,
        c_prev: ArrayView2<'_, T>,
        tanh_c: ArrayView2<'_, T>,
        dh: ArrayView2<'_, T>,
        dc: ArrayViewMut2<'_, T>,
        d_pre: ArrayViewMut2<'_, T>,
    ) {
        let (mut dc, mut d_pre) = (dc, d_pre);
        let (n, one) = (c_prev.ncols(), T::one());
        for b in 0..gates.nrows() {
            let [i, f, g, o] = blocks(row(&gates, b), n);
            let (cp, t, dh) = (&row(&c_prev, b)[..n], &row(&tanh_c, b)[..n], &row(&dh, b)[..n]);
            let dc = &mut row_mut(&mut dc, b)[..n];
            let [d_i, d_f, d_g, d_o] = blocks_mut(row_mut(&mut d_pre, b), n);
            // One pass per formula over a few slices, as in the forward: loops the compiler
            // vectorises (one loop writing five slices cut from two rows stays scalar).
            for ((dc, &dh), (&o, &t)) in dc.iter_mut().zip(dh).zip(o.iter().zip(t)) {
                *dc += dh * o * (one - t * t); // c' reaches L directly and via h'
            }
            // c' = f ⊙ c + i ⊙ g and h' = o ⊙ tanh(c'), through each gate's activation
            let d_ig = d_i.iter_mut().zip(d_g.iter_mut());
            for ((d_i, d_g), (&d_c, (&i, &g))) in d_ig.zip(dc.iter().zip(i.iter().zip(g))) {
                *d_i = d_c * g * i * (one - i);
                *d_g = d_c * i * (one - g * g);
            }
            for ((d_f, dc), (&cp, &f)) in d_f.iter_mut().zip(dc.iter_mut()).zip(cp.iter().zip(f)) {
                *d_f = *dc * cp * f * (one - f);
                *dc *= f; // dL/dc = dL/dc' ⊙ f
            }
            for ((d_o, &dh), (&t, &o)) in d_o.iter_mut().zip(dh).zip(t.iter().zip(o)) {
                *d_o = dh * t * o * (one - o);
            }
        }
    }
}

vectorised! {
    /// One GRU step (see [`crate::backend::Backend::gru_cell`]).
    pub fn gru_cell<T: Scalar>(
        gx: ArrayView2<'_, T>,
        gh: ArrayView2<'_, T>,
        h_prev: ArrayView2<'_, T>,
        gates: ArrayViewMut2<'_, T>,
        h: ArrayViewMut2<'_, T>,
    ) {
        let (mut gates, mut h) = (gates, h);
        let (n, one) = (h_prev.ncols(), T::one());
        for b in 0..gx.nrows() {
            let (x, hh, hp) = (row(&gx, b), row(&gh, b), row(&h_prev, b));
            let out = row_mut(&mut h, b);
            let [r, z, g_n] = blocks_mut(row_mut(&mut gates, b), n);
            for k in 0..n {
                r[k] = simd::sigmoid(x[k] + hh[k]); // reset gate
                z[k] = simd::sigmoid(x[n + k] + hh[n + k]); // update gate
                g_n[k] = simd::tanh(x[2 * n + k] + r[k] * hh[2 * n + k]); // n = tanh(gx_n + r ⊙ gh_n)
                out[k] = (one - z[k]) * g_n[k] + z[k] * hp[k]; // h' = (1 − z) ⊙ n + z ⊙ h
            }
        }
    }
}

vectorised! {
    /// The adjoint of [`gru_cell`]: dgx, dgh `[B, 3H]`; dh becomes its part of dL/dh_prev
    /// (dh ⊙ z).
    pub fn gru_cell_backward<T: Scalar>(
        gates: ArrayView2<'_, T>,
        gh: ArrayView2<'_, T>,
        h_prev: ArrayView2<'_, T>,
        dh: ArrayViewMut2<'_, T>,
        d_gx: ArrayViewMut2<'_, T>,
        d_gh: ArrayViewMut2<'_, T>,
    ) {
        let (mut dh, mut d_gx, mut d_gh) = (dh, d_gx, d_gh);
        let (n, one) = (h_prev.ncols(), T::one());
        for b in 0..gates.nrows() {
            let (g, hh, hp) = (row(&gates, b), row(&gh, b), row(&h_prev, b));
            let [r, z, g_n] = blocks(g, n);
            let (dh, dx, dhh) = (row_mut(&mut dh, b), row_mut(&mut d_gx, b), row_mut(&mut d_gh, b));
            for k in 0..n {
                let d = dh[k];
                let d_n = d * (one - z[k]); // h' = (1−z)⊙n + z⊙h
                let d_z = d * (hp[k] - g_n[k]);
                let d_n_pre = d_n * (one - g_n[k] * g_n[k]); // n = tanh(gx_n + r ⊙ gh_n)
                let d_r_pre = d_n_pre * hh[2 * n + k] * r[k] * (one - r[k]);
                let d_z_pre = d_z * z[k] * (one - z[k]);
                dx[k] = d_r_pre;
                dx[n + k] = d_z_pre;
                dx[2 * n + k] = d_n_pre;
                dhh[k] = d_r_pre;
                dhh[n + k] = d_z_pre;
                dhh[2 * n + k] = d_n_pre * r[k];
                dh[k] = d * z[k];
            }
        }
    }
}

/// One SGD step (see [`crate::backend::SgdUpdate`]), element by element.
pub fn sgd_update<T: Scalar>(
    c: &SgdUpdate,
    mut value: ArrayViewMutD<'_, T>,
    grad: ArrayViewD<'_, T>,
    momentum: Option<ArrayViewMutD<'_, T>>,
) {
    let lr = T::from_f64(c.lr);
    let wd = T::from_f64(c.weight_decay);
    let Some(buf) = momentum.filter(|_| c.momentum != 0.0) else {
        // p ← p − lr·(g + wd·p)
        Zip::from(&mut value)
            .and(&grad)
            .for_each(|p, &g| *p -= lr * (g + wd * *p));
        return;
    };
    let mu = T::from_f64(c.momentum);
    let keep = T::one() - T::from_f64(c.dampening);
    Zip::from(&mut value)
        .and(&grad)
        .and(buf)
        .for_each(|p, &g, b| {
            let g = g + wd * *p;
            *b = if c.first { g } else { mu * *b + keep * g };
            let step = if c.nesterov { g + mu * *b } else { *b };
            *p -= lr * step;
        });
}

/// One Adam/AdamW step (see [`crate::backend::AdamUpdate`]), element by element.
pub fn adam_update<T: Scalar>(
    c: &AdamUpdate,
    mut value: ArrayViewMutD<'_, T>,
    grad: ArrayViewD<'_, T>,
    m: ArrayViewMutD<'_, T>,
    v: ArrayViewMutD<'_, T>,
) {
    let step_size = T::from_f64(c.step_size);
    let inv_sqrt_bc2 = T::from_f64(c.inv_sqrt_bc2);
    let (b1, b2, eps) = (
        T::from_f64(c.beta1),
        T::from_f64(c.beta2),
        T::from_f64(c.eps),
    );
    let (one, wd) = (T::one(), T::from_f64(c.weight_decay));
    let shrink = T::from_f64(c.shrink);
    Zip::from(&mut value)
        .and(&grad)
        .and(m)
        .and(v)
        .for_each(|p, &g, m, v| {
            let g = if c.decoupled {
                *p *= shrink;
                g
            } else {
                g + wd * *p
            };
            *m = b1 * *m + (one - b1) * g;
            *v = b2 * *v + (one - b2) * g * g;
            *p -= step_size * *m / (v.sqrt() * inv_sqrt_bc2 + eps);
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, Array4, array};

    #[test]
    fn gemm_honours_transpose_flags_and_beta() {
        let a = array![[1.0, 2.0], [3.0, 4.0]];
        let b = array![[5.0, 6.0], [7.0, 8.0]];
        let mut c = Array2::<f64>::ones((2, 2));
        // c = aᵀ·b + 1·c
        gemm(1.0, a.view(), true, b.view(), false, 1.0, c.view_mut());
        assert_eq!(c, a.t().dot(&b) + 1.0);
        gemm(2.0, a.view(), false, b.view(), true, 0.0, c.view_mut());
        assert_eq!(c, a.dot(&b.t()) * 2.0);
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for every x, c: checked on ramps with padding and stride.
        let g = ConvGeometry::new([2, 2, 5, 4], (3, 2), 2, 1).unwrap();
        let x = Array4::from_shape_fn((2, 2, 5, 4), |(n, c, h, w)| {
            (n * 40 + c * 20 + h * 4 + w) as f64
        });
        let probe = Array2::from_shape_fn((g.patch_len(), g.positions()), |(i, j)| {
            (i * 7 + j) as f64 % 5.0
        });
        let mut cols = Array2::zeros((g.patch_len(), g.positions()));
        im2col(x.view(), &g, cols.view_mut());
        let mut back = Array4::zeros((2, 2, 5, 4));
        col2im(probe.view(), &g, back.view_mut());
        assert_eq!((&cols * &probe).sum(), (&x * &back).sum());
    }
}
