//! Le mécanisme d'attention: multi-head attention learns a key–value lookup, a task a model can
//! only solve by finding, among its inputs, the one that matches the question.
//!
//! The file follows the note:
//! 1. **La tâche** ([`retrieval`]): K pairs `(key_j, value_j)` (distinct keys), then a query equal
//!    to one of the keys; the answer is the value paired with it. The pair to read sits at a random
//!    position: no fixed weighting of the positions does better than chance (1/V).
//! 2. **Le modèle** ([`Retriever`]): embeddings of the query, the keys and the values, then
//!    multi-head attention `softmax(Q Kᵀ/√d) V` per head (the query attends over the K
//!    positions), then a linear read-out to the V possible values.
//! 3. **L'évaluation** ([`AttentionModel`], id `attention`): accuracy on held-out sequences, the
//!    number of training steps chosen on a validation set; the attention maps of test sequences
//!    (the weight should sit on the matching key); the rows of every attention map sum to 1; a
//!    causal scaled dot-product attention leaves exactly 0 on the future.
//!
//! Legend: B batch, K pairs per sequence, E embedding width, V vocabulary of keys and values.

use ndarray::{Array2, Array3, Ix2, Ix3};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::backend::{Backend, BackendResult, Shaped, reshape_on, reuse_on};
use crate::implementation::{Implementation, Progress, RunError, RunOnBackend};
use crate::layers::attention::{MultiHeadAttention, ScaledDotProductAttention};
use crate::layers::embedding::EmbeddingError;
use crate::layers::{Embedding, Layer, Linear, Param};
use crate::loss::softmax_cross_entropy_on;
use crate::optim::{Adam, AdamConfig, Optimizer};
use crate::params::{Config, ParamSpec};
use crate::report::{Axes, Matrix, Report, Series};

// ---------------------------------------------------------------------------------------------
// 1. The task: key–value retrieval
// ---------------------------------------------------------------------------------------------

/// Sequences of the retrieval task.
#[derive(Clone, Debug, PartialEq)]
pub struct Retrieval {
    /// The keys, K per sequence (distinct within a sequence), row after row: `[B·K]`
    pub keys: Vec<usize>,
    /// The values, paired with the keys position by position: `[B·K]`
    pub values: Vec<usize>,
    /// The query of each sequence, one of its keys: `[B]`
    pub queries: Vec<usize>,
    /// The position of the matching key in each sequence: `[B]`
    pub positions: Vec<usize>,
    /// The answer, the value at that position: `[B]`
    pub answers: Vec<usize>,
}

/// `batch` sequences of `pairs` pairs over a vocabulary of `vocab` (≥ `pairs`) symbols.
pub fn retrieval(batch: usize, pairs: usize, vocab: usize, rng: &mut impl Rng) -> Retrieval {
    assert!(
        pairs >= 1 && vocab >= pairs,
        "K distinct keys need V ≥ K ≥ 1"
    );
    let mut data = Retrieval {
        keys: Vec::with_capacity(batch * pairs),
        values: Vec::with_capacity(batch * pairs),
        queries: Vec::with_capacity(batch),
        positions: Vec::with_capacity(batch),
        answers: Vec::with_capacity(batch),
    };
    let mut symbols: Vec<usize> = (0..vocab).collect();
    for _ in 0..batch {
        symbols.shuffle(rng);
        let values: Vec<usize> = (0..pairs).map(|_| rng.random_range(0..vocab)).collect();
        let position = rng.random_range(0..pairs);
        data.keys.extend_from_slice(&symbols[..pairs]);
        data.queries.push(symbols[position]);
        data.positions.push(position);
        data.answers.push(values[position]);
        data.values.extend(values);
    }
    data
}

impl Retrieval {
    /// The number of sequences B.
    pub fn len(&self) -> usize {
        self.queries.len()
    }

    /// True when there is no sequence.
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// 2. The model: embeddings, multi-head attention, read-out
// ---------------------------------------------------------------------------------------------

/// The query attends over the key positions and reads the values there.
#[derive(Clone, Debug)]
pub struct Retriever<B: Backend> {
    /// Embedding of the query symbol `[V, E]`.
    pub query_embedding: Embedding<f32, B>,
    /// Embedding of the key symbols `[V, E]`.
    pub key_embedding: Embedding<f32, B>,
    /// Embedding of the value symbols `[V, E]`.
    pub value_embedding: Embedding<f32, B>,
    /// Multi-head attention of the query over the K positions.
    pub attention: MultiHeadAttention<f32, B>,
    /// Read-out `[B, E]` → logits over the V values.
    pub readout: Linear<f32, B>,
    /// The embedded query, keys and values as attention inputs: `[B, 1, E]`, `[B, K, E]` twice
    query_keys_values: [B::Tensor<f32, Ix3>; 3],
    /// The attended query as read-out rows: `[B, E]`
    attended: B::Tensor<f32, Ix2>,
    /// dL/dlogits: `[B, V]`
    grad_logits: B::Tensor<f32, Ix2>,
    /// dL/d attended as `[B, 1, E]`
    grad_attended: B::Tensor<f32, Ix3>,
    /// dL/d embedded query, keys, values as rows: `[B, E]`, `[B·K, E]` twice
    grad_rows: [B::Tensor<f32, Ix2>; 3],
    /// The answers, in backend memory.
    targets: B::Indices,
}

impl<B: Backend> Retriever<B> {
    /// A model over `vocab` symbols, width `width`, `heads` heads, PyTorch's initialisation.
    pub fn new_on(
        backend: &B,
        vocab: usize,
        width: usize,
        heads: usize,
        rng: &mut impl Rng,
    ) -> Result<Self, RunError> {
        let empty3 = || backend.zeros(Ix3(0, 0, 0));
        let empty2 = || backend.zeros(Ix2(0, 0));
        Ok(Self {
            query_embedding: Embedding::new_on(backend, vocab, width, rng)?,
            key_embedding: Embedding::new_on(backend, vocab, width, rng)?,
            value_embedding: Embedding::new_on(backend, vocab, width, rng)?,
            attention: MultiHeadAttention::new_on(backend, width, heads, false, rng)
                .map_err(|e| RunError::Failed(e.to_string()))?,
            readout: Linear::new_on(backend, width, vocab, rng)?,
            query_keys_values: [empty3()?, empty3()?, empty3()?],
            attended: empty2()?,
            grad_logits: empty2()?,
            grad_attended: empty3()?,
            grad_rows: [empty2()?, empty2()?, empty2()?],
            targets: backend.upload_indices(&[])?,
        })
    }

    /// Logits `[B, V]` of the answer of each sequence of `data`.
    pub fn forward(&mut self, data: &Retrieval) -> Result<&B::Tensor<f32, Ix2>, EmbeddingError> {
        let be = self.readout.backend().clone();
        let (batch, width) = (data.len(), self.readout.in_features());
        let pairs = data.keys.len() / batch.max(1);
        let [q, k, v] = &mut self.query_keys_values;
        let rows = self.query_embedding.forward(&data.queries)?; // [B, E]
        reshape_on(&be, rows, q, Ix3(batch, 1, width))?;
        let rows = self.key_embedding.forward(&data.keys)?; // [B·K, E]
        reshape_on(&be, rows, k, Ix3(batch, pairs, width))?;
        let rows = self.value_embedding.forward(&data.values)?; // [B·K, E]
        reshape_on(&be, rows, v, Ix3(batch, pairs, width))?;
        // y = MultiHead(q, K, V): [B, 1, E]
        let attended = self.attention.forward(q, k, v)?;
        let rows = reshape_on(&be, attended, &mut self.attended, Ix2(batch, width))?;
        Ok(self.readout.forward(rows)?) // logits: [B, V]
    }

    /// The mean cross-entropy of the answers of `data`, leaving dL/dlogits for
    /// [`Retriever::backward`].
    pub fn loss(&mut self, data: &Retrieval) -> Result<f32, RunError> {
        let be = self.readout.backend().clone();
        let mut grad = std::mem::replace(&mut self.grad_logits, be.zeros(Ix2(0, 0))?);
        let mut ids = std::mem::replace(&mut self.targets, be.upload_indices(&[])?);
        let logits = self
            .forward(data)
            .map_err(|e| RunError::Failed(e.to_string()))?;
        reuse_on(&be, &mut grad, Ix2(logits.shape()[0], logits.shape()[1]))?;
        let loss = softmax_cross_entropy_on(&be, logits, &data.answers, &mut ids, &mut grad);
        (self.grad_logits, self.targets) = (grad, ids);
        Ok(loss?)
    }

    /// Backpropagation of the latest [`Retriever::loss`] into every parameter.
    pub fn backward(&mut self) -> BackendResult<()> {
        let be = self.readout.backend().clone();
        let width = self.readout.in_features();
        let d_rows = self.readout.backward(&self.grad_logits)?; // [B, E]
        let batch = d_rows.shape()[0];
        let dy = reshape_on(&be, d_rows, &mut self.grad_attended, Ix3(batch, 1, width))?;
        let [dq, dk, dv] = self.attention.backward(dy)?;
        let [gq, gk, gv] = &mut self.grad_rows;
        let pairs_rows = dk.shape()[0] * dk.shape()[1];
        let gq = reshape_on(&be, dq, gq, Ix2(batch, width))?;
        self.query_embedding.backward(gq)?;
        let gk = reshape_on(&be, dk, gk, Ix2(pairs_rows, width))?;
        self.key_embedding.backward(gk)?;
        let gv = reshape_on(&be, dv, gv, Ix2(pairs_rows, width))?;
        self.value_embedding.backward(gv)
    }

    /// The predicted answer of every sequence of `data` and the attention of each query over
    /// the K positions, averaged over the heads: `[B, K]`.
    pub fn predict(&mut self, data: &Retrieval) -> Result<(Vec<usize>, Array2<f32>), RunError> {
        let be = self.readout.backend().clone();
        let logits = self
            .forward(data)
            .map_err(|e| RunError::Failed(e.to_string()))?;
        let logits = be.download(logits)?;
        let predicted = logits
            .outer_iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .fold((0, f32::NEG_INFINITY), |best, (i, &z)| {
                        if z > best.1 { (i, z) } else { best }
                    })
                    .0
            })
            .collect();
        let weights: Array3<f32> = self.attention.attn_weights_avg()?; // [B, 1, K]
        let (batch, _, pairs) = weights.dim();
        let weights = weights
            .into_shape_with_order((batch, pairs))
            .expect("one query per sequence");
        Ok((predicted, weights))
    }
}

impl<B: Backend> Layer<f32, B> for Retriever<B> {
    fn backend(&self) -> &B {
        self.readout.backend()
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, f32, B>)) {
        self.query_embedding
            .params_mut(&mut |p| visit(p.prefixed("query_embedding")));
        self.key_embedding
            .params_mut(&mut |p| visit(p.prefixed("key_embedding")));
        self.value_embedding
            .params_mut(&mut |p| visit(p.prefixed("value_embedding")));
        self.attention
            .params_mut(&mut |p| visit(p.prefixed("attention")));
        self.readout
            .params_mut(&mut |p| visit(p.prefixed("readout")));
    }

    fn num_params(&self) -> usize {
        self.query_embedding.num_params()
            + self.key_embedding.num_params()
            + self.value_embedding.num_params()
            + self.attention.num_params()
            + self.readout.num_params()
    }
}

/// The fraction of `predicted` equal to `truth`.
fn accuracy(predicted: &[usize], truth: &[usize]) -> f64 {
    let right = predicted.iter().zip(truth).filter(|(p, t)| p == t).count();
    right as f64 / truth.len().max(1) as f64
}

// ---------------------------------------------------------------------------------------------
// 3. The run
// ---------------------------------------------------------------------------------------------

/// Held-out accuracy the model must reach.
pub const TARGET_ACCURACY: f64 = 0.95;
/// Sequences in the validation set and in the test set.
pub const HELD_OUT: usize = 2000;
/// Training steps between two validation evaluations.
pub const EVAL_EVERY: usize = 100;
/// Test sequences whose attention maps are drawn.
const SHOWN: usize = 8;

/// The registry entry `attention`.
#[derive(Clone, Copy, Debug, Default)]
pub struct AttentionModel;

/// The model's settings, read from a validated [`Config`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttentionSettings {
    /// Pairs per sequence K.
    pub pairs: usize,
    /// Symbols V.
    pub vocab: usize,
    /// Embedding width E.
    pub width: usize,
    /// Heads.
    pub heads: usize,
    /// Adam steps.
    pub iterations: usize,
    /// Sequences per batch.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
}

impl AttentionSettings {
    /// The settings in `cfg` (declared by [`AttentionModel::params`]).
    pub fn from_config(cfg: &Config) -> Self {
        Self {
            pairs: cfg.usize("pairs"),
            vocab: cfg.usize("vocab"),
            width: cfg.usize("width"),
            heads: cfg.usize("heads"),
            iterations: cfg.usize("iterations"),
            batch: cfg.usize("batch"),
            lr: cfg.float("lr"),
        }
    }
}

impl Implementation for AttentionModel {
    fn id(&self) -> &'static str {
        "attention"
    }

    fn source_file(&self) -> Option<&'static str> {
        Some(file!())
    }

    fn title(&self) -> &'static str {
        "Le mécanisme d'attention"
    }

    fn description(&self) -> &'static str {
        "Attention multi-têtes entraînée à retrouver la valeur associée à une clé parmi K paires \
         (clé, valeur) : exactitude sur des séquences jamais vues, cartes d'attention, lignes \
         d'attention de somme 1 et masque causal vérifiés."
    }

    fn concept(&self) -> Option<&'static str> {
        Some("Transformers et mécanismes d'attention")
    }

    fn params(&self) -> Vec<ParamSpec> {
        vec![
            ParamSpec::int("pairs", "paires (clé, valeur) par séquence K", 16, 1, 64),
            ParamSpec::int(
                "vocab",
                "symboles possibles pour les clés et les valeurs",
                32,
                1,
                1024,
            ),
            ParamSpec::int("width", "largeur des plongements E", 32, 1, 512),
            ParamSpec::int("heads", "têtes d'attention (diviseur de E)", 2, 1, 64),
            ParamSpec::int(
                "iterations",
                "pas d'Adam (un lot neuf à chaque pas)",
                1000,
                EVAL_EVERY as i64,
                100_000,
            ),
            ParamSpec::int("batch", "séquences par lot", 64, 1, 4096),
            ParamSpec::float("lr", "taux d'apprentissage d'Adam", 5e-3, 1e-6, 1.0),
        ]
    }

    crate::on_every_device!();
}

impl RunOnBackend for AttentionModel {
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError> {
        let s = AttentionSettings::from_config(cfg);
        if s.vocab < s.pairs || !s.width.is_multiple_of(s.heads) {
            return Err(RunError::Failed(format!(
                "need vocab ≥ pairs ({} < {}) and heads dividing width ({} by {})",
                s.vocab, s.pairs, s.width, s.heads
            )));
        }
        let mut data_rng = ChaCha8Rng::seed_from_u64(seed ^ 0xa77e);
        let validation = retrieval(HELD_OUT, s.pairs, s.vocab, &mut data_rng);
        let test = retrieval(HELD_OUT, s.pairs, s.vocab, &mut data_rng);

        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut net = Retriever::new_on(backend, s.vocab, s.width, s.heads, &mut rng)?;
        let mut adam = Adam::new(AdamConfig::adam(s.lr));
        let first = accuracy(&net.predict(&validation)?.0, &validation.answers);
        let (mut best, mut best_iteration, mut best_accuracy) = (net.clone(), 0, first);
        let (mut losses, mut curve) = (Vec::new(), vec![first]);
        progress.start(s.iterations as u64, "entraînement");
        let mut running = 0.0;
        for iteration in 1..=s.iterations {
            let batch = retrieval(s.batch, s.pairs, s.vocab, &mut rng);
            net.zero_grad()?;
            let loss = f64::from(net.loss(&batch)?);
            if !loss.is_finite() {
                return Err(RunError::Failed(format!(
                    "training diverged at step {iteration}; lower the learning rate `lr`"
                )));
            }
            net.backward()?;
            adam.step(&mut net)?;
            running += loss;
            if iteration % EVAL_EVERY == 0 {
                losses.push(running / EVAL_EVERY as f64);
                running = 0.0;
                let acc = accuracy(&net.predict(&validation)?.0, &validation.answers);
                curve.push(acc);
                if acc > best_accuracy {
                    (best, best_iteration, best_accuracy) = (net.clone(), iteration, acc);
                }
            }
            progress.advance(1);
        }
        progress.finish();

        let (predicted, weights) = best.predict(&test)?;
        let test_accuracy = accuracy(&predicted, &test.answers);
        let mut report = Report::new(self.id(), backend.device(), seed, cfg);
        report.metric("accuracy", test_accuracy);
        report.metric("validation_accuracy", best_accuracy);
        report.metric("best_iteration", best_iteration as f64);
        report.metric("chance_accuracy", 1.0 / s.vocab as f64);
        let on_match = (0..test.len())
            .map(|b| f64::from(weights[[b, test.positions[b]]]))
            .sum::<f64>()
            / test.len().max(1) as f64;
        report.metric("attention_on_matching_key", on_match);
        report.metric("parameters", best.num_params() as f64);
        let at = |n: usize, offset: usize| -> Vec<f64> {
            (0..n).map(|i| ((i + offset) * EVAL_EVERY) as f64).collect()
        };
        report.push_series(Series::line(
            "perte/entraînement",
            at(losses.len(), 1),
            losses,
        ));
        report.push_series(Series::line(
            "exactitude/validation",
            at(curve.len(), 0),
            curve,
        ));
        report.set_axes(
            "perte",
            Axes::new("pas d'entraînement", "entropie croisée").log_y(),
        );
        report.set_axes(
            "exactitude",
            Axes::new("pas d'entraînement", "exactitude (validation)"),
        );
        report.matrices.push(attention_map(&test, &weights));

        report.check(
            "exactitude sur les séquences de test ≥ 0,95",
            test_accuracy >= TARGET_ACCURACY,
            format!(
                "{test_accuracy:.4} sur {} séquences de test (hasard : {:.4}), pas retenu {best_iteration} sur la validation",
                test.len(),
                1.0 / s.vocab as f64
            ),
        );
        let worst = weights
            .outer_iter()
            .map(|row| (f64::from(row.sum()) - 1.0).abs())
            .fold(0.0, f64::max);
        report.check(
            "chaque ligne d'attention somme à 1",
            worst <= 1e-5,
            format!(
                "écart max |Σ_j P_ij − 1| = {worst:.1e} sur {} requêtes",
                test.len()
            ),
        );
        let future = causal_future_mass(backend, &mut rng)?;
        report.check(
            "le masque causal laisse exactement 0 sur le futur",
            future == 0.0,
            format!("somme des poids P_ij (j > i) = {future:e} sur 16 séquences de 12 positions"),
        );
        Ok(report)
    }
}

/// The attention of the first [`SHOWN`] test queries over the K positions, as a heat map; each
/// row is labelled with the position of the matching key.
fn attention_map(test: &Retrieval, weights: &Array2<f32>) -> Matrix {
    let shown = SHOWN.min(test.len());
    let pairs = weights.ncols();
    Matrix {
        name: "attention".to_string(),
        row_title: "séquence de test (position de la clé cherchée)".to_string(),
        col_title: "position j de la paire (clé, valeur)".to_string(),
        row_labels: (0..shown)
            .map(|b| format!("n°{} ({})", b + 1, test.positions[b]))
            .collect(),
        col_labels: (0..pairs).map(|j| j.to_string()).collect(),
        values: (0..shown)
            .map(|b| weights.row(b).iter().map(|&w| f64::from(w)).collect())
            .collect(),
    }
}

/// The total weight a causal scaled dot-product attention puts on future keys (j > i), for
/// random q, k, v on `backend`: exactly 0 when the mask works.
fn causal_future_mass<B: Backend>(backend: &B, rng: &mut impl Rng) -> Result<f64, RunError> {
    let (n, len, d) = (16, 12, 8);
    let random = |rng: &mut dyn rand::RngCore| {
        Array3::from_shape_simple_fn((n, len, d), || rng.random::<f32>() * 4.0 - 2.0)
    };
    let (q, k, v) = (random(rng), random(rng), random(rng));
    let mut sdpa = ScaledDotProductAttention::<f32, B>::new_on(backend, true, None)?;
    let (q, k, v) = (
        backend.upload(q.view())?,
        backend.upload(k.view())?,
        backend.upload(v.view())?,
    );
    sdpa.forward(&q, &k, &v)?;
    let p = backend.download(sdpa.attn())?;
    Ok(p.indexed_iter()
        .filter(|((_, i, j), _)| j > i)
        .map(|(_, &w)| f64::from(w))
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_is_the_value_paired_with_the_query() {
        let data = retrieval(30, 5, 9, &mut ChaCha8Rng::seed_from_u64(3));
        for b in 0..data.len() {
            let keys = &data.keys[b * 5..(b + 1) * 5];
            let mut distinct = keys.to_vec();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), 5, "distinct keys");
            let p = data.positions[b];
            assert_eq!(keys[p], data.queries[b]);
            assert_eq!(data.values[b * 5 + p], data.answers[b]);
        }
    }
}
