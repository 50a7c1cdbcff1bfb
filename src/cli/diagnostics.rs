//! rustc-style text rendering of findings, with the offending line quoted from the file.

use crate::cli::output::{Palette, count, paint};
use savoir::diagnostic::{Diagnostic, Severity};
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Renders findings one after the other, reading each file at most once.
pub struct DiagnosticRenderer<'a> {
    root: &'a Path,
    palette: Palette,
    files: HashMap<PathBuf, Option<Vec<String>>>,
}

impl<'a> DiagnosticRenderer<'a> {
    /// A renderer for findings whose paths are relative to `root`.
    pub fn new(root: &'a Path, palette: Palette) -> Self {
        DiagnosticRenderer {
            root,
            palette,
            files: HashMap::new(),
        }
    }

    /// Writes one finding:
    ///
    /// ```text
    /// warning[dangling-link]: link to "Foo" resolves to no note
    ///   --> notes/Bar.md:12:5
    ///    |
    /// 12 | see [[Foo]] for details
    ///    |     ^
    ///    = help: did you mean "Foo bar"?
    /// ```
    pub fn render(&mut self, out: &mut dyn Write, diagnostic: &Diagnostic) -> io::Result<()> {
        let p = self.palette;
        let (label, style) = match diagnostic.severity {
            Severity::Error => ("error", p.error),
            Severity::Warning => ("warning", p.warning),
        };
        writeln!(
            out,
            "{}{}",
            paint(style, format_args!("{label}[{}]", diagnostic.code)),
            paint(p.strong, format_args!(": {}", diagnostic.message)),
        )?;
        let path = self.root.join(&diagnostic.file);
        let width = diagnostic.line.to_string().len();
        let pad = " ".repeat(width);
        writeln!(
            out,
            "{pad}{} {}:{}:{}",
            paint(p.gutter, "-->"),
            path.display(),
            diagnostic.line,
            diagnostic.column
        )?;
        if let Some(text) = self.line_of(&diagnostic.file, diagnostic.line) {
            let bar = paint(p.gutter, "|");
            writeln!(out, "{pad} {bar}")?;
            writeln!(out, "{} {bar} {text}", paint(p.gutter, diagnostic.line),)?;
            writeln!(
                out,
                "{pad} {bar} {}{}",
                caret_indent(&text, diagnostic.column),
                paint(style, "^")
            )?;
        }
        if !diagnostic.help.is_empty() {
            writeln!(
                out,
                "{pad} {} {}: {}",
                paint(p.gutter, "="),
                paint(p.help, "help"),
                diagnostic.help
            )?;
        }
        writeln!(out)
    }

    /// The `line`-th line (1-based) of `file`, if the file can be read and has it.
    fn line_of(&mut self, file: &Path, line: usize) -> Option<String> {
        let root = self.root;
        let lines = self.files.entry(file.to_path_buf()).or_insert_with(|| {
            let bytes = std::fs::read(root.join(file)).ok()?;
            Some(
                String::from_utf8_lossy(&bytes)
                    .lines()
                    .map(|l| {
                        l.trim_end_matches('\r')
                            .trim_start_matches('\u{feff}')
                            .to_owned()
                    })
                    .collect(),
            )
        });
        lines.as_ref()?.get(line.checked_sub(1)?).cloned()
    }
}

/// Blank space that puts a caret under the 1-based `column` of `text` (tabs kept, so it aligns).
fn caret_indent(text: &str, column: usize) -> String {
    text.chars()
        .take(column.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect()
}

/// The closing line, `2 errors, 1 warning`.
pub fn summary(errors: usize, warnings: usize) -> String {
    format!("{}, {}", count(errors, "error"), count(warnings, "warning"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use savoir::diagnostic::Code;

    #[test]
    fn quotes_the_line_and_points_at_the_column() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Bar.md"),
            "a\r\n\tsee [[Foo]] for details\r\n",
        )
        .unwrap();
        let d = Diagnostic::new(
            Code::DanglingLink,
            "Bar.md",
            2,
            6,
            "link to \"Foo\" resolves to no note",
        )
        .with_help("did you mean \"Foo bar\"?");
        let mut out = Vec::new();
        DiagnosticRenderer::new(dir.path(), Palette::default())
            .render(&mut out, &d)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        let expected = format!(
            "warning[dangling-link]: link to \"Foo\" resolves to no note\n \
             --> {}:2:6\n  |\n2 | \tsee [[Foo]] for details\n  | \t    ^\n  = help: did you mean \"Foo bar\"?\n\n",
            dir.path().join("Bar.md").display()
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn a_missing_file_still_gives_the_location() {
        let d = Diagnostic::new(Code::EmptyNote, "Nope.md", 1, 1, "empty");
        let mut out = Vec::new();
        DiagnosticRenderer::new(Path::new("/nonexistent"), Palette::default())
            .render(&mut out, &d)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("--> /nonexistent/Nope.md:1:1"), "{text}");
        assert!(!text.contains(" | "), "{text}");
    }

    #[test]
    fn summary_pluralises() {
        assert_eq!(summary(1, 0), "1 error, 0 warnings");
        assert_eq!(summary(2, 1), "2 errors, 1 warning");
    }
}
