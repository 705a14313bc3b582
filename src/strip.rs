//! Stripping metadata, without re-encoding: from a file held in memory ([`strip()`]), or from
//! files on disk ([`collect`] the files under some paths, then [`run`] over them).
//!
//! A run on disk is a dry run, an in-place replacement or clean copies in another folder
//! ([`Mode`]). Files are stripped on all cores (or [`Options::threads`]); a clean file is
//! fsynced and renamed into place by a few threads at once, which the file system completes
//! together, and its folder is fsynced — once for many files — before the file is reported done.
//! Each file's [`Outcome`] reaches the caller's callback on the caller's thread.
//!
//! ```
//! use idvault::strip::{StripOptions, strip};
//!
//! // A small JPEG, then an APP1 segment holding an (empty) EXIF block right after its SOI.
//! let mut jpeg = Vec::new();
//! let pixels = image::RgbImage::from_pixel(16, 16, image::Rgb([200, 180, 40]));
//! image::codecs::jpeg::JpegEncoder::new(&mut jpeg).encode_image(&pixels).unwrap();
//! let exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0";
//! let mut app1 = vec![0xFF, 0xE1, 0, exif.len() as u8 + 2];
//! app1.extend_from_slice(exif);
//! jpeg.splice(2..2, app1);
//!
//! let clean = strip(&jpeg, &StripOptions::default()).unwrap();
//! assert_eq!(clean.bytes_removed(), exif.len() as u64 + 4);
//! assert_eq!(clean.data.len(), jpeg.len() - exif.len() - 4);
//! // Anything else than a known container is an error on that file, never a panic.
//! assert!(strip(b"not an image", &StripOptions::default()).is_err());
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::Cancel;
use crate::metadata::apply::{self, Committed, FolderSync, Step, Target};
use crate::scan::walk::{self, FileEntry, Walked};
use crate::scan::{Message, Severity, Warning};

pub use crate::media::limits::STRIP_MAX_BYTES as MAX_BYTES;
pub use crate::metadata::apply::{Outcome, Status, Summary};
pub use crate::metadata::{Removed, StripError, StripOptions, Stripped, VerifyLevel, strip};

/// Clean files waiting for their fsync and rename at most, and the threads doing those.
const COMMITS_IN_FLIGHT: usize = 8;

/// Renamed files whose folders are fsynced together.
const FOLDER_SYNC_BATCH: usize = 64;

/// What a run does with each file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Strips in memory and reports what would be removed; changes nothing.
    DryRun,
    /// Replaces each file atomically (temporary file, fsync, rename); permissions, owner and
    /// timestamps kept.
    InPlace,
    /// Writes clean copies into this folder, at each file's path below the root it was found
    /// under; never overwrites anything.
    CopyTo(PathBuf),
}

/// How [`run`] strips.
#[derive(Clone, Debug)]
pub struct Options {
    pub strip: StripOptions,
    pub mode: Mode,
    /// Threads stripping; 0 means one per core.
    pub threads: usize,
    /// Set by the caller to start no new file.
    pub cancel: Cancel,
}

/// The files under some paths, found by [`collect`].
#[derive(Debug)]
pub struct Files {
    entries: Vec<FileEntry>,
    /// Paths that could not be walked (each reported as an error warning).
    failed: u64,
    started: Instant,
}

impl Files {
    /// The files, in walk order.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.entries.iter().map(|f| f.path.as_path())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// What [`run`] reports as it goes, on the caller's thread.
#[derive(Debug)]
pub enum Event {
    /// A file of `size` bytes was stripped (and, on disk, renamed into place); its outcome
    /// follows once its folder is fsynced.
    Progress { size: u64 },
    /// A file is done.
    Done(Outcome),
}

/// Walks `paths` (never following a symlink, the paths themselves included, and leaving out
/// what `exclude` matches) for the files a [`run`] will strip. Notes and errors go to
/// `on_warning`; an error counts as a failed file in the run's summary.
pub fn collect(
    paths: &[PathBuf],
    exclude: walk::Exclude,
    cancel: &Cancel,
    mut on_warning: impl FnMut(Warning),
) -> Files {
    let started = Instant::now();
    for p in paths {
        if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) {
            on_warning(Warning {
                path: p.clone(),
                message: Message::SymlinkNotFollowed,
                severity: Severity::Note,
            });
        }
    }
    let filter = walk::Filter {
        exclude,
        root_links: walk::RootLinks::Skip,
    };
    let mut entries = Vec::new();
    let mut failed = 0;
    walk::walk(paths, false, &filter, |w| {
        match w {
            Walked::File(f) => entries.push(f),
            Walked::Warning(w) => {
                if w.severity == Severity::Error {
                    failed += 1;
                }
                on_warning(w);
            }
            Walked::Symlink => {}
            Walked::Leftover(path, _) => on_warning(walk::leftover_skipped(path)),
        }
        !cancel.is_cancelled()
    });
    Files {
        entries,
        failed,
        started,
    }
}

/// Strips `files` as `opts` says, handing each [`Event`] to `on_event` on this thread, and
/// returns the totals (the walk's failures included). Fails only when its threads cannot be
/// started; a file that cannot be stripped is a [`Status::Failed`] outcome and the run goes on.
pub fn run(
    files: &Files,
    opts: &Options,
    mut on_event: impl FnMut(Event),
) -> std::io::Result<Summary> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(std::io::Error::other)?;
    let mut summary = Summary {
        failed: files.failed,
        ..Summary::default()
    };
    let (step_tx, step_rx) = crossbeam_channel::bounded(COMMITS_IN_FLIGHT);
    let (tx, rx) = crossbeam_channel::bounded(64);
    std::thread::scope(|s| {
        s.spawn(move || {
            pool.install(|| {
                files
                    .entries
                    .par_iter()
                    .for_each_with(step_tx, |step_tx, f| {
                        if opts.cancel.is_cancelled() {
                            return;
                        }
                        let dest = match &opts.mode {
                            Mode::CopyTo(dir) => {
                                Some(copy_destination(dir, &f.path, &f.root.given))
                            }
                            _ => None,
                        };
                        let target = match (&opts.mode, &dest) {
                            (Mode::DryRun, _) => Target::DryRun,
                            (Mode::InPlace, _) => Target::InPlace,
                            (Mode::CopyTo(_), d) => {
                                Target::CopyTo(d.as_deref().unwrap_or(Path::new("")))
                            }
                        };
                        let _ = step_tx.send(apply::prepare(&f.path, &opts.strip, target));
                    });
            });
        });
        // Committing waits for the disk, not the CPU: these threads keep several fsyncs in
        // flight, which the file system completes together.
        for _ in 0..COMMITS_IN_FLIGHT {
            let (step_rx, tx) = (step_rx.clone(), tx.clone());
            s.spawn(move || {
                for step in step_rx {
                    let committed = match step {
                        Step::Done(o) => Committed::Done(o),
                        Step::Commit(pending) => pending.commit(),
                    };
                    if tx.send(committed).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut emit = |event: Event| {
            if let Event::Done(o) = &event {
                summary.add(o);
            }
            on_event(event);
        };
        // A renamed file is reported once its folder is fsynced, which happens once per
        // FOLDER_SYNC_BATCH files (and at the end) rather than once per file.
        let mut folders = FolderSync::default();
        for committed in rx {
            match committed {
                Committed::Done(o) => {
                    emit(Event::Progress { size: o.size });
                    emit(Event::Done(o));
                }
                Committed::Renamed(r) => {
                    emit(Event::Progress {
                        size: r.outcome().size,
                    });
                    folders.push(r);
                    if folders.len() >= FOLDER_SYNC_BATCH {
                        folders
                            .sync()
                            .into_iter()
                            .map(Event::Done)
                            .for_each(&mut emit);
                    }
                }
            }
        }
        if !folders.is_empty() {
            folders
                .sync()
                .into_iter()
                .map(Event::Done)
                .for_each(&mut emit);
        }
    });
    summary.elapsed = files.started.elapsed();
    Ok(summary)
}

/// Where the clean copy of `path` (found under `root`) goes in `dir`: the same path relative to
/// the root, or just the file name when the root is the file itself.
fn copy_destination(dir: &Path, path: &Path, root: &Path) -> PathBuf {
    match path.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => dir.join(rel),
        _ => dir.join(path.file_name().unwrap_or(path.as_os_str())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_keep_relative_paths() {
        let d = Path::new("/out");
        assert_eq!(
            copy_destination(d, Path::new("photos/a/b.jpg"), Path::new("photos")),
            Path::new("/out/a/b.jpg")
        );
        assert_eq!(
            copy_destination(d, Path::new("photos/b.jpg"), Path::new("photos/b.jpg")),
            Path::new("/out/b.jpg")
        );
    }
}
