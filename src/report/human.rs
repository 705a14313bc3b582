//! Shared pieces of human output: warnings on stderr and the common line shapes.

use std::io::{self, Write};
use std::path::Path;

use crate::scan::{Severity, Warning};
use crate::ui::color::Palette;
use crate::ui::sanitize;

/// Prints a warning to stderr as `idvault: warning: PATH: message`.
pub fn warning(p: &Palette, w: &Warning) {
    let label = match w.severity {
        Severity::Error => p.red("error"),
        Severity::Note => p.yellow("note"),
    };
    let _ = writeln!(
        io::stderr(),
        "idvault: {label}: {}: {}",
        sanitize::path(&w.path),
        w.message
    );
}

/// A path for a human line.
pub fn path(p: &Path) -> String {
    sanitize::path(p)
}
