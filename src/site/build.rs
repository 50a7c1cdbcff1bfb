//! One build of the site: every page rendered in parallel while the whole-vault outputs (graph
//! page, search index, graph exports) are made, then the tag and root pages, the assets, the
//! referenced attachments and the sitemap, all written into a staging folder that replaces the
//! target only when everything succeeded.

use super::SiteError;
use super::assets::{AssetNames, assets};
use super::concept_page::write_concept_page;
use super::context::note_preview;
use super::demo::{Demo, demo_html};
use super::fingerprint::{build_identity, hash_of};
use super::i18n::labels;
use super::index_pages::{graph_page, home_page, search_page, tag_entry_file, tag_page, tags_page};
use super::links::{CONCEPTS_DIR, FILES_DIR, LinkContext, Preview, TAGS_DIR, concept_file};
use super::model::{ConceptFiles, SiteData};
use super::output::Staging;
use super::page_cache::{Artifact, NextEntry, PageCache};
use super::sitemap::sitemap;
use crate::config::Language;
use crate::graph::{
    ConceptEdge, ConceptGraph, ConceptNode, NodeIndex, RelationFilter, json_document, to_jsonld,
};
use crate::html::escape_html;
use crate::search::document::SearchDoc;
use crate::search::site_index;
use crate::site::graph_view::{
    GraphViewOptions, LocalGraphs, global_graph_fingerprint, global_graph_svg,
};
use crate::vault::Vault;
use crate::view::{TagEntry, TagTree, Views};
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
    /// The demo of each concept with an implementation, by concept id.
    pub demos: BTreeMap<String, Demo>,
    /// Folder of the page cache (unchanged pages are not rendered again); `None` renders
    /// every page.
    pub cache_dir: Option<PathBuf>,
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
    let labels = labels(options.language);
    let previews: Vec<Preview> = graph
        .nodes()
        .collect::<Vec<_>>()
        .par_iter()
        .map(|(_, concept)| {
            Preview::new(match concept.note {
                Some(index) => escape_html(&note_preview(&vault.notes[index])),
                None => escape_html(labels.stub_preview),
            })
        })
        .collect();
    let body_hashes: Vec<u64> = vault.notes.par_iter().map(|n| hash_of(&n.body)).collect();
    let (asset_files, asset_names) = assets();
    let demos = options
        .demos
        .iter()
        .map(|(id, demo)| {
            let html = demo_html(demo, options.language, labels)
                .map_err(|e| SiteError::template(&format!("demo of {id}"), e))?;
            Ok((id.clone(), html))
        })
        .collect::<Result<BTreeMap<String, String>, SiteError>>()?;
    // The previous build's cache is read while the views are made.
    let (mut cache, (views, local_graphs)) = rayon::join(
        || PageCache::load(options.cache_dir.as_deref(), &options.out),
        || (Views::new(vault, graph), LocalGraphs::new(graph)),
    );
    let files = ConceptFiles::new(graph);
    let site = SiteData {
        vault,
        graph,
        local_graphs: &local_graphs,
        views: &views,
        links: LinkContext {
            vault,
            graph,
            previews: &previews,
        },
        language: options.language,
        labels,
        title: &options.title,
        assets: &asset_names,
        demos: &demos,
        body_hashes: &body_hashes,
        files: &files,
    };
    let staging = Staging::begin(&options.out)?;

    let nodes: Vec<NodeIndex> = graph.nodes().map(|(n, _)| n).collect();
    let identity = Identity {
        build: build_identity(),
        language: options.language.code(),
        title: &options.title,
        assets: &asset_names,
    };
    // The whole-vault outputs (graph page, search index, exports) are made while the pages
    // render: a large part of them runs on one thread.
    let (written, artifacts) = rayon::join(
        || {
            nodes
                .par_iter()
                .map(|&node| {
                    let path = format!("{CONCEPTS_DIR}/{}", files.file(node));
                    let (attachments, entry) =
                        write_concept_page(&site, node, &path, &cache, &staging)?;
                    Ok((path, attachments, entry))
                })
                .collect::<Result<Vec<_>, SiteError>>()
        },
        || whole_vault_outputs(&site, &staging, &cache, &identity),
    );
    let artifacts = artifacts?;
    let mut referenced = BTreeSet::new();
    let mut entries = BTreeMap::new();
    for (path, mut attachments, entry) in written? {
        referenced.append(&mut attachments);
        let entry = match entry {
            NextEntry::New(entry) => Some(entry),
            NextEntry::Kept => cache.take(&path),
            NextEntry::Uncached => None,
        };
        if let Some(entry) = entry {
            entries.insert(path, entry);
        }
    }

    let tags = TagTree::new(graph);
    let tag_list: Vec<&TagEntry> = tags.tags().collect();
    tag_list.par_iter().try_for_each(|tag| {
        let path = format!("{TAGS_DIR}/{}", tag_entry_file(tag));
        let html = tag_page(&site, &tags, tag).map_err(|e| SiteError::template(&path, e))?;
        staging.write(&path, html.as_bytes())
    })?;
    let root_pages = [
        ("index.html", home_page(&site, &tags)),
        ("tags.html", tags_page(&site, &tags)),
        ("search.html", search_page(&site)),
    ];
    for (path, html) in root_pages {
        let html = html.map_err(|e| SiteError::template(path, e))?;
        staging.write(path, html.as_bytes())?;
    }

    for asset in &asset_files {
        staging.write(&asset.path, &asset.bytes)?;
    }
    for path in &referenced {
        staging.copy(&format!("{FILES_DIR}/{path}"), &vault.root.join(path))?;
    }

    let mut pages: Vec<String> = ["index.html", "graph.html", "search.html", "tags.html"]
        .map(String::from)
        .into();
    pages.extend(
        nodes
            .iter()
            .map(|&n| format!("{CONCEPTS_DIR}/{}", files.file(n))),
    );
    pages.extend(
        tags.tags()
            .map(|tag| format!("{TAGS_DIR}/{}", tag_entry_file(tag))),
    );
    if let Some(base) = &options.base_url {
        staging.write("sitemap.xml", sitemap(base, &pages).as_bytes())?;
    }
    // The previous site (thousands of files) is removed while the cache is written.
    let retired = staging.commit()?;
    let (removed, saved) = rayon::join(|| retired.remove(), || cache.save(entries, artifacts));
    removed?;
    saved?;
    Ok(SiteSummary {
        pages: pages.len(),
        attachments: referenced.len(),
    })
}

/// What every whole-vault output depends on besides its own inputs.
#[derive(Hash)]
struct Identity<'a> {
    /// This build of savoir ([`build_identity`]).
    build: &'static (String, u64, u128),
    /// The site's language.
    language: &'a str,
    /// The site's name.
    title: &'a str,
    /// The pages' assets.
    assets: &'a AssetNames,
}

/// The graph page, the search index and the graph exports, each reused from the previous
/// build when its inputs did not change; gives what to record for the next build.
fn whole_vault_outputs(
    site: &SiteData<'_>,
    staging: &Staging,
    cache: &PageCache,
    identity: &Identity<'_>,
) -> Result<BTreeMap<String, Artifact>, SiteError> {
    let graph = site.graph;
    let mut artifacts = BTreeMap::new();
    let graph_key = hash_of(&(identity, "graph", global_graph_fingerprint(graph)));
    let made = write_artifact(staging, cache, "graph", graph_key, || {
        let html = graph_page(site, Some(global_graph(site)))
            .map_err(|e| SiteError::template("graph.html", e))?;
        Ok(vec![("graph.html".to_string(), html)])
    })?;
    artifacts.insert("graph".to_string(), made);

    let search_key = hash_of(&(identity, "search", search_inputs(site)));
    let made = write_artifact(staging, cache, "search", search_key, || {
        let search_docs = crate::search::store::documents(site.vault, graph, |_| true);
        let page_url = |doc: &SearchDoc| format!("{CONCEPTS_DIR}/{}", concept_file(&doc.id));
        let files =
            site_index::files(&search_docs, site.language, &page_url).map_err(SiteError::Search)?;
        Ok(files.into_iter().map(|f| (f.path, f.text)).collect())
    })?;
    artifacts.insert("search".to_string(), made);

    let exports_key = hash_of(&(identity, "exports", whole_graph(graph)));
    let made = write_artifact(staging, cache, "exports", exports_key, || {
        let all = RelationFilter::all();
        let (json, jsonld) = rayon::join(
            || compact_json(&json_document(graph, &all)),
            || compact_json(&to_jsonld(graph, &all)),
        );
        Ok(vec![
            ("graph.json".into(), json),
            ("graph.jsonld".into(), jsonld),
        ])
    })?;
    artifacts.insert("exports".to_string(), made);
    Ok(artifacts)
}

/// An export as the site serves it: the same document as `savoir graph --format json|jsonld`,
/// without the indentation (a third smaller for a large vault, and faster to write).
fn compact_json(document: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string(document).expect("a graph export serialises");
    text.push('\n');
    text
}

/// Writes the files of the whole-vault output `name` whose inputs hash to `key`: the previous
/// build's files when it had the same key, else those `make` gives; gives what to record for
/// the next build.
fn write_artifact(
    staging: &Staging,
    cache: &PageCache,
    name: &str,
    key: u64,
    make: impl FnOnce() -> Result<Vec<(String, String)>, SiteError>,
) -> Result<Artifact, SiteError> {
    let files = match cache.reusable_artifact(name, key) {
        Some(previous) => {
            for (rel, file) in &previous {
                staging.link(rel, file)?;
            }
            previous.into_iter().map(|(rel, _)| rel).collect()
        }
        None => {
            let made = make()?;
            for (rel, text) in &made {
                staging.write(rel, text.as_bytes())?;
            }
            made.into_iter().map(|(rel, _)| rel).collect()
        }
    };
    Ok(Artifact { key, files })
}

/// The hash of what each note's search document is made from ([`SearchDoc::inputs`]), in
/// vault order: the search index is up to date when these are.
fn search_inputs(site: &SiteData<'_>) -> Vec<u64> {
    let graph = site.graph;
    site.vault
        .notes
        .par_iter()
        .enumerate()
        .map(|(i, note)| hash_of(&SearchDoc::inputs(note, graph, graph.note_node(i))))
        .collect()
}

/// Everything the graph holds, to hash: every concept and every edge with its ends.
fn whole_graph(graph: &ConceptGraph) -> (Vec<&ConceptNode>, Vec<(usize, usize, &ConceptEdge)>) {
    let nodes = graph.nodes().map(|(_, node)| node).collect();
    let edges = graph
        .edges()
        .map(|e| (e.source.index(), e.target.index(), e.edge))
        .collect();
    (nodes, edges)
}

/// The global graph drawn for the graph page (at the site root).
fn global_graph(site: &SiteData<'_>) -> String {
    let href =
        |node: &crate::graph::ConceptNode| format!("{CONCEPTS_DIR}/{}", concept_file(&node.id));
    let options = GraphViewOptions {
        href: &href,
        language: site.language,
        seed: 0,
    };
    global_graph_svg(site.graph, &options)
}
