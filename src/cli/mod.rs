//! The command line's parts: arguments, one module per command, and output helpers.

pub mod args;
mod build;
mod check;
mod diagnostics;
mod graph;
mod impls;
mod list;
mod output;
mod progress;
mod run;
mod search;
mod show;
mod suggest;
mod verify;
mod workspace;

use anyhow::Result;
use args::{Cli, Command};
use savoir::vault::Bodies;
use std::io;
use std::process::ExitCode;
use workspace::Workspace;

/// How a command that ran to completion ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to report: exit 0.
    Clean,
    /// Findings or failures (lint errors, a missing path): exit 1.
    Findings,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Clean => ExitCode::SUCCESS,
            Outcome::Findings => ExitCode::from(1),
        }
    }
}

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> Result<Outcome> {
    let config = cli.config.as_deref();
    // Only commands that render pages (`build`) keep the notes' bodies ([`Bodies::Keep`]).
    let with_workspace = |bodies: Bodies, command: &dyn Fn(&Workspace) -> Result<Outcome>| {
        let workspace = Workspace::load(&cli.vault, config, bodies)?;
        let outcome = command(&workspace);
        // The process ends right after: returning a vault's worth of small allocations to the
        // allocator one by one would only delay the exit.
        std::mem::forget(workspace);
        outcome
    };
    match &cli.command {
        Command::Check(args) => with_workspace(Bodies::Skip, &|ws| {
            check::run(ws, args, Some(&impls::known_ids()))
        }),
        Command::Show(args) => with_workspace(Bodies::Skip, &|ws| {
            show::run(ws, args).map(|()| Outcome::Clean)
        }),
        Command::List(args) => with_workspace(Bodies::Skip, &|ws| {
            list::run(ws, args).map(|()| Outcome::Clean)
        }),
        Command::Graph(args) => with_workspace(Bodies::Skip, &|ws| graph::run(ws, args)),
        Command::Search(args) => search::run(&cli.vault, config, args),
        Command::Impls(args) => impls::run(args).map(|()| Outcome::Clean),
        Command::Run(args) => run::run(&cli.vault, config, args),
        Command::Verify(args) => verify::run(args),
        Command::Build(args) => build::run(&cli.vault, config, args),
    }
}

/// Prints an error and its causes once, on stderr, and gives the exit code: 2, or 0 when
/// the reader of stdout went away (`savoir graph | head`).
pub fn report_error(err: &anyhow::Error) -> ExitCode {
    let broken_pipe = err
        .chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe);
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    ExitCode::from(2)
}
