//! Files that cannot be read and sub-folders that cannot be listed are reported as
//! `unreadable` errors, with their paths, and never stop the other notes from being checked.
#![cfg(unix)]

mod common;

use common::{savoir_on, with_code};
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// `unreadable` findings of `savoir check` on `vault`: (file, severity), sorted by file.
fn unreadable(vault: &Path) -> (i32, Vec<(String, String)>) {
    let run = savoir_on(vault, &["check", "--format", "json"]);
    let report = run.json();
    let found = with_code(&report, "unreadable")
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (run.code, found)
}

#[test]
fn a_note_that_cannot_be_read_is_an_unreadable_error() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("Lisible.md"),
        "# Lisible\n\nVoir [[Cassé]].\n",
    );
    // A link to nowhere named like a note: opening it fails for every user, root included.
    symlink(dir.path().join("absent.md"), dir.path().join("Cassé.md")).unwrap();
    let (code, found) = unreadable(dir.path());
    assert_eq!(code, 1, "an unreadable note is an error");
    assert_eq!(found, [("Cassé.md".to_string(), "error".to_string())]);
    let run = savoir_on(dir.path(), &["check"]);
    assert!(
        run.stdout
            .contains("error[unreadable]: the file cannot be read"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("empty-note"), "{}", run.stdout);
}

#[test]
fn permissions_that_forbid_reading_are_reported_with_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path();
    write(&vault.join("Ouverte.md"), "# Ouverte\n");
    write(&vault.join("Secrète.md"), "# Secrète\n");
    write(&vault.join("fermé/Dedans.md"), "# Dedans\n");
    chmod(&vault.join("Secrète.md"), 0o000);
    chmod(&vault.join("fermé"), 0o000);
    let still_readable = fs::read(vault.join("Secrète.md")).is_ok();
    let result = (!still_readable).then(|| unreadable(vault));
    // Give the tempdir back its permissions before any assertion, so it can be removed.
    chmod(&vault.join("fermé"), 0o755);
    chmod(&vault.join("Secrète.md"), 0o644);
    let Some((code, found)) = result else {
        eprintln!(
            "skipped: this user reads files whatever their permissions (root); run the tests as another user to exercise chmod 000"
        );
        return;
    };
    assert_eq!(code, 1);
    assert_eq!(
        found,
        [
            ("Secrète.md".to_string(), "error".to_string()),
            ("fermé".to_string(), "error".to_string())
        ]
    );
    let run = savoir_on(vault, &["list", "--format", "json"]);
    let listing = run.json();
    let titles: Vec<&str> = listing["concepts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"Ouverte"), "{titles:?}");
}
