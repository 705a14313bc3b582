//! The directory walk: never follows symlinks, never leaves the given roots, optionally stays on
//! one file system, and skips idvault vaults (only real ones, each named in a note). Problems
//! become warnings, never a stop.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use walkdir::WalkDir;

use super::{Severity, Warning};
use crate::files::Leftover;

/// A root as the user gave it, and its absolute form for folder-based signals.
#[derive(Debug)]
pub struct Root {
    pub given: PathBuf,
    pub absolute: PathBuf,
}

/// A regular file found by the walk.
#[derive(Debug)]
pub struct FileEntry {
    pub path: PathBuf,
    pub root: Arc<Root>,
}

impl FileEntry {
    /// The absolute path, for folder-based risks.
    pub fn absolute(&self) -> PathBuf {
        match self.path.strip_prefix(&self.root.given) {
            Ok(rel) if !rel.as_os_str().is_empty() => self.root.absolute.join(rel),
            _ => self.root.absolute.clone(),
        }
    }

    /// Folder names from the root's own name down to the file's parent.
    pub fn folder_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .root
            .absolute
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .into_iter()
            .collect();
        if let Ok(rel) = self.path.strip_prefix(&self.root.given)
            && let Some(parent) = rel.parent()
        {
            names.extend(
                parent
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned()),
            );
        }
        names
    }
}

/// What the walk yields.
#[derive(Debug)]
pub enum Walked {
    File(FileEntry),
    Warning(Warning),
    /// A symlink, not followed.
    Symlink,
    /// A file idvault left when it was interrupted: reported, never scanned.
    Leftover(PathBuf, Leftover),
}

/// The note for one of idvault's leftovers in a command that only passes it by (`strip`,
/// `vault add`); `scan` reports it as what it is, and `secure` removes it.
pub fn leftover_skipped(path: PathBuf) -> Warning {
    Warning {
        path,
        message: "left by an interrupted idvault run; not touched (`idvault scan` says more)"
            .into(),
        severity: Severity::Note,
    }
}

/// Walks `roots` and hands every item to `sink`; stops early if `sink` returns false.
pub fn walk(roots: &[PathBuf], one_file_system: bool, mut sink: impl FnMut(Walked) -> bool) {
    for given in roots {
        let absolute = std::path::absolute(given).unwrap_or_else(|_| given.clone());
        let root = Arc::new(Root {
            given: given.clone(),
            absolute,
        });
        let mut walker = WalkDir::new(given)
            .follow_links(false)
            .follow_root_links(false)
            .same_file_system(one_file_system)
            .into_iter();
        while let Some(item) = walker.next() {
            let out = match item {
                Ok(e) => {
                    let ft = e.file_type();
                    if ft.is_file() {
                        if let Some(kind) = Leftover::of(e.file_name()) {
                            Walked::Leftover(e.into_path(), kind)
                        } else {
                            Walked::File(FileEntry {
                                path: e.into_path(),
                                root: Arc::clone(&root),
                            })
                        }
                    } else if ft.is_symlink() {
                        match symlink_problem(e.path()) {
                            Some(w) => Walked::Warning(w),
                            None => Walked::Symlink,
                        }
                    } else if ft.is_dir() {
                        if !is_vault(e.path()) {
                            continue;
                        }
                        // Skipped, and said so: a folder hidden from the scan is visible.
                        walker.skip_current_dir();
                        Walked::Warning(Warning {
                            path: e.into_path(),
                            message: VAULT_SKIPPED.into(),
                            severity: Severity::Note,
                        })
                    } else {
                        Walked::Warning(Warning {
                            path: e.into_path(),
                            message: "not a regular file (FIFO, socket or device); skipped".into(),
                            severity: Severity::Note,
                        })
                    }
                }
                Err(err) => Walked::Warning(walk_error(err)),
            };
            if !sink(out) {
                return;
            }
        }
    }
}

/// The note naming a vault folder the walk skipped.
pub const VAULT_SKIPPED: &str = "an idvault vault (encrypted entries only); skipped";

/// True for a directory that holds an idvault vault: its marker is a vault config (a format
/// number and a recipient list of age or SSH public keys) and `identity.age` is an age file.
/// A marker alone (an empty `idvault-vault.toml` dropped into a folder) hides nothing.
fn is_vault(dir: &Path) -> bool {
    use std::io::Read;
    let read_head = |name: &str, limit: u64| -> Option<Vec<u8>> {
        let file = crate::fsutil::open_regular_nofollow(&dir.join(name)).ok()?;
        let mut head = Vec::new();
        file.take(limit).read_to_end(&mut head).ok()?;
        Some(head)
    };
    #[derive(serde::Deserialize)]
    struct Marker {
        format: u32,
        recipients: Vec<String>,
    }
    let config = read_head(crate::VAULT_MARKER, 1 << 20)
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| toml::from_str::<Marker>(&t).ok());
    let config_ok = config.is_some_and(|c| {
        c.format >= 1
            && !c.recipients.is_empty()
            && c.recipients
                .iter()
                .all(|r| r.starts_with("age1") || r.starts_with("ssh-"))
    });
    config_ok
        && read_head("identity.age", 32).is_some_and(|h| h.starts_with(b"age-encryption.org/v1\n"))
}

/// A symlink is skipped either way; a loop or dangling link is worth a note.
fn symlink_problem(path: &Path) -> Option<Warning> {
    let err = std::fs::metadata(path).err()?;
    let message = if err.raw_os_error() == Some(libc::ELOOP) {
        "symlink loop; not followed".to_string()
    } else {
        format!("dangling symlink ({err}); not followed")
    };
    Some(Warning {
        path: path.to_path_buf(),
        message,
        severity: Severity::Note,
    })
}

fn walk_error(err: walkdir::Error) -> Warning {
    let path = err.path().map(Path::to_path_buf).unwrap_or_default();
    let (message, severity) = match err.io_error().map(io::Error::kind) {
        Some(io::ErrorKind::NotFound) => ("vanished during the scan".to_string(), Severity::Note),
        Some(io::ErrorKind::PermissionDenied) => (
            "permission denied; its contents were not scanned".to_string(),
            Severity::Error,
        ),
        _ => (err.to_string(), Severity::Error),
    };
    Warning {
        path,
        message,
        severity,
    }
}
