//! `savoir impls`, `savoir run` and `savoir verify` run as a user would.

mod common;

use common::{fixture, repo, savoir_in, savoir_on};
use serde_json::Value;

fn run_in_repo(args: &[&str]) -> common::Run {
    savoir_in(&repo(), args)
}

#[test]
fn impls_lists_ids_parameters_and_devices() {
    let listing = run_in_repo(&["impls", "--format", "json"])
        .expect_code(0)
        .json();
    let impls = listing["implementations"].as_array().unwrap();
    let ids: Vec<&str> = impls.iter().map(|i| i["id"].as_str().unwrap()).collect();
    for id in ["mlp", "gradient-descent", "activations", "svm", "cnn"] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
    for i in impls {
        assert!(
            i["devices"]
                .as_array()
                .unwrap()
                .contains(&Value::from("cpu")),
            "{i}"
        );
        for p in i["params"].as_array().unwrap() {
            assert!(p["name"].is_string() && p.get("default").is_some(), "{p}");
        }
    }
    let text = run_in_repo(&["impls"]).expect_code(0).stdout.clone();
    assert!(text.lines().any(|l| l.starts_with("svm ")), "{text}");
    assert!(text.contains("--set c=…"), "{text}");
    assert!(
        !text.contains("default :"),
        "an empty default is not shown: {text}"
    );
}

#[test]
fn run_by_id_prints_the_report_in_the_contract_shape() {
    let report = run_in_repo(&["run", "svm", "--format", "json"])
        .expect_code(0)
        .json();
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
        assert!(report.get(key).is_some(), "missing {key}");
    }
    assert_eq!(report["impl"], "svm");
    assert_eq!(report["device"], "cpu");
    assert_eq!(report["seed"], 42);
    assert_eq!(report["params"]["samples"], 300);
    let series = &report["series"][0];
    assert!(series["name"].is_string() && series["x"].is_array() && series["y"].is_array());
    let checks = report["checks"].as_array().unwrap();
    assert!(!checks.is_empty());
    assert!(
        checks
            .iter()
            .all(|c| c["passed"] == true && c["detail"].is_string())
    );
}

#[test]
fn run_is_deterministic_for_a_seed() {
    let once = |seed: &str| {
        let mut r = run_in_repo(&["run", "svm", "--seed", seed, "--format", "json"]).json();
        r.as_object_mut().unwrap().remove("duration_ms");
        r
    };
    assert_eq!(once("7"), once("7"));
    assert_ne!(once("7"), once("8"));
}

#[test]
fn run_by_concept_goes_through_the_implementation_key() {
    let report = run_in_repo(&[
        "run",
        "machines à vecteurs de support (svm)",
        "--format",
        "json",
    ])
    .expect_code(0)
    .json();
    assert_eq!(report["impl"], "svm");
    assert_eq!(report["concept"], "Machines à vecteurs de support (SVM)");
}

#[test]
fn run_text_shows_parameters_metrics_and_checks() {
    let run = run_in_repo(&["run", "svm"]);
    run.expect_code(0);
    let text = &run.stdout;
    assert!(text.starts_with("svm — "), "{text}");
    for section in ["\nparameters\n", "\nmetrics\n", "\nchecks\n"] {
        assert!(text.contains(section), "{section:?} missing in {text}");
    }
    assert!(text.trim_end().ends_with(" passed, 0 failed"), "{text}");
}

#[test]
fn run_out_writes_the_report_and_svg_plots() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("svm");
    let run = run_in_repo(&["run", "svm", "--out", out.to_str().unwrap()]);
    run.expect_code(0);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["impl"], "svm");
    let svgs: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .collect();
    assert!(!svgs.is_empty());
    assert!(std::fs::read_to_string(&svgs[0]).unwrap().contains("<svg"));
    assert!(run.stderr.contains("report.json"), "{}", run.stderr);
}

#[test]
fn failed_checks_exit_1() {
    // Ten steps are far too few for gradient descent to reach the tolerance on the quadratic.
    let run = run_in_repo(&[
        "run",
        "gradient-descent",
        "--set",
        "steps=10",
        "--format",
        "json",
    ]);
    run.expect_code(1);
    let report = run.json();
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["passed"] == false)
    );
}

#[test]
fn run_errors_are_clear_and_exit_2() {
    let bad_key = run_in_repo(&["run", "svm", "--set", "C=3"]);
    bad_key.expect_code(2);
    assert!(
        bad_key.stderr.contains("unknown parameter `C`"),
        "{}",
        bad_key.stderr
    );
    assert!(
        bad_key.stderr.contains("gamma"),
        "valid keys listed: {}",
        bad_key.stderr
    );

    let bad_value = run_in_repo(&["run", "svm", "--set", "samples=lots"]);
    bad_value.expect_code(2);
    assert!(bad_value.stderr.contains("samples"), "{}", bad_value.stderr);

    let malformed = run_in_repo(&["run", "svm", "--set", "samples"]);
    malformed.expect_code(2);
    assert!(
        malformed.stderr.contains("key=value"),
        "{}",
        malformed.stderr
    );

    let unknown = run_in_repo(&["run", "mpl"]);
    unknown.expect_code(2);
    assert!(
        unknown.stderr.contains("did you mean \"mlp\""),
        "{}",
        unknown.stderr
    );

    let no_impl = savoir_on(&fixture("graph/schema_vault"), &["run", "Adam"]);
    no_impl.expect_code(2);
    assert!(
        no_impl.stderr.contains("has no implementation"),
        "{}",
        no_impl.stderr
    );
}

#[test]
fn cuda_without_a_gpu_build_says_so() {
    let run = run_in_repo(&["run", "svm", "--device", "cuda"]);
    if run.code == 0 {
        return; // a build with CUDA on a machine with a GPU
    }
    run.expect_code(2);
    assert!(run.stderr.to_lowercase().contains("cuda"), "{}", run.stderr);
}

#[test]
fn check_raises_unknown_implementation() {
    let run = savoir_on(
        &fixture("check/broken_vault"),
        &["check", "--format", "json"],
    );
    let report = run.json();
    let found = common::with_code(&report, "unknown-implementation");
    assert!(
        found
            .iter()
            .any(|d| d["file"] == "Implémentation inconnue.md" && d["line"] == 3),
        "{found:#?}"
    );
}

#[test]
fn verify_passes_on_good_vectors() {
    let dir = fixture("verify/passing");
    let report = run_in_repo(&["verify", dir.to_str().unwrap(), "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(report["passed"], 4);
    assert_eq!(report["failed"], 0);
    assert_eq!(report["unsupported"], 0);
    for case in report["cases"].as_array().unwrap() {
        for key in [
            "case",
            "op",
            "passed",
            "max_abs_err",
            "max_rel_err",
            "detail",
        ] {
            assert!(case.get(key).is_some(), "missing {key} in {case}");
        }
    }
}

#[test]
fn verify_fails_on_a_wrong_or_unsupported_case() {
    let dir = fixture("verify/mixed");
    let run = run_in_repo(&["verify", dir.to_str().unwrap(), "--format", "json"]);
    run.expect_code(1);
    let report = run.json();
    assert_eq!(
        (&report["passed"], &report["failed"], &report["unsupported"]),
        (&Value::from(1), &Value::from(1), &Value::from(1))
    );
    let text = run_in_repo(&["verify", dir.to_str().unwrap()]);
    text.expect_code(1);
    assert!(
        text.stdout.contains("UNSUPPORTED") && text.stdout.contains("FAIL"),
        "{}",
        text.stdout
    );
}

#[test]
fn verify_an_empty_or_missing_folder_is_an_error() {
    let empty = tempfile::tempdir().unwrap();
    let run = run_in_repo(&["verify", empty.path().to_str().unwrap()]);
    run.expect_code(2);
    assert!(run.stderr.contains("no test case"), "{}", run.stderr);
    run_in_repo(&["verify", "no/such/dir"]).expect_code(2);
}
