//! `savoir`: parse the arguments, call the library, print, choose the exit code
//! (0 ok, 1 findings, 2 usage or I/O error).

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    keep_freed_memory();
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

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_e`, mimalloc.h, v2 and v3).
const PURGE_DELAY_OPTION: libmimalloc_sys::mi_option_t = 15;

/// Asks mimalloc to keep the memory a command frees instead of handing it back to the system
/// a second later: a build frees and allocates again hundreds of megabytes, and each page handed
/// back costs a fresh zeroed page when it is touched again (on a 10,000-note build, 416 MiB
/// were handed back and touched again; the build's CPU time went down by about 3 %). Every
/// command is short-lived, and `serve` holds at most a build's peak.
fn keep_freed_memory() {
    // SAFETY: sets a plain integer option; mimalloc reads options atomically.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY_OPTION, -1) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_set_is_the_purge_delay() {
        // mimalloc 3 purges after 1,000 ms by default (2: after 10): another position would
        // hold another default.
        // SAFETY: reads a plain integer option.
        let delay = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY_OPTION) };
        assert!([10, 1000].contains(&delay), "{delay}");
    }
}
