//! HEIC/HEIF pixels (the iPhone camera's default format) through `heic-rs`, a pure-Rust,
//! MIT/Apache-licensed decoder of the container and of HEVC still pictures: grids of tiles,
//! `irot`/`imir`/`clap` applied. Only luma is decoded, which is all the detector looks at and
//! saves the chroma upsampling and colour conversion.
//!
//! AVIF (AV1 in the same container) goes through [`super::avif`], which ends in the same
//! working copy.

use image::{DynamicImage, GrayImage};

use crate::media::decode::{self, DecodeError, Decoded};

/// Long side of the working copy: what the JPEG path's DCT scaling gives a 12 MP photo (4032 /
/// 4), so that a HEIC photo is judged as its JPEG twin would be. (At 1600 px the visual stage
/// sees the fine texture of an ordinary photo as lines of text and sends it to OCR.)
pub const WORKING_SIDE: u32 = 1008;

/// Decodes the primary image of the HEIF file in `bytes` into a working copy (long side at
/// most [`WORKING_SIDE`]). EXIF orientation is not applied: in HEIF the `irot` and `imir`
/// properties are the orientation, and the decoder applies them.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    let options = heic_rs::DecodeOptions::default()
        .with_layout(heic_rs::PixelLayout::Gray8)
        .with_max_pixels(Some(decode::MAX_PIXELS))
        .with_alpha(false);
    let run = || {
        // The size is checked from the headers first, to name it in the refusal.
        let info = heic_rs::probe(bytes)?;
        if u64::from(info.width) * u64::from(info.height) > decode::MAX_PIXELS {
            return Ok(Err(DecodeError::TooLarge {
                width: info.width.into(),
                height: info.height.into(),
            }));
        }
        heic_rs::decode(bytes, &options).map(Ok)
    };
    let img = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
        .map_err(|_| DecodeError::Panicked)?
        .map_err(|e| DecodeError::Corrupt(e.to_string()))??;
    let gray = GrayImage::from_raw(img.width, img.height, img.data)
        .ok_or_else(|| DecodeError::Corrupt("pixel buffer size mismatch".into()))?;
    Ok(working_copy(gray))
}

/// The working copy of a HEIF image decoded to full-size luma: reduced to a long side of at
/// most [`WORKING_SIDE`].
pub(crate) fn working_copy(gray: GrayImage) -> Decoded {
    let (w, h) = gray.dimensions();
    let gray = if w.max(h) > WORKING_SIDE {
        let (tw, th) = decode::fit(w, h, WORKING_SIDE);
        image::imageops::thumbnail(&gray, tw, th)
    } else {
        gray
    };
    from_luma(gray, w, h)
}

/// A working copy made of reduced luma, for an image of `full_width` × `full_height`.
pub(crate) fn from_luma(gray: GrayImage, full_width: u32, full_height: u32) -> Decoded {
    Decoded {
        rgb: DynamicImage::ImageLuma8(gray).into_rgb8(),
        full_width,
        full_height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_truncated_files_are_errors() {
        let mut ftyp = vec![0, 0, 0, 24];
        ftyp.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
        assert!(decode(&ftyp).is_err());
        ftyp.extend((0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8));
        assert!(decode(&ftyp).is_err());
    }
}
