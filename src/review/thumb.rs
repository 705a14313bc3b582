//! Thumbnails for the cards, made in memory and never written to disk: a sharp one, at most
//! [`SHARP_SIDE`] pixels, sent only when the user holds the card to see it; and a blurred one,
//! at most [`BLUR_SIDE`] pixels, shown by default. The blurred image is *small*, not merely
//! filtered: at 16 pixels across no text, number or face can be recovered from it, whatever the
//! page or a curious script does with it; the page softens it further with CSS.
//!
//! The pictures come from the decoders the scan uses, in this process, so the page needs no
//! program beside idvault: stills through the bounded decoder ([`decode::decode`], EXIF
//! orientation applied), HEIC through [`heic`] and AVIF through [`avif`] (its AV1 worker, as in
//! the scan), a PDF's first image through [`pdf`], a recording's first keyframe through its
//! container's frame sampler ([`crate::media::caps::Recording::frames`]: MP4, MOV, 3GP, MKV,
//! WebM). What each type gets is the capability table's [`Pixels`]. Those decoders keep luma only, so a
//! HEIF, AVIF or recording preview is grey. A file they cannot show (a VP9 recording, a PDF with
//! text only) gets an error, and the card says there is no preview.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
#[cfg(feature = "content")]
use std::time::Duration;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, RgbImage};

use crate::fsutil;
use crate::media::caps::Pixels;
use crate::media::decode;
#[cfg(feature = "content")]
use crate::media::heif::{avif, heic};
use crate::media::limits::ANALYSE_MAX_BYTES;
#[cfg(feature = "content")]
use crate::media::pdf::pages::{self as pdf, PdfError};
use crate::media::sniff::FileType;
#[cfg(feature = "content")]
use crate::media::video::VideoError;
use crate::scan::signals::{self, HeaderMeta};

/// Long side of the sharp thumbnail: enough to judge a card, too small to print it.
pub const SHARP_SIDE: u32 = 320;
/// Long side of the blurred thumbnail: a few pixels per character line of a document at most.
pub const BLUR_SIDE: u32 = 16;
/// No keyframe of a recording is started after this long (the scan's own budget for one file).
#[cfg(feature = "content")]
const FRAME_TIME: Duration = Duration::from_secs(4);

/// Both thumbnails of one file, as JPEG bytes.
pub struct Thumbs {
    pub blurred: Vec<u8>,
    pub sharp: Vec<u8>,
}

/// True when a thumbnail can be tried for this type: its pixels can be decoded.
pub fn can_preview(t: FileType) -> bool {
    t.caps().pixels.is_some()
}

/// Why no thumbnail could be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ThumbError {
    #[error("no preview for this file type")]
    Unsupported,
    #[error("cannot read the file: {0}")]
    Read(#[from] io::Error),
    #[error(transparent)]
    Decode(#[from] decode::DecodeError),
    #[cfg(feature = "content")]
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[cfg(feature = "content")]
    #[error("recording: {0}")]
    Recording(#[from] VideoError),
    #[cfg(feature = "content")]
    #[error("no picture on the first pages of this PDF")]
    NoPicture,
    #[error("cannot encode the thumbnail: {0}")]
    Encode(#[from] image::ImageError),
}

/// Makes both thumbnails of the file at `path` (not followed if it is a symlink).
pub fn make(path: &Path, t: FileType) -> Result<Thumbs, ThumbError> {
    let Some(pixels) = t.caps().pixels else {
        return Err(ThumbError::Unsupported);
    };
    let mut file = fsutil::open_regular_nofollow(path)?;
    let rgb = match pixels {
        #[cfg(feature = "content")]
        Pixels::Heic => heic::decode(&read(&mut file)?)?.rgb,
        #[cfg(feature = "content")]
        Pixels::Avif => avif::decode(&read(&mut file)?)?.rgb,
        #[cfg(feature = "content")]
        Pixels::Pages => first_picture(&read(&mut file)?)?,
        #[cfg(feature = "content")]
        Pixels::Frames(sampler) => {
            let len = file.metadata()?.len();
            let mut frames = sampler.frames(&mut file, len, 1, FRAME_TIME)?.frames;
            if frames.is_empty() {
                return Err(
                    VideoError::Undecodable("no keyframe was decoded in time".into()).into(),
                );
            }
            frames.swap_remove(0).rgb
        }
        Pixels::Still => still(&mut file, t)?,
        #[cfg(not(feature = "content"))]
        _ => return Err(ThumbError::Unsupported),
    };
    let img = DynamicImage::ImageRgb8(rgb);
    let (w, h) = decode::fit(
        img.width(),
        img.height(),
        SHARP_SIDE.min(img.width().max(img.height())),
    );
    let sharp = img.resize_exact(w, h, FilterType::Triangle).into_rgb8();
    let (bw, bh) = decode::fit(img.width(), img.height(), BLUR_SIDE);
    let blurred = img.resize_exact(bw, bh, FilterType::Triangle).into_rgb8();
    Ok(Thumbs {
        blurred: jpeg(&blurred)?,
        sharp: jpeg(&sharp)?,
    })
}

fn jpeg(img: &RgbImage) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 80).encode_image(img)?;
    Ok(out)
}

/// The file's bytes, at most [`ANALYSE_MAX_BYTES`] (the scan's bound).
fn read(file: &mut File) -> Result<Vec<u8>, ThumbError> {
    let mut bytes = Vec::new();
    file.by_ref()
        .take(ANALYSE_MAX_BYTES)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn still(file: &mut File, t: FileType) -> Result<RgbImage, ThumbError> {
    let bytes = read(file)?;
    let mut meta = HeaderMeta::default();
    let head = &bytes[..bytes.len().min(64 * 1024)];
    // Without readable EXIF the picture is shown as stored; the scan reported that already.
    let _ = signals::exif::read(file, t, head, &mut meta);
    Ok(decode::decode(&bytes, t, meta.orientation)?.rgb)
}

/// The first image on the first pages of the PDF in `bytes` (a scanner app's page).
#[cfg(feature = "content")]
fn first_picture(bytes: &[u8]) -> Result<RgbImage, ThumbError> {
    let image = pdf::read(bytes)?
        .pages
        .into_iter()
        .flat_map(|p| p.images)
        .next()
        .ok_or(ThumbError::NoPicture)?;
    // Each page image comes as a file the photo path reads (a JPEG as stored, or a grey PNG).
    Ok(decode::decode(&image.bytes, image.file_type, None)?.rgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The type of the file at `p`, from its first bytes, as the scan finds it.
    fn sniffed(p: &Path) -> FileType {
        let head = std::fs::read(p).unwrap();
        crate::media::sniff::sniff(&head[..head.len().min(64)]).expect("a known type")
    }

    #[test]
    fn the_blurred_thumbnail_is_tiny_and_the_sharp_one_bounded() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("card.png");
        let img = RgbImage::from_fn(800, 500, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 7])
        });
        img.save(&p).unwrap();
        let th = make(&p, sniffed(&p)).unwrap();
        let b = image::load_from_memory(&th.blurred).unwrap();
        let s = image::load_from_memory(&th.sharp).unwrap();
        assert_eq!((b.width(), b.height()), (16, 10));
        assert_eq!((s.width(), s.height()), (320, 200));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let t = tempfile::tempdir().unwrap();
        // Each type's magic bytes, then nothing that type's decoder can read: a PNG, a HEIC,
        // a PDF, an MP4 and a Matroska file, each taken to its own decoder by its type.
        let heads: [&[u8]; 5] = [
            b"\x89PNG\r\n\x1a\n",
            b"\0\0\0\x10ftypheic\0\0\0\0",
            b"%PDF-1.4\n",
            b"\0\0\0\x10ftypisom\0\0\0\0",
            b"\x1a\x45\xdf\xa3",
        ];
        let mut types = Vec::new();
        for (n, head) in heads.iter().enumerate() {
            let p = t.path().join(format!("x{n}"));
            std::fs::write(&p, [*head, &b"not really"[..], &[0; 64]].concat()).unwrap();
            let ft = sniffed(&p);
            assert!(make(&p, ft).is_err(), "{ft:?}");
            types.push(ft);
        }
        types.dedup();
        assert_eq!(types.len(), heads.len(), "{types:?}");
    }

    /// The sizes of both thumbnails of the checked-in sample `rel` (tests/data/).
    #[cfg(feature = "content")]
    fn sizes(rel: &str) -> [(u32, u32); 2] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(rel);
        let th = make(&p, sniffed(&p)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        [th.blurred, th.sharp].map(|j| {
            let img = image::load_from_memory(&j).unwrap();
            (img.width(), img.height())
        })
    }

    #[test]
    #[cfg(feature = "content")]
    fn heic_photos_and_recordings_are_previewed_in_process() {
        // 600×421 HEIC; 1920×1080 H.264 in MP4; 568×320 H.264 in MOV.
        assert_eq!(
            sizes("formats/pe__100_pass-hrv.heic"),
            [(16, 11), (320, 225)]
        );
        assert_eq!(sizes("metadata/mex__with-gps.mp4"), [(16, 9), (320, 180)]);
        assert_eq!(sizes("metadata/mex__with-gps.mov"), [(16, 9), (320, 180)]);
    }
}
