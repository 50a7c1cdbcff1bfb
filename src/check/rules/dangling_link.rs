//! `dangling-link` (warning): a link, in the frontmatter or the body, whose target matches no
//! note's title, alias, file stem or folder path; it becomes a stub. The help names the
//! closest existing title when one is within a third of the name's length in edits.
//! Suggestions are computed once per stub, in parallel, with cheap lower bounds first, so a
//! vault with many dangling links stays fast. A link to a file (`schema.png`, `cours.pdf`)
//! that exists nowhere in the vault is dangling too (it makes no stub); one to an attachment
//! that exists is not.

use super::Context;
use crate::diagnostic::{Code, Diagnostic};
use crate::graph::{DanglingLink, LINKS_TO, NodeIndex};
use crate::suggest::Suggestions;
use rayon::prelude::*;

pub(super) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let graph = context.graph;
    let titles = Suggestions::new(
        graph
            .nodes()
            .filter(|(_, n)| !n.stub)
            .map(|(_, n)| n.title.as_str()),
    );
    let notes = context.vault.notes.len();
    let stubs: Vec<NodeIndex> = graph
        .nodes()
        .filter(|(_, n)| n.stub)
        .map(|(i, _)| i)
        .collect();
    let suggestions: Vec<Option<&str>> = stubs
        .par_iter()
        .map(|&stub| titles.closest(&graph.node(stub).title))
        .collect();
    let mut found: Vec<Diagnostic> = graph
        .dangling_links()
        .iter()
        .map(|link| {
            let suggestion = suggestions
                .get(link.target.index().wrapping_sub(notes))
                .copied()
                .flatten();
            diagnostic(context, link, suggestion)
        })
        .collect();
    found.extend(missing_files(context));
    found
}

/// Links to files (`schema.png`) the vault does not hold: the help names the closest
/// attachment's file name when there is one.
fn missing_files(context: &Context<'_>) -> Vec<Diagnostic> {
    let missing = context.graph.missing_files();
    if missing.is_empty() {
        return Vec::new();
    }
    let names = Suggestions::new(context.vault.attachments.iter().map(|a| a.file_name()));
    missing
        .iter()
        .map(|file| {
            let target = &file.written;
            let name = target.rsplit('/').next().unwrap_or(target);
            let message =
                format!("dangling link to the file `{target}`: the vault has no file with this name or path");
            let help = match names.closest(name) {
                Some(close) => format!(
                    "did you mean `{close}`? (a file is found by its name, or by its path from the note or the vault's root)"
                ),
                None => format!(
                    "add `{name}` to the vault (next to the note, or in any folder), or fix the name or path"
                ),
            };
            context
                .at_origin(Code::DanglingLink, file.origin, message)
                .with_help(help)
        })
        .collect()
}

fn diagnostic(context: &Context<'_>, link: &DanglingLink, suggestion: Option<&str>) -> Diagnostic {
    let target = &link.written;
    let kind = if &*link.relation == LINKS_TO {
        "link".to_string()
    } else {
        format!("`{}` link", link.relation)
    };
    let message =
        format!("dangling {kind} `[[{target}]]`: no note has this title, alias or file name");
    let help = match suggestion {
        Some(title) => format!("did you mean `[[{title}]]`?"),
        None => {
            format!("create a note titled `{target}`, or fix the link (until then it is a stub)")
        }
    };
    context
        .at_origin(Code::DanglingLink, link.origin, message)
        .with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::rules::testing::findings;
    use crate::graph::test_support::note;

    #[test]
    fn fires_per_link_with_the_closest_title() {
        let found = findings(
            check,
            vec![
                note("a.md", "Réseaux de neurones")
                    .relation("seeAlso", "Reseaux de neurone")
                    .body_link("Quelque chose d'autre"),
                note("b.md", "Perceptron").body_link("Reseaux de neurone"),
            ],
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!((found[0].file.to_str(), found[0].line), (Some("a.md"), 3));
        assert!(
            found[0]
                .message
                .contains("`seeAlso` link `[[Reseaux de neurone]]`"),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].help, "did you mean `[[Réseaux de neurones]]`?");
        assert!(
            found[1]
                .help
                .starts_with("create a note titled `Quelque chose d'autre`")
        );
        assert_eq!(found[2].file.to_str(), Some("b.md"));
    }

    #[test]
    fn silent_for_resolved_and_same_note_links() {
        let found = findings(
            check,
            vec![
                note("a.md", "A")
                    .alias("Alpha")
                    .relation("seeAlso", "b")
                    .body_link("alpha")
                    .body_link(""),
                note("b.md", "Bêta"),
            ],
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
