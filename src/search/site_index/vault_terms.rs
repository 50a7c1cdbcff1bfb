//! One analysis pass over the notes: for every searched field of every note, the stems with
//! their frequencies and the number of tokens, as tantivy's index would hold them, and the
//! vault's word forms with their stems.
//!
//! Each text is split into words ([`analyzer::words`]); each word as written goes through the
//! other steps up to folding ([`analyzer::word_filters`]) and its form through the stemmer
//! ([`analyzer::stemmer`]) once per share of notes, not once per token. Every filter of the
//! analyzer maps one token to at most one token, reading that token alone, so this gives
//! exactly the terms of [`analyzer::analyzer`].

use crate::config::Language;
use crate::search::analyzer;
use crate::search::document::SearchDoc;
use crate::search::schema::SEARCHED;
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};

/// The number of searched fields, in [`SEARCHED`] order.
pub const FIELDS: usize = SEARCHED.len();
/// Notes analysed together, sharing one cache of stems.
const NOTES_PER_SHARE: usize = 256;

/// One stem in one field of one note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// The note's number (its place in the vault order).
    pub note: u32,
    /// The field's place in [`SEARCHED`].
    pub field: u8,
    /// How many of the field's tokens have this stem.
    pub freq: u32,
}

/// The searched text of the whole vault, analysed.
#[derive(Debug, Default)]
pub struct VaultTerms {
    /// Every stem of the searched fields, sorted.
    pub stems: Vec<String>,
    /// For each stem of [`VaultTerms::stems`], where it occurs: by note, then by field.
    pub occurrences: Vec<Vec<Occurrence>>,
    /// For each note, the tokens of each searched field (over all its values): tantivy's
    /// field norm.
    pub tokens: Vec<[u32; FIELDS]>,
    /// Every word form of the searched fields (analysed up to stemming) with its stem,
    /// sorted by form.
    pub forms: Vec<(String, String)>,
}

impl VaultTerms {
    /// Analyses `docs` (shares of notes in parallel, gathered in note order).
    pub fn new(docs: &[SearchDoc], language: Language) -> Self {
        let shares: Vec<ShareTerms> = docs
            .par_chunks(NOTES_PER_SHARE)
            .map(|share| {
                let mut analysis = ShareTerms::new(language);
                for doc in share {
                    analysis.add(doc);
                }
                analysis
            })
            .collect();
        let mut stems: Vec<String> = shares.iter().flat_map(|s| s.stems.clone()).collect();
        stems.par_sort_unstable();
        stems.dedup();
        let global: Vec<Vec<u32>> = shares
            .par_iter()
            .map(|share| {
                let place = |stem: &String| stems.binary_search(stem).expect("a known stem");
                share.stems.iter().map(|s| place(s) as u32).collect()
            })
            .collect();
        let mut occurrences = vec![Vec::new(); stems.len()];
        let mut tokens = Vec::with_capacity(docs.len());
        for (share, global) in shares.iter().zip(&global) {
            for note in &share.notes {
                let number = tokens.len() as u32;
                for &(stem, field, freq) in &note.terms {
                    occurrences[global[stem as usize] as usize].push(Occurrence {
                        note: number,
                        field,
                        freq,
                    });
                }
                tokens.push(note.tokens);
            }
        }
        let mut forms: Vec<(String, String)> = shares
            .into_iter()
            .flat_map(|share| {
                let ShareTerms { forms, stems, .. } = share;
                forms
                    .into_iter()
                    .map(move |(form, stem)| (form, stems[stem as usize].clone()))
            })
            .collect();
        forms.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        forms.dedup_by(|a, b| a.0 == b.0);
        VaultTerms {
            stems,
            occurrences,
            tokens,
            forms,
        }
    }
}

/// One note's analysed fields, its stems numbered in its share.
struct NoteTerms {
    /// `(stem, field, frequency)`, by field then stem.
    terms: Vec<(u32, u8, u32)>,
    /// Tokens per field.
    tokens: [u32; FIELDS],
}

/// The analysis of one share of notes, with its cache of stems.
struct ShareTerms {
    words: TextAnalyzer,
    word_filters: TextAnalyzer,
    stemmer: TextAnalyzer,
    /// Each word seen as written, with the number of its stem (`None`: a dropped word).
    written: HashMap<String, Option<u32>>,
    /// Each word form seen, with the number of its stem.
    forms: HashMap<String, u32>,
    /// The share's stems, by number.
    stems: Vec<String>,
    /// The number of each stem.
    stem_numbers: HashMap<String, u32>,
    notes: Vec<NoteTerms>,
}

impl ShareTerms {
    fn new(language: Language) -> Self {
        ShareTerms {
            words: analyzer::words(language),
            word_filters: analyzer::word_filters(language),
            stemmer: analyzer::stemmer(language),
            written: HashMap::new(),
            forms: HashMap::new(),
            stems: Vec::new(),
            stem_numbers: HashMap::new(),
            notes: Vec::new(),
        }
    }

    /// Analyses the searched fields of `doc`, in [`SEARCHED`] order (as the index's document
    /// is filled: one value per alias, tag and heading).
    fn add(&mut self, doc: &SearchDoc) {
        let fields: [&[String]; FIELDS] = [
            std::slice::from_ref(&doc.title),
            &doc.aliases,
            &doc.tags,
            &doc.headings,
            std::slice::from_ref(&doc.body),
        ];
        let mut note = NoteTerms {
            terms: Vec::new(),
            tokens: [0; FIELDS],
        };
        let mut stems = Vec::new();
        for (field, values) in fields.into_iter().enumerate() {
            stems.clear();
            for text in values {
                let mut stream = self.words.token_stream(text);
                while let Some(word) = stream.next() {
                    let stem = match self.written.get(word.text.as_str()) {
                        Some(&stem) => stem,
                        None => {
                            let stem = word_stem(
                                &mut self.word_filters,
                                &mut self.stemmer,
                                &mut self.forms,
                                (&mut self.stems, &mut self.stem_numbers),
                                &word.text,
                            );
                            self.written.insert(word.text.clone(), stem);
                            stem
                        }
                    };
                    stems.extend(stem);
                }
            }
            note.tokens[field] = stems.len() as u32;
            stems.sort_unstable();
            for run in stems.chunk_by(|a, b| a == b) {
                note.terms.push((run[0], field as u8, run.len() as u32));
            }
        }
        self.notes.push(note);
    }
}

/// The number of the stem of `word` (as written), its form recorded in `forms`; `None` when
/// the analyzer drops the word.
fn word_stem(
    word_filters: &mut TextAnalyzer,
    stemmer: &mut TextAnalyzer,
    forms: &mut HashMap<String, u32>,
    (stems, numbers): (&mut Vec<String>, &mut HashMap<String, u32>),
    word: &str,
) -> Option<u32> {
    let form = analyzer::terms(word_filters, word).pop()?;
    Some(match forms.get(&form) {
        Some(&stem) => stem,
        None => {
            let stem = stem_number(stemmer, stems, numbers, &form);
            forms.insert(form, stem);
            stem
        }
    })
}

/// The number of the stem of `form` among `stems`, numbering it when new.
fn stem_number(
    stemmer: &mut TextAnalyzer,
    stems: &mut Vec<String>,
    numbers: &mut HashMap<String, u32>,
    form: &str,
) -> u32 {
    // The stemmer's tokenizer gives the whole form as its one token.
    let stem = analyzer::terms(stemmer, form)
        .pop()
        .unwrap_or_else(|| form.to_string());
    *numbers.entry(stem).or_insert_with_key(|stem| {
        stems.push(stem.clone());
        stems.len() as u32 - 1
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(title: &str, body: &str) -> SearchDoc {
        SearchDoc {
            id: "n".into(),
            path: "n.md".into(),
            title: title.into(),
            aliases: vec!["Réseaux de neurones".into(), "RNN".into()],
            tags: vec!["apprentissage/profond".into()],
            headings: vec!["L’entraînement".into(), "Les réseaux".into()],
            body: body.into(),
            relations: Vec::new(),
            implementation: None,
        }
    }

    /// Text with elisions, stop words, a token over the length limit, accents, digits,
    /// ligatures and apostrophes of both kinds.
    const TRICKY: &str = "L'algorithme d’apprentissage qu'il a été entraîné jusqu’ici : \
        les RÉSEAUX, réseau, reseaux; L2, 3e, x86_64, œuvre, Ærø, ﬁn, \
        aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, été, étés, lorsqu'on, n'est-ce, \
        puisqu'aujourd'hui, façon, naïve, Noël, São Paulo, 1er, 2025";

    #[test]
    fn stemming_each_unstemmed_form_gives_the_analyzers_terms() {
        for language in [Language::French, Language::English] {
            let mut unstemmed = analyzer::unstemmed(language);
            let mut stemmer = analyzer::stemmer(language);
            let stemmed: Vec<String> = analyzer::terms(&mut unstemmed, TRICKY)
                .iter()
                .flat_map(|form| analyzer::terms(&mut stemmer, form))
                .collect();
            let whole = analyzer::terms(&mut analyzer::analyzer(language), TRICKY);
            assert!(whole.len() > 20, "{whole:?}");
            assert_eq!(stemmed, whole);
        }
    }

    #[test]
    fn each_field_counts_its_tokens_over_all_its_values_and_its_stems() {
        let docs = [
            doc("Réseau récurrent", TRICKY),
            doc("Les réseaux", "réseau réseaux réseau"),
        ];
        let terms = VaultTerms::new(&docs, Language::French);
        let mut french = analyzer::analyzer(Language::French);
        let expected: Vec<[u32; FIELDS]> = docs
            .iter()
            .map(|d| {
                let mut count = |texts: &[String]| {
                    texts
                        .iter()
                        .map(|t| analyzer::terms(&mut french, t).len() as u32)
                        .sum()
                };
                [
                    count(std::slice::from_ref(&d.title)),
                    count(&d.aliases),
                    count(&d.tags),
                    count(&d.headings),
                    count(std::slice::from_ref(&d.body)),
                ]
            })
            .collect();
        assert_eq!(terms.tokens, expected);
        assert_eq!(terms.tokens[1], [1, 3, 2, 2, 3]);
        let reseau = terms.stems.binary_search(&"reseau".to_string()).unwrap();
        let found: Vec<(u32, u8, u32)> = terms.occurrences[reseau]
            .iter()
            .map(|o| (o.note, o.field, o.freq))
            .collect();
        assert_eq!(
            found,
            [
                (0, 0, 1),
                (0, 1, 1),
                (0, 3, 1),
                (0, 4, 3),
                (1, 0, 1),
                (1, 1, 1),
                (1, 3, 1),
                (1, 4, 3)
            ]
        );
        assert!(terms.stems.is_sorted());
        assert!(terms.forms.is_sorted());
        assert!(
            terms
                .forms
                .contains(&("reseaux".to_string(), "reseau".to_string()))
        );
    }
}
