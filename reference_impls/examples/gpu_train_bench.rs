//! Training throughput on the GPU backend, for `bench/gpu_bench.sh` (by hand, not in CI).
//!
//! Two workloads, each the same work as `bench/gpu_torch.py` does in PyTorch:
//! - `mlp`: 784-256-128-10, ReLU, softmax cross-entropy, SGD lr 0.1, batch 128, 60,000 random f32
//!   samples (seeded), random labels, fixed batch order.
//! - `encoder`: one post-norm transformer encoder layer (PyTorch's `TransformerEncoderLayer`
//!   defaults: d_model 256, 4 heads, feed-forward 1024, ReLU, no dropout) with a per-token
//!   10-way linear head, softmax cross-entropy, SGD lr 0.01, batch 32 × 128 tokens.
//!
//! The data lives on the device from the start; a step is GPU work only, and each epoch ends
//! by downloading the loss (which waits for the queue). Prints samples/s per epoch (after one
//! warm-up epoch), then the median.
//!
//! Usage: gpu_train_bench [mlp|encoder] [--device gpu|gpu:N|cuda] [--epochs 5] [--steps N]

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use reference_impls::backend::gpu::{Binary, GemmLayout, Gpu, GpuError, GpuTensor, Unary};
use reference_impls::backend::{Device, GpuChoice, SgdUpdate};
use reference_impls::layers::Activation;

type Tensor = GpuTensor<f32>;

const RELU: Unary = Unary::Activation(Activation::Relu);

fn randn(gpu: &Gpu, shape: &[usize], scale: f64, rng: &mut ChaCha8Rng) -> Result<Tensor, GpuError> {
    let len = shape.iter().product();
    let values: Vec<f32> = (0..len)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut *rng);
            (scale * z) as f32
        })
        .collect();
    gpu.upload(&values, shape)
}

/// One-hot rows of random labels in 0..classes.
fn one_hot(
    gpu: &Gpu,
    rows: usize,
    classes: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Tensor, GpuError> {
    let mut values = vec![0.0f32; rows * classes];
    for r in 0..rows {
        values[r * classes + rng.random_range(0..classes)] = 1.0;
    }
    gpu.upload(&values, &[rows, classes])
}

/// A linear layer y = x Wᵀ + b with its gradients.
struct Linear {
    w: Tensor,
    b: Tensor,
    dw: Tensor,
    db: Tensor,
}

impl Linear {
    fn new(
        gpu: &Gpu,
        inputs: usize,
        outputs: usize,
        rng: &mut ChaCha8Rng,
    ) -> Result<Self, GpuError> {
        Ok(Self {
            w: randn(gpu, &[outputs, inputs], 1.0 / (inputs as f64).sqrt(), rng)?,
            b: gpu.zeros(&[outputs])?,
            dw: gpu.zeros(&[outputs, inputs])?,
            db: gpu.zeros(&[outputs])?,
        })
    }

    fn forward(&self, gpu: &Gpu, x: &Tensor, y: &mut Tensor) -> Result<(), GpuError> {
        gpu.gemm(1.0, x, false, &self.w, true, 0.0, y)?;
        gpu.bias_add(&self.b, 1, 1.0, y)
    }

    /// dW = dyᵀ x, db = Σ dy; dx = dy W (+ β·dx) when asked.
    fn backward(
        &mut self,
        gpu: &Gpu,
        x: &Tensor,
        dy: &Tensor,
        dx: Option<(&mut Tensor, f32)>,
    ) -> Result<(), GpuError> {
        gpu.gemm(1.0, dy, true, x, false, 0.0, &mut self.dw)?;
        gpu.fill(&mut self.db, 0.0)?;
        gpu.add_channel_sums(dy, 1, &mut self.db)?;
        if let Some((dx, beta)) = dx {
            gpu.gemm(1.0, dy, false, &self.w, false, beta, dx)?;
        }
        Ok(())
    }

    fn step(&mut self, gpu: &Gpu, sgd: &SgdUpdate) -> Result<(), GpuError> {
        gpu.sgd_step(sgd, &mut self.w, &self.dw, None)?;
        gpu.sgd_step(sgd, &mut self.b, &self.db, None)
    }
}

/// dlogits = (softmax(logits) − onehot)/rows; `probs` receives log-softmax then softmax.
fn cross_entropy_backward(
    gpu: &Gpu,
    logits: &Tensor,
    target: &Tensor,
    log_probs: &mut Tensor,
    probs: &mut Tensor,
    dlogits: &mut Tensor,
) -> Result<(), GpuError> {
    let rows = logits.shape()[0] as f64;
    gpu.log_softmax(logits, log_probs)?;
    gpu.unary(Unary::Exp, log_probs, probs)?;
    gpu.binary(
        Binary::Combine {
            a: 1.0 / rows,
            b: -1.0 / rows,
        },
        probs,
        target,
        dlogits,
    )
}

/// Mean cross-entropy from downloaded log-probabilities and one-hot targets.
fn loss_of(gpu: &Gpu, log_probs: &Tensor, target: &Tensor) -> Result<f64, GpuError> {
    let (lp, t) = (gpu.download(log_probs)?, gpu.download(target)?);
    let rows = log_probs.shape()[0] as f64;
    Ok(-lp
        .iter()
        .zip(&t)
        .map(|(a, b)| f64::from(a * b))
        .sum::<f64>()
        / rows)
}

struct Mlp {
    layers: [Linear; 3],
    /// Pre-activations and activations of the two hidden layers, logits, and their gradients.
    z: [Tensor; 2],
    a: [Tensor; 2],
    logits: Tensor,
    log_probs: Tensor,
    probs: Tensor,
    dlogits: Tensor,
    da: [Tensor; 2],
    dz: [Tensor; 2],
}

impl Mlp {
    fn new(gpu: &Gpu, batch: usize, rng: &mut ChaCha8Rng) -> Result<Self, GpuError> {
        let sizes = [784, 256, 128, 10];
        Ok(Self {
            layers: [
                Linear::new(gpu, sizes[0], sizes[1], rng)?,
                Linear::new(gpu, sizes[1], sizes[2], rng)?,
                Linear::new(gpu, sizes[2], sizes[3], rng)?,
            ],
            z: [gpu.uninit(&[batch, 256])?, gpu.uninit(&[batch, 128])?],
            a: [gpu.uninit(&[batch, 256])?, gpu.uninit(&[batch, 128])?],
            logits: gpu.uninit(&[batch, 10])?,
            log_probs: gpu.uninit(&[batch, 10])?,
            probs: gpu.uninit(&[batch, 10])?,
            dlogits: gpu.uninit(&[batch, 10])?,
            da: [gpu.uninit(&[batch, 256])?, gpu.uninit(&[batch, 128])?],
            dz: [gpu.uninit(&[batch, 256])?, gpu.uninit(&[batch, 128])?],
        })
    }

    fn step(
        &mut self,
        gpu: &Gpu,
        x: &Tensor,
        target: &Tensor,
        sgd: &SgdUpdate,
    ) -> Result<(), GpuError> {
        let [l0, l1, l2] = &mut self.layers;
        let [z0, z1] = &mut self.z;
        let [a0, a1] = &mut self.a;
        let [da0, da1] = &mut self.da;
        let [dz0, dz1] = &mut self.dz;
        l0.forward(gpu, x, z0)?;
        gpu.unary(RELU, z0, a0)?;
        l1.forward(gpu, a0, z1)?;
        gpu.unary(RELU, z1, a1)?;
        l2.forward(gpu, a1, &mut self.logits)?;
        cross_entropy_backward(
            gpu,
            &self.logits,
            target,
            &mut self.log_probs,
            &mut self.probs,
            &mut self.dlogits,
        )?;
        l2.backward(gpu, a1, &self.dlogits, Some((da1, 0.0)))?;
        gpu.unary_backward(RELU, z1, da1, dz1)?;
        l1.backward(gpu, a0, dz1, Some((da0, 0.0)))?;
        gpu.unary_backward(RELU, z0, da0, dz0)?;
        l0.backward(gpu, x, dz0, None)?;
        for layer in &mut self.layers {
            layer.step(gpu, sgd)?;
        }
        Ok(())
    }
}

/// Sizes of the encoder workload.
const B: usize = 32;
const T: usize = 128;
const D: usize = 256;
const H: usize = 4;
const DH: usize = D / H;
const FF: usize = 1024;
const CLASSES: usize = 10;

struct LayerNorm {
    gamma: Tensor,
    beta: Tensor,
    dgamma: Tensor,
    dbeta: Tensor,
    xhat: Tensor,
    inv_std: Tensor,
}

impl LayerNorm {
    fn new(gpu: &Gpu, rows: usize) -> Result<Self, GpuError> {
        let mut gamma = gpu.uninit(&[D])?;
        gpu.fill(&mut gamma, 1.0)?;
        Ok(Self {
            gamma,
            beta: gpu.zeros(&[D])?,
            dgamma: gpu.zeros(&[D])?,
            dbeta: gpu.zeros(&[D])?,
            xhat: gpu.uninit(&[rows, D])?,
            inv_std: gpu.uninit(&[rows])?,
        })
    }

    fn step(&mut self, gpu: &Gpu, sgd: &SgdUpdate) -> Result<(), GpuError> {
        gpu.sgd_step(sgd, &mut self.gamma, &self.dgamma, None)?;
        gpu.sgd_step(sgd, &mut self.beta, &self.dbeta, None)
    }
}

/// One post-norm encoder layer and a per-token linear head, with every activation kept for
/// the backward pass.
struct Encoder {
    qkv: Linear,
    out: Linear,
    ff1: Linear,
    ff2: Linear,
    head: Linear,
    ln1: LayerNorm,
    ln2: LayerNorm,
    qkv_act: Tensor,
    scores: Tensor,
    probs: Tensor,
    attn: Tensor,
    r1: Tensor,
    h1: Tensor,
    f_pre: Tensor,
    f: Tensor,
    r2: Tensor,
    h2: Tensor,
    logits: Tensor,
    log_probs: Tensor,
    token_probs: Tensor,
    dlogits: Tensor,
    dh2: Tensor,
    dr2: Tensor,
    df: Tensor,
    df_pre: Tensor,
    dr1: Tensor,
    dattn: Tensor,
    dprobs: Tensor,
    dscores: Tensor,
    dqkv: Tensor,
}

/// The layout of a per-head product over the batch: matrices of `rows × cols` at
/// `offset + b·stride` with row length `ld`, for each operand.
fn head_gemm(
    m: usize,
    n: usize,
    k: usize,
    trans: (bool, bool),
    ld: [usize; 3],
    stride: [usize; 3],
    offset: [usize; 3],
) -> GemmLayout {
    GemmLayout {
        m,
        n,
        k,
        batch: B,
        trans_a: trans.0,
        trans_b: trans.1,
        ld,
        stride,
        offset,
    }
}

impl Encoder {
    fn new(gpu: &Gpu, rng: &mut ChaCha8Rng) -> Result<Self, GpuError> {
        let rows = B * T;
        let u = |shape: &[usize]| gpu.uninit::<f32>(shape);
        Ok(Self {
            qkv: Linear::new(gpu, D, 3 * D, rng)?,
            out: Linear::new(gpu, D, D, rng)?,
            ff1: Linear::new(gpu, D, FF, rng)?,
            ff2: Linear::new(gpu, FF, D, rng)?,
            head: Linear::new(gpu, D, CLASSES, rng)?,
            ln1: LayerNorm::new(gpu, rows)?,
            ln2: LayerNorm::new(gpu, rows)?,
            qkv_act: u(&[rows, 3 * D])?,
            scores: u(&[H * B * T, T])?,
            probs: u(&[H * B * T, T])?,
            attn: u(&[rows, D])?,
            r1: u(&[rows, D])?,
            h1: u(&[rows, D])?,
            f_pre: u(&[rows, FF])?,
            f: u(&[rows, FF])?,
            r2: u(&[rows, D])?,
            h2: u(&[rows, D])?,
            logits: u(&[rows, CLASSES])?,
            log_probs: u(&[rows, CLASSES])?,
            token_probs: u(&[rows, CLASSES])?,
            dlogits: u(&[rows, CLASSES])?,
            dh2: u(&[rows, D])?,
            dr2: u(&[rows, D])?,
            df: u(&[rows, FF])?,
            df_pre: u(&[rows, FF])?,
            dr1: u(&[rows, D])?,
            dattn: u(&[rows, D])?,
            dprobs: u(&[H * B * T, T])?,
            dscores: u(&[H * B * T, T])?,
            dqkv: u(&[rows, 3 * D])?,
        })
    }

    fn step(
        &mut self,
        gpu: &Gpu,
        x: &Tensor,
        target: &Tensor,
        sgd: &SgdUpdate,
    ) -> Result<(), GpuError> {
        let scale = 1.0 / (DH as f32).sqrt();
        let eps = 1e-5;
        // Self-attention: per head h, S = scale·q kᵀ over the batch, P = softmax(S), O = P v.
        self.qkv.forward(gpu, x, &mut self.qkv_act)?;
        for h in 0..H {
            let q = h * DH;
            let (k, s) = (D + h * DH, h * B * T * T);
            let l = head_gemm(
                T,
                T,
                DH,
                (false, true),
                [3 * D, 3 * D, T],
                [T * 3 * D, T * 3 * D, T * T],
                [q, k, s],
            );
            gpu.gemm_strided(
                scale,
                &self.qkv_act,
                &self.qkv_act,
                0.0,
                &mut self.scores,
                &l,
            )?;
        }
        gpu.softmax(&self.scores, &mut self.probs)?;
        for h in 0..H {
            let (s, v, o) = (h * B * T * T, 2 * D + h * DH, h * DH);
            let l = head_gemm(
                T,
                DH,
                T,
                (false, false),
                [T, 3 * D, D],
                [T * T, T * 3 * D, T * D],
                [s, v, o],
            );
            gpu.gemm_strided(1.0, &self.probs, &self.qkv_act, 0.0, &mut self.attn, &l)?;
        }
        // r1 = x + attn Woᵀ + bo; h1 = LN1(r1); feed-forward; r2 = h1 + ff; h2 = LN2(r2); head.
        self.out.forward(gpu, &self.attn, &mut self.r1)?;
        gpu.axpby(1.0, x, 1.0, &mut self.r1)?;
        gpu.layer_norm(
            &self.r1,
            &self.ln1.gamma,
            &self.ln1.beta,
            eps,
            &mut self.h1,
            &mut self.ln1.xhat,
            &mut self.ln1.inv_std,
        )?;
        self.ff1.forward(gpu, &self.h1, &mut self.f_pre)?;
        gpu.unary(RELU, &self.f_pre, &mut self.f)?;
        self.ff2.forward(gpu, &self.f, &mut self.r2)?;
        gpu.axpby(1.0, &self.h1, 1.0, &mut self.r2)?;
        gpu.layer_norm(
            &self.r2,
            &self.ln2.gamma,
            &self.ln2.beta,
            eps,
            &mut self.h2,
            &mut self.ln2.xhat,
            &mut self.ln2.inv_std,
        )?;
        self.head.forward(gpu, &self.h2, &mut self.logits)?;

        // Backward, in reverse.
        cross_entropy_backward(
            gpu,
            &self.logits,
            target,
            &mut self.log_probs,
            &mut self.token_probs,
            &mut self.dlogits,
        )?;
        self.head
            .backward(gpu, &self.h2, &self.dlogits, Some((&mut self.dh2, 0.0)))?;
        gpu.fill(&mut self.ln2.dgamma, 0.0)?;
        gpu.fill(&mut self.ln2.dbeta, 0.0)?;
        gpu.layer_norm_backward(
            &self.dh2,
            &self.ln2.xhat,
            &self.ln2.inv_std,
            &self.ln2.gamma,
            &mut self.dr2,
            &mut self.ln2.dgamma,
            &mut self.ln2.dbeta,
        )?;
        // dr2 flows to h1 (residual) and through the feed-forward.
        self.ff2
            .backward(gpu, &self.f, &self.dr2, Some((&mut self.df, 0.0)))?;
        gpu.unary_backward(RELU, &self.f_pre, &self.df, &mut self.df_pre)?;
        // dh1 = dr2 + df_pre W1: accumulated into dr2's copy in dh2 (free now).
        gpu.axpby(1.0, &self.dr2, 0.0, &mut self.dh2)?;
        self.ff1
            .backward(gpu, &self.h1, &self.df_pre, Some((&mut self.dh2, 1.0)))?;
        gpu.fill(&mut self.ln1.dgamma, 0.0)?;
        gpu.fill(&mut self.ln1.dbeta, 0.0)?;
        gpu.layer_norm_backward(
            &self.dh2,
            &self.ln1.xhat,
            &self.ln1.inv_std,
            &self.ln1.gamma,
            &mut self.dr1,
            &mut self.ln1.dgamma,
            &mut self.ln1.dbeta,
        )?;
        self.out
            .backward(gpu, &self.attn, &self.dr1, Some((&mut self.dattn, 0.0)))?;
        for h in 0..H {
            let (s, v, o) = (h * B * T * T, 2 * D + h * DH, h * DH);
            // dP = dO vᵀ; dv = Pᵀ dO.
            let l = head_gemm(
                T,
                T,
                DH,
                (false, true),
                [D, 3 * D, T],
                [T * D, T * 3 * D, T * T],
                [o, v, s],
            );
            gpu.gemm_strided(1.0, &self.dattn, &self.qkv_act, 0.0, &mut self.dprobs, &l)?;
            let l = head_gemm(
                T,
                DH,
                T,
                (true, false),
                [T, D, 3 * D],
                [T * T, T * D, T * 3 * D],
                [s, o, v],
            );
            gpu.gemm_strided(1.0, &self.probs, &self.dattn, 0.0, &mut self.dqkv, &l)?;
        }
        gpu.softmax_backward(&self.probs, &self.dprobs, &mut self.dscores)?;
        for h in 0..H {
            let (s, q, k) = (h * B * T * T, h * DH, D + h * DH);
            // dq = scale·dS k; dk = scale·dSᵀ q.
            let l = head_gemm(
                T,
                DH,
                T,
                (false, false),
                [T, 3 * D, 3 * D],
                [T * T, T * 3 * D, T * 3 * D],
                [s, k, q],
            );
            gpu.gemm_strided(scale, &self.dscores, &self.qkv_act, 0.0, &mut self.dqkv, &l)?;
            let l = head_gemm(
                T,
                DH,
                T,
                (true, false),
                [T, 3 * D, 3 * D],
                [T * T, T * 3 * D, T * 3 * D],
                [s, q, k],
            );
            gpu.gemm_strided(scale, &self.dscores, &self.qkv_act, 0.0, &mut self.dqkv, &l)?;
        }
        self.qkv.backward(gpu, x, &self.dqkv, None)?;
        for layer in [
            &mut self.qkv,
            &mut self.out,
            &mut self.ff1,
            &mut self.ff2,
            &mut self.head,
        ] {
            layer.step(gpu, sgd)?;
        }
        self.ln1.step(gpu, sgd)?;
        self.ln2.step(gpu, sgd)
    }
}

struct Options {
    model: String,
    device: GpuChoice,
    epochs: usize,
    steps: Option<usize>,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        model: "mlp".into(),
        device: GpuChoice::Preferred,
        epochs: 5,
        steps: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--device" => {
                o.device = match value()?.parse::<Device>().map_err(|e| e.to_string())? {
                    Device::Gpu(choice) => choice,
                    Device::Cpu => return Err("this bench measures a GPU: --device gpu[:N]".into()),
                }
            }
            "--epochs" => o.epochs = value()?.parse().map_err(|e| format!("--epochs: {e}"))?,
            "--steps" => o.steps = Some(value()?.parse().map_err(|e| format!("--steps: {e}"))?),
            "mlp" | "encoder" => o.model = arg,
            other => {
                return Err(format!(
                    "unknown argument `{other}` (see the file's header)"
                ));
            }
        }
    }
    Ok(o)
}

/// A workload with its data on the device.
enum Workload {
    /// The MLP and its full batches of 128 (468 of them: 59,904 samples).
    Mlp(Box<Mlp>, Vec<(Tensor, Tensor)>),
    /// The encoder and its one batch of 32 × 128 tokens.
    Encoder(Box<Encoder>, Tensor, Tensor),
}

impl Workload {
    fn new(gpu: &Gpu, model: &str, rng: &mut ChaCha8Rng) -> Result<Self, GpuError> {
        if model == "mlp" {
            let batches = (0..468)
                .map(|_| {
                    Ok((
                        randn(gpu, &[128, 784], 1.0, rng)?,
                        one_hot(gpu, 128, 10, rng)?,
                    ))
                })
                .collect::<Result<_, GpuError>>()?;
            Ok(Workload::Mlp(Box::new(Mlp::new(gpu, 128, rng)?), batches))
        } else {
            let x = randn(gpu, &[B * T, D], 1.0, rng)?;
            let y = one_hot(gpu, B * T, CLASSES, rng)?;
            Ok(Workload::Encoder(Box::new(Encoder::new(gpu, rng)?), x, y))
        }
    }

    /// Runs `steps` steps (default: one pass over the MLP's batches, 20 encoder steps); returns
    /// the samples seen and the last step's loss (downloading it waits for the queue).
    fn epoch(&mut self, gpu: &Gpu, steps: Option<usize>) -> Result<(usize, f64), GpuError> {
        let sgd = |lr| SgdUpdate {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            first: true,
        };
        match self {
            Workload::Mlp(model, batches) => {
                let steps = steps.unwrap_or(batches.len());
                for i in 0..steps {
                    let (x, y) = &batches[i % batches.len()];
                    model.step(gpu, x, y, &sgd(0.1))?;
                }
                let (_, y) = &batches[(steps + batches.len() - 1) % batches.len()];
                Ok((steps * 128, loss_of(gpu, &model.log_probs, y)?))
            }
            Workload::Encoder(model, x, y) => {
                let steps = steps.unwrap_or(20);
                for _ in 0..steps {
                    model.step(gpu, x, y, &sgd(0.01))?;
                }
                Ok((steps * B, loss_of(gpu, &model.log_probs, y)?))
            }
        }
    }
}

fn main() {
    let result = options().and_then(|o| bench(&o).map_err(|e| e.to_string()));
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn bench(o: &Options) -> Result<(), GpuError> {
    let gpu = Gpu::open(o.device)?;
    let a = gpu.adapter();
    println!("adapter: {} ({}, {})", a.name, a.backend, a.kind);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut workload = Workload::new(&gpu, &o.model, &mut rng)?;
    let mut rates = Vec::new();
    for epoch in 0..=o.epochs {
        let start = Instant::now();
        let (samples, loss) = workload.epoch(&gpu, o.steps)?;
        let seconds = start.elapsed().as_secs_f64();
        let rate = samples as f64 / seconds;
        let label = if epoch == 0 {
            "warm-up".to_string()
        } else {
            format!("epoch {epoch}")
        };
        println!(
            "{} {label}: {seconds:.3} s, {rate:.0} samples/s, loss {loss:.3}",
            o.model
        );
        if epoch > 0 {
            rates.push(rate);
        }
    }
    if rates.is_empty() {
        return Ok(());
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "savoir-gpu {} samples/s median {:.0} (min {:.0} - max {:.0}, {} epochs)",
        o.model,
        rates[rates.len() / 2],
        rates[0],
        rates[rates.len() - 1],
        rates.len()
    );
    Ok(())
}
