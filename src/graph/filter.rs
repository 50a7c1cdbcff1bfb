//! Which relations a query or an export keeps.

/// A set of relations to keep; empty means every relation. Names match ASCII-case-insensitively
/// and without namespace (`rdfs:subClassOf` and `subclassof` both mean `subClassOf`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelationFilter {
    only: Vec<String>,
}

impl RelationFilter {
    /// Keeps every relation.
    pub fn all() -> Self {
        RelationFilter::default()
    }

    /// Keeps only the listed relations (every relation when the list is empty).
    pub fn only<S: AsRef<str>>(relations: impl IntoIterator<Item = S>) -> Self {
        RelationFilter {
            only: relations.into_iter().map(|r| fold(r.as_ref())).collect(),
        }
    }

    /// Whether every relation is kept.
    pub fn is_all(&self) -> bool {
        self.only.is_empty()
    }

    /// Whether edges of `relation` are kept.
    pub fn allows(&self, relation: &str) -> bool {
        self.is_all()
            || self
                .only
                .iter()
                .any(|r| r.eq_ignore_ascii_case(bare(relation)))
    }
}

fn bare(relation: &str) -> &str {
    relation
        .rsplit_once(':')
        .map_or(relation, |(_, bare)| bare)
        .trim()
}

fn fold(relation: &str) -> String {
    bare(relation).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_case_and_namespace_insensitively() {
        let f = RelationFilter::only(["rdfs:subClassOf", "HASPART"]);
        assert!(f.allows("subClassOf"));
        assert!(f.allows("hasPart"));
        assert!(!f.allows("linksTo"));
        assert!(RelationFilter::all().allows("anything"));
        assert!(RelationFilter::only(Vec::<String>::new()).is_all());
    }
}
