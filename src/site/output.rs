//! Writing the site: into a temporary folder beside the target, swapped in when complete, so
//! that a failed or interrupted build leaves the previous site as it was. A marker file says
//! that a folder is a site this tool wrote; any other non-empty folder is never replaced.

use super::SiteError;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The file that marks a folder as written by `savoir build`.
pub const MARKER: &str = ".savoir-site";

/// What the marker says to someone who opens it.
const MARKER_TEXT: &str =
    "This folder is written by `savoir build`; it is replaced as a whole on each build.\n";

/// A site being written: the temporary folder and where it goes when done.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    temp: PathBuf,
    done: bool,
    /// Folders of the temporary tree known to exist (each created once, not once per file).
    folders: Mutex<HashSet<PathBuf>>,
}

impl Staging {
    /// Checks that `target` may be replaced (missing, empty, or a site with the marker) and
    /// creates the temporary folder beside it.
    pub fn begin(target: &Path) -> Result<Self, SiteError> {
        check_replaceable(target)?;
        let name = target
            .file_name()
            .map_or_else(|| "site".into(), |n| n.to_string_lossy().into_owned());
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| SiteError::io(&parent, e))?;
        let temp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if temp.exists() {
            fs::remove_dir_all(&temp).map_err(|e| SiteError::io(&temp, e))?;
        }
        fs::create_dir(&temp).map_err(|e| SiteError::io(&temp, e))?;
        Ok(Staging {
            target: target.to_path_buf(),
            temp,
            done: false,
            folders: Mutex::default(),
        })
    }

    /// The temporary folder the site is written into (for writers that take a folder).
    pub fn root(&self) -> &Path {
        &self.temp
    }

    /// Writes `bytes` at `rel` (a `/`-separated path from the site root).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), SiteError> {
        let path = self.place(rel)?;
        fs::write(&path, bytes).map_err(|e| SiteError::io(&path, e))
    }

    /// The path of `rel` in the temporary tree, its folder created.
    fn place(&self, rel: &str) -> Result<PathBuf, SiteError> {
        let path = self.temp.join(rel);
        if let Some(folder) = path.parent() {
            let known = self
                .folders
                .lock()
                .is_ok_and(|folders| folders.contains(folder));
            if !known {
                fs::create_dir_all(folder).map_err(|e| SiteError::io(folder, e))?;
                if let Ok(mut folders) = self.folders.lock() {
                    folders.insert(folder.to_path_buf());
                }
            }
        }
        Ok(path)
    }

    /// Copies the file `from` to `rel`.
    pub fn copy(&self, rel: &str, from: &Path) -> Result<(), SiteError> {
        let path = self.place(rel)?;
        fs::copy(from, &path).map_err(|e| SiteError::io(from, e))?;
        Ok(())
    }

    /// Puts the previous site's file `from` at `rel` without copying it (a hard link; a copy
    /// where links are not possible). The previous site stays intact.
    pub fn link(&self, rel: &str, from: &Path) -> Result<(), SiteError> {
        let path = self.place(rel)?;
        match fs::hard_link(from, &path) {
            Ok(()) => Ok(()),
            Err(_) => fs::copy(from, &path)
                .map(drop)
                .map_err(|e| SiteError::io(from, e)),
        }
    }

    /// Marks the site as ours and swaps it in place of the target; gives the old site, moved
    /// aside, to be removed.
    pub fn commit(mut self) -> Result<Retired, SiteError> {
        self.write(MARKER, MARKER_TEXT.as_bytes())?;
        let old = self.temp.with_file_name(
            self.temp
                .file_name()
                .map(|n| n.to_string_lossy().replace(".tmp-", ".old-"))
                .unwrap_or_default(),
        );
        let had_site = self.target.exists();
        if had_site {
            // Checked again: the folder may have changed while the site was rendered.
            check_replaceable(&self.target)?;
            fs::rename(&self.target, &old).map_err(|e| SiteError::io(&self.target, e))?;
        }
        if let Err(e) = fs::rename(&self.temp, &self.target) {
            if had_site {
                let _ = fs::rename(&old, &self.target);
            }
            return Err(SiteError::io(&self.target, e));
        }
        self.done = true;
        Ok(Retired {
            folder: had_site.then_some(old),
        })
    }
}

/// The previous site once replaced: removed by [`Retired::remove`] (so that the caller can do
/// something else meanwhile), or when dropped.
#[derive(Debug)]
pub struct Retired {
    folder: Option<PathBuf>,
}

impl Retired {
    /// Removes the previous site.
    pub fn remove(mut self) -> Result<(), SiteError> {
        match self.folder.take() {
            Some(folder) => fs::remove_dir_all(&folder).map_err(|e| SiteError::io(&folder, e)),
            None => Ok(()),
        }
    }
}

impl Drop for Retired {
    fn drop(&mut self) {
        if let Some(folder) = self.folder.take() {
            let _ = fs::remove_dir_all(folder);
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            // A build that did not finish leaves nothing behind but the previous site.
            let _ = fs::remove_dir_all(&self.temp);
        }
    }
}

/// `Ok` when `target` is missing, an empty folder, or a folder holding the marker.
fn check_replaceable(target: &Path) -> Result<(), SiteError> {
    if !target.exists() {
        return Ok(());
    }
    if !target.is_dir() {
        return Err(SiteError::NotOurs {
            path: target.to_path_buf(),
        });
    }
    if target.join(MARKER).is_file() {
        return Ok(());
    }
    let mut entries = fs::read_dir(target).map_err(|e| SiteError::io(target, e))?;
    match entries.next() {
        None => Ok(()),
        Some(_) => Err(SiteError::NotOurs {
            path: target.to_path_buf(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_replaces_the_previous_one_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("site");
        let first = Staging::begin(&target).unwrap();
        first.write("a/old.html", b"old").unwrap();
        first.commit().unwrap();
        let second = Staging::begin(&target).unwrap();
        second.write("index.html", b"new").unwrap();
        second.commit().unwrap();
        assert!(!target.join("a/old.html").exists());
        assert_eq!(fs::read(target.join("index.html")).unwrap(), b"new");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary folders are cleaned up");
    }

    #[test]
    fn an_unfinished_build_leaves_the_old_site() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("site");
        let first = Staging::begin(&target).unwrap();
        first.write("index.html", b"old").unwrap();
        first.commit().unwrap();
        let failed = Staging::begin(&target).unwrap();
        failed.write("index.html", b"half").unwrap();
        drop(failed);
        assert_eq!(fs::read(target.join("index.html")).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_folder_that_is_not_a_site_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("thesis.tex"), "x").unwrap();
        let err = Staging::begin(dir.path()).unwrap_err();
        assert!(matches!(err, SiteError::NotOurs { .. }), "{err}");
        assert!(dir.path().join("thesis.tex").exists());
        let empty = dir.path().join("empty");
        fs::create_dir(&empty).unwrap();
        assert!(Staging::begin(&empty).is_ok());
    }
}
