//! How a suggestion reads on the command line (the policy is [`savoir::suggest`]).

use savoir::suggest::Suggestions;

/// `help: did you mean "a" or "b"?` with up to three of `candidates` close to `typed`, or
/// `help: {fallback}` when none is.
pub fn help_line<'a>(
    typed: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    fallback: &str,
) -> String {
    let suggestions = Suggestions::new(candidates).ranked(typed, 3);
    if suggestions.is_empty() {
        return format!("help: {fallback}");
    }
    let quoted: Vec<String> = suggestions.iter().map(|s| format!("\"{s}\"")).collect();
    format!("help: did you mean {}?", quoted.join(" or "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_or_falls_back() {
        let names = [
            "Optimiseur",
            "Moment",
            "Moyenne mobile",
            "mlp",
            "Optimiseurs",
        ];
        assert_eq!(
            help_line("optimiseurr", names, ""),
            "help: did you mean \"Optimiseur\" or \"Optimiseurs\"?"
        );
        assert_eq!(
            help_line("zzz", names, "see `savoir list`"),
            "help: see `savoir list`"
        );
    }
}
