//! The built site in a real browser (headless Chromium, opened from `file://`): no console
//! error, no request to any host, relations, MathML and images shown, the graph page
//! navigates, and a vault full of script payloads runs none of them.
//!
//! Needs Debian's `chromium` (`apt-get install -y chromium`, or `CHROME=/path/to/chrome`).
//! Without it these tests skip with a message, except when `CI` is set: then they fail.
//! `UPDATE_SCREENSHOT=1` also writes `docs/concept-page.png` (the README shows it).

mod common;

use common::{fixture, repo, savoir_in, savoir_on};
use headless_chrome::browser::tab::Tab;
use headless_chrome::protocol::cdp::Network;
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::{Browser, LaunchOptions};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Flags of DESIGN.md: no sandbox (containers), no GPU, no background traffic.
const FLAGS: [&str; 8] = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
];

/// The Chromium binary: `$CHROME`, else the first of the usual names on `PATH`.
fn chromium_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROME") {
        return Some(PathBuf::from(path));
    }
    let names = ["chromium", "chromium-browser", "google-chrome", "chrome"];
    std::env::split_paths(&std::env::var_os("PATH")?)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// A headless browser, or `None` (after saying why) when Chromium is not installed; with
/// `CI` set a missing browser fails the test instead.
fn browser() -> Option<Browser> {
    let Some(path) = chromium_path() else {
        let message = "browser tests need Chromium: `apt-get install -y chromium` (or set CHROME=/path/to/chrome), then `cargo test --test browser`";
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("skipped: {message}");
        return None;
    };
    let options = LaunchOptions::default_builder()
        .path(Some(path))
        .headless(true)
        .sandbox(false)
        .window_size(Some((1280, 900)))
        .args(FLAGS.iter().map(OsStr::new).collect())
        .idle_browser_timeout(Duration::from_secs(120))
        .build()
        .expect("valid launch options");
    Some(Browser::new(options).expect("Chromium starts"))
}

/// Builds a fixture vault of `tests/fixtures/site/` (or the bundled `notes/` for `None`).
fn build(vault: Option<&str>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("site");
    let out_arg = out.to_str().unwrap();
    let run = match vault {
        Some(name) => savoir_on(
            &fixture(&format!("site/{name}")),
            &["build", "--no-demos", "--out", out_arg],
        ),
        None => savoir_in(&repo(), &["build", "--no-demos", "--out", out_arg]),
    };
    run.expect_code(0);
    (dir, out)
}

/// What a page did while it was open.
#[derive(Default, Debug)]
struct Seen {
    /// Console errors, uncaught exceptions and security (CSP) messages.
    errors: Vec<String>,
    /// Every URL the page requested (the document included), from the network events.
    requests: Vec<String>,
}

/// Opens `page` from disk in a new tab, recording console errors.
fn open(browser: &Browser, page: &Path) -> (Arc<Tab>, Arc<Mutex<Seen>>) {
    let tab = browser.new_tab().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    tab.enable_log().unwrap().enable_runtime().unwrap();
    tab.call_method(Network::Enable {
        max_total_buffer_size: None,
        max_resource_buffer_size: None,
        max_post_data_size: None,
        report_direct_socket_traffic: None,
        enable_durable_messages: None,
    })
    .unwrap();
    let sink = Arc::clone(&seen);
    tab.add_event_listener(Arc::new(move |event: &Event| {
        if let Event::NetworkRequestWillBeSent(e) = event {
            let url = e.params.request.url.clone();
            sink.lock().unwrap().requests.push(url);
            return;
        }
        let message = match event {
            Event::LogEntryAdded(e) => {
                let level = format!("{:?}", e.params.entry.level);
                (level == "Error").then(|| e.params.entry.text.clone())
            }
            Event::RuntimeExceptionThrown(e) => {
                Some(format!("{:?}", e.params.exception_details.text))
            }
            Event::RuntimeConsoleAPICalled(e) => {
                let kind = format!("{:?}", e.params.Type);
                (kind == "Error").then(|| format!("console.error: {:?}", e.params.args))
            }
            _ => None,
        };
        if let Some(message) = message {
            sink.lock().unwrap().errors.push(message);
        }
    }))
    .unwrap();
    let url = format!("file://{}", page.display());
    tab.navigate_to(&url)
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    // Late messages (deferred scripts, images) have time to arrive.
    std::thread::sleep(Duration::from_millis(300));
    (tab, seen)
}

/// The value of a JavaScript expression, as JSON.
fn eval(tab: &Tab, expression: &str) -> serde_json::Value {
    tab.evaluate(expression, false)
        .unwrap_or_else(|e| panic!("{expression}: {e}"))
        .value
        .unwrap_or(serde_json::Value::Null)
}

/// No console error, nothing requested from anywhere but the site's own files, and no script
/// loaded twice.
fn assert_clean(tab: &Tab, seen: &Mutex<Seen>, what: &str) {
    let seen = seen.lock().unwrap();
    assert!(
        seen.errors.is_empty(),
        "{what}: console errors {:#?}",
        seen.errors
    );
    assert!(
        !seen.requests.is_empty(),
        "{what}: the network events were recorded"
    );
    for url in &seen.requests {
        assert!(url.starts_with("file://"), "{what}: request to {url}");
    }
    let scripts = eval(
        tab,
        "JSON.stringify([...document.scripts].filter(s => s.src && document.querySelectorAll(`script[src=\"${s.getAttribute('src')}\"]`).length > 1).map(s => s.src))",
    );
    assert_eq!(scripts, "[]", "{what}: scripts included twice");
}

#[test]
fn a_concept_page_shows_relations_math_and_images_and_requests_nothing() {
    let Some(browser) = browser() else { return };
    let (_dir, site) = build(Some("basic"));
    let (tab, seen) = open(&browser, &site.join("concepts/reseau-de-neurones.html"));
    assert_clean(&tab, &seen, "concept page");
    let relations = eval(
        &tab,
        "document.querySelectorAll('.relations a.internal').length",
    );
    assert!(
        relations.as_u64().unwrap() >= 2,
        "relations shown: {relations}"
    );
    // MathML laid out by the browser itself: the fraction has a real height.
    let fraction = eval(
        &tab,
        "document.querySelector('math mfrac').getBoundingClientRect().height",
    );
    assert!(
        fraction.as_f64().unwrap() > 0.0,
        "MathML is rendered: {fraction}"
    );
    let images = eval(
        &tab,
        "JSON.stringify(Array.from(document.images).map(i => i.complete && i.naturalWidth > 0))",
    );
    let images: Vec<bool> = serde_json::from_str(images.as_str().unwrap()).unwrap();
    assert!(
        !images.is_empty() && images.iter().all(|&ok| ok),
        "images load: {images:?}"
    );
    let width = eval(
        &tab,
        "document.querySelector('img[width=\"300\"]').getBoundingClientRect().width",
    );
    assert_eq!(width.as_f64().unwrap().round(), 300.0);
}

#[test]
fn the_theme_toggle_switches_and_is_remembered() {
    let Some(browser) = browser() else { return };
    let (_dir, site) = build(Some("basic"));
    let page = site.join("index.html");
    let (tab, seen) = open(&browser, &page);
    assert_clean(&tab, &seen, "home page");
    let before = eval(&tab, "document.documentElement.dataset.theme");
    tab.find_element("#theme-toggle").unwrap().click().unwrap();
    let after = eval(&tab, "document.documentElement.dataset.theme");
    assert_ne!(before, after, "the toggle changes the theme");
    tab.reload(false, None)
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    tab.wait_for_element("#theme-toggle").unwrap();
    assert_eq!(
        eval(&tab, "document.documentElement.dataset.theme"),
        after,
        "remembered"
    );
}

#[test]
fn the_graph_page_renders_and_a_click_navigates() {
    let Some(browser) = browser() else { return };
    let (_dir, site) = build(Some("basic"));
    let (tab, seen) = open(&browser, &site.join("graph.html"));
    assert_clean(&tab, &seen, "graph page");
    let link = tab
        .find_element("#graph-view a, .graph-list a.internal")
        .expect("a concept to click in the graph");
    link.click().unwrap();
    tab.wait_until_navigated().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let url = tab.get_url();
    assert!(
        url.contains("/concepts/") && url.ends_with(".html"),
        "navigated to {url}"
    );
    assert!(
        tab.find_element("h1.concept-title").is_ok(),
        "a concept page opened"
    );
}

#[test]
fn a_local_graph_labels_every_concept_highlights_neighbours_and_toggles_tags() {
    let Some(browser) = browser() else { return };
    let (_dir, site) = build(None);
    let (tab, seen) = open(
        &browser,
        &site.join("concepts/gated-recurrent-unit-gru.html"),
    );
    let count = |selector: &str| {
        eval(
            &tab,
            &format!("document.querySelectorAll('figure.graph-view {selector}').length"),
        )
        .as_u64()
        .unwrap()
    };
    let (nodes, minor) = (count(".node"), count(".node.minor"));
    assert!(
        minor > 0 && nodes > minor,
        "a crowded local graph: {nodes} nodes, {minor} minor"
    );
    assert_eq!(
        count(".node text"),
        nodes,
        "the script drew the waiting labels"
    );
    // The centre's neighbours are the concepts labelled from the start.
    eval(
        &tab,
        "document.querySelector('figure.graph-view .node.center')\
         .dispatchEvent(new MouseEvent('mouseenter'))",
    );
    assert_eq!(
        count(".node.lit"),
        nodes - minor,
        "the centre and its neighbours lit"
    );
    assert!(
        count(".edges line.lit") >= nodes - minor - 1,
        "and the lines to them"
    );
    eval(
        &tab,
        "document.querySelector('figure.graph-view .node.center')\
         .dispatchEvent(new MouseEvent('mouseleave'))",
    );
    assert_eq!(count(".lit"), 0);
    // A tag toggle hides the concepts carrying it, and shows them again.
    eval(
        &tab,
        "document.querySelector('figure.graph-view .graph-tags li').click()",
    );
    let hidden = count(".node.off");
    assert!(hidden > 0 && hidden <= nodes, "{hidden} concepts hidden");
    assert!(count(".edges line.off") > 0, "their lines too");
    eval(
        &tab,
        "document.querySelector('figure.graph-view .graph-tags li').click()",
    );
    assert_eq!(count(".off"), 0);
    assert_clean(&tab, &seen, "local graph");
}

/// Polls a JavaScript expression until it gives `wanted` (5 s at most); returns what it gave last.
fn wait_for_value(tab: &Tab, expression: &str, wanted: &str) -> String {
    let mut last = String::new();
    for _ in 0..50 {
        last = eval(tab, expression)
            .as_str()
            .unwrap_or_default()
            .to_string();
        if last == wanted {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    last
}

#[test]
fn the_search_box_shows_hits_as_you_type_and_enter_opens_the_chosen_one() {
    let Some(browser) = browser() else { return };
    let (_dir, site) = build(None);
    let (tab, seen) = open(
        &browser,
        &site.join("concepts/le-perceptron-multicouche.html"),
    );
    // Without accents and with a typo, as people type.
    tab.find_element("#search-box").unwrap().click().unwrap();
    tab.type_str("reseaux recurents").unwrap();
    let first = "(document.querySelector('#search-hit-0 .search-title') || {}).textContent || ''";
    let rnn = "Réseaux de neurones récurrents (RNN)";
    assert_eq!(wait_for_value(&tab, first, rnn), rnn, "first hit as typed");
    let snippet = eval(
        &tab,
        "document.querySelector('#search-hit-0 .search-snippet').innerHTML",
    );
    assert!(
        snippet.as_str().unwrap().contains("<mark>"),
        "the snippet marks the matched words: {snippet}"
    );
    tab.press_key("ArrowDown")
        .unwrap()
        .press_key("Enter")
        .unwrap();
    tab.wait_until_navigated().unwrap();
    let url = wait_for_value(
        &tab,
        "location.pathname.split('/').pop()",
        "reseaux-de-neurones-recurrents-rnn.html",
    );
    assert_eq!(url, "reseaux-de-neurones-recurrents-rnn.html");
    assert_clean(&tab, &seen, "search box");
}

#[test]
fn the_search_page_reached_by_url_lists_the_hits() {
    let Some(browser) = browser() else { return };
    let (_dir, site) = build(None);
    let tab = browser.new_tab().unwrap();
    let url = format!(
        "file://{}?q=descente%20de%20gradient",
        site.join("search.html").display()
    );
    tab.navigate_to(&url)
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    let count = "String(document.querySelectorAll('.search-results-list li').length > 2)";
    assert_eq!(wait_for_value(&tab, count, "true"), "true", "hits listed");
    let titles = eval(
        &tab,
        "JSON.stringify([...document.querySelectorAll('.search-results-list .search-title')].slice(0, 3).map(t => t.textContent))",
    );
    assert!(
        titles
            .as_str()
            .unwrap()
            .contains("L'algorithme du gradient"),
        "the gradient note in the top 3: {titles}"
    );
    let summary = eval(
        &tab,
        "document.querySelector('.search-summary').textContent",
    );
    assert!(
        summary.as_str().unwrap().ends_with(" résultats"),
        "the count in the vault's language: {summary}"
    );
    let boxed = eval(&tab, "document.getElementById('search-box').value");
    assert_eq!(boxed, "descente de gradient", "the query stays in the box");
}

#[test]
fn no_payload_of_the_xss_vault_runs() {
    let Some(browser) = browser() else { return };
    let (_dir, site) = build(Some("xss"));
    let pages: Vec<PathBuf> = walkdir::WalkDir::new(&site)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| e.path().to_path_buf())
        .collect();
    assert!(pages.len() >= 5, "{pages:?}");
    for page in &pages {
        let (tab, _) = open(&browser, page);
        // Hover and click everything a payload could hang on.
        let _ = tab.evaluate(
            "document.querySelectorAll('*').forEach(e => { e.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); });",
            false,
        );
        let pwned = eval(&tab, "String(window.__pwned)");
        assert_eq!(pwned, "undefined", "a payload ran on {}", page.display());
        let scripts = eval(
            &tab,
            "Array.from(document.scripts).filter(s => !s.src).length + document.querySelectorAll('svg [onload], [onerror], [onclick], [onmouseover]').length",
        );
        assert_eq!(scripts, 0, "inline script or handler on {}", page.display());
        tab.close(false).unwrap();
    }
}

#[test]
fn a_bundled_concept_page_renders_cleanly_and_is_photographed() {
    let Some(browser) = browser() else { return };
    let (_dir, site) = build(None);
    let page = site.join("concepts/le-perceptron-multicouche.html");
    let (tab, seen) = open(&browser, &page);
    assert_clean(&tab, &seen, "bundled concept page");
    let maths = eval(&tab, "document.querySelectorAll('.note-body math').length");
    assert!(
        maths.as_u64().unwrap() > 5,
        "the MLP note's formulas: {maths}"
    );
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
        std::fs::write(repo().join("docs/concept-page.png"), &png).unwrap();
    }
}
