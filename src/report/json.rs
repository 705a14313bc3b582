//! JSON Lines output, schema version [`SCHEMA`].
//!
//! Every line is an object `{"type": T, "data": D}`. Types written by `scan`:
//!
//! - `begin`: `{"schema": 1, "tool": "idvault", "version": "…", "command": "scan"}`, first line.
//! - `finding`: `{"path": PATH, "file_type": "jpeg", "size": 123, "kind": "passport",
//!   "confidence": 0.9, "reasons": [{"signal": "name.replaykit", "detail": "…"}],
//!   "risks": [{"risk": "gps", "detail": "…"}]}`, plus, when content analysis confirmed a
//!   document, `"document": {"source": "mrz"|"cn_id_number", "issuing_country": "UTO",
//!   "number_masked": "*****1234", "checks_valid": 4, "checks_total": 4}` (never the full
//!   number). Content signals are `content.mrz`, `content.mrz_shaped`, `content.cn_id_number`,
//!   `content.keywords`, `content.kyc_phrases`, `content.outline`, `content.partial`, `content.id_selfie` (all in
//!   docs/signals.md); the notes `content.not_analysed` (with the
//!   reason) and `content.cached` say where pixels were not looked at in this run.
//! - `warning`: `{"path": PATH, "severity": "error"|"note", "message": "…"}`, with
//!   `"incomplete": true` on a note that the file was looked at only in part (exit code 1).
//! - `summary`: `{"files": n, "unchanged": n, "findings": n, "errors": n, "notes": n,
//!   "incomplete": n,
//!   "symlinks_skipped": n, "content_analysed": n, "content_ocr": n, "content_cached": n,
//!   "content_not_analysed": n, "elapsed": seconds}`, last line. `unchanged` files (part of
//!   `files`) were not opened: an earlier scan found nothing in them at the same path; their
//!   content status counts as it did then, an analysed one as `content_cached`.
//!
//! A `PATH` is `{"text": "…"}` when the path is valid UTF-8 and `{"bytes": "<base64>"}`
//! otherwise, so that every path round-trips exactly. The full schema is in docs/json.md.

use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use base64::Engine;
use serde::Serialize;

use crate::scan::{Severity, Warning};

/// Version of the JSON Lines schema; bumped on any incompatible change.
pub const SCHEMA: u32 = 1;

/// A path encoded losslessly.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PathJson {
    Text(String),
    Bytes(String),
}

impl PathJson {
    pub fn new(p: &Path) -> Self {
        match p.to_str() {
            Some(s) => PathJson::Text(s.to_string()),
            None => PathJson::Bytes(
                base64::engine::general_purpose::STANDARD.encode(p.as_os_str().as_bytes()),
            ),
        }
    }
}

#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    data: T,
}

/// Writes one JSON line.
pub fn emit(out: &mut impl Write, kind: &str, data: impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &Line { kind, data })?;
    out.write_all(b"\n")
}

/// A `warning` line: `{"path": PATH, "severity": "error"|"note", "message": "…"}`, plus
/// `"incomplete": true` on a note that the file was looked at only in part (exit code 1).
pub fn warning(out: &mut impl Write, w: &Warning) -> io::Result<()> {
    #[derive(Serialize)]
    struct WarningJson<'a> {
        path: PathJson,
        severity: &'a str,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        incomplete: bool,
        message: String,
    }
    let severity = match w.severity {
        Severity::Error => "error",
        Severity::Note | Severity::Incomplete => "note",
    };
    emit(
        out,
        "warning",
        WarningJson {
            path: PathJson::new(&w.path),
            severity,
            incomplete: w.severity == Severity::Incomplete,
            message: super::text::message(&w.message, crate::i18n::Lang::En),
        },
    )
}

/// The `begin` line for `command`, flushed at once: a consumer reading a pipe learns that the
/// run started before the first result (a scan's walk can take minutes).
pub fn begin(out: &mut impl Write, command: &str) -> io::Result<()> {
    #[derive(Serialize)]
    struct Begin<'a> {
        schema: u32,
        tool: &'a str,
        version: &'a str,
        command: &'a str,
    }
    emit(
        out,
        "begin",
        Begin {
            schema: SCHEMA,
            tool: "idvault",
            version: env!("CARGO_PKG_VERSION"),
            command,
        },
    )?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn paths_round_trip() {
        let mut out = Vec::new();
        emit(&mut out, "x", PathJson::new(Path::new("a/b.jpg"))).unwrap();
        emit(
            &mut out,
            "x",
            PathJson::new(Path::new(OsStr::from_bytes(b"\xffa"))),
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "{\"type\":\"x\",\"data\":{\"text\":\"a/b.jpg\"}}\n{\"type\":\"x\",\"data\":{\"bytes\":\"/2E=\"}}\n"
        );
    }
}
