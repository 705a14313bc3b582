//! What the frame samplers of recordings share ([`crate::media::mp4::frames`] for MP4, MOV and
//! 3GP, [`crate::media::matroska`] for MKV and WebM): the codecs' configurations, the keyframe
//! decoders, the decoded frame and the errors, and the time budget's clock.
//!
//! H.264 keyframes go through Cisco's OpenH264 (BSD-2, built from source by the `openh264`
//! crate with the C compiler the build already needs); HEVC keyframes (IDR/CRA pictures are
//! intra) through the pure-Rust HEVC intra decoder of `heic-rs`. Only luma is kept.

use std::time::Duration;

use image::{DynamicImage, GrayImage, RgbImage};

use crate::media::bmff::{self, MoovError};
use crate::media::decode;
use crate::media::limits::MOOV_MAX_BYTES;

/// Seconds between the frames sampled: a document shown to a camera stays in view for seconds.
pub const FRAME_GAP_SECS: f64 = 2.0;
/// Frames decoded from one screen recording at most (a minute at one every two seconds).
pub const MAX_FRAMES: usize = 30;
/// Decoding stops at this many times the decode budget in wall time, however little CPU time it
/// had: a bound for a machine busy beyond reason.
pub(crate) const WALL_FACTOR: u32 = 4;

/// Why no frame of a recording could be looked at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VideoError {
    #[error("no video track")]
    NoVideo,
    #[error("{0} video is not decoded")]
    Codec(String),
    #[error("the movie header is damaged: {0}")]
    Broken(&'static str),
    #[error("the movie header is larger than {} MiB", MOOV_MAX_BYTES >> 20)]
    TooLarge,
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("no keyframe could be decoded: {0}")]
    Undecodable(String),
    #[error("the recording is damaged: {0}")]
    Damaged(String),
}

/// One decoded frame.
#[derive(Debug)]
pub struct Frame {
    /// Seconds from the start of the track.
    pub second: f64,
    /// Working copy, long side at most [`decode::MAX_SIDE`].
    pub rgb: RgbImage,
    /// Decoded forward from a keyframe rather than on its own.
    pub between: bool,
}

/// What was decoded from a recording, and whether reading stopped at damage.
#[derive(Debug)]
pub struct Frames {
    pub frames: Vec<Frame>,
    /// Why reading stopped before the end of the file, when it did (a cut or damaged file).
    pub damaged: Option<String>,
}

impl From<MoovError> for VideoError {
    fn from(e: MoovError) -> Self {
        match e {
            MoovError::Io(e) => VideoError::Io(e),
            MoovError::TooLarge => VideoError::TooLarge,
            MoovError::Missing => VideoError::Broken("no movie header"),
            _ => VideoError::Broken("box"),
        }
    }
}

/// CPU time this thread has used.
pub(crate) fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        t.tv_sec.max(0) as u64,
        t.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// H.264 Annex B bytes: the parameter `sets`, then the NAL units of a length-prefixed sample.
pub(crate) fn annex_b(sets: &[Vec<u8>], sample: &[u8], length_size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(sample.len() + 64);
    let units = nal_units(sample, length_size);
    for unit in sets.iter().map(Vec::as_slice).chain(units) {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(unit);
    }
    out
}

/// The luma plane of a picture OpenH264 decoded.
pub(crate) fn yuv_luma(yuv: &impl openh264::formats::YUVSource) -> Result<GrayImage, String> {
    let (w, h) = yuv.dimensions();
    let stride = yuv.strides().0;
    luma(w, h, |x, y| yuv.y()[y * stride + x])
}

pub(crate) fn working_copy(gray: GrayImage) -> RgbImage {
    let (w, h) = gray.dimensions();
    let gray = if w.max(h) > decode::MAX_SIDE {
        let (tw, th) = decode::fit(w, h, decode::MAX_SIDE);
        image::imageops::thumbnail(&gray, tw, th)
    } else {
        gray
    };
    DynamicImage::ImageLuma8(gray).into_rgb8()
}

/// How the coded pictures of a track are decoded.
#[derive(Debug, PartialEq)]
pub(crate) enum Codec {
    /// H.264 with its SPS and PPS NAL units from `avcC`.
    Avc {
        sets: Vec<Vec<u8>>,
    },
    /// HEVC with its VPS, SPS and PPS NAL units from `hvcC`.
    Hevc {
        sets: Vec<Vec<u8>>,
    },
    Other(String),
}

/// Reads one NAL unit with a 2-byte length prefix at `*at`, moving past it.
fn nal(payload: &[u8], at: &mut usize) -> Option<Vec<u8>> {
    let n = bmff::be(payload, *at, 2)? as usize;
    let unit = payload.get(*at + 2..*at + 2 + n)?.to_vec();
    *at += 2 + n;
    Some(unit)
}

/// The H.264 parameter sets and NAL length size of an `AVCDecoderConfigurationRecord` (the
/// payload of MP4's `avcC`, Matroska's `CodecPrivate`).
pub(crate) fn avc_config(c: &[u8]) -> Result<(Codec, usize), VideoError> {
    let bad = || VideoError::Broken("avcC");
    let length_size = usize::from(*c.get(4).ok_or_else(bad)? & 3) + 1;
    let mut at = 6;
    let mut sets = Vec::new();
    for _ in 0..(c.get(5).ok_or_else(bad)? & 31) {
        sets.push(nal(c, &mut at).ok_or_else(bad)?);
    }
    let pps = *c.get(at).ok_or_else(bad)?;
    at += 1;
    for _ in 0..pps {
        sets.push(nal(c, &mut at).ok_or_else(bad)?);
    }
    Ok((Codec::Avc { sets }, length_size))
}

/// The HEVC parameter sets and NAL length size of an `HEVCDecoderConfigurationRecord` (`hvcC`).
pub(crate) fn hevc_config(c: &[u8]) -> Result<(Codec, usize), VideoError> {
    let bad = || VideoError::Broken("hvcC");
    let length_size = usize::from(*c.get(21).ok_or_else(bad)? & 3) + 1;
    let mut at = 23;
    let mut sets = Vec::new();
    for _ in 0..*c.get(22).ok_or_else(bad)? {
        at += 1;
        let count = bmff::be(c, at, 2).ok_or_else(bad)?;
        at += 2;
        for _ in 0..count {
            sets.push(nal(c, &mut at).ok_or_else(bad)?);
        }
    }
    // VPS, SPS, PPS in that order (types 32, 33, 34), as the intra decoder wants.
    sets.sort_by_key(|s| s.first().map(|b| (b >> 1) & 0x3F));
    Ok((Codec::Hevc { sets }, length_size))
}

/// Whether a sample (NAL units with `length_size`-byte prefixes) holds an intra picture a
/// decoder can start from: an H.264 IDR slice, an HEVC IRAP picture.
pub(crate) fn is_intra(codec: &Codec, sample: &[u8], length_size: usize) -> bool {
    nal_units(sample, length_size).any(|u| match (codec, u.first()) {
        (Codec::Avc { .. }, Some(b)) => b & 0x1F == 5,
        (Codec::Hevc { .. }, Some(b)) => (16..=23).contains(&((b >> 1) & 0x3F)),
        _ => false,
    })
}

/// A decoder for one track's keyframes.
pub(crate) enum Decoder<'a> {
    Avc {
        dec: Box<openh264::decoder::Decoder>,
        sets: &'a [Vec<u8>],
    },
    Hevc {
        sets: Vec<&'a [u8]>,
    },
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(codec: &'a Codec) -> Result<Self, VideoError> {
        match codec {
            Codec::Avc { sets } => {
                let dec = openh264::decoder::Decoder::new()
                    .map_err(|e| VideoError::Codec(format!("H.264 ({e})")))?;
                Ok(Decoder::Avc {
                    dec: Box::new(dec),
                    sets,
                })
            }
            Codec::Hevc { sets } => Ok(Decoder::Hevc {
                sets: sets.iter().map(Vec::as_slice).collect(),
            }),
            Codec::Other(fourcc) => Err(VideoError::Codec(format!("`{fourcc}`"))),
        }
    }

    /// Decodes one keyframe sample shown at `second` into a working copy; a panic in the
    /// decoder is an error on that frame only.
    pub(crate) fn frame(
        &mut self,
        sample: &[u8],
        length_size: usize,
        second: f64,
    ) -> Result<Frame, String> {
        let run = || self.decode(sample, length_size);
        match crate::isolate::per_file(run) {
            Ok(Ok(gray)) => Ok(Frame {
                second,
                rgb: working_copy(gray),
                between: false,
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("the decoder failed".into()),
        }
    }

    /// Decodes one keyframe sample (NAL units with `length_size`-byte prefixes) to its luma.
    fn decode(&mut self, sample: &[u8], length_size: usize) -> Result<GrayImage, String> {
        match self {
            Decoder::Avc { dec, sets } => {
                let yuv = dec
                    .decode(&annex_b(sets, sample, length_size))
                    .map_err(|e| e.to_string())?
                    .ok_or("no picture came out of a keyframe")?;
                yuv_luma(&yuv)
            }
            Decoder::Hevc { sets } => {
                // Coded slices only (NAL types 0–31): no parameter sets, SEI or delimiters.
                let slices: Vec<&[u8]> = nal_units(sample, length_size)
                    .filter(|u| u.first().is_some_and(|b| (b >> 1) & 0x3F < 32))
                    .collect();
                let f = heic_rs::hevc::decode_still(sets, &slices).map_err(|e| e.to_string())?;
                let shift = f.bit_depth.saturating_sub(8);
                let stride = f.y_stride as usize;
                luma(f.width as usize, f.height as usize, |x, y| {
                    (f.y[y * stride + x] >> shift).min(255) as u8
                })
            }
        }
    }
}

fn luma(w: usize, h: usize, at: impl Fn(usize, usize) -> u8) -> Result<GrayImage, String> {
    if (w as u64) * (h as u64) > decode::MAX_PIXELS || w == 0 || h == 0 {
        return Err(format!("{w}×{h} frame"));
    }
    let data: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (y, x)))
        .map(|(y, x)| at(x, y))
        .collect();
    GrayImage::from_raw(w as u32, h as u32, data).ok_or_else(|| "frame size mismatch".into())
}

/// The NAL units of a sample whose units carry `length_size`-byte big-endian length prefixes.
fn nal_units(mut sample: &[u8], length_size: usize) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let (len, rest) = sample.split_at_checked(length_size)?;
        let n = len.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
        let (unit, rest) = rest.split_at_checked(n)?;
        sample = rest;
        Some(unit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nal_units_stop_at_a_short_unit() {
        let sample = [0, 0, 0, 2, 0x65, 1, 0, 0, 0, 9, 1];
        let units: Vec<&[u8]> = nal_units(&sample, 4).collect();
        assert_eq!(units, vec![&[0x65, 1][..]]);
    }
}
