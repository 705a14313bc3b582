//! Fuzz target: the WebP RIFF parser (the fuzzer supplies size and `WEBP`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    idvault_fuzz::run(b"RIFF", data);
});
