//! What idvault knows of each file format, one module per format: its magic bytes
//! ([`sniff`]), what can be done with it ([`caps`]: strip, pixels, frames, pages, header facts,
//! EXIF), the container readers ([`bmff`] for ISO-BMFF), the parts a metadata strip
//! removes and keeps ([`jpeg`], [`png`], [`webp`], [`gif`], [`tiff`], [`mp4`], [`heif`]), and
//! decoding to the scan's working copy ([`decode`], [`heif`]'s HEIC and AVIF decoders, the
//! images and text layer of a PDF's pages with their filters in [`pdf`], a recording's keyframes
//! in [`mp4::frames`] and [`matroska`] through the decoders in [`video`]). A leaf below scan, metadata, vault and review: it imports
//! none of them.

pub mod bmff;
pub mod caps;
pub mod decode;
pub(crate) mod gif;
pub mod heif;
pub(crate) mod jpeg;
pub mod limits;
#[cfg(feature = "content")]
pub mod matroska;
pub mod mp4;
pub(crate) mod parts;
pub mod pdf;
pub(crate) mod png;
pub mod sniff;
pub(crate) mod tiff;
#[cfg(feature = "content")]
pub mod video;
pub(crate) mod webp;

pub(crate) use parts::{Chunk, Log, Part, StripError, StripOptions, label, read_uint};
