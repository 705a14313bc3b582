//! Header metadata of MP4, MOV and 3GP files: the `moov` box is read with
//! [`bmff::read_moov`] (media data is never read), then duration, track dimensions, QuickTime user
//! data (`©mak`, `©mod`, `©swr`, `©too`, `©xyz`, 3GPP `loci`) and Apple `mdta` keys are read
//! from it.

use std::io::{self, Read, Seek};

use super::HeaderMeta;
use crate::media::bmff::{self, MoovError, be, be32};

/// Fills `meta` from the `moov` box of an ISO-BMFF/QuickTime video (located and bounded by
/// [`bmff::read_moov`]). A movie without a readable `moov` gives no facts, not an error; only a
/// failed read is one.
pub fn read<R: Read + Seek>(file: &mut R, meta: &mut HeaderMeta) -> io::Result<()> {
    match bmff::read_moov(file) {
        Ok(moov) => parse_moov(&moov, meta),
        Err(MoovError::Io(e)) => return Err(e),
        Err(_) => {}
    }
    Ok(())
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
        (be32(p, 20)?, be(p, 24, 8)?)
    } else {
        (be32(p, 12)?, be(p, 16, 4)?)
    };
    (timescale > 0).then(|| duration as f64 / f64::from(timescale))
}

/// Width and height (16.16 fixed point) from a track header, before any rotation matrix.
fn tkhd_dimensions(p: &[u8]) -> Option<(u32, u32)> {
    let base = if p.first()? == &1 { 88 } else { 76 };
    Some((be32(p, base)? >> 16, be32(p, base + 4)? >> 16))
}

/// QuickTime `udta` text atoms: a 16-bit length, a 16-bit language, then the text.
fn user_data(udta: &[u8], meta: &mut HeaderMeta) {
    for atom in bmff::boxes(udta) {
        let text = || {
            let len = be(atom.payload, 0, 2)? as usize;
            let s = String::from_utf8_lossy(atom.payload.get(4..4 + len)?);
            Some(s.trim_matches('\0').trim().to_string())
        };
        match &atom.kind {
            b"\xa9mak" => meta.make = meta.make.take().or_else(text),
            b"\xa9mod" => meta.model = meta.model.take().or_else(text),
            b"\xa9swr" => meta.software = meta.software.take().or_else(text),
            b"\xa9too" => meta.encoder = meta.encoder.take().or_else(text),
            // QuickTime's ISO 6709 string, or 3GPP's binary location (TS 26.244).
            b"\xa9xyz" | b"loci" => meta.gps = true,
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

    #[test]
    fn gps_the_3gpp_way() {
        // loci: version/flags, language, name "\0", role, longitude, latitude, altitude (16.16).
        let mut loci = vec![0, 0, 0, 0, 0x55, 0xC4, 0, 0];
        loci.extend_from_slice(&0x0006_AD14u32.to_be_bytes());
        loci.extend_from_slice(&0x0034_5E8Au32.to_be_bytes());
        loci.extend_from_slice(&[0; 4]);
        let moov = bmff::boxed(b"udta", &bmff::boxed(b"loci", &loci));
        let mut meta = HeaderMeta::default();
        parse_moov(&moov, &mut meta);
        assert!(meta.gps);
    }
}
