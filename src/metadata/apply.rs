//! Stripping files on disk: read without following symlinks, clean and verify in memory, then
//! either report the plan, replace the file atomically (temporary file in the same directory,
//! fsync, rename; permissions, owner and timestamps kept), or write a clean copy elsewhere that
//! never overwrites anything. [`prepare`] does everything up to the temporary file and
//! [`Pending::commit`] the durable part, so a caller can run them on different thread pools.

use std::fs::{self, FileTimes};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::{Removed, StripError, StripOptions, strip};
use crate::files::FileId;
use crate::files::sniff::FileType;
use crate::fsutil::{AtomicFile, Replace, open_regular_nofollow};

/// Where clean bytes go.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// Change nothing; report what would be removed.
    DryRun,
    /// Replace the file itself, atomically.
    InPlace,
    /// Write a clean copy to this path (which must not exist yet).
    CopyTo(&'a Path),
}

/// What happened to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Dry run: metadata was found and would be removed.
    Planned,
    /// Metadata was removed (in place, or into the copy).
    Stripped,
    /// Nothing to remove (a copy, if asked for, was still written).
    Unchanged,
    /// Not a format idvault can clean; left as it is.
    Unsupported,
    /// An error; the original is untouched.
    Failed,
}

/// The result for one file.
#[derive(Debug)]
pub struct Outcome {
    pub path: PathBuf,
    /// Size of the file as read (0 when it could not be read).
    pub size: u64,
    pub status: Status,
    pub format: Option<FileType>,
    pub removed: Vec<Removed>,
    /// The clean copy, for [`Target::CopyTo`].
    pub output: Option<PathBuf>,
    /// Why the file failed or is unsupported.
    pub message: Option<String>,
}

/// Totals of a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub files: u64,
    pub planned: u64,
    pub stripped: u64,
    pub unchanged: u64,
    pub unsupported: u64,
    pub failed: u64,
    pub bytes_removed: u64,
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Summary {
    /// Counts one outcome.
    pub fn add(&mut self, o: &Outcome) {
        self.files += 1;
        match o.status {
            Status::Planned => self.planned += 1,
            Status::Stripped => self.stripped += 1,
            Status::Unchanged => self.unchanged += 1,
            Status::Unsupported => self.unsupported += 1,
            Status::Failed => self.failed += 1,
        }
        if matches!(o.status, Status::Planned | Status::Stripped) {
            self.bytes_removed += o.removed.iter().map(|r| r.size).sum::<u64>();
        }
    }
}

/// Why a file on disk could not be stripped.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read: {0}")]
    Read(io::Error),
    #[error("cannot write the clean file: {0}")]
    Write(io::Error),
    #[error("{0}")]
    Strip(#[from] StripError),
    #[error("has {0} hard links; the other names would keep the metadata (use --output)")]
    HardLinked(u64),
    #[error("changed while it was being stripped; left as it is")]
    Changed,
}

/// What [`prepare`] leaves to do for one file.
pub enum Step {
    /// Nothing more: a dry run, an unchanged or unsupported file, or an error.
    Done(Outcome),
    /// A clean file waiting in a temporary file for [`Pending::commit`].
    Commit(Pending),
}

/// A verified clean file written to a temporary file beside its destination, neither durable nor
/// visible yet. [`Pending::commit`] makes it both; dropping it removes the temporary file.
///
/// Splitting the write from the commit lets a caller run the commits (which wait for the disk)
/// on more threads than the stripping, which waits for the CPU: fsyncs in flight together share
/// the file system's journal commits.
pub struct Pending {
    tmp: AtomicFile,
    dest: PathBuf,
    /// For an in-place replacement, the original as it was read, checked again just before the
    /// rename; `None` for a copy, which never replaces anything.
    original: Option<FileId>,
    outcome: Outcome,
}

/// Reads, strips and verifies one file, and writes the clean bytes to a temporary file when
/// `target` asks for them. Never panics on bad input; on any error the original is left
/// byte-identical and no partial output remains.
pub fn prepare(path: &Path, opts: &StripOptions, target: Target<'_>) -> Step {
    let mut outcome = Outcome {
        path: path.to_path_buf(),
        size: 0,
        status: Status::Failed,
        format: None,
        removed: Vec::new(),
        output: None,
        message: None,
    };
    match run(path, opts, target, &mut outcome) {
        Ok(Prepared::Finished(status)) => {
            outcome.status = status;
            Step::Done(outcome)
        }
        Ok(Prepared::Written {
            tmp,
            dest,
            original,
        }) => Step::Commit(Pending {
            tmp,
            dest,
            original,
            outcome,
        }),
        Err(e) => Step::Done(failed(outcome, e)),
    }
}

impl Pending {
    /// Fsyncs the clean file, checks that an original to replace has not changed since it was
    /// read, renames the clean file into place and fsyncs its folder. The outcome is `Stripped`
    /// or `Unchanged` only once all of that is done.
    pub fn commit(self) -> Outcome {
        let Pending {
            mut tmp,
            dest,
            original,
            mut outcome,
        } = self;
        let done = if outcome.removed.is_empty() {
            Status::Unchanged
        } else {
            Status::Stripped
        };
        let result = (|| {
            // Synced before the check so that the check sits right before the rename.
            tmp.file().sync_all().map_err(FileError::Write)?;
            match &original {
                Some(was) => {
                    let now = fs::symlink_metadata(&dest).map_err(FileError::Read)?;
                    if FileId::of(&now) != *was {
                        return Err(FileError::Changed);
                    }
                    tmp.commit(&dest, Replace::Allow).map_err(FileError::Write)
                }
                None => tmp.commit(&dest, Replace::Never).map_err(FileError::Write),
            }
        })();
        match result {
            Ok(()) => {
                if original.is_none() {
                    outcome.output = Some(dest);
                }
                outcome.status = done;
                outcome
            }
            Err(e) => failed(outcome, e),
        }
    }
}

fn failed(mut outcome: Outcome, e: FileError) -> Outcome {
    outcome.status = match e {
        FileError::Strip(StripError::Unsupported { .. }) => Status::Unsupported,
        _ => Status::Failed,
    };
    outcome.message = Some(e.to_string());
    outcome
}

/// How far [`run`] got.
enum Prepared {
    Finished(Status),
    Written {
        tmp: AtomicFile,
        dest: PathBuf,
        original: Option<FileId>,
    },
}

fn run(
    path: &Path,
    opts: &StripOptions,
    target: Target<'_>,
    outcome: &mut Outcome,
) -> Result<Prepared, FileError> {
    let mut file = open_regular_nofollow(path).map_err(FileError::Read)?;
    let meta = file.metadata().map_err(FileError::Read)?;
    outcome.size = meta.len();
    let mut input = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut input).map_err(FileError::Read)?;
    let stripped = strip(&input, opts)?;
    outcome.format = Some(stripped.format);
    outcome.removed = stripped.removed.clone();
    let changed = !stripped.removed.is_empty();
    let done = if changed {
        Status::Stripped
    } else {
        Status::Unchanged
    };
    match target {
        Target::DryRun => Ok(Prepared::Finished(if changed {
            Status::Planned
        } else {
            done
        })),
        Target::InPlace if !changed => Ok(Prepared::Finished(done)),
        Target::InPlace => {
            if meta.nlink() > 1 {
                return Err(FileError::HardLinked(meta.nlink()));
            }
            let dir = path.parent().unwrap_or(Path::new("."));
            let tmp = write_temp(dir, &stripped.data, &meta).map_err(FileError::Write)?;
            Ok(Prepared::Written {
                tmp,
                dest: path.to_path_buf(),
                original: Some(FileId::of(&meta)),
            })
        }
        Target::CopyTo(dest) => {
            let dir = dest.parent().unwrap_or(Path::new("."));
            fs::create_dir_all(dir).map_err(FileError::Write)?;
            let tmp = write_temp(dir, &stripped.data, &meta).map_err(FileError::Write)?;
            Ok(Prepared::Written {
                tmp,
                dest: dest.to_path_buf(),
                original: None,
            })
        }
    }
}

/// Writes `data` to a new temporary file in `dir` with the original's mode, owner and times.
fn write_temp(dir: &Path, data: &[u8], meta: &fs::Metadata) -> io::Result<AtomicFile> {
    let mut tmp = AtomicFile::new_in(dir, meta.permissions().mode() & 0o777)?;
    tmp.write_all(data)?;
    let f = tmp.file();
    // Only root may give a file away; anyone else keeps their own ownership.
    match std::os::unix::fs::fchown(&*f, Some(meta.uid()), Some(meta.gid())) {
        Err(e) if e.kind() != io::ErrorKind::PermissionDenied => return Err(e),
        _ => {}
    }
    f.set_times(
        FileTimes::new()
            .set_accessed(meta.accessed()?)
            .set_modified(meta.modified()?),
    )?;
    Ok(tmp)
}
