//! One file's bytes → one [`Note`], whatever the bytes: decoding, frontmatter, body.

use super::body::scan_body;
use super::frontmatter::read_frontmatter;
use super::model::{Bodies, Note};
use super::split::{decode, split};
use super::tags::merge_tags;
use crate::diagnostic::{Code, Diagnostic};
use std::path::{Path, PathBuf};

/// Parses one note from its bytes; `rel_path` is its path relative to the vault root.
///
/// Never fails and never panics: problems (not UTF-8, empty file, unclosed or invalid
/// frontmatter, repeated keys) become diagnostics in [`Note::diagnostics`], and the note keeps
/// everything that could be read.
///
/// ```
/// use std::path::Path;
/// let note = savoir::vault::parse_note(
///     Path::new("ia/Perceptron.md"),
///     b"---\ntitle: Perceptron\nsubClassOf: '[[Neurone artificiel]]'\n---\nVoir [[Apprentissage]].\n",
/// );
/// assert_eq!(note.title, "Perceptron");
/// assert_eq!(note.relations[0].link.target, "Neurone artificiel");
/// assert_eq!(note.body_links[0].span.line, 5);
/// ```
pub fn parse_note(rel_path: &Path, bytes: &[u8]) -> Note {
    parse_note_with(rel_path, bytes, Bodies::Keep)
}

/// [`parse_note`], keeping the body in [`Note::body`] or not.
pub(crate) fn parse_note_with(rel_path: &Path, bytes: &[u8], bodies: Bodies) -> Note {
    let mut note = Note {
        path: slash_path(rel_path),
        ..Note::default()
    };
    let decoded = decode(bytes);
    if let Some((line, column)) = decoded.first_invalid {
        note.diagnostics
            .push(not_utf8(&note.path, line, column, decoded.looks_utf16));
    }
    let text = &decoded.text[decoded.bom..];
    if text.trim().is_empty() {
        note.diagnostics.push(
            Diagnostic::new(Code::EmptyNote, &note.path, 1, 1, "the note is empty")
                .with_help("write the note (a `title:` and a few lines), or delete the file"),
        );
    }
    let parts = split(text);
    if let Some(block) = &parts.frontmatter {
        if !block.closed {
            note.diagnostics.push(unclosed(&note.path, parts.body_line));
        }
        read_frontmatter(block, &mut note);
    }
    note.title = note.title.trim().to_string();
    if note.title.is_empty() {
        note.title = file_stem(rel_path);
    }
    note.body_line = parts.body_line;
    let scan = scan_body(parts.body, parts.body_line);
    note.body_links = scan.links;
    note.headings = scan.headings;
    merge_tags(&mut note.tags, scan.tags);
    if bodies == Bodies::Keep {
        note.body = parts.body.to_string();
    }
    note.diagnostics
        .sort_by_key(|diagnostic| (diagnostic.line, diagnostic.column));
    note
}

/// The note kept for a file that could not be read at all: its path, its stem as title, and
/// an error saying why.
pub(crate) fn unreadable_note(rel_path: &Path, error: &std::io::Error) -> Note {
    let path = slash_path(rel_path);
    let diagnostic = Diagnostic::new(
        Code::Unreadable,
        &path,
        1,
        1,
        format!("the file cannot be read: {error}"),
    )
    .with_help("check that the file exists and that you are allowed to read it (`chmod u+r`)");
    Note {
        title: file_stem(rel_path),
        path,
        diagnostics: vec![diagnostic],
        body_line: 1,
        ..Note::default()
    }
}

/// `rel_path` with `/` between its parts on every platform.
pub(crate) fn slash_path(rel_path: &Path) -> PathBuf {
    let parts: Vec<_> = rel_path
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect();
    PathBuf::from(parts.join("/"))
}

fn file_stem(rel_path: &Path) -> String {
    rel_path
        .file_stem()
        .map(|stem| stem.to_string_lossy().trim().to_string())
        .unwrap_or_default()
}

fn not_utf8(path: &Path, line: usize, column: usize, looks_utf16: bool) -> Diagnostic {
    let help = if looks_utf16 {
        "the file looks UTF-16 encoded: save it as UTF-8 (without the byte-order mark)"
    } else {
        "save the file as UTF-8 (e.g. `iconv -f windows-1252 -t utf-8`); meanwhile its bytes were read as Windows-1252 (Latin-1)"
    };
    Diagnostic::new(
        Code::NotUtf8,
        path,
        line,
        column,
        "the file is not valid UTF-8 (first invalid byte here)",
    )
    .with_help(help)
}

fn unclosed(path: &Path, body_line: usize) -> Diagnostic {
    let last_yaml_line = body_line.saturating_sub(1).max(1);
    Diagnostic::new(
        Code::FrontmatterUnclosed,
        path,
        1,
        1,
        "the frontmatter opened by `---` on line 1 is never closed",
    )
    .with_help(format!(
        "add a `---` line after the last frontmatter line (line {last_yaml_line}); until then lines 2–{last_yaml_line} are read as frontmatter and the rest as the body"
    ))
}
