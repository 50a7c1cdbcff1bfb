//! L'apprentissage auto-supervisé, contrastif: an encoder learns a representation of the digits
//! without their labels, by telling two augmented views of each image apart from the views of
//! the other images (SimCLR's InfoNCE); a linear probe on the frozen representation then measures
//! what it learnt about the classes it never saw.
//!
//! The file follows the note:
//! 1. **Deux vues** ([`augment`]): each 8×8 image shifted by up to one pixel, a fifth of its
//!    pixels dropped, Gaussian noise added: what the representation must learn to ignore.
//! 2. **Encodeur et tête de projection**: one MLP `64 → H → F → P`; the representation
//!    `h = f(x)` is the output of its second layer (F numbers), the projection `z = g(h)` its
//!    output, trained on InfoNCE ([`crate::loss::info_nce`]) over the 2N views of a batch:
//!    `−log exp(sim(z_i, z_j)/τ) / Σ_{k≠i} exp(sim(z_i, z_k)/τ)`, sim the cosine.
//! 3. **La sonde linéaire** ([`probe`]): softmax regression on the standardised frozen features
//!    of the training split, its accuracy on the test split; the same probe on the features of
//!    the same encoder untrained (`random_probe_accuracy`: what the architecture gives for free)
//!    and on the raw pixels (`raw_probe_accuracy`). The number of InfoNCE steps is chosen on the
//!    probe's accuracy on a validation split carved from the training split; the test split is
//!    used once.
//!
//! Legend: N images per batch (2N views), D = 64 pixels, H hidden width, F representation width,
//! P projection width, τ temperature.

use ndarray::{Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::mlp::Mlp;
use super::train::{OptimizerKind, Training, digits_splits, evaluate, fit};
use crate::backend::Backend;
use crate::data::{Dataset, Splits};
use crate::implementation::{Implementation, NoProgress, Progress, RunError, RunOnBackend};
use crate::layers::{Activation, Layer};
use crate::loss::info_nce;
use crate::optim::{Adam, AdamConfig, Optimizer};
use crate::params::{Config, ParamSpec};
use crate::report::{Axes, Report, Series};

// ---------------------------------------------------------------------------------------------
// 1. Two views of each image
// ---------------------------------------------------------------------------------------------

/// The probability that an augmentation drops a pixel.
pub const DROP: f64 = 0.2;
/// The standard deviation of the noise an augmentation adds.
pub const NOISE: f64 = 0.1;

/// A random view of each image of `x` `[N, side·side]`: shifted by −1, 0 or +1 pixel on each axis
/// (zeros enter at the border), each pixel dropped with probability [`DROP`], noise of standard
/// deviation [`NOISE`] added.
pub fn augment(x: ArrayView2<'_, f32>, side: usize, rng: &mut impl Rng) -> Array2<f32> {
    let mut out = Array2::zeros(x.raw_dim());
    for (image, mut view) in x.outer_iter().zip(out.outer_iter_mut()) {
        let (dr, dc) = (
            rng.random_range(-1..=1_i64) as isize,
            rng.random_range(-1..=1_i64) as isize,
        );
        for r in 0..side {
            for c in 0..side {
                let (from_r, from_c) = (r as isize - dr, c as isize - dc);
                let inside =
                    (0..side as isize).contains(&from_r) && (0..side as isize).contains(&from_c);
                let pixel = if inside && !rng.random_bool(DROP) {
                    image[from_r as usize * side + from_c as usize]
                } else {
                    0.0
                };
                let noise: f64 = StandardNormal.sample(rng);
                view[r * side + c] = pixel + (NOISE * noise) as f32;
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// 2. Encoder, projection head, InfoNCE
// ---------------------------------------------------------------------------------------------

/// The layer of the MLP whose output is the representation h (its second).
const REPRESENTATION_LAYER: usize = 1;

/// The representation h `[N, F]` of the images `x` `[N, D]`: the output of the encoder's second
/// layer, on the host.
pub fn features<B: Backend>(
    net: &mut Mlp<f32, B>,
    x: ArrayView2<'_, f32>,
) -> Result<Array2<f32>, RunError> {
    let be = net.backend().clone();
    let input = be.upload(x)?;
    net.forward(&input)?;
    let layer = net
        .linears()
        .nth(REPRESENTATION_LAYER)
        .expect("the encoder has a representation layer");
    Ok(be.download(layer.output())?)
}

/// One InfoNCE step on the images `x` `[N, D]`: two views of each, z `[2N, P]`, the loss and its
/// gradient back into every weight. Returns the loss.
pub fn info_nce_step<B: Backend>(
    net: &mut Mlp<f32, B>,
    x: ArrayView2<'_, f32>,
    side: usize,
    temperature: f64,
    rng: &mut impl Rng,
) -> Result<f64, RunError> {
    let be = net.backend().clone();
    let views = ndarray::concatenate(
        Axis(0),
        &[augment(x, side, rng).view(), augment(x, side, rng).view()],
    )
    .expect("two views of the same width");
    let input = be.upload(views.view())?; // [2N, D]
    let z = be.download(net.forward(&input)?)?; // [2N, P]
    let out = info_nce(z.view(), temperature);
    let grad = be.upload(out.grad.view())?;
    net.backward(&grad)?;
    Ok(f64::from(out.loss))
}

// ---------------------------------------------------------------------------------------------
// 3. The linear probe
// ---------------------------------------------------------------------------------------------

/// Epochs of the probe's training.
pub const PROBE_EPOCHS: usize = 60;

/// The probe's training: Adam, mini-batches of 64.
const PROBE_TRAINING: Training = Training {
    epochs: PROBE_EPOCHS,
    batch: 64,
    optimizer: OptimizerKind::Adam,
    lr: 1e-2,
};

/// Features standardised with the mean and standard deviation of the training ones.
fn standardise(train: &Array2<f32>, others: &[&Array2<f32>]) -> (Array2<f32>, Vec<Array2<f32>>) {
    let mean = train.mean_axis(Axis(0)).expect("training features");
    let std = train.std_axis(Axis(0), 0.0).mapv(|s| s.max(1e-6));
    let scale = |x: &Array2<f32>| (x - &mean) / &std;
    (scale(train), others.iter().map(|x| scale(x)).collect())
}

/// The accuracy on `evaluated` of a softmax regression trained on `train` (features of the same
/// images as `labels_train`), features standardised with the training statistics.
pub fn probe<B: Backend>(
    backend: &B,
    (train, labels_train): (&Array2<f32>, &Dataset),
    (evaluated, labels_evaluated): (&Array2<f32>, &Dataset),
    seed: u64,
) -> Result<f64, RunError> {
    let (train, others) = standardise(train, &[evaluated]);
    let as_set = |x: Array2<f32>, labels: &Dataset| Dataset {
        x,
        y: labels.y.clone(),
        classes: labels.classes,
        image_shape: None,
    };
    let train = as_set(train, labels_train);
    let evaluated = as_set(
        others.into_iter().next().expect("one set"),
        labels_evaluated,
    );
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x9b0e);
    let mut linear = Mlp::new_on(
        backend,
        &[train.features(), train.classes],
        Activation::Relu,
        &mut rng,
    )?;
    // `fit` keeps the epoch that does best on the set it is given as validation: here the
    // training features themselves, so that no held-out image tunes the probe.
    fit(
        &mut linear,
        &train,
        &train,
        &PROBE_TRAINING,
        &mut rng,
        &NoProgress,
    )?;
    Ok(evaluate(&mut linear, &evaluated)?.accuracy)
}

// ---------------------------------------------------------------------------------------------
// 4. The run
// ---------------------------------------------------------------------------------------------

/// The probe accuracy the learnt representation must reach on the test split.
pub const TARGET_PROBE_ACCURACY: f64 = 0.90;
/// How much better than the untrained encoder's features it must do.
pub const MARGIN_OVER_RANDOM: f64 = 0.05;

/// The registry entry `contrastive`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ContrastiveModel;

/// The model's settings, read from a validated [`Config`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ContrastiveSettings {
    /// Hidden width H.
    pub hidden: usize,
    /// Representation width F.
    pub features: usize,
    /// Projection width P.
    pub projection: usize,
    /// InfoNCE steps.
    pub iterations: usize,
    /// Images per batch N (2N views).
    pub batch: usize,
    /// Temperature τ.
    pub temperature: f64,
    /// Adam's learning rate.
    pub lr: f64,
    /// Steps between two validation probes.
    pub eval_every: usize,
}

impl ContrastiveSettings {
    /// The settings in `cfg` (declared by [`ContrastiveModel::params`]).
    pub fn from_config(cfg: &Config) -> Self {
        Self {
            hidden: cfg.usize("hidden"),
            features: cfg.usize("features"),
            projection: cfg.usize("projection"),
            iterations: cfg.usize("iterations"),
            batch: cfg.usize("batch"),
            temperature: cfg.float("temperature"),
            lr: cfg.float("lr"),
            eval_every: cfg.usize("eval_every"),
        }
    }
}

impl Implementation for ContrastiveModel {
    fn id(&self) -> &'static str {
        "contrastive"
    }

    fn source_file(&self) -> Option<&'static str> {
        Some(file!())
    }

    fn title(&self) -> &'static str {
        "Apprentissage auto-supervisé (Self-supervised Learning)"
    }

    fn description(&self) -> &'static str {
        "Un encodeur appris sans étiquettes par la perte InfoNCE (SimCLR) sur deux vues \
         augmentées de chaque chiffre manuscrit, puis une sonde linéaire sur la représentation \
         gelée, comparée à la même sonde sur l'encodeur non entraîné et sur les pixels."
    }

    fn concept(&self) -> Option<&'static str> {
        Some("Apprentissage auto-supervisé (Self-supervised Learning)")
    }

    fn params(&self) -> Vec<ParamSpec> {
        vec![
            ParamSpec::int("hidden", "largeur cachée de l'encodeur H", 128, 1, 4096),
            ParamSpec::int("features", "taille de la représentation F", 16, 1, 1024),
            ParamSpec::int("projection", "taille de la projection P", 16, 1, 1024),
            ParamSpec::int(
                "iterations",
                "pas d'InfoNCE (un lot neuf à chaque pas)",
                4000,
                1,
                100_000,
            ),
            ParamSpec::int("batch", "images par lot N (2N vues)", 128, 2, 1024),
            ParamSpec::float("temperature", "température τ", 0.2, 1e-3, 100.0),
            ParamSpec::float("lr", "taux d'apprentissage d'Adam", 1e-3, 1e-6, 1.0),
            ParamSpec::int(
                "eval_every",
                "pas entre deux sondes de validation",
                500,
                1,
                100_000,
            ),
        ]
    }

    crate::on_every_device!();
}

impl RunOnBackend for ContrastiveModel {
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError> {
        let s = ContrastiveSettings::from_config(cfg);
        let Splits {
            train,
            validation,
            test,
        } = digits_splits();
        let side = train.image_shape.map_or(8, |(h, _)| h);
        let sizes = [train.features(), s.hidden, s.features, s.projection];

        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut net = Mlp::new_on(backend, &sizes, Activation::Relu, &mut rng)?;
        let untrained = net.clone();
        let score = |net: &mut Mlp<f32, B>| -> Result<f64, RunError> {
            let (f_train, f_validation) = (
                features(net, train.x.view())?,
                features(net, validation.x.view())?,
            );
            probe(
                backend,
                (&f_train, &train),
                (&f_validation, &validation),
                seed,
            )
        };
        let mut adam = Adam::new(AdamConfig::adam(s.lr));
        let first = score(&mut net)?;
        let (mut best, mut best_iteration, mut best_accuracy) = (net.clone(), 0, first);
        let (mut losses, mut curve) = (Vec::new(), vec![(0.0, first)]);
        progress.start(s.iterations as u64, "entraînement InfoNCE");
        for iteration in 1..=s.iterations {
            let rows: Vec<usize> = (0..s.batch)
                .map(|_| rng.random_range(0..train.len()))
                .collect();
            let x = train.x.select(Axis(0), &rows);
            net.zero_grad()?;
            let loss = info_nce_step(&mut net, x.view(), side, s.temperature, &mut rng)?;
            if !loss.is_finite() {
                return Err(RunError::Failed(format!(
                    "InfoNCE diverged at step {iteration}; lower the learning rate `lr`"
                )));
            }
            adam.step(&mut net)?;
            losses.push(loss);
            if iteration % s.eval_every == 0 || iteration == s.iterations {
                let accuracy = score(&mut net)?;
                curve.push((iteration as f64, accuracy));
                if accuracy > best_accuracy {
                    (best, best_iteration, best_accuracy) = (net.clone(), iteration, accuracy);
                }
            }
            progress.advance(1);
        }
        progress.finish();

        // The test split, once for each representation.
        let measured = |net: &mut Mlp<f32, B>| -> Result<f64, RunError> {
            let (f_train, f_test) = (
                features(net, train.x.view())?,
                features(net, test.x.view())?,
            );
            probe(backend, (&f_train, &train), (&f_test, &test), seed)
        };
        let probe_accuracy = measured(&mut best)?;
        let random_probe_accuracy = measured(&mut untrained.clone())?;
        let raw_probe_accuracy = probe(backend, (&train.x, &train), (&test.x, &test), seed)?;

        let mut report = Report::new(self.id(), backend.device(), seed, cfg);
        report.metric("probe_accuracy", probe_accuracy);
        report.metric("random_probe_accuracy", random_probe_accuracy);
        report.metric("raw_probe_accuracy", raw_probe_accuracy);
        report.metric("validation_probe_accuracy", best_accuracy);
        report.metric("best_iteration", best_iteration as f64);
        report.metric("representation_size", s.features as f64);
        let smoothed: Vec<f64> = losses
            .chunks(s.eval_every.clamp(1, 50))
            .map(|c| c.iter().sum::<f64>() / c.len() as f64)
            .collect();
        let every = s.eval_every.clamp(1, 50);
        report.push_series(Series::line(
            "perte/InfoNCE",
            (0..smoothed.len())
                .map(|i| ((i + 1) * every) as f64)
                .collect(),
            smoothed,
        ));
        report.push_series(Series::line(
            "sonde/validation",
            curve.iter().map(|c| c.0).collect(),
            curve.iter().map(|c| c.1).collect(),
        ));
        report.set_axes(
            "perte",
            Axes::new("pas d'entraînement", "InfoNCE (entraînement)"),
        );
        report.set_axes(
            "sonde",
            Axes::new(
                "pas d'entraînement",
                "exactitude de la sonde linéaire (validation)",
            ),
        );
        let note = format!(
            "split de test ({} chiffres), sonde entraînée sur les {} chiffres d'entraînement ; pas {best_iteration} retenu sur la validation",
            test.len(),
            train.len()
        );
        report.check(
            "sonde linéaire sur la représentation apprise ≥ 0,90",
            probe_accuracy >= TARGET_PROBE_ACCURACY,
            format!("{probe_accuracy:.4} ({note})"),
        );
        report.check(
            "la représentation apprise bat l'encodeur non entraîné d'au moins 0,05",
            probe_accuracy >= random_probe_accuracy + MARGIN_OVER_RANDOM,
            format!(
                "{probe_accuracy:.4} contre {random_probe_accuracy:.4} (mêmes couches, poids initiaux ; pixels bruts : {raw_probe_accuracy:.4})"
            ),
        );
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_moves_the_image_by_at_most_one_pixel() {
        let mut x = Array2::<f32>::zeros((1, 64));
        x[[0, 3 * 8 + 4]] = 1.0;
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..50 {
            let view = augment(x.view(), 8, &mut rng);
            let (at, &top) =
                view.row(0)
                    .iter()
                    .enumerate()
                    .fold(
                        (0, &f32::NEG_INFINITY),
                        |b, (i, v)| if v > b.1 { (i, v) } else { b },
                    );
            if top > 0.6 {
                let (r, c) = (at / 8, at % 8);
                assert!(
                    r.abs_diff(3) <= 1 && c.abs_diff(4) <= 1,
                    "moved to ({r}, {c})"
                );
            }
        }
    }
}
