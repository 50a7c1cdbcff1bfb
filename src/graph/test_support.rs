//! Hand-built notes for unit tests of the graph and the linter.

use super::{ConceptGraph, Schema};
use crate::vault::{Field, Note, Relation, Span, Spanned, Vault, WikiLink};
use std::path::PathBuf;

/// Builds a [`Note`] field by field, giving each frontmatter line its own line number.
pub(crate) struct NoteBuilder {
    note: Note,
    next_line: usize,
}

/// A note at `path` (relative, `/`-separated) whose frontmatter starts with `title:`.
pub(crate) fn note(path: &str, title: &str) -> NoteBuilder {
    let mut builder = NoteBuilder {
        note: Note {
            path: PathBuf::from(path),
            title: title.to_string(),
            ..Note::default()
        },
        next_line: 2,
    };
    builder.push_field("title", &[title]);
    builder
}

/// A wiki link to `target` written at `line`, column 1.
pub(crate) fn link(target: &str, line: usize) -> WikiLink {
    WikiLink {
        target: target.to_string(),
        span: Span { line, column: 1 },
        ..WikiLink::default()
    }
}

impl NoteBuilder {
    fn push_field(&mut self, key: &str, values: &[&str]) -> Span {
        let span = Span {
            line: self.next_line,
            column: 1,
        };
        self.next_line += 1;
        self.note.fields.push(Field {
            key: key.to_string(),
            values: values.iter().map(|v| v.to_string()).collect(),
            span,
        });
        span
    }

    /// A frontmatter relation `name: '[[target]]'` on its own line.
    pub(crate) fn relation(mut self, name: &str, target: &str) -> Self {
        let span = self.push_field(name, &[&format!("[[{target}]]")]);
        self.note.relations.push(Relation {
            name: name.to_string(),
            key: name.to_string(),
            link: link(target, span.line),
        });
        self
    }

    /// A body link `[[target]]` on the next body line.
    pub(crate) fn body_link(mut self, target: &str) -> Self {
        let line = 100 + self.note.body_links.len();
        self.note.body_links.push(link(target, line));
        self
    }

    /// An alias.
    pub(crate) fn alias(mut self, alias: &str) -> Self {
        self.note.aliases.push(alias.to_string());
        self
    }

    /// A tag.
    pub(crate) fn tag(mut self, tag: &str) -> Self {
        self.note.tags.push(tag.to_string());
        self
    }

    /// An `implementation:` id.
    pub(crate) fn implementation(mut self, id: &str) -> Self {
        let span = self.push_field("implementation", &[id]);
        self.note.implementation = Some(Spanned {
            value: id.to_string(),
            span,
        });
        self
    }

    /// Any other frontmatter key.
    pub(crate) fn field(mut self, key: &str, values: &[&str]) -> Self {
        self.push_field(key, values);
        self
    }

    /// The note.
    pub(crate) fn build(self) -> Note {
        self.note
    }
}

/// A vault of these notes, sorted by path as the parser sorts them.
pub(crate) fn vault(notes: Vec<NoteBuilder>) -> Vault {
    let mut notes: Vec<Note> = notes.into_iter().map(NoteBuilder::build).collect();
    notes.sort_by(|a, b| a.path.cmp(&b.path));
    Vault {
        notes,
        ..Vault::default()
    }
}

/// The vault of these notes and its graph under the built-in schema.
pub(crate) fn graph(notes: Vec<NoteBuilder>) -> (Vault, ConceptGraph) {
    let vault = vault(notes);
    let graph = ConceptGraph::build(&vault, &Schema::builtin());
    (vault, graph)
}
