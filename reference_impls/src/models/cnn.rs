//! Réseaux de neurones convolutifs (CNN): a small LeNet-style network on the handwritten digits,
//! on the same split as the multilayer perceptron, which it must beat.
//!
//! The file follows the note:
//! 1. **L'architecture** ([`LeNet`]): each 8×8 image goes through
//!    `conv 3×3 → ReLU → max-pool 2×2 → conv 3×3 → ReLU → max-pool 2×2 → linéaire`. A convolution
//!    shares one small filter across every position of the image (PyTorch's cross-correlation,
//!    zero padding 1 so the map keeps its size); pooling halves each side.
//! 2. **Les cartes de caractéristiques**: their shapes, layer by layer, by
//!    `⌊(H + 2p − k)/s⌋ + 1`; weight sharing makes the first map equivariant to translation,
//!    checked on the learned filters ([`translation_error`]).
//! 3. **L'entraînement**: the same mini-batch loop as the MLP ([`train::fit`], epoch chosen on
//!    the validation split), then the test accuracy measured once, the loss curve, the confusion matrix and the learned first-layer filters.
//! 4. **Les preuves**: accuracy ≥ 0.98, above the MLP trained on the same split with its default
//!    settings, and a finite-difference check of the whole conv stack's backward in f64.
//!
//! Legend: N batch, C channels, H×W image (8×8 for the digits), F filters of a convolution,
//! K classes (10).

use ndarray::{Array4, Ix2, Ix4};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::mlp::{self, MlpSettings};
use super::train::{self, Classifier, Evaluation, History, Training};
use crate::backend::{Backend, BackendResult, Cpu, Shaped, reshape_on};
use crate::data::{Dataset, Splits};
use crate::gradcheck::GradCheckError;
use crate::implementation::{Implementation, Progress, RunError, RunOnBackend};
use crate::layers::conv::Conv2d;
use crate::layers::pool::{Pool2d, PoolKind};
use crate::layers::{Activation, ActivationLayer, Layer, LayerError, Linear, Param};
use crate::params::{Config, ParamSpec};
use crate::report::{Image, Matrix, Report};
use crate::scalar::Scalar;

/// Side of the convolution kernels.
const KERNEL: usize = 3;
/// Zero padding of the convolutions: a 3×3 kernel with padding 1 keeps the map's size.
const PADDING: usize = 1;
/// Side and stride of the pooling windows.
const POOL: usize = 2;

// ---------------------------------------------------------------------------------------------
// 1. The architecture
// ---------------------------------------------------------------------------------------------

/// `conv → ReLU → pool → conv → ReLU → pool → linear` over one-channel images, on backend `B`.
#[derive(Clone, Debug)]
pub struct LeNet<T: Scalar, B: Backend = Cpu> {
    /// Where the tensors live (the flatten and unflatten between the stages run there).
    backend: B,
    /// First convolution, 1 → F₁ channels: weight `[F₁, 1, 3, 3]` (the learned filters).
    pub conv1: Conv2d<T, B>,
    relu1: ActivationLayer<T, Ix4, B>,
    pool1: Pool2d<T, B>,
    /// Second convolution, F₁ → F₂ channels: weight `[F₂, F₁, 3, 3]`.
    pub conv2: Conv2d<T, B>,
    relu2: ActivationLayer<T, Ix4, B>,
    pool2: Pool2d<T, B>,
    /// Classifier on the flattened maps: weight `[K, F₂·H₂·W₂]`.
    pub fc: Linear<T, B>,
    /// H×W of the input images.
    image: (usize, usize),
    /// The input rows seen as images: [N, 1, H, W]
    images: B::Tensor<T, Ix4>,
    /// The last pooled maps flattened: [N, F₂·H₂·W₂]
    flat: B::Tensor<T, Ix2>,
    /// Shape of the last pooled maps, [N, F₂, H₂, W₂], to unflatten the gradient.
    pooled: Ix4,
    /// dL/d(last pooled maps), unflattened: [N, F₂, H₂, W₂]
    grad_pooled: B::Tensor<T, Ix4>,
}

/// The shape of one image's features after a stage of a [`LeNet`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// `entrée`, `conv1`, `pool1`, `conv2`, `pool2`, `aplati`.
    pub name: &'static str,
    /// `[C, H, W]` for feature maps, `[n]` once flattened.
    pub shape: Vec<usize>,
}

impl Stage {
    fn new(name: &'static str, shape: &[usize]) -> Self {
        Self {
            name,
            shape: shape.to_vec(),
        }
    }

    /// `conv1 16×8×8`.
    fn describe(&self) -> String {
        let dims: Vec<String> = self.shape.iter().map(usize::to_string).collect();
        format!("{} {}", self.name, dims.join("×"))
    }
}

impl<T: Scalar> LeNet<T> {
    /// A CPU network for `image` = (H, W) one-channel images, `filters` = (F₁, F₂) and `classes`
    /// outputs, initialised like PyTorch from `rng`.
    ///
    /// # Panics
    /// When an image side is below 4 (two 2×2 poolings need at least that).
    pub fn new(
        image: (usize, usize),
        filters: (usize, usize),
        classes: usize,
        rng: &mut impl rand::Rng,
    ) -> Self {
        Self::new_on(&Cpu, image, filters, classes, rng).expect("the CPU backend does not fail")
    }
}

impl<T: Scalar, B: Backend> LeNet<T, B> {
    /// A network on `backend` for `image` = (H, W) one-channel images, `filters` = (F₁, F₂) and
    /// `classes` outputs, initialised like PyTorch from `rng` (the same draws on every backend).
    ///
    /// # Panics
    /// When an image side is below 4 (two 2×2 poolings need at least that).
    pub fn new_on(
        backend: &B,
        image: (usize, usize),
        filters: (usize, usize),
        classes: usize,
        rng: &mut impl rand::Rng,
    ) -> BackendResult<Self> {
        assert!(
            image.0 >= 2 * POOL && image.1 >= 2 * POOL,
            "LeNet needs images of at least 4×4 pixels, got {}×{}",
            image.0,
            image.1
        );
        let conv = |c_in, c_out, rng: &mut _| {
            Conv2d::new_on(backend, (c_in, c_out), (KERNEL, KERNEL), 1, PADDING, rng).map_err(|e| {
                match e {
                    LayerError::Backend(e) => e,
                    e => unreachable!("stride 1 and fresh weights are valid: {e}"),
                }
            })
        };
        let conv1 = conv(1, filters.0, rng)?;
        let conv2 = conv(filters.0, filters.1, rng)?;
        let flat = Self::stages_for(image, filters)[5].shape[0]; // F₂·H₂·W₂
        let relu = || ActivationLayer::new_on(backend, Activation::Relu);
        let pool = || Pool2d::new_on(backend, PoolKind::Max, POOL, POOL, 0);
        Ok(Self {
            backend: backend.clone(),
            conv1,
            relu1: relu()?,
            pool1: pool()?,
            conv2,
            relu2: relu()?,
            pool2: pool()?,
            fc: Linear::new_on(backend, flat, classes, rng)?,
            image,
            images: backend.zeros(Ix4(0, 1, image.0, image.1))?,
            flat: backend.zeros(Ix2(0, flat))?,
            pooled: Ix4(0, 0, 0, 0),
            grad_pooled: backend.zeros(Ix4(0, 0, 0, 0))?,
        })
    }

    /// The feature-map shapes the formulas predict: a convolution maps H to
    /// `⌊(H + 2p − k)/s⌋ + 1` (here H, as k = 3, p = 1, s = 1), a pooling to `⌊(H − 2)/2⌋ + 1`.
    pub fn stages_for(image: (usize, usize), filters: (usize, usize)) -> Vec<Stage> {
        let conv = |side: usize| side + 2 * PADDING - KERNEL + 1;
        let pool = |side: usize| side.saturating_sub(POOL) / POOL + 1;
        let (h, w) = image;
        let (h1, w1) = (pool(conv(h)), pool(conv(w)));
        let (h2, w2) = (pool(conv(h1)), pool(conv(w1)));
        vec![
            Stage::new("entrée", &[1, h, w]),
            Stage::new("conv1", &[filters.0, conv(h), conv(w)]),
            Stage::new("pool1", &[filters.0, h1, w1]),
            Stage::new("conv2", &[filters.1, conv(h1), conv(w1)]),
            Stage::new("pool2", &[filters.1, h2, w2]),
            Stage::new("aplati", &[filters.1 * h2 * w2]),
        ]
    }

    /// The shapes a forward pass of one image actually produces, stage by stage.
    pub fn measure_stages(&mut self) -> BackendResult<Vec<Stage>> {
        let (h, w) = self.image;
        let x = self.backend.zeros(Ix4(1, 1, h, w))?;
        let mut stages = vec![Stage::new("entrée", &x.shape()[1..])];
        let y = self.conv1.forward(&x)?;
        stages.push(Stage::new("conv1", &y.shape()[1..]));
        let y = self.pool1.forward(self.relu1.forward(y)?)?;
        stages.push(Stage::new("pool1", &y.shape()[1..]));
        let y = self.conv2.forward(y)?;
        stages.push(Stage::new("conv2", &y.shape()[1..]));
        let y = self.pool2.forward(self.relu2.forward(y)?)?;
        stages.push(Stage::new("pool2", &y.shape()[1..]));
        stages.push(Stage::new("aplati", &[y.len()]));
        Ok(stages)
    }

    /// Logits `[N, K]` for rows `x` `[N, H·W]` (each row an image, row-major).
    pub fn forward(&mut self, x: &B::Tensor<T, Ix2>) -> BackendResult<&B::Tensor<T, Ix2>> {
        let n = x.shape()[0];
        let (h, w) = self.image;
        let be = &self.backend;
        let x = reshape_on(be, x, &mut self.images, Ix4(n, 1, h, w))?; // x: [N, 1, H, W]
        let a = self.conv1.forward(x)?; // [N, F₁, H, W]
        let a = self.relu1.forward(a)?;
        let a = self.pool1.forward(a)?; // [N, F₁, H₁, W₁]
        let a = self.conv2.forward(a)?; // [N, F₂, H₁, W₁]
        let a = self.relu2.forward(a)?;
        let a = self.pool2.forward(a)?; // [N, F₂, H₂, W₂]
        let s = a.shape();
        self.pooled = Ix4(s[0], s[1], s[2], s[3]);
        let features = a.len() / n.max(1);
        let flat = reshape_on(be, a, &mut self.flat, Ix2(n, features))?; // [N, F₂·H₂·W₂]
        self.fc.forward(flat) // [N, K]
    }

    /// Backpropagation through the whole stack for `dL/dlogits` `[N, K]` of the latest forward.
    pub fn backward(&mut self, grad_logits: &B::Tensor<T, Ix2>) -> BackendResult<()> {
        let g = self.fc.backward(grad_logits)?; // [N, F₂·H₂·W₂]
        let g = reshape_on(&self.backend, g, &mut self.grad_pooled, self.pooled)?; // [N, F₂, H₂, W₂]
        let g = self.pool2.backward(g)?;
        let g = self.relu2.backward(g)?;
        let g = self.conv2.backward(g)?; // [N, F₁, H₁, W₁]
        let g = self.pool1.backward(g)?;
        let g = self.relu1.backward(g)?;
        self.conv1.backward(g)?; // dL/dx is not needed
        Ok(())
    }
}

impl<T: Scalar, B: Backend> Layer<T, B> for LeNet<T, B> {
    fn backend(&self) -> &B {
        &self.backend
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, T, B>)) {
        self.conv1.params_mut(&mut |p| visit(p.prefixed("conv1")));
        self.conv2.params_mut(&mut |p| visit(p.prefixed("conv2")));
        self.fc.params_mut(&mut |p| visit(p.prefixed("fc")));
    }

    fn num_params(&self) -> usize {
        self.conv1.num_params() + self.conv2.num_params() + self.fc.num_params()
    }
}

impl<T: Scalar, B: Backend> Classifier<T, B> for LeNet<T, B> {
    fn logits(&mut self, x: &B::Tensor<T, Ix2>) -> BackendResult<&B::Tensor<T, Ix2>> {
        self.forward(x)
    }

    fn backward(&mut self, grad_logits: &B::Tensor<T, Ix2>) -> BackendResult<()> {
        LeNet::backward(self, grad_logits)
    }
}

// ---------------------------------------------------------------------------------------------
// 2–4. The run: train, measure, compare, check
// ---------------------------------------------------------------------------------------------

/// Accuracy the default CNN must reach on the digits test split.
pub const TARGET_ACCURACY: f64 = 0.98;

/// The registry entry `cnn`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cnn;

/// A trained CNN with its history and test results.
#[derive(Clone, Debug)]
pub struct TrainedCnn<B: Backend = Cpu> {
    /// The network, with the weights of the epoch chosen on the validation split.
    pub net: LeNet<f32, B>,
    /// Loss and validation-accuracy curves, and the epoch kept.
    pub history: History,
    /// Results on the test split.
    pub test: Evaluation,
    /// Results on the training split.
    pub train: Evaluation,
}

/// Builds a [`LeNet`] on `backend` with `filters` for the images of `splits`, trains it with the
/// epoch chosen on `splits.validation`, and measures it once on `splits.test`.
pub fn train_cnn<B: Backend>(
    backend: &B,
    filters: (usize, usize),
    training: &Training,
    splits: &Splits,
    seed: u64,
    progress: &dyn Progress,
) -> Result<TrainedCnn<B>, RunError> {
    let train = &splits.train;
    let image = image_shape(train)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut net = LeNet::new_on(backend, image, filters, train.classes, &mut rng)
        .map_err(|e| RunError::Failed(e.to_string()))?;
    let history = train::fit(
        &mut net,
        train,
        &splits.validation,
        training,
        &mut rng,
        progress,
    )?;
    let test = train::evaluate(&mut net, &splits.test)?;
    let train = train::evaluate(&mut net, train)?;
    Ok(TrainedCnn {
        net,
        history,
        test,
        train,
    })
}

/// The (H, W) of the images of `data`, or an error for data that are not images.
fn image_shape(data: &Dataset) -> Result<(usize, usize), RunError> {
    data.image_shape
        .ok_or_else(|| RunError::Failed("the CNN needs image data (rows of H·W pixels)".into()))
}

/// `entrée 1×8×8 → conv1 16×8×8 → …`, the shapes of `stages` joined by arrows.
fn describe(stages: &[Stage]) -> String {
    stages
        .iter()
        .map(Stage::describe)
        .collect::<Vec<_>>()
        .join(" → ")
}

/// The learned filters `weight` `[F, C, kH, kW]` of a convolution, one image per filter and
/// input channel, in group `group`.
fn filter_images<T: Scalar>(weight: &Array4<T>, group: &str) -> Vec<Image> {
    let (f, c, kh, kw) = weight.dim();
    (0..f)
        .flat_map(|fi| (0..c).map(move |ci| (fi, ci)))
        .map(|(fi, ci)| Image {
            name: format!("{group}/filtre {}", fi + 1),
            height: kh,
            width: kw,
            pixels: weight
                .slice(ndarray::s![fi, ci, .., ..])
                .iter()
                .map(|v| v.as_f64())
                .collect(),
        })
        .collect()
}

/// Test images whose shifted copies [`translation_error`] compares.
const EQUIVARIANCE_IMAGES: usize = 16;

/// Largest relative gap allowed between `conv(shift(x))` and `shift(conv(x))`: the same products
/// summed in the same order, so only rounding may differ.
const EQUIVARIANCE_TOLERANCE: f64 = 1e-5;

/// How far `conv` is from translation equivariance on the first `count` images of `data`: each
/// image is shifted one pixel down and right (zeros enter at the top and left), and
/// `max |conv(shift(x))[i, j] − conv(x)[i−1, j−1]|` over the positions whose receptive field
/// stays inside both images (one pixel from every border), relative to `max |conv(x)|`.
fn translation_error<B: Backend>(
    conv: &mut Conv2d<f32, B>,
    backend: &B,
    data: &Dataset,
    count: usize,
) -> Result<f64, RunError> {
    let (h, w) = image_shape(data)?;
    let n = count.min(data.len());
    let images = data
        .x
        .slice(ndarray::s![..n, ..])
        .to_owned()
        .into_shape_with_order((n, 1, h, w))
        .map_err(|e| RunError::Failed(e.to_string()))?;
    let mut shifted = Array4::<f32>::zeros((n, 1, h, w));
    shifted
        .slice_mut(ndarray::s![.., .., 1.., 1..])
        .assign(&images.slice(ndarray::s![.., .., ..h - 1, ..w - 1]));
    let original = backend.download(conv.forward(&backend.upload(images.view())?)?)?;
    let moved = backend.download(conv.forward(&backend.upload(shifted.view())?)?)?;
    let interior_moved = moved.slice(ndarray::s![.., .., 2..h - 1, 2..w - 1]);
    let interior_original = original.slice(ndarray::s![.., .., 1..h - 2, 1..w - 2]);
    let gap = interior_moved
        .iter()
        .zip(interior_original.iter())
        .map(|(a, b)| f64::from((a - b).abs()))
        .fold(0.0, f64::max);
    let scale = original
        .iter()
        .map(|v| f64::from(v.abs()))
        .fold(0.0, f64::max);
    Ok(gap / scale.max(f64::MIN_POSITIVE))
}

/// The gradient check of an f64 twin of the stack (2 and 3 filters) on the first 2 samples.
fn check_backward(
    train: &Dataset,
    image: (usize, usize),
    seed: u64,
) -> Result<f64, GradCheckError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut net = LeNet::<f64>::new(image, (2, 3), train.classes, &mut rng);
    let (x, y) = train::rows_f64(train, 2);
    train::gradient_check(&mut net, x.view(), &y)
}

impl Implementation for Cnn {
    fn id(&self) -> &'static str {
        "cnn"
    }

    fn source_file(&self) -> Option<&'static str> {
        Some(file!())
    }

    fn title(&self) -> &'static str {
        "Réseaux de neurones convolutifs (CNN)"
    }

    fn description(&self) -> &'static str {
        "Petit réseau convolutif de type LeNet (conv, ReLU, max-pooling, linéaire) entraîné sur les \
         chiffres manuscrits UCI 8×8, même découpage que le perceptron multicouche qu'il doit \
         battre ; formes des cartes de caractéristiques, filtres appris, équivariance par translation \
         et gradient vérifiés."
    }

    fn concept(&self) -> Option<&'static str> {
        Some("Réseaux de neurones convolutifs (CNN)")
    }

    fn params(&self) -> Vec<ParamSpec> {
        vec![
            ParamSpec::int("filters1", "filtres de la 1re convolution", 32, 1, 256),
            ParamSpec::int("filters2", "filtres de la 2e convolution", 64, 1, 256),
            ParamSpec::int("epochs", "passes sur le jeu d'entraînement", 30, 1, 1000),
            ParamSpec::int("batch", "exemples par mini-lot", 32, 1, 4096),
            ParamSpec::float("lr", "taux d'apprentissage", 2e-3, 1e-6, 1.0),
            ParamSpec::choice(
                "optimizer",
                "optimiseur : adam, ou sgd avec momentum 0,9",
                "adam",
                train::OptimizerKind::NAMES,
            ),
            ParamSpec::flag(
                "compare_mlp",
                "entraîner aussi le MLP par défaut sur le même découpage pour le comparer",
                true,
            ),
        ]
    }

    crate::on_every_device!();
}

impl RunOnBackend for Cnn {
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError> {
        let device = backend.device();
        let filters = (cfg.usize("filters1"), cfg.usize("filters2"));
        let training = Training {
            epochs: cfg.usize("epochs"),
            batch: cfg.usize("batch"),
            optimizer: train::OptimizerKind::from_name(cfg.choice("optimizer"))
                .expect("declared options"),
            lr: cfg.float("lr"),
        };
        let splits = train::digits_splits();
        let test = &splits.test;
        let image = image_shape(test)?;
        let mut report = Report::new(self.id(), device, seed, cfg);

        let mlp_settings = MlpSettings::defaults();
        let compare = cfg.flag("compare_mlp");
        let mlp_epochs = if compare {
            mlp_settings.training.epochs
        } else {
            0
        };
        progress.start((training.epochs + mlp_epochs) as u64, "entraînement du CNN");
        let mut cnn = train_cnn(backend, filters, &training, &splits, seed, progress)?;
        let mlp_run = if compare {
            Some(mlp::train_mlp(
                backend,
                &mlp_settings.hidden,
                &mlp_settings.training,
                &splits,
                seed,
                progress,
            )?)
        } else {
            None
        };
        progress.finish();

        report.metric("test_accuracy", cnn.test.accuracy);
        report.metric(
            "validation_accuracy",
            cnn.history.best_validation_accuracy(),
        );
        report.metric("best_epoch", cnn.history.best_epoch as f64);
        report.metric("train_accuracy", cnn.train.accuracy);
        report.metric("test_loss", cnn.test.loss);
        report.metric("parameters", cnn.net.num_params() as f64);
        train::push_curves(&mut report, "CNN", &cnn.history);
        report.matrices.push(Matrix::confusion(
            "confusion",
            test.classes,
            &test.y,
            &cnn.test.predictions,
        ));
        let filters1 = backend.download(&cnn.net.conv1.weight)?;
        report
            .images
            .extend(filter_images(&filters1, "filtres conv1"));

        let stages = LeNet::<f32>::stages_for(image, filters);
        for stage in &stages {
            let values: usize = stage.shape.iter().product();
            report.metric(&format!("features_{}", stage.name), values as f64);
        }
        report
            .texts
            .insert("architecture".into(), describe(&stages));
        let error = translation_error(&mut cnn.net.conv1, backend, test, EQUIVARIANCE_IMAGES)?;
        report.metric("conv1_translation_error", error);
        report.check(
            "équivariance : décaler l'image d'un pixel décale la carte de conv1 d'un pixel",
            error <= EQUIVARIANCE_TOLERANCE,
            format!(
                "écart relatif max {error:.1e} (tolérance {EQUIVARIANCE_TOLERANCE:.0e}) hors du \
                 bord d'un pixel, {EQUIVARIANCE_IMAGES} images de test décalées d'un pixel vers \
                 le bas et la droite, filtres appris"
            ),
        );
        report.check(
            "exactitude de test ≥ 0,98",
            cnn.test.accuracy >= TARGET_ACCURACY,
            train::accuracy_detail(&cnn.test, &cnn.history, &splits),
        );
        if let Some(mlp_run) = &mlp_run {
            report.metric("mlp_test_accuracy", mlp_run.test.accuracy);
            train::push_curves(
                &mut report,
                &format!("MLP {:?}", mlp_settings.hidden),
                &mlp_run.history,
            );
            report.check(
                "le CNN bat le MLP sur le même découpage",
                cnn.test.accuracy > mlp_run.test.accuracy,
                format!(
                    "CNN {:.4} contre MLP {:.4}",
                    cnn.test.accuracy, mlp_run.test.accuracy
                ),
            );
        }
        let (passed, detail) =
            train::gradient_check_verdict(&check_backward(&splits.train, image, seed), 2);
        report.check(
            "rétropropagation de la pile convolutive = différences finies (f64)",
            passed,
            detail,
        );
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::counting::Counting;
    use crate::implementation::NoProgress;
    use crate::optim::{Sgd, SgdConfig};
    use ndarray::Array2;

    /// The ops one SGD training step of a small LeNet asks its backend for.
    #[test]
    fn a_training_step_runs_through_the_backend() {
        let backend = Counting::new(Cpu);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut net = LeNet::<f32, _>::new_on(&backend, (6, 6), (2, 3), 4, &mut rng).unwrap();
        let pixels = Array2::from_shape_fn((2, 36), |(i, j)| ((i * 7 + j) % 5) as f32);
        let x = backend.upload(pixels.view()).unwrap();
        let mut scratch = train::LossScratch::new(&backend).unwrap();
        let mut sgd = Sgd::<f32, _>::new(SgdConfig::new(0.1));
        train::train_step(&mut net, &mut sgd, &x, &[0, 3], &mut scratch).unwrap(); // buffers sized
        backend.reset();
        train::train_step(&mut net, &mut sgd, &x, &[0, 3], &mut scratch).unwrap();
        let counts = backend.counts();
        // Forward: a product per convolution and one for the classifier; backward: dW and dx
        // (dcols for a convolution) for each of the three.
        assert_eq!(counts.get("gemm"), Some(&9), "{counts:?}");
        for op in ["im2col", "col2im", "pool2d", "pool2d_backward"] {
            assert_eq!(counts.get(op), Some(&2), "{op}: {counts:?}");
        }
        assert_eq!(counts.get("activation_backward"), Some(&2), "{counts:?}");
        assert_eq!(counts.get("add_channel_sums"), Some(&3), "{counts:?}");
        assert_eq!(counts.get("sgd_update"), Some(&6), "{counts:?}");
        // After the first step nothing is allocated: the buffers are reused.
        assert_eq!(counts.get("zeros"), None, "{counts:?}");
    }

    /// `run cnn` on a counting backend: the whole demo goes through it (the MLP it is compared
    /// with too), and the report is the CPU's.
    #[test]
    fn the_cnn_run_reaches_the_layers_through_its_backend() {
        let sets = [("filters1", "2"), ("filters2", "3"), ("epochs", "1")]
            .map(|(k, v)| (k.to_string(), v.to_string()));
        let cfg = Config::from_sets(&Cnn.params(), &sets).unwrap();
        let backend = Counting::new(Cpu);
        let counted = Cnn.run_on(&backend, &cfg, 3, &NoProgress).unwrap();
        let plain = Cnn.run_on(&Cpu, &cfg, 3, &NoProgress).unwrap();
        let counts = backend.counts();
        assert!(counts["im2col"] > 2 * 1348_usize.div_ceil(32), "{counts:?}");
        assert!(counts["adam_update"] > 0, "{counts:?}");
        assert_eq!(counted.metrics, plain.metrics);
        assert_eq!(counted.device, crate::backend::Device::Cpu);
    }
}
