//! The vault's attachments (every non-Markdown file: images, PDFs, audio…) and how a link
//! names one: by file name, or by path when two share a name, as Obsidian does.

use foldhash::HashMap;
use std::path::{Component, Path};
use walkdir::WalkDir;

/// Every attachment of a vault, by vault-relative path (`/`-separated).
#[derive(Debug, Default, Clone)]
pub struct Attachments {
    /// Lower-case file name → the paths that have it, in path order.
    by_name: HashMap<String, Vec<String>>,
}

impl Attachments {
    /// Lists the attachments under `root` (hidden folders such as `.obsidian` and `.savoir`
    /// left out); a folder that cannot be read is skipped (the vault stage reports it).
    pub fn scan(root: &Path) -> Self {
        let mut paths: Vec<String> = WalkDir::new(root)
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .filter(|e| {
                e.path()
                    .extension()
                    .is_none_or(|x| !x.eq_ignore_ascii_case("md"))
            })
            .filter_map(|e| {
                let rel = e.path().strip_prefix(root).ok()?;
                Some(rel.to_str()?.replace('\\', "/"))
            })
            .collect();
        paths.sort();
        Self::from_paths(paths)
    }

    /// The index of these vault-relative paths.
    pub fn from_paths(paths: impl IntoIterator<Item = String>) -> Self {
        let mut by_name: HashMap<String, Vec<String>> = HashMap::default();
        for path in paths {
            let name = path.rsplit('/').next().unwrap_or(&path).to_lowercase();
            by_name.entry(name).or_default().push(path);
        }
        Attachments { by_name }
    }

    /// The attachment a link written in the note at `from` (vault-relative) names: a bare
    /// file name matches anywhere (the one beside the note first when several share it), a
    /// path matches from the vault root or from the note's folder.
    pub fn resolve(&self, target: &str, from: &Path) -> Option<&str> {
        let target = target.trim().trim_start_matches("./");
        let name = target.rsplit('/').next()?.to_lowercase();
        let candidates = self.by_name.get(&name)?;
        let folder = from
            .parent()
            .map(|p| p.to_string_lossy().replace('\\', "/"));
        let beside = |path: &str| match &folder {
            Some(folder) if !folder.is_empty() => format!("{folder}/{}", path),
            _ => path.to_string(),
        };
        let wanted_from_note = normalize(&beside(target));
        let pick = if target.contains('/') {
            candidates.iter().find(|p| {
                p.eq_ignore_ascii_case(target) || Some(p.to_lowercase()) == wanted_from_note
            })?
        } else {
            candidates
                .iter()
                .find(|p| Some(p.to_lowercase()) == wanted_from_note)
                .unwrap_or(&candidates[0])
        };
        Some(pick)
    }
}

/// `a/b/../c` → `a/c`, lower case; `None` when the path climbs out of the vault.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().to_lowercase()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// Whether a file is shown as an image (`<img>`) when embedded.
pub fn is_image(path: &str) -> bool {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some("png" | "jpg" | "jpeg" | "gif" | "svg" | "webp" | "avif" | "bmp")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> Attachments {
        Attachments::from_paths(
            ["a/schema.png", "b/schema.png", "cours.pdf", "img/x.png"].map(String::from),
        )
    }

    #[test]
    fn a_file_name_resolves_anywhere_the_nearest_first() {
        let att = index();
        assert_eq!(
            att.resolve("cours.pdf", Path::new("n.md")),
            Some("cours.pdf")
        );
        assert_eq!(
            att.resolve("Schema.PNG", Path::new("b/n.md")),
            Some("b/schema.png")
        );
        assert_eq!(
            att.resolve("schema.png", Path::new("c/n.md")),
            Some("a/schema.png")
        );
    }

    #[test]
    fn a_path_resolves_from_the_root_or_the_note() {
        let att = index();
        assert_eq!(
            att.resolve("b/schema.png", Path::new("n.md")),
            Some("b/schema.png")
        );
        assert_eq!(
            att.resolve("../img/x.png", Path::new("d/n.md")),
            Some("img/x.png")
        );
        assert_eq!(att.resolve("missing.png", Path::new("n.md")), None);
    }

    #[test]
    fn images_are_told_by_extension() {
        assert!(is_image("a/B.JPG") && !is_image("cours.pdf"));
    }
}
