//! A safe face on `rav1d` (the memorysafety project's Rust port of dav1d) for idvault: decode one
//! AV1 still picture (an AVIF image item or grid tile) to 8-bit luma, single-threaded, with the
//! frame size bounded before anything is allocated.
//!
//! rav1d's only public API is dav1d's C-shaped one (`dav1d_open`, `dav1d_send_data`, …), which
//! takes raw pointers; this crate keeps those calls, and the only `unsafe` in idvault, in one
//! small place. Each handle rav1d gives out is owned by a guard that releases it on drop, so no
//! error path leaks a context, a data buffer or a picture.
//!
//! A panic inside rav1d cannot be caught by the caller: the `dav1d_*` functions are
//! `extern "C"`, and a panic that reaches such a boundary aborts the process. The fuzzer found
//! one (`testdata/abort-in-on-error.obu`: rav1d 1.1 unwraps a missing frame header in an error
//! path, src/decode.rs:4997), so idvault calls this crate only in a worker process of its own.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use rav1d::include::dav1d::data::Dav1dData;
use rav1d::include::dav1d::dav1d::{Dav1dContext, Dav1dLogger, Dav1dSettings};
use rav1d::include::dav1d::picture::Dav1dPicture;
use rav1d::src::lib::{
    dav1d_close, dav1d_data_create, dav1d_data_unref, dav1d_default_settings, dav1d_get_picture,
    dav1d_open, dav1d_picture_unref, dav1d_send_data,
};

/// A decoded picture's luma plane, reduced to 8 bits per sample, rows packed (`width` bytes
/// each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Luma {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// Why a picture was not decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    #[error("no AV1 data")]
    Empty,
    #[error("the AV1 decoder could not start (error {0})")]
    Open(i32),
    #[error("the AV1 data is corrupt or truncated (decoder error {0})")]
    Corrupt(i32),
    #[error("the AV1 data holds no picture")]
    NoPicture,
    #[error("the AV1 picture is {width}×{height}, over the {max_pixels}-pixel limit")]
    TooLarge {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    #[error("the AV1 decoder returned an unusable picture")]
    BadPicture,
}

/// `EAGAIN` as rav1d returns it (negated): "call the other function first".
const EAGAIN: i32 = -11;

/// Rounds of send/get before the data is declared undecodable. One still picture needs one or
/// two; the bound only keeps a decoder that keeps asking for more from looping forever.
const MAX_ROUNDS: usize = 64;

/// Decodes the first picture of the AV1 `data` (an image item's bytes: temporal unit OBUs),
/// after the `config_obus` of its `av1C` property (usually a copy of the sequence header; may be
/// empty), to 8-bit luma. Frames larger than `max_pixels` are refused by the decoder from their
/// header, before their buffers are allocated.
pub fn decode_luma(config_obus: &[u8], data: &[u8], max_pixels: u64) -> Result<Luma, Error> {
    let len = config_obus.len() + data.len();
    if data.is_empty() {
        return Err(Error::Empty);
    }
    let decoder = Decoder::open(max_pixels)?;
    let mut input = Data::copy_of(&[config_obus, data], len)?;
    for _ in 0..MAX_ROUNDS {
        if input.remaining() > 0 {
            let res = decoder.send(&mut input);
            if res < 0 && res != EAGAIN {
                return Err(Error::Corrupt(res));
            }
        }
        match decoder.picture() {
            Ok(picture) => return picture.luma(max_pixels),
            Err(EAGAIN) if input.remaining() > 0 => {}
            Err(EAGAIN) => return Err(Error::NoPicture),
            Err(res) => return Err(Error::Corrupt(res)),
        }
    }
    Err(Error::NoPicture)
}

/// An open rav1d context, closed on drop.
struct Decoder {
    context: Option<Dav1dContext>,
}

impl Decoder {
    /// One decoding thread and a frame delay of one: a still picture has nothing to gain from
    /// frame threads, and idvault already decodes one file per core. Film grain is not applied
    /// (noise the detector would have to ignore), nor is anything logged.
    fn open(max_pixels: u64) -> Result<Self, Error> {
        let mut settings = MaybeUninit::<Dav1dSettings>::uninit();
        // SAFETY: `settings` is valid to write to; dav1d_default_settings initialises every
        // field.
        unsafe { dav1d_default_settings(NonNull::from(&mut settings).cast()) };
        // SAFETY: initialised just above.
        let mut settings = unsafe { settings.assume_init() };
        settings.n_threads = 1;
        settings.max_frame_delay = 1;
        settings.apply_grain = 0;
        settings.all_layers = 0;
        settings.frame_size_limit = u32::try_from(max_pixels).unwrap_or(u32::MAX).max(1);
        // SAFETY: no callback, so nothing is ever called with the cookie.
        settings.logger = unsafe { Dav1dLogger::new(None, None) };
        let mut decoder = Decoder { context: None };
        // SAFETY: both pointers come from live references; `context` is written by the call.
        let res = unsafe {
            dav1d_open(
                Some(NonNull::from(&mut decoder.context)),
                Some(NonNull::from(&mut settings)),
            )
        };
        match (res.0, decoder.context.is_some()) {
            (0, true) => Ok(decoder),
            (res, _) => Err(Error::Open(res)),
        }
    }

    /// Hands (part of) `input` to the decoder; returns dav1d's result code.
    fn send(&self, input: &mut Data) -> i32 {
        // SAFETY: `context` came from dav1d_open and is closed only on drop; `input.0` is a live
        // Dav1dData made by dav1d_data_create, valid to read and write.
        unsafe { dav1d_send_data(self.context, Some(NonNull::from(&mut input.0))) }.0
    }

    /// The next decoded picture, or dav1d's (negative) result code.
    fn picture(&self) -> Result<Picture, i32> {
        let mut picture = Picture(Dav1dPicture::default());
        // SAFETY: `context` came from dav1d_open and is not closed yet; `picture.0` is valid to
        // write to (it holds no references yet, so nothing is overwritten unreleased).
        let res = unsafe { dav1d_get_picture(self.context, Some(NonNull::from(&mut picture.0))) };
        match res.0 {
            0 => Ok(picture),
            e => Err(e),
        }
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: `context` came from dav1d_open (or is None, which dav1d_close ignores);
        // dav1d_close takes it and leaves None behind, so it is closed once.
        unsafe { dav1d_close(Some(NonNull::from(&mut self.context))) };
    }
}

/// Input bytes in a buffer rav1d allocated (and reference-counts), released on drop.
struct Data(Dav1dData);

impl Data {
    /// A rav1d buffer of `len` bytes holding `parts` one after the other (`len` is their total).
    fn copy_of(parts: &[&[u8]], len: usize) -> Result<Self, Error> {
        let mut data = Data(Dav1dData::default());
        // SAFETY: `data.0` is valid to write to; on success the returned pointer is the start of
        // a buffer of `len` bytes owned by `data.0`.
        let ptr = unsafe { dav1d_data_create(Some(NonNull::from(&mut data.0)), len) };
        let ptr = NonNull::new(ptr).ok_or(Error::Open(-12))?;
        // SAFETY: the buffer is `len` bytes long, freshly allocated, and referenced by nothing
        // else until it is sent.
        let buf = unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr(), len) };
        let mut at = 0;
        for part in parts {
            buf[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        Ok(data)
    }

    /// Bytes the decoder has not consumed yet.
    fn remaining(&self) -> usize {
        self.0.sz
    }
}

impl Drop for Data {
    fn drop(&mut self) {
        // SAFETY: `self.0` was made by dav1d_data_create (and possibly advanced by
        // dav1d_send_data); unref releases its reference once and resets it.
        unsafe { dav1d_data_unref(Some(NonNull::from(&mut self.0))) };
    }
}

/// A picture rav1d returned, released on drop.
struct Picture(Dav1dPicture);

impl Picture {
    /// The luma plane at 8 bits, after checking every size rav1d reported.
    fn luma(&self, max_pixels: u64) -> Result<Luma, Error> {
        let p = &self.0.p;
        let (width, height) = (
            u32::try_from(p.w).map_err(|_| Error::BadPicture)?,
            u32::try_from(p.h).map_err(|_| Error::BadPicture)?,
        );
        if width == 0 || height == 0 {
            return Err(Error::BadPicture);
        }
        if u64::from(width) * u64::from(height) > max_pixels {
            return Err(Error::TooLarge {
                width,
                height,
                max_pixels,
            });
        }
        let shift = match p.bpc {
            8 => 0,
            10 => 2,
            12 => 4,
            _ => return Err(Error::BadPicture),
        };
        let sample = if shift == 0 { 1 } else { 2 };
        let (w, h) = (width as usize, height as usize);
        let stride = usize::try_from(self.0.stride[0]).map_err(|_| Error::BadPicture)?;
        let row_bytes = w * sample;
        if stride < row_bytes {
            return Err(Error::BadPicture);
        }
        let plane_len = stride
            .checked_mul(h - 1)
            .and_then(|n| n.checked_add(row_bytes))
            .ok_or(Error::BadPicture)?;
        let ptr = self.0.data[0].ok_or(Error::BadPicture)?;
        // SAFETY: rav1d's luma plane holds `h` rows of `stride` bytes each (the last one at
        // least `w` samples long), valid to read while the picture is referenced, which `self`
        // keeps it until drop.
        let plane = unsafe { std::slice::from_raw_parts(ptr.as_ptr().cast::<u8>(), plane_len) };
        let mut pixels = Vec::with_capacity(w * h);
        for row in plane.chunks(stride).take(h) {
            let row = &row[..row_bytes];
            if sample == 1 {
                pixels.extend_from_slice(row);
            } else {
                // Native-endian 16-bit samples, as rav1d stores them.
                pixels.extend(
                    row.chunks_exact(2)
                        .map(|s| (u16::from_ne_bytes([s[0], s[1]]) >> shift).min(255) as u8),
                );
            }
        }
        Ok(Luma {
            width,
            height,
            pixels,
        })
    }
}

impl Drop for Picture {
    fn drop(&mut self) {
        // SAFETY: `self.0` is a picture dav1d_get_picture filled in (or a default one, which
        // unref leaves alone); unref releases its references once and resets it.
        unsafe { dav1d_picture_unref(Some(NonNull::from(&mut self.0))) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ffmpeg's synthetic `testsrc2` test card, 64×48, one frame, coded by libaom at 8 and 10
    /// bits, and its 8-bit luma plane before coding. Made with ffmpeg 5.1:
    /// `ffmpeg -f lavfi -i testsrc2=s=64x48 -frames:v 1 -c:v libaom-av1 -still-picture 1
    /// -crf 20 -pix_fmt yuv420p[10le] -f obu eight.obu` (`ten.obu`), and the first 3072 bytes
    /// of the same with `-pix_fmt yuv420p -f rawvideo` (`luma.raw`).
    const EIGHT: &[u8] = include_bytes!("../testdata/eight.obu");
    const TEN: &[u8] = include_bytes!("../testdata/ten.obu");
    const LUMA: &[u8] = include_bytes!("../testdata/luma.raw");

    /// Mean absolute difference of two planes.
    fn distance(a: &[u8], b: &[u8]) -> f64 {
        let sum: u64 = a
            .iter()
            .zip(b)
            .map(|(x, y)| u64::from(x.abs_diff(*y)))
            .sum();
        sum as f64 / a.len() as f64
    }

    #[test]
    fn eight_and_ten_bit_pictures_decode_to_the_coded_luma() {
        for (name, data) in [("8-bit", EIGHT), ("10-bit", TEN)] {
            let luma = decode_luma(&[], data, 1 << 20).unwrap();
            assert_eq!((luma.width, luma.height), (64, 48), "{name}");
            assert_eq!(luma.pixels.len(), 64 * 48, "{name}");
            // Lossy coding moves samples a little; a wrong bit depth, stride or plane moves them
            // by tens.
            let d = distance(&luma.pixels, LUMA);
            assert!(d < 4.0, "{name}: mean difference {d}");
        }
    }

    #[test]
    fn frames_over_the_limit_are_refused() {
        assert!(decode_luma(&[], EIGHT, 64 * 48 - 1).is_err());
        assert!(decode_luma(&[], EIGHT, 64 * 48).is_ok());
    }

    #[test]
    fn truncated_data_is_an_error() {
        for len in [1, 10, EIGHT.len() / 2, EIGHT.len() - 1] {
            assert!(
                decode_luma(&[], &EIGHT[..len], 1 << 20).is_err(),
                "{len} bytes"
            );
        }
    }

    #[test]
    fn empty_and_garbage_data_are_errors() {
        assert_eq!(decode_luma(&[], &[], 1 << 20), Err(Error::Empty));
        let garbage: Vec<u8> = (0..4000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert!(decode_luma(&[], &garbage, 1 << 20).is_err());
        // A temporal delimiter alone: valid OBU syntax, no picture.
        assert!(decode_luma(&[], &[0x12, 0x00], 1 << 20).is_err());
    }
}
