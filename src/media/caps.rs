//! What idvault can do with each file type, in one table ([`FileType::caps`]): which writer
//! strips its metadata, how a working copy of its pixels is made (a still, HEVC or AV1 items,
//! a PDF's pages, a recording's frames), which header the scan reads its facts from, and where
//! its EXIF is. Scan, strip and review ask this table instead of matching on the file type, so
//! a format is added or changed here and in its own module only.

#[cfg(feature = "content")]
use std::fs::File;
#[cfg(feature = "content")]
use std::time::Duration;

use image::ImageFormat;

use super::parts::{Log, Rules, StripError, StripOptions};
use super::sniff::FileType;
#[cfg(feature = "content")]
use super::video::{Frames, VideoError};
#[cfg(feature = "content")]
use super::{matroska, mp4};

/// Everything idvault can do with one file type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    /// The lossless metadata writer (`None`: the type is not stripped, only stored as it is).
    pub strip: Option<Writer>,
    /// How a working copy of the pixels is made, for content analysis and the review page's
    /// previews (`None`: the file is judged by its names and metadata only).
    pub pixels: Option<Pixels>,
    /// Which header the scan's signals read (dimensions, camera, software, GPS, duration).
    pub header: Option<Header>,
    /// Where the scan reads EXIF from, when the type carries it.
    pub exif: Option<Exif>,
}

/// The container writer that strips a type's metadata (one module under `media` each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    Jpeg,
    Png,
    Webp,
    Gif,
    Tiff,
    /// HEIF, HEIC and AVIF item tables ([`crate::media::heif`]).
    Heif,
    /// MP4, MOV and 3GP movies ([`crate::media::mp4`]).
    Movie,
    Pdf,
}

impl Writer {
    /// Runs the format's cleaner on `input`, a file of `format`, logging each group it removes
    /// (the `metadata::strip` entry point verifies the result by [`Writer::rules`]).
    pub(crate) fn clean(
        self,
        input: &[u8],
        format: FileType,
        opts: &StripOptions,
        log: &mut Log,
    ) -> Result<Vec<u8>, StripError> {
        use super::{gif, heif, jpeg, mp4, pdf, png, tiff, webp};
        match self {
            Writer::Jpeg => jpeg::clean(input, opts, log),
            Writer::Png => png::clean(input, opts, log),
            Writer::Webp => webp::clean(input, opts, log),
            Writer::Gif => gif::clean(input, opts, log),
            Writer::Tiff => tiff::clean(input, opts, log),
            Writer::Heif => heif::strip::clean(input, format, log),
            Writer::Movie => mp4::clean(input, format, log),
            Writer::Pdf => pdf::strip::clean(input, log),
        }
    }

    /// The format's verification rules, defined beside its strip, which `metadata::verify`
    /// applies to every cleaned file before it is written.
    pub(crate) fn rules(self) -> Rules {
        use super::{gif, heif, jpeg, mp4, pdf, png, tiff, webp};
        match self {
            Writer::Jpeg => jpeg::RULES,
            Writer::Png => png::RULES,
            Writer::Webp => webp::RULES,
            Writer::Gif => gif::RULES,
            Writer::Tiff => tiff::RULES,
            Writer::Heif => heif::verify::RULES,
            Writer::Movie => mp4::verify::RULES,
            Writer::Pdf => pdf::strip::RULES,
        }
    }
}

/// How the pixels of a type are decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pixels {
    /// A still image through the bounded decoder ([`crate::media::decode`]).
    Still,
    /// HEIC's HEVC items ([`crate::media::heif::heic`]).
    Heic,
    /// AVIF's AV1 items, in the AV1 worker ([`crate::media::heif::avif`]).
    Avif,
    /// The images on a PDF's pages.
    Pages,
    /// A recording's keyframes.
    Frames(Recording),
}

/// The frame sampler of a recording's container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recording {
    /// MP4, MOV, 3GP: the ISO-BMFF sample tables ([`crate::media::mp4::frames`]).
    Bmff,
    /// MKV and WebM ([`crate::media::matroska`]).
    Matroska,
}

#[cfg(feature = "content")]
impl Recording {
    /// Decodes the sampled keyframes of the recording in `file` (`len` bytes), at most `max`,
    /// none started after `budget` of this thread's CPU time: the container's own sampler.
    pub fn frames(
        self,
        file: &mut File,
        len: u64,
        max: usize,
        budget: Duration,
    ) -> Result<Frames, VideoError> {
        match self {
            Recording::Bmff => mp4::frames::frames(file, len, max, budget).map(|frames| Frames {
                frames,
                damaged: None,
            }),
            Recording::Matroska => matroska::frames(file, max, budget),
        }
    }
}

/// What a file shows, as its name would say it: see [`FileType::medium`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Medium {
    /// A still picture: a photo, a screenshot, a scan, a PDF's pages.
    Still,
    /// A recording, whose frames are sampled.
    Recording,
}

/// The header the scan's signals read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Header {
    /// An image's headers: pixel size, EXIF where [`Caps::exif`] says, XMP.
    Image,
    /// A movie's `moov` box ([`crate::media::bmff::read_moov`]).
    Movie,
}

/// Where a type keeps its EXIF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exif {
    /// PNG's `eXIf` chunk (and XMP in an `iTXt` chunk).
    PngChunks,
    /// The file is a TIFF structure: its first IFDs are the EXIF.
    Tiff,
    /// Inside the container, found by kamadak-exif's reader (JPEG APP1, HEIF/AVIF `Exif` item,
    /// WebP `EXIF` chunk).
    Container,
}

impl FileType {
    /// What idvault can do with a file of this type.
    pub fn caps(self) -> Caps {
        use {Exif as E, Header as H, Pixels as P, Writer as W};
        let (strip, pixels, header, exif) = match self {
            FileType::Jpeg => (
                Some(W::Jpeg),
                Some(P::Still),
                Some(H::Image),
                Some(E::Container),
            ),
            FileType::Png => (
                Some(W::Png),
                Some(P::Still),
                Some(H::Image),
                Some(E::PngChunks),
            ),
            FileType::Webp => (
                Some(W::Webp),
                Some(P::Still),
                Some(H::Image),
                Some(E::Container),
            ),
            FileType::Gif => (Some(W::Gif), Some(P::Still), Some(H::Image), None),
            FileType::Tiff => (Some(W::Tiff), Some(P::Still), Some(H::Image), Some(E::Tiff)),
            FileType::Bmp => (None, Some(P::Still), Some(H::Image), None),
            FileType::Heif => (
                Some(W::Heif),
                Some(P::Heic),
                Some(H::Image),
                Some(E::Container),
            ),
            FileType::Avif => (
                Some(W::Heif),
                Some(P::Avif),
                Some(H::Image),
                Some(E::Container),
            ),
            FileType::Mp4 | FileType::Mov | FileType::ThreeGp => (
                Some(W::Movie),
                Some(P::Frames(Recording::Bmff)),
                Some(H::Movie),
                None,
            ),
            FileType::Matroska | FileType::Webm => {
                (None, Some(P::Frames(Recording::Matroska)), None, None)
            }
            FileType::Pdf => (Some(W::Pdf), Some(P::Pages), None, None),
        };
        // HEVC, AV1, PDF images and recordings are decoded by the `content` feature's crates;
        // without it only stills have pixels.
        let pixels = pixels.filter(|p| cfg!(feature = "content") || *p == P::Still);
        Caps {
            strip,
            pixels,
            header,
            exif,
        }
    }

    /// What a file of this type shows: a recording, or a still picture (photos, screenshots,
    /// scans and PDF pages alike). The scan's name signals read screenshot or screen-recording
    /// names by it.
    pub fn medium(self) -> Medium {
        if self.recording().is_some() {
            Medium::Recording
        } else {
            Medium::Still
        }
    }

    /// Whether this is the still format screenshot tools save in: PNG, lossless, which a camera
    /// never writes. A file of this type at exactly a screen's size, with no camera in its
    /// metadata, is likely a screenshot; a JPEG or HEIC of that size is as often a photo.
    pub fn screenshot_format(self) -> bool {
        self == FileType::Png
    }

    /// The `image` crate's format for a still (JPEG, PNG, WebP, GIF, TIFF, BMP): what decodes
    /// it for the working copy and for strip's pixel comparison.
    pub fn image_format(self) -> Option<ImageFormat> {
        Some(match self {
            FileType::Jpeg => ImageFormat::Jpeg,
            FileType::Png => ImageFormat::Png,
            FileType::Webp => ImageFormat::WebP,
            FileType::Gif => ImageFormat::Gif,
            FileType::Tiff => ImageFormat::Tiff,
            FileType::Bmp => ImageFormat::Bmp,
            _ => return None,
        })
    }

    /// The frame sampler, when this type is a recording.
    pub fn recording(self) -> Option<Recording> {
        match self.caps().pixels {
            Some(Pixels::Frames(r)) => Some(r),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [FileType; 14] = [
        FileType::Jpeg,
        FileType::Png,
        FileType::Webp,
        FileType::Heif,
        FileType::Avif,
        FileType::Gif,
        FileType::Tiff,
        FileType::Bmp,
        FileType::Mp4,
        FileType::Mov,
        FileType::ThreeGp,
        FileType::Matroska,
        FileType::Webm,
        FileType::Pdf,
    ];

    #[test]
    fn the_table_agrees_with_itself() {
        for t in ALL {
            let c = t.caps();
            // Every type the scan reads has a preview; recordings and only they have frames.
            assert!(c.pixels.is_some(), "{t}");
            assert_eq!(t.is_video(), t.recording().is_some(), "{t}");
            assert_eq!(
                c.header == Some(Header::Movie),
                c.strip == Some(Writer::Movie)
            );
            assert_eq!(t.strippable(), c.strip.is_some(), "{t}");
            // EXIF is read from image headers only.
            assert!(c.exif.is_none() || c.header == Some(Header::Image), "{t}");
        }
        for t in ALL {
            // Every still the bounded decoder reads has an `image` format, and only those.
            assert_eq!(
                t.image_format().is_some(),
                t.caps().pixels == Some(Pixels::Still),
                "{t}"
            );
            assert_eq!(t.medium() == Medium::Recording, t.is_video(), "{t}");
        }
        assert!(FileType::Png.screenshot_format() && !FileType::Jpeg.screenshot_format());
        assert_eq!(FileType::Bmp.caps().strip, None);
        assert_eq!(FileType::Webm.recording(), Some(Recording::Matroska));
        assert_eq!(FileType::ThreeGp.recording(), Some(Recording::Bmff));
    }
}
