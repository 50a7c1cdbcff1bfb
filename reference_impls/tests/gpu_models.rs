//! The `mlp` demo on `--device gpu` runs the same model code as on the CPU (the `Backend`
//! seam) and reaches the same figures: f32 training whose sums run in another order on the
//! GPU, so metrics agree to 1e-4 (relative), not bit for bit. Lavapipe in CI; without an
//! adapter the test skips with a message, except when `CI` is set.
#![cfg(feature = "gpu")]

use reference_impls::backend::gpu::{Gpu, GpuError};
use reference_impls::backend::{Device, GpuChoice};
use reference_impls::registry::{self, NoProgress};

#[test]
fn the_mlp_demo_on_the_gpu_matches_the_cpu() {
    match Gpu::open(GpuChoice::Preferred) {
        Ok(_) => {}
        Err(e @ GpuError::NoAdapter { .. }) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: {e}");
            return;
        }
        Err(e) => panic!("no usable GPU in CI: {e}"),
    }
    let sets = [("epochs".to_string(), "2".to_string())];
    let cpu = registry::run("mlp", &sets, Device::Cpu, 3, &NoProgress).expect("cpu run");
    let gpu = registry::run("mlp", &sets, Device::GPU, 3, &NoProgress).expect("gpu run");
    assert_eq!(
        gpu.device,
        Device::GPU,
        "the report names the device that ran it"
    );
    assert_eq!(cpu.metrics.len(), gpu.metrics.len());
    for (name, want) in &cpu.metrics {
        let got = gpu.metrics[name];
        let tolerance = 1e-4 * want.abs().max(1.0);
        assert!(
            (got - want).abs() <= tolerance,
            "{name}: cpu {want}, gpu {got}"
        );
    }
}

#[test]
fn a_model_without_a_gpu_path_says_so() {
    let err = registry::run("svm", &[], Device::GPU, 0, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(err.contains("gpu") && err.contains("cpu"), "{err}");
}
