//! Attachments: the non-Markdown files of a vault (images, PDFs, audio, …), and how a link
//! finds one, as Obsidian does: by file name, or by path when two share a name.

use foldhash::{HashMap, HashMapExt};
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;

/// How names and paths are compared: trimmed, lower case, NFC (file systems differ in case
/// and in how they compose accents; Obsidian ignores both).
fn normalize_name(text: &str) -> String {
    text.trim().to_lowercase().nfc().collect()
}

/// One non-Markdown file of the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its path relative to the vault root, `/`-separated (what the site copies).
    pub path: PathBuf,
}

impl Attachment {
    /// Its file name (`schema.png`).
    pub fn file_name(&self) -> &str {
        self.path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
    }

    /// Whether it is an image a page can show with `<img>` (by its extension).
    pub fn is_image(&self) -> bool {
        const IMAGES: [&str; 9] = [
            "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "bmp", "ico",
        ];
        self.path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| IMAGES.iter().any(|i| i.eq_ignore_ascii_case(e)))
    }
}

/// Every attachment of a vault, in path order, indexed by name and by path.
#[derive(Debug, Clone, Default)]
pub struct Attachments {
    list: Vec<Attachment>,
    /// Normalised vault-relative path → index.
    by_path: HashMap<String, usize>,
    /// Normalised file name → indices, in path order.
    by_name: HashMap<String, Vec<usize>>,
}

impl Attachments {
    /// The attachments at these vault-relative, `/`-separated paths (sorted here).
    pub fn new(mut paths: Vec<PathBuf>) -> Self {
        paths.sort_unstable_by(|a, b| super::path_order(a, b));
        let list: Vec<Attachment> = paths.into_iter().map(|path| Attachment { path }).collect();
        let mut by_path = HashMap::with_capacity(list.len());
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::with_capacity(list.len());
        for (i, attachment) in list.iter().enumerate() {
            by_path.insert(normalize_name(&attachment.path.to_string_lossy()), i);
            by_name
                .entry(normalize_name(attachment.file_name()))
                .or_default()
                .push(i);
        }
        Attachments {
            list,
            by_path,
            by_name,
        }
    }

    /// Every attachment, in path order.
    pub fn iter(&self) -> impl Iterator<Item = &Attachment> {
        self.list.iter()
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether the vault has none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The attachment a link target written in the note at `from_note` (vault-relative)
    /// stands for, as Obsidian finds it: a bare name (`schema.png`) is the file with that
    /// name (when several share it: the one in the note's folder, else the one nearest the
    /// root, else the first in path order); a path (`img/schema.png`, `./x.png`,
    /// `../img/x.png`) is tried relative to the note's folder, then to the vault root, then
    /// as the end of a path (`img/x.png` finds `cours/img/x.png`). Case-insensitive.
    ///
    /// ```
    /// use savoir::vault::Attachments;
    /// use std::path::{Path, PathBuf};
    /// let all = Attachments::new(vec![PathBuf::from("a/schema.png"), PathBuf::from("b/schema.png")]);
    /// let found = |target, from| all.resolve(target, Path::new(from)).map(|a| a.path.clone());
    /// assert_eq!(found("Schema.png", "b/note.md"), Some(PathBuf::from("b/schema.png")));
    /// assert_eq!(found("a/schema.png", "b/note.md"), Some(PathBuf::from("a/schema.png")));
    /// assert_eq!(found("../a/schema.png", "b/note.md"), Some(PathBuf::from("a/schema.png")));
    /// assert_eq!(found("absent.png", "b/note.md"), None);
    /// ```
    pub fn resolve(&self, target: &str, from_note: &Path) -> Option<&Attachment> {
        let target = target.trim();
        if target.is_empty() || self.list.is_empty() {
            return None;
        }
        let folder = from_note
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let found = if target.contains('/') {
            self.by_relative_path(target, &folder)
        } else {
            self.by_file_name(target, &folder)
        };
        found.map(|i| &self.list[i])
    }

    fn by_relative_path(&self, target: &str, folder: &str) -> Option<usize> {
        let from_root = target.trim_start_matches('/');
        let candidates = [join(folder, target), join("", from_root)];
        if let Some(&i) = candidates
            .iter()
            .flatten()
            .find_map(|path| self.by_path.get(&normalize_name(path)))
        {
            return Some(i);
        }
        // The end of a longer path (`img/x.png` for `cours/img/x.png`).
        let tail = normalize_name(&format!("/{}", from_root.trim_start_matches("./")));
        let name = tail.rsplit('/').next()?;
        self.by_name
            .get(name)?
            .iter()
            .copied()
            .find(|&i| normalize_name(&self.list[i].path.to_string_lossy()).ends_with(&tail))
    }

    fn by_file_name(&self, target: &str, folder: &str) -> Option<usize> {
        let same_name = self.by_name.get(&normalize_name(target))?;
        let folder_of = |i: usize| {
            self.list[i]
                .path
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        same_name
            .iter()
            .copied()
            .find(|&i| folder_of(i) == folder)
            .or_else(|| {
                same_name
                    .iter()
                    .copied()
                    .min_by_key(|&i| self.list[i].path.components().count())
            })
    }
}

/// A link target written in the note at `from_note` as a vault-relative path (`.` and `..`
/// resolved against the note's folder); `None` when it climbs above the vault root.
///
/// ```
/// use std::path::Path;
/// let path = savoir::vault::relative_path(Path::new("cours/n.md"), "../img/./x.png");
/// assert_eq!(path.as_deref(), Some("img/x.png"));
/// ```
pub fn relative_path(from_note: &Path, target: &str) -> Option<String> {
    let folder = from_note
        .parent()
        .map(|p| p.to_string_lossy())
        .unwrap_or_default();
    join(&folder, target)
}

/// `target` read from `folder` (both `/`-separated, vault-relative), with `.` and `..`
/// resolved; `None` when it climbs above the vault root.
fn join(folder: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// Whether a link target names a file other than a note: its last segment ends with an
/// extension (`.png`, `.pdf`, `.mp3`: one to five letters or digits, at least one letter)
/// that is not `.md`. `[[Version 1.2]]` and `[[Note]]` do not.
///
/// ```
/// use savoir::vault::names_a_file;
/// assert!(names_a_file("img/schéma.PNG") && names_a_file("cours.pdf"));
/// assert!(!names_a_file("Note.md") && !names_a_file("Version 1.2") && !names_a_file("Note"));
/// ```
pub fn names_a_file(target: &str) -> bool {
    let name = target.trim().rsplit('/').next().unwrap_or_default();
    let Some((stem, extension)) = name.rsplit_once('.') else {
        return false;
    };
    !stem.is_empty()
        && (1..=5).contains(&extension.len())
        && extension.bytes().all(|b| b.is_ascii_alphanumeric())
        && extension.bytes().any(|b| b.is_ascii_alphabetic())
        && !extension.eq_ignore_ascii_case("md")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attachments(paths: &[&str]) -> Attachments {
        Attachments::new(paths.iter().map(PathBuf::from).collect())
    }

    fn found(all: &Attachments, target: &str, from: &str) -> Option<String> {
        all.resolve(target, Path::new(from))
            .map(|a| a.path.to_string_lossy().into_owned())
    }

    #[test]
    fn a_shared_name_goes_to_the_notes_folder_then_the_shallowest() {
        let all = attachments(&["z/deep/x.png", "b/x.png", "a/x.png", "cours.pdf"]);
        assert_eq!(
            found(&all, "x.png", "z/deep/n.md").as_deref(),
            Some("z/deep/x.png")
        );
        assert_eq!(found(&all, "x.png", "n.md").as_deref(), Some("a/x.png"));
        assert_eq!(
            found(&all, "COURS.PDF", "z/n.md").as_deref(),
            Some("cours.pdf")
        );
        assert_eq!(all.iter().next().unwrap().path, PathBuf::from("a/x.png"));
    }

    #[test]
    fn paths_are_read_from_the_note_the_root_or_as_an_ending() {
        let all = attachments(&["cours/img/mon schéma.png", "img/x.png"]);
        assert_eq!(
            found(&all, "img/mon schéma.png", "n.md").as_deref(),
            Some("cours/img/mon schéma.png")
        );
        assert_eq!(
            found(&all, "./img/x.png", "n.md").as_deref(),
            Some("img/x.png")
        );
        assert_eq!(
            found(&all, "img/x.png", "cours/n.md").as_deref(),
            Some("img/x.png")
        );
        assert_eq!(
            found(&all, "../img/x.png", "cours/n.md").as_deref(),
            Some("img/x.png")
        );
        assert_eq!(found(&all, "../../x.png", "cours/n.md"), None);
        assert_eq!(found(&all, "autre/x.png", "n.md"), None);
    }

    #[test]
    fn images_are_told_by_their_extension() {
        let image = Attachment {
            path: PathBuf::from("a/B.JPG"),
        };
        assert!(image.is_image());
        assert_eq!(image.file_name(), "B.JPG");
        assert!(
            !Attachment {
                path: PathBuf::from("c.pdf")
            }
            .is_image()
        );
    }
}
