//! `savoir`: parse the arguments, call the library, print, choose the exit code
//! (0 ok, 1 findings, 2 usage or I/O error).

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::args::Cli::parse();
    match cli::run(args) {
        Ok(outcome) => outcome.into(),
        Err(err) => cli::report_error(&err),
    }
}

/// mimalloc instead of the system allocator: parsing a vault makes about a million small
/// allocations from several threads, where glibc's per-thread arenas grow by many small
/// `mprotect` calls and 4 KiB page faults (README, "Design notes").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
