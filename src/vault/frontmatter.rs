//! The frontmatter block → the note's title, aliases, tags, dates, relations and fields.
//!
//! The block is read strictly (the common subset by [`super::simple`], the rest as YAML by
//! [`super::yaml`]); when that fails, `yaml-syntax` is reported and the block is read again
//! line by line ([`super::lenient`]). Every reading gives the same [`Entry`] list,
//! interpreted here once.

use super::lenient::read_leniently;
use super::model::{Field, Note, Relation, Spanned};
use super::node::{Entry, links_in};
use super::simple::read_simple;
use super::split::Block;
use super::tags::{frontmatter_tags, merge_tags};
use super::wikilink::relation_name;
use super::yaml::{YamlError, read_mapping};
use crate::diagnostic::{Code, Diagnostic};

/// Relations whose values name a title even without `[[ ]]` (`subClassOf: Apprentissage`).
const TITLE_VALUED_RELATIONS: [&str; 8] = [
    "subClassOf",
    "hasSubClass",
    "hasPart",
    "isPartOf",
    "seeAlso",
    "relatedTo",
    "sameAs",
    "differentFrom",
];

/// The frontmatter keys savoir reads itself (title, aliases, tags, type, implementation and
/// the two dates); every other key is a relation when its value holds links, else a field
/// shown as is. The `unknown-key` rule suggests among these (and the schema's relations).
pub const RESERVED_KEYS: [&str; 7] = [
    "title",
    "aliases",
    "tags",
    "type",
    "implementation",
    "date_creation",
    "date_modification",
];

/// Keys describing the note itself (the first three reserved keys): links written there are
/// not relations.
const IDENTITY_KEYS: &[&str] = RESERVED_KEYS.split_at(3).0;

/// Reads `block` into `note` (title is left empty when the block has none), adding the
/// `yaml-syntax` and `duplicate-key` diagnostics it finds.
pub(crate) fn read_frontmatter(block: &Block<'_>, note: &mut Note) {
    let strict = match read_simple(block.text, block.first_line) {
        Some(entries) => Ok(entries),
        None => read_mapping(block.text, block.first_line),
    };
    let entries = match strict {
        Ok(entries) => entries,
        Err(error) => {
            note.diagnostics.push(yaml_syntax(note, &error));
            read_leniently(block.text, block.first_line)
        }
    };
    report_duplicate_keys(&entries, note);
    for entry in &entries {
        apply_entry(entry, note);
    }
}

fn apply_entry(entry: &Entry, note: &mut Note) {
    let key = entry.key.value.as_str();
    let value = &entry.value;
    let texts = value.value.texts();
    let first_text = || {
        value
            .value
            .first_text()
            .map(str::trim)
            .filter(|text| !text.is_empty())
    };
    let spanned_first = || {
        first_text().map(|text| Spanned {
            value: text.to_string(),
            span: value.span,
        })
    };
    match key {
        "title" if note.title.is_empty() => {
            note.title = first_text().unwrap_or_default().to_string()
        }
        "aliases" => note.aliases.extend(
            texts
                .iter()
                .map(|alias| alias.trim().to_string())
                .filter(|alias| !alias.is_empty()),
        ),
        "tags" => merge_tags(
            &mut note.tags,
            texts.iter().flat_map(|tag| frontmatter_tags(tag)),
        ),
        "date_creation" if note.created.is_none() => note.created = spanned_first(),
        "date_modification" if note.modified.is_none() => note.modified = spanned_first(),
        "implementation" if note.implementation.is_none() => note.implementation = spanned_first(),
        _ => {}
    }
    let links = if IDENTITY_KEYS.contains(&key) {
        Vec::new()
    } else {
        links_in(value, TITLE_VALUED_RELATIONS.contains(&relation_name(key)))
    };
    if key == "type" && note.kind.is_none() {
        let link_target = links.first().map(|found| found.link.target.clone());
        note.kind = link_target.or_else(|| first_text().map(str::to_string));
    }
    for found in links {
        let key = found.inner_key.unwrap_or_else(|| key.to_string());
        note.relations.push(Relation {
            name: relation_name(&key).to_string(),
            key,
            link: found.link,
        });
    }
    note.fields.push(Field {
        key: key.to_string(),
        values: texts,
        span: entry.key.span,
    });
}

/// One `duplicate-key` warning per repeated key, at the repetition.
fn report_duplicate_keys(entries: &[Entry], note: &mut Note) {
    for (index, entry) in entries.iter().enumerate() {
        let key = entry.key.value.as_str();
        let Some(first) = entries[..index]
            .iter()
            .find(|earlier| earlier.key.value == key)
        else {
            continue;
        };
        note.diagnostics.push(
            Diagnostic::new(
                Code::DuplicateKey,
                &note.path,
                entry.key.span.line,
                entry.key.span.column,
                format!(
                    "key `{key}` is repeated (first written on line {}); every value is kept",
                    first.key.span.line
                ),
            )
            .with_help(format!(
                "write `{key}:` once, with all its values as a list (`- '[[…]]'` lines)"
            )),
        );
    }
}

fn yaml_syntax(note: &Note, error: &YamlError) -> Diagnostic {
    let message = error.message.as_str();
    let hint = if message.contains("mapping values") {
        "quote a value that contains `: ` (`title: 'Réseaux : une introduction'`)"
    } else if message.contains("did not find expected key") || message.contains("not a mapping") {
        "write every line as `key: value`, or as `- item` / indented lines under the key they belong to"
    } else if message.contains("quote") || message.contains("end of stream") {
        "close the quote; inside single quotes write an apostrophe twice (`'[[L''algorithme]]'`)"
    } else if message.contains("tab") {
        "indent with spaces, not tabs"
    } else {
        "fix the YAML syntax on this line"
    };
    Diagnostic::new(
        Code::YamlSyntax,
        &note.path,
        error.line,
        error.column,
        format!("invalid YAML in the frontmatter: {message}"),
    )
    .with_help(format!(
        "{hint}; meanwhile the block was read line by line, keeping its title, keys and links"
    ))
}
