//! The network models `mlp`, `cnn` and `activations`: their runs pass their own checks and reach
//! their accuracy targets, are deterministic for a seed, and reject bad parameters clearly.

use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use reference_impls::backend::BackendError;
use reference_impls::implementation::{NoProgress, RunError};
use reference_impls::layers::{Activation, Layer, Param};
use reference_impls::models::cnn::LeNet;
use reference_impls::models::mlp::Mlp;
use reference_impls::models::train;
use reference_impls::params::{ParamError, parse_set};
use reference_impls::registry;
use reference_impls::report::Report;
use reference_impls::{Cpu, Device};

fn sets(pairs: &[&str]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|p| parse_set(p).expect("key=value"))
        .collect()
}

fn run(id: &str, pairs: &[&str], seed: u64) -> Report {
    registry::run(id, &sets(pairs), Device::Cpu, seed, &NoProgress)
        .unwrap_or_else(|e| panic!("{id} {pairs:?}: {e}"))
}

fn assert_checks_pass_and_series_finite(report: &Report) {
    let failed = report.failed_checks();
    assert!(
        failed.is_empty(),
        "{}: failed checks {failed:#?}",
        report.implementation
    );
}

/// The report as JSON with the one non-deterministic field zeroed.
fn canonical(mut report: Report) -> String {
    report.duration_ms = 0;
    report.to_json()
}

fn metric(report: &Report, name: &str) -> f64 {
    *report
        .metrics
        .get(name)
        .unwrap_or_else(|| panic!("metric {name} missing from {:?}", report.metrics.keys()))
}

/// Seeds at which every default configuration's headline claims are tested.
const SEEDS: [u64; 3] = [1, 2, 3];

#[test]
fn mlp_with_defaults_reaches_97_percent_and_beats_logistic_regression_at_three_seeds() {
    for seed in SEEDS {
        let report = run("mlp", &[], seed);
        assert_checks_pass_and_series_finite(&report);
        let accuracy = metric(&report, "test_accuracy");
        assert!(accuracy >= 0.97, "seed {seed}: {accuracy}");
        assert!(accuracy > metric(&report, "baseline_test_accuracy"));
        assert!(
            metric(&report, "shuffled_labels_test_accuracy") < 0.2,
            "seed {seed}: the shuffled-labels control must fall to chance"
        );
        let best = metric(&report, "best_epoch");
        assert!((1.0..=40.0).contains(&best), "seed {seed}: epoch {best}");
        let split = |name| metric(&report, name);
        assert_eq!(
            split("train_samples") + split("validation_samples") + split("test_samples"),
            1797.0,
            "the three splits partition the digits"
        );
        assert_eq!(
            report.matrices[0].values.len(),
            10,
            "10×10 confusion matrix"
        );
        let test_samples: f64 = report.matrices[0].values.iter().flatten().sum();
        assert_eq!(test_samples, split("test_samples"));
        assert!(
            report
                .series
                .iter()
                .any(|s| s.name.starts_with("perte/MLP"))
        );
        assert_eq!(report.concept.as_deref(), Some("Le perceptron multicouche"));
    }
}

#[test]
fn small_mlp_learns_and_is_deterministic() {
    let small = ["hidden1=32", "hidden2=0", "epochs=10", "lr=0.005"];
    let first = run("mlp", &small, 7);
    assert!(
        metric(&first, "test_accuracy") >= 0.93,
        "{:?}",
        first.metrics
    );
    for check in &first.checks {
        if !check.name.contains("0,97") {
            assert!(check.passed, "{check:?}");
        }
    }
    let again = canonical(run("mlp", &small, 7));
    let other_seed = canonical(run("mlp", &small, 8));
    let first = canonical(first);
    assert_eq!(first, again, "same seed, same report");
    assert_ne!(
        first, other_seed,
        "the seed drives the initialisation and the batches"
    );
}

#[test]
fn cnn_small_config_learns_above_95_percent_with_a_passing_gradient_check() {
    let small = [
        "filters1=8",
        "filters2=16",
        "epochs=10",
        "lr=0.005",
        "compare_mlp=false",
    ];
    let report = run("cnn", &small, 0);
    assert!(
        metric(&report, "test_accuracy") >= 0.95,
        "{:?}",
        report.metrics
    );
    for check in &report.checks {
        if !check.name.contains("0,98") {
            assert!(check.passed, "{check:?}");
        }
    }
    let architecture = &report.texts["architecture"];
    assert!(
        architecture.contains("conv1 8×8×8 → pool1 8×4×4"),
        "{architecture}"
    );
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.name.starts_with("équivariance") && c.passed)
    );
    assert_eq!(
        report.images.len(),
        8,
        "one 3×3 image per first-layer filter"
    );
    assert_eq!(canonical(report), canonical(run("cnn", &small, 0)));
}

#[test]
fn cnn_with_defaults_reaches_98_percent_above_the_mlp_at_three_seeds() {
    for seed in SEEDS {
        let report = run("cnn", &[], seed);
        assert_checks_pass_and_series_finite(&report);
        let accuracy = metric(&report, "test_accuracy");
        assert!(accuracy >= 0.98, "seed {seed}: {accuracy}");
        assert!(
            accuracy > metric(&report, "mlp_test_accuracy"),
            "seed {seed}"
        );
        assert!(metric(&report, "conv1_translation_error") <= 1e-5);
    }
}

#[test]
fn activations_show_the_vanishing_gradient_of_the_sigmoid_at_three_seeds() {
    for seed in SEEDS {
        let report = run("activations", &[], seed);
        assert_checks_pass_and_series_finite(&report);
        assert!(
            metric(&report, "gradient_ratio_sigmoid") < 1e-3,
            "seed {seed}"
        );
        assert!(metric(&report, "gradient_ratio_relu") > 1e-1, "seed {seed}");
        assert!(metric(&report, "final_loss_relu") < metric(&report, "final_loss_sigmoid"));
    }
    let report = run("activations", &[], 0);
    for a in Activation::ALL {
        for group in ["fonctions", "dérivées"] {
            let name = format!("{group}/{}", a.name());
            assert!(
                report.series.iter().any(|s| s.name == name),
                "series {name} missing"
            );
        }
    }
    let norms = report
        .series
        .iter()
        .find(|s| s.name == "gradient par couche/sigmoid")
        .expect("per-layer norms");
    assert_eq!(norms.y.len(), 11, "10 hidden layers + the output layer");
}

#[test]
fn activations_small_config_is_deterministic() {
    let small = ["depth=4", "width=16", "epochs=2"];
    assert_eq!(
        canonical(run("activations", &small, 3)),
        canonical(run("activations", &small, 3))
    );
}

#[test]
fn bad_parameters_are_rejected_with_the_valid_list() {
    let cases: [(&str, &[&str]); 4] = [
        ("mlp", &["hidden1=-1"]),
        ("mlp", &["optimizer=rmsprop"]),
        ("cnn", &["filters1=0"]),
        ("activations", &["init=zeros"]),
    ];
    for (id, pairs) in cases {
        let err = registry::run(id, &sets(pairs), Device::Cpu, 0, &NoProgress).unwrap_err();
        assert!(
            matches!(err, RunError::Param(ParamError::InvalidValue { .. })),
            "{id} {pairs:?}: {err:?}"
        );
    }
    let err = registry::run("mlp", &sets(&["hiden1=3"]), Device::Cpu, 0, &NoProgress).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("hiden1")
            && message.contains("hidden1")
            && message.contains("baseline_lr"),
        "{message}"
    );
}

#[test]
fn mlp_backward_matches_finite_differences_for_smooth_activations() {
    let train = train::digits_splits().train;
    let (x, y) = train::rows_f64(&train, 3);
    for activation in [Activation::Tanh, Activation::Sigmoid, Activation::Gelu] {
        let mut net = Mlp::<f64>::new(
            &[64, 7, 5, 10],
            activation,
            &mut ChaCha8Rng::seed_from_u64(1),
        );
        let result = train::gradient_check(&mut net, x.view(), &y);
        assert!(result.is_ok(), "{activation:?}: {result:?}");
    }
}

#[test]
fn a_wrong_backward_is_caught_by_the_gradient_check() {
    // A backward that returns twice the true gradients must fail the check.
    let train = train::digits_splits().train;
    let (x, y) = train::rows_f64(&train, 2);
    let mut net = Mlp::<f64>::new(
        &[64, 10],
        Activation::Relu,
        &mut ChaCha8Rng::seed_from_u64(2),
    );
    let mut tampered = Tampered(&mut net);
    assert!(train::gradient_check(&mut tampered, x.view(), &y).is_err());
}

/// An MLP whose backward doubles the gradients: a deliberate bug for the test above.
struct Tampered<'a>(&'a mut Mlp<f64>);

impl Layer<f64> for Tampered<'_> {
    fn backend(&self) -> &Cpu {
        self.0.backend()
    }

    fn params_mut(&mut self, visit: &mut dyn FnMut(Param<'_, f64>)) {
        self.0.params_mut(visit);
    }

    fn num_params(&self) -> usize {
        self.0.num_params()
    }
}

impl train::Classifier<f64> for Tampered<'_> {
    fn logits(&mut self, x: &Array2<f64>) -> Result<&Array2<f64>, BackendError> {
        self.0.forward(x)
    }

    fn backward(&mut self, grad_logits: &Array2<f64>) -> Result<(), BackendError> {
        let doubled = grad_logits.mapv(|g| 2.0 * g);
        self.0.backward(&doubled)
    }
}

#[test]
fn lenet_shapes_follow_the_formula_for_mnist_sized_images() {
    let mut net = LeNet::<f32>::new((28, 28), (4, 6), 10, &mut ChaCha8Rng::seed_from_u64(0));
    let predicted = LeNet::<f32>::stages_for((28, 28), (4, 6));
    assert_eq!(net.measure_stages().unwrap(), predicted);
    assert_eq!(predicted[4].shape, [6, 7, 7]);
    let logits = net.forward(&Array2::<f32>::zeros((3, 784))).unwrap();
    assert_eq!(logits.dim(), (3, 10));
}

/// A user's CSV (label first): the bundled digits written out as `label,f1,…,f64`, 0..16 pixels.
fn write_digits_csv(path: &std::path::Path) {
    let digits = reference_impls::data::digits();
    let mut text = String::new();
    for (row, label) in digits.x.rows().into_iter().zip(&digits.y) {
        let pixels: Vec<String> = row.iter().map(|v| format!("{}", v * 16.0)).collect();
        text.push_str(&format!("{label},{}\n", pixels.join(",")));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn mlp_trains_on_a_user_csv_given_by_the_data_parameter() {
    let dir = std::env::temp_dir().join(format!("savoir-mlp-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("mes-chiffres.csv");
    write_digits_csv(&csv);
    let data = format!("data={}", csv.display());
    let report = run("mlp", &[&data, "epochs=5", "hidden1=32", "hidden2=0"], 0);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        report.metrics["train_samples"]
            + report.metrics["validation_samples"]
            + report.metrics["test_samples"],
        1797.0
    );
    assert!(
        report.metrics["test_accuracy"] > 0.8,
        "{:?}",
        report.metrics
    );
}

#[test]
fn mlp_data_parameter_names_the_bad_path_and_what_it_expects() {
    let err = registry::run(
        "mlp",
        &sets(&["data=/nonexistent/mnist.bin"]),
        Device::Cpu,
        0,
        &NoProgress,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("/nonexistent/mnist.bin"), "{err}");
    assert!(err.contains("MNIST IDX"), "{err}");
}
