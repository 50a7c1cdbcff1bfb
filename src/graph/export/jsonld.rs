//! JSON-LD: each concept a `schema:DefinedTerm`, each edge a property from a real vocabulary
//! where one fits (`rdfs:subClassOf`, `rdfs:seeAlso`, `dcterms:hasPart`, `dcterms:isPartOf`,
//! `owl:sameAs`, `owl:differentFrom`, `rdfs:isDefinedBy`, `skos:related` for `relatedTo`),
//! else a term of the savoir vocabulary ([`VOCAB_NAMESPACE`]). The `@context` declares every
//! prefix, so the document loads as RDF as it is.

use super::select;
use crate::graph::filter::RelationFilter;
use crate::graph::model::ConceptGraph;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

/// The namespace of concept IRIs: a concept is `urn:savoir:concept:<slug>`.
pub const CONCEPT_NAMESPACE: &str = "urn:savoir:concept:";

/// The namespace of savoir's own terms (`savoir:linksTo`, `savoir:stub`, …).
pub const VOCAB_NAMESPACE: &str = "urn:savoir:vocab:";

/// The prefixes every document declares.
const CONTEXT: [(&str, &str); 7] = [
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("dcterms", "http://purl.org/dc/terms/"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("schema", "https://schema.org/"),
    ("savoir", VOCAB_NAMESPACE),
    ("concept", CONCEPT_NAMESPACE),
];

/// A JSON-LD document, serialised straight from the graph (no intermediate value tree);
/// every object's keys in alphabetical order, as the format has always listed them.
#[derive(Debug, Serialize)]
pub struct JsonLd<'a> {
    #[serde(rename = "@context")]
    context: BTreeMap<&'static str, &'static str>,
    #[serde(rename = "@graph")]
    subjects: Vec<BTreeMap<Cow<'static, str>, Property<'a>>>,
}

/// The value of one key of a subject.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Property<'a> {
    Text(Cow<'a, str>),
    Flag(bool),
    Texts(&'a [String]),
    Objects(Vec<Reference>),
}

/// A link to another subject: `{"@id": "concept:<slug>"}`.
#[derive(Debug, Serialize)]
struct Reference {
    #[serde(rename = "@id")]
    id: String,
}

/// The graph as a JSON-LD document (`@context` and `@graph`).
pub fn to_jsonld<'a>(graph: &'a ConceptGraph, filter: &'a RelationFilter) -> JsonLd<'a> {
    let selection = select(graph, filter);
    let mut subjects: Vec<BTreeMap<Cow<'static, str>, Property<'a>>> = selection
        .nodes
        .iter()
        .map(|&n| {
            let node = graph.node(n);
            let text = |value: &'a str| Property::Text(Cow::Borrowed(value));
            let mut subject = BTreeMap::from([
                ("@id".into(), Property::Text(concept_curie(&node.id).into())),
                ("@type".into(), text("schema:DefinedTerm")),
                ("schema:name".into(), text(&node.title)),
                ("rdfs:label".into(), text(&node.title)),
                ("schema:termCode".into(), text(&node.id)),
                ("savoir:stub".into(), Property::Flag(node.stub)),
            ]);
            if let Some(path) = &node.path {
                subject.insert("savoir:path".into(), Property::Text(path.to_string_lossy()));
            }
            for (key, values) in [
                ("schema:keywords", &node.tags),
                ("schema:alternateName", &node.aliases),
                ("savoir:implementation", &node.implementations),
            ] {
                if !values.is_empty() {
                    subject.insert(key.into(), Property::Texts(values));
                }
            }
            subject
        })
        .collect();
    let mut position = vec![usize::MAX; graph.graph().node_count()];
    for (i, &n) in selection.nodes.iter().enumerate() {
        position[n.index()] = i;
    }
    // An edge written and also inferred (or given twice) is one statement.
    let mut stated = HashSet::new();
    for e in &selection.edges {
        if !stated.insert((e.source, e.relation(), e.target)) {
            continue;
        }
        let object = Reference {
            id: concept_curie(&graph.node(e.target).id),
        };
        let values = subjects[position[e.source.index()]]
            .entry(property(e.relation()))
            .or_insert_with(|| Property::Objects(Vec::new()));
        if let Property::Objects(values) = values {
            values.push(object);
        }
    }
    JsonLd {
        context: CONTEXT.into_iter().collect(),
        subjects,
    }
}

/// A concept's compact IRI: `concept:<slug>`.
fn concept_curie(slug: &str) -> String {
    format!("concept:{slug}")
}

/// The RDF property of a relation, as a compact IRI.
fn property(relation: &str) -> Cow<'static, str> {
    let standard = match relation {
        "subClassOf" => "rdfs:subClassOf",
        "seeAlso" => "rdfs:seeAlso",
        "isDefinedBy" => "rdfs:isDefinedBy",
        "hasPart" => "dcterms:hasPart",
        "isPartOf" => "dcterms:isPartOf",
        "sameAs" => "owl:sameAs",
        "differentFrom" => "owl:differentFrom",
        "relatedTo" => "skos:related",
        _ => "",
    };
    if !standard.is_empty() {
        return Cow::Borrowed(standard);
    }
    let mut term = String::from("savoir:");
    for byte in relation.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-' {
            term.push(byte as char);
        } else {
            let _ = write!(term, "%{byte:02X}");
        }
    }
    Cow::Owned(term)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_support::{graph, note};
    use serde_json::json;

    #[test]
    fn has_context_and_real_vocabularies() {
        let (_, g) = graph(vec![
            note("a.md", "Alpha")
                .relation("subClassOf", "Beta")
                .relation("hasPart", "Gamma")
                .relation("sameAs", "Alpha prime")
                .relation("uses", "Gamma")
                .relation("a b", "Beta"),
            note("b.md", "Beta"),
            note("c.md", "Gamma"),
        ]);
        let doc = serde_json::to_value(to_jsonld(&g, &RelationFilter::all())).unwrap();
        let context = doc["@context"].as_object().unwrap();
        assert_eq!(context["rdfs"], "http://www.w3.org/2000/01/rdf-schema#");
        assert_eq!(context["dcterms"], "http://purl.org/dc/terms/");
        let alpha = &doc["@graph"][0];
        assert_eq!(alpha["@id"], "concept:alpha");
        assert_eq!(alpha["@type"], "schema:DefinedTerm");
        assert_eq!(alpha["rdfs:subClassOf"], json!([{"@id": "concept:beta"}]));
        assert_eq!(alpha["dcterms:hasPart"], json!([{"@id": "concept:gamma"}]));
        assert_eq!(alpha["owl:sameAs"], json!([{"@id": "concept:alpha-prime"}]));
        assert_eq!(alpha["savoir:uses"], json!([{"@id": "concept:gamma"}]));
        assert_eq!(alpha["savoir:a%20b"], json!([{"@id": "concept:beta"}]));
        assert_eq!(
            doc["@graph"][2]["dcterms:isPartOf"],
            json!([{"@id": "concept:alpha"}])
        );
        for prefix in ["owl", "skos", "schema", "savoir", "concept"] {
            assert!(context.contains_key(prefix), "{prefix}");
        }
    }
}
