//! Frames of a recording (MP4, MOV, 3GP) for the detector: the video track's sample tables are
//! read with the box reader in [`crate::media::bmff`], and its keyframes — about one every
//! [`FRAME_GAP_SECS`] seconds, at most [`MAX_FRAMES`] — are decoded on their own, so a frame
//! costs one intra picture. Where sampled keyframes lie more than [`FILL_GAP_SECS`] apart, an
//! H.264 track is then decoded forward from the keyframe before the gap to take frames about
//! [`FRAME_GAP_SECS`] apart inside it, while the time budget lasts.
//!
//! H.264 keyframes go through Cisco's OpenH264 (BSD-2, built from source by the `openh264`
//! crate with the C compiler the build already needs); HEVC keyframes (IDR/CRA pictures are
//! intra) through the pure-Rust HEVC intra decoder of `heic-rs`. Only luma is kept. The
//! decoders and the codec configurations here serve [`super::matroska`] too.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::time::{Duration, Instant};

use image::{DynamicImage, GrayImage, RgbImage};

use crate::media::bmff;
use crate::media::decode;
use crate::media::limits::MOOV_MAX_BYTES;

/// Seconds between the frames sampled: a document shown to a camera stays in view for seconds.
pub const FRAME_GAP_SECS: f64 = 2.0;
/// Frames decoded from one screen recording at most (a minute at one every two seconds).
pub const MAX_FRAMES: usize = 30;
/// Sampled keyframes further apart than this have the frames between them decoded too (H.264):
/// iOS and some Android recorders write a keyframe only every several seconds, and a document
/// shown for a few seconds between two of them would be missed.
const FILL_GAP_SECS: f64 = 2.0 * FRAME_GAP_SECS;
/// Decoding stops at this many times the decode budget in wall time, however little CPU time it
/// had: a bound for a machine busy beyond reason.
pub(crate) const WALL_FACTOR: u32 = 4;
/// Samples decoded past the last target of a stretch, for a picture held back by B-frame
/// reordering to come out (H.264 allows up to 16 frames of delay; encoders use 2–4).
const REORDER_SLACK: usize = 16;
/// A keyframe larger than this is not read (a 4K intra picture is a few MB).
pub(crate) const MAX_SAMPLE_BYTES: u64 = 32 * 1024 * 1024;
/// Samples in the track's tables at most (ten hours at 60 fps).
const MAX_SAMPLES: usize = 2_200_000;
/// Top-level boxes looked through for `moov`.
const MAX_TOP_BOXES: usize = 1000;

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

/// Decodes the sampled keyframes of the recording in `file` (`len` bytes), at most `max` of
/// them, and none started after `budget` of this thread's CPU time has passed. Frames that fail to decode are skipped;
/// an error means none could be.
pub fn frames(
    file: &mut File,
    len: u64,
    max: usize,
    budget: Duration,
) -> Result<Vec<Frame>, VideoError> {
    let (start, cpu_start) = (Instant::now(), thread_cpu());
    let moov = read_moov(file, len)?;
    let track = video_track(&moov)?;
    let chosen = pick(&track, max);
    let mut decoder = Decoder::new(&track.codec)?;
    let mut out = Vec::new();
    let mut last_err = None;
    // The budget is this thread's CPU time, so that how many keyframes are seen does not depend
    // on how busy the machine is; a wall-clock bound still stops a machine busy beyond reason.
    let wall_limit = start + budget.saturating_mul(WALL_FACTOR);
    for &i in &chosen {
        if thread_cpu().saturating_sub(cpu_start) > budget || Instant::now() > wall_limit {
            break;
        }
        let second = track.second(i);
        let decoded = read_sample(file, len, track.samples[i])
            .and_then(|data| decoder.frame(&data, track.length_size, second));
        match decoded {
            Ok(f) => out.push(f),
            Err(e) => last_err = Some(e),
        }
    }
    // Then, with the time and frames left, the long stretches between keyframes. Their time is
    // this thread's CPU time (the keyframes' included), so what is seen does not depend on how
    // busy the machine is; each
    // stretch gets an even share of what is left, so a long recording's last stretches are
    // looked at too. A wall-clock bound still stops a run on a machine busy beyond reason.
    if let Codec::Avc { sets } = &track.codec {
        let runs = fill(&track, &chosen, max.saturating_sub(out.len()));
        for (k, (from, targets)) in runs.iter().enumerate() {
            let left = budget.saturating_sub(thread_cpu().saturating_sub(cpu_start));
            if left.is_zero() || Instant::now() > wall_limit {
                break;
            }
            let limit = Limit {
                cpu: thread_cpu() + left / (runs.len() - k) as u32,
                wall: wall_limit,
            };
            let run = || forward(file, len, &track, sets, *from, targets, &limit);
            match crate::isolate::per_file(run) {
                Ok(frames) => out.extend(frames),
                Err(_) => last_err = Some("the decoder failed".into()),
            }
        }
        out.sort_by(|a, b| a.second.total_cmp(&b.second));
    }
    match (out.is_empty(), last_err) {
        (true, Some(e)) => Err(VideoError::Undecodable(e)),
        _ => Ok(out),
    }
}

/// Reads one sample, at (file offset, size), checked against the file and [`MAX_SAMPLE_BYTES`].
fn read_sample(file: &mut File, len: u64, (offset, size): (u64, u64)) -> Result<Vec<u8>, String> {
    if size > MAX_SAMPLE_BYTES || offset.checked_add(size).is_none_or(|e| e > len) {
        return Err("a sample lies outside the file".into());
    }
    let mut data = vec![0u8; size as usize];
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(&mut data))
        .map_err(|e| format!("cannot read: {e}"))?;
    Ok(data)
}

/// For each sampled keyframe followed by more than [`FILL_GAP_SECS`] without another, the
/// samples about [`FRAME_GAP_SECS`] apart up to the next sampled keyframe (or the end of the
/// track), at most `room` in all, earliest stretch first.
fn fill(track: &Track, chosen: &[usize], room: usize) -> Vec<(usize, Vec<usize>)> {
    let ticks = |secs: f64| (secs * f64::from(track.timescale)) as u64;
    let (gap, long) = (ticks(FRAME_GAP_SECS).max(1), ticks(FILL_GAP_SECS));
    let mut left = room;
    let mut runs = Vec::new();
    for (j, &from) in chosen.iter().enumerate() {
        let (Some(&t0), Some(&end)) = (
            track.times.get(from),
            chosen
                .get(j + 1)
                .map_or(track.times.last(), |&n| track.times.get(n)),
        ) else {
            continue;
        };
        if end.saturating_sub(t0) <= long || left == 0 {
            continue;
        }
        let mut targets = Vec::new();
        let mut want = t0.saturating_add(gap);
        for (i, &t) in track.times.iter().enumerate().skip(from + 1) {
            // Stop half a gap before the next sampled keyframe, which is looked at anyway.
            if t.saturating_add(gap / 2) > end || left == 0 {
                break;
            }
            if t >= want {
                targets.push(i);
                left -= 1;
                want = t.saturating_add(gap);
            }
        }
        if !targets.is_empty() {
            runs.push((from, targets));
        }
    }
    runs
}

/// Decodes H.264 from the keyframe sample `from` onwards in decoding order, keeping the
/// pictures of the `targets` samples (ascending), until the last target or the `limit`. With
/// B-frames pictures come out in display order a few samples late, so the first picture out at
/// or after a target is taken. A decoding error ends the run with the frames taken so far.
fn forward(
    file: &mut File,
    len: u64,
    track: &Track,
    sets: &[Vec<u8>],
    from: usize,
    targets: &[usize],
    limit: &Limit,
) -> Vec<Frame> {
    use openh264::decoder::{DecoderConfig, Flush};
    let mut out = Vec::new();
    // With B-frames (composition offsets in `ctts`), no flushing after each sample: forcing a
    // picture out breaks their reordering. Without, flushing gives each sample's picture at once.
    let flush = if track.reordered {
        Flush::NoFlush
    } else {
        Flush::Auto
    };
    let config = DecoderConfig::new().flush_after_decode(flush);
    let api = openh264::OpenH264API::from_source();
    let Ok(mut dec) = openh264::decoder::Decoder::with_api_config(api, config) else {
        return out;
    };
    let mut want = targets.iter().copied().peekable();
    let mut pending = false;
    let last = targets.last().copied().unwrap_or(from);
    // A few samples past the last target let a reordered picture come out.
    let end = last
        .saturating_add(REORDER_SLACK)
        .min(track.samples.len().saturating_sub(1));
    for i in from..=end {
        if limit.passed() || (i > last && !pending) {
            break;
        }
        let Ok(data) = read_sample(file, len, track.samples[i]) else {
            break;
        };
        let first: &[Vec<u8>] = if i == from { sets } else { &[] };
        if want.next_if(|&t| i >= t).is_some() {
            pending = true;
        }
        let picture = match dec.decode(&annex_b(first, &data, track.length_size)) {
            Ok(p) => p,
            Err(_) => break,
        };
        if pending && let Some(gray) = picture.map(|yuv| yuv_luma(&yuv)).and_then(Result::ok) {
            pending = false;
            out.push(Frame {
                second: track.second(i),
                rgb: working_copy(gray),
                between: true,
            });
        }
    }
    out
}

/// When decoding between keyframes stops: at a point in this thread's CPU time, or in wall time.
struct Limit {
    cpu: Duration,
    wall: Instant,
}

impl Limit {
    fn passed(&self) -> bool {
        thread_cpu() > self.cpu || Instant::now() > self.wall
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

/// The keyframes to decode: the first, then the first one at least [`FRAME_GAP_SECS`] after
/// the last chosen, thinned evenly to `max`.
fn pick(track: &Track, max: usize) -> Vec<usize> {
    let gap = (FRAME_GAP_SECS * f64::from(track.timescale)) as u64;
    let mut chosen: Vec<usize> = Vec::new();
    for &i in &track.sync {
        let Some(&t) = track.times.get(i) else {
            continue;
        };
        if chosen
            .last()
            .is_none_or(|&c| t >= track.times[c].saturating_add(gap))
        {
            chosen.push(i);
        }
    }
    if chosen.len() > max {
        let n = chosen.len();
        chosen = (0..max).map(|k| chosen[k * n / max]).collect();
    }
    chosen
}

/// Finds the top-level `moov` box by seeking from box to box and returns its payload.
fn read_moov(file: &mut File, len: u64) -> Result<Vec<u8>, VideoError> {
    let mut pos = 0u64;
    for _ in 0..MAX_TOP_BOXES {
        let remaining = len.saturating_sub(pos);
        if remaining < 8 {
            break;
        }
        let mut head = [0u8; 16];
        let n = head.len().min(remaining as usize);
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(&mut head[..n])?;
        let h = bmff::parse_header(&head[..n], remaining).ok_or(VideoError::Broken("box"))?;
        if &h.kind == b"moov" {
            if h.size > MOOV_MAX_BYTES {
                return Err(VideoError::TooLarge);
            }
            let mut moov = vec![0u8; h.size as usize - h.header_len];
            file.seek(SeekFrom::Start(pos + h.header_len as u64))?;
            file.read_exact(&mut moov)?;
            return Ok(moov);
        }
        pos += h.size;
    }
    Err(VideoError::Broken("no movie header"))
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

/// The sample tables of a video track.
#[derive(Debug)]
struct Track {
    codec: Codec,
    /// Bytes in each NAL unit's length prefix.
    length_size: usize,
    timescale: u32,
    /// (file offset, size) of each sample.
    samples: Vec<(u64, u64)>,
    /// Decode time of each sample, in `timescale` units.
    times: Vec<u64>,
    /// Indices (0-based) of the keyframes.
    sync: Vec<usize>,
    /// Whether pictures are shown in another order than decoded (B-frames: a `ctts` table).
    reordered: bool,
}

impl Track {
    /// Seconds from the start of the track to sample `i`.
    fn second(&self, i: usize) -> f64 {
        self.times.get(i).copied().unwrap_or(0) as f64 / f64::from(self.timescale.max(1))
    }
}

fn video_track(moov: &[u8]) -> Result<Track, VideoError> {
    let broken = VideoError::Broken;
    for trak in bmff::boxes(moov).filter(|b| &b.kind == b"trak") {
        let Some(mdia) = bmff::find(trak.payload, b"mdia") else {
            continue;
        };
        let handler = bmff::find(mdia.payload, b"hdlr").and_then(|h| h.payload.get(8..12));
        if handler != Some(b"vide") {
            continue;
        }
        let mdhd = bmff::find(mdia.payload, b"mdhd")
            .ok_or(broken("mdhd"))?
            .payload;
        let ts_at = if mdhd.first() == Some(&1) { 20 } else { 12 };
        let timescale = be32(mdhd, ts_at).ok_or(broken("mdhd"))?;
        let stbl = bmff::find_path(mdia.payload, &[b"minf", b"stbl"])
            .ok_or(broken("stbl"))?
            .payload;
        let (codec, length_size) = codec(stbl)?;
        let sizes = stsz(stbl)?;
        let samples = locate(stbl, &sizes)?;
        let times = stts(stbl, samples.len())?;
        let sync = match bmff::find(stbl, b"stss") {
            Some(b) => table(b.payload, 4)?
                .filter_map(|e| be32(e, 0)?.checked_sub(1).map(|i| i as usize))
                .filter(|&i| i < samples.len())
                .collect(),
            None => (0..samples.len()).collect(),
        };
        return Ok(Track {
            codec,
            length_size,
            timescale,
            samples,
            times,
            sync,
            reordered: bmff::find(stbl, b"ctts").is_some(),
        });
    }
    Err(VideoError::NoVideo)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?).into())
}

/// The entries of a full box holding `count` then `count` entries of `size` bytes.
fn table(payload: &[u8], size: usize) -> Result<std::slice::ChunksExact<'_, u8>, VideoError> {
    let count = be32(payload, 4).ok_or(VideoError::Broken("table"))? as usize;
    let bytes = count
        .checked_mul(size)
        .filter(|&n| count <= MAX_SAMPLES && n <= payload.len().saturating_sub(8))
        .ok_or(VideoError::Broken("table size"))?;
    Ok(payload[8..8 + bytes].chunks_exact(size))
}

/// The codec of the first sample description and its NAL length size.
fn codec(stbl: &[u8]) -> Result<(Codec, usize), VideoError> {
    let stsd = bmff::find(stbl, b"stsd")
        .ok_or(VideoError::Broken("stsd"))?
        .payload;
    let entry = bmff::boxes(stsd.get(8..).unwrap_or_default())
        .next()
        .ok_or(VideoError::Broken("stsd"))?;
    // A visual sample entry has 78 bytes of fixed fields before its child boxes.
    let children = entry.payload.get(78..).unwrap_or_default();
    let fourcc = String::from_utf8_lossy(&entry.kind).into_owned();
    match &entry.kind {
        b"avc1" | b"avc3" => avc_config(
            bmff::find(children, b"avcC")
                .ok_or(VideoError::Broken("avcC"))?
                .payload,
        ),
        b"hvc1" | b"hev1" => hevc_config(
            bmff::find(children, b"hvcC")
                .ok_or(VideoError::Broken("hvcC"))?
                .payload,
        ),
        _ => Ok((Codec::Other(fourcc), 4)),
    }
}

/// Reads one NAL unit with a 2-byte length prefix at `*at`, moving past it.
fn nal(payload: &[u8], at: &mut usize) -> Option<Vec<u8>> {
    let n = be16(payload, *at)?;
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
        let count = be16(c, at).ok_or_else(bad)?;
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

/// Sample sizes from `stsz` (or `stz2` is not supported: phones write `stsz`).
fn stsz(stbl: &[u8]) -> Result<Vec<u64>, VideoError> {
    let p = bmff::find(stbl, b"stsz")
        .ok_or(VideoError::Broken("stsz"))?
        .payload;
    let fixed = be32(p, 4).ok_or(VideoError::Broken("stsz"))?;
    let count = be32(p, 8).ok_or(VideoError::Broken("stsz"))? as usize;
    if count > MAX_SAMPLES {
        return Err(VideoError::Broken("stsz count"));
    }
    if fixed != 0 {
        return Ok(vec![u64::from(fixed); count]);
    }
    let sizes: Vec<u64> = p
        .get(12..)
        .unwrap_or_default()
        .chunks_exact(4)
        .take(count)
        .filter_map(|e| be32(e, 0).map(u64::from))
        .collect();
    if sizes.len() != count {
        return Err(VideoError::Broken("stsz"));
    }
    Ok(sizes)
}

/// File offset and size of every sample, from the chunk offsets and the sample-to-chunk map.
fn locate(stbl: &[u8], sizes: &[u64]) -> Result<Vec<(u64, u64)>, VideoError> {
    let chunks: Vec<u64> = if let Some(b) = bmff::find(stbl, b"stco") {
        table(b.payload, 4)?
            .filter_map(|e| be32(e, 0).map(u64::from))
            .collect()
    } else {
        let b = bmff::find(stbl, b"co64").ok_or(VideoError::Broken("stco"))?;
        table(b.payload, 8)?
            .filter_map(|e| Some(u64::from_be_bytes(e.try_into().ok()?)))
            .collect()
    };
    let stsc = bmff::find(stbl, b"stsc")
        .ok_or(VideoError::Broken("stsc"))?
        .payload;
    let runs: Vec<(usize, usize)> = table(stsc, 12)?
        .filter_map(|e| Some((be32(e, 0)? as usize, be32(e, 4)? as usize)))
        .collect();
    let mut out = Vec::with_capacity(sizes.len());
    let mut sample = 0usize;
    for (r, &(first, per_chunk)) in runs.iter().enumerate() {
        let end = runs
            .get(r + 1)
            .map_or(chunks.len(), |n| n.0.saturating_sub(1));
        let span = chunks.get(first.saturating_sub(1)..end.min(chunks.len()));
        for &chunk in span.unwrap_or_default() {
            let mut offset = chunk;
            for _ in 0..per_chunk {
                let Some(&size) = sizes.get(sample) else {
                    return Ok(out);
                };
                out.push((offset, size));
                offset = offset.saturating_add(size);
                sample += 1;
            }
        }
    }
    Ok(out)
}

/// Decode time of each of the first `n` samples, from `stts`.
fn stts(stbl: &[u8], n: usize) -> Result<Vec<u64>, VideoError> {
    let p = bmff::find(stbl, b"stts")
        .ok_or(VideoError::Broken("stts"))?
        .payload;
    let mut times = Vec::with_capacity(n);
    let mut t = 0u64;
    for e in table(p, 8)? {
        let (count, delta) = (be32(e, 0).unwrap_or(0), be32(e, 4).unwrap_or(0));
        for _ in 0..count {
            if times.len() == n {
                return Ok(times);
            }
            times.push(t);
            t = t.saturating_add(u64::from(delta));
        }
    }
    // Samples the table does not time share the last time.
    times.resize(n, t);
    Ok(times)
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

    #[test]
    fn keyframes_are_picked_two_seconds_apart_and_bounded() {
        let n = 60 * 30;
        let track = Track {
            codec: Codec::Other("test".into()),
            length_size: 4,
            timescale: 600,
            samples: vec![(0, 1); n],
            times: (0..n as u64).map(|i| i * 20).collect(),
            sync: (0..n).step_by(15).collect(),
            reordered: false,
        };
        let picked = pick(&track, MAX_FRAMES);
        assert_eq!(picked.len(), MAX_FRAMES);
        assert_eq!(&picked[..3], &[0, 60, 120]);
        let sparse = Track {
            sync: (0..n).step_by(600).collect(),
            ..track
        };
        assert_eq!(pick(&sparse, MAX_FRAMES), vec![0, 600, 1200]);
        assert_eq!(pick(&sparse, 2), vec![0, 600]);
    }

    #[test]
    fn long_stretches_between_keyframes_are_filled_two_seconds_apart() {
        // A minute at 10 fps with keyframes at 0:00 and 0:30.
        let n = 600;
        let track = Track {
            codec: Codec::Other("test".into()),
            length_size: 4,
            timescale: 600,
            samples: vec![(0, 1); n],
            times: (0..n as u64).map(|i| i * 60).collect(),
            sync: vec![0, 300],
            reordered: false,
        };
        let chosen = pick(&track, MAX_FRAMES);
        assert_eq!(chosen, vec![0, 300]);
        let runs = fill(&track, &chosen, MAX_FRAMES);
        let every_2s = |from: usize, to: usize| (from..=to).step_by(20).collect::<Vec<_>>();
        assert_eq!(
            runs,
            vec![(0, every_2s(20, 280)), (300, every_2s(320, 580))]
        );
        assert_eq!(fill(&track, &chosen, 5), vec![(0, every_2s(20, 100))]);
        // Keyframes every 2 s leave nothing to fill.
        let dense = Track {
            sync: (0..n).step_by(20).collect(),
            ..track
        };
        assert!(fill(&dense, &pick(&dense, MAX_FRAMES), MAX_FRAMES).is_empty());
    }
}
