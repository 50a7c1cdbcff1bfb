//! Stage 1: files → [`Note`]s. Walks the vault, splits frontmatter from body, reads both.
//!
//! One module per job: [`load`] walks the folder and parses files in parallel ([`parse_note`]
//! for one file). A note is decoded and cut into frontmatter and body (`split`); its
//! frontmatter is read strictly (`simple` for the common subset, `yaml` for the rest) or, when
//! invalid, line by line (`lenient`), all giving one tree (`node`) interpreted once
//! (`frontmatter`); its body is walked once with pulldown-cmark (`body`) for wiki links
//! (`wikilink`), headings and inline tags (`tags`).

mod attachment;
mod body;
mod date;
mod frontmatter;
mod lenient;
mod load;
mod model;
mod node;
mod note;
mod simple;
mod split;
mod tags;
mod wikilink;
mod yaml;

pub use attachment::{Attachment, Attachments, names_a_file, relative_path};
pub use body::MARKDOWN_OPTIONS;
pub use date::{Date, DateError};
pub use frontmatter::RESERVED_KEYS;
pub use load::{LoadError, VaultFiles, load, load_with, path_order, vault_files};
pub use model::{Bodies, Field, Note, Relation, Span, Spanned, Vault, WikiLink};
pub use note::parse_note;
pub use wikilink::{parse_wikilink, relation_name};
