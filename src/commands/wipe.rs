//! `idvault wipe`: plan every path, print the plan, and with `--apply` (after confirmation)
//! wipe the planned files. Planning and wiping are the library's (`wipe::plan_paths`,
//! `wipe::apply`); this command resolves the flags, asks, and reports.

use std::collections::BTreeMap;
use std::io::{self, BufWriter};
use std::time::Instant;

use crate::Cancel;
use crate::report::wipe::{self as report, Stage, WipeReport, WipeSummary};
use crate::scan::Severity;
use crate::ui::prompt::{self, ConfirmPolicy, Confirmation};
use crate::ui::{color, progress};
use crate::wipe::{
    self, Applied, Done, LinkPolicy, Outcome, Plan, Recursion, WipeError, WipeOptions,
};

use crate::cli::{GlobalArgs, WipeArgs};
use crate::exit::ExitCode;

pub fn run(global: &GlobalArgs, args: WipeArgs, cancel: &Cancel) -> anyhow::Result<ExitCode> {
    let start = Instant::now();
    let opts = WipeOptions {
        passes: args.passes,
        links: if args.force {
            LinkPolicy::RemoveLinkOnly
        } else {
            LinkPolicy::Refuse
        },
        thumbnails: if args.no_thumbnails {
            None
        } else {
            wipe::thumbnail::default_cache_dir()
        },
    };
    let recursion = if args.recursive {
        Recursion::Yes
    } else {
        Recursion::No
    };
    let colored = color::enabled(global.color, color::stdout_is_tty()) && !global.json;
    let mut report = WipeReport::new(
        BufWriter::new(io::stdout().lock()),
        global.json,
        color::Palette::new(colored),
    );
    report.begin()?;
    let mut sum = WipeSummary {
        applied: args.apply,
        ..WipeSummary::default()
    };

    let exclude = super::scan::exclude(&args.exclude)?;
    // What the plan leaves out, by the code of its refusal: said after the plan with the flag
    // that includes it.
    let mut left_out = BTreeMap::new();
    // With --apply --yes the result lines say everything; otherwise show what will happen.
    let show_plan = global.json || !args.apply || !args.yes;
    let mut io_result = Ok(());
    let planned = wipe::plan_paths(
        &args.paths,
        recursion,
        |rel| exclude.matches(rel),
        opts,
        |path, planned| {
            if io_result.is_err() {
                return;
            }
            io_result = match planned {
                Ok(plan) => {
                    sum.planned += 1;
                    sum.bytes += plan.id.size;
                    if show_plan { report.plan(plan) } else { Ok(()) }
                }
                Err(err) => {
                    *left_out.entry(err.code()).or_default() += 1;
                    sum.refused += 1;
                    report.problem(path, err, Stage::Plan, Severity::Error)
                }
            };
        },
    );
    io_result?;
    let plans = &planned.plans;
    if !global.quiet && show_plan {
        report.explain_caveats(plans)?;
        report.left_out(&left_out)?;
    }
    if !args.apply || plans.is_empty() {
        sum.elapsed = start.elapsed();
        if !global.quiet || global.json {
            report.summary(&sum)?;
        }
        return Ok(ExitCode::from_failures(sum.refused));
    }

    let policy = ConfirmPolicy::from_yes_flag(args.yes);
    match report.confirm(policy, &report::question(sum.planned, sum.bytes))? {
        Confirmation::Yes => {}
        Confirmation::No => {
            report.declined()?;
            return Ok(ExitCode::PartialFailure);
        }
        Confirmation::CannotAsk => anyhow::bail!(prompt::CannotAsk { action: "wipe" }),
    }

    // Overwriting takes time in proportion to the bytes, so the bar counts bytes.
    let bar = progress::bytes(
        progress::wanted(global.quiet, global.json),
        plans.iter().map(|p| p.id.size).sum(),
        colored,
    );
    bar.set_message(crate::i18n::t("cli.progress.wiped", &[]));
    let mut io_result = Ok(());
    let done = wipe::apply(&planned, cancel, |event| {
        if io_result.is_err() {
            return;
        }
        io_result = match event {
            Applied::File(plan, result) => {
                let r = record(&mut report, &mut sum, &bar, plan, result);
                bar.inc(plan.id.size);
                r
            }
            Applied::Folder(folder, result) => {
                bar.finish_and_clear();
                match result {
                    Ok(()) => {
                        sum.folders_removed += 1;
                        report.folder_removed(folder)
                    }
                    // Something refused or failed inside it, and was reported already.
                    Err(err @ WipeError::FolderNotEmpty) => {
                        report.problem(folder, &err, Stage::Wipe, Severity::Note)
                    }
                    Err(err) => {
                        sum.failed += 1;
                        report.problem(folder, &err, Stage::Wipe, Severity::Error)
                    }
                }
            }
        };
    });
    io_result?;
    bar.finish_and_clear();
    sum.interrupted = done < plans.len();
    if !global.quiet && !show_plan {
        report.explain_caveats(plans)?;
    }
    sum.elapsed = start.elapsed();
    if !global.quiet || global.json {
        report.summary(&sum)?;
    }
    Ok(ExitCode::from_failures(sum.refused + sum.failed))
}

/// Reports one result and counts it.
fn record<W: io::Write>(
    report: &mut WipeReport<W>,
    sum: &mut WipeSummary,
    bar: &indicatif::ProgressBar,
    plan: &Plan,
    result: Result<Outcome, WipeError>,
) -> io::Result<()> {
    match result {
        Ok(outcome) => {
            match outcome.done {
                Done::Overwritten { bytes, .. } => {
                    sum.wiped += 1;
                    sum.bytes_wiped += bytes;
                }
                Done::LinkRemoved => sum.links_removed += 1,
            }
            sum.thumbnails_removed += outcome.thumbnails_removed.len() as u64;
            bar.suspend(|| report.done(plan, &outcome))?;
            for (thumb, err) in &outcome.thumbnail_errors {
                bar.suspend(|| report.problem(thumb, err, Stage::Wipe, Severity::Error))?;
                sum.failed += 1;
            }
        }
        Err(err) => {
            bar.suspend(|| report.problem(&plan.path, &err, Stage::Wipe, Severity::Error))?;
            sum.failed += 1;
        }
    }
    Ok(())
}
