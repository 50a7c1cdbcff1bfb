//! The GPU backend through the seam: one scenario, written once against [`Backend`], runs every
//! op of the trait on the CPU and on the GPU (lavapipe in CI), and the two must agree.
//!
//! f64 where the adapter has `SHADER_F64` (agreement to 1e-9: the kernels sum in another order),
//! else f32 (1e-4). Without an adapter the test skips with a message, except when `CI` is set.
#![cfg(feature = "gpu")]

use ndarray::{Array, ArrayD, Dimension, Ix1, Ix2, Ix3, Ix4, IxDyn};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use reference_impls::Scalar;
use reference_impls::backend::gpu::{Gpu, GpuError};
use reference_impls::backend::{
    AdamUpdate, AttentionMask, Backend, BackendResult, Binary, ConvGeometry, Cpu, GpuChoice, Mat,
    Pooling, SgdUpdate,
};
use reference_impls::layers::Activation;

/// Named results of the scenario, on the host as f64.
type Results = Vec<(&'static str, ArrayD<f64>)>;

fn randn<D: Dimension>(dim: D, seed: u64) -> Array<f64, D> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Array::from_shape_simple_fn(dim, || StandardNormal.sample(&mut rng))
}

/// Uploads f64 values as `T`.
fn up<B: Backend, T: Scalar, D: Dimension>(
    b: &B,
    values: &Array<f64, D>,
) -> BackendResult<B::Tensor<T, D>> {
    b.upload(values.mapv(T::from_f64).view())
}

/// Downloads as f64, recorded under `name`.
fn keep<B: Backend, T: Scalar, D: Dimension>(
    b: &B,
    out: &mut Results,
    name: &'static str,
    t: &B::Tensor<T, D>,
) -> BackendResult<()> {
    let host = b.download(t)?;
    out.push((name, host.mapv(|v| v.as_f64()).into_dyn()));
    Ok(())
}

/// Every op of the seam on `b`, in `T`.
fn scenario<B: Backend, T: Scalar>(b: &B) -> BackendResult<Results> {
    let mut out = Results::new();
    let one = T::one();
    let zero = T::zero();

    // GEMM: a batch [2, 3, 4] times a shared weight [5, 4]ᵀ, then a block product.
    let x = up::<B, T, Ix3>(b, &randn(Ix3(2, 3, 4), 1))?;
    let w = up::<B, T, Ix2>(b, &randn(Ix2(5, 4), 2))?;
    let mut y = b.zeros::<T, Ix3>(Ix3(2, 3, 5))?;
    b.gemm(one, Mat::of(&x), Mat::of(&w).t(), zero, Mat::of(&mut y))?;
    keep::<B, T, _>(b, &mut out, "gemm batch × shared", &y)?;
    let mut z = up::<B, T, Ix2>(b, &randn(Ix2(3, 2), 3))?;
    let half = T::from_f64(0.5);
    // 0.5 · (rows 1..4 of x seen flat) · (rows 0..4, columns 1..3 of w) + z.
    b.gemm(
        half,
        Mat::of(&x).strided(4, 3, 4, 4),
        Mat::of(&w).rows(0..4).cols(1..3),
        one,
        Mat::of(&mut z),
    )?;
    keep::<B, T, _>(b, &mut out, "gemm blocks", &z)?;
    // geam: copy time step 1 of the [2, 3, 4] sequence into [2, 4], then accumulate it twice.
    let mut step = b.zeros::<T, Ix2>(Ix2(2, 4))?;
    b.geam(
        one,
        Mat::of(&x).strided(4, 2, 4, 12),
        zero,
        Mat::of(&mut step),
    )?;
    b.geam(
        half,
        Mat::of(&x).strided(4, 2, 4, 12),
        one,
        Mat::of(&mut step),
    )?;
    keep::<B, T, _>(b, &mut out, "geam", &step)?;

    // Element-wise.
    let mut act = b.zeros::<T, Ix3>(Ix3(2, 3, 4))?;
    let mut dact = b.zeros::<T, Ix3>(Ix3(2, 3, 4))?;
    let g3 = up::<B, T, Ix3>(b, &randn(Ix3(2, 3, 4), 4))?;
    b.activation(Activation::Gelu, &x, &mut act)?;
    b.activation_backward(Activation::Gelu, &x, &g3, &mut dact)?;
    keep::<B, T, _>(b, &mut out, "gelu", &act)?;
    keep::<B, T, _>(b, &mut out, "gelu backward", &dact)?;
    b.binary(Binary::Sub, &x, &g3, &mut act)?;
    keep::<B, T, _>(b, &mut out, "sub", &act)?;
    b.binary(Binary::Mul, &x, &g3, &mut act)?;
    b.axpby(T::from_f64(2.0), &x, T::from_f64(-1.0), &mut act)?;
    keep::<B, T, _>(b, &mut out, "mul then axpby", &act)?;

    // Bias over channels (inner 4) and its gradient; sum.
    let bias = up::<B, T, Ix1>(b, &randn(Ix1(3), 5))?;
    b.add_bias(&bias, 4, one, &mut act)?;
    keep::<B, T, _>(b, &mut out, "add_bias", &act)?;
    let mut db = up::<B, T, Ix1>(b, &randn(Ix1(3), 6))?;
    b.add_channel_sums(&x, 4, &mut db)?;
    keep::<B, T, _>(b, &mut out, "add_channel_sums", &db)?;
    let total = b.sum(&x)?;
    out.push(("sum", ArrayD::from_elem(IxDyn(&[]), total.as_f64())));

    // Rows: softmax family, causal mask, layer norm, cross-entropy.
    let mut s = b.zeros::<T, Ix3>(Ix3(2, 3, 4))?;
    let mut ds = b.zeros::<T, Ix3>(Ix3(2, 3, 4))?;
    b.softmax(&x, &mut s)?;
    b.softmax_backward(&s, &g3, &mut ds)?;
    keep::<B, T, _>(b, &mut out, "softmax backward", &ds)?;
    b.log_softmax(&x, &mut s)?;
    b.log_softmax_backward(&s, &g3, &mut ds)?;
    keep::<B, T, _>(b, &mut out, "log_softmax backward", &ds)?;
    let mut scores = up::<B, T, Ix3>(b, &randn(Ix3(2, 3, 3), 7))?;
    b.mask_fill(AttentionMask::Causal, T::neg_infinity(), &mut scores)?;
    let mut probs = b.zeros::<T, Ix3>(Ix3(2, 3, 3))?;
    b.softmax(&scores, &mut probs)?;
    keep::<B, T, _>(b, &mut out, "causal softmax", &probs)?;
    let (gamma, beta) = (
        up::<B, T, Ix1>(b, &randn(Ix1(4), 8))?,
        up::<B, T, Ix1>(b, &randn(Ix1(4), 9))?,
    );
    let (mut ln, mut xhat, mut inv_std) = (
        b.zeros::<T, Ix3>(Ix3(2, 3, 4))?,
        b.zeros::<T, Ix3>(Ix3(2, 3, 4))?,
        b.zeros::<T, Ix1>(Ix1(6))?,
    );
    b.layer_norm(&x, &gamma, &beta, 1e-5, &mut ln, &mut xhat, &mut inv_std)?;
    keep::<B, T, _>(b, &mut out, "layer_norm", &ln)?;
    let (mut dg, mut dbeta) = (b.zeros::<T, Ix1>(Ix1(4))?, b.zeros::<T, Ix1>(Ix1(4))?);
    b.layer_norm_backward(&g3, &xhat, &inv_std, &gamma, &mut ln, &mut dg, &mut dbeta)?;
    keep::<B, T, _>(b, &mut out, "layer_norm dx", &ln)?;
    keep::<B, T, _>(b, &mut out, "layer_norm dγ", &dg)?;
    keep::<B, T, _>(b, &mut out, "layer_norm dβ", &dbeta)?;
    let logits = up::<B, T, Ix2>(b, &randn(Ix2(4, 5), 10))?;
    let targets = b.upload_indices(&[4, 0, 2, 2])?;
    let mut dlogits = b.zeros::<T, Ix2>(Ix2(4, 5))?;
    let loss = b.cross_entropy(&logits, &targets, &mut dlogits)?;
    out.push((
        "cross_entropy",
        ArrayD::from_elem(IxDyn(&[]), loss.as_f64()),
    ));
    keep::<B, T, _>(b, &mut out, "cross_entropy grad", &dlogits)?;

    // Convolution and pooling.
    let img = up::<B, T, Ix4>(b, &randn(Ix4(2, 2, 5, 5), 11))?;
    let g = ConvGeometry::new([2, 2, 5, 5], (3, 3), 2, 1).expect("geometry");
    let mut cols = b.zeros::<T, Ix2>(Ix2(g.patch_len(), g.positions()))?;
    b.im2col(&img, &g, &mut cols)?;
    keep::<B, T, _>(b, &mut out, "im2col", &cols)?;
    let mut dimg = b.zeros::<T, Ix4>(Ix4(2, 2, 5, 5))?;
    b.col2im(&cols, &g, &mut dimg)?;
    keep::<B, T, _>(b, &mut out, "col2im", &dimg)?;
    let mut pooled = b.zeros::<T, Ix4>(Ix4(2, 2, g.out_h, g.out_w))?;
    let dpooled = up::<B, T, Ix4>(b, &randn(Ix4(2, 2, g.out_h, g.out_w), 12))?;
    let mut argmax = b.upload_indices(&[])?;
    for kind in [Pooling::Max, Pooling::Avg] {
        b.pool2d(kind, &img, &g, &mut pooled, &mut argmax)?;
        b.pool2d_backward(kind, &dpooled, &g, &argmax, &mut dimg)?;
        keep::<B, T, _>(b, &mut out, "pool2d", &pooled)?;
        keep::<B, T, _>(b, &mut out, "pool2d backward", &dimg)?;
    }

    // Embedding.
    let table = up::<B, T, Ix2>(b, &randn(Ix2(6, 3), 13))?;
    let ids = b.upload_indices(&[5, 1, 5, 0])?;
    let mut rows = b.zeros::<T, Ix2>(Ix2(4, 3))?;
    b.gather_rows(&table, &ids, &mut rows)?;
    keep::<B, T, _>(b, &mut out, "gather_rows", &rows)?;
    let mut dtable = b.zeros::<T, Ix2>(Ix2(6, 3))?;
    b.scatter_add_rows(&rows, &ids, &mut dtable)?;
    keep::<B, T, _>(b, &mut out, "scatter_add_rows", &dtable)?;

    // Recurrent cells (B 2, H 3).
    let mut pre = up::<B, T, Ix2>(b, &randn(Ix2(2, 12), 14))?;
    let c_prev = up::<B, T, Ix2>(b, &randn(Ix2(2, 3), 15))?;
    let (mut c, mut tanh_c, mut h) = (
        b.zeros::<T, Ix2>(Ix2(2, 3))?,
        b.zeros::<T, Ix2>(Ix2(2, 3))?,
        b.zeros::<T, Ix2>(Ix2(2, 3))?,
    );
    b.lstm_cell(&mut pre, &c_prev, &mut c, &mut tanh_c, &mut h)?;
    keep::<B, T, _>(b, &mut out, "lstm h", &h)?;
    let dh = up::<B, T, Ix2>(b, &randn(Ix2(2, 3), 16))?;
    let mut dc = up::<B, T, Ix2>(b, &randn(Ix2(2, 3), 17))?;
    let mut d_pre = b.zeros::<T, Ix2>(Ix2(2, 12))?;
    b.lstm_cell_backward(&pre, &c_prev, &tanh_c, &dh, &mut dc, &mut d_pre)?;
    keep::<B, T, _>(b, &mut out, "lstm d_pre", &d_pre)?;
    keep::<B, T, _>(b, &mut out, "lstm dc_prev", &dc)?;
    let (gx, gh) = (
        up::<B, T, Ix2>(b, &randn(Ix2(2, 9), 18))?,
        up::<B, T, Ix2>(b, &randn(Ix2(2, 9), 19))?,
    );
    let mut gates = b.zeros::<T, Ix2>(Ix2(2, 9))?;
    b.gru_cell(&gx, &gh, &c_prev, &mut gates, &mut h)?;
    keep::<B, T, _>(b, &mut out, "gru h", &h)?;
    let mut dh = up::<B, T, Ix2>(b, &randn(Ix2(2, 3), 20))?;
    let (mut d_gx, mut d_gh) = (b.zeros::<T, Ix2>(Ix2(2, 9))?, b.zeros::<T, Ix2>(Ix2(2, 9))?);
    b.gru_cell_backward(&gates, &gh, &c_prev, &mut dh, &mut d_gx, &mut d_gh)?;
    keep::<B, T, _>(b, &mut out, "gru d_gh", &d_gh)?;
    keep::<B, T, _>(b, &mut out, "gru dh_prev", &dh)?;

    // Optimisers, through the parameter views.
    let mut p = up::<B, T, Ix2>(b, &randn(Ix2(3, 4), 21))?;
    let mut grad = up::<B, T, Ix2>(b, &randn(Ix2(3, 4), 22))?;
    let mut momentum = {
        let view = B::param_mut(&mut p);
        b.zeros_like_param(&view)?
    };
    let (mut m, mut v) = (
        b.zeros::<T, IxDyn>(IxDyn(&[3, 4]))?,
        b.zeros::<T, IxDyn>(IxDyn(&[3, 4]))?,
    );
    for first in [true, false] {
        let sgd = SgdUpdate {
            lr: 0.1,
            weight_decay: 0.01,
            momentum: 0.9,
            dampening: 0.0,
            nesterov: true,
            first,
        };
        let gview = B::param_mut(&mut grad);
        let mut pview = B::param_mut(&mut p);
        b.sgd_update(&sgd, &mut pview, &gview, Some(&mut momentum))?;
        let adam = AdamUpdate {
            step_size: 0.01,
            inv_sqrt_bc2: 1.5,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.1,
            decoupled: first,
            shrink: 0.999,
        };
        b.adam_update(&adam, &mut pview, &gview, &mut m, &mut v)?;
    }
    let mut pview = B::param_mut(&mut p);
    let host = b.download_param(&pview)?;
    out.push(("sgd then adam", host.mapv(|v| v.as_f64())));
    b.fill_param(&mut pview, T::from_f64(3.0))?;
    let host = b.download_param(&pview)?;
    out.push(("fill_param", host.mapv(|v| v.as_f64())));
    Ok(out)
}

#[test]
fn every_seam_op_agrees_between_cpu_and_gpu() {
    let gpu = match Gpu::open(GpuChoice::Preferred) {
        Ok(gpu) => gpu,
        Err(e @ GpuError::NoAdapter { .. }) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: {e}");
            return;
        }
        Err(e) => panic!("no usable GPU in CI: {e}"),
    };
    let (cpu, gpu_results, tol) = if gpu.adapter().f64 {
        (scenario::<Cpu, f64>(&Cpu), scenario::<Gpu, f64>(&gpu), 1e-9)
    } else {
        (scenario::<Cpu, f32>(&Cpu), scenario::<Gpu, f32>(&gpu), 1e-4)
    };
    let (cpu, on_gpu) = (cpu.expect("cpu"), gpu_results.expect("gpu"));
    assert_eq!(cpu.len(), on_gpu.len());
    assert!(cpu.len() > 30, "the scenario records every op");
    for ((name, want), (_, got)) in cpu.iter().zip(&on_gpu) {
        assert_eq!(want.shape(), got.shape(), "{name}: shapes");
        for (i, (w, g)) in want.iter().zip(got).enumerate() {
            assert!(
                (w - g).abs() <= tol * (1.0 + w.abs()),
                "{name}[{i}]: CPU {w}, GPU {g}"
            );
        }
    }
    assert_eq!(Backend::device(&gpu).to_string(), "gpu");
}
