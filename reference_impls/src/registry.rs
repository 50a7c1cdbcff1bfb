//! The registry of runnable implementations: what each one is called, which parameters it takes
//! (with defaults and ranges), where it runs, and how to run it into a [`Report`].
//!
//! `savoir impls` lists [`implementations`]; `savoir run <id> --set key=value…` calls [`run`], which
//! validates the `--set` pairs against the implementation's [`ParamSpec`]s ([`Config::from_sets`]),
//! checks the device, runs the model and stamps the report with the concept and the duration.
//!
//! To register a model, implement [`Implementation`] on a unit struct and add it to the list in
//! `models/mod.rs` (`models::ALL`).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::backend::{Backend, Cpu, Device, DeviceError};
use crate::data::DataError;
use crate::report::Report;

/// A runnable reference implementation (a model, an experiment) of a concept of the vault.
pub trait Implementation: Sync {
    /// Stable identifier, used on the command line and in a note's `implementation:` key.
    fn id(&self) -> &'static str;

    /// Human title (French, like the vault).
    fn title(&self) -> &'static str;

    /// What the run shows, in a sentence or two.
    fn description(&self) -> &'static str;

    /// Title of the vault concept this implements, if any (used when a run is asked for by id).
    fn concept(&self) -> Option<&'static str> {
        None
    }

    /// The file that defines it, as `file!()` names it there (the site shows that file beside the
    /// demo); `None` when the model does not say. Override with `Some(file!())`.
    fn source_file(&self) -> Option<&'static str> {
        None
    }

    /// The parameters `--set` accepts, with defaults and ranges.
    fn params(&self) -> Vec<ParamSpec>;

    /// Devices it runs on.
    fn devices(&self) -> &'static [Device] {
        &[Device::Cpu]
    }

    /// Runs it with validated parameters; same `cfg`, `device` and `seed` give the same report.
    /// Call it through [`run`], which validates the device and fills `concept` and `duration_ms`.
    fn run(
        &self,
        cfg: &Config,
        device: Device,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError>;
}

/// A run written once against the [`Backend`] seam: [`run_on_device`] opens the device a run
/// asks for and calls it with that device's backend.
pub trait RunOnBackend {
    /// The run on `backend` (what [`Implementation::run`] does once the device is open).
    fn run_on<B: Backend>(
        &self,
        backend: &B,
        cfg: &Config,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Report, RunError>;
}

/// Runs `model` on the backend of `device`: the CPU, or the GPU adapter it names (an error naming
/// the device when none can be opened, or when this build has no GPU support).
pub fn run_on_device(
    model: &impl RunOnBackend,
    cfg: &Config,
    device: Device,
    seed: u64,
    progress: &dyn Progress,
) -> Result<Report, RunError> {
    match device {
        Device::Cpu => model.run_on(&Cpu, cfg, seed, progress),
        #[cfg(feature = "gpu")]
        Device::Gpu(choice) => {
            let gpu = crate::backend::gpu::Gpu::open(choice)
                .map_err(|e| RunError::Device(DeviceError::GpuOpen(e.to_string())))?;
            model.run_on(&gpu, cfg, seed, progress)
        }
        #[cfg(not(feature = "gpu"))]
        Device::Gpu(_) => Err(RunError::Device(DeviceError::GpuUnavailable(device))),
    }
}

/// Receives progress of a long run (the CLI shows it as a progress bar on stderr).
pub trait Progress {
    /// A phase of `total` units of work, named `label`, begins.
    fn start(&self, total: u64, label: &str);
    /// `n` more units of the current phase are done.
    fn advance(&self, n: u64);
    /// The current phase is over.
    fn finish(&self);
}

/// A [`Progress`] that ignores everything (tests, library use).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _total: u64, _label: &str) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
}

/// Why a run could not be set up or did not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// No implementation has this id.
    #[error("unknown implementation `{id}`; registered implementations: {known}")]
    UnknownImplementation {
        /// The id asked for.
        id: String,
        /// The registered ids, comma-separated.
        known: String,
    },
    /// A `--set` key the implementation does not take.
    #[error("unknown parameter `{key}`; valid parameters:\n{valid}")]
    UnknownParam {
        /// The key given.
        key: String,
        /// Every valid parameter with its type, range and default, one per line.
        valid: String,
    },
    /// A `--set` value of the wrong type or out of range.
    #[error(
        "invalid value `{value}` for parameter `{key}`: expected {expected}; valid parameters:\n{valid}"
    )]
    InvalidValue {
        /// The parameter.
        key: String,
        /// The value given.
        value: String,
        /// What the parameter accepts.
        expected: String,
        /// Every valid parameter with its type, range and default, one per line.
        valid: String,
    },
    /// A `--set` argument without `=`.
    #[error("malformed setting `{0}`: expected key=value (for example --set steps=100)")]
    MalformedSet(String),
    /// The device is not usable in this build.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The implementation does not run on the device.
    #[error("`{id}` does not run on {device}; it runs on: {supported}")]
    UnsupportedDevice {
        /// The implementation.
        id: String,
        /// The device asked for.
        device: Device,
        /// The devices it supports, comma-separated.
        supported: String,
    },
    /// A data set could not be loaded.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The run itself failed (diverged, inconsistent parameters…); the message says why.
    #[error("{0}")]
    Failed(String),
}

/// The value of a parameter (a default or a validated setting).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Float(f64),
    /// One of a fixed set of words.
    Text(String),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{x}"),
            ParamValue::Text(s) => f.write_str(s),
        }
    }
}

/// What values a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ParamKind {
    /// An integer in `[min, max]`.
    Int {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// A finite real in `[min, max]`.
    Float {
        /// Smallest accepted value.
        min: f64,
        /// Largest accepted value.
        max: f64,
    },
    /// One of `options`.
    Choice {
        /// The accepted words.
        options: &'static [&'static str],
    },
    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    Bool,
    /// A file or folder on disk; empty means "the bundled default".
    Path,
}

impl fmt::Display for ParamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamKind::Int { min, max } => write!(f, "an integer in [{min}, {max}]"),
            ParamKind::Float { min, max } => write!(f, "a number in [{min}, {max}]"),
            ParamKind::Choice { options } => write!(f, "one of {}", options.join(", ")),
            ParamKind::Bool => f.write_str("true or false"),
            ParamKind::Path => f.write_str("a file or folder path, empty for the bundled data"),
        }
    }
}

/// One parameter of an implementation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamSpec {
    /// Key used with `--set`.
    pub name: &'static str,
    /// What it controls.
    pub description: &'static str,
    /// Value when not set.
    pub default: ParamValue,
    /// Accepted values.
    #[serde(flatten)]
    pub kind: ParamKind,
}

impl ParamSpec {
    /// An integer parameter in `[min, max]`.
    pub fn int(
        name: &'static str,
        description: &'static str,
        default: i64,
        min: i64,
        max: i64,
    ) -> Self {
        Self::checked(
            name,
            description,
            ParamValue::Int(default),
            ParamKind::Int { min, max },
        )
    }

    /// A real parameter in `[min, max]`.
    pub fn float(
        name: &'static str,
        description: &'static str,
        default: f64,
        min: f64,
        max: f64,
    ) -> Self {
        Self::checked(
            name,
            description,
            ParamValue::Float(default),
            ParamKind::Float { min, max },
        )
    }

    /// A parameter taking one of `options`.
    pub fn choice(
        name: &'static str,
        description: &'static str,
        default: &'static str,
        options: &'static [&'static str],
    ) -> Self {
        Self::checked(
            name,
            description,
            ParamValue::Text(default.to_string()),
            ParamKind::Choice { options },
        )
    }

    /// A path parameter, empty by default (the implementation then uses its bundled data).
    pub fn path(name: &'static str, description: &'static str) -> Self {
        Self::checked(
            name,
            description,
            ParamValue::Text(String::new()),
            ParamKind::Path,
        )
    }

    /// A boolean parameter.
    pub fn flag(name: &'static str, description: &'static str, default: bool) -> Self {
        Self::checked(
            name,
            description,
            ParamValue::Bool(default),
            ParamKind::Bool,
        )
    }

    /// Builds a spec, asserting (a programming error otherwise) that its default is valid.
    fn checked(
        name: &'static str,
        description: &'static str,
        default: ParamValue,
        kind: ParamKind,
    ) -> Self {
        let spec = ParamSpec {
            name,
            description,
            default,
            kind,
        };
        assert!(
            spec.parse(&spec.default.to_string()).as_ref() == Some(&spec.default),
            "default of parameter `{name}` is not {kind}"
        );
        spec
    }

    /// Parses and validates `raw`, or `None` when it is not an accepted value.
    pub fn parse(&self, raw: &str) -> Option<ParamValue> {
        let raw = raw.trim();
        match self.kind {
            ParamKind::Int { min, max } => raw
                .parse::<i64>()
                .ok()
                .filter(|v| (min..=max).contains(v))
                .map(ParamValue::Int),
            ParamKind::Float { min, max } => raw
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && (min..=max).contains(v))
                .map(ParamValue::Float),
            ParamKind::Choice { options } => options
                .iter()
                .find(|o| o.eq_ignore_ascii_case(raw))
                .map(|o| ParamValue::Text(o.to_string())),
            ParamKind::Bool => match raw.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Some(ParamValue::Bool(true)),
                "false" | "0" | "no" | "off" => Some(ParamValue::Bool(false)),
                _ => None,
            },
            ParamKind::Path => Some(ParamValue::Text(raw.to_string())),
        }
    }
}

impl fmt::Display for ParamSpec {
    /// `name (kind, default d): description`, the line used in error messages and listings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, default {}): {}",
            self.name, self.kind, self.default, self.description
        )
    }
}

/// One line per parameter, indented, for error messages.
fn describe_params(specs: &[ParamSpec]) -> String {
    if specs.is_empty() {
        return "  (none: this implementation takes no parameter)".to_string();
    }
    specs
        .iter()
        .map(|s| format!("  {s}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Validated parameter values of one run, every declared parameter present (set or default).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    values: BTreeMap<String, ParamValue>,
}

impl Config {
    /// Every parameter at its default.
    pub fn defaults(specs: &[ParamSpec]) -> Config {
        Config {
            values: specs
                .iter()
                .map(|s| (s.name.to_string(), s.default.clone()))
                .collect(),
        }
    }

    /// The defaults overridden by `sets` (`(key, value)` pairs, later ones win), each validated:
    /// an unknown key or an invalid value is an error listing every valid parameter.
    pub fn from_sets(specs: &[ParamSpec], sets: &[(String, String)]) -> Result<Config, RunError> {
        let mut config = Config::defaults(specs);
        for (key, raw) in sets {
            let key = key.trim();
            let Some(spec) = specs.iter().find(|s| s.name == key) else {
                return Err(RunError::UnknownParam {
                    key: key.to_string(),
                    valid: describe_params(specs),
                });
            };
            let value = spec.parse(raw).ok_or_else(|| RunError::InvalidValue {
                key: key.to_string(),
                value: raw.clone(),
                expected: spec.kind.to_string(),
                valid: describe_params(specs),
            })?;
            config.values.insert(key.to_string(), value);
        }
        Ok(config)
    }

    /// All values, by parameter name (ordered, as they appear in the report).
    pub fn values(&self) -> &BTreeMap<String, ParamValue> {
        &self.values
    }

    /// The value of `name`, if declared.
    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.values.get(name)
    }

    /// An integer parameter.
    ///
    /// # Panics
    /// When `name` is not a declared integer parameter (a bug in the model, not user input).
    pub fn int(&self, name: &str) -> i64 {
        match self.get(name) {
            Some(ParamValue::Int(v)) => *v,
            other => panic!("parameter `{name}` is not a declared integer: {other:?}"),
        }
    }

    /// A non-negative integer parameter as a count or a size.
    ///
    /// # Panics
    /// When `name` is not a declared integer parameter or is negative (declare `min >= 0`).
    pub fn usize(&self, name: &str) -> usize {
        usize::try_from(self.int(name))
            .unwrap_or_else(|_| panic!("parameter `{name}` is negative; declare min >= 0"))
    }

    /// A real parameter.
    ///
    /// # Panics
    /// When `name` is not a declared real parameter.
    pub fn float(&self, name: &str) -> f64 {
        match self.get(name) {
            Some(ParamValue::Float(v)) => *v,
            other => panic!("parameter `{name}` is not a declared real: {other:?}"),
        }
    }

    /// A choice parameter (one of its declared options).
    ///
    /// # Panics
    /// When `name` is not a declared choice parameter.
    pub fn choice(&self, name: &str) -> &str {
        match self.get(name) {
            Some(ParamValue::Text(v)) => v,
            other => panic!("parameter `{name}` is not a declared choice: {other:?}"),
        }
    }

    /// A path parameter: `None` when left empty.
    ///
    /// # Panics
    /// When `name` is not a declared path parameter.
    pub fn path(&self, name: &str) -> Option<&std::path::Path> {
        match self.get(name) {
            Some(ParamValue::Text(v)) if v.is_empty() => None,
            Some(ParamValue::Text(v)) => Some(std::path::Path::new(v)),
            other => panic!("parameter `{name}` is not a declared path: {other:?}"),
        }
    }

    /// A boolean parameter.
    ///
    /// # Panics
    /// When `name` is not a declared boolean parameter.
    pub fn flag(&self, name: &str) -> bool {
        match self.get(name) {
            Some(ParamValue::Bool(v)) => *v,
            other => panic!("parameter `{name}` is not a declared boolean: {other:?}"),
        }
    }
}

/// Splits a `key=value` command-line setting.
pub fn parse_set(setting: &str) -> Result<(String, String), RunError> {
    setting
        .split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| RunError::MalformedSet(setting.to_string()))
}

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
