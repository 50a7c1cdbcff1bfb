//! L'algorithme du gradient: five descent methods raced on two surfaces of the plane, then gradient
//! descent checked against the closed-form solution of linear least squares.
//!
//! Legend: p ∈ ℝ² the point, f(p) the function, g = ∇f(p) its gradient, t the step, lr the
//! learning rate, β the momentum factor, κ the condition number, L the largest curvature.
//!
//! 1. The surfaces. An ill-conditioned quadratic f(p) = ½(p₁² + κ p₂²), minimum 0 at the origin,
//!    curvatures 1 and κ = L: gradient descent must take lr < 2/L to stay stable, so it crawls
//!    along the flat direction, needing about κ·ln(f₀/tol)/2 steps. And Rosenbrock's banana
//!    f(p) = (1 − p₁)² + 100 (p₂ − p₁²)², minimum 0 at (1, 1) at the end of a curved valley.
//! 2. The methods, each one of [`crate::optim`]'s optimisers updating p from g:
//!    GD p ← p − lr·g; SGD the same with noisy gradients g + σε, ε ~ N(0, I) (the noise of
//!    mini-batches); momentum buf ← β·buf + g, p ← p − lr·buf; Nesterov the same step taken from
//!    the look-ahead, p ← p − lr·(g + β·buf); Adam a step per coordinate scaled by running moments.
//! 3. Linear regression y ≈ Xw + b by GD on the mean squared error, against the exact minimiser
//!    θ* = (ZᵀZ)⁻¹Zᵀy (Z = [X, 1]) from the normal equations, solved by Cholesky.
//!
//! Devices: the regression runs on the chosen device (`--device gpu` too): Z, y, θ and the
//! residual live there, the products, the gradient and the optimiser's update are the backend's,
//! and only the loss curve and θ come back, once, at the end. The 2-D races stay on the host
//! (two numbers per step); the closed-form θ* is the host's reference.

use ndarray::{Array1, Array2, Axis, Ix1, concatenate};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::backend::{Backend, BackendResult, Cpu, Mat};
use crate::implementation::{Implementation, Progress, RunError, RunOnBackend};
use crate::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use crate::params::{Config, ParamSpec};
use crate::report::{Axes, Report, Series};

/// The `gradient-descent` implementation.
#[derive(Debug, Clone, Copy)]
pub struct GradientDescent;

/// At most this many points per series (long runs are thinned evenly, the last point kept).
const MAX_POINTS: usize = 400;

/// Loss curves stop once below this fraction of the starting loss (64-bit rounding level), so the
/// log-scale plot shows the convergence rates rather than decades of underflowing digits.
const PLOT_FLOOR: f64 = 1e-16;

/// A loss above this counts as divergence (the run stops before overflowing).
const DIVERGED: f64 = 1e12;

/// Largest distance between the GD and closed-form regression coefficients.
const REGRESSION_TOL: f64 = 1e-4;

/// Features of the synthetic regression, and its true coefficients and intercept.
const TRUE_WEIGHTS: [f64; 4] = [2.0, -1.0, 0.5, 3.0];
const TRUE_INTERCEPT: f64 = 1.0;

impl Implementation for GradientDescent {
    fn id(&self) -> &'static str {
        "gradient-descent"
    }

    fn source_file(&self) -> Option<&'static str> {
        Some(file!())
    }

    fn title(&self) -> &'static str {
        "L'algorithme du gradient"
    }

    fn description(&self) -> &'static str {
        "Descente de gradient, SGD (gradients bruités), momentum, Nesterov et Adam sur une \
         quadratique mal conditionnée et sur la fonction de Rosenbrock (courbes de perte et \
         trajectoires), puis régression linéaire par descente de gradient comparée à la solution \
         exacte des moindres carrés."
    }

    fn concept(&self) -> Option<&'static str> {
        Some("L'algorithme du gradient")
    }

    fn params(&self) -> Vec<ParamSpec> {
        vec![
            ParamSpec::int(
                "steps",
                "pas de chaque méthode sur chaque problème",
                2_000,
                10,
                100_000,
            ),
            ParamSpec::float(
                "condition",
                "κ : conditionnement de la quadratique ½(p₁² + κ p₂²)",
                50.0,
                1.0,
                10_000.0,
            ),
            ParamSpec::float(
                "lr_scale",
                "pas sur la quadratique, en unités de 1/L = 1/κ (GD diverge au-delà de 2)",
                1.0,
                0.01,
                1.99,
            ),
            ParamSpec::float("momentum", "β du momentum et de Nesterov", 0.9, 0.0, 0.999),
            ParamSpec::float("adam_lr", "pas d'Adam sur la quadratique", 0.1, 1e-4, 1.0),
            ParamSpec::float(
                "rosenbrock_lr",
                "pas de GD, SGD, momentum et Nesterov sur Rosenbrock",
                1e-3,
                1e-6,
                2e-3,
            ),
            ParamSpec::float(
                "rosenbrock_adam_lr",
                "pas d'Adam sur Rosenbrock",
                0.05,
                1e-4,
                1.0,
            ),
            ParamSpec::float(
                "noise",
                "σ : écart type du bruit ajouté aux gradients de SGD",
                1.0,
                0.0,
                100.0,
            ),
            ParamSpec::float(
                "tol",
                "tolérance sur f(p) − f* pour compter les pas",
                1e-6,
                1e-12,
                1.0,
            ),
            ParamSpec::int(
                "samples",
                "exemples de la régression linéaire",
                200,
                10,
                100_000,
            ),
            ParamSpec::float(
                "regression_lr",
                "pas de GD sur la régression linéaire",
                0.1,
                1e-4,
                1.0,
            ),
        ]
    }

    crate::on_every_device!();
}

/// What the report says about where each part ran.
const DEVICE_NOTE: &str = "les courses en 2-D tournent sur l'hôte (deux nombres par pas) ; la \
     régression linéaire (produits, résidu, gradient, mise à jour de l'optimiseur) tourne sur \
     l'appareil choisi, la solution exacte θ* (Cholesky) sur l'hôte.";

impl RunOnBackend for GradientDescent {
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
        let steps = cfg.usize("steps");
        let tol = cfg.float("tol");
        progress.start(2 * Method::ALL.len() as u64 + 1, "gradient");

        let kappa = cfg.float("condition");
        let quadratic = Surface::Quadratic { kappa };
        let lr = cfg.float("lr_scale") / kappa;
        let settings = Settings {
            steps,
            tol,
            momentum: cfg.float("momentum"),
            noise: cfg.float("noise"),
        };
        let paths = race(
            quadratic,
            lr,
            cfg.float("adam_lr"),
            &settings,
            &mut rng,
            progress,
        );
        record(&mut report, quadratic, &paths, tol);
        check_quadratic(&mut report, &paths, tol);

        let rosenbrock = Surface::Rosenbrock;
        let lr = cfg.float("rosenbrock_lr");
        let paths = race(
            rosenbrock,
            lr,
            cfg.float("rosenbrock_adam_lr"),
            &settings,
            &mut rng,
            progress,
        );
        record(&mut report, rosenbrock, &paths, tol);
        check_rosenbrock(&mut report, &paths, steps);

        regression(
            backend,
            &mut report,
            cfg.usize("samples"),
            cfg.float("regression_lr"),
            steps,
            &mut rng,
        )?;
        progress.advance(1);
        progress.finish();
        Ok(report)
    }
}

// ---------------------------------------------------------------------------------------------
// 1. The surfaces
// ---------------------------------------------------------------------------------------------

/// A function of the plane to minimise.
#[derive(Debug, Clone, Copy)]
enum Surface {
    /// f(p) = ½(p₁² + κ p₂²).
    Quadratic { kappa: f64 },
    /// f(p) = (1 − p₁)² + 100 (p₂ − p₁²)².
    Rosenbrock,
}

impl Surface {
    /// Short name used in metric and series names.
    fn key(self) -> &'static str {
        match self {
            Surface::Quadratic { .. } => "quadratic",
            Surface::Rosenbrock => "rosenbrock",
        }
    }

    /// Title in plots.
    fn title(self) -> String {
        match self {
            Surface::Quadratic { kappa } => format!("quadratique mal conditionnée (κ = {kappa})"),
            Surface::Rosenbrock => "fonction de Rosenbrock".to_string(),
        }
    }

    /// Where every method starts.
    fn start(self) -> [f64; 2] {
        match self {
            Surface::Quadratic { .. } => [-4.0, 2.0],
            Surface::Rosenbrock => [-1.2, 1.0],
        }
    }

    /// The minimiser p* (f(p*) = 0 for both).
    fn minimum(self) -> [f64; 2] {
        match self {
            Surface::Quadratic { .. } => [0.0, 0.0],
            Surface::Rosenbrock => [1.0, 1.0],
        }
    }

    /// f(p).
    fn value(self, p: &Array1<f64>) -> f64 {
        let (x, y) = (p[0], p[1]);
        match self {
            Surface::Quadratic { kappa } => 0.5 * (x * x + kappa * y * y),
            Surface::Rosenbrock => (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2),
        }
    }

    /// ∇f(p) `[2]`.
    fn gradient(self, p: &Array1<f64>) -> Array1<f64> {
        let (x, y) = (p[0], p[1]);
        match self {
            Surface::Quadratic { kappa } => Array1::from(vec![x, kappa * y]),
            Surface::Rosenbrock => Array1::from(vec![
                -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
                200.0 * (y - x * x),
            ]),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. The methods and the race
// ---------------------------------------------------------------------------------------------

/// A descent method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Gd,
    Sgd,
    Momentum,
    Nesterov,
    Adam,
}

impl Method {
    const ALL: [Method; 5] = [
        Method::Gd,
        Method::Sgd,
        Method::Momentum,
        Method::Nesterov,
        Method::Adam,
    ];

    /// Name in metrics, series and checks.
    fn key(self) -> &'static str {
        match self {
            Method::Gd => "gd",
            Method::Sgd => "sgd",
            Method::Momentum => "momentum",
            Method::Nesterov => "nesterov",
            Method::Adam => "adam",
        }
    }

    /// The optimiser of [`crate::optim`] that performs this method's update.
    fn optimizer(self, lr: f64, adam_lr: f64, momentum: f64) -> Box<dyn Optimizer<f64>> {
        match self {
            Method::Gd | Method::Sgd => Box::new(Sgd::new(SgdConfig::new(lr))),
            Method::Momentum => Box::new(Sgd::new(SgdConfig::new(lr).with_momentum(momentum))),
            Method::Nesterov => Box::new(Sgd::new(SgdConfig::new(lr).with_nesterov(momentum))),
            Method::Adam => Box::new(Adam::new(AdamConfig::adam(adam_lr))),
        }
    }
}

/// What every method of a race shares.
struct Settings {
    steps: usize,
    tol: f64,
    momentum: f64,
    noise: f64,
}

/// The path of one method: the points visited and f(p_t) − f* at each, from t = 0.
struct Path {
    method: Method,
    points: Vec<[f64; 2]>,
    losses: Vec<f64>,
    /// The first t with f(p_t) − f* ≤ tol.
    steps_to_tol: Option<usize>,
    /// Whether the loss blew up (the path stops there).
    diverged: bool,
}

impl Path {
    /// The last loss reached.
    fn final_loss(&self) -> f64 {
        *self.losses.last().expect("a path holds its starting point")
    }

    /// The mean loss over the last tenth of the path (the level a noisy method settles at).
    fn floor(&self) -> f64 {
        let tail = (self.losses.len() / 10).max(1);
        self.losses[self.losses.len() - tail..].iter().sum::<f64>() / tail as f64
    }
}

/// Runs every method from the surface's start: `lr` for all but Adam, which takes `adam_lr`.
fn race(
    surface: Surface,
    lr: f64,
    adam_lr: f64,
    settings: &Settings,
    rng: &mut ChaCha8Rng,
    progress: &dyn Progress,
) -> Vec<Path> {
    Method::ALL
        .iter()
        .map(|&method| {
            let optimizer = method.optimizer(lr, adam_lr, settings.momentum);
            let path = descend(surface, method, optimizer, settings, rng);
            progress.advance(1);
            path
        })
        .collect()
}

/// Descends `surface` for `settings.steps` steps with `optimizer` (noisy gradients for SGD).
fn descend(
    surface: Surface,
    method: Method,
    mut optimizer: Box<dyn Optimizer<f64>>,
    settings: &Settings,
    rng: &mut ChaCha8Rng,
) -> Path {
    let mut p = Array1::from(surface.start().to_vec()); // [2]
    let mut path = Path {
        method,
        points: vec![[p[0], p[1]]],
        losses: vec![surface.value(&p)],
        steps_to_tol: None,
        diverged: false,
    };
    for t in 1..=settings.steps {
        let mut g = surface.gradient(&p); // [2]
        if method == Method::Sgd {
            g.mapv_inplace(|gi| {
                let e: f64 = StandardNormal.sample(rng);
                gi + settings.noise * e
            });
        }
        optimizer.begin_step();
        optimizer
            .update(
                &Cpu,
                0,
                &mut p.view_mut().into_dyn(),
                &g.view_mut().into_dyn(),
            )
            .expect("the CPU backend does not fail");
        let loss = surface.value(&p);
        if !loss.is_finite() || loss > DIVERGED {
            path.diverged = true;
            break;
        }
        path.points.push([p[0], p[1]]);
        path.losses.push(loss);
        if path.steps_to_tol.is_none() && loss <= settings.tol {
            path.steps_to_tol = Some(t);
        }
    }
    path
}

/// Every `k`-th index of `0..len` (k chosen to keep about [`MAX_POINTS`]) and the last one.
fn thinned(len: usize) -> Vec<usize> {
    let stride = len.div_ceil(MAX_POINTS).max(1);
    let mut kept: Vec<usize> = (0..len).step_by(stride).collect();
    if kept.last() != Some(&(len - 1)) && len > 0 {
        kept.push(len - 1);
    }
    kept
}

/// How many leading values of a loss curve to plot: up to the first below `PLOT_FLOOR` times the
/// first value (included).
fn above_floor(losses: &[f64]) -> usize {
    let floor = losses.first().map_or(0.0, |l| l * PLOT_FLOOR);
    losses
        .iter()
        .position(|&l| l < floor)
        .map_or(losses.len(), |i| i + 1)
}

/// Indices of the points of a trajectory that moved visibly (more than 1/500 of the diagonal of
/// its bounding box) since the last one kept, plus the last point: the
/// path keeps its early zig-zags while the thousands of steps spent near the end shrink to a few.
fn moving_points(points: &[[f64; 2]]) -> Vec<usize> {
    let (lo, hi) = points.iter().fold(
        ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]),
        |(lo, hi), p| {
            (
                [lo[0].min(p[0]), lo[1].min(p[1])],
                [hi[0].max(p[0]), hi[1].max(p[1])],
            )
        },
    );
    let visible = (hi[0] - lo[0]).hypot(hi[1] - lo[1]) / 500.0;
    let mut kept = vec![0];
    for (i, p) in points.iter().enumerate().skip(1) {
        let last = points[*kept.last().expect("kept starts with 0")];
        if (p[0] - last[0]).hypot(p[1] - last[1]) > visible || i + 1 == points.len() {
            kept.push(i);
        }
    }
    kept
}

/// Records the metrics, loss curves and trajectories of one race.
fn record(report: &mut Report, surface: Surface, paths: &[Path], tol: f64) {
    let key = surface.key();
    let (loss_group, trajectory_group) = (format!("loss_{key}"), format!("trajectory_{key}"));
    for path in paths {
        let method = path.method.key();
        report.metric(&format!("{key}.{method}.final_loss"), path.final_loss());
        if let Some(steps) = path.steps_to_tol {
            report.metric(&format!("{key}.{method}.steps_to_tol"), steps as f64);
        }
        if path.method == Method::Sgd {
            report.metric(&format!("{key}.{method}.noise_floor"), path.floor());
        }
        let kept = thinned(above_floor(&path.losses));
        let steps = kept.iter().map(|&i| i as f64).collect();
        let losses = kept.iter().map(|&i| path.losses[i]).collect();
        report.push_series(Series::line(
            format!("{loss_group}/{method}"),
            steps,
            losses,
        ));
        let moved = moving_points(&path.points);
        let kept: Vec<usize> = thinned(moved.len()).into_iter().map(|k| moved[k]).collect();
        let xs = kept.iter().map(|&i| path.points[i][0]).collect();
        let ys = kept.iter().map(|&i| path.points[i][1]).collect();
        report.push_series(Series::line(format!("{trajectory_group}/{method}"), xs, ys));
    }
    let [mx, my] = surface.minimum();
    report.push_series(Series::points(
        format!("{trajectory_group}/minimum"),
        vec![mx],
        vec![my],
    ));
    let name = surface.title();
    let loss_axes = Axes::new("pas t", &format!("f(p_t) − f* (tolérance {tol:e})"));
    report.set_axes(
        &loss_group,
        loss_axes.titled(&format!("Perte : {name}")).log_y(),
    );
    report.set_axes(
        &trajectory_group,
        Axes::new("p₁", "p₂").titled(&format!("Trajectoires : {name}")),
    );
}

/// The path of `method` in a race.
fn path_of(paths: &[Path], method: Method) -> &Path {
    paths
        .iter()
        .find(|p| p.method == method)
        .expect("every method runs in a race")
}

/// Steps to tolerance as text ("jamais" when not reached, "diverge" when it blew up).
fn steps_text(path: &Path) -> String {
    match (path.steps_to_tol, path.diverged) {
        (Some(t), _) => t.to_string(),
        (None, true) => "diverge".to_string(),
        (None, false) => "jamais".to_string(),
    }
}

/// The checks of the quadratic: GD converges, the accelerated methods converge faster, SGD stalls.
fn check_quadratic(report: &mut Report, paths: &[Path], tol: f64) {
    let gd = path_of(paths, Method::Gd);
    report.check(
        "quadratique : GD converge vers le minimum à la tolérance près",
        gd.steps_to_tol.is_some(),
        format!(
            "f(p) − f* = {:.2e} après {} pas (tolérance {tol:e}, atteinte au pas {})",
            gd.final_loss(),
            gd.losses.len() - 1,
            steps_text(gd)
        ),
    );
    let faster = [Method::Momentum, Method::Nesterov, Method::Adam];
    let beats_gd = |m: Method| match (path_of(paths, m).steps_to_tol, gd.steps_to_tol) {
        (Some(fast), Some(slow)) => fast < slow,
        (Some(_), None) => true,
        _ => false,
    };
    let detail = std::iter::once(gd)
        .chain(faster.iter().map(|&m| path_of(paths, m)))
        .map(|p| format!("{} {}", p.method.key(), steps_text(p)))
        .collect::<Vec<_>>()
        .join(", ");
    report.check(
        "quadratique : momentum, Nesterov et Adam atteignent la tolérance en moins de pas que GD",
        faster.iter().all(|&m| beats_gd(m)),
        format!("pas jusqu'à la tolérance : {detail}"),
    );
    let sgd = path_of(paths, Method::Sgd);
    let start = sgd.losses[0];
    report.check(
        "quadratique : SGD (gradients bruités) descend puis stagne à un plancher de bruit, au-dessus de GD",
        !sgd.diverged && sgd.floor() < start / 100.0 && sgd.floor() > gd.final_loss(),
        format!("perte initiale {start:.3e}, plancher de SGD {:.3e}, perte finale de GD {:.3e}", sgd.floor(), gd.final_loss()),
    );
}

/// The check of Rosenbrock: the valley rewards momentum and per-coordinate steps.
fn check_rosenbrock(report: &mut Report, paths: &[Path], steps: usize) {
    let gd = path_of(paths, Method::Gd);
    let faster = [Method::Momentum, Method::Nesterov, Method::Adam];
    let detail = std::iter::once(gd)
        .chain(faster.iter().map(|&m| path_of(paths, m)))
        .map(|p| format!("{} {:.2e}", p.method.key(), p.final_loss()))
        .collect::<Vec<_>>()
        .join(", ");
    report.check(
        &format!(
            "Rosenbrock : momentum, Nesterov et Adam descendent plus bas que GD en {steps} pas"
        ),
        faster.iter().all(|&m| {
            let p = path_of(paths, m);
            !p.diverged && p.final_loss() < gd.final_loss()
        }),
        format!("f(p) − f* final : {detail}"),
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Linear regression: GD against the normal equations
// ---------------------------------------------------------------------------------------------

/// Fits y ≈ Xw + b on `samples` synthetic points by GD on L(θ) = 1/(2n) ‖Zθ − y‖², with
/// Z = [X, 1] `[n, d + 1]` and θ = [w, b], on `backend`, and compares with θ* solving
/// ZᵀZ θ = Zᵀy on the host.
fn regression<B: Backend>(
    backend: &B,
    report: &mut Report,
    samples: usize,
    lr: f64,
    steps: usize,
    rng: &mut ChaCha8Rng,
) -> Result<(), RunError> {
    let d = TRUE_WEIGHTS.len();
    let x = Array2::<f64>::from_shape_fn((samples, d), |_| StandardNormal.sample(rng)); // [n, d]
    let noise = Array1::<f64>::from_shape_fn(samples, |_| StandardNormal.sample(rng)) * 0.5; // [n]
    let y = x.dot(&Array1::from(TRUE_WEIGHTS.to_vec())) + TRUE_INTERCEPT + noise; // [n]
    let z =
        concatenate(Axis(1), &[x.view(), Array2::ones((samples, 1)).view()]).expect("same rows"); // [n, d+1]

    let exact = cholesky_solve(z.t().dot(&z), z.t().dot(&y)).ok_or_else(|| {
        RunError::Failed(
            "the normal equations are singular: use more samples than features".to_string(),
        )
    })?;
    let mut problem = LeastSquares::upload(backend, &z, &y)?;
    let best = problem.loss_at(backend, &exact)?;

    let mut theta = backend.zeros(Ix1(d + 1))?; // [d+1]
    let mut grad = backend.zeros(Ix1(d + 1))?; // [d+1]
    let mut losses = backend.zeros(Ix1(steps + 1))?; // L(θ_t) for t = 0..=steps
    let mut optimizer = Sgd::<f64, B>::new(SgdConfig::new(lr));
    for t in 0..steps {
        problem.residual(backend, &theta)?;
        problem.loss_into(backend, &mut losses, t)?;
        problem.gradient(backend, &mut grad)?;
        optimizer.begin_step();
        optimizer.update(
            backend,
            0,
            &mut B::param_mut(&mut theta),
            &B::param_mut(&mut grad),
        )?;
    }
    problem.residual(backend, &theta)?;
    problem.loss_into(backend, &mut losses, steps)?;
    let theta = backend.download(&theta)?;
    let losses = backend.download(&losses)?;
    let excess: Vec<f64> = losses.iter().map(|l| l - best).collect();

    let gap = (&theta - &exact).iter().fold(0.0f64, |m, v| m.max(v.abs()));
    report.metric("regression.max_coefficient_gap", gap);
    report.metric("regression.gd_loss", losses[steps]);
    report.metric("regression.closed_form_loss", best);
    report.check(
        &format!("régression linéaire : GD retrouve la solution des moindres carrés à {REGRESSION_TOL:e} près"),
        gap <= REGRESSION_TOL,
        format!(
            "max |θ_GD − θ*| = {gap:.2e} après {steps} pas ; θ* = [{}] (vrais : w = {TRUE_WEIGHTS:?}, b = {TRUE_INTERCEPT})",
            exact.iter().map(|v| format!("{v:.4}")).collect::<Vec<_>>().join(", ")
        ),
    );
    let kept = thinned(above_floor(&excess));
    report.push_series(Series::line(
        "regression/GD",
        kept.iter().map(|&i| i as f64).collect(),
        kept.iter().map(|&i| excess[i]).collect(),
    ));
    let axes = Axes::new("pas t", "L(θ_t) − L(θ*)")
        .titled("Régression linéaire : écart à l'optimum exact");
    report.set_axes("regression", axes.log_y());
    Ok(())
}

/// Least squares on a backend: Z `[n, d+1]`, y `[n]` and the residual r = Zθ − y `[n]` in its
/// memory. Vectors are read as columns (`Mat::flat(v, 1)`: `[len, 1]`).
struct LeastSquares<B: Backend> {
    /// Z = [X, 1] `[n, d+1]`.
    z: B::Tensor<f64, ndarray::Ix2>,
    /// y `[n]`.
    y: B::Tensor<f64, Ix1>,
    /// r = Zθ − y `[n]`, as of the last [`LeastSquares::residual`].
    r: B::Tensor<f64, Ix1>,
    /// n, the number of samples.
    n: f64,
}

impl<B: Backend> LeastSquares<B> {
    fn upload(backend: &B, z: &Array2<f64>, y: &Array1<f64>) -> BackendResult<Self> {
        Ok(Self {
            z: backend.upload(z.view())?,
            y: backend.upload(y.view())?,
            r: backend.zeros(Ix1(y.len()))?,
            n: y.len() as f64,
        })
    }

    /// r ← Zθ − y.
    fn residual(&mut self, backend: &B, theta: &B::Tensor<f64, Ix1>) -> BackendResult<()> {
        let r = Mat::flat(&mut self.r, 1);
        backend.gemm(1.0, Mat::of(&self.z), Mat::flat(theta, 1), 0.0, r)?;
        backend.axpby(-1.0, &self.y, 1.0, &mut self.r)
    }

    /// losses[t] ← L = rᵀr/(2n), from the last residual.
    fn loss_into(
        &self,
        backend: &B,
        losses: &mut B::Tensor<f64, Ix1>,
        t: usize,
    ) -> BackendResult<()> {
        let r = || Mat::flat(&self.r, 1);
        let slot = Mat::flat(losses, 1).rows(t..t + 1);
        backend.gemm(1.0 / (2.0 * self.n), r().t(), r(), 0.0, slot)
    }

    /// ∇L = Zᵀr/n, from the last residual.
    fn gradient(&self, backend: &B, grad: &mut B::Tensor<f64, Ix1>) -> BackendResult<()> {
        let (z, r) = (Mat::of(&self.z).t(), Mat::flat(&self.r, 1));
        backend.gemm(1.0 / self.n, z, r, 0.0, Mat::flat(grad, 1))
    }

    /// L(θ) for a host θ (the closed-form solution), computed as the descent's losses are.
    fn loss_at(&mut self, backend: &B, theta: &Array1<f64>) -> BackendResult<f64> {
        let theta = backend.upload(theta.view())?;
        let mut loss = backend.zeros(Ix1(1))?;
        self.residual(backend, &theta)?;
        self.loss_into(backend, &mut loss, 0)?;
        Ok(backend.download(&loss)?[0])
    }
}

/// Solves A θ = b for a symmetric positive-definite `a` `[m, m]` by Cholesky: A = L Lᵀ, then
/// L u = b (forward) and Lᵀ θ = u (backward). `None` when A is not positive definite.
fn cholesky_solve(a: Array2<f64>, b: Array1<f64>) -> Option<Array1<f64>> {
    let m = a.nrows();
    let mut l = Array2::<f64>::zeros((m, m)); // [m, m], lower triangular
    for i in 0..m {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| l[[i, k]] * l[[j, k]]).sum();
            if i == j {
                let pivot = a[[i, i]] - dot;
                if pivot <= 0.0 {
                    return None;
                }
                l[[i, i]] = pivot.sqrt();
            } else {
                l[[i, j]] = (a[[i, j]] - dot) / l[[j, j]];
            }
        }
    }
    let mut u = Array1::<f64>::zeros(m);
    for i in 0..m {
        u[i] = (b[i] - (0..i).map(|k| l[[i, k]] * u[k]).sum::<f64>()) / l[[i, i]];
    }
    let mut theta = Array1::<f64>::zeros(m);
    for i in (0..m).rev() {
        theta[i] = (u[i] - (i + 1..m).map(|k| l[[k, i]] * theta[k]).sum::<f64>()) / l[[i, i]];
    }
    Some(theta)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cholesky_solves_a_known_system() {
        let a = array![[4.0, 2.0], [2.0, 3.0]];
        let theta = cholesky_solve(a.clone(), array![2.0, 1.0]).unwrap();
        assert!(
            (a.dot(&theta) - array![2.0, 1.0])
                .iter()
                .all(|e| e.abs() < 1e-12)
        );
        assert!(cholesky_solve(array![[1.0, 2.0], [2.0, 1.0]], array![1.0, 1.0]).is_none());
    }

    #[test]
    fn surface_gradients_match_finite_differences() {
        for surface in [Surface::Quadratic { kappa: 7.0 }, Surface::Rosenbrock] {
            let p = array![0.3, -0.7];
            let g = surface.gradient(&p);
            for i in 0..2 {
                let h = 1e-6;
                let (mut up, mut down) = (p.clone(), p.clone());
                up[i] += h;
                down[i] -= h;
                let numeric = (surface.value(&up) - surface.value(&down)) / (2.0 * h);
                assert!(
                    (numeric - g[i]).abs() < 1e-5,
                    "{surface:?} ∂{i}: {numeric} vs {}",
                    g[i]
                );
            }
        }
    }
}
