//! Thumbnails for the cards, made in memory and never written to disk: a sharp one, at most
//! [`SHARP_SIDE`] pixels, sent only when the user holds the card to see it; and a blurred one,
//! at most [`BLUR_SIDE`] pixels, shown by default. The blurred image is *small*, not merely
//! filtered: at 16 pixels across no text, number or face can be recovered from it, whatever the
//! page or a curious script does with it; the page softens it further with CSS.
//!
//! Stills are decoded with the scanner's own bounded decoder ([`decode::decode`], EXIF
//! orientation applied). Screen recordings show a frame extracted by `ffmpeg` when it is
//! installed (reading the already opened file on its stdin, under a time limit); without it, or
//! for formats without a decoder (HEIF), the card says there is no preview.

use std::io::{self, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, RgbImage};

use crate::files::sniff::FileType;
use crate::fsutil;
use crate::media::limits::ANALYSE_MAX_BYTES;
use crate::scan::content::decode;
use crate::scan::signals::{self, HeaderMeta};

/// Long side of the sharp thumbnail: enough to judge a card, too small to print it.
pub const SHARP_SIDE: u32 = 320;
/// Long side of the blurred thumbnail: a few pixels per character line of a document at most.
pub const BLUR_SIDE: u32 = 16;
/// ffmpeg gets this long to give one frame before it is killed.
const FFMPEG_TIME: Duration = Duration::from_secs(15);
/// At most this much of ffmpeg's output is read (one PNG frame of a few hundred pixels).
const FFMPEG_MAX_OUT: u64 = 16 << 20;

/// Both thumbnails of one file, as JPEG bytes.
pub struct Thumbs {
    pub blurred: Vec<u8>,
    pub sharp: Vec<u8>,
}

/// True when a thumbnail can be tried for this type.
pub fn can_preview(t: FileType) -> bool {
    decode::supported(t) || is_video(t)
}

fn is_video(t: FileType) -> bool {
    matches!(
        t,
        FileType::Mp4 | FileType::Mov | FileType::ThreeGp | FileType::Matroska | FileType::Webm
    )
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
    #[error("ffmpeg could not extract a frame")]
    NoFrame,
    #[error("cannot encode the thumbnail: {0}")]
    Encode(#[from] image::ImageError),
}

/// Makes both thumbnails of the file at `path` (not followed if it is a symlink).
pub fn make(path: &Path, t: FileType) -> Result<Thumbs, ThumbError> {
    let rgb = if decode::supported(t) {
        still(path, t)?
    } else if is_video(t) {
        let png = video_frame(path)?;
        decode::decode(&png, FileType::Png, None)?.rgb
    } else {
        return Err(ThumbError::Unsupported);
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

fn still(path: &Path, t: FileType) -> Result<RgbImage, ThumbError> {
    let mut file = fsutil::open_regular_nofollow(path)?;
    let mut bytes = Vec::new();
    (&mut file)
        .take(ANALYSE_MAX_BYTES)
        .read_to_end(&mut bytes)?;
    let mut meta = HeaderMeta::default();
    let head = &bytes[..bytes.len().min(64 * 1024)];
    // Without readable EXIF the picture is shown as stored; the scan reported that already.
    let _ = signals::exif::read(&mut file, t, head, &mut meta);
    Ok(decode::decode(&bytes, t, meta.orientation)?.rgb)
}

/// One frame from half a second into a recording (past a fade-in), else its first frame, as
/// PNG, from `ffmpeg`.
fn video_frame(path: &Path) -> Result<Vec<u8>, ThumbError> {
    frame_at(path, "0.5").or_else(|_| frame_at(path, "0"))
}

fn frame_at(path: &Path, seconds: &str) -> Result<Vec<u8>, ThumbError> {
    let file = fsutil::open_regular_nofollow(path)?;
    let scale = format!("scale='min({SHARP_SIDE},iw)':-2");
    let mut child = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        // The file opened above, not its path: nothing can swap it for a symlink meanwhile.
        // /dev/stdin on a regular file reopens that file, so ffmpeg can seek in it.
        .args(["-ss", seconds, "-i", "/dev/stdin", "-frames:v", "1", "-vf"])
        .arg(scale)
        .args(["-f", "image2pipe", "-c:v", "png", "pipe:1"])
        .stdin(Stdio::from(file))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|_| ThumbError::NoFrame)?;
    let stdout = child.stdout.take().ok_or(ThumbError::NoFrame)?;
    let reader = thread::spawn(move || {
        let mut out = Vec::new();
        stdout
            .take(FFMPEG_MAX_OUT)
            .read_to_end(&mut out)
            .map(|_| out)
    });
    let deadline = Instant::now() + FFMPEG_TIME;
    let status = loop {
        match child.try_wait()? {
            Some(status) => break status,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ThumbError::NoFrame);
            }
            None => thread::sleep(Duration::from_millis(20)),
        }
    };
    let out = reader
        .join()
        .map_err(|_| ThumbError::NoFrame)?
        .map_err(ThumbError::Read)?;
    if !status.success() || out.is_empty() {
        return Err(ThumbError::NoFrame);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blurred_thumbnail_is_tiny_and_the_sharp_one_bounded() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("card.png");
        let img = RgbImage::from_fn(800, 500, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 7])
        });
        img.save(&p).unwrap();
        let th = make(&p, FileType::Png).unwrap();
        let b = image::load_from_memory(&th.blurred).unwrap();
        let s = image::load_from_memory(&th.sharp).unwrap();
        assert_eq!((b.width(), b.height()), (16, 10));
        assert_eq!((s.width(), s.height()), (320, 200));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("x.png");
        std::fs::write(&p, b"\x89PNG\r\n\x1a\nnot really").unwrap();
        assert!(make(&p, FileType::Png).is_err());
        assert!(matches!(
            make(&p, FileType::Heif),
            Err(ThumbError::Unsupported)
        ));
    }
}
