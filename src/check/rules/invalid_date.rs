//! `invalid-date` (warning): a `date*` key (`date_creation`, `date_modification`, `date`, …)
//! whose value is not an ISO `YYYY-MM-DD` calendar date (`2025-13-45`, `hier`, `08/04/2025`).
//! Empty values are left alone.

use super::Context;
use crate::diagnostic::{Code, Diagnostic};
use crate::vault::{Date, relation_name};

pub(super) fn check(context: &Context<'_>) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for note in &context.vault.notes {
        for field in &note.fields {
            let key = relation_name(&field.key).as_bytes();
            if key.len() < 4 || !key[..4].eq_ignore_ascii_case(b"date") {
                continue;
            }
            for value in field
                .values
                .iter()
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
            {
                if let Err(problem) = value.parse::<Date>() {
                    let message = format!("invalid date `{value}` in `{}`: {problem}", field.key);
                    found.push(
                        Diagnostic::new(
                            Code::InvalidDate,
                            note.path.clone(),
                            field.span.line,
                            field.span.column,
                            message,
                        )
                        .with_help("write the date as YYYY-MM-DD, e.g. `2025-04-08`"),
                    );
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::rules::testing::findings;
    use crate::graph::test_support::note;

    #[test]
    fn fires_on_impossible_and_malformed_dates() {
        let found = findings(
            check,
            vec![
                note("a.md", "A")
                    .field("date_creation", &["2025-13-45"])
                    .field("date_modification", &["hier"])
                    .field("date", &["2023-02-29"])
                    .field("dateRevue", &["08/04/2025"]),
            ],
        );
        let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "invalid date `2025-13-45` in `date_creation`: there is no month 13",
                "invalid date `hier` in `date_modification`: not in the form YYYY-MM-DD",
                "invalid date `2023-02-29` in `date`: month 2 of 2023 has no day 29",
                "invalid date `08/04/2025` in `dateRevue`: not in the form YYYY-MM-DD",
            ]
        );
        assert_eq!(found[1].line, 4);
    }

    #[test]
    fn silent_for_valid_dates_and_other_keys() {
        let found = findings(
            check,
            vec![
                note("a.md", "A")
                    .field("date_creation", &["2025-04-08"])
                    .field("date_modification", &["2024-02-29"])
                    .field("date_revue", &[""])
                    .field("version", &["hier"]),
            ],
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
