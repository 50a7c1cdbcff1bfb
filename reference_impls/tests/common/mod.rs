//! What the model tests of parts 2 and 3 share: running a model on the CPU with `key=value`
//! settings, reading a metric, and asserting that every check passed.

use reference_impls::Device;
use reference_impls::implementation::NoProgress;
use reference_impls::params::parse_set;
use reference_impls::registry;
use reference_impls::report::Report;

/// The seeds every threshold is tested at.
pub const SEEDS: [u64; 3] = [1, 2, 3];

/// Runs `id` on the CPU with `pairs` (`key=value`) at `seed`; panics naming the run on error.
pub fn run(id: &str, pairs: &[&str], seed: u64) -> Report {
    let sets: Vec<_> = pairs
        .iter()
        .map(|p| parse_set(p).expect("key=value"))
        .collect();
    registry::run(id, &sets, Device::Cpu, seed, &NoProgress)
        .unwrap_or_else(|e| panic!("{id} {pairs:?} seed {seed}: {e}"))
}

/// The metric `name` of `report`; panics listing the metrics it has.
pub fn metric(report: &Report, name: &str) -> f64 {
    *report.metrics.get(name).unwrap_or_else(|| {
        panic!(
            "seed {}: metric {name} missing from {:?}",
            report.seed,
            report.metrics.keys()
        )
    })
}

/// Panics with the failed checks of `report`, if any, or with a series holding a value that
/// is not finite (the site shows such a report as a failed demo: the run diverged).
pub fn assert_checks_pass_and_series_finite(report: &Report) {
    let failed = report.failed_checks();
    assert!(
        failed.is_empty(),
        "{} seed {}: failed checks {failed:#?}",
        report.implementation,
        report.seed
    );
    for series in &report.series {
        assert!(
            series.x.iter().chain(&series.y).all(|v| v.is_finite()),
            "{} seed {}: series `{}` holds a value that is not finite",
            report.implementation,
            report.seed,
            series.name
        );
    }
}
