//! The CPU kernels on host ndarray views: what [`super::Cpu`] runs for each op of the seam.
//!
//! Legend: N batch, C channels, H×W image, kH×kW kernel, OH×OW output image, M×K·K×P matrix shapes.

use ndarray::{
    ArrayView, ArrayView1, ArrayView2, ArrayView4, ArrayViewD, ArrayViewMut, ArrayViewMut1,
    ArrayViewMut2, ArrayViewMut4, ArrayViewMutD, Axis, Dimension, Zip, linalg::general_mat_mul, s,
};

use crate::backend::{AdamUpdate, ConvGeometry, Pooling, SgdUpdate};
use crate::scalar::Scalar;

/// General matrix product `c ← α·op(a)·op(b) + β·c`, where `op(m)` is `mᵀ` when the matching
/// `trans_*` flag is set. Shapes: op(a) `[M, K]`, op(b) `[K, P]`, c `[M, P]`.
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
    // Naive: c[m, p] = β·c[m, p] + α·Σ_k op(a)[m, k]·op(b)[k, p].
    // A transposed view is free (strides swap); matrixmultiply handles either layout.
    let a = if trans_a { a.reversed_axes() } else { a };
    let b = if trans_b { b.reversed_axes() } else { b };
    general_mat_mul(alpha, &a, &b, beta, &mut c);
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

/// Softmax along the last axis: `out = exp(x − max) / Σ exp(x − max)`, row by row.
pub fn softmax_last_axis<T: Scalar, D: Dimension>(
    x: ArrayView<'_, T, D>,
    mut out: ArrayViewMut<'_, T, D>,
) {
    let last = Axis(x.ndim() - 1);
    Zip::from(x.lanes(last))
        .and(out.lanes_mut(last))
        .for_each(|row, mut y| {
            let max = row.fold(T::neg_infinity(), |m, &v| m.max(v));
            let mut total = T::zero();
            y.zip_mut_with(&row, |o, &v| {
                *o = (v - max).exp();
                total += *o;
            });
            let inv = T::one() / total;
            y.mapv_inplace(|e| e * inv);
        });
}

/// Log-softmax along the last axis: `out = x − max − log Σ exp(x − max)`, row by row.
pub fn log_softmax_last_axis<T: Scalar, D: Dimension>(
    x: ArrayView<'_, T, D>,
    mut out: ArrayViewMut<'_, T, D>,
) {
    let last = Axis(x.ndim() - 1);
    Zip::from(x.lanes(last))
        .and(out.lanes_mut(last))
        .for_each(|row, mut y| {
            let max = row.fold(T::neg_infinity(), |m, &v| m.max(v));
            let log_total = row.fold(T::zero(), |t, &v| t + (v - max).exp()).ln();
            y.zip_mut_with(&row, |o, &v| *o = v - max - log_total);
        });
}

/// The adjoint of softmax along the last axis, from its output `y`:
/// `dx = y ⊙ (dy − Σ_j dy_j·y_j)`, row by row.
pub fn softmax_backward_last_axis<T: Scalar, D: Dimension>(
    y: ArrayView<'_, T, D>,
    dy: ArrayView<'_, T, D>,
    mut dx: ArrayViewMut<'_, T, D>,
) {
    let last = Axis(y.ndim() - 1);
    Zip::from(y.lanes(last))
        .and(dy.lanes(last))
        .and(dx.lanes_mut(last))
        .for_each(|y, dy, mut dx| {
            let dot = y.dot(&dy);
            Zip::from(&mut dx)
                .and(&y)
                .and(&dy)
                .for_each(|d, &p, &g| *d = p * (g - dot));
        });
}

/// The adjoint of log-softmax along the last axis, from its output `y`:
/// `dx = dy − exp(y)·Σ_j dy_j`, row by row.
pub fn log_softmax_backward_last_axis<T: Scalar, D: Dimension>(
    y: ArrayView<'_, T, D>,
    dy: ArrayView<'_, T, D>,
    mut dx: ArrayViewMut<'_, T, D>,
) {
    let last = Axis(y.ndim() - 1);
    Zip::from(y.lanes(last))
        .and(dy.lanes(last))
        .and(dx.lanes_mut(last))
        .for_each(|y, dy, mut dx| {
            let total = dy.sum();
            Zip::from(&mut dx)
                .and(&y)
                .and(&dy)
                .for_each(|d, &l, &g| *d = g - l.exp() * total);
        });
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

/// Softmax cross-entropy with class targets (in range): writes `dz = (softmax(z) − onehot(y))/N`
/// into `grad` `[N, C]` and returns `mean_n(−log softmax(z_n)[y_n])`.
pub fn cross_entropy<T: Scalar>(
    logits: ArrayView2<'_, T>,
    targets: &[usize],
    mut grad: ArrayViewMut2<'_, T>,
) -> T {
    let n = logits.nrows();
    let inv_n = T::one() / T::from_usize(n.max(1));
    let mut total = T::zero();
    // Per row: m = max z, s = Σ e^(z−m); loss = log s + m − z_y; grad = (e^(z−m)/s − [j=y])/N.
    for ((z, mut g), &y) in logits.outer_iter().zip(grad.outer_iter_mut()).zip(targets) {
        let max = z.fold(T::neg_infinity(), |m, &v| m.max(v));
        let mut sum = T::zero();
        g.zip_mut_with(&z, |g, &v| {
            *g = (v - max).exp();
            sum += *g;
        });
        total += sum.ln() + max - z[y];
        let scale = inv_n / sum;
        g.mapv_inplace(|e| e * scale);
        g[y] -= inv_n;
    }
    total * inv_n
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

/// σ(x), computed without overflow for large |x|.
#[inline(always)]
fn sigmoid<T: Scalar>(x: T) -> T {
    crate::layers::activation::sigmoid(x)
}

/// tanh(x) as `2σ(2x) − 1`: one `exp` per value instead of libm's `expm1`-based tanh; differs
/// from `tanh` by at most a few ulp of 1 (absolute).
#[inline(always)]
fn fast_tanh<T: Scalar>(x: T) -> T {
    let two = T::from_f64(2.0);
    two * sigmoid(two * x) - T::one()
}

/// One LSTM step (see [`crate::backend::Backend::lstm_cell`]): gates i, f, g, o in `pre`
/// `[B, 4H]`, activated in place.
pub fn lstm_cell<T: Scalar>(
    mut pre: ArrayViewMut2<'_, T>,
    c_prev: ArrayView2<'_, T>,
    mut c: ArrayViewMut2<'_, T>,
    mut tanh_c: ArrayViewMut2<'_, T>,
    mut h: ArrayViewMut2<'_, T>,
) {
    let hidden = c_prev.ncols();
    for b in 0..pre.nrows() {
        let mut gates = pre.row_mut(b);
        let gates = gates.as_slice_mut().expect("row-major gates");
        let (i, rest) = gates.split_at_mut(hidden);
        let (f, rest) = rest.split_at_mut(hidden);
        let (g, o) = rest.split_at_mut(hidden);
        let (cp, mut c, mut t, mut h) =
            (c_prev.row(b), c.row_mut(b), tanh_c.row_mut(b), h.row_mut(b));
        for k in 0..hidden {
            i[k] = sigmoid(i[k]); // input gate   i = σ(·)
            f[k] = sigmoid(f[k]); // forget gate  f = σ(·)
            g[k] = fast_tanh(g[k]); // candidate  g = tanh(·)
            o[k] = sigmoid(o[k]); // output gate  o = σ(·)
            c[k] = f[k] * cp[k] + i[k] * g[k]; // c' = f ⊙ c + i ⊙ g
            t[k] = fast_tanh(c[k]);
            h[k] = o[k] * t[k]; // h' = o ⊙ tanh(c')
        }
    }
}

/// The adjoint of [`lstm_cell`]: d_pre `[B, 4H]` from dh and dc (dc is overwritten with
/// dL/dc_prev = dc_total ⊙ f).
pub fn lstm_cell_backward<T: Scalar>(
    gates: ArrayView2<'_, T>,
    c_prev: ArrayView2<'_, T>,
    tanh_c: ArrayView2<'_, T>,
    dh: ArrayView2<'_, T>,
    mut dc: ArrayViewMut2<'_, T>,
    mut d_pre: ArrayViewMut2<'_, T>,
) {
    let hidden = c_prev.ncols();
    let one = T::one();
    for b in 0..gates.nrows() {
        let gate = |k: usize, j: usize| gates[[b, k * hidden + j]];
        let mut d = d_pre.row_mut(b);
        for j in 0..hidden {
            let (i, f, g, o) = (gate(0, j), gate(1, j), gate(2, j), gate(3, j));
            let (t, dh) = (tanh_c[[b, j]], dh[[b, j]]);
            let d_o = dh * t; // h' = o ⊙ tanh(c')
            let d_c = dc[[b, j]] + dh * o * (one - t * t); // c' reaches L directly and via h'
            let (d_i, d_f, d_g) = (d_c * g, d_c * c_prev[[b, j]], d_c * i); // c' = f ⊙ c + i ⊙ g
            d[j] = d_i * i * (one - i);
            d[hidden + j] = d_f * f * (one - f);
            d[2 * hidden + j] = d_g * (one - g * g);
            d[3 * hidden + j] = d_o * o * (one - o);
            dc[[b, j]] = d_c * f;
        }
    }
}

/// One GRU step (see [`crate::backend::Backend::gru_cell`]).
pub fn gru_cell<T: Scalar>(
    gx: ArrayView2<'_, T>,
    gh: ArrayView2<'_, T>,
    h_prev: ArrayView2<'_, T>,
    mut gates: ArrayViewMut2<'_, T>,
    mut h: ArrayViewMut2<'_, T>,
) {
    let hidden = h_prev.ncols();
    let one = T::one();
    for b in 0..gx.nrows() {
        for j in 0..hidden {
            let (r_at, z_at, n_at) = (j, hidden + j, 2 * hidden + j);
            let r = sigmoid(gx[[b, r_at]] + gh[[b, r_at]]); // reset gate
            let z = sigmoid(gx[[b, z_at]] + gh[[b, z_at]]); // update gate
            let n = fast_tanh(gx[[b, n_at]] + r * gh[[b, n_at]]); // n = tanh(gx_n + r ⊙ gh_n)
            gates[[b, r_at]] = r;
            gates[[b, z_at]] = z;
            gates[[b, n_at]] = n;
            h[[b, j]] = (one - z) * n + z * h_prev[[b, j]]; // h' = (1 − z) ⊙ n + z ⊙ h
        }
    }
}

/// The adjoint of [`gru_cell`]: dgx, dgh `[B, 3H]`; dh becomes its part of dL/dh_prev (dh ⊙ z).
pub fn gru_cell_backward<T: Scalar>(
    gates: ArrayView2<'_, T>,
    gh: ArrayView2<'_, T>,
    h_prev: ArrayView2<'_, T>,
    mut dh: ArrayViewMut2<'_, T>,
    mut d_gx: ArrayViewMut2<'_, T>,
    mut d_gh: ArrayViewMut2<'_, T>,
) {
    let hidden = h_prev.ncols();
    let one = T::one();
    for b in 0..gates.nrows() {
        for j in 0..hidden {
            let (r_at, z_at, n_at) = (j, hidden + j, 2 * hidden + j);
            let (r, z, n) = (gates[[b, r_at]], gates[[b, z_at]], gates[[b, n_at]]);
            let d = dh[[b, j]];
            let d_n = d * (one - z); // h' = (1−z)⊙n + z⊙h
            let d_z = d * (h_prev[[b, j]] - n);
            let d_n_pre = d_n * (one - n * n); // n = tanh(gx_n + r ⊙ gh_n)
            let d_r_pre = d_n_pre * gh[[b, n_at]] * r * (one - r);
            let d_z_pre = d_z * z * (one - z);
            d_gx[[b, r_at]] = d_r_pre;
            d_gx[[b, z_at]] = d_z_pre;
            d_gx[[b, n_at]] = d_n_pre;
            d_gh[[b, r_at]] = d_r_pre;
            d_gh[[b, z_at]] = d_z_pre;
            d_gh[[b, n_at]] = d_n_pre * r;
            dh[[b, j]] = d * z;
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
