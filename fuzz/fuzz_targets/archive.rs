//! Fuzz target: the archive reader (zip, tar, gzip-compressed tar), nested archives included.
//! Any panic is a bug; problems are expected. Every entry is read to its end, as the scan
//! reads a media entry, and may never yield more than it states.
#![no_main]

use std::io::Cursor;

use idvault::fuzzing::scan::archive::{self, Format};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for format in [Format::Zip, Format::Tar, Format::Gzip] {
        let (totals, _problems) = archive::read(Cursor::new(data), format, &mut |member, r| {
            let mut sink = Vec::new();
            let _ = r.read_to_end(&mut sink);
            assert!(sink.len() as u64 <= member.size, "an entry yielded more than it states");
            true
        });
        assert!(totals.entries <= archive::MAX_ENTRIES + 1);
    }
});
