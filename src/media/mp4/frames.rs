//! Frames of a recording (MP4, MOV, 3GP) for the detector and the review page: the video
//! track's sample tables are read with [`crate::media::bmff`] (its `moov` locator, handler
//! lookup and sample-table walker); what they say of each picture (time, size, keyframe) goes
//! to [`video::plan`], shared with Matroska, and the pictures it chooses are decoded through the
//! decoders in [`crate::media::video`]: keyframes on their own, so a frame costs one intra
//! picture, and an H.264 view no chosen keyframe shows forward from the keyframe before it.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

use crate::media::bmff::{self, be32};
use crate::media::limits::{FRAME_SAMPLES_MAX, KEYFRAME_MAX_BYTES};
use crate::media::video::{
    self, Clock, Codec, Coded, Decoder, Frame, REORDER_SLACK, Run, RunSample, VideoError,
    av1_config, avc_config, hevc_config,
};

/// Decodes the pictures [`video::plan`] chooses from the recording in `file` (`len` bytes): at
/// most `max` keyframes, and the views they miss, within `per_minute` of this thread's CPU time
/// for each minute of the recording ([`Clock`]): the keyframes first, then the pictures between
/// keyframes (H.264) with what is left. Frames that fail to decode are skipped; an error means
/// none could be.
pub fn frames(
    file: &mut File,
    len: u64,
    max: usize,
    per_minute: Duration,
) -> Result<Vec<Frame>, VideoError> {
    let mut clock = Clock::start(per_minute);
    let moov = bmff::read_moov(file)?;
    let track = video_track(&moov)?;
    let coded = track.coded();
    clock.for_length(coded.last().map_or(0.0, |c| c.second));
    let sets = match &track.codec {
        Codec::Avc { sets } => Some(sets.as_slice()),
        _ => None,
    };
    let takes = video::plan(&coded, max, sets.is_some());
    let mut decoder = Decoder::new(&track.codec)?;
    let mut out = Vec::new();
    let mut last_err = None;
    for t in takes.iter().filter(|t| t.at == t.from) {
        if clock.left().is_zero() {
            break;
        }
        let decoded = read_sample(file, len, track.samples[t.at])
            .and_then(|data| decoder.frame(&data, track.length_size, track.second(t.at)));
        match decoded {
            Ok(f) => out.push(f),
            Err(e) => last_err = Some(e),
        }
    }
    if let Some(sets) = sets {
        let file = std::cell::RefCell::new(file);
        let runs = video::runs_of(&takes)
            .into_iter()
            .map(|(from, wanted)| {
                let last = wanted.last().map_or(from, |&w| w + REORDER_SLACK);
                let (track, file, count) = (&track, &file, wanted.len());
                let end = last.min(track.samples.len().saturating_sub(1));
                let samples = (from..=end).map(move |i| {
                    let data = read_sample(&mut file.borrow_mut(), len, track.samples[i]).ok()?;
                    Some(RunSample {
                        data,
                        second: track.shown(i),
                        wanted: wanted.binary_search(&i).is_ok(),
                    })
                });
                Run {
                    wanted: count,
                    samples,
                }
            })
            .collect();
        out.extend(video::decode_runs(
            sets,
            track.length_size,
            track.reordered,
            runs,
            &clock,
        ));
        out.sort_by(|a, b| a.second.total_cmp(&b.second));
    }
    match (out.is_empty(), last_err) {
        (true, Some(e)) => Err(VideoError::Undecodable(e)),
        _ => Ok(out),
    }
}

/// Reads one sample, at (file offset, size), checked against the file and [`KEYFRAME_MAX_BYTES`].
fn read_sample(file: &mut File, len: u64, (offset, size): (u64, u64)) -> Result<Vec<u8>, String> {
    if size > KEYFRAME_MAX_BYTES || offset.checked_add(size).is_none_or(|e| e > len) {
        return Err("a sample lies outside the file".into());
    }
    let mut data = vec![0u8; size as usize];
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(&mut data))
        .map_err(|e| format!("cannot read: {e}"))?;
    Ok(data)
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
    /// How much later than decoded each sample is shown, in `timescale` units (`ctts`; empty
    /// without one).
    shift: Vec<i64>,
}

impl Track {
    /// What the tables say of each picture, for [`video::plan`].
    fn coded(&self) -> Vec<Coded> {
        let mut key = vec![false; self.samples.len()];
        for &i in &self.sync {
            key[i] = true;
        }
        (0..self.samples.len())
            .map(|i| Coded {
                second: self.second(i),
                bytes: self.samples[i].1,
                key: key[i],
            })
            .collect()
    }

    /// Seconds from the start of the track to when sample `i` is shown.
    fn shown(&self, i: usize) -> f64 {
        let shift = self.shift.get(i).copied().unwrap_or(0) as f64;
        (self.times.get(i).copied().unwrap_or(0) as f64 + shift).max(0.0)
            / f64::from(self.timescale.max(1))
    }

    /// Seconds from the start of the track to sample `i`.
    fn second(&self, i: usize) -> f64 {
        self.times.get(i).copied().unwrap_or(0) as f64 / f64::from(self.timescale.max(1))
    }
}

fn video_track(moov: &[u8]) -> Result<Track, VideoError> {
    let broken = VideoError::Broken;
    for trak in bmff::boxes(moov).filter(|b| &b.kind == b"trak") {
        if bmff::handler(trak.payload) != Some(b"vide") {
            continue;
        }
        let Some(mdia) = bmff::find(trak.payload, b"mdia") else {
            continue;
        };
        let mdhd = bmff::find(mdia.payload, b"mdhd")
            .ok_or(broken("mdhd"))?
            .payload;
        let ts_at = if mdhd.first() == Some(&1) { 20 } else { 12 };
        let timescale = be32(mdhd, ts_at).ok_or(broken("mdhd"))?;
        let stbl = bmff::find_path(mdia.payload, &[b"minf", b"stbl"])
            .ok_or(broken("stbl"))?
            .payload;
        let (codec, length_size) = codec(stbl)?;
        let samples = bmff::samples(stbl, FRAME_SAMPLES_MAX).map_err(broken)?;
        let times = stts(stbl, samples.len())?;
        let shift = ctts(stbl, samples.len());
        let sync = match bmff::find(stbl, b"stss") {
            Some(b) => bmff::table(b.payload, 4, FRAME_SAMPLES_MAX)
                .ok_or(broken("stss"))?
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
            shift,
        });
    }
    Err(VideoError::NoVideo)
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
        b"av01" => av1_config(
            bmff::find(children, b"av1C")
                .ok_or(VideoError::Broken("av1C"))?
                .payload,
        ),
        _ => Ok((Codec::Other(fourcc), 4)),
    }
}

/// How much later than decoded each of the first `n` samples is shown, from `ctts` (its offsets
/// are signed in version 1, and written so by most muxers in version 0 too); empty without one.
fn ctts(stbl: &[u8], n: usize) -> Vec<i64> {
    let Some(table) = bmff::find(stbl, b"ctts").and_then(|b| bmff::table(b.payload, 8, n)) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(n);
    for e in table {
        let (count, offset) = (be32(e, 0).unwrap_or(0), be32(e, 4).unwrap_or(0) as i32);
        let left = n - out.len();
        out.extend(std::iter::repeat_n(
            i64::from(offset),
            (count as usize).min(left),
        ));
    }
    out
}

/// Decode time of each of the first `n` samples, from `stts`.
fn stts(stbl: &[u8], n: usize) -> Result<Vec<u64>, VideoError> {
    let p = bmff::find(stbl, b"stts")
        .ok_or(VideoError::Broken("stts"))?
        .payload;
    let mut times = Vec::with_capacity(n);
    let mut t = 0u64;
    for e in bmff::table(p, 8, FRAME_SAMPLES_MAX).ok_or(VideoError::Broken("table size"))? {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_say_each_pictures_time_size_and_kind() {
        let track = Track {
            codec: Codec::Other("test".into()),
            length_size: 4,
            timescale: 600,
            samples: vec![(0, 900), (900, 40), (940, 700)],
            times: vec![0, 120, 240],
            sync: vec![0, 2],
            reordered: false,
            shift: vec![0, 240, -120],
        };
        let coded = track.coded();
        let seen: Vec<(f64, u64, bool)> =
            coded.iter().map(|c| (c.second, c.bytes, c.key)).collect();
        assert_eq!(
            seen,
            vec![(0.0, 900, true), (0.2, 40, false), (0.4, 700, true)]
        );
    }
}
