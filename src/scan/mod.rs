//! The scan engine: walk the roots, classify every file on all cores while the walk goes on,
//! and deliver findings and warnings, in completion order, to the caller's thread.

pub(crate) mod archive;
pub(crate) mod classify;
#[cfg(feature = "content")]
pub(crate) mod content;
/// Without the `content` feature: only the cache of earlier scans' results, which also skips
/// unchanged files found clean before.
#[cfg(not(feature = "content"))]
pub(crate) mod content {
    // Its other half, what pixels showed, has nothing to record in this build.
    #[allow(dead_code)]
    pub mod cache;
}
pub(crate) mod finding;
pub(crate) mod signals;
pub(crate) mod walk;

use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::bounded;

use crate::Cancel;
use crate::dismissed::Marks;
use crate::isolate;
use finding::ContentStatus;

pub use crate::dismissed::Dismissed;
pub use crate::files::{FileId, Leftover};
pub use crate::media::sniff::FileType;
pub use archive::Member;
pub use finding::{Document, Kind, Reason, Risk, Verdict};
pub use walk::{Exclude, Filter, RootLinks};

/// What to scan and what to report.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    pub roots: Vec<PathBuf>,
    pub one_file_system: bool,
    /// Run content analysis (pixels) where it can change the verdict.
    pub content: bool,
    /// Findings below this confidence are not reported.
    pub min_confidence: f32,
    /// Only these kinds are reported; empty means all.
    pub kinds: Vec<Kind>,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Skip unchanged files an earlier scan found nothing in, and the content analysis of
    /// unchanged files whose pixels held nothing (see `content::cache`). `IDVAULT_NO_CACHE=1`
    /// turns it off too.
    pub cache: bool,
    /// Whether files marked "Not a document" (see [`Dismissed`]) are left out.
    pub dismissed: Dismissed,
    /// What the walk leaves out (`--exclude`); a symlinked root is followed by default.
    pub filter: walk::Filter,
    /// Whether the files inside zip and tar archives are looked at.
    pub archives: Archives,
    /// Set by the caller to stop the scan before its next file (see [`Cancel`]).
    pub cancel: Cancel,
}

/// Whether a scan looks into zip and tar archives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Archives {
    /// Every media file inside is judged; findings name the archive and the entry.
    #[default]
    LookInside,
    /// An archive is a file like any other (for `vault add`, which stores files as they are).
    Skip,
}

impl ScanOptions {
    /// Options that scan `roots` with the defaults.
    pub fn new(roots: Vec<PathBuf>) -> Self {
        ScanOptions {
            roots,
            one_file_system: false,
            content: true,
            min_confidence: 0.0,
            kinds: Vec::new(),
            threads: 0,
            cache: true,
            dismissed: Dismissed::Hide,
            filter: walk::Filter::default(),
            archives: Archives::LookInside,
            cancel: Cancel::new(),
        }
    }

    /// True when a finding with verdict `v` passes the confidence and kind filters.
    pub fn wants(&self, v: &Verdict) -> bool {
        v.confidence >= self.min_confidence
            && (self.kinds.is_empty() || self.kinds.contains(&v.kind))
    }
}

/// One sensitive file, or one sensitive entry of an archive.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The file on disk: for an archive's entry, the archive (what `secure` vaults whole).
    pub path: PathBuf,
    /// The type of the file found (for an archive's entry, of the entry).
    pub file_type: FileType,
    /// The file on disk.
    pub id: FileId,
    pub verdict: Verdict,
    /// Where in the archive at `path` the finding is; `None` for a file of its own.
    pub member: Option<archive::Member>,
}

/// How bad a warning is: errors (a file could not be read) and notes that a file was looked at
/// only in part set exit code 1; notes on files skipped on purpose do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Skipped on purpose, or nothing was missed (a symlink, a FIFO, a vanished file).
    Note,
    /// A note that the file was not fully looked at: its pixels could not be decoded, an
    /// archive could not be opened or read to its end. Shown as a note; the run exits 1.
    Incomplete,
    Error,
}

/// A problem with one path that did not stop the scan.
#[derive(Clone, Debug, PartialEq)]
pub struct Warning {
    pub path: PathBuf,
    pub message: Message,
    pub severity: Severity,
}

/// What a warning says, as a value: `report` words it through the message catalogue (English in
/// JSON, the command line's language for people). Raw: paths and texts are escaped where shown.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Message {
    /// Words from outside the catalogue: an OS or decoder error, a caught panic's text.
    Text(String),
    /// Worded by the command that reports it: English for JSON, and in the command line's
    /// language for people.
    Worded {
        en: String,
        local: String,
    },
    /// Part of an archive of `format` was not looked at; `at` is the entry or nested archive it
    /// concerns (empty: the archive itself).
    Archive {
        format: archive::Format,
        at: Vec<PathBuf>,
        problem: archive::ProblemKind,
    },
    /// The pixels of the file (or of the archive's entry `member`) were not analysed; `reason`
    /// is the analysis's own words.
    NotAnalysed {
        member: Option<Vec<PathBuf>>,
        reason: String,
    },
    /// One of idvault's leftovers, passed by.
    LeftoverSkipped,
    /// Named like one of idvault's leftovers, but not one idvault can prove it made: scanned
    /// like any file, never removed for its name.
    NotOurs,
    /// An idvault vault, not walked into.
    VaultSkipped,
    /// A FIFO, socket or device.
    NotRegular,
    SymlinkLoop,
    /// A path given on the command line that is a symlink, which a writing command never
    /// follows.
    SymlinkNotFollowed,
    /// A symlink whose target cannot be reached (the OS error).
    DanglingSymlink(String),
    /// Gone between the walk and the read.
    Vanished,
    /// A folder that could not be listed.
    FolderDenied,
    /// A file that could not be read (the OS error).
    CannotRead(String),
}

impl From<String> for Message {
    fn from(s: String) -> Self {
        Message::Text(s)
    }
}

/// What the scan reports as it goes.
#[derive(Debug)]
pub enum Event {
    Finding(Finding),
    Warning(Warning),
    /// A file idvault itself left when it was interrupted (not scanned; `secure` removes it).
    Leftover {
        path: PathBuf,
        kind: Leftover,
    },
    /// One more file was looked at: `files` in all, of which `content` went through content
    /// analysis (pixels analysed, known from the cache, or found not analysable).
    Progress {
        files: u64,
        content: u64,
    },
}

/// Totals at the end of a scan.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Regular files looked at (including `unchanged` ones).
    pub files: u64,
    /// Files not opened: unchanged at the same path since an earlier scan found nothing in them.
    /// Their content status is counted as before (`content_cached` for analysed ones).
    pub unchanged: u64,
    pub findings: u64,
    pub errors: u64,
    pub notes: u64,
    /// Of the notes, those saying a file was looked at only in part (exit code 1).
    pub incomplete: u64,
    pub symlinks_skipped: u64,
    /// idvault's own leftovers from an interrupted run (not scanned).
    pub leftovers: u64,
    /// Findings left out because the user marked the file "Not a document" (see
    /// [`Dismissed`]): hidden, but counted, so that a mark planted by someone else
    /// does not make a document vanish without a trace.
    pub hidden: u64,
    /// Folders skipped because they hold an idvault vault (each also named in a note), sorted.
    /// Not serialised here: the printers give these paths in their lossless form.
    #[serde(skip)]
    pub skipped_vaults: Vec<std::path::PathBuf>,
    /// Files whose pixels were decoded and looked at in this scan.
    pub content_analysed: u64,
    /// Of those, files whose text was read (OCR).
    pub content_ocr: u64,
    /// Files whose pixels are known from the cache to hold nothing, not analysed again.
    pub content_cached: u64,
    /// Media files whose pixels could not be analysed (no decoder, video, corrupt, too large).
    pub content_not_analysed: u64,
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
}

impl Summary {
    /// Files that were not read, or not fully looked at: what makes the exit code 1.
    pub fn failures(&self) -> u64 {
        self.errors + self.incomplete
    }
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

use serde::Serialize;

/// Walks and classifies; `on_event` runs on the calling thread.
pub fn scan(opts: &ScanOptions, mut on_event: impl FnMut(Event)) -> Summary {
    let start = Instant::now();
    let threads = match opts.threads {
        0 => thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let mut summary = Summary::default();
    let cache = (opts.cache && std::env::var_os("IDVAULT_NO_CACHE").is_none_or(|v| v == "0"))
        .then(content::cache::Cache::default_dir)
        .flatten()
        .and_then(|dir| content::cache::Cache::open(&dir));
    let cache = cache.as_ref();
    let marks = (opts.dismissed == Dismissed::Hide)
        .then(content::cache::Cache::default_dir)
        .flatten()
        .and_then(|dir| Marks::open_if_any(&dir));
    let marks = marks.as_ref();
    let (work_tx, work_rx) = bounded::<walk::FileEntry>(4 * threads);
    let (event_tx, event_rx) = bounded::<Outcome>(64 * threads);
    thread::scope(|s| {
        let walk_events = event_tx.clone();
        s.spawn(move || {
            walk::walk(&opts.roots, opts.one_file_system, &opts.filter, |w| {
                !opts.cancel.is_cancelled()
                    && match w {
                        walk::Walked::File(entry) => work_tx.send(entry).is_ok(),
                        walk::Walked::Warning(w) => walk_events.send(Outcome::Warning(w)).is_ok(),
                        walk::Walked::Symlink => walk_events.send(Outcome::Symlink).is_ok(),
                        walk::Walked::Leftover(path, kind) => {
                            walk_events.send(Outcome::Leftover(path, kind)).is_ok()
                        }
                    }
            });
        });
        for _ in 0..threads {
            let rx = work_rx.clone();
            let tx = event_tx.clone();
            s.spawn(move || {
                for entry in rx {
                    if opts.cancel.is_cancelled() {
                        return;
                    }
                    let out = isolate::per_file(|| classify_entry(&entry, opts, cache, marks))
                        .unwrap_or_else(|p| vec![Outcome::Warning(panic_warning(&entry, &p))]);
                    for o in out {
                        if tx.send(o).is_err() {
                            return;
                        }
                    }
                }
            });
        }
        // Only the workers hold receivers now: if every one of them is gone, the walk's next
        // send fails and the walk stops, so the loop below can never wait for ever.
        drop(work_rx);
        drop(event_tx);
        for out in event_rx {
            match out {
                Outcome::Done(c) => {
                    summary.files += 1;
                    summary.unchanged += u64::from(c.unchanged);
                    match c.content {
                        ContentStatus::Off => {}
                        ContentStatus::Analysed { ocr } => {
                            summary.content_analysed += 1;
                            summary.content_ocr += u64::from(ocr);
                        }
                        ContentStatus::Cached => summary.content_cached += 1,
                        ContentStatus::NotAnalysed => summary.content_not_analysed += 1,
                    }
                    for f in c.findings {
                        summary.findings += 1;
                        on_event(Event::Finding(f));
                    }
                    on_event(Event::Progress {
                        files: summary.files,
                        content: summary.content_analysed
                            + summary.content_cached
                            + summary.content_not_analysed,
                    });
                }
                Outcome::Warning(w) => {
                    if matches!(w.message, Message::VaultSkipped) {
                        summary.skipped_vaults.push(w.path.clone());
                    }
                    match w.severity {
                        Severity::Error => summary.errors += 1,
                        Severity::Note => summary.notes += 1,
                        Severity::Incomplete => {
                            summary.notes += 1;
                            summary.incomplete += 1;
                        }
                    }
                    on_event(Event::Warning(w));
                }
                Outcome::Symlink => summary.symlinks_skipped += 1,
                Outcome::Hidden => summary.hidden += 1,
                Outcome::Leftover(path, kind) => {
                    summary.leftovers += 1;
                    on_event(Event::Leftover { path, kind });
                }
            }
        }
    });
    if let Some(c) = cache {
        // A cache that cannot be written only makes the next scan slower.
        let _ = c.save();
    }
    summary.skipped_vaults.sort();
    summary.elapsed = start.elapsed();
    summary
}

/// What a scan will look at: found by a walk that reads only the first bytes of each file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Regular files (as [`Summary::files`] will count them).
    pub files: u64,
    /// Those of a type idvault reads (images, videos, PDFs, zip and gzip archives): with
    /// content analysis on, each goes on to it.
    pub media: u64,
}

/// Bytes read from each file for [`plan`]: every type is known from its first 18 bytes (BMP's
/// header size is the furthest [`sniff`](crate::media::sniff::sniff) looks to say whether it
/// knows a file); the rest of the head only tells HEIF, AVIF and MP4 brands apart.
const PLAN_HEAD: usize = 64;

/// Walks the roots as [`scan`] will and counts the files and the media files among them,
/// calling `on_file` with the counts so far after each file. Reads 64 bytes a file, so this
/// takes a small part of a scan's time (and warms the directory cache the scan walks again).
pub fn plan(opts: &ScanOptions, mut on_file: impl FnMut(&Plan)) -> Plan {
    let mut plan = Plan::default();
    walk::walk(&opts.roots, opts.one_file_system, &opts.filter, |w| {
        if let walk::Walked::File(entry) = w {
            plan.files += 1;
            // A file that cannot be read now is reported by the scan itself.
            let head = crate::fsutil::open_regular_nofollow(&entry.path)
                .and_then(|mut f| classify::read_head(&mut f, PLAN_HEAD));
            // Archives go to content analysis too (zip and gzip are told by their first bytes).
            if head.is_ok_and(|h| {
                crate::media::sniff::sniff(&h).is_some() || archive::sniff(&h).is_some()
            }) {
                plan.media += 1;
            }
            on_file(&plan);
        }
        !opts.cancel.is_cancelled()
    });
    plan
}

/// Classifies one file into the outcomes the collecting loop counts: a note, if any, then the
/// file's result.
fn classify_entry(
    entry: &walk::FileEntry,
    opts: &ScanOptions,
    cache: Option<&content::cache::Cache>,
    marks: Option<&Marks>,
) -> Vec<Outcome> {
    match classify::classify(entry, opts, cache) {
        Ok(mut c) => {
            let notes = std::mem::take(&mut c.notes);
            c.findings.retain(|f| opts.wants(&f.verdict));
            let wanted = c.findings.len();
            c.findings
                .retain(|f| !marks.is_some_and(|m| m.holds(&f.path)));
            let hidden = c.findings.len() < wanted;
            notes
                .into_iter()
                .map(Outcome::Warning)
                .chain(hidden.then_some(Outcome::Hidden))
                .chain([Outcome::Done(Box::new(c))])
                .collect()
        }
        Err(w) => vec![Outcome::Warning(w)],
    }
}

/// The error reported on a file whose handling panicked; the run goes on.
fn panic_warning(entry: &walk::FileEntry, panicked: &isolate::Panicked) -> Warning {
    Warning {
        path: entry.path.clone(),
        message: Message::Text(panicked.to_string()),
        severity: Severity::Error,
    }
}

enum Outcome {
    Done(Box<classify::Classified>),
    Warning(Warning),
    Symlink,
    /// A finding hidden by a "Not a document" mark.
    Hidden,
    Leftover(PathBuf, Leftover),
}
