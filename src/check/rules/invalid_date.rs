//! `invalid-date` (warning): a `date*` key (`date_creation`, `date_modification`, `date`, …)
//! whose value is not an ISO `YYYY-MM-DD` calendar date (`2025-13-45`, `hier`, `08/04/2025`).
//! Empty values are left alone.

use super::Context;
use crate::diagnostic::{Code, Diagnostic};
use crate::vault::relation_name;

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
                if let Err(problem) = iso_date(value) {
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

/// Checks that `text` is a `YYYY-MM-DD` date of the Gregorian calendar.
fn iso_date(text: &str) -> Result<(), String> {
    let parts: Vec<&str> = text.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if parts.len() != 3 || !digits(parts[0], 4) || !digits(parts[1], 2) || !digits(parts[2], 2) {
        return Err("not in the form YYYY-MM-DD".to_string());
    }
    let number = |s: &str| s.parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(parts[0]), number(parts[1]), number(parts[2]));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("there is no month {month}")),
    };
    if day == 0 || day > days {
        return Err(format!("month {month} of {year} has no day {day}"));
    }
    Ok(())
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
