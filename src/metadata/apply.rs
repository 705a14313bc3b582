//! Stripping files on disk: read without following symlinks, clean and verify in memory, then
//! either report the plan, replace the file atomically (temporary file in the same directory,
//! fsync, rename; permissions, owner and timestamps kept), or write a clean copy elsewhere that
//! never overwrites anything. [`prepare`] does everything up to the temporary file,
//! [`Pending::commit`] fsyncs and renames it, and [`FolderSync`] fsyncs the folders, once for
//! many files, before any of them is reported done.

use std::collections::BTreeMap;
use std::fs::{self, FileTimes};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::{Removed, StripError, StripOptions, strip};
use crate::files::FileId;
use crate::fsutil::{AtomicFile, Replace, fsync_dir, open_regular_nofollow};
use crate::media::limits::{LargeFilePermit, STRIP_LARGE_BYTES, STRIP_MAX_BYTES};
use crate::media::sniff::FileType;

thread_local! {
    /// The buffer the last file was read into on this thread, kept for the next one so that
    /// its pages are not given back to the system and faulted in again for every file.
    static SPARE_INPUT: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// A file's bytes, read into this thread's spare buffer, which it gives back when dropped
/// unless it grew past [`STRIP_LARGE_BYTES`]. Taken, not borrowed: a thread waiting inside one
/// file's verification may start another file (rayon), which then reads into a new buffer.
struct Input(Vec<u8>);

impl Input {
    fn take() -> Self {
        let mut buf = SPARE_INPUT.take();
        buf.clear();
        Input(buf)
    }
}

impl std::ops::Deref for Input {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl std::ops::DerefMut for Input {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        if self.0.capacity() as u64 <= STRIP_LARGE_BYTES {
            SPARE_INPUT.set(std::mem::take(&mut self.0));
        }
    }
}

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
    /// The clean copy, for `Target::CopyTo`.
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
    #[error(
        "is {} MiB; strip works on files of up to {} MiB in memory, so it is left as it is",
        .0 >> 20,
        STRIP_MAX_BYTES >> 20
    )]
    TooLarge(u64),
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
/// the file system's journal commits. The folders are fsynced afterwards, once for many files,
/// by [`FolderSync`].
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
    // A panic is caught for this file (its temporary file is removed as the stack unwinds).
    let result = crate::isolate::per_file(|| run(path, opts, target, &mut outcome))
        .unwrap_or_else(|p| Err(FileError::Panicked(p)));
    match result {
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
    /// read, and renames the clean file into place. The folder is not fsynced yet: a
    /// [`Committed::Renamed`] goes through [`FolderSync`] before it may be reported as done.
    pub fn commit(self) -> Committed {
        let Pending {
            mut tmp,
            dest,
            original,
            mut outcome,
        } = self;
        let result = (|| {
            // Synced before the check so that the check sits right before the rename.
            tmp.file().sync_all().map_err(FileError::Write)?;
            match &original {
                Some(was) => {
                    let now = fs::symlink_metadata(&dest).map_err(FileError::Read)?;
                    if FileId::of(&now) != *was {
                        return Err(FileError::Changed);
                    }
                    tmp.commit_leaving_dir_sync(&dest, Replace::Allow)
                        .map_err(FileError::Write)
                }
                None => tmp
                    .commit_leaving_dir_sync(&dest, Replace::Never)
                    .map_err(FileError::Write),
            }
        })();
        match result {
            Ok(()) => {
                outcome.status = if outcome.removed.is_empty() {
                    Status::Unchanged
                } else {
                    Status::Stripped
                };
                if original.is_none() {
                    outcome.output = Some(dest.clone());
                }
                Committed::Renamed(Renamed { outcome, dest })
            }
            Err(e) => Committed::Done(failed(outcome, e)),
        }
    }
}

/// What [`Pending::commit`] did.
pub enum Committed {
    /// Failed; the original is as it was and no temporary file is left.
    Done(Outcome),
    /// In place, but not durable until its folder is fsynced by [`FolderSync`].
    Renamed(Renamed),
}

/// A clean file renamed into place whose folder has not been fsynced yet.
pub struct Renamed {
    outcome: Outcome,
    dest: PathBuf,
}

impl Renamed {
    /// The outcome it will have once its folder is synced.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }
}

/// Renamed files waiting for their folders' fsync: each folder is fsynced once for all the
/// files renamed into it, instead of once per file, and only then are their outcomes handed
/// out to be reported.
#[derive(Default)]
pub struct FolderSync {
    waiting: Vec<Renamed>,
}

impl FolderSync {
    pub fn push(&mut self, r: Renamed) {
        self.waiting.push(r);
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Fsyncs every folder holding a waiting file, once, and returns the waiting outcomes: as
    /// they were, or failed where the folder could not be fsynced (the clean file is then in
    /// place but may not survive a crash).
    pub fn sync(&mut self) -> Vec<Outcome> {
        let mut folders: BTreeMap<&Path, Option<String>> = BTreeMap::new();
        for r in &self.waiting {
            folders
                .entry(r.dest.parent().unwrap_or(Path::new(".")))
                .or_insert(None);
        }
        for (dir, error) in &mut folders {
            *error = fsync_dir(dir).err().map(|e| e.to_string());
        }
        let errors: BTreeMap<PathBuf, String> = folders
            .into_iter()
            .filter_map(|(d, e)| Some((d.to_path_buf(), e?)))
            .collect();
        self.waiting
            .drain(..)
            .map(|r| {
                let dir = r.dest.parent().unwrap_or(Path::new("."));
                match errors.get(dir) {
                    Some(e) => {
                        let mut o = r.outcome;
                        o.status = Status::Failed;
                        o.message = Some(format!(
                            "written, but its folder could not be synced, so the change may not \
                             survive a crash: {e}"
                        ));
                        o
                    }
                    None => r.outcome,
                }
            })
            .collect()
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
    if meta.len() > STRIP_MAX_BYTES {
        return Err(FileError::TooLarge(meta.len()));
    }
    // Declared before the buffers, so it is released after they are freed.
    let _large = LargeFilePermit::for_len(meta.len());
    let mut input = Input::take();
    input.reserve(meta.len() as usize);
    // The size was checked on the open file; one that grows meanwhile is read up to the limit
    // and one byte more, then refused.
    (&mut file)
        .take(STRIP_MAX_BYTES + 1)
        .read_to_end(&mut input.0)
        .map_err(FileError::Read)?;
    if input.len() as u64 > STRIP_MAX_BYTES {
        return Err(FileError::TooLarge(input.len() as u64));
    }
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
    write_data(tmp.file(), data)?;
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

/// Block alignment of the buffer, offset and length of a write that bypasses the page cache:
/// the page size, a multiple of every logical block size Linux file systems use.
#[cfg(target_os = "linux")]
const DIRECT_ALIGN: usize = 4096;

#[cfg(target_os = "linux")]
thread_local! {
    /// A reusable buffer per thread for [`write_data`], so that its pages are faulted in once
    /// per thread rather than once per file.
    static ALIGNED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Writes `data` to the new, empty `file`. On Linux the whole blocks go straight to the disk
/// (`O_DIRECT`), skipping the copy into the page cache that a plain write makes and that the
/// fsync right after it must then write out anyway: that copy was the largest cost of stripping
/// a photo library. The tail after the last whole block, and everything on a file system that
/// refuses `O_DIRECT` (tmpfs, some FUSE and network mounts), is written the ordinary way. The
/// caller fsyncs either way.
fn write_data(file: &mut fs::File, data: &[u8]) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let bulk = data.len() / DIRECT_ALIGN * DIRECT_ALIGN;
        if bulk > 0 && set_direct(file, true).is_ok() {
            let direct = ALIGNED.with_borrow_mut(|buf| {
                buf.resize(bulk + DIRECT_ALIGN, 0);
                let at = buf.as_ptr().align_offset(DIRECT_ALIGN);
                let aligned = buf
                    .get_mut(at..at + bulk)
                    .ok_or(io::ErrorKind::InvalidInput)?;
                aligned.copy_from_slice(&data[..bulk]);
                let written = file.write_all(aligned);
                // Like the read buffers: a large file's copy is not kept for the next file.
                if buf.capacity() as u64 > STRIP_LARGE_BYTES {
                    *buf = Vec::new();
                }
                written
            });
            set_direct(file, false)?;
            match direct {
                Ok(()) => return file.write_all(&data[bulk..]),
                // Refused at write time: start again without it.
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                    file.set_len(0)?;
                    io::Seek::rewind(file)?;
                }
                Err(e) => return Err(e),
            }
        }
    }
    file.write_all(data)
}

/// Turns `O_DIRECT` on or off for `file`.
#[cfg(target_os = "linux")]
fn set_direct(file: &fs::File, on: bool) -> io::Result<()> {
    use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
    let mut flags = fcntl_getfl(file)?;
    flags.set(OFlags::DIRECT, on);
    Ok(fcntl_setfl(file, flags)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1×1 grey PNG with a tEXt chunk to remove.
    fn png() -> Vec<u8> {
        let chunk = |kind: &[u8; 4], data: &[u8]| {
            let mut v = Vec::new();
            crate::media::png::push_chunk(&mut v, kind, data);
            v
        };
        [
            crate::media::png::SIGNATURE.to_vec(),
            chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]),
            chunk(b"tEXt", b"Author\0someone"),
            chunk(
                b"IDAT",
                b"\x78\x01\x01\x02\x00\xfd\xff\x00\x00\x00\x01\x00\x01",
            ),
            chunk(b"IEND", b""),
        ]
        .concat()
    }

    fn renamed(path: &Path) -> Renamed {
        let Step::Commit(pending) = prepare(path, &StripOptions::default(), Target::InPlace) else {
            panic!("nothing to commit");
        };
        match pending.commit() {
            Committed::Renamed(r) => r,
            Committed::Done(o) => panic!("commit failed: {:?}", o.message),
        }
    }

    #[test]
    fn written_data_reads_back_whatever_its_length() {
        // Around the block size: no whole block, exactly one, one and a tail, several.
        let dir = tempfile::tempdir().unwrap();
        for len in [0, 1, 4095, 4096, 4097, 3 * 4096 + 17, 1 << 20] {
            let mut noise = crate::testutil::Noise::new(len as u64 + 1);
            let data: Vec<u8> = (0..len).map(|_| noise.next_u64() as u8).collect();
            let p = dir.path().join(format!("f{len}"));
            let mut f = fs::File::create_new(&p).unwrap();
            write_data(&mut f, &data).unwrap();
            f.sync_all().unwrap();
            drop(f);
            assert_eq!(fs::read(&p).unwrap(), data, "length {len}");
        }
    }

    #[test]
    fn outcomes_wait_for_their_folder_sync() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.png"), dir.path().join("b.png"));
        fs::write(&a, png()).unwrap();
        fs::write(&b, png()).unwrap();
        let mut folders = FolderSync::default();
        folders.push(renamed(&a));
        folders.push(renamed(&b));
        assert_eq!(folders.len(), 2);
        let done = folders.sync();
        assert!(folders.is_empty());
        assert!(done.iter().all(|o| o.status == Status::Stripped));
        assert!(!fs::read(&a).unwrap().windows(6).any(|w| w == b"Author"));
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "temp file left"
        );
    }

    #[test]
    fn a_folder_that_cannot_be_synced_fails_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();
        let p = sub.join("a.png");
        fs::write(&p, png()).unwrap();
        let mut folders = FolderSync::default();
        folders.push(renamed(&p));
        fs::remove_file(&p).unwrap();
        fs::remove_dir(&sub).unwrap();
        let done = folders.sync();
        assert_eq!(done[0].status, Status::Failed);
        assert!(
            done[0]
                .message
                .as_deref()
                .unwrap()
                .contains("could not be synced")
        );
    }

    #[test]
    fn a_file_changed_before_the_rename_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.png");
        fs::write(&p, png()).unwrap();
        let Step::Commit(pending) = prepare(&p, &StripOptions::default(), Target::InPlace) else {
            panic!("nothing to commit");
        };
        let mut changed = png();
        changed.extend_from_slice(b"appended by someone else");
        fs::write(&p, &changed).unwrap();
        let Committed::Done(o) = pending.commit() else {
            panic!("a changed file was replaced");
        };
        assert_eq!(o.status, Status::Failed);
        assert_eq!(fs::read(&p).unwrap(), changed);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temp file left"
        );
    }
}
