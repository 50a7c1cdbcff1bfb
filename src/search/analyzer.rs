//! The text analysis shared by indexing and querying: words, elision, case, accents, stop
//! words and stemming, chosen by the vault's language.
//!
//! French: words (runs of letters and digits) → elided articles dropped (`l'`, `qu'`, …, with
//! a straight or typographic apostrophe) → long tokens dropped → lower case → stop words
//! dropped → ASCII folding (`réseaux` → `reseaux`) → Snowball stemming (`reseaux` → `reseau`).
//! English: the same without elision, with English stop words and stemmer.

use crate::config::Language;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language as StemLanguage, LowerCaser, RawTokenizer, RemoveLongFilter,
    Stemmer, StopWordFilter, TextAnalyzer, TextAnalyzerBuilder, Token, TokenStream, Tokenizer,
};

/// The name the analyzer is registered under in the index's tokenizer manager.
pub const ANALYZER_NAME: &str = "savoir";

/// Tokens longer than this (in bytes) are dropped: hashes, URLs, base64 — never words.
pub const MAX_TOKEN_BYTES: usize = 40;

/// Words that French writes elided before a vowel (`l'`, `jusqu'`): dropped with their apostrophe.
pub const FRENCH_ELISIONS: &[&str] = &[
    "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu",
];

/// French stop words (Snowball's list, plus `a`), compared after lower-casing, before folding.
pub const FRENCH_STOP_WORDS: &[&str] = &[
    "au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "elle", "en", "et", "eux", "il",
    "ils", "je", "la", "le", "les", "leur", "lui", "ma", "mais", "me", "même", "mes", "moi", "mon",
    "ne", "nos", "notre", "nous", "on", "ou", "par", "pas", "pour", "qu", "que", "qui", "sa", "se",
    "ses", "son", "sur", "ta", "te", "tes", "toi", "ton", "tu", "un", "une", "vos", "votre",
    "vous", "c", "d", "j", "l", "à", "a", "m", "n", "s", "t", "y", "été", "étée", "étées", "étés",
    "étant", "étante", "étants", "étantes", "suis", "es", "est", "sommes", "êtes", "sont", "serai",
    "seras", "sera", "serons", "serez", "seront", "serais", "serait", "serions", "seriez",
    "seraient", "étais", "était", "étions", "étiez", "étaient", "fus", "fut", "fûmes", "fûtes",
    "furent", "sois", "soit", "soyons", "soyez", "soient", "fusse", "fusses", "fût", "fussions",
    "fussiez", "fussent", "ayant", "ayante", "ayantes", "ayants", "eu", "eue", "eues", "eus", "ai",
    "as", "avons", "avez", "ont", "aurai", "auras", "aura", "aurons", "aurez", "auront", "aurais",
    "aurait", "aurions", "auriez", "auraient", "avais", "avait", "avions", "aviez", "avaient",
    "eut", "eûmes", "eûtes", "eurent", "aie", "aies", "ait", "ayons", "ayez", "aient", "eusse",
    "eusses", "eût", "eussions", "eussiez", "eussent",
];

/// English stop words (the classic Lucene list).
pub const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// What the analyzer of one language drops and how it stems: the one description both the
/// index and the site's query script follow.
#[derive(Debug, Clone, Copy)]
pub struct LanguageRules {
    /// Elided words dropped before an apostrophe.
    pub elisions: &'static [&'static str],
    /// Stop words, lower case, accents kept.
    pub stop_words: &'static [&'static str],
    /// The Snowball stemmer.
    stemmer: StemLanguage,
}

/// The analysis rules of `language`.
pub fn rules(language: Language) -> LanguageRules {
    match language {
        Language::French => LanguageRules {
            elisions: FRENCH_ELISIONS,
            stop_words: FRENCH_STOP_WORDS,
            stemmer: StemLanguage::French,
        },
        Language::English => LanguageRules {
            elisions: &[],
            stop_words: ENGLISH_STOP_WORDS,
            stemmer: StemLanguage::English,
        },
    }
}

/// The analyzer of `language` (see the module documentation for its steps).
pub fn analyzer(language: Language) -> TextAnalyzer {
    let rules = rules(language);
    up_to_folding(rules)
        .filter(Stemmer::new(rules.stemmer))
        .build()
}

/// The analyzer of `language` without its last step: the word forms as the index sees them
/// before stemming (what the site's query script computes itself).
pub fn unstemmed(language: Language) -> TextAnalyzer {
    up_to_folding(rules(language)).build()
}

/// The first step of [`unstemmed`] alone: the words of a text, as written.
pub fn words(language: Language) -> TextAnalyzer {
    TextAnalyzer::builder(words_of(rules(language))).build()
}

/// The steps of [`unstemmed`] after the first, for one word of [`words`]: its form, or no
/// token when the word is dropped. Each step reads one token at a time, so a text's forms are
/// its words' forms, and a word met again need not be analysed again.
pub fn word_filters(language: Language) -> TextAnalyzer {
    filters(RawTokenizer::default(), rules(language)).build()
}

/// The stemmer of `language` alone, for one word already analysed by [`unstemmed`].
pub fn stemmer(language: Language) -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(Stemmer::new(rules(language).stemmer))
        .build()
}

/// Every step before stemming.
fn up_to_folding(rules: LanguageRules) -> TextAnalyzerBuilder<impl Tokenizer> {
    filters(words_of(rules), rules)
}

/// The tokenizer: words, elisions dropped.
fn words_of(rules: LanguageRules) -> ElidingTokenizer {
    ElidingTokenizer {
        elisions: rules.elisions,
        token: Token::default(),
    }
}

/// The filters after `tokenizer`, up to folding: length, case, stop words, accents.
fn filters<T: Tokenizer>(
    tokenizer: T,
    rules: LanguageRules,
) -> TextAnalyzerBuilder<impl Tokenizer> {
    TextAnalyzer::builder(tokenizer)
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(
            rules.stop_words.iter().map(|w| w.to_string()),
        ))
        .filter(AsciiFoldingFilter)
}

/// The terms `text` gives under `analyzer`, in order.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut terms = Vec::new();
    while let Some(token) = stream.next() {
        terms.push(token.text.clone());
    }
    terms
}

/// Splits text into runs of letters and digits, as tantivy's `SimpleTokenizer` does, and
/// drops a run that is an elided word: one of `elisions` (any case) directly followed by `'`
/// or `’` and then a letter.
#[derive(Clone)]
struct ElidingTokenizer {
    elisions: &'static [&'static str],
    token: Token,
}

/// The token stream of [`ElidingTokenizer`].
struct ElidingStream<'a> {
    text: &'a str,
    /// Byte offset where the search for the next word starts.
    cursor: usize,
    elisions: &'static [&'static str],
    token: &'a mut Token,
}

impl Tokenizer for ElidingTokenizer {
    type TokenStream<'a> = ElidingStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ElidingStream<'a> {
        self.token.reset();
        ElidingStream {
            text,
            cursor: 0,
            elisions: self.elisions,
            token: &mut self.token,
        }
    }
}

impl ElidingStream<'_> {
    /// The next run of letters and digits from the cursor, as a byte range.
    fn next_word(&mut self) -> Option<(usize, usize)> {
        let rest = &self.text[self.cursor..];
        let (start, _) = rest.char_indices().find(|(_, c)| c.is_alphanumeric())?;
        let start = self.cursor + start;
        let end = self.text[start..]
            .char_indices()
            .find(|(_, c)| !c.is_alphanumeric())
            .map_or(self.text.len(), |(i, _)| start + i);
        self.cursor = end;
        Some((start, end))
    }

    /// Whether the word at `start..end` is elided: an elision word, an apostrophe, a letter.
    fn is_elided(&self, start: usize, end: usize) -> bool {
        let word = &self.text[start..end];
        if !self.elisions.iter().any(|e| e.eq_ignore_ascii_case(word)) {
            return false;
        }
        let mut after = self.text[end..].chars();
        matches!(after.next(), Some('\'' | '’')) && after.next().is_some_and(char::is_alphabetic)
    }
}

impl TokenStream for ElidingStream<'_> {
    fn advance(&mut self) -> bool {
        while let Some((start, end)) = self.next_word() {
            if self.is_elided(start, end) {
                continue;
            }
            self.token.text.clear();
            self.token.text.push_str(&self.text[start..end]);
            self.token.offset_from = start;
            self.token.offset_to = end;
            self.token.position = self.token.position.wrapping_add(1);
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn french(text: &str) -> Vec<String> {
        terms(&mut analyzer(Language::French), text)
    }

    #[test]
    fn accents_typed_or_not_give_the_same_terms() {
        assert_eq!(french("Réseaux récurrents"), french("reseaux recurrents"));
        assert_eq!(french("Modèles génératifs"), french("modeles generatifs"));
    }

    #[test]
    fn plural_and_singular_share_a_stem() {
        assert_eq!(french("réseau"), french("réseaux"));
        assert_eq!(french("neurone"), french("neurones"));
        assert_eq!(french("récurrent"), french("récurrents"));
    }

    #[test]
    fn elided_articles_go_with_either_apostrophe() {
        assert_eq!(french("l'algorithme"), french("algorithme"));
        assert_eq!(french("l’algorithme"), french("algorithme"));
        assert_eq!(french("d'activation"), french("activation"));
        assert_eq!(french("jusqu’ici lorsqu'on puisqu'il"), french("ici"));
        assert_eq!(french("qu’apprend"), french("apprend"));
    }

    #[test]
    fn a_lone_letter_without_apostrophe_is_kept_unless_a_stop_word() {
        // "L" alone is the stop word "l"; "L2" and "d3" are words.
        assert_eq!(french("norme L2"), vec!["norm", "l2"]);
        assert_eq!(french("l'L"), Vec::<String>::new());
    }

    #[test]
    fn stop_words_are_dropped_accented_or_not_typed() {
        assert_eq!(
            french("la descente de gradient"),
            french("descente gradient")
        );
        assert_eq!(french("il a été entraîné"), french("entraîné"));
    }

    #[test]
    fn positions_count_kept_words_only_after_elision() {
        let mut analyzer = analyzer(Language::French);
        let mut stream = analyzer.token_stream("l'algorithme du gradient");
        let mut seen = Vec::new();
        while let Some(token) = stream.next() {
            seen.push((token.text.clone(), token.position, token.offset_from));
        }
        assert_eq!(
            seen,
            vec![("algorithm".into(), 0, 2), ("gradient".into(), 2, 16)]
        );
    }

    #[test]
    fn english_keeps_apostrophes_as_separators_and_stems_in_english() {
        let mut en = analyzer(Language::English);
        assert_eq!(
            terms(&mut en, "The networks' layers"),
            vec!["network", "layer"]
        );
    }
}
