//! What happens to an original file on its way into the vault and after it is safely there.
//!
//! Two seams live here so that later work plugs in at one place each:
//! - [`prepare`]: the bytes to store. Metadata stripping (`metadata::strip`) is not wired in
//!   yet, so every file is stored as-is and its entry records `stripped: null`.
//! - [`remove_original`]: what `--remove-originals` does once an entry is verified. Secure
//!   wiping (`wipe`) is not wired in yet, so this is a plain unlink, and says so.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

use super::manifest::StripLog;

/// Whether to strip metadata before storing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StripPolicy {
    /// Strip metadata first (the default).
    #[default]
    Strip,
    /// Store the file byte for byte (`--keep-metadata`).
    Keep,
}

/// The bytes to store for one original, and what was stripped from them.
pub struct Prepared {
    pub reader: Box<dyn Read + Send>,
    /// `None`: stored as-is.
    pub stripped: Option<StripLog>,
}

/// Prepares the stored content of an original opened as `file`.
///
/// Until the metadata module lands, both policies store the file as-is (streamed, constant
/// memory) and record `stripped: None`; the stripping call belongs in the `Strip` arm.
pub fn prepare(file: File, policy: StripPolicy) -> io::Result<Prepared> {
    match policy {
        StripPolicy::Strip | StripPolicy::Keep => Ok(Prepared {
            reader: Box::new(file),
            stripped: None,
        }),
    }
}

/// How an original was removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// `unlink(2)` only: the data blocks were not overwritten and may be recoverable.
    UnlinkedNotWiped,
}

impl fmt::Display for Removal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Removal::UnlinkedNotWiped => f.write_str("unlinked (not wiped)"),
        }
    }
}

/// Removes a verified original. For now a plain unlink followed by a directory fsync; the
/// secure-wipe module replaces the body of this function.
pub fn remove_original(path: &Path) -> io::Result<Removal> {
    fs::remove_file(path)?;
    crate::fsutil::fsync_dir(path.parent().unwrap_or(Path::new(".")))?;
    Ok(Removal::UnlinkedNotWiped)
}
