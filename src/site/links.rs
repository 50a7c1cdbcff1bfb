//! What a link in a note points to, and the URL it gets in the site.
//!
//! Page layout: concept and stub pages are `concepts/<id>.html`, tag pages `tags/<tag>.html`,
//! attachments `files/<vault path>`, and the home, graph and search pages sit at the root.
//! Every link is relative, so the site works from disk and under any sub-path.

use super::attachments::Attachments;
use super::markdown::escape::encode_path;
use crate::graph::{ConceptGraph, NodeIndex, slugify};
use crate::vault::Vault;
use std::path::Path;

/// Folder of concept and stub pages.
pub const CONCEPTS_DIR: &str = "concepts";
/// Folder of tag pages.
pub const TAGS_DIR: &str = "tags";
/// Folder of copied attachments.
pub const FILES_DIR: &str = "files";

/// What a link target names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target<'a> {
    /// A concept (note or stub).
    Concept(NodeIndex),
    /// An attachment, by vault-relative path.
    Attachment(&'a str),
    /// Nothing (an empty target: the same page).
    Nothing,
}

/// Everything link resolution reads: the vault, its graph, its attachments, and the hover
/// preview of each concept.
pub(crate) struct LinkContext<'a> {
    /// The parsed notes (bodies kept).
    pub(crate) vault: &'a Vault,
    /// The concept graph.
    pub(crate) graph: &'a ConceptGraph,
    /// The vault's attachments.
    pub(crate) attachments: &'a Attachments,
    /// Per concept (node index), its preview text (title and first sentences).
    pub(crate) previews: &'a [String],
}

impl LinkContext<'_> {
    /// What `target`, written in the note at `from`, names. A file name with an extension
    /// other than `.md` is looked up among attachments first.
    pub(crate) fn target(&self, target: &str, from: &Path) -> Target<'_> {
        let target = target.trim();
        if target.is_empty() {
            return Target::Nothing;
        }
        let has_extension = target
            .rsplit('/')
            .next()
            .and_then(|name| name.rsplit_once('.'))
            .is_some_and(|(_, ext)| !ext.eq_ignore_ascii_case("md") && !ext.contains(' '));
        if has_extension && let Some(path) = self.attachments.resolve(target, from) {
            return Target::Attachment(path);
        }
        match self.graph.resolve_link(target) {
            Some(node) => Target::Concept(node),
            None => self
                .attachments
                .resolve(target, from)
                .map_or(Target::Nothing, Target::Attachment),
        }
    }

    /// The hover preview of a concept.
    pub(crate) fn preview(&self, node: NodeIndex) -> &str {
        self.previews.get(node.index()).map_or("", String::as_str)
    }
}

/// The page of a concept, from another concept page (`<id>.html`).
pub fn concept_file(id: &str) -> String {
    format!("{id}.html")
}

/// The page of a tag, by its full path (`a/b` → `a~b.html`), from the tags folder.
pub fn tag_file(tag: &str) -> String {
    let segments: Vec<String> = tag.split('/').map(slugify).collect();
    format!("{}.html", segments.join("~"))
}

/// The URL of an attachment from a page one folder below the root.
pub fn attachment_href(path: &str) -> String {
    format!("../{FILES_DIR}/{}", encode_path(path))
}
