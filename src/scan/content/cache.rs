//! The content-analysis cache: files whose pixels were analysed and held nothing are not
//! analysed again while they stay unchanged (same device, inode, size and modification time).
//!
//! The cache holds no paths and no document data: each entry is 16 bytes of BLAKE3, keyed with a
//! random per-user key, over the file's identity and the engine version. Without the key (a
//! 0600 file beside the cache) an entry cannot even be tested against a known file. Positives
//! are never cached: they are rare, and re-analysing them keeps the reasons fresh.
//!
//! Location: `$XDG_CACHE_HOME/idvault/` or `~/.cache/idvault/` (directory 0700, files 0600),
//! written atomically. A missing, unreadable or corrupt cache is ignored and rebuilt; cache
//! problems never fail a scan.

use std::collections::HashSet;
use std::fs::{self, DirBuilder};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::fsutil::{self, AtomicFile, Replace};
use crate::scan::FileId;

/// Changes whenever the analysis could decide differently: a new engine must not trust old
/// negatives.
const ENGINE: &str = concat!("idvault-content-v1-", env!("CARGO_PKG_VERSION"));
const MAGIC: &[u8; 16] = b"idvault-cache-1\n";
const KEY_FILE: &str = "content.key";
const CACHE_FILE: &str = "content-negatives.bin";
/// Beyond this many entries the cache starts over (16 MiB on disk).
const MAX_ENTRIES: usize = 1 << 20;

type Entry = [u8; 16];

/// Negatives of earlier scans, shared by the worker threads.
pub struct Cache {
    dir: PathBuf,
    key: [u8; 32],
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    set: HashSet<Entry>,
    dirty: bool,
}

impl Cache {
    /// The user's cache directory, from `$XDG_CACHE_HOME` or `$HOME/.cache`.
    pub fn default_dir() -> Option<PathBuf> {
        let xdg = std::env::var_os("XDG_CACHE_HOME").filter(|v| Path::new(v).is_absolute());
        let base = match xdg {
            Some(v) => PathBuf::from(v),
            None => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
        };
        Some(base.join("idvault"))
    }

    /// Opens (or starts) the cache in `dir`. `None` when the directory cannot be made private
    /// and usable: then the scan simply runs without a cache.
    pub fn open(dir: &Path) -> Option<Cache> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .ok()?;
        let meta = fs::symlink_metadata(dir).ok()?;
        if !meta.is_dir() {
            return None;
        }
        if meta.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).ok()?;
        }
        let (key, fresh) = match read_exact_file(&dir.join(KEY_FILE), 32) {
            Some(k) => (k.try_into().ok()?, false),
            None => (new_key(dir)?, true),
        };
        let set = if fresh {
            HashSet::new()
        } else {
            load_entries(&dir.join(CACHE_FILE)).unwrap_or_default()
        };
        Some(Cache {
            dir: dir.to_path_buf(),
            key,
            entries: Mutex::new(Entries { set, dirty: fresh }),
        })
    }

    fn entry(&self, id: &FileId, context: u8) -> Entry {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(ENGINE.as_bytes());
        h.update(&id.dev.to_le_bytes());
        h.update(&id.ino.to_le_bytes());
        h.update(&id.size.to_le_bytes());
        h.update(&id.mtime_ns.to_le_bytes());
        h.update(&[context]);
        let mut out = [0u8; 16];
        out.copy_from_slice(&h.finalize().as_bytes()[..16]);
        out
    }

    /// True when this unchanged file was analysed before, in the same `context` (a few bits of
    /// stage-0 evidence the analysis depends on), and held nothing.
    pub fn is_known_negative(&self, id: &FileId, context: u8) -> bool {
        let e = self.entry(id, context);
        self.lock().set.contains(&e)
    }

    /// Records that the file's content held nothing.
    pub fn add_negative(&self, id: &FileId, context: u8) {
        let e = self.entry(id, context);
        let mut entries = self.lock();
        if entries.set.len() >= MAX_ENTRIES {
            entries.set.clear();
        }
        entries.dirty |= entries.set.insert(e);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A worker that panicked while holding the lock left a valid set behind.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes the cache if it changed. Errors are returned for the caller to ignore or note.
    pub fn save(&self) -> io::Result<()> {
        let entries = self.lock();
        if !entries.dirty {
            return Ok(());
        }
        let mut sorted: Vec<&Entry> = entries.set.iter().collect();
        sorted.sort_unstable();
        let mut buf = Vec::with_capacity(MAGIC.len() + 16 * sorted.len());
        buf.extend_from_slice(MAGIC);
        for e in sorted {
            buf.extend_from_slice(e);
        }
        let mut f = AtomicFile::new_in(&self.dir, 0o600)?;
        f.write_all(&buf)?;
        f.commit(&self.dir.join(CACHE_FILE), Replace::Allow)
    }
}

fn new_key(dir: &Path) -> Option<[u8; 32]> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).ok()?;
    let mut f = AtomicFile::new_in(dir, 0o600).ok()?;
    f.write_all(&key).ok()?;
    f.commit(&dir.join(KEY_FILE), Replace::Allow).ok()?;
    Some(key)
}

/// Reads a regular file (not a symlink) of exactly `len` bytes.
fn read_exact_file(path: &Path, len: usize) -> Option<Vec<u8>> {
    let f = fsutil::open_regular_nofollow(path).ok()?;
    let mut buf = Vec::with_capacity(len + 1);
    f.take(len as u64 + 1).read_to_end(&mut buf).ok()?;
    (buf.len() == len).then_some(buf)
}

fn load_entries(path: &Path) -> Option<HashSet<Entry>> {
    let f = fsutil::open_regular_nofollow(path).ok()?;
    let limit = (MAGIC.len() + 16 * MAX_ENTRIES) as u64;
    let mut buf = Vec::new();
    f.take(limit + 1).read_to_end(&mut buf).ok()?;
    let body = buf.strip_prefix(MAGIC.as_slice())?;
    if buf.len() as u64 > limit || body.len() % 16 != 0 {
        return None;
    }
    Some(
        body.chunks_exact(16)
            .map(|c| c.try_into().expect("16 bytes"))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ino: u64) -> FileId {
        FileId {
            dev: 1,
            ino,
            size: 100,
            mtime_ns: 5,
        }
    }

    #[test]
    fn negatives_survive_a_reopen_and_changes_invalidate() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("c");
        let c = Cache::open(&d).unwrap();
        assert!(!c.is_known_negative(&id(7), 0));
        c.add_negative(&id(7), 0);
        c.save().unwrap();
        let c = Cache::open(&d).unwrap();
        assert!(c.is_known_negative(&id(7), 0));
        assert!(!c.is_known_negative(&id(7), 1));
        assert!(!c.is_known_negative(&FileId { size: 101, ..id(7) }, 0));
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&d), 0o700);
        assert_eq!(mode(&d.join(KEY_FILE)), 0o600);
        assert_eq!(mode(&d.join(CACHE_FILE)), 0o600);
    }

    #[test]
    fn corrupt_cache_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("c");
        let c = Cache::open(&d).unwrap();
        c.add_negative(&id(1), 0);
        c.save().unwrap();
        fs::write(d.join(CACHE_FILE), b"garbage").unwrap();
        let c = Cache::open(&d).unwrap();
        assert!(!c.is_known_negative(&id(1), 0));
        fs::write(d.join(KEY_FILE), b"short").unwrap();
        let c = Cache::open(&d).unwrap();
        assert!(!c.is_known_negative(&id(1), 0));
    }
}
