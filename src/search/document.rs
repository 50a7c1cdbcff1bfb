//! One note as the search index sees it: its searchable text (plain, without math or code)
//! and its filterable facts, taken from the parsed note and the concept graph.

use super::schema::Fields;
use crate::graph::{ConceptGraph, NodeIndex, normalize_name};
use crate::vault::{MARKDOWN_OPTIONS, Note};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use std::hash::Hash;
use tantivy::TantivyDocument;

/// A note ready to be indexed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchDoc {
    /// The concept id (slug).
    pub id: String,
    /// The note's path relative to the vault, `/`-separated.
    pub path: String,
    /// The title.
    pub title: String,
    /// The aliases.
    pub aliases: Vec<String>,
    /// The tags as written (no `#`).
    pub tags: Vec<String>,
    /// The headings' text.
    pub headings: Vec<String>,
    /// The body as plain text: paragraphs, lists, tables and link labels; no headings (they
    /// have their own field), no math, no code, no HTML.
    pub body: String,
    /// The relations the note writes, as `(relation, target id)`.
    pub relations: Vec<(String, String)>,
    /// The reference implementation the note names.
    pub implementation: Option<String>,
}

impl SearchDoc {
    /// Everything [`SearchDoc::new`] reads, to hash: two notes with equal inputs give equal
    /// documents, so an index can be found up to date without making the documents (their
    /// plain text takes a Markdown parse). Keep it beside `new`, reading the same fields.
    pub fn inputs<'a>(note: &'a Note, graph: &'a ConceptGraph, node: NodeIndex) -> impl Hash + 'a {
        let written: Vec<(&str, &str)> = graph
            .written_edges(node)
            .map(|edge| (edge.relation(), graph.node(edge.target).id.as_str()))
            .collect();
        let headings: Vec<&str> = note.headings.iter().map(|h| h.value.1.as_str()).collect();
        (
            (&graph.node(node).id, &note.path, &note.title, &note.aliases),
            (&note.tags, headings, &note.body),
            (written, note.implementation.as_ref().map(|i| &i.value)),
        )
    }

    /// The document of `note`, whose concept is `node` in `graph`.
    pub fn new(note: &Note, graph: &ConceptGraph, node: NodeIndex) -> Self {
        let concept = graph.node(node);
        let relations = graph
            .written_edges(node)
            .map(|edge| {
                (
                    edge.relation().to_string(),
                    graph.node(edge.target).id.clone(),
                )
            })
            .collect();
        SearchDoc {
            id: concept.id.clone(),
            path: note_key(note),
            title: note.title.clone(),
            aliases: note.aliases.clone(),
            tags: note.tags.clone(),
            headings: note.headings.iter().map(|h| h.value.1.clone()).collect(),
            body: plain_text(&note.body),
            relations,
            implementation: note.implementation.as_ref().map(|i| i.value.clone()),
        }
    }

    /// The names a link may use for this concept (title, aliases, file stem, id), in the
    /// normal form of [`normalize_name`].
    pub fn names(&self) -> Vec<String> {
        let stem = std::path::Path::new(&self.path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned());
        std::iter::once(&self.title)
            .chain(&self.aliases)
            .chain(stem.as_ref())
            .chain(std::iter::once(&self.id))
            .map(|name| normalize_name(name))
            .collect()
    }

    /// The tantivy document of this note.
    pub fn to_tantivy(&self, fields: &Fields) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        doc.add_text(fields.id, &self.id);
        doc.add_text(fields.path, &self.path);
        doc.add_text(fields.title, &self.title);
        for alias in &self.aliases {
            doc.add_text(fields.aliases, alias);
        }
        for tag in &self.tags {
            doc.add_text(fields.tags, tag);
            for filter in tag_filters(tag) {
                doc.add_text(fields.tag, filter);
            }
        }
        for heading in &self.headings {
            doc.add_text(fields.headings, heading);
        }
        doc.add_text(fields.body, &self.body);
        for (relation, target) in &self.relations {
            doc.add_text(fields.relation, relation_key(relation, target));
        }
        if let Some(implementation) = &self.implementation {
            doc.add_text(fields.implementation, implementation);
        }
        for name in self.names() {
            doc.add_text(fields.names, name);
        }
        doc
    }
}

/// The key of a note in the index and the manifest: its path relative to the vault,
/// `/`-separated.
pub fn note_key(note: &Note) -> String {
    note.path.to_string_lossy().replace('\\', "/")
}

/// The form a tag is compared in by `--tag`: no `#`, no surrounding `/` or space, lower case.
pub fn normalize_tag(tag: &str) -> String {
    tag.trim()
        .trim_start_matches('#')
        .trim_matches('/')
        .to_lowercase()
}

/// What `--tag` matches for a tag: itself and each parent (`a/b/c` → `a/b/c`, `a/b`, `a`).
fn tag_filters(tag: &str) -> Vec<String> {
    let tag = normalize_tag(tag);
    let mut filters = vec![tag.clone()];
    let mut rest = tag.as_str();
    while let Some((parent, _)) = rest.rsplit_once('/') {
        filters.push(parent.to_string());
        rest = parent;
    }
    filters
}

/// The exact term of a written relation (`subClassOf` to `rnn` → `subclassof:rnn`).
pub fn relation_key(relation: &str, target_id: &str) -> String {
    format!("{}:{}", relation.to_lowercase(), target_id)
}

/// The words a reader sees in a Markdown body, headings, math, code and HTML left out (math
/// and code would fill the index with symbols no one searches for); blocks end with a newline.
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    let mut skipped_depth = 0usize;
    for event in Parser::new_ext(markdown, MARKDOWN_OPTIONS) {
        match event {
            Event::Start(Tag::Heading { .. } | Tag::CodeBlock(_) | Tag::HtmlBlock) => {
                skipped_depth += 1;
            }
            Event::End(TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::HtmlBlock) => {
                skipped_depth = skipped_depth.saturating_sub(1);
                end_block(&mut text);
            }
            Event::Text(words) if skipped_depth == 0 => {
                // Where math or code was left out, the spaces around it would double.
                let words = if text.ends_with([' ', '\n']) {
                    words.trim_start()
                } else {
                    &words
                };
                text.push_str(words);
            }
            Event::SoftBreak | Event::HardBreak if skipped_depth == 0 => text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::TableRow) => {
                end_block(&mut text)
            }
            _ => {}
        }
    }
    text.truncate(text.trim_end().len());
    text
}

/// Ends the current block with one newline (none at the start, none doubled).
fn end_block(text: &mut String) {
    let trimmed = text.trim_end_matches(' ').len();
    text.truncate(trimmed);
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_keeps_words_and_link_labels_and_drops_math_code_and_headings() {
        let body = "## Généralité\n\nLe pas $\\eta > 0$ règle [[L'algorithme du gradient|la descente]].\n\n\
                    ```python\nimport torch\n```\n\n- un `code` point\n- deux\n\n$$\\sum_i x_i$$\n";
        assert_eq!(
            plain_text(body),
            "Le pas règle la descente.\nun point\ndeux"
        );
    }

    #[test]
    fn tags_filter_under_themselves_and_their_parents() {
        assert_eq!(tag_filters("#IA/Vision/"), vec!["ia/vision", "ia"]);
        assert_eq!(tag_filters("optimisation"), vec!["optimisation"]);
    }
}
