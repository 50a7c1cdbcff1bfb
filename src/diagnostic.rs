//! Findings about the vault: one shared type used by every stage that can report a problem.
//!
//! Findings are data (DESIGN.md, style anchor 4): every stage collects them with `file:line`
//! and a fix hint, and only the severity decides the exit code.

use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

/// How serious a finding is: errors fail `savoir check`, warnings only with `--deny-warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The note is broken or ambiguous; `check` exits 1.
    Error,
    /// Questionable but usable data.
    Warning,
}

/// The stable diagnostic codes of the contract (DESIGN.md, "Diagnostic codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Code {
    /// Frontmatter that is not valid YAML (the note is then read leniently).
    YamlSyntax,
    /// A `---` frontmatter block that never closes.
    FrontmatterUnclosed,
    /// A file whose bytes are not UTF-8.
    NotUtf8,
    /// A file that cannot be read, or a sub-folder that cannot be listed.
    Unreadable,
    /// A file with no content at all.
    EmptyNote,
    /// Two notes share one title.
    DuplicateTitle,
    /// Two notes map to one slug (the second gets a suffix).
    SlugCollision,
    /// A cycle along a relation (an error on a transitive one).
    RelationCycle,
    /// A link whose target is no note (it becomes a stub).
    DanglingLink,
    /// A relation whose declared inverse the target contradicts.
    InverseMismatch,
    /// A note that links to itself through a relation.
    SelfReference,
    /// An `implementation:` id that no registered implementation has.
    UnknownImplementation,
    /// A key that looks like a misspelt known key.
    UnknownKey,
    /// A key repeated inside one frontmatter block.
    DuplicateKey,
    /// A date field that is not an ISO `YYYY-MM-DD` date.
    InvalidDate,
}

impl Code {
    /// The severity the contract assigns to this code (a `relation-cycle` on a
    /// non-transitive relation is downgraded by the rule that raises it).
    pub fn default_severity(self) -> Severity {
        match self {
            Code::YamlSyntax
            | Code::FrontmatterUnclosed
            | Code::NotUtf8
            | Code::Unreadable
            | Code::DuplicateTitle
            | Code::RelationCycle => Severity::Error,
            _ => Severity::Warning,
        }
    }

    /// The kebab-case name used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::YamlSyntax => "yaml-syntax",
            Code::FrontmatterUnclosed => "frontmatter-unclosed",
            Code::NotUtf8 => "not-utf8",
            Code::Unreadable => "unreadable",
            Code::EmptyNote => "empty-note",
            Code::DuplicateTitle => "duplicate-title",
            Code::SlugCollision => "slug-collision",
            Code::RelationCycle => "relation-cycle",
            Code::DanglingLink => "dangling-link",
            Code::InverseMismatch => "inverse-mismatch",
            Code::SelfReference => "self-reference",
            Code::UnknownImplementation => "unknown-implementation",
            Code::UnknownKey => "unknown-key",
            Code::DuplicateKey => "duplicate-key",
            Code::InvalidDate => "invalid-date",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding: where it is, what is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable machine-readable code.
    pub code: Code,
    /// Path of the note, relative to the vault root.
    pub file: PathBuf,
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column in the line.
    pub column: usize,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it (empty when there is nothing useful to say).
    pub help: String,
}

impl Diagnostic {
    /// A finding with the code's default severity.
    pub fn new(
        code: Code,
        file: impl Into<PathBuf>,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: code.default_severity(),
            code,
            file: file.into(),
            line,
            column,
            message: message.into(),
            help: String::new(),
        }
    }

    /// The same finding with a fix hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }

    /// The same finding with another severity.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}
