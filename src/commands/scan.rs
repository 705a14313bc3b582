//! `idvault scan`.

use std::io::{self, BufWriter};

use crate::Cancel;
use crate::i18n::t;
use crate::report::scan::ScanReport;
use crate::scan::{self, Event, ScanOptions};
use crate::ui::{color, progress};

use crate::cli::{ExcludeArgs, GlobalArgs, ScanArgs};
use crate::exit::ExitCode;

pub fn run(global: &GlobalArgs, args: ScanArgs, cancel: &Cancel) -> anyhow::Result<ExitCode> {
    for p in &args.paths {
        std::fs::symlink_metadata(p).map_err(|e| cannot_scan(p, &e))?;
    }
    let opts = ScanOptions {
        roots: args.paths,
        one_file_system: args.one_file_system,
        content: !args.no_content,
        min_confidence: args.min_confidence,
        kinds: args.kind,
        threads: args.threads,
        cache: !args.no_cache,
        dismissed: crate::dismissed::Dismissed::Hide,
        filter: scan::walk::Filter {
            exclude: exclude(&args.exclude)?,
            root_links: scan::walk::RootLinks::Follow,
        },
        archives: scan::Archives::LookInside,
        cancel: cancel.clone(),
    };
    let colored = color::enabled(global.color, color::stdout_is_tty()) && !global.json;
    let palette = color::Palette::new(colored);
    let bar = bars(global, &opts, colored);
    let mut report = ScanReport::new(BufWriter::new(io::stdout().lock()), global.json, palette);
    report.begin()?;
    let mut io_result = Ok(());
    let summary = scan::scan(&opts, |event| {
        if io_result.is_err() {
            return;
        }
        io_result = match event {
            Event::Finding(f) => bar.suspend(|| report.finding(&f)),
            Event::Warning(w) => bar.suspend(|| report.warning(&w)),
            Event::Leftover { path, kind } => bar.suspend(|| report.leftover(&path, kind)),
            Event::Progress { files, content } => {
                bar.set(files, content);
                Ok(())
            }
        };
    });
    bar.finish_and_clear();
    io_result?;
    if !global.quiet || global.json {
        report.summary(&summary, cancel.is_cancelled())?;
    }
    Ok(ExitCode::from_failures(summary.failures()))
}

/// The compiled `--exclude` globs of any command that walks; an invalid one is a usage error.
pub(crate) fn exclude(args: &ExcludeArgs) -> anyhow::Result<scan::walk::Exclude> {
    scan::walk::Exclude::new(&args.exclude).map_err(|e| anyhow::anyhow!("invalid --exclude: {e}"))
}

/// The progress bars of a scan with `opts` (hidden with `--quiet` or `--json`, or off a
/// terminal): first the files the scan will look at and the media files among them are
/// counted, under a counter, for the bars' totals. `secure` and `review` scan under them too.
pub(crate) fn bars(global: &GlobalArgs, opts: &ScanOptions, colored: bool) -> progress::Scan {
    let show = progress::wanted(global.quiet, global.json);
    let plan = if show {
        let counter = progress::counter(true, &t("cli.progress.found", &[]), colored);
        let plan = scan::plan(opts, |p| counter.set_position(p.files));
        counter.finish_and_clear();
        plan
    } else {
        scan::Plan::default()
    };
    progress::scan(
        show,
        plan.files,
        opts.content.then_some(plan.media),
        colored,
    )
}

/// The error for a path to scan that is not there (or cannot be looked at).
pub(crate) fn cannot_scan(path: &std::path::Path, err: &io::Error) -> anyhow::Error {
    anyhow::anyhow!(t(
        "cli.error.cannot_scan",
        &[
            ("path", &path.display().to_string()),
            ("error", &err.to_string())
        ]
    ))
}
