//! The one reader of ISO base media file format boxes (MP4, MOV, 3GP, HEIF, AVIF), shared by
//! the scan's header facts (`scan::signals::container`), the metadata strip
//! ([`crate::media::mp4::strip`], [`crate::media::heif`]) and the frame sampler
//! ([`crate::media::mp4::frames`]): the box iterator ([`boxes`]), the big-endian integer reader
//! ([`be`]), the `moov` locator ([`read_moov`]), the handler lookup ([`handler`]) and the
//! sample-table walker ([`samples`]).
//!
//! Written by hand: the crates that parse MP4 either read whole files, panic on hostile sizes, or
//! do not expose box offsets, and both users here need exact offsets with no allocation.

use std::io::{self, Read, Seek, SeekFrom};

use crate::media::limits::{MOOV_MAX_BYTES, TOP_BOXES_MAX};
use crate::media::parts::read_uint;

/// One box inside a byte slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoxRef<'a> {
    /// Four-character type, e.g. `*b"moov"`.
    pub kind: [u8; 4],
    /// Offset of the box header within the slice that was iterated.
    pub offset: usize,
    /// Header length (8, 16 with a 64-bit size, plus 16 for `uuid`).
    pub header_len: usize,
    /// The bytes after the header.
    pub payload: &'a [u8],
}

impl BoxRef<'_> {
    /// Total size of the box including its header.
    pub fn size(&self) -> usize {
        self.header_len + self.payload.len()
    }
}

/// Iterates the boxes laid end to end in `data`. Stops at the first malformed header: a box
/// whose size runs past the end is not yielded.
pub fn boxes(data: &[u8]) -> Boxes<'_> {
    Boxes { data, pos: 0 }
}

/// Iterator returned by [`boxes`].
pub struct Boxes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Boxes<'a> {
    type Item = BoxRef<'a>;

    fn next(&mut self) -> Option<BoxRef<'a>> {
        let rest = self.data.get(self.pos..)?;
        let header = parse_header(rest, (rest.len()) as u64)?;
        let size = usize::try_from(header.size).ok()?;
        if size > rest.len() {
            self.pos = self.data.len();
            return None;
        }
        let item = BoxRef {
            kind: header.kind,
            offset: self.pos,
            header_len: header.header_len,
            payload: &rest[header.header_len..size],
        };
        self.pos += size;
        Some(item)
    }
}

/// A box header read from the start of `bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub kind: [u8; 4],
    /// Total box size in bytes (a size of 0, "to the end", is resolved against `remaining`).
    pub size: u64,
    pub header_len: usize,
}

/// Parses a box header. `remaining` is how many bytes are left in the enclosing container, used
/// to resolve size 0. Returns `None` for a header that is truncated or inconsistent.
pub fn parse_header(bytes: &[u8], remaining: u64) -> Option<Header> {
    let small = be(bytes, 0, 4)?;
    let kind: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
    let (size, mut header_len) = match small {
        0 => (remaining, 8),
        1 => (be(bytes, 8, 8)?, 16),
        n => (n, 8),
    };
    if &kind == b"uuid" {
        header_len += 16;
    }
    if size < header_len as u64 || size > remaining {
        return None;
    }
    Some(Header {
        kind,
        size,
        header_len,
    })
}

/// The first child box of type `kind`.
pub fn find<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<BoxRef<'a>> {
    boxes(data).find(|b| &b.kind == kind)
}

/// Follows a path of box types from `data`, e.g. `[b"trak", b"tkhd"]`.
pub fn find_path<'a>(data: &'a [u8], path: &[&[u8; 4]]) -> Option<BoxRef<'a>> {
    let (first, rest) = path.split_first()?;
    let b = find(data, first)?;
    if rest.is_empty() {
        Some(b)
    } else {
        find_path(b.payload, rest)
    }
}

/// A big-endian unsigned integer of `size` bytes (0, 1, 2, 4 or 8; 0 reads as 0, as ISO-BMFF's
/// optional fields do) at `pos` in `d`; `None` past the end or for another size.
pub fn be(d: &[u8], pos: usize, size: usize) -> Option<u64> {
    match size {
        0 => Some(0),
        1 => read_uint::<1>(d, pos, true),
        2 => read_uint::<2>(d, pos, true),
        4 => read_uint::<4>(d, pos, true),
        8 => read_uint::<8>(d, pos, true),
        _ => None,
    }
}

/// A big-endian 32-bit field at `pos` in `d`.
pub fn be32(d: &[u8], pos: usize) -> Option<u32> {
    be(d, pos, 4).map(|v| v as u32)
}

/// Why no movie box could be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MoovError {
    #[error("cannot read: {0}")]
    Io(#[from] io::Error),
    #[error("the movie header is damaged: a top-level box is")]
    Broken,
    #[error("the movie header is larger than {} MiB", MOOV_MAX_BYTES >> 20)]
    TooLarge,
    #[error("the movie header is damaged: no movie header")]
    Missing,
}

/// The payload of the top-level `moov` box of the movie in `file`, found by seeking from box
/// header to box header (media data is never read), looking through at most
/// `limits::TOP_BOXES_MAX` boxes and reading at most `limits::MOOV_MAX_BYTES`.
pub fn read_moov<R: Read + Seek>(file: &mut R) -> Result<Vec<u8>, MoovError> {
    let len = file.seek(SeekFrom::End(0))?;
    let mut pos = 0u64;
    let mut head = [0u8; 16];
    for _ in 0..TOP_BOXES_MAX {
        let remaining = len.saturating_sub(pos);
        if remaining < 8 {
            break;
        }
        let n = head.len().min(remaining as usize);
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(&mut head[..n])?;
        let h = parse_header(&head[..n], remaining).ok_or(MoovError::Broken)?;
        if &h.kind == b"moov" {
            if h.size > MOOV_MAX_BYTES {
                return Err(MoovError::TooLarge);
            }
            let mut moov = vec![0u8; h.size as usize - h.header_len];
            file.seek(SeekFrom::Start(pos + h.header_len as u64))?;
            file.read_exact(&mut moov)?;
            return Ok(moov);
        }
        pos += h.size;
    }
    Err(MoovError::Missing)
}

/// The handler type of a track (`vide`, `soun`, `meta`, …) from its `trak` payload: how its
/// samples are decoded.
pub fn handler(trak: &[u8]) -> Option<&[u8]> {
    find_path(trak, &[b"mdia", b"hdlr"]).and_then(|h| h.payload.get(8..12))
}

/// The entries of a full box holding a 32-bit `count` and then `count` entries of `size` bytes;
/// `None` when they run past the box or number more than `max`.
pub fn table(payload: &[u8], size: usize, max: usize) -> Option<std::slice::ChunksExact<'_, u8>> {
    let count = be32(payload, 4)? as usize;
    let bytes = count
        .checked_mul(size)
        .filter(|&n| count <= max && n <= payload.len().saturating_sub(8))?;
    Some(payload[8..8 + bytes].chunks_exact(size))
}

/// The file offset and size of each sample of a track, in decoding order, from its sample table
/// (`stbl` payload): sizes from `stsz`, chunk offsets from `stco` or `co64`, samples per chunk
/// from `stsc`. At most `max` samples; an error names the table that is missing, inconsistent
/// or longer than that. Where the samples lie is not checked against any file here.
pub fn samples(stbl: &[u8], max: usize) -> Result<Vec<(u64, u64)>, &'static str> {
    let stsz = find(stbl, b"stsz").ok_or("stsz")?.payload;
    let uniform = be32(stsz, 4).ok_or("stsz")?;
    let count = be32(stsz, 8).ok_or("stsz")? as usize;
    if count > max {
        return Err("stsz count");
    }
    let size = |i: usize| match uniform {
        0 => be32(stsz, 12 + 4 * i).map(u64::from),
        n => Some(u64::from(n)),
    };
    if size(count.saturating_sub(1)).is_none() && count > 0 {
        return Err("stsz");
    }
    let chunks: Vec<u64> = if let Some(b) = find(stbl, b"stco") {
        let entries = table(b.payload, 4, max).ok_or("stco")?;
        entries.filter_map(|e| be(e, 0, 4)).collect()
    } else {
        let b = find(stbl, b"co64").ok_or("stco")?;
        let entries = table(b.payload, 8, max).ok_or("co64")?;
        entries.filter_map(|e| be(e, 0, 8)).collect()
    };
    let stsc = find(stbl, b"stsc").ok_or("stsc")?.payload;
    let runs: Vec<(usize, usize)> = table(stsc, 12, max)
        .ok_or("stsc")?
        .filter_map(|e| Some((be32(e, 0)? as usize, be32(e, 4)? as usize)))
        .collect();
    // One pass over the chunks, moving to the next run where it starts: linear in the tables
    // whatever a hostile file says about runs.
    let mut out = Vec::with_capacity(count);
    let mut r = 0;
    for (i, &chunk) in chunks.iter().enumerate() {
        let number = i + 1;
        while runs.get(r + 1).is_some_and(|next| next.0 <= number) {
            r += 1;
        }
        let Some(&(first, per_chunk)) = runs.get(r) else {
            break;
        };
        if first > number {
            continue;
        }
        let mut offset = chunk;
        for _ in 0..per_chunk {
            if out.len() == count {
                return Ok(out);
            }
            let n = size(out.len()).ok_or("stsz")?;
            out.push((offset, n));
            offset = offset.saturating_add(n);
        }
    }
    Ok(out)
}

/// Where the raw trailer Samsung phones write after the last box of a file starts, when `data`
/// ends with one: data blocks (capture time, country code, …), then a directory that opens with
/// `SEFH` (version, entry count, and per entry a type, the distance back from the directory to
/// the entry's block and its size, little-endian) and closes with its length and `SEFT`. The
/// trailer starts at the block furthest back. `None` when the directory is not consistent.
pub fn samsung_trailer(data: &[u8]) -> Option<usize> {
    let le = |at: usize| read_uint::<4>(data, at, false).map(|v| v as usize);
    let n = data.len();
    if !data.ends_with(b"SEFT") {
        return None;
    }
    let dir_len = le(n.checked_sub(8)?)?;
    let dir = n.checked_sub(8)?.checked_sub(dir_len)?;
    if dir_len < 12 || data.get(dir..dir + 4)? != b"SEFH" {
        return None;
    }
    let count = le(dir + 8)?;
    if count.checked_mul(12)?.checked_add(12)? > dir_len {
        return None;
    }
    let mut start = dir;
    for i in 0..count {
        let entry = dir + 12 + 12 * i;
        let (back, size) = (le(entry + 4)?, le(entry + 8)?);
        if back > dir || size > back || size < 8 {
            return None;
        }
        start = start.min(dir - back);
    }
    Some(start)
}

/// A box of type `kind` around `payload`, with a 32-bit size. Payloads here are metadata tables
/// and test fixtures, far below 4 GiB; a larger one is a caller bug, and panics rather than
/// writing a wrong size.
pub(crate) fn boxed(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let size = u32::try_from(payload.len() + 8).expect("box payload under 4 GiB");
    let mut v = Vec::with_capacity(payload.len() + 8);
    v.extend_from_slice(&size.to_be_bytes());
    v.extend_from_slice(kind);
    v.extend_from_slice(payload);
    v
}

/// Children of a full box (`meta` in ISO files), skipping its 4-byte version and flags. QuickTime
/// writes `meta` without them; this detects which form is present.
pub fn meta_children(meta_payload: &[u8]) -> &[u8] {
    let looks_like_child = meta_payload
        .get(4..8)
        .is_some_and(|t| t.iter().all(|c| c.is_ascii_alphanumeric() || *c == b' '));
    if looks_like_child && meta_payload.get(0..4) != Some(&[0, 0, 0, 0]) {
        meta_payload
    } else {
        meta_payload.get(4..).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterates_and_finds_nested() {
        let tkhd = boxed(b"tkhd", &[1, 2, 3]);
        let trak = boxed(b"trak", &tkhd);
        let mut moov = boxed(b"mvhd", &[0; 4]);
        moov.extend_from_slice(&trak);
        let file = boxed(b"moov", &moov);
        let found = find_path(&file, &[b"moov", b"trak", b"tkhd"]).unwrap();
        assert_eq!(found.payload, &[1, 2, 3]);
        assert_eq!(boxes(&file).count(), 1);
    }

    #[test]
    fn hostile_sizes_stop_iteration() {
        let mut data = boxed(b"free", &[0; 4]);
        data.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, b'm', b'd', b'a', b't']);
        assert_eq!(boxes(&data).count(), 1);
        assert!(parse_header(&[0, 0, 0, 1, b'x', b'x', b'x', b'x'], 100).is_none());
        assert!(parse_header(&[0, 0, 0, 4, b'x', b'x', b'x', b'x'], 100).is_none());
    }

    /// A sample table: `sizes` (or one uniform size), chunk offsets, (first chunk, per chunk).
    fn stbl(uniform: u32, sizes: &[u32], chunks: &[u32], runs: &[(u32, u32)]) -> Vec<u8> {
        let full = |count: usize, body: Vec<u8>| {
            let mut p = vec![0u8; 4];
            p.extend_from_slice(&(count as u32).to_be_bytes());
            p.extend(body);
            p
        };
        let mut stsz = vec![0u8; 4];
        stsz.extend_from_slice(&uniform.to_be_bytes());
        let count = if uniform == 0 { sizes.len() } else { 3 };
        stsz.extend_from_slice(&(count as u32).to_be_bytes());
        stsz.extend(sizes.iter().flat_map(|s| s.to_be_bytes()));
        let stco = full(
            chunks.len(),
            chunks.iter().flat_map(|c| c.to_be_bytes()).collect(),
        );
        let stsc = full(
            runs.len(),
            runs.iter()
                .flat_map(|&(f, n)| [f, n, 1].into_iter().flat_map(u32::to_be_bytes))
                .collect(),
        );
        let mut out = boxed(b"stsz", &stsz);
        out.extend(boxed(b"stco", &stco));
        out.extend(boxed(b"stsc", &stsc));
        out
    }

    #[test]
    fn sample_tables_give_offsets_and_sizes() {
        // Two chunks of two samples, then one chunk of one.
        let t = stbl(
            0,
            &[10, 20, 30, 40, 50],
            &[100, 200, 300],
            &[(1, 2), (3, 1)],
        );
        assert_eq!(
            samples(&t, 100).unwrap(),
            vec![(100, 10), (110, 20), (200, 30), (230, 40), (300, 50)]
        );
        let uniform = stbl(7, &[], &[0, 50], &[(1, 2)]);
        assert_eq!(
            samples(&uniform, 100).unwrap(),
            vec![(0, 7), (7, 7), (50, 7)]
        );
        assert_eq!(samples(&t, 4), Err("stsz count"));
        // A sizes table shorter than its count, and a missing sample-to-chunk table.
        let short = stbl(0, &[10, 20], &[0], &[(1, 2)]);
        let mut cut = short.clone();
        cut[16..20].copy_from_slice(&5u32.to_be_bytes());
        assert_eq!(samples(&cut, 100), Err("stsz"));
        assert_eq!(samples(&short[..short.len() - 28], 100), Err("stsc"));
        assert!(samples(&boxed(b"stsz", &[0; 12]), 100).is_err());
    }

    #[test]
    fn hostile_runs_cost_one_pass() {
        // Runs that hold no samples and jump back and forth between the first and the last of
        // many chunks: each chunk is looked at once, not once per run (a walk by runs would
        // take 10^10 steps here).
        let runs: Vec<(u32, u32)> = (0..200_000)
            .map(|i| if i % 2 == 0 { (1, 0) } else { (200_000, 0) })
            .collect();
        let t = stbl(0, &[1], &vec![0; 200_000], &runs);
        assert_eq!(samples(&t, 1 << 20).unwrap(), vec![]);
    }

    #[test]
    fn the_moov_is_found_by_seeking_and_bounded() {
        use std::io::Cursor;
        let mut file = boxed(b"ftyp", b"isom\0\0\0\0");
        file.extend(boxed(b"mdat", &[0; 64]));
        file.extend(boxed(b"moov", &boxed(b"mvhd", &[1; 8])));
        let moov = read_moov(&mut Cursor::new(&file)).unwrap();
        assert_eq!(moov, boxed(b"mvhd", &[1; 8]));
        let n = file.len();
        assert!(matches!(
            read_moov(&mut Cursor::new(&file[..n - 4])),
            Err(MoovError::Broken)
        ));
        assert!(matches!(
            read_moov(&mut Cursor::new(&file[..40])),
            Err(MoovError::Missing | MoovError::Broken)
        ));
        let mut huge = file[..n - 16 - 8].to_vec();
        huge.extend_from_slice(&(u32::MAX).to_be_bytes());
        huge.extend_from_slice(b"moov");
        huge.resize(huge.len() + 8, 0);
        assert!(read_moov(&mut Cursor::new(&huge)).is_err());
    }

    #[test]
    fn handler_and_integers() {
        let hdlr = boxed(b"hdlr", b"\0\0\0\0\0\0\0\0vide");
        let trak = boxed(b"mdia", &hdlr);
        assert_eq!(handler(&trak), Some(&b"vide"[..]));
        assert_eq!(handler(&[]), None);
        assert_eq!(be(&[1, 2, 3], 1, 2), Some(0x0203));
        assert_eq!(be(&[1, 2, 3], 0, 0), Some(0));
        assert_eq!(be(&[1, 2, 3], 0, 3), None);
        assert_eq!(be32(&[1, 2, 3], 0), None);
    }
}
