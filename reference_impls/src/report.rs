//! The report of a run: the JSON of the `run` contract (DESIGN.md), plus optional extras.
//!
//! ```json
//! {"impl","concept","device","seed","params":{},"metrics":{},
//!  "series":[{"name","x":[],"y":[]}],"checks":[{"name","passed","detail"}],"duration_ms"}
//! ```
//!
//! Extras, present only when non-empty: `"axes"` (axis labels per plot), `"matrices"` (confusion
//! matrices and other heat maps), `"images"` (small grey-level grids such as learned filters),
//! `"texts"` (named texts, such as a sample drawn from a language model), and
//! `"kind":"points"` or `"kind":"rings"` on a series drawn as filled or open markers.
//!
//! Deterministic: maps are ordered (`BTreeMap`), floats are written by serde_json's shortest
//! round-trip formatting, so the same run gives byte-identical JSON apart from `duration_ms`.
//!
//! Series naming: a series named `"group/label"` is drawn in the plot `group` with legend `label`
//! (the group is everything before the last `/`, so `"trajectory/rosenbrock/adam"` goes to the plot
//! `trajectory/rosenbrock`); a name without `/` is a plot of its own. Images group the same way.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::backend::Device;
use crate::params::{Config, ParamValue};

/// Everything a run produced: parameters, metrics, curves, checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Implementation id.
    #[serde(rename = "impl")]
    pub implementation: String,
    /// Title of the vault concept it illustrates, when known.
    pub concept: Option<String>,
    /// Where it ran.
    pub device: Device,
    /// Seed of every random choice of the run.
    pub seed: u64,
    /// Every parameter's value (set or default).
    pub params: BTreeMap<String, ParamValue>,
    /// Scalar results (accuracies, final losses, counts).
    pub metrics: BTreeMap<String, f64>,
    /// Curves, named `group/label` (see the module documentation).
    pub series: Vec<Series>,
    /// Assertions that make the run evidence: each passed or not, with the numbers behind it.
    pub checks: Vec<Check>,
    /// Axis labels and scales per plot group.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub axes: BTreeMap<String, Axes>,
    /// Matrices drawn as heat maps (confusion matrices).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matrices: Vec<Matrix>,
    /// Small images (learned filters), named `group/label` like series.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
    /// Texts the run produced (a sample drawn from a language model), by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub texts: BTreeMap<String, String>,
    /// Wall-clock duration of the run in milliseconds (the only non-deterministic field).
    pub duration_ms: u64,
}

impl Report {
    /// An empty report for a run of `implementation` with `cfg` on `device` from `seed`.
    pub fn new(implementation: &str, device: Device, seed: u64, cfg: &Config) -> Report {
        Report {
            implementation: implementation.to_string(),
            concept: None,
            device,
            seed,
            params: cfg.values().clone(),
            metrics: BTreeMap::new(),
            series: Vec::new(),
            checks: Vec::new(),
            axes: BTreeMap::new(),
            matrices: Vec::new(),
            images: Vec::new(),
            texts: BTreeMap::new(),
            duration_ms: 0,
        }
    }

    /// Records a metric. A non-finite value (a diverged run) is not recorded, as JSON has no NaN
    /// or infinity: say what happened in a check instead.
    pub fn metric(&mut self, name: &str, value: f64) {
        if value.is_finite() {
            self.metrics.insert(name.to_string(), value);
        }
    }

    /// Records a check and returns whether it passed.
    pub fn check(&mut self, name: &str, passed: bool, detail: impl Into<String>) -> bool {
        self.checks.push(Check {
            name: name.to_string(),
            passed,
            detail: detail.into(),
        });
        passed
    }

    /// Adds a series.
    pub fn push_series(&mut self, series: Series) {
        self.series.push(series);
    }

    /// Sets the axes of the plot `group`.
    pub fn set_axes(&mut self, group: &str, axes: Axes) {
        self.axes.insert(group.to_string(), axes);
    }

    /// True when every check passed.
    pub fn all_checks_passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// The checks that failed.
    pub fn failed_checks(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| !c.passed).collect()
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

/// One assertion of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// What is asserted.
    pub name: String,
    /// Whether it held.
    pub passed: bool,
    /// The numbers behind the verdict.
    pub detail: String,
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesKind {
    /// A polyline through the points, in order.
    #[default]
    Line,
    /// Unconnected markers (a scatter plot).
    Points,
    /// Open circles, to ring points of another series (support vectors among the samples).
    Rings,
}

impl SeriesKind {
    fn is_line(&self) -> bool {
        *self == SeriesKind::Line
    }
}

/// A curve: `y` against `x`, same length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// `group/label` (see the module documentation).
    pub name: String,
    /// Abscissae.
    pub x: Vec<f64>,
    /// Ordinates.
    pub y: Vec<f64>,
    /// Line (default, not serialised) or points.
    #[serde(default, skip_serializing_if = "SeriesKind::is_line")]
    pub kind: SeriesKind,
}

impl Series {
    /// A line through `(x[i], y[i])`.
    pub fn line(name: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Series {
        Series {
            name: name.into(),
            x,
            y,
            kind: SeriesKind::Line,
        }
    }

    /// A line through `(i, y[i])`, `i` = 0, 1, 2… (a value per step or epoch).
    pub fn steps(name: impl Into<String>, y: Vec<f64>) -> Series {
        let x = (0..y.len()).map(|i| i as f64).collect();
        Series::line(name, x, y)
    }

    /// Unconnected points `(x[i], y[i])`.
    pub fn points(name: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Series {
        Series {
            kind: SeriesKind::Points,
            ..Series::line(name, x, y)
        }
    }

    /// Open circles around `(x[i], y[i])`.
    pub fn rings(name: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Series {
        Series {
            kind: SeriesKind::Rings,
            ..Series::line(name, x, y)
        }
    }

    /// The plot this series belongs to and its legend: `"loss/train"` → `("loss", "train")`.
    pub fn group_and_label(&self) -> (&str, &str) {
        split_group(&self.name)
    }
}

/// Splits a `group/label` name at its last `/`; a name without `/` is its own group and label.
pub fn split_group(name: &str) -> (&str, &str) {
    name.rsplit_once('/').unwrap_or((name, name))
}

/// Title, axis labels and scale of one plot group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Axes {
    /// Title shown above the plot (the group name when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Label of the horizontal axis.
    pub x_label: String,
    /// Label of the vertical axis.
    pub y_label: String,
    /// Logarithmic vertical axis (for losses spanning decades).
    #[serde(default)]
    pub log_y: bool,
}

impl Axes {
    /// Linear axes with these labels.
    pub fn new(x_label: &str, y_label: &str) -> Axes {
        Axes {
            title: None,
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            log_y: false,
        }
    }

    /// The same axes with a title.
    pub fn titled(self, title: &str) -> Axes {
        Axes {
            title: Some(title.to_string()),
            ..self
        }
    }

    /// The same axes with a logarithmic vertical scale.
    pub fn log_y(self) -> Axes {
        Axes {
            log_y: true,
            ..self
        }
    }
}

/// A labelled matrix, drawn as a heat map (`values[row][col]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    /// Name (also the plot's file name).
    pub name: String,
    /// What the rows are (e.g. "classe réelle").
    pub row_title: String,
    /// What the columns are (e.g. "classe prédite").
    pub col_title: String,
    /// Label of each row.
    pub row_labels: Vec<String>,
    /// Label of each column.
    pub col_labels: Vec<String>,
    /// `[rows][cols]` values.
    pub values: Vec<Vec<f64>>,
}

impl Matrix {
    /// The confusion matrix of `predicted` against `truth` over `classes` classes:
    /// `values[t][p]` counts the samples of true class `t` predicted as `p`.
    pub fn confusion(name: &str, classes: usize, truth: &[usize], predicted: &[usize]) -> Matrix {
        let mut values = vec![vec![0.0; classes]; classes];
        for (&t, &p) in truth.iter().zip(predicted) {
            values[t][p] += 1.0;
        }
        let labels: Vec<String> = (0..classes).map(|c| c.to_string()).collect();
        Matrix {
            name: name.to_string(),
            row_title: "classe réelle".to_string(),
            col_title: "classe prédite".to_string(),
            row_labels: labels.clone(),
            col_labels: labels,
            values,
        }
    }
}

/// A small grey-level image, row-major.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// `group/label` (see the module documentation).
    pub name: String,
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// `height * width` values, row-major (any range: drawn scaled to the image's min..max).
    pub pixels: Vec<f64>,
}
