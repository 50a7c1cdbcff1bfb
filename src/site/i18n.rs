//! The site's words, dates and numbers in the vault's language (`language` in `savoir.toml`).

use crate::config::Language;

/// Every label the pages show.
#[derive(Debug)]
pub struct Labels {
    /// "Skip to content" link for keyboard users.
    pub skip_to_content: &'static str,
    /// Name of the main navigation.
    pub navigation: &'static str,
    /// Home page link.
    pub home: &'static str,
    /// Graph page link and title.
    pub graph: &'static str,
    /// Tags link and title.
    pub tags: &'static str,
    /// Search label and page title.
    pub search: &'static str,
    /// Placeholder of the search box.
    pub search_placeholder: &'static str,
    /// What the search page says when scripts are off.
    pub search_needs_script: &'static str,
    /// What the search box lists when nothing matches.
    pub search_no_hits: &'static str,
    /// What the search page says when nothing matches `{q}`.
    pub search_no_hits_for: &'static str,
    /// The search page's count of one hit.
    pub search_one_hit: &'static str,
    /// The search page's count of `{n}` hits.
    pub search_many_hits: &'static str,
    /// Theme button label.
    pub toggle_theme: &'static str,
    /// Footer line.
    pub footer: &'static str,
    /// Name of the breadcrumb navigation.
    pub breadcrumb: &'static str,
    /// Before the aliases.
    pub aliases: &'static str,
    /// Before the creation date.
    pub created: &'static str,
    /// Before the modification date.
    pub modified: &'static str,
    /// Title of the table of contents.
    pub contents: &'static str,
    /// Title of the demo section.
    pub demo: &'static str,
    /// Title of the relation panels.
    pub relations: &'static str,
    /// Badge of an inferred relation.
    pub inferred: &'static str,
    /// Tooltip of that badge.
    pub inferred_help: &'static str,
    /// Title of the local graph.
    pub local_graph: &'static str,
    /// Shown where the local graph is not drawn.
    pub see_global_graph: &'static str,
    /// Title of the backlinks.
    pub backlinks: &'static str,
    /// Title of the unknown frontmatter keys.
    pub other_fields: &'static str,
    /// A stub page's notice.
    pub not_written: &'static str,
    /// Title of a stub's referrers.
    pub referenced_by: &'static str,
    /// Title of sub-tags.
    pub subtags: &'static str,
    /// Home: entry points (subClassOf roots).
    pub entry_points: &'static str,
    /// Home: recently modified.
    pub recently_modified: &'static str,
    /// Preview of a concept not written yet.
    pub stub_preview: &'static str,
    /// Demo slot: demos were skipped (`--no-demos`).
    pub demos_skipped: &'static str,
    /// Demo: the device it ran on.
    pub demo_device: &'static str,
    /// Demo: how long it ran.
    pub demo_duration: &'static str,
    /// Demo: the report came from the cache.
    pub demo_cached: &'static str,
    /// Demo: metrics table caption.
    pub demo_metrics: &'static str,
    /// Demo: parameters table caption.
    pub demo_params: &'static str,
    /// Demo: checks heading.
    pub demo_checks: &'static str,
    /// Demo: the model's source.
    pub demo_source: &'static str,
    /// Demo: before the reproducing command.
    pub demo_reproduce: &'static str,
    /// Demo: before the error of a failed run.
    pub demo_failed: &'static str,
    /// Demo: an implementation id not registered (`{}` is the id).
    pub demo_unknown: &'static str,
}

const FRENCH: Labels = Labels {
    skip_to_content: "Aller au contenu",
    navigation: "Navigation",
    home: "Accueil",
    graph: "Graphe",
    tags: "Étiquettes",
    search: "Recherche",
    search_placeholder: "Rechercher un concept…",
    search_needs_script: "La recherche a besoin de JavaScript.",
    search_no_hits: "Aucun résultat",
    search_no_hits_for: "Aucun résultat pour « {q} »",
    search_one_hit: "1 résultat",
    search_many_hits: "{n} résultats",
    toggle_theme: "Thème clair ou sombre",
    footer: "Généré par savoir",
    breadcrumb: "Fil d’Ariane",
    aliases: "Aussi appelé :",
    created: "Créé le",
    modified: "Modifié le",
    contents: "Sommaire",
    demo: "Démonstration",
    relations: "Relations",
    inferred: "déduite",
    inferred_help: "Relation déduite : aucune note ne l’écrit, le schéma la déduit d’une autre.",
    local_graph: "Voisinage",
    see_global_graph: "Voir le",
    backlinks: "Rétroliens",
    other_fields: "Autres champs",
    not_written: "Pas encore écrit.",
    referenced_by: "Référencé par",
    subtags: "Sous-étiquettes",
    entry_points: "Points d’entrée",
    recently_modified: "Modifiés récemment",
    stub_preview: "pas encore écrit",
    demos_skipped: "Démonstrations non exécutées pour cette construction (--no-demos).",
    demo_device: "Matériel :",
    demo_duration: "durée :",
    demo_cached: "résultat en cache",
    demo_metrics: "Mesures",
    demo_params: "Paramètres",
    demo_checks: "Vérifications",
    demo_source: "Code source du modèle",
    demo_reproduce: "Pour reproduire :",
    demo_failed: "La démonstration a échoué :",
    demo_unknown: "L’implémentation « {} » n’est pas encore enregistrée.",
};

const ENGLISH: Labels = Labels {
    skip_to_content: "Skip to content",
    navigation: "Navigation",
    home: "Home",
    graph: "Graph",
    tags: "Tags",
    search: "Search",
    search_placeholder: "Search a concept…",
    search_needs_script: "Search needs JavaScript.",
    search_no_hits: "No results",
    search_no_hits_for: "No results for “{q}”",
    search_one_hit: "1 result",
    search_many_hits: "{n} results",
    toggle_theme: "Light or dark theme",
    footer: "Built with savoir",
    breadcrumb: "Breadcrumb",
    aliases: "Also known as:",
    created: "Created",
    modified: "Modified",
    contents: "Contents",
    demo: "Demo",
    relations: "Relations",
    inferred: "inferred",
    inferred_help: "Inferred relation: no note writes it, the schema derives it from another.",
    local_graph: "Neighbourhood",
    see_global_graph: "See the",
    backlinks: "Backlinks",
    other_fields: "Other fields",
    not_written: "Not written yet.",
    referenced_by: "Referenced by",
    subtags: "Sub-tags",
    entry_points: "Entry points",
    recently_modified: "Recently modified",
    stub_preview: "not written yet",
    demos_skipped: "Demos were not run for this build (--no-demos).",
    demo_device: "Device:",
    demo_duration: "duration:",
    demo_cached: "cached result",
    demo_metrics: "Metrics",
    demo_params: "Parameters",
    demo_checks: "Checks",
    demo_source: "Source of the model",
    demo_reproduce: "To reproduce:",
    demo_failed: "The demo failed:",
    demo_unknown: "The implementation “{}” is not registered yet.",
};

/// The labels of `language`.
pub fn labels(language: Language) -> &'static Labels {
    match language {
        Language::French => &FRENCH,
        Language::English => &ENGLISH,
    }
}

/// The heading of a relation panel (`subClassOf` → "Sous-classe de"); a relation of the
/// user's schema keeps its name.
pub fn relation_label(language: Language, relation: &str) -> String {
    let known = match (language, relation) {
        (Language::French, "subClassOf") => "Sous-classe de",
        (Language::French, "hasSubClass") => "Sous-classes",
        (Language::French, "hasPart") => "Composé de",
        (Language::French, "isPartOf") => "Fait partie de",
        (Language::French, "seeAlso") => "Voir aussi",
        (Language::French, "sameAs") => "Identique à",
        (Language::French, "linksTo") => "Liens",
        (Language::French, "type") => "Type",
        (Language::English, "subClassOf") => "Subclass of",
        (Language::English, "hasSubClass") => "Subclasses",
        (Language::English, "hasPart") => "Has part",
        (Language::English, "isPartOf") => "Part of",
        (Language::English, "seeAlso") => "See also",
        (Language::English, "sameAs") => "Same as",
        (Language::English, "linksTo") => "Links",
        (Language::English, "type") => "Type",
        _ => return relation.to_string(),
    };
    known.to_string()
}

const FRENCH_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const ENGLISH_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A `YYYY-MM-DD` date (as written in the frontmatter, quotes and a time part allowed) in
/// words: "8 avril 2025", "8 April 2025"; anything else is shown as written.
pub fn format_date(language: Language, written: &str) -> String {
    let date = written.trim().trim_matches(['\'', '"']);
    let day_part = date.get(..10).unwrap_or(date);
    let mut parts = day_part.splitn(3, '-');
    let parsed = (|| {
        let year: u32 = parts.next()?.parse().ok()?;
        let month: usize = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some((year, month, day))
    })();
    match (parsed, language) {
        (Some((y, m, 1)), Language::French) => format!("1er {} {y}", FRENCH_MONTHS[m - 1]),
        (Some((y, m, d)), Language::French) => format!("{d} {} {y}", FRENCH_MONTHS[m - 1]),
        (Some((y, m, d)), Language::English) => format!("{d} {} {y}", ENGLISH_MONTHS[m - 1]),
        (None, _) => date.to_string(),
    }
}

/// A count with its thousands grouped: "10 000" (narrow no-break space) in French,
/// "10,000" in English.
pub fn format_count(language: Language, n: usize) -> String {
    let digits = n.to_string();
    let separator = match language {
        Language::French => '\u{202f}',
        Language::English => ',',
    };
    let mut out = String::with_capacity(digits.len() + 4);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// A real number with `digits` significant digits (at least the integer part), the decimal
/// separator of `language`: "0,1235" in French, "0.1235" in English.
pub fn format_decimal(language: Language, value: f64, digits: usize) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let magnitude = if value == 0.0 {
        0
    } else {
        value.abs().log10().floor() as i32
    };
    let decimals = (digits as i32 - 1 - magnitude).clamp(0, 12) as usize;
    let text = format!("{value:.decimals$}");
    match language {
        Language::French => text.replace('.', ","),
        Language::English => text,
    }
}

/// "12 concepts" with the right plural, in words of `language`.
pub fn count_of(language: Language, n: usize, singular: &str, plural: &str) -> String {
    let word = if n > 1 { plural } else { singular };
    format!("{} {word}", format_count(language, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_in_words() {
        assert_eq!(format_date(Language::French, "2025-04-08"), "8 avril 2025");
        assert_eq!(
            format_date(Language::French, "'2025-08-01'"),
            "1er août 2025"
        );
        assert_eq!(
            format_date(Language::English, "2025-04-08T10:00"),
            "8 April 2025"
        );
        assert_eq!(format_date(Language::French, "printemps"), "printemps");
    }

    #[test]
    fn counts_group_thousands_per_language() {
        assert_eq!(format_count(Language::French, 10_000), "10\u{202f}000");
        assert_eq!(format_count(Language::English, 1_234_567), "1,234,567");
        assert_eq!(format_count(Language::French, 999), "999");
        assert_eq!(count_of(Language::French, 1, "note", "notes"), "1 note");
    }

    #[test]
    fn decimals_use_the_language_separator() {
        assert_eq!(format_decimal(Language::French, 0.123456, 4), "0,1235");
        assert_eq!(format_decimal(Language::English, 1234.7, 2), "1235");
        assert_eq!(format_decimal(Language::French, 2.5, 2), "2,5");
    }

    #[test]
    fn relations_have_french_names() {
        assert_eq!(
            relation_label(Language::French, "subClassOf"),
            "Sous-classe de"
        );
        assert_eq!(
            relation_label(Language::French, "enseignePar"),
            "enseignePar"
        );
    }
}
