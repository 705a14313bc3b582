//! Output of `idvault secure`: the plan, each file's outcome and the final report, as text or
//! JSON Lines.
//!
//! JSON Lines types written by `secure` (after `begin`):
//!
//! - `plan`: `{"path": PATH, "kind": "passport", "confidence": 0.97, "reasons": [...],
//!   "risks": [...], "action": "vault_then_wipe"|"vault_then_delete"|"vault_keep_original",
//!   "filesystem": "ext4"|null, "caveats": ["solid_state", …], "problem": "…"|null}`, one per
//!   file, in path order; `"whole_archive": true` when the finding is inside an archive, which
//!   is vaulted whole (the plan shows the archive's most confident finding).
//! - `leftover`: `{"path": PATH}`: idvault's own leftover (proved by its mark) that `--apply`
//!   removes.
//! - `warning`: as in `scan` (files that could not be read).
//! - `secured`: `{"path": PATH, "kind": "…", "entry": ID|null, "already_vaulted": bool,
//!   "original": "wiped"|"deleted"|"kept"|null, "error": "…"|null, "impostors": [{"id": ID,
//!   "problem": "…"}]}`, one per finding with `--apply`, in completion order. `impostors` are
//!   earlier vault entries that claimed to hold the file but did not when compared with it
//!   (planted or damaged); they were passed over.
//! - `leftover_wiped`: `{"path": PATH, "error": "…"|null}`.
//! - `left_out`: `{"path": PATH, "kind": "screenshot", "confidence": 0.95}`, one per finding
//!   that `--kind` or `--min-confidence` leaves out, in path order, after the plan lines.
//! - `summary`: `{"applied": bool, "vault": PATH, "findings": n, "secured": n,
//!   "already_vaulted": n, "failed": n, "bytes": n, "by_kind": {"passport": n, …},
//!   "sealed": n, "scan": {…scan summary…, "skipped_vaults": [PATH, …]}, "interrupted": bool}`,
//!   last line. `sealed`: vault entries this run checked against their metadata and sealed.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::human;
use super::json::{self, PathJson};
use super::wipe::{self as wipe_report, pad};
use super::writer::Writer;
use crate::i18n::{t, tn};
use crate::scan::finding::{Reason, Risk};
use crate::scan::{Finding, Warning};
use crate::secure::{Item, ItemOutcome, LeftoverOutcome, OriginalDone, Originals, Plan};
use crate::ui::color::Palette;
use crate::ui::prompt::{ConfirmPolicy, Confirmation};
use crate::wipe::Caveat;

/// Writes `secure` output.
pub struct SecureReport<W: Write> {
    writer: Writer<W>,
}

#[derive(Serialize)]
struct PlanJson<'a> {
    path: PathJson,
    kind: &'a str,
    confidence: f32,
    reasons: &'a [Reason],
    risks: &'a [Risk],
    action: &'a str,
    /// The finding is an entry of the archive at `path`, which is vaulted whole.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    whole_archive: bool,
    filesystem: Option<&'a str>,
    caveats: Vec<Caveat>,
    problem: Option<String>,
}

#[derive(Serialize)]
struct SecuredJson<'a> {
    path: PathJson,
    kind: &'a str,
    entry: Option<&'a str>,
    already_vaulted: bool,
    original: Option<&'a str>,
    error: Option<String>,
    impostors: Vec<ImpostorJson<'a>>,
}

#[derive(Serialize)]
struct ImpostorJson<'a> {
    id: &'a str,
    problem: String,
}

#[derive(Serialize)]
struct LeftoverJson {
    path: PathJson,
}

#[derive(Serialize)]
struct LeftOutJson<'a> {
    path: PathJson,
    kind: &'a str,
    confidence: f32,
}

#[derive(Serialize)]
struct LeftoverWipedJson {
    path: PathJson,
    error: Option<String>,
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    applied: bool,
    vault: PathJson,
    findings: usize,
    secured: usize,
    already_vaulted: usize,
    failed: usize,
    bytes: u64,
    by_kind: BTreeMap<&'a str, usize>,
    /// Vault entries this run checked against their metadata and sealed.
    sealed: u64,
    scan: super::scan::SummaryJson<'a>,
    interrupted: bool,
}

/// Totals of an applied run.
#[derive(Debug, Default)]
pub struct Totals {
    pub secured: usize,
    pub already_vaulted: usize,
    pub failed: usize,
    pub bytes: u64,
    pub by_kind: BTreeMap<&'static str, usize>,
    /// Vault entries that claimed to hold a file but did not (a detected attack or damage).
    pub impostors: usize,
    /// Vault entries checked against their metadata and sealed by this run.
    pub sealed: u64,
}

impl Totals {
    /// Counts one outcome.
    pub fn add(&mut self, o: &ItemOutcome<'_>) {
        self.impostors += o.impostors.len();
        if o.result.is_err() {
            self.failed += 1;
            return;
        }
        if o.already_vaulted {
            self.already_vaulted += 1;
        }
        self.secured += 1;
        self.bytes += o.finding.id.size;
        *self
            .by_kind
            .entry(o.finding.verdict.kind.as_str())
            .or_default() += 1;
    }
}

/// The confirmation question before securing `files` files into the vault at `vault`.
pub fn question(files: usize, vault: &Path, originals: Originals) -> String {
    let then = t(&format!("cli.secure.then.{}", action(originals)), &[]);
    tn(
        "cli.secure.question",
        files as u64,
        &[("vault", &human::path(vault)), ("then", &then)],
    )
}

fn action(originals: Originals) -> &'static str {
    match originals {
        Originals::Wipe => "vault_then_wipe",
        Originals::Delete => "vault_then_delete",
        Originals::Keep => "vault_keep_original",
    }
}

fn original_word(done: &OriginalDone) -> &'static str {
    match done {
        OriginalDone::Wiped { .. } => "wiped",
        OriginalDone::Deleted { .. } => "deleted",
        OriginalDone::Kept => "kept",
    }
}

impl<W: Write> SecureReport<W> {
    pub fn new(out: W, json: bool, palette: Palette) -> Self {
        SecureReport {
            writer: Writer::new(out, json, palette),
        }
    }

    pub fn begin(&mut self) -> io::Result<()> {
        self.writer.begin("secure")
    }

    /// The whole plan: every finding grouped under its action, then the caveats.
    pub fn plan(
        &mut self,
        plan: &Plan,
        originals: Originals,
        vault: &Path,
        vault_exists: bool,
    ) -> io::Result<()> {
        if self.writer.json {
            for item in &plan.items {
                self.plan_json(item, originals)?;
            }
            for path in &plan.leftovers {
                json::emit(
                    &mut self.writer.out,
                    "leftover",
                    LeftoverJson {
                        path: PathJson::new(path),
                    },
                )?;
            }
            for f in &plan.left_out {
                json::emit(
                    &mut self.writer.out,
                    "left_out",
                    LeftOutJson {
                        path: PathJson::new(&f.path),
                        kind: f.verdict.kind.as_str(),
                        confidence: f.verdict.confidence,
                    },
                )?;
            }
            return Ok(());
        }
        let p = self.writer.palette;
        let vault_note = if vault_exists {
            String::new()
        } else {
            t("cli.secure.new_vault", &[])
        };
        writeln!(
            self.writer.out,
            "{}{}{vault_note}",
            p.bold(&human::label("cli.secure.plan")),
            tn(
                "cli.secure.to_secure",
                plan.items.len() as u64,
                &[("vault", &human::path(vault))]
            ),
        )?;
        if !plan.items.is_empty() {
            self.writer.heading(&t(
                &format!("cli.secure.heading.{}", action(originals)),
                &[],
            ))?;
        }
        for item in &plan.items {
            let v = &item.finding.verdict;
            writeln!(
                self.writer.out,
                "  {} {:.2}  {}",
                p.red(&format!("{:<17}", v.kind.as_str())),
                v.confidence,
                p.bold(&human::finding_path(&item.finding))
            )?;
            if item.finding.member.is_some() {
                writeln!(
                    self.writer.out,
                    "      {}{}",
                    p.yellow(&human::label("cli.secure.archive")),
                    t("cli.secure.whole_archive", &[])
                )?;
            }
            human::reasons(&mut self.writer.out, &p, &v.reasons, "      ")?;
            human::risks(&mut self.writer.out, &p, &v.risks, "      ")?;
            // The disk and what overwriting cannot reach there are said once, below.
            if let Some(Err(e)) = &item.original {
                writeln!(
                    self.writer.out,
                    "      {}{}",
                    p.yellow(&human::label("cli.secure.original")),
                    t(
                        "cli.secure.not_removed",
                        &[("reason", &human::text(&e.to_string()))]
                    )
                )?;
            }
        }
        if !plan.leftovers.is_empty() {
            self.writer.heading(&t("cli.secure.leftovers", &[]))?;
            for path in &plan.leftovers {
                writeln!(self.writer.out, "  {}", human::path(path))?;
            }
        }
        self.left_out(&plan.left_out)?;
        let originals = plan
            .items
            .iter()
            .filter_map(|i| i.original.as_ref()?.as_ref().ok());
        let heading = t("cli.secure.caveats_heading", &[]);
        wipe_report::caveats(&mut self.writer, &heading, originals)?;
        Ok(())
    }

    /// The findings the plan leaves out, by kind with counts, and how to include them.
    fn left_out(&mut self, left_out: &[Finding]) -> io::Result<()> {
        if left_out.is_empty() {
            return Ok(());
        }
        let mut by_kind: BTreeMap<&str, u64> = BTreeMap::new();
        for f in left_out {
            *by_kind.entry(f.verdict.kind.as_str()).or_default() += 1;
        }
        let counts: Vec<String> = by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
        self.writer.heading(&tn(
            "cli.secure.left_out",
            left_out.len() as u64,
            &[("kinds", &counts.join(", "))],
        ))?;
        let p = self.writer.palette;
        for f in left_out {
            let v = &f.verdict;
            writeln!(
                self.writer.out,
                "  {} {:.2}  {}",
                p.dim(&format!("{:<17}", v.kind.as_str())),
                v.confidence,
                human::path(&f.path)
            )?;
        }
        let kinds: Vec<String> = by_kind.keys().map(|k| format!("--kind {k}")).collect();
        writeln!(
            self.writer.out,
            "  {}",
            t("cli.secure.include", &[("flags", &kinds.join(" "))])
        )
    }

    fn plan_json(&mut self, item: &Item, originals: Originals) -> io::Result<()> {
        let v = &item.finding.verdict;
        let (filesystem, caveats, problem) = match &item.original {
            Some(Ok(w)) => (Some(w.filesystem.fs_type.as_str()), w.caveats.clone(), None),
            Some(Err(e)) => (None, Vec::new(), Some(e.to_string())),
            None => (None, Vec::new(), None),
        };
        json::emit(
            &mut self.writer.out,
            "plan",
            PlanJson {
                path: PathJson::new(&item.finding.path),
                kind: v.kind.as_str(),
                confidence: v.confidence,
                reasons: &v.reasons,
                risks: &v.risks,
                action: action(originals),
                whole_archive: item.finding.member.is_some(),
                filesystem,
                caveats,
                problem,
            },
        )
    }

    /// A file the scan could not read, or a note.
    pub fn warning(&mut self, w: &Warning) -> io::Result<()> {
        self.writer.warning(w)
    }

    /// The prompt was answered "no": nothing changed.
    pub fn declined(&mut self) -> io::Result<()> {
        self.writer.declined()
    }

    /// Asks `question` after the plan above it has reached the terminal.
    pub fn confirm(&mut self, policy: ConfirmPolicy, question: &str) -> io::Result<Confirmation> {
        self.writer.confirm(policy, question)
    }

    /// Says that nothing changed.
    pub fn dry_run(&mut self) -> io::Result<()> {
        if !self.writer.json {
            self.writer.heading(&t("cli.secure.dry_run", &[]))?;
        }
        self.writer.out.flush()
    }

    /// One finding's outcome.
    pub fn outcome(&mut self, o: &ItemOutcome<'_>) -> io::Result<()> {
        let entry = o.entry.as_ref().map(|e| e.id.as_str());
        let original = o.result.as_ref().ok().map(original_word);
        let error = o.result.as_ref().err().map(ToString::to_string);
        if self.writer.json {
            return json::emit(
                &mut self.writer.out,
                "secured",
                SecuredJson {
                    path: PathJson::new(&o.finding.path),
                    kind: o.finding.verdict.kind.as_str(),
                    entry,
                    already_vaulted: o.already_vaulted,
                    original,
                    error,
                    impostors: o
                        .impostors
                        .iter()
                        .map(|(e, err)| ImpostorJson {
                            id: e.id.as_str(),
                            problem: err.to_string(),
                        })
                        .collect(),
                },
            );
        }
        let p = self.writer.palette;
        let path = human::path(&o.finding.path);
        for (e, err) in &o.impostors {
            writeln!(
                self.writer.out,
                "{} {path}: {}",
                p.red(&pad(&t("cli.secure.bad", &[]), 7)),
                t(
                    "cli.secure.impostor",
                    &[("id", &e.id.to_string()), ("error", &err.to_string())]
                )
            )?;
        }
        match (&o.result, entry) {
            (Ok(done), Some(id)) => {
                let how = if o.already_vaulted {
                    "cli.secure.already_as"
                } else {
                    "cli.secure.vaulted_as"
                };
                let original = t(&format!("cli.secure.original_{}", original_word(done)), &[]);
                writeln!(
                    self.writer.out,
                    "{} {path}: {}",
                    p.green(&pad(&t("cli.secure.secured", &[]), 7)),
                    t(how, &[("id", id), ("original", &original)])
                )
            }
            _ => writeln!(
                self.writer.out,
                "{} {path}: {}",
                p.red(&pad(&t("cli.secure.failed", &[]), 7)),
                human::text(&error.unwrap_or_default())
            ),
        }
    }

    /// An interrupted wipe finished (or not).
    pub fn leftover(&mut self, l: &LeftoverOutcome<'_>) -> io::Result<()> {
        let error = l.result.as_ref().err().map(ToString::to_string);
        if self.writer.json {
            return json::emit(
                &mut self.writer.out,
                "leftover_wiped",
                LeftoverWipedJson {
                    path: PathJson::new(l.path),
                    error,
                },
            );
        }
        match error {
            None => writeln!(
                self.writer.out,
                "{} {}",
                self.writer
                    .palette
                    .green(&pad(&t("cli.wipe.verb.wiped", &[]), 7)),
                human::path(l.path)
            ),
            Some(e) => writeln!(
                self.writer.out,
                "{} {}: {}",
                self.writer
                    .palette
                    .red(&pad(&t("cli.secure.failed", &[]), 7)),
                human::path(l.path),
                human::text(&e)
            ),
        }
    }

    /// The final report.
    pub fn summary(
        &mut self,
        applied: bool,
        vault: &Path,
        plan: &Plan,
        totals: &Totals,
        interrupted: bool,
    ) -> io::Result<()> {
        if self.writer.json {
            json::emit(
                &mut self.writer.out,
                "summary",
                SummaryJson {
                    applied,
                    vault: PathJson::new(vault),
                    findings: plan.items.len(),
                    secured: totals.secured,
                    already_vaulted: totals.already_vaulted,
                    failed: totals.failed,
                    bytes: totals.bytes,
                    by_kind: totals.by_kind.clone(),
                    sealed: totals.sealed,
                    scan: super::scan::SummaryJson::new(&plan.scan),
                    interrupted,
                },
            )?;
            return self.writer.out.flush();
        }
        if applied {
            let kinds: Vec<String> = totals
                .by_kind
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            let kinds = if kinds.is_empty() {
                String::new()
            } else {
                format!(": {}", kinds.join(", "))
            };
            self.writer.heading(&tn(
                "cli.secure.summary",
                plan.items.len() as u64,
                &[
                    ("secured", &totals.secured.to_string()),
                    ("size", &human::size(totals.bytes)),
                    ("vault", &human::path(vault)),
                    ("kinds", &kinds),
                ],
            ))?;
            if totals.already_vaulted > 0 {
                writeln!(
                    self.writer.out,
                    "{}",
                    tn("cli.secure.already", totals.already_vaulted as u64, &[])
                )?;
            }
            if totals.sealed > 0 {
                writeln!(
                    self.writer.out,
                    "{}",
                    tn("cli.secure.sealed", totals.sealed, &[])
                )?;
            }
            if totals.failed > 0 {
                writeln!(
                    self.writer.out,
                    "{}",
                    tn("cli.secure.not_secured", totals.failed as u64, &[])
                )?;
            }
            if interrupted {
                let left = plan.items.len() - totals.secured - totals.failed;
                writeln!(
                    self.writer.out,
                    "{}",
                    self.writer
                        .palette
                        .bold(&tn("cli.secure.interrupted", left as u64, &[]))
                )?;
            }
            writeln!(
                self.writer.out,
                "\n{}",
                t("cli.secure.beyond", &[("vault", &human::path(vault))])
            )?;
        } else if interrupted {
            writeln!(
                self.writer.out,
                "{}",
                self.writer
                    .palette
                    .bold(&t("cli.secure.interrupted_scan", &[]))
            )?;
        }
        if let Some(vaults) = super::scan::skipped_vaults_line(&plan.scan) {
            writeln!(self.writer.out, "{vaults}")?;
        }
        self.writer.out.flush()
    }
}
