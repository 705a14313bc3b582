//! Output of `idvault strip`: one line per file (what was or would be removed, with sizes) on
//! stdout, failures and the summary on stderr; or JSON Lines.
//!
//! JSON records (see [`super::json`]): `begin`; `file` with `{"path": PATH, "status":
//! "planned"|"stripped"|"unchanged"|"unsupported"|"failed", "format": "jpeg"|null, "removed":
//! [{"group": "EXIF", "size": 123}], "bytes_removed": n, "output": PATH|null, "message":
//! "…"|null}`; `warning` for walk problems; `summary` with `{"files", "planned", "stripped",
//! "unchanged", "unsupported", "failed", "bytes_removed", "elapsed"}`.

use std::io::{self, Write};

use serde::Serialize;

use super::wipe::pad;
use super::writer::Writer;
use super::{human, json};
use crate::i18n::{t, tn};
use crate::metadata::Removed;
use crate::metadata::apply::{Outcome, Status, Summary};
use crate::scan::{Severity, Warning};
use crate::ui::color::Palette;
use crate::ui::prompt::{ConfirmPolicy, Confirmation};
use crate::ui::sanitize;

/// Writes strip results as they arrive.
pub struct StripReport<W: Write> {
    writer: Writer<W>,
}

#[derive(Serialize)]
struct FileJson<'a> {
    path: json::PathJson,
    status: Status,
    format: Option<&'a str>,
    removed: &'a [Removed],
    bytes_removed: u64,
    output: Option<json::PathJson>,
    message: Option<&'a str>,
}

impl<W: Write> StripReport<W> {
    pub fn new(out: W, json: bool, palette: Palette) -> Self {
        StripReport {
            writer: Writer::new(out, json, palette),
        }
    }

    pub fn begin(&mut self) -> io::Result<()> {
        self.writer.begin("strip")
    }

    pub fn file(&mut self, o: &Outcome) -> io::Result<()> {
        if self.writer.json {
            return json::emit(
                &mut self.writer.out,
                "file",
                FileJson {
                    path: json::PathJson::new(&o.path),
                    status: o.status,
                    format: o.format.map(|f| f.as_str()),
                    removed: &o.removed,
                    bytes_removed: o.removed.iter().map(|r| r.size).sum(),
                    output: o.output.as_deref().map(json::PathJson::new),
                    message: o.message.as_deref(),
                },
            );
        }
        let p = &self.writer.palette;
        let path = human::path(&o.path);
        let format = o.format.map(|f| format!(" ({f})")).unwrap_or_default();
        let groups = o
            .removed
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    crate::ui::sanitize::text(&r.group),
                    human::size(r.size)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let output = o
            .output
            .as_deref()
            .map(|d| format!(" -> {}", human::path(d)))
            .unwrap_or_default();
        let word = |key: &str| pad(&t(&format!("cli.strip.status.{key}"), &[]), 11);
        match o.status {
            Status::Planned => writeln!(
                self.writer.out,
                "{} {path}{format}: {groups}",
                p.yellow(&word("planned"))
            ),
            Status::Stripped => writeln!(
                self.writer.out,
                "{} {path}{format}{output}: {groups}",
                p.green(&word("stripped"))
            ),
            Status::Unchanged => writeln!(
                self.writer.out,
                "{} {path}{format}{output}: {}",
                p.dim(&word("clean")),
                t("cli.strip.nothing_to_remove", &[])
            ),
            Status::Unsupported => writeln!(
                self.writer.out,
                "{} {path}: {}",
                p.dim(&word("unsupported")),
                o.message
                    .as_deref()
                    .map_or_else(|| t("cli.strip.unsupported", &[]), sanitize::text)
            ),
            Status::Failed => {
                human::warning(
                    p,
                    &Warning {
                        path: o.path.clone(),
                        message: o.message.clone().unwrap_or_default().into(),
                        severity: Severity::Error,
                    },
                );
                Ok(())
            }
        }
    }

    /// The prompt was answered "no": nothing changed.
    pub fn declined(&mut self) -> io::Result<()> {
        self.writer.declined()
    }

    /// The plan of an in-place strip, before its question: every file that will be replaced
    /// by its clean version (human output only; JSON carries a `file` line per result).
    pub fn plan_in_place(&mut self, paths: &[&std::path::Path]) -> io::Result<()> {
        if self.writer.json {
            return Ok(());
        }
        self.writer
            .heading(&tn("cli.strip.plan", paths.len() as u64, &[]))?;
        for path in paths {
            writeln!(self.writer.out, "  {}", human::path(path))?;
        }
        Ok(())
    }

    /// Asks `question` after the plan above it has reached the terminal.
    pub fn confirm(&mut self, policy: ConfirmPolicy, question: &str) -> io::Result<Confirmation> {
        self.writer.confirm(policy, question)
    }

    pub fn warning(&mut self, w: &Warning) -> io::Result<()> {
        self.writer.warning(w)
    }

    /// The last line (stderr); `interrupted` when Ctrl-C or SIGTERM stopped the run early.
    pub fn summary(&mut self, s: &Summary, dry_run: bool, interrupted: bool) -> io::Result<()> {
        if self.writer.json {
            json::emit(&mut self.writer.out, "summary", s)?;
        } else {
            self.writer.out.flush()?;
            let secs = format!("{:.2}", s.elapsed.as_secs_f64());
            let size = human::size(s.bytes_removed);
            let mut parts = vec![if dry_run {
                tn("cli.strip.sum.planned", s.planned, &[("size", &size)])
            } else {
                tn("cli.strip.sum.stripped", s.stripped, &[("size", &size)])
            }];
            parts.push(tn("cli.strip.sum.clean", s.unchanged, &[]));
            if s.unsupported > 0 {
                parts.push(tn("cli.strip.sum.unsupported", s.unsupported, &[]));
            }
            if s.failed > 0 {
                parts.push(tn("cli.strip.sum.failed", s.failed, &[]));
            }
            let mut line = tn("cli.strip.sum.files", s.files, &[("secs", &secs)])
                + &parts.join(&t("cli.list_sep", &[]));
            if dry_run {
                line += &t("cli.strip.sum.dry_run", &[]);
            }
            if interrupted {
                line = t("cli.scan.sum.interrupted", &[("summary", &line)]);
            }
            writeln!(io::stderr(), "{}", self.writer.palette.bold(&line))?;
        }
        self.writer.out.flush()
    }
}
