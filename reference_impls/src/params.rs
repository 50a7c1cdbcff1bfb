//! The parameters of an implementation: what `--set key=value` accepts ([`ParamSpec`]), the
//! values of one run ([`Config`]), and why a setting is refused ([`ParamError`]).
//!
//! A leaf module: the registry, the reports and every model read it; it reads nothing of theirs.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a `--set` setting is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamError {
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
    pub fn from_sets(specs: &[ParamSpec], sets: &[(String, String)]) -> Result<Config, ParamError> {
        let mut config = Config::defaults(specs);
        for (key, raw) in sets {
            let key = key.trim();
            let Some(spec) = specs.iter().find(|s| s.name == key) else {
                return Err(ParamError::UnknownParam {
                    key: key.to_string(),
                    valid: describe_params(specs),
                });
            };
            let value = spec.parse(raw).ok_or_else(|| ParamError::InvalidValue {
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
pub fn parse_set(setting: &str) -> Result<(String, String), ParamError> {
    setting
        .split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| ParamError::MalformedSet(setting.to_string()))
}
