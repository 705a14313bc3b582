//! What the frame samplers of recordings share ([`crate::media::mp4::frames`] for MP4, MOV and
//! 3GP, [`crate::media::matroska`] for MKV and WebM): the codecs' configurations, the keyframe
//! decoders, the decoded frame and the errors, and the time budget's clock.
//!
//! H.264 keyframes go through Cisco's OpenH264 (BSD-2, built from source by the `openh264`
//! crate with the C compiler the build already needs); HEVC keyframes (IDR/CRA pictures are
//! intra) through the pure-Rust HEVC intra decoder of `heic-rs`; VP8 keyframes (a browser's
//! WebM) through `image-webp`'s VP8 decoder (pure Rust, image-rs's: a lossy WebP picture is a VP8
//! keyframe); AV1 keyframes through the rav1d wrapper AVIF stills use (`idvault-av1`). VP9 is
//! not decoded: no well-kept pure-Rust decoder exists. Only luma is kept.
//!
//! Which pictures are decoded is planned here for both containers ([`plan`]) from what their
//! tables or blocks say of each coded picture — when it is shown, how many bytes it takes,
//! whether it is a keyframe — before any is decoded: keyframes about [`FRAME_GAP_SECS`] apart,
//! then one picture of each view no chosen keyframe shows. A coded picture's size says where the
//! view changes: a picture that re-codes a good part of what a keyframe codes shows something
//! new (a cut to another screen, a document held up), while a still screen costs a few bytes a
//! picture. A view that comes and goes between two keyframes (a document shown for a second or
//! two) is decoded forward from the keyframe before it (H.264), within the time budget
//! ([`Clock`]), which grows with the length of the recording.

use std::time::{Duration, Instant};

use image::{DynamicImage, GrayImage, RgbImage};

use crate::media::bmff::{self, MoovError};
use crate::media::decode;
use crate::media::limits::MOOV_MAX_BYTES;

/// Seconds between the keyframes sampled: a document shown to a camera stays in view for seconds.
pub const FRAME_GAP_SECS: f64 = 2.0;
/// Keyframes decoded from one screen recording at most (a minute at one every two seconds);
/// views no chosen keyframe shows add at most half as many frames again.
pub const MAX_FRAMES: usize = 30;
/// A picture between keyframes coding at least this fraction of the bytes of the keyframe before
/// it shows a new view (a cut to another screen codes about as much as a keyframe; a still
/// screen's pictures a few hundred bytes; a document a fifth of the screen wide, a tenth).
const CUT_SHARE: f64 = 1.0 / 16.0;
/// ... and at least this many times the bytes of the picture before it: a camera moving or a
/// page scrolling codes every picture about alike, and is cut by [`DRIFT_SHARE`] instead.
const JUMP: f64 = 4.0;
/// Pictures coding this many keyframes' bytes since a view began show another view by then (a
/// camera moving, a page scrolled slowly), when the view has lasted [`FRAME_GAP_SECS`].
const DRIFT_SHARE: f64 = 1.0;
/// A keyframe whose size differs from the keyframe before by more than this fraction shows
/// another view (the same still screen codes to the same size, give or take a few per cent).
const KEY_CHANGE: f64 = 1.0 / 8.0;
/// Views shorter than this are passing (a scroll, an animation): not decoded on their own.
const MIN_VIEW_SECS: f64 = 0.5;
/// A view is decoded this long after it began, once an animation into it has settled.
const SETTLE_SECS: f64 = 0.2;
/// Decoding stops after the budget of this many minutes, however long the recording.
const MAX_BUDGET_MINUTES: f64 = 10.0;
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
    /// Width and height of the picture as coded, before the working copy shrank it.
    pub size: (u32, u32),
    /// Decoded forward from a keyframe rather than on its own.
    pub between: bool,
}

impl Frame {
    /// The frame of a decoded picture's luma, shown at `second`.
    pub(crate) fn new(gray: GrayImage, second: f64, between: bool) -> Self {
        let size = gray.dimensions();
        Frame {
            second,
            rgb: working_copy(gray),
            size,
            between,
        }
    }
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
fn annex_b(sets: &[Vec<u8>], sample: &[u8], length_size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(sample.len() + 64);
    let units = nal_units(sample, length_size);
    for unit in sets.iter().map(Vec::as_slice).chain(units) {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(unit);
    }
    out
}

/// Samples decoded past the last wanted one of a run, for a picture held back by B-frame
/// reordering to come out (H.264 allows up to 16 frames of delay; encoders use 2–4).
pub(crate) const REORDER_SLACK: usize = 16;

/// One sample of an H.264 run decoded forward from a keyframe: its bytes (NAL units with
/// length prefixes), the second it is shown at, and whether its picture is wanted.
pub(crate) struct RunSample {
    pub data: Vec<u8>,
    pub second: f64,
    pub wanted: bool,
}

/// Decodes H.264 forward in decoding order from a keyframe (the first of `samples`, which gets
/// the parameter `sets`), keeping the pictures of the `wanted` samples, until the last of them
/// (`wanted` in all) has come out, the samples end (a `None`: one could not be read) or `passed`
/// says the time is up. With B-frames (`reordered`) pictures come out in display order a few
/// samples late, and the first picture out that is shown at or after a wanted sample's time
/// (`second`: when it is shown, not decoded) is taken; without, each sample's picture is
/// flushed out at once. A decoding error ends the run with the frames
/// taken so far.
pub(crate) fn forward_avc(
    sets: &[Vec<u8>],
    length_size: usize,
    reordered: bool,
    wanted: usize,
    samples: impl Iterator<Item = Option<RunSample>>,
    passed: impl Fn() -> bool,
) -> Vec<Frame> {
    use openh264::decoder::{DecoderConfig, Flush};
    let mut out = Vec::new();
    // Forcing a picture out breaks B-frames' reordering.
    let flush = if reordered {
        Flush::NoFlush
    } else {
        Flush::Auto
    };
    let config = DecoderConfig::new().flush_after_decode(flush);
    let api = openh264::OpenH264API::from_source();
    let Ok(mut dec) = openh264::decoder::Decoder::with_api_config(api, config) else {
        return out;
    };
    let (mut seen, mut pending, mut since) = (0, None::<f64>, 0);
    let mut first = true;
    // Pictures come out in display order, so the n-th picture out is shown at the n-th earliest
    // time of the samples fed so far; a picture is taken once one shown at or after the wanted
    // sample's time comes out (with B-frames, the picture out after a wanted sample is often
    // one shown before it: the keyframe's, not the view that began after it).
    let (mut shown, mut out_n) = (Vec::<f64>::new(), 0);
    let mut take =
        |yuv: &openh264::decoder::DecodedYUV<'_>, shown: &[f64], pending: &mut Option<f64>| {
            let at = shown.get(out_n).copied();
            out_n += 1;
            if let (Some(at), Some(want)) = (at, *pending)
                && at >= want - 1e-3
                && let Ok(gray) = yuv_luma(yuv)
            {
                *pending = None;
                out.push(Frame::new(gray, at, true));
            }
        };
    for sample in samples {
        if passed() || (seen == wanted && pending.is_none()) || since > REORDER_SLACK {
            break;
        }
        let Some(s) = sample else {
            break;
        };
        if s.wanted {
            seen += 1;
            since = 0;
            pending = pending.or(Some(s.second));
        } else if pending.is_some() {
            since += 1;
        }
        shown.insert(shown.partition_point(|&x| x <= s.second), s.second);
        let head: &[Vec<u8>] = if first { sets } else { &[] };
        first = false;
        match dec.decode(&annex_b(head, &s.data, length_size)) {
            Ok(Some(yuv)) => take(&yuv, &shown, &mut pending),
            Ok(None) => {}
            Err(_) => break,
        }
    }
    // The pictures still held back for reordering when the samples ended come out now.
    if pending.is_some()
        && !passed()
        && let Ok(rest) = dec.flush_remaining()
    {
        for yuv in &rest {
            take(yuv, &shown, &mut pending);
        }
    }
    out
}

/// One coded picture of a track, in decoding order: the second it is shown at, its bytes, and
/// whether a decoder can start from it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Coded {
    pub second: f64,
    pub bytes: u64,
    pub key: bool,
}

/// A picture to decode: its index in decoding order, and the index of the keyframe its decoding
/// starts from (its own for a keyframe).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Take {
    pub from: usize,
    pub at: usize,
}

/// Which pictures of a track (`coded`, in decoding order) to decode: the keyframes at least
/// [`FRAME_GAP_SECS`] apart, thinned evenly to `max`; then, for each view that none of them
/// shows and that lasts [`MIN_VIEW_SECS`], a keyframe inside it, or (when `between`: the codec is
/// decoded forward) its picture [`SETTLE_SECS`] after it began, at most `max / 2` of these.
/// Keyframes come first, then the others in order.
pub(crate) fn plan(coded: &[Coded], max: usize, between: bool) -> Vec<Take> {
    let gap_from = |last: Option<usize>, t: f64| {
        last.is_none_or(|l: usize| t >= coded[l].second + FRAME_GAP_SECS)
    };
    let mut keys: Vec<usize> = Vec::new();
    for (i, c) in coded.iter().enumerate() {
        if c.key && gap_from(keys.last().copied(), c.second) {
            keys.push(i);
        }
    }
    if keys.len() > max {
        let n = keys.len();
        keys = (0..max).map(|k| keys[k * n / max]).collect();
    }
    let mut takes: Vec<Take> = keys.iter().map(|&k| Take { from: k, at: k }).collect();
    let mut extra = Vec::new();
    let mut last_key: Option<usize> = None;
    for (start, end) in views(coded) {
        let key_in = (start..end).find(|&i| coded[i].key);
        let view_key = key_in.or(last_key);
        if let Some(k) = (start..end).rev().find(|&i| coded[i].key) {
            last_key = Some(k);
        }
        let shown = keys.iter().any(|&k| (start..end).contains(&k));
        let until = coded
            .get(end)
            .map_or_else(|| coded[end - 1].second + SETTLE_SECS, |c| c.second);
        if shown || until - coded[start].second < MIN_VIEW_SECS {
            continue;
        }
        let take = match (key_in, view_key) {
            (Some(k), _) => Take { from: k, at: k },
            (None, Some(from)) if between => {
                // Once an animation into the view has settled: the first quiet picture
                // [`SETTLE_SECS`] in, or the first picture then.
                let settled = coded[start].second + SETTLE_SECS;
                let quiet = CUT_SHARE * coded[from].bytes as f64;
                let after = (start..end).filter(|&i| coded[i].second >= settled);
                let at = after
                    .clone()
                    .find(|&i| (coded[i].bytes as f64) < quiet)
                    .or_else(|| after.clone().next())
                    .unwrap_or(start);
                Take { from, at }
            }
            _ => continue,
        };
        extra.push(take);
    }
    let room = max / 2;
    if extra.len() > room {
        let n = extra.len();
        extra = (0..room).map(|k| extra[k * n / room]).collect();
    }
    takes.extend(extra);
    takes
}

/// The views of a track as ranges of picture indices (start inclusive, end exclusive), split
/// where a picture shows something new: a picture between keyframes coding [`CUT_SHARE`] of
/// the keyframe before it and [`JUMP`] times the picture before it, pictures coding [`DRIFT_SHARE`] of it since the view began once it
/// has lasted [`FRAME_GAP_SECS`], a keyframe of another size than the one before
/// ([`KEY_CHANGE`]).
fn views(coded: &[Coded]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let (mut start, mut since, mut before) = (0, 0.0, f64::INFINITY);
    let mut key_bytes: Option<f64> = None;
    // Whether the view changed since the last keyframe: a keyframe after a change is of another
    // size for that change, already seen.
    let mut changed = false;
    for (i, c) in coded.iter().enumerate() {
        let bytes = c.bytes as f64;
        let new = match (c.key, key_bytes) {
            (true, Some(k)) => !changed && (bytes - k).abs() > KEY_CHANGE * k,
            (false, Some(k)) => {
                since += bytes;
                let cut = bytes >= CUT_SHARE * k && bytes >= JUMP * before;
                before = bytes;
                cut || (since >= DRIFT_SHARE * k
                    && c.second >= coded[start].second + FRAME_GAP_SECS)
            }
            (_, None) => false,
        };
        if c.key {
            key_bytes = Some(bytes.max(1.0));
            (since, changed) = (0.0, false);
        }
        if new && i > start {
            out.push((start, i));
            (start, since) = (i, 0.0);
            changed |= !c.key;
        }
    }
    if start < coded.len() {
        out.push((start, coded.len()));
    }
    out
}

/// The decoding budget of a recording whose pictures run to `last_second`: `per_minute` for
/// each minute of it (a minute at least, [`MAX_BUDGET_MINUTES`] at most), counted in this
/// thread's CPU time so that what is seen does not depend on how busy the machine is, with a
/// wall-clock bound ([`WALL_FACTOR`] times it) for a machine busy beyond reason.
pub(crate) struct Clock {
    cpu_start: Duration,
    budget: Duration,
    wall_limit: Instant,
}

impl Clock {
    pub(crate) fn start(per_minute: Duration) -> Self {
        Clock {
            cpu_start: thread_cpu(),
            budget: per_minute,
            wall_limit: Instant::now() + per_minute.saturating_mul(WALL_FACTOR),
        }
    }

    /// Sets the budget for a recording whose pictures run to `last_second`.
    pub(crate) fn for_length(&mut self, last_second: f64) {
        let minutes = (last_second / 60.0).clamp(1.0, MAX_BUDGET_MINUTES);
        let more = self.budget.mul_f64(minutes) - self.budget;
        self.budget += more;
        self.wall_limit += more.saturating_mul(WALL_FACTOR);
    }

    /// CPU time left of the budget (zero once the wall-clock bound has passed).
    pub(crate) fn left(&self) -> Duration {
        if Instant::now() > self.wall_limit {
            return Duration::ZERO;
        }
        self.budget
            .saturating_sub(thread_cpu().saturating_sub(self.cpu_start))
    }
}

/// One run of H.264 pictures decoded forward from a keyframe: how many of its samples are
/// wanted, and its samples from the keyframe on (a `None`: one could not be read).
pub(crate) struct Run<I> {
    pub wanted: usize,
    pub samples: I,
}

/// Decodes `runs` ([`forward_avc`]), in the order given (the cheapest first: [`runs_of`]),
/// while the `clock` has time left; a run cut short by it still gives the pictures it reached,
/// and a panic in the decoder ends that run only.
pub(crate) fn decode_runs<I: Iterator<Item = Option<RunSample>>>(
    sets: &[Vec<u8>],
    length_size: usize,
    reordered: bool,
    runs: Vec<Run<I>>,
    clock: &Clock,
) -> Vec<Frame> {
    let mut out = Vec::new();
    for run in runs {
        if clock.left().is_zero() {
            break;
        }
        let passed = || clock.left().is_zero();
        let decode = || {
            forward_avc(
                sets,
                length_size,
                reordered,
                run.wanted,
                run.samples,
                passed,
            )
        };
        out.extend(crate::isolate::per_file(decode).unwrap_or_default());
    }
    out
}

/// The runs that decode the `takes` that are not keyframes: one per keyframe they start from,
/// as (keyframe index, the indices of the pictures wanted, ascending), the shortest first:
/// every picture from the keyframe on is decoded, so a view close after its keyframe is the
/// cheapest to see.
pub(crate) fn runs_of(takes: &[Take]) -> Vec<(usize, Vec<usize>)> {
    let mut runs: Vec<(usize, Vec<usize>)> = Vec::new();
    for t in takes.iter().filter(|t| t.at != t.from) {
        match runs.iter_mut().find(|(from, _)| *from == t.from) {
            Some((_, wanted)) => wanted.push(t.at),
            None => runs.push((t.from, vec![t.at])),
        }
    }
    for (_, wanted) in &mut runs {
        wanted.sort_unstable();
        wanted.dedup();
    }
    runs.sort_by_key(|(from, wanted)| (wanted.last().map_or(0, |w| w - from), *from));
    runs
}

/// The luma plane of a picture OpenH264 decoded.
fn yuv_luma(yuv: &impl openh264::formats::YUVSource) -> Result<GrayImage, String> {
    let (w, h) = yuv.dimensions();
    let stride = yuv.strides().0;
    luma(w, h, |x, y| yuv.y()[y * stride + x])
}

fn working_copy(gray: GrayImage) -> RgbImage {
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
    /// VP8: each keyframe stands alone.
    Vp8,
    /// AV1 with the configuration OBUs of its `av1C` (usually the sequence header).
    Av1 {
        config: Vec<u8>,
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

/// The configuration OBUs of an `AV1CodecConfigurationRecord` (MP4's `av1C`, Matroska's
/// `CodecPrivate`): what follows its four bytes of marker, profile, level and sampling.
pub(crate) fn av1_config(c: &[u8]) -> Result<(Codec, usize), VideoError> {
    let config = c.get(4..).ok_or(VideoError::Broken("av1C"))?.to_vec();
    Ok((Codec::Av1 { config }, 0))
}

/// Whether a sample holds an intra picture a decoder can start from: an H.264 IDR slice, an
/// HEVC IRAP picture (NAL units with `length_size`-byte prefixes), a VP8 keyframe (the frame
/// tag's low bit clear, then the keyframe start code), an AV1 temporal unit that carries a
/// sequence header (MP4's and Matroska's AV1 mappings put one in every keyframe).
pub(crate) fn is_intra(codec: &Codec, sample: &[u8], length_size: usize) -> bool {
    match codec {
        Codec::Vp8 => vp8_keyframe_size(sample).is_some(),
        Codec::Av1 { .. } => av1_has_sequence_header(sample),
        _ => nal_units(sample, length_size).any(|u| match (codec, u.first()) {
            (Codec::Avc { .. }, Some(b)) => b & 0x1F == 5,
            (Codec::Hevc { .. }, Some(b)) => (16..=23).contains(&((b >> 1) & 0x3F)),
            _ => false,
        }),
    }
}

/// Whether an AV1 temporal unit (OBUs, each with its size field) holds a sequence header OBU.
fn av1_has_sequence_header(mut tu: &[u8]) -> bool {
    while let Some(&head) = tu.first() {
        let kind = (head >> 3) & 0xF;
        if kind == 1 {
            return true;
        }
        // Without a size field the OBU runs to the end of the unit.
        let mut at = 1 + usize::from(head & 4 != 0);
        if head & 2 == 0 {
            return false;
        }
        let mut size = 0usize;
        for k in 0..8 {
            let Some(&b) = tu.get(at) else { return false };
            at += 1;
            size |= usize::from(b & 0x7F) << (7 * k);
            if b & 0x80 == 0 {
                break;
            }
        }
        match at.checked_add(size).and_then(|end| tu.get(end..)) {
            Some(rest) => tu = rest,
            None => return false,
        }
    }
    false
}

/// Width and height of a VP8 keyframe, from its uncompressed header (RFC 6386 9.1: a 3-byte
/// frame tag whose low bit is 0 for a keyframe, the start code 9d 01 2a, then 14-bit width and
/// height); `None` for an interframe or a short sample.
fn vp8_keyframe_size(sample: &[u8]) -> Option<(u32, u32)> {
    let head = sample.get(..10)?;
    if head[0] & 1 != 0 || head[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let dim = |at: usize| u32::from(u16::from_le_bytes([head[at], head[at + 1]]) & 0x3FFF);
    Some((dim(6), dim(8)))
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
    Vp8,
    Av1 {
        config: &'a [u8],
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
            Codec::Vp8 => Ok(Decoder::Vp8),
            Codec::Av1 { config } => Ok(Decoder::Av1 { config }),
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
            Ok(Ok(gray)) => Ok(Frame::new(gray, second, false)),
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
            Decoder::Vp8 => {
                // The size is checked from the header first: the decoder allocates its planes
                // from it, up to 16383 × 16383.
                let (w, h) = vp8_keyframe_size(sample).ok_or("not a VP8 keyframe")?;
                if u64::from(w) * u64::from(h) > decode::MAX_PIXELS {
                    return Err(format!("{w}×{h} frame"));
                }
                let f = image_webp::vp8::Vp8Decoder::decode_frame(std::io::Cursor::new(sample))
                    .map_err(|e| e.to_string())?;
                // The planes are whole macroblocks wide.
                let stride = usize::from(f.width).div_ceil(16) * 16;
                let plane = &f.ybuf;
                if plane.len() < stride * usize::from(f.height) {
                    return Err("a VP8 frame's luma plane is short".into());
                }
                luma(usize::from(f.width), usize::from(f.height), |x, y| {
                    plane[y * stride + x]
                })
            }
            Decoder::Av1 { config } => {
                let l = idvault_av1::decode_luma(config, sample, decode::MAX_PIXELS)
                    .map_err(|e| e.to_string())?;
                GrayImage::from_raw(l.width, l.height, l.pixels)
                    .ok_or_else(|| "an AV1 frame's size does not match its pixels".into())
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
        if length_size == 0 {
            return None;
        }
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

    /// Pictures at 5 fps: a keyframe of 10 kB every `gop` pictures, 100 B for a still screen,
    /// and a cut of 8 kB at each picture in `cuts`.
    fn track(n: usize, gop: usize, cuts: &[usize]) -> Vec<Coded> {
        (0..n)
            .map(|i| Coded {
                second: i as f64 / 5.0,
                bytes: if i % gop == 0 {
                    10_000
                } else if cuts.contains(&i) {
                    8_000
                } else {
                    100
                },
                key: i % gop == 0,
            })
            .collect()
    }

    #[test]
    fn a_view_between_keyframes_is_decoded_from_the_keyframe_before_it() {
        // Keyframes every 2 s; a view from 2.4 s to 3.8 s, then the view before it again.
        let coded = track(40, 10, &[12, 19]);
        let takes = plan(&coded, MAX_FRAMES, true);
        let keys: Vec<Take> = [0, 10, 20, 30].map(|k| Take { from: k, at: k }).to_vec();
        assert_eq!(takes[..4], keys[..]);
        assert_eq!(takes[4..], [Take { from: 10, at: 13 }]);
        // Without a forward decoder, keyframes only.
        assert_eq!(plan(&coded, MAX_FRAMES, false), keys);
        // A still recording: its keyframes, nothing between them.
        assert_eq!(plan(&track(40, 10, &[]), MAX_FRAMES, true), keys);
        // A view shown for less than half a second is passing.
        assert_eq!(plan(&track(40, 10, &[12, 14]), MAX_FRAMES, true), keys);
        // A view from 5 s on, whose keyframe at 6 s codes to another size for it: that keyframe
        // shows it.
        let mut coded = track(40, 10, &[25]);
        coded[30].bytes = 14_000;
        assert_eq!(plan(&coded, MAX_FRAMES, true), keys);
    }

    #[test]
    fn long_gaps_between_keyframes_are_cut_into_views_by_picture_size() {
        // Keyframes 10 s apart: views begin at 3 s, 7 s and 9 s; the first keyframe shows the
        // first view, the second the last.
        let coded = track(60, 50, &[15, 35, 45]);
        let takes = plan(&coded, MAX_FRAMES, true);
        assert_eq!(
            takes,
            [
                Take { from: 0, at: 0 },
                Take { from: 50, at: 50 },
                Take { from: 0, at: 16 },
                Take { from: 0, at: 36 },
            ]
        );
        assert_eq!(runs_of(&takes), vec![(0, vec![16, 36])]);
        // A camera moving: pictures of 2 kB, none a jump from the one before, add up to a
        // keyframe's worth every 5 pictures, and a view is cut every 2 s at the most.
        let moving: Vec<Coded> = track(60, 50, &[])
            .into_iter()
            .map(|c| Coded {
                bytes: if c.key { c.bytes } else { 2_000 },
                ..c
            })
            .collect();
        let between: Vec<usize> = plan(&moving, MAX_FRAMES, true)
            .iter()
            .filter(|t| t.at != t.from)
            .map(|t| t.at)
            .collect();
        assert_eq!(between, vec![11, 21, 31, 56]);
    }

    #[test]
    fn views_are_bounded_and_a_keyframe_inside_one_is_taken_alone() {
        // Keyframes every second (every other one sampled), a cut onto each unsampled one that
        // changes its size: the view is shown by that keyframe, decoded on its own.
        let mut coded = track(40, 5, &[]);
        coded[15].bytes = 14_000;
        let takes = plan(&coded, MAX_FRAMES, true);
        assert!(takes.contains(&Take { from: 15, at: 15 }), "{takes:?}");
        assert!(!takes.iter().any(|t| t.at == 5 || t.at == 25), "{takes:?}");
        // A cut every second for ten minutes: at most half as many views as keyframes.
        let cuts: Vec<usize> = (0..3000).filter(|i| i % 5 == 2).collect();
        let takes = plan(&track(3000, 3000, &cuts), 30, true);
        assert_eq!(takes.iter().filter(|t| t.at == t.from).count(), 1);
        assert_eq!(takes.len(), 1 + 15);
    }

    #[test]
    fn a_vp8_keyframe_is_told_by_its_header() {
        // Frame tag (keyframe, shown), start code, 640 × 360 with scaling bits set.
        let key = [0x50, 0x2d, 0x01, 0x9d, 0x01, 0x2a, 0x80, 0x42, 0x68, 0x41];
        assert_eq!(vp8_keyframe_size(&key), Some((640, 360)));
        assert!(is_intra(&Codec::Vp8, &key, 0));
        let mut inter = key;
        inter[0] |= 1;
        assert!(!is_intra(&Codec::Vp8, &inter, 0));
        assert!(!is_intra(&Codec::Vp8, &key[..9], 0));
    }

    #[test]
    fn an_av1_keyframe_is_told_by_its_sequence_header() {
        let av1 = Codec::Av1 { config: Vec::new() };
        // Temporal delimiter (type 2, size 0), then a sequence header (type 1) of 2 bytes.
        assert!(is_intra(&av1, &[0x12, 0x00, 0x0A, 0x02, 0xAA, 0xBB], 0));
        // Temporal delimiter, then a frame OBU (type 6).
        assert!(!is_intra(&av1, &[0x12, 0x00, 0x32, 0x01, 0xAA], 0));
        // A size running past the end, a size field that never ends.
        assert!(!is_intra(&av1, &[0x12, 0x7F], 0));
        assert!(!is_intra(&av1, &[0x12, 0xFF, 0xFF], 0));
        assert_eq!(nal_units(&[0, 0, 1], 0).count(), 0);
    }

    #[test]
    fn nal_units_stop_at_a_short_unit() {
        let sample = [0, 0, 0, 2, 0x65, 1, 0, 0, 0, 9, 1];
        let units: Vec<&[u8]> = nal_units(&sample, 4).collect();
        assert_eq!(units, vec![&[0x65, 1][..]]);
    }
}
