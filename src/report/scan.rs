//! Output of `idvault scan`: a table of findings (human) or JSON Lines.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::writer::Writer;
use super::{human, json};
use crate::files::Leftover;
use crate::scan::finding::{Document, Reason, Risk};
use crate::scan::{Finding, Summary, Warning};
use crate::ui::color::Palette;

/// Writes scan results as they arrive.
pub struct ScanReport<W: Write> {
    writer: Writer<W>,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    path: json::PathJson,
    file_type: &'a str,
    size: u64,
    kind: &'a str,
    confidence: f32,
    reasons: &'a [Reason],
    risks: Vec<RiskJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<&'a Document>,
    #[serde(skip_serializing_if = "Option::is_none")]
    entry: Option<EntryJson>,
}

/// Where in the archive at `path` a finding is: the entry's path inside it (more than one
/// when archives are nested, the outer one first) and its size as the archive states it.
#[derive(Serialize)]
struct EntryJson {
    path: Vec<json::PathJson>,
    size: u64,
}

#[derive(Serialize)]
struct LeftoverJson {
    path: json::PathJson,
    kind: Leftover,
    detail: &'static str,
}

/// What a leftover is, and what removes it.
fn leftover_detail(kind: Leftover) -> &'static str {
    match kind {
        Leftover::InterruptedWipe => {
            "left by an interrupted idvault wipe (partly overwritten); \
             `idvault secure --apply` or `idvault wipe --apply` removes it"
        }
        Leftover::Temporary => {
            "unfinished file of an interrupted idvault write (it may hold plaintext of an \
             extracted entry); `idvault secure --apply` or `idvault wipe --apply` removes it"
        }
    }
}

#[derive(Serialize)]
struct RiskJson {
    risk: Risk,
    detail: &'static str,
}

impl<W: Write> ScanReport<W> {
    pub fn new(out: W, json: bool, palette: Palette) -> Self {
        ScanReport {
            writer: Writer::new(out, json, palette),
        }
    }

    pub fn begin(&mut self) -> io::Result<()> {
        self.writer.begin("scan")
    }

    pub fn finding(&mut self, f: &Finding) -> io::Result<()> {
        let v = &f.verdict;
        if self.writer.json {
            let risks = v
                .risks
                .iter()
                .map(|&risk| RiskJson {
                    risk,
                    detail: risk.explain(),
                })
                .collect();
            return json::emit(
                &mut self.writer.out,
                "finding",
                FindingJson {
                    path: json::PathJson::new(&f.path),
                    file_type: f.file_type.as_str(),
                    size: f.id.size,
                    kind: v.kind.as_str(),
                    confidence: v.confidence,
                    reasons: &v.reasons,
                    risks,
                    document: v.document.as_ref(),
                    entry: f.member.as_ref().map(|m| EntryJson {
                        path: m.path.iter().map(|p| json::PathJson::new(p)).collect(),
                        size: m.size,
                    }),
                },
            );
        }
        let p = &self.writer.palette;
        let kind = format!("{:<17}", v.kind.as_str());
        let kind = if v.confidence >= 0.5 {
            p.red(&kind)
        } else {
            p.yellow(&kind)
        };
        writeln!(
            self.writer.out,
            "{kind} {:.2}  {}",
            v.confidence,
            p.bold(&human::finding_path(f))
        )?;
        human::reasons(&mut self.writer.out, p, &v.reasons, "    ")?;
        if let Some(d) = &v.document {
            let mut parts = Vec::new();
            if let Some(c) = &d.issuing_country {
                parts.push(format!("issued by {c}"));
            }
            if let Some(n) = &d.number_masked {
                parts.push(format!("number {n}"));
            }
            if d.checks_total > 0 {
                parts.push(format!(
                    "{} of {} check digits valid",
                    d.checks_valid, d.checks_total
                ));
            }
            writeln!(
                self.writer.out,
                "    {} {}",
                p.dim("document:"),
                parts.join(", ")
            )?;
        }
        for r in &v.risks {
            writeln!(self.writer.out, "    {} {}", p.yellow("risk:"), r.explain())?;
        }
        Ok(())
    }

    /// A file idvault itself left when it was interrupted: a finding of its own kind, since it
    /// may hold what the user wanted gone.
    pub fn leftover(&mut self, path: &Path, kind: Leftover) -> io::Result<()> {
        let detail = leftover_detail(kind);
        if self.writer.json {
            return json::emit(
                &mut self.writer.out,
                "leftover",
                &LeftoverJson {
                    path: json::PathJson::new(path),
                    kind,
                    detail,
                },
            );
        }
        let p = self.writer.palette;
        writeln!(
            self.writer.out,
            "{}  {}\n    {} {detail}",
            p.yellow("leftover"),
            human::path(path),
            p.dim("why:")
        )
    }

    pub fn warning(&mut self, w: &Warning) -> io::Result<()> {
        self.writer.warning(w)
    }

    pub fn summary(&mut self, s: &Summary) -> io::Result<()> {
        if self.writer.json {
            json::emit(&mut self.writer.out, "summary", s)?;
        } else {
            let mut line = format!(
                "{} file{} scanned in {:.2}s: {} finding{}",
                s.files,
                human::plural(s.files),
                s.elapsed.as_secs_f64(),
                s.findings,
                human::plural(s.findings)
            );
            if s.errors > 0 {
                line += &format!(", {} unreadable", s.errors);
            }
            if s.incomplete > 0 {
                line += &format!(", {} not fully looked at", s.incomplete);
            }
            if s.unchanged > 0 {
                line += &format!(
                    ", {} unchanged since an earlier scan found nothing in them",
                    s.unchanged
                );
            }
            if s.content_analysed + s.content_cached > 0 {
                line += &format!(
                    "; pixels analysed in {} ({} read by OCR), {} held nothing in an earlier scan",
                    s.content_analysed, s.content_ocr, s.content_cached
                );
            }
            if s.content_not_analysed > 0 {
                line += &format!(", {} not analysed", s.content_not_analysed);
            }
            if s.leftovers > 0 {
                line += &format!(", {} left by an interrupted idvault run", s.leftovers);
            }
            if s.symlinks_skipped > 0 {
                line += &format!(", {} symlinks not followed", s.symlinks_skipped);
            }
            writeln!(io::stderr(), "{}", self.writer.palette.bold(&line))?;
            if s.files == 0 {
                writeln!(
                    io::stderr(),
                    "{}",
                    self.writer.palette.yellow(
                        "nothing was scanned: no regular file was found under the paths given"
                    )
                )?;
            }
        }
        self.writer.out.flush()
    }
}
