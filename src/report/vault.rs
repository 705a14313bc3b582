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

use super::text;
use super::writer::Writer;
use super::{human, json};
use crate::i18n::{Lang, t, tn};
use crate::scan::{Message, Severity, Warning};
use crate::ui::color::Palette;
use crate::vault::{Entry, EntryId, OriginalDone};

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
