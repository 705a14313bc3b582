//! Header metadata of MP4, MOV and 3GP files: the `moov` box is located by skipping top-level
//! boxes with seeks (media data is never read), then duration, track dimensions, QuickTime user
//! data (`©mak`, `©mod`, `©swr`, `©too`, `©xyz`) and Apple `mdta` keys are read from it.

use std::io::{self, Read, Seek, SeekFrom};

use super::HeaderMeta;
use crate::media::bmff;
use crate::media::limits::MOOV_MAX_BYTES;

/// Most top-level boxes stepped over looking for `moov`: a fragmented recording has two per
/// fragment (a ten-hour one cut every second has 72,000); each costs a seek and a read.
const MAX_TOP_BOXES: usize = 200_000;

/// Fills `meta` from the `moov` box of an ISO-BMFF/QuickTime video.
pub fn read<R: Read + Seek>(file: &mut R, meta: &mut HeaderMeta) -> io::Result<()> {
    if let Some(moov) = read_moov(file)? {
        parse_moov(&moov, meta);
    }
    Ok(())
}

fn read_moov<R: Read + Seek>(file: &mut R) -> io::Result<Option<Vec<u8>>> {
    let len = file.seek(SeekFrom::End(0))?;
    let mut pos = 0u64;
    let mut header = [0u8; 16];
    for _ in 0..MAX_TOP_BOXES {
        if pos.saturating_add(8) > len {
            break;
        }
        file.seek(SeekFrom::Start(pos))?;
        let n = (len - pos).min(16) as usize;
        file.read_exact(&mut header[..n])?;
        let Some(h) = bmff::parse_header(&header[..n], len - pos) else {
            return Ok(None);
        };
        if &h.kind == b"moov" {
            if h.size > MOOV_MAX_BYTES {
                return Ok(None);
            }
            let mut moov = vec![0u8; (h.size as usize) - h.header_len];
            file.seek(SeekFrom::Start(pos + h.header_len as u64))?;
            file.read_exact(&mut moov)?;
            return Ok(Some(moov));
        }
        pos += h.size;
    }
    Ok(None)
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn parse_moov(moov: &[u8], meta: &mut HeaderMeta) {
    if let Some(mvhd) = bmff::find(moov, b"mvhd") {
        meta.duration_secs = mvhd_duration(mvhd.payload);
    }
    for trak in bmff::boxes(moov).filter(|b| &b.kind == b"trak") {
        if let Some(tkhd) = bmff::find(trak.payload, b"tkhd")
            && let Some((w, h)) = tkhd_dimensions(tkhd.payload)
            && w > 0
            && h > 0
        {
            meta.width = Some(w);
            meta.height = Some(h);
            break;
        }
    }
    if let Some(udta) = bmff::find(moov, b"udta") {
        user_data(udta.payload, meta);
    }
    if let Some(m) = bmff::find(moov, b"meta") {
        mdta_keys(bmff::meta_children(m.payload), meta);
    }
}

fn mvhd_duration(p: &[u8]) -> Option<f64> {
    let (timescale, duration) = if p.first()? == &1 {
        (be_u32(p, 20)?, be_u64(p, 24)?)
    } else {
        (be_u32(p, 12)?, u64::from(be_u32(p, 16)?))
    };
    (timescale > 0).then(|| duration as f64 / f64::from(timescale))
}

/// Width and height (16.16 fixed point) from a track header, before any rotation matrix.
fn tkhd_dimensions(p: &[u8]) -> Option<(u32, u32)> {
    let base = if p.first()? == &1 { 88 } else { 76 };
    Some((be_u32(p, base)? >> 16, be_u32(p, base + 4)? >> 16))
}

/// QuickTime `udta` text atoms: a 16-bit length, a 16-bit language, then the text.
fn user_data(udta: &[u8], meta: &mut HeaderMeta) {
    for atom in bmff::boxes(udta) {
        let text = || {
            let len = usize::from(u16::from_be_bytes(atom.payload.get(0..2)?.try_into().ok()?));
            let s = String::from_utf8_lossy(atom.payload.get(4..4 + len)?);
            Some(s.trim_matches('\0').trim().to_string())
        };
        match &atom.kind {
            b"\xa9mak" => meta.make = meta.make.take().or_else(text),
            b"\xa9mod" => meta.model = meta.model.take().or_else(text),
            b"\xa9swr" => meta.software = meta.software.take().or_else(text),
            b"\xa9too" => meta.encoder = meta.encoder.take().or_else(text),
            b"\xa9xyz" => meta.gps = true,
            b"meta" => mdta_keys(bmff::meta_children(atom.payload), meta),
            _ => {}
        }
    }
}

/// Apple metadata: `keys` names the entries, `ilst` holds their values by 1-based index.
fn mdta_keys(meta_box: &[u8], meta: &mut HeaderMeta) {
    let Some(keys) = bmff::find(meta_box, b"keys") else {
        return;
    };
    let Some(ilst) = bmff::find(meta_box, b"ilst") else {
        return;
    };
    let mut names = Vec::new();
    // keys: version/flags, entry count, then (size, namespace, name) entries.
    for entry in bmff::boxes(keys.payload.get(8..).unwrap_or(&[])) {
        names.push(String::from_utf8_lossy(entry.payload).into_owned());
    }
    for item in bmff::boxes(ilst.payload) {
        let index = u32::from_be_bytes(item.kind) as usize;
        let Some(name) = index.checked_sub(1).and_then(|i| names.get(i)) else {
            continue;
        };
        let Some(data) = bmff::find(item.payload, b"data") else {
            continue;
        };
        let value = String::from_utf8_lossy(data.payload.get(8..).unwrap_or(&[]))
            .trim()
            .to_string();
        match name.as_str() {
            "com.apple.quicktime.make" => meta.make = Some(value),
            "com.apple.quicktime.model" => meta.model = Some(value),
            "com.apple.quicktime.software" => meta.software = Some(value),
            "com.apple.quicktime.location.ISO6709" => meta.gps = true,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mvhd_versions() {
        let mut v0 = vec![0u8; 100];
        v0[12..16].copy_from_slice(&600u32.to_be_bytes());
        v0[16..20].copy_from_slice(&1800u32.to_be_bytes());
        assert_eq!(mvhd_duration(&v0), Some(3.0));
        assert_eq!(mvhd_duration(&[]), None);
    }
}
