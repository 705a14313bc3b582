//! GIF: drops comment extensions, XMP and other application extensions (keeping the NETSCAPE
//! and ANIMEXTS loop extensions, and the ICC profile extension when asked), unknown extensions
//! and data after the trailer. Image descriptors, colour tables, graphic control and plain
//! text extensions and all LZW data are copied verbatim.

use super::parts::{BlockRules, Decode, Kept, Rules};
use super::{Log, Part, StripError, StripOptions, label};
use crate::media::sniff::FileType;

const FORMAT: FileType = FileType::Gif;

/// A top-level block and what it is.
struct Block<'a> {
    kind: Kind,
    bytes: &'a [u8],
}

#[derive(Clone, PartialEq, Eq)]
enum Kind {
    /// Header, logical screen descriptor and global colour table.
    Screen,
    Image,
    GraphicControl,
    PlainText,
    Comment,
    Application(String),
    OtherExtension(u8),
    Trailer,
}

/// Skips data sub-blocks from `pos`; returns the offset after the zero terminator.
fn sub_blocks(d: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let n = usize::from(*d.get(pos)?);
        pos += 1;
        if n == 0 {
            return Some(pos);
        }
        pos += n;
    }
}

fn color_table(flags: u8) -> usize {
    if flags & 0x80 != 0 {
        3 << ((flags & 7) + 1)
    } else {
        0
    }
}

fn parse(d: &[u8]) -> Result<(Vec<Block<'_>>, &[u8]), StripError> {
    let truncated = || StripError::malformed(FORMAT, "truncated");
    if !(d.starts_with(b"GIF87a") || d.starts_with(b"GIF89a")) || d.len() < 13 {
        return Err(StripError::malformed(FORMAT, "no GIF header"));
    }
    let mut pos = 13 + color_table(d[10]);
    let mut blocks = vec![Block {
        kind: Kind::Screen,
        bytes: d.get(..pos).ok_or_else(truncated)?,
    }];
    loop {
        let start = pos;
        let kind = match *d.get(pos).ok_or_else(truncated)? {
            0x3B => {
                pos += 1;
                Kind::Trailer
            }
            0x2C => {
                let flags = *d.get(pos + 9).ok_or_else(truncated)?;
                // descriptor (10), local table, LZW minimum code size (1), data sub-blocks
                pos = sub_blocks(d, pos + 10 + color_table(flags) + 1).ok_or_else(truncated)?;
                Kind::Image
            }
            0x21 => {
                let label_byte = *d.get(pos + 1).ok_or_else(truncated)?;
                let kind = match label_byte {
                    0xF9 => Kind::GraphicControl,
                    0x01 => Kind::PlainText,
                    0xFE => Kind::Comment,
                    0xFF => {
                        let id = d
                            .get(pos + 3..pos + 14)
                            .filter(|_| d.get(pos + 2) == Some(&11))
                            .map(label)
                            .unwrap_or_default();
                        Kind::Application(id)
                    }
                    other => Kind::OtherExtension(other),
                };
                pos = sub_blocks(d, pos + 2).ok_or_else(truncated)?;
                kind
            }
            b => {
                return Err(StripError::malformed(
                    FORMAT,
                    format!("unknown block 0x{b:02X} at offset {pos}"),
                ));
            }
        };
        let bytes = d.get(start..pos).ok_or_else(truncated)?;
        let end = kind == Kind::Trailer;
        blocks.push(Block { kind, bytes });
        if end {
            return Ok((blocks, &d[pos..]));
        }
    }
}

pub(crate) fn clean(
    input: &[u8],
    opts: &StripOptions,
    log: &mut Log,
) -> Result<Vec<u8>, StripError> {
    let (blocks, trailing) = parse(input)?;
    let mut out = Vec::with_capacity(input.len());
    for b in &blocks {
        let drop = match &b.kind {
            Kind::Comment => Some("comment".to_string()),
            Kind::Application(id) => match id.as_str() {
                "NETSCAPE2.0" | "ANIMEXTS1.0" => None,
                "ICCRGBG1012" if opts.keep_icc => None,
                "ICCRGBG1012" => Some("ICC profile".to_string()),
                "XMP DataXMP" => Some("XMP".to_string()),
                other => Some(format!("application extension {other}")),
            },
            Kind::OtherExtension(l) => Some(format!("extension 0x{l:02X}")),
            _ => None,
        };
        match drop {
            Some(group) => log.add(group, b.bytes.len()),
            None => out.extend_from_slice(b.bytes),
        }
    }
    if !trailing.is_empty() {
        log.add("data after trailer", trailing.len());
    }
    Ok(out)
}

/// Every top-level block in file order, screen descriptor to trailer, for verification; the
/// screen descriptor, images and graphic control blocks are the coded data.
pub(crate) fn parts(input: &[u8]) -> Result<Vec<Part<'_>>, StripError> {
    let coded = |k: &Kind| matches!(k, Kind::Screen | Kind::Image | Kind::GraphicControl);
    let blocks = parse(input)?.0.into_iter();
    Ok(blocks.map(|b| Part::new(b.bytes, coded(&b.kind))).collect())
}

/// Verification: whether a block affects rendering — everything but comments, XMP and unknown
/// extensions: the screen, images, graphic control, plain text, the loop count and (when kept)
/// the ICC profile.
fn renders(bytes: &[u8], opts: &StripOptions) -> bool {
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

/// How verification checks a cleaned GIF: its blocks, kept as they are (no rewrites, no
/// orientation), and the rule above.
pub(crate) const RULES: Rules = Rules::Parts {
    parts: |data, _| parts(data),
    kept: Kept::Blocks(BlockRules {
        renders,
        rewrite: |_, _| false,
        orients: |_| false,
        exif: |_| None,
    }),
    decode: |_| Decode::AsAsked,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn gif(extensions: &[u8]) -> Vec<u8> {
        let mut v = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff".to_vec();
        v.extend_from_slice(extensions);
        v.extend_from_slice(b"\x2c\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0\x3b");
        v
    }

    #[test]
    fn drops_comments_and_xmp_keeps_loop() {
        let input = gif(b"\x21\xfe\x05hello\0\x21\xff\x0bNETSCAPE2.0\x03\x01\0\0\0\x21\xff\x0bXMP DataXMP\x03<x>\0");
        let mut log = Log::default();
        let out = clean(&input, &StripOptions::default(), &mut log).unwrap();
        let groups: Vec<String> = log.finish().into_iter().map(|r| r.group).collect();
        assert_eq!(groups, ["comment", "XMP"]);
        assert!(out.windows(8).any(|w| w == b"NETSCAPE"));
        crate::metadata::verify::assert_clean_output(&input, &out);
    }

    #[test]
    fn truncation_is_an_error() {
        let input = gif(b"");
        for cut in 0..input.len() {
            assert!(clean(&input[..cut], &StripOptions::default(), &mut Log::default()).is_err());
        }
    }
}
