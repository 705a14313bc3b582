//! Reading entries back: verification (decrypt, compare hashes), extraction (temp file,
//! renamed only once the whole stream authenticated and matched its hash), a whole-vault
//! check that also finds orphans and missing objects, and repair (rebuild the manifest from
//! the per-entry metadata, and the metadata from the manifest).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, FileTimes};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
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

/// Extracts `entry` to `dest_root.join(rel)` (see [`plan_extraction`] for `rel`), making the
/// folders of `rel` (0700) as needed, restoring its mtime and giving it `modes`. Plaintext
/// goes to a 0600 temporary file in the destination folder that is renamed only after the
/// whole stream authenticated and matched; an existing file is never replaced, and a symlink
/// or file where a folder of `rel` should be is refused.
pub fn extract(
    vault: &Vault,
    entry: &Entry,
    keys: &Keys,
    dest_root: &Path,
    rel: &Path,
    modes: Modes,
) -> Result<PathBuf, Error> {
    let dest_dir = make_folders(dest_root, rel.parent().unwrap_or(Path::new("")))?;
    let dest_dir = dest_dir.as_path();
    let name = rel
        .file_name()
        .map_or_else(|| entry.id.as_str().into(), |n| n.to_os_string());
    let dest = dest_dir.join(name);
    if fs::symlink_metadata(&dest).is_ok() {
        return Err(Error::Exists { path: dest });
    }
    let mut tmp = AtomicFile::new_in(dest_dir, format::FILE_MODE)
        .map_err(|e| Error::io("create", dest_dir, e))?;

    decrypt_checked(vault, entry, keys, tmp.file(), &dest)?;
    // The entry was bounds-checked when it was read; checked arithmetic all the same, so
    // that no value can make this panic.
    let mtime = u64::try_from(entry.mtime)
        .ok()
        .and_then(|secs| UNIX_EPOCH.checked_add(Duration::new(secs, entry.mtime_nsec)))
        .unwrap_or(UNIX_EPOCH);
    let mode = match modes {
        Modes::Private => format::FILE_MODE,
        Modes::Original => restored_mode(entry.mode),
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

/// Makes the folders of `rel` under `root` (0700, like the folders `extract` makes for
/// restored documents), never through a symlink; returns the innermost.
fn make_folders(root: &Path, rel: &Path) -> Result<PathBuf, Error> {
    use std::os::unix::fs::DirBuilderExt;
    let mut dir = root.to_path_buf();
    for part in rel.components() {
        dir.push(part);
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => continue,
            Ok(_) => {
                return Err(Error::io(
                    "create the folder",
                    &dir,
                    io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        "something that is not a folder is there (a file or a symlink)",
                    ),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("create the folder", &dir, e)),
        }
        match fs::DirBuilder::new().mode(format::DIR_MODE).create(&dir) {
            Ok(()) => {}
            // Made meanwhile by someone else: checked again by the next extraction's walk,
            // and the file itself is created with O_EXCL | O_NOFOLLOW in it.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => {}
            Err(e) => return Err(Error::io("create the folder", &dir, e)),
        }
    }
    Ok(dir)
}

/// One step of an extraction, as [`plan_extraction`] decided it.
#[derive(Debug, PartialEq)]
pub enum Planned<'a> {
    /// Restore `entry` at `rel` under the destination; `renamed` when its own name was taken
    /// by another entry of this extraction.
    Extract {
        entry: &'a Entry,
        rel: PathBuf,
        renamed: bool,
    },
    /// Not restored: an unsealed entry claiming the same original as the sealed `kept`.
    Skip { entry: &'a Entry, kept: &'a Entry },
}

/// Decides where each chosen entry goes, so that no two collide and no planted entry takes a
/// genuine one's place:
///
/// - Each keeps its folder relative to the deepest folder all chosen originals share (one
///   entry, or entries from one folder: just the file name). A path with `..` or `.` in it
///   (never written by idvault, so planted) gives the file name only.
/// - Entries claiming the same original path: when some are sealed, the unsealed ones are
///   skipped (a writer without the passphrase can plant an entry under any path, with any
///   time); the sealed one restored is the most recently added.
/// - Two entries that would land on one name (the same name in one folder): the first (sealed
///   before unsealed, then newest) gets it, the others get `name (2).ext`, `name (3).ext`, …
///   beside it, marked as renamed.
pub fn plan_extraction<'a>(chosen: &[&'a Entry], unsealed: &[EntryId]) -> Vec<Planned<'a>> {
    let unsealed: BTreeSet<&EntryId> = unsealed.iter().collect();
    let mut seen = BTreeSet::new();
    let mut entries: Vec<&Entry> = chosen
        .iter()
        .copied()
        .filter(|e| seen.insert(&e.id))
        .collect();
    // Sealed first, then newest: the order in which names are handed out.
    entries.sort_by_key(|e| (unsealed.contains(&e.id), std::cmp::Reverse(e.added)));
    let mut out = Vec::new();
    let mut kept_for: BTreeMap<PathBuf, &Entry> = BTreeMap::new();
    let mut restored = Vec::new();
    for e in entries {
        let original = e.original.as_ref().map(|p| p.to_path());
        if let Some(path) = &original
            && unsealed.contains(&e.id)
            && let Some(kept) = kept_for.get(path)
            && !unsealed.contains(&kept.id)
        {
            out.push(Planned::Skip { entry: e, kept });
            continue;
        }
        if let Some(path) = original {
            kept_for.entry(path).or_insert(e);
        }
        restored.push(e);
    }
    let clean = |p: &Path| {
        p.is_absolute()
            && p.components()
                .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
    };
    let originals: Vec<PathBuf> = restored
        .iter()
        .filter_map(|e| e.original.as_ref().map(|p| p.to_path()))
        .filter(|p| clean(p))
        .collect();
    let base = common_folder(&originals);
    let mut taken = BTreeSet::new();
    for e in restored {
        let wanted = match e.original.as_ref().map(|p| p.to_path()) {
            Some(p) if clean(&p) => base
                .as_ref()
                .and_then(|b| p.strip_prefix(b).ok())
                .filter(|r| r.file_name().is_some())
                .map_or_else(
                    || p.file_name().map(PathBuf::from),
                    |r| Some(r.to_path_buf()),
                ),
            Some(p) => p.file_name().map(PathBuf::from),
            None => None,
        }
        .unwrap_or_else(|| PathBuf::from(e.id.as_str()));
        let mut rel = wanted.clone();
        let mut n = 2;
        while !taken.insert(rel.clone()) {
            rel = numbered(&wanted, n);
            n += 1;
        }
        out.push(Planned::Extract {
            entry: e,
            renamed: rel != wanted,
            rel,
        });
    }
    out
}

/// The deepest folder holding every path in `paths` (absolute, clean), if any.
fn common_folder(paths: &[PathBuf]) -> Option<PathBuf> {
    let mut base = paths.first()?.parent()?.to_path_buf();
    for p in &paths[1..] {
        while !p.starts_with(&base) {
            base = base.parent()?.to_path_buf();
        }
    }
    Some(base)
}

/// `dir/name (n).ext` for `dir/name.ext`.
fn numbered(path: &Path, n: u32) -> PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_os_string();
    let mut name = stem;
    name.push(format!(" ({n})"));
    if let Some(ext) = path.extension() {
        name.push(".");
        name.push(ext);
    }
    path.with_file_name(name)
}

/// The permission bits `--keep-modes` restores: the original's read and execute bits for
/// everyone and its owner's write bit, always readable by the owner; never setuid, setgid or
/// sticky, and never group or other write (the recorded mode comes from metadata that anyone
/// able to write the vault folder can plant).
fn restored_mode(recorded: u32) -> u32 {
    recorded & 0o755 | 0o400
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
    /// Entries the last sealed manifest held (the vault's, or the copy this machine kept)
    /// that are gone now, besides those named in `missing_objects`, `unreadable_metas` and
    /// `refused`: both their files were deleted.
    pub lost: Vec<Entry>,
    /// The generation of that sealed manifest (0: none was known).
    pub last_sealed: u64,
}

impl RepairReport {
    /// How many entries could not be kept: anything but 0 means content was lost or left out.
    pub fn unrecoverable(&self) -> u64 {
        (self.orphans_unreadable.len()
            + self.missing_objects.len()
            + self.unreadable_metas.len()
            + self.refused.len()
            + self.lost.len()) as u64
    }
}

/// The last sealed manifest known: the vault's own if its seal checks, or the copy this machine
/// kept when it last wrote or saw one (in its private trust folder, so trusted as it is),
/// whichever is newer.
fn last_sealed_manifest(
    vault: &Vault,
    keys: &Keys,
    current: Option<&Manifest>,
) -> Option<Manifest> {
    let vault_key = vault.config().recipients.first()?;
    let current = current.filter(|m| {
        keys.seal().is_some_and(|key| {
            key.manifest_sealed(
                m.generation,
                &vault.config().recipients,
                &m.entries,
                m.seal.as_deref(),
            )
        })
    });
    let kept = super::trust::kept_manifest(vault_key)
        .and_then(|path| Manifest::read_at(&path, keys.ids()).ok().flatten());
    match (current, kept) {
        (Some(c), Some(k)) if k.generation > c.generation => Some(k),
        (Some(c), _) => Some(c.clone()),
        (None, k) => k,
    }
}

/// Rebuilds the manifest from the `.meta.age` files (and restores missing `.meta.age` files
/// from a readable manifest), recovers orphan objects as entries, and removes temporary files
/// left by interrupted writes. Needs the exclusive lock.
pub fn repair(vault: &Vault, _lock: &VaultLock, keys: &Keys) -> Result<RepairReport, Error> {
    let layout = vault.layout();
    let mut report = RepairReport::default();
    // A manifest that cannot be read, or that no key of this vault opens (replaced by a file
    // for another key), is rebuilt from the entries like a missing one.
    let current = Manifest::read(layout, keys.ids()).ok().flatten();
    let sealed = last_sealed_manifest(vault, keys, current.as_ref());
    let (old, old_generation) = current
        .map(|m| (m.entries, m.generation))
        .unwrap_or_default();
    let old_generation = old_generation.max(sealed.as_ref().map_or(0, |m| m.generation));
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
    // Only temporary files idvault proves it made; one merely named so stays, reported.
    for path in scan.stray {
        if super::own_temp(&path) && fs::remove_file(&path).is_ok() {
            report.temp_removed.push(path);
        }
    }
    // Everything is checked before it is sealed: the old manifest and the metadata files may
    // come from anyone who can write the folder.
    let entries: Vec<Entry> = entries.into_values().collect();
    let refused = vault
        .write_manifest(keys, &entries, |_| true, old_generation)?
        .refused;
    report.entries = (entries.len() - refused.len()) as u64;
    report.refused = refused;
    if let Some(sealed) = sealed {
        report.last_sealed = sealed.generation;
        let named: BTreeSet<&EntryId> = report
            .missing_objects
            .iter()
            .chain(report.unreadable_metas.iter().map(|(id, _)| id))
            .chain(report.refused.iter().map(|(id, _)| id))
            .chain(entries.iter().map(|e| &e.id))
            .collect();
        let lost: Vec<Entry> = sealed
            .entries
            .into_iter()
            .filter(|e| !named.contains(&e.id))
            .collect();
        report.lost = lost;
    }
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::vault::StoredPath;

    /// An entry whose id repeats `id`, for the original at `path`, added at `added`.
    pub(in crate::vault) fn entry(id: &str, path: Option<&str>, added: i64) -> Entry {
        Entry {
            id: EntryId::parse(&id.repeat(32 / id.len())).unwrap(),
            added,
            original: path.map(|p| StoredPath::new(Path::new(p))),
            size: 1,
            mtime: 0,
            mtime_nsec: 0,
            mode: 0o644,
            sha256: String::new(),
            original_sha256: String::new(),
            detected: None,
            stripped: None,
        }
    }

    fn rels(planned: &[Planned<'_>]) -> Vec<(String, bool)> {
        planned
            .iter()
            .filter_map(|p| match p {
                Planned::Extract { rel, renamed, .. } => {
                    Some((rel.display().to_string(), *renamed))
                }
                Planned::Skip { .. } => None,
            })
            .collect()
    }

    #[test]
    fn restored_modes_never_carry_setuid_sticky_or_group_and_other_write() {
        assert_eq!(restored_mode(0o6777), 0o755);
        assert_eq!(restored_mode(0o1666), 0o644);
        assert_eq!(restored_mode(0o000), 0o400);
        assert_eq!(restored_mode(0o640), 0o640);
    }

    #[test]
    fn extraction_keeps_folders_below_the_shared_one_and_numbers_collisions() {
        let a = entry("a1", Some("/home/u/DCIM/IMG_0001.jpg"), 1);
        let b = entry("b2", Some("/home/u/WhatsApp/IMG_0001.jpg"), 2);
        let c = entry("c3", Some("/home/u/DCIM/IMG_0001.jpg"), 3);
        let planned = plan_extraction(&[&a, &b, &c], &[]);
        let mut got = rels(&planned);
        got.sort();
        assert_eq!(
            got,
            vec![
                ("DCIM/IMG_0001 (2).jpg".to_string(), true),
                ("DCIM/IMG_0001.jpg".to_string(), false),
                ("WhatsApp/IMG_0001.jpg".to_string(), false),
            ]
        );
        // The newest of two sealed claims gets the name.
        let newest = planned.iter().find_map(|p| match p {
            Planned::Extract { entry, rel, .. } if rel == Path::new("DCIM/IMG_0001.jpg") => {
                Some(entry.id.clone())
            }
            _ => None,
        });
        assert_eq!(newest, Some(c.id.clone()));
        // One entry: just its name.
        assert_eq!(
            rels(&plan_extraction(&[&a], &[])),
            vec![("IMG_0001.jpg".to_string(), false)]
        );
    }

    #[test]
    fn an_unsealed_claim_on_a_sealed_entrys_original_is_skipped() {
        let genuine = entry("a1", Some("/p/passport.jpg"), 100);
        let planted = entry("de", Some("/p/passport.jpg"), 1);
        let planned = plan_extraction(&[&planted, &genuine], std::slice::from_ref(&planted.id));
        assert_eq!(
            planned,
            vec![
                Planned::Skip {
                    entry: &planted,
                    kept: &genuine
                },
                Planned::Extract {
                    entry: &genuine,
                    rel: "passport.jpg".into(),
                    renamed: false
                },
            ]
        );
    }

    #[test]
    fn planted_paths_with_dot_dot_keep_only_their_name() {
        let a = entry("a1", Some("/x/../../etc/cron.d/job"), 1);
        let b = entry("b2", Some("/x/y/ok.jpg"), 1);
        let mut got = rels(&plan_extraction(&[&a, &b], &[]));
        got.sort();
        assert_eq!(
            got,
            vec![("job".to_string(), false), ("ok.jpg".to_string(), false)]
        );
    }

    /// A vault holding one file stored whole: the entry.
    fn one_entry(t: &Path) -> (Vault, Keys, Entry) {
        let (vault, keys) = crate::testutil::vault(t);
        let lock = crate::testutil::lock(&vault);
        let path = t.join("id.bin");
        fs::write(&path, b"an identity document").unwrap();
        let source = crate::vault::Source::new(path);
        let added =
            crate::vault::store::add_file(&vault, &lock, &source, crate::vault::StripPolicy::Strip)
                .unwrap();
        (vault, keys, added.entry)
    }

    #[test]
    fn an_entry_verifies_only_while_its_object_and_metadata_agree_with_it() {
        let t = tempfile::tempdir().unwrap();
        let (vault, keys, e) = one_entry(t.path());
        verify_entry(&vault, &e, &keys).unwrap();
        // Metadata of the same id that says something else (re-encrypted by a writer).
        let other = Entry {
            mode: 0o600,
            ..e.clone()
        };
        let meta = vault.layout().meta(&e.id);
        fs::remove_file(&meta).unwrap();
        manifest::write_meta(vault.layout(), &other, vault.recipients()).unwrap();
        let r = verify_entry(&vault, &e, &keys);
        assert!(
            matches!(&r, Err(Error::Corrupt { message }) if message.contains("differs")),
            "{r:?}"
        );
        fs::remove_file(&meta).unwrap();
        manifest::write_meta(vault.layout(), &e, vault.recipients()).unwrap();
        verify_entry(&vault, &e, &keys).unwrap();
        // An entry that records another hash or length than its object decrypts to.
        let wrong_hash = Entry {
            sha256: "00".repeat(32),
            ..e.clone()
        };
        let r = verify_entry(&vault, &wrong_hash, &keys);
        assert!(matches!(r, Err(Error::HashMismatch)), "{r:?}");
        let wrong_len = Entry {
            size: e.size + 1,
            ..e.clone()
        };
        let r = verify_entry(&vault, &wrong_len, &keys);
        assert!(matches!(r, Err(Error::HashMismatch)), "{r:?}");
        // No object at all.
        fs::remove_file(vault.layout().object(&e.id)).unwrap();
        let r = verify_entry(&vault, &e, &keys);
        assert!(matches!(r, Err(Error::MissingObject)), "{r:?}");
    }
}
