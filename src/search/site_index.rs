//! The index the static site searches offline, written as `.js` files that the page loads
//! with `<script>` tags (file:// forbids `fetch`), split so that a query loads only what it
//! needs:
//!
//! - `search/index.js`: the analysis rules (elisions, stop words), the list of chunks;
//! - `search/t/<key>.js`: the terms starting with `<key>` (their first two letters): for each
//!   stem its postings (inline when short, else the number of its `p/` file), and the word
//!   forms the query script cannot stem by itself (see below);
//! - `search/p/<n>.js`: the postings of one frequent stem, its best [`MAX_POSTINGS`] notes;
//! - `search/d/<n>.js`: the title, id, page, tags and text for snippets of notes
//!   `n·DOCS_PER_FILE ..` ([`DOCS_PER_FILE`] of them: one file per note would double the files
//!   a site writes, and the files a query reads stay small).
//!
//! Scores are tantivy's: each posting carries the BM25 score its note gets for that one stem
//! over the boosted fields (what `savoir search` sums for a query of several words), so the
//! page sums the same numbers. The page does not run a stemmer: it reads a word as the
//! longest known stem that starts it and leaves a suffix that stemming removes somewhere in
//! the vault; this module lists every word of the vault for which that rule would be wrong,
//! so that every word of the vault is read exactly as the index reads it. A word the vault
//! does not have is read by the rule, or as the closest stem when it looks like a typo.

use super::SearchError;
use super::analyzer::{self, rules};
use super::document::SearchDoc;
use super::store::{SearchIndex, build_index};
use crate::config::Language;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::tokenizer::TokenStream;
use tantivy::{TantivyDocument, Term};

/// The folder of the site that holds the index.
pub const SEARCH_DIR: &str = "search";
/// A stem keeps the postings of its best-scoring notes only.
pub const MAX_POSTINGS: usize = 500;
/// Postings this short are written inside their chunk.
const INLINE_POSTINGS: usize = 24;
/// Notes per `d/` file: a first query showing ten hits reads at most ten of these files
/// (about 4 kB per note), which keeps it well under 150 kB.
pub const DOCS_PER_FILE: usize = 3;
/// Notes per parallel share when listing the vault's word forms.
const FORMS_SHARE: usize = 256;
/// Characters of a note's text kept for snippets.
const SNIPPET_TEXT_CHARS: usize = 4000;

/// The global file: what the query script needs before its first lookup.
#[derive(Serialize)]
struct Meta<'a> {
    language: &'a str,
    elisions: &'a [&'a str],
    stop_words: &'a [&'a str],
    suffixes: &'a BTreeSet<String>,
    docs: usize,
    docs_per_file: usize,
    chunks: Vec<&'a str>,
}

/// The postings of one stem: `[note, score × 100 × 2 + in-title]` pairs, flattened.
type Postings = Vec<u32>;

/// One stem of a chunk.
#[derive(Serialize)]
struct TermEntry {
    /// Postings written inline.
    #[serde(skip_serializing_if = "Option::is_none")]
    p: Option<Postings>,
    /// Number of the `p/` file holding the postings.
    #[serde(skip_serializing_if = "Option::is_none")]
    f: Option<usize>,
}

/// One chunk: the stems and exceptional word forms starting with its key.
#[derive(Default, Serialize)]
struct Chunk {
    terms: BTreeMap<String, TermEntry>,
    forms: BTreeMap<String, String>,
}

/// One note's display data.
#[derive(Serialize)]
struct DocEntry<'a> {
    title: &'a str,
    id: &'a str,
    url: String,
    tags: &'a [String],
    text: String,
}

/// One file of the site's search index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    /// Its path from the site root (`search/t/re.js`).
    pub path: String,
    /// Its content.
    pub text: String,
}

/// The site's search index for `docs` (the vault's notes, in vault order); `page_url` gives a
/// concept's page, relative to the site root.
pub fn files(
    docs: &[SearchDoc],
    language: Language,
    page_url: &dyn Fn(&SearchDoc) -> String,
) -> Result<Vec<IndexFile>, SearchError> {
    let index = build_index(None, docs, language)?;
    let postings = all_postings(&index, docs)?;
    let stemming = PageStemming::new(docs, language, &postings);
    let mut chunks: BTreeMap<String, Chunk> = BTreeMap::new();
    let mut files = Vec::new();
    let mut spilled = 0;
    for (stem, list) in postings {
        let entry = if list.len() <= 2 * INLINE_POSTINGS {
            TermEntry {
                p: Some(list),
                f: None,
            }
        } else {
            files.push(js_file(
                &format!("p/{spilled}.js"),
                "postings",
                &spilled.to_string(),
                &list,
            ));
            spilled += 1;
            TermEntry {
                p: None,
                f: Some(spilled - 1),
            }
        };
        chunks
            .entry(chunk_key(&stem))
            .or_default()
            .terms
            .insert(stem, entry);
    }
    for (form, stem) in &stemming.forms {
        let chunk = chunks.entry(chunk_key(form)).or_default();
        chunk.forms.insert(form.clone(), stem.clone());
    }
    for (key, chunk) in &chunks {
        let path = format!("t/{}.js", chunk_file(key));
        files.push(js_file(
            &path,
            "chunk",
            &serde_json::to_string(key).expect("a key"),
            chunk,
        ));
    }
    for (n, group) in docs.chunks(DOCS_PER_FILE).enumerate() {
        let entries: Vec<DocEntry> = group
            .iter()
            .map(|doc| DocEntry {
                title: &doc.title,
                id: &doc.id,
                url: page_url(doc),
                tags: &doc.tags,
                text: doc.body.chars().take(SNIPPET_TEXT_CHARS).collect(),
            })
            .collect();
        let first = (n * DOCS_PER_FILE).to_string();
        files.push(js_file(&format!("d/{n}.js"), "docs", &first, &entries));
    }
    let rules = rules(language);
    let meta = Meta {
        language: language.code(),
        elisions: rules.elisions,
        stop_words: rules.stop_words,
        suffixes: &stemming.suffixes,
        docs: docs.len(),
        docs_per_file: DOCS_PER_FILE,
        chunks: chunks.keys().map(String::as_str).collect(),
    };
    files.push(js_file("index.js", "meta", "0", &meta));
    Ok(files)
}

/// The file `search/<path>` that calls `savoirSearch.<kind>(<key>, <json>);`.
fn js_file(path: &str, kind: &str, key: &str, value: &impl Serialize) -> IndexFile {
    let json = serde_json::to_string(value).expect("index data serialises");
    IndexFile {
        path: format!("{SEARCH_DIR}/{path}"),
        text: format!("savoirSearch.{kind}({key},{json});\n"),
    }
}

/// The chunk a stem or word form belongs to: its first two characters.
pub fn chunk_key(word: &str) -> String {
    word.chars().take(2).collect()
}

/// The file name of a chunk: the key itself when it is ASCII letters and digits, else `x`
/// and the hex of its UTF-8 bytes.
pub fn chunk_file(key: &str) -> String {
    if key
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        key.to_string()
    } else {
        std::iter::once("x".to_string())
            .chain(key.bytes().map(|b| format!("{b:02x}")))
            .collect()
    }
}

/// For every stem of the searched fields, the notes it scores in (best [`MAX_POSTINGS`]),
/// as flattened `[note, score]` pairs sorted by note.
fn all_postings(
    index: &SearchIndex,
    docs: &[SearchDoc],
) -> Result<BTreeMap<String, Postings>, SearchError> {
    let searcher = index.reader.searcher();
    let number: HashMap<&str, u32> = docs
        .iter()
        .enumerate()
        .map(|(n, doc)| (doc.path.as_str(), n as u32))
        .collect();
    let mut note_of = HashMap::new();
    let mut stems = BTreeSet::new();
    for (segment_ord, segment) in searcher.segment_readers().iter().enumerate() {
        let store = segment.get_store_reader(64)?;
        for doc_id in segment.doc_ids_alive() {
            let doc: TantivyDocument = store.get(doc_id)?;
            let path = doc.get_first(index.fields.path).and_then(|v| v.as_str());
            if let Some(n) = path.and_then(|p| number.get(p)) {
                note_of.insert((segment_ord as u32, doc_id), *n);
            }
        }
        for (field, _) in index.fields.searched() {
            let inverted = segment.inverted_index(field)?;
            let mut terms = inverted.terms().stream()?;
            while terms.advance() {
                if let Ok(stem) = std::str::from_utf8(terms.key()) {
                    stems.insert(stem.to_string());
                }
            }
        }
    }
    let title_stems = title_stems(docs, index.language);
    let searched = index.fields.searched();
    stems
        .into_par_iter()
        .map(|stem| {
            let clauses = searched
                .iter()
                .map(|(field, boost)| {
                    let term = Term::from_field_text(*field, &stem);
                    let query: Box<dyn Query> = Box::new(BoostQuery::new(
                        Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                        *boost,
                    ));
                    (Occur::Should, query)
                })
                .collect();
            let query = BooleanQuery::new(clauses);
            let top =
                searcher.search(&query, &TopDocs::with_limit(MAX_POSTINGS).order_by_score())?;
            let mut list: Vec<(u32, u32)> = top
                .into_iter()
                .filter_map(|(score, address)| {
                    let note = *note_of.get(&(address.segment_ord, address.doc_id))?;
                    let in_title = title_stems[note as usize].contains(&stem);
                    let scaled = (score * 100.0).round() as u32;
                    Some((note, scaled * 2 + u32::from(in_title)))
                })
                .collect();
            list.sort_unstable();
            let flat = list
                .into_iter()
                .flat_map(|(note, score)| [note, score])
                .collect();
            Ok((stem, flat))
        })
        .collect()
}

/// Each note's stems of its title and aliases.
fn title_stems(docs: &[SearchDoc], language: Language) -> Vec<BTreeSet<String>> {
    let mut analyzer = analyzer::analyzer(language);
    docs.iter()
        .map(|doc| {
            std::iter::once(&doc.title)
                .chain(&doc.aliases)
                .flat_map(|text| analyzer::terms(&mut analyzer, text))
                .collect()
        })
        .collect()
}

/// How the page reads a word form without a stemmer: the suffixes stemming removes in this
/// vault, and the forms the rule "the longest known stem that starts the form and leaves one
/// of these suffixes" reads wrongly, with the stem they must be read as.
#[derive(Debug, Default)]
struct PageStemming {
    suffixes: BTreeSet<String>,
    forms: BTreeMap<String, String>,
}

impl PageStemming {
    /// The rule and its exceptions for every word form of `docs`.
    fn new(docs: &[SearchDoc], language: Language, postings: &BTreeMap<String, Postings>) -> Self {
        let stems: Vec<(String, String)> = vault_forms(docs, language)
            .into_par_iter()
            .map_init(
                || analyzer::stemmer(language),
                |stemmer, form| {
                    let stem = analyzer::terms(stemmer, &form).pop()?;
                    Some((form, stem))
                },
            )
            .flatten()
            .collect();
        let mut rule = PageStemming::default();
        for (form, stem) in &stems {
            if let Some(suffix) = form.strip_prefix(stem.as_str()) {
                rule.suffixes.insert(suffix.to_string());
            }
        }
        let misread: Vec<(String, String)> = stems
            .into_par_iter()
            .filter(|(form, stem)| rule.read(form, postings).as_deref() != Some(stem.as_str()))
            .collect();
        rule.forms.extend(misread);
        rule
    }

    /// The stem the rule reads `form` as: the longest known stem that starts it and leaves a
    /// known suffix.
    fn read(&self, form: &str, postings: &BTreeMap<String, Postings>) -> Option<String> {
        let mut ends: Vec<usize> = form.char_indices().map(|(i, _)| i).skip(1).collect();
        ends.push(form.len());
        ends.into_iter()
            .rev()
            .find(|&end| {
                postings.contains_key(&form[..end]) && self.suffixes.contains(&form[end..])
            })
            .map(|end| form[..end].to_string())
    }
}

/// Every word form of the notes, analysed up to stemming (notes analysed in parallel, each
/// form copied once per thread's share).
fn vault_forms(docs: &[SearchDoc], language: Language) -> BTreeSet<String> {
    let shares: Vec<HashSet<String>> = docs
        .par_chunks(FORMS_SHARE)
        .map(|share| {
            let mut unstemmed = analyzer::unstemmed(language);
            let mut forms = HashSet::new();
            for doc in share {
                let texts = std::iter::once(&doc.title)
                    .chain(&doc.aliases)
                    .chain(&doc.tags)
                    .chain(&doc.headings)
                    .chain(std::iter::once(&doc.body));
                for text in texts {
                    let mut stream = unstemmed.token_stream(text);
                    while let Some(token) = stream.next() {
                        if !forms.contains(token.text.as_str()) {
                            forms.insert(token.text.clone());
                        }
                    }
                }
            }
            forms
        })
        .collect();
    shares.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` notes of sentences drawn from a few dozen words: frequent stems whose postings
    /// are cut at [`MAX_POSTINGS`] among notes of nearly equal scores.
    fn notes(count: usize) -> Vec<SearchDoc> {
        const WORDS: [&str; 24] = [
            "réseau",
            "neurone",
            "gradient",
            "couche",
            "poids",
            "biais",
            "erreur",
            "modèle",
            "donnée",
            "calcul",
            "vecteur",
            "matrice",
            "fonction",
            "perte",
            "pas",
            "descente",
            "entrée",
            "sortie",
            "activation",
            "noyau",
            "image",
            "classe",
            "apprentissage",
            "score",
        ];
        let mut state = 0x9e37_79b9_u64;
        let mut word = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            WORDS[(state >> 33) as usize % WORDS.len()]
        };
        (0..count)
            .map(|n| SearchDoc {
                id: format!("note-{n}"),
                path: format!("note-{n}.md"),
                title: format!("{} {n}", word()),
                aliases: Vec::new(),
                tags: vec![word().to_string()],
                headings: vec![word().to_string()],
                body: (0..40).map(|_| word()).collect::<Vec<_>>().join(" "),
                relations: Vec::new(),
                implementation: None,
            })
            .collect()
    }

    #[test]
    fn the_same_notes_give_the_same_index_files() {
        let docs = notes(1_200);
        let page = |doc: &SearchDoc| format!("concepts/{}.html", doc.id);
        let first = files(&docs, Language::French, &page).unwrap();
        assert!(
            first.iter().any(|f| f.path.starts_with("search/p/")),
            "the notes must give postings long enough to be cut"
        );
        for _ in 0..2 {
            let again = files(&docs, Language::French, &page).unwrap();
            assert_eq!(first.len(), again.len());
            for (a, b) in first.iter().zip(&again) {
                assert!(a == b, "{} differs between two builds", a.path);
            }
        }
    }
}
