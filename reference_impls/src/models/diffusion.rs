//! Les modèles de diffusion: DDPM (Ho et al., 2020) on the two moons. Noise is added to the
//! data in T small steps until nothing is left but a Gaussian; a network learns to predict the
//! noise, which lets a sampler walk the steps back from pure noise to data.
//!
//! The file follows the note:
//! 1. **Le processus avant** ([`crate::diffusion::DdpmSchedule`], linear β): `q(x_t | x_0) =
//!    N(√ᾱ_t x_0, (1 − ᾱ_t) I)`; the run checks it against the chain of single steps
//!    `x_t = √(1 − β_t) x_{t−1} + √β_t ε` ([`forward_chain`]).
//! 2. **Le réseau** ([`Denoiser`]): `ε̂ = ε_θ(x_t, t)`, an MLP on `[x_t, e(t)]` where `e(t)` is a
//!    sinusoidal time embedding ([`time_embedding`]); trained on `‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖²`.
//! 3. **L'échantillonnage** ([`Denoiser::sample`]): `x_T ~ N(0, I)`, then
//!    `x_{t−1} = (x_t − β_t/√(1−ᾱ_t) ε̂)/√(1−β_t) + √β_t z`.
//! 4. **L'évaluation** ([`DiffusionModel`], id `diffusion`): the energy distance between samples
//!    and held-out data, against a Gaussian fitted to the data; the checkpoint kept is the one
//!    closest to a validation set, the figure comes from the test set.
//!
//! Legend: N batch, T steps, F time features. Data are standardised (zero mean, unit variance).

use ndarray::{Array1, Array2, Axis, s};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use super::mlp::Mlp;
use crate::backend::{Backend, BackendResult};
use crate::data::moons;
use crate::diffusion::DdpmSchedule;
use crate::implementation::{Implementation, Progress, RunError, RunOnBackend};
use crate::layers::{Activation, Layer};
use crate::optim::{Adam, AdamConfig, Optimizer};
use crate::params::{Config, ParamSpec};
use crate::report::{Axes, Report, Series};

/// Time features F of the embedding.
pub const TIME_FEATURES: usize = 16;

/// `e(t)`: `[sin(t ω_i), cos(t ω_i)]` for F/2 frequencies `ω_i = 1000^(−i/(F/2))`: `[F]`.
pub fn time_embedding(t: usize) -> Array1<f32> {
    let half = TIME_FEATURES / 2;
    let mut e = Array1::zeros(TIME_FEATURES);
    for i in 0..half {
        let w = 1000f64.powf(-(i as f64) / half as f64);
        e[i] = (t as f64 * w).sin() as f32;
        e[half + i] = (t as f64 * w).cos() as f32;
    }
    e
}

/// Standard normal draws: `[n, d]`.
fn gaussian(n: usize, d: usize, rng: &mut impl Rng) -> Array2<f32> {
    Array2::from_shape_simple_fn((n, d), || StandardNormal.sample(rng))
}

/// States of the reverse process `(t, x_t)`, `x_t` `[N, 2]`.
pub type Snapshots = Vec<(usize, Array2<f32>)>;

/// The noise predictor `ε_θ(x_t, t)`.
#[derive(Clone, Debug)]
pub struct Denoiser<B: Backend> {
    /// The MLP on `[x_t, e(t)]` `[N, 2 + F]` → ε̂ `[N, 2]`.
    pub net: Mlp<f32, B>,
}

impl<B: Backend> Denoiser<B> {
    /// ε̂ for `x_t` `[N, 2]` at steps `t` (one per row), on the host.
    pub fn predict(&mut self, x_t: &Array2<f32>, t: &[usize]) -> BackendResult<Array2<f32>> {
        let be = self.net.output.backend().clone();
        let mut input = Array2::<f32>::zeros((x_t.nrows(), 2 + TIME_FEATURES));
        input.slice_mut(s![.., ..2]).assign(x_t);
        for (mut row, &step) in input.outer_iter_mut().zip(t) {
            row.slice_mut(s![2..]).assign(&time_embedding(step));
        }
        let x = be.upload(input.view())?;
        be.download(self.net.forward(&x)?)
    }

    /// One step on a batch `x0`: random t, ε; the loss `mean ‖ε − ε̂‖²`, gradients added.
    pub fn train_step(
        &mut self,
        x0: &Array2<f32>,
        schedule: &DdpmSchedule<f32>,
        rng: &mut impl Rng,
    ) -> Result<f64, RunError> {
        let be = self.net.output.backend().clone();
        let n = x0.nrows();
        let t: Vec<usize> = (0..n)
            .map(|_| rng.random_range(0..schedule.steps()))
            .collect();
        let eps = gaussian(n, 2, rng);
        let x_t = schedule
            .q_sample(x0.view(), eps.view(), &t)
            .map_err(|e| RunError::Failed(e.to_string()))?;
        let diff = self.predict(&x_t, &t)? - &eps; // ε̂ − ε: [N, 2]
        let loss = diff.iter().map(|&d| f64::from(d).powi(2)).sum::<f64>() / diff.len() as f64;
        let grad = diff.mapv(|d| 2.0 * d / (n * 2) as f32);
        self.net.backward(&be.upload(grad.view())?)?;
        Ok(loss)
    }

    /// `n` samples by ancestral sampling; also the states at the steps in `snapshots`.
    pub fn sample(
        &mut self,
        n: usize,
        schedule: &DdpmSchedule<f32>,
        snapshots: &[usize],
        rng: &mut impl Rng,
    ) -> BackendResult<(Array2<f32>, Snapshots)> {
        let mut x = gaussian(n, 2, rng); // x_T
        let mut kept = Vec::new();
        for t in (0..schedule.steps()).rev() {
            if snapshots.contains(&(t + 1)) {
                kept.push((t + 1, x.clone()));
            }
            let eps = self.predict(&x, &vec![t; n])?;
            let (beta, alpha_bar) = (schedule.betas[t], schedule.alphas_cumprod[t]);
            x = (&x - &(eps * (beta / (1.0 - alpha_bar).sqrt()))) / (1.0 - beta).sqrt();
            if t > 0 {
                x = x + gaussian(n, 2, rng) * beta.sqrt();
            }
        }
        if snapshots.contains(&0) {
            kept.push((0, x.clone()));
        }
        Ok((x, kept))
    }
}

/// The energy distance `2 E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖` between the rows of `a` and `b`.
pub fn energy_distance(a: &Array2<f32>, b: &Array2<f32>) -> f64 {
    let mean_dist = |p: &Array2<f32>, q: &Array2<f32>| {
        let mut total = 0.0;
        for x in p.outer_iter() {
            for y in q.outer_iter() {
                let d: f32 = x.iter().zip(y).map(|(u, v)| (u - v) * (u - v)).sum();
                total += f64::from(d).sqrt();
            }
        }
        total / (p.nrows() * q.nrows()).max(1) as f64
    };
    2.0 * mean_dist(a, b) - mean_dist(a, a) - mean_dist(b, b)
}

/// `n` draws of the Gaussian with the mean and covariance of `data` (the baseline).
pub fn fitted_gaussian(data: &Array2<f32>, n: usize, rng: &mut impl Rng) -> Array2<f32> {
    let x = data.mapv(f64::from);
    let mean = x.mean_axis(Axis(0)).expect("data");
    let c = &x - &mean;
    let cov = c.t().dot(&c) / (x.nrows().max(2) - 1) as f64;
    // Cholesky of the 2×2 covariance.
    let l00 = cov[[0, 0]].sqrt();
    let l10 = cov[[1, 0]] / l00;
    let l11 = (cov[[1, 1]] - l10 * l10).max(0.0).sqrt();
    let z = gaussian(n, 2, rng).mapv(f64::from);
    let mut out = Array2::<f32>::zeros((n, 2));
    for (mut row, zr) in out.outer_iter_mut().zip(z.outer_iter()) {
        row[0] = (mean[0] + l00 * zr[0]) as f32;
        row[1] = (mean[1] + l10 * zr[0] + l11 * zr[1]) as f32;
    }
    out
}

/// The forward process run one step at a time from `x0` to step `t` (fresh noise each step),
/// against the closed form: returns the largest `|mean of (x_t − √ᾱ_t x0)|` and the largest
/// `|variance/(1 − ᾱ_t) − 1|` over the two coordinates.
pub fn forward_chain(
    x0: &Array2<f32>,
    schedule: &DdpmSchedule<f32>,
    t: usize,
    rng: &mut impl Rng,
) -> (f64, f64) {
    let mut x = x0.mapv(f64::from);
    for step in 0..=t {
        let beta = f64::from(schedule.betas[step]);
        x = x * (1.0 - beta).sqrt() + gaussian(x0.nrows(), 2, rng).mapv(f64::from) * beta.sqrt();
    }
    let alpha_bar = f64::from(schedule.alphas_cumprod[t]);
    let residual = x - x0.mapv(f64::from) * alpha_bar.sqrt();
    let mean = residual.mean_axis(Axis(0)).expect("rows");
    let var = residual.var_axis(Axis(0), 1.0);
    (
        mean.iter().fold(0.0, |m, v| m.max(v.abs())),
        var.iter()
            .fold(0.0, |m, v| m.max((v / (1.0 - alpha_bar) - 1.0).abs())),
    )
}

/// `(x − mean)/scale`, row by row.
fn standardise(x: &Array2<f32>, mean: &Array1<f32>, scale: &Array1<f32>) -> Array2<f32> {
    (x - mean) / scale
}

/// Training steps between two validation measures.
pub const EVAL_EVERY: usize = 500;
/// Samples and held-out points in each energy distance.
pub const MEASURED: usize = 800;

/// The registry entry `diffusion`.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiffusionModel;

impl Implementation for DiffusionModel {
    fn id(&self) -> &'static str {
        "diffusion"
    }

    fn source_file(&self) -> Option<&'static str> {
        Some(file!())
    }

    fn title(&self) -> &'static str {
        "Modèle de diffusion (DDPM) sur les deux lunes"
    }

    fn description(&self) -> &'static str {
        "DDPM (β linéaire, réseau prédicteur du bruit avec plongement du temps) sur les deux \
         lunes : distance d'énergie entre échantillons et données de test, contre une gaussienne \
         ajustée ; processus avant vérifié contre la forme fermée ; instantanés du processus inverse."
    }

    fn concept(&self) -> Option<&'static str> {
        Some("Modèles de diffusion")
    }

    fn params(&self) -> Vec<ParamSpec> {
        vec![
            ParamSpec::int("steps", "étapes de diffusion T", 100, 2, 5000),
            ParamSpec::int("iterations", "pas d'Adam", 4000, EVAL_EVERY as i64, 200_000),
            ParamSpec::int("hidden", "largeur des couches cachées", 128, 1, 2048),
            ParamSpec::int("batch", "exemples par lot", 256, 1, 8192),
            ParamSpec::float("lr", "taux d'apprentissage d'Adam", 2e-3, 1e-6, 1.0),
        ]
    }

    crate::on_every_device!();
}

impl RunOnBackend for DiffusionModel {
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError> {
        let (steps, iterations, batch) = (
            cfg.usize("steps"),
            cfg.usize("iterations"),
            cfg.usize("batch"),
        );
        let schedule = DdpmSchedule::<f32>::linear(steps, 1e-4, 0.1)
            .map_err(|e| RunError::Failed(e.to_string()))?;
        let raw = moons(6000, 0.05, seed).x;
        let mean = raw.mean_axis(Axis(0)).expect("data");
        let scale = raw.std_axis(Axis(0), 0.0);
        let data = standardise(&raw, &mean, &scale);
        // Shuffle the moons (generated in order), then train / validation / test.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut order: Vec<usize> = (0..data.nrows()).collect();
        rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut rng);
        let data = data.select(Axis(0), &order);
        let (train, rest) = data.view().split_at(Axis(0), 6000 - 2 * MEASURED);
        let (validation, test) = rest.split_at(Axis(0), MEASURED);
        let (train, validation, test) = (train.to_owned(), validation.to_owned(), test.to_owned());

        let mut denoiser = Denoiser {
            net: Mlp::new_on(
                backend,
                &[
                    2 + TIME_FEATURES,
                    cfg.usize("hidden"),
                    cfg.usize("hidden"),
                    2,
                ],
                Activation::Relu,
                &mut rng,
            )?,
        };
        let mut adam = Adam::new(AdamConfig::adam(cfg.float("lr")));
        let mut eval_rng = ChaCha8Rng::seed_from_u64(seed ^ 0xd1ff);
        let mut best: Option<(Denoiser<B>, usize, f64)> = None;
        let (mut curve, mut losses, mut running) = (Vec::new(), Vec::new(), 0.0);
        progress.start(iterations as u64, "entraînement");
        for iteration in 1..=iterations {
            let rows: Vec<usize> = (0..batch)
                .map(|_| rng.random_range(0..train.nrows()))
                .collect();
            let x0 = train.select(Axis(0), &rows);
            denoiser.net.zero_grad()?;
            let loss = denoiser.train_step(&x0, &schedule, &mut rng)?;
            if !loss.is_finite() {
                return Err(RunError::Failed(format!(
                    "training diverged at step {iteration}; lower the learning rate `lr`"
                )));
            }
            adam.step(&mut denoiser.net)?;
            running += loss;
            if iteration % EVAL_EVERY == 0 {
                losses.push(running / EVAL_EVERY as f64);
                running = 0.0;
                let (samples, _) = denoiser.sample(MEASURED, &schedule, &[], &mut eval_rng)?;
                let d = energy_distance(&samples, &validation);
                curve.push(d);
                if best.as_ref().is_none_or(|b| d < b.2) {
                    best = Some((denoiser.clone(), iteration, d));
                }
            }
            progress.advance(1);
        }
        progress.finish();
        let (mut kept, kept_iteration, validation_distance) =
            best.expect("iterations ≥ EVAL_EVERY");

        let mut test_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7e57);
        let snapshots = [steps, steps / 2, steps / 4, 0];
        let (samples, states) = kept.sample(MEASURED, &schedule, &snapshots, &mut test_rng)?;
        let distance = energy_distance(&samples, &test);
        let baseline = energy_distance(&fitted_gaussian(&train, MEASURED, &mut test_rng), &test);
        let (mean_error, var_error) = forward_chain(
            &train.slice(s![..4000.min(train.nrows()), ..]).to_owned(),
            &schedule,
            steps / 2,
            &mut test_rng,
        );

        let mut report = Report::new(self.id(), backend.device(), seed, cfg);
        report.metric("energy_distance", distance);
        report.metric("baseline_energy_distance", baseline);
        report.metric("validation_energy_distance", validation_distance);
        report.metric("kept_iteration", kept_iteration as f64);
        report.metric("forward_mean_error", mean_error);
        report.metric("forward_variance_error", var_error);
        let at: Vec<f64> = (1..=curve.len()).map(|i| (i * EVAL_EVERY) as f64).collect();
        report.push_series(Series::line("distance/validation", at.clone(), curve));
        report.set_axes(
            "distance",
            Axes::new("pas d'entraînement", "distance d'énergie (validation)").log_y(),
        );
        report.push_series(Series::line("perte/entraînement", at, losses));
        report.set_axes(
            "perte",
            Axes::new("pas d'entraînement", "‖ε − ε̂‖² moyen").log_y(),
        );
        let column =
            |x: &Array2<f32>, c: usize| x.column(c).iter().map(|&v| f64::from(v)).collect();
        report.push_series(Series::rings(
            "échantillons/données de test",
            column(&test, 0),
            column(&test, 1),
        ));
        report.push_series(Series::points(
            "échantillons/générés",
            column(&samples, 0),
            column(&samples, 1),
        ));
        report.set_axes(
            "échantillons",
            Axes::new("x₁ (standardisé)", "x₂ (standardisé)"),
        );
        for (t, state) in &states {
            report.push_series(Series::points(
                format!("inverse/t = {t}"),
                column(state, 0),
                column(state, 1),
            ));
        }
        report.set_axes(
            "inverse",
            Axes::new("x₁", "x₂").titled("processus inverse : x_t de t = T à 0"),
        );

        report.check(
            "distance d'énergie ≤ 0,5 × celle d'une gaussienne ajustée (test)",
            distance <= 0.5 * baseline,
            format!(
                "{distance:.4} contre {baseline:.4} ({MEASURED} échantillons contre {MEASURED} points de test) ; pas {kept_iteration} retenu sur la validation"
            ),
        );
        report.check(
            "le processus avant pas à pas suit la forme fermée q(x_t | x_0)",
            mean_error < 0.05 && var_error < 0.1,
            format!(
                "t = {} : |moyenne de x_t − √ᾱ_t x_0| max {mean_error:.4} (< 0,05), |variance/(1 − ᾱ_t) − 1| max {var_error:.4} (< 0,1), 4000 chaînes",
                steps / 2
            ),
        );
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_energy_distance_is_zero_for_one_set_and_grows_with_a_shift() {
        let a = gaussian(300, 2, &mut ChaCha8Rng::seed_from_u64(1));
        assert!(energy_distance(&a, &a).abs() < 1e-9);
        let near = energy_distance(&a, &(&a + 0.1));
        let far = energy_distance(&a, &(&a + 1.0));
        assert!(0.0 < near && near < far, "{near} {far}");
    }

    #[test]
    fn time_embeddings_tell_the_steps_apart() {
        let e: Vec<_> = (0..100).map(time_embedding).collect();
        for t in 1..100 {
            let d: f32 = (&e[t] - &e[t - 1]).mapv(|v| v * v).sum();
            assert!(d > 1e-4, "steps {t} and {} look alike", t - 1);
            assert!(e[t].iter().all(|v| v.abs() <= 1.0));
        }
    }
}
