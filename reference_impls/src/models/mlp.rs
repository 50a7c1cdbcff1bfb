//! Le perceptron multicouche: a multilayer perceptron trained by backpropagation on the
//! handwritten digits, compared with logistic regression trained by the same code.
//!
//! The file follows the note:
//! 1. **Propagation avant**: `h⁽⁰⁾ = x`, `z⁽ˡ⁾ = h⁽ˡ⁻¹⁾W⁽ˡ⁾ᵀ + b⁽ˡ⁾`, `h⁽ˡ⁾ = φ(z⁽ˡ⁾)`; the last
//!    layer has no φ: its outputs are the logits of a softmax cross-entropy ([`Mlp::forward`]).
//! 2. **Rétropropagation**: the chain rule applied layer by layer from the loss back to the first
//!    weights ([`Mlp::backward`]), checked against central finite differences in f64
//!    ([`gradient_check`], with [`crate::gradcheck`]).
//! 3. **Entraînement**: mini-batches drawn in a seeded order, one optimiser step per batch
//!    ([`train_step`], [`fit`]); any network that implements [`Classifier`] trains this way (the
//!    CNN and the activation experiment reuse it).
//! 4. **Évaluation** ([`Perceptron`], id `mlp`): test accuracy on the fixed stratified 75/25 split
//!    of the digits (split seed [`DEFAULT_SPLIT_SEED`]), the loss curve, the confusion matrix, and
//!    the same network without hidden layer — exactly multinomial logistic regression — as the
//!    baseline to beat.
//!
//! Legend: N batch, D input features (64 pixels), H_l width of hidden layer l, C classes (10).

use ndarray::{Array2, ArrayD, ArrayView2, Ix2, s};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::backend::{Backend, BackendError, BackendResult, Cpu, Device, Shaped, reuse_on};
use crate::data::{self, DEFAULT_SPLIT_SEED, DEFAULT_TEST_FRACTION, Dataset};
use crate::gradcheck::{GradCheck, GradCheckError};
use crate::layers::{Activation, ActivationLayer, Layer, Linear, Param, reuse};
use crate::loss::{LossError, softmax_cross_entropy_on};
use crate::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use crate::registry::{
    Config, Implementation, ParamSpec, Progress, RunError, RunOnBackend, run_on_device,
};
use crate::report::{Axes, Matrix, Report, Series};
use crate::scalar::Scalar;

// ---------------------------------------------------------------------------------------------
// 1–2. The network: forward and backward side by side
// ---------------------------------------------------------------------------------------------

/// One hidden layer: `h = φ(h_prev Wᵀ + b)`.
#[derive(Clone, Debug)]
pub struct HiddenLayer<T: Scalar, B: Backend = Cpu> {
    /// The affine map `z = h_prev Wᵀ + b`, W `[H_l, H_(l-1)]`.
    pub linear: Linear<T, B>,
    /// The non-linearity φ applied to z.
    pub activation: ActivationLayer<T, Ix2, B>,
}

/// A multilayer perceptron: hidden layers `h = φ(h_prev Wᵀ + b)`, then a linear output layer
/// giving the logits. With no hidden layer it is multinomial logistic regression.
#[derive(Clone, Debug)]
pub struct Mlp<T: Scalar, B: Backend = Cpu> {
    /// The hidden layers, input side first.
    pub hidden: Vec<HiddenLayer<T, B>>,
    /// The output layer: logits `z = h Wᵀ + b`, W `[C, H_last]`.
    pub output: Linear<T, B>,
}

impl<T: Scalar> Mlp<T> {
    /// A CPU network with layer widths `sizes` = `[D, H_1, …, H_k, C]` (at least two entries),
    /// `φ` between layers, and PyTorch's default initialisation drawn from `rng`.
    ///
    /// # Panics
    /// When `sizes` has fewer than two entries (a bug in the caller).
    pub fn new(sizes: &[usize], activation: Activation, rng: &mut impl rand::Rng) -> Self {
        Self::new_on(&Cpu, sizes, activation, rng).expect("the CPU backend does not fail")
    }
}

impl<T: Scalar, B: Backend> Mlp<T, B> {
    /// [`Mlp::new`] on `backend`.
    pub fn new_on(
        backend: &B,
        sizes: &[usize],
        activation: Activation,
        rng: &mut impl rand::Rng,
    ) -> BackendResult<Self> {
        assert!(sizes.len() >= 2, "an MLP needs an input and an output size");
        let hidden = sizes
            .windows(2)
            .take(sizes.len() - 2)
            .map(|pair| {
                Ok(HiddenLayer {
                    linear: Linear::new_on(backend, pair[0], pair[1], rng)?,
                    activation: ActivationLayer::new_on(backend, activation)?,
                })
            })
            .collect::<BackendResult<_>>()?;
        let output = Linear::new_on(backend, sizes[sizes.len() - 2], sizes[sizes.len() - 1], rng)?;
        Ok(Self { hidden, output })
    }

    /// Every linear layer, input side first (the output layer last).
    pub fn linears(&self) -> impl Iterator<Item = &Linear<T, B>> {
        self.hidden
            .iter()
            .map(|layer| &layer.linear)
            .chain(std::iter::once(&self.output))
    }

    /// Every linear layer, mutable, input side first.
    pub fn linears_mut(&mut self) -> impl Iterator<Item = &mut Linear<T, B>> {
        self.hidden
            .iter_mut()
            .map(|layer| &mut layer.linear)
            .chain(std::iter::once(&mut self.output))
    }

    /// Logits `[N, C]` for inputs `x` `[N, D]`; every layer caches what backward needs.
    pub fn forward(&mut self, x: &B::Tensor<T, Ix2>) -> BackendResult<&B::Tensor<T, Ix2>> {
        let mut h = x; // h⁽⁰⁾ = x: [N, D]
        for layer in &mut self.hidden {
            let z = layer.linear.forward(h)?; // z⁽ˡ⁾ = h⁽ˡ⁻¹⁾ W⁽ˡ⁾ᵀ + b⁽ˡ⁾: [N, H_l]
            h = layer.activation.forward(z)?; // h⁽ˡ⁾ = φ(z⁽ˡ⁾): [N, H_l]
        }
        self.output.forward(h) // z⁽ᴸ⁾ = h⁽ᴸ⁻¹⁾ W⁽ᴸ⁾ᵀ + b⁽ᴸ⁾: [N, C]
    }

    /// Backpropagation: from `dL/dz⁽ᴸ⁾` `[N, C]` of the latest forward, adds `dL/dW⁽ˡ⁾` and
    /// `dL/db⁽ˡ⁾` of every layer into its gradients.
    pub fn backward(&mut self, grad_logits: &B::Tensor<T, Ix2>) -> BackendResult<()> {
        let Some((first, deeper)) = self.hidden.split_first_mut() else {
            // No hidden layer: the output layer sees the input, whose gradient nobody needs.
            return self.output.backward_params(grad_logits);
        };
        // dL/dh⁽ᴸ⁻¹⁾ = dL/dz⁽ᴸ⁾ W⁽ᴸ⁾: [N, H_(L-1)]
        let mut grad_h = self.output.backward(grad_logits)?;
        for layer in deeper.iter_mut().rev() {
            let grad_z = layer.activation.backward(grad_h)?; // dL/dz⁽ˡ⁾ = dL/dh⁽ˡ⁾ ⊙ φ'(z⁽ˡ⁾)
            grad_h = layer.linear.backward(grad_z)?; // dL/dh⁽ˡ⁻¹⁾ = dL/dz⁽ˡ⁾ W⁽ˡ⁾
        }
        let grad_z = first.activation.backward(grad_h)?;
        first.linear.backward_params(grad_z) // dL/dx is not needed
    }
}

impl<T: Scalar, B: Backend> Layer<T, B> for Mlp<T, B> {
    fn backend(&self) -> &B {
        self.output.backend()
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T, B>)) {
        for (index, linear) in self.linears_mut().enumerate() {
            let prefix = format!("fc{}", index + 1);
            linear.params_mut(&mut |p| visit(p.prefixed(&prefix)));
        }
    }
}

/// A network that maps feature rows to class logits and back-propagates through them: what
/// [`train_step`] and [`fit`] train.
pub trait Classifier<T: Scalar, B: Backend = Cpu>: Layer<T, B> {
    /// Logits `[N, C]` for features `x` `[N, D]`, caching what [`Classifier::backward`] needs.
    fn logits(&mut self, x: &B::Tensor<T, Ix2>) -> BackendResult<&B::Tensor<T, Ix2>>;

    /// Adds every parameter gradient for `dL/dlogits` `[N, C]` of the latest forward.
    fn backward(&mut self, grad_logits: &B::Tensor<T, Ix2>) -> BackendResult<()>;
}

impl<T: Scalar, B: Backend> Classifier<T, B> for Mlp<T, B> {
    fn logits(&mut self, x: &B::Tensor<T, Ix2>) -> BackendResult<&B::Tensor<T, Ix2>> {
        self.forward(x)
    }

    fn backward(&mut self, grad_logits: &B::Tensor<T, Ix2>) -> BackendResult<()> {
        Mlp::backward(self, grad_logits)
    }
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
    /// Test accuracy: entry 0 before any step, then after each epoch.
    pub test_accuracy: Vec<f64>,
}

/// Trains `net` on `train` for `training.epochs` epochs, reshuffling the batches every epoch with
/// `rng`, and records the loss curve and the test accuracy after each epoch. Batches are
/// gathered on the host and copied into one reused backend tensor.
pub fn fit<B: Backend, C: Classifier<f32, B>>(
    net: &mut C,
    train: &Dataset,
    test: &Dataset,
    training: &Training,
    rng: &mut ChaCha8Rng,
    progress: &dyn Progress,
) -> Result<History, RunError> {
    let backend = net.backend().clone();
    let failed = |e: LossError| RunError::Failed(e.to_string());
    let mut optimizer = training.optimizer.build::<f32, B>(training.lr);
    let mut history = History {
        train_loss: vec![evaluate(net, train)?.loss],
        test_accuracy: vec![evaluate(net, test)?.accuracy],
    };
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut xb = Array2::<f32>::zeros((0, 0)); // x of a batch, on the host: [N, D]
    let mut x_dev = backend.zeros(Ix2(0, 0)).map_err(device_failed)?; // the same on the backend
    let mut yb = Vec::with_capacity(training.batch); // its labels: [N]
    let mut scratch = LossScratch::new(&backend).map_err(device_failed)?;
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
            let x = reuse_on(&backend, &mut x_dev, dim).map_err(device_failed)?;
            backend.write(xb.view(), x).map_err(device_failed)?;
            let loss =
                train_step(net, optimizer.as_mut(), &x_dev, &yb, &mut scratch).map_err(failed)?;
            total += f64::from(loss) * batch.len() as f64;
        }
        let mean = total / train.len().max(1) as f64;
        if !mean.is_finite() {
            return Err(RunError::Failed(format!(
                "training diverged at epoch {epoch} (loss {mean}); lower the learning rate `lr`"
            )));
        }
        history.train_loss.push(mean);
        history.test_accuracy.push(evaluate(net, test)?.accuracy);
        progress.advance(1);
    }
    Ok(history)
}

/// A run error for a device that failed.
fn device_failed(e: BackendError) -> RunError {
    RunError::Failed(e.to_string())
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
    let mut scratch = LossScratch::new(&backend).map_err(device_failed)?;
    for start in (0..data.len()).step_by(EVAL_CHUNK) {
        let end = (start + EVAL_CHUNK).min(data.len());
        let x = backend
            .upload(data.x.slice(s![start..end, ..]))
            .map_err(device_failed)?;
        let logits = net.logits(&x).map_err(device_failed)?; // z: [N, C]
        let host_logits = backend.download(logits).map_err(device_failed)?;
        predictions.extend(host_logits.outer_iter().map(|z| arg_max(z.iter().copied())));
        let grad = reuse_on(&backend, &mut scratch.grad_logits, host_logits.raw_dim());
        let grad = grad.map_err(device_failed)?;
        let targets = &data.y[start..end];
        let loss = softmax_cross_entropy_on(&backend, logits, targets, &mut scratch.targets, grad)
            .map_err(|e| RunError::Failed(e.to_string()))?;
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

/// The digits split every network model uses: stratified 75/25, split seed
/// [`DEFAULT_SPLIT_SEED`] (the run's seed only changes the initialisation and the batch order).
pub fn digits_split() -> (Dataset, Dataset) {
    data::stratified_split(&data::digits(), DEFAULT_TEST_FRACTION, DEFAULT_SPLIT_SEED)
}

/// Adds the standard evidence of a trained classifier to `report`, under `label`: its loss curve
/// (`perte/<label>`) and test-accuracy curve (`exactitude/<label>`).
pub fn push_curves(report: &mut Report, label: &str, history: &History) {
    report.push_series(Series::steps(
        format!("perte/{label}"),
        history.train_loss.clone(),
    ));
    report.push_series(Series::steps(
        format!("exactitude/{label}"),
        history.test_accuracy.clone(),
    ));
    report.set_axes(
        "perte",
        Axes::new("époque", "entropie croisée moyenne (entraînement)").log_y(),
    );
    report.set_axes("exactitude", Axes::new("époque", "exactitude sur le test"));
}

// ---------------------------------------------------------------------------------------------
// 5. The run: the MLP against logistic regression
// ---------------------------------------------------------------------------------------------

/// Accuracy the default MLP must reach on the digits test split.
pub const TARGET_ACCURACY: f64 = 0.97;

/// The registry entry `mlp`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Perceptron;

/// The MLP's own settings, read from a validated [`Config`].
#[derive(Clone, Debug, PartialEq)]
pub struct MlpSettings {
    /// Hidden widths `[H_1, …]` (zeros dropped).
    pub hidden: Vec<usize>,
    /// How to train it.
    pub training: Training,
    /// How to train the logistic-regression baseline: the same, with its own learning rate.
    pub baseline: Training,
}

impl MlpSettings {
    /// The settings in `cfg` (declared by [`Perceptron::params`]).
    pub fn from_config(cfg: &Config) -> Self {
        let training = Training {
            epochs: cfg.usize("epochs"),
            batch: cfg.usize("batch"),
            optimizer: OptimizerKind::from_name(cfg.choice("optimizer")).expect("declared options"),
            lr: cfg.float("lr"),
        };
        Self {
            hidden: [cfg.usize("hidden1"), cfg.usize("hidden2")]
                .into_iter()
                .filter(|&h| h > 0)
                .collect(),
            training,
            baseline: Training {
                lr: cfg.float("baseline_lr"),
                ..training
            },
        }
    }

    /// The default settings.
    pub fn defaults() -> Self {
        Self::from_config(&Config::defaults(&Perceptron.params()))
    }
}

/// A trained MLP with its history and test results.
#[derive(Clone, Debug)]
pub struct TrainedMlp<B: Backend = Cpu> {
    /// The network.
    pub net: Mlp<f32, B>,
    /// Loss and accuracy curves.
    pub history: History,
    /// Results on the test split.
    pub test: Evaluation,
    /// Results on the training split.
    pub train: Evaluation,
}

/// Builds an MLP with `hidden` widths for `train` (ReLU, seeded init) on `backend` and trains it.
pub fn train_mlp<B: Backend>(
    backend: &B,
    hidden: &[usize],
    training: &Training,
    (train, test): (&Dataset, &Dataset),
    seed: u64,
    progress: &dyn Progress,
) -> Result<TrainedMlp<B>, RunError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sizes: Vec<usize> = std::iter::once(train.features())
        .chain(hidden.iter().copied())
        .chain(std::iter::once(train.classes))
        .collect();
    let mut net =
        Mlp::new_on(backend, &sizes, Activation::Relu, &mut rng).map_err(device_failed)?;
    let history = fit(&mut net, train, test, training, &mut rng, progress)?;
    let test = evaluate(&mut net, test)?;
    let train = evaluate(&mut net, train)?;
    Ok(TrainedMlp {
        net,
        history,
        test,
        train,
    })
}

impl Implementation for Perceptron {
    fn id(&self) -> &'static str {
        "mlp"
    }

    fn source_file(&self) -> Option<&'static str> {
        Some(file!())
    }

    fn title(&self) -> &'static str {
        "Le perceptron multicouche"
    }

    fn description(&self) -> &'static str {
        "Perceptron multicouche (ReLU, entropie croisée) entraîné par rétropropagation sur les \
         chiffres manuscrits UCI 8×8 (découpage stratifié 75/25), comparé à une régression \
         logistique entraînée par le même code ; vérifie le gradient par différences finies."
    }

    fn concept(&self) -> Option<&'static str> {
        Some("Le perceptron multicouche")
    }

    fn params(&self) -> Vec<ParamSpec> {
        vec![
            ParamSpec::int(
                "hidden1",
                "neurones de la 1re couche cachée (0 : aucune)",
                256,
                0,
                4096,
            ),
            ParamSpec::int(
                "hidden2",
                "neurones de la 2e couche cachée (0 : aucune)",
                128,
                0,
                4096,
            ),
            ParamSpec::int("epochs", "passes sur le jeu d'entraînement", 40, 1, 1000),
            ParamSpec::int("batch", "exemples par mini-lot", 64, 1, 4096),
            ParamSpec::float("lr", "taux d'apprentissage", 2e-3, 1e-6, 1.0),
            ParamSpec::float(
                "baseline_lr",
                "taux d'apprentissage de la régression logistique (un modèle linéaire converge avec un pas plus grand)",
                5e-3,
                1e-6,
                1.0,
            ),
            ParamSpec::choice(
                "optimizer",
                "optimiseur : adam, ou sgd avec momentum 0,9",
                "adam",
                OptimizerKind::NAMES,
            ),
            ParamSpec::path(
                "data",
                "vos données : un dossier MNIST (fichiers IDX) ou un CSV, étiquette en premier ; vide : les chiffres UCI fournis",
            ),
        ]
    }

    fn devices(&self) -> &'static [Device] {
        &[Device::Cpu, Device::GPU]
    }

    fn run(
        &self,
        cfg: &Config,
        device: Device,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError> {
        run_on_device(self, cfg, device, seed, progress)
    }
}

impl RunOnBackend for Perceptron {
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError> {
        let device = backend.device();
        let settings = MlpSettings::from_config(cfg);
        let (train, test) = match cfg.path("data") {
            Some(path) => data::load_user_dataset(path)?,
            None => digits_split(),
        };
        let mut report = Report::new(self.id(), device, seed, cfg);
        let label = format!("MLP {:?}", settings.hidden);

        progress.start(
            2 * settings.training.epochs as u64,
            "entraînement (MLP puis régression logistique)",
        );
        let mlp = train_mlp(
            backend,
            &settings.hidden,
            &settings.training,
            (&train, &test),
            seed,
            progress,
        )?;
        let logistic = train_mlp(
            backend,
            &[],
            &settings.baseline,
            (&train, &test),
            seed,
            progress,
        )?;
        progress.finish();

        report.metric("test_accuracy", mlp.test.accuracy);
        report.metric("train_accuracy", mlp.train.accuracy);
        report.metric("test_loss", mlp.test.loss);
        report.metric("baseline_test_accuracy", logistic.test.accuracy);
        report.metric("baseline_train_accuracy", logistic.train.accuracy);
        report.metric("parameters", mlp.net.clone().num_params() as f64);
        report.metric("train_samples", train.len() as f64);
        report.metric("test_samples", test.len() as f64);
        push_curves(&mut report, &label, &mlp.history);
        push_curves(&mut report, "régression logistique", &logistic.history);
        report.matrices.push(Matrix::confusion(
            "confusion",
            test.classes,
            &test.y,
            &mlp.test.predictions,
        ));

        report.check(
            "exactitude de test ≥ 0,97",
            mlp.test.accuracy >= TARGET_ACCURACY,
            format!(
                "{:.4} ({} erreurs sur {})",
                mlp.test.accuracy,
                mlp.test.errors,
                test.len()
            ),
        );
        report.check(
            "le MLP bat la régression logistique",
            mlp.test.accuracy > logistic.test.accuracy,
            format!(
                "MLP {:.4} contre {:.4}",
                mlp.test.accuracy, logistic.test.accuracy
            ),
        );
        let (first, last) = (
            mlp.history.train_loss[0],
            *mlp.history.train_loss.last().unwrap_or(&f64::NAN),
        );
        report.check(
            "la perte d'entraînement a diminué",
            last < first,
            format!("{first:.4} avant entraînement, {last:.4} à la fin"),
        );
        let (passed, detail) =
            gradient_check_verdict(&check_backward(&settings.hidden, &train, seed), 4);
        report.check(
            "rétropropagation = différences finies (f64)",
            passed,
            detail,
        );
        Ok(report)
    }
}

/// The gradient check of an f64 twin of the network (hidden widths capped at 16 so every
/// parameter can be perturbed quickly), on the first 4 training samples.
fn check_backward(hidden: &[usize], train: &Dataset, seed: u64) -> Result<f64, GradCheckError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sizes: Vec<usize> = std::iter::once(train.features())
        .chain(hidden.iter().map(|&h| h.min(16)))
        .chain(std::iter::once(train.classes))
        .collect();
    let mut net = Mlp::<f64>::new(&sizes, Activation::Relu, &mut rng);
    let (x, y) = rows_f64(train, 4);
    gradient_check(&mut net, x.view(), &y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::counting::Counting;
    use crate::registry::NoProgress;

    /// The ops one SGD training step of a 2-hidden-layer MLP asks its backend for.
    #[test]
    fn a_training_step_runs_through_the_backend() {
        let backend = Counting::new(Cpu);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut net =
            Mlp::<f32, _>::new_on(&backend, &[6, 5, 4, 3], Activation::Relu, &mut rng).unwrap();
        let x = backend
            .upload(Array2::from_shape_fn((2, 6), |(i, j)| (i + j) as f32).view())
            .unwrap();
        let mut scratch = LossScratch::new(&backend).unwrap();
        let mut sgd = Sgd::<f32, _>::new(SgdConfig::new(0.1));
        train_step(&mut net, &mut sgd, &x, &[0, 2], &mut scratch).unwrap(); // buffers sized
        backend.reset();
        train_step(&mut net, &mut sgd, &x, &[0, 2], &mut scratch).unwrap();
        let counts = backend.counts();
        // 3 products forward; backward: dW and dx for the two upper layers, dW for the first.
        assert_eq!(counts.get("gemm"), Some(&8), "{counts:?}");
        assert_eq!(counts.get("activation"), Some(&2), "{counts:?}");
        assert_eq!(counts.get("activation_backward"), Some(&2), "{counts:?}");
        assert_eq!(counts.get("add_bias"), Some(&3), "{counts:?}");
        assert_eq!(counts.get("add_channel_sums"), Some(&3), "{counts:?}");
        assert_eq!(counts.get("cross_entropy"), Some(&1), "{counts:?}");
        assert_eq!(counts.get("fill_param"), Some(&6), "zero_grad: {counts:?}");
        assert_eq!(counts.get("sgd_update"), Some(&6), "{counts:?}");
        // After the first step nothing is allocated: the buffers are reused.
        assert_eq!(counts.get("zeros"), None, "{counts:?}");
    }

    /// `run mlp` on a counting backend: the whole demo (training, evaluation) goes through it,
    /// and the report is the CPU's.
    #[test]
    fn the_mlp_run_reaches_the_layers_through_its_backend() {
        let sets = [("epochs", "1"), ("hidden1", "16"), ("hidden2", "8")]
            .map(|(k, v)| (k.to_string(), v.to_string()));
        let cfg = Config::from_sets(&Perceptron.params(), &sets).unwrap();
        let backend = Counting::new(Cpu);
        let counted = Perceptron.run_on(&backend, &cfg, 3, &NoProgress).unwrap();
        let plain = Perceptron.run_on(&Cpu, &cfg, 3, &NoProgress).unwrap();
        let counts = backend.counts();
        let steps = 2 * 1348_usize.div_ceil(64); // two networks, one epoch of 64-sample batches
        assert!(counts["gemm"] > 3 * steps, "{counts:?}");
        let updates = ["sgd_update", "adam_update"].map(|op| counts.get(op).copied().unwrap_or(0));
        assert!(updates.iter().sum::<usize>() > 0, "{counts:?}");
        assert!(
            counts["download"] > 0,
            "evaluation brings the logits back: {counts:?}"
        );
        assert_eq!(counted.metrics, plain.metrics);
        assert_eq!(counted.device, Device::Cpu);
    }
}
