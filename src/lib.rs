//! savoir: a vault of concept notes → a typed knowledge graph → checks, exports and a site.
//!
//! Stages (DESIGN.md): [`vault`] parses files into notes, [`graph`] resolves links into a
//! concept graph with inferred inverses, [`check`] lints both.
#![warn(missing_docs)]

pub mod atomic_file;
pub mod check;
pub mod config;
pub mod diagnostic;
pub mod exec;
pub mod graph;
pub mod html;
pub mod search;
pub mod site;
pub mod suggest;
pub mod vault;
pub mod view;
