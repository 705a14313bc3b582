//! Fuzz target: the PNG chunk parser.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    idvault_fuzz::run(b"\x89PNG\r\n\x1a\n", data);
});
