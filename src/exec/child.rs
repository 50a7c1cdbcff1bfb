//! One demo in a child process: `<runner> run <id> --format json --seed 0 --device <d>`, stopped
//! at its time budget, its JSON report read from stdout, its stderr kept to explain a failure.
//!
//! A child process is the only isolation that holds for every failure: a panic, an abort, a stack
//! overflow or an endless loop ends or is killed there, and the build goes on.

use super::options::DEMO_SEED;
use reference_impls::Device;
use reference_impls::report::Report;
use serde_json::Value;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often a running child is looked at.
const POLL: Duration = Duration::from_millis(10);

/// How many lines of a failed child's stderr its error message quotes.
const STDERR_LINES: usize = 6;

/// A demo that ran to the end and printed a report.
#[derive(Debug)]
pub(crate) struct Finished {
    /// The report it printed.
    pub report: Report,
    /// Its wall-clock time.
    pub duration: Duration,
}

/// Runs demo `impl_id` in `runner` on `device` within `budget`; the error says what went wrong
/// and what to do.
pub(crate) fn run_demo(
    runner: &Path,
    impl_id: &str,
    device: Device,
    budget: Duration,
) -> Result<Finished, String> {
    let started = Instant::now();
    let mut command = Command::new(runner);
    command
        .args(["run", impl_id, "--format", "json", "--seed"])
        .arg(DEMO_SEED.to_string())
        .args(["--device", &device.to_string()])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    own_process_group(&mut command);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", runner.display()))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_within(&mut child, budget);
    let stdout = stdout.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
    let duration = started.elapsed();
    let reproduce = format!("`savoir run {impl_id} --seed {DEMO_SEED}`");
    let Some(status) = status else {
        return Err(format!(
            "ran past its time budget of {} s and was stopped; raise it in savoir.toml \
             (`[demos.budgets]` `{impl_id} = {}`)",
            budget.as_secs_f64(),
            (budget.as_secs_f64() * 2.0).ceil()
        ));
    };
    match status.code() {
        // 0: every check passed; 1: a check failed, which the page shows.
        Some(0 | 1) => parse_report(&stdout, impl_id)
            .map(|report| Finished { report, duration })
            .map_err(|e| format!("{e}; run {reproduce} to see its output")),
        Some(101) => Err(format!(
            "{}; run {reproduce} to reproduce it",
            panic_message(&stderr)
        )),
        Some(code) => Err(format!(
            "failed with exit code {code}: {}; run {reproduce} to reproduce it",
            stderr_tail(&stderr)
        )),
        None => Err(format!(
            "{}: {}; run {reproduce} to reproduce it",
            killed_by(status),
            stderr_tail(&stderr)
        )),
    }
}

/// Reads a pipe to its end on a thread of its own, so a child filling one pipe never blocks.
fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// Waits for the child until `budget` has passed since now; then kills it (and whatever it
/// started) and reaps it. `None` when it had to be killed.
fn wait_within(child: &mut Child, budget: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + budget;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(POLL),
            _ => {
                kill_tree(child);
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// Starts the child in a process group of its own, so that a time-out kills everything it started.
#[cfg(unix)]
fn own_process_group(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    command.process_group(0);
}

#[cfg(not(unix))]
fn own_process_group(_command: &mut Command) {}

/// Kills the child's process group (the child and what it started).
#[cfg(unix)]
fn kill_tree(child: &mut Child) {
    match libc::pid_t::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group the child leads (it was
        // started with `process_group(0)`); it touches no memory of ours.
        Ok(pid) => unsafe {
            libc::kill(-pid, libc::SIGKILL);
        },
        Err(_) => {
            let _ = child.kill();
        }
    }
}

#[cfg(not(unix))]
fn kill_tree(child: &mut Child) {
    let _ = child.kill();
}

/// What ended a child that exited on a signal.
#[cfg(unix)]
fn killed_by(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(libc::SIGABRT) => "aborted (signal SIGABRT)".to_string(),
        Some(libc::SIGSEGV) => {
            "crashed (signal SIGSEGV, a stack overflow or bad memory access)".to_string()
        }
        Some(libc::SIGKILL) => "was killed (signal SIGKILL, out of memory?)".to_string(),
        Some(signal) => format!("was ended by signal {signal}"),
        None => format!("ended abnormally ({status})"),
    }
}

#[cfg(not(unix))]
fn killed_by(status: ExitStatus) -> String {
    format!("ended abnormally ({status})")
}

/// The report a demo printed, refused when it is not a report of `impl_id` or when a metric or
/// a curve holds a NaN or an infinity (JSON writes them as `null`): the run diverged.
fn parse_report(stdout: &[u8], impl_id: &str) -> Result<Report, String> {
    let value: Value =
        serde_json::from_slice(stdout).map_err(|e| format!("printed no JSON report ({e})"))?;
    if let Some(metrics) = value.get("metrics").and_then(Value::as_object)
        && let Some((name, _)) = metrics.iter().find(|(_, v)| !v.is_number())
    {
        return Err(format!(
            "metric `{name}` is NaN or infinite: the run diverged (lower the learning rate or check the model)"
        ));
    }
    if let Some(series) = value.get("series").and_then(Value::as_array) {
        for s in series {
            let finite = |axis: &str| {
                s.get(axis)
                    .and_then(Value::as_array)
                    .is_none_or(|values| values.iter().all(Value::is_number))
            };
            if !finite("x") || !finite("y") {
                let name = s.get("name").and_then(Value::as_str).unwrap_or("?");
                return Err(format!(
                    "series `{name}` holds NaN or infinite values: the run diverged"
                ));
            }
        }
    }
    let report: Report =
        serde_json::from_value(value).map_err(|e| format!("printed a malformed report ({e})"))?;
    if !report.implementation.eq_ignore_ascii_case(impl_id) {
        return Err(format!(
            "printed the report of `{}` instead of `{impl_id}`",
            report.implementation
        ));
    }
    Ok(report)
}

/// The panic message of a Rust program's stderr, on one line.
fn panic_message(stderr: &str) -> String {
    let Some(start) = stderr.find("panicked at") else {
        return format!("panicked: {}", stderr_tail(stderr));
    };
    stderr[start..]
        .lines()
        .take_while(|line| !line.starts_with("note: "))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last lines of stderr, on one line (or a word saying it was empty).
fn stderr_tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return "nothing on stderr".to_string();
    }
    lines[lines.len().saturating_sub(STDERR_LINES)..].join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"impl":"mlp","concept":null,"device":"cpu","seed":0,"params":{},
        "metrics":{"acc":0.9},"series":[{"name":"loss","x":[0,1],"y":[1.0,0.5]}],
        "checks":[],"duration_ms":3}"#;

    #[test]
    fn a_report_parses() {
        let r = parse_report(GOOD.as_bytes(), "mlp").unwrap();
        assert_eq!(r.metrics["acc"], 0.9);
    }

    #[test]
    fn a_nan_metric_or_curve_is_refused_by_name() {
        let nan_metric = GOOD.replace("0.9", "null");
        let e = parse_report(nan_metric.as_bytes(), "mlp").unwrap_err();
        assert!(e.starts_with("metric `acc` is NaN or infinite"), "{e}");
        let nan_curve = GOOD.replace("0.5", "null");
        let e = parse_report(nan_curve.as_bytes(), "mlp").unwrap_err();
        assert!(e.starts_with("series `loss` holds NaN"), "{e}");
    }

    #[test]
    fn garbage_or_another_report_is_refused() {
        let e = parse_report(b"{\"impl\":", "mlp").unwrap_err();
        assert!(e.starts_with("printed no JSON report"), "{e}");
        let e = parse_report(GOOD.as_bytes(), "svm").unwrap_err();
        assert_eq!(e, "printed the report of `mlp` instead of `svm`");
    }

    #[test]
    fn the_panic_message_is_kept_on_one_line() {
        let stderr = "progress\nthread 'main' (42) panicked at src/m.rs:3:5:\nweights exploded\n\
                      note: run with `RUST_BACKTRACE=1` to display a backtrace\n";
        assert_eq!(
            panic_message(stderr),
            "panicked at src/m.rs:3:5: weights exploded"
        );
    }
}
