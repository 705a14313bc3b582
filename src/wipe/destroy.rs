//! The destructive steps, each on a file descriptor checked against the planned identity:
//! overwrite with a ChaCha stream, fsync, truncate, rename to shorter and shorter random names
//! with a directory fsync after each, unlink.
//!
//! Every step goes through a descriptor of the parent folder (`*at` calls) and the file is never
//! opened through a symlink, so a name swapped after planning is noticed, not followed.

use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;

use rand_chacha::ChaCha12Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rustix::fs::{Access, AtFlags, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use super::{Step, WipeError};
use crate::files::FileId;
use crate::files::mark::Folder;

/// Bytes written per call: large enough to stream at disk speed, small enough to stay in cache.
const BLOCK: usize = 1 << 20;

/// How many random names are tried before a rename step is skipped.
const NAME_TRIES: u32 = 16;

/// Overwrites the planned regular file `path` `passes` times, then truncates, renames and
/// unlinks it. Returns the number of bytes written per pass.
pub(super) fn overwrite_and_remove(
    path: &Path,
    expected: &FileId,
    passes: u32,
) -> Result<u64, WipeError> {
    let (dir, name) = open_parent(path)?;
    let fd = rustix::fs::openat(
        &dir,
        name,
        OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| match e {
        // A symlink (ELOOP) or FIFO without reader (ENXIO) where a regular file was planned.
        Errno::LOOP | Errno::NXIO => WipeError::Changed,
        Errno::ACCESS | Errno::PERM => WipeError::NotWritable,
        e => WipeError::io(Step::Open, e.into()),
    })?;
    let file = File::from(fd);
    let meta = file
        .metadata()
        .map_err(|e| WipeError::io(Step::Inspect, e))?;
    if !meta.is_file() || FileId::of(&meta) != *expected {
        return Err(WipeError::Changed);
    }
    if meta.nlink() > 1 {
        return Err(WipeError::HardLinked {
            names: meta.nlink(),
        });
    }
    let folder = check_folder(&dir, &meta)?;
    let ident = (meta.dev(), meta.ino());
    // Leftover names carry the mark that proves to a later run that idvault made them.
    let leftover_name =
        |len| crate::files::mark::name(crate::files::LEFTOVER_PREFIX, &random_name(len), folder);
    // First move the file out of its name: if the wipe is interrupted, no half-overwritten file
    // is left under the original name (where a re-run would take it for a new document), only
    // a marked `.idvault-wipe-…` leftover that `secure` and `scan` recognise as their own.
    let mut current = rename_random(&dir, name, || leftover_name(LEFTOVER_NAME_LEN), ident)
        .map_err(|e| match e {
            RenameError::Changed => WipeError::Changed,
            RenameError::Io(source) => WipeError::io(Step::Rename, source),
        })?;
    sync_dir(&dir).map_err(|e| WipeError::io(Step::Rename, e))?;
    // Cover the slack after the end of the file up to the end of its last block as well.
    let block = meta.blksize().clamp(512, 64 << 10);
    let len = meta.len().div_ceil(block) * block;
    overwrite(&file, len, passes).map_err(|e| WipeError::io(Step::Overwrite, e))?;
    file.set_len(0)
        .and_then(|()| file.sync_all())
        .map_err(|e| WipeError::io(Step::Truncate, e))?;
    // Shorter and shorter names keep the leftover prefix and mark, so that an interruption here
    // too leaves a name `secure` proves its own (the content is already gone).
    for len in shrinking_lengths(name.len()) {
        current =
            rename_random(&dir, &current, || leftover_name(len), ident).map_err(|e| match e {
                RenameError::Changed => WipeError::Changed,
                RenameError::Io(source) => WipeError::NameRemains {
                    name: current.clone(),
                    source,
                },
            })?;
        sync_dir(&dir).map_err(|e| WipeError::io(Step::Rename, e))?;
    }
    rustix::fs::unlinkat(&dir, &current, AtFlags::empty()).map_err(|e| WipeError::NameRemains {
        name: current.clone(),
        source: e.into(),
    })?;
    sync_dir(&dir).map_err(|e| WipeError::io(Step::Remove, e))?;
    Ok(meta.len())
}

/// Removes the name `path` only (a symlink, or one name of a hard-linked file), after checking
/// it is still the planned entry. The data behind it is not touched.
pub(super) fn remove_name(path: &Path, expected: &FileId) -> Result<(), WipeError> {
    let (dir, name) = open_parent(path)?;
    let meta = lstat_at(&dir, name)?;
    if FileId::of(&meta) != *expected {
        return Err(WipeError::Changed);
    }
    let len = name.len();
    let renamed = rename_random(
        &dir,
        name,
        || random_name(len).into(),
        (meta.dev(), meta.ino()),
    )
    .map_err(|e| match e {
        RenameError::Changed => WipeError::Changed,
        RenameError::Io(e) => WipeError::io(Step::Rename, e),
    })?;
    rustix::fs::unlinkat(&dir, &renamed, AtFlags::empty()).map_err(|e| WipeError::NameRemains {
        name: renamed.clone(),
        source: e.into(),
    })?;
    sync_dir(&dir).map_err(|e| WipeError::io(Step::Remove, e))
}

/// Refuses, before anything changes, what the wipe could not finish: the checks of
/// [`check_folder`], plus a file that cannot be opened for writing when it is to be overwritten.
pub(super) fn preflight(path: &Path, overwrite: bool) -> Result<(), WipeError> {
    let (dir, name) = open_parent(path)?;
    let meta = lstat_at(&dir, name)?;
    check_folder(&dir, &meta)?;
    if overwrite {
        match rustix::fs::accessat(&dir, name, Access::WRITE_OK, AtFlags::EACCESS) {
            Ok(()) => {}
            Err(Errno::ROFS) => return Err(WipeError::ReadOnlyFilesystem),
            Err(Errno::ACCESS | Errno::PERM) => return Err(WipeError::NotWritable),
            Err(e) => return Err(WipeError::io(Step::Inspect, e.into())),
        }
    }
    Ok(())
}

/// Opens the folder holding `path` and returns it with the last component of `path`.
fn open_parent(path: &Path) -> Result<(OwnedFd, &OsStr), WipeError> {
    let name = path.file_name().ok_or(WipeError::NotAFile)?;
    let dir = rustix::fs::open(
        parent_dir(path),
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| match e {
        Errno::NOENT => WipeError::Vanished,
        e => WipeError::io(Step::Open, e.into()),
    })?;
    Ok((dir, name))
}

/// The folder holding `path`: its parent, or `.` for a bare name.
pub(super) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `lstat` of `name` inside `dir`: the entry itself, never a symlink's target.
fn lstat_at(dir: &OwnedFd, name: &OsStr) -> Result<Metadata, WipeError> {
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| match e {
        Errno::NOENT => WipeError::Vanished,
        e => WipeError::io(Step::Inspect, e.into()),
    })?;
    File::from(fd)
        .metadata()
        .map_err(|e| WipeError::io(Step::Inspect, e))
}

/// Refuses before any byte is written when the name could not be removed afterwards: a folder
/// without write permission, or a sticky folder (like /tmp) where the file is someone else's.
/// Gives the folder's identity.
fn check_folder(dir: &OwnedFd, file: &Metadata) -> Result<Folder, WipeError> {
    match rustix::fs::accessat(
        dir,
        ".",
        Access::WRITE_OK | Access::EXEC_OK,
        AtFlags::EACCESS,
    ) {
        Ok(()) => {}
        Err(Errno::ROFS) => return Err(WipeError::ReadOnlyFilesystem),
        Err(Errno::ACCESS | Errno::PERM) => return Err(WipeError::FolderNotWritable),
        Err(e) => return Err(WipeError::io(Step::Inspect, e.into())),
    }
    let dir_stat = rustix::fs::fstat(dir).map_err(|e| WipeError::io(Step::Inspect, e.into()))?;
    let euid = rustix::process::geteuid().as_raw();
    let sticky = dir_stat.st_mode & libc::S_ISVTX != 0;
    if sticky && euid != 0 && euid != file.uid() && euid != dir_stat.st_uid {
        return Err(WipeError::FolderNotWritable);
    }
    Ok(Folder {
        dev: dir_stat.st_dev,
        ino: dir_stat.st_ino,
    })
}

/// Writes `passes` independent ChaCha12 streams over the first `len` bytes, with an fdatasync
/// after each pass so that each pass reaches the disk rather than only the page cache.
fn overwrite(file: &File, len: u64, passes: u32) -> io::Result<()> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| io::Error::other(e.to_string()))?;
    let mut rng = ChaCha12Rng::from_seed(seed);
    let mut buf = vec![0u8; len.min(BLOCK as u64) as usize];
    for _ in 0..passes {
        let mut off = 0u64;
        while off < len {
            let n = (len - off).min(BLOCK as u64) as usize;
            rng.fill_bytes(&mut buf[..n]);
            file.write_all_at(&buf[..n], off)?;
            off += n as u64;
        }
        file.sync_data()?;
    }
    Ok(())
}

/// Length of the random part of the name a file carries while it is being overwritten.
const LEFTOVER_NAME_LEN: usize = 16;

/// Lengths of the successive random names: the original length (at most 32), halved down to 1.
fn shrinking_lengths(original: usize) -> Vec<usize> {
    let mut len = original.clamp(1, 32);
    let mut out = vec![len];
    while len > 1 {
        len /= 2;
        out.push(len);
    }
    out
}

enum RenameError {
    /// The renamed entry is not the planned file (it was swapped); it was renamed back.
    Changed,
    Io(io::Error),
}

/// Renames `from` to a fresh name from `fresh` (random each call) inside `dir`, never
/// replacing an existing entry, and checks that the entry moved is still `ident` (device,
/// inode). Gives the new name, or `from` itself when no free name was found.
fn rename_random(
    dir: &OwnedFd,
    from: &OsStr,
    fresh: impl Fn() -> OsString,
    ident: (u64, u64),
) -> Result<OsString, RenameError> {
    for _ in 0..NAME_TRIES {
        let to = fresh();
        match rename_noreplace(dir, from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(RenameError::Io(e)),
        }
        let moved = lstat_at(dir, &to).map_err(|_| RenameError::Changed)?;
        if (moved.dev(), moved.ino()) != ident {
            let _ = rename_noreplace(dir, &to, from);
            return Err(RenameError::Changed);
        }
        return Ok(to);
    }
    Ok(from.to_os_string())
}

/// `renameat2(RENAME_NOREPLACE)`, with a checked plain rename where the filesystem lacks it.
fn rename_noreplace(dir: &OwnedFd, from: &OsStr, to: &OsStr) -> io::Result<()> {
    match rustix::fs::renameat_with(dir, from, dir, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        Err(Errno::INVAL | Errno::NOSYS) => {
            if rustix::fs::statat(dir, to, AtFlags::SYMLINK_NOFOLLOW).is_ok() {
                return Err(io::ErrorKind::AlreadyExists.into());
            }
            rustix::fs::renameat(dir, from, dir, to).map_err(Into::into)
        }
        Err(e) => Err(e.into()),
    }
}

/// `len` random characters from `[a-z0-9]`, never starting with a dot.
fn random_name(len: usize) -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

fn sync_dir(dir: &OwnedFd) -> io::Result<()> {
    rustix::fs::fsync(dir).map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_shrink_to_one() {
        assert_eq!(shrinking_lengths(12), [12, 6, 3, 1]);
        assert_eq!(shrinking_lengths(1), [1]);
        assert_eq!(shrinking_lengths(200), [32, 16, 8, 4, 2, 1]);
        assert_eq!(shrinking_lengths(0), [1]);
    }

    #[test]
    fn random_names_are_plain() {
        let n = random_name(20);
        assert_eq!(n.len(), 20);
        assert!(
            n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
    }

    #[test]
    fn overwrite_replaces_every_byte_and_slack() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("f");
        std::fs::write(&p, vec![b'M'; 5000]).unwrap();
        let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        overwrite(&f, 8192, 2).unwrap();
        let after = std::fs::read(&p).unwrap();
        assert_eq!(after.len(), 8192);
        // A random 8 KiB block has far fewer than 200 'M's (expected 32).
        assert!(after.iter().filter(|&&b| b == b'M').count() < 200);
    }

    #[test]
    fn rename_keeps_identity_and_never_replaces() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("a"), b"x").unwrap();
        let a = t.path().join("a");
        let (dir, name) = open_parent(&a).unwrap();
        let m = lstat_at(&dir, name).unwrap();
        let to = rename_random(&dir, name, || random_name(1).into(), (m.dev(), m.ino()))
            .ok()
            .unwrap();
        assert_eq!(to.len(), 1);
        assert!(t.path().join(&to).exists());
        assert!(!t.path().join("a").exists());
    }
}
