//! `idvault strip`: a dry run by default; `--apply` replaces files in place after confirmation;
//! `--output DIR` writes clean copies. Files are stripped on all cores; results are reported on
//! this thread as they complete.

use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use rayon::prelude::*;

use idvault::metadata::apply::{
    self, Committed, FolderSync, Outcome, Status, Step, Summary, Target,
};
use idvault::metadata::{StripOptions, VerifyLevel};
use idvault::report::strip::StripReport;
use idvault::scan::walk::{self, Walked};
use idvault::scan::{Severity, Warning};
use idvault::ui::prompt::{self, ConfirmPolicy, Confirmation};
use idvault::ui::{color, progress};

use crate::cli::{GlobalArgs, Keep, StripArgs};
use crate::exit::ExitCode;

/// Clean files waiting for their fsync and rename at most, and the threads doing those.
const COMMITS_IN_FLIGHT: usize = 8;

/// Renamed files whose folders are fsynced together.
const FOLDER_SYNC_BATCH: usize = 64;

/// How the run treats files.
enum Mode {
    DryRun,
    InPlace,
    Copy(PathBuf),
}

pub fn run(global: &GlobalArgs, args: StripArgs) -> anyhow::Result<ExitCode> {
    for p in &args.paths {
        std::fs::symlink_metadata(p).with_context(|| format!("cannot strip {}", p.display()))?;
    }
    let keep = |k| args.keep.contains(&k) && !args.keep.contains(&Keep::None);
    let opts = StripOptions {
        keep_orientation: keep(Keep::Orientation),
        keep_icc: keep(Keep::Icc),
        verify: if args.verify_pixels {
            VerifyLevel::Pixels
        } else {
            VerifyLevel::Structure
        },
    };
    let mode = match (args.output, args.apply) {
        (Some(dir), _) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            Mode::Copy(dir)
        }
        (None, true) => Mode::InPlace,
        (None, false) => Mode::DryRun,
    };
    let colored = color::enabled(global.color, color::stdout_is_tty()) && !global.json;
    let mut report = StripReport::new(
        BufWriter::new(io::stdout().lock()),
        global.json,
        color::Palette::new(colored),
    );
    report.begin()?;
    let start = Instant::now();
    let mut summary = Summary::default();
    let mut files = Vec::new();
    // `-q` leaves failures only: no notes, no line per file, no summary (JSON keeps all).
    let quiet = global.quiet && !global.json;
    for p in &args.paths {
        if !quiet && std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) {
            report.warning(&Warning {
                path: p.clone(),
                message: idvault::report::text::worded("cli.note.symlink_not_followed", &[]),
                severity: Severity::Note,
            })?;
        }
    }
    let filter = walk::Filter {
        exclude: super::scan::exclude(&args.exclude)?,
        root_links: walk::RootLinks::Skip,
    };
    walk::walk(&args.paths, false, &filter, |w| {
        match w {
            Walked::File(f) => files.push(f),
            Walked::Warning(w) => {
                if w.severity == Severity::Error {
                    summary.failed += 1;
                }
                if !(quiet && w.severity == Severity::Note) {
                    let _ = report.warning(&w);
                }
            }
            Walked::Symlink => {}
            Walked::Leftover(path, _) => {
                if !quiet {
                    let _ = report.warning(&walk::leftover_skipped(path));
                }
            }
        }
        true
    });
    if matches!(mode, Mode::InPlace) {
        // The whole plan before the question: every file that will change.
        let policy = ConfirmPolicy::from_yes_flag(args.yes);
        if policy == ConfirmPolicy::Ask && !quiet {
            let paths: Vec<&Path> = files.iter().map(|f| f.path.as_path()).collect();
            report.plan_in_place(&paths)?;
        }
        let question = idvault::i18n::tn("cli.strip.question", files.len() as u64, &[]);
        match report.confirm(policy, &question)? {
            Confirmation::Yes => {}
            Confirmation::No => {
                report.declined()?;
                return Ok(ExitCode::PartialFailure);
            }
            Confirmation::CannotAsk => bail!(prompt::CannotAsk {
                action: "strip_in_place"
            }),
        }
    }

    let bar = progress::files(
        progress::wanted(global.quiet, global.json),
        files.len() as u64,
        colored,
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()?;
    let (step_tx, step_rx) = crossbeam_channel::bounded(COMMITS_IN_FLIGHT);
    let (tx, rx) = crossbeam_channel::bounded(64);
    let mut io_result = Ok(());
    std::thread::scope(|s| {
        let mode = &mode;
        let files = &files;
        s.spawn(move || {
            pool.install(|| {
                files.par_iter().for_each_with(step_tx, |step_tx, f| {
                    // After Ctrl-C or SIGTERM no new file is started (idvault::interrupt).
                    if idvault::interrupt::requested() {
                        return;
                    }
                    let dest = match mode {
                        Mode::Copy(dir) => Some(copy_destination(dir, &f.path, &f.root.given)),
                        _ => None,
                    };
                    let target = match (mode, &dest) {
                        (Mode::DryRun, _) => Target::DryRun,
                        (Mode::InPlace, _) => Target::InPlace,
                        (Mode::Copy(_), d) => Target::CopyTo(d.as_deref().unwrap_or(Path::new(""))),
                    };
                    let _ = step_tx.send(apply::prepare(&f.path, &opts, target));
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
        let mut done = |outcome: Outcome| {
            summary.add(&outcome);
            let show = !quiet || outcome.status == Status::Failed;
            if show && io_result.is_ok() {
                io_result = bar.suspend(|| report.file(&outcome));
            }
        };
        // A renamed file is reported once its folder is fsynced, which happens once per
        // FOLDER_SYNC_BATCH files (and at the end) rather than once per file.
        let mut folders = FolderSync::default();
        for committed in rx {
            match committed {
                Committed::Done(o) => {
                    bar.inc(o.size);
                    done(o);
                }
                Committed::Renamed(r) => {
                    bar.inc(r.outcome().size);
                    folders.push(r);
                    if folders.len() >= FOLDER_SYNC_BATCH {
                        folders.sync().into_iter().for_each(&mut done);
                    }
                }
            }
        }
        folders.sync().into_iter().for_each(&mut done);
    });
    bar.finish_and_clear();
    io_result?;
    summary.elapsed = start.elapsed();
    if !quiet {
        report.summary(
            &summary,
            matches!(mode, Mode::DryRun),
            idvault::interrupt::requested(),
        )?;
    }
    Ok(ExitCode::from_failures(summary.failed))
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
