//! Search: a tantivy index of the vault's concepts that understands the vault's language, the
//! queries run on it, and the index the static site searches offline.
//!
//! - [`analyzer`]: words → terms (elision, case, accents, stop words, Snowball stems);
//! - [`schema`] and [`document`]: what a note puts in the index;
//! - [`store`]: the index in `.savoir/index/`, kept up to date from content hashes
//!   ([`manifest`]);
//! - [`query`]: parsing, BM25, typo fallback, filters and snippets;
//! - [`site_index`]: the index the static site loads with `<script>` tags.
//!
//! ```
//! use savoir::config::Language;
//! use savoir::search::analyzer::{analyzer, terms};
//! let mut french = analyzer(Language::French);
//! assert_eq!(terms(&mut french, "L’algorithme des réseaux"), ["algorithm", "reseau"]);
//! ```

pub mod analyzer;
pub mod document;
pub mod manifest;
pub mod query;
pub mod schema;
pub mod site_index;
pub mod store;

pub use query::{Hit, SearchRequest, SearchResults, Snippet};
pub use store::{Freshness, INDEX_DIR, IndexSpec, SearchIndex, build_index};

use std::path::{Path, PathBuf};

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The query does not parse.
    #[error(
        "cannot read the query `{query}`: {message}\n  help: close every quote and parenthesis; \
         fields are title, aliases, tags, headings, body (e.g. `title:gradient`); put a word \
         in quotes to search it as typed"
    )]
    Syntax {
        /// The query as typed.
        query: String,
        /// The parser's message.
        message: String,
    },
    /// The vault could not be read.
    #[error(transparent)]
    Vault(#[from] crate::vault::LoadError),
    /// A file of the index could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The index on disk is of another shape (it is rebuilt).
    #[error("the search index is of an older schema")]
    Stale,
    /// The index's files could not be read.
    #[error("cannot read the search index: {0}")]
    Read(#[from] std::io::Error),
    /// The search engine failed.
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
}

impl SearchError {
    /// Whether a file or folder of the index vanished while it was opened: another process
    /// swapped a rebuilt index in or cleaned up after an update, and opening again succeeds.
    fn is_vanished_file(&self) -> bool {
        use tantivy::TantivyError;
        use tantivy::directory::error::{OpenDirectoryError, OpenReadError};
        match self {
            SearchError::Index(TantivyError::OpenReadError(OpenReadError::FileDoesNotExist(_)))
            | SearchError::Index(TantivyError::OpenDirectoryError(
                OpenDirectoryError::DoesNotExist(_),
            )) => true,
            SearchError::Index(TantivyError::OpenReadError(OpenReadError::IoError {
                io_error,
                ..
            })) => io_error.kind() == std::io::ErrorKind::NotFound,
            SearchError::Index(TantivyError::IoError(error)) => {
                error.kind() == std::io::ErrorKind::NotFound
            }
            SearchError::Read(error) | SearchError::Io { source: error, .. } => {
                error.kind() == std::io::ErrorKind::NotFound
            }
            _ => false,
        }
    }

    fn io(path: &Path, source: std::io::Error) -> Self {
        SearchError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
