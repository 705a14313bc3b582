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
//!
//! This is the format-free driver: each format's rules (what its parts are, which blocks render,
//! which rewrites are allowed, where its orientation is, the structures it compares, when it is
//! decoded) are defined beside its strip under `media` and handed out by the capability table
//! (`Rules`, from `Writer::rules`).

use super::{Stripped, VerifyLevel, removable};
use crate::media::parts::{BlockRules, Decode, Kept, Part, Rules, StripError, StripOptions};
use crate::media::sniff::FileType;
use crate::media::tiff;

/// Checks `stripped` against `input`; an error means the output must be discarded. The
/// format's own rules come from the capability table ([`Rules`]); this is the driver that
/// applies them.
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
    let (parts, kept, decode) = match rules(format)? {
        Rules::Whole(check) => return check(input, out),
        Rules::Parts {
            parts,
            kept,
            decode,
        } => (parts, kept, decode),
    };
    let (a, b) = (parts(input, format)?, parts(out, format)?);
    if !same_bytes(&coded(&a), &coded(&b)) {
        return Err(StripError::Verify(
            "coded image or media data differs from the input".into(),
        ));
    }
    match kept {
        Kept::Blocks(rules) => {
            kept_blocks(&all(&a), &all(&b), &rules, opts).map_err(StripError::Verify)?
        }
        Kept::Structure(check) => check(input, out, format, opts)?,
    }
    let decode = match decode(input) {
        Decode::AsAsked => opts.verify == VerifyLevel::Pixels,
        Decode::Always => true,
        Decode::Never => false,
    };
    if decode {
        pixels(input, out, format)?;
    }
    Ok(())
}

/// The verification rules of `format`'s writer.
fn rules(format: FileType) -> Result<Rules, StripError> {
    let unverified = || StripError::Verify(format!("no block verifier for {format}"));
    Ok(format.caps().strip.ok_or_else(unverified)?.rules())
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

/// The kept-block policy: every block of the output (`b`) pairs with one of the input (`a`),
/// in order, by the format's `rules`; then the displayed orientation is the input's.
fn kept_blocks(
    a: &[&[u8]],
    b: &[&[u8]],
    rules: &BlockRules,
    opts: &StripOptions,
) -> Result<(), String> {
    pair(a, b, |blk| (rules.renders)(blk, opts), rules.rewrite)?;
    if (rules.orients)(a) {
        same_orientation((rules.exif)(a), (rules.exif)(b), opts)?;
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

/// Decodes both and compares pixels, where a decoder is built in and reads the input.
fn pixels(input: &[u8], out: &[u8], format: FileType) -> Result<(), StripError> {
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
    let Rules::Parts { parts, .. } = rules(format).unwrap() else {
        panic!("{format} is verified whole");
    };
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
    use crate::media::jpeg;
    use crate::metadata::clean;

    #[test]
    fn a_dry_clean_logs_what_a_real_one_removes() {
        let opts = StripOptions::default();
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(&tiff::minimal_exif(6));
        exif.extend_from_slice(b"GPS 51N 0W, Apple iPhone");
        let input = jpeg::tests::skeleton(&[(0xE1, exif.as_slice()), (0xFE, b"a comment")], b"");
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
