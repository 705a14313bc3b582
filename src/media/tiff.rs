//! TIFF and DNG (classic and BigTIFF): every image IFD (the IFD chain and SubIFDs) keeps only
//! the tags needed to decode and render it; everything else — Make, Model, Software, DateTime,
//! Artist, the Exif, GPS and Interop IFDs with their MakerNote, XMP, IPTC, Photoshop — is
//! removed from the IFD table and its value bytes are zeroed.
//!
//! Embedded previews go too, as a JPEG's EXIF thumbnail does: an image IFD marked
//! reduced-resolution (NewSubfileType bit 0, or SubfileType 2), a SubIFD smaller than its parent
//! without a subfile type, and a bare JPEG stream in a SubIFD or a later IFD are unlinked (their
//! table, values and image data zeroed). A preview that is IFD0 — a DNG's thumbnail among them —
//! is refused: without it the file has no first image for a TIFF reader to show; so is a file
//! whose only image is a preview.
//!
//! Editing is in place: IFD tables only shrink and nothing moves, so every strip and tile offset
//! stays valid and the main image data is never touched. Proprietary raw formats built on TIFF
//! (CR2, NEF, …) need their MakerNote to decode and are reported as unsupported.
//!
//! Also builds and reads the minimal EXIF block (Orientation only) the other containers keep.

use std::collections::HashSet;
use std::ops::Range;

use super::parts::{Decode, Kept, Rules, all_coded};
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
const NEW_SUBFILE_TYPE: u16 = 254;
const OLD_SUBFILE_TYPE: u16 = 255;
const WIDTH: u16 = 256;
const LENGTH: u16 = 257;
/// JPEGInterchangeFormat: where a JPEG stream of its own starts (EXIF thumbnails, old-style JPEG).
const JPEG_STREAM: u16 = 513;
const DNG_VERSION: u16 = 50706;
/// The log group of removed embedded previews.
const PREVIEW: &str = "embedded preview image";
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
        self.put_uint(out, p, v, self.word_len());
    }
    /// Writes the low `n` bytes of `v` at `p`.
    fn put_uint(self, out: &mut [u8], p: usize, v: u64, n: usize) {
        let bytes = v.to_be_bytes();
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
    /// Where a reader finds it (filled in by [`image_ifds`]).
    place: Place,
}

/// Where an image IFD hangs, by index into [`image_ifds`]' list (a parent comes before its
/// children).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// In the IFD chain, after `prev` (`None`: IFD0, the header points to it).
    Chain { prev: Option<usize> },
    /// In the SubIFDs of `parent`.
    Sub { parent: usize },
}

/// What cleaning does with an image IFD as a whole.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fate {
    /// Kept, less its metadata tags.
    Keep,
    /// An embedded preview (or below one): unlinked, its table, values and data zeroed.
    Unlink,
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

    /// Integer values of an entry, at most 65536 of them. Offsets and counts should be SHORT,
    /// LONG, LONG8, IFD or IFD8; readers (libtiff among them) also take the other integer
    /// types, so a malformed file may locate its data with them and they are read too.
    fn values(self, d: &[u8], e: &Entry) -> Vec<u64> {
        let Some((r, _)) = self.value_range(d, e) else {
            return Vec::new();
        };
        let size = type_size(e.typ).unwrap_or(1) as usize;
        let read = |p: usize| match e.typ {
            1 | 6 => d.get(p).map(|&b| u64::from(b)),
            3 | 8 => self.u16(d, p),
            4 | 9 | 13 => self.u32(d, p),
            16..=18 => read_uint::<8>(d, p, self.be),
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
            place: Place::Chain { prev: None },
        })
    }
}

/// Tags an image IFD keeps: layout, compression (with the fax T4/T6 options), colour and the
/// DNG rendering tags.
fn decode_tag(tag: u16) -> bool {
    matches!(tag,
        254..=259 | 262..=266 | 273 | 277..=284 | 288..=293 | 296 | 301 | 317..=325
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

/// All image IFDs: the IFD chain and SubIFDs, each visited once, a parent before its children.
fn image_ifds(l: Layout, d: &[u8], first: u64) -> Result<Vec<Ifd>, StripError> {
    let mut seen = HashSet::new();
    let mut todo = vec![(first, Place::Chain { prev: None })];
    let mut out = Vec::new();
    while let Some((pos, place)) = todo.pop() {
        if pos == 0 || !seen.insert(pos) {
            continue;
        }
        if out.len() >= MAX_IFDS {
            return Err(StripError::malformed(FORMAT, "too many IFDs"));
        }
        let mut ifd = l.ifd(d, pos).ok_or_else(|| {
            StripError::malformed(FORMAT, format!("IFD at {pos} runs past the end"))
        })?;
        ifd.place = place;
        let me = out.len();
        todo.push((ifd.next, Place::Chain { prev: Some(me) }));
        for e in ifd.entries.iter().filter(|e| e.tag == SUB_IFDS) {
            todo.extend(
                l.values(d, e)
                    .into_iter()
                    .map(|p| (p, Place::Sub { parent: me })),
            );
        }
        out.push(ifd);
    }
    Ok(out)
}

/// The first integer value of `tag` in `ifd`.
fn value_of(l: Layout, d: &[u8], ifd: &Ifd, tag: u16) -> Option<u64> {
    let e = ifd.entries.iter().find(|e| e.tag == tag)?;
    l.values(d, e).first().copied()
}

/// Whether image IFD `i` is an embedded preview: marked reduced-resolution (NewSubfileType bit
/// 0, or the old SubfileType 2); or, with no subfile type, a SubIFD smaller than its parent
/// both ways, or a bare JPEG stream (JPEGInterchangeFormat with no dimensions, strips or tiles,
/// as EXIF's thumbnail) anywhere but IFD0. An IFD without image data previews nothing.
fn is_preview(l: Layout, d: &[u8], ifds: &[Ifd], i: usize) -> bool {
    let ifd = &ifds[i];
    if data_ranges(l, d, ifd).is_empty() {
        return false;
    }
    if let Some(t) = value_of(l, d, ifd, NEW_SUBFILE_TYPE) {
        return t & 1 == 1;
    }
    if let Some(t) = value_of(l, d, ifd, OLD_SUBFILE_TYPE) {
        return t == 2;
    }
    let has = |tag| ifd.entries.iter().any(|e| e.tag == tag);
    let bare_jpeg = has(JPEG_STREAM) && !has(WIDTH) && !has(273) && !has(324);
    match ifd.place {
        Place::Chain { prev: None } => false,
        Place::Chain { prev: Some(_) } => bare_jpeg,
        Place::Sub { parent } => {
            let size = |ifd| Some((value_of(l, d, ifd, WIDTH)?, value_of(l, d, ifd, LENGTH)?));
            let smaller = matches!(
                (size(ifd), size(&ifds[parent])),
                (Some((w, h)), Some((pw, ph))) if w < pw && h < ph
            );
            bare_jpeg || smaller
        }
    }
}

/// What cleaning does with each image IFD. A preview is unlinked with everything below it.
/// Refused: a preview as IFD0, a DNG's thumbnail included (unlinking or emptying it would leave
/// a reader no first image), a full-resolution image below a preview, and a file with no image
/// left.
fn fates(l: Layout, d: &[u8], ifds: &[Ifd]) -> Result<Vec<Fate>, StripError> {
    let refuse = |why: &str| {
        Err(StripError::Unsupported {
            what: format!("TIFF with an embedded preview that cannot be removed: {why}"),
        })
    };
    let mut out: Vec<Fate> = Vec::with_capacity(ifds.len());
    for (i, ifd) in ifds.iter().enumerate() {
        let preview = is_preview(l, d, ifds, i);
        let fate = match ifd.place {
            Place::Sub { parent } if out[parent] == Fate::Unlink => {
                if !preview && !data_ranges(l, d, ifd).is_empty() {
                    return refuse("a full-resolution image hangs below it");
                }
                Fate::Unlink
            }
            // A DNG's IFD0 thumbnail too: without its image data the file has no first
            // image for a TIFF reader (the `image` crate, viewers) to show.
            Place::Chain { prev: None } if preview => {
                return refuse("it is IFD0, the image every TIFF reader shows first");
            }
            _ if preview => Fate::Unlink,
            _ => Fate::Keep,
        };
        out.push(fate);
    }
    let main_left = ifds
        .iter()
        .zip(&out)
        .any(|(ifd, f)| *f == Fate::Keep && !data_ranges(l, d, ifd).is_empty());
    if out.iter().any(|f| *f != Fate::Keep) && !main_left {
        return refuse("it is the only image in the file");
    }
    Ok(out)
}

/// Tags an IFD keeps, by its fate.
fn keeps_in(fate: Fate, tag: u16, opts: &StripOptions) -> bool {
    match fate {
        Fate::Keep => keeps(tag, opts),
        Fate::Unlink => false,
    }
}

/// The image IFDs with their fates, for verification.
fn planned(input: &[u8]) -> Result<(Layout, Vec<Ifd>, Vec<Fate>), StripError> {
    let (l, first) =
        Layout::read(input).ok_or_else(|| StripError::malformed(FORMAT, "bad TIFF header"))?;
    let ifds = image_ifds(l, input, first)?;
    let fates = fates(l, input, &ifds)?;
    Ok((l, ifds, fates))
}

fn refuse_proprietary_raw(l: Layout, d: &[u8], ifds: &[Ifd]) -> Result<(), StripError> {
    let unsupported = |what: &str| StripError::Unsupported { what: what.into() };
    if d.get(8..10) == Some(b"CR") {
        return Err(unsupported("Canon CR2 raw"));
    }
    let is_dng = ifds
        .first()
        .is_some_and(|i| i.entries.iter().any(|e| e.tag == DNG_VERSION));
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

/// Byte ranges an image IFD's data occupies. A strip or tile that runs past the end of the
/// file is cut at the end (its bytes in the file are still image data a reader uses). One whose
/// byte count is missing or unreadable (an odd type) runs to the end of the file: libtiff then
/// estimates the count and reads on, over whatever follows.
fn data_ranges(l: Layout, d: &[u8], ifd: &Ifd) -> Vec<Range<usize>> {
    let find = |tag| ifd.entries.iter().find(|e| e.tag == tag);
    let mut out = Vec::new();
    for (off_tag, len_tag) in DATA_PAIRS {
        let Some(o) = find(off_tag) else {
            continue;
        };
        let counts = find(len_tag).map(|n| l.values(d, n)).unwrap_or_default();
        for (k, o) in l.values(d, o).into_iter().enumerate() {
            let n = counts.get(k).copied().unwrap_or(u64::MAX);
            let Ok(o) = usize::try_from(o) else {
                continue;
            };
            if o < d.len() {
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                out.push(o..o.saturating_add(n).min(d.len()));
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

/// Every byte range a reader of the clean file uses that cleaning must not change: the image
/// data of every image IFD that is kept whole and the out-of-line values of the tags kept (bit
/// depths, colour maps, DNG matrices, …). IFD tables are not listed: they are rewritten; nor
/// are SubIFD pointers, which lose the removed previews.
fn referenced(input: &[u8], opts: &StripOptions) -> Result<Vec<Range<usize>>, StripError> {
    let (l, ifds, fates) = planned(input)?;
    let mut out = Vec::new();
    for (ifd, &fate) in ifds.iter().zip(&fates) {
        if fate == Fate::Keep {
            out.extend(data_ranges(l, input, ifd));
        }
        let kept = |e: &&Entry| e.tag != SUB_IFDS && keeps_in(fate, e.tag, opts);
        for e in ifd.entries.iter().filter(kept) {
            if let Some((r, true)) = l.value_range(input, e) {
                out.push(r);
            }
        }
    }
    Ok(out)
}

/// The first range of `referenced` whose bytes differ between `input` and `out`.
fn touched(input: &[u8], out: &[u8], referenced: &[Range<usize>]) -> Option<Range<usize>> {
    referenced
        .iter()
        .find(|r| input.get((*r).clone()) != out.get((*r).clone()))
        .cloned()
}

/// Verification: every byte the input's IFDs point a reader to (image data, kept values) is
/// unchanged where it was. The output's coded data is found through its own IFDs, so this also
/// ties the rewritten IFDs to the input's data.
fn kept_values(input: &[u8], out: &[u8], opts: &StripOptions) -> Result<(), StripError> {
    match touched(input, out, &referenced(input, opts)?) {
        Some(r) => Err(StripError::Verify(format!(
            "bytes {}..{}, image data or a kept value, changed",
            r.start, r.end
        ))),
        None => Ok(()),
    }
}

/// How verification checks a cleaned TIFF: its image data, the values its IFDs point to, and
/// always a decode, as the block comparison does not cover the rewritten IFD tables (but never
/// of a [`tiled_planar`] file, which the decoder cannot be given).
pub(crate) const RULES: Rules = Rules::Parts {
    parts: |data, _| coded_data(data).map(all_coded),
    kept: Kept::Structure(|input, out, _, opts| kept_values(input, out, opts)),
    decode: |input| match tiled_planar(input) {
        true => Decode::Never,
        false => Decode::Always,
    },
};

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
    let fates = fates(l, input, &ifds)?;
    let mut out = input.to_vec();
    // The header is never zeroed.
    let mut protect: Vec<Range<usize>> = Vec::new();
    protect.push(0..16);
    let mut zero = Vec::new();
    let mut seen = HashSet::new();
    let mut data = Vec::new();
    for (i, ifd) in ifds.iter().enumerate() {
        let fate = fates[i];
        if fate == Fate::Unlink {
            let mut size = ifd.table.len();
            zero.push(ifd.table.clone());
            for r in data_ranges(l, input, ifd) {
                size += r.len();
                zero.push(r);
            }
            for e in &ifd.entries {
                size += dropped_values(l, input, e, &mut seen, &mut zero)?;
            }
            log.add(PREVIEW, size);
            continue;
        }
        protect.push(ifd.table.clone());
        if fate == Fate::Keep {
            data.extend(data_ranges(l, input, ifd));
        }
        let subs = kept_sub_ifds(l, input, &ifds, &fates, i);
        let (kept, dropped): (Vec<&Entry>, Vec<&Entry>) = ifd.entries.iter().partition(|e| {
            keeps_in(fate, e.tag, opts)
                && (e.tag != SUB_IFDS || subs.as_ref().is_none_or(|s| !s.is_empty()))
        });
        // (A SubIFDs array that loses entries is rewritten below, not protected.)
        protect.extend(
            kept.iter()
                .filter(|e| e.tag != SUB_IFDS || subs.is_none())
                .filter_map(|e| l.value_range(input, e).map(|r| r.0)),
        );
        let next = next_kept(&ifds, &fates, i);
        if dropped.is_empty() && next == ifd.next && subs.is_none() {
            continue;
        }
        for e in &dropped {
            let size = l.entry_len() + dropped_values(l, input, e, &mut seen, &mut zero)?;
            if e.tag == SUB_IFDS {
                log.add(PREVIEW, size);
            } else {
                log.add(group(e.tag), size);
            }
        }
        // Rewrite the table in place: fewer entries, the next kept IFD, zeros after it.
        let t = ifd.table.start;
        let mut table = Vec::with_capacity(ifd.table.len());
        for e in &kept {
            let mut entry = input[e.pos..e.pos + l.entry_len()].to_vec();
            if let (SUB_IFDS, Some(subs)) = (e.tag, &subs) {
                set_sub_ifds(l, e, subs, &mut entry, &mut out, &mut zero, input);
            }
            table.extend_from_slice(&entry);
        }
        let entries_at = t + l.count_len();
        out[entries_at..ifd.table.end].fill(0);
        l.put_count(&mut out, t, kept.len() as u64);
        out[entries_at..entries_at + table.len()].copy_from_slice(&table);
        l.put_word(&mut out, entries_at + table.len(), next);
    }
    // A malformed file can place its image data over an IFD table, a removed tag's value or a
    // preview: cleaning would then change the picture, or leave the value in place. Such a
    // file is refused as it is.
    let overlap = zero
        .iter()
        .find_map(|z| data.iter().find(|r| r.start < z.end && z.start < r.end))
        .cloned();
    protect.extend(data);
    for r in zero {
        zero_outside(&mut out, r, &protect);
    }
    if let Some(r) =
        overlap.or_else(|| touched(input, &out, &referenced(input, opts).unwrap_or_default()))
    {
        return Err(StripError::malformed(
            FORMAT,
            format!(
                "image data at {}..{} overlaps metadata that would be removed; left unchanged",
                r.start, r.end
            ),
        ));
    }
    Ok(out)
}

/// Collects, into `zero`, the out-of-line value of a removed entry and, for a pointer to a
/// metadata IFD, that IFD's subtree; returns their size.
fn dropped_values(
    l: Layout,
    d: &[u8],
    e: &Entry,
    seen: &mut HashSet<u64>,
    zero: &mut Vec<Range<usize>>,
) -> Result<usize, StripError> {
    let mut size = 0;
    if let Some((r, true)) = l.value_range(d, e) {
        size += r.len();
        zero.push(r);
    }
    if METADATA_IFDS.contains(&e.tag) {
        for p in l.values(d, e) {
            size += metadata_subtree(l, d, p, seen, zero, 1)?;
        }
    }
    Ok(size)
}

/// What IFD `i`'s next-IFD pointer becomes: the position of the first IFD after it that is not
/// unlinked, or where the last one unlinked pointed (0 at the end of a chain, or an IFD already
/// read elsewhere).
fn next_kept(ifds: &[Ifd], fates: &[Fate], i: usize) -> u64 {
    let mut at = i;
    loop {
        let Some(j) = ifds
            .iter()
            .position(|x| x.place == Place::Chain { prev: Some(at) })
        else {
            return ifds[at].next;
        };
        if fates[j] != Fate::Unlink {
            return ifds[j].table.start as u64;
        }
        at = j;
    }
}

/// The SubIFD offsets IFD `i` keeps, when it loses some (`None`: all kept, or none there).
fn kept_sub_ifds(l: Layout, d: &[u8], ifds: &[Ifd], fates: &[Fate], i: usize) -> Option<Vec<u64>> {
    let unlinked: HashSet<u64> = ifds
        .iter()
        .zip(fates)
        .filter(|(x, f)| **f == Fate::Unlink && x.place == Place::Sub { parent: i })
        .map(|(x, _)| x.table.start as u64)
        .collect();
    if unlinked.is_empty() {
        return None;
    }
    let e = ifds[i].entries.iter().find(|e| e.tag == SUB_IFDS)?;
    Some(
        l.values(d, e)
            .into_iter()
            .filter(|p| !unlinked.contains(p))
            .collect(),
    )
}

/// Rewrites a SubIFDs entry (`entry`, a copy of the input's) to hold only `subs`: the count,
/// and the offsets inline when they fit, else at the start of the old out-of-line array, whose
/// rest is zeroed.
fn set_sub_ifds(
    l: Layout,
    e: &Entry,
    subs: &[u64],
    entry: &mut [u8],
    out: &mut [u8],
    zero: &mut Vec<Range<usize>>,
    input: &[u8],
) {
    let size = type_size(e.typ).unwrap_or(4) as usize;
    // tag (2), type (2), count (a word), value field (a word)
    let field = 4 + l.word_len();
    l.put_word(entry, 4, subs.len() as u64);
    if subs.len() * size <= l.word_len() {
        entry[field..field + l.word_len()].fill(0);
        for (k, &v) in subs.iter().enumerate() {
            l.put_uint(entry, field + k * size, v, size);
        }
        if let Some((r, true)) = l.value_range(input, e) {
            zero.push(r);
        }
    } else if let Some((r, true)) = l.value_range(input, e) {
        out[r.clone()].fill(0);
        for (k, &v) in subs.iter().enumerate() {
            l.put_uint(out, r.start + k * size, v, size);
        }
    }
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

/// The image data of every image IFD that cleaning keeps (previews left out), for verification.
pub(crate) fn coded_data(input: &[u8]) -> Result<Vec<&[u8]>, StripError> {
    let (l, ifds, fates) = planned(input)?;
    Ok(ifds
        .iter()
        .zip(&fates)
        .filter(|(_, f)| **f == Fate::Keep)
        .flat_map(|(ifd, _)| data_ranges(l, input, ifd))
        .map(|r| &input[r])
        .collect())
}

/// What [`tiled_planar`] finds, for messages.
pub const TILED_PLANAR: &str = "tiled TIFF with separate colour planes";

/// Whether any image IFD is tiled with separate planes (PlanarConfiguration 2). The `tiff`
/// crate 0.11.3 panics on such files (an assertion in its tile reader; the reproducer is in
/// docs/strip.md), and a panic prints a backtrace even where it is caught, so they are not
/// given to it.
pub fn tiled_planar(data: &[u8]) -> bool {
    let Some((l, first)) = Layout::read(data) else {
        return false;
    };
    let Ok(ifds) = image_ifds(l, data, first) else {
        return false;
    };
    ifds.iter().any(|ifd| {
        let value = |tag| {
            let e = ifd.entries.iter().find(|e| e.tag == tag)?;
            l.values(data, e).first().copied()
        };
        value(322).is_some() && value(284) == Some(2)
    })
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

/// Whether `tiff_bytes` is exactly the minimal EXIF block for the orientation of `from`: the
/// rewrite the JPEG, PNG and WebP cleaners make of a kept orientation.
pub(crate) fn is_minimal_exif_of(from: &[u8], tiff_bytes: &[u8]) -> bool {
    orientation(from).is_some_and(|o| minimal_exif(o) == tiff_bytes)
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

    /// `sample()` with StripByteCounts set to `n` (the strip starts at 200, Make's value at
    /// 210, the file ends at 236).
    fn strip_of(n: u32) -> Vec<u8> {
        let mut d = sample();
        d[10 + 6 * 12 + 8..10 + 6 * 12 + 12].copy_from_slice(&n.to_le_bytes());
        d
    }

    #[test]
    fn image_data_over_metadata_is_refused() {
        let opts = StripOptions::default();
        assert!(clean(&strip_of(10), &opts, &mut Log::default()).is_ok());
        // Over Make's value, and running past the end of the file.
        for n in [16, 1000] {
            let err = clean(&strip_of(n), &opts, &mut Log::default()).unwrap_err();
            assert!(err.to_string().contains("overlaps metadata"), "{err}");
        }
    }

    #[test]
    fn a_strip_without_a_readable_byte_count_runs_to_the_end() {
        // StripByteCounts (entry 7) given an unknown type: libtiff estimates the count and
        // decodes the bytes after the strip too, Make's value among them.
        let mut d = sample();
        d[10 + 6 * 12 + 2..10 + 6 * 12 + 4].copy_from_slice(&9477u16.to_le_bytes());
        let err = clean(&d, &StripOptions::default(), &mut Log::default()).unwrap_err();
        assert!(err.to_string().contains("overlaps metadata"), "{err}");
        // Without the entry at all, likewise.
        d[10 + 6 * 12..10 + 6 * 12 + 2].copy_from_slice(&280u16.to_le_bytes());
        let err = clean(&d, &StripOptions::default(), &mut Log::default()).unwrap_err();
        assert!(err.to_string().contains("overlaps metadata"), "{err}");
    }

    #[test]
    fn fax_options_and_odd_integer_types_are_kept() {
        let mut d = sample();
        // Make (271, ASCII) becomes T4Options (292, LONG): fax decoding needs it.
        d[10 + 3 * 12..10 + 3 * 12 + 8].copy_from_slice(&[0x24, 1, 4, 0, 1, 0, 0, 0]);
        let out = clean(&d, &StripOptions::default(), &mut Log::default()).unwrap();
        let (l, first) = Layout::read(&out).unwrap();
        assert!(
            l.ifd(&out, first)
                .unwrap()
                .entries
                .iter()
                .any(|e| e.tag == 292)
        );
        // StripOffsets written as a SLONG still locates the strip, which is then protected.
        let mut d = strip_of(16);
        d[10 + 4 * 12 + 2] = 9;
        assert!(clean(&d, &StripOptions::default(), &mut Log::default()).is_err());
    }

    /// A little-endian 10×4 RGB TIFF, 16 bits a sample, in one 16×16 tile per plane
    /// (PlanarConfiguration 2), uncompressed: the layout of Pillow's tiff_tiled_planar_16bit_*
    /// (a tile larger than the image), on which the `tiff` crate 0.11.3 panics.
    pub(crate) fn tiled_planar_sample() -> Vec<u8> {
        const TILE: u32 = 16 * 16 * 2;
        let data_at = 8 + 2 + 11 * 12 + 4 + 6 + 12 + 12;
        let entries: [(u16, u16, u32, u32); 11] = [
            (256, 3, 1, 10),
            (257, 3, 1, 4),
            (258, 3, 3, 8 + 2 + 11 * 12 + 4), // BitsPerSample 16,16,16 after the table
            (259, 3, 1, 1),
            (262, 3, 1, 2),
            (277, 3, 1, 3),
            (284, 3, 1, 2),
            (322, 3, 1, 16),
            (323, 3, 1, 16),
            (324, 4, 3, 8 + 2 + 11 * 12 + 4 + 6), // TileOffsets
            (325, 4, 3, 8 + 2 + 11 * 12 + 4 + 6 + 12), // TileByteCounts
        ];
        let mut d = b"II*\0\x08\0\0\0".to_vec();
        d.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, typ, count, value) in entries {
            d.extend_from_slice(&tag.to_le_bytes());
            d.extend_from_slice(&typ.to_le_bytes());
            d.extend_from_slice(&count.to_le_bytes());
            d.extend_from_slice(&value.to_le_bytes());
        }
        d.extend_from_slice(&[0; 4]);
        for _ in 0..3 {
            d.extend_from_slice(&16u16.to_le_bytes());
        }
        for plane in 0..3 {
            d.extend_from_slice(&(data_at + plane * TILE).to_le_bytes());
        }
        for _ in 0..3 {
            d.extend_from_slice(&TILE.to_le_bytes());
        }
        assert_eq!(d.len(), data_at as usize);
        d.extend((0..3 * TILE).map(|i| (i % 251) as u8));
        d
    }

    #[test]
    fn tiled_planar_tiffs_are_not_given_to_the_decoder() {
        let d = tiled_planar_sample();
        assert!(tiled_planar(&d));
        assert!(!tiled_planar(&sample()));
        let err = crate::media::decode::decode(&d, FileType::Tiff, None).unwrap_err();
        assert!(
            matches!(err, crate::media::decode::DecodeError::Layout(_)),
            "{err}"
        );
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

    /// An IFD entry to build: tag, type, count, inline value (or offset).
    type Field = (u16, u16, u32, u32);

    /// A little-endian TIFF of `len` bytes: IFDs as (position, entries (tag, type, count,
    /// inline value), next IFD) and blobs as (position, bytes).
    fn layout(len: usize, ifds: &[(u32, &[Field], u32)], blobs: &[(u32, &[u8])]) -> Vec<u8> {
        let mut d = vec![0; len];
        d[..8].copy_from_slice(b"II*\0\x08\0\0\0");
        for (pos, entries, next) in ifds {
            let mut t = (entries.len() as u16).to_le_bytes().to_vec();
            for (tag, typ, count, value) in *entries {
                t.extend_from_slice(&tag.to_le_bytes());
                t.extend_from_slice(&typ.to_le_bytes());
                t.extend_from_slice(&count.to_le_bytes());
                t.extend_from_slice(&value.to_le_bytes());
            }
            t.extend_from_slice(&next.to_le_bytes());
            d[*pos as usize..*pos as usize + t.len()].copy_from_slice(&t);
        }
        for (pos, b) in blobs {
            d[*pos as usize..*pos as usize + b.len()].copy_from_slice(b);
        }
        d
    }

    /// An uncompressed 8-bit grey image IFD of `w`×`h` with its strip at `at`, NewSubfileType
    /// `kind`, plus `more` entries (sorted in by tag).
    fn grey(kind: Option<u32>, w: u32, h: u32, at: u32, more: &[Field]) -> Vec<Field> {
        let mut e: Vec<Field> = kind.map(|k| (254, 4, 1, k)).into_iter().collect();
        e.extend([
            (256, 3, 1, w),
            (257, 3, 1, h),
            (258, 3, 1, 8),
            (259, 3, 1, 1),
            (262, 3, 1, 1),
            (273, 4, 1, at),
            (277, 3, 1, 1),
            (278, 3, 1, h),
            (279, 4, 1, w * h),
        ]);
        e.extend_from_slice(more);
        e.sort_by_key(|x| x.0);
        e
    }

    const MAIN: [u8; 8] = [0x11; 8];
    const PAGE: [u8; 8] = [0x22; 8];
    const THUMB: [u8; 2] = [0xEE; 2];
    const PREV: [u8; 2] = [0xDD; 2];

    /// IFD0 (4×2, Make, a SubIFD preview) → IFD1 (a reduced-resolution 2×1 preview) → IFD2 (a
    /// second page, NewSubfileType 2).
    fn with_previews() -> Vec<u8> {
        let ifd0 = grey(Some(0), 4, 2, 800, &[(271, 2, 6, 700), (330, 4, 1, 600)]);
        let ifd1 = grey(Some(1), 2, 1, 820, &[]);
        let ifd2 = grey(Some(2), 4, 2, 840, &[]);
        let sub = grey(Some(1), 2, 1, 860, &[]);
        layout(
            870,
            &[
                (8, &ifd0, 200),
                (200, &ifd1, 400),
                (400, &ifd2, 0),
                (600, &sub, 0),
            ],
            &[
                (700, b"Canon\0"),
                (800, &MAIN),
                (820, &THUMB),
                (840, &PAGE),
                (860, &PREV),
            ],
        )
    }

    fn entries_of(d: &[u8]) -> Vec<Vec<u16>> {
        let (l, first) = Layout::read(d).unwrap();
        let ifds = image_ifds(l, d, first).unwrap();
        ifds.iter()
            .map(|i| i.entries.iter().map(|e| e.tag).collect())
            .collect()
    }

    fn contains(d: &[u8], what: &[u8]) -> bool {
        d.windows(what.len()).any(|w| w == what)
    }

    #[test]
    fn previews_are_unlinked_pages_and_main_image_kept() {
        let input = with_previews();
        let mut log = Log::default();
        let out = clean(&input, &StripOptions::default(), &mut log).unwrap();
        let groups: Vec<String> = log.finish().into_iter().map(|r| r.group).collect();
        assert!(groups.iter().any(|g| g == PREVIEW), "{groups:?}");
        // IFD0 now leads straight to the page; no SubIFDs; both previews' pixels are gone.
        let (l, first) = Layout::read(&out).unwrap();
        let ifd0 = l.ifd(&out, first).unwrap();
        assert_eq!(ifd0.next, 400);
        assert!(
            ifd0.entries
                .iter()
                .all(|e| e.tag != SUB_IFDS && e.tag != 271)
        );
        assert_eq!(entries_of(&out).len(), 2);
        assert!(!contains(&out, &THUMB) && !contains(&out, &PREV));
        assert_eq!(&out[800..808], &MAIN);
        assert_eq!(&out[840..848], &PAGE);
        crate::metadata::verify::assert_clean_output(&input, &out);
        let stripped = crate::metadata::strip(&input, &StripOptions::default()).unwrap();
        assert_eq!(stripped.data, out);
    }

    #[test]
    fn smaller_sub_ifds_and_bare_jpeg_streams_are_previews() {
        // No subfile types: a 2×1 SubIFD of a 4×2 image, and a SubIFD holding only a JPEG stream.
        let ifd0 = grey(None, 4, 2, 800, &[(330, 4, 2, 760)]);
        let small = grey(None, 2, 1, 820, &[]);
        let jpeg: [Field; 2] = [(513, 4, 1, 860), (514, 4, 1, 2)];
        let mut ptrs = 400u32.to_le_bytes().to_vec();
        ptrs.extend_from_slice(&600u32.to_le_bytes());
        let input = layout(
            870,
            &[(8, &ifd0, 0), (400, &small, 0), (600, &jpeg, 0)],
            &[(760, &ptrs), (800, &MAIN), (820, &THUMB), (860, &PREV)],
        );
        let out = crate::metadata::strip(&input, &StripOptions::default()).unwrap();
        assert_eq!(entries_of(&out.data).len(), 1);
        assert!(!contains(&out.data, &THUMB) && !contains(&out.data, &PREV));
        assert_eq!(&out.data[800..808], &MAIN);
        // Only one of them: the SubIFDs array keeps the other, inline.
        let full = grey(Some(0), 4, 2, 840, &[]);
        let input = layout(
            870,
            &[(8, &ifd0, 0), (400, &small, 0), (600, &full, 0)],
            &[(760, &ptrs), (800, &MAIN), (820, &THUMB), (840, &PAGE)],
        );
        let out = crate::metadata::strip(&input, &StripOptions::default()).unwrap();
        let (l, first) = Layout::read(&out.data).unwrap();
        let ifd0 = l.ifd(&out.data, first).unwrap();
        let subs = ifd0.entries.iter().find(|e| e.tag == SUB_IFDS).unwrap();
        assert_eq!(l.values(&out.data, subs), [600]);
        assert_eq!(&out.data[760..768], &[0; 8]);
        assert!(!contains(&out.data, &THUMB));
        assert_eq!(&out.data[840..848], &PAGE);
    }

    /// A DNG-like file: IFD0 a 2×1 thumbnail (NewSubfileType 1) with DNGVersion and two
    /// SubIFDs, the 4×2 raw (NewSubfileType 0) and a 2×1 preview.
    fn dng_like() -> Vec<u8> {
        let ifd0 = grey(
            Some(1),
            2,
            1,
            820,
            &[(330, 4, 2, 760), (50706, 1, 4, 0x0401)],
        );
        let raw = grey(Some(0), 4, 2, 800, &[]);
        let prev = grey(Some(0x10001), 2, 1, 860, &[]);
        let mut ptrs = 400u32.to_le_bytes().to_vec();
        ptrs.extend_from_slice(&600u32.to_le_bytes());
        layout(
            870,
            &[(8, &ifd0, 0), (400, &raw, 0), (600, &prev, 0)],
            &[(760, &ptrs), (800, &MAIN), (820, &THUMB), (860, &PREV)],
        )
    }

    #[test]
    fn a_dng_thumbnail_in_ifd0_is_refused_and_the_file_kept() {
        let input = dng_like();
        let err = crate::metadata::strip(&input, &StripOptions::default()).unwrap_err();
        assert!(matches!(err, StripError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("IFD0"), "{err}");
    }

    #[test]
    fn a_preview_that_cannot_go_is_refused_with_the_reason() {
        let opts = StripOptions::default();
        // A plain TIFF whose IFD0 is marked reduced-resolution.
        let lone = layout(
            870,
            &[(8, &grey(Some(1), 4, 2, 800, &[]), 0)],
            &[(800, &MAIN)],
        );
        let err = clean(&lone, &opts, &mut Log::default()).unwrap_err();
        assert!(matches!(err, StripError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("IFD0"), "{err}");
        // A DNG whose only image is its thumbnail: refused as IFD0 is, before anything else.
        let only = layout(
            870,
            &[(8, &grey(Some(1), 4, 2, 800, &[(50706, 1, 4, 0x0401)]), 0)],
            &[(800, &MAIN)],
        );
        let err = clean(&only, &opts, &mut Log::default()).unwrap_err();
        assert!(matches!(err, StripError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("IFD0"), "{err}");
        // A full-resolution image below a preview.
        let ifd0 = grey(Some(0), 4, 2, 800, &[(330, 4, 1, 400)]);
        let prev = grey(Some(1), 2, 1, 820, &[(330, 4, 1, 600)]);
        let full = grey(Some(0), 4, 2, 840, &[]);
        let nested = layout(
            870,
            &[(8, &ifd0, 0), (400, &prev, 0), (600, &full, 0)],
            &[(800, &MAIN), (820, &THUMB), (840, &PAGE)],
        );
        let err = clean(&nested, &opts, &mut Log::default()).unwrap_err();
        assert!(err.to_string().contains("below it"), "{err}");
    }

    #[test]
    fn a_preview_sharing_the_main_image_bytes_is_refused() {
        let mut d = with_previews();
        // IFD1's strip offset (entry 7 of 10) now points into the main image's strip.
        let at = 200 + 2 + 6 * 12 + 8;
        d[at..at + 4].copy_from_slice(&802u32.to_le_bytes());
        let err = clean(&d, &StripOptions::default(), &mut Log::default()).unwrap_err();
        assert!(err.to_string().contains("overlaps"), "{err}");
    }

    #[test]
    fn hostile_offsets_are_errors() {
        let mut d = sample();
        d[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(clean(&d, &StripOptions::default(), &mut Log::default()).is_err());
        assert!(clean(b"II*\0", &StripOptions::default(), &mut Log::default()).is_err());
    }
}
