//! Shared helpers of the CLI integration tests: run the real binary, read its output.
#![allow(dead_code)] // each test binary uses a different subset

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What one run of `savoir` gave.
#[derive(Debug)]
pub struct Run {
    /// Exit status (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Standard output parsed as JSON (fails the test with the output when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts the exit status, showing both streams when it differs.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit status\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture folder, `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// Runs `savoir args…` in `cwd`.
pub fn savoir_in(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_savoir"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("the savoir binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `savoir --vault <vault> args…` from the vault's parent folder, so that no
/// `savoir.toml` of the repository is picked up and paths print as `<name>/<file>`.
pub fn savoir_on(vault: &Path, args: &[&str]) -> Run {
    let name = vault.file_name().unwrap().to_str().unwrap();
    let mut all = vec!["--vault", name];
    all.extend_from_slice(args);
    savoir_in(vault.parent().unwrap(), &all)
}

/// The `nodes` of a graph export, by id.
pub fn node<'a>(graph: &'a Value, id: &str) -> Option<&'a Value> {
    graph["nodes"].as_array()?.iter().find(|n| n["id"] == id)
}

/// The diagnostics of a check report with this code.
pub fn with_code<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics is an array")
        .iter()
        .filter(|d| d["code"] == code)
        .collect()
}
