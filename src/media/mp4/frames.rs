//! Frames of a recording (MP4, MOV, 3GP) for the detector and the review page: the video
//! track's sample tables are read with [`crate::media::bmff`] (its `moov` locator, handler
//! lookup and sample-table walker), and its keyframes — about one every [`FRAME_GAP_SECS`]
//! seconds, at most [`crate::media::video::MAX_FRAMES`] — are decoded on their own through the
//! decoders in [`crate::media::video`], so a frame costs one intra picture. Where sampled
//! keyframes lie more than [`FILL_GAP_SECS`] apart, an H.264 track is then decoded forward from
//! the keyframe before the gap to take frames about [`FRAME_GAP_SECS`] apart inside it, while
//! the time budget lasts.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::time::{Duration, Instant};

use crate::media::bmff::{self, be32};
use crate::media::limits::{FRAME_SAMPLES_MAX, KEYFRAME_MAX_BYTES};
use crate::media::video::{
    Codec, Decoder, FRAME_GAP_SECS, Frame, RunSample, VideoError, WALL_FACTOR, av1_config,
    avc_config, forward_avc, hevc_config, thread_cpu,
};

/// Sampled keyframes further apart than this have the frames between them decoded too (H.264):
/// iOS and some Android recorders write a keyframe only every several seconds, and a document
/// shown for a few seconds between two of them would be missed.
const FILL_GAP_SECS: f64 = 2.0 * FRAME_GAP_SECS;

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
    let moov = bmff::read_moov(file)?;
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
/// pictures of the `targets` samples (ascending), until the last target or the `limit`
/// ([`forward_avc`]).
fn forward(
    file: &mut File,
    len: u64,
    track: &Track,
    sets: &[Vec<u8>],
    from: usize,
    targets: &[usize],
    limit: &Limit,
) -> Vec<Frame> {
    let samples = (from..track.samples.len()).map(|i| {
        let data = read_sample(file, len, track.samples[i]).ok()?;
        Some(RunSample {
            data,
            second: track.second(i),
            wanted: targets.binary_search(&i).is_ok(),
        })
    });
    forward_avc(
        sets,
        track.length_size,
        track.reordered,
        targets.len(),
        samples,
        || limit.passed(),
    )
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
    use crate::media::video::MAX_FRAMES;

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
