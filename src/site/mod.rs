//! The static site: pages, assets and graph views.

pub mod graph_view;
