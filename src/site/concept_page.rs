//! The page of one concept (or of a stub): body, breadcrumb, relation panels, backlinks,
//! tags, dates, unknown keys, and the slots for the demo and the local graph.

use super::SiteError;
use super::context::plain_sentence;
use super::fingerprint::{build_identity, hash_of};
use super::graph_view::{GraphViewOptions, LocalGraph};
use super::i18n::{format_date, relation_label};
use super::links::{NO_PREVIEW, TAGS_DIR, tag_file};
use super::markdown::{RenderedNote, render_note};
use super::model::{Depth, SiteData};
use super::output::Staging;
use super::page_cache::{NextEntry, PageCache, PageEntry};
use super::pages::{Backlink, ConceptPage, FieldRow, LinkItem, RelationGroup, StubPage};
use crate::graph::{LINKS_TO, NodeIndex};
use crate::vault::Span;
use crate::view::ConceptView;
use askama::Template;
use std::borrow::Cow;
use std::collections::BTreeSet;

/// How many links away the local graph of a concept page reaches.
const LOCAL_GRAPH_DEPTH: u8 = 2;

/// Relations shown first, in this order; the others follow by name.
const RELATION_ORDER: [&str; 6] = [
    "subClassOf",
    "hasSubClass",
    "isPartOf",
    "hasPart",
    "seeAlso",
    "sameAs",
];

/// A rendered page: its HTML and the attachments its body references.
pub(crate) struct RenderedPage {
    /// The page.
    pub(crate) html: String,
    /// Vault-relative paths of referenced attachments.
    pub(crate) attachments: BTreeSet<String>,
}

/// Writes the page of concept `node` at `path`: taken from the previous site when nothing
/// it shows changed, rendered otherwise. Gives the attachments it references and what the
/// next build's cache keeps of the page.
pub(crate) fn write_concept_page(
    site: &SiteData<'_>,
    node: NodeIndex,
    path: &str,
    cache: &PageCache,
    staging: &Staging,
) -> Result<(BTreeSet<String>, NextEntry), SiteError> {
    let concept = site.graph.node(node);
    let Some(index) = concept.note else {
        let page = stub_page(site, node).map_err(|e| SiteError::template(path, e))?;
        staging.write(path, page.html.as_bytes())?;
        return Ok((page.attachments, NextEntry::Uncached));
    };
    let mut page = concept_view(site, node);
    let local = site.local_graphs.around(node, LOCAL_GRAPH_DEPTH);
    let key = page_key(site, &local, &page, index, node);
    if let Some((previous, entry)) = cache.reusable(path, key, &site.links) {
        staging.link(path, &previous)?;
        return Ok((entry.attachments.iter().cloned().collect(), NextEntry::Kept));
    }
    let RenderedNote {
        html,
        toc,
        attachments,
        lookups,
    } = render_note(&site.links, index);
    add_sentences(site, node, &mut page.backlinks);
    page.body = html;
    page.toc = toc;
    page.local_graph = Some(local.svg(&GraphViewOptions::new(site.language)));
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
    Ok((attachments, NextEntry::New(entry)))
}

/// Everything the page of a note shows but its body (and table of contents) and the
/// sentences of its backlinks ([`add_sentences`]), from the concept's [`ConceptView`].
fn concept_view<'s>(site: &'s SiteData<'_>, node: NodeIndex) -> ConceptPage<'s> {
    let view = site.views.concept_without_contexts(node);
    ConceptPage {
        layout: site.layout(Depth::Folder, view.title),
        title: view.title.to_string(),
        breadcrumb: site
            .views
            .breadcrumb(node)
            .into_iter()
            .map(|crumb| site.item(crumb.node, Depth::Folder))
            .collect(),
        aliases: view.aliases.to_vec(),
        tags: view
            .tags
            .iter()
            .map(|tag| LinkItem {
                href: Cow::Owned(format!("../{TAGS_DIR}/{}", tag_file(tag))),
                title: Cow::Borrowed(tag),
                missing: false,
                preview: &NO_PREVIEW,
            })
            .collect(),
        created: view.created.map(|d| format_date(site.language, d.written)),
        modified: view.modified.map(|d| format_date(site.language, d.written)),
        toc: Vec::new(),
        body: String::new(),
        relations: relation_groups(site, &view),
        backlinks: backlinks(site, &view),
        fields: fields(&view),
        demo: site.demos.get(view.id).cloned(),
        // Drawn only when the page is rendered (the page key holds its fingerprint).
        local_graph: None,
    }
}

/// The hash of a page's inputs besides what its body looks up: this build of savoir, the
/// language and assets, what the page shows (its local graph by fingerprint, its backlinks'
/// sentences by what they are cut from), and the note's body.
fn page_key(
    site: &SiteData<'_>,
    local: &LocalGraph<'_>,
    page: &ConceptPage<'_>,
    index: usize,
    node: NodeIndex,
) -> u64 {
    let sentences: Vec<(u64, Vec<Span>)> = page
        .backlinks
        .iter()
        .map(|backlink| {
            let spans: Vec<Span> = site.views.mentions(node, backlink.node).collect();
            let body = match site.graph.node(backlink.node).note {
                Some(index) if !spans.is_empty() => site.body_hashes[index],
                _ => 0,
            };
            (body, spans)
        })
        .collect();
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
        (&page.fields, &page.demo),
        (local.fingerprint(), sentences),
        (&site.vault.notes[index].path, site.body_hashes[index]),
    ))
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

/// One panel per relation leaving the concept (body links excluded: they are the backlinks
/// of the other side), written targets apart from inferred ones, in [`RELATION_ORDER`].
fn relation_groups<'s>(site: &'s SiteData<'_>, view: &ConceptView<'_>) -> Vec<RelationGroup<'s>> {
    let mut groups: Vec<(&str, BTreeSet<NodeIndex>, Vec<NodeIndex>)> = view
        .relation_groups()
        .into_iter()
        .filter(|group| group.relation != LINKS_TO)
        .map(|group| {
            let explicit: BTreeSet<NodeIndex> = group
                .explicit
                .iter()
                .map(|c| c.node)
                .filter(|&n| n != view.node)
                .collect();
            let inferred: Vec<NodeIndex> = group
                .inferred
                .iter()
                .map(|c| c.node)
                .filter(|n| *n != view.node && !explicit.contains(n))
                .collect();
            (group.relation, explicit, inferred)
        })
        .filter(|(_, explicit, inferred)| !explicit.is_empty() || !inferred.is_empty())
        .collect();
    groups.sort_by_key(|(relation, ..)| {
        let rank = RELATION_ORDER
            .iter()
            .position(|o| o == relation)
            .unwrap_or(RELATION_ORDER.len());
        (rank, relation.to_string())
    });
    groups
        .into_iter()
        .map(|(relation, explicit, inferred)| RelationGroup {
            label: relation_label(site.language, relation),
            css: relation
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect(),
            explicit: site.sorted_items(explicit, Depth::Folder),
            inferred: site.sorted_items(inferred, Depth::Folder),
        })
        .collect()
}

/// The notes that link to the concept, by title, each with the name of the relation that
/// links them when the note wrote it in its frontmatter; the sentence around a body link
/// takes its place in [`add_sentences`].
fn backlinks<'s>(site: &'s SiteData<'_>, view: &ConceptView<'_>) -> Vec<Backlink<'s>> {
    let incoming = site.graph.incoming(view.node);
    let mut backlinks: Vec<Backlink> = view
        .backlinks
        .iter()
        .map(|backlink| {
            let source = backlink.source.node;
            let context = incoming
                .iter()
                .filter(|e| e.source == source && !e.edge.inferred)
                .min_by_key(|e| e.edge.origin.span)
                .map_or_else(String::new, |e| relation_label(site.language, e.relation()));
            Backlink {
                source: site.item(source, Depth::Folder),
                node: source,
                context,
            }
        })
        .collect();
    backlinks.sort_unstable_by_key(|b| site.files.rank(b.node));
    backlinks
}

/// Puts the sentence around the first body link of each backlink in place of the relation's
/// name (found only for a page that is drawn: the page key holds what it is cut from).
fn add_sentences(site: &SiteData<'_>, node: NodeIndex, backlinks: &mut [Backlink<'_>]) {
    for backlink in backlinks {
        if let Some(link) = site.views.first_context(node, backlink.node) {
            backlink.context = plain_sentence(&link.sentence);
        }
    }
}

/// The frontmatter keys with no place of their own on the page: the type, then the unknown
/// keys in file order.
fn fields(view: &ConceptView<'_>) -> Vec<FieldRow> {
    let kind = view.kind.map(|kind| FieldRow {
        key: "type".to_string(),
        value: kind.to_string(),
    });
    kind.into_iter()
        .chain(view.fields.iter().map(|field| FieldRow {
            key: field.key.to_string(),
            value: field.values.join(", "),
        }))
        .collect()
}
