//! A rebuild with nothing changed leaves the site as it is and says so; any change to a note,
//! to the site folder or to the demo reports makes a real build again, and a file written
//! just before a build is never trusted to be unchanged by the next one.

mod common;

use common::{Run, fixture, savoir_in};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

const UNCHANGED: &str = "nothing changed since the last build";

/// Longer than the time inputs must have been still for a build to be recorded (2 s).
fn let_files_settle() {
    std::thread::sleep(Duration::from_millis(2_100));
}

/// A copy of the `site/basic` fixture at `<dir>/basic`.
fn copy_basic(dir: &Path) {
    let from = fixture("site/basic");
    for entry in walkdir::WalkDir::new(&from) {
        let entry = entry.unwrap();
        let to = dir
            .join("basic")
            .join(entry.path().strip_prefix(&from).unwrap());
        match entry.file_type().is_dir() {
            true => fs::create_dir_all(&to).unwrap(),
            false => drop(fs::copy(entry.path(), &to).unwrap()),
        }
    }
}

fn build(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["--vault", "basic", "build", "--out", "site"];
    args.extend_from_slice(extra);
    savoir_in(dir, &args)
}

/// Whether the run built the site (rather than finding it up to date).
fn built(run: &Run) -> bool {
    run.stderr.contains("built ") && !run.stderr.contains(UNCHANGED)
}

/// The number of pages the run reports.
fn pages(run: &Run) -> &str {
    let before = run.stderr.split_once(" pages").expect("a page count").0;
    before.rsplit(' ').next().unwrap()
}

fn inode(dir: &Path, rel: &str) -> u64 {
    fs::metadata(dir.join("site").join(rel)).unwrap().ino()
}

#[test]
fn nothing_changed_leaves_the_site_as_it_is_and_any_change_builds_again() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    copy_basic(dir);
    let_files_settle();
    let first = build(dir, &["--no-demos"]);
    first.expect_code(0);
    assert!(built(&first), "{}", first.stderr);
    let page = inode(dir, "concepts/neurone.html");

    let again = build(dir, &["--no-demos"]);
    again.expect_code(0);
    assert!(again.stderr.contains(UNCHANGED), "{}", again.stderr);
    assert_eq!(pages(&again), pages(&first), "the same pages are reported");
    assert_eq!(
        inode(dir, "concepts/neurone.html"),
        page,
        "the site is left as it is"
    );

    // Other options make another site.
    let other = build(dir, &["--no-demos", "--base-url", "https://example.org/"]);
    assert!(built(&other), "{}", other.stderr);
    assert!(dir.join("site/sitemap.xml").is_file());
    let_files_settle();
    assert!(
        build(dir, &["--no-demos", "--base-url", "https://example.org/"])
            .stderr
            .contains(UNCHANGED)
    );

    // A page removed from the site is written again.
    fs::remove_file(dir.join("site/concepts/neurone.html")).unwrap();
    let repaired = build(dir, &["--no-demos", "--base-url", "https://example.org/"]);
    assert!(built(&repaired), "{}", repaired.stderr);
    assert!(dir.join("site/concepts/neurone.html").is_file());

    // An edited note is read again, even right after the build that recorded it.
    let note = dir.join("basic/Neurone.md");
    let text = fs::read_to_string(&note).unwrap();
    fs::write(&note, format!("{text}\nUn mot rare : zythogala.\n")).unwrap();
    let edited = build(dir, &["--no-demos", "--base-url", "https://example.org/"]);
    assert!(built(&edited), "{}", edited.stderr);
    let html = fs::read_to_string(dir.join("site/concepts/neurone.html")).unwrap();
    assert!(html.contains("zythogala"), "the edit shows on the page");
}

#[test]
fn a_file_written_just_before_a_build_is_read_again_by_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    copy_basic(dir);
    // No pause: the notes were written less than a tick of a slow clock before the build.
    build(dir, &["--no-demos"]).expect_code(0);
    let second = build(dir, &["--no-demos"]);
    assert!(built(&second), "{}", second.stderr);
}

#[test]
fn strict_fails_again_when_nothing_changed_in_a_vault_with_errors() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    copy_basic(dir);
    fs::write(dir.join("basic/Cassée.md"), "---\ntitle: Cassée\n").unwrap();
    let_files_settle();
    let first = build(dir, &["--no-demos", "--strict"]);
    first.expect_code(1);
    let again = build(dir, &["--no-demos", "--strict"]);
    again.expect_code(1);
    assert!(again.stderr.contains(UNCHANGED), "{}", again.stderr);
    assert!(again.stderr.contains("1 error"), "{}", again.stderr);
}

#[test]
fn a_demo_run_by_one_build_is_shown_from_the_cache_by_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    copy_basic(dir);
    fs::write(
        dir.join("basic/Descente.md"),
        "---\ntitle: Descente de gradient\nimplementation: gradient-descent\n---\nUn pas après l'autre.\n",
    )
    .unwrap();
    let_files_settle();
    let ran = build(dir, &[]);
    ran.expect_code(0);
    assert!(ran.stderr.contains("0 failed demos"), "{}", ran.stderr);
    // The report the demo wrote is read by this build, which then says it came from the cache.
    let from_cache = build(dir, &[]);
    assert!(built(&from_cache), "{}", from_cache.stderr);
    let_files_settle();
    build(dir, &[]).expect_code(0);
    let unchanged = build(dir, &[]);
    assert!(unchanged.stderr.contains(UNCHANGED), "{}", unchanged.stderr);

    // Reports removed: the demo runs again.
    fs::remove_dir_all(dir.join(".savoir/cache")).unwrap();
    let rerun = build(dir, &[]);
    assert!(built(&rerun), "{}", rerun.stderr);
    assert!(dir.join(".savoir/cache/demos").is_dir());
}
