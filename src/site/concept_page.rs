//! The page of one concept (or of a stub): body, breadcrumb, relation panels, backlinks,
//! tags, dates, unknown keys, and the slots for the demo and the local graph.

use super::SiteError;
use super::context::link_sentence;
use super::fingerprint::hash_of;
use super::graph_view::{GraphViewOptions, local_graph_svg};
use super::i18n::{format_date, relation_label};
use super::links::{TAGS_DIR, tag_file};
use super::markdown::{RenderedNote, render_note};
use super::model::{Depth, SiteData};
use super::output::Staging;
use super::page_cache::{PageCache, PageEntry};
use super::pages::{Backlink, ConceptPage, FieldRow, LinkItem, RelationGroup, StubPage};
use crate::graph::{LINKS_TO, NodeIndex};
use crate::vault::Note;
use askama::Template;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// How many links away the local graph of a concept page reaches.
const LOCAL_GRAPH_DEPTH: u8 = 2;

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

/// Writes the page of concept `node` at `path`: taken from the previous site when nothing
/// it shows changed, rendered otherwise. Gives the attachments it references and, for a
/// note, the cache entry of the page.
pub(crate) fn write_concept_page(
    site: &SiteData<'_>,
    node: NodeIndex,
    path: &str,
    cache: &PageCache,
    staging: &Staging,
) -> Result<(BTreeSet<String>, Option<PageEntry>), SiteError> {
    let concept = site.graph.node(node);
    let Some(index) = concept.note else {
        let page = stub_page(site, node).map_err(|e| SiteError::template(path, e))?;
        staging.write(path, page.html.as_bytes())?;
        return Ok((page.attachments, None));
    };
    let note = &site.vault.notes[index];
    let mut page = concept_view(site, node, note);
    let key = page_key(site, &page, note);
    if let Some((previous, entry)) = cache.reusable(path, key, &site.links) {
        staging.link(path, &previous)?;
        return Ok((
            entry.attachments.iter().cloned().collect(),
            Some(entry.clone()),
        ));
    }
    let RenderedNote {
        html,
        toc,
        attachments,
        lookups,
    } = render_note(&site.links, index);
    page.body = html;
    page.toc = toc;
    let html = page.render().map_err(|e| SiteError::template(path, e))?;
    staging.write(path, html.as_bytes())?;
    let entry = PageEntry {
        key,
        lookups: lookups
            .into_iter()
            .map(|q| {
                let answer = site.links.answer(&q);
                (q, answer)
            })
            .collect(),
        attachments: attachments.iter().cloned().collect(),
    };
    Ok((attachments, Some(entry)))
}

/// Everything the page of a note shows but its body (and table of contents).
fn concept_view<'s>(site: &'s SiteData<'_>, node: NodeIndex, note: &Note) -> ConceptPage<'s> {
    let concept = site.graph.node(node);
    ConceptPage {
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
        toc: Vec::new(),
        body: String::new(),
        relations: relation_groups(site, node),
        backlinks: backlinks(site, node),
        fields: fields(note),
        demo: site.demos.get(&concept.id).cloned(),
        local_graph: Some(local_graph_svg(
            site.graph,
            node,
            LOCAL_GRAPH_DEPTH,
            &GraphViewOptions::new(site.language),
        )),
    }
}

/// The hash of a page's inputs besides what its body looks up: this build of savoir, the
/// language and assets, what the page shows, and the note's body.
fn page_key(site: &SiteData<'_>, page: &ConceptPage<'_>, note: &Note) -> u64 {
    hash_of(&(
        build_identity(),
        (site.language.code(), site.title, site.assets),
        (&page.title, &page.breadcrumb, &page.aliases, &page.tags),
        (
            &page.created,
            &page.modified,
            &page.relations,
            &page.backlinks,
        ),
        (&page.fields, &page.demo, &page.local_graph),
        (&note.path, &note.body),
    ))
}

/// What tells this build of savoir from another (so that a new renderer re-renders every
/// page): the version, and the size and time of the running program.
fn build_identity() -> &'static (String, u64, u128) {
    static IDENTITY: OnceLock<(String, u64, u128)> = OnceLock::new();
    IDENTITY.get_or_init(|| {
        let meta = std::env::current_exe().and_then(std::fs::metadata).ok();
        let modified = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        (
            env!("CARGO_PKG_VERSION").to_string(),
            meta.map_or(0, |m| m.len()),
            modified,
        )
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
