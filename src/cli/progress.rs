//! The progress bar of `savoir run`: one bar per phase of the run, on stderr, drawn only on a
//! terminal.

use indicatif::{ProgressBar, ProgressStyle};
use reference_impls::implementation::Progress;
use std::cell::RefCell;

/// A [`Progress`] that shows each phase as an indicatif bar on stderr.
#[derive(Default)]
pub struct Bar {
    current: RefCell<Option<ProgressBar>>,
}

fn style() -> ProgressStyle {
    ProgressStyle::with_template("{msg:>24} [{bar:32}] {pos}/{len} ({elapsed}, {eta} left)")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Progress for Bar {
    fn start(&self, total: u64, label: &str) {
        self.finish();
        let bar = ProgressBar::new(total)
            .with_style(style())
            .with_message(label.to_string());
        *self.current.borrow_mut() = Some(bar);
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = self.current.borrow().as_ref() {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.current.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}
