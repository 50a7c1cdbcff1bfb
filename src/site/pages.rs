//! The pages, as askama templates (`templates/*.html`) and the data each one shows. Every
//! value is escaped by the templates except the `|safe` HTML the renderer already sanitised
//! (note bodies) or that the site drew itself (graph and demo slots).

use super::assets::AssetNames;
use super::i18n::Labels;
use super::links::Preview;
use super::markdown::TocEntry;
use crate::graph::NodeIndex;
use askama::Template;
use std::borrow::Cow;

/// The Content-Security-Policy of every page: scripts and styles only from the site's own
/// files (no inline script, no event handler attribute), images from the site or `data:`,
/// nothing fetched from anywhere else.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'self'";

/// What every page shares: language, where the root is, title, labels, assets.
#[derive(Debug)]
pub struct Layout<'a> {
    /// `<html lang>`.
    pub lang: &'static str,
    /// Relative path from the page to the site root (`""` or `"../"`).
    pub root: &'static str,
    /// The page's own title.
    pub page_title: String,
    /// The site's name.
    pub site_title: &'a str,
    /// Labels in the vault's language.
    pub labels: &'static Labels,
    /// The Content-Security-Policy.
    pub csp: &'static str,
    /// Fingerprinted asset paths.
    pub assets: &'a AssetNames,
    /// Extra scripts of this page (paths from the root).
    pub scripts: Vec<String>,
}

/// A link to a concept page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkItem<'a> {
    /// Relative URL.
    pub href: Cow<'a, str>,
    /// The concept's title (or a tag's name).
    pub title: Cow<'a, str>,
    /// A concept not written yet (styled as missing).
    pub missing: bool,
    /// Hover preview (made once per concept, shown on every page that links to it).
    pub preview: &'a Preview,
}

/// One relation panel of a concept page.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RelationGroup<'a> {
    /// The relation's name in the vault's language.
    pub label: String,
    /// CSS-safe relation name.
    pub css: String,
    /// Targets a note wrote.
    pub explicit: Vec<LinkItem<'a>>,
    /// Targets the schema inferred.
    pub inferred: Vec<LinkItem<'a>>,
}

/// A note that links to the concept, with the sentence around the link.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Backlink<'a> {
    /// The linking note.
    pub source: LinkItem<'a>,
    /// Its concept.
    pub node: NodeIndex,
    /// The sentence (plain text), or the relation that links them.
    pub context: String,
}

/// A frontmatter key the site has no place for, shown in a small table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldRow {
    /// The key as written.
    pub key: String,
    /// Its values, joined.
    pub value: String,
}

/// A concept page.
#[derive(Template)]
#[template(path = "concept.html")]
pub struct ConceptPage<'a> {
    /// Shared parts.
    pub layout: Layout<'a>,
    /// The concept's title.
    pub title: String,
    /// Up the subClassOf chain, the root first.
    pub breadcrumb: Vec<LinkItem<'a>>,
    /// Aliases.
    pub aliases: Vec<String>,
    /// Tags, linking to their pages.
    pub tags: Vec<LinkItem<'a>>,
    /// Creation date in words.
    pub created: Option<String>,
    /// Modification date in words.
    pub modified: Option<String>,
    /// Table of contents.
    pub toc: Vec<TocEntry>,
    /// The body, rendered and sanitised.
    pub body: String,
    /// Relation panels.
    pub relations: Vec<RelationGroup<'a>>,
    /// Backlinks with context.
    pub backlinks: Vec<Backlink<'a>>,
    /// Unknown frontmatter keys.
    pub fields: Vec<FieldRow>,
    /// Slot: the demo section's HTML (drawn by the site).
    pub demo: Option<String>,
    /// Slot: the local graph's SVG (drawn by the site).
    pub local_graph: Option<String>,
}

/// The page of a concept no note describes yet.
#[derive(Template)]
#[template(path = "stub.html")]
pub struct StubPage<'a> {
    /// Shared parts.
    pub layout: Layout<'a>,
    /// The name as first written.
    pub title: String,
    /// The notes that link to it.
    pub referenced_by: Vec<LinkItem<'a>>,
}

/// The page of one tag.
#[derive(Template)]
#[template(path = "tag.html")]
pub struct TagPage<'a> {
    /// Shared parts.
    pub layout: Layout<'a>,
    /// The full tag (`a/b`).
    pub tag: String,
    /// "12 concepts".
    pub count: String,
    /// Enclosing tags (`a` for `a/b`).
    pub parents: Vec<LinkItem<'a>>,
    /// Direct sub-tags.
    pub children: Vec<LinkItem<'a>>,
    /// Concepts with this tag or a sub-tag.
    pub concepts: Vec<LinkItem<'a>>,
}

/// One line of the tag tree.
#[derive(Debug, Clone)]
pub struct TagRow {
    /// Relative URL of its page.
    pub href: String,
    /// The full tag.
    pub title: String,
    /// Nesting depth (0 for a top-level tag).
    pub depth: usize,
    /// How many concepts carry it (sub-tags included).
    pub count: String,
}

/// Every tag, nested.
#[derive(Template)]
#[template(path = "tags.html")]
pub struct TagsPage<'a> {
    /// Shared parts.
    pub layout: Layout<'a>,
    /// The tag tree, depth first.
    pub tags: Vec<TagRow>,
}

/// A recently modified concept.
#[derive(Debug, Clone)]
pub struct RecentEntry<'a> {
    /// The concept.
    pub item: LinkItem<'a>,
    /// Its modification date in words.
    pub date: String,
}

/// The home page.
#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage<'a> {
    /// Shared parts.
    pub layout: Layout<'a>,
    /// What the vault holds, in a sentence.
    pub summary: String,
    /// The subClassOf roots.
    pub roots: Vec<LinkItem<'a>>,
    /// Most recently modified first.
    pub recent: Vec<RecentEntry<'a>>,
    /// Top-level tags.
    pub tags: Vec<LinkItem<'a>>,
}

/// Edges of one relation, for the graph page without a drawing.
#[derive(Debug, Clone)]
pub struct EdgeGroup<'a> {
    /// The relation's name in the vault's language.
    pub label: String,
    /// Source and target of each edge.
    pub edges: Vec<(LinkItem<'a>, LinkItem<'a>)>,
}

/// The global graph page.
#[derive(Template)]
#[template(path = "graph.html")]
pub struct GraphPage<'a> {
    /// Shared parts.
    pub layout: Layout<'a>,
    /// Counts of concepts and relations.
    pub summary: String,
    /// Slot: the laid-out graph as SVG.
    pub svg: Option<String>,
    /// The edges, listed (shown when there is no drawing).
    pub relations: Vec<EdgeGroup<'a>>,
}

/// The search page (its results slot is filled by the search script).
#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage<'a> {
    /// Shared parts.
    pub layout: Layout<'a>,
}
