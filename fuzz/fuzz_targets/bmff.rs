//! Fuzz target: the ISO-BMFF box reader (every box, nested to a few levels, as the stripper and
//! the scanner walk them) and the scanner's MP4/MOV header read. Any panic is a bug; every box
//! yielded must lie inside its parent.
#![no_main]

use std::io::Cursor;

use idvault::fuzzing::media::bmff;
use idvault::fuzzing::scan::signals::{HeaderMeta, container};

fn walk(data: &[u8], depth: u32) {
    for b in bmff::boxes(data) {
        assert!(b.offset + b.size() <= data.len());
        if depth < 6 {
            walk(b.payload, depth + 1);
            walk(bmff::meta_children(b.payload), depth + 1);
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    walk(data, 0);
    let _ = bmff::find_path(data, &[b"moov", b"trak", b"mdia", b"minf"]);
    let _ = bmff::parse_header(data, data.len() as u64);
    let mut meta = HeaderMeta::default();
    let _ = container::read(&mut Cursor::new(data), &mut meta);
});
