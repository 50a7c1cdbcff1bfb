//! Les réseaux à capsules: a small CapsNet on the 8×8 digits, whose class capsules are vectors
//! whose length says whether the digit is present, and whose inputs are routed by agreement.
//!
//! The file follows the note:
//! 1. **Architecture** ([`CapsNet`]): a 3×3 convolution with ReLU; a layer of primary capsules,
//!    a 3×3 convolution whose channels are grouped into `types` capsule types of width d at each
//!    of the 4×4 positions; one class capsule of width D per digit.
//! 2. **Squash** ([`crate::layers::capsule::squash`]): every capsule's output
//!    `v = ‖s‖²/(1 + ‖s‖²) · s/‖s‖`, a length in (0, 1).
//! 3. **Routage par accord** ([`crate::layers::capsule::Routing`]): the votes
//!    `û_{j|i} = W_ij u_i` of the primary capsules are weighted by coupling coefficients
//!    `c_ij = softmax_j(b_ij)`, raised by the agreement `û_{j|i}·v_j`, for a few iterations.
//! 4. **Perte de marge** ([`crate::loss::margin_loss`]): the capsule of the true digit pushed
//!    above 0.9 in length, the others below 0.1; the prediction is the longest capsule.
//!
//! The number of epochs is chosen on a validation split carved from the training split; the
//! test split is used once. Reported: `test_accuracy`, the capsule lengths' range, and the
//! routing coefficients (where the primary capsules send their votes, per true digit).
//!
//! Legend: N batch, C channels, I = types·4·4 primary capsules, d their width, J = 10 class
//! capsules, D their width.

use ndarray::{Array2, Array3, Array4, ArrayView2, Axis, Ix4};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::train::digits_splits;
use crate::backend::{Backend, reuse_on};
use crate::data::{Dataset, Splits};
use crate::implementation::{Implementation, Progress, RunError, RunOnBackend};
use crate::layers::capsule::{CapsuleLayer, squash, squash_backward};
use crate::layers::{Activation, ActivationLayer, Conv2d, Layer, Param};
use crate::loss::margin_loss;
use crate::optim::{Adam, AdamConfig, Optimizer};
use crate::params::{Config, ParamSpec};
use crate::report::{Axes, Matrix, Report, Series};

// ---------------------------------------------------------------------------------------------
// 1–3. The network: convolution, primary capsules, class capsules routed by agreement
// ---------------------------------------------------------------------------------------------

/// The sizes of a [`CapsNet`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CapsSizes {
    /// Channels of the first convolution.
    pub channels: usize,
    /// Primary capsule types.
    pub types: usize,
    /// Width d of a primary capsule.
    pub primary_width: usize,
    /// Width D of a class capsule.
    pub class_width: usize,
    /// Routing iterations.
    pub routing: usize,
}

/// Conv → ReLU → primary capsules (conv, squash) → class capsules (votes, routing).
#[derive(Clone, Debug)]
pub struct CapsNet<B: Backend> {
    /// 1 → C channels, 3×3: `[N, 1, 8, 8]` → `[N, C, 6, 6]`.
    pub conv: Conv2d<f32, B>,
    /// The ReLU after it.
    relu: ActivationLayer<f32, Ix4, B>,
    /// C → types·d channels, 3×3: `[N, C, 6, 6]` → `[N, types·d, 4, 4]`.
    pub primary: Conv2d<f32, B>,
    /// Ten class capsules over the primary ones.
    pub classes: CapsuleLayer<f32, B>,
    /// The width d of a primary capsule.
    primary_width: usize,
    /// The images of the latest forward: `[N, 1, 8, 8]`
    input: B::Tensor<f32, Ix4>,
    /// The primary capsules before squash, as rows: `[N·I, d]`
    primary_totals: Array2<f32>,
    /// The squashed primary capsules u: `[N, I, d]`
    primary_capsules: Array3<f32>,
    /// dL/d primary convolution output: `[N, types·d, 4, 4]`
    grad_primary: B::Tensor<f32, Ix4>,
    /// The shape of the primary convolution's latest output.
    primary_shape: [usize; 4],
}

impl<B: Backend> CapsNet<B> {
    /// A network for `side`×`side` images with `sizes`, PyTorch's initialisation for the
    /// convolutions.
    pub fn new_on(
        backend: &B,
        sizes: &CapsSizes,
        side: usize,
        rng: &mut impl rand::Rng,
    ) -> Result<Self, RunError> {
        let channels = sizes.types * sizes.primary_width;
        let positions = (side - 4) * (side - 4);
        let failed = |e: crate::layers::LayerError| RunError::Failed(e.to_string());
        Ok(Self {
            conv: Conv2d::new_on(backend, (1, sizes.channels), (3, 3), 1, 0, rng)
                .map_err(failed)?,
            relu: ActivationLayer::new_on(backend, Activation::Relu)?,
            primary: Conv2d::new_on(backend, (sizes.channels, channels), (3, 3), 1, 0, rng)
                .map_err(failed)?,
            classes: CapsuleLayer::new_on(
                backend,
                (sizes.types * positions, sizes.primary_width),
                (10, sizes.class_width),
                sizes.routing,
                rng,
            )?,
            primary_width: sizes.primary_width,
            input: backend.zeros(Ix4(0, 0, 0, 0))?,
            primary_totals: Array2::zeros((0, 0)),
            primary_capsules: Array3::zeros((0, 0, 0)),
            grad_primary: backend.zeros(Ix4(0, 0, 0, 0))?,
            primary_shape: [0; 4],
        })
    }

    /// The class capsules v `[N, 10, D]` of the images `x` `[N, side·side]`.
    pub fn forward(&mut self, x: ArrayView2<'_, f32>) -> Result<Array3<f32>, RunError> {
        let be = self.conv.backend().clone();
        let (n, pixels) = x.dim();
        let side = (pixels as f64).sqrt() as usize;
        let images = x
            .to_owned()
            .into_shape_with_order((n, 1, side, side))
            .expect("square images");
        let input = reuse_on(&be, &mut self.input, Ix4(n, 1, side, side))?;
        be.write(images.view(), input)?;
        let h = self.conv.forward(&self.input)?; // [N, C, 6, 6]
        let h = self.relu.forward(h)?;
        let p = be.download(self.primary.forward(h)?)?; // [N, types·d, 4, 4]
        // Capsule i = (type, position), its d numbers the channels type·d … type·d + d − 1.
        let (_, channels, ph, pw) = p.dim();
        self.primary_shape = [n, channels, ph, pw];
        let (d, types) = (self.primary_width, channels / self.primary_width);
        let grouped = p
            .into_shape_with_order((n, types, d, ph * pw))
            .expect("contiguous")
            .permuted_axes([0, 1, 3, 2]) // [N, types, positions, d]
            .as_standard_layout()
            .into_owned();
        self.primary_totals = grouped
            .into_shape_with_order((n * types * ph * pw, d))
            .expect("contiguous");
        self.primary_capsules = squash(self.primary_totals.view())
            .into_shape_with_order((n, types * ph * pw, d))
            .expect("contiguous");
        Ok(self.classes.forward(&self.primary_capsules)?)
    }

    /// Adds every parameter gradient for dL/dv `[N, 10, D]` of the latest forward.
    pub fn backward(&mut self, dv: &Array3<f32>) -> Result<(), RunError> {
        let be = self.conv.backend().clone();
        let du = self.classes.backward(dv.view())?; // [N, I, d]
        let (n, capsules, d) = du.dim();
        let du = du
            .into_shape_with_order((n * capsules, d))
            .expect("contiguous");
        let ds = squash_backward(self.primary_totals.view(), du.view()); // [N·I, d]
        let [_, channels, ph, pw] = self.primary_shape;
        let types = channels / d;
        let dp: Array4<f32> = ds
            .into_shape_with_order((n, types, ph * pw, d))
            .expect("contiguous")
            .permuted_axes([0, 1, 3, 2]) // [N, types, d, positions]
            .as_standard_layout()
            .into_owned()
            .into_shape_with_order((n, channels, ph, pw))
            .expect("contiguous");
        let grad = reuse_on(&be, &mut self.grad_primary, Ix4(n, channels, ph, pw))?;
        be.write(dp.view(), grad)?;
        let dh = self.primary.backward(&self.grad_primary)?;
        let dh = self.relu.backward(dh)?;
        self.conv.backward(dh)?;
        Ok(())
    }

    /// The squashed primary capsules u `[N, I, d]` of the latest forward.
    pub fn primary_capsules(&self) -> &Array3<f32> {
        &self.primary_capsules
    }
}

impl<B: Backend> Layer<f32, B> for CapsNet<B> {
    fn backend(&self) -> &B {
        self.conv.backend()
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, f32, B>)) {
        self.conv.params_mut(&mut |p| visit(p.prefixed("conv")));
        self.primary
            .params_mut(&mut |p| visit(p.prefixed("primary")));
        self.classes
            .params_mut(&mut |p| visit(p.prefixed("classes")));
    }

    fn num_params(&self) -> usize {
        self.conv.num_params() + self.primary.num_params() + self.classes.num_params()
    }
}

/// The length of every class capsule: `[N, 10]`.
pub fn lengths(v: &Array3<f32>) -> Array2<f32> {
    v.map_axis(Axis(2), |c| c.dot(&c).sqrt())
}

/// The predicted digit of every image: its longest class capsule.
pub fn predictions(v: &Array3<f32>) -> Vec<usize> {
    lengths(v)
        .outer_iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |best, (j, &l)| {
                    if l > best.1 { (j, l) } else { best }
                })
                .0
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 4. Training on the margin loss, and the run
// ---------------------------------------------------------------------------------------------

/// Images per forward pass when evaluating.
const EVAL_CHUNK: usize = 256;

/// The class capsules of every image of `data`: `[N, 10, D]`, and the routing's share per class
/// (`[N, 10]`: Σ_i ‖u_i‖ c_ij / Σ_i ‖u_i‖, where the primary capsules' votes went).
pub fn capsules<B: Backend>(
    net: &mut CapsNet<B>,
    data: &Dataset,
) -> Result<(Array3<f32>, Array2<f32>), RunError> {
    let mut all = Vec::new();
    let mut shares = Vec::new();
    for start in (0..data.len()).step_by(EVAL_CHUNK) {
        let end = (start + EVAL_CHUNK).min(data.len());
        all.push(net.forward(data.x.slice(ndarray::s![start..end, ..]))?);
        let weights = net
            .primary_capsules()
            .map_axis(Axis(2), |u| u.dot(&u).sqrt()); // [N, I]
        let c = net.classes.routing.coefficients(); // [N, I, J]
        let mut share = Array2::<f32>::zeros((end - start, c.dim().2));
        for ((mut s, c), w) in share
            .outer_iter_mut()
            .zip(c.outer_iter())
            .zip(weights.outer_iter())
        {
            s.assign(&(w.dot(&c) / w.sum().max(f32::MIN_POSITIVE)));
        }
        shares.push(share);
    }
    let cat3: Vec<_> = all.iter().map(|a| a.view()).collect();
    let cat2: Vec<_> = shares.iter().map(|a| a.view()).collect();
    Ok((
        ndarray::concatenate(Axis(0), &cat3).expect("same capsule shapes"),
        ndarray::concatenate(Axis(0), &cat2).expect("same shapes"),
    ))
}

/// The fraction of `predicted` equal to the labels of `data`.
fn accuracy(predicted: &[usize], data: &Dataset) -> f64 {
    let right = predicted
        .iter()
        .zip(&data.y)
        .filter(|(p, y)| p == y)
        .count();
    right as f64 / data.len().max(1) as f64
}

/// The test accuracy the network must reach.
pub const TARGET_ACCURACY: f64 = 0.97;

/// The registry entry `capsnet`.
#[derive(Clone, Copy, Debug, Default)]
pub struct CapsNetModel;

impl Implementation for CapsNetModel {
    fn id(&self) -> &'static str {
        "capsnet"
    }

    fn source_file(&self) -> Option<&'static str> {
        Some(file!())
    }

    fn title(&self) -> &'static str {
        "Réseaux à capsules (Capsule Networks)"
    }

    fn description(&self) -> &'static str {
        "Un petit réseau à capsules sur les chiffres manuscrits 8×8 : capsules primaires, \
         non-linéarité squash, routage par accord vers dix capsules de classe, perte de marge ; \
         exactitude de test, longueurs des capsules et coefficients de routage."
    }

    fn concept(&self) -> Option<&'static str> {
        Some("Réseaux à capsules (Capsule Networks)")
    }

    fn params(&self) -> Vec<ParamSpec> {
        vec![
            ParamSpec::int("channels", "canaux de la première convolution", 32, 1, 512),
            ParamSpec::int("types", "types de capsules primaires", 8, 1, 128),
            ParamSpec::int("primary_width", "taille d d'une capsule primaire", 4, 1, 64),
            ParamSpec::int("class_width", "taille D d'une capsule de classe", 8, 1, 64),
            ParamSpec::int("routing", "itérations du routage par accord", 3, 1, 10),
            ParamSpec::int("epochs", "passes sur l'entraînement", 30, 1, 1000),
            ParamSpec::int("batch", "images par lot", 32, 1, 1024),
            ParamSpec::float("lr", "taux d'apprentissage d'Adam", 3e-3, 1e-6, 1.0),
        ]
    }

    crate::on_every_device!();
}

impl RunOnBackend for CapsNetModel {
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError> {
        let sizes = CapsSizes {
            channels: cfg.usize("channels"),
            types: cfg.usize("types"),
            primary_width: cfg.usize("primary_width"),
            class_width: cfg.usize("class_width"),
            routing: cfg.usize("routing"),
        };
        let (epochs, batch) = (cfg.usize("epochs"), cfg.usize("batch"));
        let Splits {
            train,
            validation,
            test,
        } = digits_splits();
        let side = train.image_shape.map_or(8, |(h, _)| h);

        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut net = CapsNet::new_on(backend, &sizes, side, &mut rng)?;
        let mut adam = Adam::new(AdamConfig::adam(cfg.float("lr")));
        let first = accuracy(
            &predictions(&capsules(&mut net, &validation)?.0),
            &validation,
        );
        let (mut best, mut best_epoch, mut best_accuracy) = (net.clone(), 0, first);
        let (mut losses, mut curve) = (Vec::new(), vec![first]);
        let mut order: Vec<usize> = (0..train.len()).collect();
        progress.start(epochs as u64, "entraînement (perte de marge)");
        for epoch in 1..=epochs {
            order.shuffle(&mut rng);
            let mut total = 0.0;
            for rows in order.chunks(batch) {
                let x = train.x.select(Axis(0), rows);
                let y: Vec<usize> = rows.iter().map(|&i| train.y[i]).collect();
                net.zero_grad()?;
                let v = net.forward(x.view())?;
                let loss = margin_loss(v.view(), &y)?;
                net.backward(&loss.grad)?;
                adam.step(&mut net)?;
                total += f64::from(loss.loss) * rows.len() as f64;
            }
            let mean = total / train.len() as f64;
            if !mean.is_finite() {
                return Err(RunError::Failed(format!(
                    "training diverged at epoch {epoch}; lower the learning rate `lr`"
                )));
            }
            losses.push(mean);
            let acc = accuracy(
                &predictions(&capsules(&mut net, &validation)?.0),
                &validation,
            );
            curve.push(acc);
            if acc > best_accuracy {
                (best, best_epoch, best_accuracy) = (net.clone(), epoch, acc);
            }
            progress.advance(1);
        }
        progress.finish();

        let (v, shares) = capsules(&mut best, &test)?;
        let predicted = predictions(&v);
        let test_accuracy = accuracy(&predicted, &test);
        let lengths = lengths(&v);
        let shortest = f64::from(lengths.fold(f32::INFINITY, |a, &b| a.min(b)));
        let longest = f64::from(lengths.fold(f32::NEG_INFINITY, |a, &b| a.max(b)));
        let to_truth = test
            .y
            .iter()
            .enumerate()
            .map(|(n, &y)| f64::from(shares[[n, y]]))
            .sum::<f64>()
            / test.len() as f64;

        let mut report = Report::new(self.id(), backend.device(), seed, cfg);
        report.metric("test_accuracy", test_accuracy);
        report.metric("validation_accuracy", best_accuracy);
        report.metric("best_epoch", best_epoch as f64);
        report.metric("min_capsule_length", shortest);
        report.metric("max_capsule_length", longest);
        report.metric("routing_to_true_class", to_truth);
        report.metric("parameters", best.num_params() as f64);
        // A training loss per epoch from the first; the validation curve starts at epoch 0.
        let trained_epochs = (1..=losses.len()).map(|epoch| epoch as f64).collect();
        report.push_series(Series::line("perte/entraînement", trained_epochs, losses));
        report.push_series(Series::steps("exactitude/validation", curve));
        report.set_axes(
            "perte",
            Axes::new("époque", "perte de marge (entraînement)").log_y(),
        );
        report.set_axes("exactitude", Axes::new("époque", "exactitude (validation)"));
        report.matrices.push(routing_map(&test, &shares));
        report.check(
            "exactitude sur le test ≥ 0,97",
            test_accuracy >= TARGET_ACCURACY,
            format!(
                "{test_accuracy:.4} sur les {} chiffres de test (capsule la plus longue), époque {best_epoch} retenue sur la validation ({best_accuracy:.4})",
                test.len()
            ),
        );
        report.check(
            "longueurs des capsules de classe dans ]0, 1[",
            shortest > 0.0 && longest < 1.0,
            format!(
                "de {shortest:.2e} à {longest:.6} sur {} capsules de test",
                lengths.len()
            ),
        );
        Ok(report)
    }
}

/// The routing's share per class capsule, averaged over the test images of each digit: row y,
/// column j is where the votes of the images of y went (the diagonal when routing agrees).
fn routing_map(test: &Dataset, shares: &Array2<f32>) -> Matrix {
    let classes = shares.ncols();
    let mut sums = vec![vec![0.0; classes]; classes];
    let mut counts = vec![0usize; classes];
    for (row, &y) in shares.outer_iter().zip(&test.y) {
        counts[y] += 1;
        for (s, &c) in sums[y].iter_mut().zip(row.iter()) {
            *s += f64::from(c);
        }
    }
    Matrix {
        name: "routage".to_string(),
        row_title: "chiffre de l'image (test)".to_string(),
        col_title: "capsule de classe j (part des votes Σ_i ‖u_i‖ c_ij)".to_string(),
        row_labels: (0..classes).map(|y| y.to_string()).collect(),
        col_labels: (0..classes).map(|j| j.to_string()).collect(),
        values: sums
            .into_iter()
            .zip(&counts)
            .map(|(row, &n)| row.into_iter().map(|s| s / n.max(1) as f64).collect())
            .collect(),
    }
}
