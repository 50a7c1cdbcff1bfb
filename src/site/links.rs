//! What a link in a note points to, and the URL it gets in the site.
//!
//! Page layout: concept and stub pages are `concepts/<id>.html`, tag pages `tags/<tag>.html`,
//! attachments `files/<vault path>`, and the home, graph and search pages sit at the root.
//! Every link is relative, so the site works from disk and under any sub-path.

use super::fingerprint::hash_of;
use super::markdown::escape::encode_path;
use crate::graph::{ConceptGraph, NodeIndex, slugify};
use crate::vault::{Attachment, Vault};
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};
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
    /// An attachment of the vault.
    Attachment(&'a Attachment),
    /// Nothing (an empty target: the same page).
    Nothing,
}

/// One question the renderer asked while rendering a note: its answer decides the HTML, so a
/// page whose questions all get the same answers again need not be rendered again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Lookup {
    /// What a link target names ([`LinkContext::target`]).
    Target {
        /// The target as written.
        target: String,
        /// The note it is written in (vault-relative).
        from: String,
    },
    /// Which attachment a Markdown image names.
    Attachment {
        /// The path as written.
        target: String,
        /// The note it is written in (vault-relative).
        from: String,
    },
    /// The body of an embedded note.
    Body {
        /// The note's index in the vault.
        note: usize,
    },
}

/// Everything link resolution reads: the vault (its notes and attachments), its graph, and
/// the hover preview of each concept.
pub(crate) struct LinkContext<'a> {
    /// The parsed notes (bodies kept).
    pub(crate) vault: &'a Vault,
    /// The concept graph.
    pub(crate) graph: &'a ConceptGraph,
    /// Per concept (node index), its hover preview.
    pub(crate) previews: &'a [Preview],
}

/// The hover preview of a concept: its first sentences, escaped for an attribute, and their
/// hash, which is all a page key takes of them (a concept's preview shows on every page that
/// links to it: hashing the text each time was a seventh of a no-change rebuild).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Preview {
    /// The text, escaped for an attribute.
    pub html: String,
    /// The hash of `html`.
    key: u64,
}

/// The preview of what has none (a tag).
pub(crate) static NO_PREVIEW: Preview = Preview {
    html: String::new(),
    key: 0,
};

impl Preview {
    /// The preview showing `html` (escaped for an attribute).
    pub(crate) fn new(html: String) -> Preview {
        let key = hash_of(&html);
        Preview { html, key }
    }
}

impl Hash for Preview {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl<'a> LinkContext<'a> {
    /// The attachment `target`, written in the note at `from`, names.
    pub(crate) fn attachment(&self, target: &str, from: &Path) -> Option<&'a Attachment> {
        self.vault.resolve_attachment(target, from)
    }

    /// What `target`, written in the note at `from`, names. A file name with an extension
    /// other than `.md` is looked up among attachments first.
    pub(crate) fn target(&self, target: &str, from: &Path) -> Target<'a> {
        let target = target.trim();
        if target.is_empty() {
            return Target::Nothing;
        }
        let has_extension = target
            .rsplit('/')
            .next()
            .and_then(|name| name.rsplit_once('.'))
            .is_some_and(|(_, ext)| !ext.eq_ignore_ascii_case("md") && !ext.contains(' '));
        if has_extension && let Some(found) = self.attachment(target, from) {
            return Target::Attachment(found);
        }
        match self.graph.resolve_link(target) {
            Some(node) => Target::Concept(node),
            None => self
                .attachment(target, from)
                .map_or(Target::Nothing, Target::Attachment),
        }
    }

    /// A hash of the answer to `lookup` now: of the concept's id, title, state and preview,
    /// of the attachment's path, or of the embedded note's path and body.
    pub(crate) fn answer(&self, lookup: &Lookup) -> u64 {
        match lookup {
            Lookup::Target { target, from } => match self.target(target, Path::new(from)) {
                Target::Concept(node) => {
                    let c = self.graph.node(node);
                    hash_of(&(1u8, &c.id, &c.title, c.stub, c.note, self.preview(node)))
                }
                Target::Attachment(found) => hash_of(&(2u8, &found.path)),
                Target::Nothing => hash_of(&3u8),
            },
            Lookup::Attachment { target, from } => {
                hash_of(&self.attachment(target, Path::new(from)).map(|a| &a.path))
            }
            Lookup::Body { note } => match self.vault.notes.get(*note) {
                Some(n) => hash_of(&(&n.path, &n.body)),
                None => hash_of(&0u8),
            },
        }
    }

    /// The hover preview of a concept.
    pub(crate) fn preview(&self, node: NodeIndex) -> &'a Preview {
        self.previews.get(node.index()).unwrap_or(&NO_PREVIEW)
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

/// The vault-relative path of an attachment, `/`-separated, as the site copies it.
pub fn attachment_path(attachment: &Attachment) -> String {
    attachment.path.to_string_lossy().replace('\\', "/")
}

/// The URL of an attachment from a page one folder below the root.
pub fn attachment_href(path: &str) -> String {
    format!("../{FILES_DIR}/{}", encode_path(path))
}
