//! Files replaced whole: written beside their place under a temporary name, then renamed over
//! it, so that a reader finds the old content or the new one, never a part of either.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::{fs, io};

/// Writes `bytes` to `path` through a temporary file (`<path>.tmp-<process id>`) renamed over
/// it; the temporary file is removed when either step fails.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut temp = OsString::from(path.as_os_str());
    temp.push(format!(".tmp-{}", std::process::id()));
    let temp = PathBuf::from(temp);
    let written = fs::write(&temp, bytes).and_then(|()| fs::rename(&temp, path));
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("state.json");
        fs::write(&file, "old").unwrap();
        write_atomically(&file, b"new").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        let missing_folder = dir.path().join("gone/state.json");
        assert!(write_atomically(&missing_folder, b"x").is_err());
    }
}
