//! File-system primitives every destructive or writing path shares: opening without following
//! symlinks, crash-safe atomic replacement, and directory fsync; and the register of the
//! temporary files being written, which a process ending at once removes
//! ([`remove_temps_in_flight`]).

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// Temporary files being written right now: every [`AtomicFile`] registers its own until it is
/// renamed into place or removed.
static IN_FLIGHT: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// Records a temporary file that a hard exit must remove.
fn temp_created(path: &Path) {
    let mut temps = IN_FLIGHT.lock().unwrap_or_else(PoisonError::into_inner);
    temps.get_or_insert_default().insert(path.to_path_buf());
}

/// Forgets a temporary file that was renamed into place or removed.
fn temp_gone(path: &Path) {
    let mut temps = IN_FLIGHT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(set) = temps.as_mut() {
        set.remove(path);
    }
}

/// Removes the temporary files still being written, for a process about to end without
/// unwinding (the binary's watchdog after Ctrl-C or SIGTERM), so that nothing half-written is
/// left beside the user's files. Writes after this call are no longer registered.
pub fn remove_temps_in_flight() {
    let temps = IN_FLIGHT
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
        .unwrap_or_default();
    for path in temps {
        let _ = fs::remove_file(path);
    }
}

/// Opens `path` for reading without following a symlink in its last component and without
/// blocking on a FIFO, and checks that it is a regular file.
pub fn open_regular_nofollow(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                io::Error::new(io::ErrorKind::InvalidInput, "is a symlink; not followed")
            } else {
                e
            }
        })?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
}

/// Fsyncs a directory so that a rename or unlink inside it survives a crash.
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(dir)?.sync_all()
}

/// Creates `dir` (and its parents) owner-only, or narrows an existing one to owner-only; `None`
/// when it is not a real folder (a symlink or a file) or cannot be made private. For idvault's
/// own per-user state (scan cache, dismissed marks), which works without the folder if need be.
pub(crate) fn private_state_dir(dir: &Path) -> Option<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .ok()?;
    let meta = fs::symlink_metadata(dir).ok()?;
    if !meta.is_dir() {
        return None;
    }
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).ok()?;
    }
    Some(())
}

/// `bytes` as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A random lower-case hex string of `bytes` random bytes, from the OS CSPRNG.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the OS random number generator failed");
    hex(&buf)
}

/// A file being written next to its destination, made visible only by [`AtomicFile::commit`].
///
/// The temporary file is created with `O_EXCL` and the requested mode, so no other process can
/// have it open, and it is removed again if the `AtomicFile` is dropped before commit.
pub struct AtomicFile {
    file: Option<File>,
    tmp: PathBuf,
}

impl AtomicFile {
    /// Creates a hidden temporary file in `dir` with permissions `mode`. Its name carries the
    /// mark ([`crate::files::mark`]) that lets a later run prove it is idvault's own leftover.
    pub fn new_in(dir: &Path, mode: u32) -> io::Result<Self> {
        let here = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let folder = crate::files::mark::Folder::of(&fs::metadata(here)?);
        let name = crate::files::mark::name(crate::files::TEMP_PREFIX, &random_hex(6), folder);
        let tmp = dir.join(name);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(&tmp)?;
        temp_created(&tmp);
        // The umask may have narrowed the mode; never widened it, but make it exact.
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        Ok(AtomicFile {
            file: Some(file),
            tmp,
        })
    }

    /// The open temporary file.
    pub fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("file is present until commit")
    }

    /// Fsyncs the data, then moves it to `dest` and fsyncs the directory. With
    /// [`Replace::Never`] an existing `dest` is an `AlreadyExists` error and is left alone.
    pub fn commit(self, dest: &Path, replace: Replace) -> io::Result<()> {
        self.commit_leaving_dir_sync(dest, replace)?;
        fsync_dir(dest.parent().unwrap_or(Path::new(".")))
    }

    /// [`AtomicFile::commit`] without the directory fsync, for a caller that fsyncs each
    /// directory once for many files, and reports none of them done before it has.
    pub fn commit_leaving_dir_sync(mut self, dest: &Path, replace: Replace) -> io::Result<()> {
        self.file().sync_all()?;
        let moved = match replace {
            Replace::Allow => fs::rename(&self.tmp, dest),
            Replace::Never => rename_noreplace(&self.tmp, dest),
        };
        // On failure, Drop removes the temporary file; on success there is nothing to remove.
        moved?;
        self.file = None;
        temp_gone(&self.tmp);
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
            temp_gone(&self.tmp);
        }
    }
}

/// Whether a commit may replace an existing destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replace {
    Allow,
    Never,
}

/// Renames without ever replacing `to`: a hard link (atomic, fails if `to` exists) then unlink;
/// on file systems without hard links, a checked rename.
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    match fs::hard_link(from, to) {
        Ok(()) => fs::remove_file(from),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) => {
            if fs::symlink_metadata(to).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "destination exists",
                ));
            }
            fs::rename(from, to)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temps_are_tracked_and_forgotten() {
        let a = Path::new("/nonexistent/.idvault-tmp-a");
        temp_created(a);
        assert!(IN_FLIGHT.lock().unwrap().as_ref().unwrap().contains(a));
        temp_gone(a);
        assert!(!IN_FLIGHT.lock().unwrap().as_ref().unwrap().contains(a));
    }

    #[test]
    fn atomic_file_commits_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        let mut f = AtomicFile::new_in(dir.path(), 0o600).unwrap();
        f.write_all(b"one").unwrap();
        f.commit(&dest, Replace::Never).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"one");
        assert_eq!(
            fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
            0o600
        );

        let mut g = AtomicFile::new_in(dir.path(), 0o600).unwrap();
        g.write_all(b"two").unwrap();
        let err = g.commit(&dest, Replace::Never).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&dest).unwrap(), b"one");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temp file left behind"
        );
    }

    #[test]
    fn dropped_atomic_file_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = AtomicFile::new_in(dir.path(), 0o600).unwrap();
        f.write_all(b"secret").unwrap();
        drop(f);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn nofollow_refuses_symlinks_and_fifos() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        fs::write(&target, b"x").unwrap();
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(open_regular_nofollow(&target).is_ok());
        assert!(open_regular_nofollow(&link).is_err());
        assert!(open_regular_nofollow(dir.path()).is_err());
    }
}
