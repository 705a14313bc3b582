//! Fuzz target: the JPEG segment parser.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    idvault_fuzz::run(&[0xFF, 0xD8], data);
});
