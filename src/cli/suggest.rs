//! "Did you mean …?" for names typed on the command line (concepts, implementation ids).

/// Up to three candidates close to `typed`, closest first, each once: those containing what was
/// typed, then those within an edit distance of a third of their length (at least 1).
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let typed = typed.trim().to_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| distance(&typed, &c.to_lowercase()).map(|d| (d, c)))
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    let mut picked: Vec<&str> = Vec::new();
    for (_, c) in scored {
        if !picked.contains(&c) && picked.len() < 3 {
            picked.push(c);
        }
    }
    picked
}

/// `help: did you mean "a" or "b"?`, or `fallback` when nothing is close.
pub fn help_line(suggestions: &[&str], fallback: &str) -> String {
    if suggestions.is_empty() {
        return format!("help: {fallback}");
    }
    let quoted: Vec<String> = suggestions.iter().map(|s| format!("\"{s}\"")).collect();
    format!("help: did you mean {}?", quoted.join(" or "))
}

/// How far a candidate is from what was typed (0 when it contains it), or `None` when too far.
fn distance(typed: &str, candidate: &str) -> Option<usize> {
    if typed.is_empty() {
        return None;
    }
    if candidate.contains(typed) {
        return Some(0);
    }
    let longer = typed.chars().count().max(candidate.chars().count());
    let d = strsim::osa_distance(typed, candidate);
    (d <= (longer / 3).max(1)).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_first() {
        let names = ["Optimiseur", "Moment", "Moyenne mobile", "mlp"];
        assert_eq!(closest("optimiseurr", names), ["Optimiseur"]);
        assert_eq!(closest("mpl", names), ["mlp"]);
        assert_eq!(closest("moyenne", names), ["Moyenne mobile"]);
        assert!(closest("zzz", names).is_empty());
        assert_eq!(
            help_line(&[], "see `savoir list`"),
            "help: see `savoir list`"
        );
        assert_eq!(
            help_line(&["a", "b"], ""),
            "help: did you mean \"a\" or \"b\"?"
        );
    }
}
