//! What happens to an original file on its way into the vault and after it is safely there:
//! [`prepare`] strips its metadata (through [`crate::metadata::strip`]) before it is encrypted,
//! and [`remove_original`] wipes it (through [`crate::wipe`]) once its entry is verified.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::files::FileId;
use crate::wipe::{WipeError, WipeOptions};

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
    /// SHA-256 (hex) of the original, when it was read whole to be stripped; otherwise the
    /// stored stream is the original and its own hash serves.
    pub original_sha256: Option<String>,
}

/// Files larger than this are stored with their metadata: stripping works on the whole file in
/// memory, and the vault keeps its memory use flat for multi-gigabyte videos.
pub const STRIP_LIMIT: u64 = 256 << 20;

/// Prepares the stored content of an original opened as `file`.
///
/// With [`StripPolicy::Strip`], a supported image or video up to [`STRIP_LIMIT`] is read,
/// stripped and verified in memory, and its entry records what was removed. Anything else —
/// `--keep-metadata`, an unsupported or damaged file, a file too large — is streamed as-is and
/// records `stripped: None`: vaulting never fails because cleaning did.
pub fn prepare(mut file: File, policy: StripPolicy) -> io::Result<Prepared> {
    let as_is = |file: File| Prepared {
        reader: Box::new(file),
        stripped: None,
        original_sha256: None,
    };
    if policy == StripPolicy::Keep || file.metadata()?.len() > STRIP_LIMIT {
        return Ok(as_is(file));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    // The coded image and media data are compared byte for byte (structure-level
    // verification), which already implies identical pixels; decoding every photo twice as
    // `idvault strip` does by default would make vaulting about ten times slower.
    let opts = crate::metadata::StripOptions {
        verify: crate::metadata::VerifyLevel::Structure,
        ..crate::metadata::StripOptions::default()
    };
    match crate::metadata::strip(&bytes, &opts) {
        Ok(clean) => Ok(Prepared {
            stripped: Some(StripLog {
                removed: clean.removed.iter().map(|r| r.group.clone()).collect(),
            }),
            reader: Box::new(io::Cursor::new(clean.data)),
            original_sha256: Some(super::crypto::hex(&Sha256::digest(&bytes))),
        }),
        Err(_) => {
            file.seek(io::SeekFrom::Start(0))?;
            Ok(as_is(file))
        }
    }
}

/// How an original was removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// Overwritten, renamed and unlinked, with `thumbnails` desktop thumbnails of it.
    Wiped { thumbnails: usize },
}

impl fmt::Display for Removal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Removal::Wiped { thumbnails: 0 } => f.write_str("wiped"),
            Removal::Wiped { thumbnails } => write!(f, "wiped, with {thumbnails} thumbnails"),
        }
    }
}

/// Wipes a verified original that is still the file `expected` describes.
pub fn remove_original(path: &Path, expected: &FileId) -> Result<Removal, WipeError> {
    let opts = WipeOptions::default();
    let plan = crate::wipe::plan_expecting(path, expected, &opts)?;
    let out = crate::wipe::execute(&plan)?;
    Ok(Removal::Wiped {
        thumbnails: out.thumbnails_removed.len(),
    })
}
