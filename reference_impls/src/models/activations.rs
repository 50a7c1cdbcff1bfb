//! Impact du choix des fonctions d'activation sur l'apprentissage profond: every activation with
//! its derivative, then the vanishing-gradient experiment on a deep perceptron.
//!
//! The file follows the note:
//! 1. **Les fonctions**: φ(x) and φ'(x) of every activation on a grid of `[−5, 5]`; each φ' is
//!    compared with the central difference `(φ(x + h) − φ(x − h))/2h` in f64.
//! 2. **La disparition du gradient**: the backpropagated error obeys
//!    `δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾) ⊙ φ'(z⁽ˡ⁾)`, so it is multiplied once per layer by φ' — at most ¼
//!    for the sigmoid. The same deep MLP (`depth` hidden layers of `width` units, the same weights
//!    drawn from the same seed, He's initialisation by default) is built with sigmoid, tanh, ReLU
//!    and GELU, and the norm `‖∂L/∂W⁽ˡ⁾‖` of every layer's weight gradient is measured at
//!    initialisation on one batch.
//! 3. **L'entraînement**: the four networks are trained identically (same optimiser, same
//!    batches) on the digits; their loss curves show which ones learn.
//!
//! Legend: N batch, L number of linear layers (`depth` + 1), W width, C classes.

use ndarray::{Array2, Ix2, s};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::mlp::Mlp;
use super::train::{self, OptimizerKind, Training};
use crate::backend::{Backend, BackendError};
use crate::data::Splits;
use crate::implementation::{Implementation, Progress, RunError, RunOnBackend};
use crate::layers::{Activation, Layer, uniform};
use crate::params::{Config, ParamSpec};
use crate::report::{Axes, Report, Series};

// ---------------------------------------------------------------------------------------------
// 1. The functions and their derivatives
// ---------------------------------------------------------------------------------------------

/// Half-width of the plotted interval `[−GRID_HALF_WIDTH, GRID_HALF_WIDTH]`.
const GRID_HALF_WIDTH: f64 = 5.0;
/// Points per unit on the grid (0 is a grid point).
const GRID_DENSITY: usize = 20;
/// Step of the central differences.
const FINITE_DIFFERENCE_STEP: f64 = 1e-5;
/// Largest accepted |φ' − finite difference| / max(1, |φ'|).
const DERIVATIVE_TOLERANCE: f64 = 1e-6;

/// The grid `−5, −4.95, …, 5`.
pub fn grid() -> Vec<f64> {
    let half = (GRID_HALF_WIDTH * GRID_DENSITY as f64) as i64;
    (-half..=half)
        .map(|i| i as f64 / GRID_DENSITY as f64)
        .collect()
}

/// The largest relative gap between `φ'(x)` and its central difference over `points`, skipping
/// x = 0, where ReLU and its variants have a kink (no derivative to compare).
pub fn derivative_error(activation: Activation, points: &[f64]) -> f64 {
    let h = FINITE_DIFFERENCE_STEP;
    points
        .iter()
        .filter(|x| x.abs() > 2.0 * h)
        .map(|&x| {
            let analytic = activation.derivative(x);
            let numeric = (activation.value(x + h) - activation.value(x - h)) / (2.0 * h);
            (analytic - numeric).abs() / analytic.abs().max(1.0)
        })
        .fold(0.0, f64::max)
}

// ---------------------------------------------------------------------------------------------
// 2. The vanishing gradient
// ---------------------------------------------------------------------------------------------

/// The activations compared in the experiment, in the order of the note.
pub const COMPARED: [Activation; 4] = [
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Relu,
    Activation::Gelu,
];

/// How the weights are drawn (biases start at zero for every scheme but PyTorch's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// He et al. (2015), for ReLU: uniform in ±√(6/fan_in) (variance 2/fan_in).
    He,
    /// Glorot and Bengio (2010), for tanh: uniform in ±√(6/(fan_in + fan_out)).
    Glorot,
    /// PyTorch's default for `nn.Linear`: weights and biases uniform in ±1/√fan_in.
    Pytorch,
}

impl Init {
    /// The `--set init=` words, in this order.
    pub const NAMES: &'static [&'static str] = &["he", "glorot", "pytorch"];

    /// The scheme called `name` (one of [`Init::NAMES`]).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "he" => Some(Init::He),
            "glorot" => Some(Init::Glorot),
            "pytorch" => Some(Init::Pytorch),
            _ => None,
        }
    }

    /// The bound b of the uniform law U(−b, b) the weights are drawn from, or `None` to keep the
    /// draw of [`Mlp::new`] (PyTorch's).
    pub fn weight_bound(self, fan_in: usize, fan_out: usize) -> Option<f64> {
        match self {
            Init::He => Some((6.0 / fan_in as f64).sqrt()),
            Init::Glorot => Some((6.0 / (fan_in + fan_out) as f64).sqrt()),
            Init::Pytorch => None,
        }
    }
}

/// The deep MLP of the experiment with `activation` on `backend`: `[D, W × depth, C]`, weights
/// drawn by `init` from `seed` (the same weights whatever the activation and the backend).
pub fn deep_mlp<B: Backend>(
    backend: &B,
    activation: Activation,
    (inputs, depth, width, classes): (usize, usize, usize, usize),
    init: Init,
    seed: u64,
) -> Result<(Mlp<f32, B>, ChaCha8Rng), BackendError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sizes: Vec<usize> = std::iter::once(inputs)
        .chain(std::iter::repeat_n(width, depth))
        .chain(std::iter::once(classes))
        .collect();
    let mut net = Mlp::new_on(backend, &sizes, activation, &mut rng)?;
    for linear in net.linears_mut() {
        let (fan_out, fan_in) = (linear.out_features(), linear.in_features());
        if let Some(bound) = init.weight_bound(fan_in, fan_out) {
            let weight: Array2<f32> = uniform((fan_out, fan_in), bound, &mut rng);
            backend.write(weight.view(), &mut linear.weight)?;
            backend.fill(&mut linear.bias, 0.0)?;
        }
    }
    Ok((net, rng))
}

/// `‖∂L/∂W⁽ˡ⁾‖` (Frobenius) of every linear layer, input side first, for one forward and backward
/// pass of the mean cross-entropy on (`x`, `y`).
pub fn layer_gradient_norms<B: Backend>(
    net: &mut Mlp<f32, B>,
    x: &B::Tensor<f32, Ix2>,
    y: &[usize],
) -> Result<Vec<f64>, RunError> {
    let backend = net.backend().clone();
    let mut scratch = train::LossScratch::new(&backend)?;
    train::backprop(net, x, y, &mut scratch)?;
    net.linears()
        .map(|linear| {
            let grad = backend.download(&linear.grad_weight)?;
            Ok(grad
                .iter()
                .map(|&g| f64::from(g).powi(2))
                .sum::<f64>()
                .sqrt())
        })
        .collect()
}

/// What one activation gave in the experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The activation.
    pub activation: Activation,
    /// `‖∂L/∂W⁽ˡ⁾‖` at initialisation, l = 1…L.
    pub gradient_norms: Vec<f64>,
    /// The training history.
    pub history: train::History,
    /// The network of the epoch chosen on the validation split, measured once on the test split.
    pub test: train::Evaluation,
}

impl Outcome {
    /// `‖∂L/∂W⁽¹⁾‖ / ‖∂L/∂W⁽ᴸ⁾‖`: how much of the gradient reaches the first layer.
    pub fn first_to_last_ratio(&self) -> f64 {
        let first = self.gradient_norms.first().copied().unwrap_or(0.0);
        let last = self.gradient_norms.last().copied().unwrap_or(0.0);
        first / last
    }

    /// The mean training loss of the last epoch.
    pub fn final_loss(&self) -> f64 {
        self.history.train_loss.last().copied().unwrap_or(f64::NAN)
    }
}

/// Samples of the batch on which the gradient norms are measured.
const PROBE_SAMPLES: usize = 256;

/// Runs the experiment for one activation: gradient norms at initialisation, then training.
pub fn experiment<B: Backend>(
    backend: &B,
    activation: Activation,
    settings: &Settings,
    splits: &Splits,
    seed: u64,
    progress: &dyn Progress,
) -> Result<Outcome, RunError> {
    let train = &splits.train;
    let shape = (
        train.features(),
        settings.depth,
        settings.width,
        train.classes,
    );
    let (mut net, mut rng) = deep_mlp(backend, activation, shape, settings.init, seed)?;
    let probe = PROBE_SAMPLES.min(train.len());
    let x = backend.upload(train.x.slice(s![..probe, ..]))?;
    let gradient_norms = layer_gradient_norms(&mut net, &x, &train.y[..probe])?;
    let history = train::fit(
        &mut net,
        train,
        &splits.validation,
        &settings.training,
        &mut rng,
        progress,
    )?;
    let test = train::evaluate(&mut net, &splits.test)?;
    Ok(Outcome {
        activation,
        gradient_norms,
        history,
        test,
    })
}

// ---------------------------------------------------------------------------------------------
// 3. The run
// ---------------------------------------------------------------------------------------------

/// `‖∂L/∂W⁽¹⁾‖/‖∂L/∂W⁽ᴸ⁾‖` below which the sigmoid's gradient counts as vanished (two decades).
pub const VANISHED_RATIO: f64 = 1e-2;

/// The experiment's settings, read from a validated [`Config`].
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Hidden layers.
    pub depth: usize,
    /// Units per hidden layer.
    pub width: usize,
    /// How the weights are drawn.
    pub init: Init,
    /// How every network is trained.
    pub training: Training,
}

impl Settings {
    /// The settings in `cfg` (declared by [`Activations::params`]).
    pub fn from_config(cfg: &Config) -> Self {
        Self {
            depth: cfg.usize("depth"),
            width: cfg.usize("width"),
            init: Init::from_name(cfg.choice("init")).expect("declared options"),
            training: Training {
                epochs: cfg.usize("epochs"),
                batch: cfg.usize("batch"),
                optimizer: OptimizerKind::Momentum,
                lr: cfg.float("lr"),
            },
        }
    }
}

/// The registry entry `activations`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Activations;

impl Implementation for Activations {
    fn id(&self) -> &'static str {
        "activations"
    }

    fn source_file(&self) -> Option<&'static str> {
        Some(file!())
    }

    fn title(&self) -> &'static str {
        "Impact du choix des fonctions d'activation sur l'apprentissage profond"
    }

    fn description(&self) -> &'static str {
        "Valeurs et dérivées de chaque fonction d'activation (vérifiées par différences finies), \
         puis la disparition du gradient : un même perceptron profond entraîné avec sigmoïde, \
         tanh, ReLU et GELU, norme du gradient couche par couche et courbes de perte."
    }

    fn concept(&self) -> Option<&'static str> {
        Some("Impact du choix des fonctions d'activation sur l'apprentissage profond")
    }

    fn params(&self) -> Vec<ParamSpec> {
        vec![
            ParamSpec::int("depth", "couches cachées du perceptron profond", 10, 1, 50),
            ParamSpec::int("width", "neurones par couche cachée", 32, 1, 1024),
            ParamSpec::choice(
                "init",
                "initialisation des poids : he, glorot ou pytorch",
                "he",
                Init::NAMES,
            ),
            ParamSpec::int("epochs", "passes sur le jeu d'entraînement", 20, 1, 1000),
            ParamSpec::int("batch", "exemples par mini-lot", 32, 1, 4096),
            ParamSpec::float(
                "lr",
                "taux d'apprentissage (SGD, momentum 0,9)",
                0.01,
                1e-6,
                1.0,
            ),
        ]
    }

    crate::on_every_device!();
}

impl RunOnBackend for Activations {
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError> {
        let device = backend.device();
        let settings = Settings::from_config(cfg);
        let mut report = Report::new(self.id(), device, seed, cfg);

        // 1. Every function and its derivative.
        let points = grid();
        let mut worst = (0.0, Activation::Relu);
        for activation in Activation::ALL {
            let name = activation.name();
            let values = points.iter().map(|&x| activation.value(x)).collect();
            let slopes = points.iter().map(|&x| activation.derivative(x)).collect();
            report.push_series(Series::line(
                format!("fonctions/{name}"),
                points.clone(),
                values,
            ));
            report.push_series(Series::line(
                format!("dérivées/{name}"),
                points.clone(),
                slopes,
            ));
            let error = derivative_error(activation, &points);
            if error >= worst.0 {
                worst = (error, activation);
            }
        }
        report.set_axes("fonctions", Axes::new("x", "φ(x)"));
        report.set_axes("dérivées", Axes::new("x", "φ'(x)"));
        report.metric("derivative_max_rel_error", worst.0);
        report.check(
            "dérivées = différences finies centrées (f64)",
            worst.0 <= DERIVATIVE_TOLERANCE,
            format!(
                "écart relatif max {:.2e} ({}), tolérance {DERIVATIVE_TOLERANCE:.0e}, pas h = {FINITE_DIFFERENCE_STEP:.0e}, {} points de [−5, 5] hors 0",
                worst.0,
                worst.1.name(),
                points.len() - 1
            ),
        );

        // 2–3. The same deep network with each activation.
        let splits = train::digits_splits();
        progress.start(
            (COMPARED.len() * settings.training.epochs) as u64,
            "entraînement des réseaux profonds",
        );
        let outcomes = COMPARED
            .iter()
            .map(|&a| experiment(backend, a, &settings, &splits, seed, progress))
            .collect::<Result<Vec<_>, _>>()?;
        progress.finish();

        for outcome in &outcomes {
            let name = outcome.activation.name();
            let layers = (1..=outcome.gradient_norms.len())
                .map(|l| l as f64)
                .collect();
            report.push_series(Series::line(
                format!("gradient par couche/{name}"),
                layers,
                outcome.gradient_norms.clone(),
            ));
            train::push_curves(&mut report, name, &outcome.history);
            report.metric(
                &format!("gradient_ratio_{name}"),
                outcome.first_to_last_ratio(),
            );
            report.metric(&format!("final_loss_{name}"), outcome.final_loss());
            report.metric(&format!("test_accuracy_{name}"), outcome.test.accuracy);
        }
        report.set_axes(
            "gradient par couche",
            Axes::new("couche l (1 = entrée)", "‖∂L/∂W⁽ˡ⁾‖ à l'initialisation").log_y(),
        );

        let by_name = |a: Activation| {
            outcomes
                .iter()
                .find(|o| o.activation == a)
                .expect("every compared activation ran")
        };
        let sigmoid = by_name(Activation::Sigmoid);
        let ratios = outcomes
            .iter()
            .map(|o| format!("{} {:.1e}", o.activation.name(), o.first_to_last_ratio()))
            .collect::<Vec<_>>()
            .join(", ");
        report.check(
            "la sigmoïde fait disparaître le gradient (‖∂L/∂W⁽¹⁾‖/‖∂L/∂W⁽ᴸ⁾‖ ≤ 1e-2)",
            sigmoid.first_to_last_ratio() <= VANISHED_RATIO,
            format!("rapports première/dernière couche : {ratios}"),
        );
        let losses = outcomes
            .iter()
            .map(|o| format!("{} {:.4}", o.activation.name(), o.final_loss()))
            .collect::<Vec<_>>()
            .join(", ");
        let faster = [Activation::Relu, Activation::Gelu]
            .into_iter()
            .all(|a| by_name(a).final_loss() < sigmoid.final_loss());
        report.check(
            "ReLU et GELU apprennent plus vite que la sigmoïde (perte finale plus basse)",
            faster,
            format!(
                "perte d'entraînement après {} époques : {losses}",
                settings.training.epochs
            ),
        );
        Ok(report)
    }
}
