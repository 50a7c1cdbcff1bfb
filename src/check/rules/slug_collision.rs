//! `slug-collision` (warning): a note whose title folds to a slug another concept already has
//! (`Réseau` and `Reseau`); it is published under a numbered slug, which the message gives.
//! Notes with a duplicate title are left to `duplicate-title`.

use super::{Context, at_note};
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::NodeIndex;
use std::collections::HashSet;

pub(super) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let duplicates: HashSet<NodeIndex> = context
        .graph
        .duplicate_titles()
        .iter()
        .map(|d| d.node)
        .collect();
    context
        .graph
        .slug_collisions()
        .iter()
        .filter(|c| !duplicates.contains(&c.node))
        .filter_map(|collision| {
            let note = context.note(collision.node)?;
            let assigned = &context.graph.node(collision.node).id;
            let message = format!(
                "slug `{}` is already taken by {}; this note is published as `{assigned}`",
                collision.wanted,
                context.describe(collision.owner)
            );
            Some(
                at_note(Code::SlugCollision, note, message).with_help(format!(
                    "keep `{assigned}` or give the note a title that folds to another slug"
                )),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::rules::testing::findings;
    use crate::graph::test_support::note;

    #[test]
    fn fires_with_the_assigned_slug() {
        let found = findings(check, vec![note("a.md", "Réseau"), note("b.md", "Reseau!")]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].file.to_str(), Some("b.md"));
        assert!(
            found[0].message.contains("published as `reseau-2`"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn silent_for_distinct_slugs_and_duplicate_titles() {
        assert!(findings(check, vec![note("a.md", "Réseau"), note("b.md", "Réseaux")]).is_empty());
        assert!(findings(check, vec![note("a.md", "Réseau"), note("b.md", "réseau")]).is_empty());
    }
}
