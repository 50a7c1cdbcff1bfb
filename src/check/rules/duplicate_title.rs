//! `duplicate-title` (error): a note whose title an earlier note (in path order) already has.
//! Both notes are kept; links to the title go to the first, and the message says which.

use super::{Context, at_note};
use crate::diagnostic::{Code, Diagnostic};

pub(super) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    context
        .graph
        .duplicate_titles()
        .iter()
        .filter_map(|duplicate| {
            let note = context.note(duplicate.node)?;
            let first = context.describe(duplicate.resolves_to);
            let message = format!(
                "duplicate title `{}`: {first} has it too, and links to `{}` resolve to {first}",
                note.title, note.title
            );
            Some(at_note(Code::DuplicateTitle, note, message).with_help(
                "give one of the two notes a distinct `title:` (an `aliases:` entry can keep old links working)",
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::rules::testing::findings;
    use crate::diagnostic::Severity;
    use crate::graph::test_support::note;

    #[test]
    fn fires_on_the_second_note_and_names_the_first() {
        let found = findings(
            check,
            vec![note("b.md", "Même titre"), note("a.md", "même TITRE")],
        );
        assert_eq!(found.len(), 1);
        let d = &found[0];
        assert_eq!(
            (d.severity, d.code),
            (Severity::Error, Code::DuplicateTitle)
        );
        assert_eq!(d.file.to_str(), Some("b.md"));
        assert_eq!(d.line, 2);
        assert!(
            d.message.contains("resolve to `même TITRE` (a.md)"),
            "{}",
            d.message
        );
    }

    #[test]
    fn distinct_titles_are_fine() {
        assert!(findings(check, vec![note("a.md", "Un"), note("b.md", "Deux")]).is_empty());
    }
}
