//! The index the static site searches offline, written as `.js` files that the page loads
//! with `<script>` tags (file:// forbids `fetch`), split so that a query loads only what it
//! needs:
//!
//! - `search/index.js`: the analysis rules (elisions, stop words), which chunks each `t/`
//!   file holds;
//! - `search/t/<n>.js`: chunks of terms, a chunk being the terms that start with the same two
//!   letters (its key): for each stem its postings (inline when short, else the number of its
//!   `p/` file), and the word forms the query script cannot stem by itself (see below).
//!   Consecutive chunks share a file of about [`CHUNK_FILE_BYTES`];
//! - `search/p/<n>.js`: the postings of frequent stems, each its best [`MAX_POSTINGS`] notes,
//!   consecutive stems sharing a file of about [`POSTINGS_FILE_BYTES`];
//! - `search/d/<n>.js`: the title, id, page, tags and text for snippets of notes
//!   `n·DOCS_PER_FILE ..` ([`DOCS_PER_FILE`] of them: one file per note would double the files
//!   a site writes, and the files a query reads stay small).
//!
//! Packing terms and postings into files of a few kilobytes keeps the files a site writes few
//! (a file costs a host, and the file system, more than its bytes) while a query still reads
//! one `t/` file and at most one `p/` file per word.
//!
//! Scores are tantivy's: each posting carries the BM25 score its note gets for that one stem
//! over the boosted fields (what `savoir search` sums for a query of several words), so the
//! page sums the same numbers. They are computed without building an index: one analysis
//! pass over the notes ([`vault_terms`]) gives the statistics tantivy's searcher would give,
//! and tantivy's own BM25 and field-norm quantisation turn them into scores ([`scores`]).
//! The page does not run a stemmer: it reads a word as the
//! longest known stem that starts it and leaves a suffix that stemming removes somewhere in
//! the vault; this module lists every word of the vault for which that rule would be wrong,
//! so that every word of the vault is read exactly as the index reads it. A word the vault
//! does not have is read by the rule, or as the closest stem when it looks like a typo.

mod scores;
mod vault_terms;

use super::SearchError;
use super::analyzer::rules;
use super::document::SearchDoc;
use crate::config::Language;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use vault_terms::VaultTerms;

/// The folder of the site that holds the index.
pub const SEARCH_DIR: &str = "search";
/// A stem keeps the postings of its best-scoring notes only.
pub const MAX_POSTINGS: usize = 500;
/// Postings this short are written inside their chunk.
const INLINE_POSTINGS: usize = 24;
/// A `t/` file holds consecutive chunks up to about this many bytes (one chunk may exceed it).
const CHUNK_FILE_BYTES: usize = 4 * 1024;
/// A `p/` file holds the postings of consecutive stems up to about this many bytes.
const POSTINGS_FILE_BYTES: usize = 12 * 1024;
/// Notes per `d/` file. A first query reads `index.js` (2 kB), per word a `t/` file and at most
/// one `p/` file, and the `d/` files of the eight hits the box shows (about 4 kB per note):
/// under the 150 kB a first query may load.
pub const DOCS_PER_FILE: usize = 3;
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
    /// The keys of the chunks in each `t/` file.
    chunks: Vec<Vec<&'a str>>,
}

/// The postings of one stem: `[note, score × 100 × 2 + in-title]` pairs, flattened.
type Postings = Vec<u32>;

/// One stem of a chunk.
#[derive(Serialize)]
struct TermEntry {
    /// Postings written inline.
    #[serde(skip_serializing_if = "Option::is_none")]
    p: Option<Postings>,
    /// Number of the `p/` file holding the postings (under the stem).
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
    let mut terms = VaultTerms::new(docs, language);
    let forms = std::mem::take(&mut terms.forms);
    let postings = scores::postings(terms);
    let stemming = PageStemming::new(forms, &postings);
    let mut chunks: BTreeMap<String, Chunk> = BTreeMap::new();
    let mut files = Vec::new();
    let mut spilled = Packer::new("p", "postings", POSTINGS_FILE_BYTES);
    for (stem, list) in postings {
        let entry = if list.len() <= 2 * INLINE_POSTINGS {
            TermEntry {
                p: Some(list),
                f: None,
            }
        } else {
            TermEntry {
                p: None,
                f: Some(spilled.add(&stem, &list)),
            }
        };
        chunks
            .entry(chunk_key(&stem))
            .or_default()
            .terms
            .insert(stem, entry);
    }
    files.extend(spilled.finish());
    for (form, stem) in &stemming.forms {
        let chunk = chunks.entry(chunk_key(form)).or_default();
        chunk.forms.insert(form.clone(), stem.clone());
    }
    let mut terms = Packer::new("t", "chunks", CHUNK_FILE_BYTES);
    let mut chunk_files: Vec<Vec<&str>> = Vec::new();
    for (key, chunk) in &chunks {
        let file = terms.add(key, chunk);
        if file == chunk_files.len() {
            chunk_files.push(Vec::new());
        }
        chunk_files[file].push(key);
    }
    files.extend(terms.finish());
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
        chunks: chunk_files,
    };
    files.push(js_file("index.js", "meta", "0", &meta));
    Ok(files)
}

/// The file `search/<path>` that calls `savoirSearch.<kind>(<key>, <json>);`.
fn js_file(path: &str, kind: &str, key: &str, value: &impl Serialize) -> IndexFile {
    let json = serde_json::to_string(value).expect("index data serialises");
    js_call(path, kind, key, &json)
}

/// The file `search/<path>` that calls `savoirSearch.<kind>(<key>, <json>);`, its JSON written.
fn js_call(path: &str, kind: &str, key: &str, json: &str) -> IndexFile {
    IndexFile {
        path: format!("{SEARCH_DIR}/{path}"),
        text: format!("savoirSearch.{kind}({key},{json});\n"),
    }
}

/// The chunk a stem or word form belongs to: its first two characters.
fn chunk_key(word: &str) -> String {
    word.chars().take(2).collect()
}

/// Writes keyed values, in order, into numbered files `search/<dir>/<n>.js` of about `target`
/// bytes each, each calling `savoirSearch.<kind>(<n>, {<key>: <value>, …});`.
struct Packer {
    dir: &'static str,
    kind: &'static str,
    target: usize,
    files: Vec<IndexFile>,
    /// The entries of the file being filled, `"key":value,…`.
    open: String,
}

impl Packer {
    fn new(dir: &'static str, kind: &'static str, target: usize) -> Packer {
        Packer {
            dir,
            kind,
            target,
            files: Vec::new(),
            open: String::new(),
        }
    }

    /// Adds `value` under `key`; gives the number of the file it is in.
    fn add(&mut self, key: &str, value: &impl Serialize) -> usize {
        let entry = format!(
            "{}:{}",
            serde_json::to_string(key).expect("a key serialises"),
            serde_json::to_string(value).expect("index data serialises")
        );
        if !self.open.is_empty() && self.open.len() + entry.len() > self.target {
            self.close();
        }
        if !self.open.is_empty() {
            self.open.push(',');
        }
        self.open.push_str(&entry);
        self.files.len()
    }

    /// Ends the file being filled.
    fn close(&mut self) {
        let n = self.files.len().to_string();
        let path = format!("{}/{n}.js", self.dir);
        let object = format!("{{{}}}", self.open);
        self.files.push(js_call(&path, self.kind, &n, &object));
        self.open.clear();
    }

    /// The files.
    fn finish(mut self) -> Vec<IndexFile> {
        if !self.open.is_empty() {
            self.close();
        }
        self.files
    }
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
    /// The rule and its exceptions for the vault's word forms `stems` (each with its stem).
    fn new(stems: Vec<(String, String)>, postings: &BTreeMap<String, Postings>) -> Self {
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
                aliases: (0..n % 3)
                    .map(|_| format!("{} {}", word(), word()))
                    .collect(),
                tags: vec![word().to_string()],
                headings: vec![word().to_string(), format!("L'{} des {}", word(), word())],
                body: (0..40).map(|_| word()).collect::<Vec<_>>().join(" "),
                relations: Vec::new(),
                implementation: None,
            })
            .collect()
    }

    /// What a tantivy index of `docs` gives: for each stem, the best [`MAX_POSTINGS`] notes of
    /// a query of `Should` clauses over the boosted searched fields.
    fn tantivy_postings(docs: &[SearchDoc], language: Language) -> BTreeMap<String, Postings> {
        use crate::search::analyzer::{self, ANALYZER_NAME};
        use crate::search::schema::Fields;
        use tantivy::collector::TopDocs;
        use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
        use tantivy::schema::IndexRecordOption;
        use tantivy::{Index, IndexWriter, Term};
        let fields = Fields::new();
        let index = Index::create_in_ram(fields.schema.clone());
        let mut full = analyzer::analyzer(language);
        index.tokenizers().register(ANALYZER_NAME, full.clone());
        // One indexing thread: one segment whose document ids are the notes' numbers.
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 50_000_000).unwrap();
        for doc in docs {
            writer.add_document(doc.to_tantivy(&fields)).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let segment = &searcher.segment_readers()[0];
        let mut stems = BTreeSet::new();
        for (field, _) in fields.searched() {
            let inverted = segment.inverted_index(field).unwrap();
            let mut terms = inverted.terms().stream().unwrap();
            while terms.advance() {
                stems.insert(String::from_utf8(terms.key().to_vec()).unwrap());
            }
        }
        let in_title: Vec<BTreeSet<String>> = docs
            .iter()
            .map(|doc| {
                std::iter::once(&doc.title)
                    .chain(&doc.aliases)
                    .flat_map(|text| analyzer::terms(&mut full, text))
                    .collect()
            })
            .collect();
        stems
            .into_iter()
            .map(|stem| {
                let clauses = fields
                    .searched()
                    .iter()
                    .map(|(field, boost)| {
                        let term = Term::from_field_text(*field, &stem);
                        let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
                        let boosted: Box<dyn Query> =
                            Box::new(BoostQuery::new(Box::new(query), *boost));
                        (Occur::Should, boosted)
                    })
                    .collect();
                let top = searcher
                    .search(
                        &BooleanQuery::new(clauses),
                        &TopDocs::with_limit(MAX_POSTINGS).order_by_score(),
                    )
                    .unwrap();
                let mut list: Vec<[u32; 2]> = top
                    .into_iter()
                    .map(|(score, address)| {
                        let note = address.doc_id;
                        let title = in_title[note as usize].contains(&stem);
                        [note, (score * 100.0).round() as u32 * 2 + u32::from(title)]
                    })
                    .collect();
                list.sort_unstable();
                (stem, list.concat())
            })
            .collect()
    }

    #[test]
    fn the_postings_are_those_of_a_tantivy_index() {
        let docs = notes(1_200);
        let ours = scores::postings(VaultTerms::new(&docs, Language::French));
        let theirs = tantivy_postings(&docs, Language::French);
        assert!(ours.values().any(|p| p.len() == 2 * MAX_POSTINGS));
        assert_eq!(ours.len(), theirs.len());
        for ((stem, a), (other, b)) in ours.iter().zip(&theirs) {
            assert_eq!(stem, other);
            assert!(a == b, "the postings of `{stem}` differ from tantivy's");
        }
    }

    /// The JSON a file `savoirSearch.<kind>(<key>,<json>);` passes.
    fn payload(file: &IndexFile) -> serde_json::Value {
        let start = file.text.find(',').unwrap() + 1;
        let end = file.text.rfind(");").unwrap();
        serde_json::from_str(&file.text[start..end]).unwrap()
    }

    #[test]
    fn each_word_finds_its_postings_through_the_files_the_index_names() {
        let docs = notes(1_200);
        let page = |doc: &SearchDoc| format!("concepts/{}.html", doc.id);
        let files = files(&docs, Language::French, &page).unwrap();
        let file = |path: String| {
            let found = files.iter().find(|f| f.path == path);
            payload(found.unwrap_or_else(|| panic!("{path} is missing")))
        };
        let expected = scores::postings(VaultTerms::new(&docs, Language::French));
        let meta = file("search/index.js".into());
        let mut found = 0;
        for (n, keys) in meta["chunks"].as_array().unwrap().iter().enumerate() {
            let chunks = file(format!("search/t/{n}.js"));
            for key in keys.as_array().unwrap() {
                let terms = chunks[key.as_str().unwrap()]["terms"].as_object().unwrap();
                for (stem, entry) in terms {
                    let postings = match &entry["f"] {
                        serde_json::Value::Null => entry["p"].clone(),
                        f => file(format!("search/p/{f}.js"))[stem].clone(),
                    };
                    let postings: Postings = serde_json::from_value(postings).unwrap();
                    assert_eq!(postings, expected[stem], "{stem}");
                    found += 1;
                }
            }
        }
        assert_eq!(found, expected.len(), "every stem once");
        for (dir, target) in [
            ("search/p/", POSTINGS_FILE_BYTES),
            ("search/t/", CHUNK_FILE_BYTES),
        ] {
            let sizes: Vec<usize> = files
                .iter()
                .filter(|f| f.path.starts_with(dir))
                .map(|f| f.text.len())
                .collect();
            let (last, full) = sizes.split_last().unwrap();
            assert!(!full.is_empty() && *last <= 2 * target, "{dir}: {sizes:?}");
            assert!(
                full.iter()
                    .all(|&size| size > target / 2 && size <= 2 * target),
                "files of about {target} bytes: {sizes:?}"
            );
        }
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
