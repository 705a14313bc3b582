//! Test helpers: the checked-in fixtures (`tests/data/`), a temporary tree to build files in,
//! the real binary, JSON Lines decoding, third-party tools (whose tests are ignored in the plain
//! `cargo test`, see [`tool`]) and root as explicit prerequisites, and builders for media files
//! with chosen metadata.

#![allow(dead_code)]

pub mod media;
pub mod vault;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

/// A test fixture: the file `rel` under `tests/data/`, inside the repository.
///
/// How to use fixtures:
/// - `fixture("metadata/exs-jpg-gps__DSCN0010.jpg")` is the path of a checked-in sample file;
///   `TestDir::copy_fixture(rel, to)` copies one into a test's temporary tree as a writable file
///   (never change or wipe a fixture in place).
/// - The layout follows the evaluation corpus: `detect/positive/` (specimen documents with an
///   MRZ), `detect/negative/` (faces, bank cards, scene text, camera photos), `metadata/` (files
///   of every format idvault strips, with real EXIF/XMP/GPS/QuickTime metadata) and `synth/`
///   (images made by `tests/synth/generate.py`: a Chinese ID card front and back, a
///   machine-readable visa, a KYC screenshot, an ordinary app screenshot, a bank card, a
///   receipt, a business card).
/// - Every file is listed in `tests/data/SOURCES.md` with its source, licence and what it is.
///   Add a file only if its licence allows it, and list it there; otherwise build the file in
///   the test (see [`media`]) or generate it with `tests/synth`.
/// - Nothing here may read the corpus beside the repository: `cargo test` must pass on a fresh
///   clone with only Rust installed. Whole-collection checks walk [`collection`] instead.
pub fn fixture(rel: &str) -> PathBuf {
    let p = data_dir().join(rel);
    assert!(p.exists(), "fixture missing: {}", p.display());
    p
}

/// `tests/data/`.
fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// The folder that whole-collection checks (every file stripped, vaulted, scanned) walk:
/// `tests/data/` by default, or the evaluation corpus at `$IDVAULT_CORPUS` when that is set
/// (`.ci/run` sets it when the corpus is present). `rel` names a subfolder.
pub fn collection(rel: &str) -> PathBuf {
    let root = match std::env::var_os("IDVAULT_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => data_dir(),
    };
    let p = root.join(rel);
    assert!(p.is_dir(), "collection folder missing: {}", p.display());
    eprintln!("walking {}", p.display());
    p
}

/// A third-party program the tests use as an oracle or to make test files (`exiftool`, `age`,
/// `ffmpeg`, `gio`, `avifenc`, `ssh-keygen`, ...), or a base-system helper (`setpriv`,
/// `script`).
///
/// `cargo test` must pass with only Rust, a C compiler and the base system, so a test that calls
/// a program outside the base system is marked `#[ignore = "needs <program> (<Debian
/// package>)"]` (e.g. `#[ignore = "needs exiftool (libimage-exiftool-perl)"]`): the plain run
/// lists it as ignored, `.ci/run` installs the programs and runs it with `--ignored`. Here a
/// missing program fails the test, naming the package to install, so that under `--ignored`
/// (or in CI) it is never a silent pass.
pub fn tool(name: &str, debian_package: &str) -> std::process::Command {
    // Looked up by hand: two lines, not worth a dependency such as `which`.
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(name).is_file()));
    assert!(
        found,
        "this test needs `{name}`, which is not on PATH (Debian: apt-get install {debian_package}; \
         README.md, \"The two commands\", lists every test prerequisite)"
    );
    std::process::Command::new(name)
}

/// Whether the tests run as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The first line of a test that needs root (loop mounts, tmpfs, switching users). Such a test
/// is `#[ignore = "needs root: ..."]` and its name ends in `_as_root`, so that `cargo test`
/// reports it as ignored rather than passing it, and `.ci/run` runs it as root with
/// `cargo test -- --ignored _as_root`. Run without root, it fails.
pub fn require_root() {
    assert!(
        is_root(),
        "this test needs root: run it with `sudo -E env \"PATH=$PATH\" cargo test --locked -- --ignored _as_root`"
    );
}

/// The uid and gid of `nobody`, the second account of the tests that need one.
pub const NOBODY: u32 = 65534;

/// `cmd` run as user `nobody` through `setpriv` (from util-linux, in the base system), with the
/// same program, arguments and environment changes: the second local account of the attack
/// tests (root ignores file permissions, so a test as root that needs them uses this). Only
/// root can switch users, so such a test is one of the `_as_root` ones ([`require_root`]).
pub fn as_nobody(cmd: &std::process::Command) -> std::process::Command {
    let mut wrapped = tool("setpriv", "util-linux");
    wrapped
        .arg(format!("--reuid={NOBODY}"))
        .arg(format!("--regid={NOBODY}"))
        .args(["--clear-groups", "--"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    wrapped
}

/// Gives `path` and everything under it to `nobody` (never following a symlink).
pub fn give_to_nobody(path: &Path) {
    std::os::unix::fs::lchown(path, Some(NOBODY), Some(NOBODY)).unwrap();
    if fs::symlink_metadata(path).unwrap().is_dir() {
        for e in fs::read_dir(path).unwrap() {
            give_to_nobody(&e.unwrap().path());
        }
    }
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

    /// Copies the fixture `fixture_rel` (see [`fixture`]) to `rel`, as a writable file.
    pub fn copy_fixture(&self, fixture_rel: &str, rel: impl AsRef<Path>) -> PathBuf {
        let bytes = fs::read(fixture(fixture_rel)).unwrap();
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

/// Deterministic noise (xorshift64), so that a test built on it reproduces from its seed.
pub struct Noise(u64);

impl Noise {
    /// A generator for `seed`; any seed, zero included, gives a usable, distinct stream.
    pub fn new(seed: u64) -> Self {
        Noise(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 noisy bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// `len` noise bytes from `seed`: distinct contents for test files.
pub fn noise_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut noise = Noise::new(seed);
    (0..len).map(|_| noise.next_u64() as u8).collect()
}
