//! The result of `savoir check`: every finding, sorted, with the counts the exit code needs.

use crate::diagnostic::{Diagnostic, Severity};
use crate::vault::path_order;
use serde::Serialize;

/// Every diagnostic of a check, sorted by file, line and column, with per-severity counts.
/// Serialises to the contract's `{"diagnostics":[…],"errors":n,"warnings":n}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// The findings, sorted by file, line, column (then in the order the rules found them).
    pub diagnostics: Vec<Diagnostic>,
    /// How many findings are errors.
    pub errors: usize,
    /// How many findings are warnings.
    pub warnings: usize,
}

impl CheckReport {
    /// A report of these findings: sorted and counted.
    pub fn new(mut diagnostics: Vec<Diagnostic>) -> Self {
        diagnostics.sort_by(|a, b| {
            path_order(&a.file, &b.file).then((a.line, a.column).cmp(&(b.line, b.column)))
        });
        let errors = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        CheckReport {
            warnings: diagnostics.len() - errors,
            errors,
            diagnostics,
        }
    }

    /// Whether `savoir check` fails: on any error, or on any finding with `--deny-warnings`.
    pub fn fails(&self, deny_warnings: bool) -> bool {
        self.errors > 0 || (deny_warnings && self.warnings > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;
    use serde_json::json;

    #[test]
    fn sorts_counts_and_serialises_to_the_contract() {
        let report = CheckReport::new(vec![
            Diagnostic::new(Code::DanglingLink, "b.md", 1, 1, "late"),
            Diagnostic::new(Code::DuplicateTitle, "a/x.md", 9, 2, "second").with_help("fix"),
            Diagnostic::new(Code::InvalidDate, "a/x.md", 3, 1, "first"),
        ]);
        assert_eq!((report.errors, report.warnings), (1, 2));
        assert!(report.fails(false));
        let value = serde_json::to_value(&report).unwrap();
        assert_eq!(value["errors"], 1);
        assert_eq!(value["warnings"], 2);
        assert_eq!(
            value["diagnostics"][1],
            json!({"severity":"error","code":"duplicate-title","file":"a/x.md","line":9,
                   "column":2,"message":"second","help":"fix"})
        );
        let files: Vec<&str> = report
            .diagnostics
            .iter()
            .map(|d| d.file.to_str().unwrap())
            .collect();
        assert_eq!(files, ["a/x.md", "a/x.md", "b.md"]);
        let files = ["a-b.md", "a/b.md", "a.md", "a b/c.md"];
        let by_path = CheckReport::new(
            files
                .iter()
                .map(|file| Diagnostic::new(Code::InvalidDate, *file, 1, 1, ""))
                .collect(),
        );
        let sorted: Vec<_> = by_path.diagnostics.iter().map(|d| d.file.clone()).collect();
        let mut expected: Vec<_> = files.iter().map(std::path::PathBuf::from).collect();
        expected.sort();
        assert_eq!(sorted, expected, "same order as Path");
        let warnings_only =
            CheckReport::new(vec![Diagnostic::new(Code::InvalidDate, "a", 1, 1, "")]);
        assert!(!warnings_only.fails(false) && warnings_only.fails(true));
    }
}
