//! What lets the CPU kernels' element loops run 8 or 16 lanes wide: a dispatch that compiles a
//! kernel again for AVX2 + FMA and for AVX-512 and picks the widest copy the CPU runs, and row
//! reductions written with eight independent accumulators (a float sum in one accumulator is a
//! chain the compiler may not reorder, so it stays scalar).
//!
//! Every copy of a kernel compute the same values: the code is the same, `mul_add` is a
//! correctly rounded fused multiply-add either way, and no reduction depends on the lane width.

use ndarray::{Array, ArrayView, ArrayViewMut, Dimension};

use crate::scalar::Scalar;

/// Defines `pub fn $name` from a body that is compiled three times: as built, with AVX2 + FMA
/// and with AVX-512 (F, VL, DQ, BW) enabled; the widest copy the CPU reports features for is
/// taken (checked once, then cached by `std`). The body is pasted into each function, so the
/// closures it defines inherit the features too.
macro_rules! vectorised {
    (
        $(#[$meta:meta])*
        pub fn $name:ident<$T:ident: Scalar $(, $G:ident: $bound:path)*>(
            $($arg:ident: $ty:ty),* $(,)?
        ) $(-> $ret:ty)? $body:block
    ) => {
        $(#[$meta])*
        pub fn $name<$T: Scalar $(, $G: $bound)*>($($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")]
                fn avx512<$T: Scalar $(, $G: $bound)*>($($arg: $ty),*) $(-> $ret)? $body

                #[target_feature(enable = "avx2,fma")]
                fn avx2<$T: Scalar $(, $G: $bound)*>($($arg: $ty),*) $(-> $ret)? $body

                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                {
                    // SAFETY: the CPU has these AVX-512 extensions (and so AVX2 and FMA).
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU has AVX2 and FMA: checked just above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $body
        }
    };
}
pub(crate) use vectorised;

/// Calls `kernel(a_row, b_row, out_row)` for each row along the last axis of three arrays of one
/// shape (pass `a` twice for a one-input kernel). Row-major arrays are cut into slices in place;
/// others are first copied into row-major order.
#[inline(always)]
pub fn each_row<T: Scalar, D: Dimension>(
    a: ArrayView<'_, T, D>,
    b: ArrayView<'_, T, D>,
    mut out: ArrayViewMut<'_, T, D>,
    mut kernel: impl FnMut(&[T], &[T], &mut [T]),
) {
    assert!(
        a.shape() == out.shape() && b.shape() == out.shape(),
        "row kernel: shapes differ"
    );
    let width = out.shape().last().copied().unwrap_or(1).max(1);
    let (a, b) = (a.as_standard_layout(), b.as_standard_layout());
    let (a, b) = (
        a.as_slice().expect("standard layout"),
        b.as_slice().expect("standard layout"),
    );
    let mut rows = |out: &mut [T]| {
        let rows = a.chunks_exact(width).zip(b.chunks_exact(width));
        for ((a, b), o) in rows.zip(out.chunks_exact_mut(width)) {
            kernel(a, b, o);
        }
    };
    match out.as_slice_mut() {
        Some(out) => rows(out),
        None => {
            let mut packed = Array::zeros(out.raw_dim());
            rows(packed.as_slice_mut().expect("fresh arrays are row-major"));
            out.assign(&packed);
        }
    }
}

/// Lanes of the accumulators in [`sum`] and [`max`]: one AVX2 register of `f32`.
const LANES: usize = 8;

/// Σ xs, in eight interleaved partial sums added at the end.
#[inline(always)]
pub fn sum<T: Scalar>(xs: &[T]) -> T {
    let mut acc = [T::zero(); LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a += v;
        }
    }
    for (a, &v) in acc.iter_mut().zip(tail) {
        *a += v;
    }
    acc.into_iter().fold(T::zero(), |s, a| s + a)
}

/// Σ xs·ys, in eight interleaved partial sums added at the end.
#[inline(always)]
pub fn dot<T: Scalar>(xs: &[T], ys: &[T]) -> T {
    let mut acc = [T::zero(); LANES];
    let (x_chunks, y_chunks) = (xs.chunks_exact(LANES), ys.chunks_exact(LANES));
    let (x_tail, y_tail) = (x_chunks.remainder(), y_chunks.remainder());
    for (xc, yc) in x_chunks.zip(y_chunks) {
        for ((a, &x), &y) in acc.iter_mut().zip(xc).zip(yc) {
            *a = x.mul_add(y, *a);
        }
    }
    for ((a, &x), &y) in acc.iter_mut().zip(x_tail).zip(y_tail) {
        *a = x.mul_add(y, *a);
    }
    acc.into_iter().fold(T::zero(), |s, a| s + a)
}

/// max xs (−∞ for an empty slice; a NaN anywhere makes the result NaN, so it propagates).
#[inline(always)]
pub fn max<T: Scalar>(xs: &[T]) -> T {
    let mut acc = [T::neg_infinity(); LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail = chunks.remainder();
    let pick = |a: T, v: T| if v > a || v.is_nan() { v } else { a };
    for chunk in chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a = pick(*a, v);
        }
    }
    for (a, &v) in acc.iter_mut().zip(tail) {
        *a = pick(*a, v);
    }
    acc.into_iter().fold(T::neg_infinity(), pick)
}

/// `out[i] = e^(xs[i] − shift)`; returns Σ out.
#[inline(always)]
pub fn exp_shifted<T: Scalar>(xs: &[T], shift: T, out: &mut [T]) -> T {
    for (o, &v) in out.iter_mut().zip(xs) {
        *o = (v - shift).fast_exp();
    }
    sum(out)
}

/// σ(x) = 1 / (1 + e^(−x)), branch-free (saturates cleanly: [`Scalar::fast_exp`] is clamped).
#[inline(always)]
pub fn sigmoid<T: Scalar>(x: T) -> T {
    T::one() / (T::one() + (-x).fast_exp())
}

/// tanh(x) as `2σ(2x) − 1`: one exponential per value; off from `tanh` by a few ulp of 1
/// (absolute).
#[inline(always)]
pub fn tanh<T: Scalar>(x: T) -> T {
    let two = T::from_f64(2.0);
    two * sigmoid(two * x) - T::one()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_match_the_plain_ones_on_every_tail_length() {
        for n in 0..27 {
            let xs: Vec<f64> = (0..n).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
            let ys: Vec<f64> = (0..n).map(|i| ((i * 3) % 5) as f64 * 0.5).collect();
            assert_eq!(sum(&xs), xs.iter().sum::<f64>(), "{n}");
            let plain_dot: f64 = xs.iter().zip(&ys).map(|(x, y)| x * y).sum();
            assert_eq!(dot(&xs, &ys), plain_dot, "{n}");
            assert_eq!(
                max(&xs),
                xs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            );
        }
        assert!(max(&[1.0, f64::NAN, 3.0]).is_nan(), "NaN propagates");
    }

    #[test]
    fn sigmoid_and_tanh_saturate_without_nan() {
        for x in [-1e30_f32, -200.0, -88.5, 0.0, 88.5, 200.0, 1e30] {
            let (s, t) = (sigmoid(x), tanh(x));
            assert!((0.0..=1.0).contains(&s) && (-1.0..=1.0).contains(&t), "{x}");
            assert!((s - 1.0 / (1.0 + (-x).exp())).abs() < 1e-6, "σ({x})");
            assert!((t - x.tanh()).abs() < 1e-6, "tanh({x})");
        }
        assert!(sigmoid(f32::NAN).is_nan());
    }
}
