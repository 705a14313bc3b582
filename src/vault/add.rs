//! Adding files: `vault add`. Each file is stored by [`super::store`] (crash-safe, in the order
//! it documents).
//!
//! With a key, [`add_all`] runs the [`super::pipeline`] that `secure` runs too: re-runs find
//! their earlier entries (checked against the file), the manifest is committed, and with
//! `--remove-originals` each original is wiped only after its entry was decrypted and compared
//! with what idvault would store for it now.

use std::path::Path;

use rayon::prelude::*;

use super::manifest::Entry;
use super::original::StripPolicy;
use super::pipeline::{
    self, Find, ItemError, Job, OriginalDone, Originals, Settings, Stored, StoredEvent,
};
use super::store::{Source, add_file};
use super::{Error, Keys, Vault, VaultLock};
use crate::{Cancel, isolate};

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
    /// Entries this run checked against their metadata and sealed: its own new ones, and
    /// earlier ones added without the passphrase.
    pub sealed: u64,
    /// Entries not yet sealed that failed that check and stay unsealed.
    pub not_sealed: u64,
}

/// How [`add_all`] adds.
#[derive(Clone, Debug, Default)]
pub struct AddOptions {
    /// Whether metadata is stripped from what is stored.
    pub strip: StripPolicy,
    /// Wipe each original once its entry was confirmed against it (needs the keys).
    pub remove: bool,
    /// Set by the caller to start no new file, and no next step of a file under way.
    pub cancel: Cancel,
}

/// Adds `sources` in parallel.
///
/// Without `keys`, each file becomes a new entry that stays *pending* (readable from its own
/// metadata, not yet sealed into the manifest) until a command with the passphrase checks and
/// seals it. With `keys`, the shared `pipeline` runs: earlier entries for the same path and
/// time are reused once checked against the file, the manifest is committed, and with
/// `opts.remove` each original is wiped after its entry was confirmed against it.
///
/// An error here is fatal (the manifest could not be written, no original was touched);
/// per-file problems go to `on_event`.
pub fn add_all(
    vault: &Vault,
    lock: &VaultLock,
    sources: &[Source],
    keys: Option<&Keys>,
    opts: &AddOptions,
    on_event: &(dyn Fn(AddEvent<'_>) + Sync),
) -> Result<AddSummary, Error> {
    assert!(
        !opts.remove || keys.is_some(),
        "removal needs a key to verify"
    );
    let Some(keys) = keys else {
        let added: Vec<Option<u64>> = sources
            .par_iter()
            .map(|s| {
                let result = if opts.cancel.is_cancelled() {
                    Err(ItemError::Interrupted)
                } else {
                    isolate::per_file(|| add_file(vault, lock, s, opts.strip))
                        .map_err(ItemError::Panicked)
                        .and_then(|r| r.map_err(ItemError::Vault))
                };
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
        strip: opts.strip,
        find: Find::ByPath,
        originals: if opts.remove {
            Originals::Wipe
        } else {
            Originals::Keep
        },
        wipe: crate::wipe::WipeOptions::default(),
        cancel: opts.cancel.clone(),
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
    let (outcomes, sealing) =
        pipeline::run(vault, lock, keys, &jobs, &settings, &on_stored, &finish)?;
    let mut summary = AddSummary {
        sealed: sealing.sealed,
        not_sealed: sealing.refused.len() as u64,
        ..AddSummary::default()
    };
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
