//! MP4, MOV and 3GP: turns user data (`udta`: ©xyz GPS, ©mak, ©mod, ©swr, loci, vendor atoms),
//! `meta` boxes (iTunes `ilst`, Apple `mdta` keys for location, make, model, software), `uuid`
//! boxes (XMP and vendor metadata) into `free` boxes of the same size with zeroed contents,
//! zeroes stale bytes in existing `free`/`skip` boxes, and zeroes the creation and modification
//! times of `mvhd`, `tkhd` and `mdhd`.
//!
//! Timed metadata tracks (Apple `mebx` location and face data, GoPro GPMF, `camm` sensors) are
//! removed too: their samples in `mdat` are zeroed and their `trak` becomes a `free` box.
//!
//! Nothing moves, so `stco`/`co64` chunk offsets stay valid and the other tracks' samples are
//! untouched.

use std::ops::Range;

use crate::media::bmff::{self, BoxRef};
use crate::media::limits::STRIP_SAMPLES_MAX;
use crate::media::sniff::FileType;
use crate::media::{Log, StripError};

const XMP_UUID: [u8; 16] = [
    0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC,
];

/// Boxes laid end to end in `data` (at `base` in the file); an error if they do not fill it.
pub(crate) fn children<'a>(
    data: &'a [u8],
    base: usize,
    format: FileType,
) -> Result<Vec<BoxRef<'a>>, StripError> {
    let mut out = Vec::new();
    let mut end = 0;
    for b in bmff::boxes(data) {
        end = b.offset + b.size();
        out.push(b);
    }
    if end != data.len() {
        return Err(StripError::malformed(
            format,
            format!("truncated or corrupt box at offset {}", base + end),
        ));
    }
    Ok(out)
}

/// The absolute offset of a child's payload.
fn payload_at(b: &BoxRef<'_>, base: usize) -> usize {
    base + b.offset + b.header_len
}

/// The group name of Samsung's trailer, boxed (`sefd`) or raw.
pub(crate) const SAMSUNG_TRAILER: &str = "Samsung trailer (capture time, country code)";

/// The boxes of a whole movie, and where a raw Samsung trailer after the last of them starts
/// (`input.len()` when there is none). A file whose boxes fill it has no raw trailer, whatever
/// its last bytes look like; one whose boxes stop where a trailer starts has one.
pub(crate) fn top_boxes(
    input: &[u8],
    format: FileType,
) -> Result<(Vec<BoxRef<'_>>, usize), StripError> {
    match children(input, 0, format) {
        Ok(top) => Ok((top, input.len())),
        Err(e) => {
            let Some(end) = bmff::samsung_trailer(input) else {
                return Err(e);
            };
            let top = children(&input[..end], 0, format).map_err(|_| e)?;
            Ok((top, end))
        }
    }
}

/// Cleans a movie: see the module's doc. A raw Samsung trailer after the last box is cut off:
/// nothing points into it, so no offset moves.
pub(crate) fn clean(whole: &[u8], format: FileType, log: &mut Log) -> Result<Vec<u8>, StripError> {
    let (top, end) = top_boxes(whole, format)?;
    let input = &whole[..end];
    if let Some(ftyp) = top.first().filter(|b| &b.kind == b"ftyp")
        && ftyp.payload.get(0..4) == Some(b"crx ")
    {
        return Err(StripError::Unsupported {
            what: "Canon CR3 raw".into(),
        });
    }
    let media: Vec<Range<usize>> = top
        .iter()
        .filter(|b| &b.kind == b"mdat")
        .map(|b| payload_at(b, 0)..b.offset + b.size())
        .collect();
    let mut out = input.to_vec();
    let mut ed = Editor {
        out: &mut out,
        log,
        media,
    };
    for b in &top {
        match &b.kind {
            b"moov" => ed.moov(b.payload, payload_at(b, 0), format)?,
            b"udta" | b"meta" | b"uuid" | b"sefd" => ed.free(b, 0),
            b"free" | b"skip" | b"wide" => ed.wipe_free(b, 0),
            _ => {}
        }
    }
    if end < whole.len() {
        ed.log.add(SAMSUNG_TRAILER, whole.len() - end);
    }
    Ok(out)
}

/// The movie of a HEIF or AVIF image sequence and a Samsung `sefd` trailer box, cleaned as in
/// an MP4 (times, names, user data, metadata tracks), into `out`, a copy of `input` that the
/// HEIF cleaner made. The top-level `meta` box is the HEIF file's images and is left alone.
pub(crate) fn clean_movie(
    input: &[u8],
    out: &mut [u8],
    format: FileType,
    log: &mut Log,
) -> Result<(), StripError> {
    let top = children(input, 0, format)?;
    let media = top
        .iter()
        .filter(|b| &b.kind == b"mdat")
        .map(|b| payload_at(b, 0)..b.offset + b.size())
        .collect();
    let mut ed = Editor { out, log, media };
    for b in &top {
        match &b.kind {
            b"moov" => ed.moov(b.payload, payload_at(b, 0), format)?,
            b"sefd" => ed.free(b, 0),
            _ => {}
        }
    }
    Ok(())
}

struct Editor<'o, 'l> {
    out: &'o mut [u8],
    log: &'l mut Log,
    /// Payloads of the top-level `mdat` boxes.
    media: Vec<Range<usize>>,
}

impl Editor<'_, '_> {
    fn moov(&mut self, moov: &[u8], base: usize, format: FileType) -> Result<(), StripError> {
        let fragmented = bmff::find(moov, b"mvex").is_some();
        for b in children(moov, base, format)? {
            match &b.kind {
                b"mvhd" => self.times(&b, base),
                b"trak" if is_metadata_track(b.payload) => {
                    self.metadata_track(&b, base, fragmented, format)?
                }
                b"trak" => self.trak(b.payload, payload_at(&b, base), format)?,
                b"udta" | b"meta" | b"uuid" => self.free(&b, base),
                b"free" | b"skip" => self.wipe_free(&b, base),
                _ => {}
            }
        }
        Ok(())
    }

    /// Zeroes a timed metadata track's samples and turns its `trak` into `free`.
    fn metadata_track(
        &mut self,
        trak: &BoxRef<'_>,
        base: usize,
        fragmented: bool,
        format: FileType,
    ) -> Result<(), StripError> {
        let cannot = || StripError::Unsupported {
            what: format!("{format} with a timed metadata track whose samples cannot be located"),
        };
        if fragmented {
            return Err(cannot());
        }
        let samples = sample_ranges(trak.payload, self.out.len()).ok_or_else(cannot)?;
        let inside_media = |r: &Range<usize>| {
            self.media
                .iter()
                .any(|m| m.start <= r.start && r.end <= m.end)
        };
        if !samples.iter().all(inside_media) {
            return Err(cannot());
        }
        let bytes: usize = samples.iter().map(|r| r.len()).sum();
        for r in samples {
            self.out[r].fill(0);
        }
        self.free(trak, base);
        self.log.add("timed metadata track samples", bytes);
        Ok(())
    }

    fn trak(&mut self, trak: &[u8], base: usize, format: FileType) -> Result<(), StripError> {
        let handler = track_handler(trak);
        for b in children(trak, base, format)? {
            match &b.kind {
                b"tkhd" => self.times(&b, base),
                b"mdia" => {
                    let mdia_base = payload_at(&b, base);
                    for m in children(b.payload, mdia_base, format)? {
                        match &m.kind {
                            b"mdhd" => self.times(&m, mdia_base),
                            b"hdlr" => self.handler_name(&m, mdia_base),
                            b"minf" => {
                                let minf_base = payload_at(&m, mdia_base);
                                for h in bmff::boxes(m.payload) {
                                    match &h.kind {
                                        b"hdlr" => self.handler_name(&h, minf_base),
                                        b"stbl" => self.encoder_fields(
                                            &h,
                                            payload_at(&h, minf_base),
                                            handler,
                                        ),
                                        _ => {}
                                    }
                                }
                            }
                            b"udta" | b"meta" | b"uuid" => self.free(&m, mdia_base),
                            _ => {}
                        }
                    }
                }
                b"udta" | b"meta" | b"uuid" => self.free(&b, base),
                b"free" | b"skip" => self.wipe_free(&b, base),
                _ => {}
            }
        }
        Ok(())
    }

    /// Replaces a box with a `free` box of the same size and zeroed contents.
    fn free(&mut self, b: &BoxRef<'_>, base: usize) {
        let start = base + b.offset;
        let group = match &b.kind {
            b"trak" => "timed metadata track",
            b"udta" => "user data (udta)",
            b"sefd" => SAMSUNG_TRAILER,
            b"meta" => "metadata (meta: keys, ilst)",
            // The 16-byte extended type ends the header.
            _ if self.out[start + b.header_len - 16..start + b.header_len] == XMP_UUID => "XMP",
            _ => "vendor uuid box",
        };
        self.log.add(group, b.size());
        let large = self.out[start..start + 4] == [0, 0, 0, 1];
        self.out[start + 4..start + 8].copy_from_slice(b"free");
        let body = start + if large { 16 } else { 8 };
        self.out[body..start + b.size()].fill(0);
    }

    /// Zeroes leftover bytes in an existing `free`/`skip` box (old metadata often sits there).
    fn wipe_free(&mut self, b: &BoxRef<'_>, base: usize) {
        if b.payload.iter().any(|&x| x != 0) {
            self.log.add("stale data in free space", b.payload.len());
            let p = payload_at(b, base);
            self.out[p..p + b.payload.len()].fill(0);
        }
    }

    /// Blanks the name of a `hdlr` box, which often names the writing software or device.
    fn handler_name(&mut self, b: &BoxRef<'_>, base: usize) {
        if let Some(name) = handler_name_range(b.payload) {
            self.log.add("handler name (writing software)", name.len());
            let p = payload_at(b, base);
            self.out[p + name.start..p + name.end].fill(0);
        }
    }

    /// Blanks the vendor code and compressor name of the track's sample entries.
    fn encoder_fields(&mut self, stbl: &BoxRef<'_>, base: usize, handler: &[u8]) {
        for r in encoder_holes(stbl.payload, handler) {
            if stbl.payload[r.clone()].iter().any(|&b| b != 0) {
                self.log.add("encoder vendor and name", r.len());
                self.out[base + r.start..base + r.end].fill(0);
            }
        }
    }

    /// Zeroes creation and modification times of `mvhd`, `tkhd` or `mdhd`.
    fn times(&mut self, b: &BoxRef<'_>, base: usize) {
        let range = match b.payload.first() {
            Some(0) => 4..12,
            Some(1) => 4..20,
            _ => return,
        };
        if let Some(t) = b.payload.get(range.clone())
            && t.iter().any(|&x| x != 0)
        {
            self.log.add("creation and modification times", t.len());
            let p = payload_at(b, base);
            self.out[p + range.start..p + range.end].fill(0);
        }
    }
}

/// The handler type of a track (`vide`, `soun`, `meta`, …), blank when it has none.
fn track_handler(trak: &[u8]) -> &[u8] {
    bmff::handler(trak).unwrap_or(b"    ")
}

/// Where a `hdlr` payload's vendor and name are, when they are not blank yet.
pub(crate) fn handler_name_range(hdlr: &[u8]) -> Option<Range<usize>> {
    // version and flags (4), pre-defined (4), handler type (4), then what ISO calls reserved
    // (12: QuickTime's manufacturer, flags and mask) and the name
    let rest = hdlr.get(12..)?;
    rest.iter().any(|&b| b != 0).then_some(12..hdlr.len())
}

/// Fields of a track's sample entries that name the encoder, as ranges within the `stbl`
/// payload: the QuickTime vendor code (audio and video) and the video compressor name.
fn encoder_holes(stbl: &[u8], handler: &[u8]) -> Vec<Range<usize>> {
    let video = match handler {
        b"vide" => true,
        b"soun" => false,
        _ => return Vec::new(),
    };
    let Some(stsd) = bmff::find(stbl, b"stsd") else {
        return Vec::new();
    };
    // version and flags (4), entry count (4), then the entries
    let first = stsd.offset + stsd.header_len + 8;
    let Some(entries) = stbl.get(first..stsd.offset + stsd.size()) else {
        return Vec::new();
    };
    let mut holes = Vec::new();
    for e in bmff::boxes(entries).filter(|e| e.header_len == 8) {
        let at = first + e.offset;
        // header (8), reserved (6), data reference (2), version (2), revision (2), vendor (4)
        if e.size() >= 24 {
            holes.push(at + 20..at + 24);
        }
        // … quality (8), size (4), resolution (8), data size (4), frame count (2), name (32)
        if video && e.size() >= 82 {
            holes.push(at + 50..at + 82);
        }
        // 3GPP decoder configuration boxes open with the encoder's vendor and version.
        let fixed = if video {
            86
        } else {
            match e.payload.get(8..10) {
                Some([0, 1]) => 52,
                Some([0, 2]) => 72,
                _ => 36,
            }
        };
        let children = entries
            .get(e.offset + fixed..e.offset + e.size())
            .unwrap_or(&[]);
        for c in bmff::boxes(children) {
            if matches!(
                &c.kind,
                b"damr" | b"d263" | b"dawp" | b"devc" | b"dqcp" | b"dsmv"
            ) && c.payload.len() >= 5
            {
                let p = at + fixed + c.offset + c.header_len;
                holes.push(p..p + 5);
            }
        }
    }
    holes
}

/// `data` without the `holes` (sorted, disjoint ranges).
fn without<'a>(data: &'a [u8], holes: &[Range<usize>]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut pos = 0;
    for h in holes {
        out.push(&data[pos..h.start]);
        pos = h.end;
    }
    out.push(&data[pos..]);
    out
}

/// A track whose samples are metadata (location, faces, sensors) rather than media.
fn is_metadata_track(trak: &[u8]) -> bool {
    matches!(track_handler(trak), b"meta" | b"camm")
}

/// A track's samples as (offset, size) ([`bmff::samples`]); `None` when the tables are
/// missing, inconsistent or longer than the limit.
fn samples(trak: &[u8]) -> Option<Vec<(u64, u64)>> {
    let stbl = bmff::find_path(trak, &[b"mdia", b"minf", b"stbl"])?.payload;
    bmff::samples(stbl, STRIP_SAMPLES_MAX).ok()
}

/// The bytes of a track's samples that are in `input`, for verification: a sample that runs
/// past the end of the file (a recording cut short) is compared as far as it goes. `None` as
/// for [`samples`].
fn present_samples<'a>(trak: &[u8], input: &'a [u8]) -> Option<Vec<&'a [u8]>> {
    let clip = |v: u64| usize::try_from(v).map_or(input.len(), |v| v.min(input.len()));
    let samples = samples(trak)?.into_iter();
    Some(
        samples
            .map(|(offset, size)| &input[clip(offset)..clip(offset.saturating_add(size))])
            .collect(),
    )
}

/// File ranges of a track's samples; `None` when the tables are missing, inconsistent, longer
/// than the limit or point past the end of the file.
fn sample_ranges(trak: &[u8], file_len: usize) -> Option<Vec<Range<usize>>> {
    samples(trak)?
        .into_iter()
        .map(|(offset, size)| {
            let start = usize::try_from(offset).ok()?;
            let end = start.checked_add(usize::try_from(size).ok()?)?;
            (end <= file_len).then_some(start..end)
        })
        .collect()
}

/// Media for verification: every media track's sample bytes and sample tables (without the
/// encoder fields), or the whole `mdat` payloads of fragmented files. In a file that is not
/// fragmented, a media track whose samples cannot be located (sample tables missing,
/// inconsistent or longer than the limit) fails verification: its media could not be compared.
/// A track with no media box at all has no samples to compare; samples past the end of a cut
/// file are compared as far as they go.
pub(crate) fn coded_data(input: &[u8], format: FileType) -> Result<Vec<&[u8]>, StripError> {
    let (top, _) = top_boxes(input, format)?;
    let mut out = Vec::new();
    let moov = top.iter().find(|b| &b.kind == b"moov");
    let fragmented = moov.is_none_or(|m| bmff::find(m.payload, b"mvex").is_some());
    if fragmented {
        out.extend(top.iter().filter(|b| &b.kind == b"mdat").map(|b| b.payload));
    }
    let traks = moov
        .into_iter()
        .flat_map(|m| bmff::boxes(m.payload))
        .filter(|t| &t.kind == b"trak" && !is_metadata_track(t.payload));
    for (n, t) in traks.enumerate() {
        if let Some(stbl) = bmff::find_path(t.payload, &[b"mdia", b"minf", b"stbl"]) {
            let handler = track_handler(t.payload);
            out.extend(without(stbl.payload, &encoder_holes(stbl.payload, handler)));
        }
        match present_samples(t.payload, input) {
            Some(samples) => out.extend(samples),
            None if fragmented || bmff::find(t.payload, b"mdia").is_none() => {}
            None => {
                return Err(StripError::Verify(format!(
                    "the samples of media track {} cannot be located, so its media cannot be \
                     compared",
                    n + 1
                )));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::bmff::boxed;

    /// A QuickTime movie: `mvhd` with times, one track of one 7-byte sample at `sample_at`, a
    /// GPS `udta`, an XMP `uuid` and the `mdat`.
    fn movie_with_sample_at(sample_at: u32) -> Vec<u8> {
        let mut mvhd = vec![0u8; 100];
        mvhd[4..12].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let mut xmp = XMP_UUID.to_vec();
        xmp.extend_from_slice(b"<x:xmpmeta/>");
        let mut stco = vec![0, 0, 0, 0, 0, 0, 0, 1];
        stco.extend_from_slice(&sample_at.to_be_bytes());
        let mut tables = boxed(b"stsz", &[0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1]);
        tables.extend(boxed(b"stco", &stco));
        tables.extend(boxed(
            b"stsc",
            &[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1],
        ));
        let stbl = boxed(b"stbl", &tables);
        let mdia = boxed(b"mdia", &boxed(b"minf", &stbl));
        let mut trak = boxed(b"tkhd", &[0u8; 84]);
        trak.extend(mdia);
        let mut moov = boxed(b"mvhd", &mvhd);
        moov.extend(boxed(b"trak", &trak));
        moov.extend(boxed(b"udta", &boxed(b"\xa9xyz", b"+48.85+002.29/")));
        let mut file = boxed(b"ftyp", b"qt  \0\0\0\0qt  ");
        file.extend(boxed(b"moov", &moov));
        file.extend(boxed(b"uuid", &xmp));
        file.extend(boxed(b"mdat", b"samples"));
        file
    }

    fn movie() -> Vec<u8> {
        let probe = movie_with_sample_at(0);
        movie_with_sample_at(probe.len() as u32 - 7)
    }

    #[test]
    fn a_media_track_whose_samples_cannot_be_located_fails_verification() {
        use crate::metadata::{StripOptions, verify};
        let input = movie();
        assert_eq!(
            coded_data(&input, FileType::Mov).unwrap().last().unwrap(),
            b"samples"
        );
        let opts = StripOptions::default();
        let stripped = crate::metadata::clean(&input, &opts).unwrap();
        verify::verify(&input, &stripped, &opts).unwrap();
        // A cut recording: its one sample runs past the end; the part that is there is compared.
        let cut = movie_with_sample_at(input.len() as u32 - 4);
        assert_eq!(
            coded_data(&cut, FileType::Mov).unwrap().last().unwrap(),
            b"ples"
        );
        // The same movie with its chunk table or its sample-to-chunk table gone: its media
        // cannot be located, so it cannot be compared and nothing is written.
        let unwalkable = |table: &[u8; 4]| {
            let mut d = input.clone();
            let at = d.windows(4).position(|w| w == table).unwrap();
            d[at..at + 4].copy_from_slice(b"xxxx");
            d
        };
        for broken in [unwalkable(b"stco"), unwalkable(b"stsc")] {
            let Ok(stripped) = crate::metadata::clean(&broken, &opts) else {
                panic!("the cleaner itself should still run");
            };
            match verify::verify(&broken, &stripped, &opts) {
                Err(StripError::Verify(why)) => assert!(why.contains("media track 1"), "{why}"),
                other => panic!("unverified media accepted: {other:?}"),
            }
        }
    }

    #[test]
    fn frees_metadata_boxes_in_place() {
        let input = movie();
        let mut log = Log::default();
        let out = clean(&input, FileType::Mov, &mut log).unwrap();
        assert_eq!(out.len(), input.len());
        let groups: Vec<String> = log.finish().into_iter().map(|r| r.group).collect();
        assert_eq!(
            groups,
            ["creation and modification times", "user data (udta)", "XMP"]
        );
        assert!(!out.windows(4).any(|w| w == b"udta" || w == b"\xa9xyz"));
        crate::metadata::verify::assert_clean_output(&input, &out);
    }

    #[test]
    fn corrupt_sizes_are_errors() {
        let mut input = movie();
        input[8 + 12..8 + 16].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(clean(&input, FileType::Mov, &mut Log::default()).is_err());
        let n = input.len();
        assert!(clean(&movie()[..n - 3], FileType::Mov, &mut Log::default()).is_err());
    }

    /// Samsung's raw trailer as its phones write it after the last box: a capture-time block,
    /// an MCC block, the directory (SEFH) and its footer (SEFT).
    fn samsung_trailer() -> Vec<u8> {
        let blocks: [(u16, &[u8], &[u8]); 2] = [
            (0x0a01, b"Image_UTC_Data", b"1486666298918"),
            (0x0aa1, b"MCC_Data", b"450"),
        ];
        let mut out = Vec::new();
        let mut entries = Vec::new();
        for (kind, name, value) in blocks {
            let at = out.len();
            out.extend_from_slice(&[0, 0]);
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(&(name.len() as u32).to_le_bytes());
            out.extend_from_slice(name);
            out.extend_from_slice(value);
            entries.push((kind, at, out.len() - at));
        }
        let dir_at = out.len();
        let mut dir = b"SEFH".to_vec();
        dir.extend_from_slice(&101u32.to_le_bytes());
        dir.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        for (kind, at, size) in entries {
            dir.extend_from_slice(&[0, 0]);
            dir.extend_from_slice(&kind.to_le_bytes());
            dir.extend_from_slice(&((dir_at - at) as u32).to_le_bytes());
            dir.extend_from_slice(&(size as u32).to_le_bytes());
        }
        out.extend_from_slice(&dir);
        out.extend_from_slice(&(dir.len() as u32).to_le_bytes());
        out.extend_from_slice(b"SEFT");
        out
    }

    #[test]
    fn a_raw_samsung_trailer_after_the_last_box_is_cut_off() {
        let movie = movie();
        let mut input = movie.clone();
        input.extend(samsung_trailer());
        assert_eq!(bmff::samsung_trailer(&input), Some(movie.len()));
        let mut log = Log::default();
        let out = clean(&input, FileType::Mov, &mut log).unwrap();
        assert_eq!(out.len(), movie.len());
        assert_eq!(
            out,
            clean(&movie, FileType::Mov, &mut Log::default()).unwrap()
        );
        let removed = log.finish();
        let trailer = removed.iter().find(|r| r.group == SAMSUNG_TRAILER).unwrap();
        assert_eq!(trailer.size, samsung_trailer().len() as u64);
        assert!(!out.windows(4).any(|w| w == b"SEFH" || w == b"SEFT"));
        crate::metadata::verify::assert_clean_output(&input, &out);
    }

    #[test]
    fn trailer_lookalikes_are_not_cut() {
        // Boxes that fill the file keep their last bytes, even when those end like a trailer.
        let mut input = movie();
        input.extend(boxed(b"free", &samsung_trailer()));
        let (_, end) = top_boxes(&input, FileType::Mov).unwrap();
        assert_eq!(end, input.len());
        // A directory pointing before the start of the file, or an inconsistent count.
        let mut t = samsung_trailer();
        let n = t.len();
        let dir = n - 8 - 36;
        t[dir + 16..dir + 20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(bmff::samsung_trailer(&t), None);
        let mut t = samsung_trailer();
        t[dir + 8..dir + 12].copy_from_slice(&9u32.to_le_bytes());
        assert_eq!(bmff::samsung_trailer(&t), None);
        // Garbage after the last box that is not a trailer is still an error.
        let mut input = movie();
        input.extend_from_slice(b"\0\0\0\x20junkSEFT");
        assert!(clean(&input, FileType::Mov, &mut Log::default()).is_err());
    }
}
