//! The parsed form of a vault: what every later stage reads instead of the files.

use super::attachment::{Attachment, Attachments};
use crate::diagnostic::Diagnostic;
use std::path::{Path, PathBuf};

/// A position in a note's file (both 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
}

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it starts in the file.
    pub span: Span,
}

/// A `[[wiki link]]` in any of its Obsidian forms, split into its parts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WikiLink {
    /// The target note (title, alias, stem or `folder/stem`), trimmed; empty for `[[#heading]]`.
    pub target: String,
    /// `#heading` part (`h1#h2` kept joined), if any.
    pub heading: Option<String>,
    /// `#^block` id, if any.
    pub block: Option<String>,
    /// Display text after `|`, if any.
    pub label: Option<String>,
    /// `![[...]]` embeds the target.
    pub embed: bool,
    /// Where the link starts in the file.
    pub span: Span,
}

/// One typed relation written in the frontmatter (`subClassOf: '[[X]]'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// The bare relation name (`rdfs:subClassOf` → `subClassOf`).
    pub name: String,
    /// The key as written in the file.
    pub key: String,
    /// The linked target.
    pub link: WikiLink,
}

/// One frontmatter key as written, kept so that unknown keys can be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The key as written.
    pub key: String,
    /// The values as text (a scalar gives one, a list gives one per item).
    pub values: Vec<String>,
    /// Where the key is written.
    pub span: Span,
}

/// One note of the vault, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Note {
    /// Path relative to the vault root (`/`-separated on every platform).
    pub path: PathBuf,
    /// Frontmatter `title`, else the file stem; trimmed.
    pub title: String,
    /// Frontmatter `aliases` (string or list).
    pub aliases: Vec<String>,
    /// Frontmatter `tags` and inline `#tags`, without the leading `#`, deduplicated in order.
    pub tags: Vec<String>,
    /// Frontmatter `type` as text (a link there is also a relation named `type`).
    pub kind: Option<String>,
    /// Frontmatter `implementation` id, if any.
    pub implementation: Option<Spanned<String>>,
    /// Frontmatter `date_creation`, as written (quoted or not).
    pub created: Option<Spanned<String>>,
    /// Frontmatter `date_modification`, as written.
    pub modified: Option<Spanned<String>>,
    /// Every typed relation, in file order, every value of a duplicate key kept.
    pub relations: Vec<Relation>,
    /// Every frontmatter key, in file order (duplicates kept).
    pub fields: Vec<Field>,
    /// The Markdown body (after the frontmatter), untouched; empty when the vault was loaded
    /// with [`Bodies::Skip`].
    pub body: String,
    /// 1-based line of the file where `body` starts.
    pub body_line: usize,
    /// Wiki links of the body, in order (none from code spans or fenced code).
    pub body_links: Vec<WikiLink>,
    /// Headings of the body (text, level 1–6), for `[[T#heading]]` checks and the table of contents.
    pub headings: Vec<Spanned<(u8, String)>>,
    /// Problems found while reading this note (it is kept all the same).
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether loading keeps each note's Markdown body ([`Note::body`]).
///
/// Linting and the graph need only what parsing finds in the body (links, headings, tags);
/// not keeping the text spares a copy of the whole vault in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bodies {
    /// Keep every body (what rendering pages needs).
    Keep,
    /// Parse every body, keep none.
    Skip,
}

/// A parsed vault: every note, whatever was wrong with it, in path order.
#[derive(Debug, Clone, Default)]
pub struct Vault {
    /// Absolute or given root folder.
    pub root: PathBuf,
    /// Notes sorted by path.
    pub notes: Vec<Note>,
    /// The non-Markdown files (images, PDFs, …), outside dot-folders.
    pub attachments: Attachments,
    /// Problems that belong to no note: sub-folders that could not be listed (`unreadable`).
    pub problems: Vec<Diagnostic>,
}

impl Vault {
    /// The attachment a link target written in the note at `from_note` (vault-relative)
    /// stands for, if the file exists ([`Attachments::resolve`]).
    pub fn resolve_attachment(&self, target: &str, from_note: &Path) -> Option<&Attachment> {
        self.attachments.resolve(target, from_note)
    }

    /// Every load- and parse-stage diagnostic: the vault's own problems, then every note's,
    /// in path order.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.problems
            .iter()
            .chain(self.notes.iter().flat_map(|n| n.diagnostics.iter()))
    }
}
