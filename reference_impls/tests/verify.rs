//! `verify` against the PyTorch reference vectors copied into `tests/refvectors/` (from
//! `../shared/refvectors/`, variant `public`, seed 1; its README and generator are copied too, as
//! provenance), and against hand-made directories: a perturbed output fails, an unknown op is
//! unsupported, a malformed file fails alone, and other shapes pass.

use std::path::{Path, PathBuf};

use reference_impls::Device;
use reference_impls::verify::{CaseOutcome, CaseResult, VerifyReport, supported_ops, verify_dir};
use serde_json::{Value, json};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/refvectors")
}

fn verify(dir: &Path) -> VerifyReport {
    verify_dir(dir, Device::Cpu).expect("the directory is readable")
}

/// A fresh, empty directory for one test.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ri-verify-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir is writable");
    dir
}

fn write_case(dir: &Path, file: &str, case: &Value) {
    std::fs::write(dir.join(file), serde_json::to_string(case).unwrap()).unwrap();
}

fn read_vector(file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(vectors_dir().join(file)).unwrap()).unwrap()
}

fn result<'r>(report: &'r VerifyReport, case: &str) -> &'r CaseResult {
    report
        .cases
        .iter()
        .find(|c| c.case == case)
        .unwrap_or_else(|| panic!("no result for {case}: {report}"))
}

#[test]
fn every_reference_case_passes() {
    let report = verify(&vectors_dir());
    assert!(report.cases.len() >= 42, "{report}");
    assert!(report.all_passed(), "{report}");
    assert_eq!(report.passed, report.cases.len());
}

#[test]
fn the_core_ops_have_handlers() {
    let ops = supported_ops();
    for op in [
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "elu",
        "gelu",
        "gelu_tanh",
        "silu",
        "softplus",
        "softmax",
        "log_softmax",
        "linear",
        "mlp2_cross_entropy",
        "mse_loss",
        "bce_with_logits",
        "multi_margin_loss",
        "conv2d",
        "max_pool2d",
        "avg_pool2d",
        "layer_norm",
        "sgd",
        "sgd_momentum",
        "adam",
        "adamw",
    ] {
        assert!(ops.contains(&op), "no handler for {op}");
    }
}

#[test]
fn a_perturbed_output_fails_and_says_where() {
    let dir = scratch_dir("perturbed");
    let mut case = read_vector("conv2d_s2_p1.json");
    let data = &mut case["outputs"]["grad_weight"]["data"];
    data[5] = json!(data[5].as_f64().unwrap() + 1e-3);
    write_case(&dir, "conv2d_s2_p1.json", &case);
    let report = verify(&dir);
    let r = result(&report, "conv2d_s2_p1");
    assert!(!r.passed && r.outcome == CaseOutcome::Failed, "{report}");
    assert!(r.detail.contains("grad_weight[0, 0, 1, 2]"), "{}", r.detail);
    assert!(r.detail.contains("1 of 108 values off"), "{}", r.detail);
    assert!((r.max_abs_err - 1e-3).abs() < 1e-9);
    assert!(!report.all_passed());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unknown_op_is_unsupported_not_skipped() {
    let dir = scratch_dir("unknown");
    let mut case = read_vector("act_relu.json");
    case["op"] = json!("hard_swish");
    case["case"] = json!("act_hard_swish");
    write_case(&dir, "act_hard_swish.json", &case);
    write_case(&dir, "act_relu.json", &read_vector("act_relu.json"));
    let report = verify(&dir);
    assert_eq!(
        (report.passed, report.failed, report.unsupported),
        (1, 0, 1),
        "{report}"
    );
    let r = result(&report, "act_hard_swish");
    assert!(!r.passed && r.outcome == CaseOutcome::Unsupported);
    assert!(r.detail.contains("hard_swish"), "{}", r.detail);
    assert!(!report.all_passed());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_malformed_file_fails_alone_and_is_named() {
    let dir = scratch_dir("malformed");
    std::fs::write(dir.join("broken.json"), "{\"case\": \"broken\", \"op\": ").unwrap();
    let mut short = read_vector("linear.json");
    short["case"] = json!("short_data");
    short["inputs"]["x"]["data"].as_array_mut().unwrap().pop();
    write_case(&dir, "short_data.json", &short);
    write_case(&dir, "linear.json", &read_vector("linear.json"));
    let report = verify(&dir);
    assert_eq!((report.passed, report.failed), (1, 2), "{report}");
    assert!(result(&report, "broken").detail.starts_with("broken.json:"));
    let short = result(&report, "short_data");
    assert!(
        short.detail.contains("short_data.json") && short.detail.contains("`x`"),
        "{}",
        short.detail
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Row-major data of an `rows × cols` matrix filled by `f`.
fn matrix(rows: usize, cols: usize, f: impl Fn(usize, usize) -> f64) -> Vec<f64> {
    (0..rows)
        .flat_map(|r| (0..cols).map(move |c| (r, c)))
        .map(|(r, c)| f(r, c))
        .collect()
}

#[test]
fn a_linear_case_with_other_shapes_passes() {
    // Shapes the reference directory does not use, expected values by naive loops.
    let (n, i, o) = (3, 7, 2);
    let x = matrix(n, i, |r, c| ((r * 7 + c * 3) % 11) as f64 / 5.0 - 1.0);
    let w = matrix(o, i, |r, c| ((r * 5 + c * 2) % 7) as f64 / 4.0 - 0.8);
    let b = [0.25, -0.5];
    let g = matrix(n, o, |r, c| (r + 2 * c) as f64 - 1.5);
    let y = matrix(n, o, |r, c| {
        b[c] + (0..i).map(|k| x[r * i + k] * w[c * i + k]).sum::<f64>()
    });
    let grad_x = matrix(n, i, |r, k| {
        (0..o).map(|c| g[r * o + c] * w[c * i + k]).sum()
    });
    let grad_w = matrix(o, i, |c, k| {
        (0..n).map(|r| g[r * o + c] * x[r * i + k]).sum()
    });
    let grad_b: Vec<f64> = (0..o).map(|c| (0..n).map(|r| g[r * o + c]).sum()).collect();
    let t = |shape: &[usize], data: &[f64]| json!({"shape": shape, "data": data});
    let case = json!({
        "case": "linear_other_shapes", "op": "linear", "params": {"in_features": i, "out_features": o},
        "inputs": {"x": t(&[n, i], &x), "weight": t(&[o, i], &w), "bias": t(&[o], &b), "grad_output": t(&[n, o], &g)},
        "outputs": {"y": t(&[n, o], &y), "grad_x": t(&[n, i], &grad_x), "grad_weight": t(&[o, i], &grad_w), "grad_bias": t(&[o], &grad_b)},
        "tolerance": {"rtol": 1e-12, "atol": 1e-12}, "source": "hand-made"
    });
    let dir = scratch_dir("shapes");
    write_case(&dir, "linear_other_shapes.json", &case);
    let report = verify(&dir);
    assert!(report.all_passed(), "{report}");
    assert_eq!(
        result(&report, "linear_other_shapes").detail,
        "4 outputs, 43 values within rtol 1e-12, atol 1e-12"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_report_serialises_to_the_contract() {
    let dir = scratch_dir("json");
    write_case(&dir, "optim_adam.json", &read_vector("optim_adam.json"));
    let value = serde_json::to_value(verify(&dir)).unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&value), ["cases", "failed", "passed", "unsupported"]);
    assert_eq!(
        keys(&value["cases"][0]),
        [
            "case",
            "detail",
            "max_abs_err",
            "max_rel_err",
            "op",
            "passed"
        ]
    );
    assert_eq!(value["cases"][0]["op"], "adam");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unbuilt_gpu_and_missing_directories_are_clear_errors() {
    // A build with the GPU backend verifies on it (tests/gpu_layers.rs); without it, it says so.
    #[cfg(not(feature = "gpu"))]
    {
        let err = verify_dir(&vectors_dir(), Device::GPU)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("does not run on the GPU backend yet") && err.contains("--device cpu"),
            "{err}"
        );
    }
    let err = verify_dir(Path::new("/nonexistent/vectors"), Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/vectors"), "{err}");
}

#[test]
fn inconsistent_shapes_fail_with_a_clear_detail() {
    let dir = scratch_dir("inconsistent");
    let mut conv = read_vector("conv2d_s1_p0.json");
    conv["case"] = json!("conv_two_channels");
    conv["inputs"]["weight"]["shape"] = json!([4, 2, 3, 3]);
    conv["inputs"]["weight"]["data"]
        .as_array_mut()
        .unwrap()
        .truncate(72);
    write_case(&dir, "conv_two_channels.json", &conv);
    let mut pool = read_vector("max_pool2d.json");
    pool["case"] = json!("pool_too_big");
    pool["params"]["kernel_size"] = json!(9);
    write_case(&dir, "pool_too_big.json", &pool);
    let report = verify(&dir);
    assert_eq!(report.failed, 2, "{report}");
    let detail = &result(&report, "conv_two_channels").detail;
    assert!(
        detail.contains("conv2d input channels: expected shape [2], got [3]"),
        "{detail}"
    );
    let detail = &result(&report, "pool_too_big").detail;
    assert!(
        detail.contains("pool_too_big.json: pool2d input"),
        "{detail}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
