//! `verify` against the PyTorch reference vectors copied into `tests/refvectors/` (from
//! `../shared/refvectors/`, variant `public`, seed 1; see its README for provenance).

use std::path::{Path, PathBuf};

use reference_impls::Device;
use reference_impls::verify::{verify_dir, VerifyReport};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/refvectors")
}

fn run() -> VerifyReport {
    verify_dir(&vectors_dir(), Device::Cpu).expect("the copied vectors directory is readable")
}

#[test]
fn print_report() {
    println!("{}", run());
}
