//! `unknown-implementation` (warning, only when a registry of implementations is given): an
//! `implementation:` id that no registered implementation has; the help names the closest
//! registered id, or lists them.

use super::Context;
use crate::diagnostic::{Code, Diagnostic};
use crate::suggest::Suggestions;

pub(super) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let Some(known) = context.known_implementations else {
        return Vec::new();
    };
    let ids = Suggestions::new(known.iter().map(String::as_str));
    context
        .vault
        .notes
        .iter()
        .filter_map(|note| {
            let id = note.implementation.as_ref()?;
            if known.contains(&id.value) {
                return None;
            }
            let help = match ids.closest(&id.value) {
                Some(closest) => {
                    format!("did you mean `{closest}`? (`savoir impls` lists the registered ids)")
                }
                None if known.is_empty() => {
                    "no implementation is registered yet: remove the key or register one"
                        .to_string()
                }
                None => format!("registered implementations: {}", known.join(", ")),
            };
            let message = format!("unknown implementation `{}`", id.value);
            Some(
                Diagnostic::new(
                    Code::UnknownImplementation,
                    note.path.clone(),
                    id.span.line,
                    id.span.column,
                    message,
                )
                .with_help(help),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::rules::testing::{findings, findings_with};
    use crate::graph::Schema;
    use crate::graph::test_support::note;

    fn notes() -> Vec<crate::graph::test_support::NoteBuilder> {
        vec![
            note("a.md", "A").implementation("gradient-decent"),
            note("b.md", "B").implementation("mlp"),
            note("d.md", "D").implementation("rnn"),
            note("c.md", "C").implementation("zzzzzz"),
        ]
    }

    #[test]
    fn fires_only_for_unregistered_ids_with_a_suggestion() {
        let known = ["mlp".to_string(), "gradient-descent".to_string()];
        let found = findings_with(check, notes(), &Schema::builtin(), Some(&known));
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0].message, "unknown implementation `gradient-decent`");
        assert_eq!(
            found[0].help,
            "did you mean `gradient-descent`? (`savoir impls` lists the registered ids)"
        );
        let listed = "registered implementations: mlp, gradient-descent";
        assert_eq!(found[1].help, listed);
        assert_eq!(found[2].message, "unknown implementation `rnn`");
        assert_eq!(found[2].help, listed, "`rnn` is no typo of `mlp`");
    }

    #[test]
    fn silent_without_a_registry() {
        assert!(findings(check, notes()).is_empty());
    }
}
