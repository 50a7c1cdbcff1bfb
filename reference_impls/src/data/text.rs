//! The text of the vault's own notes (their bodies, front matter removed, in file-name order),
//! embedded in the binary, and the character vocabulary a character-level model reads it with;
//! how the file was made is in `reference_impls/data/README.md`.

use std::collections::BTreeMap;

use super::gunzip_if_needed;

/// The compressed UTF-8 text.
const NOTES_TEXT_GZ: &[u8] = include_bytes!("../../data/notes_text.txt.gz");

/// The bodies of the bundled vault's notes, one after the other.
pub fn notes_text() -> String {
    let bytes = gunzip_if_needed(NOTES_TEXT_GZ.to_vec()).expect("the embedded text is valid gzip");
    String::from_utf8(bytes).expect("the embedded text is UTF-8")
}

/// The distinct characters of a text, each with an id (in code-point order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocabulary {
    /// The character of each id.
    chars: Vec<char>,
    /// The id of each character.
    ids: BTreeMap<char, usize>,
}

impl Vocabulary {
    /// The characters of `text`.
    pub fn of(text: &str) -> Self {
        let ids: BTreeMap<char, usize> = text.chars().map(|c| (c, 0)).collect();
        let chars: Vec<char> = ids.keys().copied().collect();
        let ids = chars.iter().enumerate().map(|(i, &c)| (c, i)).collect();
        Self { chars, ids }
    }

    /// The number of characters V.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// True for the vocabulary of an empty text.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The ids of the characters of `text`; `None` when one is not in the vocabulary.
    pub fn encode(&self, text: &str) -> Option<Vec<usize>> {
        text.chars().map(|c| self.ids.get(&c).copied()).collect()
    }

    /// The text of `ids`.
    ///
    /// # Panics
    /// On an id outside `0..len()` (a bug in the caller).
    pub fn decode(&self, ids: &[usize]) -> String {
        ids.iter().map(|&i| self.chars[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notes_text_round_trips_through_its_vocabulary() {
        let text = notes_text();
        assert!(text.len() > 50_000, "{} bytes", text.len());
        assert!(text.contains("rétropropagation"));
        assert!(!text.starts_with("---"), "front matter removed");
        let vocab = Vocabulary::of(&text);
        let ids = vocab.encode(&text).unwrap();
        assert_eq!(vocab.decode(&ids), text);
        assert_eq!(vocab.encode("€€"), None);
    }
}
