//! Test helpers: a temporary tree to build files in, the real binary, JSON Lines decoding, and
//! builders for media files with chosen metadata.

#![allow(dead_code)]

pub mod media;
pub mod vault;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// The shared test corpus beside the repository.
pub fn corpus(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(rel);
    assert!(p.exists(), "corpus file missing: {}", p.display());
    p
}

/// A temporary directory tree.
pub struct TestDir {
    pub dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> Self {
        TestDir {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `bytes` at `rel`, creating parent folders.
    pub fn write(&self, rel: impl AsRef<Path>, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, bytes).unwrap();
        p
    }

    /// Copies a corpus file to `rel`.
    pub fn copy_corpus(&self, corpus_rel: &str, rel: impl AsRef<Path>) -> PathBuf {
        let bytes = fs::read(corpus(corpus_rel)).unwrap();
        self.write(rel, &bytes)
    }
}

/// The real binary, with colour and progress off.
pub fn idvault() -> Command {
    let mut cmd = Command::cargo_bin("idvault").expect("binary built");
    // Never touch the real user's content cache.
    cmd.env_remove("IDVAULT_FORCE_PROGRESS")
        .env("NO_COLOR", "1")
        .env("IDVAULT_NO_CACHE", "1");
    cmd
}

/// Decodes JSON Lines output into `(type, data)` pairs.
pub fn json_lines(out: &Output) -> Vec<(String, Value)> {
    String::from_utf8(out.stdout.clone())
        .expect("UTF-8 stdout")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON {l}: {e}"));
            (v["type"].as_str().unwrap().to_string(), v["data"].clone())
        })
        .collect()
}

/// Findings of a `scan --json` run with UTF-8 paths, keyed by path relative to `root`.
pub fn findings_by_path(out: &Output, root: &Path) -> BTreeMap<String, Value> {
    json_lines(out)
        .into_iter()
        .filter(|(t, d)| t == "finding" && d["path"].get("text").is_some())
        .map(|(_, d)| {
            let p = d["path"]["text"].as_str().unwrap().to_string();
            let rel = Path::new(&p)
                .strip_prefix(root)
                .map(|r| r.to_string_lossy().into_owned())
                .unwrap_or(p);
            (rel, d)
        })
        .collect()
}

/// The signal codes of a finding, sorted.
pub fn signals(finding: &Value) -> Vec<String> {
    let mut s: Vec<String> = finding["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["signal"].as_str().unwrap().to_string())
        .collect();
    s.sort();
    s
}
