//! Adding files. Per file, in this order, so that a crash at any point leaves either no entry
//! (and the original) or a complete entry:
//!
//! 1. open the original without following symlinks; record its identity (dev, inode, size,
//!    times);
//! 2. encrypt it to the vault's public recipients, 64 KiB at a time, hashing on the way, into
//!    a 0600 `O_EXCL` temporary file next to its destination;
//! 3. check that the original did not change meanwhile; fsync; rename into
//!    `objects/ab/<id>.age`; fsync the directory;
//! 4. write `objects/ab/<id>.meta.age` the same way: the entry now exists.
//!
//! With `--remove-originals`, [`add_all`] then commits the manifest, verifies every new entry
//! by decrypting it and comparing hashes, checks the original is still the file that was
//! read, and only then removes it.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::crypto::{self, Side};
use super::format;
use super::manifest::{self, Detected, Entry, StoredPath};
use super::original::{self, Removal, StripPolicy};
use super::{Error, Keys, Vault, VaultLock};
use crate::fsutil::{self, AtomicFile, Replace};

/// A file to add, with what the scanner said about it.
#[derive(Clone, Debug)]
pub struct Source {
    pub path: PathBuf,
    pub detected: Option<Detected>,
}

impl Source {
    pub fn new(path: PathBuf) -> Self {
        Source {
            path,
            detected: None,
        }
    }
}

/// Identity of an original as it was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(m: &fs::Metadata) -> Self {
        Stamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }
}

/// A file that is now a complete entry.
#[derive(Clone, Debug)]
pub struct Added {
    pub entry: Entry,
    stamp: Stamp,
}

impl Added {
    /// The identity of the original as it was read.
    pub fn original_id(&self) -> crate::files::FileId {
        crate::files::FileId {
            dev: self.stamp.dev,
            ino: self.stamp.ino,
            size: self.stamp.size,
            mtime_ns: i128::from(self.stamp.mtime.0) * 1_000_000_000
                + i128::from(self.stamp.mtime.1),
        }
    }

    /// True if `path` is still the very file that was read (same inode, size and times), so
    /// acting on it acts on what the vault holds.
    pub fn unchanged(&self, path: &Path) -> bool {
        fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && Stamp::of(&m) == self.stamp)
    }
}

/// Adds one file as a new entry (steps 1–4 above). Needs no secret.
pub fn add_file(
    vault: &Vault,
    _lock: &VaultLock,
    source: &Source,
    strip: StripPolicy,
) -> Result<Added, Error> {
    let path = &source.path;
    if vault.contains(path) {
        return Err(Error::InsideVault { path: path.clone() });
    }
    let file = fsutil::open_regular_nofollow(path).map_err(|e| Error::io("open", path, e))?;
    let before = file.metadata().map_err(|e| Error::io("read", path, e))?;
    let stamp = Stamp::of(&before);
    let check = file.try_clone().map_err(|e| Error::io("read", path, e))?;
    let prepared = original::prepare(file, strip).map_err(|e| Error::io("read", path, e))?;

    let layout = vault.layout();
    let id = format::EntryId::random();
    let fan = layout.fan_dir(&id);
    format::create_private_dir(&fan).map_err(|e| Error::io("create", &fan, e))?;
    let object = layout.object(&id);
    let mut tmp =
        AtomicFile::new_in(&fan, format::FILE_MODE).map_err(|e| Error::io("create", &fan, e))?;
    let mut reader = prepared.reader;
    let digest =
        crypto::encrypt_stream(vault.recipients(), &mut reader, tmp.file()).map_err(|side| {
            match side {
                Side::Source(e) => Error::io("read", path, e),
                Side::Sink(e) => Error::io("write", &object, e),
            }
        })?;
    let after = check.metadata().map_err(|e| Error::io("read", path, e))?;
    let unchanged_len = prepared.stripped.is_some() || digest.len == stamp.size;
    if Stamp::of(&after) != stamp || !unchanged_len {
        return Err(Error::ChangedWhileAdding { path: path.clone() });
    }
    tmp.commit(&object, Replace::Never)
        .map_err(|e| Error::io("write", &object, e))?;

    // The original's hash: computed from the bytes already in memory when it was stripped,
    // else the stored stream is the original itself.
    let original_sha256 = prepared
        .original_sha256
        .unwrap_or_else(|| digest.sha256.clone());
    let entry = Entry {
        id,
        added: super::now(),
        original: Some(StoredPath::new(
            &std::path::absolute(path).unwrap_or_else(|_| path.clone()),
        )),
        size: digest.len,
        mtime: before.mtime(),
        mtime_nsec: before.mtime_nsec() as u32,
        mode: before.mode() & 0o7777,
        sha256: digest.sha256,
        original_sha256,
        detected: source.detected.clone(),
        stripped: prepared.stripped,
    };
    if let Err(e) = manifest::write_meta(layout, &entry, vault.recipients()) {
        // Without its metadata the object would be an orphan; take it back.
        let _ = fs::remove_file(&object);
        let _ = fsutil::fsync_dir(&fan);
        return Err(e);
    }
    Ok(Added { entry, stamp })
}

/// The entry already holding `path`, if the vault has one with the same original path, size
/// and modification time and the file still hashes to its recorded SHA-256 (a re-run after an
/// interrupted `--remove-originals`). Only files that match by path, size and time are read.
pub fn already_in(index: &super::Index, path: &Path) -> Option<Added> {
    let abs = StoredPath::new(&std::path::absolute(path).ok()?);
    let meta = fs::symlink_metadata(path).ok().filter(|m| m.is_file())?;
    let candidate = index.entries.iter().find(|e| {
        e.original.as_ref() == Some(&abs)
            && e.size == meta.len()
            && (e.mtime, i64::from(e.mtime_nsec)) == (meta.mtime(), meta.mtime_nsec())
    })?;
    let mut file = fsutil::open_regular_nofollow(path).ok()?;
    let stamp = Stamp::of(&file.metadata().ok()?);
    let digest = crypto::digest(&mut file).ok()?;
    let same = digest.sha256 == candidate.original_sha256
        && file.metadata().is_ok_and(|m| Stamp::of(&m) == stamp);
    same.then(|| Added {
        entry: candidate.clone(),
        stamp,
    })
}

/// SHA-256 of a file's bytes, streamed (to look it up with [`super::Index::by_original_hash`]).
pub fn sha256_file(path: &Path) -> Result<crypto::Digested, Error> {
    let mut file = fsutil::open_regular_nofollow(path).map_err(|e| Error::io("open", path, e))?;
    crypto::digest(&mut file).map_err(|e| Error::io("read", path, e))
}

/// What [`add_all`] reports as it goes (from several threads).
#[derive(Debug)]
pub enum AddEvent<'a> {
    /// The file is now an entry.
    Added { path: &'a Path, entry: &'a Entry },
    /// The file was already in the vault (same path, size, time and SHA-256); not added again.
    AlreadyIn { path: &'a Path, entry: &'a Entry },
    /// The file could not be added (the original is untouched).
    Failed { path: &'a Path, error: Error },
    /// The entry was verified and the original removed.
    Removed { path: &'a Path, how: Removal },
    /// The original was kept although removal was asked for.
    Kept { path: &'a Path, error: Error },
}

/// Totals of an [`add_all`] run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddSummary {
    pub added: u64,
    /// Files found already in the vault (only looked for when a key is given).
    pub already: u64,
    pub bytes: u64,
    pub failed: u64,
    pub removed: u64,
    pub kept: u64,
}

/// Adds `sources` in parallel. With `remove` (which needs `keys`), then commits the manifest,
/// verifies each new entry by decrypting it, and removes each original that is unchanged.
/// With `keys` but no `remove`, the manifest is committed too; without `keys`, new entries
/// stay pending (readable from their metadata) until a command with a key commits them.
///
/// An error here is fatal (the manifest could not be written); per-file problems go to
/// `on_event`.
pub fn add_all(
    vault: &Vault,
    lock: &VaultLock,
    sources: &[Source],
    strip: StripPolicy,
    keys: Option<&Keys>,
    remove: bool,
    on_event: &(dyn Fn(AddEvent<'_>) + Sync),
) -> Result<AddSummary, Error> {
    assert!(!remove || keys.is_some(), "removal needs a key to verify");
    let index = keys.map(|k| vault.index(k)).transpose()?;
    let done: Vec<(&Source, Added, bool)> = sources
        .par_iter()
        .filter_map(|s| {
            if let Some(a) = index.as_ref().and_then(|i| already_in(i, &s.path)) {
                on_event(AddEvent::AlreadyIn {
                    path: &s.path,
                    entry: &a.entry,
                });
                return Some((s, a, false));
            }
            match add_file(vault, lock, s, strip) {
                Ok(a) => {
                    on_event(AddEvent::Added {
                        path: &s.path,
                        entry: &a.entry,
                    });
                    Some((s, a, true))
                }
                Err(error) => {
                    on_event(AddEvent::Failed {
                        path: &s.path,
                        error,
                    });
                    None
                }
            }
        })
        .collect();
    let new = done.iter().filter(|(_, _, new)| *new);
    let mut summary = AddSummary {
        added: new.clone().count() as u64,
        already: (done.len() - new.clone().count()) as u64,
        bytes: new.map(|(_, a, _)| a.entry.size).sum(),
        failed: (sources.len() - done.len()) as u64,
        ..AddSummary::default()
    };
    let Some(keys) = keys else {
        return Ok(summary);
    };
    if summary.added > 0 || index.is_some_and(|i| !i.pending.is_empty()) {
        vault.commit_manifest(lock, keys)?;
    }
    if !remove {
        return Ok(summary);
    }
    let removed = done
        .par_iter()
        .filter(|(s, a, _)| {
            let outcome = vault
                .verify_entry(&a.entry, keys)
                .and_then(|()| {
                    if a.unchanged(&s.path) {
                        Ok(())
                    } else {
                        Err(Error::ChangedWhileAdding {
                            path: s.path.clone(),
                        })
                    }
                })
                .and_then(|()| {
                    original::remove_original(&s.path, &a.original_id()).map_err(|source| {
                        Error::Wipe {
                            path: s.path.clone(),
                            source,
                        }
                    })
                });
            match outcome {
                Ok(how) => {
                    on_event(AddEvent::Removed { path: &s.path, how });
                    true
                }
                Err(error) => {
                    on_event(AddEvent::Kept {
                        path: &s.path,
                        error,
                    });
                    false
                }
            }
        })
        .count() as u64;
    summary.removed = removed;
    summary.kept = done.len() as u64 - removed;
    Ok(summary)
}
