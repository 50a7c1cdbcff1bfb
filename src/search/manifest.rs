//! What the index was built from: each note file's size, modification time and content hash,
//! so that an update touches only the notes that changed, appeared or disappeared.
//!
//! Read by every `savoir search`, so it is stored in a small binary form that reads in well
//! under a millisecond for 10,000 notes (JSON took about 4 ms): a header line, then per file
//! the path's length (u32), the path, the size (u64), the time (u128) and the hash (u128),
//! little-endian.

use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// The state of one note file when it was indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileState {
    /// Size in bytes.
    pub len: u64,
    /// Modification time, nanoseconds since the Unix epoch (0 when unknown).
    pub modified_ns: u128,
    /// XXH3-128 of the content.
    pub hash: u128,
}

/// Every indexed note file, by path relative to the vault (`/`-separated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The files.
    pub files: HashMap<String, FileState>,
}

/// The first bytes of a manifest file (a format change changes them).
const HEADER: &[u8] = b"savoir-manifest 1\n";

/// What changed in the vault since the manifest was written.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Notes to (re-)index: added, or whose content changed.
    pub upserted: Vec<String>,
    /// Notes gone from the vault.
    pub deleted: Vec<String>,
    /// The manifest describing the vault as it is now.
    pub manifest: Manifest,
    /// Whether `manifest` differs from the one compared with (content or mere times).
    pub manifest_changed: bool,
}

impl Changes {
    /// Whether the index must be written to.
    pub fn touch_index(&self) -> bool {
        !self.upserted.is_empty() || !self.deleted.is_empty()
    }
}

impl Manifest {
    /// The manifest in its stored form.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER.len() + self.files.len() * 80);
        out.extend_from_slice(HEADER);
        for (path, state) in &self.files {
            let len = u32::try_from(path.len()).expect("a path shorter than 4 GiB");
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(path.as_bytes());
            out.extend_from_slice(&state.len.to_le_bytes());
            out.extend_from_slice(&state.modified_ns.to_le_bytes());
            out.extend_from_slice(&state.hash.to_le_bytes());
        }
        out
    }

    /// Reads a manifest stored by [`Manifest::to_bytes`]; `None` when `bytes` are not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Manifest> {
        let mut rest = bytes.strip_prefix(HEADER)?;
        let mut files = HashMap::new();
        while !rest.is_empty() {
            let len = u32::from_le_bytes(take(&mut rest)?) as usize;
            let path = std::str::from_utf8(rest.get(..len)?).ok()?.to_string();
            rest = &rest[len..];
            let state = FileState {
                len: u64::from_le_bytes(take(&mut rest)?),
                modified_ns: u128::from_le_bytes(take(&mut rest)?),
                hash: u128::from_le_bytes(take(&mut rest)?),
            };
            files.insert(path, state);
        }
        Some(Manifest { files })
    }

    /// Compares the note `files` under `root` with this manifest. A file whose size and time
    /// are unchanged is taken as unchanged without reading it; any other is read and hashed,
    /// and counts as changed only when its content differs. Files are looked at in parallel.
    pub fn changes(&self, root: &Path, files: &[PathBuf]) -> Changes {
        let states: Vec<(String, Option<FileState>)> = files
            .par_iter()
            .map(|file| {
                let rel = relative_key(root, file);
                let state = file_state(self.files.get(&rel), file);
                (rel, state)
            })
            .collect();
        let mut changes = Changes::default();
        let mut current = HashMap::with_capacity(states.len());
        let mut known_count = 0;
        for (rel, state) in states {
            let known = self.files.get(&rel);
            known_count += usize::from(known.is_some());
            // Unreadable now: index it again, the note will say why.
            let Some(state) = state else {
                changes.upserted.push(rel);
                continue;
            };
            if known.is_none_or(|k| k.hash != state.hash) {
                changes.upserted.push(rel.clone());
            }
            changes.manifest_changed |= known != Some(&state);
            current.insert(rel, state);
        }
        // Every path is listed once: when all known ones were seen, none was deleted.
        if known_count < self.files.len() {
            changes.deleted = self
                .files
                .keys()
                .filter(|rel| !current.contains_key(*rel))
                .cloned()
                .collect();
            changes.deleted.sort_unstable();
        }
        changes.manifest.files = current;
        changes.manifest_changed |= !changes.deleted.is_empty();
        changes
    }
}

/// The next `N` bytes of `rest`, which then starts after them.
fn take<const N: usize>(rest: &mut &[u8]) -> Option<[u8; N]> {
    let (head, tail) = rest.split_first_chunk::<N>()?;
    *rest = tail;
    Some(*head)
}

/// The state of `file` now (`None` when it cannot be read), hashed only when its size or time
/// differ from `known`.
fn file_state(known: Option<&FileState>, file: &Path) -> Option<FileState> {
    let metadata = std::fs::metadata(file).ok()?;
    let modified_ns = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Some(match known {
        Some(k) if k.len == metadata.len() && k.modified_ns == modified_ns => *k,
        _ => FileState {
            len: metadata.len(),
            modified_ns,
            hash: std::fs::read(file).map_or(0, |bytes| content_hash(&bytes)),
        },
    })
}

/// The hash a note's content is compared by.
pub fn content_hash(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

/// `file` relative to `root`, `/`-separated: the key of a note in the manifest and the index.
pub fn relative_key(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .to_string_lossy()
        .replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_changes_count_and_times_alone_refresh_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let (a, b) = (root.join("a.md"), root.join("b.md"));
        std::fs::write(&a, "alpha").unwrap();
        std::fs::write(&b, "beta").unwrap();
        let first = Manifest::default().changes(root, &[a.clone(), b.clone()]);
        assert_eq!(first.upserted, vec!["a.md", "b.md"]);
        let manifest = first.manifest;
        assert!(
            !manifest
                .changes(root, &[a.clone(), b.clone()])
                .touch_index()
        );

        // Same content, new time: nothing to index, the manifest is refreshed.
        let mut stale = manifest.clone();
        stale.files.get_mut("a.md").unwrap().modified_ns = 1;
        let same = stale.changes(root, &[a.clone(), b.clone()]);
        assert!(!same.touch_index() && same.manifest_changed);

        std::fs::write(&a, "alpha, edited").unwrap();
        std::fs::remove_file(&b).unwrap();
        let edited = manifest.changes(root, std::slice::from_ref(&a));
        assert_eq!(edited.upserted, vec!["a.md"]);
        assert_eq!(edited.deleted, vec!["b.md"]);
    }

    #[test]
    fn the_stored_form_reads_back_and_anything_else_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let note = dir.path().join("réseaux de neurones.md");
        std::fs::write(&note, "# Réseaux").unwrap();
        let manifest = Manifest::default()
            .changes(dir.path(), std::slice::from_ref(&note))
            .manifest;
        let bytes = manifest.to_bytes();
        assert_eq!(Manifest::from_bytes(&bytes), Some(manifest));
        assert_eq!(Manifest::from_bytes(&bytes[..bytes.len() - 1]), None);
        assert_eq!(Manifest::from_bytes(b"{\"files\":{}}"), None);
    }
}
