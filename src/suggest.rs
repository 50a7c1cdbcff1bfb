//! "Did you mean …?": the one policy for every suggestion savoir makes (a dangling link's
//! closest title, an unknown implementation id, a concept or id mistyped on the command line).
//!
//! Names are compared in their normalised form ([`normalize_name`]: case, NFC, apostrophes).
//! A name is suggested when it is a typo away from what was written, within
//! [`typo_tolerance`] edits (optimal string alignment: a swap of two neighbours counts once;
//! for names of three characters or fewer only such a swap: `mpl` → `mlp`, but `rnn` is not a
//! typo of `cnn`), or when it contains what was written (four characters or more:
//! `moyenne` → `Moyenne mobile`). Typos rank first, closest first; then containing names,
//! shortest first; on a tie the earliest name wins. Fast enough to ask for every dangling
//! target of a 10,000-note vault: cheap lower bounds come before any exact distance.

use crate::graph::normalize_name;

/// Buckets of the character histogram used as a cheap lower bound of the edit distance.
const BUCKETS: usize = 32;

/// A set of names to suggest from.
pub struct Suggestions<'a> {
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
    /// Suggestions drawn from `names`, in order (on a tie the earliest wins).
    pub fn new(names: impl IntoIterator<Item = &'a str>) -> Self {
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

    /// The best suggestion for `query`, if any name qualifies.
    pub fn closest(&self, query: &str) -> Option<&'a str> {
        self.ranked(query, 1).into_iter().next()
    }

    /// Up to `max` suggestions for `query`, best first, each name once.
    pub fn ranked(&self, query: &str, max: usize) -> Vec<&'a str> {
        let query = normalize_name(query);
        let query_length = query.chars().count();
        let query_histogram = histogram(&query);
        // Cheap lower bounds first; the exact distance only for the candidates that pass,
        // most promising first, until no remaining one can beat the `max` best found.
        let mut candidates: Vec<(usize, usize)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, entry)| {
                let limit = typo_tolerance(query_length.max(entry.length)).max(1);
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
        // (rank, index): typos rank by distance, containing names after every typo.
        let mut found: Vec<(usize, usize)> = Vec::new();
        for (bound, i) in candidates {
            if found.len() >= max && found.iter().all(|&(rank, _)| rank < bound) {
                break;
            }
            let entry = &self.entries[i];
            let distance = strsim::osa_distance(&query, &entry.normalized);
            let swap = distance == 1 && same_letters(&query, &entry.normalized);
            if distance <= typo_tolerance(query_length.max(entry.length)) || swap {
                found.push((distance, i));
            }
        }
        if query_length >= 4 {
            let after_typos = usize::MAX / 2;
            found.extend(
                self.entries
                    .iter()
                    .enumerate()
                    .filter(|(_, entry)| entry.normalized.contains(&query))
                    .map(|(i, entry)| (after_typos + entry.length - query_length, i)),
            );
        }
        found.sort_unstable();
        let mut picked: Vec<&'a str> = Vec::new();
        for (_, i) in found {
            let name = self.entries[i].name;
            if !picked.contains(&name) {
                picked.push(name);
                if picked.len() == max {
                    break;
                }
            }
        }
        picked
    }
}

/// Whether two texts hold the same characters, each as many times (a swap of two
/// neighbours changes none).
fn same_letters(a: &str, b: &str) -> bool {
    let sorted = |text: &str| {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars
    };
    sorted(a) == sorted(b)
}

/// How far a typo may be from the name it stands for (`longer`: the length of the longer
/// of the two): about one edit in five characters, at most six (typos, not different
/// names); none for names of three characters or fewer (where only a swap is a typo).
pub fn typo_tolerance(longer: usize) -> usize {
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
        assert_eq!(s.closest("reseaux de neurone"), Some("Réseaux de neurones"));
        assert_eq!(s.closest("Perceptrons multicouches"), None);
        assert_eq!(s.closest("perceptrom"), Some("Perceptron"));
        assert_eq!(
            s.closest("Pecreptron"),
            Some("Perceptron"),
            "swaps count once"
        );
        assert_eq!(s.closest("zzz"), None);
    }

    #[test]
    fn short_names_take_only_swaps_and_containing_names_come_after_typos() {
        let s = Suggestions::new([
            "cnn",
            "mlp",
            "Moyenne mobile",
            "Moment",
            "Optimiseur",
            "mpl",
        ]);
        assert_eq!(
            s.ranked("rnn", 3),
            Vec::<&str>::new(),
            "a substitution is no typo"
        );
        assert_eq!(s.ranked("lmp", 3), ["mlp"]);
        assert_eq!(s.ranked("moyenne", 3), ["Moyenne mobile"]);
        assert_eq!(s.ranked("optimiseurr", 3), ["Optimiseur"]);
        let s = Suggestions::new(["Réseau de neurones", "Réseaux", "Réseau", "Reseau"]);
        assert_eq!(s.ranked("réseau", 3), ["Réseau", "Réseaux", "Reseau"]);
        assert_eq!(s.ranked("réseau", 4)[3], "Réseau de neurones");
        assert_eq!(s.ranked("RÉSEAU", 2), ["Réseau", "Réseaux"]);
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
