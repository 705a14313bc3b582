//! `idvault scan`.

use std::io::{self, BufWriter};

use idvault::report::scan::ScanReport;
use idvault::scan::{self, Event, ScanOptions};
use idvault::ui::{color, progress};

use crate::cli::{ExcludeArgs, GlobalArgs, ScanArgs};
use crate::exit::ExitCode;

pub fn run(global: &GlobalArgs, args: ScanArgs) -> anyhow::Result<ExitCode> {
    for p in &args.paths {
        std::fs::symlink_metadata(p)
            .map_err(|e| anyhow::anyhow!("cannot scan {}: {e}", p.display()))?;
    }
    let opts = ScanOptions {
        roots: args.paths,
        one_file_system: args.one_file_system,
        content: !args.no_content,
        min_confidence: args.min_confidence,
        kinds: args.kind,
        threads: args.threads,
        cache: !args.no_cache,
        dismissed: idvault::dismissed::Dismissed::Hide,
        filter: scan::walk::Filter {
            exclude: exclude(&args.exclude)?,
            root_links: scan::walk::RootLinks::Follow,
        },
        archives: scan::Archives::LookInside,
    };
    let colored = color::enabled(global.color, color::stdout_is_tty()) && !global.json;
    let palette = color::Palette::new(colored);
    let show = progress::wanted(global.quiet, global.json);
    let plan = if show {
        plan(&opts, colored)
    } else {
        scan::Plan::default()
    };
    let bar = progress::scan(
        show,
        plan.files,
        opts.content.then_some(plan.media),
        colored,
    );
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
        report.summary(&summary)?;
    }
    Ok(ExitCode::from_failures(summary.failures()))
}

/// The compiled `--exclude` globs of any command that walks; an invalid one is a usage error.
pub(crate) fn exclude(args: &ExcludeArgs) -> anyhow::Result<scan::walk::Exclude> {
    scan::walk::Exclude::new(&args.exclude).map_err(|e| anyhow::anyhow!("invalid --exclude: {e}"))
}

/// Counts the files the scan will look at and the media files among them, for the totals of
/// the bars, under a counter.
fn plan(opts: &ScanOptions, colored: bool) -> scan::Plan {
    let counter = progress::counter(true, "files found", colored);
    let plan = scan::plan(opts, |p| counter.set_position(p.files));
    counter.finish_and_clear();
    plan
}
