//! `idvault vault init|add|list|extract|verify|repair`: resolves the vault, the passphrase or
//! identities and the confirmation policy, calls `crate::vault`, and hands results to
//! `report::vault`.

use std::io::{self, BufWriter, Stdout};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use anyhow::{Context, bail};

use crate::Cancel;
use crate::i18n::{t, tn};
use crate::report::text::{get, worded, worded_with};
use crate::report::vault::{Summary, VaultReport};
use crate::scan::{Exclude, Severity, Warning};
use crate::ui::passphrase::{self, IdentityCallbacks, PassphraseSource, Purpose};
use crate::ui::prompt::{self, ConfirmPolicy, Confirmation};
use crate::ui::{color, progress};
use crate::vault::{
    self, AddEvent, ItemError, Keys, LockMode, Source, StripPolicy, Vault, VaultLock, check, crypto,
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
            report.failed(
                p,
                worded_with(|l| {
                    let error = crate::i18n::os_error(&e, l);
                    get(l, "cli.vault.cannot_add", &[("error", &error)])
                }),
            )?;
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
        if matches!(
            ev,
            AddEvent::Added { .. } | AddEvent::AlreadyIn { .. } | AddEvent::Failed { .. }
        ) {
            bar.inc(1);
        }
        *res = bar.suspend(|| match ev {
            AddEvent::Added { path, entry } => rep.added(path, entry),
            AddEvent::AlreadyIn { path, entry } => rep.already(path, entry),
            AddEvent::Failed { path, error } => rep.failed(
                path,
                worded_with(|l| {
                    let error = match error {
                        ItemError::Vault(e) => e.text_in(l),
                        other => other.text_in(l),
                    };
                    get(l, "cli.vault.not_added", &[("error", &error)])
                }),
            ),
            AddEvent::Impostor { path, entry, error } => {
                impostors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                rep.problem(
                    Some(&entry.id),
                    Some(path),
                    &worded_with(|l| get(l, "cli.vault.impostor", &[("error", &error.text_in(l))])),
                )
            }
            AddEvent::Removed { path, how } => rep.removed(path, how),
            AddEvent::Kept { path, error } => rep.failed(
                path,
                worded_with(|l| {
                    get(
                        l,
                        "cli.vault.original_kept",
                        &[("error", &error.text_in(l))],
                    )
                }),
            ),
        });
    };
    let summary = vault::add_all(&vault, &lock, &sources, keys.as_ref(), &opts, &on_event);
    bar.finish_and_clear();
    let (_, io_result) = shared.into_inner().unwrap_or_else(|p| p.into_inner());
    io_result?;
    let summary = summary.with_context(|| t("cli.vault.cannot_commit", &[]))?;
    failures += summary.failed + summary.kept + summary.not_sealed + impostors.into_inner();
    let bytes = summary.bytes.to_string();
    let mut parts = vec![tn(
        "cli.vault.sum.added",
        summary.added,
        &[("bytes", &bytes)],
    )];
    if summary.already > 0 {
        parts.push(tn("cli.vault.sum.already", summary.already, &[]));
    }
    if summary.failed > 0 {
        parts.push(tn("cli.vault.sum.failed", summary.failed, &[]));
    }
    if args.remove_originals {
        parts.push(tn("cli.vault.sum.wiped", summary.removed, &[]));
        parts.push(tn("cli.vault.sum.kept", summary.kept, &[]));
    }
    if summary.sealed > 0 {
        parts.push(tn("cli.vault.sum.sealed", summary.sealed, &[]));
    }
    if summary.not_sealed > 0 {
        parts.push(tn("cli.vault.sum.not_sealed", summary.not_sealed, &[]));
    }
    let mut text = parts.join(&t("cli.list_sep", &[]));
    if keys.as_ref().is_none_or(|k| k.seal().is_none()) && summary.added > 0 {
        text += &t("cli.clause_sep", &[]);
        text += &t("cli.vault.sum.stay_unsealed", &[]);
    }
    report.summary(
        &Summary::Add {
            added: summary.added,
            already: summary.already,
            bytes: summary.bytes,
            failed: summary.failed,
            removed: summary.removed,
            kept: summary.kept,
            sealed: summary.sealed,
        },
        &text,
    )?;
    Ok(ExitCode::from_failures(failures))
}

/// The lock for a command that only reads: shared (none on read-only media, where nobody can
/// write). Reading never seals: entries not yet sealed are listed as such until a write
/// command with the passphrase checks and seals them.
fn read_lock(report: &mut Report, vault: &Vault, keys: &Keys) -> anyhow::Result<VaultLock> {
    let lock = vault.lock(LockMode::Shared, |pid| report.busy(pid))?;
    if keys.seal().is_none() {
        report.warning(&Warning {
            path: vault.root().to_path_buf(),
            message: worded("cli.vault.seals_not_checked", &[]),
            severity: Severity::Note,
        })?;
    }
    Ok(lock)
}

/// The problem line for a manifest that cannot be read.
fn manifest_unreadable(e: &vault::Error) -> crate::scan::Message {
    let key = match e {
        vault::Error::ManifestMissing { .. } | vault::Error::ManifestForeign { .. } => {
            "cli.vault.manifest_gone"
        }
        _ => "cli.vault.manifest_unreadable",
    };
    worded_with(|l| get(l, key, &[("error", &e.text_in(l))]))
}

/// A vault error as a problem line.
fn error_problem(e: &vault::Error) -> crate::scan::Message {
    worded_with(|l| e.text_in(l))
}

/// Reports what the index says about the vault's state besides its entries: metadata that
/// cannot be read (or holds implausible values), the manifest's state, unsealed entries.
/// Returns the number of problems.
fn report_state(report: &mut Report, index: &vault::Index) -> anyhow::Result<u64> {
    let mut problems = 0;
    for (id, err) in &index.unreadable {
        problems += 1;
        report.problem(Some(id), None, &error_problem(err))?;
    }
    if let Some(e) = &index.manifest_error {
        problems += 1;
        report.problem(None, None, &manifest_unreadable(e))?;
    }
    if matches!(
        index.seal,
        vault::ManifestSeal::Forged | vault::ManifestSeal::Replaced
    ) {
        problems += 1;
        report.problem(None, None, &error_problem(&vault::Error::ManifestForged))?;
    }
    if let Some((found, pinned)) = index.rollback {
        problems += 1;
        report.problem(
            None,
            None,
            &error_problem(&vault::Error::RolledBack { found, pinned }),
        )?;
    }
    for id in &index.unsealed {
        let entry = index.entries.iter().find(|e| &e.id == id);
        report.unsealed(id, entry)?;
    }
    Ok(problems)
}

fn list(report: &mut Report, common: &VaultCommonArgs, root: &Path) -> anyhow::Result<ExitCode> {
    let vault = open(root)?;
    let keys = unlock(&vault, common)?;
    let _lock = read_lock(report, &vault, &keys)?;
    let index = vault.index(&keys)?;
    for e in &index.entries {
        report.entry(e)?;
    }
    let problems = report_state(report, &index)?;
    report.summary(
        &Summary::List {
            entries: index.entries.len(),
            pending: index.pending.len(),
            unreadable: index.unreadable.len(),
            unsealed: index.unsealed.len(),
        },
        &list_text(index.entries.len(), index.unsealed.len()),
    )?;
    Ok(ExitCode::from_failures(problems))
}

/// The summary of `vault list`.
fn list_text(entries: usize, unsealed: usize) -> String {
    let mut text = tn("cli.vault.sum.entries", entries as u64, &[]);
    if unsealed > 0 {
        text += &t("cli.clause_sep", &[]);
        text += &tn("cli.vault.sum.list_unsealed", unsealed as u64, &[]);
    }
    text
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
    let mut failures = report_state(report, &index)?;
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
    let mut chosen = Vec::new();
    if args.all {
        chosen.extend(index.entries.iter());
    }
    for sel in &args.entries {
        let by_id = sel.to_str().and_then(|s| index.by_id(s));
        let abs = std::path::absolute(sel).unwrap_or_else(|_| sel.clone());
        let found: Vec<_> = match by_id {
            Some(e) => vec![e],
            None => index
                .entries
                .iter()
                .filter(|e| {
                    e.original
                        .as_ref()
                        .is_some_and(|p| p.to_path() == *sel || p.to_path() == abs)
                })
                .collect(),
        };
        if found.is_empty() {
            failures += 1;
            report.failed(sel, worded("cli.vault.no_such_entry", &[]))?;
        }
        chosen.extend(found);
    }
    let colored = color::enabled(global.color, color::stdout_is_tty()) && !global.json;
    let show = progress::wanted(global.quiet, global.json);
    let planned = check::plan_extraction(&chosen, &index.unsealed);
    let total = planned
        .iter()
        .map(|p| match p {
            check::Planned::Extract { entry, .. } => entry.size,
            check::Planned::Skip { .. } => 0,
        })
        .fold(0u64, u64::saturating_add);
    let bar = progress::bytes(show, total, colored);
    let (mut extracted, mut renamed_count, mut skipped) = (0u64, 0u64, 0u64);
    for step in planned {
        let (e, rel, renamed) = match step {
            check::Planned::Skip { entry, kept } => {
                skipped += 1;
                bar.suspend(|| report.skipped(entry, &kept.id))?;
                continue;
            }
            check::Planned::Extract {
                entry,
                rel,
                renamed,
            } => (entry, rel, renamed),
        };
        let done = vault.extract(e, &keys, &dest, &rel, modes);
        bar.inc(e.size);
        bar.suspend(|| match done {
            Ok(to) => {
                extracted += 1;
                renamed_count += u64::from(renamed);
                report.extracted(e, &to, renamed)
            }
            Err(err) => {
                failures += 1;
                let id = e.id.to_string();
                report.failed(
                    Path::new(&id),
                    worded_with(|l| {
                        get(l, "cli.vault.not_extracted", &[("error", &err.text_in(l))])
                    }),
                )
            }
        })?;
    }
    bar.finish_and_clear();
    let mut parts = vec![
        tn("cli.vault.sum.extracted", extracted, &[]),
        tn("cli.vault.sum.failed", failures, &[]),
    ];
    if renamed_count > 0 {
        parts.push(tn("cli.vault.sum.renamed", renamed_count, &[]));
    }
    if skipped > 0 {
        parts.push(tn("cli.vault.sum.skipped", skipped, &[]));
    }
    let text = parts.join(&t("cli.list_sep", &[]));
    report.summary(
        &Summary::Extract {
            extracted,
            failed: failures,
            renamed: renamed_count,
            skipped,
        },
        &text,
    )?;
    Ok(ExitCode::from_failures(failures + skipped))
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
        with(checked, &|r| match &finding {
            check::Finding::Bad { entry, error } => r.problem(
                Some(&entry.id),
                entry.original.as_ref().map(|p| p.to_path()).as_deref(),
                &error_problem(error),
            ),
            check::Finding::Orphan { id } => {
                r.problem(Some(id), None, &worded("cli.vault.orphan", &[]))
            }
            check::Finding::UnreadableMeta { id, error } => r.problem(
                Some(id),
                None,
                &worded_with(|l| {
                    get(
                        l,
                        "cli.vault.meta_unreadable",
                        &[("error", &error.text_in(l))],
                    )
                }),
            ),
            check::Finding::MissingMeta { id } => {
                r.problem(Some(id), None, &worded("cli.vault.meta_missing", &[]))
            }
            check::Finding::Stray { path } => {
                r.problem(None, Some(path), &worded("cli.vault.stray", &[]))
            }
            check::Finding::ManifestUnreadable { error } => {
                r.problem(None, None, &manifest_unreadable(error))
            }
            check::Finding::ManifestForged => {
                r.problem(None, None, &error_problem(&vault::Error::ManifestForged))
            }
            check::Finding::Rollback { found, pinned } => r.problem(
                None,
                None,
                &error_problem(&vault::Error::RolledBack {
                    found: *found,
                    pinned: *pinned,
                }),
            ),
        })
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
    let problems = s.problems;
    let mut parts = vec![format!(
        "{}{}{}",
        tn("cli.vault.sum.verified", s.ok, &[]),
        t("cli.list_sep", &[]),
        tn("cli.vault.sum.problems", problems, &[])
    )];
    if !s.has_manifest {
        parts.push(t("cli.vault.sum.no_manifest", &[]));
    }
    if !s.unsealed.is_empty() {
        parts.push(tn(
            "cli.vault.sum.verify_unsealed",
            s.unsealed.len() as u64,
            &[],
        ));
    }
    if !s.seals_checked {
        parts.push(t("cli.vault.sum.seals_not_checked", &[]));
    }
    let text = parts.join(&t("cli.clause_sep", &[]));
    report.summary(
        &Summary::Verify {
            entries: s.entries,
            ok: s.ok,
            problems,
            pending: s.pending,
            manifest: s.has_manifest,
            unsealed: s.unsealed.len(),
            seals_checked: s.seals_checked,
        },
        &text,
    )?;
    // No manifest is a problem only where one existed (the trust record knows it, and the
    // index reported it above); entries added without the passphrase have none until a write
    // command with it checks and seals them.
    Ok(ExitCode::from_failures(problems))
}

fn repair(report: &mut Report, common: &VaultCommonArgs, root: &Path) -> anyhow::Result<ExitCode> {
    let vault = open(root)?;
    let keys = unlock(&vault, common)?;
    let lock = vault.lock(LockMode::Exclusive, |pid| report.busy(pid))?;
    let r = check::repair(&vault, &lock, &keys)?;
    for id in &r.metas_restored {
        report.problem(Some(id), None, &worded("cli.vault.meta_restored", &[]))?;
    }
    for id in &r.orphans_recovered {
        report.problem(Some(id), None, &worded("cli.vault.orphan_recovered", &[]))?;
    }
    for (id, e) in &r.orphans_unreadable {
        report.problem(
            Some(id),
            None,
            &worded_with(|l| {
                get(
                    l,
                    "cli.vault.orphan_unreadable",
                    &[("error", &e.text_in(l))],
                )
            }),
        )?;
    }
    for id in &r.missing_objects {
        report.problem(Some(id), None, &worded("cli.vault.object_missing", &[]))?;
    }
    for (id, e) in &r.unreadable_metas {
        report.problem(
            Some(id),
            None,
            &worded_with(|l| {
                get(
                    l,
                    "cli.vault.meta_unreadable_kept",
                    &[("error", &e.text_in(l))],
                )
            }),
        )?;
    }
    for (id, e) in &r.refused {
        report.problem(
            Some(id),
            None,
            &worded_with(|l| get(l, "cli.vault.refused", &[("error", &e.text_in(l))])),
        )?;
    }
    for e in &r.lost {
        report.problem(
            Some(&e.id),
            e.original.as_ref().map(|p| p.to_path()).as_deref(),
            &worded(
                "cli.vault.lost",
                &[("generation", &r.last_sealed.to_string())],
            ),
        )?;
    }
    for p in &r.temp_removed {
        report.warning(&Warning {
            path: p.clone(),
            message: worded("cli.vault.temp_removed", &[]),
            severity: Severity::Note,
        })?;
    }
    let lost = r.unrecoverable();
    let mut text = tn("cli.vault.sum.rebuilt", r.entries, &[]);
    if lost > 0 {
        text += &t("cli.clause_sep", &[]);
        text += &tn("cli.vault.sum.lost", lost, &[]);
    }
    report.summary(
        &Summary::Repair {
            entries: r.entries,
            metas_restored: r.metas_restored.len(),
            orphans_recovered: r.orphans_recovered.len(),
            unrecoverable: lost,
            lost: r.lost.len(),
        },
        &text,
    )?;
    Ok(ExitCode::from_failures(lost))
}
