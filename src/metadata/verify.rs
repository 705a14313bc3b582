//! Verification of a cleaned file before anyone writes it. By default ([`VerifyLevel::Structure`])
//! the output is re-parsed and must hold no removable metadata (stripping it again changes
//! nothing); its coded image or media data must equal the input's byte for byte; every block
//! it keeps must be a byte-identical copy of an input block, in input order, or one of the few
//! rewrites the cleaners make (a minimal EXIF with the same orientation, a JFIF header without
//! its thumbnail, the WebP VP8X flags); every input block that affects rendering (colour
//! profile, gamma, chromaticities, transparency, aspect ratio, animation, track geometry and
//! edit lists) must still be there; the displayed orientation must not change unless asked;
//! and a HEIF file's item tables (primary item, item entries and locations, property
//! associations, references) must be the input's less the removed metadata items.
//! Why this implies identical pixels, format by format, is written down in `docs/strip.md`.
//!
//! [`VerifyLevel::Pixels`] also decodes both files and compares the pixels, where the `image`
//! crate decodes the format. TIFF is always decoded: its rewritten IFD tables are not covered by
//! the block comparison.

use super::{
    Part, StripError, StripOptions, Stripped, VerifyLevel, gif, heif, jpeg, mp4, pdf, png,
    removable, tiff, webp,
};
use crate::media::bmff;
use crate::media::caps::Writer;
use crate::media::sniff::FileType;

/// Checks `stripped` against `input`; an error means the output must be discarded.
pub fn verify(input: &[u8], stripped: &Stripped, opts: &StripOptions) -> Result<(), StripError> {
    let out = &stripped.data;
    let format = stripped.format;
    let again = removable(out, opts)
        .map_err(|e| StripError::Verify(format!("output does not parse: {e}")))?;
    if !again.is_empty() {
        let groups: Vec<&str> = again.iter().map(|r| r.group.as_str()).collect();
        return Err(StripError::Verify(format!(
            "metadata left in the output: {}",
            groups.join(", ")
        )));
    }
    let writer = format.caps().strip;
    if writer == Some(Writer::Pdf) {
        return pdf::verify(input, out);
    }
    let (a, b) = (parts(input, format)?, parts(out, format)?);
    if !same_bytes(&coded(&a), &coded(&b)) {
        return Err(StripError::Verify(
            "coded image or media data differs from the input".into(),
        ));
    }
    kept_blocks(input, out, (&a, &b), format, opts).map_err(StripError::Verify)?;
    if writer == Some(Writer::Tiff) {
        // The output's coded data is found through its own IFDs; this also proves that every
        // byte the input's IFDs point a reader to is unchanged where it was.
        if let Some(r) = tiff::touched(input, out, &tiff::referenced(input, opts)?) {
            return Err(StripError::Verify(format!(
                "bytes {}..{}, image data or a kept value, changed",
                r.start, r.end
            )));
        }
    }
    let damaged = writer == Some(Writer::Jpeg) && jpeg::has_stray_bytes(input);
    if opts.verify == VerifyLevel::Pixels || writer == Some(Writer::Tiff) || damaged {
        pixels(input, out, format)?;
    }
    Ok(())
}

/// The file's top-level blocks in file order where the format has them (JPEG, PNG, WebP, GIF),
/// else the byte ranges decoding depends on.
fn parts(data: &[u8], format: FileType) -> Result<Vec<Part<'_>>, StripError> {
    fn all_coded(ranges: Vec<&[u8]>) -> Vec<Part<'_>> {
        let parts = ranges.into_iter();
        parts.map(|bytes| Part::new(bytes, true)).collect()
    }
    let unverified = || StripError::Verify(format!("no block verifier for {format}"));
    match format.caps().strip.ok_or_else(unverified)? {
        Writer::Jpeg => jpeg::parts(data),
        Writer::Png => png::parts(data),
        Writer::Webp => webp::parts(data),
        Writer::Gif => gif::parts(data),
        Writer::Tiff => tiff::coded_data(data).map(all_coded),
        Writer::Heif => heif::coded_data(data, format).map(all_coded),
        Writer::Movie => mp4::coded_data(data, format).map(all_coded),
        Writer::Pdf => Err(unverified()),
    }
}

/// The byte ranges decoding depends on, in file order.
fn coded<'a>(parts: &[Part<'a>]) -> Vec<&'a [u8]> {
    parts.iter().filter(|p| p.coded).map(|p| p.bytes).collect()
}

/// Every block's bytes, in file order.
fn all<'a>(parts: &[Part<'a>]) -> Vec<&'a [u8]> {
    parts.iter().map(|p| p.bytes).collect()
}

/// Whether two lists of slices hold the same bytes once joined, without joining them.
fn same_bytes(a: &[&[u8]], b: &[&[u8]]) -> bool {
    let total = |parts: &[&[u8]]| parts.iter().map(|p| p.len()).sum::<usize>();
    if total(a) != total(b) {
        return false;
    }
    let (mut a, mut b) = (a.iter().copied(), b.iter().copied());
    let (mut x, mut y): (&[u8], &[u8]) = (&[], &[]);
    loop {
        while x.is_empty() {
            match a.next() {
                Some(next) => x = next,
                None => return true,
            }
        }
        while y.is_empty() {
            match b.next() {
                Some(next) => y = next,
                None => return false,
            }
        }
        let n = x.len().min(y.len());
        if x[..n] != y[..n] {
            return false;
        }
        x = &x[n..];
        y = &y[n..];
    }
}

/// Compares the blocks the output keeps with the input's, per format: `parts` are the input's
/// and the output's from [`parts`].
fn kept_blocks(
    input: &[u8],
    out: &[u8],
    parts: (&[Part<'_>], &[Part<'_>]),
    format: FileType,
    opts: &StripOptions,
) -> Result<(), String> {
    let (a, b) = (all(parts.0), all(parts.1));
    match format.caps().strip {
        Some(Writer::Jpeg) => {
            pair(&a, &b, |s| jpeg_renders(s, opts), jpeg_rewrite)?;
            same_orientation(jpeg_exif(&a), jpeg_exif(&b), opts)
        }
        Some(Writer::Png) => {
            pair(&a, &b, |c| png_renders(c, opts), png_rewrite)?;
            same_orientation(png_exif(&a), png_exif(&b), opts)
        }
        Some(Writer::Webp) => {
            pair(&a, &b, |c| webp_renders(c, opts), webp_rewrite)?;
            // WebP keeps an orientation only in an extended (VP8X) file.
            if a.first().is_some_and(|c| c.starts_with(b"VP8X")) {
                same_orientation(webp_exif(&a), webp_exif(&b), opts)?;
            }
            Ok(())
        }
        Some(Writer::Gif) => pair(&a, &b, |blk| gif_renders(blk, opts), |_, _| false),
        Some(Writer::Movie) => movie_headers(input, out),
        // Every property (orientation, colour, geometry) is in `ipco`, which the coded data
        // holds; the tables that tie items to it are compared here.
        Some(Writer::Heif) => item_tables(input, out, format),
        // TIFF is decoded instead.
        _ => Ok(()),
    }
}

/// HEIF: the output's item tables must be the input's without its metadata items: the same
/// primary item (`pitm`), the same `infe` and `iloc` entries of the kept items byte for byte,
/// the same `ipma` entries byte for byte (which properties, essential or not, each item has),
/// and the same `iref` references (thumbnails, grid tiles, alpha and depth planes) apart from
/// those to or from a removed item.
fn item_tables(input: &[u8], out: &[u8], format: FileType) -> Result<(), String> {
    let (a, b) = (
        heif::tables(input, format).map_err(|e| e.to_string())?,
        heif::tables(out, format).map_err(|e| e.to_string())?,
    );
    let want = a.without_metadata();
    for (name, same) in [
        ("primary item (pitm)", want.primary == b.primary),
        ("item entries (iinf)", want.items == b.items),
        ("item locations (iloc)", want.locations == b.locations),
        (
            "property associations (ipma)",
            want.properties == b.properties,
        ),
        ("item references (iref)", want.references == b.references),
    ] {
        if !same {
            return Err(format!("{name} changed"));
        }
    }
    Ok(())
}

/// Pairs each output block with an input block, in order: byte-identical, or an allowed
/// `rewrite(input_block, output_block)`. An input block left unpaired must not be one that
/// `renders` (affects how the file displays).
fn pair(
    input: &[&[u8]],
    out: &[&[u8]],
    renders: impl Fn(&[u8]) -> bool,
    rewrite: impl Fn(&[u8], &[u8]) -> bool,
) -> Result<(), String> {
    let mut next = 0;
    for (n, ob) in out.iter().enumerate() {
        let Some(k) = input[next..]
            .iter()
            .position(|ib| ib == ob || rewrite(ib, ob))
        else {
            return Err(format!(
                "block {} of the output is not a copy of an input block",
                n + 1
            ));
        };
        dropped(&input[next..next + k], &renders)?;
        next += k + 1;
    }
    dropped(&input[next..], &renders)
}

fn dropped(blocks: &[&[u8]], renders: impl Fn(&[u8]) -> bool) -> Result<(), String> {
    match blocks.iter().find(|b| renders(b)) {
        Some(b) => Err(format!(
            "a block that affects rendering ({}) is missing from the output",
            block_name(b)
        )),
        None => Ok(()),
    }
}

/// A name for a block in a message: its chunk type (PNG, WebP) or marker (JPEG, GIF).
fn block_name(b: &[u8]) -> String {
    let fourcc = |r: std::ops::Range<usize>| {
        b.get(r)
            .filter(|k| k.iter().all(|c| c.is_ascii_alphanumeric() || *c == b' '))
            .map(super::label)
    };
    fourcc(4..8)
        .or_else(|| fourcc(0..4))
        .unwrap_or_else(|| match b {
            [0xFF, ..] => format!(
                "marker 0x{:02X}",
                b.iter().find(|&&c| c != 0xFF).unwrap_or(&0)
            ),
            _ => format!("block 0x{:02X}", b.first().unwrap_or(&0)),
        })
}

/// The orientation the output displays with must be the input's when it is kept, and none
/// otherwise.
fn same_orientation(
    input: Option<&[u8]>,
    out: Option<&[u8]>,
    opts: &StripOptions,
) -> Result<(), String> {
    let want = input
        .and_then(tiff::orientation)
        .filter(|_| opts.keep_orientation);
    let got = out.and_then(tiff::orientation);
    if want == got {
        Ok(())
    } else {
        Err(format!(
            "orientation changed from {} to {}",
            want.unwrap_or(1),
            got.unwrap_or(1)
        ))
    }
}

/// Whether `tiff` is exactly the minimal EXIF block for some orientation of `from`.
fn is_minimal_exif_of(from: &[u8], tiff_bytes: &[u8]) -> bool {
    tiff::orientation(from).is_some_and(|o| tiff::minimal_exif(o) == tiff_bytes)
}

/// A JPEG segment's marker and payload (after the length field); standalone markers and SOS
/// entropy data give an empty or partial payload, which the callers do not look at.
fn jpeg_segment(bytes: &[u8]) -> (u8, &[u8]) {
    let at = bytes.iter().position(|&b| b != 0xFF).unwrap_or(bytes.len());
    let marker = bytes.get(at).copied().unwrap_or(0);
    let len = super::read_uint::<2>(bytes, at + 1, true).unwrap_or(0) as usize;
    let payload = bytes.get(at + 3..at + 1 + len.max(2)).unwrap_or(&[]);
    (marker, payload)
}

const JPEG_EXIF: &[u8] = b"Exif\0\0";

/// JFIF (colour space and density), Adobe (colour transform), ICC and every coding segment.
fn jpeg_renders(bytes: &[u8], opts: &StripOptions) -> bool {
    let (marker, p) = jpeg_segment(bytes);
    match marker {
        0xE0 => p.starts_with(b"JFIF\0"),
        0xE2 => opts.keep_icc && p.starts_with(b"ICC_PROFILE\0"),
        0xEE => p.starts_with(b"Adobe"),
        0xE1..=0xEF | 0xFE => false,
        _ => true,
    }
}

/// JFIF without its thumbnail (same version, units and density), or the minimal EXIF of the
/// input EXIF's orientation.
fn jpeg_rewrite(ib: &[u8], ob: &[u8]) -> bool {
    let ((im, ip), (om, op)) = (jpeg_segment(ib), jpeg_segment(ob));
    match (im, om) {
        (0xE0, 0xE0) => {
            ip.starts_with(b"JFIF\0")
                && op.len() == 14
                && ip.get(..12) == op.get(..12)
                && op[12..] == [0, 0]
        }
        (0xE1, 0xE1) => match (jpeg_exif_tiff(ip), op.strip_prefix(JPEG_EXIF)) {
            (Some(from), Some(to)) => is_minimal_exif_of(from, to),
            _ => false,
        },
        _ => false,
    }
}

fn jpeg_exif_tiff(payload: &[u8]) -> Option<&[u8]> {
    payload
        .strip_prefix(JPEG_EXIF)
        .or_else(|| payload.strip_prefix(b"Exif\0\xFF"))
}

/// The TIFF bytes of the first EXIF segment, the one viewers read the orientation from.
fn jpeg_exif<'a>(blocks: &[&'a [u8]]) -> Option<&'a [u8]> {
    blocks.iter().find_map(|b| match jpeg_segment(b) {
        (0xE1, p) => jpeg_exif_tiff(p),
        _ => None,
    })
}

/// A PNG chunk's type and data.
fn png_chunk(bytes: &[u8]) -> (&[u8], &[u8]) {
    let kind = bytes.get(4..8).unwrap_or(&[]);
    let data = bytes.get(8..bytes.len().saturating_sub(4)).unwrap_or(&[]);
    (kind, data)
}

/// Critical chunks and every public chunk that changes how pixels display.
fn png_renders(bytes: &[u8], opts: &StripOptions) -> bool {
    match png_chunk(bytes).0 {
        b"iCCP" => opts.keep_icc,
        k => {
            k.first().is_some_and(u8::is_ascii_uppercase)
                || matches!(
                    k,
                    b"tRNS"
                        | b"gAMA"
                        | b"cHRM"
                        | b"sRGB"
                        | b"sBIT"
                        | b"cICP"
                        | b"mDCV"
                        | b"cLLI"
                        | b"pHYs"
                        | b"bKGD"
                        | b"acTL"
                        | b"fcTL"
                        | b"fdAT"
                )
        }
    }
}

/// The minimal eXIf of the input eXIf's orientation, with a correct CRC.
fn png_rewrite(ib: &[u8], ob: &[u8]) -> bool {
    let ((ik, id), (ok, od)) = (png_chunk(ib), png_chunk(ob));
    if !(ik == b"eXIf" && ok == b"eXIf" && is_minimal_exif_of(id, od)) {
        return false;
    }
    let mut h = crc32fast::Hasher::new();
    h.update(ok);
    h.update(od);
    ob.get(ob.len().saturating_sub(4)..) == Some(&h.finalize().to_be_bytes()[..])
}

fn png_exif<'a>(blocks: &[&'a [u8]]) -> Option<&'a [u8]> {
    blocks.iter().find_map(|b| match png_chunk(b) {
        (b"eXIf", d) => Some(d),
        _ => None,
    })
}

/// A WebP chunk's type and data (without the padding byte).
fn webp_chunk(bytes: &[u8]) -> (&[u8], &[u8]) {
    let kind = bytes.get(..4).unwrap_or(&[]);
    let len = super::read_uint::<4>(bytes, 4, false).unwrap_or(0) as usize;
    let data = bytes.get(8..8 + len).unwrap_or(&[]);
    (kind, data)
}

const WEBP_METADATA_FLAGS: u8 = 0x20 | 0x08 | 0x04; // ICC, EXIF, XMP

fn webp_renders(bytes: &[u8], opts: &StripOptions) -> bool {
    match webp_chunk(bytes).0 {
        b"VP8X" | b"VP8 " | b"VP8L" | b"ALPH" | b"ANIM" | b"ANMF" => true,
        b"ICCP" => opts.keep_icc,
        _ => false,
    }
}

/// VP8X with only the metadata flags changed (canvas size, alpha and animation flags equal), or
/// the minimal EXIF of the input EXIF's orientation.
fn webp_rewrite(ib: &[u8], ob: &[u8]) -> bool {
    let ((ik, id), (ok, od)) = (webp_chunk(ib), webp_chunk(ob));
    match (ik, ok) {
        (b"VP8X", b"VP8X") => {
            id.len() == od.len()
                && !id.is_empty()
                && (id[0] ^ od[0]) & !WEBP_METADATA_FLAGS == 0
                && id[1..] == od[1..]
        }
        (b"EXIF", b"EXIF") => is_minimal_exif_of(webp_exif_tiff(id), od),
        _ => false,
    }
}

fn webp_exif_tiff(data: &[u8]) -> &[u8] {
    data.strip_prefix(b"Exif\0\0").unwrap_or(data)
}

fn webp_exif<'a>(blocks: &[&'a [u8]]) -> Option<&'a [u8]> {
    blocks.iter().find_map(|b| match webp_chunk(b) {
        (b"EXIF", d) => Some(webp_exif_tiff(d)),
        _ => None,
    })
}

/// Everything but comments, XMP and unknown extensions: the screen, images, graphic control,
/// plain text, the loop count and (when kept) the ICC profile.
fn gif_renders(bytes: &[u8], opts: &StripOptions) -> bool {
    match bytes {
        [0x21, 0xFF, 11, rest @ ..] => match rest.get(..11) {
            Some(b"NETSCAPE2.0" | b"ANIMEXTS1.0") => true,
            Some(b"ICCRGBG1012") => opts.keep_icc,
            _ => false,
        },
        [0x21, 0xF9 | 0x01, ..] => true,
        [0x21, ..] => false,
        _ => true,
    }
}

/// MP4/MOV: the movie and track headers (timescale, duration, matrix, geometry, volume), edit
/// lists and handler types of the kept tracks are equal; only the creation and modification
/// times may differ. Nothing moves in a cleaned movie, so tracks pair up by offset.
fn movie_headers(input: &[u8], out: &[u8]) -> Result<(), String> {
    let moov = |d| {
        bmff::boxes(d)
            .find(|b| &b.kind == b"moov")
            .map(|b| b.payload)
    };
    let (Some(a), Some(b)) = (moov(input), moov(out)) else {
        return Ok(()); // no movie box: nothing but the coded data to compare
    };
    if !same_timed(bmff::find(a, b"mvhd"), bmff::find(b, b"mvhd")) {
        return Err("movie header (mvhd) changed".into());
    }
    let out_boxes: Vec<_> = bmff::boxes(b).collect();
    for t in bmff::boxes(a).filter(|t| &t.kind == b"trak") {
        let Some(kept) = out_boxes
            .iter()
            .find(|o| o.offset == t.offset && &o.kind == b"trak")
        else {
            continue; // a removed metadata track; the coded data shows no media track went
        };
        let offset = t.offset;
        let (t, k) = (t.payload, kept.payload);
        let same = same_timed(bmff::find(t, b"tkhd"), bmff::find(k, b"tkhd"))
            && same_timed(
                bmff::find_path(t, &[b"mdia", b"mdhd"]),
                bmff::find_path(k, &[b"mdia", b"mdhd"]),
            )
            && bmff::find(t, b"edts").map(|b| b.payload)
                == bmff::find(k, b"edts").map(|b| b.payload)
            && handler_type(t) == handler_type(k);
        if !same {
            return Err(format!(
                "header, edit list or handler of the track at offset {offset} in moov changed"
            ));
        }
    }
    Ok(())
}

/// Whether two `mvhd`/`tkhd`/`mdhd` boxes are equal apart from their creation and modification
/// times (4 bytes each in version 0, 8 in version 1, after the version and flags).
fn same_timed(a: Option<bmff::BoxRef<'_>>, b: Option<bmff::BoxRef<'_>>) -> bool {
    fn untimed(p: &[u8]) -> (Option<&[u8]>, Option<&[u8]>) {
        let times = if p.first() == Some(&1) { 16 } else { 8 };
        (p.get(..4), p.get(4 + times..))
    }
    match (a, b) {
        (Some(a), Some(b)) => untimed(a.payload) == untimed(b.payload),
        (None, None) => true,
        _ => false,
    }
}

/// The handler type of a track (`vide`, `soun`, …), which says how its samples are decoded.
fn handler_type(trak: &[u8]) -> Option<&[u8]> {
    bmff::handler(trak)
}

/// Decodes both and compares pixels, where a decoder is built in and reads the input.
fn pixels(input: &[u8], out: &[u8], format: FileType) -> Result<(), StripError> {
    // See tiff::tiled_planar: the coded-data checks cover these alone.
    if format.caps().strip == Some(Writer::Tiff) && tiff::tiled_planar(input) {
        return Ok(());
    }
    let Some(f) = format.image_format() else {
        return Ok(());
    };
    // Both decodes at once: a single file (the vault's case) then takes one decode's time.
    let (before, after) = rayon::join(
        || image::load_from_memory_with_format(input, f),
        || image::load_from_memory_with_format(out, f),
    );
    // An input the decoder cannot read (CMYK TIFF, DNG, 12-bit JPEG) is covered by the
    // coded-data comparison alone.
    let Ok(before) = before else {
        return Ok(());
    };
    let after = after.map_err(|e| StripError::Verify(format!("output does not decode: {e}")))?;
    if before.color() != after.color()
        || before.width() != after.width()
        || before.height() != after.height()
        || before.as_bytes() != after.as_bytes()
    {
        return Err(StripError::Verify("decoded pixels differ".into()));
    }
    Ok(())
}

/// Test helper for the format modules: `out`, cleaned from `input` with the default options,
/// has the input's coded data, and cleaning it again changes nothing.
#[cfg(test)]
pub(crate) fn assert_clean_output(input: &[u8], out: &[u8]) {
    let format = crate::media::sniff::sniff(input).expect("a known format");
    assert!(same_bytes(
        &coded(&parts(input, format).unwrap()),
        &coded(&parts(out, format).unwrap())
    ));
    let again = super::clean(out, &StripOptions::default()).unwrap();
    assert_eq!(again.data, out);
    assert!(again.removed.is_empty(), "{:?}", again.removed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::clean;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, marker];
        v.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    /// A structurally complete JPEG: JFIF, an ICC profile, EXIF with Orientation 6 and a GPS-ish
    /// payload, a comment, then tables, frame, scan and EOI.
    fn jpeg() -> Vec<u8> {
        let mut exif = JPEG_EXIF.to_vec();
        exif.extend_from_slice(&tiff::minimal_exif(6));
        exif.extend_from_slice(b"GPS 51N 0W, Apple iPhone");
        let mut v = vec![0xFF, 0xD8];
        v.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        v.extend(segment(0xE1, &exif));
        v.extend(segment(0xE2, b"ICC_PROFILE\0\x01\x01profile bytes"));
        v.extend(segment(0xFE, b"a comment"));
        v.extend(segment(0xDB, &[0; 65]));
        v.extend(segment(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
        v.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        v.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD9]);
        v
    }

    fn stripped(input: &[u8], opts: &StripOptions) -> Stripped {
        let s = clean(input, opts).unwrap();
        assert!(!s.removed.is_empty());
        verify(input, &s, opts).unwrap();
        s
    }

    fn replace(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        let at = data.windows(from.len()).position(|w| w == from).unwrap();
        [&data[..at], to, &data[at + from.len()..]].concat()
    }

    fn rejected(input: &[u8], mut s: Stripped, data: Vec<u8>, opts: &StripOptions) -> String {
        s.data = data;
        match verify(input, &s, opts) {
            Err(StripError::Verify(why)) => why,
            other => panic!("tampered output accepted: {other:?}"),
        }
    }

    #[test]
    fn a_dry_clean_logs_what_a_real_one_removes() {
        let opts = StripOptions::default();
        let input = jpeg();
        assert_eq!(
            removable(&input, &opts).unwrap(),
            clean(&input, &opts).unwrap().removed
        );
    }

    #[test]
    fn jpeg_kept_blocks_must_be_copies() {
        let opts = StripOptions::default();
        let input = jpeg();
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
        let mut exif = JPEG_EXIF.to_vec();
        exif.extend_from_slice(&tiff::minimal_exif(6));
        let data = replace(&s.data, &segment(0xE1, &exif), b"");
        let why = rejected(&input, s, data, &opts);
        assert!(why.contains("orientation"), "{why}");
    }

    #[test]
    fn jpeg_without_keeps_verifies() {
        let opts = StripOptions {
            keep_orientation: false,
            keep_icc: false,
            ..StripOptions::default()
        };
        let s = stripped(&jpeg(), &opts);
        assert!(!s.data.windows(11).any(|w| w == b"ICC_PROFILE"));
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        crate::metadata::png::push_chunk(&mut v, kind, data);
        v
    }

    #[test]
    fn png_rendering_chunks_must_survive() {
        let opts = StripOptions::default();
        let gama = png_chunk(b"gAMA", &[0, 0, 177, 143]);
        let input = [
            png::SIGNATURE.to_vec(),
            png_chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]),
            gama.clone(),
            png_chunk(b"tEXt", b"Author\0me"),
            png_chunk(
                b"IDAT",
                b"\x78\x01\x01\x02\x00\xfd\xff\x00\x00\x00\x01\x00\x01",
            ),
            png_chunk(b"IEND", b""),
        ]
        .concat();
        let s = stripped(&input, &opts);
        let data = replace(&s.data, &gama, b"");
        let why = rejected(&input, s.clone(), data, &opts);
        assert!(why.contains("gAMA"), "{why}");
        let data = replace(&s.data, &gama, &png_chunk(b"gAMA", &[0, 0, 177, 144]));
        rejected(&input, s, data, &opts);
    }

    #[test]
    fn webp_canvas_must_not_change() {
        let opts = StripOptions::default();
        let chunk = |kind: &[u8; 4], data: &[u8]| {
            let mut v = kind.to_vec();
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(data);
            v
        };
        let vp8x = |w: u8| chunk(b"VP8X", &[0x08, 0, 0, 0, w, 0, 0, 0, 0, 0]);
        let body = [
            vp8x(9),
            chunk(b"VP8L", b"pixels"),
            chunk(b"EXIF", b"II*\0\x08\0\0\0\0\0"),
        ]
        .concat();
        let mut input = b"RIFF".to_vec();
        input.extend_from_slice(&((body.len() + 4) as u32).to_le_bytes());
        input.extend_from_slice(b"WEBP");
        input.extend_from_slice(&body);
        let s = stripped(&input, &opts);
        // The cleaner cleared the EXIF flag; a changed canvas width is not allowed.
        let cleared = chunk(b"VP8X", &[0, 0, 0, 0, 9, 0, 0, 0, 0, 0]);
        let data = replace(
            &s.data,
            &cleared,
            &chunk(b"VP8X", &[0, 0, 0, 0, 8, 0, 0, 0, 0, 0]),
        );
        rejected(&input, s, data, &opts);
    }

    #[test]
    fn same_bytes_ignores_how_data_is_split() {
        assert!(same_bytes(&[b"ab", b"", b"c"], &[b"a", b"bc"]));
        assert!(same_bytes(&[], &[b""]));
        assert!(!same_bytes(&[b"ab"], &[b"a", b"c"]));
        assert!(!same_bytes(&[b"ab"], &[b"ab", b"c"]));
    }

    #[test]
    fn movie_headers_compare_all_but_times() {
        let movie = |created: u8, width: u8, elst: u8| {
            let mut tkhd = vec![0u8; 84];
            tkhd[4] = created;
            tkhd[76] = width;
            let trak = [
                bmff::boxed(b"tkhd", &tkhd),
                bmff::boxed(b"edts", &[elst; 4]),
            ]
            .concat();
            let mut mvhd = vec![0u8; 100];
            mvhd[4] = created;
            bmff::boxed(
                b"moov",
                &[bmff::boxed(b"mvhd", &mvhd), bmff::boxed(b"trak", &trak)].concat(),
            )
        };
        assert!(movie_headers(&movie(1, 2, 3), &movie(0, 2, 3)).is_ok());
        assert!(movie_headers(&movie(1, 2, 3), &movie(1, 4, 3)).is_err());
        assert!(movie_headers(&movie(1, 2, 3), &movie(1, 2, 5)).is_err());
    }
}
