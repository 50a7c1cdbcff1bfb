//! The index's fields: what is searched (with its boost), what is stored for display, what
//! filters match exactly.

use super::analyzer::ANALYZER_NAME;
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

/// Bumped whenever the fields, the analysis, what goes into them or the manifest's form
/// changes: an index written under another version is rebuilt from scratch.
pub const SCHEMA_VERSION: u32 = 2;

/// The searched fields and their BM25 boosts, strongest first.
pub const SEARCHED: [(&str, f32); 5] = [
    ("title", 3.0),
    ("aliases", 3.0),
    ("tags", 2.0),
    ("headings", 1.5),
    ("body", 1.0),
];

/// Handles to every field of the schema.
#[derive(Debug, Clone)]
pub struct Fields {
    /// The schema itself.
    pub schema: Schema,
    /// The concept id (slug): exact, stored.
    pub id: Field,
    /// The note's path relative to the vault (`/`-separated): exact, stored; the key of
    /// incremental updates.
    pub path: Field,
    /// Title: analyzed, stored.
    pub title: Field,
    /// Aliases (one value each): analyzed, stored.
    pub aliases: Field,
    /// Tags as words: analyzed, stored.
    pub tags: Field,
    /// Headings of the body: analyzed.
    pub headings: Field,
    /// The body as plain text, without math or code: analyzed, stored (for snippets).
    pub body: Field,
    /// Tags for `--tag`: lower case, each also under its parents (`a/b` gives `a`).
    pub tag: Field,
    /// Written relations for `--relation`: `relation:target-id`, lower case.
    pub relation: Field,
    /// The implementation id: exact, stored.
    pub implementation: Field,
    /// Every name a link may use for this concept (title, aliases, file stem, id), in
    /// normal form: what `--relation R:TARGET` resolves `TARGET` against.
    pub names: Field,
}

impl Fields {
    /// The schema of savoir's search index.
    pub fn new() -> Self {
        let mut builder = Schema::builder();
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(ANALYZER_NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let text = TextOptions::default().set_indexing_options(indexing);
        let stored_text = text.clone().set_stored();
        let id = builder.add_text_field("id", STRING | STORED);
        let path = builder.add_text_field("path", STRING | STORED);
        let title = builder.add_text_field("title", stored_text.clone());
        let aliases = builder.add_text_field("aliases", stored_text.clone());
        let tags = builder.add_text_field("tags", stored_text.clone());
        let headings = builder.add_text_field("headings", text);
        let body = builder.add_text_field("body", stored_text);
        let tag = builder.add_text_field("tag", STRING);
        let relation = builder.add_text_field("relation", STRING);
        let implementation = builder.add_text_field("implementation", STRING | STORED);
        let names = builder.add_text_field("names", STRING);
        Fields {
            schema: builder.build(),
            id,
            path,
            title,
            aliases,
            tags,
            headings,
            body,
            tag,
            relation,
            implementation,
            names,
        }
    }

    /// The searched fields with their boosts, in [`SEARCHED`] order.
    pub fn searched(&self) -> [(Field, f32); 5] {
        [
            self.title,
            self.aliases,
            self.tags,
            self.headings,
            self.body,
        ]
        .map(|field| (field, self.boost(field)))
    }

    fn boost(&self, field: Field) -> f32 {
        let name = self.schema.get_field_name(field);
        SEARCHED
            .iter()
            .find(|(searched, _)| *searched == name)
            .map_or(1.0, |(_, boost)| *boost)
    }
}

impl Default for Fields {
    fn default() -> Self {
        Self::new()
    }
}
