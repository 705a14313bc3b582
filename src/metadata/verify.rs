//! Verification of a cleaned file before anyone writes it: the output must parse, stripping it
//! again must change nothing (so no removable metadata is left and stripping is idempotent), its
//! coded image or media data must equal the input's byte for byte, and, for images the `image`
//! crate decodes, the decoded pixels must be identical.

use image::ImageFormat;

use super::{
    StripError, StripOptions, Stripped, VerifyLevel, clean, gif, heif, jpeg, mp4, png, tiff, webp,
};
use crate::files::sniff::FileType;

/// Checks `stripped` against `input`; an error means the output must be discarded.
pub fn verify(input: &[u8], stripped: &Stripped, opts: &StripOptions) -> Result<(), StripError> {
    let out = &stripped.data;
    let again =
        clean(out, opts).map_err(|e| StripError::Verify(format!("output does not parse: {e}")))?;
    if !again.removed.is_empty() {
        let groups: Vec<&str> = again.removed.iter().map(|r| r.group.as_str()).collect();
        return Err(StripError::Verify(format!(
            "metadata left in the output: {}",
            groups.join(", ")
        )));
    }
    if coded_data(input, stripped.format)? != coded_data(out, stripped.format)? {
        return Err(StripError::Verify(
            "coded image or media data differs from the input".into(),
        ));
    }
    if opts.verify == VerifyLevel::Pixels {
        pixels(input, out, stripped.format)?;
    }
    Ok(())
}

/// The bytes decoding depends on, in file order, joined.
fn coded_data(data: &[u8], format: FileType) -> Result<Vec<u8>, StripError> {
    let parts = match format {
        FileType::Jpeg => jpeg::coded_data(data)?,
        FileType::Png => png::coded_data(data)?,
        FileType::Webp => webp::coded_data(data)?,
        FileType::Gif => gif::coded_data(data)?,
        FileType::Tiff => tiff::coded_data(data)?,
        FileType::Heif | FileType::Avif => heif::coded_data(data, format)?,
        FileType::Mp4 | FileType::Mov | FileType::ThreeGp => mp4::coded_data(data, format)?,
        FileType::Bmp | FileType::Matroska | FileType::Webm | FileType::Pdf => {
            return Err(StripError::Verify(format!("no verifier for {format}")));
        }
    };
    Ok(parts.concat())
}

/// Decodes both and compares pixels, where a decoder is built in and reads the input.
fn pixels(input: &[u8], out: &[u8], format: FileType) -> Result<(), StripError> {
    let f = match format {
        FileType::Jpeg => ImageFormat::Jpeg,
        FileType::Png => ImageFormat::Png,
        FileType::Webp => ImageFormat::WebP,
        FileType::Gif => ImageFormat::Gif,
        FileType::Tiff => ImageFormat::Tiff,
        _ => return Ok(()),
    };
    // Both decodes at once: a single file (the vault's case) then takes one decode's time.
    let (before, after) = rayon::join(
        || image::load_from_memory_with_format(input, f),
        || image::load_from_memory_with_format(out, f),
    );
    // An input the decoder cannot read (CMYK TIFF, DNG, 12-bit JPEG) is covered by the
    // coded-data comparison alone.
    let Ok(before) = before else {
        return Ok(());
    };
    let after = after.map_err(|e| StripError::Verify(format!("output does not decode: {e}")))?;
    if before.color() != after.color()
        || before.width() != after.width()
        || before.height() != after.height()
        || before.as_bytes() != after.as_bytes()
    {
        return Err(StripError::Verify("decoded pixels differ".into()));
    }
    Ok(())
}
