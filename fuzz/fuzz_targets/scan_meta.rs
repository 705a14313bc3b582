//! Fuzz target: the scanner's stage-0 header reads of one image, as `scan` runs them — EXIF
//! through kamadak-exif, PNG chunk walking, XMP packet finding and parsing. The first byte picks
//! the container, the rest is the file. Any panic is a bug; errors and empty results are fine.
#![no_main]

use std::io::Cursor;

use idvault::fuzzing::media::sniff::FileType;
use idvault::fuzzing::scan::signals::{self, HeaderMeta, exif};

const TYPES: [FileType; 5] = [
    FileType::Jpeg,
    FileType::Png,
    FileType::Tiff,
    FileType::Webp,
    FileType::Heif,
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&pick, file)) = data.split_first() else {
        return;
    };
    let t = TYPES[usize::from(pick) % TYPES.len()];
    let head = &file[..file.len().min(idvault::fuzzing::scan::HEAD_LEN)];
    let mut meta = HeaderMeta::default();
    let _ = exif::read(&mut Cursor::new(file), t, head, &mut meta);
    let mut ev = idvault::fuzzing::scan::finding::Evidence::default();
    signals::from_metadata(t, &meta, &mut ev);
});
