//! Stage 5: the static site. Notes, graph and demo reports → HTML pages (askama templates
//! in `templates/`), assets, attachments and data files, written atomically into one folder
//! that works from disk and from any static host.
//!
//! [`build_site`] renders every concept page in parallel ([`markdown`] turns bodies into
//! sanitised HTML, [`links`] gives every link a relative URL), then the list pages, and
//! writes all through [`output::Staging`], which swaps the new site in only when complete.

pub mod assets;
mod build;
mod concept_page;
mod context;
pub mod demo;
pub mod fingerprint;
pub mod freshness;
pub mod graph_view;
pub mod i18n;
mod index_pages;
pub mod links;
pub mod markdown;
mod model;
pub mod output;
mod page_cache;
pub mod pages;
mod sitemap;

pub use build::{SiteOptions, SiteSummary, build_site};
pub use demo::Demo;

use std::path::{Path, PathBuf};

/// Why a build stopped (one note's problems never stop it: they are shown on its page).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SiteError {
    /// The output folder exists, is not empty and was not written by `savoir build`.
    #[error(
        "{} is not empty and was not written by `savoir build`: refusing to replace it\n  help: choose another folder with --out, or empty this one",
        path.display()
    )]
    NotOurs {
        /// The folder.
        path: PathBuf,
    },
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The search index could not be built.
    #[error("cannot build the site's search index")]
    Search(#[source] crate::search::SearchError),
    /// A page template failed to render.
    #[error("page {page}: {source}")]
    Template {
        /// The page's path in the site.
        page: String,
        /// Why.
        source: askama::Error,
    },
}

impl SiteError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        SiteError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A template error on page `page`.
    pub(crate) fn template(page: &str, source: askama::Error) -> Self {
        SiteError::Template {
            page: page.to_string(),
            source,
        }
    }
}
