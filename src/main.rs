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

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
