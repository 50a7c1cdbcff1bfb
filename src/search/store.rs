//! The index on disk (`.savoir/index/`): opened as it is when the vault has not changed,
//! updated note by note when it has, rebuilt from scratch when missing or of another schema.
//!
//! Safe with concurrent processes: an update holds tantivy's writer lock (a process that
//! finds it taken searches the index as it is); a rebuild is written in a fresh folder and
//! renamed into place, so no reader ever sees a half-written index. A reader whose files
//! another process removed between reading `meta.json` and opening the segments (a rebuild
//! swapped in, or an update's clean-up) opens the index again.

use super::SearchError;
use super::analyzer::{ANALYZER_NAME, analyzer};
use super::document::{SearchDoc, note_key};
use super::manifest::{Changes, Manifest};
use super::schema::{Fields, SCHEMA_VERSION};
use crate::atomic_file::write_atomically;
use crate::config::Language;
use crate::graph::{ConceptGraph, Schema as RelationSchema};
use crate::vault::{self, Bodies, Vault};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tantivy::directory::error::LockError;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyError, Term};

/// Where the index lives, relative to the current folder (next to `.savoir/cache`).
pub const INDEX_DIR: &str = ".savoir/index";

/// The stamp file: schema version, language and vault the index was built for.
const STAMP_FILE: &str = "savoir-index";
/// The manifest of indexed files.
const MANIFEST_FILE: &str = "manifest";
/// Memory the index writer may use before flushing a segment.
const WRITER_MEMORY: usize = 200_000_000;
/// How often opening is tried while other processes replace the index's files.
const OPEN_ATTEMPTS: u32 = 6;

/// An open index with the analysis registered, ready to search.
pub struct SearchIndex {
    /// The tantivy index.
    pub index: Index,
    /// Its fields.
    pub fields: Fields,
    /// The vault's language.
    pub language: Language,
    /// The reader searches go through; its segments stay readable even when another
    /// process removes their files.
    pub reader: IndexReader,
}

/// What opening the index had to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Nothing changed in the vault.
    UpToDate,
    /// Built from scratch (missing, or of an older schema, language or vault).
    Rebuilt {
        /// Notes indexed.
        notes: usize,
    },
    /// Updated in place.
    Updated {
        /// Notes added or re-indexed.
        upserted: usize,
        /// Notes removed.
        deleted: usize,
    },
    /// Another process is writing the index: it was searched as it is.
    Busy,
}

/// What the index is built from and where it lives.
pub struct IndexSpec<'a> {
    /// The index folder (usually [`INDEX_DIR`]).
    pub dir: &'a Path,
    /// The vault folder.
    pub vault: &'a Path,
    /// The vault's language.
    pub language: Language,
    /// The relation schema the graph is built with.
    pub relations: &'a RelationSchema,
}

impl IndexSpec<'_> {
    /// The stamp an index built for this spec carries.
    fn stamp(&self) -> String {
        let vault = std::fs::canonicalize(self.vault).unwrap_or_else(|_| self.vault.into());
        format!(
            "schema {SCHEMA_VERSION}\nlanguage {}\nvault {}\n",
            self.language.code(),
            vault.display()
        )
    }

    /// Opens the index, bringing it up to date with the vault first. Tried again, a few
    /// times, when another process removed files of the index while it was being opened.
    pub fn open(&self) -> Result<(SearchIndex, Freshness), SearchError> {
        let mut attempt = 1;
        loop {
            match self.open_once() {
                Err(error) if error.is_vanished_file() && attempt < OPEN_ATTEMPTS => {
                    std::thread::sleep(Duration::from_millis(10 << attempt));
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    fn open_once(&self) -> Result<(SearchIndex, Freshness), SearchError> {
        let files = vault::vault_files(self.vault)?.files;
        let stamp = self.stamp();
        let current = std::fs::read_to_string(self.dir.join(STAMP_FILE)).ok();
        if current.as_deref() != Some(stamp.as_str()) {
            return self.rebuild(&stamp, &files);
        }
        let index = match self.open_existing() {
            Ok(index) => index,
            // Unreadable or of another shape: start again.
            Err(_) => return self.rebuild(&stamp, &files),
        };
        let manifest = read_manifest(self.dir);
        let changes = manifest.changes(self.vault, &files);
        if !changes.manifest_changed {
            return Ok((index, Freshness::UpToDate));
        }
        match index.index.writer_with_num_threads(1, WRITER_MEMORY / 4) {
            Ok(writer) => {
                // Another process may have updated the index while we compared: compare again
                // now that no one else can write.
                let changes = read_manifest(self.dir).changes(self.vault, &files);
                let freshness = self.update(&index, writer, &changes)?;
                write_manifest(self.dir, &changes.manifest)?;
                Ok((index, freshness))
            }
            Err(TantivyError::LockFailure(LockError::LockBusy, _)) => Ok((index, Freshness::Busy)),
            Err(error) => Err(error.into()),
        }
    }

    fn open_existing(&self) -> Result<SearchIndex, SearchError> {
        let index = Index::open_in_dir(self.dir)?;
        let fields = Fields::new();
        if index.schema() != fields.schema {
            return Err(SearchError::Stale);
        }
        prepare(index, fields, self.language)
    }

    /// Re-indexes the changed notes and removes the deleted ones.
    fn update(
        &self,
        index: &SearchIndex,
        mut writer: IndexWriter,
        changes: &Changes,
    ) -> Result<Freshness, SearchError> {
        if !changes.touch_index() {
            return Ok(Freshness::UpToDate);
        }
        let vault = vault::load_with(self.vault, Bodies::Keep)?;
        let graph = ConceptGraph::build(&vault, self.relations);
        for rel in changes.deleted.iter().chain(&changes.upserted) {
            writer.delete_term(Term::from_field_text(index.fields.path, rel));
        }
        let wanted: std::collections::HashSet<&str> =
            changes.upserted.iter().map(String::as_str).collect();
        let docs = documents(&vault, &graph, |rel| wanted.contains(rel));
        for doc in docs {
            writer.add_document(doc.to_tantivy(&index.fields))?;
        }
        writer.commit()?;
        writer.wait_merging_threads()?;
        index.reader.reload()?;
        Ok(Freshness::Updated {
            upserted: changes.upserted.len(),
            deleted: changes.deleted.len(),
        })
    }

    /// Builds the whole index in a fresh folder beside [`IndexSpec::dir`], then renames it
    /// into place.
    fn rebuild(
        &self,
        stamp: &str,
        files: &[PathBuf],
    ) -> Result<(SearchIndex, Freshness), SearchError> {
        let parent = self.dir.parent().unwrap_or(Path::new("."));
        let name = self
            .dir
            .file_name()
            .map_or("index".into(), |n| n.to_string_lossy());
        let fresh = parent.join(format!("{name}.new-{}", std::process::id()));
        // A folder left by a crashed process that had our id: nothing in it is ours.
        let _ = std::fs::remove_dir_all(&fresh);
        std::fs::create_dir_all(&fresh).map_err(|e| SearchError::io(&fresh, e))?;
        let built = self.build_in(&fresh, stamp, files);
        let notes = match built {
            Ok(notes) => notes,
            Err(error) => {
                let _ = std::fs::remove_dir_all(&fresh);
                return Err(error);
            }
        };
        swap_into_place(fresh, self.dir)?;
        let index = self.open_existing()?;
        Ok((index, Freshness::Rebuilt { notes }))
    }

    /// Writes a complete index of the vault, its manifest and its stamp into the empty folder
    /// `dir`; returns the number of notes.
    fn build_in(&self, dir: &Path, stamp: &str, files: &[PathBuf]) -> Result<usize, SearchError> {
        let manifest = Manifest::default().changes(self.vault, files).manifest;
        let vault = vault::load_with(self.vault, Bodies::Keep)?;
        let graph = ConceptGraph::build(&vault, self.relations);
        build_index(dir, &documents(&vault, &graph, |_| true), self.language)?;
        write_manifest(dir, &manifest)?;
        write_file(&dir.join(STAMP_FILE), stamp)?;
        Ok(vault.notes.len())
    }
}

/// Registers the analyzer on `index` and opens its segments for reading.
fn prepare(index: Index, fields: Fields, language: Language) -> Result<SearchIndex, SearchError> {
    index
        .tokenizers()
        .register(ANALYZER_NAME, analyzer(language));
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    Ok(SearchIndex {
        index,
        fields,
        language,
        reader,
    })
}

/// Indexes `docs` into a new index in `dir` (an empty folder).
pub fn build_index(
    dir: &Path,
    docs: &[SearchDoc],
    language: Language,
) -> Result<SearchIndex, SearchError> {
    let fields = Fields::new();
    let index = Index::create_in_dir(dir, fields.schema.clone())?;
    let index = prepare(index, fields, language)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let mut writer: IndexWriter = index
        .index
        .writer_with_num_threads(threads, WRITER_MEMORY)?;
    for doc in docs {
        writer.add_document(doc.to_tantivy(&index.fields))?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    index.reader.reload()?;
    Ok(index)
}

/// The documents of the notes whose relative path `keep` accepts, built in parallel.
pub fn documents(
    vault: &Vault,
    graph: &ConceptGraph,
    keep: impl Fn(&str) -> bool + Sync,
) -> Vec<SearchDoc> {
    vault
        .notes
        .par_iter()
        .enumerate()
        .filter(|(_, note)| keep(&note_key(note)))
        .map(|(i, note)| SearchDoc::new(note, graph, graph.note_node(i)))
        .collect()
}

/// Moves the finished index `fresh` to `dir`, replacing what was there. When another
/// process put its own index there first, ours is dropped and theirs kept.
fn swap_into_place(fresh: PathBuf, dir: &Path) -> Result<(), SearchError> {
    let old = dir.with_extension(format!("old-{}", std::process::id()));
    let moved_old = std::fs::rename(dir, &old).is_ok();
    let placed = std::fs::rename(&fresh, dir);
    if moved_old {
        // Readers that opened the old index keep their open files; the folder can go.
        let _ = std::fs::remove_dir_all(&old);
    }
    if let Err(error) = placed {
        let _ = std::fs::remove_dir_all(&fresh);
        if !dir.is_dir() {
            return Err(SearchError::io(dir, error));
        }
    }
    Ok(())
}

fn read_manifest(dir: &Path) -> Manifest {
    std::fs::read(dir.join(MANIFEST_FILE))
        .ok()
        .and_then(|bytes| Manifest::from_bytes(&bytes))
        .unwrap_or_default()
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), SearchError> {
    write_file(&dir.join(MANIFEST_FILE), manifest.to_bytes())
}

/// Writes `text` to `path` through a temporary file renamed over it.
fn write_file(path: &Path, text: impl AsRef<[u8]>) -> Result<(), SearchError> {
    write_atomically(path, text.as_ref()).map_err(|e| SearchError::io(path, e))
}
