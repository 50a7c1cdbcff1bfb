//! Stable content hashes (64-bit XXH3 with its default secret): the same input gives the same
//! value on every machine and in every run, unlike the standard library's randomly seeded
//! hasher, and long inputs (note bodies) hash eight bytes at a time.

use std::hash::{Hash, Hasher};
use xxhash_rust::xxh3::Xxh3Default;

/// The stable hash of `value`.
pub fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut hasher = Xxh3Default::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// The stable hash of `bytes` as 16 hex digits (asset file names).
pub fn fingerprint(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

/// What tells this build of savoir from another (so that a new renderer re-renders every
/// page): the version, and the size and time of the running program.
pub(crate) fn build_identity() -> &'static (String, u64, u128) {
    static IDENTITY: std::sync::OnceLock<(String, u64, u128)> = std::sync::OnceLock::new();
    IDENTITY.get_or_init(|| {
        let meta = std::env::current_exe().and_then(std::fs::metadata).ok();
        let modified = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        (
            env!("CARGO_PKG_VERSION").to_string(),
            meta.map_or(0, |m| m.len()),
            modified,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_and_tell_inputs_apart() {
        assert_eq!(fingerprint(b""), "2d06800538d394c2");
        assert_eq!(fingerprint(b"a"), "e6c632b61e964e1f");
        assert_eq!(hash_of("page"), hash_of("page"));
        assert_ne!(hash_of(&("a", "bc")), hash_of(&("ab", "c")));
    }
}
