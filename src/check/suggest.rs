//! "Did you mean …?": the closest of a set of names by edit distance, fast enough to ask for
//! every dangling target of a 10,000-note vault.

use crate::graph::normalize_name;

/// Buckets of the character histogram used as a cheap lower bound of the edit distance.
const BUCKETS: usize = 32;

/// A set of names to suggest from.
pub(super) struct Suggestions<'a> {
    entries: Vec<Entry<'a>>,
}

struct Entry<'a> {
    name: &'a str,
    normalized: String,
    length: usize,
    histogram: [u16; BUCKETS],
}

fn histogram(text: &str) -> [u16; BUCKETS] {
    let mut counts = [0u16; BUCKETS];
    for c in text.chars() {
        let bucket = &mut counts[c as usize % BUCKETS];
        *bucket = bucket.saturating_add(1);
    }
    counts
}

/// A lower bound of the edit distance between texts of `len_a` and `len_b` characters: an
/// insertion, deletion or substitution moves at most one character in and one out of the
/// histogram, a transposition none; so the distance is at least the larger of the surplus
/// and the deficit, which is `(L1 + |len_a - len_b|) / 2`.
fn histogram_bound(a: &[u16; BUCKETS], len_a: usize, b: &[u16; BUCKETS], len_b: usize) -> usize {
    let l1: u32 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u32::from(x.abs_diff(*y)))
        .sum();
    (l1 as usize + len_a.abs_diff(len_b)) / 2
}

impl<'a> Suggestions<'a> {
    /// Suggestions drawn from `names`, compared in their normalised form (case, NFC,
    /// apostrophes); on a tie the earliest name wins.
    pub(super) fn new(names: impl IntoIterator<Item = &'a str>) -> Self {
        let entries = names
            .into_iter()
            .map(|name| {
                let normalized = normalize_name(name);
                Entry {
                    name,
                    length: normalized.chars().count(),
                    histogram: histogram(&normalized),
                    normalized,
                }
            })
            .collect();
        Suggestions { entries }
    }

    /// The name closest to `query` whose edit distance (optimal string alignment: insertions,
    /// deletions, substitutions and swaps of two neighbours) is at most `max_distance(longer
    /// length)`, if any.
    pub(super) fn closest(
        &self,
        query: &str,
        max_distance: impl Fn(usize) -> usize,
    ) -> Option<&'a str> {
        let query = normalize_name(query);
        let query_length = query.chars().count();
        let query_histogram = histogram(&query);
        // Cheap lower bounds first; the exact distance only for the candidates that pass,
        // most promising first, until no remaining one can beat the best found.
        let mut candidates: Vec<(usize, usize)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, entry)| {
                let limit = max_distance(query_length.max(entry.length));
                if query_length.abs_diff(entry.length) > limit {
                    return None;
                }
                let bound = histogram_bound(
                    &query_histogram,
                    query_length,
                    &entry.histogram,
                    entry.length,
                );
                (bound <= limit).then_some((bound, i))
            })
            .collect();
        candidates.sort_unstable();
        let mut best: Option<(usize, usize)> = None;
        for (bound, i) in candidates {
            if best.is_some_and(|(distance, _)| bound > distance) {
                break;
            }
            let entry = &self.entries[i];
            let distance = strsim::osa_distance(&query, &entry.normalized);
            let within = distance <= max_distance(query_length.max(entry.length));
            if within && best.is_none_or(|b| (distance, i) < b) {
                best = Some((distance, i));
            }
        }
        best.map(|(_, i)| self.entries[i].name)
    }
}

/// How far a suggestion may be from what was written: about one edit in five characters,
/// at most six (typos, not different names); names of three characters or fewer get no
/// suggestion (`rnn` is not a typo of `cnn`).
pub(super) fn typo_tolerance(longer: usize) -> usize {
    if longer <= 3 {
        0
    } else {
        (longer / 5).clamp(1, 6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_closest_name_within_the_tolerance() {
        let names = ["Réseaux de neurones", "Régression linéaire", "Perceptron"];
        let s = Suggestions::new(names);
        assert_eq!(
            s.closest("reseaux de neurone", typo_tolerance),
            Some("Réseaux de neurones")
        );
        assert_eq!(s.closest("Perceptrons multicouches", typo_tolerance), None);
        assert_eq!(s.closest("perceptrom", typo_tolerance), Some("Perceptron"));
        assert_eq!(
            s.closest("Pecreptron", typo_tolerance),
            Some("Perceptron"),
            "swaps count once"
        );
        assert_eq!(s.closest("zzz", typo_tolerance), None);
    }

    #[test]
    fn histogram_bound_never_exceeds_the_distance() {
        let words = ["kitten", "sitting", "", "abc", "cba", "été", "ete", "aaaa"];
        for a in words {
            for b in words {
                let (la, lb) = (a.chars().count(), b.chars().count());
                let bound = histogram_bound(&histogram(a), la, &histogram(b), lb);
                assert!(bound <= strsim::osa_distance(a, b), "{a} {b}");
            }
        }
    }
}
