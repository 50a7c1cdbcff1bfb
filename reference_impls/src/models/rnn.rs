//! Les réseaux récurrents: the vanilla (Elman) RNN, the LSTM and the GRU on the adding problem
//! (Hochreiter & Schmidhuber, 1997), a task whose answer depends on two inputs far apart in time.
//!
//! The file follows the notes (RNN, LSTM, GRU):
//! 1. **La tâche** ([`adding_problem`]): sequences of T pairs `(v_t, m_t)`, `v_t ~ U(0, 1)`, the
//!    marker `m_t` equal to 1 at exactly two steps (one in each half), 0 elsewhere; the target is
//!    the sum of the two marked values. Predicting the constant 1 (the target's mean) scores the
//!    target's variance, 2/12 ≈ 0.167: the baseline.
//! 2. **Le réseau** ([`SequenceRegressor`]): `h_t = cell(x_t, h_{t−1})` unrolled over the
//!    sequence by the crate's recurrent layers, then a linear read-out of the last state,
//!    `ŷ = w·h_T + b`; trained by backpropagation through time on the mean squared error.
//! 3. **Le gradient à travers le temps** ([`SequenceRegressor::input_sensitivity`]): the norm of
//!    `∂ŷ/∂x_t` for every step t. For the vanilla RNN it is a product of T − t Jacobians
//!    `diag(1 − tanh²(a)) W_hh`, which vanishes for early steps; the gates of the LSTM and the
//!    GRU give the gradient an additive path (`c_t = f ⊙ c_{t−1} + …`) that keeps it alive.
//! 4. **L'évaluation** ([`Recurrents`], id `rnn`): each network trained with the same budget;
//!    the number of training steps kept is the one with the lowest MSE on a validation set
//!    (evaluated every [`EVAL_EVERY`] steps); the test set is used once, for the reported MSE.
//!
//! 5. **Un modèle de langage** ([`super::char_rnn`]): a GRU trained on the text of the vault's own
//!    notes to predict the next character; its test perplexity against the unigram model's, and
//!    a sample it writes.
//!
//! Legend: B batch, T time steps, H hidden units; the inputs have 2 features `(v_t, m_t)`.

use ndarray::{Array1, Array3, Axis, Ix2, Ix3, s};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::char_rnn::{
    CHAR_EVAL_EVERY, CharModelMeasures, CharSplits, CharTraining, perplexity, report_char_model,
    train_char, unigram_perplexity,
};
use crate::backend::{Backend, BackendResult, Shaped};
use crate::data::{Vocabulary, notes_text};
use crate::implementation::{Implementation, Progress, RunError, RunOnBackend};
use crate::layers::recurrent::{Cell, GruCell, LstmCell, Recurrent, RnnTanhCell};
use crate::layers::{Layer, Linear, Param};
use crate::optim::{Adam, AdamConfig, Optimizer};
use crate::params::{Config, ParamSpec};
use crate::report::{Axes, Report, Series};

// ---------------------------------------------------------------------------------------------
// 1. The task: the adding problem
// ---------------------------------------------------------------------------------------------

/// Sequences of the adding problem with their targets.
#[derive(Clone, Debug, PartialEq)]
pub struct AddingProblem {
    /// `(v_t, m_t)` for every step: `[B, T, 2]`
    pub x: Array3<f32>,
    /// The sum of the two marked values: `[B]`
    pub y: Array1<f32>,
}

impl AddingProblem {
    /// The number of sequences.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True when there is no sequence.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// The mean squared error of always predicting 1 (the target's mean).
    pub fn baseline_mse(&self) -> f64 {
        mean(self.y.iter().map(|&y| f64::from(y - 1.0).powi(2)))
    }
}

/// `batch` sequences of length `steps` (at least 2): values `U(0, 1)`, one marker in the first
/// half and one in the second.
pub fn adding_problem(batch: usize, steps: usize, rng: &mut impl Rng) -> AddingProblem {
    assert!(steps >= 2, "the adding problem needs two steps to mark");
    let half = steps / 2;
    let mut x = Array3::<f32>::zeros((batch, steps, 2));
    let mut y = Array1::<f32>::zeros(batch);
    for (mut seq, target) in x.outer_iter_mut().zip(y.iter_mut()) {
        for t in 0..steps {
            seq[[t, 0]] = rng.random::<f32>();
        }
        let marked = [rng.random_range(0..half), rng.random_range(half..steps)];
        for t in marked {
            seq[[t, 1]] = 1.0;
            *target += seq[[t, 0]];
        }
    }
    AddingProblem { x, y }
}

// ---------------------------------------------------------------------------------------------
// 2. The network: a recurrent layer read out from its last state
// ---------------------------------------------------------------------------------------------

/// `ŷ = w·h_T + b`, where `h_T` is the last hidden state of a recurrent layer of cell `C`.
#[derive(Clone, Debug)]
pub struct SequenceRegressor<C: Cell, B: Backend> {
    /// The recurrent layer: x `[B, T, 2]` → states `[B, H]`.
    pub recurrent: Recurrent<f32, C, B>,
    /// The read-out `[B, H]` → `[B, 1]`.
    pub readout: Linear<f32, B>,
    /// x of the latest forward, on the backend: `[B, T, 2]`
    x: B::Tensor<f32, Ix3>,
    /// dL/d(outputs) of the recurrent layer, zero: only the last state reaches the loss.
    d_outputs: B::Tensor<f32, Ix3>,
    /// dL/d(final state): dL/dh_T from the read-out, then zeros (c_T for the LSTM).
    d_final: Vec<B::Tensor<f32, Ix2>>,
}

impl<C: Cell, B: Backend> SequenceRegressor<C, B> {
    /// A network with `hidden` units on `backend`, PyTorch's initialisation drawn from `rng`
    /// (the LSTM's forget-gate bias shifted by +1).
    pub fn new_on(backend: &B, hidden: usize, rng: &mut impl Rng) -> BackendResult<Self> {
        let mut recurrent = Recurrent::new_on(backend, 2, hidden, rng)?;
        if C::NAME == LstmCell::NAME {
            // The forget gate starts open (bias +1, Jozefowicz et al., 2015): c_t keeps c_{t−1}.
            let mut bias = backend.download(&recurrent.bias_ih)?;
            bias.slice_mut(s![hidden..2 * hidden])
                .mapv_inplace(|b| b + 1.0);
            recurrent.bias_ih = backend.upload(bias.view())?;
        }
        let readout = Linear::new_on(backend, hidden, 1, rng)?;
        Ok(Self {
            recurrent,
            readout,
            x: backend.zeros(Ix3(0, 0, 0))?,
            d_outputs: backend.zeros(Ix3(0, 0, 0))?,
            d_final: Vec::new(),
        })
    }

    /// Predictions `ŷ` `[B]` for the sequences `x` `[B, T, 2]` (back on the host).
    pub fn forward(&mut self, x: &Array3<f32>) -> BackendResult<Array1<f32>> {
        let be = self.readout.backend().clone();
        if self.x.shape() == x.shape() {
            be.write(x.view(), &mut self.x)?;
        } else {
            self.x = be.upload(x.view())?;
        }
        let state0 = self.recurrent.zero_state(x.shape()[0])?;
        self.recurrent.forward(&self.x, &state0)?; // h_1 … h_T: [B, T, H]
        let h_last = &self.recurrent.final_state()[0]; // h_T: [B, H]
        let y = self.readout.forward(h_last)?; // ŷ = h_T wᵀ + b: [B, 1]
        Ok(be.download(y)?.remove_axis(Axis(1)))
    }

    /// Backpropagation through time from `dL/dŷ` `[B]` of the latest forward: adds every
    /// parameter gradient and returns `dL/dx` `[B, T, 2]`.
    pub fn backward(&mut self, d_pred: &Array1<f32>) -> BackendResult<Array3<f32>> {
        let be = self.readout.backend().clone();
        let d_y = be.upload(d_pred.view().insert_axis(Axis(1)))?; // dL/dŷ: [B, 1]
        let d_h = self.readout.backward(&d_y)?; // dL/dh_T = dL/dŷ · w: [B, H]
        if self
            .d_final
            .first()
            .is_none_or(|d| d.shape() != d_h.shape())
        {
            let dim = Ix2(d_h.shape()[0], d_h.shape()[1]);
            self.d_final = C::PARTS
                .iter()
                .map(|_| be.zeros(dim))
                .collect::<BackendResult<_>>()?;
        }
        be.axpby(1.0, d_h, 0.0, &mut self.d_final[0])?;
        let dims = self.x.shape();
        let d_outputs_dim = Ix3(dims[0], dims[1], self.recurrent.hidden_size());
        if self.d_outputs.shape() != ndarray::Dimension::slice(&d_outputs_dim) {
            self.d_outputs = be.zeros(d_outputs_dim)?;
        }
        let (d_x, _) = self
            .recurrent
            .backward(&self.d_outputs, Some(&self.d_final))?;
        be.download(d_x)
    }

    /// The gradient through time: for each step t, the mean over the sequences `x` of
    /// `‖∂ŷ/∂x_t‖`, how much the prediction still depends on what it read at step t.
    pub fn input_sensitivity(&mut self, x: &Array3<f32>) -> BackendResult<Vec<f64>> {
        let predictions = self.forward(x)?;
        let d_x = self.backward(&Array1::ones(predictions.len()))?; // ∂ŷ_b/∂x_b: [B, T, 2]
        self.zero_grad()?;
        let steps = d_x.shape()[1];
        Ok((0..steps)
            .map(|t| {
                mean(
                    d_x.outer_iter()
                        .map(|seq| f64::from(seq.row(t).dot(&seq.row(t))).sqrt()),
                )
            })
            .collect())
    }
}

impl<C: Cell, B: Backend> Layer<f32, B> for SequenceRegressor<C, B> {
    fn backend(&self) -> &B {
        self.readout.backend()
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, f32, B>)) {
        self.recurrent
            .params_mut(&mut |p| visit(p.prefixed(C::NAME)));
        self.readout
            .params_mut(&mut |p| visit(p.prefixed("readout")));
    }

    fn num_params(&self) -> usize {
        self.recurrent.num_params() + self.readout.num_params()
    }
}

/// The mean squared error of the predictions and `dL/dŷ = 2(ŷ − y)/B`.
pub fn mse_and_grad(pred: &Array1<f32>, y: &Array1<f32>) -> (f64, Array1<f32>) {
    let n = pred.len().max(1) as f32;
    let diff = pred - y;
    let loss = mean(diff.iter().map(|&d| f64::from(d).powi(2)));
    (loss, diff.mapv(|d| 2.0 * d / n))
}

/// The mean of `values` (0 for none).
fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    sum / count.max(1) as f64
}

// ---------------------------------------------------------------------------------------------
// 3. Training, with the number of steps chosen on a validation set
// ---------------------------------------------------------------------------------------------

/// Training steps between two validation evaluations (and two points of the curves).
pub const EVAL_EVERY: usize = 100;

/// How to train one network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Training {
    /// Hidden units H.
    pub hidden: usize,
    /// Sequence length T.
    pub steps: usize,
    /// Adam steps, each on a fresh batch.
    pub iterations: usize,
    /// Sequences per batch.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
}

/// A network trained on the adding problem, and what its training recorded.
#[derive(Clone, Debug)]
pub struct Trained<C: Cell, B: Backend> {
    /// The network at the step with the lowest validation MSE.
    pub net: SequenceRegressor<C, B>,
    /// That step.
    pub best_iteration: usize,
    /// Its validation MSE.
    pub validation_mse: f64,
    /// Mean training MSE over each [`EVAL_EVERY`] steps.
    pub train_curve: Vec<f64>,
    /// Validation MSE every [`EVAL_EVERY`] steps (entry 0 before training).
    pub validation_curve: Vec<f64>,
}

/// Trains a network of cell `C` with Adam on fresh batches drawn from `seed`; keeps the weights
/// with the lowest MSE on `validation`.
pub fn train<C: Cell + Clone, B: Backend>(
    backend: &B,
    training: &Training,
    validation: &AddingProblem,
    seed: u64,
    progress: &dyn Progress,
) -> Result<Trained<C, B>, RunError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut net = SequenceRegressor::<C, B>::new_on(backend, training.hidden, &mut rng)?;
    let mut adam = Adam::new(AdamConfig::adam(training.lr));
    let first = evaluate(&mut net, validation)?;
    let mut trained = Trained {
        net: net.clone(),
        best_iteration: 0,
        validation_mse: first,
        train_curve: Vec::new(),
        validation_curve: vec![first],
    };
    let mut running = 0.0;
    for iteration in 1..=training.iterations {
        let batch = adding_problem(training.batch, training.steps, &mut rng);
        net.zero_grad()?;
        let pred = net.forward(&batch.x)?;
        let (loss, d_pred) = mse_and_grad(&pred, &batch.y);
        if !loss.is_finite() {
            return Err(RunError::Failed(format!(
                "{} diverged at step {iteration}; lower the learning rate `lr`",
                C::NAME
            )));
        }
        net.backward(&d_pred)?;
        adam.step(&mut net)?;
        running += loss;
        if iteration % EVAL_EVERY == 0 {
            trained.train_curve.push(running / EVAL_EVERY as f64);
            running = 0.0;
            let mse = evaluate(&mut net, validation)?;
            trained.validation_curve.push(mse);
            if mse < trained.validation_mse {
                (trained.net, trained.best_iteration, trained.validation_mse) =
                    (net.clone(), iteration, mse);
            }
            progress.advance(EVAL_EVERY as u64);
        }
    }
    Ok(trained)
}

/// The MSE of `net` on `data` (forward only).
pub fn evaluate<C: Cell, B: Backend>(
    net: &mut SequenceRegressor<C, B>,
    data: &AddingProblem,
) -> BackendResult<f64> {
    let pred = net.forward(&data.x)?;
    Ok(mse_and_grad(&pred, &data.y).0)
}

// ---------------------------------------------------------------------------------------------
// 4. The run: three cells against the baseline
// ---------------------------------------------------------------------------------------------

/// The gated networks must reach at most this fraction of the baseline's test MSE.
pub const GATED_TARGET_RATIO: f64 = 0.1;

/// Sequences in the validation set and in the test set.
pub const HELD_OUT: usize = 500;

/// The registry entry `rnn`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Recurrents;

impl Recurrents {
    /// The training settings in `cfg` (declared by [`Recurrents::params`]).
    pub fn training(cfg: &Config) -> Training {
        Training {
            hidden: cfg.usize("hidden"),
            steps: cfg.usize("steps"),
            iterations: cfg.usize("iterations"),
            batch: cfg.usize("batch"),
            lr: cfg.float("lr"),
        }
    }

    /// The character model's settings in `cfg`.
    pub fn char_training(cfg: &Config) -> CharTraining {
        CharTraining {
            hidden: cfg.usize("char_hidden"),
            steps: cfg.usize("char_steps"),
            iterations: cfg.usize("char_iterations"),
            batch: cfg.usize("batch"),
            lr: cfg.float("char_lr"),
        }
    }
}

/// One network's results.
struct Outcome {
    /// The id in metric names (`rnn`, `lstm`, `gru`).
    key: &'static str,
    /// Its test MSE.
    test_mse: f64,
    /// The training step kept, its validation MSE, the curves.
    best_iteration: usize,
    validation_mse: f64,
    train_curve: Vec<f64>,
    validation_curve: Vec<f64>,
    /// `‖∂ŷ/∂x_t‖` for every step t, on the test sequences.
    sensitivity: Vec<f64>,
}

/// Trains a network of cell `C`, then measures it once on `test`.
fn outcome<C: Cell + Clone, B: Backend>(
    backend: &B,
    key: &'static str,
    training: &Training,
    (validation, test): (&AddingProblem, &AddingProblem),
    seed: u64,
    progress: &dyn Progress,
) -> Result<Outcome, RunError> {
    let mut trained = train::<C, B>(backend, training, validation, seed, progress)?;
    let test_mse = evaluate(&mut trained.net, test)?;
    let sensitivity = trained.net.input_sensitivity(&test.x)?;
    Ok(Outcome {
        key,
        test_mse,
        best_iteration: trained.best_iteration,
        validation_mse: trained.validation_mse,
        train_curve: trained.train_curve,
        validation_curve: trained.validation_curve,
        sensitivity,
    })
}

impl Implementation for Recurrents {
    fn id(&self) -> &'static str {
        "rnn"
    }

    fn source_file(&self) -> Option<&'static str> {
        Some(file!())
    }

    fn title(&self) -> &'static str {
        "Réseaux récurrents : RNN, LSTM et GRU"
    }

    fn description(&self) -> &'static str {
        "RNN simple, LSTM et GRU entraînés par rétropropagation à travers le temps sur le \
         problème de l'addition (deux valeurs marquées, loin l'une de l'autre) : les réseaux à \
         portes le résolvent, le RNN simple reste au niveau de la prédiction constante ; la norme \
         du gradient à travers le temps montre pourquoi."
    }

    fn concept(&self) -> Option<&'static str> {
        Some("Réseaux de neurones récurrents (RNN)")
    }

    fn params(&self) -> Vec<ParamSpec> {
        vec![
            ParamSpec::int("steps", "longueur T des séquences", 60, 2, 1000),
            ParamSpec::int("hidden", "unités cachées H", 32, 1, 512),
            ParamSpec::int(
                "iterations",
                "pas d'Adam par réseau (un lot neuf à chaque pas)",
                1500,
                EVAL_EVERY as i64,
                100_000,
            ),
            ParamSpec::int("batch", "séquences par lot", 32, 1, 4096),
            ParamSpec::float("lr", "taux d'apprentissage d'Adam", 1e-2, 1e-6, 1.0),
            ParamSpec::int(
                "char_hidden",
                "unités cachées du modèle de caractères (GRU)",
                64,
                1,
                1024,
            ),
            ParamSpec::int("char_steps", "caractères par fenêtre", 48, 2, 1000),
            ParamSpec::int(
                "char_iterations",
                "pas d'Adam du modèle de caractères",
                1000,
                CHAR_EVAL_EVERY as i64,
                100_000,
            ),
            ParamSpec::float(
                "char_lr",
                "taux d'apprentissage du modèle de caractères",
                5e-3,
                1e-6,
                1.0,
            ),
        ]
    }

    crate::on_every_device!();
}

impl RunOnBackend for Recurrents {
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError> {
        let training = Recurrents::training(cfg);
        let mut data_rng = ChaCha8Rng::seed_from_u64(seed ^ 0xadd1);
        let validation = adding_problem(HELD_OUT, training.steps, &mut data_rng);
        let test = adding_problem(HELD_OUT, training.steps, &mut data_rng);
        let held_out = (&validation, &test);

        progress.start(
            3 * training.iterations as u64,
            "entraînement (RNN, LSTM, GRU)",
        );
        let outcomes = [
            outcome::<RnnTanhCell, B>(backend, "rnn", &training, held_out, seed, progress)?,
            outcome::<LstmCell, B>(backend, "lstm", &training, held_out, seed, progress)?,
            outcome::<GruCell, B>(backend, "gru", &training, held_out, seed, progress)?,
        ];
        progress.finish();

        let mut report = Report::new(self.id(), backend.device(), seed, cfg);
        language_model(backend, &Recurrents::char_training(cfg), seed, &mut report)?;
        let baseline = test.baseline_mse();
        report.metric("baseline_mse", baseline);
        for o in &outcomes {
            report.metric(&format!("{}_mse", o.key), o.test_mse);
            report.metric(&format!("{}_validation_mse", o.key), o.validation_mse);
            report.metric(
                &format!("{}_best_iteration", o.key),
                o.best_iteration as f64,
            );
            report.metric(
                &format!("{}_gradient_first_step", o.key),
                o.sensitivity.first().copied().unwrap_or(f64::NAN),
            );
            push_curves(&mut report, o);
        }
        report.metric("sequence_length", training.steps as f64);
        report.set_axes(
            "mse",
            Axes::new("pas d'entraînement", "erreur quadratique moyenne").log_y(),
        );
        report.set_axes(
            "gradient",
            Axes::new("pas de temps t", "‖∂ŷ/∂x_t‖ moyen (séquences de test)").log_y(),
        );

        let [rnn, lstm, gru] = &outcomes;
        let limit = GATED_TARGET_RATIO * baseline;
        for gated in [lstm, gru] {
            report.check(
                &format!(
                    "{} : MSE de test ≤ 0,1 × la référence",
                    gated.key.to_uppercase()
                ),
                gated.test_mse <= limit,
                format!(
                    "{:.5} contre {limit:.5} (référence « prédire 1 » : {baseline:.5}), T = {}",
                    gated.test_mse, training.steps
                ),
            );
        }
        report.check(
            "le RNN simple échoue : MSE de test > 0,1 × la référence",
            rnn.test_mse > limit,
            format!(
                "{:.5} contre {limit:.5} (référence : {baseline:.5}), T = {}",
                rnn.test_mse, training.steps
            ),
        );
        Ok(report)
    }
}

/// The prompt the character model continues.
pub const PROMPT: &str = "Un réseau de neurones récurrent ";

/// Trains the character model on the notes (its steps chosen on the validation part), then
/// reports its test perplexity against the unigram model's, and a sample.
fn language_model<B: Backend>(
    backend: &B,
    training: &CharTraining,
    seed: u64,
    report: &mut Report,
) -> Result<(), RunError> {
    let text = notes_text();
    let vocab = Vocabulary::of(&text);
    let ids = vocab.encode(&text).expect("the text's own characters");
    let splits = CharSplits::of(&ids);
    if splits.train.len() <= training.steps + 1 || splits.test.len() <= training.steps {
        return Err(RunError::Failed(format!(
            "char_steps = {} is longer than the text's parts; lower it",
            training.steps
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xc4a2);
    let mut trained = train_char(backend, training, &splits, vocab.len(), &mut rng)?;
    let char_perplexity = perplexity(&mut trained.net, &splits.test, training.steps)?;
    let unigram = unigram_perplexity(&splits.train, &splits.test, vocab.len());
    report.metric("char_best_iteration", trained.best_iteration as f64);
    report.metric("char_vocabulary", vocab.len() as f64);
    let prompt = vocab
        .encode(PROMPT)
        .expect("the prompt's characters occur in the notes");
    let sample = trained.net.sample(&prompt, 300, 0.8, &mut rng)?;
    report_char_model(
        report,
        CharModelMeasures {
            char_perplexity,
            unigram,
            validation: trained.validation_curve,
            every: CHAR_EVAL_EVERY,
            sample: format!("{PROMPT}{}", vocab.decode(&sample)),
        },
    );
    Ok(())
}

/// The training and validation curves (`mse/<net> …`) and the gradient through time
/// (`gradient/<net>`) of one network.
fn push_curves(report: &mut Report, o: &Outcome) {
    let name = o.key.to_uppercase();
    let at = |n: usize, offset: usize| {
        (0..n)
            .map(|i| ((i + offset) * EVAL_EVERY) as f64)
            .collect::<Vec<_>>()
    };
    report.push_series(Series::line(
        format!("mse/{name} entraînement"),
        at(o.train_curve.len(), 1),
        o.train_curve.clone(),
    ));
    report.push_series(Series::line(
        format!("mse/{name} validation"),
        at(o.validation_curve.len(), 0),
        o.validation_curve.clone(),
    ));
    report.push_series(Series::line(
        format!("gradient/{name}"),
        (1..=o.sensitivity.len()).map(|t| t as f64).collect(),
        o.sensitivity.clone(),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_is_the_sum_of_the_two_marked_values() {
        let data = adding_problem(50, 10, &mut ChaCha8Rng::seed_from_u64(1));
        for (seq, &y) in data.x.outer_iter().zip(&data.y) {
            let marks: Vec<usize> = (0..10).filter(|&t| seq[[t, 1]] == 1.0).collect();
            assert_eq!(marks.len(), 2);
            assert!(marks[0] < 5 && marks[1] >= 5, "{marks:?}");
            assert!((seq[[marks[0], 0]] + seq[[marks[1], 0]] - y).abs() < 1e-6);
        }
        let baseline = adding_problem(20_000, 10, &mut ChaCha8Rng::seed_from_u64(2)).baseline_mse();
        assert!((baseline - 2.0 / 12.0).abs() < 0.01, "{baseline}");
    }

    #[test]
    fn the_input_gradient_matches_finite_differences() {
        let be = crate::Cpu;
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut net = SequenceRegressor::<LstmCell, _>::new_on(&be, 5, &mut rng).unwrap();
        let data = adding_problem(3, 6, &mut rng);
        net.forward(&data.x).unwrap();
        let analytic = net.backward(&Array1::ones(3)).unwrap();
        let h = 1e-2_f32;
        for (b, t, f) in [(0, 0, 0), (1, 3, 1), (2, 5, 0)] {
            let mut plus = data.x.clone();
            plus[[b, t, f]] += h;
            let mut minus = data.x.clone();
            minus[[b, t, f]] -= h;
            let numeric =
                (net.forward(&plus).unwrap()[b] - net.forward(&minus).unwrap()[b]) / (2.0 * h);
            assert!(
                (numeric - analytic[[b, t, f]]).abs() < 2e-3,
                "({b}, {t}, {f}): {numeric} vs {}",
                analytic[[b, t, f]]
            );
        }
    }
}
