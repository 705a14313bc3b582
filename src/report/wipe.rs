//! Output of `idvault wipe`: the plan, the results and the summary, as text or JSON Lines, and
//! the explanations of what a wipe cannot guarantee.
//!
//! JSON Lines types written by `wipe` (after `begin`):
//!
//! - `plan`: `{"path": PATH, "size": n, "action": "overwrite"|"remove_link",
//!   "link": null|"symlink"|"hard_link", "passes": n, "filesystem": {"type": "ext4",
//!   "class": "in_place", "mount_point": PATH|null, "source": "/dev/sda2"|null},
//!   "device": {"kind": "rotational"|"solid_state"|"virtual"|"loop"|"unknown", "name": "sda"|null,
//!   "encrypted": false, "backing_file": PATH|null}, "overwrite_reaches_data": bool,
//!   "caveats": [{"caveat": "copy_on_write", "detail": "…"}], "thumbnails": [PATH]}`, one per
//!   file, in dry runs and before wiping.
//! - `wiped`: `{"path": PATH, "action": "overwritten"|"link_removed", "passes": n, "bytes": n,
//!   "overwrite_reaches_data": bool, "caveats": [...], "thumbnails_removed": [PATH]}`.
//! - `folder_removed`: `{"path": PATH}`.
//! - `warning`: `{"path": PATH, "severity": "error"|"note", "stage": "plan"|"wipe",
//!   "code": "hard_linked", "message": "…"}`; `code` is one of [`WipeError::code`].
//! - `summary`: `{"applied": bool, "planned": n, "bytes": n, "refused": n, "wiped": n,
//!   "bytes_wiped": n, "links_removed": n, "failed": n, "thumbnails_removed": n, "folders_removed": n,
//!   "interrupted": bool, "elapsed": seconds}`, last line; `interrupted` when Ctrl-C or SIGTERM
//!   stopped the run before every planned file was started.
//!
//! Human output is in the command line's language (`crate::i18n`); the plan lists each file,
//! then each caveat once with how many of the files it concerns, then what the plan leaves out
//! (refusals by kind, with the flag that includes them).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::writer::Writer;
use super::{human, json};
use crate::i18n::{lang, t, tn};
use crate::scan::{Severity, Warning};
use crate::ui::color::Palette;
use crate::ui::prompt::{ConfirmPolicy, Confirmation};
use crate::ui::sanitize;
use crate::wipe::device::DeviceKind;
use crate::wipe::{Action, Caveat, Done, LinkKind, Outcome, Plan, WipeError};

/// Where a per-file problem arose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Plan,
    Wipe,
}

/// Counts for the last line.
#[derive(Debug, Default, Serialize)]
pub struct WipeSummary {
    pub applied: bool,
    /// Files planned (not refused).
    pub planned: u64,
    /// Bytes of the planned files.
    pub bytes: u64,
    pub refused: u64,
    pub wiped: u64,
    /// Bytes overwritten (per pass) in the wiped files.
    pub bytes_wiped: u64,
    pub links_removed: u64,
    pub failed: u64,
    pub thumbnails_removed: u64,
    pub folders_removed: u64,
    /// Ctrl-C or SIGTERM stopped the run before every planned file was wiped.
    pub interrupted: bool,
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Writes wipe plans and results as they happen.
pub struct WipeReport<W: Write> {
    writer: Writer<W>,
}

#[derive(Serialize)]
struct CaveatJson {
    caveat: Caveat,
    detail: String,
}

#[derive(Serialize)]
struct FsJson<'a> {
    #[serde(rename = "type")]
    fs_type: &'a str,
    class: crate::wipe::mounts::FsClass,
    mount_point: Option<json::PathJson>,
    source: Option<&'a str>,
}

#[derive(Serialize)]
struct DeviceJson<'a> {
    kind: &'static str,
    name: Option<&'a str>,
    encrypted: bool,
    backing_file: Option<json::PathJson>,
}

#[derive(Serialize)]
struct PlanJson<'a> {
    path: json::PathJson,
    size: u64,
    action: &'static str,
    link: Option<&'static str>,
    passes: u32,
    filesystem: FsJson<'a>,
    device: DeviceJson<'a>,
    overwrite_reaches_data: bool,
    caveats: Vec<CaveatJson>,
    thumbnails: Vec<json::PathJson>,
}

#[derive(Serialize)]
struct WipedJson {
    path: json::PathJson,
    action: &'static str,
    passes: u32,
    bytes: u64,
    overwrite_reaches_data: bool,
    caveats: Vec<CaveatJson>,
    thumbnails_removed: Vec<json::PathJson>,
}

#[derive(Serialize)]
struct WarningJson<'a> {
    path: json::PathJson,
    severity: &'static str,
    stage: Stage,
    code: &'static str,
    message: &'a str,
}

impl<W: Write> WipeReport<W> {
    pub fn new(out: W, json: bool, palette: Palette) -> Self {
        WipeReport {
            writer: Writer::new(out, json, palette),
        }
    }

    pub fn begin(&mut self) -> io::Result<()> {
        self.writer.begin("wipe")
    }

    /// One planned file.
    pub fn plan(&mut self, plan: &Plan) -> io::Result<()> {
        if self.writer.json {
            let (action, link, passes) = match plan.action {
                Action::Overwrite { passes } => ("overwrite", None, passes),
                Action::RemoveLink(LinkKind::Symlink) => ("remove_link", Some("symlink"), 0),
                Action::RemoveLink(LinkKind::HardLink { .. }) => {
                    ("remove_link", Some("hard_link"), 0)
                }
            };
            let fs = &plan.filesystem;
            let dev = &plan.device;
            let backing_file = match &dev.kind {
                DeviceKind::Loop {
                    backing_file: Some(b),
                } => Some(json::PathJson::new(b)),
                _ => None,
            };
            return json::emit(
                &mut self.writer.out,
                "plan",
                PlanJson {
                    path: json::PathJson::new(&plan.path),
                    size: plan.id.size,
                    action,
                    link,
                    passes,
                    filesystem: FsJson {
                        fs_type: &fs.fs_type,
                        class: fs.class,
                        mount_point: fs.mount_point.as_deref().map(json::PathJson::new),
                        source: fs.source.as_deref(),
                    },
                    device: DeviceJson {
                        kind: device_code(&dev.kind),
                        name: dev.name.as_deref(),
                        encrypted: dev.encrypted,
                        backing_file,
                    },
                    overwrite_reaches_data: plan.overwrite_reaches_data(),
                    caveats: caveats_json(plan),
                    thumbnails: plan
                        .thumbnails
                        .iter()
                        .map(|t| json::PathJson::new(&t.path))
                        .collect(),
                },
            );
        }
        let p = self.writer.palette;
        let (verb, what) = match plan.action {
            Action::Overwrite { passes } => (
                t("cli.wipe.verb.overwrite", &[]),
                tn("cli.wipe.passes", u64::from(passes), &[]),
            ),
            Action::RemoveLink(LinkKind::Symlink) => (
                t("cli.wipe.verb.unlink", &[]),
                t("cli.wipe.symlink_only", &[]),
            ),
            Action::RemoveLink(LinkKind::HardLink { names }) => (
                t("cli.wipe.verb.unlink", &[]),
                tn("cli.wipe.hard_link_only", names - 1, &[]),
            ),
        };
        let shown = match plan.action {
            Action::Overwrite { .. } => human::size(plan.id.size),
            Action::RemoveLink(_) => "-".into(),
        };
        writeln!(
            self.writer.out,
            "{} {shown:>9}  {}",
            p.bold(&pad(&verb, 9)),
            p.bold(&human::path(&plan.path))
        )?;
        writeln!(
            self.writer.out,
            "{:21}{}{}{what}",
            "",
            place(plan),
            t("cli.clause_sep", &[])
        )?;
        if !plan.thumbnails.is_empty() {
            writeln!(
                self.writer.out,
                "{:21}{}",
                "",
                tn(
                    "cli.wipe.thumbnails_of_it",
                    plan.thumbnails.len() as u64,
                    &[]
                )
            )?;
        }
        Ok(())
    }

    /// Explains once each caveat that appeared in `plans` (human output only).
    pub fn explain_caveats(&mut self, plans: &[Plan]) -> io::Result<()> {
        if self.writer.json {
            return Ok(());
        }
        let heading = t("cli.wipe.caveats_heading", &[]);
        if caveats(&mut self.writer, &heading, plans)? {
            writeln!(self.writer.out)?;
        }
        Ok(())
    }

    /// One file wiped (or its name removed).
    pub fn done(&mut self, plan: &Plan, outcome: &Outcome) -> io::Result<()> {
        let (action, passes, bytes) = match outcome.done {
            Done::Overwritten { passes, bytes } => ("overwritten", passes, bytes),
            Done::LinkRemoved => ("link_removed", 0, 0),
        };
        if self.writer.json {
            return json::emit(
                &mut self.writer.out,
                "wiped",
                WipedJson {
                    path: json::PathJson::new(&plan.path),
                    action,
                    passes,
                    bytes,
                    overwrite_reaches_data: plan.overwrite_reaches_data(),
                    caveats: caveats_json(plan),
                    thumbnails_removed: outcome
                        .thumbnails_removed
                        .iter()
                        .map(|t| json::PathJson::new(t))
                        .collect(),
                },
            );
        }
        let p = self.writer.palette;
        let (verb, shown) = match outcome.done {
            Done::Overwritten { bytes, .. } => (t("cli.wipe.verb.wiped", &[]), human::size(bytes)),
            Done::LinkRemoved => (t("cli.wipe.verb.unlinked", &[]), "-".into()),
        };
        let mut extra = String::new();
        if !outcome.thumbnails_removed.is_empty() {
            let n = outcome.thumbnails_removed.len() as u64;
            extra = format!(" (+{})", tn("cli.wipe.thumbnails", n, &[]));
        }
        writeln!(
            self.writer.out,
            "{} {shown:>9}  {}{extra}  [{}]",
            p.green(&pad(&verb, 9)),
            human::path(&plan.path),
            place(plan)
        )
    }

    /// A folder emptied by the wipe and removed.
    pub fn folder_removed(&mut self, path: &Path) -> io::Result<()> {
        if self.writer.json {
            #[derive(Serialize)]
            struct F {
                path: json::PathJson,
            }
            return json::emit(
                &mut self.writer.out,
                "folder_removed",
                F {
                    path: json::PathJson::new(path),
                },
            );
        }
        writeln!(
            self.writer.out,
            "{} {:>9}  {}",
            self.writer
                .palette
                .green(&pad(&t("cli.wipe.verb.removed", &[]), 9)),
            t("cli.wipe.folder", &[]),
            human::path(path)
        )
    }

    /// A per-file problem: `severity` error (exit code 1) or note.
    pub fn problem(
        &mut self,
        path: &Path,
        err: &WipeError,
        stage: Stage,
        severity: Severity,
    ) -> io::Result<()> {
        if self.writer.json {
            return json::emit(
                &mut self.writer.out,
                "warning",
                WarningJson {
                    path: json::PathJson::new(path),
                    severity: match severity {
                        Severity::Error => "error",
                        Severity::Note | Severity::Incomplete => "note",
                    },
                    stage,
                    code: err.code(),
                    message: &err.to_string(),
                },
            );
        }
        // Keep stdout and stderr in order on a terminal.
        self.writer.out.flush()?;
        human::warning(
            &self.writer.palette,
            &Warning {
                path: path.to_path_buf(),
                message: crate::scan::Message::Text(err.text_in(crate::i18n::lang())),
                severity,
            },
        );
        Ok(())
    }

    pub fn summary(&mut self, s: &WipeSummary) -> io::Result<()> {
        if self.writer.json {
            json::emit(&mut self.writer.out, "summary", s)?;
            return self.writer.out.flush();
        }
        self.writer.out.flush()?;
        let mut parts = Vec::new();
        if s.applied {
            parts.push(tn(
                "cli.wipe.sum.wiped",
                s.wiped,
                &[("size", &human::size(s.bytes_wiped))],
            ));
            for (n, key) in [
                (s.links_removed, "cli.wipe.sum.links"),
                (s.thumbnails_removed, "cli.wipe.thumbnails"),
                (s.folders_removed, "cli.wipe.sum.folders"),
            ] {
                if n > 0 {
                    parts.push(tn(key, n, &[]));
                }
            }
        } else {
            parts.push(tn(
                "cli.wipe.sum.planned",
                s.planned,
                &[("size", &human::size(s.bytes))],
            ));
        }
        if s.refused > 0 {
            parts.push(tn("cli.wipe.sum.refused", s.refused, &[]));
        }
        if s.failed > 0 {
            parts.push(tn("cli.wipe.sum.failed", s.failed, &[]));
        }
        let secs = format!("{:.2}", s.elapsed.as_secs_f64());
        let end = if s.interrupted {
            t("cli.wipe.sum.interrupted", &[])
        } else if s.applied {
            t("cli.wipe.sum.took", &[("secs", &secs)])
        } else {
            t("cli.wipe.sum.dry_run", &[])
        };
        let line = parts.join(&t("cli.list_sep", &[])) + &end;
        writeln!(io::stderr(), "{}", self.writer.palette.bold(&line))
    }

    /// Says that the user declined and nothing changed.
    pub fn declined(&mut self) -> io::Result<()> {
        self.writer.out.flush()?;
        writeln!(io::stderr(), "{}", t("cli.wipe.declined", &[]))
    }

    /// What the plan leaves out, by the code of each refusal ([`WipeError::code`]) with its
    /// count, and how to include what a flag can include (human output only; JSON has each
    /// refusal as a `warning`).
    pub fn left_out(&mut self, refused: &BTreeMap<&'static str, u64>) -> io::Result<()> {
        if self.writer.json || refused.is_empty() {
            return Ok(());
        }
        let counts: Vec<String> = refused
            .iter()
            .map(|(&code, &n)| tn(&format!("cli.wipe.left_out.{}", left_out_key(code)), n, &[]))
            .collect();
        let sep = t("cli.list_sep", &[]);
        let mut hints: Vec<String> = refused
            .keys()
            .filter_map(|&code| match code {
                "symlink" | "hard_linked" => Some(t("cli.wipe.include.force", &[])),
                "directory" => Some(t("cli.wipe.include.recursive", &[])),
                _ => None,
            })
            .collect();
        hints.dedup();
        let total = refused.values().sum();
        self.writer.heading(&tn(
            "cli.wipe.left_out.heading",
            total,
            &[("what", &counts.join(&sep))],
        ))?;
        if !hints.is_empty() {
            writeln!(
                self.writer.out,
                "  {}",
                t("cli.wipe.include.how", &[("flags", &hints.join(&sep))])
            )?;
        }
        Ok(())
    }

    /// Asks `question` after the plan above it has reached the terminal.
    pub fn confirm(&mut self, policy: ConfirmPolicy, question: &str) -> io::Result<Confirmation> {
        self.writer.confirm(policy, question)
    }
}

/// The confirmation question before wiping.
pub fn question(files: u64, bytes: u64) -> String {
    tn("cli.wipe.question", files, &[("size", &human::size(bytes))])
}

/// The catalogue's name for a kind of refusal: the common ones by name, the rest as "other".
fn left_out_key(code: &str) -> &str {
    match code {
        "symlink" | "hard_linked" | "directory" | "not_regular" | "vanished" => code,
        _ => "other",
    }
}

/// `text` padded with spaces to `width` columns (a CJK character takes two).
pub(crate) fn pad(text: &str, width: usize) -> String {
    let used = console::measure_text_width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

fn caveats_json(plan: &Plan) -> Vec<CaveatJson> {
    plan.caveats
        .iter()
        .map(|&caveat| CaveatJson {
            caveat,
            detail: caveat.explain(&plan.filesystem.fs_type, &plan.device),
        })
        .collect()
}

fn device_code(kind: &DeviceKind) -> &'static str {
    match kind {
        DeviceKind::Rotational => "rotational",
        DeviceKind::SolidState => "solid_state",
        DeviceKind::Virtual => "virtual",
        DeviceKind::Loop { .. } => "loop",
        DeviceKind::Unknown => "unknown",
    }
}

/// `ext4 on SSD/flash sda (encrypted)`.
fn place(plan: &Plan) -> String {
    let dev = &plan.device;
    let kind = match dev.kind {
        DeviceKind::Rotational => "rotational",
        DeviceKind::SolidState => "solid_state",
        DeviceKind::Virtual => "virtual",
        DeviceKind::Loop { .. } => "loop",
        DeviceKind::Unknown => "",
    };
    let fs = sanitize::text(&plan.filesystem.fs_type);
    let mut s = if kind.is_empty() {
        fs
    } else {
        let device = t(&format!("cli.wipe.device.{kind}"), &[]);
        let name = dev.name.as_deref().map(sanitize::text).unwrap_or_default();
        let device = format!("{device} {name}");
        t(
            "cli.wipe.fs_on_device",
            &[("fs", &fs), ("device", device.trim_end())],
        )
    };
    if dev.encrypted {
        s += &t("cli.wipe.encrypted", &[]);
    }
    s
}

/// Under `heading`, explains each caveat of `plans` once per disk it applies to (the wording
/// names the file system and device), with how many of the files it concerns, rather than
/// once per file. Writes nothing, and returns false, when there is none.
pub fn caveats<'a, W: Write>(
    writer: &mut Writer<W>,
    heading: &str,
    plans: impl IntoIterator<Item = &'a Plan>,
) -> io::Result<bool> {
    let mut told: BTreeMap<(Caveat, String), u64> = BTreeMap::new();
    for plan in plans {
        for &c in &plan.caveats {
            let text = c.explain_in(lang(), &plan.filesystem.fs_type, &plan.device);
            *told.entry((c, text)).or_default() += 1;
        }
    }
    if told.is_empty() {
        return Ok(false);
    }
    writer.heading(heading)?;
    for ((_, text), n) in told {
        writeln!(
            writer.out,
            "  - {} {}",
            sanitize::text(&text),
            writer.palette.dim(&tn("cli.wipe.caveat_files", n, &[]))
        )?;
    }
    Ok(true)
}
