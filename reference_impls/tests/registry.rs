//! The registry (ids, parameters, errors), the report's JSON and plots, and the data loaders.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use reference_impls::Device;
use reference_impls::data::{self, DataError, LabelColumn};
use reference_impls::implementation::{NoProgress, RunError};
use reference_impls::params::{Config, ParamError, ParamSpec, ParamValue, parse_set};
use reference_impls::plot::write_outputs;
use reference_impls::registry;
use reference_impls::report::{Axes, Image, Matrix, Report, Series};

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("ri-registry-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sets(pairs: &[&str]) -> Vec<(String, String)> {
    pairs.iter().map(|p| parse_set(p).unwrap()).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

// --- registry -------------------------------------------------------------------------------

#[test]
fn registry_lists_unique_ids_with_valid_params() {
    let all = registry::implementations();
    let ids: BTreeSet<&str> = all.iter().map(|i| i.id()).collect();
    assert_eq!(ids.len(), all.len(), "duplicate ids in {ids:?}");
    assert!(
        ids.contains("gradient-descent") && ids.contains("svm"),
        "{ids:?}"
    );
    for imp in all {
        assert!(
            !imp.title().is_empty() && !imp.description().is_empty(),
            "{}",
            imp.id()
        );
        assert!(
            imp.devices().contains(&Device::Cpu),
            "{} must run on the CPU",
            imp.id()
        );
        let params = imp.params();
        let names: BTreeSet<&str> = params.iter().map(|p| p.name).collect();
        assert_eq!(
            names.len(),
            params.len(),
            "duplicate parameter in {}",
            imp.id()
        );
        let defaults = Config::defaults(&params);
        assert_eq!(defaults.values().len(), params.len());
        assert!(
            registry::find(&imp.id().to_uppercase()).is_some(),
            "find is case-insensitive"
        );
    }
}

#[test]
fn unknown_implementation_lists_the_registered_ones() {
    let err = registry::run("perceptron-quantique", &[], Device::Cpu, 0, &NoProgress).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, RunError::UnknownImplementation { .. }));
    assert!(
        message.contains("perceptron-quantique") && message.contains("svm"),
        "{message}"
    );
}

#[test]
fn bad_set_key_lists_every_valid_key_with_range_and_default() {
    let err = registry::run("svm", &sets(&["gama=2"]), Device::Cpu, 0, &NoProgress).unwrap_err();
    assert!(matches!(
        err,
        RunError::Param(ParamError::UnknownParam { .. })
    ));
    let message = err.to_string();
    assert!(message.contains("`gama`"), "{message}");
    for spec in registry::find("svm").unwrap().params() {
        assert!(
            message.contains(spec.name),
            "{message} should list {}",
            spec.name
        );
    }
    assert!(
        message.contains("gamma (a number in [0.001, 100], default 2)"),
        "{message}"
    );
}

#[test]
fn bad_set_values_say_what_is_expected() {
    let cases = [
        ("steps=-3", "an integer in [10, 100000]"),
        ("steps=lots", "an integer in [10, 100000]"),
        ("condition=1e9", "a number in [1, 10000]"),
        ("tol=NaN", "a number in"),
    ];
    for (setting, expected) in cases {
        let err = registry::run(
            "gradient-descent",
            &sets(&[setting]),
            Device::Cpu,
            0,
            &NoProgress,
        )
        .unwrap_err();
        assert!(
            matches!(err, RunError::Param(ParamError::InvalidValue { .. })),
            "{setting}: {err}"
        );
        let message = err.to_string();
        assert!(message.contains(expected), "{setting}: {message}");
        assert!(
            message.contains("valid parameters:") && message.contains("lr_scale"),
            "{message}"
        );
    }
    assert!(matches!(
        parse_set("steps"),
        Err(ParamError::MalformedSet(_))
    ));
    assert!(parse_set("=3").is_err());
}

#[test]
fn config_validates_choices_and_flags_and_types_values() {
    let specs = vec![
        ParamSpec::choice("optimizer", "which", "adam", &["sgd", "adam"]),
        ParamSpec::flag("verbose", "talk", false),
        ParamSpec::int("layers", "depth", 3, 1, 10),
        ParamSpec::float("lr", "step", 0.1, 0.0, 1.0),
    ];
    let cfg =
        Config::from_sets(&specs, &sets(&["optimizer=SGD", "verbose=yes", "layers=7"])).unwrap();
    assert_eq!(cfg.choice("optimizer"), "sgd");
    assert!(cfg.flag("verbose"));
    assert_eq!(cfg.usize("layers"), 7);
    assert_eq!(cfg.float("lr"), 0.1);
    assert_eq!(cfg.get("lr"), Some(&ParamValue::Float(0.1)));
    let err = Config::from_sets(&specs, &sets(&["optimizer=lbfgs"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("one of sgd, adam"), "{err}");
    let err = Config::from_sets(&specs, &sets(&["verbose=maybe"]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("true or false"), "{err}");
}

#[test]
fn cuda_is_refused_with_a_clear_message() {
    let err = registry::run("svm", &[], "cuda".parse().unwrap(), 0, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(err.contains("cuda") || err.contains("CUDA"), "{err}");
}

// --- report and plots -------------------------------------------------------------------------

fn sample_report() -> Report {
    let specs = vec![ParamSpec::int("steps", "steps", 5, 1, 10)];
    let mut report = Report::new("demo", Device::Cpu, 7, &Config::defaults(&specs));
    report.metric("accuracy", 0.5);
    report.metric("diverged", f64::NAN);
    report.check("works", true, "yes");
    report.push_series(Series::steps("loss/train", vec![1.0, 0.5, 0.25]));
    report.push_series(Series::steps("loss/test", vec![1.2, 0.7, 0.4]));
    report.push_series(Series::points("cloud", vec![0.0, 1.0], vec![1.0, 0.0]));
    report.set_axes("loss", Axes::new("epoch", "loss").log_y());
    report.matrices.push(Matrix::confusion(
        "confusion",
        3,
        &[0, 1, 2, 2],
        &[0, 1, 1, 2],
    ));
    for k in 0..2 {
        let pixels = (0..9).map(|v| (v * (k + 1)) as f64).collect();
        report.images.push(Image {
            name: format!("filters/{k}"),
            height: 3,
            width: 3,
            pixels,
        });
    }
    report
}

#[test]
fn report_json_follows_the_run_contract() {
    let report = sample_report();
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "impl",
        "concept",
        "device",
        "seed",
        "params",
        "metrics",
        "series",
        "checks",
        "duration_ms",
    ] {
        assert!(keys.contains(&key), "missing {key} in {keys:?}");
    }
    assert_eq!(json["impl"], "demo");
    assert_eq!(json["device"], "cpu");
    assert_eq!(json["params"]["steps"], 5);
    assert_eq!(json["metrics"]["accuracy"], 0.5);
    assert!(
        json["metrics"].get("diverged").is_none(),
        "NaN metrics are not written"
    );
    assert_eq!(json["series"][0]["name"], "loss/train");
    assert_eq!(json["series"][0]["x"], serde_json::json!([0.0, 1.0, 2.0]));
    assert!(
        json["series"][0].get("kind").is_none(),
        "lines carry no kind"
    );
    assert_eq!(json["series"][2]["kind"], "points");
    assert_eq!(
        json["checks"][0],
        serde_json::json!({"name": "works", "passed": true, "detail": "yes"})
    );
    assert_eq!(
        json["matrices"][0]["values"][2],
        serde_json::json!([0.0, 1.0, 1.0])
    );
    let back: Report = serde_json::from_value(json).unwrap();
    assert_eq!(back, report, "a report reads back as written");
}

#[test]
fn outputs_are_report_json_and_one_svg_per_plot() {
    let dir = TempDir::new("plots");
    let written = write_outputs(&sample_report(), &dir.0).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "report.json",
            "loss.svg",
            "cloud.svg",
            "confusion.svg",
            "filters.svg"
        ]
    );
    let loss = std::fs::read_to_string(dir.0.join("loss.svg")).unwrap();
    assert!(
        loss.starts_with("<svg")
            && loss.contains("train")
            && loss.contains("test")
            && loss.contains("epoch")
    );
    let confusion = std::fs::read_to_string(dir.0.join("confusion.svg")).unwrap();
    assert!(
        confusion.contains("classe prédite"),
        "heat map has its axis titles"
    );
}

// --- data ---------------------------------------------------------------------------------------

#[test]
fn digits_are_the_1797_uci_samples_scaled_to_unit_range() {
    let digits = data::digits();
    assert_eq!(digits.len(), 1797);
    assert_eq!(digits.features(), 64);
    assert_eq!(digits.classes, 10);
    assert_eq!(digits.image_shape, Some((8, 8)));
    assert_eq!(
        digits.class_counts(),
        [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    );
    assert!(digits.x.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert_eq!(digits.x.iter().copied().fold(0.0, f32::max), 1.0);
    // The first sample is a 0: its top-left pixels are 0, 0, 5/16, 13/16.
    assert_eq!(digits.y[0], 0);
    assert_eq!(
        digits.x.row(0).iter().take(4).copied().collect::<Vec<_>>(),
        [0.0, 0.0, 0.3125, 0.8125]
    );
}

#[test]
fn stratified_split_keeps_class_proportions_and_is_fixed_by_its_seed() {
    let digits = data::digits();
    let (train, test) = data::stratified_split(
        &digits,
        data::DEFAULT_TEST_FRACTION,
        data::DEFAULT_SPLIT_SEED,
    );
    assert_eq!(train.len() + test.len(), digits.len());
    let (all, tr, te) = (
        digits.class_counts(),
        train.class_counts(),
        test.class_counts(),
    );
    for class in 0..10 {
        assert_eq!(tr[class] + te[class], all[class]);
        let expected = all[class] as f64 * 0.25;
        assert!(
            (te[class] as f64 - expected).abs() <= 0.5,
            "class {class}: {} of {}",
            te[class],
            all[class]
        );
    }
    let (train_again, _) = data::stratified_split(&digits, 0.25, 0);
    assert_eq!(train, train_again, "same seed, same split");
    let (other, _) = data::stratified_split(&digits, 0.25, 1);
    assert_ne!(train.y, other.y, "another seed shuffles differently");
    // Shuffled: the training set is not sorted by class.
    assert!(train.y.windows(2).any(|w| w[0] > w[1]));
}

fn idx_bytes(kind_dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 0x08, kind_dims.len() as u8];
    for d in kind_dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    bytes
}

#[test]
fn idx_files_round_trip_plain_and_gzipped() {
    let dir = TempDir::new("idx");
    let pixels: Vec<u8> = (0..3 * 2 * 2).map(|v| (v * 20) as u8).collect();
    let images = idx_bytes(&[3, 2, 2], &pixels);
    let labels = idx_bytes(&[3], &[7, 0, 3]);
    let plain = data::load_idx(
        &dir.file("images-idx3-ubyte", &images),
        &dir.file("labels-idx1-ubyte", &labels),
    )
    .unwrap();
    assert_eq!(plain.len(), 3);
    assert_eq!(plain.image_shape, Some((2, 2)));
    assert_eq!(plain.y, [7, 0, 3]);
    assert_eq!(plain.classes, 8);
    assert_eq!(plain.x[[1, 1]], 100.0 / 255.0);
    let gz = data::load_idx(
        &dir.file("i.gz", &gzip(&images)),
        &dir.file("l.gz", &gzip(&labels)),
    )
    .unwrap();
    assert_eq!(gz, plain);

    let short_labels = dir.file("short", &idx_bytes(&[2], &[1, 2]));
    let err = data::load_idx(&dir.file("images", &images), &short_labels)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("2 labels for 3 images") && err.contains("short"),
        "{err}"
    );
    let err = data::load_idx(&dir.file("junk", b"hello world"), &short_labels)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("not an IDX file") && err.contains("junk"),
        "{err}"
    );
    let truncated = dir.file("truncated", &images[..images.len() - 1]);
    assert!(
        data::load_idx(&truncated, &short_labels)
            .unwrap_err()
            .to_string()
            .contains("expected 12")
    );
    let missing = data::load_idx(Path::new("/no/such/images"), &short_labels).unwrap_err();
    assert!(
        matches!(missing, DataError::Io { .. }) && missing.to_string().contains("/no/such/images")
    );
}

#[test]
fn csv_files_round_trip_with_the_label_first_or_last() {
    let dir = TempDir::new("csv");
    let last = dir.file("last.csv", b"0,128,255,1\n\n255,0,0,2\n");
    let first = dir.file(
        "first.csv.gz",
        &gzip(b"label,p1,p2,p3\n1,0,128,255\n2,255,0,0\n"),
    );
    let a = data::load_csv(&last, LabelColumn::Last).unwrap();
    let b = data::load_csv(&first, LabelColumn::First).unwrap();
    assert_eq!(a, b, "both layouts and the header give one data set");
    assert_eq!(a.y, [1, 2]);
    assert_eq!(a.classes, 3);
    assert_eq!(a.x.row(0).to_vec(), [0.0, 128.0 / 255.0, 1.0]);
    assert_eq!(a.image_shape, None, "3 features are not a square image");

    let bad = dir.file("bad.csv", b"1,2,3\n4,x,6\n");
    let err = data::load_csv(&bad, LabelColumn::Last)
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad.csv") && err.contains("line 2"), "{err}");
    let ragged = dir.file("ragged.csv", b"1,2,3\n4,5\n");
    let err = data::load_csv(&ragged, LabelColumn::Last)
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 2: 2 columns, expected 3"), "{err}");
    let fractional = dir.file("fractional.csv", b"0.5,1.5\n");
    let err = data::load_csv(&fractional, LabelColumn::Last)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("label 1.5 is not a non-negative integer"),
        "{err}"
    );
}

#[test]
fn moons_and_circles_are_balanced_deterministic_and_shaped() {
    let moons = data::moons(101, 0.0, 3);
    assert_eq!(moons.len(), 101);
    assert_eq!(moons.class_counts(), [50, 51]);
    assert_eq!(moons, data::moons(101, 0.0, 3));
    // Without noise, class 0 lies on the unit upper arc, class 1 on the arc centred at (1, 0.5).
    for (row, &label) in moons.x.rows().into_iter().zip(&moons.y) {
        let (cx, cy) = if label == 0 { (0.0, 0.0) } else { (1.0, 0.5) };
        let radius = ((row[0] - cx).powi(2) + (row[1] - cy).powi(2)).sqrt();
        assert!((radius - 1.0).abs() < 1e-5, "{row} of class {label}");
    }
    let circles = data::circles(200, 0.0, 0.3, 9);
    for (row, &label) in circles.x.rows().into_iter().zip(&circles.y) {
        let radius = (row[0].powi(2) + row[1].powi(2)).sqrt();
        assert!((radius - if label == 0 { 1.0 } else { 0.3 }).abs() < 1e-5);
    }
    assert_ne!(
        data::moons(100, 0.1, 1).x,
        data::moons(100, 0.1, 2).x,
        "the seed drives the noise"
    );
}
