//! Shared pieces of human output: warnings on stderr and the common line shapes.

use std::io::{self, Write};
use std::path::Path;

use crate::scan::finding::Reason;
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
    for r in reasons {
        writeln!(
            out,
            "{indent}{} {}",
            p.dim("why:"),
            sanitize::text(&r.detail)
        )?;
    }
    Ok(())
}

/// Prints a warning to stderr as `idvault: warning: PATH: message`; the message can hold raw
/// paths and values from the domain, so it is escaped like the path.
pub fn warning(p: &Palette, w: &Warning) {
    let label = match w.severity {
        Severity::Error => p.red("error"),
        Severity::Note | Severity::Incomplete => p.yellow("note"),
    };
    let _ = writeln!(
        io::stderr(),
        "idvault: {label}: {}: {}",
        sanitize::path(&w.path),
        // Messages may quote a file's own bytes (a tag's value, a panic's text).
        sanitize::text(&w.message)
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

/// The plural ending for a count of `n`: `"s"` unless `n` is 1.
pub(crate) fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
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
