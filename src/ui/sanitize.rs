//! Escapes file names before printing. A hostile name can carry terminal escape sequences or
//! bidirectional overrides that make one file look like another; those are shown as escapes.

use std::fmt::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A path as a printable string: invalid UTF-8 bytes become `\xNN`, control and bidi characters
/// become `\u{…}` escapes, and a backslash is doubled so the escapes stay unambiguous.
pub fn path(p: &Path) -> String {
    let mut out = String::with_capacity(p.as_os_str().len());
    for chunk in p.as_os_str().as_bytes().utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02X}");
        }
    }
    out
}

/// A free-form string (e.g. an EXIF value) with the same escaping as [`path`].
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_char(&mut out, c);
    }
    out
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if c.is_control() || is_bidi(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// Characters that reorder text on screen (Unicode bidi controls).
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn escapes_controls_bidi_and_invalid_bytes() {
        let p = Path::new(OsStr::from_bytes(b"a\x1b[31m\xff\xe2\x80\xaegpj.exe"));
        assert_eq!(path(p), "a\\u{1b}[31m\\xFF\\u{202e}gpj.exe");
        assert_eq!(path(Path::new("护照/正面.jpg")), "护照/正面.jpg");
        assert_eq!(text("a\\b\nc"), "a\\\\b\\nc");
    }
}
