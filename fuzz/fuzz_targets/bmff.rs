//! Fuzz target: the ISO-BMFF box reader (every box, nested to a few levels, as the stripper and
//! the scanner walk them), its sample-table walker on every box's payload, and the scanner's
//! MP4/MOV header read (through the `moov` locator). Any panic is a bug; every box yielded must
//! lie inside its parent, and the walker never yields more samples than asked.
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
        if let Ok(samples) = bmff::samples(b.payload, 1000) {
            assert!(samples.len() <= 1000);
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
