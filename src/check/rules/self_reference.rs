//! `self-reference` (warning): a note whose frontmatter relation resolves to the note itself
//! (`subClassOf: [[Itself]]`, or through one of its aliases). Body links to the note itself
//! are ordinary same-note links and are not flagged.

use super::Context;
use crate::diagnostic::{Code, Diagnostic};

pub(super) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    context
        .graph
        .edges()
        .filter(|e| !e.edge.inferred && e.source == e.target)
        .map(|e| {
            let title = &context.graph.node(e.source).title;
            let message = format!("`{title}` says it `{}` itself", e.relation());
            context
                .at_origin(Code::SelfReference, e.edge.origin, message)
                .with_help("remove this link, or point it to the concept you meant")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::rules::testing::findings;
    use crate::graph::test_support::note;

    #[test]
    fn fires_on_a_relation_to_itself_through_an_alias() {
        let found = findings(
            check,
            vec![
                note("a.md", "A")
                    .alias("Alpha")
                    .relation("subClassOf", "alpha"),
            ],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].message, "`A` says it `subClassOf` itself");
        assert_eq!(found[0].line, 3);
    }

    #[test]
    fn silent_for_body_links_to_itself_and_links_elsewhere() {
        let found = findings(
            check,
            vec![
                note("a.md", "A").body_link("A").relation("seeAlso", "B"),
                note("b.md", "B"),
            ],
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
