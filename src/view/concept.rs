//! One concept as a page or `savoir show` presents it.

use super::context::sentence_around;
use crate::graph::{ConceptGraph, ConceptNode, NodeIndex};
use crate::vault::{Date, Note, RESERVED_KEYS, Span, Spanned, Vault};
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use serde::{Serialize, Serializer};

/// A concept as named inside another one's view (a relation target, a backlink, a crumb).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ConceptRef<'a> {
    /// Its node in the graph.
    #[serde(skip)]
    pub node: NodeIndex,
    /// Its slug.
    pub id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// `true` for a concept no note describes yet.
    pub stub: bool,
}

impl<'a> ConceptRef<'a> {
    /// The reference to `node` of `graph`.
    pub fn new(graph: &'a ConceptGraph, node: NodeIndex) -> Self {
        let concept: &ConceptNode = graph.node(node);
        ConceptRef {
            node,
            id: &concept.id,
            title: &concept.title,
            stub: concept.stub,
        }
    }
}

/// One relation leaving the concept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RelationView<'a> {
    /// The relation name (`subClassOf`, `linksTo`, …).
    pub relation: &'a str,
    /// The concept it leads to.
    pub target: ConceptRef<'a>,
    /// `true` when the note did not write it (the schema inferred it).
    pub inferred: bool,
}

/// The relations of one name, the written ones told apart from the inferred ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelationGroup<'a> {
    /// The relation name.
    pub relation: &'a str,
    /// Targets the note wrote, in file order.
    pub explicit: Vec<ConceptRef<'a>>,
    /// Targets the schema inferred, in graph order.
    pub inferred: Vec<ConceptRef<'a>>,
}

/// A frontmatter key that is neither reserved nor a relation, with its values as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldView<'a> {
    /// The key as written.
    pub key: &'a str,
    /// Its values (one for a scalar, one per item of a list).
    pub values: &'a [String],
}

/// A date as the note wrote it, and the calendar day when it is a valid `YYYY-MM-DD`.
/// Serialised as the text written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteDate<'a> {
    /// The value as written.
    pub written: &'a str,
    /// The day it names; `None` when it is not a valid date (`check` reports it).
    pub date: Option<Date>,
}

impl<'a> NoteDate<'a> {
    fn of(value: &'a Spanned<String>) -> Self {
        NoteDate {
            written: &value.value,
            date: value.value.parse().ok(),
        }
    }
}

impl Serialize for NoteDate<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.written)
    }
}

/// Where one link to the concept is written in another note's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkContext {
    /// The 1-based line of the link in that note's file.
    pub line: usize,
    /// The sentence around the link, as Markdown on one line ([`sentence_around`]).
    pub sentence: String,
}

/// A note that links to the concept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Backlink<'a> {
    /// The linking concept.
    #[serde(flatten)]
    pub source: ConceptRef<'a>,
    /// The sentence around each of its body links to the concept, in file order; empty when
    /// the vault was loaded without bodies or the only links are frontmatter relations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contexts: Vec<LinkContext>,
}

/// Everything shown about one concept. Its JSON is that of `savoir show`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConceptView<'a> {
    /// Its node in the graph.
    #[serde(skip)]
    pub node: NodeIndex,
    /// Its slug.
    pub id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// The note's path relative to the vault root, `/`-separated; `None` for a stub.
    pub path: Option<String>,
    /// `true` for a concept no note describes yet.
    pub stub: bool,
    /// The note's aliases.
    pub aliases: &'a [String],
    /// The note's tags (nested ones as written, `a/b`).
    pub tags: &'a [String],
    /// Frontmatter `type`.
    #[serde(rename = "type")]
    pub kind: Option<&'a str>,
    /// Ids of the reference implementations the note names.
    pub implementations: &'a [String],
    /// Frontmatter `date_creation`.
    pub created: Option<NoteDate<'a>>,
    /// Frontmatter `date_modification`.
    pub modified: Option<NoteDate<'a>>,
    /// Every relation leaving the concept, written ones first (file order), then inferred.
    pub relations: Vec<RelationView<'a>>,
    /// The notes linking to it, in path order.
    pub backlinks: Vec<Backlink<'a>>,
    /// The frontmatter keys that are neither reserved nor relations, in file order.
    pub fields: Vec<FieldView<'a>>,
}

impl<'a> ConceptView<'a> {
    /// The relations grouped by name (in order of first appearance), explicit and inferred
    /// targets apart: what a page's relation panels show.
    pub fn relation_groups(&self) -> Vec<RelationGroup<'a>> {
        let mut groups: Vec<RelationGroup<'a>> = Vec::new();
        for r in &self.relations {
            let at = match groups.iter().position(|g| g.relation == r.relation) {
                Some(at) => at,
                None => {
                    groups.push(RelationGroup {
                        relation: r.relation,
                        explicit: Vec::new(),
                        inferred: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            let group = &mut groups[at];
            match r.inferred {
                true => group.inferred.push(r.target),
                false => group.explicit.push(r.target),
            }
        }
        groups
    }
}

/// A body link of `source` that resolves to a concept, where it is written.
#[derive(Debug, Clone, Copy)]
struct Mention {
    source: NodeIndex,
    span: Span,
}

/// The views of a vault's concepts: built once, asked for each page.
pub struct Views<'a> {
    vault: &'a Vault,
    graph: &'a ConceptGraph,
    /// Per target concept, the body links to it, by linking concept and in file order
    /// within one (empty when the vault kept no bodies: there is no sentence to show).
    mentions: HashMap<NodeIndex, Vec<Mention>>,
}

impl<'a> Views<'a> {
    /// Indexes where each concept is mentioned (in parallel; only the notes whose body was
    /// kept, see [`Bodies`](crate::vault::Bodies)).
    pub fn new(vault: &'a Vault, graph: &'a ConceptGraph) -> Self {
        let found: Vec<Vec<(NodeIndex, Mention)>> = vault
            .notes
            .par_iter()
            .enumerate()
            .filter(|(_, note)| !note.body.is_empty())
            .map(|(i, note)| {
                let source = graph.note_node(i);
                note.body_links
                    .iter()
                    .filter(|link| !link.target.is_empty())
                    .filter_map(|link| {
                        let target = graph.resolve_link(&link.target)?;
                        (target != source).then_some((
                            target,
                            Mention {
                                source,
                                span: link.span,
                            },
                        ))
                    })
                    .collect()
            })
            .collect();
        let mut mentions: HashMap<NodeIndex, Vec<Mention>> = HashMap::new();
        for (target, mention) in found.into_iter().flatten() {
            mentions.entry(target).or_default().push(mention);
        }
        // A stable sort: each source's links stay in file order.
        for list in mentions.values_mut() {
            list.sort_by_key(|m| m.source);
        }
        Views {
            vault,
            graph,
            mentions,
        }
    }

    /// The graph the views read.
    pub fn graph(&self) -> &'a ConceptGraph {
        self.graph
    }

    /// The note behind a concept (`None` for a stub).
    pub fn note(&self, node: NodeIndex) -> Option<&'a Note> {
        self.graph
            .node(node)
            .note
            .and_then(|i| self.vault.notes.get(i))
    }

    /// Everything shown about `node`.
    pub fn concept(&self, node: NodeIndex) -> ConceptView<'a> {
        self.concept_with_contexts(node, usize::MAX)
    }

    /// [`Views::concept`] without the sentences around the backlinks: what a page needs to
    /// know whether it changed ([`Views::mentions`] says what its sentences come from, and
    /// [`Views::first_context`] finds one when the page is drawn).
    pub fn concept_without_contexts(&self, node: NodeIndex) -> ConceptView<'a> {
        self.concept_with_contexts(node, 0)
    }

    /// Where the body of `source` links to `target`, in file order.
    pub fn mentions(&self, target: NodeIndex, source: NodeIndex) -> impl Iterator<Item = Span> {
        let mentions = self.mentions.get(&target).map_or(&[][..], Vec::as_slice);
        let first = mentions.partition_point(|m| m.source < source);
        mentions[first..]
            .iter()
            .take_while(move |m| m.source == source)
            .map(|m| m.span)
    }

    /// The sentence around the first link from the body of `source` to `target` (what
    /// [`Views::concept`] gives first for that backlink).
    pub fn first_context(&self, target: NodeIndex, source: NodeIndex) -> Option<LinkContext> {
        self.mentions(target, source)
            .find_map(|span| self.context(&Mention { source, span }))
    }

    /// Everything shown about `node`, each backlink with at most `contexts` sentences.
    fn concept_with_contexts(&self, node: NodeIndex, contexts: usize) -> ConceptView<'a> {
        let graph = self.graph;
        let concept = graph.node(node);
        let note = self.note(node);
        let relations = graph
            .outgoing(node)
            .into_iter()
            .map(|e| RelationView {
                relation: e.relation(),
                target: ConceptRef::new(graph, e.target),
                inferred: e.edge.inferred,
            })
            .collect();
        ConceptView {
            node,
            id: &concept.id,
            title: &concept.title,
            path: concept
                .path
                .as_ref()
                .map(|p| p.to_string_lossy().replace('\\', "/")),
            stub: concept.stub,
            aliases: &concept.aliases,
            tags: &concept.tags,
            kind: note.and_then(|n| n.kind.as_deref()),
            implementations: &concept.implementations,
            created: note.and_then(|n| n.created.as_ref()).map(NoteDate::of),
            modified: note.and_then(|n| n.modified.as_ref()).map(NoteDate::of),
            relations,
            backlinks: self.backlinks(node, contexts),
            fields: note.map(other_fields).unwrap_or_default(),
        }
    }

    /// The notes linking to `node` (in path order), each with the sentences around its links
    /// (the first `contexts` of them).
    fn backlinks(&self, node: NodeIndex, contexts: usize) -> Vec<Backlink<'a>> {
        self.graph
            .backlinks(node)
            .into_iter()
            .map(|source| Backlink {
                source: ConceptRef::new(self.graph, source),
                contexts: self
                    .mentions(node, source)
                    .filter_map(|span| self.context(&Mention { source, span }))
                    .take(contexts)
                    .collect(),
            })
            .collect()
    }

    fn context(&self, mention: &Mention) -> Option<LinkContext> {
        let note = self.note(mention.source)?;
        let at = body_offset(&note.body, note.body_line, mention.span)?;
        Some(LinkContext {
            line: mention.span.line,
            sentence: sentence_around(&note.body, at),
        })
    }

    /// The breadcrumb above `node`: its first `subClassOf` parent, that one's first parent
    /// and so on up to a root, listed root first; stops before a concept already on the
    /// chain, so a cycle ends it. Empty for a root.
    pub fn breadcrumb(&self, node: NodeIndex) -> Vec<ConceptRef<'a>> {
        self.graph
            .first_parent_chain(node, "subClassOf")
            .into_iter()
            .rev()
            .map(|n| ConceptRef::new(self.graph, n))
            .collect()
    }
}

/// Frontmatter keys that are neither reserved nor relations.
fn other_fields(note: &Note) -> Vec<FieldView<'_>> {
    note.fields
        .iter()
        .filter(|f| !RESERVED_KEYS.contains(&f.key.as_str()))
        .filter(|f| !note.relations.iter().any(|r| r.key == f.key))
        .map(|f| FieldView {
            key: &f.key,
            values: &f.values,
        })
        .collect()
}

/// The byte offset in `body` (whose first line is file line `body_line`) of a file position.
fn body_offset(body: &str, body_line: usize, span: Span) -> Option<usize> {
    let line = span.line.checked_sub(body_line)?;
    let line_start = match line {
        0 => 0,
        n => memchr::memchr_iter(b'\n', body.as_bytes()).nth(n - 1)? + 1,
    };
    let column = span.column.saturating_sub(1);
    let in_line = body[line_start..]
        .char_indices()
        .nth(column)
        .map_or(body.len() - line_start, |(i, _)| i);
    Some(line_start + in_line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Schema;
    use crate::vault::parse_note;
    use std::path::Path;

    fn vault(files: &[(&str, &str)]) -> Vault {
        let notes = files
            .iter()
            .map(|(path, text)| parse_note(Path::new(path), text.as_bytes()))
            .collect();
        Vault {
            notes,
            ..Vault::default()
        }
    }

    #[test]
    fn a_view_has_metadata_relations_fields_and_backlinks_with_sentences() {
        let v = vault(&[
            (
                "a.md",
                "---\ntitle: Adam\naliases: [AdamOpt]\ndate_creation: 2025-04-08\ndate_modification: hier\nsubClassOf: '[[Optimiseur]]'\nsource: Kingma 2014\n---\nTexte.\n",
            ),
            (
                "b.md",
                "---\ntitle: AdamW\nsubClassOf: '[[Adam]]'\n---\n# AdamW\n\nVariante de [[Adam]]. Puis [[AdamOpt|Adam]] encore !\n",
            ),
            ("o.md", "---\ntitle: Optimiseur\n---\n"),
        ]);
        let g = ConceptGraph::build(&v, &Schema::builtin());
        let views = Views::new(&v, &g);
        let adam = views.concept(g.resolve("Adam").unwrap());
        assert_eq!(adam.path.as_deref(), Some("a.md"));
        assert_eq!(adam.aliases, ["AdamOpt"]);
        let created = adam.created.unwrap();
        assert_eq!(
            (created.written, created.date.map(|d| d.day)),
            ("2025-04-08", Some(8))
        );
        assert_eq!(adam.modified.unwrap().date, None, "`hier` is not a date");
        assert_eq!(adam.fields.len(), 1);
        assert_eq!(
            (adam.fields[0].key, adam.fields[0].values),
            ("source", &["Kingma 2014".to_string()][..])
        );
        let groups = adam.relation_groups();
        let summary: Vec<(&str, Vec<&str>, Vec<&str>)> = groups
            .iter()
            .map(|g| {
                fn titles<'t>(refs: &[ConceptRef<'t>]) -> Vec<&'t str> {
                    refs.iter().map(|r| r.title).collect()
                }
                (g.relation, titles(&g.explicit), titles(&g.inferred))
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("subClassOf", vec!["Optimiseur"], vec![]),
                ("hasSubClass", vec![], vec!["AdamW"])
            ]
        );
        assert_eq!(adam.backlinks.len(), 1);
        let sentences: Vec<(&str, usize)> = adam.backlinks[0]
            .contexts
            .iter()
            .map(|c| (c.sentence.as_str(), c.line))
            .collect();
        assert_eq!(
            sentences,
            [
                ("Variante de [[Adam]].", 7),
                ("Puis [[AdamOpt|Adam]] encore !", 7)
            ]
        );
        let json = serde_json::to_value(&adam).unwrap();
        assert_eq!(json["created"], "2025-04-08");
        assert_eq!(json["backlinks"][0]["id"], "adamw");
        assert_eq!(json["backlinks"][0]["contexts"][0]["line"], 7);
    }

    #[test]
    fn without_bodies_backlinks_have_no_context() {
        let mut v = vault(&[("a.md", "# A\n"), ("b.md", "Voir [[a]].\n")]);
        for note in &mut v.notes {
            note.body.clear();
        }
        let g = ConceptGraph::build(&v, &Schema::builtin());
        let views = Views::new(&v, &g);
        let a = views.concept(g.resolve("a").unwrap());
        assert_eq!(a.backlinks[0].source.title, "b");
        assert!(a.backlinks[0].contexts.is_empty());
        assert!(!serde_json::to_string(&a).unwrap().contains("contexts"));
    }

    #[test]
    fn the_breadcrumb_climbs_first_parents_and_stops_on_a_cycle() {
        let v = vault(&[
            ("a.md", "---\nsubClassOf: ['[[b]]', '[[x]]']\n---\n"),
            ("b.md", "---\nsubClassOf: '[[c]]'\n---\n"),
            ("c.md", "---\nsubClassOf: '[[a]]'\n---\n"),
            ("r.md", "# racine\n"),
        ]);
        let g = ConceptGraph::build(&v, &Schema::builtin());
        let views = Views::new(&v, &g);
        let crumbs = |name: &str| -> Vec<&str> {
            views
                .breadcrumb(g.resolve(name).unwrap())
                .iter()
                .map(|c| c.title)
                .collect()
        };
        assert_eq!(crumbs("a"), ["c", "b"]);
        assert_eq!(crumbs("c"), ["b", "a"]);
        assert!(crumbs("r").is_empty());
    }
}
