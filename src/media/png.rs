//! PNG (and APNG): drops tEXt, zTXt and iTXt (XMP and ImageMagick's raw profiles live there),
//! eXIf, tIME, private ancillary chunks and data after IEND. Keeps every critical chunk and
//! the public ancillary chunks rendering uses (tRNS, gAMA, cHRM, sRGB, pHYs, APNG frames, …),
//! iCCP when asked, and a minimal eXIf holding only Orientation when the original had one.

use super::parts::{BlockRules, Decode, Kept, Rules};
use super::{Chunk, Log, Part, StripError, StripOptions, label, tiff};
use crate::media::sniff::FileType;

const FORMAT: FileType = FileType::Png;
pub(crate) const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Parses chunks up to IEND; returns them and the bytes after IEND.
fn parse(input: &[u8]) -> Result<(Vec<Chunk<'_>>, &[u8]), StripError> {
    let bad = |d: String| StripError::malformed(FORMAT, d);
    if !input.starts_with(SIGNATURE) {
        return Err(bad("no PNG signature".into()));
    }
    let mut pos = SIGNATURE.len();
    let mut chunks = Vec::new();
    loop {
        let header = input
            .get(pos..pos + 8)
            .ok_or_else(|| bad("truncated: no IEND chunk".into()))?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind: [u8; 4] = [header[4], header[5], header[6], header[7]];
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(bad(format!("invalid chunk type at offset {pos}")));
        }
        if len > i32::MAX as usize || pos + 12 + len > input.len() {
            return Err(bad(format!(
                "chunk {} at offset {pos} has length {len}, past the end",
                label(&kind)
            )));
        }
        if chunks.is_empty() && &kind != b"IHDR" {
            return Err(bad("first chunk is not IHDR".into()));
        }
        let end = pos + 12 + len;
        chunks.push(Chunk {
            kind,
            data: &input[pos + 8..pos + 8 + len],
            bytes: &input[pos..end],
        });
        pos = end;
        if &kind == b"IEND" {
            return Ok((chunks, &input[pos..]));
        }
    }
}

/// Public ancillary chunks are kept; private ones (lower-case second letter) are not. APNG's
/// animation chunks are named like private ones but are a public standard (PNG third edition)
/// and hold the frames.
fn is_private(kind: &[u8; 4]) -> bool {
    kind[1].is_ascii_lowercase() && !is_apng(kind)
}

/// APNG's animation control, frame control and frame data chunks.
fn is_apng(kind: &[u8; 4]) -> bool {
    matches!(kind, b"acTL" | b"fcTL" | b"fdAT")
}

fn is_critical(kind: &[u8; 4]) -> bool {
    kind[0].is_ascii_uppercase()
}

pub(crate) fn clean(
    input: &[u8],
    opts: &StripOptions,
    log: &mut Log,
) -> Result<Vec<u8>, StripError> {
    let (chunks, trailing) = parse(input)?;
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(SIGNATURE);
    let mut exif_done = false;
    for c in &chunks {
        match &c.kind {
            b"tEXt" | b"zTXt" | b"iTXt" => {
                let keyword = label(c.data);
                let group = if keyword == "XML:com.adobe.xmp" {
                    "XMP".to_string()
                } else {
                    format!("text ({keyword})")
                };
                log.add(group, c.bytes.len());
            }
            b"tIME" => log.add("modification time", c.bytes.len()),
            b"iCCP" if !opts.keep_icc => log.add("ICC profile", c.bytes.len()),
            b"eXIf" => {
                let minimal = (!exif_done && opts.keep_orientation)
                    .then(|| tiff::orientation(c.data))
                    .flatten()
                    .map(tiff::minimal_exif);
                exif_done = true;
                match minimal {
                    Some(m) if m == c.data => out.extend_from_slice(c.bytes),
                    Some(m) => {
                        push_chunk(&mut out, b"eXIf", &m);
                        log.add("EXIF", c.bytes.len().saturating_sub(m.len() + 12));
                    }
                    None => log.add("EXIF", c.bytes.len()),
                }
            }
            k if !is_critical(k) && is_private(k) => {
                log.add(format!("private chunk {}", label(k)), c.bytes.len());
            }
            _ => out.extend_from_slice(c.bytes),
        }
    }
    if !trailing.is_empty() {
        log.add("data after IEND", trailing.len());
    }
    Ok(out)
}

/// Appends one chunk (length, type, data, CRC) to `out`.
pub(crate) fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut h = crc32fast::Hasher::new();
    h.update(kind);
    h.update(data);
    out.extend_from_slice(&h.finalize().to_be_bytes());
}

/// Every chunk in file order, IHDR to IEND, for verification; the critical chunks,
/// transparency and APNG frames are the coded data.
pub(crate) fn parts(input: &[u8]) -> Result<Vec<Part<'_>>, StripError> {
    let coded = |k: &[u8; 4]| is_critical(k) || is_apng(k) || k == b"tRNS";
    let chunks = parse(input)?.0.into_iter();
    Ok(chunks.map(|c| Part::new(c.bytes, coded(&c.kind))).collect())
}

/// A chunk's type and data, for verification's kept-block rules.
fn chunk_of(bytes: &[u8]) -> (&[u8], &[u8]) {
    let kind = bytes.get(4..8).unwrap_or(&[]);
    let data = bytes.get(8..bytes.len().saturating_sub(4)).unwrap_or(&[]);
    (kind, data)
}

/// Verification: whether a chunk affects rendering — critical chunks and every public chunk
/// that changes how pixels display.
fn renders(bytes: &[u8], opts: &StripOptions) -> bool {
    match chunk_of(bytes).0 {
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

/// Verification: the rewrite the cleaner makes — the minimal eXIf of the input eXIf's
/// orientation, with a correct CRC.
fn rewrite(ib: &[u8], ob: &[u8]) -> bool {
    let ((ik, id), (ok, od)) = (chunk_of(ib), chunk_of(ob));
    if !(ik == b"eXIf" && ok == b"eXIf" && tiff::is_minimal_exif_of(id, od)) {
        return false;
    }
    let mut h = crc32fast::Hasher::new();
    h.update(ok);
    h.update(od);
    ob.get(ob.len().saturating_sub(4)..) == Some(&h.finalize().to_be_bytes()[..])
}

/// Verification: the eXIf chunk's TIFF bytes, the orientation's source.
fn exif<'a>(blocks: &[&'a [u8]]) -> Option<&'a [u8]> {
    blocks.iter().find_map(|b| match chunk_of(b) {
        (b"eXIf", d) => Some(d),
        _ => None,
    })
}

/// How verification checks a cleaned PNG: its chunks and the rules above.
pub(crate) const RULES: Rules = Rules::Parts {
    parts: |data, _| parts(data),
    kept: Kept::Blocks(BlockRules {
        renders,
        rewrite,
        orients: |_| true,
        exif,
    }),
    decode: |_| Decode::AsAsked,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::verify::testing::{rejected, replace, stripped};

    fn png(extra: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        push_chunk(&mut out, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
        for (k, d) in extra {
            push_chunk(&mut out, k, d);
        }
        push_chunk(
            &mut out,
            b"IDAT",
            b"\x78\x01\x01\x02\x00\xfd\xff\x00\x00\x00\x01\x00\x01",
        );
        push_chunk(&mut out, b"IEND", b"");
        out
    }

    #[test]
    fn removes_text_exif_time_private() {
        let input = png(&[
            (b"tEXt", b"Author\0me"),
            (b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x/>"),
            (b"eXIf", &tiff::minimal_exif(6)),
            (b"tIME", &[7, 232, 1, 1, 0, 0, 0]),
            (b"vpAg", &[0; 9]),
            (b"gAMA", &[0, 0, 177, 143]),
        ]);
        let mut log = Log::default();
        let out = clean(&input, &StripOptions::default(), &mut log).unwrap();
        let groups: Vec<String> = log.finish().into_iter().map(|r| r.group).collect();
        assert_eq!(
            groups,
            [
                "text (Author)",
                "XMP",
                "modification time",
                "private chunk vpAg"
            ]
        );
        assert!(out.windows(4).any(|w| w == b"eXIf"));
        assert!(out.windows(4).any(|w| w == b"gAMA"));
        crate::metadata::verify::assert_clean_output(&input, &out);
    }

    #[test]
    fn keeps_apng_frames() {
        let fctl = |seq: u8| {
            [
                &[0, 0, 0, seq][..],
                &[0, 0, 0, 1, 0, 0, 0, 1],
                &[0; 8],
                &[0, 1, 0, 10, 0, 0],
            ]
            .concat()
        };
        let input = png(&[
            (b"acTL", &[0, 0, 0, 2, 0, 0, 0, 0]),
            (b"fcTL", &fctl(0)),
            (b"tEXt", b"Software\0me"),
        ]);
        // A second frame after IDAT.
        let iend = input.len() - 12;
        let mut frame = Vec::new();
        push_chunk(&mut frame, b"fcTL", &fctl(1));
        push_chunk(
            &mut frame,
            b"fdAT",
            b"\0\0\0\x02\x78\x01\x01\x02\x00\xfd\xff\x00\x00\x00\x01\x00\x01",
        );
        let input = [&input[..iend], &frame, &input[iend..]].concat();
        let mut log = Log::default();
        let out = clean(&input, &StripOptions::default(), &mut log).unwrap();
        let kinds: Vec<[u8; 4]> = parse(&out).unwrap().0.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                *b"IHDR", *b"acTL", *b"fcTL", *b"IDAT", *b"fcTL", *b"fdAT", *b"IEND"
            ]
        );
        assert_eq!(log.finish().len(), 1);
        crate::metadata::verify::assert_clean_output(&input, &out);
    }

    #[test]
    fn truncated_and_absurd_lengths_are_errors() {
        let input = png(&[]);
        for cut in [8, 20, input.len() - 1] {
            assert!(clean(&input[..cut], &StripOptions::default(), &mut Log::default()).is_err());
        }
        let mut absurd = input.clone();
        absurd[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(clean(&absurd, &StripOptions::default(), &mut Log::default()).is_err());
    }

    #[test]
    fn rendering_chunks_must_survive() {
        let opts = StripOptions::default();
        let chunk = |kind: &[u8; 4], data: &[u8]| {
            let mut v = Vec::new();
            push_chunk(&mut v, kind, data);
            v
        };
        let gama = chunk(b"gAMA", &[0, 0, 177, 143]);
        let input = png(&[(b"gAMA", &[0, 0, 177, 143]), (b"tEXt", b"Author\0me")]);
        let s = stripped(&input, &opts);
        let data = replace(&s.data, &gama, b"");
        let why = rejected(&input, s.clone(), data, &opts);
        assert!(why.contains("gAMA"), "{why}");
        let data = replace(&s.data, &gama, &chunk(b"gAMA", &[0, 0, 177, 144]));
        rejected(&input, s, data, &opts);
    }
}
