//! Training throughput of the MLP of `models::mlp` on the workload of
//! `../shared/bench/anchors/torch_mlp.py`, for a side-by-side comparison with PyTorch
//! (`bench/mlp_bench.sh` runs both).
//!
//! Workload: a 784-256-128-10 MLP, ReLU, softmax cross-entropy, SGD lr 0.1, batch 128,
//! 60,000 random f32 samples (standard normal, seeded), random labels 0-9, fixed batch order
//! (no shuffling). Each step is `models::train::train_step`, the code the `mlp` model trains with.
//!
//! Usage:
//! `cargo run --release -p reference_impls --example mlp_throughput -- [--threads 1] [--epochs 1]
//! [--samples 60000] [--batch 128]`
//!
//! `--threads N` sets `MATMUL_NUM_THREADS` (matrixmultiply's GEMM threads) and
//! `RAYON_NUM_THREADS` to N unless they are already set. Prints seconds and samples/s per epoch,
//! then the median (min-max) over the epochs, in the format of the PyTorch script.

use std::process::ExitCode;
use std::time::Instant;

use ndarray::{Array2, s};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use reference_impls::Cpu;
use reference_impls::layers::{Activation, reuse};
use reference_impls::models::mlp::Mlp;
use reference_impls::models::train::{LossScratch, train_step};
use reference_impls::optim::{Sgd, SgdConfig};

/// The command-line options.
struct Options {
    threads: usize,
    epochs: usize,
    samples: usize,
    batch: usize,
}

/// Parses `--threads`, `--epochs`, `--samples`, `--batch` (each followed by a positive integer).
fn parse_options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        threads: 1,
        epochs: 1,
        samples: 60_000,
        batch: 128,
    };
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--threads" => &mut options.threads,
            "--epochs" => &mut options.epochs,
            "--samples" => &mut options.samples,
            "--batch" => &mut options.batch,
            _ => {
                return Err(format!(
                    "unknown argument `{flag}`; expected --threads, --epochs, --samples or --batch"
                ));
            }
        };
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        *slot = value
            .parse()
            .ok()
            .filter(|&v: &usize| v > 0)
            .ok_or_else(|| format!("{flag}: `{value}` is not a positive integer"))?;
    }
    Ok(options)
}

/// `12345.6` → `"12,346"`.
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn main() -> ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    for var in ["MATMUL_NUM_THREADS", "RAYON_NUM_THREADS"] {
        if std::env::var_os(var).is_none() {
            // SAFETY: no other thread exists yet (nothing has multiplied a matrix or used rayon).
            unsafe { std::env::set_var(var, options.threads.to_string()) };
        }
    }

    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let x =
        Array2::<f32>::from_shape_simple_fn((options.samples, 784), || rng.sample(StandardNormal)); // [S, 784]
    let y: Vec<usize> = (0..options.samples)
        .map(|_| rng.random_range(0..10))
        .collect(); // [S]
    let mut net = Mlp::<f32>::new(&[784, 256, 128, 10], Activation::Relu, &mut rng);
    let mut sgd = Sgd::new(SgdConfig::new(0.1));
    let mut scratch = LossScratch::new(&Cpu).expect("the CPU backend does not fail");
    let mut xb = Array2::zeros((0, 0)); // x of a batch: [N, 784]

    let mut rates = Vec::with_capacity(options.epochs);
    for epoch in 0..options.epochs {
        let started = Instant::now();
        let mut loss = 0.0;
        for start in (0..options.samples).step_by(options.batch) {
            let end = (start + options.batch).min(options.samples);
            let rows = x.slice(s![start..end, ..]);
            reuse(&mut xb, rows.raw_dim()).assign(&rows);
            loss = match train_step(&mut net, &mut sgd, &xb, &y[start..end], &mut scratch) {
                Ok(loss) => loss,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
        }
        let seconds = started.elapsed().as_secs_f64();
        let rate = options.samples as f64 / seconds;
        rates.push(rate);
        println!(
            "threads={} epoch {epoch}: {seconds:.3} s, {} samples/s, loss {loss:.3}",
            options.threads,
            thousands(rate)
        );
    }
    rates.sort_by(f64::total_cmp);
    let median = if rates.len() % 2 == 1 {
        rates[rates.len() / 2]
    } else {
        (rates[rates.len() / 2 - 1] + rates[rates.len() / 2]) / 2.0
    };
    println!(
        "savoir reference_impls threads={} samples/s median {} (min {} - max {}, {} epochs)",
        options.threads,
        thousands(median),
        thousands(rates[0]),
        thousands(rates[rates.len() - 1]),
        rates.len()
    );
    ExitCode::SUCCESS
}
