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

/// A lower bound of the edit distance: an insertion, deletion or substitution moves at most
/// one character in and one out of the histogram, a transposition none.
fn histogram_bound(a: &[u16; BUCKETS], b: &[u16; BUCKETS]) -> usize {
    let (mut surplus, mut deficit) = (0usize, 0usize);
    for (x, y) in a.iter().zip(b) {
        if x > y {
            surplus += usize::from(x - y);
        } else {
            deficit += usize::from(y - x);
        }
    }
    surplus.max(deficit)
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
        let mut best: Option<(usize, &'a str)> = None;
        for entry in &self.entries {
            let longer = query_length.max(entry.length);
            let mut limit = max_distance(longer);
            if let Some((distance, _)) = best {
                match distance.checked_sub(1) {
                    Some(better) => limit = limit.min(better),
                    None => break,
                }
            }
            if query_length.abs_diff(entry.length) > limit
                || histogram_bound(&query_histogram, &entry.histogram) > limit
            {
                continue;
            }
            let distance = strsim::osa_distance(&query, &entry.normalized);
            if distance <= limit {
                best = Some((distance, entry.name));
            }
        }
        best.map(|(_, name)| name)
    }
}

/// The tolerance for a link target or an id: a third of the longer name, at least one edit.
pub(super) fn a_third(longer: usize) -> usize {
    (longer / 3).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_closest_name_within_the_tolerance() {
        let names = ["Réseaux de neurones", "Régression linéaire", "Perceptron"];
        let s = Suggestions::new(names);
        assert_eq!(s.closest("reseaux de neurone", a_third), Some("Réseaux de neurones"));
        assert_eq!(s.closest("Perceptrons multicouches", a_third), None);
        assert_eq!(s.closest("perceptrom", a_third), Some("Perceptron"));
        assert_eq!(s.closest("Pecreptron", a_third), Some("Perceptron"), "swaps count once");
        assert_eq!(s.closest("zzz", a_third), None);
    }

    #[test]
    fn histogram_bound_never_exceeds_the_distance() {
        let words = ["kitten", "sitting", "", "abc", "cba", "été", "ete", "aaaa"];
        for a in words {
            for b in words {
                let bound = histogram_bound(&histogram(a), &histogram(b));
                assert!(bound <= strsim::osa_distance(a, b), "{a} {b}");
            }
        }
    }
}
