//! Fingerprints the reference implementations for the demo cache, and embeds their sources.
//!
//! Writes `$OUT_DIR/reference_sources.rs` (included by `src/exec/source.rs`) with:
//! - `SOURCES_FINGERPRINT`: SHA-256 over the path and bytes of every file under
//!   `reference_impls/src` and `reference_impls/data`, in path order. Any edit to a model, a layer
//!   or a data set changes it, so every cached demo report is re-run: conservative, and sound.
//! - `SOURCE_FILES`: `(path, text)` of every `.rs` file under `reference_impls/src`, so that a site
//!   page can show the model's source without reading the disk at run time.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

/// The folders whose content decides the fingerprint, relative to the package root.
const INPUTS: [&str; 2] = ["reference_impls/src", "reference_impls/data"];

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut hasher = Sha256::new();
    let mut sources = String::new();
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
        for (relative, absolute) in files_under(&root, input) {
            let bytes = fs::read(&absolute)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", absolute.display()));
            hasher.update((relative.len() as u64).to_le_bytes());
            hasher.update(relative.as_bytes());
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(&bytes);
            if relative.starts_with("reference_impls/src/") && relative.ends_with(".rs") {
                writeln!(
                    sources,
                    "    ({relative:?}, include_str!({:?})),",
                    absolute.display().to_string()
                )
                .expect("writing to a String cannot fail");
            }
        }
    }
    let fingerprint: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let generated = format!(
        "/// SHA-256 of every file under `reference_impls/src` and `reference_impls/data`.\n\
         pub(crate) const SOURCES_FINGERPRINT: &str = {fingerprint:?};\n\
         /// `(path relative to the workspace, text)` of every source file of `reference_impls`.\n\
         pub(crate) static SOURCE_FILES: &[(&str, &str)] = &[\n{sources}];\n"
    );
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("reference_sources.rs"), generated).expect("cannot write into OUT_DIR");
}

/// Every file under `root/input`, as (`/`-separated path relative to `root`, absolute path),
/// sorted by path so that the fingerprint does not depend on the directory listing order.
fn files_under(root: &Path, input: &str) -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = walkdir::WalkDir::new(root.join(input))
        .into_iter()
        .map(|entry| entry.unwrap_or_else(|e| panic!("cannot list {input}: {e}")))
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let relative = entry
                .path()
                .strip_prefix(root)
                .expect("walkdir yields paths under its root")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            (relative, entry.into_path())
        })
        .collect();
    files.sort();
    files
}
