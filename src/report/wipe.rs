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
//!   "elapsed": seconds}`, last line.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::writer::Writer;
use super::{human, json};
use crate::scan::{Severity, Warning};
use crate::ui::color::Palette;
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
                "overwrite",
                format!(
                    "{passes} pass{} of random data, then rename and remove",
                    if passes == 1 { "" } else { "es" }
                ),
            ),
            Action::RemoveLink(LinkKind::Symlink) => (
                "unlink",
                "remove the symlink only; its target is not touched".to_string(),
            ),
            Action::RemoveLink(LinkKind::HardLink { names }) => (
                "unlink",
                format!(
                    "remove this name only; the data stays under {} other name{}",
                    names - 1,
                    human::plural(names - 1)
                ),
            ),
        };
        let shown = match plan.action {
            Action::Overwrite { .. } => human::size(plan.id.size),
            Action::RemoveLink(_) => "-".into(),
        };
        writeln!(
            self.writer.out,
            "{} {shown:>9}  {}",
            p.bold(&format!("{verb:<9}")),
            p.bold(&human::path(&plan.path))
        )?;
        writeln!(self.writer.out, "{:21}{}; {what}", "", place(plan))?;
        if !plan.thumbnails.is_empty() {
            writeln!(
                self.writer.out,
                "{:21}and {} thumbnail{} of it",
                "",
                plan.thumbnails.len(),
                if plan.thumbnails.len() == 1 { "" } else { "s" }
            )?;
        }
        self.limits_line(plan)
    }

    fn limits_line(&mut self, plan: &Plan) -> io::Result<()> {
        let limits: Vec<&str> = plan.caveats.iter().map(|&c| c.label()).collect();
        if limits.is_empty() {
            return Ok(());
        }
        let head = if plan.overwrite_reaches_data() {
            "note:"
        } else {
            "cannot guarantee:"
        };
        writeln!(
            self.writer.out,
            "{:21}{} {}",
            "",
            self.writer.palette.yellow(head),
            limits.join(", ")
        )
    }

    /// Explains once each caveat that appeared in `plans` (human output only).
    pub fn explain_caveats(&mut self, plans: &[Plan]) -> io::Result<()> {
        if self.writer.json {
            return Ok(());
        }
        let heading = "What a wipe cannot guarantee here, and what helps:";
        if caveats(&mut self.writer, heading, plans)? {
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
            Done::Overwritten { bytes, .. } => ("wiped", human::size(bytes)),
            Done::LinkRemoved => ("unlinked", "-".into()),
        };
        let mut extra = String::new();
        if !outcome.thumbnails_removed.is_empty() {
            extra = format!(
                " (+{} thumbnail{})",
                outcome.thumbnails_removed.len(),
                if outcome.thumbnails_removed.len() == 1 {
                    ""
                } else {
                    "s"
                }
            );
        }
        writeln!(
            self.writer.out,
            "{} {shown:>9}  {}{extra}  [{}]",
            p.green(&format!("{verb:<9}")),
            human::path(&plan.path),
            place(plan)
        )?;
        self.limits_line(plan)
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
            self.writer.palette.green(&format!("{:<9}", "removed")),
            "folder",
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
        let message = err.to_string();
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
                    message: &message,
                },
            );
        }
        // Keep stdout and stderr in order on a terminal.
        self.writer.out.flush()?;
        human::warning(
            &self.writer.palette,
            &Warning {
                path: path.to_path_buf(),
                message,
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
        let mut line = if s.applied {
            let mut l = format!(
                "Wiped {} file{} ({})",
                s.wiped,
                human::plural(s.wiped),
                human::size(s.bytes_wiped)
            );
            for (n, verb, noun) in [
                (s.links_removed, "removed ", "link"),
                (s.thumbnails_removed, "", "thumbnail"),
                (s.folders_removed, "", "folder"),
            ] {
                if n > 0 {
                    l += &format!(", {verb}{n} {noun}{}", human::plural(n));
                }
            }
            l + &format!(" in {:.2}s", s.elapsed.as_secs_f64())
        } else {
            format!(
                "Plan: {} file{} to wipe ({})",
                s.planned,
                human::plural(s.planned),
                human::size(s.bytes)
            )
        };
        if s.refused > 0 {
            line += &format!(", {} refused", s.refused);
        }
        if s.failed > 0 {
            line += &format!(", {} failed", s.failed);
        }
        let line = if s.applied {
            line + "."
        } else {
            line + ". Nothing was changed; add --apply to wipe."
        };
        writeln!(io::stderr(), "{}", self.writer.palette.bold(&line))
    }

    /// Says that the user declined and nothing changed.
    pub fn declined(&mut self) -> io::Result<()> {
        self.writer.out.flush()?;
        writeln!(io::stderr(), "Nothing was wiped.")
    }
}

/// The confirmation question before wiping.
pub fn question(files: u64, bytes: u64) -> String {
    format!(
        "Wipe {files} file{} ({})? This cannot be undone.",
        human::plural(files),
        human::size(bytes)
    )
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

/// `ext4 on SSD sda (encrypted)`.
fn place(plan: &Plan) -> String {
    let dev = &plan.device;
    let kind = match dev.kind {
        DeviceKind::Rotational => "hard disk",
        DeviceKind::SolidState => "SSD/flash",
        DeviceKind::Virtual => "virtual disk",
        DeviceKind::Loop { .. } => "loop device",
        DeviceKind::Unknown => "",
    };
    let mut s = sanitize::text(&plan.filesystem.fs_type);
    if !kind.is_empty() {
        s += " on ";
        s += kind;
        if let Some(n) = &dev.name {
            s += " ";
            s += &sanitize::text(n);
        }
    }
    if dev.encrypted {
        s += " (encrypted)";
    }
    s
}

/// Under `heading`, explains once each caveat of `plans`, for the first plan it appeared in.
/// Writes nothing, and returns false, when there is none.
pub fn caveats<'a, W: Write>(
    writer: &mut Writer<W>,
    heading: &str,
    plans: impl IntoIterator<Item = &'a Plan>,
) -> io::Result<bool> {
    let mut first: BTreeMap<Caveat, &Plan> = BTreeMap::new();
    for plan in plans {
        for &c in &plan.caveats {
            first.entry(c).or_insert(plan);
        }
    }
    if first.is_empty() {
        return Ok(false);
    }
    writer.heading(heading)?;
    for (c, plan) in first {
        let text = c.explain(&plan.filesystem.fs_type, &plan.device);
        writeln!(writer.out, "  - {}", sanitize::text(&text))?;
    }
    Ok(true)
}
