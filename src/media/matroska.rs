//! Frames of a Matroska or WebM recording (OBS and most desktop recorders write MKV with H.264;
//! browsers' `MediaRecorder` writes WebM with VP8 or VP9) for the detector.
//!
//! Demuxing is `matroska-demuxer`'s (Zlib OR MIT OR Apache-2.0): it reads the headers, then one
//! block at a time into one reused buffer, so the file is never loaded whole and a frame can be
//! no larger than the file. The video track's keyframes about [`video::FRAME_GAP_SECS`] apart
//! go through the same decoders as an MP4's ([`video::Decoder`], shared with
//! [`super::mp4::frames`]): H.264 (`V_MPEG4/ISO/AVC`,
//! `avcC` in `CodecPrivate`) and HEVC (`V_MPEGH/ISO/HEVC`, `hvcC`). VP8, VP9 and AV1 tracks are
//! named and not decoded.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::time::{Duration, Instant};

use matroska_demuxer::{
    ContentCompAlgo, ContentEncodingValue, Frame as Block, MatroskaFile, TrackEntry, TrackType,
};

use super::limits::KEYFRAME_MAX_BYTES;
use super::video::{self, Codec, Decoder, Frames, VideoError};

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
    let (mut out, mut last_err, mut damaged) = (Vec::new(), None, None);
    let mut last: Option<f64> = None;
    let mut block = Block::default();
    let mut sample = Vec::new();
    while out.len() < max
        && video::thread_cpu().saturating_sub(cpu_start) <= budget
        && Instant::now() <= wall_limit
    {
        match mkv.next_frame(&mut block) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                damaged = Some(e.to_string());
                break;
            }
        }
        if block.track != number || block.is_keyframe == Some(false) {
            continue;
        }
        let second = block.timestamp as f64 * tick;
        if last.is_some_and(|l| second < l + gap) {
            continue;
        }
        sample.clear();
        sample.extend_from_slice(&prefix);
        sample.extend_from_slice(&block.data);
        // Simple blocks carry a keyframe flag; a block group is judged by its NAL units.
        let key = block
            .is_keyframe
            .unwrap_or_else(|| video::is_intra(&codec, &sample, length_size));
        if !key {
            continue;
        }
        last = Some(second);
        if sample.len() as u64 > KEYFRAME_MAX_BYTES {
            last_err = Some("a keyframe is too large".to_string());
            continue;
        }
        match decoder.frame(&sample, length_size, second) {
            Ok(f) => out.push(f),
            Err(e) => last_err = Some(e),
        }
    }
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

/// The track's codec, from its Matroska codec ID and `CodecPrivate`.
fn codec(track: &TrackEntry) -> Result<(Codec, usize), VideoError> {
    let private = track.codec_private().unwrap_or_default();
    match track.codec_id() {
        "V_MPEG4/ISO/AVC" => video::avc_config(private),
        "V_MPEGH/ISO/HEVC" => video::hevc_config(private),
        "V_VP8" => Err(VideoError::Codec("VP8".into())),
        "V_VP9" => Err(VideoError::Codec("VP9".into())),
        "V_AV1" => Err(VideoError::Codec("AV1".into())),
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
