//! One build of the site: every page rendered in parallel, then the assets, the referenced
//! attachments, the graph exports and the sitemap, all written into a staging folder that
//! replaces the target only when everything succeeded.

use super::SiteError;
use super::assets::assets;
use super::attachments::Attachments;
use super::concept_page::concept_page;
use super::context::note_preview;
use super::i18n::labels;
use super::index_pages::{graph_page, home_page, search_page, tag_page, tag_tree, tags_page};
use super::links::{CONCEPTS_DIR, FILES_DIR, LinkContext, TAGS_DIR, concept_file};
use super::model::SiteData;
use super::output::Staging;
use super::sitemap::sitemap;
use crate::config::Language;
use crate::graph::{ConceptGraph, GraphFormat, NodeIndex, RelationFilter, export};
use crate::search::document::SearchDoc;
use crate::search::site_index;
use crate::vault::Vault;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// How to build.
#[derive(Debug, Clone, Default)]
pub struct SiteOptions {
    /// The folder the site replaces.
    pub out: PathBuf,
    /// Absolute URL the site will be served from (enables `sitemap.xml`).
    pub base_url: Option<String>,
    /// The vault's language (labels, dates, numbers).
    pub language: Language,
    /// The site's name (shown in every header).
    pub title: String,
    /// Demo section HTML per concept id, shown on concept pages.
    pub demos: BTreeMap<String, String>,
}

/// What a build wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSummary {
    /// Number of HTML pages.
    pub pages: usize,
    /// Attachments copied (the referenced ones).
    pub attachments: usize,
}

/// Builds the site of `vault` (loaded with its bodies) and its `graph` into `options.out`.
pub fn build_site(
    vault: &Vault,
    graph: &ConceptGraph,
    options: &SiteOptions,
) -> Result<SiteSummary, SiteError> {
    let attachments = Attachments::scan(&vault.root);
    let labels = labels(options.language);
    let previews: Vec<String> = graph
        .nodes()
        .collect::<Vec<_>>()
        .par_iter()
        .map(|(_, concept)| match concept.note {
            Some(index) => note_preview(&vault.notes[index]),
            None => labels.stub_preview.to_string(),
        })
        .collect();
    let (asset_files, asset_names) = assets();
    let site = SiteData {
        vault,
        graph,
        links: LinkContext {
            vault,
            graph,
            attachments: &attachments,
            previews: &previews,
        },
        language: options.language,
        labels,
        title: &options.title,
        assets: &asset_names,
        demos: &options.demos,
    };
    let staging = Staging::begin(&options.out)?;

    let nodes: Vec<NodeIndex> = graph.nodes().map(|(n, _)| n).collect();
    let referenced = nodes
        .par_iter()
        .map(|&node| {
            let path = format!("{CONCEPTS_DIR}/{}", concept_file(&graph.node(node).id));
            let page = concept_page(&site, node).map_err(|e| SiteError::template(&path, e))?;
            staging.write(&path, page.html.as_bytes())?;
            Ok(page.attachments)
        })
        .try_reduce(BTreeSet::new, |mut a, mut b| {
            a.append(&mut b);
            Ok(a)
        })?;

    let tags = tag_tree(&site);
    tags.par_iter().try_for_each(|(file, _)| {
        let path = format!("{TAGS_DIR}/{file}");
        let html = tag_page(&site, &tags, file).map_err(|e| SiteError::template(&path, e))?;
        staging.write(&path, html.as_bytes())
    })?;
    let root_pages = [
        ("index.html", home_page(&site, &tags)),
        ("tags.html", tags_page(&site, &tags)),
        ("graph.html", graph_page(&site, None)),
        ("search.html", search_page(&site)),
    ];
    for (path, html) in root_pages {
        let html = html.map_err(|e| SiteError::template(path, e))?;
        staging.write(path, html.as_bytes())?;
    }

    for asset in &asset_files {
        staging.write(&asset.path, &asset.bytes)?;
    }
    let search_docs = crate::search::store::documents(vault, graph, |_| true);
    let page_url = |doc: &SearchDoc| format!("{CONCEPTS_DIR}/{}", concept_file(&doc.id));
    let index = site_index::files(&search_docs, options.language, &page_url);
    for file in index.map_err(SiteError::Search)? {
        staging.write(&file.path, file.text.as_bytes())?;
    }
    for path in &referenced {
        staging.copy(&format!("{FILES_DIR}/{path}"), &vault.root.join(path))?;
    }
    let all = RelationFilter::all();
    staging.write(
        "graph.json",
        export(graph, GraphFormat::Json, &all).as_bytes(),
    )?;
    staging.write(
        "graph.jsonld",
        export(graph, GraphFormat::JsonLd, &all).as_bytes(),
    )?;

    let mut pages: Vec<String> = ["index.html", "graph.html", "search.html", "tags.html"]
        .map(String::from)
        .into();
    pages.extend(
        nodes
            .iter()
            .map(|&n| format!("{CONCEPTS_DIR}/{}", concept_file(&graph.node(n).id))),
    );
    pages.extend(tags.keys().map(|file| format!("{TAGS_DIR}/{file}")));
    if let Some(base) = &options.base_url {
        staging.write("sitemap.xml", sitemap(base, &pages).as_bytes())?;
    }
    staging.commit()?;
    Ok(SiteSummary {
        pages: pages.len(),
        attachments: referenced.len(),
    })
}
