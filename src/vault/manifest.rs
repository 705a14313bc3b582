//! Entry metadata and the manifest. Each entry's metadata is stored twice: in its own
//! `<id>.meta.age` (written once, the entry's commit record) and in `manifest.age`, one file
//! with every entry, rewritten atomically. The manifest is an index that can always be rebuilt
//! from the `.meta.age` files; both are padded so their sizes do not reveal name lengths.

use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::Error;
use super::crypto::{self, BoxIdentity, Recipients};
use super::format::{self, EntryId, Layout};
use crate::fsutil::{AtomicFile, Replace};

/// A path stored losslessly: `{"text": "…"}` when it is UTF-8, else `{"bytes": "<base64>"}`
/// (the same shape as `report::json::PathJson`, which is write-only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredPath {
    Text(String),
    Bytes(String),
}

impl StoredPath {
    pub fn new(p: &Path) -> Self {
        match p.to_str() {
            Some(s) => StoredPath::Text(s.to_string()),
            None => StoredPath::Bytes(
                base64::engine::general_purpose::STANDARD.encode(p.as_os_str().as_bytes()),
            ),
        }
    }

    /// The path; an undecodable `bytes` value yields an empty path.
    pub fn to_path(&self) -> PathBuf {
        match self {
            StoredPath::Text(s) => PathBuf::from(s),
            StoredPath::Bytes(b) => PathBuf::from(std::ffi::OsString::from_vec(
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .unwrap_or_default(),
            )),
        }
    }
}

/// Why the scanner thought the file sensitive, as recorded at add time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detected {
    pub kind: String,
    pub confidence: f32,
    pub reasons: Vec<DetectedReason>,
}

impl From<&crate::scan::finding::Verdict> for Detected {
    fn from(v: &crate::scan::finding::Verdict) -> Self {
        Detected {
            kind: v.kind.as_str().to_string(),
            confidence: v.confidence,
            reasons: v
                .reasons
                .iter()
                .map(|r| DetectedReason {
                    signal: r.signal.to_string(),
                    detail: r.detail.clone(),
                })
                .collect(),
        }
    }
}

/// One reason of a [`Detected`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectedReason {
    pub signal: String,
    pub detail: String,
}

/// What metadata stripping removed before the file was stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StripLog {
    /// Human-readable names of what was removed (e.g. "EXIF GPS", "XMP").
    pub removed: Vec<String>,
}

/// One vault entry's metadata.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: EntryId,
    /// Seconds since the epoch when the entry was added.
    pub added: i64,
    /// The original's path as given (absolute when it could be made so); `None` for an object
    /// recovered by `repair` without its metadata.
    pub original: Option<StoredPath>,
    /// Size of the stored plaintext.
    pub size: u64,
    /// The original's modification time.
    pub mtime: i64,
    pub mtime_nsec: u32,
    /// The original's permission bits.
    pub mode: u32,
    /// SHA-256 of the stored plaintext (what `verify` and `extract` check).
    pub sha256: String,
    /// SHA-256 of the original file (equal to `sha256` unless metadata was stripped); used to
    /// recognise a file that is already in the vault.
    pub original_sha256: String,
    /// The scanner's verdict, if the file was classified.
    pub detected: Option<Detected>,
    /// `None`: stored as-is (not stripped).
    pub stripped: Option<StripLog>,
}

/// The latest modification time an entry may record: the last second of the year 9999. Values
/// past it (or before its mirror image) come only from a planted or damaged entry, and would
/// overflow the clock arithmetic of `extract`.
pub const MTIME_LIMIT: i64 = 253_402_300_799;
/// The largest entry size accepted from metadata (2^53 bytes, 8 PiB): sums over many entries
/// stay far from overflowing, and no real file comes near it.
pub const SIZE_LIMIT: u64 = 1 << 53;

impl Entry {
    /// Checks the values that `extract`, `verify` and the progress bars compute with: an entry
    /// is read from files anyone able to write the vault folder can plant, so a time, size or
    /// mode out of range is refused here, before anything uses it.
    pub(crate) fn check_bounds(&self) -> Result<(), String> {
        if !(-MTIME_LIMIT..=MTIME_LIMIT).contains(&self.mtime) || self.mtime_nsec >= 1_000_000_000 {
            return Err(format!(
                "implausible modification time {}.{:09} in the entry's metadata",
                self.mtime, self.mtime_nsec
            ));
        }
        if !(-MTIME_LIMIT..=MTIME_LIMIT).contains(&self.added) {
            return Err(format!(
                "implausible time added {} in the entry's metadata",
                self.added
            ));
        }
        if self.size > SIZE_LIMIT {
            return Err(format!(
                "implausible size {} in the entry's metadata",
                self.size
            ));
        }
        if self.mode > 0o7777 {
            return Err(format!(
                "implausible permission bits {:o} in the entry's metadata",
                self.mode
            ));
        }
        Ok(())
    }

    /// The original's file name, the name `extract` restores.
    pub fn file_name(&self) -> Option<std::ffi::OsString> {
        self.original
            .as_ref()
            .and_then(|p| p.to_path().file_name().map(|n| n.to_os_string()))
    }
}

/// The manifest file's contents.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// Raised by one at every sealed rewrite; a manifest older than the last one seen on this
    /// machine was rolled back. 0 in manifests written before generations existed.
    #[serde(default)]
    pub generation: u64,
    pub entries: Vec<Entry>,
    /// BLAKE3 keyed hash of the generation, the recipients and the entries under a key
    /// derived from the vault identity (see `vault::trust`); `None` when written without
    /// the passphrase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
}

impl Manifest {
    pub fn new(mut entries: Vec<Entry>) -> Self {
        entries.sort_by(|a, b| (a.added, &a.id).cmp(&(b.added, &b.id)));
        Manifest {
            format: format::FORMAT,
            generation: 0,
            entries,
            seal: None,
        }
    }

    /// Reads `manifest.age`; `Ok(None)` if there is none.
    pub fn read(layout: &Layout, ids: &[BoxIdentity]) -> Result<Option<Self>, Error> {
        Self::read_at(&layout.manifest(), ids)
    }

    /// Reads a manifest file at `path` (the vault's, or the copy kept in the trust folder);
    /// `Ok(None)` if there is none.
    pub(crate) fn read_at(path: &Path, ids: &[BoxIdentity]) -> Result<Option<Self>, Error> {
        let path = path.to_path_buf();
        let file = match crate::fsutil::open_regular_nofollow(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("open", &path, e)),
        };
        let ids = ids.iter().map(|i| i.as_ref() as _);
        let plain = crypto::decrypt_small(file, ids, format::MANIFEST_LIMIT)
            .map_err(|e| e.in_file(&path))?;
        let m: Manifest = serde_json::from_slice(&plain).map_err(|e| Error::Corrupt {
            message: format!("{}: {e}", path.display()),
        })?;
        if m.format != format::FORMAT {
            return Err(Error::UnsupportedFormat { found: m.format });
        }
        for e in &m.entries {
            e.check_bounds().map_err(|message| Error::Corrupt {
                message: format!("{}: entry {}: {message}", path.display(), e.id),
            })?;
        }
        Ok(Some(m))
    }

    /// Replaces `manifest.age` atomically.
    pub fn write(&self, layout: &Layout, recipients: &Recipients) -> Result<(), Error> {
        let mut plain = zeroize::Zeroizing::new(serde_json::to_vec(self).expect("serialises"));
        format::pad(&mut plain, format::MANIFEST_PAD);
        write_sealed(
            layout.root(),
            &layout.manifest(),
            &plain,
            recipients,
            Replace::Allow,
        )
    }
}

/// Writes an entry's `.meta.age`; never replaces an existing one.
pub(crate) fn write_meta(
    layout: &Layout,
    entry: &Entry,
    recipients: &Recipients,
) -> Result<(), Error> {
    let mut plain = zeroize::Zeroizing::new(serde_json::to_vec(entry).expect("serialises"));
    format::pad(&mut plain, format::META_PAD);
    let dir = layout.fan_dir(&entry.id);
    write_sealed(
        &dir,
        &layout.meta(&entry.id),
        &plain,
        recipients,
        Replace::Never,
    )
}

/// Reads an entry's `.meta.age`.
pub(crate) fn read_meta(
    layout: &Layout,
    id: &EntryId,
    ids: &[BoxIdentity],
) -> Result<Entry, Error> {
    let path = layout.meta(id);
    let file =
        crate::fsutil::open_regular_nofollow(&path).map_err(|e| Error::io("open", &path, e))?;
    let ids = ids.iter().map(|i| i.as_ref() as _);
    let plain =
        crypto::decrypt_small(file, ids, format::META_LIMIT).map_err(|e| e.in_file(&path))?;
    let entry: Entry = serde_json::from_slice(&plain).map_err(|e| Error::Corrupt {
        message: format!("{}: {e}", path.display()),
    })?;
    if &entry.id != id {
        return Err(Error::Corrupt {
            message: format!(
                "{}: holds the metadata of another entry ({}); files were swapped",
                path.display(),
                entry.id
            ),
        });
    }
    entry.check_bounds().map_err(|message| Error::Corrupt {
        message: format!("{}: {message}", path.display()),
    })?;
    Ok(entry)
}

/// Encrypts `plain` into a 0600 temporary file in `dir` and renames it to `dest`.
fn write_sealed(
    dir: &Path,
    dest: &Path,
    plain: &[u8],
    recipients: &Recipients,
    replace: Replace,
) -> Result<(), Error> {
    let mut tmp =
        AtomicFile::new_in(dir, format::FILE_MODE).map_err(|e| Error::io("create", dir, e))?;
    crypto::encrypt_small(recipients, plain, tmp.file())
        .and_then(|()| tmp.commit(dest, replace))
        .map_err(|e| Error::io("write", dest, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn stored_paths_round_trip_non_utf8() {
        for raw in [&b"/a/b.jpg"[..], b"/x/\xff\xfe.jpg"] {
            let p = Path::new(OsStr::from_bytes(raw));
            let s = StoredPath::new(p);
            let json = serde_json::to_string(&s).unwrap();
            let back: StoredPath = serde_json::from_str(&json).unwrap();
            assert_eq!(back.to_path(), p);
        }
    }
}
