//! The private page that forwards the browser to the review address, as notebook servers do:
//! `xdg-open` and the browser are given this file's path, never the address, so the token
//! appears in no process's arguments or environment (which every local user can read in
//! `/proc`).
//!
//! The file is created `0600` with `O_EXCL`, never through a symlink, in a `0700` folder owned
//! by us: `$XDG_RUNTIME_DIR/idvault`, or the per-user cache folder where there is no runtime
//! folder. The server removes it as soon as a browser has loaded the page (the address has then
//! done its work: the session is bound to that browser), and it is removed when review ends.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The forwarding page on disk; removed on drop.
#[derive(Debug)]
pub struct ForwardPage {
    path: PathBuf,
}

impl ForwardPage {
    /// Writes a page forwarding to `url` in the user's private runtime folder.
    pub fn write(url: &str) -> io::Result<ForwardPage> {
        let base = dirs::runtime_dir()
            .or_else(dirs::cache_dir)
            .ok_or_else(|| io::Error::other("no runtime or cache folder (is HOME set?)"))?;
        ForwardPage::write_in(&private_folder(&base)?, url)
    }

    fn write_in(dir: &Path, url: &str) -> io::Result<ForwardPage> {
        let path = dir.join(format!("review-{}.html", crate::fsutil::random_hex(8)));
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path)?;
        let page = ForwardPage { path };
        // The address is ours (digits, hex and punctuation): nothing in it needs escaping.
        write!(
            file,
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
             <meta name=\"referrer\" content=\"no-referrer\">\
             <meta http-equiv=\"refresh\" content=\"0;url={url}\">\
             <title>idvault review</title></head>\n\
             <body><p><a href=\"{url}\">Open the idvault review page</a></p></body></html>\n"
        )?;
        file.sync_all()?;
        Ok(page)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ForwardPage {
    fn drop(&mut self) {
        // Already gone is fine; anything else leaves a dead address in a private folder.
        let _ = fs::remove_file(&self.path);
    }
}

/// `<base>/idvault`, made if need be, and checked to be a real folder of ours that no one else
/// can enter.
fn private_folder(base: &Path) -> io::Result<PathBuf> {
    let dir = base.join("idvault");
    crate::fsutil::private_state_dir(&dir)
        .ok_or_else(|| io::Error::other(format!("{} cannot be made private", dir.display())))?;
    let meta = fs::symlink_metadata(&dir)?;
    let ours = meta.uid() == rustix::process::geteuid().as_raw();
    if !meta.is_dir() || !ours || meta.permissions().mode() & 0o077 != 0 {
        return Err(io::Error::other(format!(
            "{} is not a private folder of this user",
            dir.display()
        )));
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_private_forwards_to_the_address_and_goes_away() {
        let t = tempfile::tempdir().unwrap();
        // A folder others could enter is narrowed first.
        fs::create_dir(t.path().join("idvault")).unwrap();
        fs::set_permissions(t.path().join("idvault"), fs::Permissions::from_mode(0o755)).unwrap();
        let url = "http://127.0.0.1:4567/abc/";
        let page = ForwardPage::write_in(&private_folder(t.path()).unwrap(), url).unwrap();
        let path = page.path().to_path_buf();
        assert_eq!(path.parent().unwrap(), t.path().join("idvault"));
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(&format!("content=\"0;url={url}\"")), "{text}");
        drop(page);
        assert!(!path.exists());
        // A symlink in its place is refused, not followed.
        let elsewhere = t.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        let link = t.path().join("link");
        fs::create_dir(&link).unwrap();
        std::os::unix::fs::symlink(&elsewhere, link.join("idvault")).unwrap();
        assert!(private_folder(&link).is_err());
    }
}
