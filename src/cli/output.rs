//! Where and how results are written: stdout or a file, JSON or styled text.

use anyhow::{Context, Result};
use clap::builder::styling::{AnsiColor, Style};
use serde::Serialize;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

/// Text styles for terminal output; every style is plain when colour is off.
#[derive(Debug, Clone, Copy, Default)]
pub struct Palette {
    /// `error` labels.
    pub error: Style,
    /// `warning` labels.
    pub warning: Style,
    /// `help` and other notes.
    pub help: Style,
    /// Gutters, arrows and line numbers.
    pub gutter: Style,
    /// Emphasised text (titles, messages).
    pub strong: Style,
    /// De-emphasised text (paths, inferred markers).
    pub dim: Style,
}

impl Palette {
    /// Colours when stdout is a terminal and `NO_COLOR` is unset, plain text otherwise.
    pub fn for_stdout() -> Self {
        if io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) {
            Self::coloured()
        } else {
            Self::default()
        }
    }

    fn coloured() -> Self {
        Palette {
            error: AnsiColor::BrightRed.on_default().bold(),
            warning: AnsiColor::BrightYellow.on_default().bold(),
            help: AnsiColor::BrightCyan.on_default().bold(),
            gutter: AnsiColor::BrightBlue.on_default().bold(),
            strong: Style::new().bold(),
            dim: Style::new().dimmed(),
        }
    }
}

/// Wraps `text` in `style` (no escape codes for a plain style).
pub fn paint(style: Style, text: impl std::fmt::Display) -> String {
    format!("{style}{text}{style:#}")
}

/// Buffered stdout (1 MiB, so that a large report goes out in few writes), locked for the
/// whole command.
pub fn stdout() -> BufWriter<io::StdoutLock<'static>> {
    BufWriter::with_capacity(1 << 20, io::stdout().lock())
}

/// Buffered writer to `path`, or to stdout when there is none.
pub fn file_or_stdout(path: Option<&Path>) -> Result<Box<dyn Write>> {
    Ok(match path {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(stdout()),
    })
}

/// Writes `value` as pretty JSON followed by a newline.
pub fn write_json(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// "1 error", "2 errors".
pub fn count(n: usize, singular: &str) -> String {
    if n == 1 {
        format!("{n} {singular}")
    } else {
        format!("{n} {singular}s")
    }
}
