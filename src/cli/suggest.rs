//! "Did you mean …?" for names typed on the command line (concepts, implementation ids).

/// Up to three candidates close to `typed`, closest first (a candidate containing what was
/// typed counts as close), each once.
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let typed = typed.trim().to_lowercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| (closeness(&typed, &c.to_lowercase()), c))
        .filter(|&(score, _)| score >= 0.75)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
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

fn closeness(typed: &str, candidate: &str) -> f64 {
    if !typed.is_empty() && candidate.contains(typed) {
        return 0.9;
    }
    strsim::jaro_winkler(typed, candidate)
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
        assert_eq!(help_line(&[], "see `savoir list`"), "help: see `savoir list`");
        assert_eq!(help_line(&["a", "b"], ""), "help: did you mean \"a\" or \"b\"?");
    }
}
