//! HEIF, HEIC and AVIF: removes the Exif, XMP (`mime`) and `uri ` items, and the thumbnail
//! images (items with a `thmb` reference) with what belongs to them alone (a thumbnail grid's
//! tiles, its alpha plane, metadata about it). Their `infe` entries, `iloc` locations, `iref`
//! references and `ipma` associations go, their data bytes are zeroed (in `mdat` or `idat`), and
//! a `free` box after the shrunken `meta` box keeps every later byte at its offset, so the coded
//! image items' `iloc` offsets stay valid without rewriting. Properties in `ipco` are indexed by
//! position, so those only a thumbnail used stay, unreferenced (sizes and decoder settings).
//! A file whose primary image or one of its tiles would go with a thumbnail is refused.
//!
//! Orientation lives in `irot`/`imir` properties and colour in `colr`; both are kept as they are.
//! No crate edits HEIF item tables, hence this module.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::media::bmff::{self, be, boxed};
use crate::media::sniff::FileType;
use crate::media::{Log, StripError, mp4};

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
    /// Payloads of `pitm`, `iinf`, `iloc` and `iref`, and of every `ipma`, for verification.
    pitm: Option<&'a [u8]>,
    iinf: Option<&'a [u8]>,
    iloc: Option<&'a [u8]>,
    iref: Option<&'a [u8]>,
    ipma: Vec<&'a [u8]>,
}

/// One reference from `iref`: `from` is a thumbnail of, a tile of, an auxiliary image of
/// (`kind`) … the items `to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reference {
    kind: [u8; 4],
    from: u32,
    to: Vec<u32>,
}

/// One item table as verification compares it: its header (version, flags and field sizes;
/// not its entry count) and its entries, each with the item it belongs to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Table<'a, E> {
    header: &'a [u8],
    entries: Vec<(u32, E)>,
}

impl<E: Clone> Table<'_, E> {
    fn without(&self, gone: &HashSet<u32>) -> Self {
        let entries = self.entries.iter().filter(|(id, _)| !gone.contains(id));
        Table {
            header: self.header,
            entries: entries.cloned().collect(),
        }
    }
}

/// A HEIF file's item tables, for verification: the primary item, the `infe` and `iloc`
/// entries and the `ipma` associations byte for byte, and the `iref` references by meaning.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Tables<'a> {
    pub(crate) primary: Option<&'a [u8]>,
    pub(crate) items: Option<Table<'a, &'a [u8]>>,
    pub(crate) locations: Option<Table<'a, &'a [u8]>>,
    pub(crate) properties: Vec<Table<'a, &'a [u8]>>,
    pub(crate) references: Option<Table<'a, Reference>>,
    /// The Exif, XMP and other metadata items and the thumbnails, which a clean file must not
    /// have (see [`removed_items`]).
    removed: HashSet<u32>,
}

impl Tables<'_> {
    /// The tables a clean copy of this file must have: the same, less the removed items and
    /// every reference from them or (leaving a reference with no target) to them.
    pub(crate) fn without_metadata(&self) -> Self {
        let gone = &self.removed;
        Tables {
            primary: self.primary,
            items: self.items.as_ref().map(|t| t.without(gone)),
            locations: self.locations.as_ref().map(|t| t.without(gone)),
            properties: self.properties.iter().map(|t| t.without(gone)).collect(),
            references: self.references.as_ref().map(|t| Table {
                header: t.header,
                entries: kept_references(t.entries.iter().map(|(_, r)| r), gone)
                    .into_iter()
                    .map(|r| (r.from, r))
                    .collect(),
            }),
            removed: HashSet::new(),
        }
    }
}

fn bad(format: FileType, what: &str) -> StripError {
    StripError::malformed(format, format!("corrupt {what} box"))
}

fn cstring(d: &[u8], pos: usize) -> Option<(String, usize)> {
    let rest = d.get(pos..)?;
    let n = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    Some((
        String::from_utf8_lossy(&rest[..n]).into_owned(),
        pos + n + 1,
    ))
}

/// The item an `infe` box describes; `None` for a version before 2, which has no item type
/// (never Exif or XMP) and which this module always keeps.
fn infe_id(infe: &[u8]) -> Option<u32> {
    match infe.first()? {
        2 => be(infe, 4, 2).map(|v| v as u32),
        3.. => be(infe, 4, 4).map(|v| v as u32),
        _ => None,
    }
}

/// The `infe` boxes of an `iinf` payload.
fn infe_boxes(iinf: &[u8]) -> Option<bmff::Boxes<'_>> {
    let count_len = if *iinf.first()? == 0 { 2 } else { 4 };
    Some(bmff::boxes(iinf.get(4 + count_len..)?))
}

fn parse_items(iinf: &[u8]) -> Option<Vec<Item>> {
    let mut items = Vec::new();
    for infe in infe_boxes(iinf)? {
        let p = infe.payload;
        let Some(id) = infe_id(p) else {
            continue;
        };
        let at = if p[0] == 2 { 6 } else { 8 };
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
    for kind in [b"pitm", b"iinf", b"iloc", b"iref", b"iprp", b"idat"] {
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
    let iprp = find(b"iprp").unwrap_or(&[]);
    let ipco = bmff::find(iprp, b"ipco").map_or(&[][..], |b| b.payload);
    Ok(Meta {
        items,
        locations,
        idat: find(b"idat").unwrap_or(&[]),
        ipco,
        pitm: find(b"pitm"),
        iinf: find(b"iinf"),
        iloc: find(b"iloc"),
        iref: find(b"iref"),
        ipma: bmff::boxes(iprp)
            .filter(|b| &b.kind == b"ipma")
            .map(|b| b.payload)
            .collect(),
    })
}

fn rebuild_iinf(p: &[u8], gone: &HashSet<u32>) -> Option<Vec<u8>> {
    let mut kept = Vec::new();
    let mut n = 0u32;
    for infe in item_entries(p)? {
        if !infe.0.is_some_and(|id| gone.contains(&id)) {
            kept.extend_from_slice(infe.1);
            n += 1;
        }
    }
    let mut out = p[..4].to_vec();
    if p[0] == 0 {
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.extend_from_slice(&n.to_be_bytes());
    }
    out.extend(kept);
    Some(boxed(b"iinf", &out))
}

/// Every `infe` box of an `iinf` payload, whole, with its item (see [`infe_id`]).
fn item_entries(iinf: &[u8]) -> Option<Vec<(Option<u32>, &[u8])>> {
    let count_len = if *iinf.first()? == 0 { 2 } else { 4 };
    let body = iinf.get(4 + count_len..)?;
    let infes = infe_boxes(iinf)?;
    Some(
        infes
            .map(|b| (infe_id(b.payload), &body[b.offset..b.offset + b.size()]))
            .collect(),
    )
}

fn rebuild_iloc(p: &[u8], locations: &[Location], gone: &HashSet<u32>) -> Option<Vec<u8>> {
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
    Some(boxed(b"iloc", &out))
}

/// The references of an `iref` payload, in order.
fn references(p: &[u8]) -> Option<Vec<Reference>> {
    let id_size = if *p.first()? == 0 { 2 } else { 4 };
    let mut out = Vec::new();
    for r in bmff::boxes(p.get(4..)?) {
        let rp = r.payload;
        let n = be(rp, id_size, 2)? as usize;
        out.push(Reference {
            kind: r.kind,
            from: be(rp, 0, id_size)? as u32,
            to: (0..n)
                .map(|i| be(rp, id_size + 2 + i * id_size, id_size).map(|v| v as u32))
                .collect::<Option<_>>()?,
        });
    }
    Some(out)
}

/// The references that stay when the items `gone` go: none from them, none to them, and none
/// left with no target.
fn kept_references<'a>(
    refs: impl Iterator<Item = &'a Reference>,
    gone: &HashSet<u32>,
) -> Vec<Reference> {
    refs.filter(|r| !gone.contains(&r.from))
        .map(|r| Reference {
            to: r.to.iter().copied().filter(|t| !gone.contains(t)).collect(),
            ..r.clone()
        })
        .filter(|r| !r.to.is_empty())
        .collect()
}

fn rebuild_iref(p: &[u8], gone: &HashSet<u32>) -> Option<Vec<u8>> {
    let id_size = if *p.first()? == 0 { 2 } else { 4 };
    let mut out = p.get(..4)?.to_vec();
    for r in kept_references(references(p)?.iter(), gone) {
        let mut body = r.from.to_be_bytes()[4 - id_size..].to_vec();
        body.extend_from_slice(&(r.to.len() as u16).to_be_bytes());
        for t in r.to {
            body.extend_from_slice(&t.to_be_bytes()[4 - id_size..]);
        }
        out.extend(boxed(&r.kind, &body));
    }
    Some(boxed(b"iref", &out))
}

/// The entries of an `ipma` payload, each whole (item, count, associations) with its item.
fn associations(p: &[u8]) -> Option<Vec<(u32, &[u8])>> {
    let id_size = if *p.first()? < 1 { 2 } else { 4 };
    let assoc_size = if p.get(3)? & 1 == 1 { 2 } else { 1 };
    let count = be(p, 4, 4)?;
    let mut pos = 8;
    let mut out = Vec::new();
    for _ in 0..count {
        let start = pos;
        let id = be(p, pos, id_size)? as u32;
        let assoc = usize::from(*p.get(pos + id_size)?);
        pos += id_size + 1 + assoc * assoc_size;
        out.push((id, p.get(start..pos)?));
    }
    Some(out)
}

fn rebuild_ipma(p: &[u8], gone: &HashSet<u32>) -> Option<Vec<u8>> {
    let mut kept = Vec::new();
    let mut n = 0u32;
    for (id, entry) in associations(p)? {
        if !gone.contains(&id) {
            kept.extend_from_slice(entry);
            n += 1;
        }
    }
    let mut out = p[..4].to_vec();
    out.extend_from_slice(&n.to_be_bytes());
    out.extend(kept);
    Some(boxed(b"ipma", &out))
}

fn rebuild_iprp(p: &[u8], gone: &HashSet<u32>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for b in bmff::boxes(p) {
        if &b.kind == b"ipma" {
            out.extend(rebuild_ipma(b.payload, gone)?);
        } else {
            out.extend_from_slice(&p[b.offset..b.offset + b.size()]);
        }
    }
    Some(boxed(b"iprp", &out))
}

/// Zeroes each of `ranges` in `out` except where it overlaps a kept range: the kept ranges are
/// merged once, so the cost grows with the number of ranges and bytes, not their product.
fn zero_except(out: &mut [u8], ranges: Vec<Range<usize>>, mut keep: Vec<Range<usize>>) {
    keep.sort_by_key(|k| k.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(keep.len());
    for k in keep {
        match merged.last_mut() {
            Some(last) if k.start <= last.end => last.end = last.end.max(k.end),
            _ => merged.push(k),
        }
    }
    let len = out.len();
    for r in ranges.into_iter().filter(|r| r.end <= len) {
        let mut pos = r.start;
        let first = merged.partition_point(|k| k.end <= r.start);
        for k in merged[first..].iter().take_while(|k| k.start < r.end) {
            if k.start > pos {
                out[pos..k.start].fill(0);
            }
            pos = pos.max(k.end);
        }
        if pos < r.end {
            out[pos..r.end].fill(0);
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

pub(crate) fn clean(whole: &[u8], format: FileType, log: &mut Log) -> Result<Vec<u8>, StripError> {
    // A raw Samsung trailer after the last box is cut off: nothing points into it, so no
    // offset moves.
    let (_, end) = mp4::top_boxes(whole, format)?;
    let input = &whole[..end];
    let mut out = clean_items(input, format, log)?;
    // An image sequence (AVIF `avis`, HEIF `msf1`) has a movie beside its items, with the
    // same dates and names as an MP4's; Samsung phones add a `sefd` trailer box. Nothing moved
    // above, so the movie is cleaned in place in the output.
    if mp4::children(&out, 0, format)?
        .iter()
        .any(|b| matches!(&b.kind, b"moov" | b"sefd"))
    {
        let items_clean = out.clone();
        mp4::clean_movie(&items_clean, &mut out, format, log)?;
    }
    if end < whole.len() {
        log.add(mp4::SAMSUNG_TRAILER, whole.len() - end);
    }
    Ok(out)
}

/// Removes the metadata items and names the writing software in the `meta` box.
fn clean_items(input: &[u8], format: FileType, log: &mut Log) -> Result<Vec<u8>, StripError> {
    let (meta_box, meta_base) = find_meta(input, format)?;
    let meta = parse_meta(meta_box.payload, meta_base, format)?;
    let removed = removed_items(&meta, format)?;
    for (id, group) in &removed {
        let entry = meta
            .items
            .iter()
            .find(|i| i.id == *id)
            .map_or(0, |i| i.infe_len);
        let data: u64 = meta
            .locations
            .iter()
            .filter(|l| l.id == *id)
            .flat_map(|l| l.extents.iter().map(|e| e.1))
            .sum();
        log.add(group.clone(), entry + data as usize);
    }
    let gone: HashSet<u32> = removed.into_iter().map(|(id, _)| id).collect();
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
            "a removed item has an open-ended extent",
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
                new_meta.extend(boxed(b"hdlr", &hdlr));
            }
            b"idat" => {
                let mut idat = b.payload.to_vec();
                zero_except(&mut idat, ranges(&dropped, 1), ranges(&kept, 1));
                new_meta.extend(boxed(b"idat", &idat));
            }
            _ => new_meta.extend_from_slice(whole),
        }
    }
    let new_meta = boxed(b"meta", &new_meta);
    let (meta_start, meta_end) = (meta_box.offset, meta_box.offset + meta_box.size());
    let pad = (meta_end - meta_start)
        .checked_sub(new_meta.len())
        .filter(|&d| d == 0 || d >= 8)
        .ok_or_else(|| StripError::malformed(format, "cannot keep item offsets"))?;
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..meta_start]);
    out.extend(new_meta);
    if pad > 0 {
        out.extend(boxed(b"free", &vec![0; pad - 8]));
    }
    out.extend_from_slice(&input[meta_end..]);
    // Data inside the old meta box was rewritten above; elsewhere offsets are unchanged.
    let outside = ranges(&dropped, 0)
        .into_iter()
        .filter(|r| r.end <= meta_start || r.start >= meta_end)
        .collect();
    zero_except(&mut out, outside, ranges(&kept, 0));
    Ok(out)
}

/// The file's top-level `meta` box and its payload's offset in the file (before a raw Samsung
/// trailer, if there is one).
fn find_meta(input: &[u8], format: FileType) -> Result<(bmff::BoxRef<'_>, usize), StripError> {
    let (top, _) = mp4::top_boxes(input, format)?;
    let meta = top.into_iter().find(|b| &b.kind == b"meta");
    let meta = meta.ok_or_else(|| StripError::malformed(format, "no meta box"))?;
    Ok((meta, meta.offset + meta.header_len))
}

/// The group removed thumbnails, and the items only they use, are logged under.
const THUMBNAIL: &str = "thumbnail image (HEIF thmb item)";

/// Reference kinds whose targets are the coded inputs of the item they are from: a grid's or
/// overlay's tiles (`dimg`), a derived image's base (`base`). Removing a target breaks the image.
const INPUTS: [&[u8; 4]; 2] = [b"dimg", b"base"];

/// The items a clean file must not have, each with the group it is logged under: the Exif, XMP
/// and other metadata items; every thumbnail (the item a `thmb` reference is from); and, until
/// none is left, every other item whose references all point to removed items (a thumbnail's
/// alpha plane or Exif) or that only removed items use as an input (a thumbnail grid's tiles).
/// Refused when the primary image would go, or when a kept image uses a removed item as input.
fn removed_items(meta: &Meta<'_>, format: FileType) -> Result<Vec<(u32, String)>, StripError> {
    let refs = match meta.iref {
        Some(p) => references(p).ok_or_else(|| bad(format, "iref"))?,
        None => Vec::new(),
    };
    let primary = meta
        .pitm
        .and_then(|p| be(p, 4, if p.first() == Some(&0) { 2 } else { 4 }))
        .map(|v| v as u32);
    let items: HashSet<u32> = meta.items.iter().map(|i| i.id).collect();
    // Per item, its references' edges out and in, and how many of them still keep it: out, an
    // edge to a kept item; in, an edge that is not a removed item's input. Each removal
    // updates the counts of its neighbours only, so the walk is linear in the edges.
    let mut out: HashMap<u32, Vec<(u32, bool)>> = HashMap::new();
    let mut into: HashMap<u32, usize> = HashMap::new();
    let mut out_live: HashMap<u32, usize> = HashMap::new();
    let mut in_live: HashMap<u32, usize> = HashMap::new();
    let mut from_edges: HashMap<u32, Vec<u32>> = HashMap::new();
    for r in &refs {
        let input = INPUTS.contains(&&r.kind);
        for &t in &r.to {
            out.entry(r.from).or_default().push((t, input));
            from_edges.entry(t).or_default().push(r.from);
            *out_live.entry(r.from).or_default() += 1;
            *into.entry(t).or_default() += 1;
            *in_live.entry(t).or_default() += 1;
        }
    }
    let mut gone: Vec<(u32, String)> = Vec::new();
    let mut is_gone: HashSet<u32> = HashSet::new();
    let mut queue: Vec<u32> = Vec::new();
    let mut mark = |id: u32, group: String, gone: &mut Vec<(u32, String)>, queue: &mut Vec<u32>| {
        if is_gone.insert(id) {
            gone.push((id, group));
            queue.push(id);
        }
    };
    for i in &meta.items {
        if let Some(group) = i.metadata_group() {
            mark(i.id, group, &mut gone, &mut queue);
        }
    }
    for r in refs.iter().filter(|r| &r.kind == b"thmb") {
        mark(r.from, THUMBNAIL.into(), &mut gone, &mut queue);
    }
    let count = |m: &HashMap<u32, usize>, id: u32| m.get(&id).copied().unwrap_or(0);
    while let Some(g) = queue.pop() {
        let mut touched = Vec::new();
        for &(t, input) in out.get(&g).into_iter().flatten() {
            if input {
                *in_live.entry(t).or_default() -= 1;
                touched.push(t);
            }
        }
        for &f in from_edges.get(&g).into_iter().flatten() {
            *out_live.entry(f).or_default() -= 1;
            touched.push(f);
        }
        for c in touched {
            if !items.contains(&c) {
                continue;
            }
            // Every reference from it points to removed items (a thumbnail's alpha or Exif),
            // or only removed items use it as an input (a thumbnail grid's tiles).
            let free = count(&out_live, c) == 0;
            let describes_removed = free && out.contains_key(&c);
            let input_of_removed_only = free && count(&into, c) > 0 && count(&in_live, c) == 0;
            if describes_removed || input_of_removed_only {
                mark(c, THUMBNAIL.into(), &mut gone, &mut queue);
            }
        }
    }
    let gone_ids: HashSet<u32> = gone.iter().map(|g| g.0).collect();
    let refuse = |why: &str| {
        Err(StripError::Unsupported {
            what: format!("{format} {why}"),
        })
    };
    if primary.is_some_and(|p| gone_ids.contains(&p)) {
        return refuse("whose primary image is a thumbnail or metadata item");
    }
    let kept_input = refs.iter().any(|r| {
        INPUTS.contains(&&r.kind)
            && !gone_ids.contains(&r.from)
            && r.to.iter().any(|t| gone_ids.contains(t))
    });
    if kept_input {
        return refuse("whose image is built from a thumbnail or metadata item");
    }
    Ok(gone)
}

/// The item tables, for verification.
pub(crate) fn tables(input: &[u8], format: FileType) -> Result<Tables<'_>, StripError> {
    let (meta_box, base) = find_meta(input, format)?;
    let meta = parse_meta(meta_box.payload, base, format)?;
    let corrupt = |what| bad(format, what);
    let items = match meta.iinf {
        Some(p) => {
            let entries = item_entries(p).ok_or_else(|| corrupt("iinf"))?;
            // Entries without an id are never removed; u32::MAX stands for them.
            let entries = entries.into_iter();
            let entries = entries.map(|(id, b)| (id.unwrap_or(u32::MAX), b)).collect();
            Some(Table {
                header: &p[..4],
                entries,
            })
        }
        None => None,
    };
    let locations = meta.iloc.map(|p| Table {
        header: &p[..6],
        entries: meta
            .locations
            .iter()
            .map(|l| (l.id, &p[l.bytes.clone()]))
            .collect(),
    });
    let properties = meta.ipma.iter().map(|&p| {
        let entries = associations(p).ok_or_else(|| corrupt("ipma"))?;
        Ok(Table {
            header: p.get(..4).ok_or_else(|| corrupt("ipma"))?,
            entries,
        })
    });
    let references = match meta.iref {
        Some(p) => {
            let refs = references(p).ok_or_else(|| corrupt("iref"))?;
            Some(Table {
                header: &p[..4],
                entries: refs.into_iter().map(|r| (r.from, r)).collect(),
            })
        }
        None => None,
    };
    Ok(Tables {
        primary: meta.pitm,
        items,
        locations,
        properties: properties.collect::<Result<_, StripError>>()?,
        references,
        removed: removed_items(&meta, format)?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    })
}

/// Every kept (not metadata, not thumbnail) item's bytes and the item properties, then, in an
/// image sequence, the movie's media ([`mp4::coded_data`]), for verification. A kept item whose
/// bytes cannot be located (in another item, method 2; or past the end) fails verification, as
/// an unwalkable track does: its data could not be compared.
pub(crate) fn coded_data(input: &[u8], format: FileType) -> Result<Vec<&[u8]>, StripError> {
    let (meta_box, base) = find_meta(input, format)?;
    let meta = parse_meta(meta_box.payload, base, format)?;
    let removed: HashSet<u32> = removed_items(&meta, format)?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let unlocated = |id: u32| {
        StripError::Verify(format!(
            "the data of item {id} cannot be located, so it cannot be compared"
        ))
    };
    let mut out = vec![meta.ipco];
    for l in meta.locations.iter().filter(|l| !removed.contains(&l.id)) {
        let src = match l.method {
            0 => input,
            1 => meta.idat,
            _ => return Err(unlocated(l.id)),
        };
        for &(offset, len) in &l.extents {
            let start = usize::try_from(offset).map_err(|_| unlocated(l.id))?;
            // A length of 0 is the rest of the file (or of `idat`).
            let end = match len {
                0 => src.len(),
                n => usize::try_from(n)
                    .ok()
                    .and_then(|n| start.checked_add(n))
                    .ok_or_else(|| unlocated(l.id))?,
            };
            out.push(src.get(start..end).ok_or_else(|| unlocated(l.id))?);
        }
    }
    let (top, _) = mp4::top_boxes(input, format)?;
    if top.iter().any(|b| &b.kind == b"moov") {
        out.extend(mp4::coded_data(input, format)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::Stripped;

    fn full(kind: &[u8; 4], version: u8, body: &[u8]) -> Vec<u8> {
        let mut p = vec![version, 0, 0, 0];
        p.extend_from_slice(body);
        boxed(kind, &p)
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
        heic_with(mdat_at, &[], &[])
    }

    /// [`heic`] with `refs` added to `iref` and `extra` boxes at the end of `meta`.
    fn heic_with(mdat_at: u32, refs: &[u8], extra: &[u8]) -> Vec<u8> {
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
        let mut iref = boxed(b"cdsc", &[0, 2, 0, 1, 0, 1]);
        iref.extend_from_slice(refs);
        let ipco = boxed(b"ipco", &full(b"ispe", 0, &[0, 0, 0, 64, 0, 0, 0, 64]));
        let ipma = full(b"ipma", 0, &[0, 0, 0, 2, 0, 1, 1, 0x81, 0, 2, 1, 0x81]);
        let mut iprp = ipco;
        iprp.extend(ipma);
        let mut meta = full(b"hdlr", 0, &hdlr);
        meta.extend(full(b"pitm", 0, &[0, 1]));
        meta.extend(full(b"iinf", 0, &iinf));
        meta.extend(full(b"iloc", 0, &iloc));
        meta.extend(full(b"iref", 0, &iref));
        meta.extend(boxed(b"iprp", &iprp));
        meta.extend_from_slice(extra);
        let mut file = boxed(b"ftyp", b"heic\0\0\0\0mif1heic");
        file.extend(full(b"meta", 0, &meta));
        file.extend(boxed(b"mdat", b"IMAGE!Exif\0\0MM*!"));
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
        crate::metadata::verify::assert_clean_output(&input, &out);
        assert_eq!(coded_data(&out, FileType::Heif).unwrap()[1], b"IMAGE!");
    }

    /// A HEIF file: `items` (id, type, data) in `iinf` and `iloc` with their data in `mdat`,
    /// `refs` (type, from, to) in `iref`, one property associated with every item, and
    /// `primary` in `pitm`.
    fn heif(
        primary: u16,
        items: &[(u16, &[u8; 4], &[u8])],
        refs: &[(&[u8; 4], u16, &[u16])],
    ) -> Vec<u8> {
        let build = |mdat_at: u32| {
            let mut iinf = (items.len() as u16).to_be_bytes().to_vec();
            let mut iloc = vec![0x44, 0x00];
            iloc.extend_from_slice(&(items.len() as u16).to_be_bytes());
            let mut ipma = (items.len() as u32).to_be_bytes().to_vec();
            let mut mdat = Vec::new();
            for &(id, kind, data) in items {
                iinf.extend(infe(id, kind));
                iloc.extend_from_slice(&id.to_be_bytes());
                iloc.extend_from_slice(&[0, 0, 0, 1]);
                iloc.extend_from_slice(&(mdat_at + mdat.len() as u32).to_be_bytes());
                iloc.extend_from_slice(&(data.len() as u32).to_be_bytes());
                ipma.extend_from_slice(&id.to_be_bytes());
                ipma.extend_from_slice(&[1, 0x81]);
                mdat.extend_from_slice(data);
            }
            let mut iref = Vec::new();
            for &(kind, from, to) in refs {
                let mut body = from.to_be_bytes().to_vec();
                body.extend_from_slice(&(to.len() as u16).to_be_bytes());
                to.iter()
                    .for_each(|t| body.extend_from_slice(&t.to_be_bytes()));
                iref.extend(boxed(kind, &body));
            }
            let mut iprp = boxed(b"ipco", &full(b"ispe", 0, &[0, 0, 0, 64, 0, 0, 0, 64]));
            iprp.extend(full(b"ipma", 0, &ipma));
            let mut meta = full(
                b"hdlr",
                0,
                &[
                    0, 0, 0, 0, b'p', b'i', b'c', b't', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                ],
            );
            meta.extend(full(b"pitm", 0, &primary.to_be_bytes()));
            meta.extend(full(b"iinf", 0, &iinf));
            meta.extend(full(b"iloc", 0, &iloc));
            meta.extend(full(b"iref", 0, &iref));
            meta.extend(boxed(b"iprp", &iprp));
            let mut file = boxed(b"ftyp", b"heic\0\0\0\0mif1heic");
            file.extend(full(b"meta", 0, &meta));
            file.extend(boxed(b"mdat", &mdat));
            file
        };
        let probe = build(0);
        let data: usize = items.iter().map(|i| i.2.len()).sum();
        build((probe.len() - data) as u32)
    }

    #[test]
    fn thumbnails_go_with_their_tiles_alpha_and_exif_and_the_primary_stays() {
        use crate::metadata::{StripOptions, verify};
        let input = heif(
            1,
            &[
                (1, b"hvc1", b"PRIMARY-IMAGE"),
                (2, b"Exif", b"Exif\0\0MM*:primary"),
                (3, b"grid", b"THUMB-GRID"),
                (4, b"hvc1", b"THUMB-TILE-A"),
                (5, b"hvc1", b"THUMB-TILE-B"),
                (6, b"hvc1", b"THUMB-ALPHA"),
                (7, b"Exif", b"Exif\0\0MM*:thumb"),
                (8, b"hvc1", b"PRIMARY-ALPHA"),
                (9, b"jpeg", b"JPEG-THUMB"),
            ],
            &[
                (b"cdsc", 2, &[1]),
                (b"thmb", 3, &[1]),
                (b"dimg", 3, &[4, 5]),
                (b"auxl", 6, &[3]),
                (b"cdsc", 7, &[3]),
                (b"auxl", 8, &[1]),
                (b"thmb", 9, &[1]),
            ],
        );
        let mut log = Log::default();
        let out = clean(&input, FileType::Heif, &mut log).unwrap();
        assert_eq!(out.len(), input.len());
        let removed = log.finish();
        let groups: Vec<&str> = removed.iter().map(|r| r.group.as_str()).collect();
        assert_eq!(groups, ["EXIF", THUMBNAIL]);
        for gone in [
            &b"THUMB"[..],
            b"Exif",
            b"JPEG-THUMB",
            b"thmb",
            b"dimg",
            b"cdsc",
        ] {
            assert!(
                !out.windows(gone.len()).any(|w| w == gone),
                "{}",
                String::from_utf8_lossy(gone)
            );
        }
        for kept in [&b"PRIMARY-IMAGE"[..], b"PRIMARY-ALPHA", b"auxl"] {
            assert!(out.windows(kept.len()).any(|w| w == kept));
        }
        let t = tables(&out, FileType::Heif).unwrap();
        let ids = |e: &Option<Table<'_, &[u8]>>| {
            e.as_ref()
                .unwrap()
                .entries
                .iter()
                .map(|e| e.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&t.items), [1, 8]);
        assert_eq!(ids(&t.locations), [1, 8]);
        assert_eq!(
            t.properties[0]
                .entries
                .iter()
                .map(|e| e.0)
                .collect::<Vec<_>>(),
            [1, 8]
        );
        let refs = &t.references.as_ref().unwrap().entries;
        assert_eq!(refs.len(), 1);
        assert_eq!(
            (refs[0].1.kind, refs[0].1.from, &refs[0].1.to[..]),
            (*b"auxl", 8, &[1][..])
        );
        crate::metadata::verify::assert_clean_output(&input, &out);
        // Through the front door, verification included.
        let opts = StripOptions::default();
        let stripped = crate::metadata::clean(&input, &opts).unwrap();
        assert_eq!(stripped.data, out);
        verify::verify(&input, &stripped, &opts).unwrap();
        // The primary item's bytes are compared: a changed pixel is caught.
        let mut tampered = stripped.clone();
        let at = out.windows(13).position(|w| w == b"PRIMARY-IMAGE").unwrap();
        tampered.data[at] ^= 1;
        assert!(matches!(
            verify::verify(&input, &tampered, &opts),
            Err(StripError::Verify(_))
        ));
    }

    #[test]
    fn a_thumbnail_that_is_the_primary_image_or_a_tile_of_it_is_refused() {
        // The primary image is itself marked as a thumbnail of item 2.
        let primary_thumb = heif(
            1,
            &[(1, b"hvc1", b"A"), (2, b"hvc1", b"B")],
            &[(b"thmb", 1, &[2])],
        );
        // The primary grid uses the thumbnail as one of its tiles.
        let shared_tile = heif(
            1,
            &[(1, b"grid", b"G"), (2, b"hvc1", b"T1"), (3, b"hvc1", b"T2")],
            &[(b"dimg", 1, &[2, 3]), (b"thmb", 3, &[1])],
        );
        for (input, why) in [(primary_thumb, "primary"), (shared_tile, "built from")] {
            match clean(&input, FileType::Heif, &mut Log::default()) {
                Err(StripError::Unsupported { what }) => assert!(what.contains(why), "{what}"),
                other => panic!("{why}: {other:?}"),
            }
        }
    }

    #[test]
    fn image_sequence_movie_and_samsung_trailer_are_cleaned() {
        let probe = heic(0);
        let mut input = heic(probe.len() as u32 - 16);
        let mut mvhd = vec![0u8; 100];
        mvhd[4..12].copy_from_slice(&[0xDA, 0x7E, 0xDA, 0x7E, 0xDA, 0x7E, 0xDA, 0x7E]);
        input.extend(boxed(b"moov", &boxed(b"mvhd", &mvhd)));
        // Samsung's trailer: one entry (MCC_Data), its directory (SEFH) and footer (SEFT).
        let mut sef = b"\0\0\xa1\x0a\x08\0\0\0MCC_Data466".to_vec();
        let dir_at = sef.len() as u32;
        sef.extend_from_slice(b"SEFH\x6a\0\0\0\x01\0\0\0\0\0\xa1\x0a");
        sef.extend_from_slice(&dir_at.to_le_bytes());
        sef.extend_from_slice(&dir_at.to_le_bytes());
        sef.extend_from_slice(&24u32.to_le_bytes());
        sef.extend_from_slice(b"SEFT");
        input.extend(boxed(b"sefd", &sef));
        let mut log = Log::default();
        let out = clean(&input, FileType::Heif, &mut log).unwrap();
        assert_eq!(out.len(), input.len());
        let groups: Vec<String> = log.finish().into_iter().map(|r| r.group).collect();
        assert_eq!(
            groups,
            [
                "EXIF",
                "handler name (writing software)",
                "creation and modification times",
                "Samsung trailer (capture time, country code)"
            ]
        );
        assert!(
            !out.windows(4)
                .any(|w| w == b"SEFH" || w == [0xDA, 0x7E, 0xDA, 0x7E])
        );
        crate::metadata::verify::assert_clean_output(&input, &out);
    }

    #[test]
    fn an_image_sequence_track_or_item_that_cannot_be_located_fails_verification() {
        use crate::metadata::{StripOptions, verify};
        let opts = StripOptions::default();
        let probe = heic(0);
        let still = heic(probe.len() as u32 - 16);
        // A sequence track whose sample table has sizes but no chunk offsets.
        let stbl = boxed(
            b"stbl",
            &boxed(b"stsz", &[0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 1]),
        );
        let mut trak = boxed(b"tkhd", &[0u8; 84]);
        trak.extend(boxed(b"mdia", &boxed(b"minf", &stbl)));
        let mut sequence = still.clone();
        sequence.extend(boxed(b"moov", &boxed(b"trak", &trak)));
        // The image item's data in another item (construction method 2), in an `iloc` of
        // version 1: two bytes longer per entry, so the file is built for an `mdat` four bytes
        // further on.
        let mut in_item = heic(probe.len() as u32 - 16 + 4);
        let at = in_item.windows(4).position(|w| w == b"iloc").unwrap() + 4;
        assert_eq!(in_item[at], 0);
        let mut iloc = vec![1, 0, 0, 0, 0x44, 0x00, 0, 2];
        for e in in_item[at + 8..at + 8 + 2 * 14].chunks(14) {
            iloc.extend_from_slice(&e[..2]);
            iloc.extend_from_slice(&[0, if e[1] == 1 { 2 } else { 0 }]);
            iloc.extend_from_slice(&e[2..]);
        }
        in_item.splice(at - 8..at + 8 + 2 * 14, boxed(b"iloc", &iloc));
        let meta = in_item.windows(4).position(|w| w == b"meta").unwrap() - 4;
        let size = u32::from_be_bytes(in_item[meta..meta + 4].try_into().unwrap()) + 4;
        in_item[meta..meta + 4].copy_from_slice(&size.to_be_bytes());
        assert!(in_item.ends_with(b"IMAGE!Exif\0\0MM*!"));
        let stripped = crate::metadata::clean(&still, &opts).unwrap();
        verify::verify(&still, &stripped, &opts).unwrap();
        for (what, input) in [("media track 1", sequence), ("item 1", in_item)] {
            let stripped = crate::metadata::clean(&input, &opts).unwrap();
            match verify::verify(&input, &stripped, &opts) {
                Err(StripError::Verify(why)) => assert!(why.contains(what), "{why}"),
                other => panic!("{what}: unverified data accepted: {other:?}"),
            }
        }
    }

    /// `data` with the bytes after the first `at` (a box type) plus `skip` replaced by `to`.
    fn patched(data: &[u8], at: &[u8; 4], skip: usize, to: &[u8]) -> Vec<u8> {
        let mut d = data.to_vec();
        let pos = d.windows(4).position(|w| w == at).unwrap() + 4 + skip;
        d[pos..pos + to.len()].copy_from_slice(to);
        d
    }

    #[test]
    fn verification_compares_primary_item_associations_and_references() {
        use crate::metadata::{StripOptions, verify};
        // An auxiliary image reference (item 3 is the alpha plane of item 1) that must survive
        // as it is.
        let auxl = boxed(b"auxl", &[0, 3, 0, 1, 0, 1]);
        let probe = heic_with(0, &auxl, &[]);
        let input = heic_with(probe.len() as u32 - 16, &auxl, &[]);
        let opts = StripOptions::default();
        let stripped = crate::metadata::clean(&input, &opts).unwrap();
        verify::verify(&input, &stripped, &opts).unwrap();
        assert!(stripped.data.windows(4).any(|w| w == b"auxl"));
        for (what, data) in [
            // The primary item becomes item 2.
            ("pitm", patched(&stripped.data, b"pitm", 4, &[0, 2])),
            // Item 1's property is no longer essential.
            (
                "ipma",
                patched(&stripped.data, b"ipma", 4 + 4 + 2 + 1, &[0x01]),
            ),
            // The alpha plane now belongs to item 3 itself.
            (
                "iref",
                patched(&stripped.data, b"auxl", 0, &[0, 3, 0, 1, 0, 3]),
            ),
        ] {
            let tampered = Stripped {
                data,
                ..stripped.clone()
            };
            match verify::verify(&input, &tampered, &opts) {
                Err(StripError::Verify(why)) => assert!(why.contains(what), "{what}: {why}"),
                other => panic!("{what} changed and accepted: {other:?}"),
            }
        }
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
            boxed(b"iloc", &[1]),
            boxed(b"iloc", &[]),
            boxed(b"iinf", &[0, 0, 0, 0, 0, 0]),
        ] {
            let probe = heic_with(0, &[], &extra);
            let input = heic_with(probe.len() as u32 - 16, &[], &extra);
            let err = clean(&input, FileType::Heif, &mut Log::default()).unwrap_err();
            assert!(err.to_string().contains("more than one"), "{err}");
        }
        assert!(rebuild_iref(&[0, 0], &HashSet::from([2])).is_none());
        assert!(rebuild_iloc(&[0, 0, 0], &[], &HashSet::new()).is_none());
    }
}
