//! Times the static site's search in headless Chromium: for each query, a fresh tab opens the
//! site's home page from disk, the query is typed into the search box as soon as the page has
//! loaded, and the clock runs from that keystroke until the dropdown shows its hits (the page
//! reads the index's first file, `search/index.js`, when it is idle: a query typed within a few
//! milliseconds of the load may still wait for it). Prints, per query, the median time and the bytes of
//! search index the page loaded for that first query (every file under `search/`).
//! What `bench/search_bench.sh` reports for the site.
//!
//! Usage: `cargo run --release --example site_search_timing -- SITE_DIR RUNS QUERY...`
//! (Chromium from `$CHROME` or `PATH`, as the browser tests find it.)

use headless_chrome::protocol::cdp::Network;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::{Browser, LaunchOptions};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Types the query (`%QUERY%`) into the box, resolves when the dropdown shows hits, with the
/// milliseconds it took and the number of hits.
const TYPE_AND_WAIT: &str = r#"new Promise((resolve) => {
  const box = document.getElementById('search-box');
  const list = document.getElementById('search-dropdown');
  const done = () => list.querySelector('li') && !list.hidden;
  const start = performance.now();
  const finish = () => resolve(JSON.stringify({
    ms: performance.now() - start,
    hits: list.querySelectorAll('li[role=option]').length,
  }));
  new MutationObserver((_, observer) => { if (done()) { observer.disconnect(); finish(); } })
    .observe(list, { attributes: true, childList: true, subtree: true });
  box.value = %QUERY%;
  box.dispatchEvent(new Event('input'));
})"#;

/// What one timed query gave.
#[derive(serde::Deserialize)]
struct Timing {
    /// Milliseconds from typing to hits shown.
    ms: f64,
    /// Hits shown.
    hits: usize,
    /// The search index files requested (file:// URLs), from the network events.
    #[serde(skip)]
    files: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: site_search_timing SITE_DIR RUNS QUERY...";
    let site = PathBuf::from(args.next().ok_or_else(|| anyhow::anyhow!(usage))?);
    let runs: usize = args.next().ok_or_else(|| anyhow::anyhow!(usage))?.parse()?;
    let queries: Vec<String> = args.collect();
    let home = std::fs::canonicalize(site.join("index.html"))?;
    let browser = launch()?;
    for query in &queries {
        let mut times = Vec::new();
        let mut loaded = (0, 0, 0);
        for _ in 0..runs {
            let timing = time_query(&browser, &home, query)?;
            let bytes: u64 = timing
                .files
                .iter()
                .map(|url| file_size(url.trim_start_matches("file://")))
                .sum();
            loaded = (bytes, timing.files.len(), timing.hits);
            times.push(timing.ms);
        }
        times.sort_by(f64::total_cmp);
        let (bytes, files, hits) = loaded;
        println!(
            "site first query {query:?} in Chromium: median {:.1} ms (min {:.1}, max {:.1}; {runs} fresh tabs), \
             {:.1} kB of index in {files} files, {hits} hits (targets 30 ms, 150 kB)",
            times[times.len() / 2],
            times[0],
            times[times.len() - 1],
            bytes as f64 / 1024.0
        );
    }
    Ok(())
}

/// A headless Chromium, from `$CHROME` or the usual names on `PATH`.
fn launch() -> anyhow::Result<Browser> {
    let path = std::env::var_os("CHROME").map(PathBuf::from).or_else(|| {
        let names = ["chromium", "chromium-browser", "google-chrome"];
        std::env::split_paths(&std::env::var_os("PATH")?)
            .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
            .find(|p| p.is_file())
    });
    let path = path.ok_or_else(|| anyhow::anyhow!("Chromium not found: set CHROME"))?;
    let flags = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"];
    let options = LaunchOptions::default_builder()
        .path(Some(path))
        .headless(true)
        .sandbox(false)
        .args(flags.iter().map(OsStr::new).collect())
        .idle_browser_timeout(Duration::from_secs(120))
        .build()?;
    Browser::new(options)
}

/// Opens the home page in a fresh tab and times `query` there.
fn time_query(browser: &Browser, home: &Path, query: &str) -> anyhow::Result<Timing> {
    let tab = browser.new_tab()?;
    tab.call_method(Network::Enable {
        max_total_buffer_size: None,
        max_resource_buffer_size: None,
        max_post_data_size: None,
        report_direct_socket_traffic: None,
        enable_durable_messages: None,
    })?;
    let requested = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&requested);
    tab.add_event_listener(Arc::new(move |event: &Event| {
        if let Event::NetworkRequestWillBeSent(e) = event
            && e.params.request.url.contains("/search/")
        {
            sink.lock().unwrap().push(e.params.request.url.clone());
        }
    }))?;
    tab.navigate_to(&format!("file://{}", home.display()))?
        .wait_until_navigated()?;
    let script = TYPE_AND_WAIT.replace("%QUERY%", &serde_json::to_string(query)?);
    let value = tab
        .evaluate(&script, true)?
        .value
        .ok_or_else(|| anyhow::anyhow!("the search gave nothing for {query:?}"))?;
    let mut timing: Timing = serde_json::from_str(value.as_str().unwrap_or_default())?;
    timing.files = requested.lock().unwrap().clone();
    tab.close(true)?;
    Ok(timing)
}

/// The size of a loaded file (its URL path percent-decoded), 0 when it cannot be read.
fn file_size(path: &str) -> u64 {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    std::fs::metadata(decoded.as_ref()).map_or(0, |m| m.len())
}
