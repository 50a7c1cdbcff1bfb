//! How the demos run: [`ExecOptions`], and the `[demos]` table of `savoir.toml` that sets their
//! time budgets.

use reference_impls::Device;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where reports are cached when nothing else is said (relative to the current folder).
pub const DEFAULT_CACHE_DIR: &str = ".savoir/cache";

/// The time a demo may take when `savoir.toml` does not say.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(120);

/// The seed every demo runs with, so that its page and `savoir run` agree.
pub const DEMO_SEED: u64 = 0;

/// How [`run_demos`](super::run_demos) runs the demos.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// The program each demo runs in, as `<runner> run <id> --format json --seed 0 --device
    /// <device>`: the savoir binary itself (`std::env::current_exe()` in the CLI,
    /// `env!("CARGO_BIN_EXE_savoir")` in integration tests). A child process isolates the build
    /// from a demo's panic, abort or endless loop.
    pub runner: PathBuf,
    /// Folder of the cached reports (default [`DEFAULT_CACHE_DIR`]).
    pub cache_dir: PathBuf,
    /// Time budget of a demo without a budget of its own (default [`DEFAULT_BUDGET`]).
    pub budget: Duration,
    /// Budgets of single demos, by implementation id.
    pub budgets: BTreeMap<String, Duration>,
    /// Run every demo even when its cached report is valid (`--rerun-demos`).
    pub rerun: bool,
    /// Run nothing, read no cache: every known demo is [`Skipped`](super::DemoOutcome::Skipped)
    /// (`--no-demos`).
    pub skip: bool,
    /// Where the demos run.
    pub device: Device,
    /// How many demos run at once (default: the number of cores).
    pub jobs: usize,
    /// Show a progress bar on stderr (hidden anyway when stderr is not a terminal).
    pub progress: bool,
    /// What identifies the implementations' code in the cache key: by default the fingerprint of
    /// `reference_impls`' sources taken when this binary was built
    /// ([`sources_fingerprint`](super::sources_fingerprint)).
    pub sources_fingerprint: String,
}

impl ExecOptions {
    /// The defaults, running each demo in `runner` (see [`ExecOptions::runner`]).
    pub fn new(runner: impl Into<PathBuf>) -> ExecOptions {
        ExecOptions {
            runner: runner.into(),
            cache_dir: PathBuf::from(DEFAULT_CACHE_DIR),
            budget: DEFAULT_BUDGET,
            budgets: BTreeMap::new(),
            rerun: false,
            skip: false,
            device: Device::Cpu,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            progress: true,
            sources_fingerprint: super::sources_fingerprint().to_string(),
        }
    }

    /// The folder the cached reports are kept in, one file per demo and device.
    pub fn reports_dir(&self) -> PathBuf {
        super::cache::Cache::new(&self.cache_dir)
            .dir()
            .to_path_buf()
    }

    /// Applies the `[demos]` table of a `savoir.toml` text read from `file`:
    /// `budget_s = 120` (every demo) and `[demos.budgets]` `mlp = 300` (one demo), in seconds.
    pub fn apply_config(&mut self, file: &Path, text: &str) -> Result<(), DemosConfigError> {
        let error = |message: String| DemosConfigError {
            file: file.to_path_buf(),
            message,
        };
        let parsed: ConfigFile = toml::from_str(text).map_err(|e| error(e.to_string()))?;
        let Some(demos) = parsed.demos else {
            return Ok(());
        };
        if let Some(seconds) = demos.budget_s {
            self.budget = budget(seconds).map_err(|m| error(format!("[demos] budget_s: {m}")))?;
        }
        for (id, seconds) in demos.budgets {
            let value = budget(seconds).map_err(|m| error(format!("[demos.budgets] {id}: {m}")))?;
            self.budgets.insert(id, value);
        }
        Ok(())
    }

    /// The time budget of demo `impl_id`.
    pub fn budget_of(&self, impl_id: &str) -> Duration {
        self.budgets.get(impl_id).copied().unwrap_or(self.budget)
    }
}

/// The `[demos]` table of `savoir.toml` is invalid.
#[derive(Debug, thiserror::Error)]
#[error(
    "{}: {message}\n  help: write budgets in seconds, e.g. `[demos]` `budget_s = 120` and `[demos.budgets]` `mlp = 300`",
    file.display()
)]
pub struct DemosConfigError {
    /// The configuration file.
    pub file: PathBuf,
    /// What is wrong, with the TOML parser's line and column when it found it.
    pub message: String,
}

/// The part of `savoir.toml` this module reads; the other tables belong to other stages.
#[derive(Debug, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    demos: Option<DemosTable>,
}

/// `[demos]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemosTable {
    /// Budget of every demo, in seconds.
    budget_s: Option<f64>,
    /// Budget per implementation id, in seconds.
    #[serde(default)]
    budgets: BTreeMap<String, f64>,
}

/// A budget in seconds as a duration: positive and finite (at most a day).
fn budget(seconds: f64) -> Result<Duration, String> {
    if seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0 {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(format!(
            "{seconds} is not a budget: give a number of seconds above 0 (at most 86400)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(text: &str) -> Result<ExecOptions, DemosConfigError> {
        let mut options = ExecOptions::new("savoir");
        options.apply_config(Path::new("savoir.toml"), text)?;
        Ok(options)
    }

    #[test]
    fn budgets_default_to_two_minutes() {
        let o = options("language = \"fr\"\n").unwrap();
        assert_eq!(o.budget_of("mlp"), Duration::from_secs(120));
    }

    #[test]
    fn global_and_per_demo_budgets_apply() {
        let o = options("[demos]\nbudget_s = 30\n[demos.budgets]\nmlp = 300\ncnn = 1.5\n").unwrap();
        assert_eq!(o.budget_of("svm"), Duration::from_secs(30));
        assert_eq!(o.budget_of("mlp"), Duration::from_secs(300));
        assert_eq!(o.budget_of("cnn"), Duration::from_millis(1500));
    }

    #[test]
    fn a_bad_budget_names_the_file_and_key() {
        let e = options("[demos.budgets]\nmlp = -1\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("savoir.toml: [demos.budgets] mlp: -1 is not a budget"),
            "{e}"
        );
        let e = options("[demos]\nbudget = 3\n").unwrap_err().to_string();
        assert!(e.contains("unknown field `budget`"), "{e}");
        assert!(e.contains("budget_s = 120"), "{e}");
    }
}
