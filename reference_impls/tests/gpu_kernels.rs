//! Every GPU kernel against a plain CPU reference written here, loop by loop, on random and edge
//! shapes (not multiples of the 64×64 GEMM tile or the 256-wide workgroup, size 1, empty), in
//! f32 and, where the adapter has `SHADER_F64`, in f64.
//!
//! Runs for real on any adapter, Mesa's lavapipe included (`apt-get install mesa-vulkan-drivers`).
//! Without one, each test skips with a message, except when the environment variable `CI` is set:
//! there it fails, so that CI never passes by skipping.
#![cfg(feature = "gpu")]

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use reference_impls::backend::gpu::{
    Binary, GemmLayout, Gpu, GpuError, GpuScalar, GpuTensor, Precision, RowReduction, Unary,
};
use reference_impls::backend::{AdamUpdate, SgdUpdate};
use reference_impls::backend::{ConvGeometry, GpuChoice, Pooling};
use reference_impls::layers::Activation;

/// The default GPU, or `None` (with a message) when there is none outside CI.
/// The plain f64 reference of a binary element-wise kernel.
type BinaryReference = fn(f64, f64) -> f64;

fn gpu() -> Option<Gpu> {
    match Gpu::open(GpuChoice::Preferred) {
        Ok(gpu) => Some(gpu),
        Err(e @ GpuError::NoAdapter { .. }) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: {e}");
            None
        }
        Err(e) => panic!("no usable GPU in CI: {e}"),
    }
}

/// Runs `test` in f32, and in f64 where the adapter supports it.
fn each_precision(test: impl Fn(&Gpu, Precision)) {
    let Some(gpu) = gpu() else { return };
    test(&gpu, Precision::F32);
    if gpu.adapter().f64 {
        test(&gpu, Precision::F64);
    } else {
        eprintln!("f64 skipped: {} has no SHADER_F64", gpu.adapter().name);
    }
}

/// Standard normal values, from `seed`.
fn randn(len: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..len).map(|_| StandardNormal.sample(&mut rng)).collect()
}

/// The values as `T` holds them (for comparisons that must be exact).
fn rounded<T: GpuScalar>(values: Vec<f64>) -> Vec<f64> {
    values
        .into_iter()
        .map(|v| T::from_f64(v).as_f64())
        .collect()
}

/// Uploads f64 values as `T`.
fn up<T: GpuScalar>(gpu: &Gpu, values: &[f64], shape: &[usize]) -> GpuTensor<T> {
    let data: Vec<T> = values.iter().map(|&v| T::from_f64(v)).collect();
    gpu.upload(&data, shape).expect("upload")
}

/// Downloads as f64.
fn down<T: GpuScalar>(gpu: &Gpu, t: &GpuTensor<T>) -> Vec<f64> {
    gpu.download(t)
        .expect("download")
        .into_iter()
        .map(T::as_f64)
        .collect()
}

/// Asserts |got − want| ≤ tol·(1 + |want|) everywhere, with the first offender in the message.
fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = (g - w).abs() <= tol * (1.0 + w.abs()) || (g.is_nan() && w.is_nan()) || g == w;
        assert!(ok, "{what}[{i}]: GPU {g}, CPU {w} (tolerance {tol})");
    }
}

/// The tolerance of a kernel that sums `terms` products: f32 accumulates rounding (about √n
/// ulps), f64 stays near its 1e-16 ulp.
fn tol(p: Precision, terms: usize) -> f64 {
    let terms = terms.max(1) as f64;
    match p {
        Precision::F32 => 2e-6 * terms.sqrt().max(1.0) * 4.0,
        Precision::F64 => 1e-13 * terms.sqrt().max(1.0),
    }
}

/// Runs a generic test body at precision `p` (`$body` is a generic function called with T).
macro_rules! at {
    ($p:expr, $f:ident($($arg:expr),*)) => {
        match $p {
            Precision::F32 => $f::<f32>($($arg),*),
            Precision::F64 => $f::<f64>($($arg),*),
        }
    };
}

fn gemm_case<T: GpuScalar>(
    gpu: &Gpu,
    p: Precision,
    (m, n, k): (usize, usize, usize),
    batch: Option<usize>,
    trans: (bool, bool),
) {
    let (ta, tb) = trans;
    let z = batch.unwrap_or(1);
    let a_shape = if ta { [k, m] } else { [m, k] };
    let b_shape = if tb { [n, k] } else { [k, n] };
    let a = randn(z * m * k, 1);
    let b = randn(n * k, 2);
    let c0 = randn(z * m * n, 3);
    let (alpha, beta) = (0.75, -0.5);
    let mut want = c0.clone();
    for zi in 0..z {
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0;
                for l in 0..k {
                    let av = if ta {
                        a[zi * m * k + l * m + i]
                    } else {
                        a[zi * m * k + i * k + l]
                    };
                    let bv = if tb { b[j * k + l] } else { b[l * n + j] };
                    s += av * bv;
                }
                let idx = zi * m * n + i * n + j;
                want[idx] = alpha * s + beta * c0[idx];
            }
        }
    }
    let a_dims: Vec<usize> = batch.iter().copied().chain(a_shape).collect();
    let c_dims: Vec<usize> = batch.iter().copied().chain([m, n]).collect();
    let ga = up::<T>(gpu, &a, &a_dims);
    let gb = up::<T>(gpu, &b, &b_shape);
    let mut gc = up::<T>(gpu, &c0, &c_dims);
    gpu.gemm(
        T::from_f64(alpha),
        &ga,
        ta,
        &gb,
        tb,
        T::from_f64(beta),
        &mut gc,
    )
    .expect("gemm");
    assert_close(
        &format!("gemm {m}×{n}×{k} batch {z} trans {trans:?} {p:?}"),
        &down(gpu, &gc),
        &want,
        tol(p, k),
    );
}

#[test]
fn gemm_matches_the_cpu_on_odd_shapes_transposes_and_batches() {
    each_precision(|gpu, p| {
        for &shape in &[
            (1, 1, 1),
            (3, 5, 7),
            (65, 33, 70),
            (64, 64, 16),
            (2, 130, 1),
        ] {
            for trans in [(false, false), (true, false), (false, true), (true, true)] {
                at!(p, gemm_case(gpu, p, shape, None, trans));
            }
        }
        at!(p, gemm_case(gpu, p, (17, 9, 20), Some(3), (false, true)));
        at!(p, gemm_case(gpu, p, (5, 4, 0), None, (false, false)));
        at!(p, gemm_case(gpu, p, (0, 4, 3), None, (false, false)));
    });
}

#[test]
fn gemm_ignores_nan_in_c_when_beta_is_zero_and_rejects_bad_shapes() {
    let Some(gpu) = gpu() else { return };
    let a = gpu.upload(&[1.0f32, 2.0], &[1, 2]).unwrap();
    let b = gpu.upload(&[3.0f32, 4.0], &[2, 1]).unwrap();
    let mut c = gpu.upload(&[f32::NAN], &[1, 1]).unwrap();
    gpu.gemm(1.0, &a, false, &b, false, 0.0, &mut c).unwrap();
    assert_eq!(gpu.download(&c).unwrap(), vec![11.0]);
    let err = gpu.gemm(1.0, &a, true, &b, false, 0.0, &mut c).unwrap_err();
    assert!(matches!(err, GpuError::Shape { op: "gemm", .. }), "{err}");
}

#[test]
fn strided_gemm_reads_views_at_offsets() {
    // Two heads interleaved in one [2, 3·2] buffer: head h reads columns h·3 .. h·3 + 3.
    let Some(gpu) = gpu() else { return };
    let q: Vec<f32> = (0..12).map(|v| v as f32).collect();
    let gq = gpu.upload(&q, &[2, 6]).unwrap();
    let mut out = gpu.uninit::<f32>(&[2, 2, 2]).unwrap();
    let layout = GemmLayout {
        m: 2,
        n: 2,
        k: 3,
        batch: 2,
        trans_a: false,
        trans_b: true,
        ld: [6, 6, 2],
        stride: [3, 3, 4],
        offset: [0, 0, 0],
    };
    gpu.gemm_strided(1.0, &gq, &gq, 0.0, &mut out, &layout)
        .unwrap();
    let got = gpu.download(&out).unwrap();
    let dot = |r: usize, s: usize, h: usize| -> f32 {
        (0..3)
            .map(|l| q[r * 6 + h * 3 + l] * q[s * 6 + h * 3 + l])
            .sum()
    };
    let want: Vec<f32> = (0..2)
        .flat_map(|h| (0..2).flat_map(move |r| (0..2).map(move |s| (r, s, h))))
        .map(|(r, s, h)| dot(r, s, h))
        .collect();
    assert_eq!(got, want);
}

fn unary_case<T: GpuScalar>(
    gpu: &Gpu,
    p: Precision,
    f: Unary,
    values: &[f64],
    reference: &dyn Fn(f64) -> (f64, f64),
) {
    let x = up::<T>(gpu, values, &[values.len()]);
    let dy_values = randn(values.len(), 9);
    let dy = up::<T>(gpu, &dy_values, &[values.len()]);
    let mut y = gpu.uninit::<T>(&[values.len()]).unwrap();
    let mut dx = gpu.uninit::<T>(&[values.len()]).unwrap();
    gpu.unary(f, &x, &mut y).unwrap();
    gpu.unary_backward(f, &x, &dy, &mut dx).unwrap();
    // The reference runs in T, from the values as T, so both sides see the same inputs.
    let xs: Vec<f64> = values.iter().map(|&v| T::from_f64(v).as_f64()).collect();
    let want_y: Vec<f64> = xs.iter().map(|&v| reference(v).0).collect();
    let want_dx: Vec<f64> = xs
        .iter()
        .zip(&dy_values)
        .map(|(&v, &g)| T::from_f64(g).as_f64() * reference(v).1)
        .collect();
    // f32: Vulkan lets exp and tanh be a few ulp off, more for large arguments.
    let t = match p {
        Precision::F32 => 1e-5,
        Precision::F64 => 1e-13,
    };
    assert_close(&format!("{f:?} {p:?}"), &down(gpu, &y), &want_y, t);
    assert_close(&format!("{f:?}' {p:?}"), &down(gpu, &dx), &want_dx, t);
}

#[test]
fn every_activation_and_its_derivative_match_the_cpu() {
    // Values across every branch: large negative and positive (overflow guards), around 0,
    // the softplus threshold, and 300 random ones (more than one workgroup).
    let mut values = vec![
        -40.0, -12.0, -3.5, -1.0, -1e-6, 0.0, 1e-6, 0.3, 1.0, 2.9, 3.1, 6.0, 19.0, 21.0, 40.0,
    ];
    values.extend(randn(300, 4).iter().map(|v| v * 3.0));
    each_precision(|gpu, p| {
        for a in Activation::ALL {
            let reference = move |v: f64| (a.value(v), a.derivative(v));
            at!(
                p,
                unary_case(gpu, p, Unary::Activation(a), &values, &reference)
            );
        }
        let positive: Vec<f64> = values.iter().map(|v| v.abs() + 0.1).collect();
        at!(
            p,
            unary_case(
                gpu,
                p,
                Unary::Exp,
                &values[..values.len() - 1],
                &|v: f64| (v.exp(), v.exp())
            )
        );
        at!(
            p,
            unary_case(gpu, p, Unary::Log, &positive, &|v: f64| (v.ln(), 1.0 / v))
        );
        at!(
            p,
            unary_case(gpu, p, Unary::Sqrt, &positive, &|v: f64| (
                v.sqrt(),
                0.5 / v.sqrt()
            ))
        );
        at!(
            p,
            unary_case(gpu, p, Unary::Square, &values, &|v: f64| (v * v, 2.0 * v))
        );
        at!(
            p,
            unary_case(gpu, p, Unary::Recip, &positive, &|v: f64| (
                1.0 / v,
                -1.0 / (v * v)
            ))
        );
        let affine = Unary::Affine {
            scale: 0.1,
            shift: -2.0,
        };
        at!(
            p,
            unary_case(gpu, p, affine, &values, &|v: f64| (0.1 * v - 2.0, 0.1))
        );
    });
}

fn binary_case<T: GpuScalar>(gpu: &Gpu, p: Precision) {
    let n = 513;
    let (xs, ys) = (randn(n, 5), randn(n, 6));
    let x = up::<T>(gpu, &xs, &[n]);
    let y = up::<T>(gpu, &ys, &[n]);
    let mut out = gpu.uninit::<T>(&[n]).unwrap();
    let ops: [(Binary, BinaryReference); 5] = [
        (Binary::Combine { a: 2.0, b: -0.5 }, |u, v| {
            2.0 * u - 0.5 * v
        }),
        (Binary::Mul, |u, v| u * v),
        (Binary::Div, |u, v| u / v),
        (Binary::Max, f64::max),
        (Binary::Min, f64::min),
    ];
    let t = tol(p, 1);
    for (op, f) in ops {
        gpu.binary(op, &x, &y, &mut out).unwrap();
        let want: Vec<f64> = xs
            .iter()
            .zip(&ys)
            .map(|(&u, &v)| f(T::from_f64(u).as_f64(), T::from_f64(v).as_f64()))
            .collect();
        assert_close(&format!("{op:?} {p:?}"), &down(gpu, &out), &want, t);
    }
    let mut acc = up::<T>(gpu, &ys, &[n]);
    gpu.axpby(3.0, &x, 0.5, &mut acc).unwrap();
    let want: Vec<f64> = xs.iter().zip(&ys).map(|(u, v)| 3.0 * u + 0.5 * v).collect();
    assert_close("axpby", &down(gpu, &acc), &want, t);
    gpu.fill(&mut acc, 1.25).unwrap();
    assert_eq!(down(gpu, &acc), vec![1.25; n]);
    let empty = gpu.zeros::<T>(&[0, 3]).unwrap();
    assert!(down(gpu, &empty).is_empty());
}

#[test]
fn binary_maps_axpby_and_fill_match_the_cpu() {
    each_precision(|gpu, p| at!(p, binary_case(gpu, p)));
}

fn rows_case<T: GpuScalar>(gpu: &Gpu, p: Precision, rows: usize, cols: usize) {
    let xs = randn(rows * cols, 7)
        .iter()
        .map(|v| v * 4.0)
        .collect::<Vec<_>>();
    let dys = randn(rows * cols, 8);
    let x = up::<T>(gpu, &xs, &[rows, cols]);
    let dy = up::<T>(gpu, &dys, &[rows, cols]);
    let t = tol(p, cols);
    let row = |r: usize| &xs[r * cols..(r + 1) * cols];

    // Softmax and log-softmax, forward and backward.
    let mut y = gpu.uninit::<T>(&[rows, cols]).unwrap();
    let mut dx = gpu.uninit::<T>(&[rows, cols]).unwrap();
    gpu.softmax(&x, &mut y).unwrap();
    let mut sm = Vec::new();
    for r in 0..rows {
        let max = row(r).iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = row(r).iter().map(|v| (v - max).exp()).sum();
        sm.extend(row(r).iter().map(|v| (v - max).exp() / total));
    }
    assert_close(
        &format!("softmax {rows}×{cols} {p:?}"),
        &down(gpu, &y),
        &sm,
        t,
    );
    gpu.softmax_backward(&y, &dy, &mut dx).unwrap();
    let mut want = Vec::new();
    for r in 0..rows {
        let (yr, gr) = (
            &sm[r * cols..(r + 1) * cols],
            &dys[r * cols..(r + 1) * cols],
        );
        let dot: f64 = yr.iter().zip(gr).map(|(a, b)| a * b).sum();
        want.extend(yr.iter().zip(gr).map(|(a, b)| a * (b - dot)));
    }
    assert_close("softmax backward", &down(gpu, &dx), &want, t);
    gpu.log_softmax(&x, &mut y).unwrap();
    let lsm: Vec<f64> = sm.iter().map(|v| v.ln()).collect();
    assert_close("log_softmax", &down(gpu, &y), &lsm, t);
    gpu.log_softmax_backward(&y, &dy, &mut dx).unwrap();
    let mut want = Vec::new();
    for r in 0..rows {
        let gr = &dys[r * cols..(r + 1) * cols];
        let total: f64 = gr.iter().sum();
        want.extend((0..cols).map(|j| gr[j] - sm[r * cols + j] * total));
    }
    assert_close("log_softmax backward", &down(gpu, &dx), &want, t);

    // Reductions.
    let mut out = gpu.uninit::<T>(&[rows]).unwrap();
    for (how, f) in [
        (
            RowReduction::Sum,
            (|r: &[f64]| r.iter().sum()) as fn(&[f64]) -> f64,
        ),
        (RowReduction::Max, |r: &[f64]| {
            r.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        }),
        (RowReduction::SumOfSquares, |r: &[f64]| {
            r.iter().map(|v| v * v).sum()
        }),
    ] {
        gpu.reduce_rows(how, &x, &mut out).unwrap();
        let want: Vec<f64> = (0..rows).map(|r| f(row(r))).collect();
        assert_close(&format!("{how:?}"), &down(gpu, &out), &want, t * 4.0);
    }

    // Bias add and column sums (a linear layer's bias and its gradient).
    let bias_values = randn(cols, 10);
    let bias = up::<T>(gpu, &bias_values, &[cols]);
    let mut z = up::<T>(gpu, &xs, &[rows, cols]);
    gpu.bias_add(&bias, 1, 0.5, &mut z).unwrap();
    let want: Vec<f64> = (0..rows * cols)
        .map(|i| 0.5 * xs[i] + bias_values[i % cols])
        .collect();
    assert_close("bias_add", &down(gpu, &z), &want, t);
    gpu.bias_add(&bias, 1, 0.0, &mut z).unwrap();
    let want: Vec<f64> = (0..rows * cols).map(|i| bias_values[i % cols]).collect();
    assert_close("bias_add β = 0", &down(gpu, &z), &want, t);
    let mut acc = up::<T>(gpu, &bias_values, &[cols]);
    gpu.add_channel_sums(&x, 1, &mut acc).unwrap();
    let want: Vec<f64> = (0..cols)
        .map(|j| bias_values[j] + (0..rows).map(|r| xs[r * cols + j]).sum::<f64>())
        .collect();
    assert_close(
        "add_channel_sums",
        &down(gpu, &acc),
        &want,
        tol(p, rows) * 4.0,
    );

    // Layer norm, forward and backward.
    let (g_values, b_values) = (randn(cols, 11), randn(cols, 12));
    let gamma = up::<T>(gpu, &g_values, &[cols]);
    let beta = up::<T>(gpu, &b_values, &[cols]);
    let mut xhat = gpu.uninit::<T>(&[rows, cols]).unwrap();
    let mut inv_std = gpu.uninit::<T>(&[rows]).unwrap();
    let eps = 1e-5;
    gpu.layer_norm(&x, &gamma, &beta, eps, &mut y, &mut xhat, &mut inv_std)
        .unwrap();
    let (mut want_y, mut want_dx) = (Vec::new(), Vec::new());
    let (mut want_dg, mut want_db) = (vec![0.0; cols], vec![0.0; cols]);
    for r in 0..rows {
        let xr = row(r);
        let mean = xr.iter().sum::<f64>() / cols as f64;
        let var = xr.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / cols as f64;
        let rstd = 1.0 / (var + eps).sqrt();
        let xhat: Vec<f64> = xr.iter().map(|v| (v - mean) * rstd).collect();
        want_y.extend((0..cols).map(|j| xhat[j] * g_values[j] + b_values[j]));
        let gr = &dys[r * cols..(r + 1) * cols];
        let g: Vec<f64> = (0..cols).map(|j| gr[j] * g_values[j]).collect();
        let mean_g = g.iter().sum::<f64>() / cols as f64;
        let mean_gx = g.iter().zip(&xhat).map(|(a, b)| a * b).sum::<f64>() / cols as f64;
        want_dx.extend((0..cols).map(|j| rstd * (g[j] - mean_g - xhat[j] * mean_gx)));
        for j in 0..cols {
            want_dg[j] += gr[j] * xhat[j];
            want_db[j] += gr[j];
        }
    }
    assert_close("layer_norm", &down(gpu, &y), &want_y, t * 4.0);
    let mut dgamma = gpu.zeros::<T>(&[cols]).unwrap();
    let mut dbeta = gpu.zeros::<T>(&[cols]).unwrap();
    gpu.layer_norm_backward(
        &dy,
        &xhat,
        &inv_std,
        &gamma,
        &mut dx,
        &mut dgamma,
        &mut dbeta,
    )
    .unwrap();
    assert_close("layer_norm backward dx", &down(gpu, &dx), &want_dx, t * 8.0);
    assert_close(
        "layer_norm dγ",
        &down(gpu, &dgamma),
        &want_dg,
        tol(p, rows) * 8.0,
    );
    assert_close(
        "layer_norm dβ",
        &down(gpu, &dbeta),
        &want_db,
        tol(p, rows) * 8.0,
    );
}

#[test]
fn row_kernels_match_the_cpu_on_narrow_wide_and_empty_rows() {
    each_precision(|gpu, p| {
        for (rows, cols) in [(1, 1), (3, 7), (5, 300), (70, 33), (0, 4)] {
            at!(p, rows_case(gpu, p, rows, cols));
        }
    });
}

/// im2col by its definition.
fn im2col_reference(x: &[f64], g: &ConvGeometry) -> Vec<f64> {
    let mut cols = vec![0.0; g.patch_len() * g.positions()];
    for c in 0..g.channels {
        for ki in 0..g.kernel_h {
            for kj in 0..g.kernel_w {
                let row = (c * g.kernel_h + ki) * g.kernel_w + kj;
                for n in 0..g.batch {
                    for oh in 0..g.out_h {
                        for ow in 0..g.out_w {
                            let h = (oh * g.stride + ki) as isize - g.padding as isize;
                            let w = (ow * g.stride + kj) as isize - g.padding as isize;
                            let inside = h >= 0
                                && w >= 0
                                && (h as usize) < g.height
                                && (w as usize) < g.width;
                            let col = (n * g.out_h + oh) * g.out_w + ow;
                            if inside {
                                cols[row * g.positions() + col] =
                                    x[((n * g.channels + c) * g.height + h as usize) * g.width
                                        + w as usize];
                            }
                        }
                    }
                }
            }
        }
    }
    cols
}

fn conv_case<T: GpuScalar>(
    gpu: &Gpu,
    p: Precision,
    input: [usize; 4],
    kernel: (usize, usize),
    stride: usize,
    padding: usize,
) {
    let g = ConvGeometry::new(input, kernel, stride, padding).expect("geometry");
    let len: usize = input.iter().product();
    let xs = rounded::<T>(randn(len, 13));
    let x = up::<T>(gpu, &xs, &input);
    let mut cols = gpu.uninit::<T>(&[g.patch_len(), g.positions()]).unwrap();
    gpu.im2col(&x, &g, &mut cols).unwrap();
    let want_cols = im2col_reference(&xs, &g);
    assert_close(
        &format!("im2col {input:?} {p:?}"),
        &down(gpu, &cols),
        &want_cols,
        0.0,
    );
    // col2im is im2col's adjoint: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩, with dx accumulated onto ones.
    let probe = randn(want_cols.len(), 14);
    let gp = up::<T>(gpu, &probe, &[g.patch_len(), g.positions()]);
    let mut dx = up::<T>(gpu, &vec![1.0; len], &input);
    gpu.col2im(&gp, &g, &mut dx).unwrap();
    let back: Vec<f64> = down(gpu, &dx).iter().map(|v| v - 1.0).collect();
    let lhs: f64 = want_cols.iter().zip(&probe).map(|(a, b)| a * b).sum();
    let rhs: f64 = xs.iter().zip(&back).map(|(a, b)| a * b).sum();
    assert!(
        (lhs - rhs).abs() <= tol(p, len) * (1.0 + lhs.abs()),
        "col2im adjoint: {lhs} vs {rhs}"
    );
}

#[test]
fn im2col_and_col2im_match_the_definition() {
    each_precision(|gpu, p| {
        at!(p, conv_case(gpu, p, [2, 3, 5, 4], (3, 2), 2, 1));
        at!(p, conv_case(gpu, p, [1, 1, 1, 1], (1, 1), 1, 0));
        at!(p, conv_case(gpu, p, [3, 2, 9, 7], (3, 3), 1, 1));
    });
}

fn pool_case<T: GpuScalar>(
    gpu: &Gpu,
    p: Precision,
    input: [usize; 4],
    k: usize,
    stride: usize,
    padding: usize,
) {
    let g = ConvGeometry::new(input, (k, k), stride, padding).expect("geometry");
    let len: usize = input.iter().product();
    // Rounded values make ties, to check that the first maximum wins.
    let xs: Vec<f64> = randn(len, 15).iter().map(|v| (v * 2.0).round()).collect();
    let out = [g.batch, g.channels, g.out_h, g.out_w];
    let out_len: usize = out.iter().product();
    let dys = randn(out_len, 16);
    let x = up::<T>(gpu, &xs, &input);
    let dy = up::<T>(gpu, &dys, &out);
    let mut y = gpu.uninit::<T>(&out).unwrap();
    let mut argmax = gpu.uninit::<u32>(&out).unwrap();
    let mut dx = gpu.uninit::<T>(&input).unwrap();
    let plane = g.height * g.width;
    for how in [Pooling::Max, Pooling::Avg] {
        let (mut want_y, mut want_dx) = (vec![0.0; out_len], vec![0.0; len]);
        for o in 0..out_len {
            let (pl, oh, ow) = (
                o / (g.out_h * g.out_w),
                (o / g.out_w) % g.out_h,
                o % g.out_w,
            );
            let mut window = Vec::new();
            for ki in 0..k {
                for kj in 0..k {
                    let h = (oh * stride + ki) as isize - padding as isize;
                    let w = (ow * stride + kj) as isize - padding as isize;
                    if h >= 0 && w >= 0 && (h as usize) < g.height && (w as usize) < g.width {
                        window.push(pl * plane + h as usize * g.width + w as usize);
                    }
                }
            }
            match how {
                Pooling::Max => {
                    let best = window
                        .iter()
                        .copied()
                        .fold(window[0], |b, i| if xs[i] > xs[b] { i } else { b });
                    want_y[o] = xs[best];
                    want_dx[best] += dys[o];
                }
                Pooling::Avg => {
                    want_y[o] = window.iter().map(|&i| xs[i]).sum::<f64>() / (k * k) as f64;
                    for &i in &window {
                        want_dx[i] += dys[o] / (k * k) as f64;
                    }
                }
            }
        }
        gpu.pool(how, &x, &g, &mut y, &mut argmax).unwrap();
        gpu.pool_backward(how, &dy, &argmax, &g, &mut dx).unwrap();
        assert_close(
            &format!("{how:?} pool {input:?} {p:?}"),
            &down(gpu, &y),
            &want_y,
            tol(p, k * k),
        );
        assert_close(
            &format!("{how:?} pool backward"),
            &down(gpu, &dx),
            &want_dx,
            tol(p, k * k),
        );
    }
}

#[test]
fn pooling_matches_the_cpu_with_ties_padding_and_overlap() {
    each_precision(|gpu, p| {
        at!(p, pool_case(gpu, p, [2, 3, 6, 5], 2, 2, 0));
        at!(p, pool_case(gpu, p, [1, 2, 7, 7], 3, 2, 1));
        at!(p, pool_case(gpu, p, [1, 1, 1, 1], 1, 1, 0));
    });
}

fn embedding_case<T: GpuScalar>(gpu: &Gpu, p: Precision) {
    let (vocab, width) = (7, 5);
    let ids = [3u32, 0, 3, 6, 3, 1];
    let table_values = rounded::<T>(randn(vocab * width, 17));
    let dys = randn(ids.len() * width, 18);
    let table = up::<T>(gpu, &table_values, &[vocab, width]);
    let tokens = gpu.upload_indices(&ids.map(|id| id as usize)).unwrap();
    let mut out = gpu.uninit::<T>(&[ids.len(), width]).unwrap();
    gpu.embedding(&table, &tokens, &mut out).unwrap();
    let want: Vec<f64> = ids
        .iter()
        .flat_map(|&id| table_values[id as usize * width..(id as usize + 1) * width].to_vec())
        .collect();
    assert_close(&format!("embedding {p:?}"), &down(gpu, &out), &want, 0.0);
    let dy = up::<T>(gpu, &dys, &[ids.len(), width]);
    let mut dtable = up::<T>(gpu, &table_values, &[vocab, width]);
    gpu.embedding_backward(&dy, &tokens, &mut dtable).unwrap();
    let mut want = table_values.clone();
    for (l, &id) in ids.iter().enumerate() {
        for d in 0..width {
            want[id as usize * width + d] += dys[l * width + d];
        }
    }
    assert_close("embedding backward", &down(gpu, &dtable), &want, tol(p, 3));
    // Indices a kernel wrote have no sorted copy: the scatter-add says so.
    let written = gpu.indices_for_output(ids.len()).unwrap();
    let err = gpu
        .embedding_backward(&dy, &written, &mut dtable)
        .unwrap_err();
    assert!(matches!(err, GpuError::Shape { .. }), "{err}");
}

#[test]
fn embedding_gathers_and_scatter_adds_repeated_ids() {
    each_precision(|gpu, p| at!(p, embedding_case(gpu, p)));
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

fn lstm_case<T: GpuScalar>(gpu: &Gpu, p: Precision) {
    let (b, h) = (3, 5);
    let (gxs, ghs, cps) = (randn(b * 4 * h, 19), randn(b * 4 * h, 20), randn(b * h, 21));
    let (dhs, dcs) = (randn(b * h, 22), randn(b * h, 23));
    let cp = up::<T>(gpu, &cps, &[b, h]);
    let pre_values: Vec<f64> = gxs.iter().zip(&ghs).map(|(a, b)| a + b).collect();
    let mut gates = up::<T>(gpu, &pre_values, &[b, 4 * h]);
    let (mut c, mut hh, mut tanh_c) = (
        gpu.uninit::<T>(&[b, h]).unwrap(),
        gpu.uninit::<T>(&[b, h]).unwrap(),
        gpu.uninit::<T>(&[b, h]).unwrap(),
    );
    gpu.lstm_cell(&mut gates, &cp, &mut c, &mut tanh_c, &mut hh)
        .unwrap();
    let dh = up::<T>(gpu, &dhs, &[b, h]);
    let mut dcp = up::<T>(gpu, &dcs, &[b, h]);
    let mut dgates = gpu.uninit::<T>(&[b, 4 * h]).unwrap();
    gpu.lstm_cell_backward(&gates, &cp, &tanh_c, &dh, &mut dcp, &mut dgates)
        .unwrap();

    let (mut want_c, mut want_h, mut want_dg, mut want_dcp) =
        (vec![], vec![], vec![0.0; b * 4 * h], vec![]);
    for e in 0..b * h {
        let (bi, j) = (e / h, e % h);
        let pre = |k: usize| gxs[bi * 4 * h + k * h + j] + ghs[bi * 4 * h + k * h + j];
        let (i, f, g, o) = (
            sigmoid(pre(0)),
            sigmoid(pre(1)),
            pre(2).tanh(),
            sigmoid(pre(3)),
        );
        let cv = f * cps[e] + i * g;
        want_c.push(cv);
        want_h.push(o * cv.tanh());
        let dct = dcs[e] + dhs[e] * o * (1.0 - cv.tanh().powi(2));
        want_dg[bi * 4 * h + j] = dct * g * i * (1.0 - i);
        want_dg[bi * 4 * h + h + j] = dct * cps[e] * f * (1.0 - f);
        want_dg[bi * 4 * h + 2 * h + j] = dct * i * (1.0 - g * g);
        want_dg[bi * 4 * h + 3 * h + j] = dhs[e] * cv.tanh() * o * (1.0 - o);
        want_dcp.push(dct * f);
    }
    let t = tol(p, 8);
    assert_close(&format!("lstm c {p:?}"), &down(gpu, &c), &want_c, t);
    assert_close("lstm h", &down(gpu, &hh), &want_h, t);
    assert_close("lstm dgates", &down(gpu, &dgates), &want_dg, t);
    assert_close("lstm dc_prev", &down(gpu, &dcp), &want_dcp, t);
}

fn gru_case<T: GpuScalar>(gpu: &Gpu, p: Precision) {
    let (b, h) = (2, 6);
    let (gxs, ghs, hps, dhs) = (
        randn(b * 3 * h, 24),
        randn(b * 3 * h, 25),
        randn(b * h, 26),
        randn(b * h, 27),
    );
    let (gx, gh, hp) = (
        up::<T>(gpu, &gxs, &[b, 3 * h]),
        up::<T>(gpu, &ghs, &[b, 3 * h]),
        up::<T>(gpu, &hps, &[b, h]),
    );
    let mut gates = gpu.uninit::<T>(&[b, 3 * h]).unwrap();
    let mut hh = gpu.uninit::<T>(&[b, h]).unwrap();
    gpu.gru_cell(&gx, &gh, &hp, &mut gates, &mut hh).unwrap();
    let (mut dgx, mut dgh) = (
        gpu.uninit::<T>(&[b, 3 * h]).unwrap(),
        gpu.uninit::<T>(&[b, 3 * h]).unwrap(),
    );
    let mut dhp = up::<T>(gpu, &dhs, &[b, h]);
    gpu.gru_cell_backward(&gates, &gh, &hp, &mut dhp, &mut dgx, &mut dgh)
        .unwrap();

    let (mut want_h, mut want_dgx, mut want_dgh, mut want_dhp) =
        (vec![], vec![0.0; b * 3 * h], vec![0.0; b * 3 * h], vec![]);
    for e in 0..b * h {
        let (bi, j) = (e / h, e % h);
        let at = |k: usize| bi * 3 * h + k * h + j;
        let r = sigmoid(gxs[at(0)] + ghs[at(0)]);
        let z = sigmoid(gxs[at(1)] + ghs[at(1)]);
        let n = (gxs[at(2)] + r * ghs[at(2)]).tanh();
        want_h.push((1.0 - z) * n + z * hps[e]);
        let dn = dhs[e] * (1.0 - z) * (1.0 - n * n);
        let dz = dhs[e] * (hps[e] - n) * z * (1.0 - z);
        let dr = dn * ghs[at(2)] * r * (1.0 - r);
        (want_dgx[at(0)], want_dgx[at(1)], want_dgx[at(2)]) = (dr, dz, dn);
        (want_dgh[at(0)], want_dgh[at(1)], want_dgh[at(2)]) = (dr, dz, dn * r);
        want_dhp.push(dhs[e] * z);
    }
    let t = tol(p, 8);
    assert_close(&format!("gru h {p:?}"), &down(gpu, &hh), &want_h, t);
    assert_close("gru dgx", &down(gpu, &dgx), &want_dgx, t);
    assert_close("gru dgh", &down(gpu, &dgh), &want_dgh, t);
    assert_close("gru dh_prev", &down(gpu, &dhp), &want_dhp, t);
}

#[test]
fn lstm_and_gru_steps_match_the_cpu_forward_and_backward() {
    each_precision(|gpu, p| {
        at!(p, lstm_case(gpu, p));
        at!(p, gru_case(gpu, p));
    });
}

#[test]
fn attention_masks_hide_future_and_padding_keys() {
    let Some(gpu) = gpu() else { return };
    let (n, lq, lk, heads) = (4, 3, 3, 2);
    let mut scores = gpu
        .upload(&vec![1.0f32; n * lq * lk], &[n, lq, lk])
        .unwrap();
    gpu.mask_causal(&mut scores, f64::NEG_INFINITY).unwrap();
    let keep = gpu.upload(&[1u32, 1, 1, 1, 0, 1], &[2, lk]).unwrap();
    gpu.mask_keys(&mut scores, &keep, heads).unwrap();
    let got = gpu.download(&scores).unwrap();
    for (e, &score) in got.iter().enumerate().take(n * lq * lk) {
        let (problem, i, j) = (e / (lq * lk), (e / lk) % lq, e % lk);
        let hidden = j > i || (problem / heads == 1 && j == 1);
        assert_eq!(
            score == f32::NEG_INFINITY,
            hidden,
            "score {problem},{i},{j}: {score}"
        );
    }
    // A masked score gets probability 0 after the softmax.
    let mut probs = gpu.uninit::<f32>(&[n, lq, lk]).unwrap();
    gpu.softmax(&scores, &mut probs).unwrap();
    assert_eq!(gpu.download(&probs).unwrap()[..3], [1.0, 0.0, 0.0]);
}

fn optim_case<T: GpuScalar>(gpu: &Gpu, p: Precision) {
    let n = 300;
    let (ps, gs) = (randn(n, 28), randn(n, 29));
    let t = tol(p, 4);
    // SGD, plain and with Nesterov momentum over two steps.
    let plain = SgdUpdate {
        lr: 0.1,
        momentum: 0.0,
        dampening: 0.0,
        weight_decay: 0.01,
        nesterov: false,
        first: true,
    };
    let mut param = up::<T>(gpu, &ps, &[n]);
    let grad = up::<T>(gpu, &gs, &[n]);
    gpu.sgd_step(&plain, &mut param, &grad, None).unwrap();
    let want: Vec<f64> = ps
        .iter()
        .zip(&gs)
        .map(|(w, g)| w - 0.1 * (g + 0.01 * w))
        .collect();
    assert_close(&format!("sgd {p:?}"), &down(gpu, &param), &want, t);

    let nesterov = SgdUpdate {
        momentum: 0.9,
        nesterov: true,
        ..plain
    };
    let mut param = up::<T>(gpu, &ps, &[n]);
    let mut buf = gpu.uninit::<T>(&[n]).unwrap();
    let (mut want, mut want_buf) = (ps.clone(), vec![0.0; n]);
    for step in 0..2 {
        let c = SgdUpdate {
            first: step == 0,
            ..nesterov
        };
        gpu.sgd_step(&c, &mut param, &grad, Some(&mut buf)).unwrap();
        for i in 0..n {
            let d = gs[i] + 0.01 * want[i];
            want_buf[i] = if step == 0 { d } else { 0.9 * want_buf[i] + d };
            want[i] -= 0.1 * (d + 0.9 * want_buf[i]);
        }
    }
    assert_close("sgd nesterov", &down(gpu, &param), &want, t);
    assert!(gpu.sgd_step(&nesterov, &mut param, &grad, None).is_err());

    // Adam and AdamW, three steps each.
    for decoupled in [false, true] {
        let mut param = up::<T>(gpu, &ps, &[n]);
        let (mut m, mut v) = (gpu.zeros::<T>(&[n]).unwrap(), gpu.zeros::<T>(&[n]).unwrap());
        let (mut want, mut wm, mut wv) = (ps.clone(), vec![0.0; n], vec![0.0; n]);
        for step in 1..=3 {
            let t = f64::from(step);
            let c = AdamUpdate {
                step_size: 0.01 / (1.0 - 0.9f64.powf(t)),
                inv_sqrt_bc2: 1.0 / (1.0 - 0.999f64.powf(t)).sqrt(),
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
                weight_decay: 0.1,
                decoupled,
                shrink: 1.0 - 0.01 * 0.1,
            };
            gpu.adam_step(&c, &mut param, &grad, &mut m, &mut v)
                .unwrap();
            let tt = f64::from(step);
            for i in 0..n {
                let mut g = gs[i];
                if decoupled {
                    want[i] *= 1.0 - 0.01 * 0.1;
                } else {
                    g += 0.1 * want[i];
                }
                wm[i] = 0.9 * wm[i] + 0.1 * g;
                wv[i] = 0.999 * wv[i] + 0.001 * g * g;
                let (mh, vh) = (
                    wm[i] / (1.0 - 0.9f64.powf(tt)),
                    wv[i] / (1.0 - 0.999f64.powf(tt)),
                );
                want[i] -= 0.01 * mh / (vh.sqrt() + 1e-8);
            }
        }
        assert_close(
            &format!("adam decoupled={decoupled} {p:?}"),
            &down(gpu, &param),
            &want,
            t * 10.0,
        );
    }
}

#[test]
fn optimiser_updates_match_torch_optim_step_for_step() {
    each_precision(|gpu, p| at!(p, optim_case(gpu, p)));
}

#[test]
fn a_buffer_too_big_for_the_device_is_an_error_not_a_panic() {
    let Some(gpu) = gpu() else { return };
    let err = gpu.uninit::<f32>(&[1 << 20, 1 << 11]).unwrap_err();
    assert!(matches!(err, GpuError::OutOfMemory { .. }), "{err}");
    assert!(err.to_string().contains(&gpu.adapter().name), "{err}");
    // The device still works after the refusal.
    let t = gpu.upload(&[1.0f32, 2.0], &[2]).unwrap();
    assert_eq!(gpu.download(&t).unwrap(), vec![1.0, 2.0]);
}

fn cross_entropy_case<T: GpuScalar>(gpu: &Gpu, p: Precision) {
    let (rows, classes) = (5, 300);
    let zs = randn(rows * classes, 30);
    let targets = [0usize, 299, 7, 7, 150];
    let logits = up::<T>(gpu, &zs, &[rows, classes]);
    let ids = gpu.upload_indices(&targets).unwrap();
    let mut grad = gpu.uninit::<T>(&[rows, classes]).unwrap();
    let loss = gpu.cross_entropy(&logits, &ids.clone(), &mut grad).unwrap();
    let (mut want_loss, mut want_grad) = (0.0, Vec::new());
    for r in 0..rows {
        let z = &zs[r * classes..(r + 1) * classes];
        let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = max + z.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        want_loss += (lse - z[targets[r]]) / rows as f64;
        want_grad
            .extend((0..classes).map(|j| {
                ((z[j] - lse).exp() - f64::from(u8::from(j == targets[r]))) / rows as f64
            }));
    }
    let t = tol(p, classes);
    assert_close(
        &format!("cross-entropy {p:?}"),
        &[loss.as_f64()],
        &[want_loss],
        t,
    );
    assert_close("cross-entropy grad", &down(gpu, &grad), &want_grad, t);
    let total = gpu.sum(&logits).unwrap().as_f64();
    assert_close(
        "sum",
        &[total],
        &[zs.iter().sum::<f64>()],
        tol(p, zs.len()) * 4.0,
    );
}

#[test]
fn cross_entropy_and_sum_match_the_cpu() {
    each_precision(|gpu, p| at!(p, cross_entropy_case(gpu, p)));
}

#[test]
fn geam_copies_a_transposed_block_and_accumulates() {
    let Some(gpu) = gpu() else { return };
    // a [3, 4]; c [2, 3] ← 2·(a[1..3, 0..3])ᵀ… as a block: op(a) = rows 0..2 of aᵀ's 3×… view.
    let a: Vec<f32> = (0..12).map(|v| v as f32).collect();
    let ga = gpu.upload(&a, &[3, 4]).unwrap();
    let mut c = gpu.upload(&[1.0f32; 6], &[2, 3]).unwrap();
    // op(a)[i, j] = a[j, i + 1] for i < 2, j < 3 (a transposed view starting at column 1).
    let layout = GemmLayout {
        m: 2,
        n: 3,
        k: 0,
        batch: 1,
        trans_a: true,
        trans_b: false,
        ld: [4, 0, 3],
        stride: [0, 0, 6],
        offset: [1, 0, 0],
    };
    gpu.geam_strided(2.0, &ga, 1.0, &mut c, &layout).unwrap();
    let want: Vec<f32> = (0..6)
        .map(|e| 1.0 + 2.0 * a[(e % 3) * 4 + e / 3 + 1])
        .collect();
    assert_eq!(gpu.download(&c).unwrap(), want);
}
