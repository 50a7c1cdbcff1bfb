//! The pages that list concepts: home, one page per tag (nested tags under their parent),
//! the tag tree, the global graph and the search page.

use super::i18n::{count_of, format_date, relation_label};
use super::links::{TAGS_DIR, tag_file};
use super::model::{Depth, SiteData};
use super::pages::{
    EdgeGroup, GraphPage, HomePage, LinkItem, RecentEntry, SearchPage, TagPage, TagRow, TagsPage,
};
use crate::config::Language;
use crate::graph::{LINKS_TO, NodeIndex};
use askama::Template;
use std::collections::{BTreeMap, BTreeSet};

/// How many concepts the home page lists as recently modified.
const RECENT: usize = 10;

/// One tag (or tag prefix) of the vault.
pub(crate) struct TagInfo {
    /// The tag as first written (`a/b`).
    pub(crate) name: String,
    /// Concepts that carry it or one of its sub-tags.
    pub(crate) concepts: BTreeSet<NodeIndex>,
    /// File names of its direct sub-tags.
    pub(crate) children: BTreeSet<String>,
}

/// Every tag and tag prefix (`a` for `a/b`), by page file name, so that two spellings that
/// give one file are one tag.
pub(crate) fn tag_tree(site: &SiteData<'_>) -> BTreeMap<String, TagInfo> {
    let mut tags: BTreeMap<String, TagInfo> = BTreeMap::new();
    for (node, concept) in site.graph.nodes() {
        for tag in &concept.tags {
            let segments: Vec<&str> = tag.split('/').filter(|s| !s.is_empty()).collect();
            let mut parent: Option<String> = None;
            for depth in 1..=segments.len() {
                let name = segments[..depth].join("/");
                let file = tag_file(&name);
                let info = tags.entry(file.clone()).or_insert_with(|| TagInfo {
                    name,
                    concepts: BTreeSet::new(),
                    children: BTreeSet::new(),
                });
                info.concepts.insert(node);
                if let Some(parent) = &parent
                    && let Some(up) = tags.get_mut(parent)
                {
                    up.children.insert(file.clone());
                }
                parent = Some(file);
            }
        }
    }
    tags
}

/// The count line of a tag page or summary ("3 concepts").
fn concepts_count(language: Language, n: usize) -> String {
    count_of(language, n, "concept", "concepts")
}

/// A link to a tag page from a page at `depth`.
fn tag_item(file: &str, name: &str, depth: Depth) -> LinkItem {
    LinkItem {
        href: match depth {
            Depth::Root => format!("{TAGS_DIR}/{file}"),
            Depth::Folder => file.to_string(),
        },
        title: name.to_string(),
        missing: false,
        preview: String::new(),
    }
}

/// The page of the tag whose file is `file`.
pub(crate) fn tag_page(
    site: &SiteData<'_>,
    tags: &BTreeMap<String, TagInfo>,
    file: &str,
) -> askama::Result<String> {
    let info = &tags[file];
    let segments: Vec<&str> = info.name.split('/').collect();
    let parents = (1..segments.len())
        .map(|d| {
            let name = segments[..d].join("/");
            tag_item(&tag_file(&name), &name, Depth::Folder)
        })
        .collect();
    TagPage {
        layout: site.layout(Depth::Folder, &format!("#{}", info.name)),
        tag: info.name.clone(),
        count: concepts_count(site.language, info.concepts.len()),
        parents,
        children: info
            .children
            .iter()
            .map(|c| tag_item(c, &tags[c].name, Depth::Folder))
            .collect(),
        concepts: site
            .sorted_items(info.concepts.iter().copied(), Depth::Root)
            .into_iter()
            .map(|mut item| {
                item.href = format!("../{}", item.href);
                item
            })
            .collect(),
    }
    .render()
}

/// `tags.html`: every tag, nested under its parent.
pub(crate) fn tags_page(
    site: &SiteData<'_>,
    tags: &BTreeMap<String, TagInfo>,
) -> askama::Result<String> {
    let mut rows = Vec::new();
    let mut roots: Vec<&String> = tags
        .iter()
        .filter(|(_, info)| !info.name.contains('/'))
        .map(|(file, _)| file)
        .collect();
    roots.sort_by_key(|f| tags[*f].name.to_lowercase());
    let mut stack: Vec<(&String, usize)> = roots.into_iter().rev().map(|f| (f, 0)).collect();
    while let Some((file, depth)) = stack.pop() {
        let info = &tags[file];
        rows.push(TagRow {
            href: format!("{TAGS_DIR}/{file}"),
            title: info.name.clone(),
            depth,
            count: concepts_count(site.language, info.concepts.len()),
        });
        for child in info.children.iter().rev() {
            stack.push((child, depth + 1));
        }
    }
    TagsPage {
        layout: site.layout(Depth::Root, site.labels.tags),
        tags: rows,
    }
    .render()
}

/// `index.html`: what the vault holds, its entry points and what changed last.
pub(crate) fn home_page(
    site: &SiteData<'_>,
    tags: &BTreeMap<String, TagInfo>,
) -> askama::Result<String> {
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
    let summary = summary_line(site.language, notes.len(), stubs, relations, tags.len());
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
        tags: tags
            .iter()
            .filter(|(_, info)| !info.name.contains('/'))
            .map(|(file, info)| tag_item(file, &info.name, Depth::Root))
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
