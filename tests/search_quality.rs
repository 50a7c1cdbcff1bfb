//! Search quality on the bundled vault: every query of `tests/fixtures/search/quality.toml`
//! finds its expected notes within their ranks, with `savoir search`'s index and with the
//! site's index searched by the page's own script (run in node), and both agree on the top 3
//! for at least 90 % of the queries.

mod common;

use savoir::config::{self, Language};
use savoir::graph::{ConceptGraph, Schema};
use savoir::search::document::SearchDoc;
use savoir::search::{IndexSpec, SearchRequest, site_index, store};
use savoir::vault::{self, Bodies};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

#[derive(Deserialize)]
struct QualitySet {
    query: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    /// Concept id → worst acceptable rank (1-based).
    expect: BTreeMap<String, usize>,
}

fn quality_set() -> QualitySet {
    let text = std::fs::read_to_string(common::fixture("search/quality.toml")).unwrap();
    toml::from_str(&text).expect("quality.toml parses")
}

fn vault_language() -> Language {
    let file = common::repo().join("savoir.toml");
    config::language(&file, &std::fs::read_to_string(&file).unwrap()).unwrap()
}

/// The ids `savoir search` ranks for each query (top 10).
fn cli_rankings(cases: &[Case]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let relations = Schema::builtin();
    let spec = IndexSpec {
        dir: &dir.path().join("index"),
        vault: &common::repo().join("notes"),
        language: vault_language(),
        relations: &relations,
    };
    let (index, _) = spec.open().expect("the index builds");
    cases
        .iter()
        .map(|case| {
            let request = SearchRequest {
                text: case.text.clone(),
                limit: 10,
                ..SearchRequest::default()
            };
            let results = index.search(&request).expect("the query runs");
            results.hits.into_iter().map(|hit| hit.id).collect()
        })
        .collect()
}

/// node, or `None` (with a message) when it is missing outside CI.
fn node() -> Option<&'static str> {
    let found = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "node is required in CI for the site search tests"
        );
        eprintln!("skipped: node is not installed (the site search tests need it)");
    }
    found.then_some("node")
}

/// Runs the page's search script in node on the site index in `site`, with `request`.
fn run_site_script(node: &str, site: &Path, request: &serde_json::Value) -> serde_json::Value {
    let mut child = Command::new(node)
        .arg(common::fixture("search/site_search.js"))
        .arg(common::repo().join("templates/assets/search.js"))
        .arg(site.join(site_index::SEARCH_DIR))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "search.js failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("search.js prints JSON")
}

/// Writes the site index of the bundled vault into a temporary folder.
fn site_of_notes() -> (tempfile::TempDir, Vec<SearchDoc>) {
    let vault = vault::load_with(&common::repo().join("notes"), Bodies::Keep).unwrap();
    let graph = ConceptGraph::build(&vault, &Schema::builtin());
    let docs = store::documents(&vault, &graph, |_| true);
    (site_index_of(&docs, vault_language()), docs)
}

/// Writes the site index of `docs` into a temporary folder.
fn site_index_of(docs: &[SearchDoc], language: Language) -> tempfile::TempDir {
    let site = tempfile::tempdir().unwrap();
    let files = site_index::files(docs, language, &|doc| format!("{}.html", doc.id))
        .expect("the site index is made");
    for file in files {
        let path = site.path().join(&file.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, file.text).unwrap();
    }
    site
}

/// The rank failures of one ranking: "query: id expected within N, got M".
fn rank_failures(cases: &[Case], rankings: &[Vec<String>]) -> Vec<String> {
    let mut failures = Vec::new();
    for (case, ranking) in cases.iter().zip(rankings) {
        for (id, worst) in &case.expect {
            let rank = ranking.iter().position(|hit| hit == id).map(|r| r + 1);
            if rank.is_none_or(|rank| rank > *worst) {
                failures.push(format!(
                    "`{}`: {id} expected within rank {worst}, got {rank:?} (ranking {ranking:?})",
                    case.text
                ));
            }
        }
    }
    failures
}

#[test]
fn the_quality_set_is_realistic_in_size() {
    let set = quality_set();
    assert!(set.query.len() >= 30, "{} queries", set.query.len());
}

#[test]
fn the_cli_finds_every_expected_note_within_its_rank() {
    let set = quality_set();
    let failures = rank_failures(&set.query, &cli_rankings(&set.query));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_site_index_ranks_like_the_cli() {
    let Some(node) = node() else { return };
    let set = quality_set();
    let (site, _) = site_of_notes();
    let queries: Vec<&str> = set.query.iter().map(|c| c.text.as_str()).collect();
    let out = run_site_script(
        node,
        site.path(),
        &serde_json::json!({ "queries": queries, "limit": 10 }),
    );
    let site_rankings: Vec<Vec<String>> = serde_json::from_value(out["results"].clone()).unwrap();
    let failures = rank_failures(&set.query, &site_rankings);
    assert!(failures.is_empty(), "site search:\n{}", failures.join("\n"));

    let cli = cli_rankings(&set.query);
    let top3 = |ranking: &Vec<String>| ranking.iter().take(3).cloned().collect::<Vec<_>>();
    let differing: Vec<String> = set
        .query
        .iter()
        .zip(cli.iter().zip(&site_rankings))
        .filter(|(_, (cli, site))| top3(cli) != top3(site))
        .map(|(case, (cli, site))| {
            format!(
                "`{}`: cli {:?}, site {:?}",
                case.text,
                top3(cli),
                top3(site)
            )
        })
        .collect();
    assert!(
        differing.len() * 10 <= set.query.len(),
        "top 3 differ for {} of {} queries:\n{}",
        differing.len(),
        set.query.len(),
        differing.join("\n")
    );
}

#[test]
fn the_page_analyses_every_word_of_the_vault_as_the_index_does() {
    let Some(node) = node() else { return };
    let (site, docs) = site_of_notes();
    let all: Vec<String> = docs
        .iter()
        .flat_map(|doc| {
            let lines = doc.body.lines().map(str::to_string);
            [doc.title.clone()]
                .into_iter()
                .chain(doc.aliases.clone())
                .chain(doc.tags.clone())
                .chain(doc.headings.clone())
                .chain(lines)
        })
        .collect();
    let out = run_site_script(node, site.path(), &serde_json::json!({ "analyse": all }));
    let page: Vec<Vec<String>> = serde_json::from_value(out["forms"].clone()).unwrap();
    let mut unstemmed = savoir::search::analyzer::unstemmed(vault_language());
    let mut differences = Vec::new();
    for (text, page_forms) in all.iter().zip(&page) {
        let index_forms = savoir::search::analyzer::terms(&mut unstemmed, text);
        if &index_forms != page_forms {
            differences.push(format!(
                "{text:?}\n  index {index_forms:?}\n  page  {page_forms:?}"
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn a_snippet_shows_the_first_passage_that_matches_with_every_match_marked() {
    let Some(node) = node() else { return };
    let (site, _) = site_of_notes();
    let filler = "Un paragraphe qui ne parle que d'autre chose. ".repeat(60);
    let text = format!(
        "{filler}La descente de gradient suit la pente ; chaque pas de gradient réduit la perte. {filler}"
    );
    let request = serde_json::json!({ "snippet": { "text": text, "stems": ["gradient"] } });
    let parts = run_site_script(node, site.path(), &request)["parts"].clone();
    let parts: Vec<(String, bool)> = parts
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["text"].as_str().unwrap().to_string(), p["mark"] == true))
        .collect();
    let shown: String = parts.iter().map(|(text, _)| text.as_str()).collect();
    let marked: Vec<&str> = parts
        .iter()
        .filter(|(_, mark)| *mark)
        .map(|(text, _)| text.as_str())
        .collect();
    assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
    assert!(shown.contains("La descente de gradient suit"), "{shown}");
    assert_eq!(marked, ["gradient", "gradient"], "{shown}");
}

#[test]
fn the_page_finds_a_frequent_word_in_every_note_and_a_rare_one_in_its_own() {
    let Some(node) = node() else { return };
    // 300 notes share "gradient" and 50 "filtre" (postings in `p/` files, several stems to a
    // file), and each has a word of its own (postings inline in the `t/` files).
    let words = ["gradient", "perte", "couche", "poids", "erreur", "sortie"];
    let docs: Vec<SearchDoc> = (0..300)
        .map(|n| SearchDoc {
            id: format!("note-{n}"),
            path: format!("note-{n}.md"),
            title: format!("Note {n}"),
            aliases: Vec::new(),
            tags: Vec::new(),
            headings: Vec::new(),
            body: format!(
                "{} {} mot{}unique",
                words.join(" "),
                if n % 6 == 4 { "filtre" } else { "" },
                to_letters(n)
            ),
            relations: Vec::new(),
            implementation: None,
        })
        .collect();
    let site = site_index_of(&docs, Language::French);
    let out = run_site_script(
        node,
        site.path(),
        &serde_json::json!({ "queries": ["gradient", "erreurs", "filtres", "motbkunique"], "limit": 1000 }),
    );
    let results: Vec<Vec<String>> = serde_json::from_value(out["results"].clone()).unwrap();
    assert_eq!(results[0].len(), 300, "gradient");
    assert_eq!(results[1].len(), 300, "erreurs: the stem of erreur");
    let mut filtre = results[2].clone();
    filtre.sort_by_key(|id| id[5..].parse::<usize>().unwrap());
    let expected: Vec<String> = (0..300)
        .filter(|n| n % 6 == 4)
        .map(|n| format!("note-{n}"))
        .collect();
    assert_eq!(filtre, expected, "filtres: the notes that say filtre");
    assert_eq!(results[3], ["note-36"]);
}

/// `n` in letters (`a` for 0, `bk` for 36): words the analyser keeps whole.
fn to_letters(mut n: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    letters.reverse();
    String::from_utf8(letters).unwrap()
}
