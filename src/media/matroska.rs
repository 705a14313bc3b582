//! Frames of a Matroska or WebM recording (OBS and most desktop recorders write MKV with H.264;
//! browsers' `MediaRecorder` writes WebM with VP8 or VP9) for the detector.
//!
//! Demuxing is `matroska-demuxer`'s (Zlib OR MIT OR Apache-2.0): it reads the headers, then one
//! block at a time into one reused buffer, so the file is never loaded whole and a frame can be
//! no larger than the file. What each block of the video track says of its picture goes to
//! [`video::plan`], shared with MP4 ([`super::mp4::frames`]), and the pictures it chooses go
//! through the same decoders ([`video::Decoder`], [`video::decode_runs`]): H.264
//! (`V_MPEG4/ISO/AVC`, `avcC` in `CodecPrivate`), HEVC (`V_MPEGH/ISO/HEVC`, `hvcC`), VP8
//! (`V_VP8`, a browser's WebM) and AV1 (`V_AV1`, `av1C`); only H.264 is decoded between
//! keyframes. VP9 tracks are named and not decoded.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::time::Duration;

use matroska_demuxer::{
    ContentCompAlgo, ContentEncodingValue, Frame as Block, MatroskaFile, TrackEntry, TrackType,
};

use super::limits::{FRAME_SAMPLES_MAX, KEYFRAME_MAX_BYTES};
use super::video::{
    self, Clock, Codec, Coded, Decoder, Frames, REORDER_SLACK, Run, RunSample, VideoError,
};

/// The blocks kept for decoding forward, in bytes at most: a screen recording's ten seconds at
/// 30 fps take a few MiB.
const RUNS_MAX_BYTES: usize = 32 << 20;

/// The video track of an open Matroska file: its number, codec, NAL length size, the bytes
/// header stripping removed from its frames, and the seconds of a timestamp tick.
struct Track {
    number: u64,
    codec: Codec,
    length_size: usize,
    prefix: Vec<u8>,
    tick: f64,
}

impl Track {
    fn find(mkv: &MatroskaFile<&mut File>) -> Result<Self, VideoError> {
        let track = mkv
            .tracks()
            .iter()
            .find(|t| t.track_type() == TrackType::Video)
            .ok_or(VideoError::NoVideo)?;
        let (codec, length_size) = codec(track)?;
        Ok(Track {
            number: track.track_number().get(),
            codec,
            length_size,
            prefix: stripped_header(track)?.to_vec(),
            tick: mkv.info().timestamp_scale().get() as f64 / 1e9,
        })
    }

    /// The next block of the track as a sample (with its stripped header), with the second it
    /// is shown at and whether it is a keyframe; `Ok(None)` at the end of the file.
    fn next(
        &self,
        mkv: &mut MatroskaFile<&mut File>,
        block: &mut Block,
    ) -> Result<Option<(Vec<u8>, Coded)>, String> {
        loop {
            if !mkv.next_frame(block).map_err(|e| e.to_string())? {
                return Ok(None);
            }
            if block.track != self.number {
                continue;
            }
            let mut sample = Vec::with_capacity(self.prefix.len() + block.data.len());
            sample.extend_from_slice(&self.prefix);
            sample.extend_from_slice(&block.data);
            // Simple blocks carry a keyframe flag; a block group is judged by its contents.
            let key = block
                .is_keyframe
                .unwrap_or_else(|| video::is_intra(&self.codec, &sample, self.length_size));
            let coded = Coded {
                second: block.timestamp as f64 * self.tick,
                bytes: sample.len() as u64,
                key,
            };
            return Ok(Some((sample, coded)));
        }
    }
}

fn open(file: &mut File) -> Result<MatroskaFile<&mut File>, VideoError> {
    file.seek(SeekFrom::Start(0))?;
    MatroskaFile::open(file).map_err(|e| VideoError::Damaged(e.to_string()))
}

/// Decodes the pictures [`video::plan`] chooses from the Matroska or WebM recording in `file`:
/// at most `max` keyframes and the views they miss, within `per_minute` of this thread's CPU
/// time for each minute of the recording ([`Clock`]). The file is read twice: once for what
/// each block says of its picture (time, size, keyframe), once to decode the chosen ones —
/// keyframes as they come, the blocks of the H.264 runs between keyframes kept (at most
/// [`RUNS_MAX_BYTES`]) and decoded after them with what is left of the budget.
pub fn frames(file: &mut File, max: usize, per_minute: Duration) -> Result<Frames, VideoError> {
    let mut clock = Clock::start(per_minute);
    let mut block = Block::default();
    let (coded, reordered, mut damaged) = {
        let mut mkv = open(file)?;
        let track = Track::find(&mkv)?;
        let (mut coded, mut reordered, mut damaged) = (Vec::<Coded>::new(), false, None);
        while coded.len() < FRAME_SAMPLES_MAX && !clock.left().is_zero() {
            match track.next(&mut mkv, &mut block) {
                Ok(Some((_, c))) => {
                    reordered |= coded.last().is_some_and(|l| c.second < l.second);
                    coded.push(c);
                }
                Ok(None) => break,
                Err(e) => {
                    damaged = Some(e);
                    break;
                }
            }
        }
        (coded, reordered, damaged)
    };
    clock.for_length(coded.last().map_or(0.0, |c| c.second));
    let mut mkv = open(file)?;
    let track = Track::find(&mkv)?;
    let sets = match &track.codec {
        Codec::Avc { sets } => Some(sets.clone()),
        _ => None,
    };
    let takes = video::plan(&coded, max, sets.is_some());
    let mut keys: Vec<usize> = takes
        .iter()
        .filter(|t| t.at == t.from)
        .map(|t| t.at)
        .collect();
    keys.sort_unstable();
    let runs = video::runs_of(&takes);
    let mut kept: Vec<Vec<RunSample>> = runs.iter().map(|_| Vec::new()).collect();
    let ends: Vec<usize> = runs
        .iter()
        .map(|(from, wanted)| wanted.last().map_or(*from, |&w| w + REORDER_SLACK))
        .collect();
    let last_needed = keys.iter().chain(&ends).copied().max();
    let mut decoder = Decoder::new(&track.codec)?;
    let (mut out, mut last_err, mut bytes) = (Vec::new(), None, 0usize);
    for i in 0..coded.len() {
        if last_needed.is_none_or(|l| i > l) {
            break;
        }
        let (sample, c) = match track.next(&mut mkv, &mut block) {
            Ok(Some(next)) => next,
            Ok(None) => break,
            Err(e) => {
                damaged.get_or_insert(e);
                break;
            }
        };
        if keys.binary_search(&i).is_ok() && !clock.left().is_zero() {
            if sample.len() as u64 > KEYFRAME_MAX_BYTES {
                last_err = Some("a keyframe is too large".to_string());
            } else {
                match decoder.frame(&sample, track.length_size, c.second) {
                    Ok(f) => out.push(f),
                    Err(e) => last_err = Some(e),
                }
            }
        }
        for (k, (from, wanted)) in runs.iter().enumerate() {
            if (*from..=ends[k]).contains(&i) && bytes + sample.len() <= RUNS_MAX_BYTES {
                bytes += sample.len();
                kept[k].push(RunSample {
                    data: sample.clone(),
                    second: c.second,
                    wanted: wanted.binary_search(&i).is_ok(),
                });
            }
        }
    }
    if let Some(sets) = &sets {
        let runs = runs
            .iter()
            .zip(kept)
            .map(|((_, wanted), samples)| Run {
                wanted: wanted.len(),
                samples: samples.into_iter().map(Some),
            })
            .collect();
        out.extend(video::decode_runs(
            sets,
            track.length_size,
            reordered,
            runs,
            &clock,
        ));
    }
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
