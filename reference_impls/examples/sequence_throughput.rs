//! Forward+backward time of the LSTM and of 4-head self-attention, on the workloads of
//! `../shared/bench/anchors/torch_lstm.py` and `torch_attention.py` (`bench/lstm_bench.sh` and
//! `bench/attention_bench.sh` run both sides).
//!
//! - `lstm`: one-layer LSTM, input 64, hidden 128, sequence 50, batch 32 (batch-first here, the
//!   same work), loss = Σ output: one step = zero grads + forward + backward (without dL/dx, as
//!   PyTorch, whose x does not require grad).
//! - `attention`: multi-head self-attention, d_model 128, 4 heads, sequence 128, batch 32,
//!   q = k = v = x, loss = Σ output: one step = zero grads + forward + backward.
//!
//! Usage: `cargo run --release -p reference_impls --example sequence_throughput -- lstm|attention
//! [--threads 1] [--iters 50]`. `--threads N` sets `MATMUL_NUM_THREADS` and `RAYON_NUM_THREADS`
//! unless already set. 5 warm-up steps, then `--iters` timed steps; prints the median (min-max)
//! milliseconds in the format of the PyTorch scripts.

use std::process::ExitCode;
use std::time::Instant;

use ndarray::Array3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use reference_impls::layers::Layer;
use reference_impls::layers::attention::MultiHeadAttention;
use reference_impls::layers::recurrent::Lstm;

/// Why a CPU op cannot fail.
const CPU: &str = "the CPU backend does not fail";

/// Warm-up steps before timing (as the PyTorch scripts).
const WARM_UP: usize = 5;

/// Times `step` (after warm-up) and returns milliseconds per step.
fn time_steps(iters: usize, mut step: impl FnMut()) -> Vec<f64> {
    let mut times = Vec::with_capacity(iters);
    for i in 0..WARM_UP + iters {
        let started = Instant::now();
        step();
        if i >= WARM_UP {
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    times
}

/// A `[B, T, C]` array of standard normal values.
fn randn(shape: (usize, usize, usize), rng: &mut ChaCha8Rng) -> Array3<f32> {
    Array3::from_shape_simple_fn(shape, || rng.sample(StandardNormal))
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let model = args.next().unwrap_or_default();
    let (mut threads, mut iters) = (1_usize, 50_usize);
    while let Some(flag) = args.next() {
        let value = args.next().and_then(|v| v.parse().ok()).filter(|&v| v > 0);
        match (flag.as_str(), value) {
            ("--threads", Some(v)) => threads = v,
            ("--iters", Some(v)) => iters = v,
            _ => {
                eprintln!("error: `{flag}`: expected --threads N or --iters N (N > 0)");
                return ExitCode::from(2);
            }
        }
    }
    for var in ["MATMUL_NUM_THREADS", "RAYON_NUM_THREADS"] {
        if std::env::var_os(var).is_none() {
            // SAFETY: no other thread exists yet (nothing has multiplied a matrix or used rayon).
            unsafe { std::env::set_var(var, threads.to_string()) };
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let (label, mut times) = match model.as_str() {
        "lstm" => {
            let mut lstm = Lstm::<f32>::new(64, 128, &mut rng);
            let x = randn((32, 50, 64), &mut rng); // [B, T, I]
            let state0 = lstm.zero_state(32).expect(CPU);
            let ones = Array3::<f32>::ones((32, 50, 128)); // dL/d output of L = Σ output
            let times = time_steps(iters, || {
                lstm.zero_grad().expect(CPU);
                lstm.forward(&x, &state0).expect(CPU);
                lstm.backward_params(&ones, None).expect(CPU);
            });
            ("lstm fwd+bwd", times)
        }
        "attention" => {
            let mut mha = MultiHeadAttention::<f32>::new(128, 4, false, &mut rng)
                .expect("128 is a multiple of 4");
            let x = randn((32, 128, 128), &mut rng); // [B, L, E]
            let ones = Array3::<f32>::ones((32, 128, 128));
            let times = time_steps(iters, || {
                mha.zero_grad().expect(CPU);
                mha.forward(&x, &x, &x).expect(CPU);
                mha.backward_self(&ones).expect(CPU);
            });
            ("attention mha fwd+bwd", times)
        }
        _ => {
            eprintln!("error: the first argument is `lstm` or `attention`");
            return ExitCode::from(2);
        }
    };
    times.sort_by(f64::total_cmp);
    let mid = times.len() / 2;
    let median = if times.len() % 2 == 1 {
        times[mid]
    } else {
        (times[mid - 1] + times[mid]) / 2.0
    };
    println!(
        "savoir {label} threads={threads}: median {median:.2} ms (min {:.2} - max {:.2}, {} steps)",
        times[0],
        times[times.len() - 1],
        times.len()
    );
    ExitCode::SUCCESS
}
