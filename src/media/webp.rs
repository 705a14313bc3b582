//! WebP: drops the EXIF and XMP chunks, unknown chunks and data after the RIFF container, and
//! sets the VP8X flags to match what is left (the alpha and animation flags are kept as they
//! are). Keeps ICCP when asked and a minimal EXIF holding only Orientation when there was one.
//!
//! Written by hand rather than with `img-parts`: the RIFF walk is short, and this way the same
//! code serves verification and reports every chunk it drops.

use super::parts::{BlockRules, Decode, Kept, Rules};
use super::{Chunk, Log, Part, StripError, StripOptions, label, read_uint, tiff};
use crate::media::sniff::FileType;

const FORMAT: FileType = FileType::Webp;
const FLAG_ICC: u8 = 0x20;
const FLAG_EXIF: u8 = 0x08;
const FLAG_XMP: u8 = 0x04;

fn parse(input: &[u8]) -> Result<(Vec<Chunk<'_>>, &[u8]), StripError> {
    let bad = |d: String| StripError::malformed(FORMAT, d);
    if input.len() < 12 || &input[0..4] != b"RIFF" || &input[8..12] != b"WEBP" {
        return Err(bad("no RIFF/WEBP header".into()));
    }
    let riff = u32::from_le_bytes([input[4], input[5], input[6], input[7]]) as usize;
    let end = riff
        .checked_add(8)
        .filter(|&e| e <= input.len() && e >= 12)
        .ok_or_else(|| bad(format!("RIFF size {riff} does not match the file")))?;
    let mut pos = 12;
    let mut chunks = Vec::new();
    while pos < end {
        let h = input
            .get(pos..pos + 8)
            .filter(|_| pos + 8 <= end)
            .ok_or_else(|| bad(format!("truncated chunk header at offset {pos}")))?;
        let kind = [h[0], h[1], h[2], h[3]];
        let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
        let padded = len + (len & 1);
        if pos + 8 + len > end {
            return Err(bad(format!(
                "chunk {} at offset {pos} has length {len}, past the end",
                label(&kind)
            )));
        }
        let chunk_end = (pos + 8 + padded).min(end);
        chunks.push(Chunk {
            kind,
            data: &input[pos + 8..pos + 8 + len],
            bytes: &input[pos..chunk_end],
        });
        pos = chunk_end;
    }
    if chunks.is_empty() {
        return Err(bad("no chunks".into()));
    }
    Ok((chunks, &input[end..]))
}

pub(crate) fn clean(
    input: &[u8],
    opts: &StripOptions,
    log: &mut Log,
) -> Result<Vec<u8>, StripError> {
    let (chunks, trailing) = parse(input)?;
    let has_vp8x = &chunks[0].kind == b"VP8X";
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..12]);
    let (mut icc, mut exif) = (false, false);
    for c in &chunks {
        match &c.kind {
            b"VP8X" | b"VP8 " | b"VP8L" | b"ALPH" | b"ANIM" | b"ANMF" => {
                out.extend_from_slice(c.bytes)
            }
            b"ICCP" if opts.keep_icc => {
                icc = true;
                out.extend_from_slice(c.bytes);
            }
            b"ICCP" => log.add("ICC profile", c.bytes.len()),
            b"EXIF" => {
                // Some writers put JPEG's `Exif\0\0` prefix before the TIFF header.
                let tiff_bytes = c.data.strip_prefix(b"Exif\0\0").unwrap_or(c.data);
                let minimal = (!exif && has_vp8x && opts.keep_orientation)
                    .then(|| tiff::orientation(tiff_bytes))
                    .flatten()
                    .map(tiff::minimal_exif);
                match minimal {
                    Some(m) if m == c.data => {
                        exif = true;
                        out.extend_from_slice(c.bytes);
                    }
                    Some(m) => {
                        exif = true;
                        out.extend_from_slice(b"EXIF");
                        out.extend_from_slice(&(m.len() as u32).to_le_bytes());
                        out.extend_from_slice(&m);
                        log.add("EXIF", c.bytes.len().saturating_sub(m.len() + 8));
                    }
                    None => log.add("EXIF", c.bytes.len()),
                }
            }
            b"XMP " => log.add("XMP", c.bytes.len()),
            k => log.add(format!("chunk {}", label(k)), c.bytes.len()),
        }
    }
    if !trailing.is_empty() {
        log.add("data after RIFF container", trailing.len());
    }
    if has_vp8x && out.len() > 20 {
        let flags = &mut out[20];
        *flags &= !(FLAG_ICC | FLAG_EXIF | FLAG_XMP);
        if icc {
            *flags |= FLAG_ICC;
        }
        if exif {
            *flags |= FLAG_EXIF;
        }
    }
    let riff = (out.len() - 8) as u32;
    out[4..8].copy_from_slice(&riff.to_le_bytes());
    Ok(out)
}

/// Every chunk inside the RIFF container in file order, for verification; the bitstream, alpha
/// and animation chunks are the coded data.
pub(crate) fn parts(input: &[u8]) -> Result<Vec<Part<'_>>, StripError> {
    let coded = |k: &[u8; 4]| matches!(k, b"VP8 " | b"VP8L" | b"ALPH" | b"ANIM" | b"ANMF");
    let chunks = parse(input)?.0.into_iter();
    Ok(chunks.map(|c| Part::new(c.bytes, coded(&c.kind))).collect())
}

/// A chunk's type and data (without the padding byte), for verification's kept-block rules.
fn chunk_of(bytes: &[u8]) -> (&[u8], &[u8]) {
    let kind = bytes.get(..4).unwrap_or(&[]);
    let len = read_uint::<4>(bytes, 4, false).unwrap_or(0) as usize;
    let data = bytes.get(8..8 + len).unwrap_or(&[]);
    (kind, data)
}

const METADATA_FLAGS: u8 = FLAG_ICC | FLAG_EXIF | FLAG_XMP;

/// Verification: whether a chunk affects rendering.
fn renders(bytes: &[u8], opts: &StripOptions) -> bool {
    match chunk_of(bytes).0 {
        b"VP8X" | b"VP8 " | b"VP8L" | b"ALPH" | b"ANIM" | b"ANMF" => true,
        b"ICCP" => opts.keep_icc,
        _ => false,
    }
}

/// Verification: the rewrites the cleaner makes — VP8X with only the metadata flags changed
/// (canvas size, alpha and animation flags equal), or the minimal EXIF of the input EXIF's
/// orientation.
fn rewrite(ib: &[u8], ob: &[u8]) -> bool {
    let ((ik, id), (ok, od)) = (chunk_of(ib), chunk_of(ob));
    match (ik, ok) {
        (b"VP8X", b"VP8X") => {
            id.len() == od.len()
                && !id.is_empty()
                && (id[0] ^ od[0]) & !METADATA_FLAGS == 0
                && id[1..] == od[1..]
        }
        (b"EXIF", b"EXIF") => tiff::is_minimal_exif_of(exif_tiff(id), od),
        _ => false,
    }
}

fn exif_tiff(data: &[u8]) -> &[u8] {
    data.strip_prefix(b"Exif\0\0").unwrap_or(data)
}

/// Verification: the EXIF chunk's TIFF bytes, the orientation's source. Only an extended
/// (VP8X) file keeps an orientation: see [`orients`].
fn exif<'a>(blocks: &[&'a [u8]]) -> Option<&'a [u8]> {
    blocks.iter().find_map(|b| match chunk_of(b) {
        (b"EXIF", d) => Some(exif_tiff(d)),
        _ => None,
    })
}

/// Verification: whether the input's blocks are an extended (VP8X) file, the only kind that
/// keeps an orientation.
fn orients(blocks: &[&[u8]]) -> bool {
    blocks.first().is_some_and(|c| c.starts_with(b"VP8X"))
}

/// How verification checks a cleaned WebP: its chunks and the rules above.
pub(crate) const RULES: Rules = Rules::Parts {
    parts: |data, _| parts(data),
    kept: Kept::Blocks(BlockRules {
        renders,
        rewrite,
        orients,
        exif,
    }),
    decode: |_| Decode::AsAsked,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::verify::testing::{rejected, replace, stripped};

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = kind.to_vec();
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(data);
        if data.len() % 2 == 1 {
            v.push(0);
        }
        v
    }

    fn webp(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = chunks.concat();
        let mut v = b"RIFF".to_vec();
        v.extend_from_slice(&((body.len() + 4) as u32).to_le_bytes());
        v.extend_from_slice(b"WEBP");
        v.extend_from_slice(&body);
        v
    }

    #[test]
    fn drops_exif_xmp_and_fixes_flags() {
        let flags = FLAG_ICC | FLAG_EXIF | FLAG_XMP | 0x10;
        let input = webp(&[
            chunk(b"VP8X", &[flags, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            chunk(b"ICCP", b"icc"),
            chunk(b"ALPH", b"a"),
            chunk(b"VP8L", b"pixels"),
            chunk(b"EXIF", b"II*\0\x08\0\0\0\0\0"),
            chunk(b"XMP ", b"<x/>"),
        ]);
        let mut log = Log::default();
        let out = clean(&input, &StripOptions::default(), &mut log).unwrap();
        assert_eq!(out[20], FLAG_ICC | 0x10);
        assert_eq!(
            out.len() - 8,
            u32::from_le_bytes(out[4..8].try_into().unwrap()) as usize
        );
        let groups: Vec<String> = log.finish().into_iter().map(|r| r.group).collect();
        assert_eq!(groups, ["EXIF", "XMP"]);
        crate::metadata::verify::assert_clean_output(&input, &out);
    }

    #[test]
    fn hostile_sizes_are_errors() {
        let mut input = webp(&[chunk(b"VP8L", b"pixels")]);
        input[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(clean(&input, &StripOptions::default(), &mut Log::default()).is_err());
        assert!(
            clean(
                b"RIFF\xff\xff\xff\xffWEBP",
                &StripOptions::default(),
                &mut Log::default()
            )
            .is_err()
        );
    }

    #[test]
    fn canvas_must_not_change() {
        let opts = StripOptions::default();
        let vp8x = |w: u8| chunk(b"VP8X", &[FLAG_EXIF, 0, 0, 0, w, 0, 0, 0, 0, 0]);
        let input = webp(&[
            vp8x(9),
            chunk(b"VP8L", b"pixels"),
            chunk(b"EXIF", b"II*\0\x08\0\0\0\0\0"),
        ]);
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
}
