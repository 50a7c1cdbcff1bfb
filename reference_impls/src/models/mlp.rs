//! Le perceptron multicouche: a multilayer perceptron trained by backpropagation on the
//! handwritten digits, compared with logistic regression trained by the same code.
//!
//! The file follows the note:
//! 1. **Propagation avant**: `h⁽⁰⁾ = x`, `z⁽ˡ⁾ = h⁽ˡ⁻¹⁾W⁽ˡ⁾ᵀ + b⁽ˡ⁾`, `h⁽ˡ⁾ = φ(z⁽ˡ⁾)`; the last
//!    layer has no φ: its outputs are the logits of a softmax cross-entropy ([`Mlp::forward`]).
//! 2. **Rétropropagation**: the chain rule applied layer by layer from the loss back to the first
//!    weights ([`Mlp::backward`]), checked against central finite differences in f64
//!    ([`train::gradient_check`]).
//! 3. **Entraînement**: mini-batches drawn in a seeded order, one optimiser step per batch, by the
//!    harness every classifier shares ([`train::fit`]); the epoch to keep is chosen on a
//!    validation split carved from the training data.
//! 4. **Évaluation** ([`MlpOnDigits`], id `mlp`): test accuracy, measured once, on the fixed
//!    stratified split of the digits ([`train::digits_splits`]: 60 % train, 15 % validation,
//!    25 % test), the loss curve, the confusion matrix, and the same network without hidden
//!    layer — exactly multinomial logistic regression — as the baseline to beat.
//! 5. **Le contrôle**: the same network trained on shuffled labels must fall to chance on the
//!    test split (a permutation test: the accuracy comes from the data, not from the evaluation).
//!
//! Legend: N batch, D input features (64 pixels), H_l width of hidden layer l, C classes (10).

use ndarray::Ix2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::train::{
    self, Classifier, Evaluation, History, OptimizerKind, Training, evaluate, fit, gradient_check,
    gradient_check_verdict, push_curves, rows_f64,
};
use crate::backend::{Backend, BackendResult, Cpu};
use crate::data::{self, Dataset, Splits};
use crate::gradcheck::GradCheckError;
use crate::implementation::{Implementation, Progress, RunError, RunOnBackend};
use crate::layers::{Activation, ActivationLayer, Layer, Linear, Param};
use crate::params::{Config, ParamSpec};
use crate::report::{Matrix, Report};
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

    /// Backpropagation down to the input: like [`Mlp::backward`], and returns `dL/dx` `[N, D]`
    /// (what a network stacked below this one needs, as an autoencoder's encoder below its
    /// decoder).
    pub fn backward_to_input(
        &mut self,
        grad_out: &B::Tensor<T, Ix2>,
    ) -> BackendResult<&B::Tensor<T, Ix2>> {
        let mut grad_h = self.output.backward(grad_out)?; // dL/dh⁽ᴸ⁻¹⁾ = dL/dz⁽ᴸ⁾ W⁽ᴸ⁾
        for layer in self.hidden.iter_mut().rev() {
            let grad_z = layer.activation.backward(grad_h)?; // dL/dz⁽ˡ⁾ = dL/dh⁽ˡ⁾ ⊙ φ'(z⁽ˡ⁾)
            grad_h = layer.linear.backward(grad_z)?; // dL/dh⁽ˡ⁻¹⁾ = dL/dz⁽ˡ⁾ W⁽ˡ⁾
        }
        Ok(grad_h)
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

    fn num_params(&self) -> usize {
        self.linears().map(Linear::num_params).sum()
    }
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
// 5. The run: the MLP against logistic regression
// ---------------------------------------------------------------------------------------------

/// Accuracy the default MLP must reach on the digits test split.
pub const TARGET_ACCURACY: f64 = 0.97;

/// How far above the majority-class fraction the shuffled-labels control may land on the test
/// split (ten points: about seven standard deviations of chance on the digits' 450 test samples).
pub const CONTROL_MARGIN: f64 = 0.10;

/// The fraction of `data` in its most frequent class: the accuracy of always guessing it.
fn majority_fraction(data: &Dataset) -> f64 {
    let largest = data.class_counts().into_iter().max().unwrap_or(0);
    largest as f64 / data.len().max(1) as f64
}

/// The registry entry `mlp`.
#[derive(Clone, Copy, Debug, Default)]
pub struct MlpOnDigits;

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
    /// The settings in `cfg` (declared by [`MlpOnDigits::params`]).
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
        Self::from_config(&Config::defaults(&MlpOnDigits.params()))
    }
}

/// A trained MLP with its history and test results.
#[derive(Clone, Debug)]
pub struct TrainedMlp<B: Backend = Cpu> {
    /// The network, with the weights of the epoch chosen on the validation split.
    pub net: Mlp<f32, B>,
    /// Loss and validation-accuracy curves, and the epoch kept.
    pub history: History,
    /// Results on the test split.
    pub test: Evaluation,
    /// Results on the training split.
    pub train: Evaluation,
}

/// Builds an MLP with `hidden` widths for `splits.train` (ReLU, seeded init) on `backend`, trains
/// it with the epoch chosen on `splits.validation`, and measures it once on `splits.test`.
pub fn train_mlp<B: Backend>(
    backend: &B,
    hidden: &[usize],
    training: &Training,
    splits: &Splits,
    seed: u64,
    progress: &dyn Progress,
) -> Result<TrainedMlp<B>, RunError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let train = &splits.train;
    let sizes: Vec<usize> = std::iter::once(train.features())
        .chain(hidden.iter().copied())
        .chain(std::iter::once(train.classes))
        .collect();
    let mut net = Mlp::new_on(backend, &sizes, Activation::Relu, &mut rng)?;
    let history = fit(
        &mut net,
        train,
        &splits.validation,
        training,
        &mut rng,
        progress,
    )?;
    let test = evaluate(&mut net, &splits.test)?;
    let train = evaluate(&mut net, train)?;
    Ok(TrainedMlp {
        net,
        history,
        test,
        train,
    })
}

impl Implementation for MlpOnDigits {
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
         chiffres manuscrits UCI 8×8 (découpage stratifié entraînement/validation/test), comparé \
         à une régression logistique entraînée par le même code et à un contrôle aux étiquettes \
         mélangées ; vérifie le gradient par différences finies."
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

    crate::on_every_device!();
}

impl RunOnBackend for MlpOnDigits {
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError> {
        let device = backend.device();
        let settings = MlpSettings::from_config(cfg);
        let splits = match cfg.path("data") {
            Some(path) => {
                let (train_all, test) = data::load_user_dataset(path)?;
                Splits::carve_validation(&train_all, test)
            }
            None => train::digits_splits(),
        };
        let (train, test) = (&splits.train, &splits.test);
        let mut report = Report::new(self.id(), device, seed, cfg);
        let label = format!("MLP {:?}", settings.hidden);

        progress.start(
            3 * settings.training.epochs as u64,
            "entraînement (MLP, régression logistique, contrôle aux étiquettes mélangées)",
        );
        let train_on = |splits: &Splits, hidden: &[usize], training: &Training| {
            train_mlp(backend, hidden, training, splits, seed, progress)
        };
        let mlp = train_on(&splits, &settings.hidden, &settings.training)?;
        let logistic = train_on(&splits, &[], &settings.baseline)?;
        let control = train_on(
            &splits.with_shuffled_labels(seed),
            &settings.hidden,
            &settings.training,
        )?;
        progress.finish();

        report.metric("test_accuracy", mlp.test.accuracy);
        report.metric(
            "validation_accuracy",
            mlp.history.best_validation_accuracy(),
        );
        report.metric("train_accuracy", mlp.train.accuracy);
        report.metric("test_loss", mlp.test.loss);
        report.metric("best_epoch", mlp.history.best_epoch as f64);
        report.metric("baseline_test_accuracy", logistic.test.accuracy);
        report.metric("baseline_train_accuracy", logistic.train.accuracy);
        report.metric("shuffled_labels_test_accuracy", control.test.accuracy);
        report.metric("parameters", mlp.net.num_params() as f64);
        report.metric("train_samples", train.len() as f64);
        report.metric("validation_samples", splits.validation.len() as f64);
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
            train::accuracy_detail(&mlp.test, &mlp.history, &splits),
        );
        report.check(
            "le MLP bat la régression logistique en test",
            mlp.test.accuracy > logistic.test.accuracy,
            format!(
                "MLP {:.4} contre {:.4}",
                mlp.test.accuracy, logistic.test.accuracy
            ),
        );
        let chance = majority_fraction(test);
        report.check(
            "contrôle : avec des étiquettes d'entraînement mélangées, le même réseau tombe au hasard en test",
            control.test.accuracy <= chance + CONTROL_MARGIN,
            format!(
                "{:.4} en test (classe majoritaire : {chance:.4}, seuil {:.4}) : l'exactitude du MLP \
                 vient du lien entre pixels et étiquettes, pas de l'évaluation",
                control.test.accuracy,
                chance + CONTROL_MARGIN
            ),
        );
        let (passed, detail) =
            gradient_check_verdict(&check_backward(&settings.hidden, train, seed), 4);
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
    use super::train::{LossScratch, train_step};
    use super::*;
    use crate::backend::counting::Counting;
    use crate::implementation::NoProgress;
    use crate::optim::{Sgd, SgdConfig};
    use ndarray::Array2;

    /// `backward_to_input` returns dL/dx: checked against central finite differences (f64), for
    /// L = Σ y ⊙ G with a fixed random G, through tanh hidden layers.
    #[test]
    fn the_input_gradient_matches_finite_differences() {
        use crate::gradcheck::{GradCheck, weighted_sum};
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut net = Mlp::<f64>::new(&[4, 6, 5, 3], Activation::Tanh, &mut rng);
        let x = Array2::from_shape_fn((2, 4), |(i, j)| (i as f64 - j as f64) * 0.3);
        let g = Array2::from_shape_fn((2, 3), |(i, j)| 0.5 + i as f64 - 0.7 * j as f64);
        net.forward(&x).unwrap();
        let analytic = net.backward_to_input(&g).unwrap().clone();
        GradCheck::default()
            .check("x", &x, &analytic, |probe| {
                weighted_sum(net.forward(probe).unwrap(), &g)
            })
            .unwrap();
    }

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
        let cfg = Config::from_sets(&MlpOnDigits.params(), &sets).unwrap();
        let backend = Counting::new(Cpu);
        let counted = MlpOnDigits.run_on(&backend, &cfg, 3, &NoProgress).unwrap();
        let plain = MlpOnDigits.run_on(&Cpu, &cfg, 3, &NoProgress).unwrap();
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
        assert_eq!(counted.device, crate::backend::Device::Cpu);
    }
}
