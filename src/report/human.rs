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

/// The plural ending for a count of `n`: `"s"` unless `n` is 1.
pub fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A byte count for people, in binary units (`3.0 MiB`).
pub fn size(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut x = n as f64;
    let mut u = 0;
    while x >= 1024.0 && u < UNITS.len() - 1 {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{x:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes() {
        assert_eq!(super::size(999), "999 B");
        assert_eq!(super::size(25_000), "24.4 KiB");
        assert_eq!(super::size(3_100_000), "3.0 MiB");
        assert_eq!(super::size(1_073_741_824), "1.0 GiB");
    }
}
