//! The layers ported onto the `Backend` seam run unchanged on the GPU backend and agree with the
//! CPU: the same layer code, seeded weights and inputs, forward and backward, in f32 (sums in
//! another order: 1e-4 relative to the largest value); and `verify --device gpu` passes the public
//! cases of the ops it runs there. Lavapipe in CI; without an adapter the
//! tests skip with a message, except when `CI` is set.
#![cfg(feature = "gpu")]

use ndarray::{Array, Array3, ArrayD, Dimension, Ix2};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use reference_impls::backend::gpu::{Gpu, GpuError};
use reference_impls::backend::{Backend, Cpu, Device, GpuChoice};
use reference_impls::layers::attention::MultiHeadAttention;
use reference_impls::layers::recurrent::{Cell, GruCell, LstmCell, Recurrent, RnnTanhCell};
use reference_impls::layers::transformer::TransformerEncoderLayer;
use reference_impls::layers::{Embedding, LayerNorm};
use reference_impls::verify::{HOST_NOTE, HOST_OPS, gpu_supported_ops, verify_dir};

/// The GPU, or `None` (with a message) when there is none outside CI.
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

/// A host array of `shape` with entries in [−1, 1) from `seed`.
fn random<D: Dimension, Sh: ndarray::ShapeBuilder<Dim = D>>(shape: Sh, seed: u64) -> Array<f32, D> {
    reference_impls::layers::uniform(shape, 1.0, &mut ChaCha8Rng::seed_from_u64(seed))
}

/// Host copies of tensors of any dimension.
fn host<B: Backend, D: Dimension>(be: &B, x: &B::Tensor<f32, D>) -> ArrayD<f32> {
    be.download(x).unwrap().into_dyn()
}

/// Asserts that every named CPU result matches the GPU's to 1e-4 of the largest magnitude.
fn assert_close(cpu: &[(&str, ArrayD<f32>)], gpu: &[(&str, ArrayD<f32>)]) {
    for ((name, want), (_, got)) in cpu.iter().zip(gpu) {
        assert_eq!(want.shape(), got.shape(), "{name}");
        let scale = want.iter().fold(1.0_f32, |m, v| m.max(v.abs()));
        let worst = want
            .iter()
            .zip(got)
            .fold(0.0_f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(worst <= 1e-4 * scale, "{name}: differs by {worst}");
    }
}

/// Forward and backward of a recurrent layer through time (B 3, T 5, I 4, H 6, random state0
/// and output gradient; the loss also reads the final state): outputs, dx, d state0, dW.
fn recurrent_run<C: Cell, B: Backend>(be: &B) -> Vec<(&'static str, ArrayD<f32>)> {
    let (b, t, i, h) = (3, 5, 4, 6);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut layer = Recurrent::<f32, C, B>::new_on(be, i, h, &mut rng).unwrap();
    let up3 = |a: Array3<f32>| be.upload(a.view()).unwrap();
    let state = |seed: u64| -> Vec<B::Tensor<f32, Ix2>> {
        (0..C::PARTS.len() as u64)
            .map(|k| be.upload(random((b, h), seed + k).view()).unwrap())
            .collect()
    };
    let (x, dy) = (up3(random((b, t, i), 1)), up3(random((b, t, h), 2)));
    let (state0, d_final) = (state(3), state(5));
    let mut out = vec![("output", host(be, layer.forward(&x, &state0).unwrap()))];
    out.push(("h_n", host(be, &layer.final_state()[0])));
    let (dx, d_state0) = layer.backward(&dy, Some(&d_final)).unwrap();
    out.push(("grad_x", host(be, dx)));
    out.push(("grad_h0", host(be, &d_state0[0])));
    out.push(("grad_weight_hh", host(be, &layer.grad_weight_hh)));
    out.push(("grad_weight_ih", host(be, &layer.grad_weight_ih)));
    out.push(("grad_bias_hh", host(be, &layer.grad_bias_hh)));
    out
}

fn recurrent_matches<C: Cell>() {
    if let Some(gpu) = gpu() {
        assert_close(&recurrent_run::<C, _>(&Cpu), &recurrent_run::<C, _>(&gpu));
    }
}

#[test]
fn rnn_lstm_and_gru_on_the_gpu_match_the_cpu() {
    recurrent_matches::<RnnTanhCell>();
    recurrent_matches::<LstmCell>();
    recurrent_matches::<GruCell>();
}

/// LayerNorm over the last axis of `[2, 3, 7]`, and an embedding lookup with repeated ids.
fn norm_and_embedding_run<B: Backend>(be: &B) -> Vec<(&'static str, ArrayD<f32>)> {
    let mut norm = LayerNorm::<f32, ndarray::Ix3, B>::from_weights_on(
        be,
        random(7, 1) + 1.0,
        random(7, 2),
        1e-5,
    )
    .unwrap();
    let x = be.upload(random((2, 3, 7), 3).view()).unwrap();
    let dy = be.upload(random((2, 3, 7), 4).view()).unwrap();
    let mut out = vec![("layer_norm y", host(be, norm.forward(&x).unwrap()))];
    out.push(("layer_norm dx", host(be, norm.backward(&dy).unwrap())));
    out.push(("layer_norm dγ", host(be, &norm.grad_weight)));
    let mut emb = Embedding::<f32, B>::from_weights_on(be, random((5, 3), 5)).unwrap();
    let ids = [4, 0, 4, 2, 4, 1];
    out.push(("embedding y", host(be, emb.forward(&ids).unwrap())));
    let d = be.upload(random((ids.len(), 3), 6).view()).unwrap();
    emb.backward(&d).unwrap();
    out.push(("embedding dE", host(be, &emb.grad_weight)));
    out
}

#[test]
fn layer_norm_and_embedding_on_the_gpu_match_the_cpu() {
    if let Some(gpu) = gpu() {
        assert_close(&norm_and_embedding_run(&Cpu), &norm_and_embedding_run(&gpu));
    }
}

/// Causal multi-head self-attention (B 2, L 5, E 8, 2 heads) and a pre-norm encoder layer
/// (F 12), forward and backward: outputs, dx and the in-projection gradients.
fn attention_run<B: Backend>(be: &B) -> Vec<(&'static str, ArrayD<f32>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut mha = MultiHeadAttention::<f32, B>::new_on(be, 8, 2, true, &mut rng).unwrap();
    let x = be.upload(random((2, 5, 8), 1).view()).unwrap();
    let dy = be.upload(random((2, 5, 8), 2).view()).unwrap();
    let mut out = vec![("mha y", host(be, mha.forward(&x, &x, &x).unwrap()))];
    out.push(("mha dx", host(be, mha.backward_self(&dy).unwrap())));
    out.push(("mha d in_proj", host(be, &mha.grad_in_proj_weight)));
    out.push(("mha d in_bias", host(be, &mha.grad_in_proj_bias)));
    let mut encoder = TransformerEncoderLayer::<f32, B>::new_on(be, 8, 2, 12, &mut rng).unwrap();
    out.push(("encoder y", host(be, encoder.forward(&x).unwrap())));
    out.push(("encoder dx", host(be, encoder.backward(&dy).unwrap())));
    out.push(("encoder d W1", host(be, &encoder.linear1.grad_weight)));
    out.push(("encoder d γ1", host(be, &encoder.norm1.grad_weight)));
    out
}

#[test]
fn attention_and_the_encoder_layer_on_the_gpu_match_the_cpu() {
    if let Some(gpu) = gpu() {
        assert_close(&attention_run(&Cpu), &attention_run(&gpu));
    }
}

/// `verify --device gpu`: every public case passes, in f64 with the CPU's tolerances: on the GPU
/// backend for every op it has, on the host (and saying so) for the few ops the models compute
/// there on every device, and no case is `unsupported`.
#[test]
fn verify_on_the_gpu_passes_every_public_case() {
    if gpu().is_none() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/refvectors");
    let report = verify_dir(&dir, Device::GPU).expect("the GPU opens and the vectors are read");
    let on_gpu = gpu_supported_ops();
    for op in [
        "conv2d",
        "lstm",
        "softmax",
        "linear",
        "mlp2_cross_entropy",
        "adam",
    ] {
        assert!(on_gpu.contains(&op), "{op} runs on the GPU: {on_gpu:?}");
    }
    for case in &report.cases {
        assert!(case.passed, "{} on the GPU: {}", case.case, case.detail);
        let on_host = HOST_OPS.contains(&case.op.as_str());
        assert_eq!(
            case.detail.contains(HOST_NOTE),
            on_host,
            "{}: {}",
            case.case,
            case.detail
        );
        assert!(on_host || on_gpu.contains(&case.op.as_str()), "{}", case.op);
    }
    assert_eq!(report.unsupported, 0);
    let on_device = report
        .cases
        .iter()
        .filter(|c| !HOST_OPS.contains(&c.op.as_str()))
        .count();
    assert!(on_device >= 35, "only {on_device} cases ran on the GPU");
}
