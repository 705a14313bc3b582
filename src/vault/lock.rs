//! The vault lock: `flock(2)` on `VAULT/lock`, exclusive for commands that write, shared for
//! commands that only read. The kernel drops the lock when the process dies, so a crash never
//! leaves a stale lock. The holder's pid is written into the file only to name it in the
//! "busy" message. Built on std's `File::lock`/`File::try_lock` (flock on Linux), so no
//! `unsafe` is needed.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::format;

/// Whether a command writes to the vault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockMode {
    Shared,
    Exclusive,
}

/// A held vault lock; released on drop.
#[derive(Debug)]
pub struct VaultLock {
    /// Held for its `flock`, released when closed. `None`: a reader on a vault whose lock file
    /// cannot be created or opened (read-only media, a folder this user may only read).
    _file: Option<File>,
    mode: LockMode,
}

impl VaultLock {
    /// Takes the lock at `path`. When another process holds it, `on_busy` is called once with
    /// that process's pid (if known) and the call then waits for the lock.
    pub(crate) fn acquire(
        path: &Path,
        mode: LockMode,
        on_busy: impl FnOnce(Option<u32>),
    ) -> io::Result<VaultLock> {
        let opened = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(format::FILE_MODE)
            .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(path);
        let mut file = match (opened, mode) {
            (Ok(f), _) => f,
            (Err(e), LockMode::Shared) if cannot_write(&e) => {
                // A reader needs no lock where nobody can write: read-only media. Where only
                // this user cannot write, the existing lock file is still shared if it opens.
                match OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_CLOEXEC | libc::O_NOFOLLOW)
                    .open(path)
                {
                    Ok(f) => f,
                    Err(_) => return Ok(VaultLock { _file: None, mode }),
                }
            }
            (Err(e), _) => return Err(e),
        };
        let tried = match mode {
            LockMode::Shared => file.try_lock_shared(),
            LockMode::Exclusive => file.try_lock(),
        };
        match tried {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                on_busy(holder(&file));
                wait_for(&file, mode)?;
            }
            Err(TryLockError::Error(e)) => return Err(e),
        }
        if mode == LockMode::Exclusive {
            record_pid(&mut file)?;
        }
        Ok(VaultLock {
            _file: Some(file),
            mode,
        })
    }

    pub fn mode(&self) -> LockMode {
        self.mode
    }
}

/// Whether opening the lock file for writing failed because the vault cannot be written here.
fn cannot_write(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied
    )
}

fn record_pid(file: &mut File) -> io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{}", std::process::id())
}

/// Blocks until the lock is granted, retrying when a signal interrupts the wait.
fn wait_for(file: &File, mode: LockMode) -> io::Result<()> {
    loop {
        let waited = match mode {
            LockMode::Shared => file.lock_shared(),
            LockMode::Exclusive => file.lock(),
        };
        match waited {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// The pid recorded by the current exclusive holder, if any.
fn holder(mut file: &File) -> Option<u32> {
    let mut s = String::new();
    file.rewind().ok()?;
    file.take(32).read_to_string(&mut s).ok()?;
    s.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_lock_reports_the_holder_and_shared_locks_coexist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let first = VaultLock::acquire(&path, LockMode::Exclusive, |_| panic!("free")).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let p2 = path.clone();
        let waiter = std::thread::spawn(move || {
            VaultLock::acquire(&p2, LockMode::Exclusive, |pid| tx.send(pid).unwrap()).unwrap()
        });
        assert_eq!(rx.recv().unwrap(), Some(std::process::id()));
        drop(first);
        let second = waiter.join().unwrap();
        assert_eq!(second.mode(), LockMode::Exclusive);
        drop(second);
        let a = VaultLock::acquire(&path, LockMode::Shared, |_| panic!("free")).unwrap();
        let b = VaultLock::acquire(&path, LockMode::Shared, |_| panic!("free")).unwrap();
        drop((a, b));
    }
}
