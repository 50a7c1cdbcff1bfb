//! `verify` handlers for the sequence models: recurrent layers, attention, the transformer
//! encoder layer, DDPM and GAN ops.
//!
//! Legend: B batch, T time steps, I input features, H hidden units, L/Lq/Lk sequence lengths,
//! E embedding width, D query width. Every size comes from the case's tensors; the number of
//! heads from its parameters (`num_heads`, `nhead`), else PyTorch's documented 4.

use ndarray::{Array2, ArrayD, Ix1, Ix2, Ix3, IxDyn};

#[cfg(feature = "gpu")]
use super::GpuHandler;
use super::{Case, Handler, Outputs, VerifyError};
use crate::backend::{Backend, Cpu};
use crate::diffusion::{DdpmSchedule, DiffusionError};
use crate::gan;
use crate::layers::attention::{AttentionError, MultiHeadAttention, ScaledDotProductAttention};
use crate::layers::recurrent::{Cell, GruCell, LstmCell, Recurrent, RnnTanhCell};
use crate::layers::transformer::TransformerEncoderLayer;
use crate::layers::{Layer, LayerNorm, Linear, ShapeError};

pub(crate) const HANDLERS: &[Handler] = &[
    ("rnn_tanh", |c| recurrent::<RnnTanhCell, _>(c, &Cpu)),
    ("lstm", |c| recurrent::<LstmCell, _>(c, &Cpu)),
    ("gru", |c| recurrent::<GruCell, _>(c, &Cpu)),
    ("scaled_dot_product_attention", |c| {
        scaled_dot_product_attention(c, &Cpu)
    }),
    ("multi_head_attention", |c| multi_head_attention(c, &Cpu)),
    ("transformer_encoder_layer", |c| {
        transformer_encoder_layer(c, &Cpu)
    }),
    ("ddpm_linear_schedule", ddpm_linear_schedule),
    ("ddpm_q_sample", ddpm_q_sample),
    ("gan_d_loss_bce", gan_d_loss_bce),
    ("gan_g_loss_nonsaturating", gan_g_loss_nonsaturating),
];

/// The same handlers on the GPU backend (f64 where the adapter has it).
#[cfg(feature = "gpu")]
pub(crate) const GPU_HANDLERS: &[GpuHandler] = &[
    ("rnn_tanh", |c, gpu| recurrent::<RnnTanhCell, _>(c, gpu)),
    ("lstm", |c, gpu| recurrent::<LstmCell, _>(c, gpu)),
    ("gru", |c, gpu| recurrent::<GruCell, _>(c, gpu)),
    ("scaled_dot_product_attention", |c, gpu| {
        scaled_dot_product_attention(c, gpu)
    }),
    ("multi_head_attention", |c, gpu| {
        multi_head_attention(c, gpu)
    }),
    ("transformer_encoder_layer", |c, gpu| {
        transformer_encoder_layer(c, gpu)
    }),
];

/// The heads PyTorch's vectors use when a case does not say (README of the vectors).
const DEFAULT_HEADS: usize = 4;

/// Records `grad_<name>` for every parameter of `layer` (brought back to the host).
fn insert_param_grads<B: Backend>(
    out: &mut Outputs,
    layer: &mut impl Layer<f64, B>,
) -> Result<(), VerifyError> {
    let be = layer.backend().clone();
    let mut result = Ok(());
    layer.params_mut(&mut |p| {
        if result.is_ok() {
            match be.download_param(&p.grad) {
                Ok(grad) => out.insert(format!("grad_{}", p.name), grad),
                Err(e) => result = Err(e.into()),
            }
        }
    });
    result
}

/// A layer that could not be built from the case's sizes.
fn attention_error(err: AttentionError, heads_param: &str) -> VerifyError {
    match err {
        AttentionError::Shape(e) => VerifyError::Shape(e),
        AttentionError::Backend(e) => VerifyError::Backend(e),
        other => VerifyError::BadParam {
            name: heads_param.to_string(),
            detail: other.to_string(),
        },
    }
}

/// `x` `[B, T, I]`, `h0` (and `c0`) `[B, H]` (zeros when absent), the four weights, and
/// `grad_output` `[B, T, H]` → `output`, `h_n` (`c_n`), `grad_x`, `grad_h0` (`grad_c0`), and
/// `grad_<weight>`. The loss uses `output` only.
fn recurrent<C: Cell, B: Backend>(case: &Case, be: &B) -> Result<Outputs, VerifyError> {
    let weights = [
        case.input_nd::<Ix2>("weight_ih")?, // [G, I]
        case.input_nd::<Ix2>("weight_hh")?, // [G, H]
    ];
    let biases = [
        case.input_nd::<Ix1>("bias_ih")?, // [G]
        case.input_nd::<Ix1>("bias_hh")?, // [G]
    ];
    let mut layer = Recurrent::<f64, C, B>::from_weights_on(be, weights, biases)?;
    let x = case.input_nd::<Ix3>("x")?; // [B, T, I]
    let (batch, hidden) = (x.dim().0, layer.hidden_size());
    ShapeError::check(
        &format!("{} input x", C::NAME),
        &[batch, x.dim().1, layer.input_size()],
        x.shape(),
    )?;
    let mut parts = Vec::new();
    for part in C::PARTS {
        let name = format!("{part}0");
        let value = if case.has_input(&name) {
            case.input_nd::<Ix2>(&name)?
        } else {
            Array2::zeros((batch, hidden))
        };
        ShapeError::check(&name, &[batch, hidden], value.shape())?;
        parts.push(be.upload(value.view())?); // [B, H]
    }
    let x = be.upload(x.view())?;
    let output = be.download(layer.forward(&x, &parts)?)?; // [B, T, H]
    let mut out = Outputs::new();
    for (part, value) in C::PARTS.iter().zip(layer.final_state()) {
        out.insert(format!("{part}_n"), be.download(value)?);
    }
    if let Some(g) = case.grad_output::<Ix3>(output.shape())? {
        let g = be.upload(g.view())?;
        let (dx, d_state0) = layer.backward(&g, None)?;
        out.insert("grad_x", be.download(dx)?);
        for (part, value) in C::PARTS.iter().zip(d_state0) {
            out.insert(format!("grad_{part}0"), be.download(value)?);
        }
        insert_param_grads(&mut out, &mut layer)?;
    }
    out.insert("output", output);
    Ok(out)
}

/// `q` `[B, Lq, D]`, `k` `[B, Lk, D]`, `v` `[B, Lk, Dv]`, `grad_output`; params `causal`,
/// `scale` (1/√D when absent) → `y`, `attn`, `grad_q`, `grad_k`, `grad_v`.
fn scaled_dot_product_attention<B: Backend>(case: &Case, be: &B) -> Result<Outputs, VerifyError> {
    let (q, k, v) = (
        case.input_nd::<Ix3>("q")?,
        case.input_nd::<Ix3>("k")?,
        case.input_nd::<Ix3>("v")?,
    );
    let (batch, _, d) = q.dim();
    let (lk, dv) = (k.dim().1, v.dim().2);
    ShapeError::check("attention key k", &[batch, lk, d], k.shape())?;
    ShapeError::check("attention value v", &[batch, lk, dv], v.shape())?;
    let scale = case.params.get("scale").copied();
    let mut sdpa = ScaledDotProductAttention::new_on(be, case.flag_or("causal", false)?, scale)?;
    let [q, k, v] = [q, k, v].map(|x| be.upload(x.view()));
    let y = be.download(sdpa.forward(&q?, &k?, &v?)?)?;
    let mut out = Outputs::new().with("attn", be.download(sdpa.attn())?);
    if let Some(g) = case.grad_output::<Ix3>(y.shape())? {
        let g = be.upload(g.view())?;
        for (name, grad) in ["grad_q", "grad_k", "grad_v"]
            .into_iter()
            .zip(sdpa.backward(&g)?)
        {
            out.insert(name, be.download(grad)?);
        }
    }
    out.insert("y", y);
    Ok(out)
}

/// Self-attention (`x` `[B, L, E]`) or cross-attention (`query` `[B, Lq, E]`, `key`, `value`
/// `[B, Lk, E]`) with `in_proj_weight`, `in_proj_bias`, `out_proj.weight`, `out_proj.bias` and
/// `grad_output`; params `num_heads`, `causal` → `y`, `attn_weights_avg`, the input gradients and
/// `grad_<param>`.
fn multi_head_attention<B: Backend>(case: &Case, be: &B) -> Result<Outputs, VerifyError> {
    let in_proj = (
        case.input_nd::<Ix2>("in_proj_weight")?, // [3E, E]
        case.input_nd::<Ix1>("in_proj_bias")?,   // [3E]
    );
    let embed = in_proj.0.ncols();
    let out_proj = (
        case.input_nd::<Ix2>("out_proj.weight")?, // [E, E]
        case.input_nd::<Ix1>("out_proj.bias")?,   // [E]
    );
    let heads = case.usize_param_or("num_heads", DEFAULT_HEADS)?;
    let causal = case.flag_or("causal", false)?;
    let mut mha = MultiHeadAttention::from_weights_on(be, in_proj, out_proj, heads, causal)
        .map_err(|e| attention_error(e, "num_heads"))?;
    let self_attention = case.has_input("x");
    let names: &[&str] = if self_attention {
        &["x"]
    } else {
        &["query", "key", "value"]
    };
    let mut inputs = Vec::new();
    for &name in names {
        let input = case.input_nd::<Ix3>(name)?; // [B, L, E]
        ShapeError::check(name, &[input.dim().0, input.dim().1, embed], input.shape())?;
        inputs.push(input);
    }
    let (query, key, value) = if self_attention {
        (&inputs[0], &inputs[0], &inputs[0])
    } else {
        (&inputs[0], &inputs[1], &inputs[2])
    };
    ShapeError::check(
        "key (batch and length of value)",
        value.shape(),
        key.shape(),
    )?;
    ShapeError::check("key batch", &[query.dim().0], &[key.dim().0])?;

    let [query, key, value] = [query, key, value].map(|x| be.upload(x.view()));
    let y = be.download(mha.forward(&query?, &key?, &value?)?)?; // [B, Lq, E]
    let mut out = Outputs::new().with("attn_weights_avg", mha.attn_weights_avg()?);
    if let Some(g) = case.grad_output::<Ix3>(y.shape())? {
        let g = be.upload(g.view())?;
        if self_attention {
            out.insert("grad_x", be.download(mha.backward_self(&g)?)?);
        } else {
            for (name, grad) in names.iter().zip(mha.backward(&g)?) {
                out.insert(format!("grad_{name}"), be.download(grad)?);
            }
        }
        insert_param_grads(&mut out, &mut mha)?;
    }
    out.insert("y", y);
    Ok(out)
}

/// `x` `[B, L, E]`, the twelve parameters by PyTorch name, `grad_output`; params `nhead`,
/// `layer_norm_eps` and the supported options (`norm_first=1`, `activation_relu=1`,
/// `dropout=0`) → `y`, `grad_x`, `grad_<param>`.
fn transformer_encoder_layer<B: Backend>(case: &Case, be: &B) -> Result<Outputs, VerifyError> {
    case.require_param("norm_first", 1.0)?;
    case.require_param("activation_relu", 1.0)?;
    case.require_param("dropout", 0.0)?;
    let pair = |name: &str| -> Result<_, VerifyError> {
        let weight = case.input_nd::<Ix2>(&format!("{name}.weight"))?;
        Ok((weight, case.input_nd::<Ix1>(&format!("{name}.bias"))?))
    };
    let in_proj = (
        case.input_nd::<Ix2>("self_attn.in_proj_weight")?, // [3E, E]
        case.input_nd::<Ix1>("self_attn.in_proj_bias")?,   // [3E]
    );
    let embed = in_proj.0.ncols();
    let heads = case.usize_param_or("nhead", DEFAULT_HEADS)?;
    let self_attn =
        MultiHeadAttention::from_weights_on(be, in_proj, pair("self_attn.out_proj")?, heads, false)
            .map_err(|e| attention_error(e, "nhead"))?;
    let linear = |name: &str| -> Result<_, VerifyError> {
        let (weight, bias) = pair(name)?;
        Ok(Linear::from_weights_on(be, weight, bias)?)
    };
    let eps = case.param_or("layer_norm_eps", 1e-5);
    let norm = |name: &str| -> Result<_, VerifyError> {
        let (gamma, beta) = case
            .input_nd::<Ix1>(&format!("{name}.weight"))
            .and_then(|g| Ok((g, case.input_nd::<Ix1>(&format!("{name}.bias"))?)))?;
        Ok(LayerNorm::from_weights_on(be, gamma, beta, eps)?)
    };
    let (linear1, linear2) = (linear("linear1")?, linear("linear2")?);
    let mut layer = TransformerEncoderLayer::from_parts(
        self_attn,
        linear1,
        linear2,
        norm("norm1")?,
        norm("norm2")?,
    )
    .map_err(|e| attention_error(e, "nhead"))?;
    let x = case.input_nd::<Ix3>("x")?; // [B, L, E]
    ShapeError::check("x", &[x.dim().0, x.dim().1, embed], x.shape())?;

    let x = be.upload(x.view())?;
    let y = be.download(layer.forward(&x)?)?;
    let mut out = Outputs::new();
    if let Some(g) = case.grad_output::<Ix3>(y.shape())? {
        let g = be.upload(g.view())?;
        out.insert("grad_x", be.download(layer.backward(&g)?)?);
        insert_param_grads(&mut out, &mut layer)?;
    }
    out.insert("y", y);
    Ok(out)
}

/// The schedule from params `T`, `beta_start`, `beta_end` (the DDPM paper's 1000, 1e-4, 0.02).
fn schedule_of(case: &Case) -> Result<DdpmSchedule<f64>, VerifyError> {
    let steps = case.usize_param_or("T", 1000)?;
    DdpmSchedule::linear(
        steps,
        case.param_or("beta_start", 1e-4),
        case.param_or("beta_end", 0.02),
    )
    .map_err(|e| diffusion_error(e, "t"))
}

/// A schedule or noising error as the case input or parameter it comes from.
fn diffusion_error(err: DiffusionError, tensor: &str) -> VerifyError {
    match err {
        DiffusionError::Schedule { .. } => VerifyError::BadParam {
            name: "T, beta_start, beta_end".to_string(),
            detail: err.to_string(),
        },
        other => VerifyError::BadTensor {
            name: tensor.to_string(),
            detail: other.to_string(),
        },
    }
}

/// `t` `[K]` (0-based) → `betas`, `alphas_cumprod` `[T]` and, at t, `betas_at_t`,
/// `alphas_cumprod_at_t`, `sqrt_alphas_cumprod_at_t`, `sqrt_one_minus_alphas_cumprod_at_t`.
fn ddpm_linear_schedule(case: &Case) -> Result<Outputs, VerifyError> {
    let schedule = schedule_of(case)?;
    let t_shape = case.input("t")?.shape().to_vec();
    let (mut betas_at_t, mut alpha_bar) = (Vec::new(), Vec::new());
    for step in case.indices("t")? {
        betas_at_t.push(schedule.beta(step).map_err(|e| diffusion_error(e, "t"))?);
        alpha_bar.push(
            schedule
                .alpha_cumprod(step)
                .map_err(|e| diffusion_error(e, "t"))?,
        );
    }
    let shaped = |values| ArrayD::from_shape_vec(IxDyn(&t_shape), values).expect("one per t");
    let alpha_bar = shaped(alpha_bar); // ᾱ_t, shaped like t
    Ok(Outputs::new()
        .with("betas_at_t", shaped(betas_at_t))
        .with("sqrt_alphas_cumprod_at_t", alpha_bar.mapv(f64::sqrt))
        .with(
            "sqrt_one_minus_alphas_cumprod_at_t",
            alpha_bar.mapv(|a| (1.0 - a).sqrt()),
        )
        .with("alphas_cumprod_at_t", alpha_bar)
        .with("betas", schedule.betas.clone())
        .with("alphas_cumprod", schedule.alphas_cumprod))
}

/// `x0`, `eps` `[B, …]`, `t` `[B]` → `x_t = √ᾱ_t x0 + √(1 − ᾱ_t) eps` row by row.
fn ddpm_q_sample(case: &Case) -> Result<Outputs, VerifyError> {
    let schedule = schedule_of(case)?;
    let (x0, eps) = (case.input("x0")?, case.input("eps")?);
    let t = case.indices("t")?;
    let x_t = schedule
        .q_sample(x0.view(), eps.view(), &t)
        .map_err(|e| diffusion_error(e, "x0, eps, t"))?;
    Ok(Outputs::new().with("x_t", x_t))
}

/// `real_logits`, `fake_logits` → `loss`, `loss_real`, `loss_fake`, `grad_real_logits`,
/// `grad_fake_logits` (mean reduction).
fn gan_d_loss_bce(case: &Case) -> Result<Outputs, VerifyError> {
    case.require_param("reduction_mean", 1.0)?;
    let (real, fake) = (case.input("real_logits")?, case.input("fake_logits")?);
    let d = gan::discriminator_loss(real.view(), fake.view());
    let mut out = Outputs::new()
        .with("grad_real_logits", d.grad_real_logits)
        .with("grad_fake_logits", d.grad_fake_logits);
    out.insert_scalar("loss", d.loss);
    out.insert_scalar("loss_real", d.loss_real);
    out.insert_scalar("loss_fake", d.loss_fake);
    Ok(out)
}

/// `fake_logits` → `loss` = mean softplus(−fake), `grad_fake_logits`.
fn gan_g_loss_nonsaturating(case: &Case) -> Result<Outputs, VerifyError> {
    case.require_param("reduction_mean", 1.0)?;
    let g = gan::generator_loss_nonsaturating(case.input("fake_logits")?.view());
    let mut out = Outputs::new().with("grad_fake_logits", g.grad);
    out.insert_scalar("loss", g.loss);
    Ok(out)
}
