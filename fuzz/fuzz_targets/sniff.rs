//! Fuzz target: file type from magic bytes. Any panic is a bug; an ISO-BMFF answer needs a box
//! header.
#![no_main]

use idvault::fuzzing::media::sniff;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(t) = sniff::sniff(data) {
        if t.is_isobmff() {
            assert!(data.len() >= 12);
        }
        let _ = sniff::extension_matches(t, Some("jpg"));
    }
});
