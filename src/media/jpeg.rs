//! JPEG: drops APP1 EXIF (with GPS, MakerNotes and the IFD1 thumbnail), XMP and extended XMP,
//! APP13 IPTC/Photoshop, comments, vendor APPn segments (MPF, FLIR, JUMBF, …) and data after
//! EOI (MPF secondary images, gain maps, vendor trailers). Keeps JFIF (without its thumbnail),
//! APP14 Adobe (CMYK/YCCK decoding needs it), the ICC profile when asked, and every coding
//! segment and all entropy-coded data verbatim.

use super::parts::{BlockRules, Decode, Kept, Rules};
use super::{Log, Part, StripError, StripOptions, label, read_uint, tiff};
use crate::media::sniff::FileType;

const FORMAT: FileType = FileType::Jpeg;
const EXIF: &[u8] = b"Exif\0\0";
const ICC: &[u8] = b"ICC_PROFILE\0";

/// One marker segment (or a standalone marker) of the file.
struct Segment<'a> {
    marker: u8,
    /// The whole segment: marker, length, payload, and for SOS the entropy-coded data after it.
    bytes: &'a [u8],
    /// The payload after the length field (empty for standalone markers).
    payload: &'a [u8],
}

/// A parsed JPEG: its segments up to and including EOI, and what follows EOI.
struct Parsed<'a> {
    segments: Vec<Segment<'a>>,
    trailing: &'a [u8],
    /// Stray bytes between segments (a segment longer than its length says, a lone `FF 00`),
    /// which decoders skip to the next marker; they are not in `segments`.
    stray: usize,
}

fn parse(input: &[u8]) -> Result<Parsed<'_>, StripError> {
    let bad = |d: String| StripError::malformed(FORMAT, d);
    if !input.starts_with(&[0xFF, 0xD8]) {
        return Err(bad("no start-of-image marker".into()));
    }
    let mut segments = vec![Segment {
        marker: 0xD8,
        bytes: &input[..2],
        payload: &[],
    }];
    let mut pos = 2;
    let mut stray = 0;
    loop {
        if pos >= input.len() {
            return Err(bad("truncated: no end-of-image marker".into()));
        }
        // Decoders (libjpeg's next_marker) skip anything up to the next marker; so does this.
        let next = next_marker(input, pos)
            .ok_or_else(|| bad(format!("expected a marker at offset {pos}")))?;
        stray += next - pos;
        pos = next;
        let start = pos;
        while input.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = input.get(pos) else {
            return Err(bad("truncated: no end-of-image marker".into()));
        };
        pos += 1;
        match marker {
            0xD9 => {
                segments.push(Segment {
                    marker,
                    bytes: &input[start..pos],
                    payload: &[],
                });
                return Ok(Parsed {
                    segments,
                    trailing: &input[pos..],
                    stray,
                });
            }
            0x01 | 0xD0..=0xD7 => segments.push(Segment {
                marker,
                bytes: &input[start..pos],
                payload: &[],
            }),
            0xD8 => return Err(bad(format!("invalid marker 0x{marker:02X} at {start}"))),
            _ => {
                let len = input
                    .get(pos..pos + 2)
                    .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                    .ok_or_else(|| bad("truncated segment header".into()))?;
                if len < 2 || pos + len > input.len() {
                    return Err(bad(format!(
                        "segment 0x{marker:02X} at offset {start} has length {len}, past the end"
                    )));
                }
                let payload = &input[pos + 2..pos + len];
                pos += len;
                if marker == 0xDA {
                    pos = entropy_end(input, pos)
                        .ok_or_else(|| bad("truncated: scan data has no end".into()))?;
                }
                segments.push(Segment {
                    marker,
                    bytes: &input[start..pos],
                    payload,
                });
            }
        }
    }
}

/// The offset of the first marker at or after `pos`: an 0xFF followed by neither a zero nor
/// the end of the file.
fn next_marker(data: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        pos += memchr::memchr(0xFF, data.get(pos..)?)?;
        let mut after = pos;
        while data.get(after) == Some(&0xFF) {
            after += 1;
        }
        match data.get(after)? {
            0x00 => pos = after + 1,
            _ => return Some(pos),
        }
    }
}

/// Whether the file has stray bytes between its segments, which a cleaned copy drops: such a
/// file is decoded and compared even without `--verify-pixels`.
pub(crate) fn has_stray_bytes(input: &[u8]) -> bool {
    parse(input).is_ok_and(|p| p.stray > 0)
}

/// The offset of the marker that ends entropy-coded data starting at `pos`: the first 0xFF not
/// followed by a stuffed zero, a restart marker or another 0xFF.
fn entropy_end(data: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        pos += memchr::memchr(0xFF, data.get(pos..)?)?;
        match data.get(pos + 1)? {
            0x00 | 0xD0..=0xD7 => pos += 2,
            0xFF => pos += 1,
            _ => return Some(pos),
        }
    }
}

/// What to do with one APPn or COM segment.
enum Action {
    Keep,
    Remove(String),
    /// APP1 EXIF: dropped, possibly replaced by a minimal block holding only Orientation.
    Exif,
    /// APP0 JFIF with an embedded thumbnail: rewritten without it.
    JfifThumbnail,
}

fn classify(seg: &Segment<'_>, opts: &StripOptions) -> Action {
    let p = seg.payload;
    let n = seg.marker.wrapping_sub(0xE0);
    match seg.marker {
        0xFE => Action::Remove("comment".into()),
        0xE0 if p.starts_with(b"JFIF\0") => {
            if p.len() > 14 || p.get(12..14).is_some_and(|t| t != [0, 0]) {
                Action::JfifThumbnail
            } else {
                Action::Keep
            }
        }
        0xE0 if p.starts_with(b"JFXX\0") => Action::Remove("JFIF thumbnail".into()),
        0xE1 if p.starts_with(EXIF) || p.starts_with(b"Exif\0\xFF") => Action::Exif,
        0xE1 if p.starts_with(b"http://ns.adobe.com/xap/1.0/\0") => Action::Remove("XMP".into()),
        0xE1 if p.starts_with(b"http://ns.adobe.com/xmp/extension/\0") => {
            Action::Remove("extended XMP".into())
        }
        0xE2 if p.starts_with(ICC) => {
            if opts.keep_icc {
                Action::Keep
            } else {
                Action::Remove("ICC profile".into())
            }
        }
        0xE2 if p.starts_with(b"MPF\0") => Action::Remove("MPF (multi-picture index)".into()),
        0xED => Action::Remove("IPTC/Photoshop".into()),
        0xEE if p.starts_with(b"Adobe") => Action::Keep,
        0xE0..=0xEF => Action::Remove(format!("APP{n} {}", label(p)).trim().to_string()),
        _ => Action::Keep,
    }
}

pub(crate) fn clean(
    input: &[u8],
    opts: &StripOptions,
    log: &mut Log,
) -> Result<Vec<u8>, StripError> {
    let parsed = parse(input)?;
    let mut out = Vec::with_capacity(input.len());
    let mut exif_done = false;
    for seg in &parsed.segments {
        match classify(seg, opts) {
            Action::Keep if log.dry => {}
            Action::Keep => out.extend_from_slice(seg.bytes),
            Action::Remove(group) => log.add(group, seg.bytes.len()),
            Action::JfifThumbnail => {
                let mut jfif = seg.payload[..14.min(seg.payload.len())].to_vec();
                jfif.resize(14, 0);
                jfif[12] = 0;
                jfif[13] = 0;
                push_segment(&mut out, 0xE0, &jfif);
                log.add("JFIF thumbnail", seg.bytes.len() - 18);
            }
            Action::Exif => {
                let tiff_bytes = &seg.payload[EXIF.len()..];
                let minimal = (!exif_done && opts.keep_orientation)
                    .then(|| tiff::orientation(tiff_bytes))
                    .flatten()
                    .map(tiff::minimal_exif);
                exif_done = true;
                match minimal {
                    Some(m) if m == tiff_bytes && seg.payload.starts_with(EXIF) => {
                        out.extend_from_slice(seg.bytes);
                    }
                    Some(m) => {
                        let mut payload = EXIF.to_vec();
                        payload.extend_from_slice(&m);
                        push_segment(&mut out, 0xE1, &payload);
                        log.add("EXIF", seg.bytes.len().saturating_sub(payload.len() + 4));
                    }
                    None => log.add("EXIF", seg.bytes.len()),
                }
            }
        }
    }
    if parsed.stray > 0 {
        log.add("stray bytes between segments", parsed.stray);
    }
    if !parsed.trailing.is_empty() {
        log.add("data after end of image", parsed.trailing.len());
    }
    Ok(out)
}

fn push_segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) {
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
}

/// Every segment in file order, SOI to EOI (fill bytes included), for verification; all but
/// APPn, COM and JFIF are the coded data (Adobe's APP14 too: CMYK/YCCK decoding reads it).
pub(crate) fn parts(input: &[u8]) -> Result<Vec<Part<'_>>, StripError> {
    let coded = |s: &Segment<'_>| match s.marker {
        0xEE => s.payload.starts_with(b"Adobe"),
        0xE0..=0xEF | 0xFE => false,
        _ => true,
    };
    let segments = parse(input)?.segments.into_iter();
    Ok(segments.map(|s| Part::new(s.bytes, coded(&s))).collect())
}

/// A segment's marker and payload (after the length field), for verification's kept-block
/// rules; standalone markers and SOS entropy data give an empty or partial payload, which the
/// rules do not look at.
fn segment_of(bytes: &[u8]) -> (u8, &[u8]) {
    let at = bytes.iter().position(|&b| b != 0xFF).unwrap_or(bytes.len());
    let marker = bytes.get(at).copied().unwrap_or(0);
    let len = read_uint::<2>(bytes, at + 1, true).unwrap_or(0) as usize;
    let payload = bytes.get(at + 3..at + 1 + len.max(2)).unwrap_or(&[]);
    (marker, payload)
}

/// Verification: whether a segment affects rendering — JFIF (colour space and density), Adobe
/// (colour transform), ICC and every coding segment.
fn renders(bytes: &[u8], opts: &StripOptions) -> bool {
    let (marker, p) = segment_of(bytes);
    match marker {
        0xE0 => p.starts_with(b"JFIF\0"),
        0xE2 => opts.keep_icc && p.starts_with(ICC),
        0xEE => p.starts_with(b"Adobe"),
        0xE1..=0xEF | 0xFE => false,
        _ => true,
    }
}

/// Verification: the rewrites the cleaner makes — JFIF without its thumbnail (same version,
/// units and density), or the minimal EXIF of the input EXIF's orientation.
fn rewrite(ib: &[u8], ob: &[u8]) -> bool {
    let ((im, ip), (om, op)) = (segment_of(ib), segment_of(ob));
    match (im, om) {
        (0xE0, 0xE0) => {
            ip.starts_with(b"JFIF\0")
                && op.len() == 14
                && ip.get(..12) == op.get(..12)
                && op[12..] == [0, 0]
        }
        (0xE1, 0xE1) => match (exif_tiff(ip), op.strip_prefix(EXIF)) {
            (Some(from), Some(to)) => tiff::is_minimal_exif_of(from, to),
            _ => false,
        },
        _ => false,
    }
}

fn exif_tiff(payload: &[u8]) -> Option<&[u8]> {
    payload
        .strip_prefix(EXIF)
        .or_else(|| payload.strip_prefix(b"Exif\0\xFF"))
}

/// Verification: the TIFF bytes of the first EXIF segment, the one viewers read the
/// orientation from.
fn exif<'a>(blocks: &[&'a [u8]]) -> Option<&'a [u8]> {
    blocks.iter().find_map(|b| match segment_of(b) {
        (0xE1, p) => exif_tiff(p),
        _ => None,
    })
}

/// How verification checks a cleaned JPEG: its segments, the rules above, and a decode when
/// stray bytes between segments were dropped.
pub(crate) const RULES: Rules = Rules::Parts {
    parts: |data, _| parts(data),
    kept: Kept::Blocks(BlockRules {
        renders,
        rewrite,
        orients: |_| true,
        exif,
    }),
    decode: |input| match has_stray_bytes(input) {
        true => Decode::Always,
        false => Decode::AsAsked,
    },
};

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::metadata::verify::testing::{rejected, replace, stripped};

    /// A syntactically complete JPEG skeleton with the given extra segments after SOI.
    pub(crate) fn skeleton(extra: &[(u8, &[u8])], trailing: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8];
        for (m, p) in extra {
            push_segment(&mut out, *m, p);
        }
        push_segment(&mut out, 0xDB, &[0; 65]);
        push_segment(&mut out, 0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]);
        push_segment(&mut out, 0xDA, &[1, 1, 0, 0, 63, 0]);
        out.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        out.extend_from_slice(&[0xFF, 0xD9]);
        out.extend_from_slice(trailing);
        out
    }

    #[test]
    fn removes_metadata_keeps_coding_segments() {
        let mut exif = EXIF.to_vec();
        exif.extend_from_slice(&tiff::minimal_exif(6));
        let input = skeleton(
            &[
                (0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"),
                (0xE1, &exif),
                (0xE1, b"http://ns.adobe.com/xap/1.0/\0<x/>"),
                (0xED, b"Photoshop 3.0\0"),
                (0xFE, b"hello"),
                (0xEE, b"Adobe\0\0\0\0\0\0\x01"),
            ],
            b"trailer",
        );
        let opts = StripOptions {
            keep_orientation: false,
            ..StripOptions::default()
        };
        let mut log = Log::default();
        let out = clean(&input, &opts, &mut log).unwrap();
        let groups: Vec<String> = log.finish().into_iter().map(|r| r.group).collect();
        assert_eq!(
            groups,
            [
                "EXIF",
                "XMP",
                "IPTC/Photoshop",
                "comment",
                "data after end of image"
            ]
        );
        crate::metadata::verify::assert_clean_output(&input, &out);
        assert!(!out.windows(4).any(|w| w == b"Exif"));
        assert!(out.windows(5).any(|w| w == b"Adobe"));
        assert!(out.ends_with(&[0xFF, 0xD9]));
    }

    #[test]
    fn keeps_minimal_orientation_idempotently() {
        let mut exif = EXIF.to_vec();
        exif.extend_from_slice(&tiff::minimal_exif(6));
        exif.extend_from_slice(b"padding that is not minimal");
        let input = skeleton(&[(0xE1, &exif)], b"");
        let opts = StripOptions::default();
        let once = clean(&input, &opts, &mut Log::default()).unwrap();
        let mut log = Log::default();
        let twice = clean(&once, &opts, &mut log).unwrap();
        assert_eq!(once, twice);
        assert!(log.finish().is_empty());
        let kept = parse(&once).unwrap().segments[1].payload;
        assert_eq!(tiff::orientation(&kept[EXIF.len()..]), Some(6));
    }

    #[test]
    fn stray_bytes_between_segments_are_dropped() {
        // A segment one byte longer than its length says, then a lone FF 00 (Pillow's
        // truncated_app14.jpg and jpeg_ff00_header.jpg), before the tables.
        let clean_input = skeleton(&[(0xFE, b"a comment")], b"");
        let at = clean_input
            .windows(2)
            .position(|w| w == [0xFF, 0xDB])
            .unwrap();
        let input = [&clean_input[..at], &[0x01, 0xFF, 0x00], &clean_input[at..]].concat();
        let mut log = Log::default();
        let out = clean(&input, &StripOptions::default(), &mut log).unwrap();
        let groups: Vec<String> = log.finish().into_iter().map(|r| r.group).collect();
        assert_eq!(groups, ["comment", "stray bytes between segments"]);
        assert!(has_stray_bytes(&input) && !has_stray_bytes(&out));
        crate::metadata::verify::assert_clean_output(&input, &out);
    }

    #[test]
    fn hostile_lengths_are_errors() {
        let mut input = skeleton(&[], b"");
        input.truncate(20);
        assert!(clean(&input, &StripOptions::default(), &mut Log::default()).is_err());
        let absurd = [0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 0, 0];
        assert!(clean(&absurd, &StripOptions::default(), &mut Log::default()).is_err());
        let zero = [0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x00];
        assert!(clean(&zero, &StripOptions::default(), &mut Log::default()).is_err());
    }

    /// A structurally complete JPEG: JFIF, EXIF with Orientation 6 and a GPS-ish payload, an
    /// ICC profile and a comment.
    fn photo() -> Vec<u8> {
        let mut exif = EXIF.to_vec();
        exif.extend_from_slice(&tiff::minimal_exif(6));
        exif.extend_from_slice(b"GPS 51N 0W, Apple iPhone");
        skeleton(
            &[
                (0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"),
                (0xE1, &exif),
                (0xE2, b"ICC_PROFILE\0\x01\x01profile bytes"),
                (0xFE, b"a comment"),
            ],
            b"",
        )
    }

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        push_segment(&mut v, marker, payload);
        v
    }

    #[test]
    fn kept_blocks_must_be_copies() {
        let opts = StripOptions::default();
        let input = photo();
        let s = stripped(&input, &opts);
        // A changed ICC profile: same length, one byte different.
        let data = replace(&s.data, b"profile bytes", b"profile bytez");
        let why = rejected(&input, s.clone(), data, &opts);
        assert!(why.contains("not a copy"), "{why}");
        // A dropped ICC profile.
        let icc = segment(0xE2, b"ICC_PROFILE\0\x01\x01profile bytes");
        let data = replace(&s.data, &icc, b"");
        let why = rejected(&input, s.clone(), data, &opts);
        assert!(why.contains("affects rendering"), "{why}");
        // A different orientation.
        let data = replace(&s.data, &tiff::minimal_exif(6), &tiff::minimal_exif(3));
        rejected(&input, s.clone(), data, &opts);
        // The orientation dropped although it is kept.
        let mut exif = EXIF.to_vec();
        exif.extend_from_slice(&tiff::minimal_exif(6));
        let data = replace(&s.data, &segment(0xE1, &exif), b"");
        let why = rejected(&input, s, data, &opts);
        assert!(why.contains("orientation"), "{why}");
    }

    #[test]
    fn without_keeps_verifies() {
        let opts = StripOptions {
            keep_orientation: false,
            keep_icc: false,
            ..StripOptions::default()
        };
        let s = stripped(&photo(), &opts);
        assert!(!s.data.windows(11).any(|w| w == b"ICC_PROFILE"));
    }
}
