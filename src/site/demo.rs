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
    /// Named texts of the report (a sample drawn from a language model…), shown as written.
    texts: Vec<(String, String)>,
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
        texts: Vec::new(),
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
            section.texts = report
                .texts
                .iter()
                .map(|(name, text)| (name.clone(), text.clone()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::i18n::labels;
    use std::time::Duration;

    fn html(impl_id: &str, outcome: DemoOutcome) -> String {
        let demo = Demo {
            impl_id: impl_id.to_string(),
            outcome,
        };
        demo_html(&demo, Language::French, labels(Language::French)).unwrap()
    }

    #[test]
    fn a_run_shows_its_metrics_in_french_its_checks_plots_source_and_command() {
        let report: reference_impls::report::Report = serde_json::from_str(
            r#"{"impl":"mlp","concept":null,"device":"cpu","seed":0,"params":{"epochs":3},
            "metrics":{"accuracy":0.91234},"series":[{"name":"loss","x":[0,1,2],"y":[1.0,0.6,0.4]}],
            "checks":[{"name":"learns","passed":true,"detail":"loss 0.4 < 1"},
                      {"name":"beats chance","passed":false,"detail":"0.91 < 0.95"}],"duration_ms":1}"#,
        )
        .unwrap();
        let page = html(
            "mlp",
            DemoOutcome::Ran {
                report: Box::new(report),
                cached: true,
                duration: Duration::from_millis(1500),
            },
        );
        assert!(page.contains("0,9123"), "a French decimal comma");
        assert!(page.contains("<strong>1,5 s</strong>"), "the duration");
        assert!(page.contains("<li class=\"passed\">"), "the passed check");
        assert!(
            page.contains("<li class=\"failed\"><span class=\"check-mark\">✗</span> <strong>beats chance</strong>"),
            "the failed check, marked"
        );
        assert!(page.contains("<svg"), "the loss curve as inline SVG");
        assert!(
            page.contains("reference_impls/src/models/mlp.rs"),
            "the model's source"
        );
        assert!(
            page.contains("savoir run mlp --seed 0"),
            "the command that reproduces it"
        );
    }

    #[test]
    fn a_run_shows_its_texts_escaped_and_as_written() {
        let report: reference_impls::report::Report = serde_json::from_str(
            r#"{"impl":"rnn","concept":null,"device":"cpu","seed":1,"params":{},"metrics":{},
            "series":[],"checks":[],"duration_ms":1,
            "texts":{"échantillon":"Le réseau <b>récurrent</b>\n  apprend."}}"#,
        )
        .unwrap();
        let page = html(
            "rnn",
            DemoOutcome::Ran {
                report: Box::new(report),
                cached: false,
                duration: Duration::from_millis(10),
            },
        );
        assert!(
            page.contains("<figcaption>échantillon</figcaption>"),
            "{page}"
        );
        assert!(
            page.contains("<pre>Le réseau &#60;b&#62;récurrent&#60;/b&#62;\n  apprend.</pre>"),
            "escaped, line breaks and spaces kept: {page}"
        );
    }

    #[test]
    fn a_failed_demo_shows_why_and_how_to_reproduce_it() {
        let page = html(
            "cnn",
            DemoOutcome::Failed {
                error: "ran past its time budget of 1 s and was stopped".to_string(),
            },
        );
        assert!(page.contains("La démonstration a échoué :"), "{page}");
        assert!(page.contains("ran past its time budget of 1 s"), "{page}");
        assert!(page.contains("savoir run cnn --seed 0"), "{page}");
        assert!(!page.contains("<svg"), "no plot without a report");
    }

    #[test]
    fn an_unknown_or_skipped_demo_says_so() {
        let unknown = html("capsnet", DemoOutcome::UnknownImplementation);
        assert!(
            unknown.contains("« capsnet » n’est pas encore enregistrée"),
            "{unknown}"
        );
        let skipped = html("mlp", DemoOutcome::Skipped);
        assert!(skipped.contains("--no-demos"), "{skipped}");
    }
}
