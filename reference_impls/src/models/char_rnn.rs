//! A character-level language model on the text of the vault's own notes: a GRU reads the
//! characters one by one and predicts the next, `p(c_{t+1} | c_1 … c_t) = softmax(W_hy h_t + b_y)`,
//! trained on the sum of the cross-entropies (the RNN note's "modèle de langage").
//!
//! 1. **Les données** ([`CharSplits`]): the text cut in three contiguous parts, 80 % to train,
//!    10 % to choose the number of training steps, 10 % to test; windows of T + 1 characters
//!    (inputs `c_1 … c_T`, targets `c_2 … c_{T+1}`), each read from a zero state.
//! 2. **Le réseau** ([`CharRnn`]): one-hot inputs `[B, T, V]` → GRU → states `[B, T, H]` → logits
//!    `[B·T, V]`, the cross-entropy averaged over every predicted character.
//! 3. **La mesure**: the perplexity `exp(mean −ln p(c_{t+1} | …))` on the test part, against the
//!    unigram model's (the character frequencies of the training part, add-one smoothed), which
//!    knows nothing of context; and a sample drawn from the model, character by character.
//!
//! Legend: B batch, T characters per window, H hidden units, V characters in the vocabulary.

use ndarray::{Array1, Array3, Ix2, Ix3};
use rand::Rng;

use crate::backend::{Backend, BackendResult, Shaped, reshape_on, reuse_on};
use crate::implementation::RunError;
use crate::layers::recurrent::Gru;
use crate::layers::{Layer, Linear, Param};
use crate::loss::{LossError, softmax_cross_entropy_on};
use crate::optim::{Adam, AdamConfig, Optimizer};
use crate::report::{Axes, Report, Series};

// ---------------------------------------------------------------------------------------------
// 1. The data
// ---------------------------------------------------------------------------------------------

/// The text as ids, cut in three contiguous parts.
#[derive(Clone, Debug, PartialEq)]
pub struct CharSplits {
    /// The first 80 %: what the model trains on.
    pub train: Vec<usize>,
    /// The next 10 %: where the number of training steps is chosen.
    pub validation: Vec<usize>,
    /// The last 10 %: where the reported perplexity is measured, once.
    pub test: Vec<usize>,
}

impl CharSplits {
    /// The three parts of `ids`.
    pub fn of(ids: &[usize]) -> Self {
        let (a, b) = (ids.len() * 8 / 10, ids.len() * 9 / 10);
        Self {
            train: ids[..a].to_vec(),
            validation: ids[a..b].to_vec(),
            test: ids[b..].to_vec(),
        }
    }
}

/// Windows of `steps + 1` ids starting at `starts`, as inputs `c_1 … c_T` (one row each) and
/// targets `c_2 … c_{T+1}` (flattened row after row).
pub fn windows(ids: &[usize], starts: &[usize], steps: usize) -> (Vec<Vec<usize>>, Vec<usize>) {
    let inputs = starts.iter().map(|&s| ids[s..s + steps].to_vec()).collect();
    let targets = starts
        .iter()
        .flat_map(|&s| ids[s + 1..=s + steps].iter().copied())
        .collect();
    (inputs, targets)
}

/// The unigram model's perplexity on `test`: character frequencies of `train` over a vocabulary
/// of `vocab` characters, add-one smoothed.
pub fn unigram_perplexity(train: &[usize], test: &[usize], vocab: usize) -> f64 {
    let mut counts = vec![1.0_f64; vocab];
    for &c in train {
        counts[c] += 1.0;
    }
    let total: f64 = counts.iter().sum();
    let nll: f64 = test.iter().map(|&c| -(counts[c] / total).ln()).sum();
    (nll / test.len().max(1) as f64).exp()
}

// ---------------------------------------------------------------------------------------------
// 2. The network
// ---------------------------------------------------------------------------------------------

/// A GRU over one-hot characters with a linear read-out to next-character logits.
#[derive(Clone, Debug)]
pub struct CharRnn<B: Backend> {
    /// The recurrence: one-hot `[B, T, V]` → states `[B, T, H]`.
    pub gru: Gru<f32, B>,
    /// The read-out: `[B·T, H]` → logits `[B·T, V]`.
    pub readout: Linear<f32, B>,
    /// One-hot inputs of the latest forward: `[B, T, V]`
    x: B::Tensor<f32, Ix3>,
    /// The states flattened for the read-out: `[B·T, H]`
    flat: B::Tensor<f32, Ix2>,
    /// dL/dlogits of the latest loss: `[B·T, V]`
    grad_logits: B::Tensor<f32, Ix2>,
    /// dL/d states, unflattened for the GRU: `[B, T, H]`
    grad_states: B::Tensor<f32, Ix3>,
    /// The targets, in backend memory.
    targets: B::Indices,
}

impl<B: Backend> CharRnn<B> {
    /// A model over `vocab` characters with `hidden` units, PyTorch's initialisation from `rng`.
    pub fn new_on(
        backend: &B,
        vocab: usize,
        hidden: usize,
        rng: &mut impl Rng,
    ) -> BackendResult<Self> {
        Ok(Self {
            gru: Gru::new_on(backend, vocab, hidden, rng)?,
            readout: Linear::new_on(backend, hidden, vocab, rng)?,
            x: backend.zeros(Ix3(0, 0, 0))?,
            flat: backend.zeros(Ix2(0, 0))?,
            grad_logits: backend.zeros(Ix2(0, 0))?,
            grad_states: backend.zeros(Ix3(0, 0, 0))?,
            targets: backend.upload_indices(&[])?,
        })
    }

    /// The number of characters V.
    pub fn vocab(&self) -> usize {
        self.gru.input_size()
    }

    /// Logits `[B·T, V]` of the next character after each input of the windows `inputs` (B rows
    /// of T ids), each read from `state0` (zeros when `None`).
    pub fn forward(
        &mut self,
        inputs: &[Vec<usize>],
        state0: Option<&[B::Tensor<f32, Ix2>]>,
    ) -> BackendResult<&B::Tensor<f32, Ix2>> {
        let be = self.readout.backend().clone();
        let (batch, steps, vocab) = (inputs.len(), inputs[0].len(), self.vocab());
        let mut one_hot = Array3::<f32>::zeros((batch, steps, vocab));
        for (b, row) in inputs.iter().enumerate() {
            for (t, &c) in row.iter().enumerate() {
                one_hot[[b, t, c]] = 1.0;
            }
        }
        let x = reuse_on(&be, &mut self.x, Ix3(batch, steps, vocab))?;
        be.write(one_hot.view(), x)?;
        let zeros = match state0 {
            Some(_) => Vec::new(),
            None => self.gru.zero_state(batch)?,
        };
        let dim = Ix2(batch * steps, self.gru.hidden_size());
        let states = self.gru.forward(&self.x, state0.unwrap_or(&zeros))?; // h_t: [B, T, H]
        let flat = reshape_on(&be, states, &mut self.flat, dim)?; // [B·T, H]
        self.readout.forward(flat) // logits: [B·T, V]
    }

    /// The mean cross-entropy of the next characters `targets` (B·T, row after row) for the
    /// windows `inputs`, leaving dL/dlogits ready for [`CharRnn::backward`].
    pub fn loss(&mut self, inputs: &[Vec<usize>], targets: &[usize]) -> Result<f32, LossError> {
        let be = self.readout.backend().clone();
        let mut grad = std::mem::replace(&mut self.grad_logits, be.zeros(Ix2(0, 0))?);
        let mut ids = std::mem::replace(&mut self.targets, be.upload_indices(&[])?);
        let logits = self.forward(inputs, None)?;
        let dim = Ix2(logits.shape()[0], logits.shape()[1]);
        reuse_on(&be, &mut grad, dim)?;
        let loss = softmax_cross_entropy_on(&be, logits, targets, &mut ids, &mut grad);
        (self.grad_logits, self.targets) = (grad, ids);
        loss
    }

    /// Backpropagation through time of the latest [`CharRnn::loss`]: adds every parameter
    /// gradient.
    pub fn backward(&mut self) -> BackendResult<()> {
        let be = self.readout.backend().clone();
        let d_flat = self.readout.backward(&self.grad_logits)?; // dL/dh: [B·T, H]
        let dims = self.x.shape();
        let dim = Ix3(dims[0], dims[1], self.gru.hidden_size());
        let d_states = reshape_on(&be, d_flat, &mut self.grad_states, dim)?;
        self.gru.backward_params(d_states, None)?; // one-hot inputs: no dL/dx
        Ok(())
    }

    /// `length` characters drawn one at a time after `prompt` (ids, at least one), each from
    /// `softmax(logits / temperature)` given everything before it.
    pub fn sample(
        &mut self,
        prompt: &[usize],
        length: usize,
        temperature: f64,
        rng: &mut impl Rng,
    ) -> BackendResult<Vec<usize>> {
        let mut state = self.gru.zero_state(1)?;
        let mut logits = Array1::zeros(self.vocab());
        for &c in prompt {
            logits = self.step(c, &mut state)?;
        }
        let mut drawn = Vec::with_capacity(length);
        for _ in 0..length {
            let c = draw(&logits, temperature, rng);
            drawn.push(c);
            logits = self.step(c, &mut state)?;
        }
        Ok(drawn)
    }

    /// Reads one character from `state` (updated): the logits of the next one.
    fn step(
        &mut self,
        c: usize,
        state: &mut Vec<B::Tensor<f32, Ix2>>,
    ) -> BackendResult<Array1<f64>> {
        let be = self.readout.backend().clone();
        let logits = be.download(self.forward(&[vec![c]], Some(state))?)?;
        *state = self.gru.final_state().to_vec();
        Ok(logits.row(0).mapv(f64::from))
    }
}

/// An index drawn from `softmax(logits / temperature)`.
fn draw(logits: &Array1<f64>, temperature: f64, rng: &mut impl Rng) -> usize {
    let scaled = logits / temperature;
    let top = scaled.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
    let weights = scaled.mapv(|z| (z - top).exp());
    let mut u = rng.random::<f64>() * weights.sum();
    for (i, w) in weights.iter().enumerate() {
        u -= w;
        if u <= 0.0 {
            return i;
        }
    }
    weights.len() - 1
}

impl<B: Backend> Layer<f32, B> for CharRnn<B> {
    fn backend(&self) -> &B {
        self.readout.backend()
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, f32, B>)) {
        self.gru.params_mut(&mut |p| visit(p.prefixed("gru")));
        self.readout
            .params_mut(&mut |p| visit(p.prefixed("readout")));
    }

    fn num_params(&self) -> usize {
        self.gru.num_params() + self.readout.num_params()
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Training and measure
// ---------------------------------------------------------------------------------------------

/// How to train the character model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CharTraining {
    /// Hidden units H.
    pub hidden: usize,
    /// Characters per window T.
    pub steps: usize,
    /// Adam steps, each on windows drawn at random from the training part.
    pub iterations: usize,
    /// Windows per batch B.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
}

/// Training steps between two validation evaluations.
pub const CHAR_EVAL_EVERY: usize = 100;

/// A trained character model and what its training recorded.
#[derive(Clone, Debug)]
pub struct TrainedChar<B: Backend> {
    /// The model at the step with the lowest validation perplexity.
    pub net: CharRnn<B>,
    /// That step.
    pub best_iteration: usize,
    /// Validation perplexity every [`CHAR_EVAL_EVERY`] steps (entry 0 before training).
    pub validation_curve: Vec<f64>,
}

/// Trains a [`CharRnn`] on `splits.train` with Adam; keeps the weights with the lowest
/// perplexity on `splits.validation`.
pub fn train_char<B: Backend>(
    backend: &B,
    training: &CharTraining,
    splits: &CharSplits,
    vocab: usize,
    rng: &mut impl Rng,
) -> Result<TrainedChar<B>, RunError> {
    let mut net = CharRnn::new_on(backend, vocab, training.hidden, rng)?;
    let mut adam = Adam::new(AdamConfig::adam(training.lr));
    let first = perplexity(&mut net, &splits.validation, training.steps)?;
    let (mut best, mut best_iteration, mut best_perplexity) = (net.clone(), 0, first);
    let mut validation_curve = vec![first];
    let last_start = splits.train.len() - training.steps - 1;
    for iteration in 1..=training.iterations {
        let starts: Vec<usize> = (0..training.batch)
            .map(|_| rng.random_range(0..=last_start))
            .collect();
        let (inputs, targets) = windows(&splits.train, &starts, training.steps);
        net.zero_grad()?;
        let loss = net.loss(&inputs, &targets)?;
        if !loss.is_finite() {
            return Err(RunError::Failed(format!(
                "the character model diverged at step {iteration}; lower `char_lr`"
            )));
        }
        net.backward()?;
        adam.step(&mut net)?;
        if iteration % CHAR_EVAL_EVERY == 0 {
            let p = perplexity(&mut net, &splits.validation, training.steps)?;
            validation_curve.push(p);
            if p < best_perplexity {
                (best, best_iteration, best_perplexity) = (net.clone(), iteration, p);
            }
        }
    }
    Ok(TrainedChar {
        net: best,
        best_iteration,
        validation_curve,
    })
}

/// Windows per forward pass when measuring a perplexity.
const EVAL_WINDOWS: usize = 256;

/// `exp` of the mean cross-entropy of `net` over the non-overlapping windows of `ids`.
pub fn perplexity<B: Backend>(
    net: &mut CharRnn<B>,
    ids: &[usize],
    steps: usize,
) -> Result<f64, LossError> {
    let starts: Vec<usize> = (0..ids.len().saturating_sub(steps))
        .step_by(steps)
        .collect();
    let mut total = 0.0;
    for chunk in starts.chunks(EVAL_WINDOWS) {
        let (inputs, targets) = windows(ids, chunk, steps);
        total += f64::from(net.loss(&inputs, &targets)?) * chunk.len() as f64;
    }
    Ok((total / starts.len().max(1) as f64).exp())
}

// ---------------------------------------------------------------------------------------------
// 4. What every character model reports
// ---------------------------------------------------------------------------------------------

/// The character model's test perplexity must be below this fraction of the unigram model's.
pub const CHAR_PERPLEXITY_RATIO: f64 = 0.75;

/// A trained character model's measurements, as [`report_char_model`] reports them.
#[derive(Clone, Debug)]
pub struct CharModelMeasures {
    /// Perplexity on the test part.
    pub char_perplexity: f64,
    /// The unigram model's perplexity on the test part.
    pub unigram: f64,
    /// Validation perplexity, entry i after i·`every` training steps.
    pub validation: Vec<f64>,
    /// Training steps between two validation measurements.
    pub every: usize,
    /// The sample, prompt included.
    pub sample: String,
}

/// Adds a character model's evidence to `report`: both perplexities, the validation curve, the
/// sample, and the check that it beats the unigram model.
pub fn report_char_model(report: &mut Report, m: CharModelMeasures) {
    let (char_perplexity, unigram) = (m.char_perplexity, m.unigram);
    report.metric("char_perplexity", char_perplexity);
    report.metric("unigram_perplexity", unigram);
    report.push_series(Series::line(
        "perplexité/validation",
        (0..m.validation.len())
            .map(|i| (i * m.every) as f64)
            .collect(),
        m.validation,
    ));
    report.set_axes(
        "perplexité",
        Axes::new(
            "pas d'entraînement",
            "perplexité par caractère (validation)",
        )
        .log_y(),
    );
    report.texts.insert("échantillon".to_string(), m.sample);
    report.check(
        "modèle de caractères : perplexité de test < 0,75 × celle du modèle unigramme",
        char_perplexity < CHAR_PERPLEXITY_RATIO * unigram,
        format!(
            "{char_perplexity:.2} contre {unigram:.2} (partie de test, 10 % final du texte des notes)"
        ),
    );
}
