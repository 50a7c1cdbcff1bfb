//! The pages that list concepts: home, one page per tag (nested tags under their parent),
//! the tag tree, the global graph and the search page.

use super::i18n::{count_of, format_date, relation_label};
use super::links::{NO_PREVIEW, TAGS_DIR, tag_file};
use super::model::{Depth, SiteData};
use super::pages::{
    EdgeGroup, GraphPage, HomePage, LinkItem, RecentEntry, SearchPage, TagPage, TagRow, TagsPage,
};
use crate::config::Language;
use crate::graph::{LINKS_TO, NodeIndex};
use crate::view::{TagEntry, TagTree};
use askama::Template;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// How many concepts the home page lists as recently modified.
const RECENT: usize = 10;

/// The count line of a tag page or summary ("3 concepts").
fn concepts_count(language: Language, n: usize) -> String {
    count_of(language, n, "concept", "concepts")
}

/// A link to a tag page from a page at `depth`.
fn tag_item<'a>(file: &str, name: impl Into<Cow<'a, str>>, depth: Depth) -> LinkItem<'a> {
    LinkItem {
        href: Cow::Owned(match depth {
            Depth::Root => format!("{TAGS_DIR}/{file}"),
            Depth::Folder => file.to_string(),
        }),
        title: name.into(),
        missing: false,
        preview: &NO_PREVIEW,
    }
}

/// The file of a tag's page, from the tags folder.
pub(crate) fn tag_entry_file(tag: &TagEntry) -> String {
    tag_file(&tag.written)
}

/// `tags` in the order of their page files (accents folded, as the slugs are).
fn by_file<'t>(tags: impl Iterator<Item = &'t TagEntry>) -> Vec<&'t TagEntry> {
    let mut tags: Vec<&TagEntry> = tags.collect();
    tags.sort_by_cached_key(|tag| tag_entry_file(tag));
    tags
}

/// The page of `tag`: its parents, its sub-tags and the concepts under it.
pub(crate) fn tag_page(
    site: &SiteData<'_>,
    tags: &TagTree,
    tag: &TagEntry,
) -> askama::Result<String> {
    let segments: Vec<&str> = tag.written.split('/').collect();
    let parents = (1..segments.len())
        .map(|d| {
            let name = segments[..d].join("/");
            tag_item(&tag_file(&name), name, Depth::Folder)
        })
        .collect();
    let concepts = tags.concepts_under(tag);
    TagPage {
        layout: site.layout(Depth::Folder, &format!("#{}", tag.written)),
        tag: tag.written.clone(),
        count: concepts_count(site.language, concepts.len()),
        parents,
        children: by_file(tags.children(tag))
            .into_iter()
            .map(|c| tag_item(&tag_entry_file(c), c.written.as_str(), Depth::Folder))
            .collect(),
        concepts: site
            .sorted_items(concepts, Depth::Root)
            .into_iter()
            .map(|mut item| {
                item.href = Cow::Owned(format!("../{}", item.href));
                item
            })
            .collect(),
    }
    .render()
}

/// `tags.html`: every tag, nested under its parent.
pub(crate) fn tags_page(site: &SiteData<'_>, tags: &TagTree) -> askama::Result<String> {
    let mut rows = Vec::new();
    let mut stack = by_file(tags.roots());
    stack.reverse();
    while let Some(tag) = stack.pop() {
        rows.push(TagRow {
            href: format!("{TAGS_DIR}/{}", tag_entry_file(tag)),
            title: tag.written.clone(),
            depth: tag.depth(),
            count: concepts_count(site.language, tags.concepts_under(tag).len()),
        });
        stack.extend(by_file(tags.children(tag)).into_iter().rev());
    }
    TagsPage {
        layout: site.layout(Depth::Root, site.labels.tags),
        tags: rows,
    }
    .render()
}

/// `index.html`: what the vault holds, its entry points and what changed last.
pub(crate) fn home_page(site: &SiteData<'_>, tags: &TagTree) -> askama::Result<String> {
    let graph = site.graph;
    let has = |node: NodeIndex, incoming: bool| {
        let edges = if incoming {
            graph.incoming(node)
        } else {
            graph.outgoing(node)
        };
        edges.iter().any(|e| e.relation() == "subClassOf")
    };
    let notes: Vec<NodeIndex> = graph
        .nodes()
        .filter(|(_, c)| !c.stub)
        .map(|(n, _)| n)
        .collect();
    let mut roots: Vec<NodeIndex> = notes
        .iter()
        .copied()
        .filter(|&n| !has(n, false) && has(n, true))
        .collect();
    if roots.is_empty() {
        roots = notes.iter().copied().filter(|&n| !has(n, false)).collect();
    }
    let mut dated: Vec<(String, NodeIndex)> = notes
        .iter()
        .filter_map(|&n| {
            let note = &site.vault.notes[graph.node(n).note?];
            let date = note
                .modified
                .as_ref()?
                .value
                .trim_matches(['\'', '"'])
                .to_string();
            Some((date, n))
        })
        .collect();
    dated.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let stubs = graph.nodes().filter(|(_, c)| c.stub).count();
    let relations = graph
        .edges()
        .filter(|e| !e.edge.inferred && e.relation() != LINKS_TO)
        .count();
    let summary = summary_line(
        site.language,
        notes.len(),
        stubs,
        relations,
        tags.tags().count(),
    );
    HomePage {
        layout: site.layout(Depth::Root, site.labels.home),
        summary,
        roots: site.sorted_items(roots, Depth::Root),
        recent: dated
            .into_iter()
            .take(RECENT)
            .map(|(date, n)| RecentEntry {
                item: site.item(n, Depth::Root),
                date: format_date(site.language, &date),
            })
            .collect(),
        tags: by_file(tags.roots())
            .into_iter()
            .map(|tag| tag_item(&tag_entry_file(tag), &tag.written, Depth::Root))
            .collect(),
    }
    .render()
}

/// "21 concepts, 14 not written yet, 52 relations, 30 tags".
fn summary_line(
    language: Language,
    notes: usize,
    stubs: usize,
    relations: usize,
    tags: usize,
) -> String {
    match language {
        Language::French => format!(
            "{}, {} pas encore {}, {}, {}.",
            concepts_count(language, notes),
            count_of(language, stubs, "concept", "concepts"),
            if stubs > 1 { "écrits" } else { "écrit" },
            count_of(language, relations, "relation", "relations"),
            count_of(language, tags, "étiquette", "étiquettes"),
        ),
        Language::English => format!(
            "{}, {} not written yet, {}, {}.",
            concepts_count(language, notes),
            count_of(language, stubs, "concept", "concepts"),
            count_of(language, relations, "relation", "relations"),
            count_of(language, tags, "tag", "tags"),
        ),
    }
}

/// `graph.html`: the global graph (slot), else its written relations listed.
pub(crate) fn graph_page(site: &SiteData<'_>, svg: Option<String>) -> askama::Result<String> {
    let mut groups: BTreeMap<&str, Vec<(NodeIndex, NodeIndex)>> = BTreeMap::new();
    if svg.is_none() {
        for edge in site.graph.edges() {
            if !edge.edge.inferred && edge.relation() != LINKS_TO {
                groups
                    .entry(edge.relation())
                    .or_default()
                    .push((edge.source, edge.target));
            }
        }
    }
    let relations = groups
        .into_iter()
        .map(|(relation, mut edges)| {
            edges.sort();
            edges.dedup();
            EdgeGroup {
                label: relation_label(site.language, relation),
                edges: edges
                    .into_iter()
                    .map(|(s, t)| (site.item(s, Depth::Root), site.item(t, Depth::Root)))
                    .collect(),
            }
        })
        .collect();
    let concepts = site.graph.nodes().count();
    let edges = site.graph.edges().filter(|e| !e.edge.inferred).count();
    GraphPage {
        layout: site.layout(Depth::Root, site.labels.graph),
        summary: format!(
            "{}, {}",
            concepts_count(site.language, concepts),
            count_of(site.language, edges, "relation", "relations")
        ),
        svg,
        relations,
    }
    .render()
}

/// `search.html`: the search box and the results slot.
pub(crate) fn search_page(site: &SiteData<'_>) -> askama::Result<String> {
    SearchPage {
        layout: site.layout(Depth::Root, site.labels.search),
    }
    .render()
}
