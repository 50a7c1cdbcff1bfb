//! A vault folder → every note in it, read and parsed in parallel.

use super::attachment::Attachments;
use super::model::{Bodies, Vault};
use super::note::{parse_note_with, slash_path, unreadable_note};
use crate::diagnostic::{Code, Diagnostic};
use rayon::prelude::*;
use std::cmp::Ordering;
use std::io::Read;
use std::path::{Path, PathBuf};
use walkdir::{DirEntry, WalkDir};

/// Why a vault could not be loaded at all (one bad file never stops the load).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The root folder does not exist.
    #[error("vault folder `{}` does not exist; pass an existing folder with `--vault DIR`", path.display())]
    NotFound {
        /// The root as given.
        path: PathBuf,
    },
    /// The root is a file, not a folder.
    #[error("`{}` is not a folder; pass the vault's folder with `--vault DIR`", path.display())]
    NotAFolder {
        /// The root as given.
        path: PathBuf,
    },
    /// The root exists but cannot be listed.
    #[error("cannot read the vault folder `{}`; check that you are allowed to list it", path.display())]
    Unreadable {
        /// The root as given.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

/// Loads every `.md` file under `root` (recursively, skipping hidden files and folders such as
/// `.obsidian`, `.git` and `.trash`), parsed in parallel; notes are sorted by path. Every
/// other file there is listed as an attachment ([`Vault::attachments`]).
///
/// Fails only when `root` itself is missing or unreadable: a file that cannot be read becomes
/// a note with an `unreadable` error; a sub-folder that cannot be listed is reported in
/// [`Vault::problems`] (`unreadable`, with its path) and its content left out.
pub fn load(root: &Path) -> Result<Vault, LoadError> {
    load_with(root, Bodies::Keep)
}

/// [`load`], keeping the notes' bodies or not ([`Bodies`]).
pub fn load_with(root: &Path, bodies: Bodies) -> Result<Vault, LoadError> {
    let VaultFiles {
        files,
        attachments,
        problems,
    } = vault_files(root)?;
    // Each thread reads every file into one reused buffer: parsing borrows from it.
    let notes: Vec<_> = files
        .par_iter()
        .map_init(Vec::new, |buffer, file| {
            let rel_path = relative(root, file);
            match read_into(file, buffer) {
                Ok(()) => parse_note_with(rel_path, buffer, bodies),
                Err(error) => unreadable_note(rel_path, &error),
            }
        })
        .collect();
    Ok(Vault {
        root: root.to_path_buf(),
        notes,
        attachments: Attachments::new(attachments),
        problems,
    })
}

/// The files of a vault, as [`vault_files`] lists them.
#[derive(Debug, Default)]
pub struct VaultFiles {
    /// Every `.md` file, in [`path_order`] (one that cannot be read is listed all the same).
    pub files: Vec<PathBuf>,
    /// Every other file, vault-relative with `/` separators, in the order they were found.
    pub attachments: Vec<PathBuf>,
    /// The `unreadable` errors of sub-folders that could not be listed.
    pub problems: Vec<Diagnostic>,
}

/// The files [`load`] reads or lists, without reading them: every file under `root` (hidden
/// files and folders skipped, links followed).
pub fn vault_files(root: &Path) -> Result<VaultFiles, LoadError> {
    check_root(root)?;
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut attachments = Vec::new();
    let walk = WalkDir::new(root)
        .follow_links(true)
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry));
    for entry in walk {
        match entry {
            Ok(entry) if entry.file_type().is_file() => match is_markdown(entry.path()) {
                true => files.push(entry.into_path()),
                false => attachments.push(slash_path(relative(root, entry.path()))),
            },
            Ok(_) => {}
            // A note that cannot be read is still a note: reading it reports why. A folder
            // that cannot be listed is reported; a link loop holds nothing new: skip it.
            Err(error) => match error.path() {
                _ if error.loop_ancestor().is_some() => {}
                Some(path) if is_markdown(path) => files.push(path.to_path_buf()),
                Some(path) => problems.push(unlistable(relative(root, path), &error)),
                None => {}
            },
        }
    }
    // All start with `root`: the whole paths sort like the relative ones.
    files.sort_unstable_by(|a, b| path_order(a, b));
    Ok(VaultFiles {
        files,
        attachments,
        problems,
    })
}

/// The `unreadable` error of a sub-folder the walk could not list.
fn unlistable(rel_path: &Path, error: &walkdir::Error) -> Diagnostic {
    let reason = error
        .io_error()
        .map_or_else(|| error.to_string(), ToString::to_string);
    Diagnostic::new(
        Code::Unreadable,
        slash_path(rel_path),
        1,
        1,
        format!("the folder cannot be listed, its notes are left out: {reason}"),
    )
    .with_help(
        "check that you are allowed to list the folder (`chmod u+rx`), or move it out of the vault",
    )
}

/// Replaces the content of `buffer` by the bytes of `file`.
fn read_into(file: &Path, buffer: &mut Vec<u8>) -> std::io::Result<()> {
    buffer.clear();
    // Through `take`, reading goes straight into the buffer's spare room, without the
    // `statx` and `lseek` calls `File::read_to_end` makes to size a fresh buffer.
    std::fs::File::open(file)?
        .take(u64::MAX)
        .read_to_end(buffer)
        .map(drop)
}

fn check_root(root: &Path) -> Result<(), LoadError> {
    let path = root.to_path_buf();
    match std::fs::metadata(root) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Err(LoadError::NotFound { path })
        }
        Err(source) => Err(LoadError::Unreadable { path, source }),
        Ok(metadata) if !metadata.is_dir() => Err(LoadError::NotAFolder { path }),
        Ok(_) => std::fs::read_dir(root)
            .map(drop)
            .map_err(|source| LoadError::Unreadable { path, source }),
    }
}

/// The order of notes: that of [`Path`]'s `Ord` (component by component), computed faster on
/// the bytes, where a separator sorts before any other byte.
///
/// ```
/// use std::{cmp::Ordering, path::Path};
/// assert_eq!(savoir::vault::path_order(Path::new("a/b.md"), Path::new("a b.md")), Ordering::Less);
/// ```
pub fn path_order(a: &Path, b: &Path) -> Ordering {
    let (a, b) = (
        a.as_os_str().as_encoded_bytes(),
        b.as_os_str().as_encoded_bytes(),
    );
    let rank = |byte: u8| match std::path::is_separator(char::from(byte)) {
        true => 0,
        false => u16::from(byte) + 1,
    };
    match first_difference(a, b) {
        Some(at) => rank(a[at]).cmp(&rank(b[at])),
        None => a.len().cmp(&b.len()),
    }
}

/// Where `a` and `b` first differ, if one is not a prefix of the other. Whole blocks are
/// compared first (paths share long prefixes: the vault folder, sub-folders).
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    const BLOCK: usize = 16;
    let common = a.len().min(b.len());
    let mut at = 0;
    while at + BLOCK <= common && a[at..at + BLOCK] == b[at..at + BLOCK] {
        at += BLOCK;
    }
    (at..common).find(|&i| a[i] != b[i])
}

fn relative<'a>(root: &Path, path: &'a Path) -> &'a Path {
    path.strip_prefix(root).unwrap_or(path)
}

fn is_hidden(entry: &DirEntry) -> bool {
    entry.file_name().to_string_lossy().starts_with('.')
}

fn is_markdown(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("md"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_order_is_the_order_of_paths() {
        let paths = [
            "/tmp/vault/Réseaux de neurones récurrents.md",
            "/tmp/vault/Réseaux de neurones.md",
            "/tmp/vault/Réseaux de neurones/LSTM.md",
            "/tmp/vault/Réseaux de neurones récurrents/GRU.md",
            "/tmp/vault/a b.md",
            "/tmp/vault/a/b.md",
            "/tmp/vault/a.md",
            "/tmp/vault/A.md",
            "/tmp/vault/0123456789abcdef0123.md",
            "/tmp/vault/0123456789abcdef012.md",
        ];
        for a in paths {
            for b in paths {
                let (a, b) = (Path::new(a), Path::new(b));
                assert_eq!(path_order(a, b), a.cmp(b), "{a:?} against {b:?}");
            }
        }
    }
}
