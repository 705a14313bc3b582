//! `idvault strip`: a dry run by default; `--apply` replaces files in place after confirmation;
//! `--output DIR` writes clean copies. The files are found and stripped by the library
//! ([`crate::strip`]); this command resolves the flags, asks, and reports each file as it
//! completes.

use std::io::{self, BufWriter};

use anyhow::{Context, bail};

use crate::Cancel;
use crate::cli::{GlobalArgs, Keep, StripArgs};
use crate::exit::ExitCode;
use crate::report::strip::StripReport;
use crate::scan::Severity;
use crate::strip::{self, Event, Mode, Status, StripOptions, VerifyLevel};
use crate::ui::prompt::{self, ConfirmPolicy, Confirmation};
use crate::ui::{color, progress};

pub fn run(global: &GlobalArgs, args: StripArgs, cancel: &Cancel) -> anyhow::Result<ExitCode> {
    for p in &args.paths {
        std::fs::symlink_metadata(p).with_context(|| format!("cannot strip {}", p.display()))?;
    }
    let keep = |k| args.keep.contains(&k) && !args.keep.contains(&Keep::None);
    let strip_opts = StripOptions {
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
            Mode::CopyTo(dir)
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
    // `-q` leaves failures only: no notes, no line per file, no summary (JSON keeps all).
    let quiet = global.quiet && !global.json;
    let exclude = super::scan::exclude(&args.exclude)?;
    let files = strip::collect(&args.paths, exclude, cancel, |w| {
        if !(quiet && w.severity == Severity::Note) {
            let _ = report.warning(&w);
        }
    });
    if mode == Mode::InPlace {
        // The whole plan before the question: every file that will change.
        let policy = ConfirmPolicy::from_yes_flag(args.yes);
        if policy == ConfirmPolicy::Ask && !quiet {
            report.plan_in_place(&files.paths().collect::<Vec<_>>())?;
        }
        let question = crate::i18n::tn("cli.strip.question", files.len() as u64, &[]);
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
    let opts = strip::Options {
        strip: strip_opts,
        mode,
        threads: args.threads,
        cancel: cancel.clone(),
    };
    let mut io_result = Ok(());
    let summary = strip::run(&files, &opts, |event| match event {
        Event::Progress { size } => bar.inc(size),
        Event::Done(outcome) => {
            let show = !quiet || outcome.status == Status::Failed;
            if show && io_result.is_ok() {
                io_result = bar.suspend(|| report.file(&outcome));
            }
        }
    })?;
    bar.finish_and_clear();
    io_result?;
    if !quiet {
        report.summary(&summary, opts.mode == Mode::DryRun, cancel.is_cancelled())?;
    }
    Ok(ExitCode::from_failures(summary.failed))
}
