//! What the index was built from: each note file's size, modification time and content hash,
//! so that an update touches only the notes that changed, appeared or disappeared.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// The state of one note file when it was indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    /// Size in bytes.
    pub len: u64,
    /// Modification time, nanoseconds since the Unix epoch (0 when unknown).
    pub modified_ns: u128,
    /// XXH3-128 of the content.
    pub hash: u128,
}

/// Every indexed note file, by path relative to the vault (`/`-separated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The files.
    pub files: BTreeMap<String, FileState>,
}

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
    /// Compares the note `files` under `root` with this manifest. A file whose size and time
    /// are unchanged is taken as unchanged without reading it; any other is read and hashed,
    /// and counts as changed only when its content differs.
    pub fn changes(&self, root: &Path, files: &[PathBuf]) -> Changes {
        let mut changes = Changes::default();
        for file in files {
            let rel = relative_key(root, file);
            let Ok(metadata) = std::fs::metadata(file) else {
                // Unreadable now: index it again, the note will say why.
                changes.upserted.push(rel);
                continue;
            };
            let modified_ns = metadata
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            let known = self.files.get(&rel);
            let state = match known {
                Some(k) if k.len == metadata.len() && k.modified_ns == modified_ns => *k,
                _ => FileState {
                    len: metadata.len(),
                    modified_ns,
                    hash: std::fs::read(file).map_or(0, |bytes| content_hash(&bytes)),
                },
            };
            if known.is_none_or(|k| k.hash != state.hash) {
                changes.upserted.push(rel.clone());
            }
            changes.manifest_changed |= known != Some(&state);
            changes.manifest.files.insert(rel, state);
        }
        changes.deleted = self
            .files
            .keys()
            .filter(|rel| !changes.manifest.files.contains_key(*rel))
            .cloned()
            .collect();
        changes.manifest_changed |= !changes.deleted.is_empty();
        changes
    }
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
}
