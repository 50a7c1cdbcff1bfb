//! Les réseaux antagonistes génératifs: a generator `G(z)` learns to turn Gaussian noise into
//! samples of a 2-D mixture of 8 Gaussians on a ring, against a discriminator `D(x)` that learns to
//! tell its samples from real ones (Goodfellow et al., 2014).
//!
//! The file follows the note:
//! 1. **Les données** ([`ring_of_gaussians`]): 8 modes evenly spaced on a circle of radius
//!    [`RADIUS`], each a Gaussian of standard deviation [`SIGMA`].
//! 2. **Le jeu** ([`Gan`]): D and G are MLPs; D minimises `L_D = BCE(D(x), 1) + BCE(D(G(z)), 0)`,
//!    G the non-saturating `L_G = BCE(D(G(z)), 1)` ([`crate::gan`]), one Adam step each, in turn.
//!    G's gradient comes back through D: `∂L_G/∂θ_G = ∂L_G/∂x̃ · ∂x̃/∂θ_G`, x̃ = G(z).
//! 3. **L'évaluation** ([`GanModel`], id `gan`): of 2,000 generated samples, the fraction within
//!    3σ of a mode (`high_quality_fraction`) and the number of modes that received at least
//!    [`MODE_SHARE`] of the samples (`modes_covered`); the checkpoint kept is the one with the
//!    most modes (then quality) on a validation draw, the figures come from a fresh test draw.
//!
//! Legend: N batch, k noise size.

use ndarray::{Array2, Axis, concatenate, s};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::mlp::Mlp;
use crate::backend::{Backend, BackendResult};
use crate::gan::{discriminator_loss, generator_loss_nonsaturating};
use crate::implementation::{Implementation, Progress, RunError, RunOnBackend};
use crate::layers::{Activation, Layer};
use crate::optim::{Adam, AdamConfig, Optimizer};
use crate::params::{Config, ParamSpec};
use crate::report::{Axes, Report, Series};

// ---------------------------------------------------------------------------------------------
// 1. The data
// ---------------------------------------------------------------------------------------------

/// Radius of the ring the modes sit on.
pub const RADIUS: f64 = 2.0;
/// Standard deviation of each mode.
pub const SIGMA: f64 = 0.05;
/// Number of modes.
pub const MODES: usize = 8;

/// Centre of mode `m`.
pub fn mode_centre(m: usize) -> (f64, f64) {
    let angle = 2.0 * std::f64::consts::PI * m as f64 / MODES as f64;
    (RADIUS * angle.cos(), RADIUS * angle.sin())
}

/// `n` samples of the mixture: `[n, 2]`.
pub fn ring_of_gaussians(n: usize, rng: &mut impl Rng) -> Array2<f32> {
    let mut x = Array2::<f32>::zeros((n, 2));
    for mut row in x.outer_iter_mut() {
        let (cx, cy) = mode_centre(rng.random_range(0..MODES));
        let (ex, ey): (f64, f64) = (StandardNormal.sample(rng), StandardNormal.sample(rng));
        row[0] = (cx + SIGMA * ex) as f32;
        row[1] = (cy + SIGMA * ey) as f32;
    }
    x
}

/// Noise `z ~ N(0, I)`: `[n, k]`.
fn noise(n: usize, k: usize, rng: &mut impl Rng) -> Array2<f32> {
    Array2::from_shape_simple_fn((n, k), || StandardNormal.sample(rng))
}

// ---------------------------------------------------------------------------------------------
// 2. The game
// ---------------------------------------------------------------------------------------------

/// A generator and a discriminator.
#[derive(Clone, Debug)]
pub struct Gan<B: Backend> {
    /// G: noise `[N, k]` → samples `[N, 2]`.
    pub generator: Mlp<f32, B>,
    /// D: samples `[N, 2]` → logits `[N, 1]`.
    pub discriminator: Mlp<f32, B>,
}

/// The losses of one round.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Round {
    /// L_D.
    pub discriminator: f64,
    /// L_G.
    pub generator: f64,
}

impl<B: Backend> Gan<B> {
    /// G `[k, H, H, 2]` and D `[2, H, H, 1]`, ReLU, PyTorch's initialisation.
    pub fn new_on(
        backend: &B,
        noise: usize,
        hidden: usize,
        rng: &mut impl Rng,
    ) -> BackendResult<Self> {
        Ok(Self {
            generator: Mlp::new_on(backend, &[noise, hidden, hidden, 2], Activation::Relu, rng)?,
            discriminator: Mlp::new_on(backend, &[2, hidden, hidden, 1], Activation::Relu, rng)?,
        })
    }

    /// The noise size k.
    pub fn noise_size(&self) -> usize {
        self.generator
            .linears()
            .next()
            .map_or(0, |l| l.in_features())
    }

    /// `n` samples `G(z)` on the host.
    pub fn generate(&mut self, n: usize, rng: &mut impl Rng) -> BackendResult<Array2<f32>> {
        let be = self.generator.output.backend().clone();
        let z = be.upload(noise(n, self.noise_size(), rng).view())?;
        be.download(self.generator.forward(&z)?)
    }

    /// One round: a step of D on `real` and as many generated samples, then a step of G.
    pub fn round(
        &mut self,
        real: &Array2<f32>,
        (d_opt, g_opt): (&mut Adam<f32, B>, &mut Adam<f32, B>),
        rng: &mut impl Rng,
    ) -> BackendResult<Round> {
        let be = self.generator.output.backend().clone();
        let n = real.nrows();
        // D: real and fake (G's output, detached) in one batch.
        let fake = self.generate(n, rng)?;
        let both = be.upload(
            concatenate(Axis(0), &[real.view(), fake.view()])
                .expect("same width")
                .view(),
        )?;
        let logits = be.download(self.discriminator.forward(&both)?)?; // [2N, 1]
        let d_loss = discriminator_loss(logits.slice(s![..n, ..]), logits.slice(s![n.., ..]));
        let grad = concatenate(
            Axis(0),
            &[
                d_loss.grad_real_logits.view(),
                d_loss.grad_fake_logits.view(),
            ],
        )
        .expect("same width");
        self.discriminator.zero_grad()?;
        self.discriminator.backward(&be.upload(grad.view())?)?;
        d_opt.step(&mut self.discriminator)?;

        // G: x̃ = G(z), L_G through D, back into G.
        let z = be.upload(noise(n, self.noise_size(), rng).view())?;
        let x_fake = self.generator.forward(&z)?; // x̃ = G(z): [N, 2]
        let logits = be.download(self.discriminator.forward(x_fake)?)?; // D(x̃): [N, 1]
        let g_loss = generator_loss_nonsaturating(logits.view());
        let d_x = self
            .discriminator
            .backward_to_input(&be.upload(g_loss.grad.view())?)?; // ∂L_G/∂x̃: [N, 2]
        let d_x = be.download(d_x)?;
        self.generator.zero_grad()?;
        self.generator.backward(&be.upload(d_x.view())?)?;
        g_opt.step(&mut self.generator)?;
        Ok(Round {
            discriminator: f64::from(d_loss.loss),
            generator: f64::from(g_loss.loss),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Measures and the run
// ---------------------------------------------------------------------------------------------

/// A mode counts as covered when it receives at least this share of the samples (a uniform
/// cover gives each 1/8 = 12.5 %).
pub const MODE_SHARE: f64 = 0.02;
/// Samples drawn to measure quality and coverage.
pub const MEASURED: usize = 2000;

/// Coverage and quality of samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coverage {
    /// Modes that received at least [`MODE_SHARE`] of the high-quality samples.
    pub modes: usize,
    /// Fraction of samples within 3σ of a mode.
    pub high_quality: f64,
}

/// The coverage of `samples` `[n, 2]`.
pub fn coverage(samples: &Array2<f32>) -> Coverage {
    let mut counts = [0usize; MODES];
    for row in samples.outer_iter() {
        let (x, y) = (f64::from(row[0]), f64::from(row[1]));
        let nearest = (0..MODES)
            .map(|m| {
                let (cx, cy) = mode_centre(m);
                (m, ((x - cx).powi(2) + (y - cy).powi(2)).sqrt())
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("eight modes");
        if nearest.1 <= 3.0 * SIGMA {
            counts[nearest.0] += 1;
        }
    }
    let n = samples.nrows().max(1) as f64;
    Coverage {
        modes: counts
            .iter()
            .filter(|&&c| c as f64 >= MODE_SHARE * n)
            .count(),
        high_quality: counts.iter().sum::<usize>() as f64 / n,
    }
}

/// Rounds between two validation measures.
pub const EVAL_EVERY: usize = 250;

/// The registry entry `gan`.
#[derive(Clone, Copy, Debug, Default)]
pub struct GanModel;

impl Implementation for GanModel {
    fn id(&self) -> &'static str {
        "gan"
    }

    fn source_file(&self) -> Option<&'static str> {
        Some(file!())
    }

    fn title(&self) -> &'static str {
        "Réseau antagoniste génératif sur 8 gaussiennes"
    }

    fn description(&self) -> &'static str {
        "Générateur et discriminateur MLP entraînés l'un contre l'autre sur un mélange de 8 \
         gaussiennes en anneau : modes couverts, fraction d'échantillons de qualité (à 3σ d'un \
         mode), pertes des deux joueurs, nuage des échantillons réels et générés."
    }

    fn concept(&self) -> Option<&'static str> {
        Some("Réseaux antagonistes génératifs (GANs)")
    }

    fn params(&self) -> Vec<ParamSpec> {
        vec![
            ParamSpec::int(
                "rounds",
                "tours (un pas de D puis un pas de G)",
                4000,
                EVAL_EVERY as i64,
                200_000,
            ),
            ParamSpec::int(
                "hidden",
                "largeur des couches cachées de G et D",
                // 128 lost modes at some seeds (5 of 8 at seed 3); 256 covered ≥ 7 at seeds 1–6.
                256,
                1,
                2048,
            ),
            ParamSpec::int("noise", "taille k du bruit z", 2, 1, 256),
            ParamSpec::int("batch", "échantillons par tour", 128, 1, 4096),
            ParamSpec::float(
                "lr",
                "taux d'apprentissage d'Adam (β₁ = 0,5)",
                1e-3,
                1e-6,
                1.0,
            ),
        ]
    }

    crate::on_every_device!();
}

impl RunOnBackend for GanModel {
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError> {
        let (rounds, batch) = (cfg.usize("rounds"), cfg.usize("batch"));
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut gan = Gan::new_on(backend, cfg.usize("noise"), cfg.usize("hidden"), &mut rng)?;
        let adam = AdamConfig {
            beta1: 0.5,
            ..AdamConfig::adam(cfg.float("lr"))
        };
        let (mut d_opt, mut g_opt) = (Adam::new(adam), Adam::new(adam));
        let mut eval_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6a4);
        let mut best: Option<(Gan<B>, usize, Coverage)> = None;
        let (mut d_curve, mut g_curve) = (Vec::new(), Vec::new());
        let (mut d_sum, mut g_sum) = (0.0, 0.0);
        progress.start(rounds as u64, "entraînement");
        for round in 1..=rounds {
            let real = ring_of_gaussians(batch, &mut rng);
            let losses = gan.round(&real, (&mut d_opt, &mut g_opt), &mut rng)?;
            if !(losses.discriminator.is_finite() && losses.generator.is_finite()) {
                return Err(RunError::Failed(format!(
                    "training diverged at round {round}; lower the learning rate `lr`"
                )));
            }
            d_sum += losses.discriminator;
            g_sum += losses.generator;
            if round % EVAL_EVERY == 0 {
                d_curve.push(d_sum / EVAL_EVERY as f64);
                g_curve.push(g_sum / EVAL_EVERY as f64);
                (d_sum, g_sum) = (0.0, 0.0);
                let c = coverage(&gan.generate(MEASURED, &mut eval_rng)?);
                let better = best
                    .as_ref()
                    .is_none_or(|(_, _, b)| (c.modes, c.high_quality) > (b.modes, b.high_quality));
                if better {
                    best = Some((gan.clone(), round, c));
                }
            }
            progress.advance(1);
        }
        progress.finish();
        let (mut kept, kept_round, validation) = best.expect("rounds ≥ EVAL_EVERY");

        let mut test_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7e57);
        let samples = kept.generate(MEASURED, &mut test_rng)?;
        let test = coverage(&samples);
        let real = ring_of_gaussians(MEASURED, &mut test_rng);
        let mut report = Report::new(self.id(), backend.device(), seed, cfg);
        report.metric("modes_covered", test.modes as f64);
        report.metric("high_quality_fraction", test.high_quality);
        report.metric("real_high_quality_fraction", coverage(&real).high_quality);
        report.metric("validation_modes_covered", validation.modes as f64);
        report.metric("kept_round", kept_round as f64);
        let at: Vec<f64> = (1..=d_curve.len())
            .map(|i| (i * EVAL_EVERY) as f64)
            .collect();
        report.push_series(Series::line("pertes/discriminateur", at.clone(), d_curve));
        report.push_series(Series::line("pertes/générateur", at, g_curve));
        report.set_axes(
            "pertes",
            Axes::new("tour", "entropie croisée binaire moyenne"),
        );
        let column =
            |x: &Array2<f32>, c: usize| x.column(c).iter().map(|&v| f64::from(v)).collect();
        report.push_series(Series::rings(
            "échantillons/réels",
            column(&real, 0),
            column(&real, 1),
        ));
        report.push_series(Series::points(
            "échantillons/générés",
            column(&samples, 0),
            column(&samples, 1),
        ));
        report.set_axes("échantillons", Axes::new("x₁", "x₂"));
        report.check(
            "au moins 6 des 8 modes couverts",
            test.modes >= 6,
            format!(
                "{} modes (≥ {:.0} % des {MEASURED} échantillons de test à 3σ chacun), {:.1} % d'échantillons à 3σ d'un mode ; tour {kept_round} retenu sur la validation",
                test.modes,
                MODE_SHARE * 100.0,
                test.high_quality * 100.0
            ),
        );
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_samples_cover_every_mode_with_high_quality() {
        let real = ring_of_gaussians(4000, &mut ChaCha8Rng::seed_from_u64(1));
        let c = coverage(&real);
        assert_eq!(c.modes, 8);
        assert!(c.high_quality > 0.98, "{}", c.high_quality); // 3σ in 2-D holds 98.9 %
        let collapsed = Array2::from_shape_fn((100, 2), |(_, j)| if j == 0 { 2.0 } else { 0.0 });
        assert_eq!(coverage(&collapsed).modes, 1);
    }
}
