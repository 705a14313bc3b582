//! `secure`: scan → plan, then the vault's one store–confirm–remove pipeline
//! (`vault::pipeline`, which `vault add --remove-originals` runs too) over the findings.
//!
//! The pipeline, per file, so that an interruption at any point leaves the file either
//! untouched or safely vaulted: hash the original and reuse an earlier run's entry only if it
//! truly holds the file (decrypted and compared with what idvault would store for it now),
//! else add it; commit the manifest; confirm the entry against the original; only then wipe,
//! delete or keep the original, and only if it is still the very file that was scanned.
//!
//! A wipe moves the file out of its name before overwriting it, so an interrupted wipe leaves a
//! `.idvault-wipe-…` leftover rather than a damaged file under the original name; the scan
//! reports such leftovers when their keyed mark proves idvault made them, and [`apply`]
//! finishes wiping them. A file that only carries the name is the user's: scanned, never wiped.

use std::path::{Path, PathBuf};

use crate::scan::{self, Event, Finding, ScanOptions, Summary, Warning};
use crate::vault::pipeline::{self, Find, Job, Settings, Stored, StoredEvent};
use crate::vault::{self, Detected, Entry, Keys, Source, StripPolicy, Vault, VaultLock};
use crate::wipe::{self, WipeOptions};

pub use crate::vault::pipeline::{ItemError, OriginalDone, Originals};

/// Everything `secure` needs besides the vault. `scan.cancel` stops the scan, the pipeline and
/// the wipes of leftovers alike.
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
    /// Findings the options leave out (another kind, or less sure), sorted by path: the plan
    /// says what they are and how to include them.
    pub left_out: Vec<Finding>,
    /// idvault's own leftovers under the roots (interrupted wipes, unfinished writes), each
    /// proved by its mark ([`crate::files::mark`]); [`apply`] finishes them. Files merely
    /// named so are not here: the scan scanned them and named them in a note.
    pub leftovers: Vec<PathBuf>,
    /// Files the scan could not read, and other notes.
    pub warnings: Vec<Warning>,
    pub scan: Summary,
}

/// Scans and plans. Changes nothing. `on_progress` hears the scan's progress: files looked at,
/// and how many of them went through content analysis.
pub fn plan(opts: &Options, on_progress: impl FnMut(u64, u64)) -> Plan {
    let mut items = Vec::new();
    let mut plan = plan_each(opts, |item| items.push(item), on_progress);
    items.sort_by(|a, b| a.finding.path.cmp(&b.finding.path));
    plan.items = items;
    plan
}

/// Scans and plans, giving each item to `on_item` as soon as the scan finds it (in no
/// particular order); the returned plan has every part but the items. Changes nothing.
pub fn plan_each(
    opts: &Options,
    mut on_item: impl FnMut(Item),
    mut on_progress: impl FnMut(u64, u64),
) -> Plan {
    let mut left_out = Vec::new();
    let mut leftovers = Vec::new();
    let mut warnings = Vec::new();
    let mut wanted = 0;
    let mut planner = wipe::Planner::new(opts.wipe.clone());
    // Scan for every kind at any confidence, so that what the options leave out is known.
    let wide = ScanOptions {
        kinds: Vec::new(),
        min_confidence: 0.0,
        ..opts.scan.clone()
    };
    // An archive with several findings is vaulted once, whole: the first of its findings (the
    // scan gives them together, the most confident first) stands for it.
    let mut archives = std::collections::HashSet::new();
    let mut summary = scan::scan(&wide, |event| match event {
        Event::Finding(finding) if !opts.scan.wants(&finding.verdict) => left_out.push(finding),
        Event::Finding(finding) => {
            wanted += 1;
            if finding.member.is_none() || archives.insert(finding.path.clone()) {
                let original = (opts.originals != Originals::Keep)
                    .then(|| planner.plan_expecting(&finding.path, &finding.id));
                on_item(Item { finding, original });
            }
        }
        // A wipe's partly overwritten leftover, or a temporary file (which may hold the
        // plaintext of an interrupted `vault extract`): both are wiped.
        Event::Leftover { path, .. } => leftovers.push(path),
        Event::Warning(w) => warnings.push(w),
        Event::Progress { files, content } => on_progress(files, content),
    });
    left_out.sort_by(|a: &Finding, b: &Finding| a.path.cmp(&b.path));
    summary.findings = wanted;
    leftovers.sort();
    Plan {
        items: Vec::new(),
        left_out,
        leftovers,
        warnings,
        scan: summary,
    }
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
    /// Earlier entries that claimed to hold this file but did not (planted or damaged); they
    /// were passed over.
    pub impostors: Vec<(Entry, vault::Error)>,
}

/// An interrupted wipe that was finished, or could not be.
#[derive(Debug)]
pub struct LeftoverOutcome<'a> {
    pub path: &'a Path,
    pub result: Result<(), wipe::WipeError>,
}

/// What [`apply`] did.
#[derive(Debug)]
pub struct Applied<'a> {
    /// One per plan item that was started, in completion order.
    pub outcomes: Vec<ItemOutcome<'a>>,
    /// Earlier runs' leftovers, finished or not.
    pub leftovers: Vec<LeftoverOutcome<'a>>,
    /// Vault entries checked against their metadata and sealed by this run's commit (this
    /// run's entries, and earlier ones added without the passphrase).
    pub sealed: u64,
}

/// Progress of [`apply`], reported as each step completes (from several threads).
pub enum Progress<'a> {
    Stored(&'a Finding),
    Done(&'a ItemOutcome<'a>),
}

/// Carries out `plan` into `vault` through the vault's pipeline. Needs the vault's keys:
/// entries are confirmed by decrypting them, and earlier runs' entries are recognised by their
/// encrypted hashes (and then confirmed against the file).
pub fn apply<'p>(
    plan: &'p Plan,
    vault: &Vault,
    keys: &Keys,
    lock: &VaultLock,
    opts: &Options,
    on_progress: impl Fn(Progress<'_>) + Sync,
) -> Result<Applied<'p>, vault::Error> {
    let jobs: Vec<Job> = plan
        .items
        .iter()
        .map(|item| Job {
            source: Source {
                path: item.finding.path.clone(),
                detected: Some(Detected::from(&item.finding.verdict)),
            },
            chosen: Some(item.finding.id),
            plan: item
                .original
                .as_ref()
                .and_then(|p| p.as_ref().ok())
                .cloned(),
        })
        .collect();
    let settings = Settings {
        strip: opts.strip,
        find: Find::ByContent,
        originals: opts.originals,
        wipe: opts.wipe.clone(),
        cancel: opts.scan.cancel.clone(),
    };
    let on_stored = |i: usize, _: StoredEvent<'_>| {
        on_progress(Progress::Stored(&plan.items[i].finding));
    };
    let finish = |i: usize, o: pipeline::Outcome| {
        let outcome = ItemOutcome {
            finding: &plan.items[i].finding,
            entry: o.entry,
            already_vaulted: matches!(o.stored, Some(Stored::Existing | Stored::Twin)),
            result: o.result,
            impostors: o.impostors,
        };
        on_progress(Progress::Done(&outcome));
        outcome
    };
    let (outcomes, sealing) =
        pipeline::run(vault, lock, keys, &jobs, &settings, &on_stored, &finish)?;
    // Interrupted wipes of earlier runs (proved idvault's own by the scan), finished now; after
    // Ctrl-C or SIGTERM they are left for the next run.
    let leftovers = plan
        .leftovers
        .iter()
        .take_while(|_| !opts.scan.cancel.is_cancelled())
        .map(|path| LeftoverOutcome {
            path,
            result: wipe::plan(path, &opts.wipe).and_then(|p| wipe::execute(&p).map(drop)),
        })
        .collect();
    Ok(Applied {
        outcomes,
        leftovers,
        sealed: sealing.sealed,
    })
}
