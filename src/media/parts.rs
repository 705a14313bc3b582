//! What the format modules share when they edit a container: the strip options and error, the
//! log of removed groups, the chunks and parts that verification compares, and two small
//! readers for untrusted identifier bytes and integers. `metadata` re-exports the public ones.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::sniff::FileType;

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
    /// nothing affecting rendering was dropped (see `metadata::verify`). The default.
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

/// How `metadata::verify` checks a cleaned file of one format: the format's own rules, which
/// its module defines beside its strip and the capability table hands out
/// ([`Writer::rules`](super::caps::Writer::rules)). The driver applies them in order: the coded
/// parts compared byte for byte, then what the output keeps, then the pixels.
#[derive(Clone, Copy)]
pub(crate) enum Rules {
    /// The format checks input and output itself, whole (PDF: pages and their content).
    Whole(fn(&[u8], &[u8]) -> Result<(), StripError>),
    /// The driver compares the parts; the format says what they are and what must hold of
    /// the rest.
    Parts {
        /// The file's parts in file order: its top-level blocks where the format has them
        /// (JPEG, PNG, WebP, GIF), else the byte ranges decoding depends on.
        parts: for<'a> fn(&'a [u8], FileType) -> Result<Vec<Part<'a>>, StripError>,
        /// What must hold of the blocks or structures the output keeps.
        kept: Kept,
        /// Whether to decode both files and compare pixels, given the input.
        decode: fn(&[u8]) -> Decode,
    },
}

/// What must hold of what a cleaned file keeps besides its coded data.
#[derive(Clone, Copy)]
pub(crate) enum Kept {
    /// Top-level blocks: each output block is a copy of an input block, in input order, or one
    /// of the format's rewrites; no input block that renders is dropped; the displayed
    /// orientation is the input's (kept) or none.
    Blocks(BlockRules),
    /// The format compares the structures it keeps (a movie's headers, HEIF's item tables, the
    /// values TIFF's IFDs point to).
    Structure(StructureCheck),
}

/// A format's check of the structures a cleaned file keeps: `(input, output, format, options)`.
pub(crate) type StructureCheck =
    fn(&[u8], &[u8], FileType, &StripOptions) -> Result<(), StripError>;

/// A block format's rules for the blocks it keeps (see [`Kept::Blocks`]).
#[derive(Clone, Copy)]
pub(crate) struct BlockRules {
    /// Whether a block affects how the file displays, so it must not be dropped.
    pub(crate) renders: fn(&[u8], &StripOptions) -> bool,
    /// Whether an output block is an allowed rewrite of an input block.
    pub(crate) rewrite: fn(&[u8], &[u8]) -> bool,
    /// Whether a file with these (input) blocks keeps an orientation in them.
    pub(crate) orients: fn(&[&[u8]]) -> bool,
    /// The TIFF bytes of the EXIF block a viewer reads the orientation from.
    pub(crate) exif: for<'a> fn(&[&'a [u8]]) -> Option<&'a [u8]>,
}

/// Whether a cleaned file's pixels are decoded and compared with the input's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decode {
    /// When the caller asks ([`VerifyLevel::Pixels`]).
    AsAsked,
    /// Always: the other checks do not cover the whole file (TIFF's rewritten IFDs, a JPEG's
    /// stray bytes between segments).
    Always,
    /// Never: the coded-data checks alone cover it (a tiled TIFF with separate colour planes).
    Never,
}

/// The parts of a format verified by its coded data alone: each range is coded.
pub(crate) fn all_coded(ranges: Vec<&[u8]>) -> Vec<Part<'_>> {
    ranges.into_iter().map(|b| Part::new(b, true)).collect()
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
    /// A log for a dry run: only the removed groups are wanted, not the clean bytes.
    pub(crate) fn dry() -> Self {
        Log {
            dry: true,
            ..Log::default()
        }
    }

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

    pub(crate) fn finish(self) -> Vec<Removed> {
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
    fn read_uint_both_orders() {
        assert_eq!(read_uint::<2>(&[1, 2], 0, true), Some(0x0102));
        assert_eq!(read_uint::<2>(&[1, 2], 0, false), Some(0x0201));
        assert_eq!(read_uint::<4>(&[1, 2], 0, true), None);
        assert_eq!(read_uint::<2>(&[1, 2], usize::MAX, true), None);
    }
}
