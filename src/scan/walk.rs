//! The directory walk: never follows symlinks inside the given roots (a root that is itself a
//! symlink, such as Termux's `~/storage/dcim`, is followed: the user named it), never leaves
//! them, optionally stays on one file system, skips idvault vaults (only real ones, each named
//! in a note) and what `--exclude` names. Problems become warnings, never a stop.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use super::{Message, Severity, Warning};
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
    /// A file idvault left when it was interrupted (its name proved by [`crate::files::mark`]):
    /// reported, never scanned.
    Leftover(PathBuf, Leftover),
}

/// The note for one of idvault's leftovers in a command that only passes it by (`strip`,
/// `vault add`); `scan` reports it as what it is, and `secure` removes it.
pub fn leftover_skipped(path: PathBuf) -> Warning {
    Warning {
        path,
        message: Message::LeftoverSkipped,
        severity: Severity::Note,
    }
}

/// Files and folders a walk leaves out (`--exclude GLOB`, repeatable). A glob is matched
/// against each name and against the path relative to the root it was found under, with `/`
/// between folders: `*.mp4` and `node_modules` match at any depth, `Takeout/**` only at the top;
/// `*` does not cross a `/`. A folder that matches is not entered. The roots themselves are
/// never left out.
#[derive(Clone, Debug, Default)]
pub struct Exclude {
    set: GlobSet,
}

impl Exclude {
    /// Compiles `globs`; an invalid glob is an error naming it.
    pub fn new(globs: &[String]) -> Result<Self, globset::Error> {
        let mut builder = GlobSetBuilder::new();
        for g in globs {
            builder.add(GlobBuilder::new(g).literal_separator(true).build()?);
        }
        Ok(Exclude {
            set: builder.build()?,
        })
    }

    /// True when the entry at `rel` (relative to its root, not empty) is left out.
    pub fn matches(&self, rel: &Path) -> bool {
        !self.set.is_empty()
            && (self.set.is_match(rel) || rel.file_name().is_some_and(|n| self.set.is_match(n)))
    }

    /// True when `path`, found under the root `given`, is left out.
    fn excludes(&self, given: &Path, path: &Path) -> bool {
        path.strip_prefix(given)
            .is_ok_and(|rel| !rel.as_os_str().is_empty() && self.matches(rel))
    }
}

/// Whether a root that is itself a symlink is followed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RootLinks {
    /// Followed: the user named it (a scan of Termux's `~/storage/dcim`).
    #[default]
    Follow,
    /// Skipped like any other symlink (commands that change files in place say so first).
    Skip,
}

/// What a walk leaves out, besides vaults, and whether it follows a symlinked root.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub exclude: Exclude,
    pub root_links: RootLinks,
}

/// Walks `roots` and hands every item to `sink`; stops early if `sink` returns false.
pub fn walk(
    roots: &[PathBuf],
    one_file_system: bool,
    filter: &Filter,
    mut sink: impl FnMut(Walked) -> bool,
) {
    let exclude = &filter.exclude;
    let follow = filter.root_links == RootLinks::Follow;
    for given in roots {
        let given = &if follow {
            followed_root(given)
        } else {
            given.clone()
        };
        let absolute = std::path::absolute(given).unwrap_or_else(|_| given.clone());
        let root = Arc::new(Root {
            given: given.clone(),
            absolute,
        });
        let mut walker = WalkDir::new(given)
            .follow_links(false)
            .follow_root_links(follow)
            .same_file_system(one_file_system)
            .into_iter()
            .filter_entry(|e| !exclude.excludes(given, e.path()));
        while let Some(item) = walker.next() {
            let out = match item {
                Ok(e) => {
                    let ft = e.file_type();
                    if ft.is_file() {
                        match Leftover::of(e.file_name()) {
                            Some(kind) if crate::files::mark::proves(e.path()) => {
                                Walked::Leftover(e.into_path(), kind)
                            }
                            // Named like a leftover, but not one idvault can prove it made: a
                            // file like any other, scanned, and never removed for its name.
                            Some(_) => {
                                let note = Walked::Warning(Warning {
                                    path: e.path().to_path_buf(),
                                    message: Message::NotOurs,
                                    severity: Severity::Note,
                                });
                                if !sink(note) {
                                    return;
                                }
                                Walked::File(FileEntry {
                                    path: e.into_path(),
                                    root: Arc::clone(&root),
                                })
                            }
                            None => Walked::File(FileEntry {
                                path: e.into_path(),
                                root: Arc::clone(&root),
                            }),
                        }
                    } else if ft.is_symlink() && e.depth() == 0 && follow {
                        // The root itself, a link to a folder that is walked.
                        continue;
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
                            message: Message::VaultSkipped,
                            severity: Severity::Note,
                        })
                    } else {
                        Walked::Warning(Warning {
                            path: e.into_path(),
                            message: Message::NotRegular,
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

/// The root to walk for `given`: itself, or, when it is a symlink to a file, the file it points
/// to (files are opened without following a last symlink). A symlink to a folder is walked
/// under its own name, so that findings keep the path the user typed; a dangling one is walked
/// as it is and reported by the walk.
fn followed_root(given: &Path) -> PathBuf {
    let is_link = std::fs::symlink_metadata(given).is_ok_and(|m| m.file_type().is_symlink());
    if is_link
        && std::fs::metadata(given).is_ok_and(|m| m.is_file())
        && let Ok(target) = std::fs::canonicalize(given)
    {
        return target;
    }
    given.to_path_buf()
}

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
        Message::SymlinkLoop
    } else {
        Message::DanglingSymlink(err.to_string())
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
        Some(io::ErrorKind::NotFound) => (Message::Vanished, Severity::Note),
        Some(io::ErrorKind::PermissionDenied) => (Message::FolderDenied, Severity::Error),
        _ => (Message::Text(err.to_string()), Severity::Error),
    };
    Warning {
        path,
        message,
        severity,
    }
}
