//! Fuzz target: the GIF block parser.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    idvault_fuzz::run(b"GIF89a", data);
});
