//! A reader for ISO base media file format boxes (MP4, MOV, 3GP, HEIF, AVIF), shared by the
//! scanner's header reads and the metadata stripper.
//!
//! Written by hand: the crates that parse MP4 either read whole files, panic on hostile sizes, or
//! do not expose box offsets, and both users here need exact offsets with no allocation.

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
    let small = u32::from_be_bytes(bytes.get(0..4)?.try_into().ok()?) as u64;
    let kind: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
    let (size, mut header_len) = match small {
        0 => (remaining, 8),
        1 => (u64::from_be_bytes(bytes.get(8..16)?.try_into().ok()?), 16),
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
}
