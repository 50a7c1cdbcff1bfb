//! The relation schema: which relations have an inverse, are symmetric, transitive, or merge
//! identity. Relations are data, not code: `savoir.toml` extends and overrides the defaults.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The relation given to every wiki link of a note's body.
pub const LINKS_TO: &str = "linksTo";

/// The configuration file read by [`Schema::load`] when no path is given.
pub use crate::config::CONFIG_FILE;

/// What the schema knows about one relation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RelationSpec {
    /// The relation that holds in the other direction (`hasPart` for `isPartOf`).
    pub inverse: Option<String>,
    /// `A r B` implies `B r A` (`seeAlso`).
    pub symmetric: bool,
    /// `A r B` and `B r C` imply `A r C` (`subClassOf`); never materialised as edges, used by
    /// ancestor queries and by the cycle check.
    pub transitive: bool,
    /// Concepts linked by this relation are one concept for lookup (`sameAs`).
    pub identity: bool,
}

/// The relation schema: built-in defaults, optionally extended by `savoir.toml`.
///
/// Defaults: `subClassOf` (transitive, inverse `hasSubClass`), `hasPart` ⟷ `isPartOf`,
/// `seeAlso`, `relatedTo` and `differentFrom` symmetric, `sameAs` symmetric, transitive and
/// merging identity, and `linksTo` (body links; nothing inferred from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    relations: BTreeMap<String, RelationSpec>,
}

/// Why a relation schema could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The configuration file could not be read.
    #[error("cannot read the relation schema {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file is not valid TOML or a `[relations.NAME]` table has a wrong shape.
    #[error("{}invalid relation schema: {message}\nhelp: {}", at(path), TABLE_HELP)]
    Syntax {
        /// The file, when the schema came from one.
        path: Option<PathBuf>,
        /// The TOML parser's message (it names the line).
        message: String,
    },
    /// A relation declaration contradicts itself or another declaration.
    #[error("{}relation `{relation}`: {problem}\nhelp: {help}", at(path))]
    Invalid {
        /// The file, when the schema came from one.
        path: Option<PathBuf>,
        /// The relation whose declaration is wrong.
        relation: String,
        /// What is wrong.
        problem: String,
        /// How to fix it.
        help: String,
    },
}

const TABLE_HELP: &str = "each `[relations.NAME]` table accepts `inverse = \"otherName\"`, \
`symmetric = true|false`, `transitive = true|false` and `identity = true|false`";

fn at(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map(|p| format!("{}: ", p.display()))
        .unwrap_or_default()
}

impl SchemaError {
    fn with_path(self, file: &Path) -> Self {
        let path = Some(file.to_path_buf());
        match self {
            SchemaError::Syntax { message, .. } => SchemaError::Syntax { path, message },
            SchemaError::Invalid {
                relation,
                problem,
                help,
                ..
            } => SchemaError::Invalid {
                path,
                relation,
                problem,
                help,
            },
            other => other,
        }
    }
}

/// The part of `savoir.toml` this stage reads; other top-level tables belong to other stages.
#[derive(Deserialize)]
struct ConfigFile {
    #[serde(default)]
    relations: BTreeMap<String, RelationDecl>,
}

/// One `[relations.NAME]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RelationDecl {
    inverse: Option<String>,
    symmetric: Option<bool>,
    transitive: Option<bool>,
    identity: Option<bool>,
}

impl Default for Schema {
    fn default() -> Self {
        Schema::builtin()
    }
}

impl Schema {
    /// The built-in relations (see the type's documentation).
    pub fn builtin() -> Schema {
        let mut schema = Schema {
            relations: BTreeMap::new(),
        };
        schema.set_inverse("subClassOf", "hasSubClass");
        schema.entry("subClassOf").transitive = true;
        schema.entry("hasSubClass").transitive = true;
        schema.set_inverse("hasPart", "isPartOf");
        for name in ["seeAlso", "relatedTo", "differentFrom", "sameAs"] {
            schema.entry(name).symmetric = true;
        }
        let same_as = schema.entry("sameAs");
        same_as.transitive = true;
        same_as.identity = true;
        schema.entry(LINKS_TO);
        schema
    }

    /// The built-in schema extended by the `[relations.NAME]` tables of a `savoir.toml` text.
    ///
    /// A declared `inverse` is registered both ways (and unlinks the relations' previous
    /// partners); the inverse of a transitive relation is transitive; an identity relation is
    /// symmetric. Other top-level tables are ignored (they configure other stages).
    pub fn from_toml_str(text: &str) -> Result<Schema, SchemaError> {
        let config: ConfigFile = toml::from_str(text).map_err(|e| SchemaError::Syntax {
            path: None,
            message: e.to_string(),
        })?;
        let mut schema = Schema::builtin();
        schema.extend(&config.relations)?;
        Ok(schema)
    }

    /// The schema of a configuration file: `path` when given (it must exist), else
    /// [`CONFIG_FILE`] in the current folder when present, else the built-in schema.
    pub fn load(path: Option<&Path>) -> Result<Schema, SchemaError> {
        match crate::config::read(path) {
            Ok(Some((file, text))) => Schema::from_toml_str(&text).map_err(|e| e.with_path(&file)),
            Ok(None) => Ok(Schema::builtin()),
            Err(crate::config::ConfigError::Read { path, source }) => {
                Err(SchemaError::Read { path, source })
            }
            Err(other) => Err(SchemaError::Syntax {
                path: None,
                message: other.to_string(),
            }),
        }
    }

    /// What the schema knows about `relation`, if it declares it.
    pub fn get(&self, relation: &str) -> Option<&RelationSpec> {
        self.relations.get(relation)
    }

    /// Every declared relation, by name.
    pub fn relations(&self) -> impl Iterator<Item = (&str, &RelationSpec)> {
        self.relations
            .iter()
            .map(|(name, spec)| (name.as_str(), spec))
    }

    /// The declared inverse of `relation`.
    pub fn inverse(&self, relation: &str) -> Option<&str> {
        self.get(relation).and_then(|s| s.inverse.as_deref())
    }

    /// Whether `relation` is declared symmetric.
    pub fn is_symmetric(&self, relation: &str) -> bool {
        self.get(relation).is_some_and(|s| s.symmetric)
    }

    /// Whether `relation` is declared transitive.
    pub fn is_transitive(&self, relation: &str) -> bool {
        self.get(relation).is_some_and(|s| s.transitive)
    }

    /// Whether `relation` merges the identity of the concepts it links (`sameAs`).
    pub fn is_identity(&self, relation: &str) -> bool {
        self.get(relation).is_some_and(|s| s.identity)
    }

    fn entry(&mut self, relation: &str) -> &mut RelationSpec {
        self.relations.entry(relation.to_string()).or_default()
    }

    /// Makes `a` and `b` each other's inverse, unlinking their previous partners.
    fn set_inverse(&mut self, a: &str, b: &str) {
        for (name, partner) in [(a, b), (b, a)] {
            if let Some(old) = self.entry(name).inverse.replace(partner.to_string())
                && old != partner
                && self.inverse(&old) == Some(name)
            {
                self.entry(&old).inverse = None;
            }
        }
    }

    fn extend(&mut self, decls: &BTreeMap<String, RelationDecl>) -> Result<(), SchemaError> {
        for (name, decl) in decls {
            validate(name, decl, decls)?;
        }
        for (name, decl) in decls {
            let spec = self.entry(name);
            if let Some(v) = decl.symmetric {
                spec.symmetric = v;
            }
            if let Some(v) = decl.transitive {
                spec.transitive = v;
            }
            if let Some(v) = decl.identity {
                spec.identity = v;
                spec.symmetric |= v;
            }
            match decl.inverse.as_deref() {
                Some(inverse) if inverse == name => spec.symmetric = true,
                Some(inverse) => self.set_inverse(name, inverse),
                None => {}
            }
        }
        let transitive_inverses: Vec<String> = self
            .relations
            .values()
            .filter(|s| s.transitive)
            .filter_map(|s| s.inverse.clone())
            .collect();
        for name in transitive_inverses {
            self.entry(&name).transitive = true;
        }
        Ok(())
    }
}

/// Rejects a declaration that cannot mean anything consistent.
fn validate(
    name: &str,
    decl: &RelationDecl,
    decls: &BTreeMap<String, RelationDecl>,
) -> Result<(), SchemaError> {
    let invalid = |problem: String, help: String| SchemaError::Invalid {
        path: None,
        relation: name.to_string(),
        problem,
        help,
    };
    check_name(name).map_err(|(p, h)| invalid(p, h))?;
    let Some(inverse) = decl.inverse.as_deref() else {
        return Ok(());
    };
    check_name(inverse).map_err(|(p, h)| invalid(p, h))?;
    if inverse != name && decl.symmetric == Some(true) {
        return Err(invalid(
            format!("declared both symmetric and the inverse of `{inverse}`"),
            format!(
                "a symmetric relation is its own inverse: remove `inverse = \"{inverse}\"` or `symmetric = true`"
            ),
        ));
    }
    if let Some(other) = decls.get(inverse).and_then(|d| d.inverse.as_deref())
        && other != name
    {
        return Err(invalid(
            format!(
                "declares the inverse `{inverse}`, but `{inverse}` declares the inverse `{other}`"
            ),
            format!(
                "a relation has one inverse: make `[relations.{inverse}]` say `inverse = \"{name}\"` or drop one of the two `inverse` lines"
            ),
        ));
    }
    Ok(())
}

/// A relation name must be a bare frontmatter key.
fn check_name(name: &str) -> Result<(), (String, String)> {
    if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
        return Err((
            format!("`{name}` is not a usable relation name"),
            "use the frontmatter key as written, without spaces (e.g. `precedes`)".to_string(),
        ));
    }
    if let Some((_, bare)) = name.rsplit_once(':') {
        return Err((
            format!("`{name}` has a namespace prefix"),
            format!(
                "declare the bare name `{bare}`: namespaced keys such as `rdfs:{bare}` are read as `{bare}`"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_defaults() {
        let s = Schema::builtin();
        assert_eq!(s.inverse("subClassOf"), Some("hasSubClass"));
        assert_eq!(s.inverse("hasSubClass"), Some("subClassOf"));
        assert!(s.is_transitive("subClassOf") && s.is_transitive("hasSubClass"));
        assert_eq!(s.inverse("hasPart"), Some("isPartOf"));
        assert_eq!(s.inverse("isPartOf"), Some("hasPart"));
        assert!(s.is_symmetric("seeAlso") && s.is_symmetric("relatedTo"));
        assert!(s.is_symmetric("differentFrom"));
        assert!(s.is_identity("sameAs") && s.is_symmetric("sameAs"));
        assert!(s.get(LINKS_TO).is_some());
        assert_eq!(s.inverse(LINKS_TO), None);
        assert!(!s.is_symmetric(LINKS_TO));
        assert!(s.get("uses").is_none());
    }

    #[test]
    fn toml_extends_and_registers_inverse_both_ways() {
        let s = Schema::from_toml_str(
            "[site]\ntitle = \"x\"\n\n[relations.precedes]\ninverse = \"follows\"\ntransitive = true\n\n[relations.differentFrom]\nsymmetric = true\n",
        )
        .unwrap();
        assert_eq!(s.inverse("precedes"), Some("follows"));
        assert_eq!(s.inverse("follows"), Some("precedes"));
        assert!(s.is_transitive("precedes"));
        assert!(
            s.is_transitive("follows"),
            "the inverse of a transitive relation is transitive"
        );
        assert!(s.is_symmetric("differentFrom"));
        assert_eq!(
            s.inverse("subClassOf"),
            Some("hasSubClass"),
            "defaults kept"
        );
    }

    #[test]
    fn toml_overrides_a_default_inverse() {
        let s = Schema::from_toml_str("[relations.hasPart]\ninverse = \"partOf\"\n").unwrap();
        assert_eq!(s.inverse("hasPart"), Some("partOf"));
        assert_eq!(s.inverse("partOf"), Some("hasPart"));
        assert_eq!(s.inverse("isPartOf"), None, "old partner unlinked");
    }

    #[test]
    fn self_inverse_means_symmetric() {
        let s = Schema::from_toml_str("[relations.near]\ninverse = \"near\"\n").unwrap();
        assert!(s.is_symmetric("near"));
        assert_eq!(s.inverse("near"), None);
    }

    #[test]
    fn unknown_field_is_a_syntax_error_with_help() {
        let err =
            Schema::from_toml_str("[relations.precedes]\ninvers = \"follows\"\n").unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, SchemaError::Syntax { .. }), "{text}");
        assert!(text.contains("invers"), "{text}");
        assert!(text.contains("help:"), "{text}");
    }

    #[test]
    fn contradictory_inverses_are_rejected() {
        let err = Schema::from_toml_str(
            "[relations.precedes]\ninverse = \"follows\"\n[relations.follows]\ninverse = \"after\"\n",
        )
        .unwrap_err();
        assert!(matches!(err, SchemaError::Invalid { .. }));
        assert!(err.to_string().contains("`after`"), "{err}");
    }

    #[test]
    fn symmetric_with_inverse_and_namespaced_names_are_rejected() {
        let err = Schema::from_toml_str("[relations.a]\ninverse = \"b\"\nsymmetric = true\n")
            .unwrap_err();
        assert!(err.to_string().contains("symmetric"), "{err}");
        let err =
            Schema::from_toml_str("[relations.\"skos:broader\"]\ntransitive = true\n").unwrap_err();
        assert!(err.to_string().contains("`broader`"), "{err}");
    }

    #[test]
    fn load_names_the_file_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("savoir.toml");
        std::fs::write(&file, "[relations.x\n").unwrap();
        let err = Schema::load(Some(&file)).unwrap_err();
        assert!(err.to_string().contains("savoir.toml"), "{err}");
        let missing = dir.path().join("missing.toml");
        let err = Schema::load(Some(&missing)).unwrap_err();
        assert!(matches!(err, SchemaError::Read { .. }));
        assert!(err.to_string().contains("missing.toml"), "{err}");
    }
}
