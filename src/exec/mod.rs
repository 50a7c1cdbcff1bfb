//! Executed demos: run the reference implementation a concept names, in parallel, each isolated in
//! a child process under a time budget, and cache the reports.
//!
//! [`run_demos`] takes one [`DemoRequest`] per concept with an `implementation:` and returns one
//! [`DemoOutcome`] per request, in the same order:
//! - an id the registry does not know is [`DemoOutcome::UnknownImplementation`];
//! - with [`ExecOptions::skip`] (`--no-demos`) every other one is [`DemoOutcome::Skipped`];
//! - a demo whose cached report is valid for its key is [`DemoOutcome::Ran`] with `cached: true`
//!   and does not run; the key is a hash of the implementation's sources and data
//!   ([`sources_fingerprint`]), its configuration, its seed, the device and savoir's version;
//!   [`ExecOptions::rerun`] (`--rerun-demos`) ignores the cache;
//! - every other demo runs as `savoir run <id> --format json --seed 0` in a child process, as many
//!   at once as [`ExecOptions::jobs`], with a progress bar on stderr: a report is
//!   [`DemoOutcome::Ran`] (and cached), a panic, an abort, a NaN, malformed output or a run past
//!   its budget is [`DemoOutcome::Failed`] with a message saying which and what to do. Failures
//!   are not cached: the next build tries again.
//!
//! Two concepts naming one implementation share one run.

mod cache;
mod child;
mod options;
mod source;

pub use options::{DEFAULT_BUDGET, DEFAULT_CACHE_DIR, DEMO_SEED, DemosConfigError, ExecOptions};
pub use source::{model_source, sources_fingerprint};

use cache::{Cache, CacheKey};
use indicatif::{ProgressBar, ProgressStyle};
use reference_impls::params::Config;
use reference_impls::registry;
use reference_impls::report::Report;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A concept whose page shows the demo of an implementation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoRequest {
    /// The implementation id the note names (`implementation: mlp`).
    pub impl_id: String,
    /// The concept's title (written into the report's `concept`).
    pub concept: String,
}

/// What became of one requested demo.
#[derive(Debug, Clone, PartialEq)]
pub enum DemoOutcome {
    /// The demo ran now or earlier (cached) and reported.
    Ran {
        /// Its report (some checks may have failed: the page shows them).
        report: Box<Report>,
        /// `true` when read from the cache, not run by this build.
        cached: bool,
        /// The wall-clock time of the run (of the earlier run when cached).
        duration: Duration,
    },
    /// The demo did not report: the message says why (panic, abort, NaN, time-out, malformed
    /// output, cannot start) and what to do.
    Failed {
        /// One line, starting with what happened.
        error: String,
    },
    /// No registered implementation has this id.
    UnknownImplementation,
    /// Demos were not run (`--no-demos`).
    Skipped,
}

/// The command that reproduces demo `impl_id` on the command line.
pub fn reproduce_command(impl_id: &str) -> String {
    format!("savoir run {impl_id} --seed {DEMO_SEED}")
}

/// A distinct demo to produce: its registered id and its cache key.
struct Job {
    /// The registered id (as the registry spells it).
    id: &'static str,
    /// Digest of its [`CacheKey`].
    key: String,
}

/// Runs (or reads from the cache) the demo of every request; see the [module](self)
/// documentation. The outcomes are in the order of `requests`.
pub fn run_demos(requests: &[DemoRequest], options: &ExecOptions) -> Vec<DemoOutcome> {
    let registered: Vec<Option<&'static str>> = requests
        .iter()
        .map(|r| registry::find(&r.impl_id).map(|imp| imp.id()))
        .collect();
    let mut jobs: Vec<Job> = Vec::new();
    if !options.skip {
        for id in registered.iter().flatten() {
            if !jobs.iter().any(|job| job.id == *id) {
                jobs.push(Job {
                    id,
                    key: cache_key(id, options),
                });
            }
        }
    }
    let results = produce(&jobs, options);
    requests
        .iter()
        .zip(registered)
        .map(|(request, id)| match id {
            None => DemoOutcome::UnknownImplementation,
            Some(_) if options.skip => DemoOutcome::Skipped,
            Some(id) => {
                let index = jobs
                    .iter()
                    .position(|job| job.id == id)
                    .expect("every registered id has a job");
                with_concept(results[index].clone(), &request.concept)
            }
        })
        .collect()
}

/// The outcome with the report's concept set to the requesting concept's title.
fn with_concept(outcome: DemoOutcome, concept: &str) -> DemoOutcome {
    match outcome {
        DemoOutcome::Ran {
            mut report,
            cached,
            duration,
        } => {
            report.concept = Some(concept.to_string());
            DemoOutcome::Ran {
                report,
                cached,
                duration,
            }
        }
        other => other,
    }
}

/// The cache key digest of registered demo `id` at its default configuration.
fn cache_key(id: &str, options: &ExecOptions) -> String {
    let imp = registry::find(id).expect("only registered ids get a key");
    let config = Config::defaults(&imp.params());
    CacheKey {
        savoir_version: env!("CARGO_PKG_VERSION"),
        sources: &options.sources_fingerprint,
        implementation: id,
        params: config.values(),
        device: options.device,
        seed: DEMO_SEED,
    }
    .digest()
}

/// The outcome of every job, in order: from the cache when valid, else run (in parallel).
fn produce(jobs: &[Job], options: &ExecOptions) -> Vec<DemoOutcome> {
    let cache = Cache::new(&options.cache_dir);
    let mut outcomes: Vec<Option<DemoOutcome>> = jobs
        .iter()
        .map(|job| {
            (!options.rerun)
                .then(|| cache.load(job.id, options.device, &job.key))
                .flatten()
                .map(|hit| DemoOutcome::Ran {
                    report: Box::new(hit.report),
                    cached: true,
                    duration: hit.duration,
                })
        })
        .collect();
    let to_run: Vec<usize> = (0..jobs.len()).filter(|&i| outcomes[i].is_none()).collect();
    let ran = run_in_parallel(&to_run, jobs, options, &cache);
    for (index, outcome) in to_run.into_iter().zip(ran) {
        outcomes[index] = Some(outcome);
    }
    outcomes
        .into_iter()
        .map(|o| o.expect("every job has an outcome"))
        .collect()
}

/// Runs `jobs[i]` for each `i` of `indices`, [`ExecOptions::jobs`] at a time, caching each
/// report; the outcomes are in the order of `indices`.
fn run_in_parallel(
    indices: &[usize],
    jobs: &[Job],
    options: &ExecOptions,
    cache: &Cache,
) -> Vec<DemoOutcome> {
    let bar = progress_bar(indices.len(), options.progress);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<DemoOutcome>>> = Mutex::new(vec![None; indices.len()]);
    let workers = options.jobs.clamp(1, indices.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let slot = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&index) = indices.get(slot) else {
                        break;
                    };
                    let outcome = run_one(&jobs[index], options, cache);
                    bar.inc(1);
                    results.lock().expect("no worker panics")[slot] = Some(outcome);
                }
            });
        }
    });
    bar.finish_and_clear();
    results
        .into_inner()
        .expect("no worker panics")
        .into_iter()
        .map(|o| o.expect("every demo was run"))
        .collect()
}

/// Runs one demo in a child process and caches its report.
fn run_one(job: &Job, options: &ExecOptions, cache: &Cache) -> DemoOutcome {
    match child::run_demo(
        &options.runner,
        job.id,
        options.device,
        options.budget_of(job.id),
    ) {
        Ok(finished) => {
            if let Err(e) = cache.store(
                job.id,
                options.device,
                &job.key,
                &finished.report,
                finished.duration,
            ) {
                eprintln!(
                    "warning: cannot cache the report of demo `{}` in {}: {e}; it will run again next build",
                    job.id,
                    options.cache_dir.display()
                );
            }
            DemoOutcome::Ran {
                report: Box::new(finished.report),
                cached: false,
                duration: finished.duration,
            }
        }
        Err(error) => DemoOutcome::Failed { error },
    }
}

/// A bar on stderr counting finished demos (hidden when asked, or when stderr is no terminal).
fn progress_bar(total: usize, visible: bool) -> ProgressBar {
    if !visible || total == 0 {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64).with_message("demos");
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
