//! `unknown-key` (warning): a frontmatter key that looks like a misspelt known key. Known keys
//! are the reserved ones ([`RESERVED_KEYS`]) and every relation of the schema. A key is flagged
//! only when, without its namespace, it is not known but equals a known key ignoring case
//! (`subclassof`, `hasPArt`) or is within 2 edits of one (1 edit for keys of 4 letters or
//! fewer): `seeAslo`, `titel`. New relation names (`uses`, `appliedIn`, `solves`) are data,
//! never findings.

use super::Context;
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{LINKS_TO, Schema};
use crate::vault::{RESERVED_KEYS, relation_name};
use foldhash::{HashMap, HashMapExt};

pub(super) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let known = known_keys(context.schema);
    let mut verdicts: HashMap<&str, Option<&str>> = HashMap::new();
    let mut found = Vec::new();
    for note in &context.vault.notes {
        for field in &note.fields {
            let intended = *verdicts
                .entry(field.key.as_str())
                .or_insert_with(|| intended_key(relation_name(&field.key), &known));
            let Some(intended) = intended else {
                continue;
            };
            let mut help = format!("rename it to `{intended}` (keys are case-sensitive)");
            if note.relations.iter().any(|r| r.key == field.key) {
                help.push_str(&format!(
                    "; as written, its links form a separate relation `{}`",
                    relation_name(&field.key)
                ));
            }
            let message = format!("unknown key `{}`: did you mean `{intended}`?", field.key);
            found.push(
                Diagnostic::new(
                    Code::UnknownKey,
                    note.path.clone(),
                    field.span.line,
                    field.span.column,
                    message,
                )
                .with_help(help),
            );
        }
    }
    found
}

fn known_keys(schema: &Schema) -> Vec<&str> {
    let mut known: Vec<&str> = RESERVED_KEYS.to_vec();
    known.extend(
        schema
            .relations()
            .map(|(name, _)| name)
            .filter(|name| *name != LINKS_TO),
    );
    known
}

/// The known key `key` is probably a misspelling of, if any.
fn intended_key<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    if known.contains(&key) {
        return None;
    }
    let lower = key.to_lowercase();
    if let Some(same) = known.iter().find(|k| k.to_lowercase() == lower) {
        return Some(same);
    }
    let tolerance = if lower.chars().count() <= 4 { 1 } else { 2 };
    known
        .iter()
        .map(|k| (strsim::levenshtein(&lower, &k.to_lowercase()), *k))
        .filter(|(distance, _)| *distance <= tolerance)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::rules::testing::findings;
    use crate::graph::test_support::note;

    #[test]
    fn fires_on_misspelt_known_keys() {
        let found = findings(
            check,
            vec![
                note("a.md", "A")
                    .relation("subclassof", "B")
                    .relation("hasPArt", "B")
                    .relation("seeAslo", "B")
                    .field("titel", &["x"])
                    .relation("rdfs:subclassOf", "B"),
            ],
        );
        let intended: Vec<&str> = found
            .iter()
            .map(|d| d.message.rsplit('`').nth(1).unwrap())
            .collect();
        assert_eq!(
            intended,
            ["subClassOf", "hasPart", "seeAlso", "title", "subClassOf"]
        );
        assert!(
            found[0].help.contains("separate relation `subclassof`"),
            "{}",
            found[0].help
        );
        assert_eq!(found[3].line, 6);
    }

    #[test]
    fn silent_for_new_relation_names_and_known_keys() {
        let mut n = note("a.md", "A");
        for key in [
            "uses",
            "relatedTo",
            "appliedIn",
            "follows",
            "precedes",
            "depends",
            "solves",
            "isDefinedBy",
            "differentFrom",
            "sameAs",
            "rdfs:subClassOf",
            "owl:sameAs",
        ] {
            n = n.relation(key, "B");
        }
        for key in [
            "tags",
            "aliases",
            "type",
            "date_creation",
            "date_modification",
            "implementation",
            "source",
            "publié",
        ] {
            n = n.field(key, &["x"]);
        }
        let found = findings(check, vec![n]);
        assert!(found.is_empty(), "{found:?}");
    }
}
