//! Running a user's query: parsing (phrases, `+must`, `-exclude`, `field:term`), BM25 over
//! the boosted fields, typo fallback, filters, snippets, and the closest titles when nothing
//! matches.

use super::SearchError;
use super::analyzer::{ANALYZER_NAME, terms};
use super::document::{normalize_tag, relation_key};
use super::store::SearchIndex;
use crate::graph::{normalize_name, slugify};
use crate::html::escape_html;
use std::collections::BTreeSet;
use std::ops::Range;
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, QueryParser, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

/// Characters of body text a snippet shows at most.
const SNIPPET_CHARS: usize = 160;

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// The query text.
    pub text: String,
    /// How many hits at most.
    pub limit: usize,
    /// Only concepts with this tag (or a tag nested under it).
    pub tag: Option<String>,
    /// Only concepts that write this relation (`subClassOf`) to this target (a title, alias,
    /// file stem or id).
    pub relation: Option<(String, String)>,
}

/// A piece of text with the matched words marked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snippet {
    /// The text.
    pub text: String,
    /// Byte ranges of `text` to highlight, in order, not overlapping.
    pub highlighted: Vec<Range<usize>>,
}

impl Snippet {
    /// The snippet as HTML: text escaped, matches in `<b>`.
    pub fn to_html(&self) -> String {
        self.render(escape_html, |word| format!("<b>{}</b>", escape_html(word)))
    }

    /// The snippet with each match passed through `mark` and the rest through `plain`.
    pub fn render(&self, plain: impl Fn(&str) -> String, mark: impl Fn(&str) -> String) -> String {
        let mut out = String::with_capacity(self.text.len() + 16);
        let mut at = 0;
        for range in &self.highlighted {
            out.push_str(&plain(&self.text[at..range.start]));
            out.push_str(&mark(&self.text[range.clone()]));
            at = range.end;
        }
        out.push_str(&plain(&self.text[at..]));
        out
    }
}

/// One matching concept.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Its title.
    pub title: String,
    /// Its id (slug).
    pub id: String,
    /// Its note's path relative to the vault.
    pub path: String,
    /// BM25 score (higher is better).
    pub score: f32,
    /// Its tags.
    pub tags: Vec<String>,
    /// Where the body matches (or how it starts, when only the title or tags match).
    pub snippet: Snippet,
}

/// The answer to a request.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    /// The hits, best first.
    pub hits: Vec<Hit>,
    /// Query words that matched nothing and were read as the closest indexed words.
    pub corrected: Vec<String>,
    /// When there is no hit: the titles closest to the query.
    pub suggestions: Vec<String>,
}

impl SearchIndex {
    /// Runs `request` on the index.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let searcher = self.reader.searcher();
        let text = request.text.trim();
        let (text_query, corrected): (Box<dyn Query>, Vec<String>) = if text.is_empty() {
            (Box::new(AllQuery), Vec::new())
        } else {
            let parsed = self
                .parser()
                .parse_query(&apostrophes_in_words(text))
                .map_err(|error| SearchError::Syntax {
                    query: text.to_string(),
                    message: error.to_string(),
                })?;
            self.with_typo_fallback(&searcher, parsed, text)?
        };
        let mut clauses = vec![(Occur::Must, text_query)];
        if let Some(tag) = &request.tag {
            let term = Term::from_field_text(self.fields.tag, &normalize_tag(tag));
            clauses.push((Occur::Must, exact(term)));
        }
        if let Some((relation, target)) = &request.relation {
            clauses.push((
                Occur::Must,
                self.relation_filter(&searcher, relation, target)?,
            ));
        }
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(
            &query,
            &TopDocs::with_limit(request.limit.max(1)).order_by_score(),
        )?;
        let mut snippets = SnippetGenerator::create(&searcher, &query, self.fields.body)?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let hits = top
            .into_iter()
            .map(|(score, address)| self.hit(&searcher, &snippets, score, address))
            .collect::<Result<Vec<_>, _>>()?;
        let suggestions = if hits.is_empty() && !text.is_empty() {
            self.closest_titles(&searcher, text)?
        } else {
            Vec::new()
        };
        Ok(SearchResults {
            hits,
            corrected,
            suggestions,
        })
    }

    fn parser(&self) -> QueryParser {
        let searched = self.fields.searched();
        let mut parser =
            QueryParser::for_index(&self.index, searched.iter().map(|(f, _)| *f).collect());
        for (field, boost) in searched {
            parser.set_field_boost(field, boost);
        }
        parser
    }

    /// `parsed`, plus, for each of its words found in no searched field, the indexed words
    /// within edit distance 1 (2 for words of 8 characters or more), the closest ones only.
    fn with_typo_fallback(
        &self,
        searcher: &Searcher,
        parsed: Box<dyn Query>,
        text: &str,
    ) -> Result<(Box<dyn Query>, Vec<String>), SearchError> {
        let searched = self.fields.searched();
        let mut words = BTreeSet::new();
        parsed.query_terms(&mut |term, in_phrase| {
            if !in_phrase
                && searched.iter().any(|(f, _)| *f == term.field())
                && let Some(word) = term.value().as_str()
            {
                words.insert(word.to_string());
            }
        });
        let mut fallbacks: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut corrected = Vec::new();
        for word in words {
            if self.occurs(searcher, &word)? {
                continue;
            }
            let near = self.nearest_words(searcher, &word)?;
            if near.is_empty() {
                continue;
            }
            let alternatives = near
                .iter()
                .flat_map(|near| {
                    searched.iter().map(move |(field, boost)| {
                        let term = Term::from_field_text(*field, near);
                        let query: Box<dyn Query> = Box::new(BoostQuery::new(scored(term), *boost));
                        (Occur::Should, query)
                    })
                })
                .collect();
            fallbacks.push((Occur::Should, Box::new(BooleanQuery::new(alternatives))));
            corrected.push(self.typed_word(text, &word));
        }
        if fallbacks.is_empty() {
            return Ok((parsed, corrected));
        }
        fallbacks.insert(0, (Occur::Should, parsed));
        Ok((Box::new(BooleanQuery::new(fallbacks)), corrected))
    }

    /// The word of the query `text` that analyses to `term` (the term itself if none does).
    fn typed_word(&self, text: &str, term: &str) -> String {
        let mut analyzer = self
            .index
            .tokenizers()
            .get(ANALYZER_NAME)
            .expect("registered");
        text.split_whitespace()
            .find(|word| terms(&mut analyzer, word).iter().any(|t| t == term))
            .map_or(term, |word| {
                word.trim_matches(|c: char| !c.is_alphanumeric())
            })
            .to_string()
    }

    /// Whether the analysed `word` is in any searched field.
    fn occurs(&self, searcher: &Searcher, word: &str) -> Result<bool, SearchError> {
        for (field, _) in self.fields.searched() {
            if searcher.doc_freq(&Term::from_field_text(field, word))? > 0 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The indexed words closest to `word` (edit distance 1, or 2 from 8 characters;
    /// a transposition counts as one).
    fn nearest_words(&self, searcher: &Searcher, word: &str) -> Result<Vec<String>, SearchError> {
        let distance = if word.chars().count() >= 8 { 2 } else { 1 };
        let mut found = BTreeSet::new();
        for (field, _) in self.fields.searched() {
            let fuzzy = FuzzyTermQuery::new(Term::from_field_text(field, word), distance, true);
            for segment in searcher.segment_readers() {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted.terms().search(fuzzy.automaton()?).into_stream()?;
                while stream.advance() {
                    if let Ok(near) = std::str::from_utf8(stream.key()) {
                        found.insert(near.to_string());
                    }
                }
            }
        }
        let closest = found
            .iter()
            .map(|near| strsim::damerau_levenshtein(word, near))
            .min();
        Ok(found
            .into_iter()
            .filter(|near| Some(strsim::damerau_levenshtein(word, near)) == closest)
            .collect())
    }

    /// Concepts that write `relation` to `target`: the target is resolved against every
    /// indexed concept's names; a target no note describes is matched by its id (slug).
    fn relation_filter(
        &self,
        searcher: &Searcher,
        relation: &str,
        target: &str,
    ) -> Result<Box<dyn Query>, SearchError> {
        let name = Term::from_field_text(self.fields.names, &normalize_name(target));
        let targets = searcher.search(&exact(name), &TopDocs::with_limit(64).order_by_score())?;
        let mut ids = BTreeSet::from([slugify(target)]);
        for (_, address) in targets {
            let doc: TantivyDocument = searcher.doc(address)?;
            ids.extend(first_text(&doc, self.fields.id));
        }
        let keys = ids
            .iter()
            .map(|id| {
                let term = Term::from_field_text(self.fields.relation, &relation_key(relation, id));
                (Occur::Should, exact(term))
            })
            .collect();
        Ok(Box::new(BooleanQuery::new(keys)))
    }

    fn hit(
        &self,
        searcher: &Searcher,
        snippets: &SnippetGenerator,
        score: f32,
        address: DocAddress,
    ) -> Result<Hit, SearchError> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let found = snippets.snippet_from_doc(&doc);
        let snippet = if found.is_empty() {
            let body = first_text(&doc, self.fields.body).unwrap_or_default();
            Snippet {
                text: opening(&body, SNIPPET_CHARS),
                highlighted: Vec::new(),
            }
        } else {
            Snippet {
                text: found.fragment().to_string(),
                highlighted: found.highlighted().to_vec(),
            }
        };
        Ok(Hit {
            title: first_text(&doc, self.fields.title).unwrap_or_default(),
            id: first_text(&doc, self.fields.id).unwrap_or_default(),
            path: first_text(&doc, self.fields.path).unwrap_or_default(),
            score,
            tags: all_texts(&doc, self.fields.tags),
            snippet,
        })
    }

    /// Up to three titles closest to `text` (by normalised edit distance, aliases included).
    fn closest_titles(&self, searcher: &Searcher, text: &str) -> Result<Vec<String>, SearchError> {
        let wanted = text.to_lowercase();
        let mut scored = Vec::new();
        for segment in searcher.segment_readers() {
            let store = segment.get_store_reader(64)?;
            for doc_id in segment.doc_ids_alive() {
                let doc: TantivyDocument = store.get(doc_id)?;
                let title = first_text(&doc, self.fields.title).unwrap_or_default();
                let best = std::iter::once(title.clone())
                    .chain(all_texts(&doc, self.fields.aliases))
                    .map(|name| strsim::normalized_levenshtein(&wanted, &name.to_lowercase()))
                    .fold(0.0, f64::max);
                scored.push((best, title));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Ok(scored.into_iter().take(3).map(|(_, title)| title).collect())
    }
}

/// The query with each `'` between two letters made typographic (`d'activation` →
/// `d’activation`): the query syntax reads `'` as a quote, the analyzer reads both as an
/// apostrophe.
fn apostrophes_in_words(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let between_letters = i > 0
                && chars[i - 1].is_alphabetic()
                && chars.get(i + 1).is_some_and(|next| next.is_alphabetic());
            if c == '\'' && between_letters {
                '’'
            } else {
                c
            }
        })
        .collect()
}

/// A filter on an exact term (no scoring).
fn exact(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
}

/// A BM25-scored term.
fn scored(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
}

fn first_text(doc: &TantivyDocument, field: Field) -> Option<String> {
    doc.get_first(field)
        .and_then(|value| value.as_str())
        .map(str::to_string)
}

fn all_texts(doc: &TantivyDocument, field: Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|value| value.as_str())
        .map(str::to_string)
        .collect()
}

/// The first words of `text`, cut at a word boundary near `max_chars`, with `…` when cut.
fn opening(text: &str, max_chars: usize) -> String {
    let line = text.replace('\n', " ");
    if line.chars().count() <= max_chars {
        return line;
    }
    let cut: String = line.chars().take(max_chars).collect();
    let end = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_escapes_html_and_marks_matches() {
        let snippet = Snippet {
            text: "a <b> réseau & co".into(),
            highlighted: std::iter::once(6..13).collect(),
        };
        assert_eq!(snippet.to_html(), "a &lt;b&gt; <b>réseau</b> &amp; co");
    }

    #[test]
    fn apostrophes_inside_words_become_typographic_and_quotes_stay() {
        assert_eq!(
            apostrophes_in_words("fonction d'activation 'x'"),
            "fonction d’activation 'x'"
        );
    }

    #[test]
    fn an_opening_is_cut_at_a_word() {
        assert_eq!(opening("un deux trois", 9), "un deux…");
        assert_eq!(opening("court", 9), "court");
    }
}
