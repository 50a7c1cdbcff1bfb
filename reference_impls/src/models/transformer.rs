//! Transformers et attention en NLP: a small pre-norm transformer, encoder and causal decoder,
//! learns to reverse strings of digits; a decoder-only transformer learns the characters of the
//! vault's own notes.
//!
//! The file follows the note:
//! 1. **Du texte aux vecteurs** ([`Embedded`]): each token `x_t` becomes a row of a learned table
//!    `E ∈ ℝ^{|V|×d}`, plus a learned encoding of its position t.
//! 2. **Encodeur-décodeur** ([`Seq2Seq`]): pre-norm encoder layers read the source with
//!    bidirectional self-attention; decoder layers read the target so far with causal
//!    self-attention and the encoder's output with cross-attention; a LayerNorm and a linear
//!    read-out give `p_θ(y_t | y_{<t}, x) = softmax(z_t)`, trained on `−Σ_t log p_θ(y_t | …)` with
//!    the true previous tokens as inputs (teacher forcing): the T predictions in one pass, thanks
//!    to the causal mask. The task ([`reversal`]): a string of L digits, its reverse as target.
//! 3. **Génération**: greedy decoding, one token at a time from a start token; `exact_match` is
//!    the fraction of held-out strings reversed without a single wrong digit.
//! 4. **Décodeur seul** ([`CharTransformer`]): causal encoder layers over the characters of the
//!    notes, `p_θ(x_1 … x_T) = Π_t p_θ(x_t | x_{<t})`; its test perplexity against the unigram
//!    model's, and a sample drawn with a temperature, `p_i ∝ exp(z_i/τ)`.
//!
//! Legend: B batch, L source length, T target or context length, E model width, V vocabulary.

use std::collections::HashSet;

use ndarray::{Array2, Ix2, Ix3};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::char_rnn::{
    CharModelMeasures, CharSplits, report_char_model, unigram_perplexity, windows,
};
use crate::backend::{Backend, BackendResult, Binary, Mat, Shaped, reshape_on, reuse_on};
use crate::data::{Vocabulary, notes_text};
use crate::implementation::{Implementation, Progress, RunError, RunOnBackend};
use crate::layers::embedding::EmbeddingError;
use crate::layers::transformer::{TransformerDecoderLayer, TransformerEncoderLayer};
use crate::layers::{Embedding, Layer, LayerNorm, Linear, Param};
use crate::loss::{LossError, softmax_cross_entropy_on};
use crate::optim::{Adam, AdamConfig, Optimizer};
use crate::params::{Config, ParamSpec};
use crate::report::{Axes, Matrix, Report, Series};

// ---------------------------------------------------------------------------------------------
// 1. From tokens to vectors
// ---------------------------------------------------------------------------------------------

/// Token embeddings plus learned position embeddings: B rows of T ids → x `[B, T, E]`.
#[derive(Clone, Debug)]
pub struct Embedded<B: Backend> {
    /// The token table `[V, E]`.
    pub tokens: Embedding<f32, B>,
    /// The position table `[T_max, E]`.
    pub positions: Embedding<f32, B>,
    /// Token plus position rows: `[B·T, E]`
    sum: B::Tensor<f32, Ix2>,
    /// The same as a batch of sequences: `[B, T, E]`
    output: B::Tensor<f32, Ix3>,
    /// dL/dx as rows: `[B·T, E]`
    grad_rows: B::Tensor<f32, Ix2>,
}

impl<B: Backend> Embedded<B> {
    /// Tables for `vocab` tokens and `max_len` positions of width `width`, N(0, 1) entries.
    pub fn new_on(
        backend: &B,
        vocab: usize,
        max_len: usize,
        width: usize,
        rng: &mut impl Rng,
    ) -> BackendResult<Self> {
        Ok(Self {
            tokens: Embedding::new_on(backend, vocab, width, rng)?,
            positions: Embedding::new_on(backend, max_len, width, rng)?,
            sum: backend.zeros(Ix2(0, 0))?,
            output: backend.zeros(Ix3(0, 0, 0))?,
            grad_rows: backend.zeros(Ix2(0, 0))?,
        })
    }

    /// x `[B, T, E]` for `rows` (B rows of T ids): `x[b, t] = E[rows[b][t]] + P[t]`.
    pub fn forward(&mut self, rows: &[Vec<usize>]) -> Result<&B::Tensor<f32, Ix3>, EmbeddingError> {
        let be = self.tokens.backend().clone();
        let (batch, len) = (rows.len(), rows.first().map_or(0, Vec::len));
        let ids: Vec<usize> = rows.iter().flatten().copied().collect();
        let places: Vec<usize> = (0..batch).flat_map(|_| 0..len).collect();
        let tokens = self.tokens.forward(&ids)?; // [B·T, E]
        let positions = self.positions.forward(&places)?; // [B·T, E]
        let width = tokens.shape()[1];
        let sum = reuse_on(&be, &mut self.sum, Ix2(batch * len, width))?;
        be.binary(Binary::Add, tokens, positions, sum)?;
        Ok(reshape_on(
            &be,
            &self.sum,
            &mut self.output,
            Ix3(batch, len, width),
        )?)
    }

    /// Adds dL/dx `[B, T, E]` into both tables (the sum passes it unchanged to each).
    pub fn backward(&mut self, dx: &B::Tensor<f32, Ix3>) -> BackendResult<()> {
        let be = self.tokens.backend().clone();
        let rows = Ix2(dx.shape()[0] * dx.shape()[1], dx.shape()[2]);
        let d_rows = reshape_on(&be, dx, &mut self.grad_rows, rows)?;
        self.tokens.backward(d_rows)?;
        self.positions.backward(&self.grad_rows)
    }
}

impl<B: Backend> Layer<f32, B> for Embedded<B> {
    fn backend(&self) -> &B {
        self.tokens.backend()
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, f32, B>)) {
        self.tokens.params_mut(&mut |p| visit(p.prefixed("tokens")));
        self.positions
            .params_mut(&mut |p| visit(p.prefixed("positions")));
    }

    fn num_params(&self) -> usize {
        self.tokens.num_params() + self.positions.num_params()
    }
}

/// The last LayerNorm and the linear read-out to token logits, with their cross-entropy:
/// h `[B, T, E]` → z `[B·T, V]`.
#[derive(Clone, Debug)]
pub struct ReadOut<B: Backend> {
    /// The LayerNorm of a pre-norm stack's output.
    pub norm: LayerNorm<f32, Ix3, B>,
    /// `[E]` → `[V]` logits.
    pub linear: Linear<f32, B>,
    /// The normalised h as rows: `[B·T, E]`
    rows: B::Tensor<f32, Ix2>,
    /// dL/dz of the latest loss: `[B·T, V]`
    grad_logits: B::Tensor<f32, Ix2>,
    /// dL/d LN(h) as a batch: `[B, T, E]`
    grad_normed: B::Tensor<f32, Ix3>,
    /// The targets, in backend memory.
    targets: B::Indices,
    /// The shape of the latest h: `[B, T, E]`
    h_shape: [usize; 3],
}

impl<B: Backend> ReadOut<B> {
    /// A read-out from width `width` to `vocab` logits.
    pub fn new_on(
        backend: &B,
        width: usize,
        vocab: usize,
        rng: &mut impl Rng,
    ) -> BackendResult<Self> {
        Ok(Self {
            norm: LayerNorm::new_on(backend, width)?,
            linear: Linear::new_on(backend, width, vocab, rng)?,
            rows: backend.zeros(Ix2(0, 0))?,
            grad_logits: backend.zeros(Ix2(0, 0))?,
            grad_normed: backend.zeros(Ix3(0, 0, 0))?,
            targets: backend.upload_indices(&[])?,
            h_shape: [0; 3],
        })
    }

    /// z = W · LN(h) + b: `[B·T, V]` for h `[B, T, E]`.
    pub fn forward(&mut self, h: &B::Tensor<f32, Ix3>) -> BackendResult<&B::Tensor<f32, Ix2>> {
        let be = self.linear.backend().clone();
        let rows = Ix2(h.shape()[0] * h.shape()[1], h.shape()[2]);
        self.h_shape = [h.shape()[0], h.shape()[1], h.shape()[2]];
        let normed = self.norm.forward(h)?;
        let rows = reshape_on(&be, normed, &mut self.rows, rows)?;
        self.linear.forward(rows)
    }

    /// The mean cross-entropy of `targets` (B·T, row after row) under the logits of h, leaving
    /// dL/dz for [`ReadOut::backward`].
    pub fn loss(&mut self, h: &B::Tensor<f32, Ix3>, targets: &[usize]) -> Result<f32, LossError> {
        let be = self.linear.backend().clone();
        self.forward(h)?;
        let logits = self.linear.output();
        let grad = reuse_on(
            &be,
            &mut self.grad_logits,
            Ix2(logits.shape()[0], logits.shape()[1]),
        )?;
        softmax_cross_entropy_on(&be, logits, targets, &mut self.targets, grad)
    }

    /// dL/dh `[B, T, E]` of the latest loss; adds the gradients of the norm and the read-out.
    pub fn backward(&mut self) -> BackendResult<&B::Tensor<f32, Ix3>> {
        let be = self.linear.backend().clone();
        let d_rows = self.linear.backward(&self.grad_logits)?; // [B·T, E]
        let dim = dim3(&self.h_shape);
        let d_normed = reshape_on(&be, d_rows, &mut self.grad_normed, dim)?;
        self.norm.backward(d_normed)
    }
}

impl<B: Backend> Layer<f32, B> for ReadOut<B> {
    fn backend(&self) -> &B {
        self.linear.backend()
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, f32, B>)) {
        self.norm.params_mut(&mut |p| visit(p.prefixed("norm")));
        self.linear.params_mut(&mut |p| visit(p.prefixed("linear")));
    }

    fn num_params(&self) -> usize {
        self.norm.num_params() + self.linear.num_params()
    }
}

/// `[a, b, c]` as a dimension.
fn dim3(shape: &[usize; 3]) -> Ix3 {
    Ix3(shape[0], shape[1], shape[2])
}

/// The shape of a 3-D tensor.
fn shape3<R: Shaped>(x: &R) -> [usize; 3] {
    let s = x.shape();
    [s[0], s[1], s[2]]
}

/// The sizes of a transformer stack.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sizes {
    /// Model width E.
    pub width: usize,
    /// Attention heads (a divisor of E).
    pub heads: usize,
    /// Feed-forward width F.
    pub feedforward: usize,
    /// Layers (of the encoder, and of the decoder).
    pub layers: usize,
}

// ---------------------------------------------------------------------------------------------
// 2. Encoder–decoder on the reversal of digit strings
// ---------------------------------------------------------------------------------------------

/// The ten digits are tokens 0–9; the decoder's start token.
pub const START: usize = 10;

/// Source strings of digits and their reverses.
#[derive(Clone, Debug, PartialEq)]
pub struct Reversal {
    /// B strings of L digits.
    pub sources: Vec<Vec<usize>>,
    /// Their reverses.
    pub targets: Vec<Vec<usize>>,
}

impl Reversal {
    /// The decoder's inputs under teacher forcing: the start token, then the target shifted by
    /// one (`[START, y_1 … y_{L−1}]`).
    pub fn decoder_inputs(&self) -> Vec<Vec<usize>> {
        self.targets
            .iter()
            .map(|t| {
                std::iter::once(START)
                    .chain(t[..t.len() - 1].iter().copied())
                    .collect()
            })
            .collect()
    }

    /// The targets flattened, row after row: `[B·L]`.
    pub fn flat_targets(&self) -> Vec<usize> {
        self.targets.iter().flatten().copied().collect()
    }
}

/// `count` random strings of `length` digits, none of them in `excluded` (the held-out strings,
/// so that the test measures generalisation, not memory).
pub fn reversal(
    count: usize,
    length: usize,
    excluded: &HashSet<Vec<usize>>,
    rng: &mut impl Rng,
) -> Reversal {
    let mut sources = Vec::with_capacity(count);
    while sources.len() < count {
        let s: Vec<usize> = (0..length).map(|_| rng.random_range(0..10)).collect();
        if !excluded.contains(&s) {
            sources.push(s);
        }
    }
    let targets = sources
        .iter()
        .map(|s| s.iter().rev().copied().collect())
        .collect();
    Reversal { sources, targets }
}

/// Encoder layers over the source, decoder layers over the target, a read-out to the digits.
#[derive(Clone, Debug)]
pub struct Seq2Seq<B: Backend> {
    /// Source tokens and positions.
    pub source: Embedded<B>,
    /// Target tokens (digits and [`START`]) and positions.
    pub target: Embedded<B>,
    /// Bidirectional self-attention layers.
    pub encoder: Vec<TransformerEncoderLayer<f32, B>>,
    /// The LayerNorm of the encoder's output (the memory is LN of the last layer).
    pub encoder_norm: LayerNorm<f32, Ix3, B>,
    /// Cross-attention and causal self-attention layers.
    pub decoder: Vec<TransformerDecoderLayer<f32, B>>,
    /// Norm and read-out to the ten digits.
    pub readout: ReadOut<B>,
    /// The memory of the latest encoding: `[B, L, E]`
    memory: B::Tensor<f32, Ix3>,
    /// dL/d memory, summed over the decoder layers: `[B, L, E]`
    grad_memory: B::Tensor<f32, Ix3>,
}

impl<B: Backend> Seq2Seq<B> {
    /// A model for strings of `length` digits, PyTorch's initialisation from `rng`.
    pub fn new_on(
        backend: &B,
        sizes: &Sizes,
        length: usize,
        rng: &mut impl Rng,
    ) -> Result<Self, RunError> {
        let Sizes {
            width,
            heads,
            feedforward,
            layers,
        } = *sizes;
        let failed = |e: crate::layers::attention::AttentionError| RunError::Failed(e.to_string());
        Ok(Self {
            source: Embedded::new_on(backend, 10, length, width, rng)?,
            target: Embedded::new_on(backend, 11, length, width, rng)?,
            encoder: (0..layers)
                .map(|_| TransformerEncoderLayer::new_on(backend, width, heads, feedforward, rng))
                .collect::<Result<_, _>>()
                .map_err(failed)?,
            encoder_norm: LayerNorm::new_on(backend, width)?,
            decoder: (0..layers)
                .map(|_| TransformerDecoderLayer::new_on(backend, width, heads, feedforward, rng))
                .collect::<Result<_, _>>()
                .map_err(failed)?,
            readout: ReadOut::new_on(backend, width, 10, rng)?,
            memory: backend.zeros(Ix3(0, 0, 0))?,
            grad_memory: backend.zeros(Ix3(0, 0, 0))?,
        })
    }

    /// Reads the sources (B rows of L digits) into the memory `[B, L, E]`.
    pub fn encode(&mut self, sources: &[Vec<usize>]) -> Result<(), RunError> {
        let be = self.readout.backend().clone();
        let h = encoder_forward(&mut self.source, &mut self.encoder, sources)?; // [B, L, E]
        let m = self.encoder_norm.forward(h)?;
        let memory = reuse_on(&be, &mut self.memory, dim3(&shape3(m)))?;
        be.geam(1.0, Mat::of(m), 0.0, Mat::of(memory))?;
        Ok(())
    }

    /// The mean cross-entropy of the reversed strings under teacher forcing, leaving what
    /// [`Seq2Seq::backward`] needs.
    pub fn loss(&mut self, data: &Reversal) -> Result<f32, RunError> {
        self.encode(&data.sources)?;
        let h = decoder_forward(
            &mut self.target,
            &mut self.decoder,
            &self.memory,
            &data.decoder_inputs(),
        )?;
        Ok(self.readout.loss(h, &data.flat_targets())?)
    }

    /// Backpropagation of the latest [`Seq2Seq::loss`] into every parameter: through the
    /// decoder, whose layers each add their share of dL/d memory, then through the encoder.
    pub fn backward(&mut self) -> BackendResult<()> {
        let be = self.readout.backend().clone();
        let mut d = self.readout.backward()?; // [B, T, E]
        let grad_memory = reuse_on(&be, &mut self.grad_memory, dim3(&shape3(&self.memory)))?;
        be.fill(grad_memory, 0.0)?;
        for layer in self.decoder.iter_mut().rev() {
            let [dx, dm] = layer.backward(d)?;
            be.axpby(1.0, dm, 1.0, &mut self.grad_memory)?;
            d = dx;
        }
        self.target.backward(d)?;
        let mut d = self.encoder_norm.backward(&self.grad_memory)?;
        for layer in self.encoder.iter_mut().rev() {
            d = layer.backward(d)?;
        }
        self.source.backward(d)
    }

    /// The greedy reverse of every source: L steps, each feeding the digits chosen so far back
    /// to the decoder and keeping the most probable next one.
    pub fn greedy(&mut self, sources: &[Vec<usize>]) -> Result<Vec<Vec<usize>>, RunError> {
        let be = self.readout.backend().clone();
        let length = sources.first().map_or(0, Vec::len);
        self.encode(sources)?;
        let mut inputs: Vec<Vec<usize>> = vec![vec![START]; sources.len()];
        for t in 0..length {
            let h = decoder_forward(&mut self.target, &mut self.decoder, &self.memory, &inputs)?;
            let logits = be.download(self.readout.forward(h)?)?; // [B·(t+1), 10]
            for (b, row) in inputs.iter_mut().enumerate() {
                row.push(argmax(logits.row(b * (t + 1) + t).iter().copied()));
            }
        }
        Ok(inputs.into_iter().map(|row| row[1..].to_vec()).collect())
    }

    /// The cross-attention of the last decoder layer in its latest forward, averaged over heads
    /// and over the batch: `[T, L]`, on the host.
    pub fn cross_attention(&self) -> BackendResult<Array2<f32>> {
        let last = self.decoder.last().expect("at least one decoder layer");
        let w = last.cross_attn.attn_weights_avg()?; // [B, T, L]
        Ok(w.mean_axis(ndarray::Axis(0)).expect("a non-empty batch"))
    }
}

/// The last hidden states `[B, T, E]` of a stack of encoder layers (bidirectional or causal)
/// over the embedded `inputs` (B rows of T tokens).
fn encoder_forward<'a, B: Backend>(
    embedded: &'a mut Embedded<B>,
    layers: &'a mut [TransformerEncoderLayer<f32, B>],
    inputs: &[Vec<usize>],
) -> Result<&'a B::Tensor<f32, Ix3>, RunError> {
    let mut h = embedded.forward(inputs).map_err(embedding_failed)?; // [B, T, E]
    for layer in layers {
        h = layer.forward(h)?;
    }
    Ok(h)
}

/// The decoder stack's last hidden states `[B, T, E]` for its `inputs` (B rows of T tokens),
/// reading `memory`.
fn decoder_forward<'a, B: Backend>(
    target: &'a mut Embedded<B>,
    decoder: &'a mut [TransformerDecoderLayer<f32, B>],
    memory: &B::Tensor<f32, Ix3>,
    inputs: &[Vec<usize>],
) -> Result<&'a B::Tensor<f32, Ix3>, RunError> {
    let mut h = target.forward(inputs).map_err(embedding_failed)?; // [B, T, E]
    for layer in decoder {
        h = layer.forward(h, memory)?;
    }
    Ok(h)
}

/// The index of the largest value.
fn argmax(values: impl Iterator<Item = f32>) -> usize {
    values
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, z)| {
            if z > best.1 { (i, z) } else { best }
        })
        .0
}

impl<B: Backend> Layer<f32, B> for Seq2Seq<B> {
    fn backend(&self) -> &B {
        self.readout.backend()
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, f32, B>)) {
        self.source.params_mut(&mut |p| visit(p.prefixed("source")));
        self.target.params_mut(&mut |p| visit(p.prefixed("target")));
        visit_stack(&mut self.encoder, "encoder", visit);
        self.encoder_norm
            .params_mut(&mut |p| visit(p.prefixed("encoder_norm")));
        visit_stack(&mut self.decoder, "decoder", visit);
        self.readout
            .params_mut(&mut |p| visit(p.prefixed("readout")));
    }

    fn num_params(&self) -> usize {
        self.source.num_params()
            + self.target.num_params()
            + self.encoder.iter().map(Layer::num_params).sum::<usize>()
            + self.encoder_norm.num_params()
            + self.decoder.iter().map(Layer::num_params).sum::<usize>()
            + self.readout.num_params()
    }
}

/// Visits the parameters of a stack of layers as `name.<k>.…`, layer k after layer k − 1.
fn visit_stack<L: Layer<f32, B>, B: Backend>(
    layers: &mut [L],
    name: &str,
    visit: &mut dyn FnMut(Param<'_, f32, B>),
) {
    for (k, layer) in layers.iter_mut().enumerate() {
        let prefix = format!("{name}.{k}");
        layer.params_mut(&mut |p| visit(p.prefixed(&prefix)));
    }
}

/// The fraction of `predicted` strings equal to `truth`, digit for digit.
pub fn exact_match(predicted: &[Vec<usize>], truth: &[Vec<usize>]) -> f64 {
    let right = predicted.iter().zip(truth).filter(|(p, t)| p == t).count();
    right as f64 / truth.len().max(1) as f64
}

/// An embedding error as a failed run (token ids come from the model's own data).
fn embedding_failed(e: EmbeddingError) -> RunError {
    RunError::Failed(e.to_string())
}
// ---------------------------------------------------------------------------------------------
// 3. Decoder only: a character language model on the notes
// ---------------------------------------------------------------------------------------------

/// Causal self-attention layers over characters, each predicting the next.
#[derive(Clone, Debug)]
pub struct CharTransformer<B: Backend> {
    /// Characters and positions (up to the context length).
    pub input: Embedded<B>,
    /// Causal pre-norm layers.
    pub layers: Vec<TransformerEncoderLayer<f32, B>>,
    /// Norm and read-out to the vocabulary.
    pub readout: ReadOut<B>,
}

impl<B: Backend> CharTransformer<B> {
    /// A model over `vocab` characters with contexts of up to `context` characters.
    pub fn new_on(
        backend: &B,
        sizes: &Sizes,
        vocab: usize,
        context: usize,
        rng: &mut impl Rng,
    ) -> Result<Self, RunError> {
        let Sizes {
            width,
            heads,
            feedforward,
            layers,
        } = *sizes;
        Ok(Self {
            input: Embedded::new_on(backend, vocab, context, width, rng)?,
            layers: (0..layers)
                .map(|_| {
                    TransformerEncoderLayer::masked_on(
                        backend,
                        width,
                        heads,
                        feedforward,
                        true,
                        rng,
                    )
                })
                .collect::<Result<_, _>>()
                .map_err(|e| RunError::Failed(e.to_string()))?,
            readout: ReadOut::new_on(backend, width, vocab, rng)?,
        })
    }

    /// The mean cross-entropy of the next characters `targets` (B·T) after each input of the
    /// windows, leaving what [`CharTransformer::backward`] needs.
    pub fn loss(&mut self, inputs: &[Vec<usize>], targets: &[usize]) -> Result<f32, RunError> {
        let h = encoder_forward(&mut self.input, &mut self.layers, inputs)?; // [B, T, E]
        Ok(self.readout.loss(h, targets)?)
    }

    /// Backpropagation of the latest [`CharTransformer::loss`] into every parameter.
    pub fn backward(&mut self) -> BackendResult<()> {
        let mut d = self.readout.backward()?;
        for layer in self.layers.iter_mut().rev() {
            d = layer.backward(d)?;
        }
        self.input.backward(d)
    }

    /// `length` characters drawn one at a time after `prompt` (ids, at least one), each from
    /// `softmax(z/τ)` given the last `context` characters before it.
    pub fn sample(
        &mut self,
        prompt: &[usize],
        length: usize,
        temperature: f64,
        context: usize,
        rng: &mut impl Rng,
    ) -> Result<Vec<usize>, RunError> {
        let be = self.readout.backend().clone();
        let mut text = prompt.to_vec();
        for _ in 0..length {
            let window = text[text.len().saturating_sub(context)..].to_vec();
            let last = window.len() - 1;
            let h = encoder_forward(&mut self.input, &mut self.layers, &[window])?;
            let logits = be.download(self.readout.forward(h)?)?; // [T, V]
            let top = logits.row(last).fold(f32::NEG_INFINITY, |a, &z| a.max(z));
            let weights = logits
                .row(last)
                .mapv(|z| (f64::from(z - top) / temperature).exp());
            let pick = WeightedIndex::new(weights.iter())
                .map_err(|e| RunError::Failed(format!("sampling: {e}")))?;
            text.push(pick.sample(rng));
        }
        Ok(text[prompt.len()..].to_vec())
    }
}

impl<B: Backend> Layer<f32, B> for CharTransformer<B> {
    fn backend(&self) -> &B {
        self.readout.backend()
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, f32, B>)) {
        self.input.params_mut(&mut |p| visit(p.prefixed("input")));
        visit_stack(&mut self.layers, "layers", visit);
        self.readout
            .params_mut(&mut |p| visit(p.prefixed("readout")));
    }

    fn num_params(&self) -> usize {
        self.input.num_params()
            + self.layers.iter().map(Layer::num_params).sum::<usize>()
            + self.readout.num_params()
    }
}

/// Windows per forward pass when measuring a perplexity.
const EVAL_WINDOWS: usize = 128;

/// `exp` of the mean cross-entropy of `net` over the non-overlapping windows of `context`
/// characters of `ids`, each read from its first character.
pub fn perplexity<B: Backend>(
    net: &mut CharTransformer<B>,
    ids: &[usize],
    context: usize,
) -> Result<f64, RunError> {
    let starts: Vec<usize> = (0..ids.len().saturating_sub(context))
        .step_by(context)
        .collect();
    let mut total = 0.0;
    for chunk in starts.chunks(EVAL_WINDOWS) {
        let (inputs, targets) = windows(ids, chunk, context);
        total += f64::from(net.loss(&inputs, &targets)?) * chunk.len() as f64;
    }
    Ok((total / starts.len().max(1) as f64).exp())
}

// ---------------------------------------------------------------------------------------------
// 4. The run
// ---------------------------------------------------------------------------------------------

/// Held-out exact match the encoder–decoder must reach.
pub const TARGET_EXACT_MATCH: f64 = 0.95;
/// Strings in the validation set.
pub const VALIDATION: usize = 500;
/// Strings in the test set.
pub const TEST: usize = 2000;
/// Training steps between two validation evaluations.
pub const EVAL_EVERY: usize = 100;
/// The prompt the character model continues.
pub const PROMPT: &str = "Le Transformer ";

/// The registry entry `transformer`.
#[derive(Clone, Copy, Debug, Default)]
pub struct TransformerModel;

/// How to train one of the two models.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Training {
    /// The stack's sizes.
    pub sizes: Sizes,
    /// Adam steps, each on a fresh batch.
    pub iterations: usize,
    /// Sequences (or windows) per batch.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
}

impl TransformerModel {
    /// The encoder–decoder's training in `cfg`, and the string length L.
    pub fn reversal_training(cfg: &Config) -> (Training, usize) {
        let training = Training {
            sizes: Sizes {
                width: cfg.usize("width"),
                heads: cfg.usize("heads"),
                feedforward: cfg.usize("feedforward"),
                layers: cfg.usize("layers"),
            },
            iterations: cfg.usize("iterations"),
            batch: cfg.usize("batch"),
            lr: cfg.float("lr"),
        };
        (training, cfg.usize("length"))
    }

    /// The character model's training in `cfg`, and its context length T.
    pub fn char_training(cfg: &Config) -> (Training, usize) {
        let training = Training {
            sizes: Sizes {
                width: cfg.usize("char_width"),
                heads: cfg.usize("char_heads"),
                feedforward: 2 * cfg.usize("char_width"),
                layers: cfg.usize("char_layers"),
            },
            iterations: cfg.usize("char_iterations"),
            batch: cfg.usize("char_batch"),
            lr: cfg.float("char_lr"),
        };
        (training, cfg.usize("char_context"))
    }
}

impl Implementation for TransformerModel {
    fn id(&self) -> &'static str {
        "transformer"
    }

    fn source_file(&self) -> Option<&'static str> {
        Some(file!())
    }

    fn title(&self) -> &'static str {
        "Transformers et attention en NLP"
    }

    fn description(&self) -> &'static str {
        "Un petit Transformer encodeur-décodeur (pré-normalisation, décodeur causal, attention \
         croisée) apprend à renverser des chaînes de chiffres, décodées token par token ; un \
         Transformer décodeur seul apprend les caractères des notes du coffre : perplexité \
         contre le modèle unigramme, et un échantillon."
    }

    fn concept(&self) -> Option<&'static str> {
        Some("Transformers et attention en NLP")
    }

    fn params(&self) -> Vec<ParamSpec> {
        vec![
            ParamSpec::int("length", "chiffres par chaîne L", 8, 2, 32),
            ParamSpec::int("width", "largeur du modèle E", 32, 2, 512),
            ParamSpec::int("heads", "têtes d'attention (diviseur de E)", 4, 1, 64),
            ParamSpec::int("feedforward", "largeur du bloc feed-forward", 64, 1, 4096),
            ParamSpec::int("layers", "couches de l'encodeur et du décodeur", 1, 1, 8),
            ParamSpec::int(
                "iterations",
                "pas d'Adam (un lot neuf à chaque pas)",
                500,
                EVAL_EVERY as i64,
                100_000,
            ),
            ParamSpec::int("batch", "chaînes par lot", 64, 1, 4096),
            ParamSpec::float("lr", "taux d'apprentissage d'Adam", 3e-3, 1e-6, 1.0),
            ParamSpec::int("char_width", "largeur du modèle de caractères", 48, 2, 512),
            ParamSpec::int("char_heads", "têtes du modèle de caractères", 4, 1, 64),
            ParamSpec::int("char_layers", "couches du modèle de caractères", 2, 1, 8),
            ParamSpec::int("char_context", "caractères de contexte T", 32, 2, 512),
            ParamSpec::int(
                "char_iterations",
                "pas d'Adam du modèle de caractères",
                1000,
                EVAL_EVERY as i64,
                100_000,
            ),
            ParamSpec::int("char_batch", "fenêtres par lot", 32, 1, 4096),
            ParamSpec::float(
                "char_lr",
                "taux d'apprentissage du modèle de caractères",
                3e-3,
                1e-6,
                1.0,
            ),
        ]
    }

    crate::on_every_device!();
}

/// What a training run kept: the weights at the best validation score, and its curves.
#[derive(Clone, Debug)]
pub struct Trained<N> {
    /// The network at the step with the best validation score.
    pub net: N,
    /// That step.
    pub best_iteration: usize,
    /// The best validation score.
    pub best_score: f64,
    /// The mean training loss over each [`EVAL_EVERY`] steps.
    pub losses: Vec<f64>,
    /// The validation score every [`EVAL_EVERY`] steps (entry 0 before training).
    pub validation: Vec<f64>,
}

/// Adam on `net` for `iterations` steps, each `step` computing a loss and its gradients; every
/// [`EVAL_EVERY`] steps `score` measures the network on the validation set (larger is better) and
/// the best weights are kept.
fn train<N: Layer<f32, B> + Clone, B: Backend>(
    mut net: N,
    training: &Training,
    progress: &dyn Progress,
    mut step: impl FnMut(&mut N) -> Result<f64, RunError>,
    mut score: impl FnMut(&mut N) -> Result<f64, RunError>,
) -> Result<Trained<N>, RunError> {
    let mut adam = Adam::new(AdamConfig::adam(training.lr));
    let first = score(&mut net)?;
    let mut trained = Trained {
        net: net.clone(),
        best_iteration: 0,
        best_score: first,
        losses: Vec::new(),
        validation: vec![first],
    };
    let mut running = 0.0;
    for iteration in 1..=training.iterations {
        net.zero_grad()?;
        let loss = step(&mut net)?;
        if !loss.is_finite() {
            return Err(RunError::Failed(format!(
                "training diverged at step {iteration}; lower the learning rate"
            )));
        }
        adam.step(&mut net)?;
        running += loss;
        if iteration % EVAL_EVERY == 0 {
            trained.losses.push(running / EVAL_EVERY as f64);
            running = 0.0;
            let s = score(&mut net)?;
            trained.validation.push(s);
            if s > trained.best_score {
                (trained.net, trained.best_iteration, trained.best_score) =
                    (net.clone(), iteration, s);
            }
        }
        progress.advance(1);
    }
    Ok(trained)
}

impl RunOnBackend for TransformerModel {
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError> {
        let (training, length) = Self::reversal_training(cfg);
        let (char_training, context) = Self::char_training(cfg);
        for sizes in [&training.sizes, &char_training.sizes] {
            if !sizes.width.is_multiple_of(sizes.heads) {
                return Err(RunError::Failed(format!(
                    "the heads ({}) must divide the width ({})",
                    sizes.heads, sizes.width
                )));
            }
        }
        progress.start(
            (training.iterations + char_training.iterations) as u64,
            "entraînement (encodeur-décodeur, puis modèle de caractères)",
        );
        let mut report = Report::new(self.id(), backend.device(), seed, cfg);
        reverse_digits(backend, &training, length, seed, progress, &mut report)?;
        char_model(
            backend,
            &char_training,
            context,
            seed,
            progress,
            &mut report,
        )?;
        progress.finish();
        report.set_axes(
            "perte",
            Axes::new("pas d'entraînement", "entropie croisée").log_y(),
        );
        Ok(report)
    }
}

/// Trains the encoder–decoder to reverse strings of `length` digits (its step chosen on the
/// validation strings), then measures it once on the test strings.
fn reverse_digits<B: Backend>(
    backend: &B,
    training: &Training,
    length: usize,
    seed: u64,
    progress: &dyn Progress,
    report: &mut Report,
) -> Result<(), RunError> {
    let mut data_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7e5e);
    let validation = reversal(VALIDATION, length, &HashSet::new(), &mut data_rng);
    let test = reversal(TEST, length, &HashSet::new(), &mut data_rng);
    let held_out: HashSet<Vec<usize>> = validation
        .sources
        .iter()
        .chain(&test.sources)
        .cloned()
        .collect();

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let net = Seq2Seq::new_on(backend, &training.sizes, length, &mut rng)?;
    let trained = train(
        net,
        training,
        progress,
        |net| {
            let batch = reversal(training.batch, length, &held_out, &mut rng);
            let loss = f64::from(net.loss(&batch)?);
            net.backward()?;
            Ok(loss)
        },
        |net| {
            Ok(exact_match(
                &net.greedy(&validation.sources)?,
                &validation.targets,
            ))
        },
    )?;
    let mut net = trained.net;
    let predicted = net.greedy(&test.sources)?;
    let attention = net.cross_attention()?;
    let test_exact = exact_match(&predicted, &test.targets);
    let digits_right = predicted
        .iter()
        .flatten()
        .zip(test.targets.iter().flatten())
        .filter(|(p, t)| p == t)
        .count();
    report.metric("exact_match", test_exact);
    report.metric("validation_exact_match", trained.best_score);
    report.metric("best_iteration", trained.best_iteration as f64);
    report.metric(
        "digit_accuracy",
        digits_right as f64 / (TEST * length) as f64,
    );
    report.metric("chance_exact_match", 10f64.powi(-(length as i32)));
    report.metric("parameters", net.num_params() as f64);
    let mirror = (0..length)
        .map(|t| f64::from(attention[[t, length - 1 - t]]))
        .sum::<f64>()
        / length as f64;
    report.metric("cross_attention_on_mirror", mirror);
    let at = |n: usize, offset: usize| -> Vec<f64> {
        (0..n).map(|i| ((i + offset) * EVAL_EVERY) as f64).collect()
    };
    report.push_series(Series::line(
        "perte/encodeur-décodeur",
        at(trained.losses.len(), 1),
        trained.losses,
    ));
    report.push_series(Series::line(
        "exactitude/validation",
        at(trained.validation.len(), 0),
        trained.validation,
    ));
    report.set_axes(
        "exactitude",
        Axes::new(
            "pas d'entraînement",
            "chaînes renversées sans faute (validation)",
        ),
    );
    report.matrices.push(Matrix {
        name: "attention-croisee".to_string(),
        row_title: "position t du chiffre produit".to_string(),
        col_title: "position de la chaîne source".to_string(),
        row_labels: (0..length).map(|t| t.to_string()).collect(),
        col_labels: (0..length).map(|s| s.to_string()).collect(),
        values: attention
            .outer_iter()
            .map(|row| row.iter().map(|&w| f64::from(w)).collect())
            .collect(),
    });
    report.check(
        "exact match sur les chaînes de test ≥ 0,95",
        test_exact >= TARGET_EXACT_MATCH,
        format!(
            "{test_exact:.4} sur {TEST} chaînes de {length} chiffres jamais vues à l'entraînement \
             (décodage glouton), pas {} retenu sur {VALIDATION} chaînes de validation",
            trained.best_iteration
        ),
    );
    let leak = future_leak(&mut net, &test, &mut data_rng)?;
    report.check(
        "décodeur causal : changer les tokens futurs ne change aucune prédiction passée",
        leak == 0.0,
        format!("écart max des logits des positions t < L/2 : {leak:e} (16 chaînes de test)"),
    );
    Ok(())
}

/// The largest change of the decoder's logits at positions t < L/2 when the teacher-forced
/// inputs at positions ≥ L/2 are replaced by random digits: exactly 0 under a causal mask.
fn future_leak<B: Backend>(
    net: &mut Seq2Seq<B>,
    test: &Reversal,
    rng: &mut impl Rng,
) -> Result<f64, RunError> {
    let be = net.readout.backend().clone();
    let shown = Reversal {
        sources: test.sources[..16.min(test.sources.len())].to_vec(),
        targets: test.targets[..16.min(test.targets.len())].to_vec(),
    };
    let length = shown.sources[0].len();
    let half = length / 2;
    let mut logits = Vec::new();
    let honest = shown.decoder_inputs();
    let mut changed = honest.clone();
    for row in &mut changed {
        for token in &mut row[half..] {
            *token = rng.random_range(0..10);
        }
    }
    net.encode(&shown.sources)?;
    for inputs in [&honest, &changed] {
        let h = decoder_forward(&mut net.target, &mut net.decoder, &net.memory, inputs)?;
        logits.push(be.download(net.readout.forward(h)?)?); // [B·L, 10]
    }
    let mut worst = 0.0_f64;
    for (i, (a, b)) in logits[0]
        .outer_iter()
        .zip(logits[1].outer_iter())
        .enumerate()
    {
        if i % length < half {
            for (x, y) in a.iter().zip(b.iter()) {
                worst = worst.max(f64::from((x - y).abs()));
            }
        }
    }
    Ok(worst)
}

/// Trains the character transformer on the notes (its step chosen on the validation part), then
/// reports its test perplexity against the unigram model's, and a sample.
fn char_model<B: Backend>(
    backend: &B,
    training: &Training,
    context: usize,
    seed: u64,
    progress: &dyn Progress,
    report: &mut Report,
) -> Result<(), RunError> {
    let text = notes_text();
    let vocab = Vocabulary::of(&text);
    let ids = vocab.encode(&text).expect("the text's own characters");
    let splits = CharSplits::of(&ids);
    if splits.train.len() <= context + 1 || splits.test.len() <= context {
        return Err(RunError::Failed(format!(
            "char_context = {context} is longer than the text's parts; lower it"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xc4a2);
    let net = CharTransformer::new_on(backend, &training.sizes, vocab.len(), context, &mut rng)?;
    let last_start = splits.train.len() - context - 1;
    let trained = train(
        net,
        training,
        progress,
        |net| {
            let starts: Vec<usize> = (0..training.batch)
                .map(|_| rng.random_range(0..=last_start))
                .collect();
            let (inputs, targets) = windows(&splits.train, &starts, context);
            let loss = f64::from(net.loss(&inputs, &targets)?);
            net.backward()?;
            Ok(loss)
        },
        |net| Ok(-perplexity(net, &splits.validation, context)?),
    )?;
    let mut net = trained.net;
    let char_perplexity = perplexity(&mut net, &splits.test, context)?;
    let unigram = unigram_perplexity(&splits.train, &splits.test, vocab.len());
    report.metric("char_validation_perplexity", -trained.best_score);
    report.metric("char_best_iteration", trained.best_iteration as f64);
    report.metric("char_parameters", net.num_params() as f64);
    let prompt = vocab
        .encode(PROMPT)
        .expect("the prompt's characters occur in the notes");
    let sample = net.sample(&prompt, 300, 0.8, context, &mut rng)?;
    report_char_model(
        report,
        CharModelMeasures {
            char_perplexity,
            unigram,
            validation: trained.validation.iter().map(|s| -s).collect(),
            every: EVAL_EVERY,
            sample: format!("{PROMPT}{}", vocab.decode(&sample)),
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_reversed_and_held_out_strings_never_train() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let held = reversal(50, 2, &HashSet::new(), &mut rng);
        let excluded: HashSet<Vec<usize>> = held.sources.iter().cloned().collect();
        let data = reversal(200, 2, &excluded, &mut rng);
        for (s, t) in data.sources.iter().zip(&data.targets) {
            assert!(!excluded.contains(s));
            assert_eq!(t, &s.iter().rev().copied().collect::<Vec<_>>());
        }
        assert_eq!(data.decoder_inputs()[0], vec![START, data.targets[0][0]]);
    }
}
