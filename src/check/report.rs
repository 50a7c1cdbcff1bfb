//! The result of `savoir check`: every finding, sorted, with the counts the exit code needs.

use crate::diagnostic::{Diagnostic, Severity};
use serde::Serialize;
use std::path::Path;

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
        diagnostics.sort_by_cached_key(|d| (path_order(&d.file), d.line, d.column));
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

/// A key that orders paths as `Path` does (component by component) but compares as bytes:
/// the separator becomes the smallest byte.
fn path_order(path: &Path) -> Vec<u8> {
    path.as_os_str()
        .as_encoded_bytes()
        .iter()
        .map(|&b| {
            if b == b'/' || b == std::path::MAIN_SEPARATOR as u8 {
                0
            } else {
                b
            }
        })
        .collect()
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
        let mut paths = ["a-b.md", "a/b.md", "a.md", "a b/c.md"].map(Path::new);
        paths.sort_by_key(|p| path_order(p));
        let mut expected = paths;
        expected.sort();
        assert_eq!(paths, expected, "same order as Path");
        let warnings_only =
            CheckReport::new(vec![Diagnostic::new(Code::InvalidDate, "a", 1, 1, "")]);
        assert!(!warnings_only.fails(false) && warnings_only.fails(true));
    }
}
