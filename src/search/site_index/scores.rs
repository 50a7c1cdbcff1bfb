//! The postings of the site's index: for each stem, the BM25 score of its best notes, the
//! number tantivy gives a note for a query of that one stem over the boosted searched fields
//! (what `savoir search` sums for a query of several words).
//!
//! No index is built: the scores are computed from the analysed notes ([`VaultTerms`]) with
//! tantivy's own BM25 ([`Bm25Weight`], built from the statistics tantivy's searcher would
//! give: documents, the field's tokens, the stem's document frequency in the field) and its
//! field-norm quantisation ([`FieldNormReader::fieldnorm_to_id`]). A note's score is the sum
//! over the fields where the stem occurs, as tantivy's union of `Should` clauses sums it; the
//! best [`MAX_POSTINGS`] are kept as tantivy's top-docs collector keeps them (higher score
//! first, lower note number first among equal scores).

use super::vault_terms::{FIELDS, Occurrence, VaultTerms};
use super::{MAX_POSTINGS, Postings};
use crate::search::schema::SEARCHED;
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use tantivy::Score;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::query::Bm25Weight;

/// For every stem of `terms`, its best-scoring notes (at most [`MAX_POSTINGS`]) as flattened
/// `[note, score × 100 × 2 + in-title]` pairs sorted by note.
pub fn postings(terms: VaultTerms) -> BTreeMap<String, Postings> {
    let VaultTerms {
        stems,
        occurrences,
        tokens,
        ..
    } = terms;
    let weights = Weights::new(&occurrences, &tokens);
    let lists: Vec<Postings> = occurrences
        .par_iter()
        .map(|occurrences| stem_postings(occurrences, &weights, &tokens))
        .collect();
    stems.into_iter().zip(lists).collect()
}

/// The postings of one stem found at `occurrences` (by note, then field).
fn stem_postings(
    occurrences: &[Occurrence],
    weights: &Weights,
    tokens: &[[u32; FIELDS]],
) -> Postings {
    let doc_freqs = doc_freqs(occurrences);
    let mut scored: Vec<Scored> = occurrences
        .chunk_by(|a, b| a.note == b.note)
        .map(|fields| {
            let note = fields[0].note;
            let score = fields
                .iter()
                .map(|o| {
                    let field = o.field as usize;
                    let norm = tokens[note as usize][field];
                    weights
                        .get(field, doc_freqs[field])
                        .score(FieldNormReader::fieldnorm_to_id(norm), o.freq)
                })
                .sum();
            Scored {
                score,
                note,
                in_title: fields.iter().any(|o| is_title(o.field)),
            }
        })
        .collect();
    if scored.len() > MAX_POSTINGS {
        scored.select_nth_unstable_by(MAX_POSTINGS - 1, Scored::best_first);
        scored.truncate(MAX_POSTINGS);
        scored.sort_unstable_by_key(|s| s.note);
    }
    scored
        .into_iter()
        .flat_map(|s| {
            let scaled = (s.score * 100.0).round() as u32;
            [s.note, scaled * 2 + u32::from(s.in_title)]
        })
        .collect()
}

/// One note's score for a stem.
struct Scored {
    score: Score,
    note: u32,
    in_title: bool,
}

impl Scored {
    /// Higher score first, then lower note number (tantivy's top-docs order).
    fn best_first(a: &Scored, b: &Scored) -> Ordering {
        b.score.total_cmp(&a.score).then(a.note.cmp(&b.note))
    }
}

/// Whether the field at `field` in [`SEARCHED`] is the title or an alias.
fn is_title(field: u8) -> bool {
    matches!(SEARCHED[field as usize].0, "title" | "aliases")
}

/// The number of notes in which the stem at `occurrences` occurs, per field.
fn doc_freqs(occurrences: &[Occurrence]) -> [u64; FIELDS] {
    let mut freqs = [0; FIELDS];
    for o in occurrences {
        freqs[o.field as usize] += 1;
    }
    freqs
}

/// The boosted BM25 weight of each field and document frequency that occurs.
struct Weights(HashMap<(usize, u64), Bm25Weight>);

impl Weights {
    /// The weights the stems at `occurrences` need, in notes of `tokens` tokens per field.
    fn new(occurrences: &[Vec<Occurrence>], tokens: &[[u32; FIELDS]]) -> Self {
        let docs = tokens.len() as u64;
        // The average field norm as tantivy's `Bm25Weight::for_terms` computes it from the
        // searcher's statistics: all the field's tokens over all documents.
        let average: [Score; FIELDS] = std::array::from_fn(|field| {
            let total: u64 = tokens.iter().map(|t| u64::from(t[field])).sum();
            total as Score / docs as Score
        });
        let mut weights = HashMap::new();
        for stem in occurrences {
            for (field, &doc_freq) in doc_freqs(stem).iter().enumerate() {
                if doc_freq > 0 {
                    weights.entry((field, doc_freq)).or_insert_with(|| {
                        // What `BoostQuery` over a `TermQuery` gives its scorer.
                        Bm25Weight::for_one_term(doc_freq, docs, average[field])
                            .boost_by(SEARCHED[field].1)
                    });
                }
            }
        }
        Weights(weights)
    }

    /// The weight of a stem in `doc_freq` notes' `field`.
    fn get(&self, field: usize, doc_freq: u64) -> &Bm25Weight {
        &self.0[&(field, doc_freq)]
    }
}
