//! The demo section of a concept page: what its implementation's run reported (parameters,
//! metrics, checks, every plot as inline SVG, duration and device), its model's source
//! highlighted and folded, and the command that reproduces it; or why there is no report.

use super::i18n::{Labels, format_decimal};
use super::markdown::highlight_source;
use crate::config::Language;
use crate::exec::{DemoOutcome, model_source, reproduce_command};
use askama::Template;

/// The demo of one concept: the implementation it names and what became of its run.
#[derive(Debug, Clone, PartialEq)]
pub struct Demo {
    /// The implementation id the note names.
    pub impl_id: String,
    /// What the build got from it.
    pub outcome: DemoOutcome,
}

/// The section's template data.
#[derive(Template)]
#[template(path = "demo.html")]
struct DemoSection {
    labels: &'static Labels,
    /// `ran`, `failed`, `unknown` or `skipped` (also the CSS class of the message).
    status: &'static str,
    message: String,
    device: String,
    duration: String,
    cached: bool,
    plots: Vec<String>,
    metrics: Vec<(String, String)>,
    params: Vec<(String, String)>,
    checks: Vec<(String, bool, String)>,
    source: Option<(String, String)>,
    command: String,
}

/// The HTML of the demo section of `demo`.
pub(crate) fn demo_html(
    demo: &Demo,
    language: Language,
    labels: &'static Labels,
) -> askama::Result<String> {
    let mut section = DemoSection {
        labels,
        status: "ran",
        message: String::new(),
        device: String::new(),
        duration: String::new(),
        cached: false,
        plots: Vec::new(),
        metrics: Vec::new(),
        params: Vec::new(),
        checks: Vec::new(),
        source: model_source(&demo.impl_id)
            .map(|(path, text)| (path.to_string(), highlight_source(text, "rust"))),
        command: reproduce_command(&demo.impl_id),
    };
    match &demo.outcome {
        DemoOutcome::Ran {
            report,
            cached,
            duration,
        } => {
            section.device = report.device.to_string();
            section.duration = format!("{} s", format_decimal(language, duration.as_secs_f64(), 2));
            section.cached = *cached;
            section.plots = match reference_impls::plot::svg_plots(report) {
                Ok(plots) => plots.into_iter().map(|(_, svg)| svg).collect(),
                Err(e) => {
                    section.message = e.to_string();
                    Vec::new()
                }
            };
            section.metrics = report
                .metrics
                .iter()
                .map(|(k, v)| (k.clone(), format_decimal(language, *v, 4)))
                .collect();
            section.params = report
                .params
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect();
            section.checks = report
                .checks
                .iter()
                .map(|c| (c.name.clone(), c.passed, c.detail.clone()))
                .collect();
        }
        DemoOutcome::Failed { error } => {
            section.status = "failed";
            section.message = format!("{} {error}", labels.demo_failed);
        }
        DemoOutcome::UnknownImplementation => {
            section.status = "unknown";
            section.message = labels.demo_unknown.replace("{}", &demo.impl_id);
            section.source = None;
        }
        DemoOutcome::Skipped => {
            section.status = "skipped";
            section.message = labels.demos_skipped.to_string();
        }
    }
    section.render()
}
