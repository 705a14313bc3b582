//! Freedesktop thumbnails of a file: desktops cache a downscaled copy of every picture they show
//! under `$XDG_CACHE_HOME/thumbnails/<size>/<md5 of the file URI>.png` (the Thumbnail Managing
//! Standard). Those copies are found exactly from the file's absolute path.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use percent_encoding::{AsciiSet, CONTROLS, percent_encode};

/// Size folders defined by the standard; `fail/<program>/` folders are listed at run time.
const SIZES: [&str; 4] = ["normal", "large", "x-large", "xx-large"];

/// Bytes escaped in a file URI path, as GLib's `g_filename_to_uri` escapes them (which is what
/// thumbnailers hash): everything but letters, digits, `/` and ``!$&'()*+,-.:=@_~``.
const URI_PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b';')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The thumbnail cache of the current user: `$XDG_CACHE_HOME/thumbnails` when that is an
/// absolute path, else `$HOME/.cache/thumbnails`.
pub fn default_cache_dir() -> Option<PathBuf> {
    Some(dirs::cache_dir()?.join("thumbnails"))
}

/// The `file://` URI of an absolute path.
pub fn file_uri(abs: &Path) -> String {
    format!(
        "file://{}",
        percent_encode(abs.as_os_str().as_bytes(), URI_PATH)
    )
}

/// The thumbnail file name for an absolute path: hex MD5 of its URI, `.png`.
pub fn file_name(abs: &Path) -> String {
    let digest = Md5::digest(file_uri(abs).as_bytes());
    format!("{}.png", crate::fsutil::hex(&digest))
}

/// Every place in `cache` where a thumbnail of `abs` may be: the size folders and each
/// thumbnailer's folder under `fail/`.
pub fn candidates(cache: &Path, abs: &Path) -> Vec<PathBuf> {
    let name = file_name(abs);
    let mut dirs: Vec<PathBuf> = SIZES.iter().map(|s| cache.join(s)).collect();
    if let Ok(rd) = fs::read_dir(cache.join("fail")) {
        let mut fail: Vec<PathBuf> = rd
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        fail.sort();
        dirs.extend(fail);
    }
    dirs.into_iter()
        .map(|d| d.join(OsStr::new(&name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escapes_like_glib() {
        // Expected value printed by `gio info` (GLib) for the same path.
        assert_eq!(
            file_uri(Path::new("/tmp/gt/ID card (front) é#%;[x]+&=@$,'~/p ä.png")),
            "file:///tmp/gt/ID%20card%20(front)%20%C3%A9%23%25%3B%5Bx%5D+&=@$,'~/p%20%C3%A4.png"
        );
        assert_eq!(
            file_uri(Path::new(OsStr::from_bytes(b"/a/\xff"))),
            "file:///a/%FF"
        );
    }

    #[test]
    fn name_is_md5_of_uri() {
        // The standard's own example: MD5 of "file:///home/jens/photos/me.png".
        assert_eq!(
            file_name(Path::new("/home/jens/photos/me.png")),
            "c6ee772d9e49320e97ec29a7eb5b1697.png"
        );
    }

    #[test]
    fn candidates_cover_sizes_and_fail_folders() {
        let t = tempfile::tempdir().unwrap();
        fs::create_dir_all(t.path().join("fail/gnome-thumbnail-factory")).unwrap();
        let c = candidates(t.path(), Path::new("/x.png"));
        assert_eq!(c.len(), 5);
        assert!(c[4].starts_with(t.path().join("fail/gnome-thumbnail-factory")));
    }
}
