//! Names: the normal form links are matched on, and the slugs concepts are published under.

use foldhash::{HashMap, HashMapExt};
use unicode_normalization::{UnicodeNormalization, is_nfc};

/// The form in which titles, aliases, stems and link targets are compared: trimmed, lower
/// case, Unicode NFC, with typographic apostrophes (`’`, `‘`, `ʼ`) read as `'`.
pub fn normalize_name(name: &str) -> String {
    let mut key = String::new();
    normalize_name_into(name, &mut key);
    key
}

/// [`normalize_name`] written into `key` (cleared first), which keeps its allocation: the
/// graph normalises every link target of a vault this way.
pub fn normalize_name_into(name: &str, key: &mut String) {
    const TYPOGRAPHIC: [char; 3] = ['\u{2019}', '\u{2018}', '\u{02BC}'];
    key.clear();
    let trimmed = name.trim();
    key.push_str(trimmed);
    key.make_ascii_lowercase();
    if trimmed.is_ascii() {
        return;
    }
    // Accented letters are mostly lower case already: only a name with a non-ASCII capital
    // pays for the full Unicode lowering (which also knows the word-final sigma).
    let changes_case = |c: char| !is_latin1_lower(c) && !c.to_lowercase().eq(std::iter::once(c));
    if non_ascii_chars(key).any(changes_case) {
        key.clear();
        key.push_str(&trimmed.to_lowercase());
    }
    let (mut apostrophe, mut beyond_latin) = (false, false);
    for c in non_ascii_chars(key) {
        apostrophe |= TYPOGRAPHIC.contains(&c);
        // Below U+0300 (Latin-1 and the Latin extensions) every character is already NFC.
        beyond_latin |= c >= '\u{300}';
    }
    if apostrophe {
        *key = key.replace(TYPOGRAPHIC, "'");
    }
    if beyond_latin && !is_nfc(key) {
        *key = key.nfc().collect();
    }
}

/// The characters of `text` outside ASCII, found by skipping ASCII bytes without decoding them.
fn non_ascii_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    let mut rest = text;
    std::iter::from_fn(move || {
        let at = rest.bytes().position(|byte| !byte.is_ascii())?;
        let c = rest[at..].chars().next()?;
        rest = &rest[at + c.len_utf8()..];
        Some(c)
    })
}

/// The lower-case letters of Latin-1 (`ß` to `ÿ` but `÷`): French accents, known without a
/// table lookup.
fn is_latin1_lower(c: char) -> bool {
    matches!(c, '\u{DF}'..='\u{F6}' | '\u{F8}'..='\u{FF}')
}

/// A concept's slug: its title folded to ASCII, in lower case, with every run of other
/// characters replaced by one `-`. It never contains `/`, `\` or `..`; a title with no letter
/// or digit gives `note`.
pub fn slugify(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    let mut pending_dash = false;
    let mut push = |c: char| {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            pending_dash = true;
        }
    };
    for c in title.chars() {
        match c {
            c if c.is_ascii() => push(c),
            c => deunicode::deunicode_char(c)
                .unwrap_or(" ")
                .chars()
                .for_each(&mut push),
        }
    }
    if slug.is_empty() {
        slug.push_str("note");
    }
    slug
}

/// Hands out unique slugs: a natural slug goes to the first claimant, later ones get `-2`,
/// `-3`, … (skipping any slug already taken).
#[derive(Debug)]
pub(super) struct SlugTable {
    taken: HashMap<String, usize>,
}

/// A slug that could not be used as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Clash {
    /// Position of the claimant in the batch given to [`SlugTable::assign`].
    pub index: usize,
    /// The natural slug it wanted.
    pub wanted: String,
    /// The owner of the natural slug (an index given to some earlier `assign` call).
    pub owner: usize,
}

impl SlugTable {
    /// A table with room for about `capacity` slugs.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        SlugTable {
            taken: HashMap::with_capacity(capacity),
        }
    }

    /// Assigns slugs to a batch in priority order; `owner_ids[i]` is what the table records as
    /// the owner of the slug given to `wanted[i]`. Returns the slugs and the clashes.
    pub(super) fn assign(
        &mut self,
        wanted: &[String],
        owner_ids: impl Fn(usize) -> usize,
    ) -> (Vec<String>, Vec<Clash>) {
        let mut slugs: Vec<Option<String>> = vec![None; wanted.len()];
        for (i, slug) in wanted.iter().enumerate() {
            if !self.taken.contains_key(slug) {
                self.taken.insert(slug.clone(), owner_ids(i));
                slugs[i] = Some(slug.clone());
            }
        }
        let mut clashes = Vec::new();
        for (i, slug) in wanted.iter().enumerate() {
            if slugs[i].is_some() {
                continue;
            }
            let mut n = 2;
            let free = loop {
                let candidate = format!("{slug}-{n}");
                if !self.taken.contains_key(&candidate) {
                    break candidate;
                }
                n += 1;
            };
            clashes.push(Clash {
                index: i,
                wanted: slug.clone(),
                owner: self.taken[slug],
            });
            self.taken.insert(free.clone(), owner_ids(i));
            slugs[i] = Some(free);
        }
        (slugs.into_iter().flatten().collect(), clashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition `normalize_name` takes shortcuts from.
    fn by_definition(name: &str) -> String {
        let lower = name.trim().to_lowercase();
        lower
            .replace(['\u{2019}', '\u{2018}', '\u{02BC}'], "'")
            .nfc()
            .collect()
    }

    const TRICKY: [&str; 14] = [
        "É", "é", "e\u{301}", "Σ", "ΟΣ ", "İ", "ẞ", "ß", "’", "ʼ", "Œ", "÷", "A", " ",
    ];

    proptest! {
        #[test]
        fn normalisation_follows_its_definition(name in "\\PC{0,20}") {
            prop_assert_eq!(normalize_name(&name), by_definition(&name));
        }

        #[test]
        fn normalisation_follows_its_definition_on_tricky_letters(
            parts in proptest::collection::vec(proptest::sample::select(&TRICKY[..]), 0..8)
        ) {
            let name = parts.concat();
            prop_assert_eq!(normalize_name(&name), by_definition(&name));
        }
    }

    #[test]
    fn normalisation_folds_case_nfc_apostrophes_and_spaces() {
        let composed = "Réseau l'été";
        let decomposed = "Re\u{301}seau l\u{2019}e\u{301}te\u{301}  ";
        assert_eq!(normalize_name(composed), normalize_name(decomposed));
        assert_eq!(normalize_name("  ÉTÉ "), "été");
        assert_eq!(normalize_name("L‘x"), "l'x");
        assert_eq!(normalize_name("ΟΔΟΣ"), "οδο\u{3C2}", "word-final sigma");
    }

    #[test]
    fn characters_below_combining_marks_are_nfc() {
        for c in (0..0x300u32).filter_map(char::from_u32) {
            assert!(is_nfc(&c.to_string()), "{c:?}");
        }
    }

    #[test]
    fn slugs_are_ascii_and_safe() {
        assert_eq!(
            slugify("Apprentissage profond (Deep Learning)"),
            "apprentissage-profond-deep-learning"
        );
        assert_eq!(
            slugify("L'algorithme du gradient"),
            "l-algorithme-du-gradient"
        );
        assert_eq!(slugify("Cœur à l’été"), "coeur-a-l-ete");
        assert_eq!(slugify("../../etc/passwd"), "etc-passwd");
        assert_eq!(slugify("a\\b/c..d"), "a-b-c-d");
        assert_eq!(slugify("???"), "note");
        for s in [slugify("../x"), slugify("深度学习"), slugify("..")] {
            assert!(
                !s.contains('/') && !s.contains('\\') && !s.contains(".."),
                "{s}"
            );
        }
    }

    #[test]
    fn collisions_get_numbered_suffixes_without_stealing_natural_slugs() {
        let mut table = SlugTable::with_capacity(4);
        let wanted: Vec<String> = ["foo", "foo", "foo-2", "foo"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (slugs, clashes) = table.assign(&wanted, |i| i);
        assert_eq!(slugs, ["foo", "foo-3", "foo-2", "foo-4"]);
        assert_eq!(clashes.len(), 2);
        assert_eq!((clashes[0].index, clashes[0].owner), (1, 0));
        assert_eq!(clashes[0].wanted, "foo");
    }
}
