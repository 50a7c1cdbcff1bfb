//! Stage 1: files → [`Note`]s. Walks the vault, splits frontmatter from body, reads both.

mod model;

pub use model::{Field, Note, Relation, Span, Spanned, Vault, WikiLink};
