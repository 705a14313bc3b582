//! Lossless metadata stripping: one module per container, none of which re-encodes pixel or
//! media data. [`strip`] cleans a file held in memory and verifies the result before returning
//! it; callers (the `strip` command, the vault) decide where the clean bytes go.
//!
//! Written by hand because no crate writes these containers losslessly: `kamadak-exif` only
//! reads, `img-parts` covers JPEG/PNG/WebP but not HEIF, TIFF, GIF or MP4, and the MP4 crates
//! rewrite (and so move) the sample tables. Every module edits containers at the box, chunk or
//! segment level and copies everything it keeps byte for byte.

pub mod apply;
mod gif;
mod heif;
mod jpeg;
mod mp4;
mod pdf;
mod png;
mod tiff;
pub mod verify;
mod webp;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::files::sniff::{FileType, sniff};

/// What to keep and how hard to check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StripOptions {
    /// Keep the EXIF Orientation (as a minimal EXIF block holding only it) so photos still
    /// display upright. HEIF and video keep their orientation in structural boxes anyway.
    pub keep_orientation: bool,
    /// Keep the embedded ICC colour profile so colours render as before.
    pub keep_icc: bool,
    /// How the output is checked against the input.
    pub verify: VerifyLevel,
}

impl Default for StripOptions {
    fn default() -> Self {
        StripOptions {
            keep_orientation: true,
            keep_icc: true,
            verify: VerifyLevel::Structure,
        }
    }
}

/// How a cleaned file is checked before it is accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyLevel {
    /// Re-parse the output (nothing removable left, stripping again changes nothing), compare
    /// the coded image or media data and every kept block byte for byte, and check that
    /// nothing affecting rendering was dropped (see [`verify`]). The default.
    Structure,
    /// Everything [`VerifyLevel::Structure`] does, then decode both images and compare pixels
    /// where a decoder is built in.
    Pixels,
}

/// One group of metadata that was (or would be) removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    /// Human name of the group, e.g. `EXIF`, `XMP`, `PNG tEXt Comment`, `trailing data`.
    pub group: String,
    /// Bytes it occupied in the input.
    pub size: u64,
}

/// A cleaned file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stripped {
    /// The clean file. Equal to the input when `removed` is empty.
    pub data: Vec<u8>,
    /// What was removed, in file order, one entry per group (sizes summed).
    pub removed: Vec<Removed>,
    /// The container that was recognised.
    pub format: FileType,
}

impl Stripped {
    /// Total bytes of metadata removed.
    pub fn bytes_removed(&self) -> u64 {
        self.removed.iter().map(|r| r.size).sum()
    }
}

/// Why a file was not stripped.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum StripError {
    /// The file is empty: nothing to clean, and almost certainly a broken copy.
    #[error("empty file")]
    Empty,
    /// Not a container idvault can clean; the file must be left as it is.
    #[error("unsupported ({what}) — left unchanged")]
    Unsupported { what: String },
    /// The file is damaged or hostile; nothing was written.
    #[error("malformed {format}: {detail}")]
    Malformed { format: FileType, detail: String },
    /// The cleaned output did not pass verification and was discarded.
    #[error("verification failed, output discarded: {0}")]
    Verify(String),
}

impl StripError {
    pub(crate) fn malformed(format: FileType, detail: impl Into<String>) -> Self {
        StripError::Malformed {
            format,
            detail: detail.into(),
        }
    }
}

/// Removes metadata from a whole file held in memory and verifies the result (see
/// [`verify::verify`]). Never re-encodes: everything kept is copied byte for byte.
pub fn strip(input: &[u8], opts: &StripOptions) -> Result<Stripped, StripError> {
    let stripped = clean(input, opts)?;
    if !stripped.removed.is_empty() {
        verify::verify(input, &stripped, opts)?;
    }
    Ok(stripped)
}

/// Cleans without verifying; [`strip`] is the public entry point.
pub(crate) fn clean(input: &[u8], opts: &StripOptions) -> Result<Stripped, StripError> {
    let (format, data, removed) = run_cleaner(input, opts, Log::default())?;
    // Nothing removed: the input as it was. The cleaner's output is then normally those very
    // bytes, kept as they are rather than copied once more.
    let data = if removed.is_empty() && data != input {
        input.to_vec()
    } else {
        data
    };
    Ok(Stripped {
        data,
        removed,
        format,
    })
}

/// What cleaning `input` would remove. The clean bytes are not wanted, so a cleaner may skip
/// building them (see [`Log::dry`]).
pub(crate) fn removable(input: &[u8], opts: &StripOptions) -> Result<Vec<Removed>, StripError> {
    let log = Log {
        dry: true,
        ..Log::default()
    };
    Ok(run_cleaner(input, opts, log)?.2)
}

/// Runs the cleaner of `input`'s format with `log`.
fn run_cleaner(
    input: &[u8],
    opts: &StripOptions,
    mut log: Log,
) -> Result<(FileType, Vec<u8>, Vec<Removed>), StripError> {
    if input.is_empty() {
        return Err(StripError::Empty);
    }
    let Some(format) = sniff(input) else {
        return Err(StripError::Unsupported {
            what: "not a recognised image or video".into(),
        });
    };
    let data = match format {
        FileType::Jpeg => jpeg::clean(input, opts, &mut log)?,
        FileType::Png => png::clean(input, opts, &mut log)?,
        FileType::Webp => webp::clean(input, opts, &mut log)?,
        FileType::Gif => gif::clean(input, opts, &mut log)?,
        FileType::Tiff => tiff::clean(input, opts, &mut log)?,
        FileType::Heif | FileType::Avif => heif::clean(input, format, &mut log)?,
        FileType::Mp4 | FileType::Mov | FileType::ThreeGp => mp4::clean(input, format, &mut log)?,
        FileType::Pdf => pdf::clean(input, &mut log)?,
        FileType::Bmp | FileType::Matroska | FileType::Webm => {
            return Err(StripError::Unsupported {
                what: format!("{format}: no lossless writer"),
            });
        }
    };
    Ok((format, data, log.finish()))
}

/// One chunk of PNG or WebP: its type, its data, and the whole chunk as it stands in the file
/// (PNG: length, type, data and CRC; WebP: header, data and padding byte).
pub(crate) struct Chunk<'a> {
    pub(crate) kind: [u8; 4],
    pub(crate) data: &'a [u8],
    pub(crate) bytes: &'a [u8],
}

/// One top-level block of a container (a JPEG segment, a PNG or WebP chunk, a GIF block) as it
/// stands in the file, for verification; or, for the formats verified by their coded data alone,
/// one range of that data.
pub(crate) struct Part<'a> {
    pub(crate) bytes: &'a [u8],
    /// Whether decoding the image depends on these bytes.
    pub(crate) coded: bool,
}

impl<'a> Part<'a> {
    pub(crate) fn new(bytes: &'a [u8], coded: bool) -> Self {
        Part { bytes, coded }
    }
}

/// Collects removed groups, summing sizes per group and keeping first-seen order.
#[derive(Default)]
pub(crate) struct Log {
    order: Vec<String>,
    sizes: BTreeMap<String, u64>,
    /// Only this log is wanted, not the clean bytes: a cleaner may leave its output incomplete
    /// (the JPEG cleaner then skips copying the segments it keeps, the scan data above all).
    pub(crate) dry: bool,
}

impl Log {
    /// Records `size` bytes of `group`. Zero-sized records are still listed.
    pub(crate) fn add(&mut self, group: impl Into<String>, size: usize) {
        let group = group.into();
        match self.sizes.get_mut(&group) {
            Some(s) => *s += size as u64,
            None => {
                self.sizes.insert(group.clone(), size as u64);
                self.order.push(group);
            }
        }
    }

    /// Whether nothing was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    fn finish(self) -> Vec<Removed> {
        let Log { order, sizes, .. } = self;
        order
            .into_iter()
            .map(|group| Removed {
                size: sizes[&group],
                group,
            })
            .collect()
    }
}

/// A printable label from untrusted identifier bytes (segment names, PNG keywords): ASCII
/// graphic characters and spaces only, at most 40 of them.
pub(crate) fn label(bytes: &[u8]) -> String {
    let s: String = bytes
        .iter()
        .take_while(|&&b| b != 0)
        .take(40)
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '?'
            }
        })
        .collect();
    s.trim().to_string()
}

/// Reads a big- or little-endian integer of `N` bytes at `pos`, or `None` past the end.
pub(crate) fn read_uint<const N: usize>(data: &[u8], pos: usize, big_endian: bool) -> Option<u64> {
    let b: [u8; N] = data.get(pos..pos.checked_add(N)?)?.try_into().ok()?;
    let mut v = 0u64;
    for i in 0..N {
        let byte = if big_endian { b[i] } else { b[N - 1 - i] };
        v = (v << 8) | u64::from(byte);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_sums_per_group_in_first_seen_order() {
        let mut log = Log::default();
        log.add("XMP", 10);
        log.add("EXIF", 5);
        log.add("XMP", 3);
        assert_eq!(
            log.finish(),
            vec![
                Removed {
                    group: "XMP".into(),
                    size: 13
                },
                Removed {
                    group: "EXIF".into(),
                    size: 5
                }
            ]
        );
    }

    #[test]
    fn labels_are_printable() {
        assert_eq!(label(b"Exif\0\0junk"), "Exif");
        assert_eq!(label(b"a\x1b[1m"), "a?[1m");
    }

    #[test]
    fn unsupported_and_empty_inputs() {
        let opts = StripOptions::default();
        assert!(matches!(strip(b"", &opts), Err(StripError::Empty)));
        assert!(matches!(
            strip(b"BM\x36\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0", &opts),
            Err(StripError::Unsupported { .. })
        ));
    }

    #[test]
    fn read_uint_both_orders() {
        assert_eq!(read_uint::<2>(&[1, 2], 0, true), Some(0x0102));
        assert_eq!(read_uint::<2>(&[1, 2], 0, false), Some(0x0201));
        assert_eq!(read_uint::<4>(&[1, 2], 0, true), None);
        assert_eq!(read_uint::<2>(&[1, 2], usize::MAX, true), None);
    }
}
