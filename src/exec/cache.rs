//! The report cache: one file per demo and device under `<cache dir>/demos/`, valid only for the
//! exact key it was written for, written atomically and verified on every read.
//!
//! An entry is two parts: a header line, `{"key":…,"digest":…,"duration_ms":…}`, then the report's
//! JSON. `key` is the SHA-256 of everything the report depends on ([`CacheKey`]); `digest` the
//! SHA-256 of the report text, so a truncated or altered entry is detected and run again, never
//! shown.

use reference_impls::Device;
use reference_impls::params::ParamValue;
use reference_impls::report::Report;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Bumped when the entry layout or the meaning of a field changes.
const ENTRY_FORMAT: u32 = 1;

/// Everything a demo's report depends on.
#[derive(Debug, Serialize)]
pub(crate) struct CacheKey<'a> {
    /// Version of savoir, which runs the demo.
    pub savoir_version: &'a str,
    /// Fingerprint of the implementations' sources and data.
    pub sources: &'a str,
    /// The implementation.
    pub implementation: &'a str,
    /// Its configuration (every parameter, at its default).
    pub params: &'a BTreeMap<String, ParamValue>,
    /// Where it runs.
    pub device: Device,
    /// Its seed.
    pub seed: u64,
}

impl CacheKey<'_> {
    /// The key as a hex SHA-256 of its JSON and the entry layout.
    pub fn digest(&self) -> String {
        let json =
            serde_json::to_vec(&(ENTRY_FORMAT, self)).expect("a cache key always serialises");
        sha256_hex(&json)
    }
}

/// A report read back from the cache.
#[derive(Debug)]
pub(crate) struct CachedRun {
    /// The report.
    pub report: Report,
    /// How long the run took when it was made.
    pub duration: Duration,
}

/// The first line of an entry.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    key: String,
    digest: String,
    duration_ms: u64,
}

/// The cache folder.
#[derive(Debug, Clone)]
pub(crate) struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache under `root` (entries go to `root/demos/`).
    pub fn new(root: &Path) -> Cache {
        Cache {
            dir: root.join("demos"),
        }
    }

    /// The folder of the entries.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry file of `impl_id` on `device`.
    fn entry_path(&self, impl_id: &str, device: Device) -> PathBuf {
        let safe: String = impl_id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!(
            "{safe}.{}.json",
            device.to_string().replace(':', "-")
        ))
    }

    /// The cached report of `impl_id` on `device` when an entry exists for exactly `key` and is
    /// intact; `None` otherwise (missing, stale, truncated or corrupt: the demo must run).
    pub fn load(&self, impl_id: &str, device: Device, key: &str) -> Option<CachedRun> {
        let text = fs::read_to_string(self.entry_path(impl_id, device)).ok()?;
        let (header, body) = text.split_once('\n')?;
        let header: Header = serde_json::from_str(header).ok()?;
        if header.key != key || header.digest != sha256_hex(body.as_bytes()) {
            return None;
        }
        let report: Report = serde_json::from_str(body).ok()?;
        (report.implementation == impl_id).then_some(CachedRun {
            report,
            duration: Duration::from_millis(header.duration_ms),
        })
    }

    /// Writes the entry of `impl_id` on `device` for `key`: into a temporary file beside it,
    /// flushed to disk, then renamed over the old entry, so a reader sees the old entry or the
    /// new one, never a part.
    pub fn store(
        &self,
        impl_id: &str,
        device: Device,
        key: &str,
        report: &Report,
        duration: Duration,
    ) -> io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let body = report.to_json();
        let header = Header {
            key: key.to_string(),
            digest: sha256_hex(body.as_bytes()),
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        };
        let path = self.entry_path(impl_id, device);
        let temp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let written = (|| {
            let mut file = fs::File::create(&temp)?;
            serde_json::to_writer(&mut file, &header)?;
            file.write_all(b"\n")?;
            file.write_all(body.as_bytes())?;
            file.sync_all()?;
            fs::rename(&temp, &path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written
    }
}

/// Hex SHA-256 of `bytes`.
fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut hex, b| {
            use std::fmt::Write as _;
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reference_impls::params::Config;

    fn report(id: &str) -> Report {
        let mut r = Report::new(id, Device::Cpu, 0, &Config::default());
        r.metric("accuracy", 0.75);
        r.check("learns", true, "loss 0.1 < 0.5");
        r
    }

    fn key(sources: &str) -> String {
        CacheKey {
            savoir_version: "0.1.0",
            sources,
            implementation: "mlp",
            params: &BTreeMap::new(),
            device: Device::Cpu,
            seed: 0,
        }
        .digest()
    }

    /// A cache under `dir` holding the report of `mlp` for key `a`.
    fn cache_with_one_entry(dir: &Path) -> Cache {
        let cache = Cache::new(dir);
        cache
            .store(
                "mlp",
                Device::Cpu,
                &key("a"),
                &report("mlp"),
                Duration::ZERO,
            )
            .unwrap();
        cache
    }

    #[test]
    fn a_stored_report_reads_back_for_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let stored = report("mlp");
        cache
            .store(
                "mlp",
                Device::Cpu,
                &key("a"),
                &stored,
                Duration::from_millis(42),
            )
            .unwrap();
        let hit = cache.load("mlp", Device::Cpu, &key("a")).unwrap();
        assert_eq!(hit.report, stored);
        assert_eq!(hit.duration, Duration::from_millis(42));
        assert!(cache.load("mlp", Device::Cpu, &key("b")).is_none());
        assert!(cache.load("mlp", Device::GPU, &key("a")).is_none());
    }

    #[test]
    fn a_truncated_or_altered_entry_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache_with_one_entry(dir.path());
        let path = cache.entry_path("mlp", Device::Cpu);
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, text.replace("0.75", "0.95")).unwrap();
        assert!(cache.load("mlp", Device::Cpu, &key("a")).is_none());
        fs::write(&path, &text[..text.len() / 2]).unwrap();
        assert!(cache.load("mlp", Device::Cpu, &key("a")).is_none());
        fs::write(&path, &text).unwrap();
        assert!(cache.load("mlp", Device::Cpu, &key("a")).is_some());
    }

    #[test]
    fn no_temporary_file_is_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        cache_with_one_entry(dir.path());
        let names: Vec<_> = fs::read_dir(dir.path().join("demos"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["mlp.cpu.json"]);
    }

    #[test]
    fn a_key_depends_on_every_field() {
        assert_ne!(key("a"), key("b"));
        let params: BTreeMap<String, ParamValue> =
            [("epochs".to_string(), ParamValue::Int(3))].into();
        let with_params = CacheKey {
            savoir_version: "0.1.0",
            sources: "a",
            implementation: "mlp",
            params: &params,
            device: Device::Cpu,
            seed: 0,
        };
        assert_ne!(with_params.digest(), key("a"));
    }
}
