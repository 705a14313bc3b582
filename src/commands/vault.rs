//! `idvault vault init|add|list|extract|verify|repair`: resolves the vault, the passphrase or
//! identities and the confirmation policy, calls `crate::vault`, and hands results to
//! `report::vault`.

use std::io::{self, BufWriter, Stdout};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::{Context, bail};

use crate::Cancel;
use crate::i18n::t;
use crate::report::vault::{Summary, VaultReport};
use crate::scan::{Exclude, Severity};
use crate::ui::passphrase::{self, IdentityCallbacks, PassphraseSource, Purpose};
use crate::ui::prompt::{self, ConfirmPolicy, Confirmation};
use crate::ui::{color, progress};
use crate::vault::{
    self, AddEvent, ExtractEvent, Keys, LockMode, Source, StripPolicy, Vault, VaultLock, check,
    crypto,
};

use crate::cli::{
    GlobalArgs, VaultAddArgs, VaultArgs, VaultCommand, VaultCommonArgs, VaultExtractArgs,
    VaultInitArgs,
};
use crate::exit::ExitCode;

type Report = VaultReport<BufWriter<Stdout>>;

pub fn run(global: &GlobalArgs, args: VaultArgs, cancel: &Cancel) -> anyhow::Result<ExitCode> {
    let colored = color::enabled(global.color, color::stdout_is_tty()) && !global.json;
    let mut report = VaultReport::new(
        BufWriter::new(io::stdout()),
        global.json,
        color::Palette::new(colored),
    );
    let common = &args.common;
    let root = vault_root(common)?;
    let name = match &args.command {
        VaultCommand::Init(_) => "vault init",
        VaultCommand::Add(_) => "vault add",
        VaultCommand::List => "vault list",
        VaultCommand::Extract(_) => "vault extract",
        VaultCommand::Verify => "vault verify",
        VaultCommand::Repair => "vault repair",
    };
    report.begin(name)?;
    match args.command {
        VaultCommand::Init(a) => init(&mut report, common, &root, a),
        VaultCommand::Add(a) => add(global, &mut report, common, &root, a, cancel),
        VaultCommand::List => list(&mut report, common, &root),
        VaultCommand::Extract(a) => extract(global, &mut report, common, &root, a),
        VaultCommand::Verify => verify(global, &mut report, common, &root),
        VaultCommand::Repair => repair(&mut report, common, &root),
    }
}

/// Whether metadata is stripped, from the `--keep-metadata` flag of `secure`, `review` and
/// `vault add`.
pub(crate) fn strip_policy(keep_metadata: bool) -> StripPolicy {
    if keep_metadata {
        StripPolicy::Keep
    } else {
        StripPolicy::Strip
    }
}

/// The vault's folder: `--vault`, else the default one.
pub(crate) fn vault_root(common: &VaultCommonArgs) -> anyhow::Result<PathBuf> {
    match &common.vault {
        Some(p) => Ok(p.clone()),
        None => vault::default_root().with_context(|| t("cli.vault.no_location", &[])),
    }
}

pub(crate) fn passphrase_source(common: &VaultCommonArgs) -> PassphraseSource {
    PassphraseSource::from_flags(
        common.passphrase_file.clone(),
        common.passphrase_command.clone(),
    )
}

pub(crate) fn open(root: &Path) -> anyhow::Result<Vault> {
    Vault::open(root).with_context(|| {
        t(
            "cli.vault.cannot_open",
            &[("path", &root.display().to_string())],
        )
    })
}

/// The keys for a command that reads: `--identity` files, else the vault passphrase.
pub(crate) fn unlock(vault: &Vault, common: &VaultCommonArgs) -> anyhow::Result<Keys> {
    // Identity files hold secrets too.
    passphrase::forbid_core_dumps();
    let source = passphrase_source(common);
    if !common.identity.is_empty() {
        let mut ids = Vec::new();
        for path in &common.identity {
            let callbacks = IdentityCallbacks {
                source: source.clone(),
            };
            ids.extend(crypto::load_identity_file(path, callbacks)?);
        }
        return Ok(Keys::from_identities(ids));
    }
    let pass = passphrase::read(
        &source,
        &crate::i18n::t("cli.passphrase.existing", &[]),
        Purpose::Existing,
    )?;
    Ok(vault.unlock(&pass)?)
}

/// Whether the user supplied a way to unlock without being asked.
fn has_unattended_key(common: &VaultCommonArgs) -> bool {
    !common.identity.is_empty()
        || common.passphrase_file.is_some()
        || common.passphrase_command.is_some()
}

fn init(
    report: &mut Report,
    common: &VaultCommonArgs,
    root: &Path,
    args: VaultInitArgs,
) -> anyhow::Result<ExitCode> {
    if root.join(crate::VAULT_MARKER).exists() {
        bail!(t(
            "cli.vault.already_a_vault",
            &[("path", &root.display().to_string())]
        ));
    }
    let mut recipients = args.recipient;
    for f in &args.recipients_file {
        recipients.extend(crypto::read_recipients_file(f)?);
    }
    let pass = passphrase::read(
        &passphrase_source(common),
        &crate::i18n::t("cli.passphrase.new", &[]),
        Purpose::New,
    )?;
    let vault = Vault::init(root, &pass, &recipients).with_context(|| {
        t(
            "cli.vault.cannot_create",
            &[("path", &root.display().to_string())],
        )
    })?;
    report.created(vault.root(), &vault.config().recipients)?;
    report.summary(
        &Summary::Init { created: true },
        &t("cli.vault.init_summary", &[]),
    )?;
    Ok(ExitCode::Success)
}

/// The files to add under the paths (`vault::sources`), reporting problems.
fn collect_sources(
    report: &mut Report,
    paths: &[PathBuf],
    exclude: Exclude,
    cancel: &Cancel,
) -> anyhow::Result<(Vec<Source>, u64)> {
    let mut failures = 0u64;
    for p in paths {
        if let Err(e) = std::fs::symlink_metadata(p) {
            failures += 1;
            report.cannot_add(p, &e)?;
        }
    }
    let mut warnings = Vec::new();
    // After Ctrl-C or SIGTERM the walk stops; `add_all` then starts no file.
    let sources = vault::sources(paths, exclude, cancel, |w| warnings.push(w));
    for w in warnings {
        if w.severity == Severity::Error {
            failures += 1;
        }
        report.warning(&w)?;
    }
    Ok((sources, failures))
}

fn add(
    global: &GlobalArgs,
    report: &mut Report,
    common: &VaultCommonArgs,
    root: &Path,
    args: VaultAddArgs,
    cancel: &Cancel,
) -> anyhow::Result<ExitCode> {
    let vault = open(root)?;
    let exclude = super::scan::exclude(&args.exclude)?;
    let (sources, mut failures) = collect_sources(report, &args.paths, exclude, cancel)?;
    // Ctrl-C or SIGTERM during the walk: nothing is asked or added.
    if cancel.is_cancelled() {
        return Ok(ExitCode::from_failures(failures));
    }
    // The plan, whole, before any question (with --yes and --apply the result lines say it).
    let policy = ConfirmPolicy::from_yes_flag(args.yes);
    if args.remove_originals && (!args.apply || policy == ConfirmPolicy::Ask) {
        let mut total = 0;
        for s in &sources {
            let size = std::fs::symlink_metadata(&s.path).map_or(0, |m| m.len());
            total += size;
            report.plan(&s.path, size)?;
        }
        if !args.apply {
            report.plan_summary(sources.len(), total)?;
            return Ok(ExitCode::from_failures(failures));
        }
    }
    if args.remove_originals {
        let question = crate::report::vault::remove_question(sources.len());
        match report.confirm(policy, &question)? {
            Confirmation::Yes => {}
            Confirmation::No => {
                report.declined()?;
                return Ok(ExitCode::PartialFailure);
            }
            Confirmation::CannotAsk => bail!(prompt::CannotAsk {
                action: "remove_originals"
            }),
        }
    }
    // Adding needs no secret; verifying before removal does. Without removal, a key given
    // unattended is used to keep the manifest current.
    let keys = if args.remove_originals || has_unattended_key(common) {
        Some(unlock(&vault, common)?)
    } else {
        None
    };
    let lock = vault.lock(LockMode::Exclusive, |pid| report.busy(pid))?;
    let opts = vault::AddOptions {
        strip: strip_policy(args.keep_metadata),
        remove: args.remove_originals,
        cancel: cancel.clone(),
    };
    let colored = color::enabled(global.color, color::stdout_is_tty()) && !global.json;
    let bar = progress::bar(
        progress::wanted(global.quiet, global.json),
        sources.len() as u64,
        colored,
    );
    let impostors = std::sync::atomic::AtomicU64::new(0);
    let shared = Mutex::new((&mut *report, Ok::<(), io::Error>(())));
    let on_event = |ev: AddEvent<'_>| {
        let mut guard = shared.lock().unwrap_or_else(|p| p.into_inner());
        let (rep, res) = &mut *guard;
        if res.is_err() {
            return;
        }
        match ev {
            AddEvent::Added { .. } | AddEvent::AlreadyIn { .. } | AddEvent::Failed { .. } => {
                bar.inc(1);
            }
            AddEvent::Impostor { .. } => {
                impostors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            AddEvent::Removed { .. } | AddEvent::Kept { .. } => {}
        }
        *res = bar.suspend(|| rep.add_event(&ev));
    };
    let summary = vault::add_all(&vault, &lock, &sources, keys.as_ref(), &opts, &on_event);
    bar.finish_and_clear();
    let (_, io_result) = shared.into_inner().unwrap_or_else(|p| p.into_inner());
    io_result?;
    let summary = summary.with_context(|| t("cli.vault.cannot_commit", &[]))?;
    failures += summary.failed + summary.kept + summary.not_sealed + impostors.into_inner();
    let stay_unsealed = keys.as_ref().is_none_or(|k| k.seal().is_none());
    report.add_summary(&summary, args.remove_originals, stay_unsealed)?;
    Ok(ExitCode::from_failures(failures))
}

/// The lock for a command that only reads: shared (none on read-only media, where nobody can
/// write). Reading never seals: entries not yet sealed are listed as such until a write
/// command with the passphrase checks and seals them.
fn read_lock(report: &mut Report, vault: &Vault, keys: &Keys) -> anyhow::Result<VaultLock> {
    let lock = vault.lock(LockMode::Shared, |pid| report.busy(pid))?;
    if keys.seal().is_none() {
        report.seals_not_checked(vault.root())?;
    }
    Ok(lock)
}

fn list(report: &mut Report, common: &VaultCommonArgs, root: &Path) -> anyhow::Result<ExitCode> {
    let vault = open(root)?;
    let keys = unlock(&vault, common)?;
    let _lock = read_lock(report, &vault, &keys)?;
    let index = vault.index(&keys)?;
    for e in &index.entries {
        report.entry(e)?;
    }
    let problems = report.index_state(&index)?;
    report.list_summary(&index)?;
    Ok(ExitCode::from_failures(problems))
}

fn extract(
    global: &GlobalArgs,
    report: &mut Report,
    common: &VaultCommonArgs,
    root: &Path,
    args: VaultExtractArgs,
) -> anyhow::Result<ExitCode> {
    let vault = open(root)?;
    let keys = unlock(&vault, common)?;
    let _lock = read_lock(report, &vault, &keys)?;
    let index = vault.index(&keys)?;
    let mut failures = report.index_state(&index)?;
    let dest = args.to.unwrap_or_else(|| PathBuf::from("."));
    {
        use std::os::unix::fs::DirBuilderExt;
        // Folders made for restored documents are private, like the files put in them.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dest)
            .with_context(|| {
                t(
                    "cli.vault.cannot_create_folder",
                    &[("path", &dest.display().to_string())],
                )
            })?;
    }
    let modes = if args.keep_modes {
        check::Modes::Original
    } else {
        check::Modes::Private
    };
    let chosen = vault::choose_entries(&index, args.all, &args.entries);
    for sel in &chosen.unknown {
        failures += 1;
        report.no_such_entry(sel)?;
    }
    let colored = color::enabled(global.color, color::stdout_is_tty()) && !global.json;
    let show = progress::wanted(global.quiet, global.json);
    let bar = progress::bytes(show, chosen.bytes, colored);
    let mut io_result = Ok(());
    let summary = vault::extract_all(&vault, &keys, chosen.steps, &dest, modes, |ev| {
        if let ExtractEvent::Extracted { entry, .. } | ExtractEvent::Failed { entry, .. } = &ev {
            bar.inc(entry.size);
        }
        io_result = bar.suspend(|| report.extract_event(&ev));
        // A reporter that cannot write stops the run, as any error of the command does.
        if io_result.is_ok() {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(())
        }
    });
    bar.finish_and_clear();
    io_result?;
    failures += summary.failed;
    report.extract_summary(&summary, failures)?;
    Ok(ExitCode::from_failures(failures + summary.skipped))
}

fn verify(
    global: &GlobalArgs,
    report: &mut Report,
    common: &VaultCommonArgs,
    root: &Path,
) -> anyhow::Result<ExitCode> {
    let vault = open(root)?;
    let keys = unlock(&vault, common)?;
    let _lock = read_lock(report, &vault, &keys)?;
    let colored = color::enabled(global.color, color::stdout_is_tty()) && !global.json;
    let show = progress::wanted(global.quiet, global.json);
    // Made once the entry count is known (from the manifest, before the first check).
    let bar: OnceLock<progress::Files> = OnceLock::new();
    let shared = Mutex::new((&mut *report, Ok::<(), io::Error>(())));
    // Prints one line with the bar out of the way; `checked` counts an entry of that size.
    let with = |checked: Option<u64>, f: &dyn Fn(&mut Report) -> io::Result<()>| {
        let mut g = shared.lock().unwrap_or_else(|p| p.into_inner());
        let (rep, res) = &mut *g;
        if res.is_ok() {
            *res = match bar.get() {
                Some(bar) => bar.suspend(|| f(rep)),
                None => f(rep),
            };
        }
        if let (Some(size), Some(bar)) = (checked, bar.get()) {
            bar.inc(size);
        }
    };
    let on_total = |entries| {
        let _ = bar.set(progress::files(show, entries, colored));
    };
    let on_ok = |e: &vault::Entry| with(Some(e.size), &|r| r.verified(e));
    let summary = check::verify(&vault, &keys, on_total, &on_ok, &|finding| {
        let checked = match &finding {
            check::Finding::Bad { entry, .. } => Some(entry.size),
            _ => None,
        };
        with(checked, &|r| r.finding(&finding))
    });
    if let Some(bar) = bar.get() {
        bar.finish_and_clear();
    }
    let (_, io_result) = shared.into_inner().unwrap_or_else(|p| p.into_inner());
    io_result?;
    let s = summary?;
    for id in &s.unsealed {
        report.unsealed(id, None)?;
    }
    report.verify_summary(&s)?;
    // No manifest is a problem only where one existed (the trust record knows it, and the
    // index reported it above); entries added without the passphrase have none until a write
    // command with it checks and seals them.
    Ok(ExitCode::from_failures(s.problems))
}

fn repair(report: &mut Report, common: &VaultCommonArgs, root: &Path) -> anyhow::Result<ExitCode> {
    let vault = open(root)?;
    let keys = unlock(&vault, common)?;
    let lock = vault.lock(LockMode::Exclusive, |pid| report.busy(pid))?;
    let r = check::repair(&vault, &lock, &keys)?;
    report.repaired(&r)?;
    report.repair_summary(&r)?;
    let lost = r.unrecoverable();
    Ok(ExitCode::from_failures(lost))
}
