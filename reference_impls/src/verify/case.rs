//! One test-vector case as read from its JSON file, with accessors that turn missing or
//! malformed entries into [`VerifyError`]s, and the [`Outputs`] a handler returns.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ndarray::{Array, ArrayD, Dimension, IxDyn};
use serde::Deserialize;

use super::VerifyError;
use crate::layers::ShapeError;

/// A tensor as stored in a case file: a shape and its row-major data.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Tensor {
    /// `[d0, d1, …]`; `[]` for a scalar.
    pub shape: Vec<usize>,
    /// `prod(shape)` numbers in row-major (C) order.
    pub data: Vec<f64>,
}

impl Tensor {
    /// The tensor as an array, or an error naming it when the data length does not match the
    /// shape.
    pub fn to_array(&self, name: &str) -> Result<ArrayD<f64>, VerifyError> {
        ArrayD::from_shape_vec(IxDyn(&self.shape), self.data.clone()).map_err(|_| {
            VerifyError::BadTensor {
                name: name.to_string(),
                detail: format!(
                    "shape {:?} needs {} numbers, the file has {}",
                    self.shape,
                    self.shape.iter().product::<usize>(),
                    self.data.len()
                ),
            }
        })
    }
}

/// The pass rule `|got − ref| ≤ atol + rtol·|ref|`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
pub struct Tolerance {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
}

impl Default for Tolerance {
    /// The vectors' usual rtol 1e-5, atol 1e-6.
    fn default() -> Self {
        Self {
            rtol: 1e-5,
            atol: 1e-6,
        }
    }
}

/// One case: an op, its parameters, inputs (weights included) and expected outputs.
#[derive(Clone, Debug, Deserialize)]
pub struct Case {
    /// The case name (`conv2d_s2_p1`).
    pub case: String,
    /// The op id that selects the handler (`conv2d`).
    pub op: String,
    /// Numeric parameters (flags are 0 or 1).
    #[serde(default)]
    pub params: BTreeMap<String, f64>,
    /// Inputs and weights by name.
    #[serde(default)]
    pub inputs: BTreeMap<String, Tensor>,
    /// Expected outputs and gradients by name.
    #[serde(default)]
    pub outputs: BTreeMap<String, Tensor>,
    /// The pass rule.
    #[serde(default)]
    pub tolerance: Tolerance,
    /// Where the vectors came from (`torch 2.15.0`).
    #[serde(default)]
    pub source: Option<String>,
    /// The file the case was read from (empty for a case built in memory).
    #[serde(skip)]
    pub path: PathBuf,
}

impl Case {
    /// Parses a case from its JSON text; `path` is recorded for messages.
    pub fn from_json(text: &str, path: &Path) -> Result<Self, VerifyError> {
        let mut case: Case = serde_json::from_str(text).map_err(|source| VerifyError::Json {
            path: path.to_path_buf(),
            source,
        })?;
        case.path = path.to_path_buf();
        Ok(case)
    }

    /// Reads and parses the case file at `path`.
    pub fn load(path: &Path) -> Result<Self, VerifyError> {
        let text = std::fs::read_to_string(path).map_err(|source| VerifyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text, path)
    }

    /// The input `name` as an array of any dimension.
    pub fn input(&self, name: &str) -> Result<ArrayD<f64>, VerifyError> {
        self.inputs
            .get(name)
            .ok_or_else(|| VerifyError::MissingInput {
                name: name.to_string(),
                available: self.inputs.keys().cloned().collect(),
            })?
            .to_array(name)
    }

    /// Whether the case has an input called `name`.
    pub fn has_input(&self, name: &str) -> bool {
        self.inputs.contains_key(name)
    }

    /// The input `name` with a fixed number of axes (`Ix2` for a matrix), or an error saying how
    /// many axes it has.
    pub fn input_nd<D: Dimension>(&self, name: &str) -> Result<Array<f64, D>, VerifyError> {
        let array = self.input(name)?;
        let got = array.shape().to_vec();
        array
            .into_dimensionality::<D>()
            .map_err(|_| VerifyError::BadTensor {
                name: name.to_string(),
                detail: format!(
                    "expected {} axes, got shape {got:?}",
                    D::NDIM.map_or("a fixed number of".to_string(), |n| n.to_string())
                ),
            })
    }

    /// The input `name` read as class indices or time steps: every value a non-negative integer.
    pub fn indices(&self, name: &str) -> Result<Vec<usize>, VerifyError> {
        self.input(name)?
            .iter()
            .map(|&v| {
                if v >= 0.0 && v.fract() == 0.0 && v < usize::MAX as f64 {
                    Ok(v as usize)
                } else {
                    Err(VerifyError::BadTensor {
                        name: name.to_string(),
                        detail: format!("{v} is not a non-negative integer index"),
                    })
                }
            })
            .collect()
    }

    /// The upstream gradient G (input `grad_output`) for an output of shape `output_shape`, or
    /// `None` when the case has no `grad_output` (a loss case, or forward only).
    pub fn grad_output<D: Dimension>(
        &self,
        output_shape: &[usize],
    ) -> Result<Option<Array<f64, D>>, VerifyError> {
        if !self.has_input("grad_output") {
            return Ok(None);
        }
        let g = self.input_nd::<D>("grad_output")?;
        ShapeError::check(
            "grad_output (shaped like the output)",
            output_shape,
            g.shape(),
        )?;
        Ok(Some(g))
    }

    /// The parameter `name`.
    pub fn param(&self, name: &str) -> Result<f64, VerifyError> {
        self.params
            .get(name)
            .copied()
            .ok_or_else(|| VerifyError::MissingParam {
                name: name.to_string(),
                available: self.params.keys().cloned().collect(),
            })
    }

    /// The parameter `name`, or `default` when the case does not give it (PyTorch's default).
    pub fn param_or(&self, name: &str, default: f64) -> f64 {
        self.params.get(name).copied().unwrap_or(default)
    }

    /// The parameter `name` as a count or size (a non-negative integer).
    pub fn usize_param(&self, name: &str) -> Result<usize, VerifyError> {
        self.param(name)?;
        self.usize_param_or(name, 0)
    }

    /// The parameter `name` as a count or size (a non-negative integer), or `default` when absent.
    pub fn usize_param_or(&self, name: &str, default: usize) -> Result<usize, VerifyError> {
        match self.params.get(name) {
            None => Ok(default),
            Some(&v) if v >= 0.0 && v.fract() == 0.0 => Ok(v as usize),
            Some(&v) => Err(VerifyError::BadParam {
                name: name.to_string(),
                detail: format!("{v} is not a non-negative integer"),
            }),
        }
    }

    /// The 0/1 flag `name`, or `default` when absent.
    pub fn flag_or(&self, name: &str, default: bool) -> Result<bool, VerifyError> {
        match self.params.get(name) {
            None => Ok(default),
            Some(0.0) => Ok(false),
            Some(1.0) => Ok(true),
            Some(&v) => Err(VerifyError::BadParam {
                name: name.to_string(),
                detail: format!("{v} is not a flag (0 or 1)"),
            }),
        }
    }

    /// Fails unless the parameter `name` is absent or equal to `supported` (for options such as
    /// `dilation` that this implementation does not cover).
    pub fn require_param(&self, name: &str, supported: f64) -> Result<(), VerifyError> {
        match self.params.get(name) {
            Some(&v) if v != supported => Err(VerifyError::BadParam {
                name: name.to_string(),
                detail: format!("only {supported} is implemented, the case asks for {v}"),
            }),
            _ => Ok(()),
        }
    }
}

/// What a handler computed, by output name (`y`, `grad_x`, `loss`…).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outputs(pub BTreeMap<String, ArrayD<f64>>);

impl Outputs {
    /// No outputs yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the output `name` (any dimension; a scalar is a 0-axis array).
    pub fn insert<D: Dimension>(&mut self, name: impl Into<String>, value: Array<f64, D>) {
        self.0.insert(name.into(), value.into_dyn());
    }

    /// Records the scalar output `name`.
    pub fn insert_scalar(&mut self, name: impl Into<String>, value: f64) {
        self.insert(name, ndarray::arr0(value));
    }

    /// [`Outputs::insert`], chainable.
    pub fn with<D: Dimension>(mut self, name: impl Into<String>, value: Array<f64, D>) -> Self {
        self.insert(name, value);
        self
    }

    /// The output `name`, if computed.
    pub fn get(&self, name: &str) -> Option<&ArrayD<f64>> {
        self.0.get(name)
    }
}
