//! Fuzz target: the MP4/MOV box editor.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    idvault_fuzz::run(&idvault_fuzz::ftyp(b"isom"), data);
});
