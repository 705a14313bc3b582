//! Reading entries back: verification (decrypt, compare hashes), extraction (temp file,
//! renamed only once the whole stream authenticated and matched its hash), a whole-vault
//! check that also finds orphans and missing objects, and repair (rebuild the manifest from
//! the per-entry metadata, and the metadata from the manifest).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, FileTimes};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use rayon::prelude::*;

use super::crypto::{self, Digested};
use super::format::{self, EntryId};
use super::manifest::{self, Entry, Manifest};
use super::{Error, Keys, Vault, VaultLock};
use crate::fsutil::{AtomicFile, Replace};

/// Decrypts `entry`'s object into `out` and checks length and SHA-256.
fn decrypt_checked(
    vault: &Vault,
    entry: &Entry,
    keys: &Keys,
    out: &mut impl io::Write,
    out_path: &Path,
) -> Result<(), Error> {
    let path = vault.layout().object(&entry.id);
    let file = match crate::fsutil::open_regular_nofollow(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Error::MissingObject),
        Err(e) => return Err(Error::io("open", &path, e)),
    };
    let Digested { len, sha256 } = crypto::decrypt_stream(keys.ids(), file, out, out_path)?;
    if len != entry.size || sha256 != entry.sha256 {
        return Err(Error::HashMismatch);
    }
    Ok(())
}

/// Verifies one entry: its object decrypts, authenticates and hashes to the recorded value,
/// and its `.meta.age` decrypts to the same metadata.
pub(crate) fn verify_entry(vault: &Vault, entry: &Entry, keys: &Keys) -> Result<(), Error> {
    decrypt_checked(vault, entry, keys, &mut io::sink(), Path::new("-"))?;
    let meta = manifest::read_meta(vault.layout(), &entry.id, keys.ids())?;
    if &meta != entry {
        return Err(Error::Corrupt {
            message: "the entry's metadata file differs from the manifest".into(),
        });
    }
    Ok(())
}

/// Which permission bits `extract` gives restored files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Modes {
    /// 0600: only you can read the restored document (the default).
    #[default]
    Private,
    /// The original's permission bits, as recorded when it was added (`--keep-modes`).
    Original,
}

/// Extracts `entry` into `dest_dir` under its original file name (or its id, for a recovered
/// entry), restoring its mtime and giving it `modes`. Plaintext goes to a 0600 temporary file
/// in `dest_dir` that is renamed only after the whole stream authenticated and matched; an
/// existing file is never replaced.
pub fn extract(
    vault: &Vault,
    entry: &Entry,
    keys: &Keys,
    dest_dir: &Path,
    modes: Modes,
) -> Result<PathBuf, Error> {
    let name = entry
        .file_name()
        .unwrap_or_else(|| entry.id.as_str().into());
    let dest = dest_dir.join(name);
    if fs::symlink_metadata(&dest).is_ok() {
        return Err(Error::Exists { path: dest });
    }
    let mut tmp = AtomicFile::new_in(dest_dir, format::FILE_MODE)
        .map_err(|e| Error::io("create", dest_dir, e))?;

    decrypt_checked(vault, entry, keys, tmp.file(), &dest)?;
    let mtime = if entry.mtime >= 0 {
        UNIX_EPOCH + Duration::new(entry.mtime as u64, entry.mtime_nsec)
    } else {
        UNIX_EPOCH
    };
    let mode = match modes {
        Modes::Private => format::FILE_MODE,
        Modes::Original => entry.mode & 0o777 | 0o400,
    };
    let f = tmp.file();
    f.set_times(FileTimes::new().set_modified(mtime))
        .and_then(|()| f.set_permissions(fs::Permissions::from_mode(mode)))
        .map_err(|e| Error::io("write", &dest, e))?;
    tmp.commit(&dest, Replace::Never).map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            Error::Exists { path: dest.clone() }
        } else {
            Error::io("write", &dest, e)
        }
    })?;
    Ok(dest)
}

/// A problem found by [`verify`].
#[derive(Debug)]
pub enum Finding {
    /// An entry that failed verification.
    Bad { entry: Entry, error: Error },
    /// An object without metadata (e.g. left by a crash before its metadata was written).
    Orphan { id: EntryId },
    /// A metadata file that cannot be read.
    UnreadableMeta { id: EntryId, error: Error },
    /// An entry in the manifest whose `.meta.age` is gone.
    MissingMeta { id: EntryId },
    /// A file in `objects/` that is not part of the format (e.g. a temporary file left by a
    /// crash: ciphertext, never plaintext).
    Stray { path: PathBuf },
    /// `manifest.age` cannot be read; the entries came from the `.meta.age` files.
    ManifestUnreadable { error: Error },
    /// `manifest.age` carries a seal that does not check: forged or altered.
    ManifestForged,
    /// `manifest.age` is older than the one this machine saw.
    Rollback { found: u64, pinned: u64 },
}

/// Totals of a [`verify`] run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifySummary {
    pub entries: u64,
    pub ok: u64,
    pub problems: u64,
    /// Entries not yet in the manifest (not a problem).
    pub pending: u64,
    pub has_manifest: bool,
    /// Entries not covered by a checked seal (see [`super::Index::unsealed`]).
    pub unsealed: Vec<EntryId>,
    /// Whether seals were checked (the vault was unlocked with its passphrase).
    pub seals_checked: bool,
}

/// Verifies every entry in parallel and looks for orphans, missing and stray files.
/// `on_total` hears how many entries will be checked before the first one is (for progress);
/// each entry then ends in `on_ok` or, as [`Finding::Bad`], in `on_problem`.
pub fn verify(
    vault: &Vault,
    keys: &Keys,
    on_total: impl FnOnce(u64),
    on_ok: &(dyn Fn(&Entry) + Sync),
    on_problem: &(dyn Fn(Finding) + Sync),
) -> Result<VerifySummary, Error> {
    let mut index = vault.index(keys)?;
    let scan = vault
        .layout()
        .scan_objects()
        .map_err(|e| Error::io("read", &vault.layout().objects(), e))?;
    let metas: BTreeSet<&EntryId> = scan.metas.iter().collect();
    let known: BTreeSet<&EntryId> = index.entries.iter().map(|e| &e.id).collect();
    let mut problems = 0u64;
    if let Some(error) = index.manifest_error.take() {
        problems += 1;
        on_problem(Finding::ManifestUnreadable { error });
    }
    if matches!(
        index.seal,
        super::ManifestSeal::Forged | super::ManifestSeal::Replaced
    ) {
        problems += 1;
        on_problem(Finding::ManifestForged);
    }
    if let Some((found, pinned)) = index.rollback {
        problems += 1;
        on_problem(Finding::Rollback { found, pinned });
    }
    for (id, error) in index.unreadable {
        problems += 1;
        on_problem(Finding::UnreadableMeta { id, error });
    }
    for id in &scan.objects {
        if !known.contains(id) && !metas.contains(id) {
            problems += 1;
            on_problem(Finding::Orphan { id: id.clone() });
        }
    }
    for e in &index.entries {
        if !metas.contains(&e.id) {
            problems += 1;
            on_problem(Finding::MissingMeta { id: e.id.clone() });
        }
    }
    for path in scan.stray {
        problems += 1;
        on_problem(Finding::Stray { path });
    }
    on_total(index.entries.len() as u64);
    let ok = index
        .entries
        .par_iter()
        .filter(|e| {
            let result = if metas.contains(&e.id) {
                verify_entry(vault, e, keys)
            } else {
                decrypt_checked(vault, e, keys, &mut io::sink(), Path::new("-"))
            };
            match result {
                Ok(()) => {
                    on_ok(e);
                    true
                }
                Err(error) => {
                    on_problem(Finding::Bad {
                        entry: (*e).clone(),
                        error,
                    });
                    false
                }
            }
        })
        .count() as u64;
    let entries = index.entries.len() as u64;
    Ok(VerifySummary {
        entries,
        ok,
        problems: problems + entries - ok,
        pending: index.pending.len() as u64,
        has_manifest: index.has_manifest,
        unsealed: index.unsealed,
        seals_checked: keys.seal().is_some(),
    })
}

/// What [`repair`] did.
#[derive(Debug, Default)]
pub struct RepairReport {
    /// Entries in the rewritten manifest.
    pub entries: u64,
    /// Metadata files rewritten from the old manifest.
    pub metas_restored: Vec<EntryId>,
    /// Orphan objects made into entries without an original path.
    pub orphans_recovered: Vec<EntryId>,
    /// Orphan objects that could not be decrypted (left in place).
    pub orphans_unreadable: Vec<(EntryId, Error)>,
    /// Entries whose object is missing (kept out of the manifest; their metadata stays).
    pub missing_objects: Vec<EntryId>,
    /// Metadata files that could not be read (left in place).
    pub unreadable_metas: Vec<(EntryId, Error)>,
    /// Temporary files from interrupted writes, removed.
    pub temp_removed: Vec<PathBuf>,
    /// Entries that failed their check and were kept out of the sealed manifest.
    pub refused: Vec<(EntryId, Error)>,
}

/// Rebuilds the manifest from the `.meta.age` files (and restores missing `.meta.age` files
/// from a readable manifest), recovers orphan objects as entries, and removes temporary files
/// left by interrupted writes. Needs the exclusive lock.
pub fn repair(vault: &Vault, _lock: &VaultLock, keys: &Keys) -> Result<RepairReport, Error> {
    let layout = vault.layout();
    let mut report = RepairReport::default();
    let (old, old_generation) = match Manifest::read(layout, keys.ids()) {
        Ok(m) => m.map(|m| (m.entries, m.generation)).unwrap_or_default(),
        Err(Error::NoMatchingIdentity) => return Err(Error::NoMatchingIdentity),
        Err(_) => (Vec::new(), 0),
    };
    let scan = layout
        .scan_objects()
        .map_err(|e| Error::io("read", &layout.objects(), e))?;
    let objects: BTreeSet<&EntryId> = scan.objects.iter().collect();
    let mut entries: BTreeMap<EntryId, Entry> = BTreeMap::new();
    for id in &scan.metas {
        match manifest::read_meta(layout, id, keys.ids()) {
            Ok(e) => {
                entries.insert(id.clone(), e);
            }
            Err(error) => report.unreadable_metas.push((id.clone(), error)),
        }
    }
    for e in old {
        if !entries.contains_key(&e.id) && objects.contains(&e.id) && !scan.metas.contains(&e.id) {
            manifest::write_meta(layout, &e, vault.recipients())?;
            report.metas_restored.push(e.id.clone());
            entries.insert(e.id.clone(), e);
        }
    }
    for id in &scan.objects {
        if entries.contains_key(id) || scan.metas.contains(id) {
            continue;
        }
        match recover_orphan(vault, id, keys) {
            Ok(e) => {
                manifest::write_meta(layout, &e, vault.recipients())?;
                report.orphans_recovered.push(id.clone());
                entries.insert(id.clone(), e);
            }
            Err(error) => report.orphans_unreadable.push((id.clone(), error)),
        }
    }
    entries.retain(|id, _| {
        let present = objects.contains(id);
        if !present {
            report.missing_objects.push(id.clone());
        }
        present
    });
    for path in scan.stray {
        let is_temp = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(crate::files::TEMP_PREFIX));
        if is_temp && fs::remove_file(&path).is_ok() {
            report.temp_removed.push(path);
        }
    }
    // Everything is checked before it is sealed: the old manifest and the metadata files may
    // come from anyone who can write the folder.
    let entries: Vec<Entry> = entries.into_values().collect();
    let refused = vault.write_manifest(keys, &entries, |_| true, old_generation)?;
    report.entries = (entries.len() - refused.len()) as u64;
    report.refused = refused;
    Ok(report)
}

/// An entry for an object whose metadata was never written: its content is known (hash,
/// size), its original name and times are not.
fn recover_orphan(vault: &Vault, id: &EntryId, keys: &Keys) -> Result<Entry, Error> {
    let path = vault.layout().object(id);
    let file =
        crate::fsutil::open_regular_nofollow(&path).map_err(|e| Error::io("open", &path, e))?;
    let d = crypto::decrypt_stream(keys.ids(), file, &mut io::sink(), Path::new("-"))?;
    Ok(Entry {
        id: id.clone(),
        added: super::now(),
        original: None,
        size: d.len,
        mtime: 0,
        mtime_nsec: 0,
        mode: 0o600,
        sha256: d.sha256.clone(),
        original_sha256: d.sha256,
        detected: None,
        stripped: None,
    })
}
