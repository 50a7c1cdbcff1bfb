//! The page view-model: what one concept, a tag or the breadcrumb above a concept shows,
//! computed once from the [`Vault`](crate::vault::Vault) and the
//! [`ConceptGraph`](crate::graph::ConceptGraph) for every reader: `savoir show`, `savoir list`
//! and the static site.
//!
//! [`Views`] is the entry point: [`Views::concept`] gives a [`ConceptView`] (metadata, dates,
//! relations explicit and inferred, the unknown frontmatter keys, backlinks with the sentence
//! around each link when the vault kept its bodies), [`Views::breadcrumb`] the `subClassOf`
//! chain up to a root, and [`TagTree`] the nested tags with their concepts.
//!
//! ```
//! use savoir::graph::{ConceptGraph, Schema};
//! use savoir::vault::{Vault, parse_note};
//! use savoir::view::Views;
//! use std::path::Path;
//!
//! let notes = vec![
//!     parse_note(Path::new("a.md"), b"---\ntitle: Adam\nsubClassOf: '[[Optimiseur]]'\n---\n"),
//!     parse_note(Path::new("o.md"), b"---\ntitle: Optimiseur\n---\nAdam en est un : [[Adam]]. Fin.\n"),
//! ];
//! let vault = Vault { notes, ..Vault::default() };
//! let graph = ConceptGraph::build(&vault, &Schema::builtin());
//! let views = Views::new(&vault, &graph);
//! let adam = views.concept(graph.resolve("Adam").unwrap());
//! assert_eq!(adam.relations[0].relation, "subClassOf");
//! assert_eq!(adam.backlinks[0].source.title, "Optimiseur");
//! assert_eq!(adam.backlinks[0].contexts[0].sentence, "Adam en est un : [[Adam]].");
//! ```

mod concept;
mod context;
mod tags;

pub use concept::{
    Backlink, ConceptRef, ConceptView, FieldView, LinkContext, NoteDate, RelationGroup,
    RelationView, Views,
};
pub use context::sentence_around;
pub use tags::{TagEntry, TagTree, has_tag, normalize_tag};
