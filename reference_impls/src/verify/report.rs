//! Results of `verify`: per case and for a whole directory, in the JSON shape of the contract
//! (`{"cases":[{"case","op","passed","max_abs_err","max_rel_err","detail"}],"passed","failed","unsupported"}`)
//! and as a text table.

use std::fmt;

use ndarray::{ArrayD, Dimension};
use serde::Serialize;

use super::{Case, Outputs};

/// How a case ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseOutcome {
    /// Every expected output is within tolerance.
    Passed,
    /// An output is off, missing, or the case could not be run.
    Failed,
    /// No handler for the case's op.
    Unsupported,
}

/// The result of one case.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CaseResult {
    /// The case name (the file stem when the file could not be parsed).
    pub case: String,
    /// The op id (empty when the file could not be parsed).
    pub op: String,
    /// Whether every expected output is within tolerance.
    pub passed: bool,
    /// The largest |got − ref| over all compared values.
    pub max_abs_err: f64,
    /// The largest |got − ref|/|ref| over the compared values with |ref| > atol (smaller
    /// references are judged by atol alone, so their relative error says nothing).
    pub max_rel_err: f64,
    /// What was compared, or what went wrong and where.
    pub detail: String,
    /// Passed, failed or unsupported.
    #[serde(skip)]
    pub outcome: CaseOutcome,
}

impl CaseResult {
    /// A case that could not be run or compared.
    pub fn failed(case: impl Into<String>, op: impl Into<String>, detail: String) -> Self {
        Self::ended(case, op, CaseOutcome::Failed, detail)
    }

    /// A case whose op has no handler.
    pub fn unsupported(case: impl Into<String>, op: impl Into<String>, detail: String) -> Self {
        Self::ended(case, op, CaseOutcome::Unsupported, detail)
    }

    fn ended(
        case: impl Into<String>,
        op: impl Into<String>,
        outcome: CaseOutcome,
        detail: String,
    ) -> Self {
        Self {
            case: case.into(),
            op: op.into(),
            passed: false,
            max_abs_err: 0.0,
            max_rel_err: 0.0,
            detail,
            outcome,
        }
    }
}

/// The results of a directory of cases.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerifyReport {
    /// One result per case file, in file-name order.
    pub cases: Vec<CaseResult>,
    /// How many passed.
    pub passed: usize,
    /// How many failed (off, missing outputs, malformed files).
    pub failed: usize,
    /// How many have an op without a handler.
    pub unsupported: usize,
}

impl VerifyReport {
    /// Counts the outcomes of `cases`.
    pub fn from_cases(cases: Vec<CaseResult>) -> Self {
        let count = |o| cases.iter().filter(|c| c.outcome == o).count();
        Self {
            passed: count(CaseOutcome::Passed),
            failed: count(CaseOutcome::Failed),
            unsupported: count(CaseOutcome::Unsupported),
            cases,
        }
    }

    /// True when every case passed (none failed, none unsupported): the run's exit code is 0.
    pub fn all_passed(&self) -> bool {
        self.failed == 0 && self.unsupported == 0
    }
}

impl fmt::Display for VerifyReport {
    /// A table, one line per case (`PASS`/`FAIL`/`UNSUPPORTED`, case, op, errors, detail), then
    /// the totals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case_width = self
            .cases
            .iter()
            .map(|c| c.case.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let op_width = self
            .cases
            .iter()
            .map(|c| c.op.len())
            .max()
            .unwrap_or(2)
            .max(2);
        writeln!(
            f,
            "{:<11}  {:<case_width$}  {:<op_width$}  {:>9}  {:>9}  detail",
            "status", "case", "op", "max_abs", "max_rel"
        )?;
        for c in &self.cases {
            let status = match c.outcome {
                CaseOutcome::Passed => "PASS",
                CaseOutcome::Failed => "FAIL",
                CaseOutcome::Unsupported => "UNSUPPORTED",
            };
            writeln!(
                f,
                "{status:<11}  {:<case_width$}  {:<op_width$}  {:>9.2e}  {:>9.2e}  {}",
                c.case, c.op, c.max_abs_err, c.max_rel_err, c.detail
            )?;
        }
        write!(
            f,
            "{} cases: {} passed, {} failed, {} unsupported",
            self.cases.len(),
            self.passed,
            self.failed,
            self.unsupported
        )
    }
}

/// The comparison of one output.
struct OutputCheck {
    max_abs: f64,
    max_rel: f64,
    values: usize,
    /// Set when some value is out of tolerance: the worst one, described.
    problem: Option<String>,
}

/// Compares `got` with `expected` element by element under the case's tolerance.
fn check_output(name: &str, got: &ArrayD<f64>, expected: &ArrayD<f64>, case: &Case) -> OutputCheck {
    let (rtol, atol) = (case.tolerance.rtol, case.tolerance.atol);
    let (mut max_abs, mut max_rel) = (0.0_f64, 0.0_f64);
    let mut off = 0;
    let mut worst: Option<(f64, Vec<usize>, f64, f64, f64, f64)> = None;
    for ((index, &g), &r) in got.indexed_iter().zip(expected.iter()) {
        let diff = (g - r).abs();
        let allowed = atol + rtol * r.abs();
        // NaN differences count as infinitely wrong.
        let diff_or_inf = if diff.is_nan() { f64::INFINITY } else { diff };
        max_abs = max_abs.max(diff_or_inf);
        if r.abs() > atol {
            max_rel = max_rel.max(diff_or_inf / r.abs());
        }
        if diff.is_nan() || diff > allowed {
            off += 1;
            let excess = diff_or_inf / allowed;
            if worst.as_ref().is_none_or(|w| excess > w.0) {
                worst = Some((excess, index.slice().to_vec(), g, r, diff_or_inf, allowed));
            }
        }
    }
    let problem = worst.map(|(_, index, g, r, diff, allowed)| {
        format!(
            "{name}{index:?}: got {g:e}, expected {r:e} (|diff| {diff:.3e} > {allowed:.3e}); \
             {off} of {} values off",
            got.len()
        )
    });
    OutputCheck {
        max_abs,
        max_rel,
        values: got.len(),
        problem,
    }
}

/// Compares every expected output of `case` with what the handler computed.
pub(super) fn compare(case: &Case, outputs: &Outputs) -> CaseResult {
    let mut result = CaseResult::failed(&case.case, &case.op, String::new());
    if case.outputs.is_empty() {
        result.detail = "the case lists no expected outputs, so nothing can be checked".into();
        return result;
    }
    let mut problems = Vec::new();
    let mut values = 0;
    for (name, tensor) in &case.outputs {
        let expected = match tensor.to_array(name) {
            Ok(a) => a,
            Err(err) => {
                problems.push(format!("expected output {err}"));
                continue;
            }
        };
        let Some(got) = outputs.get(name) else {
            problems.push(format!("output `{name}` was not computed"));
            continue;
        };
        if got.shape() != expected.shape() {
            problems.push(format!(
                "output `{name}` has shape {:?}, expected {:?}",
                got.shape(),
                expected.shape()
            ));
            continue;
        }
        let check = check_output(name, got, &expected, case);
        result.max_abs_err = result.max_abs_err.max(check.max_abs);
        result.max_rel_err = result.max_rel_err.max(check.max_rel);
        values += check.values;
        problems.extend(check.problem);
    }
    if problems.is_empty() {
        result.passed = true;
        result.outcome = CaseOutcome::Passed;
        result.detail = format!(
            "{} output{}, {values} values within rtol {:e}, atol {:e}",
            case.outputs.len(),
            if case.outputs.len() == 1 { "" } else { "s" },
            case.tolerance.rtol,
            case.tolerance.atol
        );
    } else {
        result.detail = problems.join("; ");
    }
    result
}
