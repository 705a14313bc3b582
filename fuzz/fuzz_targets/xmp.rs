//! Fuzz target: finding an XMP packet in raw bytes and parsing it with the namespace-aware
//! reader. Any panic is a bug.
#![no_main]

use idvault::fuzzing::scan::signals::xmp;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Some(packet) = xmp::find(data) {
        assert!(packet.len() <= data.len());
        let _ = xmp::parse(packet);
    }
    let _ = xmp::parse(data);
});
