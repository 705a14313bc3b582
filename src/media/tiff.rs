//! TIFF and DNG (classic and BigTIFF): every image IFD (the IFD chain and SubIFDs) keeps only
//! the tags needed to decode and render it; everything else — Make, Model, Software, DateTime,
//! Artist, the Exif, GPS and Interop IFDs with their MakerNote, XMP, IPTC, Photoshop — is
//! removed from the IFD table and its value bytes are zeroed.
//!
//! Editing is in place: IFD tables only shrink and nothing moves, so every strip and tile offset
//! stays valid and the image data is never touched. Proprietary raw formats built on TIFF (CR2,
//! NEF, …) need their MakerNote to decode and are reported as unsupported.
//!
//! Also builds and reads the minimal EXIF block (Orientation only) the other containers keep.

use std::collections::HashSet;
use std::ops::Range;

use super::{Log, StripError, StripOptions, read_uint};
use crate::media::sniff::FileType;

const FORMAT: FileType = FileType::Tiff;
const ORIENTATION: u16 = 274;
const ICC: u16 = 34675;
/// Pointers to IFDs that hold only metadata: Exif, GPS, Interoperability.
const METADATA_IFDS: [u16; 3] = [34665, 34853, 40965];
const SUB_IFDS: u16 = 330;
/// (offsets, byte counts) pairs that locate image data.
const DATA_PAIRS: [(u16, u16); 3] = [(273, 279), (324, 325), (513, 514)];
const JPEG_TABLES: u16 = 347;
const MAX_IFDS: usize = 4096;
/// Deepest nesting of metadata IFDs followed (IFD0 → Exif → Interoperability is 2 deep; makers
/// nest a few more). Bounds the recursion, so a chain of thousands of IFDs each pointing to the
/// next cannot exhaust a worker thread's stack.
const MAX_IFD_DEPTH: usize = 16;

/// Byte order and classic/BigTIFF layout.
#[derive(Clone, Copy)]
struct Layout {
    be: bool,
    big: bool,
}

impl Layout {
    fn read(data: &[u8]) -> Option<(Layout, u64)> {
        let be = match data.get(0..2)? {
            b"II" => false,
            b"MM" => true,
            _ => return None,
        };
        match read_uint::<2>(data, 2, be)? {
            42 => Some((Layout { be, big: false }, read_uint::<4>(data, 4, be)?)),
            43 if read_uint::<2>(data, 4, be)? == 8 => {
                Some((Layout { be, big: true }, read_uint::<8>(data, 8, be)?))
            }
            _ => None,
        }
    }
    fn u16(self, d: &[u8], p: usize) -> Option<u64> {
        read_uint::<2>(d, p, self.be)
    }
    fn u32(self, d: &[u8], p: usize) -> Option<u64> {
        read_uint::<4>(d, p, self.be)
    }
    /// An offset or an IFD entry count: 4 or 8 bytes.
    fn word(self, d: &[u8], p: usize) -> Option<u64> {
        if self.big {
            read_uint::<8>(d, p, self.be)
        } else {
            self.u32(d, p)
        }
    }
    fn word_len(self) -> usize {
        if self.big { 8 } else { 4 }
    }
    fn count_len(self) -> usize {
        if self.big { 8 } else { 2 }
    }
    fn entry_len(self) -> usize {
        if self.big { 20 } else { 12 }
    }
    fn put_word(self, out: &mut [u8], p: usize, v: u64) {
        let bytes = v.to_be_bytes();
        let n = self.word_len();
        let src = &bytes[8 - n..];
        for i in 0..n {
            out[p + i] = if self.be { src[i] } else { src[n - 1 - i] };
        }
    }
    fn put_count(self, out: &mut [u8], p: usize, v: u64) {
        if self.big {
            self.put_word(out, p, v);
        } else {
            let b = (v as u16).to_be_bytes();
            let b = if self.be { b } else { [b[1], b[0]] };
            out[p..p + 2].copy_from_slice(&b);
        }
    }
}

/// One IFD entry.
#[derive(Clone, Copy)]
struct Entry {
    tag: u16,
    typ: u16,
    count: u64,
    /// Where the entry starts.
    pos: usize,
}

/// A parsed IFD.
struct Ifd {
    entries: Vec<Entry>,
    /// The table: count, entries and next-IFD offset.
    table: Range<usize>,
    next: u64,
}

fn type_size(typ: u16) -> Option<u64> {
    Some(match typ {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 | 16 | 17 | 18 => 8,
        _ => return None,
    })
}

impl Layout {
    fn value_field(self, e: &Entry) -> usize {
        // tag (2), type (2), count (4 or 8)
        if self.big { e.pos + 12 } else { e.pos + 8 }
    }

    /// Where an entry's value lives, and whether it is out of line.
    fn value_range(self, d: &[u8], e: &Entry) -> Option<(Range<usize>, bool)> {
        let len = usize::try_from(type_size(e.typ)?.checked_mul(e.count)?).ok()?;
        let field = self.value_field(e);
        if len <= self.word_len() {
            return Some((field..field + len, false));
        }
        let start = usize::try_from(self.word(d, field)?).ok()?;
        let end = start.checked_add(len)?;
        (end <= d.len()).then_some((start..end, true))
    }

    /// Integer values of an entry (SHORT, LONG, LONG8, IFD, IFD8), at most 65536 of them.
    fn values(self, d: &[u8], e: &Entry) -> Vec<u64> {
        let Some((r, _)) = self.value_range(d, e) else {
            return Vec::new();
        };
        let size = type_size(e.typ).unwrap_or(1) as usize;
        let read = |p: usize| match e.typ {
            3 => self.u16(d, p),
            4 | 13 => self.u32(d, p),
            16 | 18 => read_uint::<8>(d, p, self.be),
            _ => None,
        };
        r.step_by(size).take(65536).filter_map(read).collect()
    }

    fn ifd(self, d: &[u8], pos: u64) -> Option<Ifd> {
        let pos = usize::try_from(pos).ok()?;
        let n = usize::try_from(if self.big {
            self.word(d, pos)?
        } else {
            self.u16(d, pos)?
        })
        .ok()?;
        let entries_start = pos + self.count_len();
        let end = entries_start
            .checked_add(n.checked_mul(self.entry_len())?)?
            .checked_add(self.word_len())?;
        if end > d.len() {
            return None;
        }
        let entries = (0..n)
            .map(|i| {
                let p = entries_start + i * self.entry_len();
                Some(Entry {
                    tag: self.u16(d, p)? as u16,
                    typ: self.u16(d, p + 2)? as u16,
                    count: if self.big {
                        self.word(d, p + 4)?
                    } else {
                        self.u32(d, p + 4)?
                    },
                    pos: p,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Ifd {
            entries,
            table: pos..end,
            next: self.word(d, end - self.word_len())?,
        })
    }
}

/// Tags an image IFD keeps: layout, compression, colour and the DNG rendering tags.
fn decode_tag(tag: u16) -> bool {
    matches!(tag,
        254..=259 | 262..=266 | 273 | 277..=284 | 288..=291 | 296 | 301 | 317..=325
        | 330 | 332..=334 | 336..=342 | 347 | 512..=521 | 529..=532 | 32997 | 32998
        | 33421 | 33422
        // DNG: versions, CFA, levels, crop, colour matrices, calibration, profiles, opcodes.
        | 50706 | 50707 | 50710..=50734 | 50737..=50739 | 50778..=50780 | 50829..=50835
        | 50879 | 50931 | 50932 | 50934..=50941 | 50964 | 50965 | 50970 | 50974 | 50975
        | 50981 | 50982 | 51008 | 51009 | 51022 | 51041 | 51089..=51091 | 51107..=51109
        | 51111 | 51125 | 52525..=52553)
}

fn keeps(tag: u16, opts: &StripOptions) -> bool {
    decode_tag(tag)
        || (tag == ORIENTATION && opts.keep_orientation)
        || (tag == ICC && opts.keep_icc)
}

fn group(tag: u16) -> &'static str {
    match tag {
        34665 | 40965 => "EXIF",
        34853 => "GPS",
        700 => "XMP",
        33723 => "IPTC",
        34377 => "Photoshop",
        ICC => "ICC profile",
        37500 | 50740 => "MakerNote",
        33550 | 33922 | 34264 | 34735..=34737 => "GeoTIFF",
        _ => "TIFF tags (camera, software, dates, names)",
    }
}

/// All image IFDs: the IFD chain and SubIFDs, each visited once.
fn image_ifds(l: Layout, d: &[u8], first: u64) -> Result<Vec<Ifd>, StripError> {
    let mut seen = HashSet::new();
    let mut todo = vec![first];
    let mut out = Vec::new();
    while let Some(pos) = todo.pop() {
        if pos == 0 || !seen.insert(pos) {
            continue;
        }
        if out.len() >= MAX_IFDS {
            return Err(StripError::malformed(FORMAT, "too many IFDs"));
        }
        let ifd = l.ifd(d, pos).ok_or_else(|| {
            StripError::malformed(FORMAT, format!("IFD at {pos} runs past the end"))
        })?;
        todo.push(ifd.next);
        for e in ifd.entries.iter().filter(|e| e.tag == SUB_IFDS) {
            todo.extend(l.values(d, e));
        }
        out.push(ifd);
    }
    Ok(out)
}

fn refuse_proprietary_raw(l: Layout, d: &[u8], ifds: &[Ifd]) -> Result<(), StripError> {
    let unsupported = |what: &str| StripError::Unsupported { what: what.into() };
    if d.get(8..10) == Some(b"CR") {
        return Err(unsupported("Canon CR2 raw"));
    }
    let is_dng = ifds
        .first()
        .is_some_and(|i| i.entries.iter().any(|e| e.tag == 50706));
    if is_dng {
        return Ok(());
    }
    for ifd in ifds {
        for e in &ifd.entries {
            let v = l.values(d, e).first().copied().unwrap_or(0);
            let raw = match e.tag {
                262 => matches!(v, 32803 | 34892),
                259 => matches!(v, 32767 | 32769 | 32770 | 34713 | 34316 | 65000 | 65535),
                _ => false,
            };
            if raw {
                return Err(unsupported(
                    "proprietary camera raw; its decoding needs the MakerNote",
                ));
            }
        }
    }
    Ok(())
}

/// Byte ranges an image IFD's data occupies.
fn data_ranges(l: Layout, d: &[u8], ifd: &Ifd) -> Vec<Range<usize>> {
    let find = |tag| ifd.entries.iter().find(|e| e.tag == tag);
    let mut out = Vec::new();
    for (off_tag, len_tag) in DATA_PAIRS {
        if let (Some(o), Some(n)) = (find(off_tag), find(len_tag)) {
            for (o, n) in l.values(d, o).into_iter().zip(l.values(d, n)) {
                let (Ok(o), Ok(n)) = (usize::try_from(o), usize::try_from(n)) else {
                    continue;
                };
                if let Some(end) = o.checked_add(n).filter(|&e| e <= d.len()) {
                    out.push(o..end);
                }
            }
        }
    }
    if let Some(t) = find(JPEG_TABLES)
        && let Some((r, _)) = l.value_range(d, t)
    {
        out.push(r);
    }
    out
}

/// Collects, into `zero`, the table and values of a metadata IFD and its nested metadata IFDs.
/// Nesting deeper than [`MAX_IFD_DEPTH`] is an error: what lies below would stay unzeroed.
fn metadata_subtree(
    l: Layout,
    d: &[u8],
    pos: u64,
    seen: &mut HashSet<u64>,
    zero: &mut Vec<Range<usize>>,
    depth: usize,
) -> Result<usize, StripError> {
    if pos == 0 || !seen.insert(pos) || seen.len() > MAX_IFDS {
        return Ok(0);
    }
    if depth > MAX_IFD_DEPTH {
        return Err(StripError::malformed(
            FORMAT,
            format!("metadata IFDs nested more than {MAX_IFD_DEPTH} deep"),
        ));
    }
    let Some(ifd) = l.ifd(d, pos) else {
        return Ok(0);
    };
    let mut size = ifd.table.len();
    zero.push(ifd.table.clone());
    for e in &ifd.entries {
        if let Some((r, true)) = l.value_range(d, e) {
            size += r.len();
            zero.push(r);
        }
        if METADATA_IFDS.contains(&e.tag) {
            for p in l.values(d, e) {
                size += metadata_subtree(l, d, p, seen, zero, depth + 1)?;
            }
        }
    }
    Ok(size)
}

pub(crate) fn clean(
    input: &[u8],
    opts: &StripOptions,
    log: &mut Log,
) -> Result<Vec<u8>, StripError> {
    let (l, first) =
        Layout::read(input).ok_or_else(|| StripError::malformed(FORMAT, "bad TIFF header"))?;
    let ifds = image_ifds(l, input, first)?;
    refuse_proprietary_raw(l, input, &ifds)?;
    let mut out = input.to_vec();
    // The header is never zeroed.
    let mut protect: Vec<Range<usize>> = Vec::new();
    protect.push(0..16);
    let mut zero = Vec::new();
    let mut seen = HashSet::new();
    for ifd in &ifds {
        protect.push(ifd.table.clone());
        protect.extend(data_ranges(l, input, ifd));
        let (kept, dropped): (Vec<&Entry>, Vec<&Entry>) =
            ifd.entries.iter().partition(|e| keeps(e.tag, opts));
        protect.extend(
            kept.iter()
                .filter_map(|e| l.value_range(input, e).map(|r| r.0)),
        );
        if dropped.is_empty() {
            continue;
        }
        for e in &dropped {
            let mut size = l.entry_len();
            if let Some((r, true)) = l.value_range(input, e) {
                size += r.len();
                zero.push(r);
            }
            if METADATA_IFDS.contains(&e.tag) {
                for p in l.values(input, e) {
                    size += metadata_subtree(l, input, p, &mut seen, &mut zero, 1)?;
                }
            }
            log.add(group(e.tag), size);
        }
        // Rewrite the table in place: fewer entries, same next pointer, zeros after it.
        let t = ifd.table.start;
        let mut table = Vec::with_capacity(ifd.table.len());
        for e in &kept {
            table.extend_from_slice(&input[e.pos..e.pos + l.entry_len()]);
        }
        let entries_at = t + l.count_len();
        out[entries_at..ifd.table.end].fill(0);
        l.put_count(&mut out, t, kept.len() as u64);
        out[entries_at..entries_at + table.len()].copy_from_slice(&table);
        l.put_word(&mut out, entries_at + table.len(), ifd.next);
    }
    for r in zero {
        zero_outside(&mut out, r, &protect);
    }
    Ok(out)
}

/// Zeroes `r` in `out` except where it overlaps a protected range.
fn zero_outside(out: &mut [u8], r: Range<usize>, protect: &[Range<usize>]) {
    let mut cuts: Vec<Range<usize>> = protect
        .iter()
        .filter(|p| p.start < r.end && r.start < p.end)
        .cloned()
        .collect();
    cuts.sort_by_key(|c| c.start);
    let mut pos = r.start;
    for c in cuts.into_iter().chain(std::iter::once(r.end..r.end)) {
        if c.start > pos {
            out[pos..c.start.min(r.end)].fill(0);
        }
        pos = pos.max(c.end);
        if pos >= r.end {
            break;
        }
    }
}

/// The image data of every image IFD, for verification.
pub(crate) fn coded_data(input: &[u8]) -> Result<Vec<&[u8]>, StripError> {
    let (l, first) =
        Layout::read(input).ok_or_else(|| StripError::malformed(FORMAT, "bad TIFF header"))?;
    let ifds = image_ifds(l, input, first)?;
    Ok(ifds
        .iter()
        .flat_map(|ifd| data_ranges(l, input, ifd))
        .map(|r| &input[r])
        .collect())
}

/// The EXIF Orientation in a TIFF/EXIF block, when it asks for a rotation or flip (2–8).
pub(crate) fn orientation(tiff: &[u8]) -> Option<u16> {
    let (l, first) = Layout::read(tiff)?;
    let ifd = l.ifd(tiff, first)?;
    let e = ifd
        .entries
        .iter()
        .find(|e| e.tag == ORIENTATION && e.typ == 3)?;
    let v = l.u16(tiff, l.value_field(e))? as u16;
    (2..=8).contains(&v).then_some(v)
}

/// A minimal big-endian EXIF/TIFF block: Orientation plus the four tags the EXIF standard
/// requires in IFD0 (72 dpi resolution, YCbCr positioning "centred"), nothing identifying.
pub(crate) fn minimal_exif(orientation: u16) -> Vec<u8> {
    const ENTRIES: u16 = 5;
    // header (8), count (2), entries (12 each), next IFD (4), then two RATIONALs
    let values = 8 + 2 + 12 * u32::from(ENTRIES) + 4;
    let mut v = b"MM\0*\0\0\0\x08".to_vec();
    v.extend_from_slice(&ENTRIES.to_be_bytes());
    let mut entry = |tag: u16, typ: u16, value: u32| {
        v.extend_from_slice(&tag.to_be_bytes());
        v.extend_from_slice(&typ.to_be_bytes());
        v.extend_from_slice(&1u32.to_be_bytes());
        v.extend_from_slice(&value.to_be_bytes());
    };
    entry(0x0112, 3, u32::from(orientation) << 16); // Orientation, SHORT left-justified
    entry(0x011A, 5, values); // XResolution
    entry(0x011B, 5, values + 8); // YResolution
    entry(0x0128, 3, 2 << 16); // ResolutionUnit: inches
    entry(0x0213, 3, 1 << 16); // YCbCrPositioning: centred
    v.extend_from_slice(&[0; 4]);
    for _ in 0..2 {
        v.extend_from_slice(&72u32.to_be_bytes());
        v.extend_from_slice(&1u32.to_be_bytes());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian TIFF: IFD0 with an 8-byte strip, Make, Orientation and a GPS IFD.
    fn sample() -> Vec<u8> {
        let mut d = b"II*\0\x08\0\0\0".to_vec();
        let entries: [(u16, u16, u32, u32); 8] = [
            (256, 3, 1, 4),
            (257, 3, 1, 2),
            (258, 3, 1, 8),
            (271, 2, 6, 210),
            (273, 4, 1, 200),
            (274, 3, 1, 6),
            (279, 4, 1, 8),
            (34853, 4, 1, 220),
        ];
        d.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, typ, count, value) in entries {
            d.extend_from_slice(&tag.to_le_bytes());
            d.extend_from_slice(&typ.to_le_bytes());
            d.extend_from_slice(&count.to_le_bytes());
            d.extend_from_slice(&value.to_le_bytes());
        }
        d.extend_from_slice(&[0; 4]);
        d.resize(200, 0);
        d.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]); // strip at 200
        d.resize(210, 0);
        d.extend_from_slice(b"Canon\0"); // Make at 210
        d.resize(220, 0);
        d.extend_from_slice(&[1, 0, 1, 0, 2, 0, 2, 0, b'N', 0, 0, 0, 0, 0, 0, 0]); // GPS IFD
        d.extend_from_slice(&[0xAA; 8]);
        d
    }

    #[test]
    fn drops_privacy_tags_in_place() {
        let input = sample();
        let mut log = Log::default();
        let out = clean(&input, &StripOptions::default(), &mut log).unwrap();
        assert_eq!(out.len(), input.len());
        assert!(!out.windows(5).any(|w| w == b"Canon"));
        assert_eq!(&out[200..208], &input[200..208]);
        let groups: Vec<String> = log.finish().into_iter().map(|r| r.group).collect();
        assert_eq!(
            groups,
            ["TIFF tags (camera, software, dates, names)", "GPS"]
        );
        assert_eq!(orientation(&out), Some(6));
        crate::metadata::verify::assert_clean_output(&input, &out);
    }

    #[test]
    fn minimal_exif_round_trips() {
        assert_eq!(orientation(&minimal_exif(8)), Some(8));
        assert_eq!(orientation(&minimal_exif(1)), None);
        assert_eq!(minimal_exif(3).len(), 90);
    }

    /// `sample()` with its GPS IFD replaced by a chain of `n` Exif IFDs, each pointing to the
    /// next (18 bytes each: count, one LONG entry, next-IFD offset).
    fn nested(n: u32) -> Vec<u8> {
        let mut d = sample();
        d.truncate(220);
        // IFD0's last entry (34853 → 220) becomes an Exif IFD pointer to the chain.
        d[10 + 7 * 12..10 + 7 * 12 + 2].copy_from_slice(&34665u16.to_le_bytes());
        for i in 0..n {
            let next = if i + 1 == n { 0 } else { 220 + 18 * (i + 1) };
            d.extend_from_slice(&1u16.to_le_bytes());
            d.extend_from_slice(&34665u16.to_le_bytes());
            d.extend_from_slice(&4u16.to_le_bytes());
            d.extend_from_slice(&1u32.to_le_bytes());
            d.extend_from_slice(&next.to_le_bytes());
            d.extend_from_slice(&[0; 4]);
        }
        d
    }

    #[test]
    fn deeply_nested_ifds_are_refused_not_recursed() {
        let opts = StripOptions::default();
        let shallow = clean(&nested(4), &opts, &mut Log::default()).unwrap();
        assert!(shallow[220..].iter().all(|&b| b == 0));
        let deep = clean(&nested(4000), &opts, &mut Log::default()).unwrap_err();
        assert!(
            deep.to_string().contains("nested more than 16 deep"),
            "{deep}"
        );
    }

    #[test]
    fn hostile_offsets_are_errors() {
        let mut d = sample();
        d[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(clean(&d, &StripOptions::default(), &mut Log::default()).is_err());
        assert!(clean(b"II*\0", &StripOptions::default(), &mut Log::default()).is_err());
    }
}
