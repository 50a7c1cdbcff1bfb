//! What every page is built from: the vault, its graph, link resolution, the language and
//! the assets; and the two things all pages make from it (a layout, a link to a concept).

use super::assets::AssetNames;
use super::graph_view::LocalGraphs;
use super::i18n::Labels;
use super::links::{CONCEPTS_DIR, LinkContext, concept_file};
use super::pages::{CSP, Layout, LinkItem};
use crate::config::Language;
use crate::graph::{ConceptGraph, NodeIndex};
use crate::vault::Vault;
use crate::view::Views;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Where a page sits: at the site root, or one folder below (`concepts/`, `tags/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Depth {
    /// `index.html`, `graph.html`, `search.html`, `tags.html`.
    Root,
    /// `concepts/<id>.html`, `tags/<tag>.html`.
    Folder,
}

impl Depth {
    /// The relative path from such a page to the root.
    pub(crate) fn root(self) -> &'static str {
        match self {
            Depth::Root => "",
            Depth::Folder => "../",
        }
    }
}

/// Everything the pages read, shared by all of them (read-only, so pages render in parallel).
pub(crate) struct SiteData<'a> {
    /// The notes (bodies kept).
    pub(crate) vault: &'a Vault,
    /// The concept graph.
    pub(crate) graph: &'a ConceptGraph,
    /// The neighbourhoods drawn on concept pages.
    pub(crate) local_graphs: &'a LocalGraphs<'a>,
    /// What each concept's page shows (relations, backlinks, breadcrumb, fields).
    pub(crate) views: &'a Views<'a>,
    /// Link resolution for note bodies.
    pub(crate) links: LinkContext<'a>,
    /// The vault's language.
    pub(crate) language: Language,
    /// Labels in that language.
    pub(crate) labels: &'static Labels,
    /// The site's name (the vault folder's name).
    pub(crate) title: &'a str,
    /// Fingerprinted asset paths.
    pub(crate) assets: &'a AssetNames,
    /// Demo section HTML per concept id (the slot of concept pages).
    pub(crate) demos: &'a BTreeMap<String, String>,
    /// A hash of each note's body, by note index (what its backlinks' sentences are cut
    /// from, for the keys of the pages it links to).
    pub(crate) body_hashes: &'a [u64],
    /// Each concept's page file and its place in the order links are listed in.
    pub(crate) files: &'a ConceptFiles,
}

impl SiteData<'_> {
    /// The shared part of a page at `depth` titled `page_title`.
    pub(crate) fn layout(&self, depth: Depth, page_title: &str) -> Layout<'_> {
        Layout {
            lang: self.language.code(),
            root: depth.root(),
            page_title: page_title.to_string(),
            site_title: self.title,
            labels: self.labels,
            csp: CSP,
            assets: self.assets,
            scripts: vec![self.assets.graph.clone()],
        }
    }

    /// A link to concept `node` from a page at `depth`.
    pub(crate) fn item(&self, node: NodeIndex, depth: Depth) -> LinkItem<'_> {
        let concept = self.graph.node(node);
        let file = self.files.file(node);
        LinkItem {
            href: match depth {
                Depth::Root => Cow::Owned(format!("{CONCEPTS_DIR}/{file}")),
                Depth::Folder => Cow::Borrowed(file),
            },
            title: Cow::Borrowed(&concept.title),
            missing: concept.stub,
            preview: self.links.preview(node),
        }
    }

    /// Links to these concepts, sorted by title (then id) so that pages are deterministic.
    pub(crate) fn sorted_items(
        &self,
        nodes: impl IntoIterator<Item = NodeIndex>,
        depth: Depth,
    ) -> Vec<LinkItem<'_>> {
        let mut nodes: Vec<NodeIndex> = nodes.into_iter().collect();
        nodes.sort_unstable_by_key(|&n| self.files.rank(n));
        nodes.dedup();
        nodes.into_iter().map(|n| self.item(n, depth)).collect()
    }
}

/// Each concept's page file (`<id>.html`) and its rank in the order links are listed in (by
/// lower-cased title, then id), made once per build: sorting each page's links by their
/// lower-cased titles again was a few percent of a no-change rebuild.
#[derive(Debug)]
pub(crate) struct ConceptFiles {
    /// By node index.
    files: Vec<String>,
    /// By node index.
    ranks: Vec<u32>,
}

impl ConceptFiles {
    /// The files and ranks of every concept of `graph`.
    pub(crate) fn new(graph: &ConceptGraph) -> ConceptFiles {
        let mut order: Vec<(String, &str, usize)> = graph
            .nodes()
            .map(|(n, c)| (c.title.to_lowercase(), c.id.as_str(), n.index()))
            .collect();
        order.sort_unstable();
        let mut ranks = vec![0; order.len()];
        for (rank, &(.., index)) in order.iter().enumerate() {
            ranks[index] = u32::try_from(rank).unwrap_or(u32::MAX);
        }
        ConceptFiles {
            files: graph.nodes().map(|(_, c)| concept_file(&c.id)).collect(),
            ranks,
        }
    }

    /// The page file of `node`, from the concepts folder.
    pub(crate) fn file(&self, node: NodeIndex) -> &str {
        &self.files[node.index()]
    }

    /// Where `node` comes in a list of links.
    pub(crate) fn rank(&self, node: NodeIndex) -> u32 {
        self.ranks[node.index()]
    }
}
