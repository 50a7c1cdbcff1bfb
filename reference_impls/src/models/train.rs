//! The training harness every classifier of the crate shares (the MLP, the CNN, the activation
//! experiment): backpropagation of the softmax cross-entropy, mini-batch training, evaluation,
//! and the gradient check of a whole network.
//!
//! 1. **Rétropropagation** ([`backprop`]): zero the gradients, forward, loss, backward.
//! 2. **Vérification** ([`gradient_check`]): that backward against central finite differences.
//! 3. **Entraînement** ([`train_step`], [`fit`]): mini-batches drawn in a seeded order, one
//!    optimiser step per batch; the epoch to keep is chosen on a validation split.
//! 4. **Évaluation** ([`evaluate`]): loss, accuracy and predictions on a data set.
//!
//! Legend: N batch, D input features, C classes.

use ndarray::{Array2, ArrayD, ArrayView2, Ix2, s};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::backend::{Backend, BackendResult, Cpu, Shaped, reuse_on};
use crate::data::{self, DEFAULT_SPLIT_SEED, DEFAULT_TEST_FRACTION, Dataset, Splits};
use crate::gradcheck::{GradCheck, GradCheckError};
use crate::implementation::{Progress, RunError};
use crate::layers::{Layer, reuse};
use crate::loss::{LossError, softmax_cross_entropy_on};
use crate::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use crate::report::{Axes, Report, Series};
use crate::scalar::Scalar;

/// A network that maps feature rows to class logits and back-propagates through them: what
/// [`train_step`] and [`fit`] train.
pub trait Classifier<T: Scalar, B: Backend = Cpu>: Layer<T, B> {
    /// Logits `[N, C]` for features `x` `[N, D]`, caching what [`Classifier::backward`] needs.
    fn logits(&mut self, x: &B::Tensor<T, Ix2>) -> BackendResult<&B::Tensor<T, Ix2>>;

    /// Adds every parameter gradient for `dL/dlogits` `[N, C]` of the latest forward.
    fn backward(&mut self, grad_logits: &B::Tensor<T, Ix2>) -> BackendResult<()>;
}

// ---------------------------------------------------------------------------------------------
// 2 (suite). Checking backpropagation against finite differences
// ---------------------------------------------------------------------------------------------

/// Overwrites the parameter in `slot` (the order of [`Layer::params_mut`]) with `value`.
fn set_param<C: Layer<f64>>(net: &mut C, slot: usize, value: &ArrayD<f64>) {
    let mut index = 0;
    net.params_mut(&mut |mut p| {
        if index == slot {
            p.value.assign(value);
        }
        index += 1;
    });
}

/// Checks the backward of `net` against central finite differences of its mean cross-entropy on
/// (`x`, `y`), for every component of every parameter ([`GradCheck`]'s defaults, f64). Returns
/// the largest |analytic − numeric| over all of them, or the worst mismatch of the first
/// parameter that fails.
pub fn gradient_check<C: Classifier<f64>>(
    net: &mut C,
    x: ArrayView2<'_, f64>,
    y: &[usize],
) -> Result<f64, GradCheckError> {
    let x = x.to_owned();
    let mut scratch = LossScratch::new(&Cpu).expect("the CPU backend does not fail");
    backprop(net, &x, y, &mut scratch).expect("labels fit the logits");
    let mut params = Vec::new(); // (name, value, analytic gradient) per slot
    net.params_mut(&mut |p| {
        params.push((p.name.to_string(), p.value.to_owned(), p.grad.to_owned()))
    });
    let mut largest = 0.0_f64;
    for (slot, (name, value, analytic)) in params.iter().enumerate() {
        let result = GradCheck::default().check(name, value, analytic, |probe| {
            set_param(net, slot, probe);
            mean_loss(net, &x, y, &mut scratch).expect("labels fit the logits")
        });
        set_param(net, slot, value);
        largest = largest.max(result?);
    }
    Ok(largest)
}

/// A gradient check's verdict for a report: whether it passed and the numbers behind it.
pub fn gradient_check_verdict(
    result: &Result<f64, GradCheckError>,
    samples: usize,
) -> (bool, String) {
    let tolerance = GradCheck::default();
    match result {
        Ok(largest) => (
            true,
            format!(
                "écart max {largest:.2e} sur tous les paramètres, {samples} exemples \
                 (h = {:.0e}, tolérance {:.0e} + {:.0e}·|numérique|)",
                tolerance.step, tolerance.atol, tolerance.rtol
            ),
        ),
        Err(e) => (false, e.to_string()),
    }
}

/// Rows of `data` as an f64 batch `[N, D]` (for gradient checks).
pub fn rows_f64(data: &Dataset, rows: usize) -> (Array2<f64>, Vec<usize>) {
    let n = rows.min(data.len());
    (
        data.x.slice(s![..n, ..]).mapv(f64::from),
        data.y[..n].to_vec(),
    )
}

// ---------------------------------------------------------------------------------------------
// 3. Training: mini-batch gradient descent
// ---------------------------------------------------------------------------------------------

/// The buffers the loss reuses from step to step: dL/dlogits and the targets, on the backend.
#[derive(Clone, Debug)]
pub struct LossScratch<T: Scalar, B: Backend = Cpu> {
    /// dL/dz: `[N, C]`
    grad_logits: B::Tensor<T, Ix2>,
    /// The labels of the batch, in backend memory: `[N]`
    targets: B::Indices,
}

impl<T: Scalar, B: Backend> LossScratch<T, B> {
    /// Empty buffers on `backend`.
    pub fn new(backend: &B) -> BackendResult<Self> {
        Ok(Self {
            grad_logits: backend.zeros(Ix2(0, 0))?,
            targets: backend.upload_indices(&[])?,
        })
    }
}

/// Backpropagation of the mean softmax cross-entropy on the batch `x` `[N, D]` with labels `y`:
/// zeroes the gradients, runs forward, the loss and backward, so that every parameter's gradient
/// holds `dL/dθ`. `scratch` holds buffers reused across calls. Returns the loss.
pub fn backprop<T: Scalar, B: Backend, C: Classifier<T, B> + ?Sized>(
    net: &mut C,
    x: &B::Tensor<T, Ix2>,
    y: &[usize],
    scratch: &mut LossScratch<T, B>,
) -> Result<T, LossError> {
    net.zero_grad()?;
    let loss = mean_loss(net, x, y, scratch)?;
    net.backward(&scratch.grad_logits)?;
    Ok(loss)
}

/// One training step: [`backprop`] on the batch, then one optimiser update. Returns the batch's
/// mean loss.
pub fn train_step<T: Scalar, B: Backend, C: Classifier<T, B>>(
    net: &mut C,
    optimizer: &mut dyn Optimizer<T, B>,
    x: &B::Tensor<T, Ix2>,
    y: &[usize],
    scratch: &mut LossScratch<T, B>,
) -> Result<T, LossError> {
    let loss = backprop(net, x, y, scratch)?;
    optimizer.step(net)?;
    Ok(loss)
}

/// The mean softmax cross-entropy of `net` on (`x`, `y`), writing `dL/dlogits` into `scratch`
/// (forward only: nothing is back-propagated).
fn mean_loss<T: Scalar, B: Backend, C: Classifier<T, B> + ?Sized>(
    net: &mut C,
    x: &B::Tensor<T, Ix2>,
    y: &[usize],
    scratch: &mut LossScratch<T, B>,
) -> Result<T, LossError> {
    let backend = net.backend().clone();
    let logits = net.logits(x)?; // z: [N, C]
    let dim = Ix2(logits.shape()[0], logits.shape()[1]);
    let grad = reuse_on(&backend, &mut scratch.grad_logits, dim)?; // dL/dz: [N, C]
    softmax_cross_entropy_on(&backend, logits, y, &mut scratch.targets, grad)
}

/// The optimisers a run can choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerKind {
    /// Adam (β₁ 0.9, β₂ 0.999).
    Adam,
    /// SGD with momentum 0.9.
    Momentum,
}

impl OptimizerKind {
    /// The `--set optimizer=` words, in this order.
    pub const NAMES: &'static [&'static str] = &["adam", "sgd"];

    /// The kind called `name` (one of [`OptimizerKind::NAMES`]).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "adam" => Some(OptimizerKind::Adam),
            "sgd" => Some(OptimizerKind::Momentum),
            _ => None,
        }
    }

    /// A fresh optimiser of this kind with learning rate `lr`.
    pub fn build<T: Scalar, B: Backend>(self, lr: f64) -> Box<dyn Optimizer<T, B>> {
        match self {
            OptimizerKind::Adam => Box::new(Adam::new(AdamConfig::adam(lr))),
            OptimizerKind::Momentum => Box::new(Sgd::new(SgdConfig::new(lr).with_momentum(0.9))),
        }
    }
}

/// How to train a classifier.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Training {
    /// Passes over the training set.
    pub epochs: usize,
    /// Samples per mini-batch (the last batch of an epoch may be smaller).
    pub batch: usize,
    /// The optimiser.
    pub optimizer: OptimizerKind,
    /// Its learning rate.
    pub lr: f64,
}

/// What [`fit`] recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// Mean training loss: entry 0 before any step, then entry e after epoch e (the mean of the
    /// batch losses seen during that epoch).
    pub train_loss: Vec<f64>,
    /// Validation accuracy: entry 0 before any step, then after each epoch.
    pub validation_accuracy: Vec<f64>,
    /// The epoch whose weights [`fit`] kept: the best validation accuracy, ties going to the lower
    /// validation loss (0: the initial weights).
    pub best_epoch: usize,
}

impl History {
    /// The validation accuracy of the kept weights.
    pub fn best_validation_accuracy(&self) -> f64 {
        self.validation_accuracy[self.best_epoch]
    }
}

/// Trains `net` on `train` for `training.epochs` epochs, reshuffling the batches every epoch with
/// `rng`, measures it on `validation` after each epoch, and leaves `net` with the weights of the
/// best epoch on `validation` (early stopping: the number of epochs is the hyper-parameter chosen
/// there). Batches are gathered on the host and copied into one reused backend tensor. The test
/// split never reaches this function.
pub fn fit<B: Backend, C: Classifier<f32, B> + Clone>(
    net: &mut C,
    train: &Dataset,
    validation: &Dataset,
    training: &Training,
    rng: &mut ChaCha8Rng,
    progress: &dyn Progress,
) -> Result<History, RunError> {
    let backend = net.backend().clone();
    let mut optimizer = training.optimizer.build::<f32, B>(training.lr);
    let initial = evaluate(net, validation)?;
    let mut history = History {
        train_loss: vec![evaluate(net, train)?.loss],
        validation_accuracy: vec![initial.accuracy],
        best_epoch: 0,
    };
    let mut best = (net.clone(), initial);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut xb = Array2::<f32>::zeros((0, 0)); // x of a batch, on the host: [N, D]
    let mut x_dev = backend.zeros(Ix2(0, 0))?; // the same on the backend
    let mut yb = Vec::with_capacity(training.batch); // its labels: [N]
    let mut scratch = LossScratch::new(&backend)?;
    for epoch in 1..=training.epochs {
        order.shuffle(rng);
        let mut total = 0.0;
        for batch in order.chunks(training.batch.max(1)) {
            let dim = Ix2(batch.len(), train.features());
            let rows = reuse(&mut xb, dim);
            yb.clear();
            for (mut row, &i) in rows.outer_iter_mut().zip(batch) {
                row.assign(&train.x.row(i));
                yb.push(train.y[i]);
            }
            let x = reuse_on(&backend, &mut x_dev, dim)?;
            backend.write(xb.view(), x)?;
            let loss = train_step(net, optimizer.as_mut(), &x_dev, &yb, &mut scratch)?;
            total += f64::from(loss) * batch.len() as f64;
        }
        let mean = total / train.len().max(1) as f64;
        if !mean.is_finite() {
            return Err(RunError::Failed(format!(
                "training diverged at epoch {epoch} (loss {mean}); lower the learning rate `lr`"
            )));
        }
        let measured = evaluate(net, validation)?;
        history.train_loss.push(mean);
        history.validation_accuracy.push(measured.accuracy);
        if measured.better_than(&best.1) {
            history.best_epoch = epoch;
            best = (net.clone(), measured);
        }
        progress.advance(1);
    }
    *net = best.0;
    Ok(history)
}

// ---------------------------------------------------------------------------------------------
// 4. Evaluation
// ---------------------------------------------------------------------------------------------

/// A classifier's results on a data set.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean softmax cross-entropy.
    pub loss: f64,
    /// Fraction of samples whose arg-max logit is the label.
    pub accuracy: f64,
    /// Number of samples whose arg-max logit is not the label.
    pub errors: usize,
    /// The predicted class of each sample.
    pub predictions: Vec<usize>,
}

impl Evaluation {
    /// Whether `self` beats `other` as a model choice: higher accuracy, or the same accuracy
    /// with a lower loss.
    pub fn better_than(&self, other: &Evaluation) -> bool {
        (self.accuracy, -self.loss) > (other.accuracy, -other.loss)
    }
}

/// The detail of a test-accuracy check: the figure and its errors on the test split (measured
/// once), and the epoch chosen on the validation split with its accuracy there.
pub fn accuracy_detail(test: &Evaluation, history: &History, splits: &Splits) -> String {
    format!(
        "{:.4} ({} erreurs sur {} exemples de test, mesurés une fois) ; époque {} retenue sur \
         la validation ({:.4} sur {} exemples)",
        test.accuracy,
        test.errors,
        splits.test.len(),
        history.best_epoch,
        history.best_validation_accuracy(),
        splits.validation.len()
    )
}

/// Rows evaluated per forward pass in [`evaluate`].
const EVAL_CHUNK: usize = 512;

/// Loss, accuracy and predictions of `net` on `data` (forward passes only; the logits come back
/// to the host for the predictions).
pub fn evaluate<B: Backend, C: Classifier<f32, B>>(
    net: &mut C,
    data: &Dataset,
) -> Result<Evaluation, RunError> {
    let backend = net.backend().clone();
    let mut predictions = Vec::with_capacity(data.len());
    let mut total = 0.0;
    let mut scratch = LossScratch::new(&backend)?;
    for start in (0..data.len()).step_by(EVAL_CHUNK) {
        let end = (start + EVAL_CHUNK).min(data.len());
        let x = backend.upload(data.x.slice(s![start..end, ..]))?;
        let logits = net.logits(&x)?; // z: [N, C]
        let host_logits = backend.download(logits)?;
        predictions.extend(host_logits.outer_iter().map(|z| arg_max(z.iter().copied())));
        let grad = reuse_on(&backend, &mut scratch.grad_logits, host_logits.raw_dim());
        let grad = grad?;
        let targets = &data.y[start..end];
        let loss = softmax_cross_entropy_on(&backend, logits, targets, &mut scratch.targets, grad)?;
        total += f64::from(loss) * (end - start) as f64;
    }
    let errors = predictions
        .iter()
        .zip(&data.y)
        .filter(|(p, y)| p != y)
        .count();
    let n = data.len().max(1) as f64;
    Ok(Evaluation {
        loss: total / n,
        accuracy: (data.len() - errors) as f64 / n,
        errors,
        predictions,
    })
}

/// Index of the largest value (the first one on ties).
fn arg_max(values: impl Iterator<Item = f32>) -> usize {
    values
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, v)| {
            if v > best.1 { (i, v) } else { best }
        })
        .0
}

/// The digits splits every network model uses: test stratified 25 % with split seed
/// [`DEFAULT_SPLIT_SEED`], validation 20 % of the rest (the run's seed only changes the
/// initialisation and the batch order, never which samples are held out).
pub fn digits_splits() -> Splits {
    let (train_all, test) =
        data::stratified_split(&data::digits(), DEFAULT_TEST_FRACTION, DEFAULT_SPLIT_SEED);
    Splits::carve_validation(&train_all, test)
}

/// Adds the standard evidence of a trained classifier to `report`, under `label`: its loss curve
/// (`perte/<label>`) and validation-accuracy curve (`exactitude/<label>`).
pub fn push_curves(report: &mut Report, label: &str, history: &History) {
    report.push_series(Series::steps(
        format!("perte/{label}"),
        history.train_loss.clone(),
    ));
    report.push_series(Series::steps(
        format!("exactitude/{label}"),
        history.validation_accuracy.clone(),
    ));
    report.set_axes(
        "perte",
        Axes::new("époque", "entropie croisée moyenne (entraînement)").log_y(),
    );
    report.set_axes(
        "exactitude",
        Axes::new("époque", "exactitude sur la validation"),
    );
}
