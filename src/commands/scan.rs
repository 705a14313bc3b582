//! `idvault scan`.

use std::io::{self, BufWriter};

use idvault::report::scan::ScanReport;
use idvault::scan::walk::{self, Walked};
use idvault::scan::{self, Event, ScanOptions};
use idvault::ui::{color, progress};

use crate::cli::{GlobalArgs, ScanArgs};
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
    };
    let colored = color::enabled(global.color, color::stdout_is_tty()) && !global.json;
    let palette = color::Palette::new(colored);
    let show = progress::wanted(global.quiet, global.json);
    let total = if show { count_files(&opts, colored) } else { 0 };
    let bar = progress::bar(show, total, colored);
    bar.set_message("files");
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
            Event::Progress { files } => {
                bar.set_position(files);
                Ok(())
            }
        };
    });
    bar.finish_and_clear();
    io_result?;
    if !global.quiet || global.json {
        report.summary(&summary)?;
    }
    Ok(ExitCode::from_failures(summary.errors))
}

/// Counts the files the scan will look at, for the bar's total: a walk that reads no file,
/// a small part of the scan's time (and it warms the directory cache the scan walks again).
fn count_files(opts: &ScanOptions, colored: bool) -> u64 {
    let counter = progress::counter(true, "files found", colored);
    walk::walk(&opts.roots, opts.one_file_system, |w| {
        if matches!(w, Walked::File(_)) {
            counter.inc(1);
        }
        true
    });
    counter.finish_and_clear();
    counter.position()
}
