//! Stable content hashes (64-bit FNV-1a): the same input gives the same value on every
//! machine and in every run, unlike the standard library's randomly seeded hasher.

use std::hash::{Hash, Hasher};

/// The FNV-1a hasher.
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// The stable hash of `value`.
pub fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut hasher = Fnv::default();
    value.hash(&mut hasher);
    hasher.finish()
}

/// The stable hash of `bytes` as 16 hex digits (asset file names).
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut hasher = Fnv::default();
    hasher.write(bytes);
    format!("{:016x}", hasher.finish())
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
        assert_eq!(fingerprint(b""), "cbf29ce484222325");
        assert_eq!(fingerprint(b"a"), "af63dc4c8601ec8c");
        assert_eq!(hash_of("page"), hash_of("page"));
        assert_ne!(hash_of(&("a", "bc")), hash_of(&("ab", "c")));
    }
}
