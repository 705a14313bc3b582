//! Storing one file in the vault. Per file, in this order, so that a crash at any point leaves either no entry
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

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::crypto::{self, Side};
use super::format;
use super::manifest::{self, Detected, Entry, StoredPath};
use super::original::{self, StripPolicy};
use super::{Error, Vault, VaultLock};
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

/// Whether the original read into the vault is the file it was when opened (`before`): the
/// same identity, size and times afterwards, and — when stored whole — exactly its size in
/// bytes stored. Anything else means the copy may not be the file, which then must not be
/// removed on its strength.
fn unchanged(before: &Stamp, after: &Stamp, stripped: bool, stored_len: u64) -> bool {
    after == before && (stripped || stored_len == before.size)
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
    if !unchanged(
        &stamp,
        &Stamp::of(&after),
        prepared.stripped.is_some(),
        digest.len,
    ) {
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

/// SHA-256 of a file's bytes, streamed (to look it up with `Index::by_original_hash`).
pub fn sha256_file(path: &Path) -> Result<crypto::Digested, Error> {
    let mut file = fsutil::open_regular_nofollow(path).map_err(|e| Error::io("open", path, e))?;
    crypto::digest(&mut file).map_err(|e| Error::io("read", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> Stamp {
        Stamp {
            dev: 1,
            ino: 2,
            size: 100,
            mtime: (1_700_000_000, 5),
            ctime: (1_700_000_000, 6),
        }
    }

    #[test]
    fn a_file_that_changed_while_it_was_read_is_not_taken() {
        let s = stamp();
        assert!(unchanged(&s, &s, false, 100));
        for after in [
            Stamp { size: 101, ..s },
            Stamp { ino: 3, ..s },
            Stamp { dev: 9, ..s },
            Stamp {
                mtime: (1_700_000_000, 6),
                ..s
            },
            Stamp {
                ctime: (1_700_000_001, 6),
                ..s
            },
        ] {
            assert!(!unchanged(&s, &after, false, 100), "{after:?}");
        }
        // Stored whole, the stream must be exactly the file (it grew or shrank under us).
        assert!(!unchanged(&s, &s, false, 99));
        assert!(!unchanged(&s, &s, false, 101));
        // Stripped, the stored length is the clean copy's, not the file's.
        assert!(unchanged(&s, &s, true, 60));
    }

    #[test]
    fn an_entry_is_renamed_into_place_private_complete_and_verified() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let (vault, keys) = crate::testutil::vault(t.path());
        let lock = crate::testutil::lock(&vault);
        let path = t.path().join("id.bin");
        fs::write(&path, b"an identity document, stored whole").unwrap();
        let added = add_file(
            &vault,
            &lock,
            &Source::new(path.clone()),
            StripPolicy::Strip,
        )
        .unwrap();
        let layout = vault.layout();
        let fan = layout.fan_dir(&added.entry.id);
        let mut names: Vec<_> = fs::read_dir(&fan)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        // The object and its metadata under their final names; no temporary file left.
        assert_eq!(
            names,
            [
                layout.object(&added.entry.id).file_name().unwrap(),
                layout.meta(&added.entry.id).file_name().unwrap()
            ]
        );
        for n in &names {
            let mode = fs::metadata(fan.join(n)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(added.entry.size, 34);
        assert_eq!(
            added.original_id(),
            crate::files::FileId::of(&fs::metadata(&path).unwrap())
        );
        vault.verify_entry(&added.entry, &keys).unwrap();
    }

    #[test]
    fn a_symlink_or_the_vaults_own_file_is_never_added() {
        let t = tempfile::tempdir().unwrap();
        let (vault, _keys) = crate::testutil::vault(t.path());
        let lock = crate::testutil::lock(&vault);
        let target = t.path().join("id.bin");
        fs::write(&target, b"document").unwrap();
        let link = t.path().join("link.bin");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let r = add_file(&vault, &lock, &Source::new(link), StripPolicy::Strip);
        assert!(matches!(r, Err(Error::Io { .. })), "{r:?}");
        let own = vault.layout().config();
        let r = add_file(&vault, &lock, &Source::new(own), StripPolicy::Strip);
        assert!(matches!(r, Err(Error::InsideVault { .. })), "{r:?}");
    }
}
