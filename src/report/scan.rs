//! Output of `idvault scan`: a table of findings (human) or JSON Lines.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::writer::Writer;
use super::{human, json};
use crate::files::Leftover;
use crate::i18n::{t, tn};
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

/// A scan summary as JSON: its counts, and the vault folders it skipped, each path in its
/// lossless form (`scan`'s `summary` line, and the `scan` part of `secure`'s).
#[derive(Serialize)]
pub struct SummaryJson<'a> {
    #[serde(flatten)]
    counts: &'a Summary,
    skipped_vaults: Vec<json::PathJson>,
}

impl<'a> SummaryJson<'a> {
    pub fn new(s: &'a Summary) -> Self {
        SummaryJson {
            counts: s,
            skipped_vaults: s
                .skipped_vaults
                .iter()
                .map(|p| json::PathJson::new(p))
                .collect(),
        }
    }
}

/// The skipped vault folders, for the end of a human summary: `None` when there were none.
pub fn skipped_vaults_line(s: &Summary) -> Option<String> {
    if s.skipped_vaults.is_empty() {
        return None;
    }
    let paths: Vec<String> = s.skipped_vaults.iter().map(|p| human::path(p)).collect();
    Some(tn(
        "cli.scan.sum.vaults",
        s.skipped_vaults.len() as u64,
        &[("paths", &paths.join(", "))],
    ))
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
                parts.push(t("cli.scan.issued_by", &[("country", &human::text(c))]));
            }
            if let Some(n) = &d.number_masked {
                parts.push(t("cli.scan.number", &[("number", &human::text(n))]));
            }
            if d.checks_total > 0 {
                parts.push(t(
                    "cli.scan.checks",
                    &[
                        ("valid", &d.checks_valid.to_string()),
                        ("total", &d.checks_total.to_string()),
                    ],
                ));
            }
            writeln!(
                self.writer.out,
                "    {}{}",
                p.dim(&human::label("cli.label.document")),
                parts.join(&t("cli.list_sep", &[]))
            )?;
        }
        human::risks(&mut self.writer.out, p, &v.risks, "    ")?;
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
        let code = match kind {
            Leftover::InterruptedWipe => "wipe",
            Leftover::Temporary => "temporary",
        };
        writeln!(
            self.writer.out,
            "{}  {}\n    {}{}",
            p.yellow(&t("cli.scan.leftover", &[])),
            human::path(path),
            p.dim(&human::label("cli.label.why")),
            t(&format!("cli.scan.leftover_detail.{code}"), &[])
        )
    }

    pub fn warning(&mut self, w: &Warning) -> io::Result<()> {
        self.writer.warning(w)
    }

    /// The last line, on stderr after every finding on stdout; `interrupted` when Ctrl-C or
    /// SIGTERM ended the scan early (then it says how far it got).
    pub fn summary(&mut self, s: &Summary, interrupted: bool) -> io::Result<()> {
        if self.writer.json {
            json::emit(&mut self.writer.out, "summary", SummaryJson::new(s))?;
            return self.writer.out.flush();
        }
        // Findings first: stdout is buffered, the summary goes to stderr.
        self.writer.out.flush()?;
        let secs = format!("{:.2}", s.elapsed.as_secs_f64());
        let mut parts = vec![
            tn("cli.scan.sum.files", s.files, &[("secs", &secs)])
                + &tn("cli.scan.sum.findings", s.findings, &[]),
        ];
        if s.errors > 0 {
            parts.push(tn("cli.scan.sum.unreadable", s.errors, &[]));
        }
        if s.incomplete > 0 {
            parts.push(tn("cli.scan.sum.incomplete", s.incomplete, &[]));
        }
        if s.unchanged > 0 {
            parts.push(tn("cli.scan.sum.unchanged", s.unchanged, &[]));
        }
        let mut line = parts.join(&t("cli.list_sep", &[]));
        if s.content_analysed + s.content_cached > 0 {
            line += &t(
                "cli.scan.sum.pixels",
                &[
                    ("analysed", &s.content_analysed.to_string()),
                    ("ocr", &s.content_ocr.to_string()),
                    ("cached", &s.content_cached.to_string()),
                ],
            );
        }
        let mut more = Vec::new();
        for (n, key) in [
            (s.content_not_analysed, "cli.scan.sum.not_analysed"),
            (s.leftovers, "cli.scan.sum.leftovers"),
            (s.hidden, "cli.scan.sum.hidden"),
            (s.symlinks_skipped, "cli.scan.sum.symlinks"),
        ] {
            if n > 0 {
                more.push(tn(key, n, &[]));
            }
        }
        if !more.is_empty() {
            line += &t("cli.list_sep", &[]);
            line += &more.join(&t("cli.list_sep", &[]));
        }
        if interrupted {
            line = t("cli.scan.sum.interrupted", &[("summary", &line)]);
        }
        writeln!(io::stderr(), "{}", self.writer.palette.bold(&line))?;
        if let Some(vaults) = skipped_vaults_line(s) {
            writeln!(io::stderr(), "{vaults}")?;
        }
        if s.files == 0 && !interrupted {
            let nothing = t("cli.scan.sum.nothing", &[]);
            writeln!(io::stderr(), "{}", self.writer.palette.yellow(&nothing))?;
        }
        Ok(())
    }
}
