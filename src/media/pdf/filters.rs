//! Decoders for the image filters PDF has beyond JPEG and lossless samples: JPEG 2000
//! (`/JPXDecode`), CCITT fax (`/CCITTFaxDecode`, the 1-bit pages of scanner apps and faxes) and
//! JBIG2 (`/JBIG2Decode`, with its `/JBIG2Globals`). All three are pure-Rust, forbid unsafe code
//! and come from the `hayro` PDF renderer (Apache-2.0 OR MIT): `hayro-jpeg2000`, `hayro-ccitt`
//! and `hayro-jbig2`. Each returns the image's grey levels, dark where ink is.
//!
//! The caller has checked the image dictionary's Width × Height against
//! [`decode::MAX_PIXELS`]; the sizes the streams themselves declare are checked again here
//! before anything is decoded, and what comes out must match them.

use image::GrayImage;

use crate::media::decode;

/// Why an image stream could not be decoded.
pub(crate) type FilterError = String;

/// Grey level of black and white in the 1-bit filters' output.
const BLACK: u8 = 0;
const WHITE: u8 = 255;

/// A JPEG 2000 image (a JP2 file or a bare codestream), decoded at the smallest of its
/// resolution levels that is still at least `target` (the working copy's size): a 600 dpi scan
/// is not decoded in full to be shrunk at once.
pub(crate) fn jpx(data: &[u8], target: (u32, u32)) -> Result<GrayImage, FilterError> {
    use hayro_jpeg2000::{DecodeSettings, DecoderContext, Image};
    let settings = DecodeSettings {
        target_resolution: Some(target),
        ..DecodeSettings::default()
    };
    let img = Image::new(data, &settings).map_err(|e| format!("JPEG 2000: {e}"))?;
    let (w, h) = (img.width(), img.height());
    check_size(w, h)?;
    let channels = usize::from(img.color_space().num_channels()) + usize::from(img.has_alpha());
    let mut ctx = DecoderContext::default();
    let decoded = img
        .decode(&mut ctx)
        .map_err(|e| format!("JPEG 2000: {e}"))?;
    let samples = decoded.data_u8();
    if samples.len() != w as usize * h as usize * channels {
        return Err("JPEG 2000: decoded size differs from the declared one".into());
    }
    let colour = channels - usize::from(img.has_alpha());
    let gray = samples
        .chunks_exact(channels)
        .map(|p| gray(&p[..colour]))
        .collect();
    GrayImage::from_raw(w, h, gray).ok_or_else(|| "JPEG 2000: pixel buffer size mismatch".into())
}

/// How a CCITT stream is coded, from the image's `/DecodeParms` (PDF 32000-1, table 11).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FaxParams {
    /// `/K`: below 0 Group 4, 0 Group 3 one-dimensional, above 0 Group 3 two-dimensional.
    pub k: i64,
    /// `/EncodedByteAlign`.
    pub byte_align: bool,
    /// `/EndOfLine`.
    pub end_of_line: bool,
    /// `/EndOfBlock` (true when absent).
    pub end_of_block: bool,
    /// `/BlackIs1`: the picture is stored negated.
    pub black_is_1: bool,
}

/// A CCITT Group 3 or 4 image of `w` × `h` pixels.
pub(crate) fn ccitt(data: &[u8], w: u32, h: u32, p: FaxParams) -> Result<GrayImage, FilterError> {
    use hayro_ccitt::{DecodeSettings, DecoderContext, EncodingMode};
    check_size(w, h)?;
    let settings = DecodeSettings {
        columns: w,
        rows: h,
        end_of_block: p.end_of_block,
        end_of_line: p.end_of_line,
        rows_are_byte_aligned: p.byte_align,
        encoding: match p.k {
            k if k < 0 => EncodingMode::Group4,
            0 => EncodingMode::Group3_1D,
            _ => EncodingMode::Group3_2D,
        },
        strict: false,
    };
    let mut sink = Rows {
        width: w as usize,
        rows_wanted: h as usize,
        pixels: Vec::new(),
        ink: if p.black_is_1 { WHITE } else { BLACK },
    };
    let mut ctx = DecoderContext::new(settings);
    hayro_ccitt::decode(data, &mut sink, &mut ctx).map_err(|e| format!("CCITT fax: {e}"))?;
    // A stream that ends before the declared height is cut short or damaged.
    let rows = sink.pixels.len() / w as usize;
    if rows < h as usize {
        return Err(format!("CCITT fax: the data ends after {rows} of {h} rows"));
    }
    GrayImage::from_raw(w, h, sink.pixels).ok_or_else(|| "CCITT fax: pixel buffer mismatch".into())
}

/// Collects CCITT rows (given as the columns where the colour changes) into grey pixels.
struct Rows {
    width: usize,
    rows_wanted: usize,
    pixels: Vec<u8>,
    /// Grey level of the runs the coding calls black.
    ink: u8,
}

impl hayro_ccitt::Decoder for Rows {
    fn push_row(&mut self, changes: &[u32]) {
        // Rows past the declared height are dropped: the decoder stops at `rows` anyway, and the
        // buffer must never outgrow the size that was checked.
        if self.pixels.len() >= self.width * self.rows_wanted {
            return;
        }
        let start = self.pixels.len();
        self.pixels.resize(start + self.width, WHITE - self.ink);
        let row = &mut self.pixels[start..];
        for span in changes.chunks(2) {
            let from = (span[0] as usize).min(self.width);
            let to = span
                .get(1)
                .map_or(self.width, |&t| (t as usize).min(self.width));
            if from < to {
                row[from..to].fill(self.ink);
            }
        }
    }
}

/// A JBIG2 image in PDF's embedded organisation (no file header), with the segments of its
/// `/JBIG2Globals` stream if it has one.
pub(crate) fn jbig2(data: &[u8], globals: Option<&[u8]>) -> Result<GrayImage, FilterError> {
    use hayro_jbig2::{DecodeSettings, Globals, Page};
    let settings = DecodeSettings::default();
    let globals = globals
        .map(|g| Globals::new(g, &settings))
        .transpose()
        .map_err(|e| format!("JBIG2 globals: {e}"))?;
    let page =
        Page::new_embedded(data, globals.as_ref(), &settings).map_err(|e| format!("JBIG2: {e}"))?;
    let (w, h) = (page.width(), page.height());
    check_size(w, h)?;
    let mut sink = Bits {
        pixels: Vec::new(),
        limit: w as usize * h as usize,
    };
    page.decode(&mut sink).map_err(|e| format!("JBIG2: {e}"))?;
    if sink.pixels.len() != sink.limit {
        return Err("JBIG2: decoded size differs from the page's".into());
    }
    GrayImage::from_raw(w, h, sink.pixels).ok_or_else(|| "JBIG2: pixel buffer mismatch".into())
}

/// Collects JBIG2 pixels (1 is black, and PDF shows it black) as grey levels, never more than
/// the page's declared size.
struct Bits {
    pixels: Vec<u8>,
    limit: usize,
}

impl hayro_jbig2::Decoder for Bits {
    fn push_pixel(&mut self, black: bool) {
        if self.pixels.len() < self.limit {
            self.pixels.push(if black { BLACK } else { WHITE });
        }
    }

    fn push_pixel_chunk(&mut self, black: bool, chunk_count: u32) {
        let n = (chunk_count as usize * 8).min(self.limit - self.pixels.len());
        let level = if black { BLACK } else { WHITE };
        self.pixels.resize(self.pixels.len() + n, level);
    }

    fn next_line(&mut self) {}
}

/// Refuses an empty image or one over the decoders' pixel limit.
fn check_size(w: u32, h: u32) -> Result<(), FilterError> {
    if w == 0 || h == 0 {
        return Err(format!("{w}×{h} image"));
    }
    if u64::from(w) * u64::from(h) > decode::MAX_PIXELS {
        return Err(decode::DecodeError::TooLarge {
            width: w.into(),
            height: h.into(),
        }
        .to_string());
    }
    Ok(())
}

/// The grey level of one pixel's colour samples: grey, RGB or CMYK.
pub(crate) fn gray(p: &[u8]) -> u8 {
    match *p {
        [g] => g,
        [r, g, b] => luma(r, g, b),
        // CMYK: darker the more ink.
        [c, m, y, k] => 255u8.saturating_sub(luma(c, m, y).saturating_add(k)),
        _ => p.first().copied().unwrap_or(0),
    }
}

/// Rec. 601 luma of an RGB sample.
fn luma(r: u8, g: u8, b: u8) -> u8 {
    ((299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    const G4: FaxParams = FaxParams {
        k: -1,
        byte_align: false,
        end_of_line: false,
        end_of_block: true,
        black_is_1: false,
    };

    #[test]
    fn ccitt_rows_are_filled_between_changes_and_bounded() {
        let mut rows = Rows {
            width: 8,
            rows_wanted: 1,
            pixels: Vec::new(),
            ink: BLACK,
        };
        use hayro_ccitt::Decoder;
        rows.push_row(&[2, 4, 6]);
        rows.push_row(&[0]);
        assert_eq!(rows.pixels, [255, 255, 0, 0, 255, 255, 0, 0]);
    }

    #[test]
    fn corrupt_and_oversized_streams_are_errors() {
        assert!(ccitt(&[0; 64], 100, 100, G4).is_err());
        assert!(
            ccitt(&[], 200_000, 200_000, G4)
                .unwrap_err()
                .contains("megapixel")
        );
        assert!(jpx(b"\xff\x4f\xff\x51garbage", (100, 100)).is_err());
        assert!(jpx(&[0; 32], (100, 100)).is_err());
        assert!(jbig2(&[0; 40], None).is_err());
        assert!(jbig2(&[], Some(&[1, 2, 3])).is_err());
    }

    #[test]
    fn group4_round_trips_and_a_cut_stream_is_an_error() {
        let (w, h) = (40u32, 30u32);
        let black = |x: u32, y: u32| (x / 5 + y / 3).is_multiple_of(2);
        let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
        for y in 0..h {
            let row = (0..w).map(|x| match black(x, y) {
                true => fax::Color::Black,
                false => fax::Color::White,
            });
            enc.encode_line(row, w).unwrap();
        }
        let data = enc.finish().unwrap().finish();
        let img = ccitt(&data, w, h, G4).unwrap();
        for (x, y, p) in img.enumerate_pixels() {
            assert_eq!(p.0[0] == BLACK, black(x, y), "at {x},{y}");
        }
        let negated = FaxParams {
            black_is_1: true,
            ..G4
        };
        assert_eq!(
            ccitt(&data, w, h, negated).unwrap().get_pixel(0, 0).0,
            [WHITE]
        );
        let err = ccitt(&data[..data.len() / 2], w, h, G4).unwrap_err();
        assert!(err.starts_with("CCITT fax: "), "{err}");
    }

    #[test]
    fn samples_become_grey() {
        assert_eq!(gray(&[200]), 200);
        assert_eq!(gray(&[255, 255, 255]), 255);
        assert_eq!(gray(&[0, 0, 0, 255]), 0);
    }
}
