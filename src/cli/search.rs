//! `savoir search`: ranked concepts with highlighted snippets, from the index in
//! `.savoir/index/` (built or brought up to date first, as needed).

use crate::cli::Outcome;
use crate::cli::args::{OutputFormat, SearchArgs};
use crate::cli::output::{self, Palette, paint};
use anyhow::{Context, Result, bail};
use savoir::config::{self, Language};
use savoir::graph::Schema;
use savoir::search::{Freshness, INDEX_DIR, IndexSpec, SearchRequest, SearchResults};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// One hit in the JSON of `savoir search`.
#[derive(Serialize)]
struct HitOut<'a> {
    title: &'a str,
    id: &'a str,
    path: &'a str,
    score: f32,
    tags: &'a [String],
    /// HTML: text escaped, matched words in `<b>`.
    snippet: String,
}

/// The JSON of `savoir search`.
#[derive(Serialize)]
struct SearchOut<'a> {
    query: &'a str,
    hits: Vec<HitOut<'a>>,
    /// Words that matched nothing and were read as the closest indexed words.
    corrected: &'a [String],
    /// When nothing matches: the closest titles.
    suggestions: &'a [String],
}

/// Searches the vault; a query that matches nothing is not an error (exit 0).
pub fn run(vault: &Path, config_file: Option<&Path>, args: &SearchArgs) -> Result<Outcome> {
    let request = SearchRequest {
        text: args.query.clone(),
        limit: args.limit,
        tag: args.tag.clone(),
        relation: args.relation.as_deref().map(parse_relation).transpose()?,
    };
    let language = match config::read(config_file)? {
        Some((file, text)) => config::language(&file, &text)?,
        None => Language::default(),
    };
    let relations = Schema::load(config_file)?;
    let spec = IndexSpec {
        dir: Path::new(INDEX_DIR),
        vault,
        language,
        relations: &relations,
    };
    let (index, freshness) = spec
        .open()
        .with_context(|| format!("cannot open the search index in {INDEX_DIR}"))?;
    report_freshness(freshness);
    let results = index.search(&request)?;
    let mut out = output::stdout();
    match args.format {
        OutputFormat::Json => output::write_json(&mut out, &json(&args.query, &results))?,
        OutputFormat::Text => write_text(&mut out, &args.query, &results, Palette::for_stdout())?,
    }
    out.flush()?;
    Ok(Outcome::Clean)
}

/// `subClassOf:RNN` → (`subClassOf`, `RNN`).
fn parse_relation(text: &str) -> Result<(String, String)> {
    match text.split_once(':') {
        Some((relation, target)) if !relation.trim().is_empty() && !target.trim().is_empty() => {
            Ok((relation.trim().to_string(), target.trim().to_string()))
        }
        _ => bail!(
            "--relation takes RELATION:TARGET, got `{text}`\n  help: for example `--relation subClassOf:RNN`"
        ),
    }
}

/// Says on stderr what keeping the index up to date took, when it took anything.
fn report_freshness(freshness: Freshness) {
    match freshness {
        Freshness::UpToDate => {}
        Freshness::Rebuilt { notes } => {
            eprintln!("indexed {} into {INDEX_DIR}", output::count(notes, "note"));
        }
        Freshness::Updated { upserted, deleted } => eprintln!(
            "updated the index: {} re-indexed, {} removed",
            output::count(upserted, "note"),
            output::count(deleted, "note")
        ),
        Freshness::Busy => {
            eprintln!("note: another savoir is updating the index; searching it as it is");
        }
    }
}

fn json<'a>(query: &'a str, results: &'a SearchResults) -> SearchOut<'a> {
    SearchOut {
        query,
        hits: results
            .hits
            .iter()
            .map(|hit| HitOut {
                title: &hit.title,
                id: &hit.id,
                path: &hit.path,
                score: hit.score,
                tags: &hit.tags,
                snippet: hit.snippet.to_html(),
            })
            .collect(),
        corrected: &results.corrected,
        suggestions: &results.suggestions,
    }
}

fn write_text(
    out: &mut dyn Write,
    query: &str,
    results: &SearchResults,
    p: Palette,
) -> std::io::Result<()> {
    if results.hits.is_empty() {
        writeln!(out, "no concept matches \"{}\"", query.trim())?;
        if !results.suggestions.is_empty() {
            let titles = results.suggestions.join("\", \"");
            writeln!(
                out,
                "{}: closest titles: \"{titles}\"",
                paint(p.help, "help")
            )?;
        }
        return Ok(());
    }
    if !results.corrected.is_empty() {
        writeln!(
            out,
            "{}",
            paint(
                p.dim,
                format!(
                    "(no exact match for {}: closest words used)",
                    results.corrected.join(", ")
                )
            )
        )?;
    }
    for (rank, hit) in results.hits.iter().enumerate() {
        writeln!(
            out,
            "{:>2}. {}  {}  {}",
            rank + 1,
            paint(p.strong, &hit.title),
            paint(p.dim, &hit.id),
            paint(p.dim, format!("{:.2}", hit.score))
        )?;
        if !hit.tags.is_empty() {
            writeln!(out, "    {}", paint(p.dim, hit.tags.join(", ")))?;
        }
        let snippet = hit.snippet.render(
            |plain| plain.replace('\n', " "),
            |word| paint(p.strong, word),
        );
        if !snippet.is_empty() {
            writeln!(out, "    {snippet}")?;
        }
    }
    Ok(())
}
