//! The scan cache: files an earlier scan looked at are not looked at again while they stay
//! unchanged. It holds three kinds of entries:
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
//! - a *content finding*: the file's pixels held something. Keyed like a content negative; the
//!   entry holds what the content stages added to the evidence (votes, notes, the masked
//!   document facts), sealed with XChaCha20-Poly1305 under a key derived from the cache key,
//!   so that a re-scan replays the finding without decoding and reading the image again.
//!   Stage 0 (names, metadata, places) runs again, so the verdict follows the file's current
//!   name and folder. An archive's entries are keyed by the archive's identity and the entry's
//!   place in it.
//!
//! The cache holds no paths and no document data in the clear: each key is 16 bytes of BLAKE3,
//! keyed with a random per-user key, over those inputs and the engine: idvault's version and
//! the running binary's size and modification time, so that any other build starts afresh.
//! Without the key (a 0600 file beside the cache) an entry cannot even be tested against a
//! known file, and a sealed finding can be neither read nor forged: it is authenticated with
//! its key as associated data, so it cannot be moved to another file's key either.
//!
//! Location: `$XDG_CACHE_HOME/idvault/` or `~/.cache/idvault/` (directory 0700, files 0600),
//! written atomically. A missing, unreadable or corrupt cache is ignored and rebuilt; cache
//! problems never fail a scan.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

use crate::files::FileId;
use crate::fsutil::{self, AtomicFile, Replace};
use crate::scan::archive::Member;
use crate::scan::finding::{ContentStatus, Document, Evidence, Kind, Vote};

/// Changes whenever the analysis could decide differently: a new engine must not trust old
/// negatives (with the binary's identity, see `Cache::build`). The second string separates
/// clean-file entries from content negatives.
const ENGINE: &str = concat!("idvault-content-v1-", env!("CARGO_PKG_VERSION"));
const FILE_ENGINE: &str = concat!("idvault-file-v1-", env!("CARGO_PKG_VERSION"));
const MAGIC: &[u8; 16] = b"idvault-cache-1\n";
const KEY_FILE: &str = "content.key";
const CACHE_FILE: &str = "content-negatives.bin";
const FOUND_MAGIC: &[u8; 16] = b"idvault-found-1\n";
const FOUND_FILE: &str = "content-found.bin";
/// Beyond this many entries the cache starts over (64 MiB on disk; a content-analysed negative
/// takes two entries).
const MAX_ENTRIES: usize = 1 << 22;
/// Beyond this many bytes of sealed findings the findings start over: a finding seals to a few
/// hundred bytes, so this holds tens of thousands, far more documents than anyone keeps.
const MAX_FOUND_BYTES: usize = 16 << 20;
/// A sealed finding larger than this is not read back (the largest real ones are ~2 KiB).
const MAX_SEALED: usize = 64 << 10;
/// Context for deriving the sealing key from the cache key.
const SEAL_CONTEXT: &str = "idvault 2026 scan cache: sealed content findings v1";
const NONCE: usize = 24;

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

/// What a content-stage entry is keyed by: the file's identity, the few bits of stage-0
/// evidence the analysis depends on, and for an archive's entry, where in the archive it is.
#[derive(Clone, Copy, Debug)]
pub struct ContentKey<'a> {
    pub id: &'a FileId,
    pub context: u8,
    pub member: Option<&'a Member>,
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
    /// Seals content findings (derived from `key`).
    seal: XChaCha20Poly1305,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    set: HashSet<Entry>,
    /// Sealed content findings: nonce, then ciphertext and tag.
    found: HashMap<Entry, Vec<u8>>,
    found_bytes: usize,
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
        let (set, found) = if fresh {
            Default::default()
        } else {
            (
                load_entries(&dir.join(CACHE_FILE)).unwrap_or_default(),
                load_found(&dir.join(FOUND_FILE)).unwrap_or_default(),
            )
        };
        let found_bytes = found.values().map(Vec::len).sum();
        let exe = fs::metadata(std::env::current_exe().ok()?).ok()?;
        let mut build = [0u8; 24];
        build[..8].copy_from_slice(&exe.len().to_le_bytes());
        build[8..].copy_from_slice(&FileId::of(&exe).mtime_ns.to_le_bytes());
        let seal = XChaCha20Poly1305::new(&blake3::derive_key(SEAL_CONTEXT, &key).into());
        Some(Cache {
            dir: dir.to_path_buf(),
            key,
            build,
            seal,
            entries: Mutex::new(Entries {
                set,
                found,
                found_bytes,
                dirty: fresh,
            }),
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

    fn content_entry(&self, key: &ContentKey) -> Entry {
        self.entry(ENGINE, |h| {
            hash_id(h, key.id);
            h.update(&[key.context]);
            if let Some(m) = key.member {
                h.update(&m.size.to_le_bytes());
                for p in &m.path {
                    let p = p.as_os_str().as_encoded_bytes();
                    h.update(&(p.len() as u64).to_le_bytes());
                    h.update(p);
                }
            }
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

    /// True when this unchanged file (or archive entry) was analysed before, in the same
    /// context (a few bits of stage-0 evidence the analysis depends on), and held nothing.
    pub fn is_known_negative(&self, key: &ContentKey) -> bool {
        self.contains(&self.content_entry(key))
    }

    /// Records that the file's content held nothing.
    pub fn add_negative(&self, key: &ContentKey) {
        self.insert(self.content_entry(key));
    }

    /// What the content stages found in this unchanged file (or archive entry) before, in the
    /// same context; `None` when nothing is remembered or the entry does not open.
    pub fn known_found(&self, key: &ContentKey) -> Option<Found> {
        let id = self.content_entry(key);
        let sealed = self.lock().found.get(&id)?.clone();
        let (nonce, ciphertext) = sealed.split_at_checked(NONCE)?;
        let plain = self
            .seal
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &id,
                },
            )
            .ok()?;
        serde_json::from_slice(&plain).ok()
    }

    /// Records, sealed, what the content stages found in the file.
    pub fn add_found(&self, key: &ContentKey, found: &Found) {
        let id = self.content_entry(key);
        let Ok(plain) = serde_json::to_vec(found) else {
            return;
        };
        let mut nonce = [0u8; NONCE];
        if getrandom::fill(&mut nonce).is_err() {
            return;
        }
        let Ok(ciphertext) = self.seal.encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &plain,
                aad: &id,
            },
        ) else {
            return;
        };
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        if sealed.len() > MAX_SEALED {
            return;
        }
        let mut entries = self.lock();
        if entries.found_bytes + sealed.len() > MAX_FOUND_BYTES {
            entries.found.clear();
            entries.found_bytes = 0;
        }
        entries.found_bytes += sealed.len();
        if let Some(old) = entries.found.insert(id, sealed) {
            entries.found_bytes -= old.len();
        }
        entries.dirty = true;
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
        f.commit(&self.dir.join(CACHE_FILE), Replace::Allow)?;
        let mut found: Vec<(&Entry, &Vec<u8>)> = entries.found.iter().collect();
        found.sort_unstable();
        let mut buf = Vec::with_capacity(FOUND_MAGIC.len() + entries.found_bytes);
        buf.extend_from_slice(FOUND_MAGIC);
        for (id, sealed) in found {
            buf.extend_from_slice(id);
            buf.extend_from_slice(&(sealed.len() as u32).to_le_bytes());
            buf.extend_from_slice(sealed);
        }
        let mut f = AtomicFile::new_in(&self.dir, 0o600)?;
        f.write_all(&buf)?;
        f.commit(&self.dir.join(FOUND_FILE), Replace::Allow)
    }
}

/// What the content stages added to a file's evidence, to replay on a later scan of the
/// unchanged file: the votes and notes, the document facts (the number masked, as always),
/// whether the document votes were turned into an ID selfie's, and whether text was read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Found {
    ocr: bool,
    retagged: bool,
    /// Kind, weight, signal, detail.
    votes: Vec<(String, f32, String, String)>,
    /// Signal, detail.
    notes: Vec<(String, String)>,
    document: Option<FoundDocument>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct FoundDocument {
    source: String,
    issuing_country: Option<String>,
    number_masked: Option<String>,
    checks_valid: u32,
    checks_total: u32,
}

/// The evidence before the content stages ran, to tell what they added.
pub struct Before {
    kinds: Vec<Kind>,
    notes: usize,
}

impl Found {
    /// Marks `ev` before the content stages.
    pub fn before(ev: &Evidence) -> Before {
        Before {
            kinds: ev.votes.iter().map(|v| v.kind).collect(),
            notes: ev.notes.len(),
        }
    }

    /// What the content stages added to `ev` since `before`; `ocr` says whether they read text.
    pub fn taken(ev: &Evidence, before: &Before, ocr: bool) -> Found {
        let n = before.kinds.len();
        Found {
            ocr,
            retagged: ev
                .votes
                .iter()
                .zip(&before.kinds)
                .any(|(v, &k)| v.kind != k),
            votes: ev.votes[n.min(ev.votes.len())..]
                .iter()
                .map(|v| {
                    let r = &v.reason;
                    (
                        v.kind.as_str().into(),
                        v.weight,
                        r.signal.into(),
                        r.detail.clone(),
                    )
                })
                .collect(),
            notes: ev.notes[before.notes.min(ev.notes.len())..]
                .iter()
                .map(|r| (r.signal.into(), r.detail.clone()))
                .collect(),
            document: ev.document.as_ref().map(|d| FoundDocument {
                source: d.source.into(),
                issuing_country: d.issuing_country.clone(),
                number_masked: d.number_masked.clone(),
                checks_valid: d.checks_valid,
                checks_total: d.checks_total,
            }),
        }
    }

    /// Adds what was found to `ev` as the content stages did, and returns whether they read
    /// text; `None` (and `ev` untouched) when the entry names a kind or signal this build
    /// does not know.
    pub fn replay(&self, ev: &mut Evidence) -> Option<bool> {
        let votes = self
            .votes
            .iter()
            .map(|(kind, weight, signal, detail)| {
                Some(Vote {
                    kind: Kind::from_name(kind)?,
                    weight: *weight,
                    reason: crate::scan::finding::Reason {
                        signal: intern(signal)?,
                        detail: detail.clone(),
                    },
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let notes = self
            .notes
            .iter()
            .map(|(signal, detail)| {
                Some(crate::scan::finding::Reason {
                    signal: intern(signal)?,
                    detail: detail.clone(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let document = match &self.document {
            Some(d) => Some(Document {
                source: intern(&d.source)?,
                issuing_country: d.issuing_country.clone(),
                number_masked: d.number_masked.clone(),
                checks_valid: d.checks_valid,
                checks_total: d.checks_total,
            }),
            None => None,
        };
        if self.retagged {
            ev.retag_documents(Kind::IdSelfie);
        }
        ev.votes.extend(votes);
        ev.notes.extend(notes);
        if document.is_some() {
            ev.document = document;
        }
        Some(self.ocr)
    }
}

/// Distinct signal and source names a replayed finding may bring: the engine has a few dozen.
const MAX_NAMES: usize = 512;

/// The `'static` name equal to `s`. Reasons carry their signal as a `&'static str` (a code from
/// the engine); one read back from the cache is kept once for the life of the process, and at
/// most [`MAX_NAMES`] of them (the sealed entries are authenticated, so only this build's own
/// codes arrive here).
fn intern(s: &str) -> Option<&'static str> {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(&n) = names.get(s) {
        return Some(n);
    }
    if names.len() >= MAX_NAMES {
        return None;
    }
    let name: &'static str = Box::leak(s.to_owned().into_boxed_str());
    names.insert(name);
    Some(name)
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

fn load_found(path: &Path) -> Option<HashMap<Entry, Vec<u8>>> {
    let f = fsutil::open_regular_nofollow(path).ok()?;
    let limit = (FOUND_MAGIC.len() + MAX_FOUND_BYTES + 20 * (MAX_FOUND_BYTES / 40)) as u64;
    let mut buf = Vec::new();
    f.take(limit + 1).read_to_end(&mut buf).ok()?;
    if buf.len() as u64 > limit {
        return None;
    }
    let mut rest = buf.strip_prefix(FOUND_MAGIC.as_slice())?;
    let mut found = HashMap::new();
    while !rest.is_empty() {
        let (id, after) = rest.split_at_checked(16)?;
        let (len, after) = after.split_at_checked(4)?;
        let len = u32::from_le_bytes(len.try_into().ok()?) as usize;
        if len > MAX_SEALED {
            return None;
        }
        let (sealed, after) = after.split_at_checked(len)?;
        found.insert(id.try_into().ok()?, sealed.to_vec());
        rest = after;
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn ck(id: &FileId, context: u8) -> ContentKey<'_> {
        ContentKey {
            id,
            context,
            member: None,
        }
    }

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
        assert!(!c.is_known_negative(&ck(&id(7), 0)));
        c.add_negative(&ck(&id(7), 0));
        c.save().unwrap();
        let c = Cache::open(&d).unwrap();
        assert!(c.is_known_negative(&ck(&id(7), 0)));
        assert!(!c.is_known_negative(&ck(&id(7), 1)));
        assert!(!c.is_known_negative(&ck(&FileId { size: 101, ..id(7) }, 0)));
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
        assert!(!c.is_known_negative(&ck(&key.id, 0)));
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
        c.add_negative(&ck(&id(1), 0));
        c.save().unwrap();
        fs::write(d.join(CACHE_FILE), b"garbage").unwrap();
        let c = Cache::open(&d).unwrap();
        assert!(!c.is_known_negative(&ck(&id(1), 0)));
        fs::write(d.join(KEY_FILE), b"short").unwrap();
        let c = Cache::open(&d).unwrap();
        assert!(!c.is_known_negative(&ck(&id(1), 0)));
    }

    #[test]
    fn findings_are_sealed_replayed_and_keyed_by_file_context_and_entry() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("c");
        let c = Cache::open(&d).unwrap();
        let mut ev = Evidence::default();
        ev.vote(
            Kind::Passport,
            0.4,
            "name.document",
            "passport in the name".into(),
        );
        let before = Found::before(&ev);
        ev.vote(
            Kind::Passport,
            0.98,
            "content.mrz",
            "MRZ with 4 of 4 check digits".into(),
        );
        ev.note("content.frames", "3 frames".into());
        ev.retag_documents(Kind::IdSelfie);
        ev.document = Some(Document {
            source: "mrz",
            issuing_country: Some("UTO".into()),
            number_masked: Some("*****1234".into()),
            checks_valid: 4,
            checks_total: 4,
        });
        let found = Found::taken(&ev, &before, true);
        let member = Member {
            path: vec![PathBuf::from("Takeout/IMG_1.jpg")],
            size: 10,
        };
        let id9 = id(9);
        let in_zip = ContentKey {
            member: Some(&member),
            ..ck(&id9, 0)
        };
        c.add_found(&ck(&id(9), 0), &found);
        c.save().unwrap();
        let c = Cache::open(&d).unwrap();
        assert_eq!(c.known_found(&ck(&id(9), 1)), None);
        assert_eq!(c.known_found(&in_zip), None);
        let back = c.known_found(&ck(&id(9), 0)).unwrap();
        assert_eq!(back, found);
        let mut again = Evidence::default();
        again.vote(
            Kind::Passport,
            0.4,
            "name.document",
            "passport in the name".into(),
        );
        assert_eq!(back.replay(&mut again), Some(true));
        assert_eq!(again.decide(), ev.decide());
        // Nothing of the document in the clear on disk.
        let bytes = fs::read(d.join(FOUND_FILE)).unwrap();
        for clear in [&b"1234"[..], b"UTO", b"content.mrz", b"check digits"] {
            assert!(!bytes.windows(clear.len()).any(|w| w == clear));
        }
        let mode = fs::metadata(d.join(FOUND_FILE))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        // A sealed entry moved to another key does not open.
        let mut entries = c.lock();
        let sealed = entries.found.values().next().unwrap().clone();
        entries.found.insert(c.content_entry(&in_zip), sealed);
        drop(entries);
        assert_eq!(c.known_found(&in_zip), None);
    }
}
