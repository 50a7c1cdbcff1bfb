//! Skipping unchanged pages: each concept page's inputs are hashed, and the questions its
//! body asked of the rest of the vault (see [`Lookup`]) are kept with their answers in
//! `<cache>/pages.json`. On the next build a page whose inputs hash the same and whose
//! questions get the same answers is taken from the previous site (hard-linked) instead of
//! being rendered again. Outputs made from the whole vault (the global graph page, the search
//! index) are kept the same way, as [`Artifact`]s: their files are reused while the hash of
//! their inputs stays the same.

use super::SiteError;
use super::links::{LinkContext, Lookup};
use super::output::MARKER;
use crate::atomic_file::write_atomically;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The cache file inside the cache folder.
const CACHE_FILE: &str = "pages.json";

/// What a rendered concept page depended on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PageEntry {
    /// Hash of the page's own inputs (note, relations, backlinks, labels, assets, build).
    pub(crate) key: u64,
    /// The questions its body asked, with the hash of each answer.
    pub(crate) lookups: Vec<(Lookup, u64)>,
    /// Attachments the page references (copied again on reuse).
    pub(crate) attachments: Vec<String>,
}

/// What the next build keeps of a concept page: a new entry, the previous one (its page was
/// reused: [`PageCache::take`] moves it over), or nothing (a stub's page, always drawn).
#[derive(Debug)]
pub(crate) enum NextEntry {
    /// The page was rendered.
    New(PageEntry),
    /// The page was reused.
    Kept,
    /// The page is not cached.
    Uncached,
}

/// An output made from the whole vault: the hash of its inputs and the files it wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Artifact {
    /// Hash of its inputs.
    pub(crate) key: u64,
    /// Its files, by path in the site.
    pub(crate) files: Vec<String>,
}

/// The cache file's contents.
#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    /// The site folder the entries describe.
    site: String,
    /// Entries by page path.
    pages: BTreeMap<String, PageEntry>,
    /// Whole-vault outputs by name.
    #[serde(default)]
    artifacts: BTreeMap<String, Artifact>,
}

/// The previous build's entries, when they describe the site now in the output folder.
#[derive(Debug, Default)]
pub(crate) struct PageCache {
    file: Option<PathBuf>,
    site: PathBuf,
    previous: BTreeMap<String, PageEntry>,
    artifacts: BTreeMap<String, Artifact>,
}

impl PageCache {
    /// Reads `<dir>/pages.json` for the site at `site`; no folder, a missing or unreadable
    /// file, or a site without the marker give an empty cache (every page is rendered).
    pub(crate) fn load(dir: Option<&Path>, site: &Path) -> Self {
        let Some(dir) = dir else {
            return PageCache::default();
        };
        let file = dir.join(CACHE_FILE);
        let cache = fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<CacheFile>(&bytes).ok())
            .filter(|cache| Path::new(&cache.site) == site && site.join(MARKER).is_file())
            .unwrap_or_default();
        PageCache {
            file: Some(file),
            site: site.to_path_buf(),
            previous: cache.pages,
            artifacts: cache.artifacts,
        }
    }

    /// The previous file of `page` and its entry, when its inputs hash to `key` again and
    /// every question of its body gets the same answer.
    pub(crate) fn reusable(
        &self,
        page: &str,
        key: u64,
        links: &LinkContext<'_>,
    ) -> Option<(PathBuf, &PageEntry)> {
        let entry = self.previous.get(page)?;
        let same = entry.key == key && entry.lookups.iter().all(|(q, a)| links.answer(q) == *a);
        let file = self.site.join(page);
        (same && file.is_file()).then_some((file, entry))
    }

    /// Moves the previous entry of `page` out of the cache (for the next build's cache).
    pub(crate) fn take(&mut self, page: &str) -> Option<PageEntry> {
        self.previous.remove(page)
    }

    /// The previous files of artifact `name` (paths in the site, and where they are now),
    /// when its inputs hash to `key` again and all its files are still there.
    pub(crate) fn reusable_artifact(&self, name: &str, key: u64) -> Option<Vec<(String, PathBuf)>> {
        let artifact = self.artifacts.get(name).filter(|a| a.key == key)?;
        artifact
            .files
            .iter()
            .map(|rel| {
                let file = self.site.join(rel);
                file.is_file().then(|| (rel.clone(), file))
            })
            .collect()
    }

    /// Writes the entries of this build (atomically: a temporary file renamed).
    pub(crate) fn save(
        &self,
        pages: BTreeMap<String, PageEntry>,
        artifacts: BTreeMap<String, Artifact>,
    ) -> Result<(), SiteError> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let folder = file.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(folder).map_err(|e| SiteError::io(folder, e))?;
        let cache = CacheFile {
            site: self.site.to_string_lossy().into_owned(),
            pages,
            artifacts,
        };
        let bytes = serde_json::to_vec(&cache).unwrap_or_default();
        write_atomically(file, &bytes).map_err(|e| SiteError::io(file, e))
    }
}
