//! An original file and its vault copy: [`prepare`] turns the original into the bytes idvault
//! stores (stripping its metadata through [`crate::metadata::strip`]), and [`confirm`] checks,
//! before anything happens to an original, that an entry holds exactly those bytes *now*, by
//! decrypting the entry and comparing. An entry that is merely consistent with itself (its
//! own hashes match) is never enough: anyone who can write the vault folder can make such an
//! entry, since adding needs only the public recipients.

use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::files::FileId;
use crate::fsutil;
use crate::media::limits::{LargeFilePermit, STRIP_MAX_BYTES};
use crate::media::sniff::sniff;

use super::crypto::{self, Digested};
use super::manifest::{Entry, StripLog};
use super::{Error, Keys, Vault};

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

/// Bytes enough to tell a file's type ([`sniff`]; an ISO-BMFF `ftyp` with many brands is the
/// longest header it reads).
const HEAD_BYTES: u64 = 4096;

/// Clean bytes in memory, with the permit that lets a large file be there
/// ([`LargeFilePermit`]): both go when the store has read them and drops the reader.
struct Held {
    bytes: io::Cursor<Vec<u8>>,
    _permit: Option<LargeFilePermit>,
}

impl Read for Held {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.bytes.read(buf)
    }
}

/// Prepares the stored content of an original opened as `file`.
///
/// With [`StripPolicy::Strip`], a supported image or video up to [`STRIP_MAX_BYTES`] is read,
/// stripped and verified in memory, and its entry records what was removed. Anything else —
/// `--keep-metadata`, an unsupported or damaged file, a file too large — is streamed as-is and
/// records `stripped: None`: vaulting never fails because cleaning did.
pub fn prepare(mut file: File, policy: StripPolicy) -> io::Result<Prepared> {
    let as_is = |file: File| Prepared {
        reader: Box::new(file),
        stripped: None,
        original_sha256: None,
    };
    if policy == StripPolicy::Keep || file.metadata()?.len() > STRIP_MAX_BYTES {
        return Ok(as_is(file));
    }
    // A file no writer can clean is streamed as it is, never read whole first: a 1 GiB archive
    // costs the vault 64 KiB blocks, not 1 GiB of memory.
    let mut head = Vec::with_capacity(HEAD_BYTES as usize);
    (&mut file).take(HEAD_BYTES).read_to_end(&mut head)?;
    file.seek(io::SeekFrom::Start(0))?;
    if !sniff(&head).is_some_and(|t| t.strippable()) {
        return Ok(as_is(file));
    }
    // One large file in memory at a time, across the vault's threads and `strip`'s: the permit
    // travels with the clean bytes until they are stored.
    let large = LargeFilePermit::for_len(file.metadata()?.len());
    // Read no more than the limit even if the file grew since it was measured (the store
    // then sees the change and refuses it).
    let mut bytes = Vec::new();
    (&mut file)
        .take(STRIP_MAX_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > STRIP_MAX_BYTES {
        file.seek(io::SeekFrom::Start(0))?;
        return Ok(as_is(file));
    }
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
            reader: Box::new(Held {
                bytes: io::Cursor::new(clean.data),
                _permit: large,
            }),
            original_sha256: Some(fsutil::hex(&Sha256::digest(&bytes))),
        }),
        Err(_) => {
            file.seek(io::SeekFrom::Start(0))?;
            Ok(as_is(file))
        }
    }
}

/// Length and SHA-256 of the bytes idvault would store for the original open as `file`, in the
/// form `entry` says it was stored: stripped (a fresh strip now) or whole. `None` when a
/// stripped form cannot be made now (the strip fails today): then nothing can match.
fn stored_now(file: File, stripped: bool) -> io::Result<Option<Digested>> {
    if !stripped {
        let mut file = file;
        return crypto::digest(&mut file).map(Some);
    }
    let prepared = prepare(file, StripPolicy::Strip)?;
    if prepared.stripped.is_none() {
        return Ok(None);
    }
    let mut reader = prepared.reader;
    crypto::digest(&mut reader).map(Some)
}

/// Checks that `entry` holds the original at `path` as idvault would store it now: the bytes
/// of the original (or of a fresh strip of it, for a stripped entry) must have the entry's
/// length and SHA-256, and the entry's object must decrypt, authenticate and hash to that same
/// value, with its metadata file agreeing. Returns the identity the original had while it was
/// read, which the caller hands to the wipe so that a file swapped in afterwards is refused.
pub fn confirm(vault: &Vault, keys: &Keys, entry: &Entry, path: &Path) -> Result<FileId, Error> {
    let file = fsutil::open_regular_nofollow(path).map_err(|e| Error::io("open", path, e))?;
    let before = FileId::of(&file.metadata().map_err(|e| Error::io("read", path, e))?);
    let now = stored_now(file, entry.stripped.is_some()).map_err(|e| Error::io("read", path, e))?;
    let expected = Digested {
        len: entry.size,
        sha256: entry.sha256.clone(),
    };
    if now.as_ref() != Some(&expected) {
        return Err(Error::NotTheOriginal {
            id: entry.id.clone(),
        });
    }
    vault.verify_entry(entry, keys)?;
    let after = std::fs::symlink_metadata(path).map_err(|e| Error::io("read", path, e))?;
    if !after.is_file() || FileId::of(&after) != before {
        return Err(Error::OriginalChanged { path: path.into() });
    }
    Ok(before)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::vault::store::{Source, add_file};

    const DOC: &[u8] = b"an identity document, stored whole";

    /// A vault holding `id.bin` (content [`DOC`], stored as it is): the entry and the path.
    fn stored(t: &Path) -> (Vault, Keys, Entry, std::path::PathBuf) {
        let (vault, keys) = crate::testutil::vault(t);
        let lock = crate::testutil::lock(&vault);
        let path = t.join("id.bin");
        fs::write(&path, DOC).unwrap();
        let added = add_file(
            &vault,
            &lock,
            &Source::new(path.clone()),
            StripPolicy::Strip,
        )
        .unwrap();
        (vault, keys, added.entry, path)
    }

    #[test]
    fn an_entry_that_holds_the_original_now_is_confirmed_with_its_identity() {
        let t = tempfile::tempdir().unwrap();
        let (vault, keys, entry, path) = stored(t.path());
        let seen = confirm(&vault, &keys, &entry, &path).unwrap();
        assert_eq!(seen, FileId::of(&fs::metadata(&path).unwrap()));
    }

    #[test]
    fn an_entry_is_never_confirmed_against_a_file_with_other_bytes() {
        // Consistent with itself (its object decrypts to its hash), but not this file: a
        // planted entry, or a file changed since it was vaulted.
        let t = tempfile::tempdir().unwrap();
        let (vault, keys, entry, path) = stored(t.path());
        let mut other = DOC.to_vec();
        other[0] ^= 1;
        fs::write(&path, &other).unwrap();
        let r = confirm(&vault, &keys, &entry, &path);
        assert!(matches!(r, Err(Error::NotTheOriginal { .. })), "{r:?}");
    }

    #[test]
    fn an_entry_whose_object_no_longer_holds_its_bytes_is_never_confirmed() {
        // The original matches what the entry says, but the object in the vault was swapped
        // for another entry's of the same length: decrypting it is what tells.
        let t = tempfile::tempdir().unwrap();
        let (vault, keys, entry, path) = stored(t.path());
        let lock = crate::testutil::lock(&vault);
        let decoy = t.path().join("decoy.bin");
        let mut other = DOC.to_vec();
        other[1] ^= 1;
        fs::write(&decoy, &other).unwrap();
        let second = add_file(&vault, &lock, &Source::new(decoy), StripPolicy::Strip).unwrap();
        let layout = vault.layout();
        fs::copy(layout.object(&second.entry.id), layout.object(&entry.id)).unwrap();
        let r = confirm(&vault, &keys, &entry, &path);
        assert!(matches!(r, Err(Error::HashMismatch)), "{r:?}");
    }

    #[test]
    fn a_symlink_in_the_originals_place_is_never_confirmed() {
        let t = tempfile::tempdir().unwrap();
        let (vault, keys, entry, path) = stored(t.path());
        let copy = t.path().join("copy.bin");
        fs::rename(&path, &copy).unwrap();
        std::os::unix::fs::symlink(&copy, &path).unwrap();
        let r = confirm(&vault, &keys, &entry, &path);
        assert!(matches!(r, Err(Error::Io { .. })), "{r:?}");
    }

    #[test]
    fn a_stripped_entry_is_compared_with_a_fresh_strip_not_the_raw_file() {
        // A stored-whole entry's hash is the file's; a stripped entry's is the clean copy's, so
        // a stripped entry never matches a raw file that happens to have the clean bytes.
        let t = tempfile::tempdir().unwrap();
        let (vault, keys, entry, path) = stored(t.path());
        let claimed_stripped = Entry {
            stripped: Some(StripLog {
                removed: vec!["EXIF".into()],
            }),
            ..entry
        };
        let r = confirm(&vault, &keys, &claimed_stripped, &path);
        assert!(matches!(r, Err(Error::NotTheOriginal { .. })), "{r:?}");
    }
}
