//! Frames of a Matroska or WebM recording (OBS and most desktop recorders write MKV with H.264;
//! browsers' `MediaRecorder` writes WebM with VP8 or VP9) for the detector.
//!
//! Demuxing is `matroska-demuxer`'s (Zlib OR MIT OR Apache-2.0): it reads the headers, then one
//! block at a time into one reused buffer, so the file is never loaded whole and a frame can be
//! no larger than the file. The video track's keyframes about [`video::FRAME_GAP_SECS`] apart
//! go through the same decoders as an MP4's ([`video::Decoder`], shared with
//! [`super::mp4::frames`]): H.264 (`V_MPEG4/ISO/AVC`,
//! `avcC` in `CodecPrivate`), HEVC (`V_MPEGH/ISO/HEVC`, `hvcC`), VP8 (`V_VP8`, a browser's WebM)
//! and AV1 (`V_AV1`, `av1C`). VP9 tracks are named and not decoded.
//!
//! Where an H.264 track goes more than [`FILL_GAP_SECS`] without a keyframe (OBS's default
//! keyframe interval is 0, "auto", often 5–10 s), the blocks after a sampled keyframe are kept
//! (at most [`STRETCH_MAX_BYTES`]) until the next keyframe, then decoded forward to take frames
//! about [`video::FRAME_GAP_SECS`] apart between the two, within half the time budget: a document
//! shown for a few seconds between two keyframes would be missed otherwise.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::time::{Duration, Instant};

use matroska_demuxer::{
    ContentCompAlgo, ContentEncodingValue, Frame as Block, MatroskaFile, TrackEntry, TrackType,
};

use super::limits::KEYFRAME_MAX_BYTES;
use super::video::{self, Codec, Decoder, Frame, Frames, RunSample, VideoError};

/// Keyframes further apart than this have frames between them decoded (H.264), as in an MP4.
const FILL_GAP_SECS: f64 = 2.0 * video::FRAME_GAP_SECS;
/// The blocks kept after a keyframe for decoding forward, in bytes at most: a screen
/// recording's ten seconds at 30 fps take a few MiB.
const STRETCH_MAX_BYTES: usize = 32 << 20;

/// Decodes the sampled keyframes of the Matroska or WebM recording in `file`, at most `max` of
/// them, none started after `budget` of this thread's CPU time (or [`video::WALL_FACTOR`] times
/// it in wall time) has passed. When the file says how long it is, the gap
/// between samples widens so that `max` frames cover all of it.
pub fn frames(file: &mut File, max: usize, budget: Duration) -> Result<Frames, VideoError> {
    let (start, cpu_start) = (Instant::now(), video::thread_cpu());
    let wall_limit = start + budget.saturating_mul(video::WALL_FACTOR);
    file.seek(SeekFrom::Start(0))?;
    let mut mkv = MatroskaFile::open(&mut *file).map_err(|e| VideoError::Damaged(e.to_string()))?;
    let track = mkv
        .tracks()
        .iter()
        .find(|t| t.track_type() == TrackType::Video)
        .ok_or(VideoError::NoVideo)?;
    let (codec, length_size) = codec(track)?;
    let prefix = stripped_header(track)?.to_vec();
    let number = track.track_number().get();
    let tick = mkv.info().timestamp_scale().get() as f64 / 1e9;
    let length = mkv.info().duration().map_or(0.0, |d| d * tick);
    let gap = video::FRAME_GAP_SECS.max(length / max.max(1) as f64);

    let mut decoder = Decoder::new(&codec)?;
    let sets = match &codec {
        Codec::Avc { sets } => Some(sets.as_slice()),
        _ => None,
    };
    let (mut out, mut last_err, mut damaged) = (Vec::new(), None, None);
    let mut last: Option<f64> = None;
    let mut block = Block::default();
    let mut stretch: Option<Stretch> = None;
    // Frames between keyframes stop at half the budget, which keeps keyframes ahead of them.
    let fill = Fill {
        cpu: cpu_start + budget / 2,
        wall: wall_limit,
        length_size,
        gap,
    };
    while out.len() < max
        && video::thread_cpu().saturating_sub(cpu_start) <= budget
        && Instant::now() <= wall_limit
    {
        match mkv.next_frame(&mut block) {
            Ok(true) => {}
            Ok(false) => {
                if let (Some(s), Some(sets)) = (stretch.take(), sets) {
                    let end = s.samples.last().map_or(s.from, |x| x.second) + gap / 2.0;
                    out.extend(s.decode(sets, end, max.saturating_sub(out.len()), &fill));
                }
                break;
            }
            Err(e) => {
                damaged = Some(e.to_string());
                break;
            }
        }
        if block.track != number || (block.is_keyframe == Some(false) && stretch.is_none()) {
            continue;
        }
        let second = block.timestamp as f64 * tick;
        let mut sample = Vec::with_capacity(prefix.len() + block.data.len());
        sample.extend_from_slice(&prefix);
        sample.extend_from_slice(&block.data);
        // Simple blocks carry a keyframe flag; a block group is judged by its contents.
        let key = block
            .is_keyframe
            .unwrap_or_else(|| video::is_intra(&codec, &sample, length_size));
        if !key {
            if let Some(s) = &mut stretch {
                s.push(second, sample);
            }
            continue;
        }
        // A keyframe ends the stretch after the one before it.
        if let (Some(s), Some(sets)) = (stretch.take(), sets) {
            out.extend(s.decode(sets, second, max.saturating_sub(out.len()), &fill));
        }
        if last.is_some_and(|l| second < l + gap) {
            continue;
        }
        last = Some(second);
        if sample.len() as u64 > KEYFRAME_MAX_BYTES {
            last_err = Some("a keyframe is too large".to_string());
            continue;
        }
        match decoder.frame(&sample, length_size, second) {
            Ok(f) => {
                out.push(f);
                if sets.is_some() {
                    stretch = Some(Stretch::new(second, sample));
                }
            }
            Err(e) => last_err = Some(e),
        }
    }
    out.truncate(max);
    out.sort_by(|a, b| a.second.total_cmp(&b.second));
    match (out.is_empty(), last_err, damaged) {
        (true, Some(e), _) => Err(VideoError::Undecodable(e)),
        (true, None, Some(d)) => Err(VideoError::Damaged(d)),
        (true, None, None) => Err(VideoError::Damaged("no keyframe in the video track".into())),
        (_, _, damaged) => Ok(Frames {
            frames: out,
            damaged,
        }),
    }
}

/// The blocks of an H.264 track from a sampled keyframe on, in decoding order, kept until the
/// next keyframe says how long the stretch is.
struct Stretch {
    /// Second of the keyframe.
    from: f64,
    samples: Vec<RunSample>,
    bytes: usize,
    /// Whether blocks came in another order than shown (B-frames).
    reordered: bool,
}

/// How frames between keyframes are taken: until a point in this thread's CPU time or in wall
/// time, about `gap` seconds apart.
struct Fill {
    cpu: Duration,
    wall: Instant,
    length_size: usize,
    gap: f64,
}

impl Stretch {
    fn new(from: f64, keyframe: Vec<u8>) -> Self {
        let bytes = keyframe.len() + size_of::<RunSample>();
        Stretch {
            from,
            samples: vec![RunSample {
                data: keyframe,
                second: from,
                wanted: false,
            }],
            bytes,
            reordered: false,
        }
    }

    /// Keeps one more block; past [`STRETCH_MAX_BYTES`] the rest of the stretch is dropped (the
    /// frames kept so far can still be decoded).
    fn push(&mut self, second: f64, data: Vec<u8>) {
        // Each block also costs its bookkeeping, so that a hostile file's millions of empty
        // blocks are bounded too.
        let cost = data.len() + size_of::<RunSample>();
        if self.bytes + cost > STRETCH_MAX_BYTES {
            return;
        }
        self.bytes += cost;
        self.reordered |= self.samples.last().is_some_and(|s| second < s.second);
        self.samples.push(RunSample {
            data,
            second,
            wanted: false,
        });
    }

    /// When the stretch runs more than [`FILL_GAP_SECS`] to the next keyframe at `end`, its
    /// frames about `fill.gap` apart (stopping half a gap before `end`, at most `room`),
    /// decoded forward from the keyframe.
    fn decode(mut self, sets: &[Vec<u8>], end: f64, room: usize, fill: &Fill) -> Vec<Frame> {
        let wanted = self.mark(end, room, fill.gap);
        let passed = || video::thread_cpu() > fill.cpu || Instant::now() > fill.wall;
        if wanted == 0 || passed() {
            return Vec::new();
        }
        let samples = self.samples.into_iter().map(Some);
        let run = || {
            video::forward_avc(
                sets,
                fill.length_size,
                self.reordered,
                wanted,
                samples,
                passed,
            )
        };
        crate::isolate::per_file(run).unwrap_or_default()
    }

    /// Marks the blocks whose pictures are wanted when the stretch runs more than
    /// [`FILL_GAP_SECS`] to the next keyframe at `end`: about `gap` seconds apart, stopping half a
    /// gap before `end`, at most `room`. Returns how many.
    fn mark(&mut self, end: f64, room: usize, gap: f64) -> usize {
        if end - self.from <= FILL_GAP_SECS {
            return 0;
        }
        let (mut want, mut wanted) = (self.from + gap, 0);
        for s in self.samples.iter_mut().skip(1) {
            if s.second + gap / 2.0 > end || wanted == room {
                break;
            }
            if s.second >= want {
                s.wanted = true;
                wanted += 1;
                want = s.second + gap;
            }
        }
        wanted
    }
}

/// The track's codec, from its Matroska codec ID and `CodecPrivate`.
fn codec(track: &TrackEntry) -> Result<(Codec, usize), VideoError> {
    let private = track.codec_private().unwrap_or_default();
    match track.codec_id() {
        "V_MPEG4/ISO/AVC" => video::avc_config(private),
        "V_MPEGH/ISO/HEVC" => video::hevc_config(private),
        "V_VP8" => Ok((Codec::Vp8, 0)),
        "V_AV1" => video::av1_config(private),
        "V_VP9" => Err(VideoError::Codec("VP9".into())),
        other => Err(VideoError::Codec(format!("`{}`", other.escape_debug()))),
    }
}

/// The bytes header stripping removed from every frame of the track (`mkvmerge` can store
/// H.264 that way); frames compressed or encrypted otherwise are not decoded.
fn stripped_header(track: &TrackEntry) -> Result<&[u8], VideoError> {
    let mut prefix: &[u8] = &[];
    for e in track.content_encodings().unwrap_or_default() {
        match e.encoding() {
            ContentEncodingValue::Compression(c) if c.algo() == ContentCompAlgo::Stripping => {
                prefix = c.settings().unwrap_or_default();
            }
            _ => {
                return Err(VideoError::Codec(
                    "compressed or encrypted Matroska frames".into(),
                ));
            }
        }
    }
    Ok(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn scratch(bytes: &[u8]) -> File {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    /// A stretch from a keyframe at 0:10 with a block every 0.2 s up to `last` seconds.
    fn stretch(last: f64) -> Stretch {
        let mut s = Stretch::new(10.0, vec![0; 8]);
        for i in 1..=((last - 10.0) * 5.0).round() as usize {
            s.push(10.0 + i as f64 * 0.2, vec![0; 8]);
        }
        s
    }

    fn marked(s: &Stretch) -> Vec<f64> {
        s.samples
            .iter()
            .filter(|x| x.wanted)
            .map(|x| (x.second * 10.0).round() / 10.0)
            .collect()
    }

    #[test]
    fn frames_between_keyframes_are_taken_only_across_a_long_stretch() {
        // Keyframes at 0:10 and 0:20: frames every 2 s between them, none within a second of
        // the next keyframe.
        let mut s = stretch(19.8);
        assert_eq!(s.mark(20.0, 30, 2.0), 4);
        assert_eq!(marked(&s), vec![12.0, 14.0, 16.0, 18.0]);
        // At most the room left.
        let mut s = stretch(19.8);
        assert_eq!(s.mark(20.0, 2, 2.0), 2);
        assert_eq!(marked(&s), vec![12.0, 14.0]);
        // Keyframes 4 s apart are close enough to be looked at alone.
        let mut s = stretch(13.8);
        assert_eq!(s.mark(14.0, 30, 2.0), 0);
        assert!(marked(&s).is_empty());
    }

    #[test]
    fn a_stretch_keeps_its_blocks_within_its_bound_and_sees_reordering() {
        let mut s = Stretch::new(0.0, vec![0; 8]);
        s.push(0.4, vec![0; 8]);
        assert!(!s.reordered);
        s.push(0.2, vec![0; 8]);
        assert!(s.reordered);
        s.push(0.6, vec![0; STRETCH_MAX_BYTES]);
        assert_eq!(s.samples.len(), 3);
        // Empty blocks are bounded by their bookkeeping.
        for i in 0..STRETCH_MAX_BYTES {
            s.push(1.0 + i as f64, Vec::new());
        }
        assert!(s.samples.len() <= STRETCH_MAX_BYTES / size_of::<RunSample>());
        assert!(s.bytes <= STRETCH_MAX_BYTES);
    }

    #[test]
    fn garbage_and_cut_headers_are_errors_not_panics() {
        let budget = Duration::from_secs(1);
        for bytes in [
            &b""[..],
            &b"\x1a\x45\xdf\xa3garbage"[..],
            &[0x1a, 0x45, 0xdf, 0xa3, 0x80, 0x18, 0x53, 0x80, 0x67, 0xff][..],
        ] {
            let r = frames(&mut scratch(bytes), 30, budget);
            assert!(r.is_err(), "{r:?}");
        }
    }
}
