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
use crate::media::caps::Writer;
use crate::media::heif::verify as heif_verify;
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
            pair(&a, &b, |s| jpeg::renders(s, opts), jpeg::rewrite)?;
            same_orientation(jpeg::exif(&a), jpeg::exif(&b), opts)
        }
        Some(Writer::Png) => {
            pair(&a, &b, |c| png::renders(c, opts), png::rewrite)?;
            same_orientation(png::exif(&a), png::exif(&b), opts)
        }
        Some(Writer::Webp) => {
            pair(&a, &b, |c| webp::renders(c, opts), webp::rewrite)?;
            if webp::keeps_orientation(&a) {
                same_orientation(webp::exif(&a), webp::exif(&b), opts)?;
            }
            Ok(())
        }
        Some(Writer::Gif) => pair(&a, &b, |blk| gif::renders(blk, opts), |_, _| false),
        Some(Writer::Movie) => mp4::verify::movie_headers(input, out),
        Some(Writer::Heif) => heif_verify::item_tables(input, out, format),
        // TIFF is decoded instead.
        _ => Ok(()),
    }
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

/// Helpers for the format modules' tests of their verification rules: clean a file, tamper
/// with the output, and see the driver reject it.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::metadata::clean;

    /// Cleans `input`, which must lose something, and verifies the output.
    pub(crate) fn stripped(input: &[u8], opts: &StripOptions) -> Stripped {
        let s = clean(input, opts).unwrap();
        assert!(!s.removed.is_empty());
        verify(input, &s, opts).unwrap();
        s
    }

    /// `data` with the first occurrence of `from` replaced by `to`.
    pub(crate) fn replace(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
        let at = data.windows(from.len()).position(|w| w == from).unwrap();
        [&data[..at], to, &data[at + from.len()..]].concat()
    }

    /// Why verification rejects `s` with its bytes replaced by `data`; panics if it accepts.
    pub(crate) fn rejected(
        input: &[u8],
        mut s: Stripped,
        data: Vec<u8>,
        opts: &StripOptions,
    ) -> String {
        s.data = data;
        match verify(input, &s, opts) {
            Err(StripError::Verify(why)) => why,
            other => panic!("tampered output accepted: {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::clean;

    #[test]
    fn a_dry_clean_logs_what_a_real_one_removes() {
        let opts = StripOptions::default();
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(&tiff::minimal_exif(6));
        exif.extend_from_slice(b"GPS 51N 0W, Apple iPhone");
        let input = jpeg::tests::skeleton(&[(0xE1, &exif), (0xFE, b"a comment")], b"");
        assert_eq!(
            removable(&input, &opts).unwrap(),
            clean(&input, &opts).unwrap().removed
        );
    }

    #[test]
    fn same_bytes_ignores_how_data_is_split() {
        assert!(same_bytes(&[b"ab", b"", b"c"], &[b"a", b"bc"]));
        assert!(same_bytes(&[], &[b""]));
        assert!(!same_bytes(&[b"ab"], &[b"a", b"c"]));
        assert!(!same_bytes(&[b"ab"], &[b"ab", b"c"]));
    }
}
