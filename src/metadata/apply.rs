//! Stripping files on disk: read without following symlinks, clean and verify in memory, then
//! either report the plan, replace the file atomically (temporary file in the same directory,
//! fsync, rename; permissions, owner and timestamps kept), or write a clean copy elsewhere that
//! never overwrites anything.

use std::fs::{self, FileTimes};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::{Removed, StripError, StripOptions, strip};
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
    #[error(transparent)]
    Panicked(crate::isolate::Panicked),
}

/// Strips one file to `target`. Never panics on bad input; on any error the original is left
/// byte-identical and no partial output remains.
pub fn strip_file(path: &Path, opts: &StripOptions, target: Target<'_>) -> Outcome {
    let mut outcome = Outcome {
        path: path.to_path_buf(),
        status: Status::Failed,
        format: None,
        removed: Vec::new(),
        output: None,
        message: None,
    };
    // A panic is caught for this file (its temporary file is removed as the stack unwinds).
    let result = crate::isolate::per_file(|| run(path, opts, target, &mut outcome))
        .unwrap_or_else(|p| Err(FileError::Panicked(p)));
    match result {
        Ok(status) => outcome.status = status,
        Err(FileError::Strip(e @ StripError::Unsupported { .. })) => {
            outcome.status = Status::Unsupported;
            outcome.message = Some(e.to_string());
        }
        Err(e) => {
            outcome.status = Status::Failed;
            outcome.message = Some(e.to_string());
        }
    }
    outcome
}

fn run(
    path: &Path,
    opts: &StripOptions,
    target: Target<'_>,
    outcome: &mut Outcome,
) -> Result<Status, FileError> {
    let mut file = open_regular_nofollow(path).map_err(FileError::Read)?;
    let meta = file.metadata().map_err(FileError::Read)?;
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
        Target::DryRun => Ok(if changed { Status::Planned } else { done }),
        Target::InPlace if !changed => Ok(done),
        Target::InPlace => {
            if meta.nlink() > 1 {
                return Err(FileError::HardLinked(meta.nlink()));
            }
            let dir = path.parent().unwrap_or(Path::new("."));
            let tmp = write_temp(dir, &stripped.data, &meta).map_err(FileError::Write)?;
            let now = fs::symlink_metadata(path).map_err(FileError::Read)?;
            if (
                now.ino(),
                now.dev(),
                now.len(),
                now.mtime(),
                now.mtime_nsec(),
            ) != (
                meta.ino(),
                meta.dev(),
                meta.len(),
                meta.mtime(),
                meta.mtime_nsec(),
            ) {
                return Err(FileError::Changed);
            }
            tmp.commit(path, Replace::Allow).map_err(FileError::Write)?;
            Ok(done)
        }
        Target::CopyTo(dest) => {
            let dir = dest.parent().unwrap_or(Path::new("."));
            fs::create_dir_all(dir).map_err(FileError::Write)?;
            let tmp = write_temp(dir, &stripped.data, &meta).map_err(FileError::Write)?;
            tmp.commit(dest, Replace::Never).map_err(FileError::Write)?;
            outcome.output = Some(dest.to_path_buf());
            Ok(done)
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
