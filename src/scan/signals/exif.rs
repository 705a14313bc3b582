//! Header metadata of still images: EXIF through kamadak-exif, XMP packets, and pixel
//! dimensions. Only headers are read; pixel data is never touched here.

use std::io::{self, BufReader, Read, Seek, SeekFrom};

use exif::{In, Tag, Value};

use super::{HeaderMeta, xmp};
use crate::media::caps::Exif;
use crate::media::limits::{TIFF_HEADER_MAX_BYTES, XMP_PACKET_MAX_BYTES};
use crate::media::sniff::FileType;

/// Fills `meta` from an image's headers. `head` holds the first bytes of the file.
pub fn read<R: Read + Seek>(
    file: &mut R,
    t: FileType,
    head: &[u8],
    meta: &mut HeaderMeta,
) -> io::Result<()> {
    if let Ok(size) = imagesize::blob_size(head) {
        meta.width = u32::try_from(size.width).ok();
        meta.height = u32::try_from(size.height).ok();
    }
    let mut xmp_packet: Option<Vec<u8>> = None;
    let raw_exif = match t.caps().exif {
        Some(Exif::PngChunks) => {
            let chunks = png_metadata(file)?;
            xmp_packet = chunks.xmp;
            chunks.exif
        }
        Some(Exif::Tiff) => {
            let mut buf = Vec::new();
            file.seek(SeekFrom::Start(0))?;
            file.take(TIFF_HEADER_MAX_BYTES).read_to_end(&mut buf)?;
            Some(buf)
        }
        Some(Exif::Container) => {
            file.seek(SeekFrom::Start(0))?;
            let reader = exif::Reader::new();
            if let Ok(exif) = reader.read_from_container(&mut BufReader::new(&mut *file)) {
                apply_exif(&exif, meta);
            }
            None
        }
        None => None,
    };
    if let Some(raw) = raw_exif {
        let mut reader = exif::Reader::new();
        reader.continue_on_error(true);
        let parsed = reader
            .read_raw(raw)
            .or_else(|e| e.distill_partial_result(|_| {}));
        if let Ok(exif) = parsed {
            apply_exif(&exif, meta);
        }
    }
    // A PNG keeps XMP in an iTXt chunk (read above, within its size limit); other containers
    // are searched in their first bytes.
    let packet = match t.caps().exif {
        Some(Exif::PngChunks) => xmp_packet.as_deref(),
        _ => xmp::find(head),
    };
    if let Some(x) = packet.and_then(xmp::parse) {
        x.apply(meta);
    }
    Ok(())
}

fn ascii(exif: &exif::Exif, tag: Tag) -> Option<String> {
    let field = exif.get_field(tag, In::PRIMARY)?;
    match &field.value {
        Value::Ascii(parts) => {
            let s: String = parts
                .iter()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
            (!s.is_empty()).then(|| s.to_string())
        }
        _ => None,
    }
}

fn apply_exif(exif: &exif::Exif, meta: &mut HeaderMeta) {
    meta.make = meta.make.take().or_else(|| ascii(exif, Tag::Make));
    meta.model = meta.model.take().or_else(|| ascii(exif, Tag::Model));
    meta.software = meta.software.take().or_else(|| ascii(exif, Tag::Software));
    if let Some(f) = exif.get_field(Tag::UserComment, In::PRIMARY)
        && let Value::Undefined(bytes, _) = &f.value
    {
        meta.user_comment = decode_user_comment(bytes);
    }
    meta.gps |= exif.get_field(Tag::GPSLatitude, In::PRIMARY).is_some()
        || exif.get_field(Tag::GPSLongitude, In::PRIMARY).is_some();
    if let Some(o) = exif.get_field(Tag::Orientation, In::PRIMARY) {
        meta.orientation = o.value.get_uint(0).and_then(|v| u16::try_from(v).ok());
    }
    if meta.width.is_none() {
        let dim = |tag| exif.get_field(tag, In::PRIMARY)?.value.get_uint(0);
        meta.width = dim(Tag::PixelXDimension);
        meta.height = dim(Tag::PixelYDimension);
    }
}

/// EXIF UserComment: an 8-byte character-code prefix, then the text.
fn decode_user_comment(bytes: &[u8]) -> Option<String> {
    let (code, text) = bytes.split_at_checked(8)?;
    let s = match code {
        b"UNICODE\0" => {
            let units: Vec<u16> = text
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        _ => String::from_utf8_lossy(text).into_owned(),
    };
    let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!s.is_empty()).then(|| s.to_string())
}

/// Metadata chunks of a PNG.
#[derive(Default)]
struct PngChunks {
    exif: Option<Vec<u8>>,
    xmp: Option<Vec<u8>>,
}

/// Largest metadata chunk read into memory; larger ones are skipped. EXIF is at most 64 KiB in
/// a JPEG and XMP packets are a few KiB; this matches the XMP packet limit.
const PNG_CHUNK_LIMIT: u32 = XMP_PACKET_MAX_BYTES as u32;

/// Most chunks walked before giving up: a 1 GB PNG written with 64 KiB IDAT chunks has about
/// 16,000; a file of millions of empty chunks would otherwise cost two syscalls each.
const PNG_MAX_CHUNKS: usize = 100_000;

/// Walks PNG chunks with seeks (image data is skipped, not read) and keeps eXIf and XMP.
fn png_metadata<R: Read + Seek>(file: &mut R) -> io::Result<PngChunks> {
    let mut out = PngChunks::default();
    let mut pos = 8u64;
    let len = file.seek(SeekFrom::End(0))?;
    for _ in 0..PNG_MAX_CHUNKS {
        if pos.saturating_add(12) > len {
            break;
        }
        file.seek(SeekFrom::Start(pos))?;
        let mut header = [0u8; 8];
        file.read_exact(&mut header)?;
        let size = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = &header[4..8];
        let wanted = kind == b"eXIf" || kind == b"iTXt";
        if wanted && size <= PNG_CHUNK_LIMIT {
            let mut data = vec![0u8; size as usize];
            file.read_exact(&mut data)?;
            if kind == b"eXIf" {
                out.exif = Some(data);
            } else if let Some(text) = itxt_xmp(&data) {
                out.xmp = Some(text.to_vec());
            }
        }
        if kind == b"IEND" {
            break;
        }
        pos = pos.saturating_add(12 + u64::from(size));
    }
    Ok(out)
}

/// The text of an uncompressed iTXt chunk with the XMP keyword.
fn itxt_xmp(data: &[u8]) -> Option<&[u8]> {
    let rest = data.strip_prefix(b"XML:com.adobe.xmp\0")?;
    let (&compressed, rest) = rest.split_first()?;
    if compressed != 0 {
        return None;
    }
    // Skip compression method, language tag and translated keyword.
    let rest = rest.get(1..)?;
    let lang_end = rest.iter().position(|&b| b == 0)?;
    let rest = rest.get(lang_end + 1..)?;
    let kw_end = rest.iter().position(|&b| b == 0)?;
    rest.get(kw_end + 1..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_comment_codes() {
        assert_eq!(
            decode_user_comment(b"ASCII\0\0\0Screenshot").as_deref(),
            Some("Screenshot")
        );
        assert_eq!(
            decode_user_comment(b"UNICODE\0\0S\0s").as_deref(),
            Some("Ss")
        );
        assert_eq!(decode_user_comment(b"\0\0\0\0\0\0\0\0"), None);
        assert_eq!(decode_user_comment(b"short"), None);
    }
}
