//! HEIF, HEIC and AVIF: removes the Exif, XMP (`mime`) and `uri ` items. Their `infe` entries,
//! `iloc` locations, `iref` references and `ipma` associations go, their data bytes are
//! zeroed (in `mdat` or `idat`), and a `free` box after the shrunken `meta` box keeps every later
//! byte at its offset, so the coded image items' `iloc` offsets stay valid without rewriting.
//!
//! Orientation lives in `irot`/`imir` properties and colour in `colr`; both are kept as they are.
//! No crate edits HEIF item tables, hence this module.

use std::ops::Range;

use super::{Log, StripError, mp4, read_uint};
use crate::bmff;
use crate::files::sniff::FileType;

/// An item from `iinf`.
struct Item {
    id: u32,
    kind: [u8; 4],
    content_type: String,
    /// The whole `infe` box.
    infe_len: usize,
}

impl Item {
    /// The group name when this item is metadata to remove.
    fn metadata_group(&self) -> Option<String> {
        match &self.kind {
            b"Exif" => Some("EXIF".into()),
            b"mime" if self.content_type.contains("rdf+xml") => Some("XMP".into()),
            b"mime" => Some(format!("metadata item ({})", self.content_type)),
            b"uri " => Some("metadata item (uri)".into()),
            _ => None,
        }
    }
}

/// A location from `iloc`.
struct Location {
    id: u32,
    method: u8,
    /// Extents as (offset, length): file offsets for method 0, `idat` offsets for method 1.
    extents: Vec<(u64, u64)>,
    /// The entry's bytes within the `iloc` payload.
    bytes: Range<usize>,
}

/// The parts of `meta` this module reads.
struct Meta<'a> {
    items: Vec<Item>,
    locations: Vec<Location>,
    idat: &'a [u8],
    ipco: &'a [u8],
}

fn bad(format: FileType, what: &str) -> StripError {
    StripError::malformed(format, format!("corrupt {what} box"))
}

fn be(d: &[u8], pos: usize, size: usize) -> Option<u64> {
    match size {
        0 => Some(0),
        2 => read_uint::<2>(d, pos, true),
        4 => read_uint::<4>(d, pos, true),
        8 => read_uint::<8>(d, pos, true),
        _ => None,
    }
}

fn cstring(d: &[u8], pos: usize) -> Option<(String, usize)> {
    let rest = d.get(pos..)?;
    let n = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    Some((
        String::from_utf8_lossy(&rest[..n]).into_owned(),
        pos + n + 1,
    ))
}

fn parse_items(iinf: &[u8]) -> Option<Vec<Item>> {
    let count_len = if *iinf.first()? == 0 { 2 } else { 4 };
    let mut items = Vec::new();
    for infe in bmff::boxes(iinf.get(4 + count_len..)?) {
        let p = infe.payload;
        let version = *p.first()?;
        if version < 2 {
            continue; // pre-HEIF item entries carry no item type; never Exif or XMP
        }
        let (id, at) = if version == 2 {
            (be(p, 4, 2)? as u32, 6)
        } else {
            (be(p, 4, 4)? as u32, 8)
        };
        let kind: [u8; 4] = p.get(at + 2..at + 6)?.try_into().ok()?;
        let content_type = if &kind == b"mime" {
            let (_name, next) = cstring(p, at + 6)?;
            cstring(p, next).map(|c| c.0).unwrap_or_default()
        } else {
            String::new()
        };
        items.push(Item {
            id,
            kind,
            content_type,
            infe_len: infe.size(),
        });
    }
    Some(items)
}

fn parse_locations(iloc: &[u8]) -> Option<Vec<Location>> {
    let version = *iloc.first()?;
    let sizes = *iloc.get(4)?;
    let (offset_size, length_size) = (usize::from(sizes >> 4), usize::from(sizes & 15));
    let sizes2 = *iloc.get(5)?;
    let base_size = usize::from(sizes2 >> 4);
    let index_size = if version >= 1 {
        usize::from(sizes2 & 15)
    } else {
        0
    };
    let id_size = if version < 2 { 2 } else { 4 };
    let count = be(iloc, 6, id_size)?;
    let mut pos = 6 + id_size;
    let mut out = Vec::new();
    for _ in 0..count {
        let start = pos;
        let id = be(iloc, pos, id_size)? as u32;
        pos += id_size;
        let method = if version >= 1 {
            let m = (be(iloc, pos, 2)? & 15) as u8;
            pos += 2;
            m
        } else {
            0
        };
        pos += 2; // data reference index
        let base = be(iloc, pos, base_size)?;
        pos += base_size;
        let n = be(iloc, pos, 2)?;
        pos += 2;
        let mut extents = Vec::new();
        for _ in 0..n {
            pos += index_size;
            let off = be(iloc, pos, offset_size)?;
            pos += offset_size;
            let len = be(iloc, pos, length_size)?;
            pos += length_size;
            extents.push((base.checked_add(off)?, len));
        }
        if pos > iloc.len() {
            return None;
        }
        out.push(Location {
            id,
            method,
            extents,
            bytes: start..pos,
        });
    }
    Some(out)
}

fn parse_meta<'a>(meta: &'a [u8], base: usize, format: FileType) -> Result<Meta<'a>, StripError> {
    let kids = mp4::children(
        meta.get(4..).ok_or_else(|| bad(format, "meta"))?,
        base + 4,
        format,
    )?;
    // The tables are read from the first box of each kind and rewritten wherever one appears:
    // a second copy would be rewritten with the first one's offsets, so it is refused.
    for kind in [b"iinf", b"iloc", b"iref", b"iprp", b"idat"] {
        if kids.iter().filter(|b| &b.kind == kind).count() > 1 {
            let name = String::from_utf8_lossy(kind);
            return Err(StripError::malformed(
                format,
                format!("more than one {name} box"),
            ));
        }
    }
    let find = |k: &[u8; 4]| kids.iter().find(|b| &b.kind == k).map(|b| b.payload);
    let items = match find(b"iinf") {
        Some(p) => parse_items(p).ok_or_else(|| bad(format, "iinf"))?,
        None => Vec::new(),
    };
    let locations = match find(b"iloc") {
        Some(p) => parse_locations(p).ok_or_else(|| bad(format, "iloc"))?,
        None => Vec::new(),
    };
    let ipco = find(b"iprp")
        .and_then(|p| bmff::find(p, b"ipco"))
        .map_or(&[][..], |b| b.payload);
    Ok(Meta {
        items,
        locations,
        idat: find(b"idat").unwrap_or(&[]),
        ipco,
    })
}

fn bx(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(payload);
    v
}

fn rebuild_iinf(p: &[u8], gone: &[u32]) -> Option<Vec<u8>> {
    let count_len = if *p.first()? == 0 { 2 } else { 4 };
    let mut kept = Vec::new();
    let mut n = 0u32;
    for infe in bmff::boxes(p.get(4 + count_len..)?) {
        let ip = infe.payload;
        let id = match ip.first()? {
            2 => be(ip, 4, 2)? as u32,
            3.. => be(ip, 4, 4)? as u32,
            _ => u32::MAX,
        };
        if !gone.contains(&id) {
            kept.extend_from_slice(&p[4 + count_len + infe.offset..][..infe.size()]);
            n += 1;
        }
    }
    let mut out = p[..4].to_vec();
    if count_len == 2 {
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.extend_from_slice(&n.to_be_bytes());
    }
    out.extend(kept);
    Some(bx(b"iinf", &out))
}

fn rebuild_iloc(p: &[u8], locations: &[Location], gone: &[u32]) -> Option<Vec<u8>> {
    let id_size = if *p.first()? < 2 { 2 } else { 4 };
    let kept: Vec<&Location> = locations.iter().filter(|l| !gone.contains(&l.id)).collect();
    let mut out = p.get(..6)?.to_vec();
    let n = kept.len() as u32;
    if id_size == 2 {
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.extend_from_slice(&n.to_be_bytes());
    }
    for l in kept {
        out.extend_from_slice(p.get(l.bytes.clone())?);
    }
    Some(bx(b"iloc", &out))
}

fn rebuild_iref(p: &[u8], gone: &[u32]) -> Option<Vec<u8>> {
    let id_size = if *p.first()? == 0 { 2 } else { 4 };
    let mut out = p.get(..4)?.to_vec();
    for r in bmff::boxes(p.get(4..)?) {
        let rp = r.payload;
        let from = be(rp, 0, id_size)? as u32;
        let n = be(rp, id_size, 2)? as usize;
        let to: Vec<u32> = (0..n)
            .map(|i| be(rp, id_size + 2 + i * id_size, id_size).map(|v| v as u32))
            .collect::<Option<_>>()?;
        let to_kept: Vec<u32> = to.iter().copied().filter(|t| !gone.contains(t)).collect();
        if gone.contains(&from) || to_kept.is_empty() {
            continue;
        }
        let mut body = rp[..id_size].to_vec();
        body.extend_from_slice(&(to_kept.len() as u16).to_be_bytes());
        for t in to_kept {
            body.extend_from_slice(&t.to_be_bytes()[4 - id_size..]);
        }
        out.extend(bx(&r.kind, &body));
    }
    Some(bx(b"iref", &out))
}

fn rebuild_ipma(p: &[u8], gone: &[u32]) -> Option<Vec<u8>> {
    let id_size = if *p.first()? < 1 { 2 } else { 4 };
    let assoc_size = if p.get(3)? & 1 == 1 { 2 } else { 1 };
    let count = be(p, 4, 4)?;
    let mut pos = 8;
    let mut kept = Vec::new();
    let mut n = 0u32;
    for _ in 0..count {
        let start = pos;
        let id = be(p, pos, id_size)? as u32;
        let assoc = usize::from(*p.get(pos + id_size)?);
        pos += id_size + 1 + assoc * assoc_size;
        let entry = p.get(start..pos)?;
        if !gone.contains(&id) {
            kept.extend_from_slice(entry);
            n += 1;
        }
    }
    let mut out = p[..4].to_vec();
    out.extend_from_slice(&n.to_be_bytes());
    out.extend(kept);
    Some(bx(b"ipma", &out))
}

fn rebuild_iprp(p: &[u8], gone: &[u32]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for b in bmff::boxes(p) {
        if &b.kind == b"ipma" {
            out.extend(rebuild_ipma(b.payload, gone)?);
        } else {
            out.extend_from_slice(&p[b.offset..b.offset + b.size()]);
        }
    }
    Some(bx(b"iprp", &out))
}

/// Zeroes `r` in `out` except where it overlaps a kept range.
fn zero_except(out: &mut [u8], r: Range<usize>, keep: &[Range<usize>]) {
    for i in r {
        if !keep.iter().any(|k| k.contains(&i)) {
            out[i] = 0;
        }
    }
}

/// File (method 0) or `idat` (method 1) ranges of the given locations.
fn ranges(locations: &[&Location], method: u8) -> Vec<Range<usize>> {
    locations
        .iter()
        .filter(|l| l.method == method)
        .flat_map(|l| l.extents.iter())
        .filter_map(|&(o, n)| {
            let o = usize::try_from(o).ok()?;
            Some(o..o.checked_add(usize::try_from(n).ok()?)?)
        })
        .collect()
}

pub(super) fn clean(input: &[u8], format: FileType, log: &mut Log) -> Result<Vec<u8>, StripError> {
    let top = mp4::children(input, 0, format)?;
    let meta_box = top
        .iter()
        .find(|b| &b.kind == b"meta")
        .ok_or_else(|| StripError::malformed(format, "no meta box"))?;
    let meta_base = meta_box.offset + meta_box.header_len;
    let meta = parse_meta(meta_box.payload, meta_base, format)?;
    let mut gone = Vec::new();
    for item in &meta.items {
        if let Some(group) = item.metadata_group() {
            let data: u64 = meta
                .locations
                .iter()
                .filter(|l| l.id == item.id)
                .flat_map(|l| l.extents.iter().map(|e| e.1))
                .sum();
            log.add(group, item.infe_len + data as usize);
            gone.push(item.id);
        }
    }
    let named_handler = mp4::children(&meta_box.payload[4..], meta_base + 4, format)?
        .iter()
        .find(|b| &b.kind == b"hdlr")
        .and_then(|h| mp4::handler_name_range(h.payload));
    if let Some(name) = &named_handler {
        log.add("handler name (writing software)", name.len());
    }
    if gone.is_empty() && named_handler.is_none() {
        return Ok(input.to_vec());
    }
    let (dropped, kept): (Vec<&Location>, Vec<&Location>) =
        meta.locations.iter().partition(|l| gone.contains(&l.id));
    if dropped.iter().any(|l| l.extents.iter().any(|e| e.1 == 0)) {
        return Err(StripError::malformed(
            format,
            "a metadata item has an open-ended extent",
        ));
    }
    let corrupt = |what| bad(format, what);
    let mut new_meta = meta_box.payload[..4].to_vec();
    for b in mp4::children(&meta_box.payload[4..], meta_base + 4, format)? {
        let whole = &meta_box.payload[4 + b.offset..4 + b.offset + b.size()];
        match &b.kind {
            b"iinf" => {
                new_meta.extend(rebuild_iinf(b.payload, &gone).ok_or_else(|| corrupt("iinf"))?)
            }
            b"iloc" => new_meta.extend(
                rebuild_iloc(b.payload, &meta.locations, &gone).ok_or_else(|| corrupt("iloc"))?,
            ),
            b"iref" => {
                new_meta.extend(rebuild_iref(b.payload, &gone).ok_or_else(|| corrupt("iref"))?)
            }
            b"iprp" => {
                new_meta.extend(rebuild_iprp(b.payload, &gone).ok_or_else(|| corrupt("iprp"))?)
            }
            b"hdlr" => {
                let mut hdlr = b.payload.to_vec();
                if let Some(name) = mp4::handler_name_range(&hdlr) {
                    hdlr[name].fill(0);
                }
                new_meta.extend(bx(b"hdlr", &hdlr));
            }
            b"idat" => {
                let mut idat = b.payload.to_vec();
                let keep = ranges(&kept, 1);
                let len = idat.len();
                for r in ranges(&dropped, 1).into_iter().filter(|r| r.end <= len) {
                    zero_except(&mut idat, r, &keep);
                }
                new_meta.extend(bx(b"idat", &idat));
            }
            _ => new_meta.extend_from_slice(whole),
        }
    }
    let new_meta = bx(b"meta", &new_meta);
    let (meta_start, meta_end) = (meta_box.offset, meta_box.offset + meta_box.size());
    let pad = (meta_end - meta_start)
        .checked_sub(new_meta.len())
        .filter(|&d| d == 0 || d >= 8)
        .ok_or_else(|| StripError::malformed(format, "cannot keep item offsets"))?;
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..meta_start]);
    out.extend(new_meta);
    if pad > 0 {
        out.extend(bx(b"free", &vec![0; pad - 8]));
    }
    out.extend_from_slice(&input[meta_end..]);
    let keep = ranges(&kept, 0);
    for r in ranges(&dropped, 0) {
        // Data inside the old meta box was rewritten above; elsewhere offsets are unchanged.
        if r.end <= out.len() && (r.end <= meta_start || r.start >= meta_end) {
            zero_except(&mut out, r, &keep);
        }
    }
    Ok(out)
}

/// Every coded (non-metadata) item's bytes and the item properties, for verification.
pub(super) fn coded_data(input: &[u8], format: FileType) -> Result<Vec<&[u8]>, StripError> {
    let top = mp4::children(input, 0, format)?;
    let Some(meta_box) = top.iter().find(|b| &b.kind == b"meta") else {
        return Err(StripError::malformed(format, "no meta box"));
    };
    let meta = parse_meta(
        meta_box.payload,
        meta_box.offset + meta_box.header_len,
        format,
    )?;
    let metadata: Vec<u32> = meta
        .items
        .iter()
        .filter(|i| i.metadata_group().is_some())
        .map(|i| i.id)
        .collect();
    let mut out = vec![meta.ipco];
    for l in meta.locations.iter().filter(|l| !metadata.contains(&l.id)) {
        let src = if l.method == 1 { meta.idat } else { input };
        for r in ranges(&[l], l.method) {
            out.push(
                src.get(r)
                    .ok_or_else(|| StripError::malformed(format, "item data past the end"))?,
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(kind: &[u8; 4], version: u8, body: &[u8]) -> Vec<u8> {
        let mut p = vec![version, 0, 0, 0];
        p.extend_from_slice(body);
        bx(kind, &p)
    }

    fn infe(id: u16, kind: &[u8; 4]) -> Vec<u8> {
        let mut b = id.to_be_bytes().to_vec();
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(kind);
        b.push(0);
        full(b"infe", 2, &b)
    }

    /// ftyp, meta (image item 1, Exif item 2 describing it), mdat (image then Exif bytes).
    fn heic(mdat_at: u32) -> Vec<u8> {
        heic_with(mdat_at, &[])
    }

    /// [`heic`] with `extra` boxes at the end of `meta`.
    fn heic_with(mdat_at: u32, extra: &[u8]) -> Vec<u8> {
        let mut hdlr = vec![0; 4];
        hdlr.extend_from_slice(b"pict");
        hdlr.extend_from_slice(&[0; 12]);
        hdlr.extend_from_slice(b"libheif\0");
        let mut iinf = 2u16.to_be_bytes().to_vec();
        iinf.extend(infe(1, b"hvc1"));
        iinf.extend(infe(2, b"Exif"));
        let mut iloc = vec![0x44, 0x00, 0, 2];
        for (id, off, len) in [(1u16, mdat_at, 6u32), (2, mdat_at + 6, 10)] {
            iloc.extend_from_slice(&id.to_be_bytes());
            iloc.extend_from_slice(&[0, 0, 0, 1]);
            iloc.extend_from_slice(&off.to_be_bytes());
            iloc.extend_from_slice(&len.to_be_bytes());
        }
        let iref = bx(b"cdsc", &[0, 2, 0, 1, 0, 1]);
        let ipco = bx(b"ipco", &full(b"ispe", 0, &[0, 0, 0, 64, 0, 0, 0, 64]));
        let ipma = full(b"ipma", 0, &[0, 0, 0, 2, 0, 1, 1, 0x81, 0, 2, 1, 0x81]);
        let mut iprp = ipco;
        iprp.extend(ipma);
        let mut meta = full(b"hdlr", 0, &hdlr);
        meta.extend(full(b"pitm", 0, &[0, 1]));
        meta.extend(full(b"iinf", 0, &iinf));
        meta.extend(full(b"iloc", 0, &iloc));
        meta.extend(full(b"iref", 0, &iref));
        meta.extend(bx(b"iprp", &iprp));
        meta.extend_from_slice(extra);
        let mut file = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
        file.extend(full(b"meta", 0, &meta));
        file.extend(bx(b"mdat", b"IMAGE!Exif\0\0MM*!"));
        file
    }

    #[test]
    fn removes_exif_item_and_keeps_offsets() {
        let probe = heic(0);
        let input = heic(probe.len() as u32 - 16);
        let mut log = Log::default();
        let out = clean(&input, FileType::Heif, &mut log).unwrap();
        assert_eq!(out.len(), input.len());
        let groups: Vec<String> = log.finish().into_iter().map(|r| r.group).collect();
        assert_eq!(groups, ["EXIF", "handler name (writing software)"]);
        assert!(out.ends_with(b"IMAGE!\0\0\0\0\0\0\0\0\0\0"));
        assert!(!out.windows(4).any(|w| w == b"Exif" || w == b"cdsc"));
        assert!(out.windows(4).any(|w| w == b"free"));
        assert_eq!(
            coded_data(&out, FileType::Heif).unwrap(),
            coded_data(&input, FileType::Heif).unwrap()
        );
        assert_eq!(coded_data(&out, FileType::Heif).unwrap()[1], b"IMAGE!");
        let mut again = Log::default();
        assert_eq!(clean(&out, FileType::Heif, &mut again).unwrap(), out);
        assert!(again.finish().is_empty());
    }

    #[test]
    fn hostile_tables_are_errors() {
        let probe = heic(0);
        let mut input = heic(probe.len() as u32 - 16);
        // Break the iloc entry count: it now claims 0xFFFF entries.
        let at = input.windows(4).position(|w| w == b"iloc").unwrap() + 4 + 4 + 2;
        input[at..at + 2].copy_from_slice(&[0xFF, 0xFF]);
        assert!(clean(&input, FileType::Heif, &mut Log::default()).is_err());
    }

    #[test]
    fn short_and_repeated_tables_are_errors_not_panics() {
        // Regression: a second, short `iloc` was rewritten with the first one's offsets
        // (slice out of range), and an `iref` under 4 bytes was sliced before its length was
        // checked.
        for extra in [
            bx(b"iloc", &[1]),
            bx(b"iloc", &[]),
            bx(b"iinf", &[0, 0, 0, 0, 0, 0]),
        ] {
            let probe = heic_with(0, &extra);
            let input = heic_with(probe.len() as u32 - 16, &extra);
            let err = clean(&input, FileType::Heif, &mut Log::default()).unwrap_err();
            assert!(err.to_string().contains("more than one"), "{err}");
        }
        assert!(rebuild_iref(&[0, 0], &[2]).is_none());
        assert!(rebuild_iloc(&[0, 0, 0], &[], &[]).is_none());
    }
}
