//! Output of `idvault vault …`: one line per entry or file on stdout (human or JSON Lines),
//! summaries and warnings on stderr. JSON types, besides `begin`:
//!
//! - `vault`: `{"path": PATH, "recipients": [..], "created": true|false}` (init).
//! - `plan`: `{"path": PATH, "size": n, "action": "add and remove original"}` (dry run).
//! - `added`: `{"path": PATH, "id": ID, "size": n, "sha256": "…", "stripped": null|[..]}`.
//! - `already`: `{"path": PATH, "id": ID}`: the file is in the vault already; not added again.
//! - `removed`: `{"path": PATH, "id": ID, "how": "wiped"}` (or "wiped, with N thumbnails").
//! - `entry`: `{"id", "path": PATH|null, "size", "mtime", "sha256", "kind", "added",
//!   "stripped"}` (list).
//! - `extracted`: `{"id", "to": PATH, "renamed": true|false}`; `renamed`: another entry of
//!   the same run had taken the name, so this one got a numbered name beside it.
//! - `skipped`: `{"id", "path": PATH|null, "kept": ID}` (extract): an unsealed entry claiming
//!   the same original as the sealed entry `kept`, which was restored instead.
//! - `verified`: `{"id"}`; `problem`: `{"id": ID|null, "path": PATH|null, "problem": "…"}`.
//! - `unsealed`: `{"id"}`: an entry not covered by a checked seal (added without the
//!   passphrase, or listed by an unsealed manifest); the next write command with the
//!   passphrase (`add`, `repair`, `secure`) checks and seals it. Reading never seals.
//! - `warning`: `{"path": PATH, "severity": "error"|"note", "message": "…"}`.
//! - `summary`: counts for the command, last line (see [`Summary`] for each command's fields).

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::text::{self, get, worded, worded_with};
use super::writer::Writer;
use super::{human, json};
use crate::i18n::{Lang, t, tn};
use crate::scan::{Message, Severity, Warning};
use crate::ui::color::Palette;
use crate::vault::check::{Finding, RepairReport, VerifySummary};
use crate::vault::{
    AddEvent, AddSummary, Entry, EntryId, Error as VaultError, ExtractEvent, ExtractSummary, Index,
    ItemError, ManifestSeal, OriginalDone,
};

/// The counts of a `summary` line, one shape per vault command.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Summary {
    /// `vault init`.
    Init { created: bool },
    /// `vault add`.
    Add {
        added: u64,
        already: u64,
        bytes: u64,
        failed: u64,
        removed: u64,
        kept: u64,
        /// Entries checked against their metadata and sealed by this run.
        sealed: u64,
    },
    /// `vault list`.
    List {
        entries: usize,
        pending: usize,
        unreadable: usize,
        unsealed: usize,
    },
    /// `vault extract`.
    Extract {
        extracted: u64,
        failed: u64,
        renamed: u64,
        skipped: u64,
    },
    /// `vault verify`.
    Verify {
        entries: u64,
        ok: u64,
        problems: u64,
        pending: u64,
        manifest: bool,
        unsealed: usize,
        seals_checked: bool,
    },
    /// `vault repair`.
    Repair {
        entries: u64,
        metas_restored: usize,
        orphans_recovered: usize,
        unrecoverable: u64,
        /// Entries the last sealed manifest held whose files are both gone.
        lost: usize,
    },
}

/// Writes vault results.
pub struct VaultReport<W: Write> {
    writer: Writer<W>,
}

#[derive(Serialize)]
struct EntryJson<'a> {
    id: &'a str,
    path: Option<json::PathJson>,
    size: u64,
    mtime: i64,
    sha256: &'a str,
    kind: Option<&'a str>,
    added: i64,
    stripped: Option<&'a [String]>,
}

impl<'a> EntryJson<'a> {
    fn new(e: &'a Entry) -> Self {
        EntryJson {
            id: e.id.as_str(),
            path: e
                .original
                .as_ref()
                .map(|p| json::PathJson::new(&p.to_path())),
            size: e.size,
            mtime: e.mtime,
            sha256: &e.sha256,
            kind: e.detected.as_ref().map(|d| d.kind.as_str()),
            added: e.added,
            stripped: e.stripped.as_ref().map(|s| s.removed.as_slice()),
        }
    }
}

/// Says on stderr that another process holds the vault lock and this one waits for it.
pub fn busy(pid: Option<u32>) {
    let who = pid.map_or_else(
        || t("cli.vault.busy_other", &[]),
        |p| t("cli.vault.busy_pid", &[("pid", &p.to_string())]),
    );
    eprintln!("idvault: {}", t("cli.vault.busy", &[("who", &who)]));
}

/// The confirmation question of `vault add --remove-originals --apply`.
pub fn remove_question(files: usize) -> String {
    crate::i18n::tn("cli.vault.remove_question", files as u64, &[])
}

fn shown(e: &Entry) -> String {
    e.original.as_ref().map_or_else(
        || t("cli.vault.recovered", &[]),
        |p| human::path(&p.to_path()),
    )
}

impl<W: Write> VaultReport<W> {
    pub fn new(out: W, json: bool, palette: Palette) -> Self {
        VaultReport {
            writer: Writer::new(out, json, palette),
        }
    }

    pub fn begin(&mut self, command: &str) -> io::Result<()> {
        self.writer.begin(command)
    }

    pub fn created(&mut self, root: &Path, recipients: &[String]) -> io::Result<()> {
        if self.writer.json {
            #[derive(Serialize)]
            struct V<'a> {
                path: json::PathJson,
                recipients: &'a [String],
            }
            return json::emit(
                &mut self.writer.out,
                "vault",
                V {
                    path: json::PathJson::new(root),
                    recipients,
                },
            );
        }
        writeln!(
            self.writer.out,
            "{}",
            t(
                "cli.vault.created",
                &[("path", &self.writer.palette.bold(&human::path(root)))]
            )
        )?;
        writeln!(
            self.writer.out,
            "  {}",
            t("cli.vault.public_key", &[("key", &recipients[0])])
        )?;
        for r in &recipients[1..] {
            writeln!(
                self.writer.out,
                "  {}",
                t("cli.vault.also_to", &[("key", r)])
            )?;
        }
        writeln!(self.writer.out, "  {}", t("cli.vault.keep_passphrase", &[]))
    }

    /// Another process holds the vault lock; this one waits (said on stderr).
    pub fn busy(&self, pid: Option<u32>) {
        busy(pid);
    }

    /// The prompt was answered "no": nothing changed.
    pub fn declined(&mut self) -> io::Result<()> {
        self.writer.declined()
    }

    /// Asks `question` after the plan above it has reached the terminal.
    pub fn confirm(
        &mut self,
        policy: crate::ui::prompt::ConfirmPolicy,
        question: &str,
    ) -> io::Result<crate::ui::prompt::Confirmation> {
        self.writer.confirm(policy, question)
    }

    pub fn plan(&mut self, path: &Path, bytes: u64) -> io::Result<()> {
        if self.writer.json {
            #[derive(Serialize)]
            struct P {
                path: json::PathJson,
                size: u64,
                action: &'static str,
            }
            return json::emit(
                &mut self.writer.out,
                "plan",
                P {
                    path: json::PathJson::new(path),
                    size: bytes,
                    action: "add, verify, then wipe the original",
                },
            );
        }
        writeln!(
            self.writer.out,
            "{}  {:>10}  {}",
            t("cli.vault.would_add", &[]),
            human::size(bytes),
            human::path(path)
        )
    }

    pub fn plan_summary(&mut self, files: usize, bytes: u64) -> io::Result<()> {
        if self.writer.json {
            #[derive(Serialize)]
            struct S {
                files: usize,
                bytes: u64,
                applied: bool,
            }
            return json::emit(
                &mut self.writer.out,
                "summary",
                S {
                    files,
                    bytes,
                    applied: false,
                },
            );
        }
        self.writer.out.flush()?;
        eprintln!(
            "{}",
            self.writer.palette.bold(&tn(
                "cli.vault.dry_run",
                files as u64,
                &[("size", &human::size(bytes))]
            ))
        );
        Ok(())
    }

    pub fn added(&mut self, path: &Path, e: &Entry) -> io::Result<()> {
        if self.writer.json {
            #[derive(Serialize)]
            struct A<'a> {
                path: json::PathJson,
                id: &'a str,
                size: u64,
                sha256: &'a str,
                stripped: Option<&'a [String]>,
            }
            return json::emit(
                &mut self.writer.out,
                "added",
                A {
                    path: json::PathJson::new(path),
                    id: e.id.as_str(),
                    size: e.size,
                    sha256: &e.sha256,
                    stripped: e.stripped.as_ref().map(|s| s.removed.as_slice()),
                },
            );
        }
        let stripped = if e.stripped.is_some() {
            t("cli.vault.stripped", &[])
        } else {
            t("cli.vault.not_stripped", &[])
        };
        writeln!(
            self.writer.out,
            "{} {}  {:>10}  {}  ({stripped})",
            self.writer.palette.green(&t("cli.vault.added", &[])),
            &e.id.as_str()[..12],
            human::size(e.size),
            human::path(path)
        )
    }

    pub fn already(&mut self, path: &Path, e: &Entry) -> io::Result<()> {
        if self.writer.json {
            #[derive(Serialize)]
            struct A<'a> {
                path: json::PathJson,
                id: &'a str,
            }
            return json::emit(
                &mut self.writer.out,
                "already",
                A {
                    path: json::PathJson::new(path),
                    id: e.id.as_str(),
                },
            );
        }
        writeln!(
            self.writer.out,
            "{} {}  {}  ({})",
            self.writer.palette.dim(&t("cli.vault.present", &[])),
            &e.id.as_str()[..12],
            human::path(path),
            t("cli.vault.already", &[])
        )
    }

    pub fn removed(&mut self, path: &Path, how: &OriginalDone) -> io::Result<()> {
        if self.writer.json {
            #[derive(Serialize)]
            struct R {
                path: json::PathJson,
                how: String,
            }
            return json::emit(
                &mut self.writer.out,
                "removed",
                R {
                    path: json::PathJson::new(path),
                    how: how.to_string(),
                },
            );
        }
        let (word, thumbnails) = match how {
            OriginalDone::Wiped { thumbnails } => ("cli.secure.original_wiped", *thumbnails),
            OriginalDone::Deleted { thumbnails } => ("cli.secure.original_deleted", *thumbnails),
            OriginalDone::Kept => ("cli.secure.original_kept", 0),
        };
        let mut how = t(word, &[]);
        if thumbnails > 0 {
            how += &t("cli.list_sep", &[]);
            how += &tn("cli.wipe.thumbnails_of_it", thumbnails as u64, &[]);
        }
        writeln!(
            self.writer.out,
            "{} {}: {}",
            self.writer.palette.yellow(&t("cli.vault.removed", &[])),
            human::path(path),
            t("cli.vault.removed_how", &[("how", &how)])
        )
    }

    /// A per-file failure (on stderr for humans).
    pub fn failed(&mut self, path: &Path, message: Message) -> io::Result<()> {
        self.warning(&Warning {
            path: path.to_path_buf(),
            message,
            severity: Severity::Error,
        })
    }

    pub fn warning(&mut self, w: &Warning) -> io::Result<()> {
        self.writer.warning(w)
    }

    pub fn entry(&mut self, e: &Entry) -> io::Result<()> {
        if self.writer.json {
            return json::emit(&mut self.writer.out, "entry", EntryJson::new(e));
        }
        // The kind's code in English (what `--kind` takes), its name in other languages.
        let kind = e.detected.as_ref().map_or_else(
            || "-".into(),
            |d| match crate::i18n::lang() {
                Lang::En => d.kind.as_str().to_string(),
                _ => t(&format!("kind.{}", d.kind.as_str()), &[]),
            },
        );
        writeln!(
            self.writer.out,
            "{}  {:>10}  {:<16}  {}",
            &e.id.as_str()[..12],
            human::size(e.size),
            kind,
            shown(e)
        )
    }

    /// An entry restored to `to`; `renamed` when its own name was taken by another entry of
    /// the same run.
    pub fn extracted(&mut self, e: &Entry, to: &Path, renamed: bool) -> io::Result<()> {
        if self.writer.json {
            #[derive(Serialize)]
            struct X<'a> {
                id: &'a str,
                to: json::PathJson,
                renamed: bool,
            }
            return json::emit(
                &mut self.writer.out,
                "extracted",
                X {
                    id: e.id.as_str(),
                    to: json::PathJson::new(to),
                    renamed,
                },
            );
        }
        let note = if renamed {
            format!("  ({})", t("cli.vault.renamed", &[]))
        } else {
            String::new()
        };
        writeln!(
            self.writer.out,
            "{} {}  {}{note}",
            t("cli.vault.extracted", &[]),
            &e.id.as_str()[..12],
            human::path(to)
        )
    }

    /// An unsealed entry not extracted because the sealed entry `kept` claims the same
    /// original and was restored instead.
    pub fn skipped(&mut self, e: &Entry, kept: &EntryId) -> io::Result<()> {
        if self.writer.json {
            #[derive(Serialize)]
            struct S<'a> {
                id: &'a str,
                path: Option<json::PathJson>,
                kept: &'a str,
            }
            return json::emit(
                &mut self.writer.out,
                "skipped",
                S {
                    id: e.id.as_str(),
                    path: e
                        .original
                        .as_ref()
                        .map(|p| json::PathJson::new(&p.to_path())),
                    kept: kept.as_str(),
                },
            );
        }
        writeln!(
            self.writer.out,
            "{} {}  {}: {}",
            self.writer.palette.yellow(&t("cli.vault.skipped", &[])),
            &e.id.as_str()[..12],
            shown(e),
            t("cli.vault.skipped_why", &[("kept", &kept.as_str()[..12])]),
        )
    }

    pub fn verified(&mut self, e: &Entry) -> io::Result<()> {
        if self.writer.json {
            #[derive(Serialize)]
            struct V<'a> {
                id: &'a str,
            }
            return json::emit(&mut self.writer.out, "verified", V { id: e.id.as_str() });
        }
        writeln!(
            self.writer.out,
            "{} {}  {}",
            self.writer.palette.green(&t("cli.vault.ok", &[])),
            &e.id.as_str()[..12],
            shown(e)
        )
    }

    /// An entry not covered by a checked seal.
    pub fn unsealed(&mut self, id: &EntryId, e: Option<&Entry>) -> io::Result<()> {
        if self.writer.json {
            #[derive(Serialize)]
            struct U<'a> {
                id: &'a str,
            }
            return json::emit(&mut self.writer.out, "unsealed", U { id: id.as_str() });
        }
        let what = e.map_or_else(String::new, |e| format!("  {}", shown(e)));
        writeln!(
            self.writer.out,
            "{} {}{what}  ({})",
            self.writer.palette.yellow(&t("cli.vault.unsealed", &[])),
            &id.as_str()[..12],
            t("cli.vault.unsealed_why", &[]),
        )
    }

    /// A problem with an entry (`id`) or a file in the vault (`path`).
    pub fn problem(
        &mut self,
        id: Option<&EntryId>,
        path: Option<&Path>,
        problem: &Message,
    ) -> io::Result<()> {
        if self.writer.json {
            #[derive(Serialize)]
            struct P<'a> {
                id: Option<&'a str>,
                path: Option<json::PathJson>,
                problem: &'a str,
            }
            return json::emit(
                &mut self.writer.out,
                "problem",
                P {
                    id: id.map(EntryId::as_str),
                    path: path.map(json::PathJson::new),
                    problem: &text::message(problem, Lang::En),
                },
            );
        }
        let what = match (id, path) {
            (Some(id), Some(p)) => format!("{id} ({})", human::path(p)),
            (Some(id), None) => id.to_string(),
            (None, Some(p)) => human::path(p),
            (None, None) => String::new(),
        };
        writeln!(
            self.writer.out,
            "{} {what}: {}",
            self.writer.palette.red(&t("cli.secure.bad", &[])),
            human::text(&text::message(problem, crate::i18n::lang()))
        )
    }

    /// The final line: the counts as JSON, or `text` on stderr.
    pub fn summary(&mut self, counts: &Summary, text: &str) -> io::Result<()> {
        if self.writer.json {
            json::emit(&mut self.writer.out, "summary", counts)?;
        } else {
            self.writer.out.flush()?;
            writeln!(io::stderr(), "{}", self.writer.palette.bold(text))?;
        }
        self.writer.out.flush()
    }
}

/// The words of `vault` results that the domain gives as values: one method per kind of
/// result, each worded from the catalogue and printed through the lines above.
impl<W: Write> VaultReport<W> {
    /// A path named to `vault add` that cannot be read.
    pub fn cannot_add(&mut self, path: &Path, error: &io::Error) -> io::Result<()> {
        self.failed(
            path,
            worded_with(|l| {
                let error = crate::i18n::os_error(error, l);
                get(l, "cli.vault.cannot_add", &[("error", &error)])
            }),
        )
    }

    /// One event of [`crate::vault::add_all`].
    pub fn add_event(&mut self, ev: &AddEvent<'_>) -> io::Result<()> {
        match ev {
            AddEvent::Added { path, entry } => self.added(path, entry),
            AddEvent::AlreadyIn { path, entry } => self.already(path, entry),
            AddEvent::Failed { path, error } => self.failed(
                path,
                worded_with(|l| {
                    let error = match error {
                        ItemError::Vault(e) => e.text_in(l),
                        other => other.text_in(l),
                    };
                    get(l, "cli.vault.not_added", &[("error", &error)])
                }),
            ),
            AddEvent::Impostor { path, entry, error } => self.problem(
                Some(&entry.id),
                Some(path),
                &worded_with(|l| get(l, "cli.vault.impostor", &[("error", &error.text_in(l))])),
            ),
            AddEvent::Removed { path, how } => self.removed(path, how),
            AddEvent::Kept { path, error } => self.failed(
                path,
                worded_with(|l| {
                    get(
                        l,
                        "cli.vault.original_kept",
                        &[("error", &error.text_in(l))],
                    )
                }),
            ),
        }
    }

    /// The note of a reading command run without the seal key: entries not yet sealed are
    /// listed as such, not checked.
    pub fn seals_not_checked(&mut self, root: &Path) -> io::Result<()> {
        self.warning(&Warning {
            path: root.to_path_buf(),
            message: worded("cli.vault.seals_not_checked", &[]),
            severity: Severity::Note,
        })
    }

    /// What the index says about the vault's state besides its entries: metadata that cannot
    /// be read (or holds implausible values), the manifest's state, unsealed entries. Returns
    /// the number of problems reported.
    pub fn index_state(&mut self, index: &Index) -> io::Result<u64> {
        let mut problems = 0;
        for (id, err) in &index.unreadable {
            problems += 1;
            self.problem(Some(id), None, &error_problem(err))?;
        }
        if let Some(e) = &index.manifest_error {
            problems += 1;
            self.problem(None, None, &manifest_unreadable(e))?;
        }
        if matches!(index.seal, ManifestSeal::Forged | ManifestSeal::Replaced) {
            problems += 1;
            self.problem(None, None, &error_problem(&VaultError::ManifestForged))?;
        }
        if let Some((found, pinned)) = index.rollback {
            problems += 1;
            self.problem(
                None,
                None,
                &error_problem(&VaultError::RolledBack { found, pinned }),
            )?;
        }
        for id in &index.unsealed {
            let entry = index.entries.iter().find(|e| &e.id == id);
            self.unsealed(id, entry)?;
        }
        Ok(problems)
    }

    /// An id or path given to `vault extract` that names no entry.
    pub fn no_such_entry(&mut self, selector: &Path) -> io::Result<()> {
        self.failed(selector, worded("cli.vault.no_such_entry", &[]))
    }

    /// One event of [`crate::vault::extract_all`].
    pub fn extract_event(&mut self, ev: &ExtractEvent<'_>) -> io::Result<()> {
        match ev {
            ExtractEvent::Skipped { entry, kept } => self.skipped(entry, &kept.id),
            ExtractEvent::Extracted { entry, to, renamed } => self.extracted(entry, to, *renamed),
            ExtractEvent::Failed { entry, error } => {
                let id = entry.id.to_string();
                self.failed(
                    Path::new(&id),
                    worded_with(|l| {
                        get(
                            l,
                            "cli.vault.not_extracted",
                            &[("error", &error.text_in(l))],
                        )
                    }),
                )
            }
        }
    }

    /// A problem [`crate::vault::check::verify`] found.
    pub fn finding(&mut self, finding: &Finding) -> io::Result<()> {
        match finding {
            Finding::Bad { entry, error } => self.problem(
                Some(&entry.id),
                entry.original.as_ref().map(|p| p.to_path()).as_deref(),
                &error_problem(error),
            ),
            Finding::Orphan { id } => {
                self.problem(Some(id), None, &worded("cli.vault.orphan", &[]))
            }
            Finding::UnreadableMeta { id, error } => self.problem(
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
            Finding::MissingMeta { id } => {
                self.problem(Some(id), None, &worded("cli.vault.meta_missing", &[]))
            }
            Finding::Stray { path } => {
                self.problem(None, Some(path), &worded("cli.vault.stray", &[]))
            }
            Finding::ManifestUnreadable { error } => {
                self.problem(None, None, &manifest_unreadable(error))
            }
            Finding::ManifestForged => {
                self.problem(None, None, &error_problem(&VaultError::ManifestForged))
            }
            Finding::Rollback { found, pinned } => self.problem(
                None,
                None,
                &error_problem(&VaultError::RolledBack {
                    found: *found,
                    pinned: *pinned,
                }),
            ),
        }
    }

    /// What [`crate::vault::check::repair`] did and could not do, one line each.
    pub fn repaired(&mut self, r: &RepairReport) -> io::Result<()> {
        for id in &r.metas_restored {
            self.problem(Some(id), None, &worded("cli.vault.meta_restored", &[]))?;
        }
        for id in &r.orphans_recovered {
            self.problem(Some(id), None, &worded("cli.vault.orphan_recovered", &[]))?;
        }
        for (id, e) in &r.orphans_unreadable {
            self.problem(
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
            self.problem(Some(id), None, &worded("cli.vault.object_missing", &[]))?;
        }
        for (id, e) in &r.unreadable_metas {
            self.problem(
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
            self.problem(
                Some(id),
                None,
                &worded_with(|l| get(l, "cli.vault.refused", &[("error", &e.text_in(l))])),
            )?;
        }
        for e in &r.lost {
            self.problem(
                Some(&e.id),
                e.original.as_ref().map(|p| p.to_path()).as_deref(),
                &worded(
                    "cli.vault.lost",
                    &[("generation", &r.last_sealed.to_string())],
                ),
            )?;
        }
        for p in &r.temp_removed {
            self.warning(&Warning {
                path: p.clone(),
                message: worded("cli.vault.temp_removed", &[]),
                severity: Severity::Note,
            })?;
        }
        Ok(())
    }

    /// The summary of `vault add`: `remove` when originals were to be removed, `stay_unsealed`
    /// when the new entries could not be sealed (no passphrase).
    pub fn add_summary(
        &mut self,
        s: &AddSummary,
        remove: bool,
        stay_unsealed: bool,
    ) -> io::Result<()> {
        let bytes = s.bytes.to_string();
        let mut parts = vec![tn("cli.vault.sum.added", s.added, &[("bytes", &bytes)])];
        if s.already > 0 {
            parts.push(tn("cli.vault.sum.already", s.already, &[]));
        }
        if s.failed > 0 {
            parts.push(tn("cli.vault.sum.failed", s.failed, &[]));
        }
        if remove {
            parts.push(tn("cli.vault.sum.wiped", s.removed, &[]));
            parts.push(tn("cli.vault.sum.kept", s.kept, &[]));
        }
        if s.sealed > 0 {
            parts.push(tn("cli.vault.sum.sealed", s.sealed, &[]));
        }
        if s.not_sealed > 0 {
            parts.push(tn("cli.vault.sum.not_sealed", s.not_sealed, &[]));
        }
        let mut text = parts.join(&t("cli.list_sep", &[]));
        if stay_unsealed && s.added > 0 {
            text += &t("cli.clause_sep", &[]);
            text += &t("cli.vault.sum.stay_unsealed", &[]);
        }
        self.summary(
            &Summary::Add {
                added: s.added,
                already: s.already,
                bytes: s.bytes,
                failed: s.failed,
                removed: s.removed,
                kept: s.kept,
                sealed: s.sealed,
            },
            &text,
        )
    }

    /// The summary of `vault list`.
    pub fn list_summary(&mut self, index: &Index) -> io::Result<()> {
        let (entries, unsealed) = (index.entries.len(), index.unsealed.len());
        let mut text = tn("cli.vault.sum.entries", entries as u64, &[]);
        if unsealed > 0 {
            text += &t("cli.clause_sep", &[]);
            text += &tn("cli.vault.sum.list_unsealed", unsealed as u64, &[]);
        }
        self.summary(
            &Summary::List {
                entries,
                pending: index.pending.len(),
                unreadable: index.unreadable.len(),
                unsealed,
            },
            &text,
        )
    }

    /// The summary of `vault extract`; `failed` counts every failure of the command (the
    /// vault's state, unknown names, entries not restored).
    pub fn extract_summary(&mut self, s: &ExtractSummary, failed: u64) -> io::Result<()> {
        let mut parts = vec![
            tn("cli.vault.sum.extracted", s.extracted, &[]),
            tn("cli.vault.sum.failed", failed, &[]),
        ];
        if s.renamed > 0 {
            parts.push(tn("cli.vault.sum.renamed", s.renamed, &[]));
        }
        if s.skipped > 0 {
            parts.push(tn("cli.vault.sum.skipped", s.skipped, &[]));
        }
        let text = parts.join(&t("cli.list_sep", &[]));
        self.summary(
            &Summary::Extract {
                extracted: s.extracted,
                failed,
                renamed: s.renamed,
                skipped: s.skipped,
            },
            &text,
        )
    }

    /// The summary of `vault verify`.
    pub fn verify_summary(&mut self, s: &VerifySummary) -> io::Result<()> {
        let mut parts = vec![format!(
            "{}{}{}",
            tn("cli.vault.sum.verified", s.ok, &[]),
            t("cli.list_sep", &[]),
            tn("cli.vault.sum.problems", s.problems, &[])
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
        self.summary(
            &Summary::Verify {
                entries: s.entries,
                ok: s.ok,
                problems: s.problems,
                pending: s.pending,
                manifest: s.has_manifest,
                unsealed: s.unsealed.len(),
                seals_checked: s.seals_checked,
            },
            &text,
        )
    }

    /// The summary of `vault repair`.
    pub fn repair_summary(&mut self, r: &RepairReport) -> io::Result<()> {
        let lost = r.unrecoverable();
        let mut text = tn("cli.vault.sum.rebuilt", r.entries, &[]);
        if lost > 0 {
            text += &t("cli.clause_sep", &[]);
            text += &tn("cli.vault.sum.lost", lost, &[]);
        }
        self.summary(
            &Summary::Repair {
                entries: r.entries,
                metas_restored: r.metas_restored.len(),
                orphans_recovered: r.orphans_recovered.len(),
                unrecoverable: lost,
                lost: r.lost.len(),
            },
            &text,
        )
    }
}

/// The problem line for a manifest that cannot be read.
fn manifest_unreadable(e: &VaultError) -> Message {
    let key = match e {
        VaultError::ManifestMissing { .. } | VaultError::ManifestForeign { .. } => {
            "cli.vault.manifest_gone"
        }
        _ => "cli.vault.manifest_unreadable",
    };
    worded_with(|l| get(l, key, &[("error", &e.text_in(l))]))
}

/// A vault error as a problem line.
fn error_problem(e: &VaultError) -> Message {
    worded_with(|l| e.text_in(l))
}
