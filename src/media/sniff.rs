//! File type from magic bytes. The extension is only compared afterwards, to note a mismatch.

use serde::Serialize;

/// The media types idvault understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Jpeg,
    Png,
    Webp,
    Heif,
    Avif,
    Gif,
    Tiff,
    Bmp,
    Mp4,
    Mov,
    ThreeGp,
    Matroska,
    Webm,
    /// A PDF: scanner apps and "save as PDF" store document scans this way.
    Pdf,
}

impl FileType {
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpeg",
            FileType::Png => "png",
            FileType::Webp => "webp",
            FileType::Heif => "heif",
            FileType::Avif => "avif",
            FileType::Gif => "gif",
            FileType::Tiff => "tiff",
            FileType::Bmp => "bmp",
            FileType::Mp4 => "mp4",
            FileType::Mov => "mov",
            FileType::ThreeGp => "3gp",
            FileType::Matroska => "matroska",
            FileType::Webm => "webm",
            FileType::Pdf => "pdf",
        }
    }

    /// Lower-case extensions that name this type honestly.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileType::Jpeg => &["jpg", "jpeg", "jpe", "jfif"],
            FileType::Png => &["png"],
            FileType::Webp => &["webp"],
            FileType::Heif => &["heic", "heif", "hif"],
            FileType::Avif => &["avif", "heic", "heif"],
            FileType::Gif => &["gif"],
            FileType::Tiff => &["tif", "tiff", "dng", "nef", "cr2", "arw", "rw2"],
            FileType::Bmp => &["bmp", "dib"],
            FileType::Mp4 => &["mp4", "m4v", "mov", "m4a"],
            FileType::Mov => &["mov", "qt", "mp4"],
            FileType::ThreeGp => &["3gp", "3g2", "mp4"],
            FileType::Matroska => &["mkv", "mk3d"],
            FileType::Webm => &["webm", "mkv"],
            FileType::Pdf => &["pdf"],
        }
    }

    /// A recording (its frames are sampled): see [`FileType::caps`].
    pub fn is_video(self) -> bool {
        self.recording().is_some()
    }

    /// Whether `metadata::strip` has a lossless writer for this type (see [`FileType::caps`]).
    /// Callers that would read a whole file into memory to strip it ask this first, from the
    /// first bytes.
    pub fn strippable(self) -> bool {
        self.caps().strip.is_some()
    }

    /// ISO base media file format (boxes): MP4, MOV, 3GP, HEIF and AVIF.
    pub fn is_isobmff(self) -> bool {
        matches!(
            self,
            FileType::Mp4 | FileType::Mov | FileType::ThreeGp | FileType::Heif | FileType::Avif
        )
    }
}

impl std::fmt::Display for FileType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identifies the type from the first bytes of a file (at least 64 are needed for Matroska).
pub fn sniff(head: &[u8]) -> Option<FileType> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Some(FileType::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some(FileType::Png);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some(FileType::Gif);
    }
    if head.len() >= 12 && starts(b"RIFF") && &head[8..12] == b"WEBP" {
        return Some(FileType::Webp);
    }
    if starts(b"II*\0") || starts(b"MM\0*") || starts(b"II+\0") || starts(b"MM\0+") {
        return Some(FileType::Tiff);
    }
    if starts(b"%PDF-") {
        return Some(FileType::Pdf);
    }
    if is_bmp(head) {
        return Some(FileType::Bmp);
    }
    if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        let window = &head[..head.len().min(64)];
        let webm = window.windows(4).any(|w| w == b"webm");
        return Some(if webm {
            FileType::Webm
        } else {
            FileType::Matroska
        });
    }
    sniff_isobmff(head)
}

/// BMP has a weak two-byte magic, so the DIB header size must be one of the known ones too.
fn is_bmp(head: &[u8]) -> bool {
    if head.len() < 18 || !head.starts_with(b"BM") {
        return false;
    }
    let dib = u32::from_le_bytes([head[14], head[15], head[16], head[17]]);
    matches!(dib, 12 | 40 | 52 | 56 | 64 | 108 | 124)
}

fn sniff_isobmff(head: &[u8]) -> Option<FileType> {
    if head.len() < 12 {
        return None;
    }
    match &head[4..8] {
        b"ftyp" => {}
        // Old QuickTime files may start with any of these atoms and carry no `ftyp`.
        b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot" => return Some(FileType::Mov),
        _ => return None,
    }
    let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let major = &head[8..12];
    // Compatible brands follow the minor version, up to the box's end or the bytes at hand
    // (a file of 12 to 15 bytes has none).
    let compatible = head.get(16..size.min(head.len())).unwrap_or(&[]);
    let brands = std::iter::once(major).chain(compatible.chunks_exact(4));
    let mut found = None;
    for brand in brands {
        let t = match brand {
            b"avif" | b"avis" => FileType::Avif,
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
                FileType::Heif
            }
            b"qt  " => FileType::Mov,
            b"3gp4" | b"3gp5" | b"3gp6" | b"3gp7" | b"3gg6" | b"3g2a" | b"3g2b" => {
                FileType::ThreeGp
            }
            b"isom" | b"iso2" | b"iso4" | b"iso5" | b"iso6" | b"mp41" | b"mp42" | b"avc1"
            | b"M4V " | b"M4A " | b"MSNV" | b"dash" | b"f4v " | b"XAVC" | b"mmp4" => FileType::Mp4,
            _ => continue,
        };
        // The major brand decides, except that a generic `mif1` major yields to `avif`.
        match found {
            None => found = Some(t),
            Some(FileType::Heif) if t == FileType::Avif && major == b"mif1" => found = Some(t),
            _ => {}
        }
        if brand == major && major != b"mif1" {
            break;
        }
    }
    found.or(Some(FileType::Mp4))
}

/// True when `ext` (any case) is an honest extension for `t`. Files without an extension pass.
pub fn extension_matches(t: FileType, ext: Option<&str>) -> bool {
    match ext {
        None => true,
        Some(e) => t
            .extensions()
            .iter()
            .any(|known| known.eq_ignore_ascii_case(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compat: &[&[u8; 4]]) -> Vec<u8> {
        let mut b = Vec::new();
        let size = 16 + 4 * compat.len() as u32;
        b.extend_from_slice(&size.to_be_bytes());
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&[0, 0, 0, 0]);
        for c in compat {
            b.extend_from_slice(*c);
        }
        b
    }

    #[test]
    fn magic_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(FileType::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(FileType::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(FileType::Webp));
        assert_eq!(sniff(b"GIF89a"), Some(FileType::Gif));
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Some(FileType::Tiff));
        assert_eq!(sniff(b"BM hello"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"plain text, not media"), None);
    }

    #[test]
    fn isobmff_brands() {
        assert_eq!(sniff(&ftyp(b"heic", &[b"mif1"])), Some(FileType::Heif));
        assert_eq!(sniff(&ftyp(b"mif1", &[b"avif"])), Some(FileType::Avif));
        assert_eq!(sniff(&ftyp(b"avif", &[b"mif1"])), Some(FileType::Avif));
        assert_eq!(sniff(&ftyp(b"qt  ", &[b"qt  "])), Some(FileType::Mov));
        assert_eq!(
            sniff(&ftyp(b"isom", &[b"iso2", b"avc1"])),
            Some(FileType::Mp4)
        );
        assert_eq!(sniff(&ftyp(b"3gp4", &[])), Some(FileType::ThreeGp));
    }

    #[test]
    fn short_ftyp_files_are_mp4_not_a_panic() {
        // Regression: 12 to 15 bytes starting with an `ftyp` box made `clamp(16, len)` panic.
        let ftyp = ftyp(b"heic", &[b"mif1"]);
        for len in 0..ftyp.len() {
            let _ = sniff(&ftyp[..len]);
        }
        assert_eq!(sniff(&ftyp[..12]), Some(FileType::Heif));
        assert_eq!(sniff(&ftyp[..14]), Some(FileType::Heif));
        let mut lying = ftyp.clone();
        lying[..4].copy_from_slice(&[0xFF; 4]);
        assert_eq!(sniff(&lying), Some(FileType::Heif));
        lying[..4].copy_from_slice(&[0; 4]);
        assert_eq!(sniff(&lying), Some(FileType::Heif));
    }

    #[test]
    fn extension_check_is_case_insensitive() {
        assert!(extension_matches(FileType::Jpeg, Some("JPG")));
        assert!(!extension_matches(FileType::Jpeg, Some("png")));
        assert!(extension_matches(FileType::Png, None));
    }
}
