//! Executed demos end to end: the report cache (unchanged → not re-run; key changed, forced or
//! corrupt → re-run) and isolation (a demo that panics, aborts, returns NaN or overruns its
//! budget fails alone, with a message saying which). A fake runner, a shell script standing for
//! `savoir run`, provokes each failure and logs every run; the last test runs the real binary.
#![cfg(unix)]

use reference_impls::Device;
use savoir::exec::{DemoOutcome, DemoRequest, ExecOptions, run_demos};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// A report as `savoir run <id> --format json` prints it, with `metric` as its accuracy.
fn report_json(id: &str, metric: &str) -> String {
    format!(
        r#"{{"impl":"{id}","concept":null,"device":"cpu","seed":0,"params":{{}},"metrics":{{"accuracy":{metric}}},"series":[{{"name":"loss","x":[0,1],"y":[1.0,0.5]}}],"checks":[{{"name":"learns","passed":true,"detail":"loss 0.5 < 1"}}],"duration_ms":1}}"#
    )
}

/// A fake `savoir` in a temporary folder: `run <id> …` logs `<id>` to `runs.log`, then
/// `mlp` panics, `svm` prints a NaN metric, `cnn` sleeps in a grandchild far past any budget,
/// `gradient-descent` aborts, and every other id prints a good report.
struct FakeRunner {
    dir: TempDir,
}

impl FakeRunner {
    fn new() -> FakeRunner {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("runs.log");
        let script = format!(
            r#"#!/bin/sh
echo "$2" >> '{log}'
case "$2" in
  mlp) echo "thread 'main' (7) panicked at reference_impls/src/models/mlp.rs:9:5:" >&2
       echo "weights exploded" >&2
       echo "note: run with RUST_BACKTRACE=1 to display a backtrace" >&2
       exit 101 ;;
  svm) printf '%s' '{nan}' ;;
  cnn) sleep 60 & wait ;;
  gradient-descent) kill -ABRT $$ ;;
  *) printf '%s' '{good}' | sed "s/IMPL/$2/" ;;
esac
"#,
            log = log.display(),
            nan = report_json("svm", "null"),
            good = report_json("IMPL", "0.9"),
        );
        let path = dir.path().join("savoir");
        fs::write(&path, script).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        FakeRunner { dir }
    }

    /// Options running this fake, caching under its folder, without a progress bar.
    fn options(&self) -> ExecOptions {
        let mut options = ExecOptions::new(self.dir.path().join("savoir"));
        options.cache_dir = self.dir.path().join("cache");
        options.progress = false;
        options.sources_fingerprint = "sources-v1".to_string();
        options
    }

    /// The ids run so far, in order.
    fn runs(&self) -> Vec<String> {
        fs::read_to_string(self.dir.path().join("runs.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn cache_entry(&self, id: &str) -> PathBuf {
        self.dir
            .path()
            .join("cache")
            .join("demos")
            .join(format!("{id}.cpu.json"))
    }
}

fn request(id: &str) -> DemoRequest {
    DemoRequest {
        impl_id: id.to_string(),
        concept: format!("Concept of {id}"),
    }
}

/// The report of a demo that ran, and whether it came from the cache.
fn ran(outcome: &DemoOutcome) -> (&reference_impls::report::Report, bool) {
    match outcome {
        DemoOutcome::Ran { report, cached, .. } => (report, *cached),
        other => panic!("expected a report, got {other:?}"),
    }
}

fn failure(outcome: &DemoOutcome) -> &str {
    match outcome {
        DemoOutcome::Failed { error } => error,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn an_unchanged_demo_is_read_from_the_cache_not_run_again() {
    let fake = FakeRunner::new();
    let options = fake.options();
    let first = run_demos(&[request("activations")], &options);
    let (report, cached) = ran(&first[0]);
    assert!(!cached);
    assert_eq!(report.metrics["accuracy"], 0.9);
    assert_eq!(report.concept.as_deref(), Some("Concept of activations"));
    let second = run_demos(&[request("activations")], &options);
    let (again, cached) = ran(&second[0]);
    assert!(cached, "the second build must use the cache");
    assert_eq!(again, report);
    assert_eq!(fake.runs(), ["activations"]);
}

#[test]
fn a_changed_key_or_rerun_flag_runs_the_demo_again() {
    let fake = FakeRunner::new();
    let mut options = fake.options();
    run_demos(&[request("activations")], &options);
    options.sources_fingerprint = "sources-v2".to_string();
    assert!(!ran(&run_demos(&[request("activations")], &options)[0]).1);
    assert_eq!(fake.runs().len(), 2, "new sources → run again");
    options.device = Device::GPU;
    assert!(!ran(&run_demos(&[request("activations")], &options)[0]).1);
    assert_eq!(fake.runs().len(), 3, "another device → run again");
    options.device = Device::Cpu;
    assert!(ran(&run_demos(&[request("activations")], &options)[0]).1);
    options.rerun = true;
    assert!(!ran(&run_demos(&[request("activations")], &options)[0]).1);
    assert_eq!(fake.runs().len(), 4, "--rerun-demos → run again");
}

#[test]
fn a_corrupt_or_truncated_entry_is_run_again_never_shown() {
    let fake = FakeRunner::new();
    let options = fake.options();
    run_demos(&[request("activations")], &options);
    let entry = fake.cache_entry("activations");
    let text = fs::read_to_string(&entry).unwrap();
    fs::write(&entry, text.replace("0.9", "0.1")).unwrap();
    let rerun = run_demos(&[request("activations")], &options);
    let (report, cached) = ran(&rerun[0]);
    assert!(!cached);
    assert_eq!(
        report.metrics["accuracy"], 0.9,
        "the altered value is never shown"
    );
    fs::write(&entry, &text[..text.len() - 20]).unwrap();
    assert!(!ran(&run_demos(&[request("activations")], &options)[0]).1);
    assert_eq!(fake.runs().len(), 3);
}

#[test]
fn each_failure_fails_its_demo_only_and_says_which() {
    let fake = FakeRunner::new();
    let mut options = fake.options();
    options
        .budgets
        .insert("cnn".to_string(), Duration::from_secs(1));
    let ids = [
        "mlp",
        "svm",
        "cnn",
        "gradient-descent",
        "activations",
        "no-such-model",
    ];
    let requests: Vec<DemoRequest> = ids.iter().map(|id| request(id)).collect();
    let started = Instant::now();
    let outcomes = run_demos(&requests, &options);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the demo past its budget (and what it started) must be killed, took {:?}",
        started.elapsed()
    );
    let panic = failure(&outcomes[0]);
    assert!(
        panic.starts_with("panicked at reference_impls/src/models/mlp.rs:9:5: weights exploded"),
        "{panic}"
    );
    assert!(panic.contains("`savoir run mlp --seed 0`"), "{panic}");
    let nan = failure(&outcomes[1]);
    assert!(
        nan.starts_with("metric `accuracy` is NaN or infinite"),
        "{nan}"
    );
    let timeout = failure(&outcomes[2]);
    assert!(
        timeout.starts_with("ran past its time budget of 1 s and was stopped"),
        "{timeout}"
    );
    assert!(timeout.contains("`[demos.budgets]` `cnn = 2`"), "{timeout}");
    let abort = failure(&outcomes[3]);
    assert!(abort.starts_with("aborted (signal SIGABRT)"), "{abort}");
    assert!(!ran(&outcomes[4]).1);
    assert_eq!(outcomes[5], DemoOutcome::UnknownImplementation);
    // Failures are not cached: the next build tries them again; the success is cached.
    let again = run_demos(&requests, &options);
    assert!(ran(&again[4]).1);
    assert!(matches!(again[0], DemoOutcome::Failed { .. }));
    assert_eq!(fake.runs().iter().filter(|id| *id == "mlp").count(), 2);
}

#[test]
fn no_demos_skips_every_registered_demo_and_runs_nothing() {
    let fake = FakeRunner::new();
    let mut options = fake.options();
    options.skip = true;
    let outcomes = run_demos(
        &[request("activations"), request("no-such-model")],
        &options,
    );
    assert_eq!(
        outcomes,
        [DemoOutcome::Skipped, DemoOutcome::UnknownImplementation]
    );
    assert!(fake.runs().is_empty());
}

#[test]
fn two_concepts_naming_one_implementation_share_one_run() {
    let fake = FakeRunner::new();
    let outcomes = run_demos(
        &[
            request("activations"),
            DemoRequest {
                impl_id: "Activations".to_string(),
                concept: "Another concept".to_string(),
            },
        ],
        &fake.options(),
    );
    assert_eq!(fake.runs(), ["activations"]);
    assert_eq!(
        ran(&outcomes[1]).0.concept.as_deref(),
        Some("Another concept")
    );
}

#[test]
fn the_real_binary_runs_real_demos_and_a_second_build_reuses_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = ExecOptions::new(Path::new(env!("CARGO_BIN_EXE_savoir")));
    options.cache_dir = dir.path().to_path_buf();
    options.progress = false;
    let requests = [request("gradient-descent"), request("svm")];
    let outcomes = run_demos(&requests, &options);
    for outcome in &outcomes {
        let (report, cached) = ran(outcome);
        assert!(!cached);
        assert!(!report.checks.is_empty() && !report.series.is_empty());
        assert!(report.all_checks_passed(), "{:?}", report.failed_checks());
    }
    let again = run_demos(&requests, &options);
    for (first, second) in outcomes.iter().zip(&again) {
        let (report, cached) = ran(second);
        assert!(cached);
        assert!(
            report == ran(first).0,
            "the cached report of `{}` differs from the run's",
            report.implementation
        );
    }
}
