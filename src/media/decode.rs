//! Decoding an image file into a small RGB working copy: pure-Rust decoders only, EXIF
//! orientation applied, decompression bombs refused before any pixel buffer is allocated.
//!
//! JPEG goes through `jpeg-decoder`, whose IDCT scaling (1/2, 1/4, 1/8) decodes a 12 MP photo
//! straight to ~1000 px several times faster than a full decode; PNG, WebP, GIF (first frame),
//! TIFF and BMP go through the `image` crate with allocation limits. Third-party decoders run
//! inside `catch_unwind` as a last line of defence: a panic on hostile input becomes an error.

use std::io::Cursor;
use std::panic::{self, AssertUnwindSafe};

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

use crate::media::limits::DECODE_ALLOC_MAX_BYTES;
use crate::media::sniff::FileType;

/// Images with more pixels than this are refused as possible decompression bombs.
pub const MAX_PIXELS: u64 = 100_000_000;
/// Long side of the working copy; bigger images are reduced to it.
pub const MAX_SIDE: u32 = 1600;
/// JPEGs are IDCT-scaled to the smallest size whose long side is at least this.
const JPEG_MIN_SIDE: u32 = 1000;

/// Why the pixels of a file were not decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("no decoder for {0} is built in")]
    Unsupported(FileType),
    #[error("{width}×{height} pixels is more than the {}-megapixel limit (possible decompression bomb)", MAX_PIXELS / 1_000_000)]
    TooLarge { width: u64, height: u64 },
    #[error("the image data is corrupt or truncated: {0}")]
    Corrupt(String),
    #[error("the decoder failed on this file")]
    Panicked,
    /// A layout the built-in decoder is known to mishandle; it is not run on it.
    #[error("{0}: the built-in decoder cannot read this layout")]
    Layout(&'static str),
}

/// A decoded, oriented and reduced image.
#[derive(Debug)]
pub struct Decoded {
    pub rgb: RgbImage,
    /// Size of the full image as stored, before reduction and orientation.
    pub full_width: u32,
    pub full_height: u32,
}

/// Decodes `bytes` of type `t` into the working copy and applies the EXIF `orientation` (1–8).
pub fn decode(bytes: &[u8], t: FileType, orientation: Option<u16>) -> Result<Decoded, DecodeError> {
    decode_sized(bytes, t, orientation, JPEG_MIN_SIDE, MAX_SIDE)
}

/// Long side a JPEG is IDCT-scaled to at least, and the largest long side kept, for a closer
/// look at parts of an image: a card on a 12 MP photo of an A4 sheet is about 530 px wide at
/// half scale, enough for its smallest print.
const LARGE_SIDE: u32 = 2000;
const LARGE_MAX_SIDE: u32 = 4096;

/// Like [`decode`], at about twice the working copy's resolution (for parts of the image that
/// are too small to read in the working copy).
pub fn decode_large(
    bytes: &[u8],
    t: FileType,
    orientation: Option<u16>,
) -> Result<Decoded, DecodeError> {
    decode_sized(bytes, t, orientation, LARGE_SIDE, LARGE_MAX_SIDE)
}

/// Decodes with JPEGs IDCT-scaled to a long side of at least `jpeg_side`, and any image
/// reduced to a long side of at most `max_side`.
fn decode_sized(
    bytes: &[u8],
    t: FileType,
    orientation: Option<u16>,
    jpeg_side: u32,
    max_side: u32,
) -> Result<Decoded, DecodeError> {
    // JPEG has its own DCT-scaled decoder here; the other stills go through `image`.
    let format = match t.image_format() {
        Some(ImageFormat::Jpeg) => None,
        Some(f) => Some(f),
        None => return Err(DecodeError::Unsupported(t)),
    };
    if t == FileType::Tiff && crate::media::tiff::tiled_planar(bytes) {
        return Err(DecodeError::Layout(crate::media::tiff::TILED_PLANAR));
    }
    // What the header claims, read without a decoder: a bomb is refused here, with the same
    // error whatever its format, before any decoder sees it.
    if let Ok(size) = imagesize::blob_size(bytes) {
        check_pixels(size.width as u64, size.height as u64)?;
    }
    let run = || match format {
        None => decode_jpeg(bytes, jpeg_side),
        Some(f) => decode_other(bytes, f),
    };
    let (mut img, full_width, full_height) =
        panic::catch_unwind(AssertUnwindSafe(run)).map_err(|_| DecodeError::Panicked)??;
    if img.width().max(img.height()) > max_side {
        let (w, h) = fit(img.width(), img.height(), max_side);
        img = img.thumbnail(w, h);
    }
    if let Some(o) = orientation
        .and_then(|o| u8::try_from(o).ok())
        .and_then(Orientation::from_exif)
    {
        img.apply_orientation(o);
    }
    Ok(Decoded {
        rgb: img.into_rgb8(),
        full_width,
        full_height,
    })
}

/// `w`×`h` scaled so that the long side is `side`, keeping the aspect ratio.
pub fn fit(w: u32, h: u32, side: u32) -> (u32, u32) {
    let scale = f64::from(side) / f64::from(w.max(h).max(1));
    let s = |x: u32| ((f64::from(x) * scale).round() as u32).max(1);
    (s(w), s(h))
}

fn check_pixels(width: u64, height: u64) -> Result<(), DecodeError> {
    if width * height > MAX_PIXELS {
        return Err(DecodeError::TooLarge { width, height });
    }
    if width == 0 || height == 0 {
        return Err(DecodeError::Corrupt("the image has no pixels".into()));
    }
    Ok(())
}

type Raw = (DynamicImage, u32, u32);

/// JPEG end-of-image marker.
const EOI: [u8; 2] = [0xFF, 0xD9];

/// Decodes a JPEG, or as much of it as is there: a file cut short (a download or copy that
/// stopped) fails for want of data, and is decoded again with an end-of-image marker put
/// back, from which the decoder fills the missing blocks with zero bits. The part that was
/// written (the top of a baseline JPEG) is then analysed like any picture.
fn decode_jpeg(bytes: &[u8], min_side: u32) -> Result<Raw, DecodeError> {
    match decode_jpeg_data(bytes, min_side) {
        Err(DecodeError::Corrupt(why)) if !bytes.ends_with(&EOI) => {
            let mut ended = Vec::with_capacity(bytes.len() + EOI.len());
            ended.extend_from_slice(bytes);
            ended.extend_from_slice(&EOI);
            decode_jpeg_data(&ended, min_side).map_err(|_| DecodeError::Corrupt(why))
        }
        decoded => decoded,
    }
}

fn decode_jpeg_data(bytes: &[u8], min_side: u32) -> Result<Raw, DecodeError> {
    use jpeg_decoder::{Decoder, PixelFormat};
    let corrupt = |e: jpeg_decoder::Error| DecodeError::Corrupt(e.to_string());
    let mut dec = Decoder::new(Cursor::new(bytes));
    dec.set_max_decoding_buffer_size(DECODE_ALLOC_MAX_BYTES as usize);
    dec.read_info().map_err(corrupt)?;
    let info = dec
        .info()
        .ok_or_else(|| DecodeError::Corrupt("no frame header".into()))?;
    let (fw, fh) = (u32::from(info.width), u32::from(info.height));
    check_pixels(fw.into(), fh.into())?;
    // Ask for the smallest IDCT scale that keeps the long side at least `min_side`.
    let (rw, rh) = if fw.max(fh) > min_side {
        fit(fw, fh, min_side)
    } else {
        (fw, fh)
    };
    let (w, h) = dec.scale(rw as u16, rh as u16).map_err(corrupt)?;
    let data = dec.decode().map_err(corrupt)?;
    let info = dec
        .info()
        .ok_or_else(|| DecodeError::Corrupt("no frame header".into()))?;
    let (w, h) = (u32::from(w), u32::from(h));
    let n = (w * h) as usize;
    let rgb: Vec<u8> = match info.pixel_format {
        PixelFormat::RGB24 => data,
        PixelFormat::L8 => data.iter().flat_map(|&l| [l, l, l]).collect(),
        PixelFormat::L16 => data
            .chunks_exact(2)
            .flat_map(|c| [c[0], c[0], c[0]])
            .collect(),
        PixelFormat::CMYK32 => data
            .chunks_exact(4)
            .flat_map(|c| {
                // jpeg-decoder returns inverted (Adobe) CMYK.
                let k = u16::from(c[3]);
                [c[0], c[1], c[2]].map(|x| (u16::from(x) * k / 255) as u8)
            })
            .collect(),
    };
    if rgb.len() < n * 3 {
        return Err(DecodeError::Corrupt("short pixel data".into()));
    }
    let img = RgbImage::from_raw(w, h, rgb)
        .ok_or_else(|| DecodeError::Corrupt("pixel buffer size mismatch".into()))?;
    Ok((DynamicImage::ImageRgb8(img), fw, fh))
}

fn decode_other(bytes: &[u8], format: ImageFormat) -> Result<Raw, DecodeError> {
    let corrupt = |e: image::ImageError| DecodeError::Corrupt(e.to_string());
    let reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut decoder = reader.into_decoder().map_err(corrupt)?;
    let (fw, fh) = decoder.dimensions();
    check_pixels(fw.into(), fh.into())?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(DECODE_ALLOC_MAX_BYTES);
    decoder.set_limits(limits).map_err(corrupt)?;
    let img = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    Ok((img, fw, fh))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_pixel(w, h, image::Rgb([10, 20, 30]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn png_decodes_and_orientation_turns_it() {
        let d = decode(&png(30, 10), FileType::Png, Some(6)).unwrap();
        assert_eq!((d.rgb.width(), d.rgb.height()), (10, 30));
        assert_eq!((d.full_width, d.full_height), (30, 10));
        assert_eq!(d.rgb.get_pixel(0, 0).0, [10, 20, 30]);
    }

    #[test]
    fn bomb_header_is_refused_before_decoding() {
        let mut bytes = png(1, 1);
        // IHDR width and height live at offsets 16 and 20; the CRC no longer matches, which
        // must not matter because the size check comes first or the decoder rejects it.
        bytes[16..20].copy_from_slice(&50_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&50_000u32.to_be_bytes());
        assert!(decode(&bytes, FileType::Png, None).is_err());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
        bytes.extend((0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
        assert!(decode(&bytes, FileType::Jpeg, None).is_err());
        assert!(decode(&bytes[..3], FileType::Png, None).is_err());
        assert!(matches!(
            decode(&bytes, FileType::Heif, None),
            Err(DecodeError::Unsupported(FileType::Heif))
        ));
    }

    #[test]
    fn fit_keeps_aspect() {
        assert_eq!(fit(4000, 3000, 1000), (1000, 750));
        assert_eq!(fit(10, 20, 40), (20, 40));
    }
}
