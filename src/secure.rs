//! `secure`: scan → plan → strip → vault → verify → wipe, as one resumable pipeline built from
//! the scan, vault and wipe capabilities (no step is implemented twice).
//!
//! Order per file, so that an interruption at any point leaves the file either untouched or
//! safely vaulted:
//!
//! 1. hash the original; if the vault already holds an entry with that original hash (an
//!    earlier, interrupted run), reuse it instead of adding a duplicate;
//! 2. otherwise add it: strip in memory, encrypt, fsync, rename into place (see
//!    [`crate::vault::add`]);
//! 3. commit the manifest;
//! 4. verify the entry by decrypting it and comparing hashes;
//! 5. only then act on the original — wipe it (the default), delete it, or keep it — and only
//!    if it is still the very file that was scanned and read.
//!
//! A wipe moves the file out of its name before overwriting it, so an interrupted wipe leaves a
//! `.idvault-wipe-…` leftover rather than a damaged file under the original name; the scan
//! reports such leftovers and [`apply`] finishes wiping them.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::files::FileId;
use crate::scan::{self, Event, Finding, ScanOptions, Summary, Warning};
use crate::vault::{self, Detected, Entry, Keys, Source, StripPolicy, Vault, VaultLock};
use crate::wipe::{self, WipeOptions};

/// What happens to an original once its vault entry is verified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Originals {
    /// Overwrite, rename and unlink it, and remove its thumbnails (the default).
    #[default]
    Wipe,
    /// Unlink it without overwriting (`--delete-originals`).
    Delete,
    /// Leave it where it is (`--keep-originals`).
    Keep,
}

/// Everything `secure` needs besides the vault.
#[derive(Clone, Debug)]
pub struct Options {
    pub scan: ScanOptions,
    pub originals: Originals,
    pub wipe: WipeOptions,
    pub strip: StripPolicy,
}

/// One finding and what will happen to its original.
#[derive(Debug)]
pub struct Item {
    pub finding: Finding,
    /// The wipe plan of the original (filesystem, device, caveats), when it will be wiped or
    /// deleted; the reason when it cannot be.
    pub original: Option<Result<wipe::Plan, wipe::WipeError>>,
}

/// What `secure` will do, before anything changes.
#[derive(Debug)]
pub struct Plan {
    /// Sorted by path.
    pub items: Vec<Item>,
    /// Leftovers of interrupted wipes under the roots; [`apply`] finishes them.
    pub leftovers: Vec<PathBuf>,
    /// Files the scan could not read, and other notes.
    pub warnings: Vec<Warning>,
    pub scan: Summary,
}

/// Scans and plans. Changes nothing.
pub fn plan(opts: &Options, mut on_progress: impl FnMut(u64)) -> Plan {
    let mut findings = Vec::new();
    let mut leftovers = Vec::new();
    let mut warnings = Vec::new();
    let summary = scan::scan(&opts.scan, |event| match event {
        Event::Finding(f) => findings.push(f),
        Event::Warning(w) if w.message == scan::walk::LEFTOVER_WIPE => leftovers.push(w.path),
        Event::Warning(w) => warnings.push(w),
        Event::Progress { files } => on_progress(files),
    });
    findings.sort_by(|a, b| a.path.cmp(&b.path));
    leftovers.sort();
    let mut planner = wipe::Planner::new(opts.wipe.clone());
    let items = findings
        .into_iter()
        .map(|finding| {
            let original = (opts.originals != Originals::Keep)
                .then(|| planner.plan_expecting(&finding.path, &finding.id));
            Item { finding, original }
        })
        .collect();
    Plan {
        items,
        leftovers,
        warnings,
        scan: summary,
    }
}

/// Why one file could not be secured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ItemError {
    #[error("could not be vaulted: {0}")]
    Vault(#[from] vault::Error),
    #[error("vaulted, but the vault copy did not verify; the original was not touched: {0}")]
    Verify(vault::Error),
    #[error("vaulted and verified; the original changed since it was read and was not touched")]
    OriginalChanged,
    #[error("an identical file could not be vaulted; this one was not touched")]
    TwinNotStored,
    #[error("vaulted and verified; the original was not wiped: {0}")]
    Wipe(wipe::WipeError),
    #[error("vaulted and verified; the original was not deleted: {0}")]
    Delete(io::Error),
}

/// What happened to an original.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginalDone {
    Wiped { thumbnails: usize },
    Deleted,
    Kept,
}

/// The outcome for one finding.
#[derive(Debug)]
pub struct ItemOutcome<'a> {
    pub finding: &'a Finding,
    /// The vault entry now holding the file, if it got that far.
    pub entry: Option<Entry>,
    /// True when an earlier run had already vaulted it.
    pub already_vaulted: bool,
    pub result: Result<OriginalDone, ItemError>,
}

/// An interrupted wipe that was finished, or could not be.
#[derive(Debug)]
pub struct LeftoverOutcome<'a> {
    pub path: &'a Path,
    pub result: Result<(), wipe::WipeError>,
}

/// Progress of [`apply`], reported as each step completes (from several threads).
pub enum Progress<'a> {
    Stored(&'a Finding),
    Done(&'a ItemOutcome<'a>),
}

/// Where an item stands after the storing phase.
enum Stored {
    /// An earlier run vaulted this content.
    Existing(Entry),
    New(vault::Added),
    /// The same content as an earlier item of this run: it shares that item's entry.
    Twin,
    Failed(ItemError),
}

/// Carries out `plan` into `vault`. Needs the vault's keys: entries are verified by
/// decrypting them, and earlier runs' entries are recognised by their encrypted hashes.
pub fn apply<'p>(
    plan: &'p Plan,
    vault: &Vault,
    keys: &Keys,
    lock: &VaultLock,
    opts: &Options,
    on_progress: impl Fn(Progress<'_>) + Sync,
) -> Result<(Vec<ItemOutcome<'p>>, Vec<LeftoverOutcome<'p>>), vault::Error> {
    let index = vault.index(keys)?;
    let hashed: Vec<Result<String, vault::Error>> = plan
        .items
        .par_iter()
        .map(|item| vault::sha256_file(&item.finding.path).map(|d| d.sha256))
        .collect();
    let mut first_with_hash: HashMap<String, usize> = HashMap::new();
    for (i, h) in hashed.iter().enumerate() {
        if let Ok(h) = h {
            first_with_hash.entry(h.clone()).or_insert(i);
        }
    }
    let (stored, hashes): (Vec<Stored>, Vec<Option<String>>) = plan
        .items
        .par_iter()
        .zip(hashed)
        .enumerate()
        .map(|(i, (item, hash))| {
            let out = match hash {
                Err(e) => (Stored::Failed(ItemError::Vault(e)), None),
                Ok(h) => {
                    let stored = match index.by_original_hash(&h) {
                        Some(entry) => Stored::Existing(entry.clone()),
                        None if first_with_hash[&h] != i => Stored::Twin,
                        None => store(vault, lock, item, opts.strip),
                    };
                    (stored, Some(h))
                }
            };
            on_progress(Progress::Stored(&item.finding));
            out
        })
        .unzip();
    if stored.iter().any(|s| matches!(s, Stored::New(_))) {
        vault.commit_manifest(lock, keys)?;
    }
    // Twins find their entry in the committed index; without twins the first index serves.
    let index = if stored.iter().any(|s| matches!(s, Stored::Twin)) {
        vault.index(keys)?
    } else {
        index
    };
    let outcomes: Vec<ItemOutcome<'p>> = plan
        .items
        .par_iter()
        .zip(stored)
        .zip(hashes)
        .map(|((item, stored), hash)| {
            let outcome = finish(vault, keys, &index, item, stored, hash.as_deref(), opts);
            on_progress(Progress::Done(&outcome));
            outcome
        })
        .collect();
    let leftovers = plan
        .leftovers
        .iter()
        .map(|path| LeftoverOutcome {
            path,
            result: wipe::plan(path, &opts.wipe).and_then(|p| wipe::execute(&p).map(drop)),
        })
        .collect();
    Ok((outcomes, leftovers))
}

fn store(vault: &Vault, lock: &VaultLock, item: &Item, strip: StripPolicy) -> Stored {
    let source = Source {
        path: item.finding.path.clone(),
        detected: Some(Detected::from(&item.finding.verdict)),
    };
    match vault.add_file(lock, &source, strip) {
        Ok(added) => Stored::New(added),
        Err(e) => Stored::Failed(ItemError::Vault(e)),
    }
}

/// Verifies the item's entry and acts on its original.
fn finish<'p>(
    vault: &Vault,
    keys: &Keys,
    index: &vault::Index,
    item: &'p Item,
    stored: Stored,
    hash: Option<&str>,
    opts: &Options,
) -> ItemOutcome<'p> {
    let finding = &item.finding;
    let failed = |e| ItemOutcome {
        finding,
        entry: None,
        already_vaulted: false,
        result: Err(e),
    };
    let (entry, already, added) = match stored {
        Stored::New(added) => (added.entry.clone(), false, Some(added)),
        Stored::Existing(entry) => (entry, true, None),
        Stored::Twin => match hash.and_then(|h| index.by_original_hash(h)) {
            Some(e) => (e.clone(), true, None),
            // Its twin failed to store: nothing holds this content.
            None => return failed(ItemError::TwinNotStored),
        },
        Stored::Failed(e) => return failed(e),
    };
    let result = vault
        .verify_entry(&entry, keys)
        .map_err(ItemError::Verify)
        .and_then(|()| {
            // The original must still be the file that was scanned and read.
            let still = added.as_ref().is_none_or(|a| a.unchanged(&finding.path));
            if !still || !same_file(&finding.path, &finding.id) {
                return Err(ItemError::OriginalChanged);
            }
            act_on_original(item, opts)
        });
    ItemOutcome {
        finding,
        entry: Some(entry),
        already_vaulted: already,
        result,
    }
}

fn same_file(path: &Path, id: &FileId) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && FileId::of(&m) == *id)
}

fn act_on_original(item: &Item, opts: &Options) -> Result<OriginalDone, ItemError> {
    let path = &item.finding.path;
    match opts.originals {
        Originals::Keep => Ok(OriginalDone::Kept),
        Originals::Wipe => {
            let plan = match &item.original {
                Some(Ok(p)) => p.clone(),
                _ => wipe::plan_expecting(path, &item.finding.id, &opts.wipe)
                    .map_err(ItemError::Wipe)?,
            };
            let out = wipe::execute(&plan).map_err(ItemError::Wipe)?;
            Ok(OriginalDone::Wiped {
                thumbnails: out.thumbnails_removed.len(),
            })
        }
        Originals::Delete => {
            let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
            std::fs::remove_file(path)
                .and_then(|()| crate::fsutil::fsync_dir(dir.unwrap_or(Path::new("."))))
                .map_err(ItemError::Delete)?;
            Ok(OriginalDone::Deleted)
        }
    }
}
