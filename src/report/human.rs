//! Shared pieces of human output: warnings on stderr and the common line shapes.

use std::io::{self, Write};
use std::path::Path;

use crate::i18n::{self, t};
use crate::scan::finding::{Reason, Risk};
use crate::scan::{Finding, Severity, Warning};
use crate::ui::color::Palette;
use crate::ui::sanitize;

/// Writes a finding's reasons, a `why:` line each (escaped), after `indent`.
pub fn reasons(
    out: &mut impl Write,
    p: &Palette,
    reasons: &[Reason],
    indent: &str,
) -> io::Result<()> {
    let lang = i18n::lang();
    let catalog = i18n::Catalog::get_or_load();
    for r in reasons {
        // The scanner's details are English; other languages get the signal's sentence.
        let key = format!("signal.{}", r.signal);
        let text = match catalog.messages(lang).get(&key) {
            Some(sentence) if lang != i18n::Lang::En => sentence.clone(),
            _ => sanitize::text(&r.detail),
        };
        writeln!(out, "{indent}{}{text}", p.dim(&label("cli.label.why")))?;
    }
    Ok(())
}

/// A label before a value (`why: `, `原因：`): the catalogue's word with the space after it,
/// which a full-width colon already holds.
pub fn label(key: &str) -> String {
    let l = t(key, &[]);
    if l.ends_with('：') { l } else { l + " " }
}

/// Writes a finding's risks, a `risk:` line each, after `indent`.
pub fn risks(out: &mut impl Write, p: &Palette, risks: &[Risk], indent: &str) -> io::Result<()> {
    for r in risks {
        let code = serde_json::to_value(r)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        writeln!(
            out,
            "{indent}{}{}",
            p.yellow(&label("cli.label.risk")),
            t(&format!("risk.{code}"), &[])
        )?;
    }
    Ok(())
}

/// Prints a warning to stderr as `idvault: warning: PATH: message`; the message can hold raw
/// paths and values from the domain, so it is escaped like the path.
pub fn warning(p: &Palette, w: &Warning) {
    let label = match w.severity {
        Severity::Error => p.red(&t("cli.label.error", &[])),
        Severity::Note | Severity::Incomplete => p.yellow(&t("cli.label.note", &[])),
    };
    let _ = writeln!(
        io::stderr(),
        "idvault: {label}: {}: {}",
        sanitize::path(&w.path),
        // Messages may quote a file's own bytes (a tag's value, a panic's text).
        sanitize::text(&super::text::message(&w.message, i18n::lang()))
    );
}

/// Where a finding is, for a human line: its path, and for an archive's entry,
/// `archive.zip » Takeout/Google Photos/IMG_1234.jpg` (nested archives joined the same way).
pub fn finding_path(f: &Finding) -> String {
    let mut shown = path(&f.path);
    for p in f.member.iter().flat_map(|m| &m.path) {
        shown += " » ";
        shown += &path(p);
    }
    shown
}

/// A path for a human line.
pub fn path(p: &Path) -> String {
    sanitize::path(p)
}

/// Free text for a human line (an error message holding raw paths, a value read from a file).
pub fn text(s: &str) -> String {
    sanitize::text(s)
}

/// A byte count for people, in binary units (`3.00 MiB`); indicatif's formatter, so progress
/// bars and reports print sizes alike.
pub fn size(n: u64) -> String {
    indicatif::HumanBytes(n).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes() {
        assert_eq!(super::size(999), "999 B");
        assert_eq!(super::size(25_000), "24.41 KiB");
        assert_eq!(super::size(3_100_000), "2.96 MiB");
        assert_eq!(super::size(1_073_741_824), "1.00 GiB");
    }

    #[test]
    fn a_caught_panic_is_escaped_where_it_is_printed() {
        let hostile = crate::isolate::per_file(|| -> u8 { panic!("slicing `\x1b[2J`") });
        let shown = super::text(&hostile.unwrap_err().to_string());
        assert!(shown.contains("slicing `\\u{1b}[2J`"), "{shown}");
    }
}
