//! The registry of runnable implementations: the list ([`implementations`]), lookup by id
//! ([`find`]) and [`run`], which validates the `--set` pairs against the implementation's
//! parameters ([`Config::from_sets`]), checks the device, runs the model and stamps the report
//! with the concept and the duration.
//!
//! To register a model, implement [`Implementation`] on a unit struct and add it to the list in
//! `models/mod.rs` (`models::ALL`).

use std::time::Instant;

use crate::backend::Device;
use crate::implementation::{Implementation, Progress, RunError};
use crate::params::Config;
use crate::report::Report;

/// Every registered implementation, in listing order.
pub fn implementations() -> &'static [&'static dyn Implementation] {
    crate::models::ALL
}

/// The implementation with this id (case-insensitive).
pub fn find(id: &str) -> Option<&'static dyn Implementation> {
    implementations()
        .iter()
        .copied()
        .find(|imp| imp.id().eq_ignore_ascii_case(id.trim()))
}

/// Runs implementation `id` with `sets` on `device`: validates everything, runs, and returns the
/// report with `concept` (the implementation's, unless the model set one) and `duration_ms` filled.
pub fn run(
    id: &str,
    sets: &[(String, String)],
    device: Device,
    seed: u64,
    progress: &dyn Progress,
) -> Result<Report, RunError> {
    let imp = find(id).ok_or_else(|| RunError::UnknownImplementation {
        id: id.to_string(),
        known: implementations()
            .iter()
            .map(|i| i.id())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    let cfg = Config::from_sets(&imp.params(), sets)?;
    if !imp.devices().iter().any(|d| d.same_kind(device)) {
        return Err(RunError::UnsupportedDevice {
            id: imp.id().to_string(),
            device,
            supported: imp
                .devices()
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let started = Instant::now();
    let mut report = imp.run(&cfg, device, seed, progress)?;
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if report.concept.is_none() {
        report.concept = imp.concept().map(str::to_string);
    }
    Ok(report)
}
