//! Whether the site is up to date. A rebuild with nothing changed is told from one walk of the
//! vault that reads each file's metadata (size, times, inode), never its bytes; the site is
//! then left as it is instead of reading, checking and rendering the whole vault again.
//!
//! The last complete build leaves a record (`last-build.json` in the site cache folder): the
//! hash of its inputs' state (every file of the vault, the demo reports it read, its options
//! and configuration, this program), the hash of the site folder's state once swapped in, and
//! what the build reported. A build that finds both states as recorded reports the same again.
//! Like `make`, this trusts the files' metadata: any write, rename or `chmod` of an input
//! changes its change time (which no tool can set back); a page edited by hand inside the site
//! goes unnoticed, a file added to or removed from one of its folders does not.
//!
//! A file written within the same tick of the file system's clock as its stat can keep the same
//! times: nothing is recorded when an input had changed less than [`SETTLE`] before the build
//! looked at it (Git's "racily clean" entries, handled the same way).

use super::fingerprint::{build_identity, hash_of};
use super::output::MARKER;
use crate::atomic_file::write_atomically;
use crate::vault::{LoadError, vault_files};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fs::{self, Metadata};
use std::hash::Hash;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use walkdir::WalkDir;

/// The record's file, in the site cache folder.
const RECORD_FILE: &str = "last-build.json";

/// Bumped when the record's layout or what its hashes cover changes.
const RECORD_FORMAT: u32 = 1;

/// How long before a build its inputs must have stopped changing for the build to be recorded.
const SETTLE: Duration = Duration::from_secs(2);

/// The state of a build's inputs, taken before the build reads them.
#[derive(Debug, Clone, Copy)]
pub struct InputState {
    /// Hash of every input's path and metadata, of the settings and of this program.
    hash: u64,
    /// Whether every input had been still for [`SETTLE`] when its state was taken.
    settled: bool,
}

/// What a build reported, said again by a build that finds nothing changed (a build with a
/// failed demo is not recorded: the next one tries the demo again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildReport {
    /// HTML pages in the site.
    pub pages: usize,
    /// Attachments copied into it.
    pub attachments: usize,
    /// Error diagnostics of the vault.
    pub errors: usize,
    /// Warning diagnostics of the vault.
    pub warnings: usize,
}

/// The stored record of the last complete build.
#[derive(Serialize, Deserialize)]
struct Record {
    format: u32,
    inputs: u64,
    site: u64,
    report: BuildReport,
}

impl InputState {
    /// The state of the files of the vault at `root` (those [`vault_files`] lists), of the files
    /// directly in each of `folders` (the demo reports), of `settings` (whatever else the site
    /// depends on: options, configuration text) and of this program.
    pub fn take(root: &Path, folders: &[PathBuf], settings: &impl Hash) -> Result<Self, LoadError> {
        let started = SystemTime::now();
        let listed = vault_files(root)?;
        let mut paths = listed.files;
        paths.extend(listed.attachments.iter().map(|rel| root.join(rel)));
        for folder in folders {
            if let Ok(entries) = fs::read_dir(folder) {
                paths.extend(entries.flatten().map(|entry| entry.path()));
            }
        }
        paths.sort_unstable();
        let states: Vec<Option<FileState>> = paths
            .par_iter()
            .map(|path| fs::metadata(path).ok().map(|m| FileState::of(&m)))
            .collect();
        let settle_line = started.checked_sub(SETTLE);
        let settled = listed.problems.is_empty()
            && states
                .iter()
                .all(|state| state.is_some_and(|s| s.changed.is_some() && s.changed < settle_line));
        let hash = hash_of(&(RECORD_FORMAT, build_identity(), settings, &paths, &states));
        Ok(InputState { hash, settled })
    }
}

/// What the last build reported, when it was made from inputs in the state `inputs` into the
/// site folder `out` and that folder is as the build left it; `None` when anything differs or
/// nothing was recorded in `cache_dir`.
pub fn unchanged(cache_dir: &Path, out: &Path, inputs: &InputState) -> Option<BuildReport> {
    let bytes = fs::read(cache_dir.join(RECORD_FILE)).ok()?;
    let record: Record = serde_json::from_slice(&bytes).ok()?;
    let same = record.format == RECORD_FORMAT
        && record.inputs == inputs.hash
        && Some(record.site) == site_state(out);
    same.then_some(record.report)
}

/// Records in `cache_dir` a complete build made from `inputs` into `out`, for the next build
/// to compare with; records nothing when an input had changed too recently to be told apart
/// from a later change.
pub fn record(
    cache_dir: &Path,
    out: &Path,
    inputs: &InputState,
    report: BuildReport,
) -> io::Result<()> {
    let Some(site) = site_state(out).filter(|_| inputs.settled) else {
        return Ok(());
    };
    let record = Record {
        format: RECORD_FORMAT,
        inputs: inputs.hash,
        site,
        report,
    };
    let bytes = serde_json::to_vec(&record).map_err(io::Error::other)?;
    fs::create_dir_all(cache_dir)?;
    write_atomically(&cache_dir.join(RECORD_FILE), &bytes)
}

/// The state of the site folder `out`: the metadata of every folder in it (adding or removing
/// a file changes its folder's); `None` when it is not a site this tool wrote.
fn site_state(out: &Path) -> Option<u64> {
    fs::metadata(out.join(MARKER)).ok()?;
    let mut folders = Vec::new();
    for entry in WalkDir::new(out) {
        let entry = entry.ok()?;
        if entry.file_type().is_dir() {
            let state = FileState::of(&entry.metadata().ok()?);
            folders.push((entry.into_path(), state));
        }
    }
    folders.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Some(hash_of(&folders))
}

/// What tells one version of a file from another without reading it.
#[derive(Debug, Clone, Copy, Hash)]
struct FileState {
    /// Size in bytes.
    len: u64,
    /// Modification time.
    modified: Option<SystemTime>,
    /// When the file last changed in any way: its change time on Unix, which the system sets
    /// on every write, rename or permission change; its modification time elsewhere.
    changed: Option<SystemTime>,
    /// Device, inode and mode on Unix (a file replaced by another has another inode).
    node: (u64, u64, u32),
}

impl FileState {
    fn of(metadata: &Metadata) -> FileState {
        FileState {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            changed: changed(metadata),
            node: node(metadata),
        }
    }
}

#[cfg(unix)]
fn changed(metadata: &Metadata) -> Option<SystemTime> {
    use std::os::unix::fs::MetadataExt;
    let seconds = u64::try_from(metadata.ctime()).ok()?;
    let nanos = u32::try_from(metadata.ctime_nsec()).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::new(seconds, nanos))
}

#[cfg(not(unix))]
fn changed(metadata: &Metadata) -> Option<SystemTime> {
    metadata.modified().ok()
}

#[cfg(unix)]
fn node(metadata: &Metadata) -> (u64, u64, u32) {
    use std::os::unix::fs::MetadataExt;
    (metadata.dev(), metadata.ino(), metadata.mode())
}

#[cfg(not(unix))]
fn node(_: &Metadata) -> (u64, u64, u32) {
    (0, 0, 0)
}
