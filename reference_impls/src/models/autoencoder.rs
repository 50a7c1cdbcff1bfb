//! Les auto-encodeurs: an encoder `z = f(x)` squeezes each 8×8 digit into a code of a few
//! numbers, a decoder `x̂ = g(z)` rebuilds the image from it, both trained to minimise the
//! reconstruction error `‖x − g(f(x))‖²`; against PCA, the best *linear* code of the same size.
//!
//! The file follows the note:
//! 1. **Le modèle** ([`Autoencoder`]): encoder and decoder are MLPs (ReLU hidden layers, linear
//!    code and linear output), trained by backpropagation through both on the mean squared error.
//! 2. **La référence linéaire** ([`Pca`]): the top-k eigenvectors of the training covariance
//!    (Jacobi's method on the 64×64 matrix); `x̂ = μ + (x − μ) V Vᵀ` is the best rank-k linear
//!    reconstruction, so a non-linear code must beat it to be worth its cost.
//! 3. **L'évaluation** ([`AutoencoderModel`], id `autoencoder`): the number of epochs is chosen
//!    on a validation split carved from the training data; both models are measured once on the
//!    test split. The 2-D codes drawn coloured by digit, reconstructions shown beside the
//!    originals.
//!
//! Legend: N batch, D = 64 pixels, k code size, H hidden width.

use ndarray::{Array1, Array2, ArrayView2, Axis, Ix2, s};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::mlp::Mlp;
use super::train::digits_splits;
use crate::backend::{Backend, BackendResult, Shaped, reuse_on};
use crate::data::{Dataset, Splits};
use crate::implementation::{Implementation, Progress, RunError, RunOnBackend};
use crate::layers::{Activation, Layer, Param};
use crate::optim::{Adam, AdamConfig, Optimizer};
use crate::params::{Config, ParamSpec};
use crate::report::{Axes, Image, Report, Series};

// ---------------------------------------------------------------------------------------------
// 1. The autoencoder
// ---------------------------------------------------------------------------------------------

/// `x̂ = g(f(x))`: an encoder MLP to a code of k numbers, a decoder MLP back to the pixels.
#[derive(Clone, Debug)]
pub struct Autoencoder<B: Backend> {
    /// f: `[N, D]` → codes `[N, k]`.
    pub encoder: Mlp<f32, B>,
    /// g: codes `[N, k]` → reconstructions `[N, D]`.
    pub decoder: Mlp<f32, B>,
    /// The codes of the latest forward: `[N, k]`
    codes: B::Tensor<f32, Ix2>,
    /// dL/dx̂ of the latest loss: `[N, D]`
    grad_output: B::Tensor<f32, Ix2>,
}

impl<B: Backend> Autoencoder<B> {
    /// Encoder `[D, H, k]` and decoder `[k, H, D]`, ReLU between layers, PyTorch's
    /// initialisation from `rng`.
    pub fn new_on(
        backend: &B,
        pixels: usize,
        hidden: usize,
        code: usize,
        rng: &mut impl rand::Rng,
    ) -> BackendResult<Self> {
        Ok(Self {
            encoder: Mlp::new_on(backend, &[pixels, hidden, code], Activation::Relu, rng)?,
            decoder: Mlp::new_on(backend, &[code, hidden, pixels], Activation::Relu, rng)?,
            codes: backend.zeros(Ix2(0, 0))?,
            grad_output: backend.zeros(Ix2(0, 0))?,
        })
    }

    /// The codes `z = f(x)` `[N, k]` of `x` `[N, D]` and the reconstructions `x̂ = g(z)`
    /// `[N, D]`, on the host.
    pub fn forward(&mut self, x: ArrayView2<'_, f32>) -> BackendResult<(Array2<f32>, Array2<f32>)> {
        let be = self.decoder.output.backend().clone();
        let x = be.upload(x)?;
        let z = self.encoder.forward(&x)?; // z = f(x): [N, k]
        let dim = Ix2(z.shape()[0], z.shape()[1]);
        let codes = reuse_on(&be, &mut self.codes, dim)?;
        be.axpby(1.0, z, 0.0, codes)?;
        let x_hat = self.decoder.forward(&self.codes)?; // x̂ = g(z): [N, D]
        Ok((be.download(&self.codes)?, be.download(x_hat)?))
    }

    /// The mean squared error `mean((x̂ − x)²)` of `x` and, backpropagated through the decoder
    /// and the encoder, every parameter gradient. Returns the loss.
    pub fn train_step(&mut self, x: ArrayView2<'_, f32>) -> BackendResult<f64> {
        let be = self.decoder.output.backend().clone();
        let (_, x_hat) = self.forward(x)?;
        let diff = &x_hat - &x; // [N, D]
        let loss = mean_square(&diff);
        let grad = diff.mapv(|d| 2.0 * d / diff.len().max(1) as f32); // dL/dx̂
        let grad_output = reuse_on(&be, &mut self.grad_output, grad.raw_dim())?;
        be.write(grad.view(), grad_output)?;
        let grad_codes = self.decoder.backward_to_input(&self.grad_output)?; // dL/dz: [N, k]
        self.encoder.backward(grad_codes)?;
        Ok(loss)
    }

    /// The mean squared reconstruction error of `x` (forward only).
    pub fn mse(&mut self, x: ArrayView2<'_, f32>) -> BackendResult<f64> {
        let (_, x_hat) = self.forward(x)?;
        Ok(mean_square(&(&x_hat - &x)))
    }
}

impl<B: Backend> Layer<f32, B> for Autoencoder<B> {
    fn backend(&self) -> &B {
        self.decoder.output.backend()
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, f32, B>)) {
        self.encoder
            .params_mut(&mut |p| visit(p.prefixed("encoder")));
        self.decoder
            .params_mut(&mut |p| visit(p.prefixed("decoder")));
    }

    fn num_params(&self) -> usize {
        self.encoder.num_params() + self.decoder.num_params()
    }
}

/// The mean of the squares of `diff`.
fn mean_square(diff: &Array2<f32>) -> f64 {
    diff.iter().map(|&d| f64::from(d).powi(2)).sum::<f64>() / diff.len().max(1) as f64
}

// ---------------------------------------------------------------------------------------------
// 2. The linear reference: PCA
// ---------------------------------------------------------------------------------------------

/// The principal components of a training set.
#[derive(Clone, Debug, PartialEq)]
pub struct Pca {
    /// The training mean μ: `[D]`
    pub mean: Array1<f64>,
    /// The top-k eigenvectors of the covariance, as columns: `[D, k]`
    pub components: Array2<f64>,
    /// Their eigenvalues, largest first: `[k]`
    pub variances: Array1<f64>,
}

impl Pca {
    /// The `k` leading components of the rows of `x` `[N, D]`.
    pub fn fit(x: ArrayView2<'_, f32>, k: usize) -> Self {
        let x = x.mapv(f64::from);
        let mean = x.mean_axis(Axis(0)).expect("at least one row");
        let centred = &x - &mean;
        let cov = centred.t().dot(&centred) / (x.nrows().max(2) - 1) as f64; // [D, D]
        let (values, vectors) = symmetric_eigen(cov);
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        let top = &order[..k.min(order.len())];
        Self {
            mean,
            components: vectors.select(Axis(1), top),
            variances: top.iter().map(|&i| values[i]).collect(),
        }
    }

    /// `x̂ = μ + (x − μ) V Vᵀ` for the rows of `x`.
    pub fn reconstruct(&self, x: ArrayView2<'_, f32>) -> Array2<f64> {
        let centred = &x.mapv(f64::from) - &self.mean;
        centred.dot(&self.components).dot(&self.components.t()) + &self.mean
    }

    /// The mean squared reconstruction error of the rows of `x`.
    pub fn mse(&self, x: ArrayView2<'_, f32>) -> f64 {
        let x_hat = self.reconstruct(x);
        let n = x_hat.len().max(1) as f64;
        (&x_hat - &x.mapv(f64::from)).mapv(|d| d * d).sum() / n
    }
}

/// Eigenvalues and eigenvectors (columns) of the symmetric matrix `a`, by cyclic Jacobi
/// rotations until the off-diagonal mass is below 1e-12 of the total.
pub fn symmetric_eigen(mut a: Array2<f64>) -> (Array1<f64>, Array2<f64>) {
    let n = a.nrows();
    let mut v = Array2::<f64>::eye(n);
    let total: f64 = a.iter().map(|x| x * x).sum();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[[i, j]].powi(2))
            .sum();
        if off <= 1e-24 * total.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[[p, q]].abs() < 1e-300 {
                    continue;
                }
                // The rotation that zeroes a[p, q]: tan 2θ = 2 a_pq / (a_qq − a_pp).
                let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * a[[p, q]]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[[k, p]], a[[k, q]]);
                    a[[k, p]] = c * akp - s * akq;
                    a[[k, q]] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[[p, k]], a[[q, k]]);
                    a[[p, k]] = c * apk - s * aqk;
                    a[[q, k]] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[[k, p]], v[[k, q]]);
                    v[[k, p]] = c * vkp - s * vkq;
                    v[[k, q]] = s * vkp + c * vkq;
                }
            }
        }
    }
    (a.diag().to_owned(), v)
}

// ---------------------------------------------------------------------------------------------
// 3. The run
// ---------------------------------------------------------------------------------------------

/// Test digits whose reconstructions are shown.
const SHOWN: usize = 10;

/// The registry entry `autoencoder`.
#[derive(Clone, Copy, Debug, Default)]
pub struct AutoencoderModel;

impl Implementation for AutoencoderModel {
    fn id(&self) -> &'static str {
        "autoencoder"
    }

    fn source_file(&self) -> Option<&'static str> {
        Some(file!())
    }

    fn title(&self) -> &'static str {
        "Auto-encodeur contre ACP"
    }

    fn description(&self) -> &'static str {
        "Auto-encodeur (encodeur et décodeur MLP) entraîné à reconstruire les chiffres manuscrits \
         8×8 à travers un code de k nombres, comparé à l'ACP de même taille de code : erreur de \
         reconstruction sur le test, codes 2-D colorés par chiffre, reconstructions."
    }

    fn concept(&self) -> Option<&'static str> {
        Some("Auto-encodeurs")
    }

    fn params(&self) -> Vec<ParamSpec> {
        vec![
            ParamSpec::int("code", "taille k du code (2 : codes dessinés)", 2, 1, 64),
            ParamSpec::int("hidden", "largeur H des couches cachées", 128, 1, 2048),
            ParamSpec::int(
                "epochs",
                "passes au plus sur le jeu d'entraînement",
                150,
                1,
                5000,
            ),
            ParamSpec::int("batch", "exemples par mini-lot", 64, 1, 4096),
            ParamSpec::float("lr", "taux d'apprentissage d'Adam", 2e-3, 1e-6, 1.0),
        ]
    }

    crate::on_every_device!();
}

impl RunOnBackend for AutoencoderModel {
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError> {
        let (code, epochs, batch) = (cfg.usize("code"), cfg.usize("epochs"), cfg.usize("batch"));
        let Splits {
            train,
            validation,
            test,
        } = digits_splits();

        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let pixels = train.features();
        let mut net = Autoencoder::new_on(backend, pixels, cfg.usize("hidden"), code, &mut rng)?;
        let mut adam = Adam::new(AdamConfig::adam(cfg.float("lr")));
        let first = net.mse(validation.x.view())?;
        let (mut best, mut best_epoch, mut best_mse) = (net.clone(), 0, first);
        let (mut train_curve, mut validation_curve) = (Vec::new(), vec![first]);
        let mut order: Vec<usize> = (0..train.len()).collect();
        progress.start(epochs as u64, "entraînement");
        for epoch in 1..=epochs {
            order.shuffle(&mut rng);
            let mut total = 0.0;
            for rows in order.chunks(batch) {
                let xb = train.x.select(Axis(0), rows);
                net.zero_grad()?;
                total += net.train_step(xb.view())? * rows.len() as f64;
                adam.step(&mut net)?;
            }
            let mean = total / train.len().max(1) as f64;
            if !mean.is_finite() {
                return Err(RunError::Failed(format!(
                    "training diverged at epoch {epoch}; lower the learning rate `lr`"
                )));
            }
            train_curve.push(mean);
            let mse = net.mse(validation.x.view())?;
            validation_curve.push(mse);
            if mse < best_mse {
                (best, best_epoch, best_mse) = (net.clone(), epoch, mse);
            }
            progress.advance(1);
        }
        progress.finish();

        // Both models see the test split once.
        let ae_mse = best.mse(test.x.view())?;
        let pca = Pca::fit(train.x.view(), code);
        let pca_mse = pca.mse(test.x.view());
        let mut report = Report::new(self.id(), backend.device(), seed, cfg);
        report.metric("ae_mse", ae_mse);
        report.metric("pca_mse", pca_mse);
        report.metric("validation_mse", best_mse);
        report.metric("best_epoch", best_epoch as f64);
        report.metric(
            "mean_image_mse",
            Pca::fit(train.x.view(), 0).mse(test.x.view()),
        );
        report.metric("pca_captured_variance", pca.variances.sum());
        report.metric("parameters", best.num_params() as f64);
        report.push_series(Series::line(
            "mse/entraînement",
            (1..=train_curve.len()).map(|e| e as f64).collect(),
            train_curve,
        ));
        report.push_series(Series::steps("mse/validation", validation_curve));
        report.set_axes(
            "mse",
            Axes::new("époque", "erreur quadratique moyenne par pixel").log_y(),
        );
        let (codes, x_hat) = best.forward(test.x.view())?;
        if code == 2 {
            push_codes(&mut report, &codes, &test);
        }
        push_reconstructions(&mut report, &test, &x_hat, &pca.reconstruct(test.x.view()));

        report.check(
            "l'auto-encodeur reconstruit mieux que l'ACP de même taille (test)",
            ae_mse <= pca_mse,
            format!(
                "{ae_mse:.5} contre {pca_mse:.5} par pixel, code de {code} nombres, {} chiffres de test ; époque {best_epoch} retenue sur la validation",
                test.len()
            ),
        );
        Ok(report)
    }
}

/// The test codes as a scatter, one series per digit (`codes/<digit>`).
fn push_codes(report: &mut Report, codes: &Array2<f32>, test: &Dataset) {
    for digit in 0..test.classes {
        let rows: Vec<usize> = (0..test.len()).filter(|&i| test.y[i] == digit).collect();
        let pick = |col: usize| rows.iter().map(|&i| f64::from(codes[[i, col]])).collect();
        report.push_series(Series::points(format!("codes/{digit}"), pick(0), pick(1)));
    }
    report.set_axes(
        "codes",
        Axes::new("z₁", "z₂").titled("codes des chiffres de test"),
    );
}

/// The first [`SHOWN`] test digits, their autoencoder and PCA reconstructions, as images.
fn push_reconstructions(report: &mut Report, test: &Dataset, ae: &Array2<f32>, pca: &Array2<f64>) {
    let (height, width) = test.image_shape.unwrap_or((1, test.features()));
    let image = |name: String, pixels: Vec<f64>| Image {
        name,
        height,
        width,
        pixels,
    };
    for i in 0..SHOWN.min(test.len()) {
        let original = test
            .x
            .slice(s![i, ..])
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        let rebuilt = ae.slice(s![i, ..]).iter().map(|&v| f64::from(v)).collect();
        report
            .images
            .push(image(format!("originaux/{}", i + 1), original));
        report
            .images
            .push(image(format!("auto-encodeur/{}", i + 1), rebuilt));
        report
            .images
            .push(image(format!("acp/{}", i + 1), pca.row(i).to_vec()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn jacobi_finds_the_eigen_pairs_of_a_symmetric_matrix() {
        let a = array![[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 1.0]];
        let (values, vectors) = symmetric_eigen(a.clone());
        for k in 0..3 {
            let v = vectors.column(k);
            let residual = &a.dot(&v) - &(&v * values[k]);
            assert!(residual.iter().all(|r| r.abs() < 1e-10), "{residual}");
        }
        let trace: f64 = values.sum();
        assert!((trace - 8.0).abs() < 1e-10);
    }

    #[test]
    fn pca_with_every_component_reconstructs_exactly() {
        let x = array![
            [1.0_f32, 2.0, 0.0],
            [0.0, 1.0, 1.0],
            [2.0, 0.0, 1.0],
            [1.0, 1.0, 3.0]
        ];
        assert!(Pca::fit(x.view(), 3).mse(x.view()) < 1e-10);
        let one = Pca::fit(x.view(), 1).mse(x.view());
        let zero = Pca::fit(x.view(), 0).mse(x.view());
        assert!(0.0 < one && one < zero, "{one} {zero}");
    }
}
