//! `savoir.toml`: where it is, and the top-level settings several stages share (today the
//! vault's language). Each stage reads its own table (`[relations]`, `[site]`, `[demos]`,
//! `[search]`) from the same text; unknown tables are left to the stage that owns them.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The configuration file looked for in the current folder when none is given.
pub const CONFIG_FILE: &str = "savoir.toml";

/// The language a vault is written in: it drives the search analyzer and the site's labels,
/// dates and numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Language {
    /// French (`language = "fr"`).
    #[serde(rename = "fr")]
    French,
    /// English (`language = "en"`), the default.
    #[default]
    #[serde(rename = "en")]
    English,
}

impl Language {
    /// The BCP 47 code (`fr`, `en`), as written in `savoir.toml` and in `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Language::French => "fr",
            Language::English => "en",
        }
    }
}

/// A configuration file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file exists (or was named) but cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a shared key has the wrong type.
    #[error("{}: {message}\n  help: `language` takes \"fr\" or \"en\"", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
}

/// The configuration text: `path` when given (it must exist), else [`CONFIG_FILE`] in the
/// current folder when present, else `None` (every stage then uses its defaults).
pub fn read(path: Option<&Path>) -> Result<Option<(PathBuf, String)>, ConfigError> {
    let file = match path {
        Some(file) => file,
        None if Path::new(CONFIG_FILE).is_file() => Path::new(CONFIG_FILE),
        None => return Ok(None),
    };
    let text = std::fs::read_to_string(file).map_err(|source| ConfigError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    Ok(Some((file.to_path_buf(), text)))
}

/// The top-level keys shared by the stages.
#[derive(Debug, Default, Deserialize)]
struct Shared {
    #[serde(default)]
    language: Language,
}

/// The vault's language from a configuration text (`language = "fr"`), English when unset.
pub fn language(file: &Path, text: &str) -> Result<Language, ConfigError> {
    toml::from_str::<Shared>(text)
        .map(|shared| shared.language)
        .map_err(|e| ConfigError::Syntax {
            path: file.to_path_buf(),
            message: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_defaults_to_english_and_reads_french() {
        let file = Path::new("savoir.toml");
        assert_eq!(language(file, "").unwrap(), Language::English);
        let fr = language(file, "language = \"fr\"\n[relations.a]\ninverse = \"b\"\n").unwrap();
        assert_eq!(fr, Language::French);
        assert_eq!(fr.code(), "fr");
    }

    #[test]
    fn an_unknown_language_names_the_file_and_the_choices() {
        let err = language(Path::new("x/savoir.toml"), "language = \"de\"").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("x/savoir.toml") && text.contains("\"fr\""),
            "{text}"
        );
    }
}
