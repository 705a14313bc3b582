//! `idvault secure`: resolves the vault, passphrase and policies, shows the plan, asks, then
//! runs `crate::secure` and hands results to `report::secure`.

use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::{Context, bail};

use crate::Cancel;
use crate::i18n::t;
use crate::report::{self, secure::SecureReport, secure::Totals};
use crate::scan::ScanOptions;
use crate::scan::finding::Kind;
use crate::secure::{self, Originals, Progress};
use crate::ui::passphrase::{self, Purpose};
use crate::ui::prompt::{self, ConfirmPolicy, Confirmation};
use crate::ui::{color, progress};
use crate::vault::{LockMode, Vault};
use crate::wipe::WipeOptions;

use crate::cli::{GlobalArgs, SecureArgs, SecureTargetArgs};
use crate::commands::scan;
use crate::commands::vault::{open, passphrase_source, unlock, vault_root};
use crate::exit::ExitCode;

/// Every kind except a plain screenshot, which says nothing about identity documents.
pub(crate) fn default_kinds() -> Vec<Kind> {
    Kind::ALL
        .into_iter()
        .filter(|k| k.secured_by_default())
        .collect()
}

pub fn run(global: &GlobalArgs, args: SecureArgs, cancel: &Cancel) -> anyhow::Result<ExitCode> {
    let root = checked_root(&args.target)?;
    let target = &args.target;
    let opts = options(target, cancel)?;
    let colored = color::enabled(global.color, color::stdout_is_tty()) && !global.json;
    let show_progress = progress::wanted(global.quiet, global.json);
    let mut report = SecureReport::new(
        BufWriter::new(io::stdout()),
        global.json,
        color::Palette::new(colored),
    );
    report.begin()?;

    let bars = scan::bars(global, &opts.scan, colored);
    let plan = secure::plan(&opts, |files, content| bars.set(files, content));
    bars.finish_and_clear();
    for w in &plan.warnings {
        report.warning(w)?;
    }
    let vault_exists = root.join(crate::VAULT_MARKER).exists();
    report.plan(&plan, opts.originals, &root, vault_exists)?;
    let scan_failed = plan.scan.failures();
    // Ctrl-C or SIGTERM during the scan: nothing is asked or changed, and the plan may be
    // short of files the scan did not reach.
    if cancel.is_cancelled() {
        report.summary(false, &root, &plan, &Totals::default(), true)?;
        return Ok(ExitCode::from_failures(scan_failed));
    }
    if !args.apply {
        report.dry_run()?;
        report.summary(false, &root, &plan, &Totals::default(), false)?;
        return Ok(ExitCode::from_failures(scan_failed));
    }
    if plan.items.is_empty() && plan.leftovers.is_empty() {
        report.summary(true, &root, &plan, &Totals::default(), false)?;
        return Ok(ExitCode::from_failures(scan_failed));
    }
    // The whole plan is on the terminal (flushed by `confirm`) before the question, and the
    // passphrase is asked only after the answer is yes.
    let question = report::secure::question(plan.items.len(), &root, opts.originals);
    match report.confirm(ConfirmPolicy::from_yes_flag(args.yes), &question)? {
        Confirmation::Yes => {}
        Confirmation::No => {
            report.declined()?;
            return Ok(ExitCode::PartialFailure);
        }
        Confirmation::CannotAsk => bail!(prompt::CannotAsk { action: "secure" }),
    }

    let (vault, keys) = if vault_exists {
        let vault = open(&root)?;
        let keys = unlock(&vault, &target.vault)?;
        (vault, keys)
    } else {
        let pass = passphrase::read(
            &passphrase_source(&target.vault),
            &t("cli.passphrase.new", &[]),
            Purpose::New,
        )?;
        let vault = Vault::init(&root, &pass, &[])
            .with_context(|| format!("cannot create the vault {}", root.display()))?;
        let keys = vault.unlock(&pass)?;
        (vault, keys)
    };
    let lock = vault.lock(LockMode::Exclusive, report::vault::busy)?;

    // One step per file when it is stored in the vault, one when it is verified and its
    // original dealt with.
    let bar = progress::bar(show_progress, 2 * plan.items.len() as u64, colored);
    bar.set_message(t("cli.progress.secure_steps", &[]));
    let shared = Mutex::new((&mut report, Totals::default(), Ok(())));
    let applied = secure::apply(&plan, &vault, &keys, &lock, &opts, |p| {
        bar.inc(1);
        if let Progress::Done(o) = p {
            let mut guard = shared.lock().unwrap_or_else(|e| e.into_inner());
            let (report, totals, io_result) = &mut *guard;
            totals.add(o);
            if io_result.is_ok() {
                *io_result = bar.suspend(|| report.outcome(o));
            }
        }
    })?;
    bar.finish_and_clear();
    let (report, mut totals, io_result) = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    io_result?;
    totals.sealed = applied.sealed;
    let leftovers = applied.leftovers;
    for l in &leftovers {
        report.leftover(l)?;
    }
    let interrupted = totals.secured + totals.failed < plan.items.len();
    report.summary(true, vault.root(), &plan, &totals, interrupted)?;
    let failures = totals.failed as u64
        + totals.impostors as u64
        + scan_failed
        + leftovers.iter().filter(|l| l.result.is_err()).count() as u64;
    Ok(ExitCode::from_failures(failures))
}

/// Checks that every path to scan is there, and returns the vault's folder: `--vault`, else the
/// default one.
pub(crate) fn checked_root(target: &SecureTargetArgs) -> anyhow::Result<PathBuf> {
    for p in &target.paths {
        std::fs::symlink_metadata(p).map_err(|e| scan::cannot_scan(p, &e))?;
    }
    vault_root(&target.vault)
}

/// The scan and the securing that `choice` asks for over `paths`: what `secure` acts on, and
/// what `review` selects by default; `cancel` stops it.
pub(crate) fn options(
    target: &SecureTargetArgs,
    cancel: &Cancel,
) -> anyhow::Result<secure::Options> {
    let (choice, paths) = (&target.choice, &target.paths);
    Ok(secure::Options {
        scan: ScanOptions {
            content: !choice.no_content,
            min_confidence: choice.min_confidence,
            kinds: if choice.kind.is_empty() {
                default_kinds()
            } else {
                choice.kind.clone()
            },
            one_file_system: choice.one_file_system,
            filter: crate::scan::walk::Filter {
                exclude: super::scan::exclude(&target.exclude)?,
                root_links: crate::scan::walk::RootLinks::Follow,
            },
            cancel: cancel.clone(),
            ..ScanOptions::new(paths.to_vec())
        },
        originals: if choice.keep_originals {
            Originals::Keep
        } else if choice.delete_originals {
            Originals::Delete
        } else {
            Originals::Wipe
        },
        wipe: WipeOptions::default(),
        strip: super::vault::strip_policy(choice.keep_metadata),
    })
}
