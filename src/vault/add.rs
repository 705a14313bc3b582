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
//! The fan-out folder, when new, is fsynced into `objects/` before anything is written in it.
//!
//! With a key, [`add_all`] runs the [`super::pipeline`] that `secure` runs too: re-runs find
//! their earlier entries (checked against the file), the manifest is committed, and with
//! `--remove-originals` each original is wiped only after its entry was decrypted and compared
//! with what idvault would store for it now.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::crypto::{self, Side};
use super::format;
use super::manifest::{self, Detected, Entry, StoredPath};
use super::original::{self, StripPolicy};
use super::pipeline::{
    self, Find, ItemError, Job, OriginalDone, Originals, Settings, Stored, StoredEvent,
};
use super::{Error, Keys, Vault, VaultLock};
use crate::fsutil::{self, AtomicFile, Replace};
use crate::isolate;

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
    pub(crate) fn original_id(&self) -> crate::files::FileId {
        crate::files::FileId {
            dev: self.stamp.dev,
            ino: self.stamp.ino,
            size: self.stamp.size,
            mtime_ns: i128::from(self.stamp.mtime.0) * 1_000_000_000
                + i128::from(self.stamp.mtime.1),
        }
    }
}

/// Adds one file as a new entry (steps 1–4 above). Needs no secret.
pub(crate) fn add_file(
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
    /// The file was already in the vault (an earlier entry, checked against it); not added
    /// again.
    AlreadyIn { path: &'a Path, entry: &'a Entry },
    /// The file could not be added (the original is untouched).
    Failed {
        path: &'a Path,
        error: &'a ItemError,
    },
    /// An earlier entry claimed to hold the file but does not (planted or damaged); it was
    /// passed over.
    Impostor {
        path: &'a Path,
        entry: &'a Entry,
        error: &'a Error,
    },
    /// The entry was confirmed against the original and the original removed.
    Removed {
        path: &'a Path,
        how: &'a OriginalDone,
    },
    /// The original was kept although removal was asked for.
    Kept {
        path: &'a Path,
        error: &'a ItemError,
    },
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

/// Adds `sources` in parallel.
///
/// Without `keys`, each file becomes a new entry that stays *pending* (readable from its own
/// metadata, not yet sealed into the manifest) until a command with the passphrase checks and
/// seals it. With `keys`, the shared [`pipeline`] runs: earlier entries for the same path and
/// time are reused once checked against the file, the manifest is committed, and with
/// `remove` each original is wiped after its entry was confirmed against it.
///
/// An error here is fatal (the manifest could not be written, no original was touched);
/// per-file problems go to `on_event`.
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
    let Some(keys) = keys else {
        let added: Vec<Option<u64>> = sources
            .par_iter()
            .map(|s| {
                let result = isolate::per_file(|| add_file(vault, lock, s, strip))
                    .map_err(ItemError::Panicked)
                    .and_then(|r| r.map_err(ItemError::Vault));
                match result {
                    Ok(a) => {
                        on_event(AddEvent::Added {
                            path: &s.path,
                            entry: &a.entry,
                        });
                        Some(a.entry.size)
                    }
                    Err(error) => {
                        on_event(AddEvent::Failed {
                            path: &s.path,
                            error: &error,
                        });
                        None
                    }
                }
            })
            .collect();
        let sizes: Vec<u64> = added.iter().flatten().copied().collect();
        return Ok(AddSummary {
            added: sizes.len() as u64,
            bytes: sizes.iter().sum(),
            failed: (sources.len() - sizes.len()) as u64,
            ..AddSummary::default()
        });
    };
    let jobs: Vec<Job> = sources
        .iter()
        .map(|s| Job {
            source: s.clone(),
            chosen: None,
            plan: None,
        })
        .collect();
    let settings = Settings {
        strip,
        find: Find::ByPath,
        originals: if remove {
            Originals::Wipe
        } else {
            Originals::Keep
        },
        wipe: crate::wipe::WipeOptions::default(),
    };
    let on_stored = |i: usize, stored: StoredEvent<'_>| {
        let path = &sources[i].path;
        match stored {
            StoredEvent::Entry(entry, Stored::New) => on_event(AddEvent::Added { path, entry }),
            StoredEvent::Entry(entry, _) => on_event(AddEvent::AlreadyIn { path, entry }),
            // `Find::ByPath` makes no twins.
            StoredEvent::Twin => {}
            StoredEvent::Failed(error) => on_event(AddEvent::Failed { path, error }),
        }
    };
    let finish = |i: usize, o: pipeline::Outcome| {
        let path = &sources[i].path;
        for (entry, error) in &o.impostors {
            on_event(AddEvent::Impostor { path, entry, error });
        }
        match &o.result {
            // Not stored: already reported as failed.
            _ if o.stored.is_none() => {}
            Ok(OriginalDone::Kept) => {}
            Ok(how) => on_event(AddEvent::Removed { path, how }),
            Err(error) => on_event(AddEvent::Kept { path, error }),
        }
        o
    };
    let outcomes = pipeline::run(vault, lock, keys, &jobs, &settings, &on_stored, &finish)?;
    let mut summary = AddSummary::default();
    for o in &outcomes {
        match (o.stored, &o.result) {
            (None, _) => summary.failed += 1,
            (Some(Stored::New), _) => {
                summary.added += 1;
                summary.bytes += o.entry.as_ref().map_or(0, |e| e.size);
            }
            (Some(_), _) => summary.already += 1,
        }
        match &o.result {
            _ if o.stored.is_none() => {}
            Ok(OriginalDone::Kept) => {}
            Ok(_) => summary.removed += 1,
            Err(_) => summary.kept += 1,
        }
    }
    Ok(summary)
}
