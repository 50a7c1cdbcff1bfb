//! The reference implementations' sources, embedded at build time by `build.rs`: their
//! fingerprint (part of every demo's cache key) and the text of each model's file.

use reference_impls::registry;

include!(concat!(env!("OUT_DIR"), "/reference_sources.rs"));

/// SHA-256 (hex) of every file under `reference_impls/src` and `reference_impls/data` when this
/// binary was built: any change to a model, a layer or a data set changes it.
pub fn sources_fingerprint() -> &'static str {
    SOURCES_FINGERPRINT
}

/// The source file of implementation `impl_id`: its path relative to the workspace
/// (`reference_impls/src/models/mlp.rs`) and its text, as built into this binary. `None` when no
/// implementation has that id or the implementation does not name its file.
pub fn model_source(impl_id: &str) -> Option<(&'static str, &'static str)> {
    let file = registry::find(impl_id)?.source_file()?;
    let file = file.replace('\\', "/");
    SOURCE_FILES
        .iter()
        .find(|(path, _)| file == *path || file.ends_with(&format!("/{path}")))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_model_has_its_source() {
        for imp in registry::implementations() {
            let (path, text) = model_source(imp.id()).unwrap_or_else(|| {
                panic!(
                    "no source for `{}`: add `fn source_file(&self) -> Option<&'static str> \
                         {{ Some(file!()) }}` to its `impl Implementation`",
                    imp.id()
                )
            });
            assert!(path.starts_with("reference_impls/src/"), "{path}");
            assert!(
                text.contains(&format!("\"{}\"", imp.id())),
                "{path} does not define `{}`",
                imp.id()
            );
        }
    }

    #[test]
    fn unknown_id_has_no_source() {
        assert_eq!(model_source("no-such-model"), None);
    }

    #[test]
    fn fingerprint_is_a_sha256() {
        let fp = sources_fingerprint();
        assert_eq!(fp.len(), 64);
        assert!(fp.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
