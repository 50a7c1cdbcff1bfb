//! Machines à vecteurs de support (SVM) on two 2-D sets no straight line separates (moons,
//! circles): a linear SVM trained in the primal by Pegasos, and a kernel SVM (RBF) trained in the
//! dual by SMO, whose solution is then checked against the KKT conditions.
//!
//! Legend: n training samples, x_i ∈ ℝ² a sample, y_i ∈ {−1, +1} its class, w ∈ ℝ² and b the
//! linear model, α_i ∈ [0, C] the dual variables, K(x, z) the kernel, f(x) the decision function
//! (class = sign f(x)), m_i = y_i f(x_i) the margin of sample i.
//!
//! Primal (soft margin): min ½‖w‖² + C Σ_i max(0, 1 − y_i (w·x_i + b)), or, with λ = 1/(nC),
//! min λ/2 ‖w‖² + 1/n Σ_i max(0, 1 − y_i (w·x_i + b)) — the form Pegasos descends.
//! Dual: max Σ_i α_i − ½ Σ_ij α_i α_j y_i y_j K(x_i, x_j) subject to 0 ≤ α_i ≤ C and
//! Σ_i α_i y_i = 0, with f(x) = Σ_i α_i y_i K(x_i, x) + b; the samples with α_i > 0 are the
//! support vectors.
//!
//! Devices: the kernel matrices run on the chosen device (`--device gpu` too): the Gram matrix
//! K_ij = exp(−γ‖x_i − x_j‖²) from ‖x_i‖² + ‖x_j‖² − 2 X Xᵀ, and the decision function on many
//! points at once, K(points, support vectors)·(α∘y) + b, by the backend's gemm and maps. SMO is
//! sequential coordinate ascent: it stays on the host and reads the Gram matrix once. Pegasos
//! (one sample, two numbers per step) and the linear model stay on the host too.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Ix1, Ix2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::backend::{Backend, BackendResult, Binary, Mat, Shaped};
use crate::data::{DEFAULT_TEST_FRACTION, Dataset, circles, moons, stratified_split};
use crate::implementation::{Implementation, Progress, RunError, RunOnBackend};
use crate::layers::Activation;
use crate::params::{Config, ParamSpec};
use crate::report::{Axes, Report, Series};

/// The `svm` implementation.
#[derive(Debug, Clone, Copy)]
pub struct Svm;

/// The two data sets, in run order.
const DATASETS: [&str; 2] = ["moons", "circles"];

/// Smallest test accuracy the RBF SVM must reach on each set.
const RBF_ACCURACY_FLOOR: f64 = 0.9;

/// Largest relative gap between Pegasos' primal objective and the optimum SMO reaches.
const PEGASOS_GAP: f64 = 0.05;

/// Full passes of SMO over the samples after which it gives up.
const SMO_MAX_PASSES: usize = 1_000;

/// Grid resolution on each axis when tracing the RBF decision boundary.
const BOUNDARY_GRID: usize = 80;

impl Implementation for Svm {
    fn id(&self) -> &'static str {
        "svm"
    }

    fn source_file(&self) -> Option<&'static str> {
        Some(file!())
    }

    fn title(&self) -> &'static str {
        "Machines à vecteurs de support (SVM)"
    }

    fn description(&self) -> &'static str {
        "SVM linéaire (Pegasos, sous-gradient de la perte charnière) et SVM à noyau RBF (SMO de \
         Platt) sur deux jeux 2-D non linéairement séparables (lunes, cercles) : précision, \
         vecteurs de support, marge, et vérification des conditions KKT."
    }

    fn concept(&self) -> Option<&'static str> {
        Some("Machines à vecteurs de support (SVM)")
    }

    fn params(&self) -> Vec<ParamSpec> {
        vec![
            ParamSpec::int(
                "samples",
                "points par jeu de données (75 % entraînement, 25 % test)",
                300,
                40,
                3_000,
            ),
            ParamSpec::float(
                "noise",
                "écart type du bruit gaussien ajouté aux points",
                0.1,
                0.0,
                0.5,
            ),
            ParamSpec::float(
                "factor",
                "rayon du cercle intérieur (jeu circles)",
                0.5,
                0.1,
                0.9,
            ),
            ParamSpec::float(
                "c",
                "C : borne des α_i du SVM à noyau (coût des erreurs de marge)",
                1.0,
                1e-3,
                1e3,
            ),
            ParamSpec::float(
                "gamma",
                "γ du noyau RBF K(x, z) = exp(−γ‖x − z‖²)",
                2.0,
                1e-3,
                100.0,
            ),
            ParamSpec::float(
                "lambda",
                "λ de Pegasos : poids de la régularisation λ/2 ‖w‖²",
                0.01,
                1e-5,
                10.0,
            ),
            ParamSpec::int(
                "pegasos_steps",
                "itérations de Pegasos (un échantillon tiré par itération)",
                20_000,
                100,
                1_000_000,
            ),
            ParamSpec::float(
                "tol",
                "tolérance de SMO sur les conditions KKT",
                1e-3,
                1e-6,
                0.1,
            ),
        ]
    }

    crate::on_every_device!();
}

/// What the report says about where each part ran.
const DEVICE_NOTE: &str = "matrices de Gram et fonctions de décision des SVM à noyau (produits \
     matriciels, distances, exponentielle) sur l'appareil choisi ; SMO (ascension par \
     coordonnées, séquentielle) lit la matrice de Gram une fois et tourne sur l'hôte, comme \
     Pegasos (un échantillon, deux nombres par pas).";

impl RunOnBackend for Svm {
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError> {
        let mut report = Report::new(self.id(), backend.device(), seed, cfg);
        report.texts.insert("appareil".into(), DEVICE_NOTE.into());
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        progress.start(DATASETS.len() as u64 * 3, "SVM");
        for name in DATASETS {
            let data = match name {
                "moons" => moons(cfg.usize("samples"), cfg.float("noise"), seed),
                _ => circles(
                    cfg.usize("samples"),
                    cfg.float("noise"),
                    cfg.float("factor"),
                    seed,
                ),
            };
            let (train, test) = stratified_split(&data, DEFAULT_TEST_FRACTION, seed);
            let sets = Split::new(&train, &test);
            experiment(backend, name, &sets, cfg, &mut rng, progress, &mut report)?;
        }
        progress.finish();
        Ok(report)
    }
}

/// A train/test split with features in `f64` `[N, 2]` and classes as ±1.
struct Split {
    x_train: Array2<f64>,
    y_train: Vec<f64>,
    x_test: Array2<f64>,
    y_test: Vec<f64>,
}

impl Split {
    fn new(train: &Dataset, test: &Dataset) -> Split {
        let signed = |d: &Dataset| {
            d.y.iter()
                .map(|&c| if c == 1 { 1.0 } else { -1.0 })
                .collect()
        };
        Split {
            x_train: train.x.mapv(f64::from),
            y_train: signed(train),
            x_test: test.x.mapv(f64::from),
            y_test: signed(test),
        }
    }
}

/// Trains both SVMs on one set and records their metrics, checks and plots.
fn experiment<B: Backend>(
    backend: &B,
    name: &str,
    sets: &Split,
    cfg: &Config,
    rng: &mut ChaCha8Rng,
    progress: &dyn Progress,
    report: &mut Report,
) -> Result<(), RunError> {
    let (x, y) = (sets.x_train.view(), sets.y_train.as_slice());
    let n = y.len();
    let lambda = cfg.float("lambda");
    // The samples in the backend's memory: `[n, 2]` and `[n_test, 2]`.
    let (x_dev, x_test_dev) = (backend.upload(x)?, backend.upload(sets.x_test.view())?);

    // 1. Linear SVM in the primal, by Pegasos.
    let linear = pegasos(x, y, lambda, cfg.usize("pegasos_steps"), rng);
    let linear_test = accuracy(&linear.decisions(sets.x_test.view()), &sets.y_test);
    report.metric(
        &format!("{name}.linear.train_accuracy"),
        accuracy(&linear.decisions(x), y),
    );
    report.metric(&format!("{name}.linear.test_accuracy"), linear_test);
    report.metric(&format!("{name}.linear.margin"), linear.margin());
    report.metric(
        &format!("{name}.linear.objective"),
        linear.objective(x, y, lambda),
    );
    progress.advance(1);

    // 2. The same problem in the dual (linear kernel, C = 1/(λn)) by SMO: the optimum Pegasos
    //    should reach. SMO draws its partners from a stream of its own (one draw of `rng`): its
    //    path depends on the last bits of the Gram matrix, which differ between devices, and
    //    must not shift the samples Pegasos draws on the next set.
    let mut smo_rng = ChaCha8Rng::seed_from_u64(rng.random());
    let (c_linear, tol) = (1.0 / (lambda * n as f64), cfg.float("tol"));
    let reference = smo(backend, x, y, Kernel::Linear, c_linear, tol, &mut smo_rng)?;
    // The optimum is only one if SMO converged: its dual solution must satisfy KKT.
    let reference_kkt = Kkt::measure(&reference, &reference.decision(backend, &x_dev)?, c_linear);
    let reference_optimal = reference.converged && reference_kkt.holds(c_linear, tol);
    let optimum = reference.as_linear().objective(x, y, lambda);
    let reached = linear.objective(x, y, lambda);
    let gap = (reached - optimum) / optimum.abs().max(f64::MIN_POSITIVE);
    report.metric(&format!("{name}.linear.optimum_smo"), optimum);
    report.check(
        &format!(
            "{name} : Pegasos atteint l'optimum primal du SVM linéaire (SMO convergé, KKT vérifiées) à {:.0} % près",
            PEGASOS_GAP * 100.0
        ),
        reference_optimal && gap <= PEGASOS_GAP,
        format!(
            "objectif Pegasos {reached:.5}, optimum SMO {optimum:.5}, écart relatif {:.2} % ; \
             référence SMO : {}",
            gap * 100.0,
            reference_kkt.describe(c_linear, tol, reference.converged)
        ),
    );
    let curve_group = format!("pegasos_{name}");
    let steps = linear.curve.iter().map(|p| p.0).collect();
    let gaps = linear
        .curve
        .iter()
        .map(|p| (p.1 - optimum) / optimum)
        .collect();
    report.push_series(Series::line(format!("{curve_group}/Pegasos"), steps, gaps));
    let axes = Axes::new("itération t", "(objectif − optimum SMO) / optimum");
    report.set_axes(
        &curve_group,
        axes.titled(&format!("Pegasos sur {name} : écart à l'optimum primal"))
            .log_y(),
    );
    progress.advance(1);

    // 3. Kernel SVM in the dual, by SMO with the RBF kernel, and the KKT conditions of its result.
    let c = cfg.float("c");
    let tol = cfg.float("tol");
    let gamma = cfg.float("gamma");
    let rbf = smo(backend, x, y, Kernel::Rbf { gamma }, c, tol, &mut smo_rng)?;
    let rbf_train = rbf.decision(backend, &x_dev)?; // f(x_i) `[n]`
    let rbf_test = accuracy(&rbf.decision(backend, &x_test_dev)?, &sets.y_test);
    let support = rbf.support_vectors();
    report.metric(
        &format!("{name}.rbf.train_accuracy"),
        accuracy(&rbf_train, y),
    );
    report.metric(&format!("{name}.rbf.test_accuracy"), rbf_test);
    report.metric(&format!("{name}.rbf.support_vectors"), support.len() as f64);
    report.metric(&format!("{name}.rbf.smo_passes"), rbf.passes as f64);
    let kkt = Kkt::measure(&rbf, &rbf_train, c);
    report.metric(&format!("{name}.rbf.kkt_max_violation"), kkt.max_violation);
    report.check(
        &format!("{name} : la solution SMO (RBF) vérifie les conditions KKT à la tolérance près"),
        rbf.converged && kkt.holds(c, tol),
        kkt.describe(c, tol, rbf.converged),
    );
    report.check(
        &format!("{name} : le noyau RBF bat le SVM linéaire en test"),
        rbf_test > linear_test,
        format!(
            "précision de test : RBF {:.1} %, linéaire {:.1} %",
            rbf_test * 100.0,
            linear_test * 100.0
        ),
    );
    report.check(
        &format!(
            "{name} : précision de test du SVM RBF ≥ {:.0} %",
            RBF_ACCURACY_FLOOR * 100.0
        ),
        rbf_test >= RBF_ACCURACY_FLOOR,
        format!(
            "{:.1} % sur {} points de test",
            rbf_test * 100.0,
            sets.y_test.len()
        ),
    );
    progress.advance(1);

    // The RBF boundary f(x) = 0, traced on a grid over the data (f on every node at once).
    let bounds = Bounds::of(x);
    let grid = backend.upload(bounds.grid().view())?;
    let rbf_boundary = bounds.zero_crossings(&rbf.decision(backend, &grid)?);
    let boundaries = Boundaries {
        linear: bounds.line_inside(&linear),
        rbf: rbf_boundary,
    };
    plot_decisions(name, x, y, boundaries, &support, report);
    Ok(())
}

/// The fraction of samples whose sign of the decision value `f` `[N]` matches `y`.
fn accuracy(f: &Array1<f64>, y: &[f64]) -> f64 {
    let right = f
        .iter()
        .zip(y)
        .filter(|(v, label)| **v * **label > 0.0)
        .count();
    right as f64 / y.len().max(1) as f64
}

/// The hinge loss max(0, 1 − m) of a margin m = y f(x).
fn hinge(margin: f64) -> f64 {
    (1.0 - margin).max(0.0)
}

// ---------------------------------------------------------------------------------------------
// Linear SVM by Pegasos (Shalev-Shwartz, Singer, Srebro 2007)
// ---------------------------------------------------------------------------------------------

/// A linear classifier f(x) = w·x + b, with the objective Pegasos recorded along the way.
struct LinearSvm {
    /// w `[2]`.
    w: Array1<f64>,
    /// b.
    b: f64,
    /// (iteration, primal objective) at regular checkpoints.
    curve: Vec<(f64, f64)>,
}

impl LinearSvm {
    fn decide(&self, x: ArrayView1<'_, f64>) -> f64 {
        self.w.dot(&x) + self.b
    }

    /// f(x_i) for every row of `x` `[N, 2]`: `[N]`.
    fn decisions(&self, x: ArrayView2<'_, f64>) -> Array1<f64> {
        x.rows().into_iter().map(|row| self.decide(row)).collect()
    }

    /// λ/2 ‖w‖² + 1/n Σ_i max(0, 1 − y_i f(x_i)) over `x` `[n, 2]`.
    fn objective(&self, x: ArrayView2<'_, f64>, y: &[f64], lambda: f64) -> f64 {
        let loss: f64 = x
            .rows()
            .into_iter()
            .zip(y)
            .map(|(row, &l)| hinge(l * self.decide(row)))
            .sum();
        0.5 * lambda * self.w.dot(&self.w) + loss / y.len() as f64
    }

    /// The width of the margin band {|f(x)| ≤ 1}: 2/‖w‖.
    fn margin(&self) -> f64 {
        2.0 / self.w.dot(&self.w).sqrt()
    }
}

/// Pegasos: stochastic sub-gradient descent on λ/2 ‖w‖² + hinge, with step η_t = 1/(λt).
///
/// At step t, draw i at random; if y_i (w·x_i + b) < 1 then w ← (1 − η_t λ) w + η_t y_i x_i,
/// else w ← (1 − η_t λ) w. The bias is the weight of a constant feature appended to x after
/// centring the data (so its small regularisation barely matters); the result is the average of
/// the iterates of the second half, which converges where the last iterate keeps jittering.
fn pegasos(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    lambda: f64,
    steps: usize,
    rng: &mut ChaCha8Rng,
) -> LinearSvm {
    let (n, d) = x.dim();
    let mean = x
        .mean_axis(ndarray::Axis(0))
        .expect("a non-empty training set");
    // z_i = [x_i − mean, 1]: `[n, d + 1]`; v = [w, b'] `[d + 1]`.
    let mut z = Array2::ones((n, d + 1));
    z.slice_mut(ndarray::s![.., ..d]).assign(&(&x - &mean));
    let mut v = Array1::<f64>::zeros(d + 1);
    let mut average = Array1::<f64>::zeros(d + 1);
    let averaged_from = steps / 2 + 1;
    let checkpoints = 100.min(steps);
    let mut curve = Vec::with_capacity(checkpoints);
    let unshift = |v: &Array1<f64>, curve: Vec<(f64, f64)>| {
        // f(x) = w·(x − mean) + b' = w·x + (b' − w·mean).
        let w = v.slice(ndarray::s![..d]).to_owned();
        let b = v[d] - w.dot(&mean);
        LinearSvm { w, b, curve }
    };
    for t in 1..=steps {
        let i = rng.random_range(0..n);
        let eta = 1.0 / (lambda * t as f64);
        let violated = y[i] * v.dot(&z.row(i)) < 1.0;
        v *= 1.0 - eta * lambda;
        if violated {
            v.scaled_add(eta * y[i], &z.row(i));
        }
        if t >= averaged_from {
            let k = (t - averaged_from + 1) as f64;
            // Running mean of the iterates since `averaged_from`.
            average.zip_mut_with(&v, |a, &vi| *a += (vi - *a) / k);
        }
        if t * checkpoints % steps < checkpoints {
            let current = if t >= averaged_from { &average } else { &v };
            let objective = unshift(current, Vec::new()).objective(x, y, lambda);
            curve.push((t as f64, objective));
        }
    }
    unshift(&average, curve)
}

// ---------------------------------------------------------------------------------------------
// Kernel SVM by SMO (Platt 1998)
// ---------------------------------------------------------------------------------------------

/// A kernel K(x, z).
#[derive(Debug, Clone, Copy)]
enum Kernel {
    /// K(x, z) = x·z.
    Linear,
    /// K(x, z) = exp(−γ ‖x − z‖²).
    Rbf { gamma: f64 },
}

impl Kernel {
    /// The kernel matrix K_ij = K(a_i, b_j) `[m, n]` of the rows of `a` `[m, 2]` and `b`
    /// `[n, 2]`, on the backend.
    fn matrix<B: Backend>(
        self,
        backend: &B,
        a: &B::Tensor<f64, Ix2>,
        b: &B::Tensor<f64, Ix2>,
    ) -> BackendResult<B::Tensor<f64, Ix2>> {
        match self {
            Kernel::Linear => inner_products(backend, 1.0, a, b),
            Kernel::Rbf { gamma } => {
                let distances = squared_distances(backend, a, b)?; // ‖a_i − b_j‖²
                let dim = Ix2(distances.shape()[0], distances.shape()[1]);
                let (mut exponent, mut k) = (backend.zeros(dim)?, backend.zeros(dim)?);
                backend.axpby(-gamma, &distances, 0.0, &mut exponent)?; // −γ‖a_i − b_j‖² ≤ 0
                exp_of_nonpositive(backend, &exponent, &mut k)?;
                Ok(k)
            }
        }
    }
}

/// α a_i·b_j for the rows of `a` `[m, 2]` and `b` `[n, 2]`: α A Bᵀ `[m, n]`.
fn inner_products<B: Backend>(
    backend: &B,
    alpha: f64,
    a: &B::Tensor<f64, Ix2>,
    b: &B::Tensor<f64, Ix2>,
) -> BackendResult<B::Tensor<f64, Ix2>> {
    let mut k = backend.zeros(Ix2(a.shape()[0], b.shape()[0]))?;
    backend.gemm(alpha, Mat::of(a), Mat::of(b).t(), 0.0, Mat::of(&mut k))?;
    Ok(k)
}

/// D_ij = ‖a_i − b_j‖² = ‖a_i‖² + ‖b_j‖² − 2 a_i·b_j `[m, n]` for the rows of `a` `[m, 2]` and
/// `b` `[n, 2]`: one matrix product and two broadcast sums.
fn squared_distances<B: Backend>(
    backend: &B,
    a: &B::Tensor<f64, Ix2>,
    b: &B::Tensor<f64, Ix2>,
) -> BackendResult<B::Tensor<f64, Ix2>> {
    let mut d = inner_products(backend, -2.0, a, b)?; // −2 a_i·b_j
    let n = b.shape()[0];
    backend.add_bias(&squared_norms(backend, b)?, 1, 1.0, &mut d)?; // + ‖b_j‖² in column j
    backend.add_bias(&squared_norms(backend, a)?, n, 1.0, &mut d)?; // + ‖a_i‖² in row i
    Ok(d)
}

/// ‖x_i‖² for every row of `x` `[m, d]`: `[m]`.
fn squared_norms<B: Backend>(
    backend: &B,
    x: &B::Tensor<f64, Ix2>,
) -> BackendResult<B::Tensor<f64, Ix1>> {
    let (m, d) = (x.shape()[0], x.shape()[1]);
    let mut squares = backend.zeros(Ix2(m, d))?;
    backend.binary(Binary::Mul, x, x, &mut squares)?; // x_ik²
    let mut norms = backend.zeros(Ix1(m))?;
    backend.add_channel_sums(&squares, d, &mut norms)?; // Σ_k x_ik²
    Ok(norms)
}

/// y = e^z element-wise for z ≤ 0 `[m, n]`: e^z = 1 + ELU(z), the ELU (α = 1) being e^z − 1
/// below 0 (the seam's element-wise map that holds the exponential).
fn exp_of_nonpositive<B: Backend>(
    backend: &B,
    z: &B::Tensor<f64, Ix2>,
    y: &mut B::Tensor<f64, Ix2>,
) -> BackendResult<()> {
    backend.activation(Activation::ELU, z, y)?;
    let ones = backend.upload(Array1::<f64>::ones(z.shape()[1]).view())?;
    backend.add_bias(&ones, 1, 1.0, y)
}

/// A trained kernel SVM: f(x) = Σ_i α_i y_i K(x_i, x) + b.
struct KernelSvm {
    kernel: Kernel,
    /// The training samples `[n, 2]`.
    x: Array2<f64>,
    /// Their classes ±1 `[n]`.
    y: Vec<f64>,
    /// α `[n]`.
    alpha: Vec<f64>,
    b: f64,
    /// Full or partial passes SMO made.
    passes: usize,
    /// Whether a full pass found no KKT violation (else it stopped at `SMO_MAX_PASSES`).
    converged: bool,
}

impl KernelSvm {
    /// f at every row of `points` `[m, 2]` (in the backend's memory), all at once:
    /// K(points, support vectors) `[m, s]` · (α_i y_i) `[s]` + b.
    fn decision<B: Backend>(
        &self,
        backend: &B,
        points: &B::Tensor<f64, Ix2>,
    ) -> BackendResult<Array1<f64>> {
        let m = points.shape()[0];
        let support = self.support_vectors();
        if support.is_empty() {
            return Ok(Array1::from_elem(m, self.b));
        }
        let vectors = backend.upload(self.x.select(Axis(0), &support).view())?; // [s, 2]
        let coef: Array1<f64> = support.iter().map(|&i| self.alpha[i] * self.y[i]).collect();
        let coef = backend.upload(coef.view())?; // α_i y_i [s]
        let k = self.kernel.matrix(backend, points, &vectors)?; // [m, s]
        let mut f = backend.zeros(Ix1(m))?;
        backend.gemm(
            1.0,
            Mat::of(&k),
            Mat::flat(&coef, 1),
            0.0,
            Mat::flat(&mut f, 1),
        )?;
        let b = backend.upload(ndarray::arr1(&[self.b]).view())?;
        backend.add_bias(&b, 1, 1.0, &mut f)?;
        backend.download(&f)
    }

    /// Indices of the support vectors (α_i > 0).
    fn support_vectors(&self) -> Vec<usize> {
        (0..self.alpha.len())
            .filter(|&i| self.alpha[i] > 0.0)
            .collect()
    }

    /// For the linear kernel, the primal solution w = Σ_i α_i y_i x_i (and the same b).
    fn as_linear(&self) -> LinearSvm {
        let mut w = Array1::zeros(self.x.ncols());
        for i in self.support_vectors() {
            w.scaled_add(self.alpha[i] * self.y[i], &self.x.row(i));
        }
        LinearSvm {
            w,
            b: self.b,
            curve: Vec::new(),
        }
    }
}

/// The state of SMO: the Gram matrix, α, b and the error cache E_i = f(x_i) − y_i.
struct Smo<'a> {
    /// K_ij = K(x_i, x_j) `[n, n]`.
    gram: Array2<f64>,
    y: &'a [f64],
    c: f64,
    tol: f64,
    alpha: Vec<f64>,
    b: f64,
    errors: Vec<f64>,
}

/// α closer than this (relative to C) to 0 or C is set to the bound, as in Platt's pseudo-code.
const BOUND_SNAP: f64 = 1e-8;

/// The smallest change of α₂ SMO counts as progress (Platt's ε).
const STEP_EPS: f64 = 1e-12;

/// Trains a kernel SVM on `x` `[n, 2]`, `y` ±1 by Platt's SMO: repeatedly pick a pair (α₁, α₂)
/// that violates the KKT conditions and solve the dual exactly for that pair, alternating full
/// passes over all samples with passes over the non-bound ones (0 < α < C) until a full pass
/// changes nothing.
/// The Gram matrix is computed on `backend` and read once; SMO itself runs on the host.
fn smo<B: Backend>(
    backend: &B,
    x: ArrayView2<'_, f64>,
    y: &[f64],
    kernel: Kernel,
    c: f64,
    tol: f64,
    rng: &mut ChaCha8Rng,
) -> BackendResult<KernelSvm> {
    let n = y.len();
    let samples = backend.upload(x)?; // [n, 2]
    let gram = backend.download(&kernel.matrix(backend, &samples, &samples)?)?; // K_ij [n, n]
    let mut state = Smo {
        gram,
        y,
        c,
        tol,
        alpha: vec![0.0; n],
        b: 0.0,
        errors: y.iter().map(|&l| -l).collect(), // f = 0 at α = 0, b = 0
    };
    let (mut examine_all, mut passes, mut converged) = (true, 0, false);
    while passes < SMO_MAX_PASSES {
        passes += 1;
        let changed = if examine_all {
            state.refresh_errors();
            (0..n).filter(|&i| state.examine(i, rng)).count()
        } else {
            (0..n)
                .filter(|&i| state.is_free(i) && state.examine(i, rng))
                .count()
        };
        if examine_all && changed == 0 {
            converged = true;
            break;
        }
        examine_all = changed == 0;
    }
    Ok(KernelSvm {
        kernel,
        x: x.to_owned(),
        y: y.to_vec(),
        alpha: state.alpha,
        b: state.b,
        passes,
        converged,
    })
}

impl Smo<'_> {
    /// 0 < α_i < C: a sample exactly on its margin at the optimum.
    fn is_free(&self, i: usize) -> bool {
        self.alpha[i] > 0.0 && self.alpha[i] < self.c
    }

    /// f(x_i) for every i, recomputed from α and b (clears rounding drift of the cache).
    fn refresh_errors(&mut self) {
        let coef: Array1<f64> = self.alpha.iter().zip(self.y).map(|(a, l)| a * l).collect();
        let f = self.gram.dot(&coef);
        for (i, e) in self.errors.iter_mut().enumerate() {
            *e = f[i] + self.b - self.y[i];
        }
    }

    /// Platt's `examineExample`: if sample i2 violates KKT by more than tol, looks for a partner
    /// i1 and optimises the pair; returns whether α changed.
    fn examine(&mut self, i2: usize, rng: &mut ChaCha8Rng) -> bool {
        let (e2, a2) = (self.errors[i2], self.alpha[i2]);
        let r2 = e2 * self.y[i2]; // = m₂ − 1
        if !((r2 < -self.tol && a2 < self.c) || (r2 > self.tol && a2 > 0.0)) {
            return false;
        }
        let n = self.alpha.len();
        let free: Vec<usize> = (0..n).filter(|&i| self.is_free(i)).collect();
        // Second-choice heuristic: the free partner that maximises |E₁ − E₂| (the biggest step).
        if free.len() > 1 {
            let best = free
                .iter()
                .copied()
                .max_by(|&p, &q| {
                    (self.errors[p] - e2)
                        .abs()
                        .total_cmp(&(self.errors[q] - e2).abs())
                })
                .expect("free is not empty");
            if self.take_step(best, i2) {
                return true;
            }
        }
        // Then every free sample, then every sample, each from a random starting point.
        let start = rng.random_range(0..n.max(1));
        let rotated_free = free
            .iter()
            .cycle()
            .skip(start % free.len().max(1))
            .take(free.len());
        if rotated_free.copied().any(|i1| self.take_step(i1, i2)) {
            return true;
        }
        let mut all: Vec<usize> = (0..n).collect();
        all.rotate_left(start % n.max(1));
        all.into_iter().any(|i1| self.take_step(i1, i2))
    }

    /// Platt's `takeStep`: solves the dual for (α₁, α₂) with the others fixed, keeping
    /// Σ α_i y_i = 0 and 0 ≤ α ≤ C; returns whether α changed.
    fn take_step(&mut self, i1: usize, i2: usize) -> bool {
        if i1 == i2 {
            return false;
        }
        let (y1, y2, c) = (self.y[i1], self.y[i2], self.c);
        let (a1_old, a2_old) = (self.alpha[i1], self.alpha[i2]);
        let (e1, e2) = (self.errors[i1], self.errors[i2]);
        let s = y1 * y2;
        // The segment of the line α₁y₁ + α₂y₂ = const inside the box [0, C]².
        let (low, high) = if s < 0.0 {
            ((a2_old - a1_old).max(0.0), (c + a2_old - a1_old).min(c))
        } else {
            ((a1_old + a2_old - c).max(0.0), (a1_old + a2_old).min(c))
        };
        if high - low <= 0.0 {
            return false;
        }
        let (k11, k12, k22) = (
            self.gram[[i1, i1]],
            self.gram[[i1, i2]],
            self.gram[[i2, i2]],
        );
        let eta = k11 + k22 - 2.0 * k12; // curvature of the dual along the line
        // The dual along the line: W(a) = W(α₂) + y₂(E₁ − E₂)(a − α₂) − ½η(a − α₂)².
        let along =
            |a: f64| y2 * (e1 - e2) * (a - a2_old) - 0.5 * eta * (a - a2_old) * (a - a2_old);
        let mut a2 = if eta > 0.0 {
            (a2_old + y2 * (e1 - e2) / eta).clamp(low, high)
        } else if along(low) > along(high) + STEP_EPS {
            low
        } else if along(high) > along(low) + STEP_EPS {
            high
        } else {
            a2_old
        };
        a2 = snap_to_bounds(a2, c);
        if (a2 - a2_old).abs() < STEP_EPS * (a2 + a2_old + STEP_EPS) {
            return false;
        }
        let a1 = snap_to_bounds(a1_old + s * (a2_old - a2), c);
        // The bias that puts a free α's sample exactly on its margin (either, or the midpoint).
        let (d1, d2) = (y1 * (a1 - a1_old), y2 * (a2 - a2_old));
        let b1 = self.b - e1 - d1 * k11 - d2 * k12;
        let b2 = self.b - e2 - d1 * k12 - d2 * k22;
        let b_new = if a1 > 0.0 && a1 < c {
            b1
        } else if a2 > 0.0 && a2 < c {
            b2
        } else {
            0.5 * (b1 + b2)
        };
        // E_i += Δf(x_i) = d₁K_{1i} + d₂K_{2i} + Δb.
        let db = b_new - self.b;
        for (i, e) in self.errors.iter_mut().enumerate() {
            *e += d1 * self.gram[[i1, i]] + d2 * self.gram[[i2, i]] + db;
        }
        self.alpha[i1] = a1;
        self.alpha[i2] = a2;
        self.b = b_new;
        true
    }
}

/// `a` in [0, C], set exactly to 0 or C when within `BOUND_SNAP · C` of it.
fn snap_to_bounds(a: f64, c: f64) -> f64 {
    if a < BOUND_SNAP * c {
        0.0
    } else if a > c * (1.0 - BOUND_SNAP) {
        c
    } else {
        a
    }
}

/// How far a dual solution is from the KKT conditions of the soft-margin SVM.
struct Kkt {
    /// Largest violation over the samples, with margins m_i = y_i f(x_i) recomputed:
    /// α_i = 0 ⇒ m_i ≥ 1; 0 < α_i < C ⇒ m_i = 1; α_i = C ⇒ m_i ≤ 1.
    max_violation: f64,
    /// Σ_i α_i y_i (0 at a feasible point).
    balance: f64,
    /// Whether every α_i is in [0, C].
    in_box: bool,
    /// Samples with α = 0, with 0 < α < C, with α = C.
    counts: [usize; 3],
}

impl Kkt {
    /// From `f` `[n]`, the decision function at the training samples of `svm`.
    fn measure(svm: &KernelSvm, f: &Array1<f64>, c: f64) -> Kkt {
        let y = &svm.y;
        let mut kkt = Kkt {
            max_violation: 0.0,
            balance: svm.alpha.iter().zip(y).map(|(a, l)| a * l).sum(),
            in_box: svm.alpha.iter().all(|&a| (0.0..=c).contains(&a)),
            counts: [0; 3],
        };
        for ((&f_i, &label), &alpha) in f.iter().zip(y).zip(&svm.alpha) {
            let margin = label * f_i;
            let (category, violation) = if alpha <= 0.0 {
                (0, (1.0 - margin).max(0.0))
            } else if alpha >= c {
                (2, (margin - 1.0).max(0.0))
            } else {
                (1, (margin - 1.0).abs())
            };
            kkt.counts[category] += 1;
            kkt.max_violation = kkt.max_violation.max(violation);
        }
        kkt
    }

    fn holds(&self, c: f64, tol: f64) -> bool {
        self.in_box && self.balance.abs() <= 1e-6 * c.max(1.0) && self.max_violation <= tol
    }

    fn describe(&self, c: f64, tol: f64, converged: bool) -> String {
        format!(
            "0 ≤ α ≤ C : {} ; Σ α_i y_i = {:.1e} ; violation max des marges {:.2e} (tolérance {tol:e}) ; \
             α = 0 : {}, 0 < α < C : {}, α = C : {} (C = {c}) ; SMO {}",
            if self.in_box { "oui" } else { "non" },
            self.balance,
            self.max_violation,
            self.counts[0],
            self.counts[1],
            self.counts[2],
            if converged {
                "convergé"
            } else {
                "arrêté avant convergence"
            },
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Plots: the points, the support vectors and both decision boundaries
// ---------------------------------------------------------------------------------------------

/// The two decision boundaries of a set, as points (xs, ys).
struct Boundaries {
    /// The line w·x + b = 0 inside the box.
    linear: (Vec<f64>, Vec<f64>),
    /// The zero crossings of the RBF decision function on a grid.
    rbf: (Vec<f64>, Vec<f64>),
}

/// Adds the scatter plot of set `name`: training points per class, RBF support vectors, the
/// linear boundary w·x + b = 0 and the RBF boundary f(x) = 0 (traced on a grid).
fn plot_decisions(
    name: &str,
    x: ArrayView2<'_, f64>,
    y: &[f64],
    boundaries: Boundaries,
    support: &[usize],
    report: &mut Report,
) {
    let column = |rows: &mut dyn Iterator<Item = usize>, j: usize| {
        rows.map(|i| x[[i, j]]).collect::<Vec<f64>>()
    };
    for (label, class) in [("classe −1", -1.0), ("classe +1", 1.0)] {
        let members: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        let xs = column(&mut members.iter().copied(), 0);
        let ys = column(&mut members.iter().copied(), 1);
        report.push_series(Series::points(format!("{name}/{label}"), xs, ys));
    }
    let xs = column(&mut support.iter().copied(), 0);
    let ys = column(&mut support.iter().copied(), 1);
    report.push_series(Series::rings(
        format!("{name}/vecteurs de support (RBF)"),
        xs,
        ys,
    ));

    let Boundaries {
        linear: (lx, ly),
        rbf: (bx, by),
    } = boundaries;
    report.push_series(Series::line(format!("{name}/frontière linéaire"), lx, ly));
    report.push_series(Series::points(format!("{name}/frontière RBF"), bx, by));
    report.set_axes(
        name,
        Axes::new("x₁", "x₂").titled(&format!("{name} : frontières de décision")),
    );
}

/// The bounding box of the data, padded by 10 %.
struct Bounds {
    x: (f64, f64),
    y: (f64, f64),
}

impl Bounds {
    fn of(x: ArrayView2<'_, f64>) -> Bounds {
        let range = |j: usize| {
            let (lo, hi) = x
                .column(j)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                });
            let pad = 0.1 * (hi - lo).max(1e-9);
            (lo - pad, hi + pad)
        };
        Bounds {
            x: range(0),
            y: range(1),
        }
    }

    fn contains(&self, px: f64, py: f64) -> bool {
        (self.x.0..=self.x.1).contains(&px) && (self.y.0..=self.y.1).contains(&py)
    }

    /// Points of the line w·x + b = 0 inside the box, sampled along its steeper axis.
    fn line_inside(&self, svm: &LinearSvm) -> (Vec<f64>, Vec<f64>) {
        let (w0, w1, b) = (svm.w[0], svm.w[1], svm.b);
        let samples = 200;
        let along =
            |(lo, hi): (f64, f64), k: usize| lo + (hi - lo) * k as f64 / (samples - 1) as f64;
        let points = (0..samples).map(|k| {
            if w1.abs() >= w0.abs() {
                let px = along(self.x, k);
                (px, -(w0 * px + b) / w1)
            } else {
                let py = along(self.y, k);
                (-(w1 * py + b) / w0, py)
            }
        });
        points
            .filter(|&(px, py)| px.is_finite() && py.is_finite() && self.contains(px, py))
            .unzip()
    }

    /// Coordinate `k` of `BOUNDARY_GRID` evenly spaced over `(lo, hi)`.
    fn grid_coord((lo, hi): (f64, f64), k: usize) -> f64 {
        lo + (hi - lo) * k as f64 / (BOUNDARY_GRID - 1) as f64
    }

    /// The nodes of a `BOUNDARY_GRID`² grid over the box `[g², 2]`, row r of the grid after
    /// row r − 1, column c (x₁) fastest.
    fn grid(&self) -> Array2<f64> {
        let g = BOUNDARY_GRID;
        Array2::from_shape_fn((g * g, 2), |(i, j)| match j {
            0 => Self::grid_coord(self.x, i % g),
            _ => Self::grid_coord(self.y, i / g),
        })
    }

    /// Where `f` `[g²]` (its values at the nodes of [`Bounds::grid`]) changes sign between
    /// neighbouring nodes (linearly interpolated): a dotted trace of the curve f = 0.
    fn zero_crossings(&self, f: &Array1<f64>) -> (Vec<f64>, Vec<f64>) {
        let g = BOUNDARY_GRID;
        let coord = Self::grid_coord;
        let values = f
            .view()
            .into_shape_with_order((g, g))
            .expect("one value per grid node");
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for r in 0..g {
            for c in 0..g {
                let v = values[[r, c]];
                for (r2, c2) in [(r, c + 1), (r + 1, c)] {
                    let Some(&w) = values.get([r2, c2]) else {
                        continue;
                    };
                    if v * w < 0.0 {
                        let t = v / (v - w);
                        let (x1, y1) = (coord(self.x, c), coord(self.y, r));
                        let (x2, y2) = (coord(self.x, c2), coord(self.y, r2));
                        xs.push(x1 + t * (x2 - x1));
                        ys.push(y1 + t * (y2 - y1));
                    }
                }
            }
        }
        (xs, ys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Cpu;
    use ndarray::array;

    /// The seam's kernel matrices equal their definitions entry by entry: x·z, and
    /// exp(−γ‖x − z‖²) (through ‖x‖² + ‖z‖² − 2x·z and 1 + ELU), including K(x, x) = 1.
    #[test]
    fn kernel_matrices_match_their_definitions() {
        let a = array![[0.5, -1.0], [2.0, 0.25], [-0.3, 0.0]];
        let b = array![[0.5, -1.0], [1.0, 1.0]];
        let gamma = 0.7;
        let linear = Kernel::Linear.matrix(&Cpu, &a, &b).unwrap();
        let rbf = Kernel::Rbf { gamma }.matrix(&Cpu, &a, &b).unwrap();
        for (i, x) in a.rows().into_iter().enumerate() {
            for (j, z) in b.rows().into_iter().enumerate() {
                assert!((linear[[i, j]] - x.dot(&z)).abs() < 1e-12);
                let d2 = (&x - &z).mapv(|v| v * v).sum();
                let want = (-gamma * d2).exp();
                assert!((rbf[[i, j]] - want).abs() < 1e-12, "{i},{j}");
            }
        }
        assert_eq!(rbf[[0, 0]], 1.0);
    }

    /// The batched decision function is Σ_i α_i y_i K(x_i, x) + b over the support vectors.
    #[test]
    fn decision_sums_over_the_support_vectors() {
        let kernel = Kernel::Rbf { gamma: 1.0 };
        let svm = KernelSvm {
            kernel,
            x: array![[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]],
            y: vec![1.0, -1.0, 1.0],
            alpha: vec![0.5, 0.5, 0.0],
            b: 0.1,
            passes: 1,
            converged: true,
        };
        let points = array![[0.5, 0.5], [1.0, -1.0]];
        let f = svm.decision(&Cpu, &points).unwrap();
        for (row, got) in points.rows().into_iter().zip(&f) {
            let k = |i: usize| (-(&svm.x.row(i) - &row).mapv(|v| v * v).sum()).exp();
            let want = 0.5 * k(0) - 0.5 * k(1) + 0.1;
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }
}
