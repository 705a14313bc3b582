//! The scan cache: files an earlier scan looked at and found nothing in are not looked at again
//! while they stay unchanged. It holds two kinds of entries in one set:
//!
//! - a *content negative*: the file's pixels were analysed and held nothing. Keyed by the file's
//!   identity (device, inode, size, modification time) and the few stage-0 bits the analysis
//!   depends on, so a renamed or re-permissioned file still skips the expensive content stages.
//! - a *clean file*: the whole verdict was "nothing" (no vote, no note, no warning), so a
//!   re-scan skips even stage 0 and only stats the file. Keyed by everything that verdict
//!   depends on: the identity plus the status-change time, the absolute path (names, folders
//!   and places are signals), whether content analysis was on, and how the content stage ended
//!   (to count the file the same way in the summary). The report filters (`--min-confidence`,
//!   `--kind`) need no place in it: only files without a single vote are recorded.
//!
//! The cache holds no paths and no document data: each entry is 16 bytes of BLAKE3, keyed with a
//! random per-user key, over those inputs and the engine: idvault's version and the running
//! binary's size and modification time, so that any other build starts afresh. Without the key
//! (a 0600 file beside the cache) an entry cannot even be tested against a known file.
//! Positives are never cached: they are rare, and re-analysing them keeps the reasons fresh.
//!
//! Location: `$XDG_CACHE_HOME/idvault/` or `~/.cache/idvault/` (directory 0700, files 0600),
//! written atomically. A missing, unreadable or corrupt cache is ignored and rebuilt; cache
//! problems never fail a scan.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::files::FileId;
use crate::fsutil::{self, AtomicFile, Replace};
use crate::scan::finding::ContentStatus;

/// Changes whenever the analysis could decide differently: a new engine must not trust old
/// negatives (with the binary's identity, see `Cache::build`). The second string separates
/// clean-file entries from content negatives.
const ENGINE: &str = concat!("idvault-content-v1-", env!("CARGO_PKG_VERSION"));
const FILE_ENGINE: &str = concat!("idvault-file-v1-", env!("CARGO_PKG_VERSION"));
const MAGIC: &[u8; 16] = b"idvault-cache-1\n";
const KEY_FILE: &str = "content.key";
const CACHE_FILE: &str = "content-negatives.bin";
/// Beyond this many entries the cache starts over (64 MiB on disk; a content-analysed negative
/// takes two entries).
const MAX_ENTRIES: usize = 1 << 22;

type Entry = [u8; 16];

/// Everything a clean-file entry is keyed by, apart from the engine version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileKey<'a> {
    pub id: FileId,
    /// Status-change time in nanoseconds: a chmod, rename or rewrite with the old mtime put
    /// back changes it.
    pub ctime_ns: i128,
    /// The absolute path as the scan built it; only ever hashed with the key.
    pub path: &'a Path,
    /// Whether content analysis was on.
    pub content: bool,
}

impl<'a> FileKey<'a> {
    /// The key of the file at the absolute `path` that the (not followed) `m` describes.
    pub fn of(m: &fs::Metadata, path: &'a Path, content: bool) -> Self {
        use std::os::unix::fs::MetadataExt;
        FileKey {
            id: FileId::of(m),
            ctime_ns: i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
            path,
            content,
        }
    }
}

/// The statuses a clean file's content stage can replay as, the most common first: content
/// analysed (now or by an earlier scan) replays as [`ContentStatus::Cached`].
const REPLAYED: [ContentStatus; 3] = [
    ContentStatus::Cached,
    ContentStatus::Off,
    ContentStatus::NotAnalysed,
];

/// Negatives of earlier scans, shared by the worker threads.
pub struct Cache {
    dir: PathBuf,
    key: [u8; 32],
    /// The running binary's size and modification time: a rebuild may decide differently at
    /// the same version (a development build, a patched package), so its negatives must not
    /// be trusted either.
    build: [u8; 24],
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
        Some(dirs::cache_dir()?.join("idvault"))
    }

    /// Opens (or starts) the cache in `dir`. `None` when the directory cannot be made private
    /// and usable: then the scan simply runs without a cache.
    pub fn open(dir: &Path) -> Option<Cache> {
        fsutil::private_state_dir(dir)?;
        let (key, fresh) = match read_exact_file(&dir.join(KEY_FILE), 32) {
            Some(k) => (k.try_into().ok()?, false),
            None => (new_key(dir)?, true),
        };
        let set = if fresh {
            HashSet::new()
        } else {
            load_entries(&dir.join(CACHE_FILE)).unwrap_or_default()
        };
        let exe = fs::metadata(std::env::current_exe().ok()?).ok()?;
        let mut build = [0u8; 24];
        build[..8].copy_from_slice(&exe.len().to_le_bytes());
        build[8..].copy_from_slice(&FileId::of(&exe).mtime_ns.to_le_bytes());
        Some(Cache {
            dir: dir.to_path_buf(),
            key,
            build,
            entries: Mutex::new(Entries { set, dirty: fresh }),
        })
    }

    fn entry(&self, engine: &str, fill: impl FnOnce(&mut blake3::Hasher)) -> Entry {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(engine.as_bytes());
        h.update(&self.build);
        fill(&mut h);
        let mut out = [0u8; 16];
        out.copy_from_slice(&h.finalize().as_bytes()[..16]);
        out
    }

    fn content_entry(&self, id: &FileId, context: u8) -> Entry {
        self.entry(ENGINE, |h| {
            hash_id(h, id);
            h.update(&[context]);
        })
    }

    fn file_entry(&self, key: &FileKey, status: ContentStatus) -> Entry {
        self.entry(FILE_ENGINE, |h| {
            hash_id(h, &key.id);
            h.update(&key.ctime_ns.to_le_bytes());
            let path = key.path.as_os_str().as_encoded_bytes();
            h.update(&(path.len() as u64).to_le_bytes());
            h.update(path);
            h.update(&[u8::from(key.content), replay_tag(status)]);
        })
    }

    fn contains(&self, e: &Entry) -> bool {
        self.lock().set.contains(e)
    }

    fn insert(&self, e: Entry) {
        let mut entries = self.lock();
        if entries.set.len() >= MAX_ENTRIES {
            entries.set.clear();
        }
        entries.dirty |= entries.set.insert(e);
    }

    /// True when this unchanged file was analysed before, in the same `context` (a few bits of
    /// stage-0 evidence the analysis depends on), and held nothing.
    pub fn is_known_negative(&self, id: &FileId, context: u8) -> bool {
        self.contains(&self.content_entry(id, context))
    }

    /// Records that the file's content held nothing.
    pub fn add_negative(&self, id: &FileId, context: u8) {
        self.insert(self.content_entry(id, context));
    }

    /// When an earlier scan found nothing at all in this unchanged file at this path, the
    /// content status to report for it again; `None` when it must be classified.
    pub fn clean_file(&self, key: &FileKey) -> Option<ContentStatus> {
        let candidates: &[ContentStatus] = if key.content {
            &REPLAYED
        } else {
            &[ContentStatus::Off]
        };
        candidates
            .iter()
            .copied()
            .find(|&s| self.contains(&self.file_entry(key, s)))
    }

    /// Records that a scan found nothing at all in the file: no vote, no note for the user, and
    /// a content stage that ended with `status`.
    pub fn add_clean_file(&self, key: &FileKey, status: ContentStatus) {
        self.insert(self.file_entry(key, status));
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

fn hash_id(h: &mut blake3::Hasher, id: &FileId) {
    h.update(&id.dev.to_le_bytes());
    h.update(&id.ino.to_le_bytes());
    h.update(&id.size.to_le_bytes());
    h.update(&id.mtime_ns.to_le_bytes());
}

/// The byte a clean-file entry records for how its content stage ended; one per status in
/// [`REPLAYED`].
fn replay_tag(status: ContentStatus) -> u8 {
    match status {
        ContentStatus::Analysed { .. } | ContentStatus::Cached => 0,
        ContentStatus::Off => 1,
        ContentStatus::NotAnalysed => 2,
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
    use std::os::unix::fs::PermissionsExt;

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
    fn clean_files_replay_their_status_and_any_key_change_misses() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::open(&dir.path().join("c")).unwrap();
        let key = FileKey {
            id: id(3),
            ctime_ns: 9,
            path: Path::new("/photos/a.jpg"),
            content: true,
        };
        assert_eq!(c.clean_file(&key), None);
        c.add_clean_file(&key, ContentStatus::Analysed { ocr: true });
        assert_eq!(c.clean_file(&key), Some(ContentStatus::Cached));
        let other = FileKey {
            path: Path::new("/photos/Screenshots/a.jpg"),
            ..key
        };
        c.add_clean_file(&other, ContentStatus::NotAnalysed);
        assert_eq!(c.clean_file(&other), Some(ContentStatus::NotAnalysed));
        for changed in [
            FileKey {
                ctime_ns: 10,
                ..key
            },
            FileKey { id: id(4), ..key },
            FileKey {
                path: Path::new("/photos/b.jpg"),
                ..key
            },
            FileKey {
                content: false,
                ..key
            },
        ] {
            assert_eq!(c.clean_file(&changed), None, "{changed:?}");
        }
        // The two kinds of entry never stand for each other.
        assert!(!c.is_known_negative(&key.id, 0));
        let names_only = FileKey {
            content: false,
            ..key
        };
        c.add_clean_file(&names_only, ContentStatus::Off);
        assert_eq!(c.clean_file(&names_only), Some(ContentStatus::Off));
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
