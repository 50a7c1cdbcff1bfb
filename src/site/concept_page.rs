//! The page of one concept (or of a stub): body, breadcrumb, relation panels, backlinks,
//! tags, dates, unknown keys, and the slots for the demo and the local graph.

use super::context::link_sentence;
use super::i18n::{format_date, relation_label};
use super::links::{TAGS_DIR, tag_file};
use super::markdown::{RenderedNote, render_note};
use super::model::{Depth, SiteData};
use super::pages::{Backlink, ConceptPage, FieldRow, LinkItem, RelationGroup, StubPage};
use crate::graph::{LINKS_TO, NodeIndex};
use crate::vault::Note;
use askama::Template;
use std::collections::BTreeSet;

/// The relation the breadcrumb climbs.
const SUBCLASS_OF: &str = "subClassOf";

/// Relations shown first, in this order; the others follow by name.
const RELATION_ORDER: [&str; 6] = [
    "subClassOf",
    "hasSubClass",
    "isPartOf",
    "hasPart",
    "seeAlso",
    "sameAs",
];

/// Frontmatter keys the concept page shows in their own place (any other key that is not a
/// relation goes to the "other fields" table).
const SHOWN_KEYS: [&str; 6] = [
    "title",
    "aliases",
    "tags",
    "implementation",
    "date_creation",
    "date_modification",
];

/// A rendered page: its HTML and the attachments its body references.
pub(crate) struct RenderedPage {
    /// The page.
    pub(crate) html: String,
    /// Vault-relative paths of referenced attachments.
    pub(crate) attachments: BTreeSet<String>,
}

/// The page of concept `node` (a note or a stub).
pub(crate) fn concept_page(site: &SiteData<'_>, node: NodeIndex) -> askama::Result<RenderedPage> {
    let concept = site.graph.node(node);
    let Some(index) = concept.note else {
        return stub_page(site, node);
    };
    let note = &site.vault.notes[index];
    let RenderedNote {
        html: body,
        toc,
        attachments,
    } = render_note(&site.links, index);
    let page = ConceptPage {
        layout: site.layout(Depth::Folder, &concept.title),
        title: concept.title.clone(),
        breadcrumb: breadcrumb(site, node),
        aliases: concept.aliases.clone(),
        tags: concept
            .tags
            .iter()
            .map(|tag| LinkItem {
                href: format!("../{TAGS_DIR}/{}", tag_file(tag)),
                title: tag.clone(),
                missing: false,
                preview: String::new(),
            })
            .collect(),
        created: note
            .created
            .as_ref()
            .map(|d| format_date(site.language, &d.value)),
        modified: note
            .modified
            .as_ref()
            .map(|d| format_date(site.language, &d.value)),
        toc,
        body,
        relations: relation_groups(site, node),
        backlinks: backlinks(site, node),
        fields: fields(note),
        demo: site.demos.get(&concept.id).cloned(),
        local_graph: None,
    };
    Ok(RenderedPage {
        html: page.render()?,
        attachments,
    })
}

/// "Not written yet — referenced by …".
fn stub_page(site: &SiteData<'_>, node: NodeIndex) -> askama::Result<RenderedPage> {
    let concept = site.graph.node(node);
    let page = StubPage {
        layout: site.layout(Depth::Folder, &concept.title),
        title: concept.title.clone(),
        referenced_by: site.sorted_items(site.graph.backlinks(node), Depth::Folder),
    };
    Ok(RenderedPage {
        html: page.render()?,
        attachments: BTreeSet::new(),
    })
}

/// The subClassOf chain above `node`, root first: at each step the parent whose title sorts
/// first; stops at a cycle.
fn breadcrumb(site: &SiteData<'_>, node: NodeIndex) -> Vec<LinkItem> {
    let mut chain = vec![node];
    let mut current = node;
    loop {
        let parent = site
            .graph
            .outgoing(current)
            .into_iter()
            .filter(|e| e.relation() == SUBCLASS_OF)
            .map(|e| e.target)
            .min_by_key(|t| (site.graph.node(*t).title.to_lowercase(), *t));
        match parent {
            Some(parent) if !chain.contains(&parent) => {
                chain.push(parent);
                current = parent;
            }
            _ => break,
        }
    }
    chain
        .into_iter()
        .skip(1)
        .rev()
        .map(|n| site.item(n, Depth::Folder))
        .collect()
}

/// One panel per relation leaving `node` (body links excluded: they are the backlinks of
/// the other side), written targets apart from inferred ones.
fn relation_groups(site: &SiteData<'_>, node: NodeIndex) -> Vec<RelationGroup> {
    let mut relations: Vec<&str> = Vec::new();
    let edges = site.graph.outgoing(node);
    for edge in &edges {
        if edge.relation() != LINKS_TO
            && edge.target != node
            && !relations.contains(&edge.relation())
        {
            relations.push(edge.relation());
        }
    }
    relations.sort_by_key(|r| {
        let rank = RELATION_ORDER
            .iter()
            .position(|o| o == r)
            .unwrap_or(RELATION_ORDER.len());
        (rank, r.to_string())
    });
    relations
        .into_iter()
        .map(|relation| {
            let targets = |inferred: bool| {
                edges
                    .iter()
                    .filter(|e| {
                        e.relation() == relation && e.edge.inferred == inferred && e.target != node
                    })
                    .map(|e| e.target)
                    .collect::<BTreeSet<NodeIndex>>()
            };
            let explicit = targets(false);
            let inferred: Vec<NodeIndex> = targets(true).difference(&explicit).copied().collect();
            RelationGroup {
                label: relation_label(site.language, relation),
                css: relation
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect(),
                explicit: site.sorted_items(explicit, Depth::Folder),
                inferred: site.sorted_items(inferred, Depth::Folder),
            }
        })
        .collect()
}

/// The notes that link to `node`, each with the sentence of its first link (or the name of
/// the relation, for a link written in the frontmatter).
fn backlinks(site: &SiteData<'_>, node: NodeIndex) -> Vec<Backlink> {
    let incoming = site.graph.incoming(node);
    let mut sources = site.graph.backlinks(node);
    sources.sort_by_key(|s| (site.graph.node(*s).title.to_lowercase(), *s));
    sources
        .into_iter()
        .map(|source| {
            let first = incoming
                .iter()
                .filter(|e| e.source == source && !e.edge.inferred)
                .min_by_key(|e| (e.relation() != LINKS_TO, e.edge.origin.span));
            let context = match (first, site.graph.node(source).note) {
                (Some(edge), Some(index)) if edge.relation() == LINKS_TO => {
                    link_sentence(&site.vault.notes[index], edge.edge.origin.span)
                }
                (Some(edge), _) => relation_label(site.language, edge.relation()),
                (None, _) => String::new(),
            };
            Backlink {
                source: site.item(source, Depth::Folder),
                context,
            }
        })
        .collect()
}

/// Frontmatter keys with no place of their own on the page and no links (not relations).
fn fields(note: &Note) -> Vec<FieldRow> {
    note.fields
        .iter()
        .filter(|f| !SHOWN_KEYS.contains(&f.key.as_str()))
        .filter(|f| !note.relations.iter().any(|r| r.key == f.key))
        .map(|f| FieldRow {
            key: f.key.clone(),
            value: f.values.join(", "),
        })
        .collect()
}
