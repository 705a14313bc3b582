//! Looking into archives: zip (Google Takeout, WeChat and QQ exports, phone backups), tar and
//! gzip-compressed tar. Entries are streamed from the archive into memory, never extracted to
//! disk, and every regular file among them is handed to the caller with its place in the
//! archive; an archive inside an archive is looked into too, up to [`MAX_DEPTH`] levels.
//!
//! An archive is hostile input with bombs of its own, bounded here: entries looked at
//! ([`MAX_ENTRIES`]), bytes decompressed ([`MAX_TOTAL_BYTES`]), how many times an entry or a
//! gzip stream expands ([`MAX_RATIO`]), nesting ([`MAX_DEPTH`]) and the size of a nested
//! archive held in memory ([`MAX_NESTED_BYTES`]). An entry's stated size is never trusted:
//! nothing reads past it, and the bounds are counted on the bytes that really come out of the
//! decompressor. What cannot be read (an encrypted entry, a compression method not built in,
//! a damaged archive, a bound reached) becomes a [`Problem`]; the rest is still looked at.
//!
//! Only zip's deflate (and stored entries) is built in: it is what Takeout, phones and chat
//! apps write. This module reads; it never writes an archive.

use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use flate2::read::MultiGzDecoder;

use crate::i18n::{Catalog, Lang};

/// Regular files looked at in one archive, nested ones included: a 50 GB Google Takeout part
/// holds some tens of thousands of photos and their JSON sidecars; a zip bomb of empty entries
/// holds millions.
pub const MAX_ENTRIES: u64 = 250_000;
/// Bytes decompressed from one archive, nested ones included. Only the entries that are media
/// or archives are read in full (the others only their first bytes, [`HEAD`]), so this is
/// spent on photos, videos and PDFs: every one of them in the largest Takeout part idvault
/// expects to see whole (Takeout splits at 2, 4, 10 or 50 GB; photos are most of a part).
pub const MAX_TOTAL_BYTES: u64 = 64 << 30;
/// How many times larger than its compressed size an entry (or a gzip stream) may come out.
/// Photos, videos and PDFs hardly compress (1–1.2×), text and JSON 3–10×; zip bombs
/// expand 1,000× and more. Checked once more than `RATIO_FREE_BYTES` came out.
pub const MAX_RATIO: u64 = 100;
/// Output below which the ratio is not checked: a small file of zeros legitimately expands
/// a thousand times, and costs nothing.
const RATIO_FREE_BYTES: u64 = 1 << 20;
/// Archives nested inside the one on disk that are looked into: a Takeout zip inside a phone
/// backup's tar inside a zip is two. Each level holds its archive in memory.
pub const MAX_DEPTH: usize = 3;
/// A nested archive is read into memory to be looked into; larger ones are not.
pub const MAX_NESTED_BYTES: u64 = 256 << 20;
/// Bytes of each entry read before the caller sees it: enough to tell an archive (a tar's
/// `ustar` magic is at byte 257) and every media type (see `media::sniff`).
pub const HEAD: usize = 512;

/// The kinds of archive looked into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Zip,
    Tar,
    /// A gzip stream, looked into when it holds a tar.
    Gzip,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Zip => "zip",
            Format::Tar => "tar",
            Format::Gzip => "gzip",
        }
    }
}

/// The archive format of a file from its first bytes (at least [`HEAD`] for tar).
pub fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if head.starts_with(&[0x1f, 0x8b, 0x08]) {
        Some(Format::Gzip)
    } else if head.get(257..262) == Some(b"ustar") {
        Some(Format::Tar)
    } else {
        None
    }
}

/// Where a file is in an archive: its path in the archive, preceded by the paths of the
/// archives it is nested in (outermost first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub path: Vec<PathBuf>,
    /// Bytes, as the archive states it.
    pub size: u64,
}

impl Member {
    /// The innermost path: the entry itself.
    pub fn entry(&self) -> &std::path::Path {
        self.path.last().map_or(std::path::Path::new(""), |p| p)
    }
}

/// Something in an archive that was not looked at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The entry, or the nested archive, it concerns (empty: the archive itself).
    pub at: Vec<PathBuf>,
    pub what: ProblemKind,
}

/// Why part of an archive was not looked at. Worded by the message catalogue (`cli.archive.*`):
/// [`ProblemKind::text_in`]; `Display` is the English.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    Encrypted,
    /// The archive reader's own words.
    Damaged(String),
    /// The compression method, as the reader names it.
    Unsupported(String),
    Bomb {
        ratio: u64,
    },
    TooManyEntries,
    TooMuchData,
    TooDeep,
    NestedTooLarge,
}

impl ProblemKind {
    /// The problem in `lang`: the catalogue's sentence with its values.
    pub fn text_in(&self, lang: Lang) -> String {
        let (key, value): (&str, String) = match self {
            ProblemKind::Encrypted => ("encrypted", String::new()),
            ProblemKind::Damaged(e) => ("damaged", e.clone()),
            ProblemKind::Unsupported(m) => ("unsupported", m.clone()),
            ProblemKind::Bomb { ratio } => ("bomb", ratio.to_string()),
            ProblemKind::TooManyEntries => ("too_many_entries", String::new()),
            ProblemKind::TooMuchData => ("too_much_data", String::new()),
            ProblemKind::TooDeep => ("too_deep", String::new()),
            ProblemKind::NestedTooLarge => ("nested_too_large", String::new()),
        };
        let max = match self {
            ProblemKind::Bomb { .. } => MAX_RATIO.to_string(),
            ProblemKind::TooManyEntries => MAX_ENTRIES.to_string(),
            ProblemKind::TooMuchData => (MAX_TOTAL_BYTES >> 30).to_string(),
            ProblemKind::TooDeep => MAX_DEPTH.to_string(),
            ProblemKind::NestedTooLarge => (MAX_NESTED_BYTES >> 20).to_string(),
            _ => String::new(),
        };
        Catalog::get_or_load().get(
            lang,
            &format!("cli.archive.{key}"),
            &[("value", &value), ("max", &max)],
        )
    }
}

impl std::fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text_in(Lang::En))
    }
}

impl std::error::Error for ProblemKind {}

/// Totals of one archive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Regular files handed to the caller.
    pub entries: u64,
    /// Bytes decompressed.
    pub bytes: u64,
}

/// Reads the archive `format` from `reader` (from its start) and calls `on_file` for every regular file in it
/// (nested archives are looked into instead) with a reader of its bytes: the first [`HEAD`]
/// bytes and then the rest, never more than it states and never past the bounds above. The
/// caller reads as much as it wants, and returns false to stop the read. Problems are
/// returned; the read goes on past them where the format allows.
pub fn read<R: Read + Seek>(
    reader: R,
    format: Format,
    on_file: &mut dyn FnMut(&Member, &mut dyn Read) -> bool,
) -> (Totals, Vec<Problem>) {
    let mut state = State {
        on_file,
        problems: Vec::new(),
        totals: Totals::default(),
        stopped: false,
    };
    state.archive(reader, format, &[]);
    (state.totals, state.problems)
}

struct State<'f> {
    on_file: &'f mut dyn FnMut(&Member, &mut dyn Read) -> bool,
    problems: Vec<Problem>,
    totals: Totals,
    /// A bound for the whole archive was reached: nothing more is read.
    stopped: bool,
}

impl State<'_> {
    fn problem(&mut self, at: &[PathBuf], what: ProblemKind) {
        self.problems.push(Problem {
            at: at.to_vec(),
            what,
        });
    }

    /// Stops the whole read with `what`, once.
    fn stop(&mut self, at: &[PathBuf], what: ProblemKind) {
        if !self.stopped {
            self.stopped = true;
            self.problem(at, what);
        }
    }

    fn archive<R: Read + Seek>(&mut self, mut reader: R, format: Format, at: &[PathBuf]) {
        if let Err(e) = reader.seek(SeekFrom::Start(0)) {
            return self.problem(at, ProblemKind::Damaged(e.to_string()));
        }
        match format {
            Format::Zip => self.zip(reader, at),
            Format::Tar => self.tar(reader, at),
            Format::Gzip => self.gzip(reader, at),
        }
    }

    fn zip<R: Read + Seek>(&mut self, reader: R, at: &[PathBuf]) {
        let mut zip = match zip::ZipArchive::new(reader) {
            Ok(z) => z,
            Err(e) => return self.problem(at, ProblemKind::Damaged(e.to_string())),
        };
        for i in 0..zip.len() {
            if self.stopped {
                return;
            }
            let Ok(data) = zip.by_index_data(i) else {
                continue;
            };
            if !data.is_file() {
                continue;
            }
            let path = path_of(data.name_raw());
            let (size, compressed) = (data.size(), data.compressed_size());
            let encrypted = data.encrypted();
            let mut here = at.to_vec();
            here.push(path);
            if encrypted {
                self.problem(&here, ProblemKind::Encrypted);
                continue;
            }
            if let Some(ratio) = bomb_ratio(size, compressed) {
                self.problem(&here, ProblemKind::Bomb { ratio });
                continue;
            }
            match zip.by_index(i) {
                Ok(file) => self.entry(file, size, &here, Some(compressed)),
                Err(zip::result::ZipError::UnsupportedArchive(why)) => {
                    self.problem(&here, ProblemKind::Unsupported(why.to_string()))
                }
                Err(e) => self.problem(&here, ProblemKind::Damaged(e.to_string())),
            }
        }
    }

    /// A tar that can be seeked in: the entries nobody reads are skipped without reading them.
    fn tar<R: Read + Seek>(&mut self, reader: R, at: &[PathBuf]) {
        let mut tar = tar::Archive::new(reader);
        match tar.entries_with_seek() {
            Ok(entries) => self.tar_entries(entries, at),
            Err(e) => self.problem(at, ProblemKind::Damaged(e.to_string())),
        }
    }

    /// A tar read as a stream (out of a gzip stream).
    fn tar_stream<R: Read>(&mut self, reader: R, at: &[PathBuf]) {
        let mut tar = tar::Archive::new(reader);
        match tar.entries() {
            Ok(entries) => self.tar_entries(entries, at),
            Err(e) => self.problem(at, ProblemKind::Damaged(e.to_string())),
        }
    }

    fn tar_entries<R: Read>(&mut self, entries: tar::Entries<'_, R>, at: &[PathBuf]) {
        for entry in entries {
            if self.stopped {
                return;
            }
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    // A tar has no index: past a damaged header nothing can be found again.
                    return self.stop_on(at, e);
                }
            };
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let mut here = at.to_vec();
            here.push(path_of(&entry.path_bytes()));
            let size = entry.size();
            self.entry(entry, size, &here, None);
        }
    }

    /// A gzip stream holding a tar; anything else in a gzip stream is not looked into.
    fn gzip<R: Read>(&mut self, reader: R, at: &[PathBuf]) {
        let compressed = Counted {
            inner: reader,
            read: 0,
        };
        let mut out = Expanding {
            inner: MultiGzDecoder::new(compressed),
            out: 0,
        };
        let mut head = Vec::with_capacity(HEAD);
        if let Err(e) = (&mut out).take(HEAD as u64).read_to_end(&mut head) {
            return self.stop_on(at, e);
        }
        if sniff(&head) != Some(Format::Tar) {
            return;
        }
        self.tar_stream(Cursor::new(head).chain(out), at);
    }

    /// Reports a read error that ends this archive: a bound's own error, or damage.
    fn stop_on(&mut self, at: &[PathBuf], e: io::Error) {
        let what = match e.get_ref().and_then(|i| i.downcast_ref::<ProblemKind>()) {
            Some(kind) => kind.clone(),
            None => ProblemKind::Damaged(e.to_string()),
        };
        if matches!(what, ProblemKind::Damaged(_)) {
            self.problem(at, what);
        } else {
            self.stop(at, what);
        }
    }

    /// One regular file of `size` bytes (as stated) at `here`: looked into when it is an
    /// archive, else handed to the caller.
    fn entry(&mut self, data: impl Read, size: u64, here: &[PathBuf], compressed: Option<u64>) {
        self.totals.entries += 1;
        if self.totals.entries > MAX_ENTRIES {
            return self.stop(&here[..here.len() - 1], ProblemKind::TooManyEntries);
        }
        let left = MAX_TOTAL_BYTES.saturating_sub(self.totals.bytes);
        let mut bounded = Bounded {
            inner: data,
            // Never past the stated size, nor past what the archive may still decompress.
            left: size.min(left + 1),
            out: 0,
            compressed,
            total_left: left,
            failed: None,
        };
        let mut head = Vec::with_capacity(HEAD);
        let head_read = (&mut bounded).take(HEAD as u64).read_to_end(&mut head);
        let nested = sniff(&head);
        match (head_read, nested) {
            (Err(e), _) => {
                self.totals.bytes += bounded.out;
                self.stop_on_entry(here, e);
            }
            (Ok(_), Some(format)) => self.nested(head, bounded, format, here),
            (Ok(_), None) => {
                let member = Member {
                    path: here.to_vec(),
                    size,
                };
                let mut chained = Cursor::new(head).chain(&mut bounded);
                // The caller stops the read (Ctrl-C) by returning false.
                self.stopped |= !(self.on_file)(&member, &mut chained);
                self.totals.bytes += bounded.out;
                if let Some(e) = bounded.failed.take() {
                    self.stop_on_entry(here, e);
                }
            }
        }
    }

    /// An error while reading one entry: the whole read stops on a bound for the archive;
    /// otherwise the entry is damaged (or a bomb) and the next one is tried.
    fn stop_on_entry(&mut self, here: &[PathBuf], e: io::Error) {
        match e.get_ref().and_then(|i| i.downcast_ref::<ProblemKind>()) {
            Some(ProblemKind::TooMuchData) => {
                self.stop(&here[..here.len() - 1], ProblemKind::TooMuchData)
            }
            Some(kind) => self.problem(here, kind.clone()),
            None => self.problem(here, ProblemKind::Damaged(e.to_string())),
        }
    }

    fn nested<B: Read>(
        &mut self,
        head: Vec<u8>,
        mut rest: Bounded<B>,
        format: Format,
        here: &[PathBuf],
    ) {
        // `here` counts the outer archive's entries on the way: one per level of nesting.
        if here.len() > MAX_DEPTH {
            self.totals.bytes += rest.out;
            return self.problem(here, ProblemKind::TooDeep);
        }
        let mut bytes = head;
        let read = (&mut rest)
            .take(MAX_NESTED_BYTES + 1 - bytes.len() as u64)
            .read_to_end(&mut bytes);
        self.totals.bytes += rest.out;
        if let Err(e) = read.and(rest.failed.take().map_or(Ok(()), Err)) {
            return self.stop_on_entry(here, e);
        }
        if bytes.len() as u64 > MAX_NESTED_BYTES {
            return self.problem(here, ProblemKind::NestedTooLarge);
        }
        self.archive(Cursor::new(bytes), format, here);
    }
}

/// The ratio when an entry of `size` bytes stored in `compressed` bytes expands more than
/// [`MAX_RATIO`] times.
fn bomb_ratio(size: u64, compressed: u64) -> Option<u64> {
    let ratio = size / compressed.max(1);
    (size > RATIO_FREE_BYTES && ratio > MAX_RATIO).then_some(ratio)
}

fn path_of(raw: &[u8]) -> PathBuf {
    PathBuf::from(std::ffi::OsStr::from_bytes(raw))
}

/// One entry's bytes: never more than it states, stopped by the ratio and total bounds. An
/// error is kept for the archive reader, since the caller may swallow it.
struct Bounded<R> {
    inner: R,
    /// Bytes still allowed out.
    left: u64,
    /// Bytes that came out.
    out: u64,
    /// The entry's compressed size, when the format states it (zip).
    compressed: Option<u64>,
    /// What the archive may still decompress.
    total_left: u64,
    failed: Option<io::Error>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = match self.inner.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(e) => return Err(self.fail(e)),
        };
        self.left -= n as u64;
        self.out += n as u64;
        if self.out > self.total_left {
            return Err(self.fail(bound(ProblemKind::TooMuchData)));
        }
        if let Some(ratio) = self.compressed.and_then(|c| bomb_ratio(self.out, c)) {
            return Err(self.fail(bound(ProblemKind::Bomb { ratio })));
        }
        Ok(n)
    }
}

impl<R> Bounded<R> {
    /// Keeps a copy of `e` for the archive reader and returns it.
    fn fail(&mut self, e: io::Error) -> io::Error {
        let copy = match e.get_ref().and_then(|i| i.downcast_ref::<ProblemKind>()) {
            Some(kind) => bound(kind.clone()),
            None => io::Error::new(e.kind(), e.to_string()),
        };
        self.failed = Some(copy);
        e
    }
}

/// A bound reached, as an I/O error the archive reader recognises.
fn bound(kind: ProblemKind) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, kind)
}

/// Counts the compressed bytes read from an archive file.
struct Counted<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// A gzip stream's output, stopped when it expands more than [`MAX_RATIO`] times or past
/// [`MAX_TOTAL_BYTES`]: a tar skips the entries nobody reads by decompressing them, so a
/// gzip bomb would cost time even where no entry is read.
struct Expanding<R: Read> {
    inner: MultiGzDecoder<Counted<R>>,
    out: u64,
}

impl<R: Read> Read for Expanding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        if self.out > MAX_TOTAL_BYTES {
            return Err(bound(ProblemKind::TooMuchData));
        }
        let compressed = self.inner.get_ref().read;
        if let Some(ratio) = bomb_ratio(self.out, compressed) {
            return Err(bound(ProblemKind::Bomb { ratio }));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::path::Path;

    fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// A file handed over: its place and its bytes.
    type Handed = (Vec<PathBuf>, Vec<u8>);

    /// Every file handed over, and the problems.
    fn read_all(bytes: Vec<u8>, format: Format) -> (Vec<Handed>, Vec<Problem>) {
        let mut files = Vec::new();
        let (_, problems) = read(Cursor::new(bytes), format, &mut |m, r| {
            let mut data = Vec::new();
            // A bound reached is an error here, and a problem in what `read` returns.
            let _ = r.read_to_end(&mut data);
            files.push((m.path.clone(), data));
            true
        });
        (files, problems)
    }

    #[test]
    fn formats_are_told_by_their_first_bytes() {
        assert_eq!(sniff(&zip(&[("a", b"x")])), Some(Format::Zip));
        assert_eq!(sniff(b"PK\x05\x06"), Some(Format::Zip));
        assert_eq!(sniff(&[0x1f, 0x8b, 0x08, 0]), Some(Format::Gzip));
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar), Some(Format::Tar));
        assert_eq!(sniff(b"\xFF\xD8\xFF"), None);
    }

    #[test]
    fn nested_archives_are_looked_into_up_to_the_depth_bound() {
        let mut inner = zip(&[("photo.jpg", b"\xFF\xD8\xFFjpeg")]);
        for level in 0..=MAX_DEPTH {
            let name = format!("level{level}.zip");
            inner = zip(&[(&name, &inner), ("readme.txt", b"hello")]);
        }
        // MAX_DEPTH + 1 archives inside the outermost one: MAX_DEPTH are looked into (the
        // readme of each, and of the outermost, is handed over); the innermost is one too deep.
        let (files, problems) = read_all(inner, Format::Zip);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].what, ProblemKind::TooDeep);
        assert_eq!(problems[0].at.len(), MAX_DEPTH + 1);
        assert_eq!(files.len(), MAX_DEPTH + 1, "{files:?}");
        assert!(
            files
                .iter()
                .all(|(p, d)| p.last().unwrap() == Path::new("readme.txt") && d == b"hello")
        );
        assert_eq!(
            files.iter().map(|(p, _)| p.len()).max(),
            Some(MAX_DEPTH + 1)
        );
    }

    #[test]
    fn a_gzip_stream_without_a_tar_is_not_looked_into() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"just text, no tar").unwrap();
        let (files, problems) = read_all(gz.finish().unwrap(), Format::Gzip);
        assert!(files.is_empty() && problems.is_empty());
    }

    #[test]
    fn a_gzip_bomb_stops_the_read() {
        let mut tar = tar::Builder::new(Vec::new());
        let zeros = vec![0u8; 8 << 20];
        let mut h = tar::Header::new_gnu();
        h.set_size(zeros.len() as u64);
        h.set_cksum();
        tar.append_data(&mut h, "zeros.bin", &zeros[..]).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&tar.into_inner().unwrap()).unwrap();
        let (_, problems) = read_all(gz.finish().unwrap(), Format::Gzip);
        assert!(
            problems
                .iter()
                .any(|p| matches!(p.what, ProblemKind::Bomb { .. })),
            "{problems:?}"
        );
    }

    #[test]
    fn damage_is_a_problem_not_a_panic() {
        let good = zip(&[("a.jpg", b"\xFF\xD8\xFF")]);
        let (files, problems) = read_all(good[..good.len() / 2].to_vec(), Format::Zip);
        assert!(files.is_empty());
        assert!(matches!(
            problems[..],
            [Problem {
                what: ProblemKind::Damaged(_),
                ..
            }]
        ));
        let (_, problems) = read_all(vec![0x1f, 0x8b, 0x08, 0, 1, 2, 3], Format::Gzip);
        assert!(matches!(
            problems[..],
            [Problem {
                what: ProblemKind::Damaged(_),
                ..
            }]
        ));
    }
}
