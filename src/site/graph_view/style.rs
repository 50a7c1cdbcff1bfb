//! How each relation's edges look (colour and dash), the same on every graph of a site, and the
//! legend's words in the site's language.

use crate::config::Language;

/// The stroke of one relation's edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stroke {
    /// Colour (hex), readable on light and dark backgrounds.
    pub colour: &'static str,
    /// SVG `stroke-dasharray`, `None` for a solid line.
    pub dash: Option<&'static str>,
}

/// The relations of the default schema, each with a stroke of its own (an inverse shares its
/// relation's colour, dashed).
const KNOWN: [(&str, Stroke); 7] = [
    ("subClassOf", solid("#4e79a7")),
    ("hasSubClass", dashed("#4e79a7", "8 3")),
    ("hasPart", solid("#59a14f")),
    ("isPartOf", dashed("#59a14f", "8 3")),
    ("seeAlso", dashed("#f28e2b", "6 4")),
    ("sameAs", solid("#b07aa1")),
    ("linksTo", dashed("#8c8c8c", "2 3")),
];

/// Colours of the relations a vault's `savoir.toml` adds, given in name order.
const OTHERS: [&str; 6] = [
    "#e15759", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#7f7fd5",
];

/// Dash patterns combined with [`OTHERS`] once the colours are used up.
const OTHER_DASHES: [Option<&str>; 3] = [None, Some("6 3"), Some("1 3")];

const fn solid(colour: &'static str) -> Stroke {
    Stroke { colour, dash: None }
}

const fn dashed(colour: &'static str, dash: &'static str) -> Stroke {
    Stroke {
        colour,
        dash: Some(dash),
    }
}

/// The stroke of `relation`; `others` is the sorted list of the relations not in the default
/// schema that the graph uses, which decides their colours.
pub(super) fn stroke(relation: &str, others: &[&str]) -> Stroke {
    if let Some((_, stroke)) = KNOWN.iter().find(|(name, _)| *name == relation) {
        return *stroke;
    }
    let k = others.iter().position(|r| *r == relation).unwrap_or(0);
    Stroke {
        colour: OTHERS[k % OTHERS.len()],
        dash: OTHER_DASHES[(k / OTHERS.len()) % OTHER_DASHES.len()],
    }
}

/// Whether `relation` is one of the default schema's.
pub(super) fn is_known(relation: &str) -> bool {
    KNOWN.iter().any(|(name, _)| *name == relation)
}

/// The legend's fixed words.
#[derive(Debug, Clone, Copy)]
pub(super) struct Words {
    /// Title of the global graph.
    pub global_title: &'static str,
    /// Title of a local graph (followed by the concept's title).
    pub local_title: &'static str,
    /// Heading of the legend.
    pub relations: &'static str,
    /// Marks an edge that no note wrote.
    pub inferred: &'static str,
    /// Marks a concept no note describes yet.
    pub stub: &'static str,
}

/// The legend's words in `language`.
pub(super) fn words(language: Language) -> Words {
    match language {
        Language::French => Words {
            global_title: "Graphe des concepts",
            local_title: "Voisinage de",
            relations: "Relations",
            inferred: "inférée (non écrite)",
            stub: "pas encore écrite",
        },
        Language::English => Words {
            global_title: "Concept graph",
            local_title: "Neighbourhood of",
            relations: "Relations",
            inferred: "inferred (not written)",
            stub: "not written yet",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_relation_looks_different() {
        for (i, (_, a)) in KNOWN.iter().enumerate() {
            for (_, b) in &KNOWN[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn added_relations_get_distinct_strokes_in_name_order() {
        let others: Vec<String> = (0..12).map(|i| format!("r{i:02}")).collect();
        let others: Vec<&str> = others.iter().map(String::as_str).collect();
        let strokes: Vec<Stroke> = others.iter().map(|r| stroke(r, &others)).collect();
        for (i, a) in strokes.iter().enumerate() {
            assert!(!strokes[i + 1..].contains(a), "{} repeats", others[i]);
        }
    }
}
