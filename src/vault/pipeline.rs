//! The one pipeline that stores originals, checks each vault copy against its original, and
//! only then removes the original. `secure` and `vault add --remove-originals` both run it, so
//! the order below cannot drift between them:
//!
//! 1. **Find or store.** An entry that claims to hold the original already (same content for
//!    `secure`, same path and time for `vault add`: a re-run after an interruption) is used only
//!    if [`original::confirm`] shows that it does; a claim that fails the comparison (a planted
//!    or damaged entry) is passed over and the file is stored anew. Otherwise the file is added
//!    ([`super::store::add_file`]: strip in memory, encrypt, fsync, rename, fsync folders).
//! 2. **Commit** the manifest (sealed, when the passphrase unlocked the vault).
//! 3. **Confirm** the entry against the original as it is now: decrypt it and compare it with
//!    what idvault would store for the file now.
//! 4. **Dispose** of the original, only if it is still the very file that was chosen and
//!    compared: wipe it (overwrite, rename, unlink, thumbnails) or unlink it through the wipe's
//!    rename-check-unlink, or keep it.
//!
//! Each file's steps run inside [`crate::isolate::per_file`]: a panic on one file is an error
//! on that file and leaves its original where it was. After Ctrl-C or SIGTERM no step starts
//! (the ones under way finish, and new entries are still committed): every original is left as
//! it was, or has a complete vault entry that was verified before it was touched.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

use rayon::prelude::*;

use super::original::{self, StripPolicy};
use super::store::{Added, Source, add_file, sha256_file};
use super::{Entry, EntryId, Error, Keys, Sealing, Vault, VaultLock};
use crate::Cancel;
use crate::files::FileId;
use crate::i18n::{Catalog, Lang};
use crate::isolate::{self, Panicked};
use crate::wipe::{self, WipeError, WipeOptions};

/// What happens to an original once its vault copy is confirmed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Originals {
    /// Overwrite, rename and unlink it, and wipe its thumbnails (the default).
    #[default]
    Wipe,
    /// Rename and unlink it without overwriting, and wipe its thumbnails (`--delete-originals`).
    Delete,
    /// Leave it where it is (`--keep-originals`, or `vault add` without `--remove-originals`).
    Keep,
}

/// How earlier entries holding a file are looked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Find {
    /// Entries whose original had the same path and modification time (`vault add`).
    ByPath,
    /// Entries whose original had the same SHA-256, wherever it was (`secure`); two files of
    /// one run with the same content share one entry.
    ByContent,
}

/// One original to secure.
#[derive(Clone, Debug)]
pub struct Job {
    pub source: Source,
    /// The identity the file had when it was chosen (scanned); it is disposed of only if it
    /// still has it.
    pub chosen: Option<FileId>,
    /// A wipe plan made earlier (and shown), reused if it is still for the confirmed file.
    pub plan: Option<wipe::Plan>,
}

/// How the pipeline runs.
#[derive(Clone, Debug)]
pub struct Settings {
    pub strip: StripPolicy,
    pub find: Find,
    pub originals: Originals,
    pub wipe: WipeOptions,
    /// Set by the caller to stop before any job's next step.
    pub cancel: Cancel,
}

/// How an entry came to hold a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Added by this run.
    New,
    /// An earlier run's entry, confirmed against the file.
    Existing,
    /// The same content as an earlier file of this run: it shares that file's entry.
    Twin,
}

/// Why one original could not be secured. In every case the original was left untouched.
/// Worded by the message catalogue (`cli.vault.item.*`): [`ItemError::text_in`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ItemError {
    #[error("{}", self.text_in(Lang::En))]
    Vault(Error),
    #[error("{}", self.text_in(Lang::En))]
    Verify(Error),
    #[error("{}", self.text_in(Lang::En))]
    OriginalChanged,
    #[error("{}", self.text_in(Lang::En))]
    TwinNotStored,
    #[error("{}", self.text_in(Lang::En))]
    Wipe(WipeError),
    #[error("{}", self.text_in(Lang::En))]
    Delete(WipeError),
    #[error("{}", self.text_in(Lang::En))]
    Panicked(Panicked),
    /// Ctrl-C or SIGTERM came first: the file's remaining steps were not started.
    #[error("{}", self.text_in(Lang::En))]
    Interrupted,
}

impl ItemError {
    /// The error in `lang`, with the vault's or the wipe's own error in it.
    pub fn text_in(&self, lang: Lang) -> String {
        let (key, error) = match self {
            ItemError::Vault(e) => ("vault", e.text_in(lang)),
            ItemError::Verify(e) => ("verify", e.text_in(lang)),
            ItemError::OriginalChanged => ("original_changed", String::new()),
            ItemError::TwinNotStored => ("twin_not_stored", String::new()),
            ItemError::Wipe(e) => ("wipe", e.text_in(lang)),
            ItemError::Delete(e) => ("delete", e.text_in(lang)),
            ItemError::Panicked(p) => return p.to_string(),
            ItemError::Interrupted => ("interrupted", String::new()),
        };
        Catalog::get_or_load().get(lang, &format!("cli.vault.item.{key}"), &[("error", &error)])
    }
}

/// Stops a job's next step once Ctrl-C or SIGTERM was received: the steps under way finish,
/// none starts, so each original is left as it was or has a complete, verified vault copy.
fn not_interrupted(cancel: &Cancel) -> Result<(), ItemError> {
    if cancel.is_cancelled() {
        Err(ItemError::Interrupted)
    } else {
        Ok(())
    }
}

/// What happened to an original.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginalDone {
    /// Overwritten, renamed and unlinked, with `thumbnails` desktop thumbnails of it.
    Wiped {
        thumbnails: usize,
    },
    /// Renamed and unlinked without overwriting, with `thumbnails` thumbnails wiped.
    Deleted {
        thumbnails: usize,
    },
    Kept,
}

impl fmt::Display for OriginalDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (word, n) = match self {
            OriginalDone::Wiped { thumbnails } => ("wiped", *thumbnails),
            OriginalDone::Deleted { thumbnails } => ("deleted", *thumbnails),
            OriginalDone::Kept => ("kept", 0),
        };
        match n {
            0 => f.write_str(word),
            1 => write!(f, "{word}, with 1 thumbnail"),
            n => write!(f, "{word}, with {n} thumbnails"),
        }
    }
}

/// The outcome for one job.
#[derive(Debug)]
pub struct Outcome {
    /// The entry now holding the file, if it got that far.
    pub entry: Option<Entry>,
    pub stored: Option<Stored>,
    pub result: Result<OriginalDone, ItemError>,
    /// Earlier entries that claimed to hold the file but did not (planted or damaged).
    pub impostors: Vec<(Entry, Error)>,
}

/// What `on_stored` hears about a job after step 1.
#[derive(Debug)]
pub enum StoredEvent<'a> {
    /// The entry holding the file: new, or an earlier one confirmed against it.
    Entry(&'a Entry, Stored),
    /// The file shares the entry of an earlier file of this run (known once committed).
    Twin,
    /// No entry could be made; the original is untouched.
    Failed(&'a ItemError),
}

/// Entries that claimed to hold a file but failed the comparison with it.
type Impostors = Vec<(Entry, Error)>;

/// A job after step 1: where it stands, the impostors met, and its hash (`Find::ByContent`).
struct First {
    step: Step1,
    impostors: Impostors,
    hash: Option<String>,
}

/// Where a job stands after step 1.
enum Step1 {
    New(Added),
    /// With the identity the file had while it was compared.
    Existing(Entry, FileId),
    Twin,
    Failed(ItemError),
}

/// Runs the pipeline over `jobs`. `on_stored` is told when a job's entry exists (or could not
/// be made; a twin's entry is not known yet), `finish` turns each job's [`Outcome`] into the
/// caller's value as soon as it is known (both from several threads). An error here is fatal
/// (the manifest could not be read or written, or it was rolled back or forged) and no
/// original has been touched by then. Entries that fail their check while being sealed are
/// left unsealed; `verify` names them. Also returns what the manifest commit sealed.
pub fn run<T: Send>(
    vault: &Vault,
    lock: &VaultLock,
    keys: &Keys,
    jobs: &[Job],
    settings: &Settings,
    on_stored: &(dyn Fn(usize, StoredEvent<'_>) + Sync),
    finish: &(dyn Fn(usize, Outcome) -> T + Sync),
) -> Result<(Vec<T>, Sealing), Error> {
    let index = vault.index(keys)?;
    let hashes: Vec<Option<Result<String, Error>>> = jobs
        .par_iter()
        .map(|job| {
            (settings.find == Find::ByContent && !settings.cancel.is_cancelled())
                .then(|| sha256_file(&job.source.path).map(|d| d.sha256))
        })
        .collect();
    let mut first_with_hash: HashMap<String, usize> = HashMap::new();
    for (i, h) in hashes.iter().enumerate() {
        if let Some(Ok(h)) = h {
            first_with_hash.entry(h.clone()).or_insert(i);
        }
    }
    let step1: Vec<First> = jobs
        .par_iter()
        .zip(hashes)
        .enumerate()
        .map(|(i, (job, hash))| {
            let (hash, unreadable) = match hash {
                Some(Err(e)) => (None, Some(e)),
                Some(Ok(h)) => (Some(h), None),
                None => (None, None),
            };
            let (step, impostors) = match (unreadable, not_interrupted(&settings.cancel)) {
                (_, Err(stop)) => (Step1::Failed(stop), Vec::new()),
                (Some(e), Ok(())) => (Step1::Failed(ItemError::Vault(e)), Vec::new()),
                (None, Ok(())) => {
                    let twin = hash
                        .as_ref()
                        .is_some_and(|h| first_with_hash.get(h) != Some(&i));
                    isolate::per_file(|| {
                        find_or_store(
                            vault,
                            lock,
                            keys,
                            &index,
                            job,
                            hash.as_deref(),
                            twin,
                            settings,
                        )
                    })
                    .unwrap_or_else(|p| (Step1::Failed(ItemError::Panicked(p)), Vec::new()))
                }
            };
            match &step {
                Step1::New(a) => on_stored(i, StoredEvent::Entry(&a.entry, Stored::New)),
                Step1::Existing(e, _) => on_stored(i, StoredEvent::Entry(e, Stored::Existing)),
                Step1::Twin => on_stored(i, StoredEvent::Twin),
                Step1::Failed(e) => on_stored(i, StoredEvent::Failed(e)),
            }
            First {
                step,
                impostors,
                hash,
            }
        })
        .collect();
    // Entries caught claiming a file they do not hold are never sealed, whatever else they
    // agree with.
    let impostors: BTreeSet<EntryId> = step1
        .iter()
        .flat_map(|f| f.impostors.iter().map(|(e, _)| e.id.clone()))
        .collect();
    let sealing =
        if step1.iter().any(|f| matches!(f.step, Step1::New(_))) || !index.unsealed.is_empty() {
            vault.commit_manifest(lock, keys, &impostors)?
        } else {
            Sealing::default()
        };
    // Twins find their entry in the index as committed.
    let index = if step1.iter().any(|f| matches!(f.step, Step1::Twin)) {
        vault.index(keys)?
    } else {
        index
    };
    let outcomes = jobs
        .par_iter()
        .zip(step1)
        .enumerate()
        .map(|(i, (job, first))| {
            let outcome = isolate::per_file(|| complete(vault, keys, &index, job, first, settings))
                .unwrap_or_else(|p| Outcome {
                    entry: None,
                    stored: None,
                    result: Err(ItemError::Panicked(p)),
                    impostors: Vec::new(),
                });
            finish(i, outcome)
        })
        .collect();
    Ok((outcomes, sealing))
}

/// Step 1 for one job: an earlier entry that truly holds the file, else (for a file whose
/// content an earlier job of this run has) a twin, else a new entry. Also returns the entries
/// that claimed the file but failed the comparison.
#[allow(clippy::too_many_arguments)]
fn find_or_store(
    vault: &Vault,
    lock: &VaultLock,
    keys: &Keys,
    index: &super::Index,
    job: &Job,
    hash: Option<&str>,
    twin: bool,
    settings: &Settings,
) -> (Step1, Impostors) {
    let path = &job.source.path;
    let mut impostors = Vec::new();
    let claims: Vec<&Entry> = match hash {
        Some(h) => index.by_original_hash(h).collect(),
        None => claims_by_path(index, path),
    };
    for claim in claims {
        match original::confirm(vault, keys, claim, path) {
            Ok(seen) => return (Step1::Existing(claim.clone(), seen), impostors),
            Err(e) => impostors.push((claim.clone(), e)),
        }
    }
    if twin {
        return (Step1::Twin, impostors);
    }
    let step = match add_file(vault, lock, &job.source, settings.strip) {
        Ok(added) => Step1::New(added),
        Err(e) => Step1::Failed(ItemError::Vault(e)),
    };
    (step, impostors)
}

/// Entries whose original had this path and the file's current modification time.
fn claims_by_path<'a>(index: &'a super::Index, path: &Path) -> Vec<&'a Entry> {
    use std::os::unix::fs::MetadataExt;
    let Ok(abs) = std::path::absolute(path) else {
        return Vec::new();
    };
    let abs = super::StoredPath::new(&abs);
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Vec::new();
    };
    index
        .entries
        .iter()
        .filter(|e| {
            e.original.as_ref() == Some(&abs)
                && (e.mtime, i64::from(e.mtime_nsec)) == (meta.mtime(), meta.mtime_nsec())
        })
        .collect()
}

/// Steps 3 and 4 for one job.
fn complete(
    vault: &Vault,
    keys: &Keys,
    index: &super::Index,
    job: &Job,
    first: First,
    settings: &Settings,
) -> Outcome {
    let First {
        step,
        mut impostors,
        hash,
    } = first;
    let path = &job.source.path;
    let mut outcome = Outcome {
        entry: None,
        stored: None,
        result: Ok(OriginalDone::Kept),
        impostors: Vec::new(),
    };
    // The entry, and the identity of the original while it was compared with it.
    let confirmed = match step {
        Step1::Failed(e) => Err(e),
        Step1::Existing(entry, seen) => {
            outcome.stored = Some(Stored::Existing);
            outcome.entry = Some(entry);
            Ok(seen)
        }
        Step1::New(added) => {
            outcome.stored = Some(Stored::New);
            let checked = not_interrupted(&settings.cancel)
                .and_then(|()| {
                    original::confirm(vault, keys, &added.entry, path).map_err(ItemError::Verify)
                })
                .and_then(|seen| {
                    // Still the very file that was read into the vault.
                    if seen == added.original_id() {
                        Ok(seen)
                    } else {
                        Err(ItemError::OriginalChanged)
                    }
                });
            outcome.entry = Some(added.entry);
            checked
        }
        Step1::Twin => {
            outcome.stored = Some(Stored::Twin);
            let h = hash.unwrap_or_default();
            not_interrupted(&settings.cancel).and_then(|()| {
                for claim in index.by_original_hash(&h) {
                    match original::confirm(vault, keys, claim, path) {
                        Ok(seen) => {
                            outcome.entry = Some(claim.clone());
                            return Ok(seen);
                        }
                        Err(e) => impostors.push((claim.clone(), e)),
                    }
                }
                Err(ItemError::TwinNotStored)
            })
        }
    };
    outcome.impostors = impostors;
    outcome.result = confirmed.and_then(|seen| {
        if job.chosen.is_some_and(|chosen| chosen != seen) {
            return Err(ItemError::OriginalChanged);
        }
        dispose(job, &seen, settings)
    });
    outcome
}

/// Step 4: acts on an original whose vault copy was confirmed while it had identity `seen`.
fn dispose(job: &Job, seen: &FileId, settings: &Settings) -> Result<OriginalDone, ItemError> {
    let plan = || match &job.plan {
        Some(p) if p.id == *seen => Ok(p.clone()),
        _ => wipe::plan_expecting(&job.source.path, seen, &settings.wipe),
    };
    match settings.originals {
        Originals::Keep => Ok(OriginalDone::Kept),
        _ if settings.cancel.is_cancelled() => Err(ItemError::Interrupted),
        Originals::Wipe => {
            let out = plan()
                .and_then(|p| wipe::execute(&p))
                .map_err(ItemError::Wipe)?;
            Ok(OriginalDone::Wiped {
                thumbnails: out.thumbnails_removed.len(),
            })
        }
        Originals::Delete => {
            let out = plan()
                .and_then(|p| wipe::execute_unlink(&p))
                .map_err(ItemError::Delete)?;
            Ok(OriginalDone::Deleted {
                thumbnails: out.thumbnails_removed.len(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::PathBuf;

    use sha2::{Digest, Sha256};

    use super::*;
    use crate::wipe::LinkPolicy;

    const DOC: &[u8] = b"an identity document, stored whole";

    fn settings(find: Find, originals: Originals) -> Settings {
        Settings {
            strip: StripPolicy::Strip,
            find,
            originals,
            wipe: WipeOptions {
                passes: 1,
                links: LinkPolicy::Refuse,
                thumbnails: None,
            },
            cancel: Cancel::new(),
        }
    }

    fn job(path: &Path, chosen: Option<FileId>) -> Job {
        Job {
            source: Source::new(path.to_path_buf()),
            chosen,
            plan: None,
        }
    }

    /// Runs the pipeline over `jobs` in a fresh vault in `t`; gives the outcomes in job order.
    fn run_in(vault: &Vault, keys: &Keys, jobs: &[Job], settings: &Settings) -> Vec<Outcome> {
        let lock = crate::testutil::lock(vault);
        let (outcomes, _) = run(vault, &lock, keys, jobs, settings, &|_, _| {}, &|i, o| {
            (i, o)
        })
        .unwrap();
        let mut outcomes = outcomes;
        outcomes.sort_by_key(|(i, _)| *i);
        outcomes.into_iter().map(|(_, o)| o).collect()
    }

    fn file(t: &Path, name: &str, bytes: &[u8]) -> (PathBuf, FileId) {
        let p = t.join(name);
        fs::write(&p, bytes).unwrap();
        let id = FileId::of(&fs::metadata(&p).unwrap());
        (p, id)
    }

    #[test]
    fn an_original_is_wiped_once_its_new_entry_is_confirmed_to_hold_it() {
        let t = tempfile::tempdir().unwrap();
        let (vault, keys) = crate::testutil::vault(t.path());
        let (p, id) = file(t.path(), "id.bin", DOC);
        let out = run_in(
            &vault,
            &keys,
            &[job(&p, Some(id))],
            &settings(Find::ByContent, Originals::Wipe),
        );
        let o = &out[0];
        assert!(
            matches!(o.result, Ok(OriginalDone::Wiped { .. })),
            "{:?}",
            o.result
        );
        assert_eq!(o.stored, Some(Stored::New));
        assert!(!p.exists());
        let entry = o.entry.as_ref().unwrap();
        vault.verify_entry(entry, &keys).unwrap();
        assert_eq!(entry.sha256, crate::fsutil::hex(&Sha256::digest(DOC)));
        assert_eq!(entry.size, DOC.len() as u64);
    }

    #[test]
    fn an_original_that_is_no_longer_the_file_chosen_is_kept() {
        let t = tempfile::tempdir().unwrap();
        let (vault, keys) = crate::testutil::vault(t.path());
        let (p, id) = file(t.path(), "id.bin", DOC);
        // Chosen (scanned, shown in the plan) as another file: say, before it was rewritten.
        let chosen = FileId {
            mtime_ns: id.mtime_ns - 1,
            ..id
        };
        for originals in [Originals::Wipe, Originals::Delete] {
            let out = run_in(
                &vault,
                &keys,
                &[job(&p, Some(chosen))],
                &settings(Find::ByContent, originals),
            );
            assert!(
                matches!(out[0].result, Err(ItemError::OriginalChanged)),
                "{:?}",
                out[0].result
            );
            assert_eq!(fs::read(&p).unwrap(), DOC);
        }
    }

    #[test]
    fn a_hard_linked_original_is_never_wiped() {
        let t = tempfile::tempdir().unwrap();
        let (vault, keys) = crate::testutil::vault(t.path());
        let (p, id) = file(t.path(), "id.bin", DOC);
        let twin = t.path().join("also-id.bin");
        fs::hard_link(&p, &twin).unwrap();
        let out = run_in(
            &vault,
            &keys,
            &[job(&p, None)],
            &settings(Find::ByContent, Originals::Wipe),
        );
        assert!(
            matches!(
                out[0].result,
                Err(ItemError::Wipe(WipeError::HardLinked { names: 2 }))
            ),
            "{:?}",
            out[0].result
        );
        assert_eq!(fs::read(&p).unwrap(), DOC);
        assert_eq!(fs::read(&twin).unwrap(), DOC);
        assert_eq!(
            id.ino,
            fs::metadata(&p).map(|m| FileId::of(&m).ino).unwrap()
        );
    }

    #[test]
    fn keep_keeps_the_original_after_storing_it() {
        let t = tempfile::tempdir().unwrap();
        let (vault, keys) = crate::testutil::vault(t.path());
        let (p, id) = file(t.path(), "id.bin", DOC);
        let out = run_in(
            &vault,
            &keys,
            &[job(&p, Some(id))],
            &settings(Find::ByContent, Originals::Keep),
        );
        assert!(
            matches!(out[0].result, Ok(OriginalDone::Kept)),
            "{:?}",
            out[0].result
        );
        assert!(out[0].entry.is_some());
        assert_eq!(fs::read(&p).unwrap(), DOC);
    }

    #[test]
    fn an_earlier_entry_that_does_not_hold_the_file_now_is_passed_over() {
        // `vault add` finds earlier entries by path and modification time: one whose bytes are
        // not the file's (it was rewritten in place, times kept; or the entry was planted) is
        // an impostor, and the file gets an entry of its own before it is removed.
        let t = tempfile::tempdir().unwrap();
        let (vault, keys) = crate::testutil::vault(t.path());
        let (p, _) = file(t.path(), "id.bin", DOC);
        let lock = crate::testutil::lock(&vault);
        let earlier = add_file(&vault, &lock, &Source::new(p.clone()), StripPolicy::Strip).unwrap();
        drop(lock);
        let mtime = fs::metadata(&p).unwrap().modified().unwrap();
        let mut rewritten = DOC.to_vec();
        rewritten[0] ^= 1;
        fs::write(&p, &rewritten).unwrap();
        fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let out = run_in(
            &vault,
            &keys,
            &[job(&p, None)],
            &settings(Find::ByPath, Originals::Wipe),
        );
        let o = &out[0];
        assert_eq!(o.impostors.len(), 1, "{:?}", o.impostors);
        assert_eq!(o.impostors[0].0.id, earlier.entry.id);
        assert_eq!(o.stored, Some(Stored::New));
        let entry = o.entry.as_ref().unwrap();
        assert_eq!(
            entry.sha256,
            crate::fsutil::hex(&Sha256::digest(&rewritten))
        );
        assert!(
            matches!(o.result, Ok(OriginalDone::Wiped { .. })),
            "{:?}",
            o.result
        );
    }
}
