//! The `gradient-descent` and `svm` models: a small run passes its checks and clears its metric
//! thresholds, and runs are deterministic for a seed.

use reference_impls::Device;
use reference_impls::implementation::{NoProgress, Progress};
use reference_impls::params::parse_set;
use reference_impls::registry;
use reference_impls::report::Report;

/// A small but meaningful configuration of each model.
const GRADIENT_DESCENT_SMALL: &[&str] = &["steps=600", "samples=100"];
const SVM_SMALL: &[&str] = &["samples=120", "pegasos_steps=5000"];

fn run(id: &str, settings: &[&str], seed: u64) -> Report {
    let sets: Vec<(String, String)> = settings.iter().map(|s| parse_set(s).unwrap()).collect();
    registry::run(id, &sets, Device::Cpu, seed, &NoProgress).unwrap()
}

fn assert_checks_pass_and_series_finite(report: &Report) {
    assert!(
        !report.checks.is_empty(),
        "{} records checks",
        report.implementation
    );
    let failed: Vec<String> = report
        .failed_checks()
        .iter()
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    assert!(
        failed.is_empty(),
        "failed checks of {}:\n{}",
        report.implementation,
        failed.join("\n")
    );
}

/// The report as JSON with the one non-deterministic field zeroed.
fn without_duration(mut report: Report) -> String {
    report.duration_ms = 0;
    report.to_json()
}

#[test]
fn gradient_descent_small_run_passes_its_checks() {
    let report = run("gradient-descent", GRADIENT_DESCENT_SMALL, 0);
    assert_checks_pass_and_series_finite(&report);
    assert_eq!(report.concept.as_deref(), Some("L'algorithme du gradient"));
    let m = &report.metrics;
    assert!(m["regression.max_coefficient_gap"] < 1e-4);
    assert!(m["quadratic.nesterov.steps_to_tol"] < m["quadratic.gd.steps_to_tol"]);
    assert!(m["rosenbrock.momentum.final_loss"] < 1e-3 * m["rosenbrock.gd.final_loss"]);
    for group in [
        "loss_quadratic/gd",
        "trajectory_rosenbrock/adam",
        "regression/GD",
    ] {
        let series = report.series.iter().find(|s| s.name == group).expect(group);
        assert_eq!(series.x.len(), series.y.len());
        assert!(
            series.x.len() > 10 && series.x.len() <= 401,
            "{group}: {} points",
            series.x.len()
        );
    }
}

/// The default configurations' claims hold at three seeds (each runs in well under a second).
#[test]
fn gradient_descent_and_svm_defaults_pass_their_checks_at_three_seeds() {
    for seed in [1, 2, 3] {
        for id in ["gradient-descent", "svm"] {
            assert_checks_pass_and_series_finite(&run(id, &[], seed));
        }
    }
}

#[test]
fn gradient_descent_reports_an_unstable_step_as_a_failed_check() {
    // With lr = 1.99/L and momentum 0.999 the accelerated methods cannot settle in 100 steps.
    let report = run(
        "gradient-descent",
        &["steps=100", "lr_scale=1.99", "momentum=0.999"],
        0,
    );
    assert!(!report.all_checks_passed());
    assert!(report.metrics.values().all(|v| v.is_finite()));
}

#[test]
fn svm_small_run_passes_its_checks() {
    let report = run("svm", SVM_SMALL, 0);
    assert_checks_pass_and_series_finite(&report);
    let m = &report.metrics;
    for set in ["moons", "circles"] {
        assert!(m[&format!("{set}.rbf.test_accuracy")] >= 0.9, "{set}");
        assert!(m[&format!("{set}.rbf.support_vectors")] >= 3.0, "{set}");
        assert!(m[&format!("{set}.rbf.kkt_max_violation")] <= 1e-3, "{set}");
        assert!(m[&format!("{set}.linear.margin")] > 0.0, "{set}");
    }
    assert!(
        m["circles.linear.test_accuracy"] < 0.75,
        "no line separates concentric circles"
    );
    let kkt = report
        .checks
        .iter()
        .find(|c| c.name.contains("KKT"))
        .unwrap();
    assert!(kkt.detail.contains("SMO convergé"), "{}", kkt.detail);
}

#[test]
fn svm_with_a_tiny_budget_fails_honestly() {
    // 100 Pegasos steps stay far from the optimum: the check must say so.
    let report = run(
        "svm",
        &["samples=120", "pegasos_steps=100", "lambda=0.0001"],
        0,
    );
    let pegasos = report
        .checks
        .iter()
        .find(|c| c.name.contains("Pegasos"))
        .unwrap();
    assert!(!pegasos.passed, "{}", pegasos.detail);
}

#[test]
fn runs_are_deterministic_for_a_seed() {
    for (id, settings) in [
        ("gradient-descent", GRADIENT_DESCENT_SMALL),
        ("svm", SVM_SMALL),
    ] {
        let first = without_duration(run(id, settings, 42));
        let second = without_duration(run(id, settings, 42));
        assert!(first == second, "{id}: two runs with seed 42 differ");
        let other = without_duration(run(id, settings, 43));
        assert_ne!(first, other, "{id}: the seed changes the run");
    }
}

/// Counts what a model reports through [`Progress`].
#[derive(Default)]
struct Counter {
    total: std::cell::Cell<u64>,
    done: std::cell::Cell<u64>,
}

impl Progress for Counter {
    fn start(&self, total: u64, _label: &str) {
        self.total.set(self.total.get() + total);
    }
    fn advance(&self, n: u64) {
        self.done.set(self.done.get() + n);
    }
    fn finish(&self) {}
}

#[test]
fn models_report_progress_up_to_their_announced_total() {
    for (id, settings) in [
        ("gradient-descent", GRADIENT_DESCENT_SMALL),
        ("svm", SVM_SMALL),
    ] {
        let sets: Vec<(String, String)> = settings.iter().map(|s| parse_set(s).unwrap()).collect();
        let counter = Counter::default();
        registry::run(id, &sets, Device::Cpu, 0, &counter).unwrap();
        assert!(counter.total.get() > 0, "{id}");
        assert_eq!(counter.done.get(), counter.total.get(), "{id}");
    }
}
