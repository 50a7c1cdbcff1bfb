//! Building the concept graph: nodes, name index, written edges, slugs, inferred edges.

use super::adjacency::Adjacency;
use super::model::{
    ConceptEdge, ConceptGraph, ConceptNode, DanglingLink, DuplicateTitle, EdgeOrigin, MissingFile,
    SlugCollision,
};
use super::names::{SlugTable, normalize_name, normalize_name_into, slugify};
use super::schema::{LINKS_TO, Schema};
use crate::vault::{Attachments, Note, Vault, WikiLink, names_a_file, relative_path};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use rayon::prelude::*;
use std::collections::hash_map::Entry;
use std::sync::Arc;

impl ConceptGraph {
    /// Builds the graph of a vault in phases: one node per note (path order), the name index
    /// (titles, then aliases, then file stems, then folder paths: the first claimant of a name
    /// keeps it), one edge per distinct written statement (each frontmatter relation, each body
    /// link as `linksTo`; same-note links such as `[[#heading]]` are not edges), a stub per
    /// distinct unresolved target, slugs, and finally the edges the schema infers (inverses and
    /// the other direction of symmetric relations), never duplicating a written edge.
    /// Transitive closures are not materialised: see [`ConceptGraph::ancestors`].
    pub fn build(vault: &Vault, schema: &Schema) -> ConceptGraph {
        let mut builder = Builder::new(vault, schema);
        builder.index_names();
        builder.add_written_edges();
        let slug_collisions = builder.assign_slugs();
        builder.add_inferred_edges();
        let identity = builder
            .relations
            .names
            .iter()
            .filter(|name| schema.is_identity(name))
            .cloned()
            .collect();
        let slugs = builder
            .graph
            .node_indices()
            .map(|n| (builder.graph[n].id.clone(), n))
            .collect();
        ConceptGraph {
            outgoing: Adjacency::new(&builder.graph, Direction::Outgoing),
            incoming: Adjacency::new(&builder.graph, Direction::Incoming),
            graph: builder.graph,
            names: builder.names,
            slugs,
            identity,
            written: builder.written_ranges,
            dangling: builder.dangling,
            missing_files: builder.missing_files,
            duplicate_titles: builder.duplicate_titles,
            slug_collisions,
        }
    }
}

/// What inference needs to know about a relation.
#[derive(Clone, Copy)]
struct RelationInfo {
    inverse: Option<usize>,
    symmetric: bool,
}

/// Relation names, each stored once with what the schema says of it.
struct Relations<'s> {
    schema: &'s Schema,
    ids: HashMap<Arc<str>, usize>,
    names: Vec<Arc<str>>,
    info: Vec<RelationInfo>,
}

impl<'s> Relations<'s> {
    /// The table of `linksTo` and the schema's relations; others are interned on first use.
    fn new(schema: &'s Schema) -> Self {
        let mut relations = Relations {
            schema,
            ids: HashMap::new(),
            names: Vec::new(),
            info: Vec::new(),
        };
        relations.intern(LINKS_TO);
        for (name, _) in schema.relations() {
            relations.intern(name);
        }
        relations
    }

    fn intern(&mut self, name: &str) -> usize {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len();
        let shared: Arc<str> = Arc::from(name);
        self.names.push(shared.clone());
        self.ids.insert(shared, id);
        self.info.push(RelationInfo {
            inverse: None,
            symmetric: self.schema.is_symmetric(name),
        });
        if let Some(inverse) = self.schema.inverse(name) {
            let inverse = self.intern(inverse);
            self.info[id].inverse = Some(inverse);
        }
        id
    }
}

/// An inferred edge to add: source, target, relation id, origin.
type Inferred = (NodeIndex, NodeIndex, usize, EdgeOrigin);

struct Builder<'v> {
    vault: &'v Vault,
    graph: DiGraph<ConceptNode, ConceptEdge>,
    note_names: Vec<NoteNames>,
    names: HashMap<String, NodeIndex>,
    relations: Relations<'v>,
    /// The relation id of every written edge, by edge index.
    edge_relations: Vec<u32>,
    /// Per note, the range of its edges in the graph (written edges come first, by note).
    written_ranges: Vec<(u32, u32)>,
    dangling: Vec<DanglingLink>,
    missing_files: Vec<MissingFile>,
    duplicate_titles: Vec<DuplicateTitle>,
}

impl<'v> Builder<'v> {
    fn new(vault: &'v Vault, schema: &'v Schema) -> Self {
        let notes = vault.notes.len();
        let (nodes, note_names): (Vec<ConceptNode>, Vec<NoteNames>) = vault
            .notes
            .par_iter()
            .enumerate()
            .map(|(i, note)| (note_node(i, note), NoteNames::of(note)))
            .unzip();
        let mut graph = DiGraph::with_capacity(notes, notes * 24);
        for node in nodes {
            graph.add_node(node);
        }
        Builder {
            vault,
            graph,
            note_names,
            names: HashMap::with_capacity(notes * 3),
            relations: Relations::new(schema),
            edge_relations: Vec::with_capacity(notes * 16),
            written_ranges: Vec::with_capacity(notes),
            dangling: Vec::new(),
            missing_files: Vec::new(),
            duplicate_titles: Vec::new(),
        }
    }

    /// Titles first, then aliases, then file stems, then folder paths: the first claimant of
    /// a name keeps it; a title already taken is a duplicate.
    fn index_names(&mut self) {
        let mut note_names = std::mem::take(&mut self.note_names);
        for (i, names) in note_names.iter_mut().enumerate() {
            match self.names.entry(std::mem::take(&mut names.title)) {
                Entry::Vacant(slot) => {
                    slot.insert(NodeIndex::new(i));
                }
                Entry::Occupied(first) => self.duplicate_titles.push(DuplicateTitle {
                    node: NodeIndex::new(i),
                    resolves_to: *first.get(),
                }),
            }
        }
        let aliases: Vec<_> = note_names
            .iter_mut()
            .map(|n| std::mem::take(&mut n.aliases))
            .collect();
        let stems: Vec<_> = note_names
            .iter_mut()
            .map(|n| std::mem::take(&mut n.stem))
            .collect();
        let folders: Vec<_> = note_names
            .iter_mut()
            .map(|n| std::mem::take(&mut n.folder_paths))
            .collect();
        for keys in [aliases, stems, folders] {
            for (i, keys) in keys.into_iter().enumerate() {
                for key in keys.into_iter().filter(|k| !k.is_empty()) {
                    self.names.entry(key).or_insert(NodeIndex::new(i));
                }
            }
        }
        self.note_names = note_names;
    }

    fn add_written_edges(&mut self) {
        let statements = self.plan_statements();
        // Repeats the planning could not see: links to stubs, relations it did not know.
        let mut seen: HashSet<(NodeIndex, usize)> = HashSet::new();
        for (i, statements) in statements.into_iter().enumerate() {
            let source = NodeIndex::new(i);
            let first = self.graph.edge_count() as u32;
            seen.clear();
            for statement in statements {
                let planned = matches!(
                    (&statement.target, statement.relation),
                    (Target::Found(_), RelationRef::Known(_))
                );
                let origin = EdgeOrigin {
                    note: source,
                    span: statement.link.span,
                };
                if let Target::MissingFile = statement.target {
                    self.missing_files.push(MissingFile {
                        origin,
                        written: statement.link.target.trim().to_string(),
                    });
                    continue;
                }
                let relation = match statement.relation {
                    RelationRef::Known(id) => id,
                    RelationRef::Unknown(name) => self.relations.intern(name),
                };
                let target = self.target_node(statement.target, &statement.link.target);
                if target.index() >= self.vault.notes.len() {
                    self.dangling.push(DanglingLink {
                        origin,
                        relation: self.relations.names[relation].clone(),
                        target,
                        written: statement.link.target.trim().to_string(),
                    });
                }
                if planned || seen.insert((target, relation)) {
                    self.edge_relations.push(relation as u32);
                    self.push_edge(source, target, relation, false, origin);
                }
            }
            self.written_ranges
                .push((first, self.graph.edge_count() as u32));
        }
    }

    /// Every statement of every note (frontmatter relations, then body links), planned in
    /// parallel: targets looked up in the name index (stubs do not exist yet), relations
    /// looked up among the known ones, and repeated links to the same note (or to the note
    /// itself, from its body) dropped.
    fn plan_statements(&self) -> Vec<Vec<Statement<'v>>> {
        let names = &self.names;
        let attachments = &self.vault.attachments;
        let relations = &self.relations;
        let links_to = relations.ids[LINKS_TO];
        self.vault
            .notes
            .par_iter()
            .enumerate()
            .map_init(
                || (String::new(), HashSet::new()),
                |(key, seen), (i, note)| {
                    seen.clear();
                    let frontmatter = note.relations.iter().map(|written| {
                        let name = written.name.as_str();
                        let known = relations.ids.get(name).copied();
                        let relation = known.map_or(RelationRef::Unknown(name), RelationRef::Known);
                        (&written.link, Some(relation))
                    });
                    let body = note.body_links.iter().map(|link| (link, None));
                    frontmatter
                        .filter(|(_, relation)| !matches!(relation, Some(RelationRef::Unknown(""))))
                        .chain(body)
                        .filter_map(|(link, relation)| {
                            let relation = relation.unwrap_or(RelationRef::Known(links_to));
                            let target = Target::of(&link.target, names, key)?.or_file(
                                link,
                                note,
                                names,
                                key,
                                attachments,
                            )?;
                            if let (&Target::Found(node), RelationRef::Known(id)) =
                                (&target, relation)
                            {
                                let self_link = node.index() == i && id == links_to;
                                if self_link || !seen.insert((node, id)) {
                                    return None;
                                }
                            }
                            Some(Statement {
                                link,
                                relation,
                                target,
                            })
                        })
                        .collect()
                },
            )
            .collect()
    }

    /// The node a looked-up target stands for, creating its stub on first sight.
    fn target_node(&mut self, target: Target, raw: &str) -> NodeIndex {
        match target {
            Target::Found(node) => node,
            // Never asked: a missing file is recorded, not linked.
            Target::MissingFile => unreachable!("a missing file has no node"),
            Target::Unresolved(key) => match lookup(&self.names, &key) {
                Some(stub) => stub,
                None => {
                    let stub = self.graph.add_node(stub_node(raw.trim()));
                    self.names.insert(key, stub);
                    stub
                }
            },
        }
    }

    fn push_edge(
        &mut self,
        source: NodeIndex,
        target: NodeIndex,
        relation: usize,
        inferred: bool,
        origin: EdgeOrigin,
    ) {
        let edge = ConceptEdge {
            relation: self.relations.names[relation].clone(),
            inferred,
            origin,
        };
        self.graph.add_edge(source, target, edge);
    }

    /// Notes claim slugs first (in path order), stubs after them.
    fn assign_slugs(&mut self) -> Vec<SlugCollision> {
        let notes = self.note_names.len();
        let mut table = SlugTable::with_capacity(self.graph.node_count());
        let mut collisions = Vec::new();
        let note_slugs: Vec<String> = self
            .note_names
            .iter_mut()
            .map(|n| std::mem::take(&mut n.slug))
            .collect();
        let stub_slugs: Vec<String> = (notes..self.graph.node_count())
            .map(|i| slugify(&self.graph[NodeIndex::new(i)].title))
            .collect();
        for (first, wanted) in [(0, note_slugs), (notes, stub_slugs)] {
            let (slugs, clashes) = table.assign(&wanted, |i| first + i);
            for (i, slug) in slugs.into_iter().enumerate() {
                self.graph[NodeIndex::new(first + i)].id = slug;
            }
            collisions.extend(clashes.into_iter().map(|clash| SlugCollision {
                node: NodeIndex::new(first + clash.index),
                wanted: clash.wanted,
                owner: NodeIndex::new(clash.owner),
            }));
        }
        collisions
    }

    /// The edges the schema infers from the written ones, found in parallel note by note and
    /// added in the order of the edges they come from (an inverse before a symmetric twin).
    fn add_inferred_edges(&mut self) {
        let inferred: Vec<Vec<Inferred>> = (0..self.written_ranges.len())
            .into_par_iter()
            .map(|note| self.inferred_from(NodeIndex::new(note)))
            .collect();
        for (source, target, relation, origin) in inferred.into_iter().flatten() {
            self.push_edge(source, target, relation, true, origin);
        }
    }

    /// What the written edges of `note` let the schema infer, without an edge the other end
    /// wrote itself or one inferred twice (both can only come from this note's edges).
    fn inferred_from(&self, note: NodeIndex) -> Vec<Inferred> {
        let mut inferred: Vec<Inferred> = Vec::new();
        for index in self.written_range(note) {
            let edge = &self.graph.raw_edges()[index];
            let relation = self.edge_relations[index] as usize;
            let info = self.relations.info[relation];
            let target = edge.target();
            let candidates = [info.inverse, info.symmetric.then_some(relation)];
            for inverse in candidates.into_iter().flatten() {
                let repeated = inferred
                    .iter()
                    .any(|&(from, _, r, _)| from == target && r == inverse);
                if !repeated && !self.wrote(target, note, inverse) {
                    inferred.push((target, note, inverse, edge.weight.origin));
                }
            }
        }
        inferred
    }

    /// The edge indices of what `node` wrote (none for a stub).
    fn written_range(&self, node: NodeIndex) -> std::ops::Range<usize> {
        self.written_ranges
            .get(node.index())
            .map_or(0..0, |&(first, end)| first as usize..end as usize)
    }

    /// Whether `source` wrote `relation` to `target` itself.
    fn wrote(&self, source: NodeIndex, target: NodeIndex, relation: usize) -> bool {
        self.written_range(source).any(|index| {
            self.graph.raw_edges()[index].target() == target
                && self.edge_relations[index] as usize == relation
        })
    }
}

/// One link of a note, ready to become an edge.
struct Statement<'v> {
    link: &'v WikiLink,
    relation: RelationRef<'v>,
    target: Target,
}

/// A relation as the parallel planning knows it: interned already, or to intern.
#[derive(Clone, Copy)]
enum RelationRef<'v> {
    Known(usize),
    Unknown(&'v str),
}

/// A link target looked up in the name index of the notes.
enum Target {
    /// A note.
    Found(NodeIndex),
    /// No note has this normalised name: the link goes to a stub.
    Unresolved(String),
    /// No note and no attachment, but the target names a file (`schema.png`): a dangling
    /// link that makes no stub.
    MissingFile,
}

impl Target {
    /// Looks `raw` up in `names`, normalising it in the reusable buffer `key`; `None` for an
    /// empty target (`[[#heading]]` in the same note), which links nothing.
    fn of(raw: &str, names: &HashMap<String, NodeIndex>, key: &mut String) -> Option<Target> {
        if raw.trim_start().is_empty() {
            return None;
        }
        normalize_name_into(raw, key);
        Some(match lookup(names, key) {
            Some(node) => Target::Found(node),
            None => Target::Unresolved(key.clone()),
        })
    }
}

impl Target {
    /// What an unresolved target is when it is no note's name: `None` for an attachment
    /// of the vault (not a concept: no edge), the note a path relative to the linking note
    /// names (`../cours/Note.md`), a missing file, or else a stub.
    fn or_file(
        self,
        link: &WikiLink,
        note: &Note,
        names: &HashMap<String, NodeIndex>,
        key: &mut String,
        attachments: &Attachments,
    ) -> Option<Target> {
        if !matches!(self, Target::Unresolved(_)) {
            return Some(self);
        }
        if attachments.resolve(&link.target, &note.path).is_some() {
            return None;
        }
        if link.target.contains('/')
            && let Some(path) = relative_path(&note.path, &link.target)
            && let Some(Target::Found(node)) = Target::of(&path, names, key)
        {
            return Some(Target::Found(node));
        }
        Some(match names_a_file(&link.target) {
            true => Target::MissingFile,
            false => self,
        })
    }
}

/// The concept a normalised name stands for; `x.md` also finds `x`.
pub(super) fn lookup(names: &HashMap<String, NodeIndex>, key: &str) -> Option<NodeIndex> {
    names.get(key).copied().or_else(|| {
        key.strip_suffix(".md")
            .and_then(|stem| names.get(stem.trim_end()).copied())
    })
}

fn note_node(index: usize, note: &Note) -> ConceptNode {
    ConceptNode {
        id: String::new(),
        title: note.title.clone(),
        path: Some(note.path.clone()),
        stub: false,
        tags: note.tags.clone(),
        aliases: note.aliases.clone(),
        implementations: note
            .implementation
            .iter()
            .map(|i| i.value.clone())
            .collect(),
        note: Some(index),
    }
}

fn stub_node(title: &str) -> ConceptNode {
    ConceptNode {
        id: String::new(),
        title: title.to_string(),
        path: None,
        stub: true,
        tags: Vec::new(),
        aliases: Vec::new(),
        implementations: Vec::new(),
        note: None,
    }
}

/// The normalised names a note is known by, and its natural slug.
#[derive(Default)]
struct NoteNames {
    title: String,
    aliases: Vec<String>,
    /// The file stem, unless it is the title.
    stem: Vec<String>,
    /// `folder/stem` for every trailing run of two or more path components
    /// (`a/b/c.md` → `b/c`, `a/b/c`).
    folder_paths: Vec<String>,
    slug: String,
}

impl NoteNames {
    fn of(note: &Note) -> Self {
        let path = note.path.to_string_lossy();
        let without_ext = path.strip_suffix(".md").unwrap_or(&path);
        let parts: Vec<&str> = without_ext.split(['/', '\\']).collect();
        let stem = parts.last().copied().unwrap_or_default();
        NoteNames {
            title: normalize_name(&note.title),
            aliases: note.aliases.iter().map(|a| normalize_name(a)).collect(),
            stem: (stem != note.title)
                .then(|| normalize_name(stem))
                .into_iter()
                .collect(),
            folder_paths: (2..=parts.len())
                .map(|n| normalize_name(&parts[parts.len() - n..].join("/")))
                .collect(),
            slug: slugify(&note.title),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_support::{graph, note};

    fn title(g: &ConceptGraph, n: Option<NodeIndex>) -> &str {
        &g.node(n.expect("resolves")).title
    }

    #[test]
    fn resolves_case_nfc_apostrophes_alias_stem_and_folder_path() {
        let (_, g) = graph(vec![
            note("ml/L'algorithme du gradient.md", "L’algorithme du gradient").alias("Descente"),
            note("ml/deep/réseau.md", "Réseau de neurones"),
        ]);
        assert_eq!(
            title(&g, g.resolve_link("l'algorithme DU gradient ")),
            "L’algorithme du gradient"
        );
        assert_eq!(title(&g, g.resolve("descente")), "L’algorithme du gradient");
        assert_eq!(
            title(&g, g.resolve("Re\u{301}seau de neurones")),
            "Réseau de neurones"
        );
        assert_eq!(
            title(&g, g.resolve("RÉSEAU")),
            "Réseau de neurones",
            "file stem"
        );
        assert_eq!(
            title(&g, g.resolve("deep/réseau")),
            "Réseau de neurones",
            "folder path"
        );
        assert_eq!(
            title(&g, g.resolve("ml/deep/réseau.md")),
            "Réseau de neurones"
        );
        assert_eq!(
            title(&g, g.resolve("reseau-de-neurones")),
            "Réseau de neurones",
            "slug"
        );
        assert_eq!(g.resolve("nothing"), None);
    }

    #[test]
    fn title_beats_alias_beats_stem() {
        let (_, g) = graph(vec![
            note("a.md", "First").alias("Shared"),
            note("b.md", "Shared"),
            note("first.md", "Other"),
        ]);
        assert_eq!(title(&g, g.resolve("shared")), "Shared");
        assert_eq!(title(&g, g.resolve("first")), "First");
    }

    #[test]
    fn duplicate_titles_are_both_kept_and_links_go_to_the_first() {
        let (_, g) = graph(vec![
            note("a/x.md", "Same"),
            note("b/x.md", "same"),
            note("c.md", "Linker").relation("seeAlso", "Same"),
        ]);
        assert_eq!(g.graph().node_count(), 3);
        assert_eq!(g.node(NodeIndex::new(0)).id, "same");
        assert_eq!(g.node(NodeIndex::new(1)).id, "same-2");
        let target = g.resolve_link("Same").unwrap();
        assert_eq!(
            g.node(target).path.as_deref(),
            Some(std::path::Path::new("a/x.md"))
        );
        assert_eq!(
            g.duplicate_titles(),
            [DuplicateTitle {
                node: NodeIndex::new(1),
                resolves_to: NodeIndex::new(0)
            }]
        );
        assert_eq!(g.slug_collisions()[0].wanted, "same");
    }

    #[test]
    fn one_stub_per_distinct_normalised_target() {
        let (_, g) = graph(vec![
            note("a.md", "A")
                .relation("seeAlso", "Missing One")
                .body_link("missing one"),
            note("b.md", "B")
                .body_link("MISSING ONE ")
                .body_link("Other Missing"),
        ]);
        let stubs: Vec<&ConceptNode> = g.nodes().map(|(_, n)| n).filter(|n| n.stub).collect();
        assert_eq!(stubs.len(), 2);
        assert_eq!(stubs[0].title, "Missing One");
        assert_eq!(stubs[0].id, "missing-one");
        assert_eq!(stubs[0].path, None);
        assert_eq!(g.resolve("missing one"), g.resolve_link("Missing One"));
    }

    #[test]
    fn written_edges_keep_their_origin_and_same_note_links_are_not_edges() {
        let (_, g) = graph(vec![
            note("a.md", "A")
                .relation("hasPart", "B")
                .body_link("B")
                .body_link("")
                .body_link("A")
                .body_link("B"),
            note("b.md", "B"),
        ]);
        let written: Vec<_> = g.edges().filter(|e| !e.edge.inferred).collect();
        let names: Vec<&str> = written.iter().map(|e| e.relation()).collect();
        assert_eq!(names, ["hasPart", LINKS_TO]);
        assert_eq!(written[0].edge.origin.note, NodeIndex::new(0));
        assert_eq!(written[0].edge.origin.span.line, 3);
        assert_eq!(written[1].edge.origin.span.line, 100);
    }

    #[test]
    fn inferred_inverses_and_symmetric_edges_without_duplicates() {
        let (_, g) = graph(vec![
            note("a.md", "A")
                .relation("hasPart", "B")
                .relation("seeAlso", "B")
                .relation("subClassOf", "C")
                .relation("uses", "C"),
            note("b.md", "B")
                .relation("isPartOf", "A")
                .relation("seeAlso", "A"),
            note("c.md", "C"),
        ]);
        let edges: Vec<(String, String, String, bool)> = g
            .edges()
            .map(|e| {
                (
                    g.node(e.source).id.clone(),
                    g.node(e.target).id.clone(),
                    e.relation().to_string(),
                    e.edge.inferred,
                )
            })
            .collect();
        let has = |s: &str, t: &str, r: &str, inferred: bool| {
            edges.contains(&(s.into(), t.into(), r.into(), inferred))
        };
        assert!(has("b", "a", "isPartOf", false));
        assert!(
            !has("b", "a", "isPartOf", true),
            "B wrote it: not inferred again"
        );
        assert!(!has("a", "b", "hasPart", true));
        assert!(has("c", "a", "hasSubClass", true));
        assert!(
            !has("c", "a", "uses", true),
            "no inverse for an undeclared relation"
        );
        let see_also = edges.iter().filter(|e| e.2 == "seeAlso").count();
        assert_eq!(see_also, 2, "both directions written, none inferred");
        assert_eq!(edges.len(), 7, "{edges:?}");
    }

    #[test]
    fn schema_extension_adds_inferred_edges() {
        let vault = crate::graph::test_support::vault(vec![
            note("a.md", "A").relation("precedes", "B"),
            note("b.md", "B"),
        ]);
        let schema =
            Schema::from_toml_str("[relations.precedes]\ninverse = \"follows\"\n").unwrap();
        let g = ConceptGraph::build(&vault, &schema);
        let inferred: Vec<_> = g.edges().filter(|e| e.edge.inferred).collect();
        assert_eq!(inferred.len(), 1);
        assert_eq!(inferred[0].relation(), "follows");
        assert_eq!(g.node(inferred[0].source).title, "B");
    }

    #[test]
    fn same_as_merges_identity_for_lookup() {
        let (_, g) = graph(vec![
            note("a.md", "Apprentissage profond").relation("sameAs", "Deep Learning"),
        ]);
        let note = g.resolve("Apprentissage profond").unwrap();
        assert_eq!(g.resolve("deep learning"), Some(note));
        let stub = g.resolve_link("Deep Learning").unwrap();
        assert!(g.node(stub).stub);
        assert_eq!(g.identity_group(stub), vec![note, stub]);
    }
}
